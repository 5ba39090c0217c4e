#!/usr/bin/env python3
"""Deterministic generator of chainseal's test images (Python stdlib + the zstd CLI).

    python3 scripts/make-testdata.py OUT_DIR     # normally testdata/images

Layer contents come from testdata/rootfs/<image>/layer<N>/ (whiteout files included, as
empty files named .wh.<name> / .wh..wh..opq). Every tar entry has mtime 0, uid/gid 0, no
user names, sorted order; gzip streams carry mtime 0 and no file name; JSON is compact with
sorted keys. Running it twice gives byte-identical output (the Rust test
`testdata_regenerates_identically` checks this).

Images written to OUT_DIR:
  example/            OCI layout, tag latest: 3 gzip layers (Debian 12 dpkg status, python
                      dist-info, node_modules, Cargo.lock, package-lock.json; a whiteout and an
                      opaque directory in layer 2; etc/os-release a symlink)
  multiarch/          OCI layout, tag latest: an index with linux/amd64 and linux/arm64
  zstd/               OCI layout: one tar+zstd layer
  uncompressed/       OCI layout: one plain tar layer
  config-only/        OCI layout: a manifest with a config and no layers
  example.docker.tar  docker-archive (`docker save` format) of the example image
  example.oci.tar     oci-archive: a tar of example/
  truncated-gzip/     malformed: the layer is a gzip stream cut short (digest matches)
  digest-mismatch/    malformed: the layer blob's bytes do not match its digest
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOTFS = os.path.join(ROOT, "testdata", "rootfs")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "tar": "application/vnd.oci.image.layer.v1.tar",
}
CREATED = "2024-01-01T00:00:00Z"
# Symlinks added to a layer: (image, layer) -> [(path, target)]
SYMLINKS = {("example", 0): [("etc/os-release", "../usr/lib/os-release")]}


def jdump(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_bytes(files):
    """files: sorted list of (path, kind, data_or_target, mode); kind in file|dir|symlink."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for path, kind, data, mode in files:
            info = tarfile.TarInfo(path)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = mode
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = data
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def tree_entries(directory, extra_symlinks=()):
    """Entries for every dir and file below `directory`, plus symlinks, sorted by path."""
    entries = {}
    for dirpath, dirnames, filenames in os.walk(directory):
        rel = os.path.relpath(dirpath, directory)
        if rel != ".":
            entries[rel + "/"] = (rel + "/", "dir", None, 0o755)
        for name in filenames:
            p = os.path.join(dirpath, name)
            r = os.path.relpath(p, directory)
            with open(p, "rb") as f:
                entries[r] = (r, "file", f.read(), 0o644)
    for path, target in extra_symlinks:
        parent = os.path.dirname(path)
        while parent:
            entries.setdefault(parent + "/", (parent + "/", "dir", None, 0o755))
            parent = os.path.dirname(parent)
        entries[path] = (path, "symlink", target, 0o777)
    return [entries[k] for k in sorted(entries)]


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as g:
        g.write(data)
    return buf.getvalue()


def zst(data):
    if shutil.which("zstd") is None:
        sys.exit("make-testdata: the zstd command is needed (apt-get install zstd)")
    return subprocess.run(["zstd", "-q", "-c", "-3", "--no-progress"], input=data, check=True,
                          stdout=subprocess.PIPE).stdout


def compress(tar, kind):
    return {"gzip": gz, "zstd": zst, "tar": lambda d: d}[kind](tar)


class Layout:
    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        self.index = []

    def blob(self, data, media_type):
        digest = sha(data)
        with open(os.path.join(self.path, "blobs", "sha256", digest[7:]), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def tag(self, desc, tag):
        entry = dict(desc)
        entry["annotations"] = {"org.opencontainers.image.ref.name": tag}
        self.index.append(entry)

    def close(self):
        with open(os.path.join(self.path, "oci-layout"), "wb") as f:
            f.write(jdump({"imageLayoutVersion": "1.0.0"}))
        with open(os.path.join(self.path, "index.json"), "wb") as f:
            f.write(jdump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.index}))


