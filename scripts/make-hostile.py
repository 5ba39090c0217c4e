#!/usr/bin/env python3
"""Builds a corpus of malicious images and files into OUT_DIR (not committed: some are large).

Usage: scripts/make-hostile.py OUT_DIR [--small]

Every case is an OCI image layout directory OUT_DIR/<case>/ (some also a docker-archive
OUT_DIR/<case>.docker.tar), described in OUT_DIR/cases.json:
  {"name": ..., "source": "oci-dir:...", "expect": "error" | "sbom" | "either", "why": ...}
`expect`: "error" when chainseal must refuse the input (exit 2 with a message), "sbom" when it
must produce a correct SBOM (and `components` lists purls that must be in it, `absent` purls that
must not), "either" when both a typed error and a correct SBOM are acceptable.
Extra files (deep bundle JSON, key) go to OUT_DIR/files/.

--small shrinks the large cases (1,000 instead of 1,000,000 files, a 4 MiB instead of 100 MiB
manifest, a 64 MiB instead of 2 GiB bomb) for quick local runs.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import struct
import sys
import tarfile
import zlib

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
TAR = "application/vnd.oci.image.layer.v1.tar"
TGZ = "application/vnd.oci.image.layer.v1.tar+gzip"

DPKG = b"""Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4
Maintainer: x <x@example.invalid>
Description: base

Package: evil
Status: install ok installed
Architecture: amd64
Version: 6.6.6
Description: should have been whited out
"""
OS_RELEASE = b'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12"\n'
CASES = []


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def jdump(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


class Layout:
    def __init__(self, path):
        self.path = path
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(os.path.join(path, "blobs", "sha256"))
        with open(os.path.join(path, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')

    def blob(self, data, media_type, size=None, digest=None):
        d = sha(data)
        with open(os.path.join(self.path, "blobs", "sha256", d[7:]), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": digest or d, "size": len(data) if size is None else size}

    def blob_file(self, path, media_type):
        h = hashlib.sha256()
        n = 0
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
                n += len(chunk)
        d = "sha256:" + h.hexdigest()
        os.replace(path, os.path.join(self.path, "blobs", "sha256", d[7:]))
        return {"mediaType": media_type, "digest": d, "size": n}

    def index(self, manifests, raw=None):
        with open(os.path.join(self.path, "index.json"), "wb") as f:
            f.write(raw if raw is not None else jdump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}))


def config_for(layers, extra=None):
    cfg = {"architecture": "amd64", "os": "linux", "config": {},
           "rootfs": {"type": "layers", "diff_ids": [sha(b"") for _ in layers]}}
    cfg.update(extra or {})
    return cfg


def image(name, layers, expect, why, components=(), absent=(), docker=False, config_raw=None, manifest_extra=None):
    """layers: list of (bytes, media_type) or descriptors already written (dict)."""
    lay = Layout(os.path.join(OUT, name))
    descs = []
    for item in layers:
        descs.append(item(lay) if callable(item) else lay.blob(item[0], item[1]))
    cfg = config_raw if config_raw is not None else jdump(config_for(descs))
    cdesc = lay.blob(cfg, OCI_CONFIG)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": cdesc, "layers": descs}
    manifest.update(manifest_extra or {})
    mdesc = lay.blob(jdump(manifest), OCI_MANIFEST)
    mdesc["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    lay.index([mdesc])
    CASES.append({"name": name, "source": "oci-dir:" + lay.path, "expect": expect, "why": why,
                  "components": list(components), "absent": list(absent)})
    if docker:
        docker_archive(name, lay, manifest, cfg)
    return lay


def docker_archive(name, lay, manifest, cfg):
    """The same image as a `docker save` tar (uncompressed layers as <digest>/layer.tar)."""
    out = os.path.join(OUT, name + ".docker.tar")
    with tarfile.open(out, "w") as t:
        def add(path, data):
            ti = tarfile.TarInfo(path)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        layer_paths = []
        for d in manifest["layers"]:
            data = open(os.path.join(lay.path, "blobs", "sha256", d["digest"][7:]), "rb").read()
            if data[:2] == b"\x1f\x8b":
                try:
                    data = gzip.decompress(data)
                except Exception:
                    pass
            p = d["digest"][7:] + "/layer.tar"
            add(p, data)
            layer_paths.append(p)
        add(hashlib.sha256(cfg).hexdigest() + ".json", cfg)
        add("manifest.json", jdump([{"Config": hashlib.sha256(cfg).hexdigest() + ".json",
                                     "RepoTags": ["hostile:latest"], "Layers": layer_paths}]))
    CASES.append({"name": name + ".docker", "source": "docker-archive:" + out, "expect": "either",
                  "why": "docker-archive of " + name, "components": [], "absent": []})


def tar(entries, fmt=tarfile.GNU_FORMAT):
    """entries: (name, kind, payload); name may be bytes (written raw)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, encoding="utf-8", errors="surrogateescape") as t:
        for name, kind, payload in entries:
            if isinstance(name, bytes):
                name = name.decode("utf-8", "surrogateescape")
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            ti.mode = 0o755 if kind == "dir" else 0o644
            if kind == "file":
                ti.size = len(payload)
                t.addfile(ti, io.BytesIO(payload))
                continue
            ti.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE,
                       "fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE}[kind]
            if kind in ("sym", "hard"):
                ti.linkname = payload
            t.addfile(ti)
    return buf.getvalue()


