#!/usr/bin/env bash
# Installs every peer and real part the test suite needs, once, into a cache.
# Idempotent: a second run only checks versions. A peer that fails to install is a
# hard failure (exit 1): the suite never silently skips a missing peer.
#
#   CHAINSEAL_TOOLS  where Go/Rust binaries and the Python venv live (default ~/.cache/chainseal/tools)
set -euo pipefail

TOOLS=${CHAINSEAL_TOOLS:-$HOME/.cache/chainseal/tools}
mkdir -p "$TOOLS/bin"
export GOBIN="$TOOLS/bin"
export PATH="$TOOLS/bin:$PATH"

# Pinned peer versions.
COSIGN_V3=v3.1.3
COSIGN_V2=v2.6.5
SYFT=v1.57.0
CRANE=v0.22.1
FERRO=1.0.0

log() { printf 'install-peers: %s\n' "$*" >&2; }

# --- Debian packages: distribution 2.8.2 (no referrers API), skopeo, umoci, htpasswd, openssl.
need_apt=()
for pair in docker-registry:docker-registry skopeo:skopeo umoci:umoci htpasswd:apache2-utils openssl:openssl jq:jq zstd:zstd mmdebstrap:mmdebstrap; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  # The package would start its own service on :5000; the tests never use it.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

# --- Go peers, pinned.
go_peer() { # name version-file module@version
  local name=$1 stamp="$TOOLS/bin/.$1.version" want=$3
  if [ -x "$TOOLS/bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return; fi
  log "go install $want"
  go install "$want"
  echo "$want" > "$stamp"
}
go_peer cosign cosign github.com/sigstore/cosign/v3/cmd/cosign@$COSIGN_V3
if [ ! -x "$TOOLS/bin/cosign-v2" ] || [ "$(cat "$TOOLS/bin/.cosign-v2.version" 2>/dev/null)" != "$COSIGN_V2" ]; then
  log "go install cosign $COSIGN_V2 (as cosign-v2)"
  tmp=$(mktemp -d); GOBIN="$tmp" go install github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN_V2
  mv "$tmp/cosign" "$TOOLS/bin/cosign-v2"; rmdir "$tmp"; echo "$COSIGN_V2" > "$TOOLS/bin/.cosign-v2.version"
fi
go_peer syft syft github.com/anchore/syft/cmd/syft@$SYFT
go_peer crane crane github.com/google/go-containerregistry/cmd/crane@$CRANE

# --- A registry with the native referrers API (Rust crate).
if [ ! -x "$TOOLS/bin/ferro-oci-server" ]; then
  log "cargo install ferro-oci-server@$FERRO"
  cargo install --locked --quiet --root "$TOOLS" "ferro-oci-server@$FERRO"
fi

# --- Fuzzing and supply-chain checks of chainseal itself (Rust tools, pinned).
CARGO_FUZZ=0.13.2
CARGO_DENY=0.20.2
CARGO_AUDITABLE=0.7.2
rust_tool() { # binary crate version
  local stamp="$TOOLS/bin/.$1.version"
  if [ ! -x "$TOOLS/bin/$1" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$3" ]; then
    log "cargo install $2@$3"
    cargo install --locked --quiet --root "$TOOLS" "$2@$3"
    echo "$3" > "$stamp"
  fi
}
rust_tool cargo-fuzz cargo-fuzz $CARGO_FUZZ
rust_tool cargo-deny cargo-deny $CARGO_DENY
# cargo-auditable builds the Rust binary of the SBOM accuracy images (scripts/make-accuracy-images.py).
rust_tool cargo-auditable cargo-auditable $CARGO_AUDITABLE

# --- Python: validators, sigstore-python, token issuer deps, maturin/pytest for the bindings.
VENV="$TOOLS/venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if [ ! -f "$VENV/.ok-v1" ]; then
  log "pip install validators and peers"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q 'sigstore==4.5.1' 'cyclonedx-python-lib[validation]>=8' 'spdx-tools>=0.8' \
    'check-jsonschema' 'pyjwt' 'cryptography' 'oras' 'pytest' 'maturin>=1.7,<2' 'mypy'
  touch "$VENV/.ok-v1"
fi
# SBOM validators beyond the schemas: NTIA minimum elements, SPDX 3.0.1 parsing (spdx-python-model).
if [ ! -x "$VENV/bin/sbomcheck" ]; then
  log "pip install ntia-conformance-checker"
  "$VENV/bin/pip" install -q 'ntia-conformance-checker==6.0.0'
fi

for t in mmdebstrap cargo-auditable docker-registry skopeo umoci cosign cosign-v2 syft crane ferro-oci-server cargo-fuzz cargo-deny; do
  command -v "$t" >/dev/null 2>&1 || { log "missing peer after install: $t"; exit 1; }
done
log "all peers present in $TOOLS"