def image(layout, layers, arch="amd64", config_only=False):
    """layers: list of (tar_bytes, compression). Returns the manifest descriptor."""
    layer_descs, diff_ids = [], []
    for tar, kind in layers:
        layer_descs.append(layout.blob(compress(tar, kind), LAYER[kind]))
        diff_ids.append(sha(tar))
    config = {
        "architecture": arch,
        "os": "linux",
        "created": CREATED,
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": CREATED, "created_by": "make-testdata.py"} for _ in layers],
    }
    if config_only:
        config["history"] = []
    config_desc = layout.blob(jdump(config), OCI_CONFIG)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config_desc, "layers": layer_descs}
    return layout.blob(jdump(manifest), OCI_MANIFEST), config, layer_descs


def example_layers():
    base = os.path.join(ROOTFS, "example")
    n = len([d for d in os.listdir(base) if d.startswith("layer")])
    return [tar_bytes(tree_entries(os.path.join(base, f"layer{i}"), SYMLINKS.get(("example", i), [])))
            for i in range(n)]


def small_tar(name, text):
    return tar_bytes([("etc/", "dir", None, 0o755), (f"etc/{name}", "file", text.encode(), 0o644)])


def tar_of_dir(directory, prefix=""):
    """A deterministic tar of a directory tree (for oci-archive)."""
    files = []
    for dirpath, dirnames, filenames in os.walk(directory):
        rel = os.path.relpath(dirpath, directory)
        if rel != ".":
            files.append((prefix + rel + "/", "dir", None, 0o755))
        for name in filenames:
            p = os.path.join(dirpath, name)
            with open(p, "rb") as f:
                files.append((prefix + os.path.relpath(p, directory), "file", f.read(), 0o644))
    return tar_bytes(sorted(files))


