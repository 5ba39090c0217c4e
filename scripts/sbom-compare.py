#!/usr/bin/env python3
"""Compare chainseal's SBOM with syft's on the same SOURCE.

Usage: scripts/sbom-compare.py SOURCE [SOURCE...]
  SOURCE: dir:PATH or oci-dir:PATH (passed to both tools as is)
Env: CHAINSEAL_BIN (default target/release/chainseal), SYFT (default ~/.cache/chainseal/tools/bin/syft).

For each source prints recall and precision of chainseal's (purl type, name, version) set
against syft's (syft taken as the reference; names normalised per ecosystem by
scripts/sbomkeys.py), the differences, and wall time and peak memory (max RSS of the child,
from wait4) of both tools with their ratios. Not a test: a benchmark (scripts/sbom-accuracy.sh
scores both tools against package-manager truth instead).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sbomkeys import keyset, run  # noqa: E402  (shared with sbom-accuracy.py)


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
