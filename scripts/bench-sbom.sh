#!/usr/bin/env bash
# SBOM speed benchmark (not a test): chainseal vs syft on the same images in the same run,
# wall time and peak RSS from /usr/bin/time, and the chainseal/syft ratios (goal: <= 0.2).
#
#   bash scripts/bench-sbom.sh
#
# Images (built once by scripts/make-accuracy-images.py --bench, cached like the accuracy
# suite's): `accuracy` (the small one: Debian rootfs + pip + npm + cargo + go + deletions) and
# `bench-large` (about 1 GB uncompressed: the same layers, many more pip and npm packages, and
# the Go toolchain tree as padding of real files). Both tools write CycloneDX JSON to a file.
# Env: RUNS (default 3; the median is shown), CHAINSEAL_BIN, SYFT.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${CHAINSEAL_TOOLS:-$HOME/.cache/chainseal/tools}
export PATH="$TOOLS/bin:$PATH"
export SYFT_CHECK_FOR_APP_UPDATE=false
RUNS=${RUNS:-3}
CHAINSEAL_BIN=${CHAINSEAL_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/chainseal}
SYFT=${SYFT:-$TOOLS/bin/syft}
[ -x /usr/bin/time ] || { echo "bench-sbom: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
[ -x "$CHAINSEAL_BIN" ] || { echo "bench-sbom: no chainseal at $CHAINSEAL_BIN (cargo build --release -p chainseal-cli)" >&2; exit 2; }
[ -x "$SYFT" ] || { echo "bench-sbom: no syft at $SYFT (bash scripts/install-peers.sh)" >&2; exit 2; }

dir=$(bash scripts/sbom-accuracy.sh --images --bench)
out=$(mktemp -d "${TMPDIR:-/tmp}/bench-sbom.XXXXXX")
trap 'rm -rf "$out"' EXIT

median() { sort -n | sed -n "$(((RUNS + 1) / 2))p"; }

# measure NAME CMD...: RUNS runs; prints "median_wall_s peak_rss_mib median_cpu_s" (RSS: the
# largest run; CPU: user + system, which a loaded machine disturbs less than wall time)
measure() {
    local name=$1; shift
    local times=() cpus=() rss=0 i
    for ((i = 0; i < RUNS; i++)); do
        /usr/bin/time -f '%e %M %U %S' -o "$out/$name.time" "$@" > "$out/$name.json" 2> "$out/$name.err" \
            || { echo "bench-sbom: $name failed:" >&2; tail -n 20 "$out/$name.err" >&2; exit 1; }
        read -r t m u s < <(tail -n 1 "$out/$name.time")
        times+=("$t")
        cpus+=("$(python3 -c "print(f'{$u + $s:.2f}')")")
        [ "$m" -gt "$rss" ] && rss=$m
    done
    printf '%s %s %s\n' "$(printf '%s\n' "${times[@]}" | median)" "$((rss / 1024))" "$(printf '%s\n' "${cpus[@]}" | median)"
}

echo "$("$CHAINSEAL_BIN" --version 2>/dev/null | head -n 1) vs syft $(sed -n 's/^SYFT=//p' scripts/install-peers.sh) (install-peers pin)"
echo "$RUNS runs each, median wall and CPU (user+sys) time, largest peak RSS; $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-12s %8s %7s | %11s %6s %5s | %7s %6s %5s | %7s %6s %6s\n' image uncompMB entries \
    "chainseal s" "cpu s" "MiB" "syft s" "cpu s" "MiB" "time x" "cpu x" "RSS x"
for img in accuracy bench-large; do
    layout="$dir/$img"
    read -r c_t c_m c_c < <(measure chainseal "$CHAINSEAL_BIN" -q sbom "oci-dir:$layout" -o cyclonedx-json)
    read -r s_t s_m s_c < <(measure syft "$SYFT" scan "oci-dir:$layout" -q -o cyclonedx-json)
    read -r mb entries < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))[sys.argv[2]]; print(s["uncompressed"]//1000000, s["entries"])' "$dir/sizes.json" "$img")
    c_n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("components",[])))' "$out/chainseal.json")
    s_n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("components",[])))' "$out/syft.json")
    printf '%-12s %8s %7s | %11s %6s %5s | %7s %6s %5s | %7s %6s %6s\n' "$img" "$mb" "$entries" \
        "$c_t" "$c_c" "$c_m" "$s_t" "$s_c" "$s_m" "$(python3 -c "print(f'{$c_t/$s_t:.3f}')")" \
        "$(python3 -c "print(f'{$c_c/$s_c:.3f}')")" "$(python3 -c "print(f'{$c_m/$s_m:.3f}')")"
    echo "             components: chainseal $c_n, syft $s_n (syft's include a 'file' component per package-owned file)"
done
echo "ratios are chainseal / syft; the goal is <= 0.200 for time and RSS"
