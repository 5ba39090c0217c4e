#!/usr/bin/env bash
# Side-by-side of one CI pipeline step (SBOM of an OCI image + offline Sigstore bundle
# verification) written with sigstore-python + cyclonedx-python-lib and with chainseal.
# Runs each variant N times (default 5) with its own venv's python, counts non-blank,
# non-comment lines (docstrings count as comments), and prints a table. Not a test.
#
#   scripts/side-by-side.sh [N]
#
# Needs $CHAINSEAL_TOOLS/venv (scripts/install-peers.sh) and $CHAINSEAL_TOOLS/venv-python-bindings
# (scripts/test-python.sh). Offline: no keyless signing, no registry.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=${CHAINSEAL_TOOLS:-$HOME/.cache/chainseal/tools}
N=${1:-5}
CONF=${CHAINSEAL_CONFORMANCE:-/work/shared/conformance/bundle-verify}
CASE=$CONF/happy-path-v0.3
IDENTITY=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
ISSUER=https://token.actions.githubusercontent.com
PY_SIGSTORE=$TOOLS/venv/bin/python
PY_CHAINSEAL=$TOOLS/venv-python-bindings/bin/python
for py in "$PY_SIGSTORE" "$PY_CHAINSEAL"; do
    [ -x "$py" ] || { echo "side-by-side: $py missing (run scripts/install-peers.sh / scripts/test-python.sh)" >&2; exit 2; }
done
"$PY_SIGSTORE" -c 'import sigstore, cyclonedx' || { echo "side-by-side: sigstore/cyclonedx missing in $TOOLS/venv" >&2; exit 2; }
"$PY_CHAINSEAL" -c 'import chainseal' || { echo "side-by-side: chainseal not installed; run scripts/test-python.sh" >&2; exit 2; }
[ -f "$CASE/bundle.sigstore.json" ] || { echo "side-by-side: $CASE missing; set CHAINSEAL_CONFORMANCE" >&2; exit 2; }
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT

"$PY_SIGSTORE" - "$ROOT" "$N" "$OUT" "$CASE" "$CONF/a.txt" "$IDENTITY" "$ISSUER" "$PY_SIGSTORE" "$PY_CHAINSEAL" <<'PY'
import io, json, statistics, subprocess, sys, time, tokenize
root, n, out, case, artifact, identity, issuer, py_s, py_c = sys.argv[1:]
def loc(path):
    """Non-blank lines that are not only a comment or part of a docstring."""
    src = open(path).read()
    code = set()
    prev = tokenize.NEWLINE
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.STRING and prev in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL):
            prev = tok.type; continue  # a docstring / bare string statement
        if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            code.update(range(tok.start[0], tok.end[0] + 1))
        if tok.type not in (tokenize.COMMENT, tokenize.NL):
            prev = tok.type
    return len(code)
rows = []
for name, py, script in [("sigstore-python + cyclonedx-python-lib", py_s, "with_sigstore_python.py"),
                         ("chainseal", py_c, "with_chainseal.py")]:
    path = f"{root}/scripts/side_by_side/{script}"
    bom = f"{out}/{script}.cdx.json"
    args = [py, path, f"{root}/testdata/images/example", f"{case}/bundle.sigstore.json", artifact, identity, issuer, bom]
    times = []
    for _ in range(int(n)):
        t = time.perf_counter()
        p = subprocess.run(args, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if p.returncode != 0:
            sys.exit(f"side-by-side: {script} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    doc = json.load(open(bom))
    purls = sorted(c.get("purl") or c["name"] for c in doc["components"])
    rows.append((name, script, loc(path), statistics.median(times), len(purls), doc["specVersion"]))
base = rows[1]
print(f"runs per variant: {n}; wall time = whole process (interpreter start, imports, SBOM, verify)")
print(f"| variant | file | lines | median wall time | components (CycloneDX {base[5]}) | lines ratio | time ratio |")
print("|---|---|---:|---:|---:|---:|---:|")
for name, script, l, t, c, _ in rows:
    print(f"| {name} | scripts/side_by_side/{script} | {l} | {t*1000:.0f} ms | {c} | {l/base[2]:.1f}x | {t/base[3]:.1f}x |")
PY
