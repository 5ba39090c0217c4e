#!/usr/bin/env bash
# Regenerate testdata/images from testdata/rootfs (deterministic, idempotent, ~1 s).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/make-testdata.py testdata/images