def base_layer():
    return tar([("etc/", "dir", b""), ("etc/os-release", "file", OS_RELEASE),
                ("var/lib/dpkg/status", "file", DPKG)])


def deep_json(depth, inner='"x"', open_="[", close="]"):
    return (open_ * depth + inner + close * depth).encode()


def gzip_bomb_file(path, total):
    """gzip of a tar holding one file of `total` zero bytes, written streaming."""
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    hdr = tarfile.TarInfo("zeros")
    hdr.size = total
    with open(path, "wb") as f:
        f.write(co.compress(hdr.tobuf(format=tarfile.GNU_FORMAT)))
        chunk = b"\0" * (1 << 22)
        left = total
        while left:
            n = min(left, len(chunk))
            f.write(co.compress(chunk[:n]))
            left -= n
        f.write(co.compress(b"\0" * 1024))
        f.write(co.flush())


def many_files_layer(path, count):
    """A gzip tar of `count` empty files in one directory, written with raw headers (fast)."""
    co = zlib.compressobj(1, zlib.DEFLATED, 31)
    with open(path, "wb") as f:
        f.write(co.compress(dir_header("d/")))
        batch = []
        for i in range(count):
            batch.append(file_header("d/f%07d" % i))
            if len(batch) == 4096:
                f.write(co.compress(b"".join(batch)))
                batch = []
        batch.append(b"\0" * 1024)
        f.write(co.compress(b"".join(batch)))
        f.write(co.flush())


def _header(name, typeflag, mode):
    h = bytearray(512)
    n = name.encode()
    h[0:len(n)] = n
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"00000000000\0"
    h[136:148] = b"14621464000\0"
    h[148:156] = b"        "
    h[156:157] = typeflag
    h[257:265] = b"ustar\x0000"
    s = sum(h)
    h[148:156] = b"%06o\0 " % s
    return bytes(h)


def dir_header(name):
    return _header(name, b"5", 0o755)


def file_header(name):
    return _header(name, b"0", 0o644)


