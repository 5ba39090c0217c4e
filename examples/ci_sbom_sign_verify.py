#!/usr/bin/env python3
"""CI pipeline step: generate an SBOM for an image, sign and attest the image, verify both.

    python examples/ci_sbom_sign_verify.py REGISTRY/REPO:TAG --out build/

What it does, in order:
  1. catalogs the image into CycloneDX 1.6 and SPDX 2.3 documents (build/sbom.cdx.json,
     build/sbom.spdx.json);
  2. creates a cosign key pair (build/cosign.key, encrypted with $CHAINSEAL_PASSWORD, and
     build/cosign.pub) unless build/cosign.key exists, in which case it is loaded;
  3. signs the image by digest, annotating the signature with the pipeline run and the SBOM's
     SHA-256, as a cosign v3 bundle referrer;
  4. attests the CycloneDX SBOM to the exact digest that was cataloged (a signed in-toto
     Statement stored as an OCI referrer, like `cosign attest --type cyclonedx`);
  5. verifies the signature and the SBOM attestation with the public key, as a deploy gate
     would (see ci_gate_deploy.py).

Exit codes: 0 ok, 1 verification failed, 2 any other error.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

import chainseal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("image", help="registry reference or oci-dir:PATH of the image to ship")
    parser.add_argument("--out", type=Path, default=Path("build"), help="directory for SBOMs and keys")
    parser.add_argument("--insecure-registry", action="append", default=[], metavar="HOST")
    args = parser.parse_args(argv)

    password = os.environ.get("CHAINSEAL_PASSWORD")
    if not password:
        print("error: set CHAINSEAL_PASSWORD (the key's password)", file=sys.stderr)
        return 2
    registry = chainseal.RegistryConfig(insecure_registries=args.insecure_registry)
    args.out.mkdir(parents=True, exist_ok=True)

    try:
        # 1. SBOM
        sbom = chainseal.sbom(args.image, formats=["cyclonedx-json", "spdx-json"], registry=registry)
        cdx = sbom.to_bytes("cyclonedx-json")
        (args.out / "sbom.cdx.json").write_bytes(cdx)
        (args.out / "sbom.spdx.json").write_bytes(sbom.to_bytes("spdx-json"))
        print(f"sbom: {len(sbom.components)} components -> {args.out}/sbom.cdx.json, sbom.spdx.json")

        # 2. keys
        key_file = args.out / "cosign.key"
        if key_file.exists():
            key = chainseal.KeyPair.load(key_file, password)
        else:
            key = chainseal.generate_key_pair(password)
            key.save(args.out / "cosign")
        print(f"key: {key.algorithm}, public key in {args.out}/cosign.pub")

        # 3. sign, by digest, with annotations
        annotations = {
            "ci.run": os.environ.get("GITHUB_RUN_ID", os.environ.get("CI_PIPELINE_ID", "local")),
            "sbom.sha256": hashlib.sha256(cdx).hexdigest(),
        }
        signed = chainseal.sign(args.image, key=key, annotations=annotations, registry=registry)
        for s in signed["signed"]:
            print(f"signed: {s['digest']} (stored at {s['stored_at']})")

        # 4. attest the SBOM to the digest it describes
        attested = sbom.attest(key=key, format="cyclonedx-json")
        print(f"attested: {attested['predicate_type']} -> {attested['digest']} ({attested['stored_at']})")

        # 5. verify as the deploy gate will
        public = args.out / "cosign.pub"
        result = chainseal.verify(args.image, key=public, annotations=annotations, registry=registry)
        print(f"verified: {result.digest}, {len(result.verified)} signature(s)")
        att = chainseal.verify_attestation(args.image, key=public, predicate_type="cyclonedx", registry=registry)
        print(f"verified: {len(att.statements)} SBOM attestation(s) of {att.digest}")
        return 0
    except chainseal.VerificationError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except chainseal.ChainsealError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
