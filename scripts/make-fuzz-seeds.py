#!/usr/bin/env python3
"""Builds the committed fuzz seed corpora in fuzz/seeds/<target>/ (deterministic).

Seeds come from testdata/, the signing test vectors, the conformance suite's bundles and trusted
roots (when present) and hand-picked inputs written below. Each seed is named by the SHA-1 of its
content, as libFuzzer names corpus files; seeds over 64 KiB are skipped to keep the repo small.
Run it again after adding inputs; it only adds files.

Usage: scripts/make-fuzz-seeds.py [REPO_ROOT]
"""
import gzip
import hashlib
import io
import json
import os
import sqlite3
import struct
import sys
import tarfile
import tempfile
import zipfile

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "fuzz", "seeds")
CONFORMANCE = os.environ.get("CHAINSEAL_CONFORMANCE", os.path.join(ROOT, "..", "shared", "conformance"))
MAX_SEED = 64 * 1024


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_SEED:
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def put_file(target, path):
    if os.path.isfile(path):
        with open(path, "rb") as f:
            put(target, f.read())


def blobs_of(layout):
    d = os.path.join(layout, "blobs", "sha256")
    if not os.path.isdir(d):
        return []
    out = []
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            out.append(f.read(MAX_SEED + 1))
    return out


def tar_bytes(entries):
    """entries: (name, type, data_or_linkname)"""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, payload in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if kind == "file":
                ti.size = len(payload)
                t.addfile(ti, io.BytesIO(payload))
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            elif kind == "sym":
                ti.type = tarfile.SYMTYPE
                ti.linkname = payload
                t.addfile(ti)
            elif kind == "hard":
                ti.type = tarfile.LNKTYPE
                ti.linkname = payload
                t.addfile(ti)
    return buf.getvalue()


def gz(data):
    return gzip.compress(data, mtime=0)


def rpm_header(tags):
    """tags: list of (tag, type, value); type 6 string, 4 int32."""
    index, data = b"", b""
    for tag, ty, value in tags:
        if ty == 6:
            off, blob = len(data), value.encode() + b"\0"
            count = 1
        else:
            while len(data) % 4:
                data += b"\0"
            off, blob, count = len(data), struct.pack(">I", value), 1
        index += struct.pack(">iIII", tag, ty, off, count)
        data += blob
    return struct.pack(">II", len(tags), len(data)) + index + data


def rpmdb(headers):
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "rpmdb.sqlite")
        c = sqlite3.connect(p)
        c.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
        for h in headers:
            c.execute("INSERT INTO Packages (blob) VALUES (?)", (h,))
        c.commit()
        c.close()
        with open(p, "rb") as f:
            return f.read()


def uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def go_elf(modinfo):
    """A minimal ELF64 file with a .go.buildinfo section (Go 1.18+ inline-string layout)."""
    header = b"\xff Go buildinf:" + bytes([8, 2]) + b"\0" * 16
    sentinel = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
    mod = sentinel + modinfo.encode() + bytes.fromhex("f932433186182072008242104116d8f2")
    section = header + uvarint(len("go1.22.1")) + b"go1.22.1" + uvarint(len(mod)) + mod
    shstr = b"\0.go.buildinfo\0.shstrtab\0"
    sec_off = 64
    shstr_off = sec_off + len(section)
    sh_off = shstr_off + len(shstr)
    sh_off += (8 - sh_off % 8) % 8
    ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    ehdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 0, sh_off, 0, 64, 56, 0, 64, 3, 2)
    body = ehdr + section + shstr
    body += b"\0" * (sh_off - len(body))
    sh = b"\0" * 64
    sh += struct.pack("<IIQQQQIIQQ", 1, 1, 3, 0, sec_off, len(section), 0, 0, 16, 0)
    sh += struct.pack("<IIQQQQIIQQ", 15, 3, 0, 0, shstr_off, len(shstr), 0, 0, 1, 0)
    return body + sh


