#!/usr/bin/env python3
"""Deploy gate: allow an image only if its signature verifies and its SBOM passes a policy.

    python examples/ci_gate_deploy.py REGISTRY/REPO:TAG --key cosign.pub \\
        [--require-annotation KEY=VALUE ...] [--require-package NAME ...] \\
        [--deny-package NAME ...] [--deny-license LICENSE ...]

The gate:
  1. verifies the image's signature with the public key (and required annotations); the
     signed manifest digest is what gets deployed from then on, never the tag again;
  2. catalogs that exact digest into an SBOM and applies the package/license policy;
  3. prints ``DEPLOY <repo>@<digest>`` on success.

Verified in-toto attestations (``verify_attestation``) are not offered by the library yet, so
the gate checks the signature and builds the SBOM itself instead of trusting an attached one.

Exit codes: 0 deploy, 1 refused (signature or policy), 2 error.
"""

from __future__ import annotations

import argparse
import sys

import chainseal


def pinned(image: str, digest: str) -> str:
    """``repo@digest`` for an image reference (tag dropped), or the layout with its digest."""
    if image.startswith("oci-dir:"):
        return image.split("@", 1)[0]
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    if ":" in last:
        last = last.split(":", 1)[0]
    return f"{head}/{last}@{digest}" if head else f"{last}@{digest}"


def policy_violations(sbom: chainseal.Sbom, require: list[str], deny: list[str], deny_licenses: list[str]) -> list[str]:
    """Why the SBOM fails the policy (empty: it passes)."""
    names = {c.name for c in sbom.components}
    problems = [f"required package {p} is missing" for p in require if p not in names]
    for c in sbom.components:
        if c.name in deny:
            problems.append(f"denied package {c.name} {c.version} is present")
        for lic in c.licenses:
            if any(d.lower() in lic.lower() for d in deny_licenses):
                problems.append(f"{c.name} {c.version} is licensed {lic}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("image")
    parser.add_argument("--key", required=True, help="public key (cosign.pub) the image must be signed with")
    parser.add_argument("--require-annotation", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--require-package", action="append", default=[], metavar="NAME")
    parser.add_argument("--deny-package", action="append", default=[], metavar="NAME")
    parser.add_argument("--deny-license", action="append", default=[], metavar="LICENSE")
    args = parser.parse_args(argv)
    annotations = dict(a.split("=", 1) for a in args.require_annotation if "=" in a)

    try:
        verified = chainseal.verify(args.image, key=args.key, annotations=annotations)
    except chainseal.VerificationError as e:
        print(f"refused: signature check failed: {e}", file=sys.stderr)
        for reason in e.reasons:
            print(f"  - {reason}", file=sys.stderr)
        return 1
    except chainseal.ChainsealError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    target = pinned(args.image, verified.digest)
    print(f"signature: verified {verified.digest} ({len(verified.verified)} signature(s))")

    try:
        sbom = chainseal.sbom(target)
    except chainseal.ChainsealError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    problems = policy_violations(sbom, args.require_package, args.deny_package, args.deny_license)
    if problems:
        print("refused: policy:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print(f"policy: {len(sbom.components)} components checked, no violations")
    print(f"DEPLOY {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
