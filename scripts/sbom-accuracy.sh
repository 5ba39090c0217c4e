#!/usr/bin/env bash
# SBOM accuracy suite: builds (or reuses) the accuracy images made by real package managers
# (scripts/make-accuracy-images.py: Debian rootfs by mmdebstrap, pip, npm, cargo auditable, go
# build, and a layer of deletions) and scores chainseal's SBOM and syft's against the package
# managers' own answers per ecosystem. Fails when chainseal is under 0.99 recall or precision
# in any ecosystem, or when a tool needed to build the images is missing.
#
#   bash scripts/sbom-accuracy.sh                   # build if needed, score
#   bash scripts/sbom-accuracy.sh --images [--bench]  # only build; print the image directory
#
# Images are cached in ~/.cache/chainseal/accuracy/<hash of the generator scripts>
# (CHAINSEAL_ACCURACY_CACHE overrides the parent), so reruns only score.
# Env: CHAINSEAL_BIN (default $CARGO_TARGET_DIR/release/chainseal), SYFT.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${CHAINSEAL_TOOLS:-$HOME/.cache/chainseal/tools}
export PATH="$TOOLS/bin:$PATH"

images_only=0 bench=0
for a in "$@"; do
    case $a in
        --images) images_only=1 ;;
        --bench) bench=1 ;;
        *) echo "usage: sbom-accuracy.sh [--images [--bench]]" >&2; exit 2 ;;
    esac
done

hash=$(cat scripts/make-accuracy-images.py scripts/make-testdata.py | sha256sum | cut -c1-16)
CACHE=${CHAINSEAL_ACCURACY_CACHE:-$HOME/.cache/chainseal/accuracy}/$hash
marker=$CACHE/.complete
[ "$bench" = 1 ] && marker=$CACHE/.complete-bench
if [ ! -f "$marker" ]; then
    flags=()
    [ "$bench" = 1 ] && flags=(--bench)
    tmp="$CACHE.tmp.$$"
    rm -rf "$tmp"
    echo "sbom-accuracy: building the accuracy images into $CACHE (cached by script hash)" >&2
    python3 scripts/make-accuracy-images.py "$tmp" "${flags[@]}" >&2
    touch "$tmp/.complete"
    [ "$bench" = 1 ] && touch "$tmp/.complete-bench"
    rm -rf "$CACHE"
    mv "$tmp" "$CACHE"
fi
if [ "$images_only" = 1 ]; then
    echo "$CACHE"
    exit 0
fi

export CHAINSEAL_BIN=${CHAINSEAL_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/chainseal}
[ -x "$CHAINSEAL_BIN" ] || { echo "sbom-accuracy: no chainseal binary at $CHAINSEAL_BIN (cargo build --release -p chainseal-cli)" >&2; exit 2; }
command -v syft >/dev/null || { echo "sbom-accuracy: syft missing (bash scripts/install-peers.sh)" >&2; exit 2; }
python3 scripts/sbom-accuracy.py "$CACHE/accuracy" "$CACHE/truth.json" --min 0.99
