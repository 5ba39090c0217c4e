"""Pipeline step with chainseal (see docs/python-side-by-side.md).

    python with_chainseal.py OCI_LAYOUT_DIR BUNDLE ARTIFACT IDENTITY ISSUER OUT.cdx.json

1. SBOM: catalog the OCI layout into a CycloneDX 1.6 BOM.
2. Verify a Sigstore bundle offline against the production trusted root and an identity.
"""
import sys
from pathlib import Path

import chainseal


def main(layout: str, bundle: str, artifact: str, identity: str, issuer: str, out: str) -> int:
    # 1. SBOM
    sbom = chainseal.sbom(f"oci-dir:{layout}", ["cyclonedx-json"])
    Path(out).write_bytes(sbom.to_bytes("cyclonedx-json"))
    print(f"sbom: {len(sbom.components)} components -> {out}")
    # 2. verify the bundle offline
    result = chainseal.verify_bundle(bundle, artifact, identity=identity, issuer=issuer)
    print(f"verified: {result.identity}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:7]))