def main(out):
    tmp = out.rstrip("/") + ".tmp-make-testdata"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)

    tars = example_layers()
    ex = Layout(os.path.join(tmp, "example"))
    ex_manifest, ex_config, _ = image(ex, [(t, "gzip") for t in tars])
    ex.tag(ex_manifest, "latest")
    ex.close()

    ma = Layout(os.path.join(tmp, "multiarch"))
    entries = []
    for arch, variant in (("amd64", None), ("arm64", "v8")):
        desc, _, _ = image(ma, [(small_tar("arch", arch + "\n"), "gzip")], arch=arch)
        entry = dict(desc)
        entry["platform"] = {"architecture": arch, "os": "linux"}
        if variant:
            entry["platform"]["variant"] = variant
        entries.append(entry)
    idx = ma.blob(jdump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}), OCI_INDEX)
    ma.tag(idx, "latest")
    ma.close()

    for name, kind in (("zstd", "zstd"), ("uncompressed", "tar")):
        lay = Layout(os.path.join(tmp, name))
        desc, _, _ = image(lay, [(small_tar(name, f"a {name} layer\n"), kind)])
        lay.tag(desc, "latest")
        lay.close()

    co = Layout(os.path.join(tmp, "config-only"))
    desc, _, _ = image(co, [], config_only=True)
    co.tag(desc, "latest")
    co.close()

    # docker-archive: docker save's legacy layout, uncompressed layer tars.
    files = []
    layer_paths = []
    for t in tars:
        lid = hashlib.sha256(t).hexdigest()
        layer_paths.append(f"{lid}/layer.tar")
        files.append((f"{lid}/", "dir", None, 0o755))
        files.append((f"{lid}/layer.tar", "file", t, 0o644))
    docker_config = dict(ex_config)
    docker_config_bytes = jdump(docker_config)
    config_name = hashlib.sha256(docker_config_bytes).hexdigest() + ".json"
    files.append((config_name, "file", docker_config_bytes, 0o644))
    files.append(("manifest.json", "file",
                  jdump([{"Config": config_name, "RepoTags": ["chainseal/example:latest"], "Layers": layer_paths}]),
                  0o644))
    files.append(("repositories", "file",
                  jdump({"chainseal/example": {"latest": layer_paths[-1].split("/")[0]}}), 0o644))
    with open(os.path.join(tmp, "example.docker.tar"), "wb") as f:
        f.write(tar_bytes(sorted(files)))

    with open(os.path.join(tmp, "example.oci.tar"), "wb") as f:
        f.write(tar_of_dir(os.path.join(tmp, "example")))

    # Packages deleted by a later layer, three ways: a whiteout of a dist-info directory, a
    # rewritten dpkg status, and an opaque node_modules directory. Only the kept ones may appear.
    def meta(name, version):
        return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    def stanza(name, version):
        return (f"Package: {name}\nStatus: install ok installed\nVersion: {version}\nArchitecture: amd64\n"
                f"Maintainer: Test <test@example.invalid>\nDescription: {name}\n").encode()
    sp = "usr/lib/python3/dist-packages/"
    nm = "usr/lib/node_modules/"
    dirs = [(d, "dir", None, 0o755) for d in ("usr/", "usr/lib/", sp, nm, "var/", "var/lib/", "var/lib/dpkg/")]
    base = sorted(dirs + [
        (sp + "keepme-1.0.dist-info/", "dir", None, 0o755),
        (sp + "keepme-1.0.dist-info/METADATA", "file", meta("keepme", "1.0"), 0o644),
        (sp + "removedpkg-2.0.dist-info/", "dir", None, 0o755),
        (sp + "removedpkg-2.0.dist-info/METADATA", "file", meta("removedpkg", "2.0"), 0o644),
        (nm + "gone/", "dir", None, 0o755),
        (nm + "gone/package.json", "file", b'{"name": "gone", "version": "3.0.0"}\n', 0o644),
        ("var/lib/dpkg/status", "file", stanza("libkeep", "1.0-1") + b"\n" + stanza("libgone", "9.9-1"), 0o644),
    ])
    later = sorted(dirs + [
        (sp + ".wh.removedpkg-2.0.dist-info", "file", b"", 0o644),
        (nm + ".wh..wh..opq", "file", b"", 0o644),
        (nm + "kept/", "dir", None, 0o755),
        (nm + "kept/package.json", "file", b'{"name": "kept", "version": "4.0.0"}\n', 0o644),
        ("var/lib/dpkg/status", "file", stanza("libkeep", "1.0-1"), 0o644),
    ])
    dl = Layout(os.path.join(tmp, "deleted-packages"))
    desc, _, _ = image(dl, [(tar_bytes(base), "gzip"), (tar_bytes(later), "gzip")])
    dl.tag(desc, "latest")
    dl.close()

    # Malformed: a gzip stream cut in the middle; the descriptor matches the cut bytes.
    tr = Layout(os.path.join(tmp, "truncated-gzip"))
    full = gz(tar_bytes([("var/", "dir", None, 0o755), ("var/data", "file", bytes(range(256)) * 64, 0o644)]))
    cut = full[: len(full) // 2]
    layer = tr.blob(cut, LAYER["gzip"])
    config = tr.blob(jdump({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}),
                     OCI_CONFIG)
    tr.tag(tr.blob(jdump({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]}),
                   OCI_MANIFEST), "latest")
    tr.close()

    # Malformed: the layer file's bytes were replaced after the manifest was written.
    dm = Layout(os.path.join(tmp, "digest-mismatch"))
    # Uncompressed, so the forged layer is a valid tar of the same size: only the digest tells.
    desc, _, layers = image(dm, [(small_tar("tampered", "original\n"), "tar")])
    evil = small_tar("tampered", "EVIL!!!!\n")
    assert len(evil) == layers[0]["size"], "tampered layer must keep its size"
    with open(os.path.join(dm.path, "blobs", "sha256", layers[0]["digest"][7:]), "wb") as f:
        f.write(evil)
    dm.tag(desc, "latest")
    dm.close()

    # Replace OUT only where something changed (idempotent, keeps mtimes of unchanged files).
    os.makedirs(out, exist_ok=True)
    wanted = set()
    for dirpath, _, filenames in os.walk(tmp):
        for name in filenames:
            src = os.path.join(dirpath, name)
            rel = os.path.relpath(src, tmp)
            wanted.add(rel)
            dst = os.path.join(out, rel)
            with open(src, "rb") as f:
                data = f.read()
            if os.path.exists(dst):
                with open(dst, "rb") as f:
                    if f.read() == data:
                        continue
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "wb") as f:
                f.write(data)
    for dirpath, _, filenames in os.walk(out, topdown=False):
        for name in filenames:
            p = os.path.join(dirpath, name)
            if os.path.relpath(p, out) not in wanted:
                os.remove(p)
        if dirpath != out and not os.listdir(dirpath):
            os.rmdir(dirpath)
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "testdata", "images"))
