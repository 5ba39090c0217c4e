#!/usr/bin/env bash
# Layer-walk benchmark (not a test): chainseal's whole pipeline (digest check + inflate + tar
# walk) against a bare flate2/zlib-rs inflate of the same layers and against `gzip -dc`, in
# one run, with peak RSS from /usr/bin/time -v. Goal: pipeline >= 0.8 of bare inflate, RSS < 100 MB.
# Two sources: the OCI layout, and a local registry (Debian's docker-registry 2.8.2 started by
# this script on a free port, stopped by its PID at the end) the image is pushed to first.
#
#   scripts/bench-layers.sh [COMPRESSED_MB=500] [LAYERS=5]
# The image is generated once into ${BENCH_DIR:-/tmp/chainseal-bench}/layout (not committed);
# BENCH_REGISTRY=0 skips the registry source.
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

REGISTRY_PID=
stop_registry() { [ -n "$REGISTRY_PID" ] && kill "$REGISTRY_PID" 2>/dev/null; wait "$REGISTRY_PID" 2>/dev/null || true; }
trap stop_registry EXIT
R=
if [ "${BENCH_REGISTRY:-1}" = 1 ] && command -v docker-registry >/dev/null; then
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  RDIR=$DIR/registry-$MB-$LAYERS; mkdir -p "$RDIR/data"
  cat > "$RDIR/config.yml" <<YAML
version: 0.1
log: {level: error, fields: {service: bench-registry}}
storage: {filesystem: {rootdirectory: $RDIR/data}}
http: {addr: 127.0.0.1:$PORT}
YAML
  docker-registry serve "$RDIR/config.yml" > "$RDIR/registry.log" 2>&1 &
  REGISTRY_PID=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/v2/" && break; sleep 0.1; done
  REF=127.0.0.1:$PORT/bench/layers:$MB-$LAYERS
  echo "pushing to $REF: $("$BIN" push "$LAYOUT" "$REF")" >&2
elif [ "${BENCH_REGISTRY:-1}" = 1 ]; then
  echo "docker-registry not installed: skipping the registry source (scripts/install-peers.sh)" >&2
fi

echo "== layers: $(du -cm $LAYER_FILES | tail -1 | cut -f1) MB compressed, $LAYERS layers"
P=$(measure "$BIN" pipeline "$LAYOUT"); echo "chainseal pipeline (OCI layout): $P"
if [ -n "$REGISTRY_PID" ]; then R=$(measure "$BIN" pipeline-registry "$REF"); echo "chainseal pipeline (registry)  : $R"; fi
I=$(measure "$BIN" inflate "$LAYOUT"); echo "bare zlib-rs                   : $I"
START=$(date +%s.%N)
G=$(measure bash -c "for f in $LAYER_FILES; do gzip -dc \"\$f\"; done > /dev/null")
END=$(date +%s.%N)
GS=$(python3 -c "print(f'{$END-$START:.3f}')")
echo "gzip -dc                       : seconds=$GS $G"
IS=$(secs "$I")
report() { # label measurement
  python3 - "$1" "$(secs "$2")" "$IS" "$GS" "$2" <<'PY'
import sys, re
label = sys.argv[1]
p, i, g = map(float, sys.argv[2:5])
m = re.search(r"bytes_in=(\d+) bytes_out=(\d+).*rss_kb=(\d+)", sys.argv[5])
bin_, bout, rss = int(m.group(1)), int(m.group(2)), int(m.group(3))
print(f"== {label}")
print(f"pipeline: {bout/p/1e6:.0f} MB/s decompressed ({bin_/p/1e6:.0f} MB/s compressed), peak RSS {rss/1024:.1f} MB")
print(f"ratio pipeline / bare zlib-rs inflate = {i/p:.2f}  (goal >= 0.80)")
print(f"ratio pipeline / gzip -dc             = {g/p:.2f}")
print(f"RSS goal (< 100 MB): {'met' if rss < 100*1024 else 'MISSED'}")
PY
}
report "source: OCI layout" "$P"
if [ -n "$R" ]; then report "source: local registry (docker-registry 2.8.2 over loopback HTTP)" "$R"; fi
