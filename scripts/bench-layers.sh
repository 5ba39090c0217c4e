#!/usr/bin/env bash
# Layer-walk benchmark (not a test): chainseal's whole pipeline (digest check + inflate + tar
# walk) against a bare flate2/zlib-rs inflate of the same layers and against `gzip -dc`, in
# one run, with peak RSS from /usr/bin/time -v. Goal: pipeline >= 0.8 of bare inflate, RSS < 100 MB.
#
#   scripts/bench-layers.sh [COMPRESSED_MB=500] [LAYERS=5]
# The image is generated once into ${BENCH_DIR:-/tmp/chainseal-bench}/layout (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-500}
LAYERS=${2:-5}
DIR=${BENCH_DIR:-/tmp/chainseal-bench}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release -q -p chainseal-oci --example walk_bench
BIN=$CARGO_TARGET_DIR/release/examples/walk_bench
LAYOUT=$DIR/layout-$MB-$LAYERS
if [ ! -f "$LAYOUT/index.json" ]; then
  rm -rf "$LAYOUT"; mkdir -p "$LAYOUT"
  echo "generating a ~${MB} MB ${LAYERS}-layer image in $LAYOUT" >&2
  "$BIN" generate "$LAYOUT" "$MB" "$LAYERS"
fi
LAYER_FILES=$(python3 -c '
import json,sys,os
d=sys.argv[1]
idx=json.load(open(os.path.join(d,"index.json")))
m=json.load(open(os.path.join(d,"blobs/sha256",idx["manifests"][0]["digest"][7:])))
print(" ".join(os.path.join(d,"blobs/sha256",l["digest"][7:]) for l in m["layers"]))' "$LAYOUT")
cat $LAYER_FILES > /dev/null   # warm the page cache so every contender reads from memory

measure() { # name command... ; prints "seconds rss_kb"
  local out; out=$(mktemp)
  /usr/bin/time -v "$@" >"$out.stdout" 2>"$out"
  local rss; rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$out")
  local wall; wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out")
  echo "$(cat "$out.stdout" | tr '\n' ' ') rss_kb=$rss wall=$wall"
  rm -f "$out" "$out.stdout"
}
secs() { sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$1"; }

echo "== layers: $(du -cm $LAYER_FILES | tail -1 | cut -f1) MB compressed, $LAYERS layers"
P=$(measure "$BIN" pipeline "$LAYOUT"); echo "chainseal pipeline : $P"
I=$(measure "$BIN" inflate "$LAYOUT"); echo "bare zlib-rs       : $I"
START=$(date +%s.%N)
G=$(measure bash -c "for f in $LAYER_FILES; do gzip -dc \"\$f\"; done > /dev/null")
END=$(date +%s.%N)
GS=$(python3 -c "print(f'{$END-$START:.3f}')")
echo "gzip -dc           : seconds=$GS $G"
PS=$(secs "$P"); IS=$(secs "$I")
python3 - "$PS" "$IS" "$GS" "$P" <<'PY'
import sys, re
p, i, g = map(float, sys.argv[1:4])
m = re.search(r"bytes_in=(\d+) bytes_out=(\d+).*rss_kb=(\d+)", sys.argv[4])
bin_, bout, rss = int(m.group(1)), int(m.group(2)), int(m.group(3))
print(f"pipeline: {bout/p/1e6:.0f} MB/s decompressed ({bin_/p/1e6:.0f} MB/s compressed), peak RSS {rss/1024:.1f} MB")
print(f"ratio pipeline / bare zlib-rs inflate = {i/p:.2f}  (goal >= 0.80)")
print(f"ratio pipeline / gzip -dc             = {g/p:.2f}")
print(f"RSS goal (< 100 MB): {'met' if rss < 100*1024 else 'MISSED'}")
PY
