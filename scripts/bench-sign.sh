#!/usr/bin/env bash
# Image signing benchmark (not a test): chainseal vs cosign v3, wall time, in one run against the
# same local registry (plain docker-registry 2.8.2 from scripts/registries.sh, started here unless
# CHAINSEAL_TEST_REGISTRY_PLAIN is already set). Both tools use the same cosign key file and the
# same defaults (bundle referrers / fallback index, no transparency log).
#
#   scripts/bench-sign.sh [RUNS=5] [IMAGES=200]
#   BENCH_REGISTRY=referrers scripts/bench-sign.sh   # ferro-oci-server (native referrers API)
#
# (a) sign+push one image: median of RUNS (a fresh image per run, so no tool pays for the other's
#     signatures); (b) verify one chainseal-signed image: median of RUNS; (c) IMAGES tiny distinct
#     images, each signed by chainseal, all verified: one `chainseal verify` call for all of them
#     (`--images-from`), one `chainseal verify` process per image, the Python package in one
#     process (if installed in the bindings venv), and a cosign loop.
# Goal from issue 4: chainseal / cosign <= 0.5 on each. Uses hyperfine when installed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${1:-5}
N=${2:-200}
TOOLS=${CHAINSEAL_TOOLS:-$HOME/.cache/chainseal/tools}
export PATH="$TOOLS/bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
CS=$CARGO_TARGET_DIR/release/chainseal
[ -x "$CS" ] || cargo build --release -q -p chainseal-cli
COSIGN=$TOOLS/bin/cosign
PY=$TOOLS/venv-python-bindings/bin/python

WORK=$(mktemp -d)
REGDIR=
cleanup() {
  if [ -n "$REGDIR" ]; then bash "$ROOT/scripts/registries.sh" stop "$REGDIR" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ -z "${CHAINSEAL_TEST_REGISTRY_PLAIN:-}" ]; then
  REGDIR=$WORK/registries
  bash "$ROOT/scripts/registries.sh" start "$REGDIR" >&2
  # shellcheck disable=SC1091
  source "$REGDIR/env.sh"
fi
case ${BENCH_REGISTRY:-plain} in
  plain) HOST=$CHAINSEAL_TEST_REGISTRY_PLAIN; KIND="docker-registry 2.8.2, fallback index" ;;
  referrers) HOST=$CHAINSEAL_TEST_REGISTRY_REFERRERS; KIND="ferro-oci-server, referrers API" ;;
  *) echo "BENCH_REGISTRY must be plain or referrers" >&2; exit 2 ;;
esac
REPO=$HOST/bench-$$-$(date +%s)
export COSIGN_PASSWORD=pw CHAINSEAL_PASSWORD=pw TUF_ROOT=$WORK/no-tuf
cd "$WORK"
"$COSIGN" generate-key-pair --output-key-prefix k >/dev/null 2>&1
echo "== chainseal $("$CS" --version 2>/dev/null | head -1) vs $("$COSIGN" version 2>/dev/null | awk '/GitVersion/ {print $2}'), registry $HOST ($KIND)"

# push_image NAME: a one-layer image unique to NAME; prints repo@digest
push_image() {
  mkdir -p "l-$1" && echo "$1" > "l-$1/id" && tar -C "l-$1" -cf "l-$1.tar" id
  crane append -f "l-$1.tar" -t "$REPO:$1" >/dev/null 2>&1
  echo "$REPO@$(crane digest "$REPO:$1")"
}

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# time_runs CMD_PREFIX IMAGE...: runs "CMD_PREFIX IMAGE" once per image, prints the median seconds
# (and, with CPU_LOG=FILE and GNU time installed, appends each run's user+system CPU seconds there)
time_runs() {
  local cmd=$1; shift
  for img in "$@"; do
    local s e; s=$(now)
    if [ -n "${CPU_LOG:-}" ] && [ -x /usr/bin/time ]; then
      /usr/bin/time -f "%U %S" -o "$WORK/last.cpu" $cmd "$img" >/dev/null 2>"$WORK/last.err" \
        || { echo "FAILED: $cmd $img" >&2; cat "$WORK/last.err" >&2; exit 2; }
      awk '{print $1 + $2}' "$WORK/last.cpu" >> "$CPU_LOG"
    else
      $cmd "$img" >/dev/null 2>"$WORK/last.err" || { echo "FAILED: $cmd $img" >&2; cat "$WORK/last.err" >&2; exit 2; }
    fi
    e=$(now); echo "$e - $s" | bc -l
  done | median
}
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
fmt() { python3 -c "print(f'{$1:.3f}')"; }

CS_SIGN="$CS sign -q --key k.key"
CO_SIGN="$COSIGN sign --key k.key --use-signing-config=false --tlog-upload=false -y"
CS_VERIFY="$CS verify -q --key k.pub"
CO_VERIFY="$COSIGN verify --key k.pub --insecure-ignore-tlog"

echo "== (a) sign+push one image, median of $RUNS (fresh image per run)"
CS_IMGS=(); CO_IMGS=()
for i in $(seq 1 "$RUNS"); do CS_IMGS+=("$(push_image a-cs-$i)"); CO_IMGS+=("$(push_image a-co-$i)"); done
if command -v hyperfine >/dev/null; then
  echo "(hyperfine installed, but each run needs a fresh image; using the bash loop)" >&2
