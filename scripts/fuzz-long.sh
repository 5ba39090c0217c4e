#!/usr/bin/env bash
# Long fuzzing runs: scripts/fuzz-smoke.sh with FUZZ_SECONDS (default 600) per target.
#   FUZZ_SECONDS=3600 scripts/fuzz-long.sh [TARGET...]
set -euo pipefail
FUZZ_SECONDS=${FUZZ_SECONDS:-600} exec bash "$(dirname "$0")/fuzz-smoke.sh" "$@"
