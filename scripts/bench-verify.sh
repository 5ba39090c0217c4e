#!/usr/bin/env bash
# Benchmark (not a test) for issue 5: in-process keyless bundle verification rate, and the
# whole offline conformance run (driver.py -j 1) of chainseal against sigstore-python 4.5.1
# (--offline, same cases), printed as a time ratio with both pass counts.
#
# Env: CHAINSEAL_CONFORMANCE (conformance assets; default ../shared/conformance from the repo
# root), CHAINSEAL_BIN (chainseal binary; default: built here in release mode),
# SIGSTORE_VENV (default ~/.cache/chainseal/tools/venv), CARGO_TARGET_DIR.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
CONF=${CHAINSEAL_CONFORMANCE:-$root/../shared/conformance}
CONF=$(cd "$CONF" && pwd)
export CHAINSEAL_CONFORMANCE=$CONF
VENV=${SIGSTORE_VENV:-$HOME/.cache/chainseal/tools/venv}
target=${CARGO_TARGET_DIR:-$root/target}

echo "== 1. in-process verification (cargo bench -p chainseal-sign --bench verify_bundle)"
bench_all=$(cargo bench -q -p chainseal-sign --bench verify_bundle 2>&1 | tee /dev/stderr || true)
bench_out=$(echo "$bench_all" | grep '^verify_bundle:' || true)
floor_out=$(echo "$bench_all" | grep '^crypto floor:' || true)

if [ -z "${CHAINSEAL_BIN:-}" ]; then
    cargo build -q --release -p chainseal-cli
    CHAINSEAL_BIN=$target/release/chainseal
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The conformance CLI protocol (verify-bundle) translated into sigstore-python's CLI, offline.
cat > "$tmp/sigstore-python-client" <<'PY'
#!/usr/bin/env python3
"""verify-bundle [--staging] --bundle B (--certificate-identity I --certificate-oidc-issuer O | --key K)
[--trusted-root R] INPUT  ->  python -m sigstore [--trust-config T] verify identity --offline ..."""
import json, os, sys, tempfile
args = sys.argv[1:]
if not args or args[0] != "verify-bundle":
    sys.exit("only verify-bundle is supported")
args = args[1:]
cmd = [sys.executable, "-m", "sigstore"]
if "--staging" in args:
    args.remove("--staging")
    cmd.append("--staging")
if "--trusted-root" in args:
    i = args.index("--trusted-root")
    root = json.load(open(args[i + 1]))
    del args[i:i + 2]
    svc = {"url": "https://unused.invalid", "majorApiVersion": 1, "operator": "",
           "validFor": {"start": "1970-01-01T00:00:00Z"}}
    cfg = {"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
           "trustedRoot": root,
           "signingConfig": {"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
                             "caUrls": [svc], "oidcUrls": [], "rekorTlogUrls": [svc], "tsaUrls": [],
                             "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ANY"}}}
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(cfg, f)
    cmd += ["--trust-config", path]
rename = {"--certificate-identity": "--cert-identity", "--certificate-oidc-issuer": "--cert-oidc-issuer"}
cmd += ["verify", "identity", "--offline"] + [rename.get(a, a) for a in args]
# No --key support in `verify identity`: argparse rejects those cases (the known 4 failures).
import subprocess
rc = subprocess.run(cmd).returncode
if "--trust-config" in cmd:
    os.unlink(cmd[cmd.index("--trust-config") + 1])
sys.exit(rc)
PY
sed -i "1s|.*|#!$VENV/bin/python|" "$tmp/sigstore-python-client"
chmod +x "$tmp/sigstore-python-client"

run_driver() { # name, client...
    local name=$1; shift
    local t0 t1 out
    t0=$(date +%s.%N)
    out=$(python3 "$CONF/driver.py" -j 1 --strict-crash "$CONF" "$@" 2>&1 || true)
    t1=$(date +%s.%N)
    echo "$out" | grep -E '^\[|passed' | sed "s/^/  $name: /" >&2
    echo "$(echo "$t1 - $t0" | bc) $(echo "$out" | grep -oE '^[0-9]+ passed' | tail -1 | cut -d' ' -f1)"
}

echo "== 2. whole conformance run, driver.py -j 1"
read -r cs_time cs_pass < <(run_driver chainseal "$CHAINSEAL_BIN")
read -r py_time py_pass < <(run_driver sigstore-python "$tmp/sigstore-python-client")
total=$(python3 "$CONF/driver.py" --list "$CONF" x | tail -1 | cut -d' ' -f1)

echo "== results"
echo "in-process: ${bench_out#verify_bundle: }"
echo "${floor_out}"
printf 'conformance: chainseal %.1f s (%s/%s passed), sigstore-python %.1f s (%s/%s passed)\n' \
    "$cs_time" "$cs_pass" "$total" "$py_time" "$py_pass" "$total"
printf 'conformance time ratio sigstore-python/chainseal: %.1fx\n' "$(echo "$py_time / $cs_time" | bc -l)"
