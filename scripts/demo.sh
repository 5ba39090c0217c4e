#!/usr/bin/env bash
# The main job on the bundled example image, with no server: inspect it, write its SBOM in
# two formats, make a key pair, sign the image, attest the SBOM, and verify both — all inside
# a copy of the OCI layout in a temporary directory (the committed image is never modified).
#
#   bash scripts/demo.sh            # prints each step; the work dir is kept and printed at the end
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet -p chainseal-cli
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/chainseal

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chainseal-demo.XXXXXX")
cp -r testdata/images/example "$WORK/image"
IMAGE="oci-dir:$WORK/image"
# Test-only password for the throw-away demo key (never pass passwords as flags).
export CHAINSEAL_PASSWORD=chainseal-demo-only

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "inspect $IMAGE"
"$BIN" inspect "$IMAGE"

step "SBOM: CycloneDX 1.6 and SPDX 2.3 in one pass"
"$BIN" sbom "$IMAGE" -o "cyclonedx-json=$WORK/bom.cdx.json" -o "spdx-json=$WORK/bom.spdx.json"
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(len(b["components"]), "components:", ", ".join(c["purl"] for c in b["components"] if "purl" in c))' "$WORK/bom.cdx.json"

step "generate a key pair"
"$BIN" generate-key-pair --output-key-prefix "$WORK/cosign"

step "sign the image (cosign v3 layout: DSSE bundle stored as a referrer in the layout)"
"$BIN" sign --key "$WORK/cosign.key" "$IMAGE"

step "attest the SBOM (in-toto statement, CycloneDX predicate, DSSE bundle referrer)"
"$BIN" attest --key "$WORK/cosign.key" --type cyclonedx --predicate "$WORK/bom.cdx.json" "$IMAGE"

step "verify the signature"
"$BIN" verify --key "$WORK/cosign.pub" "$IMAGE"

step "verify the SBOM attestation"
"$BIN" verify-attestation --key "$WORK/cosign.pub" --type cyclonedx "$IMAGE" > "$WORK/attestations.json"
echo "verified attestation(s) written to $WORK/attestations.json" >&2

step "everything attached to the image"
"$BIN" tree "$IMAGE"

step "done: outputs in $WORK"
