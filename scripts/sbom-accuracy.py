#!/usr/bin/env python3
"""Score chainseal's and syft's SBOMs of an accuracy image against package-manager truth.

Usage: scripts/sbom-accuracy.py IMAGE_LAYOUT TRUTH_JSON [--min 0.99] [--keep DIR]
  IMAGE_LAYOUT, TRUTH_JSON: written by scripts/make-accuracy-images.py
Env: CHAINSEAL_BIN (default target/release/chainseal), SYFT (default ~/.cache/chainseal/tools/bin/syft).

Per ecosystem (deb, pypi, npm, cargo, golang): recall = share of the truth's packages the tool
reports, precision = share of the tool's packages of that purl type that are in the truth;
a package is its (purl type, normalised name, version) key (scripts/sbomkeys.py). Both tools
side by side, then chainseal's misses and extras. Exit 1 if chainseal is under --min on
either measure in any ecosystem (syft is reported, never judged).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sbomkeys import key, keyset, run  # noqa: E402

ECOSYSTEMS = ["deb", "pypi", "npm", "cargo", "golang"]


def score(found, truth):
    """{eco: (recall, precision, misses, extras)} of the found keys against the truth keys."""
    out = {}
    for eco in ECOSYSTEMS:
        t = {k for k in truth if k[0] == eco}
        f = {k for k in found if k[0] == eco}
        hit = t & f
        recall = len(hit) / len(t) if t else 1.0
        precision = len(hit) / len(f) if f else (1.0 if not t else 0.0)
        out[eco] = (recall, precision, sorted(t - f), sorted(f - t), len(t), len(f))
    return out


def main():
    args = sys.argv[1:]
    minimum, keep = 0.99, None
    if "--min" in args:
        i = args.index("--min")
        minimum = float(args[i + 1])
        del args[i:i + 2]
    if "--keep" in args:
        i = args.index("--keep")
        keep = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    layout, truth_path = args
    chainseal = os.environ.get("CHAINSEAL_BIN", "target/release/chainseal")
    syft = os.environ.get("SYFT", os.path.expanduser("~/.cache/chainseal/tools/bin/syft"))
    os.environ["SYFT_CHECK_FOR_APP_UPDATE"] = "false"
    with open(truth_path) as f:
        truth_rows = json.load(f)
    truth = {key(eco, row[0], row[1]) for eco, rows in truth_rows.items() for row in rows}

    source = f"oci-dir:{layout}"
    c_out, c_t, c_m = run([chainseal, "-q", "sbom", source, "-o", "cyclonedx-json"])
    s_out, s_t, s_m = run([syft, "scan", source, "-q", "-o", "cyclonedx-json"])
    if keep:
        os.makedirs(keep, exist_ok=True)
        open(os.path.join(keep, "chainseal.cdx.json"), "wb").write(c_out)
        open(os.path.join(keep, "syft.cdx.json"), "wb").write(s_out)
    c_keys, s_keys = keyset(json.loads(c_out)), keyset(json.loads(s_out))
    mine, ref = score(c_keys, truth), score(s_keys, truth)

    print(f"SBOM accuracy on {layout} (truth from dpkg-query, pip, npm query, cargo tree, go version -m)")
    print(f"  {'ecosystem':<9} {'truth':>5} | {'chainseal: found recall precision':>34} | "
          f"{'syft: found recall precision':>29}")
    failed = []
    for eco in ECOSYSTEMS:
        cr, cp, _, _, n, cf = mine[eco]
        sr, sp, _, _, _, sf = ref[eco]
        print(f"  {eco:<9} {n:>5} | {cf:>16} {cr:>7.3f} {cp:>9.3f} | {sf:>11} {sr:>7.3f} {sp:>9.3f}")
        if cr < minimum or cp < minimum:
            failed.append(eco)
    other = [sorted({k[0] for k in keys if k[0] not in ECOSYSTEMS}) for keys in (c_keys, s_keys)]
    print(f"  not scored (no truth): chainseal {other[0] or 'none'}, syft {other[1] or 'none'}")
    print(f"  time chainseal {c_t:.2f}s, syft {s_t:.2f}s; peak RSS chainseal {c_m:.0f} MiB, syft {s_m:.0f} MiB")
    for name, result in (("chainseal", mine), ("syft", ref)):
        for eco in ECOSYSTEMS:
            _, _, misses, extras, _, _ = result[eco]
            for k in misses[:15]:
                print(f"  {name} misses  {k}")
            for k in extras[:15]:
                print(f"  {name} extra   {k}")
            if len(misses) > 15 or len(extras) > 15:
                print(f"  {name} {eco}: {len(misses)} misses, {len(extras)} extras in all")
    if failed:
        print(f"sbom-accuracy: chainseal under {minimum} recall or precision in: {', '.join(failed)}",
              file=sys.stderr)
        sys.exit(1)
    print(f"sbom-accuracy: chainseal at or above {minimum} recall and precision in every ecosystem")


if __name__ == "__main__":
    main()
