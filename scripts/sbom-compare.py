#!/usr/bin/env python3
"""Compare chainseal's SBOM with syft's on the same SOURCE.

Usage: scripts/sbom-compare.py SOURCE [SOURCE...]
  SOURCE: dir:PATH or oci-dir:PATH (passed to both tools as is)
Env: CHAINSEAL_BIN (default target/release/chainseal), SYFT (default ~/.cache/chainseal/tools/bin/syft).

For each source prints recall and precision of chainseal's (name, version, purl type) set
against syft's (syft taken as the reference), the differences, and wall time and peak memory
(max RSS of the child, from wait4) of both tools with their ratios. Not a test: a benchmark.
"""
import json
import os
import subprocess
import sys
import tempfile
import time


def run(cmd):
    """Run cmd, return (stdout bytes, seconds, peak RSS in MiB)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        secs = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{cmd[0]} failed: {err.read().decode(errors='replace')[-2000:]}")
        return out.read(), secs, usage.ru_maxrss / 1024.0


def norm_name(ptype, name):
    if ptype == "pypi":
        return name.lower().replace("_", "-").replace(".", "-")
    return name


def keyset(doc):
    keys = set()
    todo = list(doc.get("components", []))
    while todo:
        c = todo.pop()
        todo += c.get("components", [])
        purl = c.get("purl")
        if not purl or not purl.startswith("pkg:"):
            continue
        ptype = purl[4:].split("/", 1)[0]
        if ptype == "oci":
            continue
        keys.add((norm_name(ptype, c.get("name", "")), c.get("version", ""), ptype))
    return keys


def main():
    chainseal = os.environ.get("CHAINSEAL_BIN", "target/release/chainseal")
    syft = os.environ.get("SYFT", os.path.expanduser("~/.cache/chainseal/tools/bin/syft"))
    env_note = "SYFT_CHECK_FOR_APP_UPDATE=false"
    os.environ["SYFT_CHECK_FOR_APP_UPDATE"] = "false"
    for source in sys.argv[1:]:
        c_out, c_t, c_m = run([chainseal, "-q", "sbom", source, "-o", "cyclonedx-json"])
        s_out, s_t, s_m = run([syft, "scan", source, "-q", "-o", "cyclonedx-json"])
        mine, ref = keyset(json.loads(c_out)), keyset(json.loads(s_out))
        both = mine & ref
        recall = len(both) / len(ref) if ref else 1.0
        precision = len(both) / len(mine) if mine else 1.0
        print(f"== {source}")
        print(f"  components: chainseal {len(mine)}, syft {len(ref)}, common {len(both)}")
        print(f"  recall {recall:.3f}  precision {precision:.3f}  (syft as reference)")
        for k in sorted(ref - mine)[:30]:
            print(f"    only syft:      {k}")
        for k in sorted(mine - ref)[:30]:
            print(f"    only chainseal: {k}")
        print(f"  wall   chainseal {c_t:.3f}s  syft {s_t:.3f}s  ratio {c_t / s_t:.3f}")
        print(f"  maxRSS chainseal {c_m:.1f}MiB  syft {s_m:.1f}MiB  ratio {c_m / s_m:.3f}")
    print(f"({env_note})")


if __name__ == "__main__":
    main()
