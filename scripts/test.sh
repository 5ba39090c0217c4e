#!/usr/bin/env bash
# The one command that runs every test chainseal has. It installs what it needs first
# (scripts/install-peers.sh, cached), starts the local registries it tests against, runs the
# Rust suites, the conformance suite and the Python suite, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/install-peers.sh
TOOLS=${CHAINSEAL_TOOLS:-$HOME/.cache/chainseal/tools}
export PATH="$TOOLS/bin:$PATH"
export CHAINSEAL_TOOLS="$TOOLS"

echo "== build (release)"
cargo build --release --locked -p chainseal-cli
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
export CHAINSEAL_BIN="$TARGET/release/chainseal"

echo "== test fixtures"
bash scripts/make-testdata.sh

echo "== local registries"
RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/chainseal-registries.XXXXXX")
trap 'bash scripts/registries.sh stop "$RUNDIR" || true' EXIT
bash scripts/registries.sh start "$RUNDIR"
# shellcheck disable=SC1091
source "$RUNDIR/env.sh"
# The registry integration tests fail (not skip) when a registry is missing.
export CHAINSEAL_REQUIRE_REGISTRIES=1

echo "== cargo test"
cargo test --locked   # default-members: the Rust crates (the Python glue is tested by pytest below)

echo "== sigstore conformance (offline bundle verification, 140 cases)"
CONFORMANCE=${CHAINSEAL_CONFORMANCE:-$ROOT/../shared/conformance}
conf_out=$(python3 "$CONFORMANCE/driver.py" --strict-crash -j 2 "$CONFORMANCE" "$CHAINSEAL_BIN" 2>&1) || true
printf '%s\n' "$conf_out" | tail -n 20
if ! printf '%s\n' "$conf_out" | grep -q '^140 passed, 0 failed'; then
    echo "conformance: expected '140 passed, 0 failed'" >&2
    exit 1
fi

step() { printf '\n== %s\n' "$*"; }
passed=0; failed=0; failures=()
run_step() {  # run_step NAME CMD...: run a suite, keep going, count it
    local name=$1; shift
    step "$name"
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

run_step "python package (pytest, stubtest, examples)" env CHAINSEAL_PY_TARGET_DIR="$TARGET" bash scripts/test-python.sh
run_step "release dogfooding (own SBOM, sign, verify)" env CHAINSEAL_BIN="$CHAINSEAL_BIN" bash scripts/release.sh "$RUNDIR/dist"
run_step "cargo deny (licenses, bans, sources)" cargo deny --locked check licenses bans sources
run_step "fuzz smoke (${FUZZ_SECONDS:-10} s per target)" bash scripts/fuzz-smoke.sh

run_step "SBOM accuracy vs package-manager truth (deb, pypi, npm, cargo, golang; syft side by side)" env CHAINSEAL_BIN="$CHAINSEAL_BIN" bash scripts/sbom-accuracy.sh
echo
echo "== done"
# Suites before this point stop the script on failure (set -e); these four are counted.
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "test.sh: $((passed + 4)) passed, $failed failed"
[ "$failed" -eq 0 ]
