"""Pipeline step with sigstore-python + cyclonedx-python-lib (see docs/python-side-by-side.md).

    python with_sigstore_python.py OCI_LAYOUT_DIR BUNDLE ARTIFACT IDENTITY ISSUER OUT.cdx.json

1. SBOM: read the OCI layout, flatten its layers (whiteouts included), parse dpkg status,
   dist-info METADATA and package.json, write a CycloneDX 1.6 BOM.
2. Verify a Sigstore bundle offline against the production trusted root and an identity policy.
"""
import gzip
import io
import json
import posixpath
import sys
import tarfile
import warnings
from email.parser import HeaderParser
from pathlib import Path

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL
from sigstore.models import Bundle
from sigstore.verify import Verifier, policy


def blob(layout: Path, digest: str) -> bytes:
    algo, hexd = digest.split(":", 1)
    return (layout / "blobs" / algo / hexd).read_bytes()


def flatten(layout: Path) -> dict[str, bytes]:
    """Apply the image's layers in order; returns path -> contents of regular files."""
    index = json.loads((layout / "index.json").read_bytes())
    manifest = json.loads(blob(layout, index["manifests"][0]["digest"]))
    files: dict[str, bytes] = {}
    links: dict[str, str] = {}
    for layer in manifest["layers"]:
        data = blob(layout, layer["digest"])
        if layer["mediaType"].endswith("gzip"):
            data = gzip.decompress(data)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for m in tar.getmembers():
                path = posixpath.normpath(m.name.lstrip("./"))
                d, base = posixpath.split(path)
                if base == ".wh..wh..opq":
                    for p in [p for p in files if p.startswith(d + "/")]:
                        del files[p]
                elif base.startswith(".wh."):
                    gone = posixpath.join(d, base[4:])
                    for p in [p for p in files if p == gone or p.startswith(gone + "/")]:
                        del files[p]
                elif m.isfile():
                    f = tar.extractfile(m)
                    files[path] = f.read() if f else b""
                elif m.issym():
                    links[path] = posixpath.normpath(posixpath.join(d, m.linkname))
    for link, target in links.items():
        if target in files:
            files.setdefault(link, files[target])
    return files


def components(files: dict[str, bytes]) -> list[Component]:
    lic = LicenseFactory()
    out: list[Component] = []
    if "etc/os-release" in files:
        osr = dict(l.split("=", 1) for l in files["etc/os-release"].decode().splitlines() if "=" in l)
        out.append(Component(name=osr.get("ID", "").strip('"'), version=osr.get("VERSION_ID", "").strip('"'),
                             type=ComponentType.OPERATING_SYSTEM))
    distro = f"{out[0].name}-{out[0].version}" if out else None
    for para in files.get("var/lib/dpkg/status", b"").decode().split("\n\n"):
        fields = dict(l.split(": ", 1) for l in para.splitlines() if ": " in l and not l.startswith(" "))
        if fields.get("Status", "").endswith(" installed") and "Package" in fields:
            quals = {"arch": fields.get("Architecture", ""), "distro": distro or ""}
            if "Source" in fields:
                quals["upstream"] = fields["Source"].split(" ")[0]
            purl = PackageURL("deb", (distro or "debian").split("-")[0], fields["Package"], fields["Version"], quals)
            out.append(Component(name=fields["Package"], version=fields["Version"], purl=purl,
                                 bom_ref=purl.to_string(), type=ComponentType.LIBRARY))
    for path, data in sorted(files.items()):
        if path.endswith(".dist-info/METADATA"):
            meta = HeaderParser().parsestr(data.decode("utf-8", "replace"))
            purl = PackageURL("pypi", None, meta["Name"].lower(), meta["Version"])
            out.append(Component(name=meta["Name"], version=meta["Version"], purl=purl, bom_ref=purl.to_string(),
                                 licenses=[lic.make_from_string(meta["License"])] if meta["License"] else []))
        elif posixpath.basename(path) == "package.json":
            pkg = json.loads(data)
            if "name" in pkg and "version" in pkg:
                purl = PackageURL("npm", None, pkg["name"], pkg["version"])
                out.append(Component(name=pkg["name"], version=pkg["version"], purl=purl, bom_ref=purl.to_string(),
                                     licenses=[lic.make_from_string(pkg["license"])] if "license" in pkg else []))
    return out


def main(layout: str, bundle: str, artifact: str, identity: str, issuer: str, out: str) -> int:
    # 1. SBOM
    warnings.simplefilter("ignore", UserWarning)  # "root component has no dependencies"
    bom = Bom(components=components(flatten(Path(layout))))
    bom.metadata.component = Component(name=layout, type=ComponentType.CONTAINER)
    Path(out).write_text(JsonV1Dot6(bom).output_as_string(indent=2))
    print(f"sbom: {len(bom.components)} components -> {out}")
    # 2. verify the bundle offline
    verifier = Verifier.production(offline=True)
    verifier.verify_artifact(Path(artifact).read_bytes(), Bundle.from_json(Path(bundle).read_bytes()),
                             policy.Identity(identity=identity, issuer=issuer))
    print(f"verified: {identity}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:7]))
