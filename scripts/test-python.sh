#!/usr/bin/env bash
# Build the Python package (bindings/python) into a dedicated venv and run its pytest suite,
# which includes mypy.stubtest, mypy --strict over tests/ and examples/, and the examples.
#
#   scripts/test-python.sh [PYTEST ARGS...]
#
# Registry tests need the env of `scripts/registries.sh start DIR; source DIR/env.sh`; with
# CI=true or CHAINSEAL_REQUIRE_REGISTRIES=1 they fail (not skip) when it is missing.
# The venv lives in $CHAINSEAL_TOOLS/venv-python-bindings; pytest and mypy come from the tools
# venv ($CHAINSEAL_TOOLS/venv, made by scripts/install-peers.sh) through a .pth file, so nothing
# is downloaded here. Exits non-zero when the build or any test fails.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=${CHAINSEAL_TOOLS:-$HOME/.cache/chainseal/tools}
TOOLS_PY=$TOOLS/venv/bin/python
VENV=$TOOLS/venv-python-bindings
export CARGO_TARGET_DIR=${CHAINSEAL_PY_TARGET_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}}

[ -x "$TOOLS_PY" ] || { echo "test-python: $TOOLS_PY missing; run scripts/install-peers.sh" >&2; exit 2; }
"$TOOLS_PY" -c 'import maturin, pytest, mypy' 2>/dev/null || "$TOOLS/venv/bin/maturin" --version >/dev/null \
    || { echo "test-python: maturin/pytest/mypy missing from $TOOLS/venv; run scripts/install-peers.sh" >&2; exit 2; }

if [ ! -x "$VENV/bin/python" ]; then
    "$TOOLS_PY" -m venv "$VENV"
fi
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
tools_site=$("$TOOLS_PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$tools_site" > "$site/chainseal-tools.pth"

echo "== python: build and install chainseal (maturin, release, abi3)"
VIRTUAL_ENV=$VENV "$TOOLS/venv/bin/maturin" develop --release --locked -q -m "$ROOT/bindings/python/Cargo.toml"

echo "== python: pytest"
cd "$ROOT/bindings/python"
set +e
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@" 2>&1 | tee "${TMPDIR:-/tmp}/chainseal-pytest.$$.log"
status=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed)|^(=+ )?no tests ran' "${TMPDIR:-/tmp}/chainseal-pytest.$$.log" | tail -n 1 || true)
rm -f "${TMPDIR:-/tmp}/chainseal-pytest.$$.log"
echo "python: ${summary:-no summary}"
exit "$status"