fi
# one warm-up each (page cache, binary load)
W1=$(push_image warm-cs); W2=$(push_image warm-co)
$CS_SIGN "$W1" >/dev/null 2>&1; $CO_SIGN "$W2" >/dev/null 2>&1
# Interleaved (chainseal, cosign, chainseal, …) so that load from other processes hits both alike.
: > a-cs.txt; : > a-co.txt
: > a-cs.cpu; : > a-co.cpu
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
for i in $(seq 0 $((RUNS - 1))); do
  CPU_LOG=a-cs.cpu time_runs "$CS_SIGN" "${CS_IMGS[$i]}" >> a-cs.txt
  CPU_LOG=a-co.cpu time_runs "$CO_SIGN" "${CO_IMGS[$i]}" >> a-co.txt
done
A_CS=$(median < a-cs.txt)
A_CO=$(median < a-co.txt)
echo "chainseal sign : $(fmt "$A_CS") s"
echo "cosign sign    : $(fmt "$A_CO") s"
echo "ratio chainseal/cosign (sign+push) = $(ratio "$A_CS" "$A_CO")  (goal <= 0.5)"
# Wall time on a busy machine mostly measures the scheduler: say how busy it was, and give the
# CPU each tool used (user+system), which load changes much less.
echo "(1-minute load average: $LOAD_BEFORE before, $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?") after; $(nproc) CPUs)"
if [ -s a-cs.cpu ] && [ -s a-co.cpu ]; then
  C_CS_CPU=$(median < a-cs.cpu); C_CO_CPU=$(median < a-co.cpu)
  echo "CPU time (user+system), median: chainseal $(fmt "$C_CS_CPU") s, cosign $(fmt "$C_CO_CPU") s, ratio $(ratio "$C_CS_CPU" "$C_CO_CPU")"
fi

echo "== (b) verify one image (signed once by chainseal), median of $RUNS"
V=${CS_IMGS[0]}
VS=(); for _ in $(seq 1 "$RUNS"); do VS+=("$V"); done
$CS_VERIFY "$V" >/dev/null 2>&1; $CO_VERIFY "$V" >/dev/null 2>&1   # warm-up
if command -v hyperfine >/dev/null; then
  hyperfine -N -w 1 -r "$RUNS" --export-json b.json "$CS_VERIFY $V" "$CO_VERIFY $V" >&2
  B_CS=$(python3 -c 'import json;print(json.load(open("b.json"))["results"][0]["median"])')
  B_CO=$(python3 -c 'import json;print(json.load(open("b.json"))["results"][1]["median"])')
else
  B_CS=$(time_runs "$CS_VERIFY" "${VS[@]}")
  B_CO=$(time_runs "$CO_VERIFY" "${VS[@]}")
fi
echo "chainseal verify : $(fmt "$B_CS") s"
echo "cosign verify    : $(fmt "$B_CO") s"
echo "ratio chainseal/cosign (verify) = $(ratio "$B_CS" "$B_CO")  (goal <= 0.5)"

echo "== (c) $N signed images, verify all"
s=$(now)
: > imgs.txt
for i in $(seq 1 "$N"); do
  img=$(push_image c-$i)
  $CS_SIGN "$img" >/dev/null 2>&1 || { echo "FAILED: sign $img" >&2; exit 2; }
  echo "$img" >> imgs.txt
done
echo "(setup: pushed and signed $N images in $(fmt "$(echo "$(now) - $s" | bc -l)") s)"
mapfile -t IMGS < imgs.txt
loop() { # CMD: verify every image, one process each; prints total seconds
  local s; s=$(now)
  for img in "${IMGS[@]}"; do
    $1 "$img" >/dev/null 2>"$WORK/last.err" || { echo "FAILED: $1 $img" >&2; cat "$WORK/last.err" >&2; exit 2; }
  done
  echo "$(now) - $s" | bc -l
}
s=$(now)
$CS_VERIFY --images-from imgs.txt > one-call.jsonl 2>"$WORK/last.err" || { echo "FAILED: one-call verify" >&2; tail -5 "$WORK/last.err" >&2; exit 2; }
C_ONE=$(echo "$(now) - $s" | bc -l)
[ "$(grep -c '^\[{' one-call.jsonl)" = "$N" ] || { echo "FAILED: one-call verify did not verify all $N images" >&2; exit 2; }
C_CS=$(loop "$CS_VERIFY")
C_CO=$(loop "$CO_VERIFY")
echo "chainseal verify, one call       : $(fmt "$C_ONE") s"
echo "chainseal verify, $N processes : $(fmt "$C_CS") s"
echo "cosign verify, $N processes    : $(fmt "$C_CO") s"
echo "ratio chainseal(one call)/cosign loop ($N images) = $(ratio "$C_ONE" "$C_CO")  (goal <= 0.5)"
echo "ratio chainseal/cosign ($N images, process per image) = $(ratio "$C_CS" "$C_CO")  (goal <= 0.5)"
if [ -x "$PY" ] && "$PY" -c 'import chainseal' 2>/dev/null; then
  C_PY=$("$PY" - "$WORK/k.pub" imgs.txt <<'PY'
import sys, time, chainseal
key, lst = sys.argv[1], sys.argv[2]
imgs = [l.strip() for l in open(lst) if l.strip()]
t = time.perf_counter()
for img in imgs:
    chainseal.verify(img, key=key)
print(time.perf_counter() - t)
PY
)
  echo "chainseal Python, one process   : $(fmt "$C_PY") s"
  echo "ratio chainseal(Python, one process)/cosign loop = $(ratio "$C_PY" "$C_CO")  (goal <= 0.5)"
else
  echo "(Python package not installed in $TOOLS/venv-python-bindings: one-process figure skipped)"
fi
