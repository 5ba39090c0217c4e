#!/usr/bin/env bash
# chainseal releasing itself (dogfooding): build the release binary, generate chainseal's own
# SBOM with chainseal, sign the binary and the SBOM with `chainseal sign-blob`, and verify both
# (and that a tampered copy is refused).
#
#   scripts/release.sh [OUT_DIR]          (default: dist/)
#
#   CHAINSEAL_RELEASE_KEY   a cosign key file to sign with (password from CHAINSEAL_PASSWORD);
#                           without it a throw-away key pair is generated in a temp dir.
#   CHAINSEAL_BIN           use this binary instead of building one.
#
# Each signature is verified with `chainseal verify-blob --key` and, as an interop check, with
# `cosign verify-blob --insecure-ignore-tlog` (offline bundles carry no transparency-log entry).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$(realpath -m "${1:-dist}")
TOOLS=${CHAINSEAL_TOOLS:-$HOME/.cache/chainseal/tools}
export PATH="$TOOLS/bin:$PATH"
log() { printf 'release: %s\n' "$*" >&2; }

if [ -z "${CHAINSEAL_BIN:-}" ]; then
  log "cargo build --release --locked -p chainseal-cli"
  cargo build --release --locked -q -p chainseal-cli
  CHAINSEAL_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/chainseal"
fi
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/chainseal-release.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp "$CHAINSEAL_BIN" "$OUT/chainseal"
VERSION=$("$OUT/chainseal" --version | awk '{print $2}')
log "chainseal $VERSION"

# The SBOM describes the sources the binary is built from: the committed tree (git archive),
# without test fixtures, fuzz seeds and examples, whose package files are not dependencies.
SRC="$WORK/src"
mkdir -p "$SRC"
git archive HEAD | tar -x -C "$SRC"
cp Cargo.lock "$SRC/Cargo.lock"
rm -rf "$SRC/testdata" "$SRC/fuzz" "$SRC/examples" "$SRC/benches" "$SRC/crates/sign/tests"
(cd "$SRC" && "$OUT/chainseal" -q sbom dir:. --source-name chainseal --source-version "$VERSION" \
  -o "cyclonedx-json=$OUT/chainseal.cdx.json" -o "spdx-json=$OUT/chainseal.spdx.json") 2>/dev/null \
  || (cd "$SRC" && "$OUT/chainseal" -q sbom dir:. -o "cyclonedx-json=$OUT/chainseal.cdx.json" -o "spdx-json=$OUT/chainseal.spdx.json")
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["components"]))' "$OUT/chainseal.cdx.json")
log "SBOM: $n components"
python3 - "$OUT/chainseal.cdx.json" <<'EOF'
import json, sys
purls = {c.get("purl", "") for c in json.load(open(sys.argv[1]))["components"]}
for want in ("pkg:cargo/serde@", "pkg:cargo/tokio@", "pkg:cargo/sigstore-verify@"):
    if not any(p.startswith(want) for p in purls):
        sys.exit("release: the SBOM lacks %s… (chainseal's own dependencies)" % want)
EOF

# Keys: the release key, or a throw-away pair.
if [ -n "${CHAINSEAL_RELEASE_KEY:-}" ]; then
  KEY=$CHAINSEAL_RELEASE_KEY
  : "${CHAINSEAL_PASSWORD:?CHAINSEAL_PASSWORD must hold the password of the release key}"
else
  export CHAINSEAL_PASSWORD
  CHAINSEAL_PASSWORD=$(head -c 24 /dev/urandom | base64)
  (cd "$WORK" && "$OUT/chainseal" -q generate-key-pair --output-key-prefix release >/dev/null)
  KEY="$WORK/release.key"
  log "signing with a throw-away key pair"
fi
"$OUT/chainseal" -q public-key --key "$KEY" --outfile "$OUT/chainseal.pub"

verify() { # file bundle — chainseal checks it, and cosign must agree (offline bundle: no tlog)
  "$OUT/chainseal" -q verify-blob --key "$OUT/chainseal.pub" --bundle "$2" "$1" >/dev/null || return 1
  cosign verify-blob --key "$OUT/chainseal.pub" --bundle "$2" --insecure-ignore-tlog "$1" >/dev/null 2>&1 || {
    log "cosign refused the bundle for $(basename "$1")"; return 1; }
  log "verified $(basename "$1") with chainseal verify-blob and cosign verify-blob"
}

for f in chainseal chainseal.cdx.json chainseal.spdx.json; do
  "$OUT/chainseal" -q sign-blob --key "$KEY" --bundle "$OUT/$f.sigstore.json" "$OUT/$f"
  verify "$OUT/$f" "$OUT/$f.sigstore.json" || { log "verification of $f FAILED"; exit 1; }
done

# A tampered artifact must be refused.
cp "$OUT/chainseal.cdx.json" "$WORK/tampered.json"
printf ' ' >> "$WORK/tampered.json"
if verify "$WORK/tampered.json" "$OUT/chainseal.cdx.json.sigstore.json" 2>/dev/null; then
  log "a tampered SBOM verified: FAILED"
  exit 1
fi
(cd "$OUT" && sha256sum chainseal chainseal.cdx.json chainseal.spdx.json > SHA256SUMS)
log "release artifacts in $OUT: binary, CycloneDX + SPDX SBOMs, bundles, public key, SHA256SUMS"