def main():
    small = "--small" in sys.argv
    files = os.path.join(OUT, "files")
    os.makedirs(files, exist_ok=True)

    # 1. tar path traversal: `../` and absolute paths; must not escape, must not confuse catalogers.
    image("tar-traversal", [(base_layer(), TAR), (tar([
        ("../../../../tmp/chainseal-escape", "file", b"escaped"),
        ("/etc/passwd", "file", b"root:x:0:0::/root:/bin/sh\n"),
        ("a/../../../b", "file", b"b"),
        ("./../var/lib/dpkg/status", "file", DPKG.replace(b"6.6.6", b"7.7.7")),
        ("../", "dir", b""),
    ]), TAR)], "either", "`../` and absolute tar paths", docker=True)

    # 2. symlink / hardlink escapes and loops.
    image("link-escapes", [(base_layer(), TAR), (tar([
        ("escape", "sym", "../../../../../../"),
        ("escape/etc/shadow-through-link", "file", b"x"),
        ("var/lib/dpkg/status", "sym", "/../../../etc/shadow"),
        ("abs", "sym", "/etc/passwd"),
        ("loop1", "sym", "loop2"), ("loop2", "sym", "loop1"), ("self", "sym", "self"),
        ("deep", "sym", "deep/deep/deep"),
        ("hard-escape", "hard", "../../../etc/passwd"),
        ("hard-missing", "hard", "no/such/file"),
        ("hard-self", "hard", "hard-self"),
        ("usr/lib/os-release", "sym", "../../etc/os-release"),
        ("etc/os-release", "sym", "../usr/lib/os-release"),
    ]), TAR)], "either", "symlink/hardlink escapes and loops (os-release loop too)", docker=True)

    # 3. whiteout tricks: `.wh.` of `..`, of the root, opaque root, nested opaque dirs.
    image("whiteout-tricks", [(base_layer(), TAR), (tar([
        (".wh...", "file", b""),
        ("etc/.wh...", "file", b""),
        (".wh..wh..opq", "file", b""),
        ("./.wh.", "file", b""),
        ("var/lib/dpkg/.wh..wh..opq", "file", b""),
        ("var/lib/dpkg/status", "file", DPKG.split(b"\n\n")[0] + b"\n"),
        ("var/lib/.wh..wh..opq", "file", b""),
        ("var/lib/dpkg/.wh..wh..opq", "file", b""),
        ("a/b/c/.wh..wh..opq", "file", b""),
        (".wh.etc/x", "file", b""),
        ("etc/.wh..wh..opq/child", "file", b"child of a whiteout"),
        (".wh..wh..plnk/123", "file", b""),
    ]), TAR)], "either", "whiteouts of `..`, of the root, opaque root, nested opaque", docker=True)

    # 4. gzip bomb: a small gzip that inflates to GiBs of zeros.
    bomb = os.path.join(OUT, "bomb.tgz.tmp")
    gzip_bomb_file(bomb, (64 << 20) if small else (2 << 30))
    image("gzip-bomb", [lambda lay: lay.blob_file(bomb, TGZ)], "error" if not small else "either",
          "gzip bomb (decompression ratio limit)")

    # 5. layer digest mismatch.
    lay_data = gzip.compress(base_layer(), mtime=0)
    def tampered(lay):
        # the file at the descriptor's digest holds other bytes (one byte flipped)
        d = lay.blob(lay_data, TGZ)
        bad = bytearray(lay_data)
        bad[len(bad) // 2] ^= 0x01
        with open(os.path.join(lay.path, "blobs", "sha256", d["digest"][7:]), "wb") as f:
            f.write(bytes(bad))
        return d
    image("digest-mismatch", [tampered], "error", "layer bytes do not match the descriptor digest")
    # 5b. descriptor size lies (smaller than the blob).
    image("size-mismatch", [lambda lay: dict(lay.blob(lay_data, TGZ), size=10)], "error",
          "layer descriptor size smaller than the blob")

    # 6. truncated layer (digest of the truncated bytes, so only the stream is broken).
    image("truncated-layer", [(lay_data[: len(lay_data) // 2], TGZ)], "error", "gzip stream cut in half")
    image("truncated-tar", [(base_layer()[:700], TAR)], "error", "tar cut inside a file")

    # 7. a 100 MB manifest.
    lay = Layout(os.path.join(OUT, "manifest-100mb"))
    cdesc = lay.blob(jdump(config_for([])), OCI_CONFIG)
    big = (4 << 20) + 16 if small else 100 << 20
    mbytes = jdump({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": cdesc, "layers": [],
                    "annotations": {"pad": "A" * big}})
    mdesc = lay.blob(mbytes, OCI_MANIFEST)
    lay.index([mdesc])
    CASES.append({"name": "manifest-100mb", "source": "oci-dir:" + lay.path, "expect": "error",
                  "why": "manifest larger than the manifest limit", "components": [], "absent": []})

    # 8. JSON nested 100,000 deep: manifest, index.json, config, an SBOM input file, a bundle.
    depth = 100_000
    lay = Layout(os.path.join(OUT, "deep-manifest"))
    cdesc = lay.blob(jdump(config_for([])), OCI_CONFIG)
    m = b'{"schemaVersion":2,"mediaType":"' + OCI_MANIFEST.encode() + b'","config":' + jdump(cdesc) + \
        b',"layers":[],"annotations":{"x":' + deep_json(depth) + b"}}"
    lay.index([lay.blob(m, OCI_MANIFEST)])
    CASES.append({"name": "deep-manifest", "source": "oci-dir:" + lay.path, "expect": "error",
                  "why": "manifest JSON nested 100,000 deep", "components": [], "absent": []})
    lay = Layout(os.path.join(OUT, "deep-index"))
    lay.index(None, raw=b'{"schemaVersion":2,"manifests":[{"mediaType":"' + OCI_MANIFEST.encode() +
              b'","size":1,"digest":"sha256:' + b"0" * 64 + b'","annotations":' +
              deep_json(depth, open_='{"a":', close="}") + b"}]}")
    CASES.append({"name": "deep-index", "source": "oci-dir:" + lay.path, "expect": "error",
                  "why": "index.json nested 100,000 deep", "components": [], "absent": []})
    image("deep-config", [(base_layer(), TAR)], "either", "config JSON nested 100,000 deep",
          config_raw=b'{"architecture":"amd64","os":"linux","config":{"Labels":' + deep_json(depth, open_='{"a":', close="}") + b"}}")
    image("deep-sbom-inputs", [(base_layer(), TAR), (tar([
        ("app/package-lock.json", "file", b'{"lockfileVersion":3,"packages":' + deep_json(depth, open_='{"a":', close="}") + b"}"),
        ("app/node_modules/x/package.json", "file", deep_json(depth)),
        ("usr/lib/python3/site-packages/a-1.dist-info/METADATA", "file", b"Name: a\nVersion: 1\n" + b" " * 10 + b"\n"),
        ("app/composer.lock", "file", deep_json(depth)),
        ("app/x.deps.json", "file", deep_json(depth, open_='{"a":', close="}")),
        ("app/bom.cdx.json", "file", b'{"bomFormat":"CycloneDX","components":' + deep_json(depth) + b"}"),
    ]), TAR)], "sbom", "SBOM input files (lockfiles, deps.json) nested 100,000 deep",
        components=["pkg:deb/debian/base-files@12.4?arch=amd64&distro=debian-12"])
    with open(os.path.join(files, "deep-bundle.json"), "wb") as f:
        f.write(b'{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":' +
                deep_json(depth, open_='{"a":', close="}") + b"}")
    with open(os.path.join(files, "deep-array-bundle.json"), "wb") as f:
        f.write(deep_json(depth))
    with open(os.path.join(files, "huge-bundle.json"), "wb") as f:
        f.write(b'{"mediaType":"' + b"A" * ((4 << 20) if small else (100 << 20)) + b'"}')
    with open(os.path.join(files, "artifact.txt"), "wb") as f:
        f.write(b"hello\n")

    # 9. a million tiny files in one layer.
    many = os.path.join(OUT, "many.tgz.tmp")
    n = 1000 if small else 1_000_000
    many_files_layer(many, n)
    image("million-files", [(base_layer(), TAR), lambda lay: lay.blob_file(many, TGZ)], "either",
          "%d empty files in one layer (entry limit 1,000,000)" % n,
          components=["pkg:deb/debian/base-files@12.4?arch=amd64&distro=debian-12"])

    # 10. duplicate tar entries: the last one wins, as when extracting.
    image("duplicate-entries", [(tar([
        ("etc/os-release", "file", OS_RELEASE),
        ("var/lib/dpkg/status", "file", DPKG),
        ("var/lib/dpkg/status", "file", DPKG.split(b"\n\n")[0] + b"\n"),
        ("x", "file", b"file"), ("x", "dir", b""), ("x/y", "file", b"y"),
        ("z/", "dir", b""), ("z", "file", b"now a file"),
    ]), TAR)], "sbom", "duplicate entries: the last one wins",
        components=["pkg:deb/debian/base-files@12.4?arch=amd64&distro=debian-12"],
        absent=["pkg:deb/debian/evil@6.6.6?arch=amd64&distro=debian-12"], docker=True)

    # 11. invalid UTF-8 names (and contents).
    image("invalid-utf8", [(base_layer(), TAR), (tar([
        (b"bad\xff\xfe/name", "file", b"x"),
        (b"etc/\xc3\x28", "file", b"x"),
        (b"usr/lib/python3/site-packages/\xff-1.dist-info/METADATA", "file", b"Name: \xff\xfe\nVersion: \xc3\x28\n"),
        (b"var/lib/dpkg/status.d/\xff", "file", b"Package: \xff\nVersion: 1\nStatus: install ok installed\n"),
    ], fmt=tarfile.GNU_FORMAT), TAR)], "either", "invalid UTF-8 in paths and package metadata",
        components=["pkg:deb/debian/base-files@12.4?arch=amd64&distro=debian-12"], docker=True)

    # 12. the evil package is removed by a whiteout: it must not appear.
    image("whiteout-removes-package", [(base_layer(), TAR), (tar([
        ("var/lib/dpkg/.wh.status", "file", b""),
    ]), TAR)], "sbom", "a whiteout deletes the dpkg database",
        absent=["pkg:deb/debian/evil@6.6.6?arch=amd64&distro=debian-12",
                "pkg:deb/debian/base-files@12.4?arch=amd64&distro=debian-12"])

    # 13. docker-archive whose manifest points outside the archive.
    out = os.path.join(OUT, "docker-escape.docker.tar")
    with tarfile.open(out, "w") as t:
        data = jdump([{"Config": "../../../../etc/passwd", "RepoTags": ["x:y"], "Layers": ["/etc/hostname", "../x/layer.tar"]}])
        ti = tarfile.TarInfo("manifest.json")
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    CASES.append({"name": "docker-escape", "source": "docker-archive:" + out, "expect": "error",
                  "why": "docker-archive manifest.json naming paths outside the archive", "components": [], "absent": []})

    # 14. OCI layout whose index points at a blob path with traversal in its digest.
    lay = Layout(os.path.join(OUT, "digest-traversal"))
    lay.index([{"mediaType": OCI_MANIFEST, "digest": "sha256:../../../../etc/passwd", "size": 10}])
    CASES.append({"name": "digest-traversal", "source": "oci-dir:" + lay.path, "expect": "error",
                  "why": "index digest with `../`", "components": [], "absent": []})

    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(CASES, f, indent=1)
    print("%d hostile cases in %s" % (len(CASES), OUT))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    OUT = os.path.abspath(sys.argv[1])
    os.makedirs(OUT, exist_ok=True)
    main()
