"""Shared by the SBOM comparison scripts: run a tool with time and peak memory, and reduce a
CycloneDX JSON document to comparable package keys.

A key is (purl type, name, version) taken from the purl, percent-decoded, with the name
normalised per ecosystem so that two tools (or a tool and a package manager) that name the
same package differently still match:
  pypi    PEP 503: lower case, runs of '-', '_', '.' become '-'
  npm     '@scope/name'
  golang  the full module path ('namespace/name'); the stdlib package's version loses a
          leading 'go' (syft writes 'go1.22.1' as the version and '1.22.1' in the purl), and
          '(devel)' (a main module built from a source tree: version unknown) compares as ''
          (both tools then report no version)
  deb     the package name (the namespace is the distro vendor)
  others  namespace/name as written
"""
import os
import re
import subprocess
import sys
import tempfile
import time
from urllib.parse import unquote


def run(cmd):
    """Run cmd, return (stdout bytes, seconds, peak RSS of the child in MiB, from wait4)."""
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
    """The name as compared for ecosystem ptype (see the module doc)."""
    if ptype == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


def norm_version(ptype, name, version):
    """The version as compared for ecosystem ptype."""
    if ptype == "golang" and name == "stdlib" and version.startswith("go"):
        return version[2:]
    if ptype == "golang" and version == "(devel)":
        return ""  # Go's "no version known" for a main module built from a source tree
    return version


def key(ptype, name, version):
    """The comparison key of a package known by ecosystem, name and version."""
    return (ptype, norm_name(ptype, name), norm_version(ptype, name, version))


def purl_key(purl):
    """(type, name, version) of a purl string, or None if it is not a purl."""
    if not purl or not purl.startswith("pkg:"):
        return None
    body = purl[4:].split("#", 1)[0].split("?", 1)[0]
    version = ""
    if "@" in body:
        body, version = body.rsplit("@", 1)
    parts = [unquote(p) for p in body.strip("/").split("/")]
    if len(parts) < 2:
        return None
    ptype, namespace, name = parts[0].lower(), parts[1:-1], parts[-1]
    if ptype == "deb" or ptype == "rpm" or ptype == "apk":
        full = name
    else:
        full = "/".join(namespace + [name])
    return key(ptype, full, unquote(version))


def components(doc):
    """Every component of a CycloneDX document, nested ones included."""
    todo = list(doc.get("components", []))
    while todo:
        c = todo.pop()
        todo += c.get("components", [])
        yield c


def keyset(doc, skip_types=("oci",)):
    """The set of package keys of a CycloneDX document (components without a purl ignored)."""
    keys = set()
    for c in components(doc):
        k = purl_key(c.get("purl"))
        if k is not None and k[0] not in skip_types:
            keys.add(k)
    return keys