def jar(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            z.writestr(zi, data)
    return buf.getvalue()


def main():
    # --- references and digests
    for r in ["alpine", "docker.io/library/alpine:3.19", "127.0.0.1:5000/a/b/c:v1",
              "localhost/x@sha256:" + "a" * 64, "ghcr.io/o/r:t@sha256:" + "0" * 64,
              "[::1]:5000/repo:tag", "oci:/tmp/layout:tag", "oci-archive:img.tar", "docker-archive:img.tar",
              "dir:.", "registry:example.invalid/x", "UPPER/case", "a" * 300, "x:" + "t" * 129]:
        put("reference", r)
    for d in ["sha256:" + "a" * 64, "sha512:" + "b" * 128, "sha256:" + "A" * 64, "sha256:", "md5:abc",
              "sha256:" + "a" * 63, "sha256+b64u:abc"]:
        put("digest", d)

    # --- manifests, layers (from the generated test images)
    images = os.path.join(ROOT, "testdata", "images")
    for name in sorted(os.listdir(images)) if os.path.isdir(images) else []:
        layout = os.path.join(images, name)
        put_file("manifest", os.path.join(layout, "index.json"))
        for blob in blobs_of(layout):
            if blob[:1] == b"{":
                put("manifest", blob)
            elif blob[:2] == b"\x1f\x8b":
                put("layer", b"\x01" + blob)
            elif blob[:4] == b"\x28\xb5\x2f\xfd":
                put("layer", b"\x02" + blob)
            else:
                put("layer", b"\x00" + blob)
    put("manifest", json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                "config": {"mediaType": "application/vnd.oci.empty.v1+json", "size": 2,
                                           "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
                                "layers": [], "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                          "size": 1, "digest": "sha256:" + "0" * 64},
                                "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json"}))
    put("manifest", '{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}')

    base = tar_bytes([("etc/", "dir", b""), ("etc/passwd", "file", b"root:x:0:0\n"),
                      ("opt/legacy/", "dir", b""), ("opt/legacy/a", "file", b"a"),
                      ("bin/sh", "sym", "/bin/busybox"), ("bin/ln", "hard", "etc/passwd")])
    upper = tar_bytes([("etc/.wh.passwd", "file", b""), ("opt/legacy/.wh..wh..opq", "file", b""),
                       ("opt/legacy/b", "file", b"b"), ("./.wh..wh..opq", "file", b""),
                       ("x/../../escape", "file", b"e"), ("/abs", "file", b"a"), ("a/.wh...", "file", b"")])
    marker = b"\0\0\0\0LAYER"
    put("layer", b"\x00" + base + marker + upper)
    put("layer", b"\x01" + gz(base) + marker + gz(upper))
    put("layer", b"\x00" + base[:700])
    put("layer", b"\x01" + gz(base)[:-9])
    put("layer_digest_mismatch", base)
    put("layer_digest_mismatch", gz(upper))

    # --- docker config and challenges
    put("docker_config", json.dumps({"auths": {"127.0.0.1:5000": {"auth": "dXNlcjpwYXNz"},
                                               "https://index.docker.io/v1/": {"identitytoken": "tok"}}}))
    put("docker_config", json.dumps({"auths": {"ghcr.io": {"username": "u", "password": "p"}},
                                     "credHelpers": {"example.invalid": "none"}, "credsStore": "desktop"}))
    put("docker_config", '{"auths":{"127.0.0.1:5000":{"auth":"!!"}}}')
    for c in ['Bearer realm="https://auth.example.invalid/token",service="registry",scope="repository:a/b:pull"',
              'Basic realm="x"', 'Bearer realm="a\\"b",error="insufficient_scope"', 'Bearer ', 'Negotiate']:
        put("www_authenticate", c)

    # --- keys
    keys = os.path.join(ROOT, "crates", "sign", "tests", "data", "cosign")
    for name in sorted(os.listdir(keys)) if os.path.isdir(keys) else []:
        if name.endswith(".key") or name.endswith(".pub"):
            put_file("key_file", os.path.join(keys, name))
    put("key_file", "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEdNFRLnp15d3eTwGamb2IbvEGSrl0\n"
                    "bbo3Lrb4yNdknTCIxO65oWGSnXWEqwU0C9JWjls0Gq9yDIiqxmKLFGLh0w==\n-----END PUBLIC KEY-----\n")
    put("key_file", "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")

    # --- scrypt: [log_n byte, r/p byte, length byte, password length, password + salt]
    put("scrypt", b"\x03\x07\x1f\x04pass salt")
    put("scrypt", b"\x08\x03\x3f\x00")
    put("scrypt", b"\x0f\x00\x1f\x08password" + bytes(32))

    # --- DSSE, in-toto, simple signing
    import base64
    st = {"_type": "https://in-toto.io/Statement/v1",
          "subject": [{"name": "img", "digest": {"sha256": "a" * 64}}],
          "predicateType": "https://cyclonedx.org/bom", "predicate": {"bomFormat": "CycloneDX"}}
    put("intoto", json.dumps(st))
    put("intoto", json.dumps(dict(st, _type="https://in-toto.io/Statement/v0.1")))
    put("intoto", '{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x"}')
    env = {"payloadType": "application/vnd.in-toto+json",
           "payload": base64.b64encode(json.dumps(st).encode()).decode(),
           "signatures": [{"keyid": "", "sig": base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()}]}
    put("dsse", json.dumps(env))
    put("dsse", json.dumps(dict(env, signatures=[])))
    put("dsse", json.dumps(dict(env, payload="not base64!")))
    ss = {"critical": {"identity": {"docker-reference": "127.0.0.1:5000/app"},
                       "image": {"docker-manifest-digest": "sha256:" + "a" * 64}, "type": "cosign container image signature"},
          "optional": {"creator": "chainseal"}}
    put("simple_signing", json.dumps(ss))
    put("simple_signing", json.dumps({"critical": {}}))

    # --- bundles and trusted roots (conformance suite)
    bv = os.path.join(CONFORMANCE, "bundle-verify")
    for case in sorted(os.listdir(bv)) if os.path.isdir(bv) else []:
        put_file("bundle", os.path.join(bv, case, "bundle.sigstore.json"))
        put_file("trusted_root", os.path.join(bv, case, "trusted_root.json"))
    tr = os.path.join(CONFORMANCE, "trusted-roots")
    for name in sorted(os.listdir(tr)) if os.path.isdir(tr) else []:
        if "trusted_root" in name:
            put_file("trusted_root", os.path.join(tr, name))

    # --- catalogers
    rootfs = os.path.join(ROOT, "testdata", "rootfs", "example")
    sb = os.path.join(ROOT, "testdata", "sbom")
    put_file("dpkg_status", os.path.join(rootfs, "layer0", "var", "lib", "dpkg", "status"))
    for n in ["libc6", "libssl3"]:
        put_file("dpkg_status", os.path.join(sb, "distroless", "var", "lib", "dpkg", "status.d", n))
    put("dpkg_status", "Package: a\nStatus: install ok installed\nVersion: 1\n Description: x\n\nPackage:\n")
    put_file("python_metadata", os.path.join(rootfs, "layer1", "usr", "lib", "python3", "dist-packages",
                                             "requests-2.31.0.dist-info", "METADATA"))
    put_file("python_metadata", os.path.join(sb, "python", "site-packages", "attrs-23.2.0.dist-info", "METADATA"))
    put_file("python_metadata", os.path.join(sb, "bad", "hostile.dist-info", "METADATA"))
    for p in [os.path.join(rootfs, "layer1", "app", "package-lock.json"), os.path.join(sb, "npm", "v1", "package-lock.json"),
              os.path.join(sb, "npm", "v3", "package-lock.json"), os.path.join(sb, "bad", "lock", "package-lock.json")]:
        put_file("package_lock", p)
    for p in [os.path.join(sb, "npm", "yarn1", "yarn.lock"), os.path.join(sb, "npm", "berry", "yarn.lock")]:
        put_file("yarn_lock", p)
    for p in [os.path.join(rootfs, "layer1", "app", "Cargo.lock"), os.path.join(sb, "rust", "Cargo.lock"),
              os.path.join(sb, "bad", "lock", "Cargo.lock")]:
        put_file("cargo_lock", p)
    put("go_buildinfo", go_elf("path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
                               "dep\tgolang.org/x/text\tv0.14.0\th1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=\n"
                               "build\tGOOS=linux\n"))
    put("go_buildinfo", b"\x7fELF" + b"\0" * 60)
    mf = "Manifest-Version: 1.0\r\nImplementation-Title: demo\r\nImplementation-Version: 1.2.3\r\n" \
         "Bundle-SymbolicName: org.demo\r\n long-continued\r\n\r\nName: x\r\n"
    put("jar_manifest", mf)
    put("jar_manifest", "Manifest-Version: 1.0\n")
    props = "groupId=org.demo\nartifactId=demo\nversion=1.2.3\n"
    inner = jar([("META-INF/MANIFEST.MF", mf), ("META-INF/maven/org.demo/demo/pom.properties", props)])
    put("jar", inner)
    put("jar", jar([("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"), ("WEB-INF/lib/inner.jar", inner)]))
    hdr = rpm_header([(1000, 6, "bash"), (1001, 6, "5.1.8"), (1002, 6, "9.el9"), (1003, 4, 1), (1014, 6, "GPLv3+"),
                      (1022, 6, "x86_64"), (1044, 6, "bash-5.1.8-9.el9.src.rpm")])
    put("rpm_header", hdr)
    put("rpm_header", hdr[:20])
    put("rpmdb_sqlite", rpmdb([hdr, b"\0\0\0\1garbage"]))

    # --- SBOM documents: CycloneDX and SPDX written by chainseal when a binary is at hand,
    # plus hand-written minimal ones.
    put("cyclonedx", json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                                 "metadata": {"component": {"type": "container", "name": "x", "bom-ref": "x"}},
                                 "components": [{"type": "library", "name": "left-pad", "version": "1.3.0",
                                                 "purl": "pkg:npm/left-pad@1.3.0", "bom-ref": "pkg:npm/left-pad@1.3.0",
                                                 "licenses": [{"license": {"id": "MIT"}}]}],
                                 "dependencies": [{"ref": "x", "dependsOn": ["pkg:npm/left-pad@1.3.0"]}]}))
    put("spdx", json.dumps({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "x",
                            "dataLicense": "CC0-1.0", "documentNamespace": "https://example.invalid/x",
                            "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: chainseal"]},
                            "packages": [{"SPDXID": "SPDXRef-Package-a", "name": "a", "versionInfo": "1",
                                          "downloadLocation": "NOASSERTION", "licenseConcluded": "MIT",
                                          "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                                                            "referenceType": "purl",
                                                            "referenceLocator": "pkg:deb/debian/a@1"}]}],
                            "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                                               "relatedSpdxElement": "SPDXRef-Package-a"}]}))
    put("spdx", json.dumps({"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}))
    sbom_dir = os.environ.get("CHAINSEAL_SEED_SBOMS")
    if sbom_dir and os.path.isdir(sbom_dir):
        for name in sorted(os.listdir(sbom_dir)):
            put("spdx" if "spdx" in name else "cyclonedx", open(os.path.join(sbom_dir, name), "rb").read())
    print("seeds in", OUT)


if __name__ == "__main__":
    main()
