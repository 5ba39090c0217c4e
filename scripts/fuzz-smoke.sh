#!/usr/bin/env bash
# Runs every cargo-fuzz target briefly (FUZZ_SECONDS each, default 10) from its committed seeds
# (fuzz/seeds/<target>); new inputs go to a scratch corpus, never into the repo. Prints one line
# per target with the executions libFuzzer reports, and fails on the first crash, leak, timeout
# or OOM (the reproducer is in fuzz/artifacts/<target>/; turn it into a regression test:
# fuzz/regressions/<target>/<what-it-found> plus the fix, see fuzz/README.md).
#
#   FUZZ_SECONDS=30 scripts/fuzz-smoke.sh [TARGET...]
#   scripts/fuzz-long.sh runs the same for longer (default 600 s per target).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
TOOLS=${CHAINSEAL_TOOLS:-$HOME/.cache/chainseal/tools}
export PATH="$TOOLS/bin:$PATH"
SECONDS_EACH=${FUZZ_SECONDS:-10}
# Building the targets from scratch takes long on 2 cores: CI keeps them in a cache dir.
FUZZ_TARGET=${CHAINSEAL_FUZZ_TARGET_DIR:-$PWD/target}
command -v cargo-fuzz >/dev/null || { echo "fuzz: cargo-fuzz missing (run scripts/install-peers.sh)" >&2; exit 1; }
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(ls fuzz_targets | sed 's/\.rs$//')
cargo +nightly fuzz build -O --debug-assertions --target-dir "$FUZZ_TARGET"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/chainseal-fuzz.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
REPORT=${FUZZ_REPORT:-$SCRATCH/report.txt}
: > "$REPORT"
total=0
for t in "${targets[@]}"; do
  mkdir -p "$SCRATCH/$t"
  log="$SCRATCH/$t.log"
  if ! cargo +nightly fuzz run -O --debug-assertions --target-dir "$FUZZ_TARGET" "$t" "$SCRATCH/$t" "seeds/$t" -- \
      -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=20 -max_len=1048576 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz: $t FAILED (reproducer in fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | grep -o 'cov: [0-9]*' || true)
  printf '%-24s %10s execs in %ss  %s\n' "$t" "${execs:-?}" "$SECONDS_EACH" "$cov" | tee -a "$REPORT"
  total=$((total + ${execs:-0}))
done
echo "fuzz: ${#targets[@]} targets, $total executions, no crashes" | tee -a "$REPORT"
