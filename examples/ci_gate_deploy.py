#!/usr/bin/env python3
"""Deploy gate: allow an image only if its signature and its SBOM attestation verify and the
attested SBOM passes a policy.

    python examples/ci_gate_deploy.py REGISTRY/REPO:TAG --key cosign.pub \\
        [--require-annotation KEY=VALUE ...] [--require-package NAME ...] \\
        [--deny-package NAME ...] [--deny-license LICENSE ...]

The gate:
  1. verifies the image's signature with the public key (and required annotations); the
     signed manifest digest is what gets deployed from then on, never the tag again;
  2. verifies the CycloneDX SBOM attestation of that digest with the same key, enforcing an
     attestation policy (the SBOM predicate is required; denied licenses are policy rules);
  3. checks required/denied packages against the *verified* SBOM (never an unsigned one);
  4. prints ``DEPLOY <repo>@<digest>`` on success.

Exit codes: 0 deploy, 1 refused (signature, attestation or policy), 2 error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import chainseal


def pinned(image: str, digest: str) -> str:
    """``repo@digest`` for an image reference (tag dropped); layouts are returned as given."""
    if image.startswith("oci-dir:"):
        return image
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    last = last.split(":", 1)[0]
    return f"{head}/{last}@{digest}" if head else f"{last}@{digest}"


def attestation_policy(deny_licenses: list[str]) -> dict[str, Any]:
    """The attestation policy: an SBOM must be attested; no component may carry a denied license."""
    rules = [
        {
            "name": f"no-{lic}",
            "predicateType": "cyclonedx",
            "path": "/components/*/licenses/*/license/id",
            "notContains": lic,
        }
        for lic in deny_licenses
    ]
    return {"version": 1, "predicateTypes": ["cyclonedx"], "rules": rules}


def package_violations(bom: dict[str, Any], require: list[str], deny: list[str]) -> list[str]:
    """Why the verified CycloneDX document fails the package policy (empty: it passes)."""
    components = bom.get("components", [])
    names = {c.get("name") for c in components}
    problems = [f"required package {p} is missing" for p in require if p not in names]
    problems += [f"denied package {c.get('name')} {c.get('version', '')} is present" for c in components if c.get("name") in deny]
    return problems


def refuse(what: str, reasons: list[str]) -> int:
    print(f"refused: {what}", file=sys.stderr)
    for r in reasons:
        print(f"  - {r}", file=sys.stderr)
    return 1


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
        signed = chainseal.verify(args.image, key=args.key, annotations=annotations)
        target = pinned(args.image, signed.digest)
        print(f"signature: verified {signed.digest} ({len(signed.verified)} signature(s))")
        attested = chainseal.verify_attestation(
            target, key=args.key, predicate_type="cyclonedx", policy=attestation_policy(args.deny_license)
        )
    except chainseal.VerificationError as e:
        what = "signature" if "signature" in str(e) and "attestation" not in str(e) else "attestation/policy"
        return refuse(f"{what} check failed: {e}", e.reasons)
    except chainseal.ChainsealError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if attested.digest != signed.digest:
        return refuse("attestation names another digest", [attested.digest])
    print(f"attestation: {len(attested.statements)} verified SBOM attestation(s), policy passed")

    problems: list[str] = []
    for statement in attested.statements:
        problems += package_violations(statement["predicate"], args.require_package, args.deny_package)
    if problems:
        return refuse("policy: package rules failed", sorted(set(problems)))
    print(f"DEPLOY {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
