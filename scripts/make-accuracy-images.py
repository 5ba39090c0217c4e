#!/usr/bin/env python3
"""Build the SBOM accuracy images from real package managers, and write what they contain.

    python3 scripts/make-accuracy-images.py OUT_DIR [--bench]

Every package in these images was put there by its own package manager, and the truth is
asked of that same package manager afterwards, so a scanner is scored against ground truth
rather than against another scanner:

  layer 1  Debian rootfs: mmdebstrap --variant=minbase --mode=root (the suite and mirror of
           the host's apt sources) plus a few extra packages, some of them Python libraries
           (Debian's egg-info metadata).   truth: dpkg-query --admindir, and importlib.metadata
           of the rootfs's python3 (run in a chroot) for its Python distributions
  layer 2  /opt/venv: a Python venv with ~20 packages from pip.  truth: pip list --format=json
  layer 3  /app: npm install of a few packages with nested deps and an alias.
           truth: npm query '*' (npm's tree with each installed package's own name)
  layer 4  /usr/local/bin/acc-rust: a crate built with `cargo auditable build --release`.
           truth: `cargo tree -e normal` for the host target (what was compiled into the
           binary; build- and dev-dependencies and other targets' deps excluded — the same
           runtime set cargo-auditable records and syft reports)
  layer 5  /usr/local/bin/acc-go: a Go program with module deps, `go build`, with a module
           replaced by another version and one by a local directory.
           truth: `go version -m` (the main module, every `dep` line — the `=>` replacement
           where there is one, a directory replacement keeping the module path with no
           version — and the toolchain as the `stdlib` package, as syft and chainseal report it)
  layer 6  deletions done by the package managers: `dpkg --purge` of two packages and
           `dpkg --remove` of one (it stays in the status file as config-files),
           `pip uninstall` of two distributions, `npm uninstall` of two packages (with the
           deps only they used). The layer is the file-level difference (changed files and
           `.wh.` whiteouts), so the deleted packages are still present in lower layers and
           must not be reported.

Written to OUT_DIR:
  accuracy/     OCI layout (tag latest) of the six layers
  truth.json    {"deb": [[name, version, arch], ...], "pypi": [[name, version], ...], ...}
                of the final (squashed) filesystem
  sizes.json    compressed and uncompressed bytes and tar entries of each image
  bench-large/  (with --bench) OCI layout of about 1 GB: the six layers, then a layer of many
                more pip and npm packages and a layer of real files (the Go toolchain tree)
                as padding

Fails (exit 1) when a tool is missing: nothing is skipped. Tar entries have mtime 0 and
uid/gid 0; gzip level 1 (the large image is built for timing, not for size).
"""

import filecmp
import gzip
import hashlib
import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("make_testdata", os.path.join(HERE, "make-testdata.py"))
testdata = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(testdata)

SUITE = "bookworm"
# python3-* install Python distributions the Debian way (egg-info files and directories in
# /usr/lib/python3/dist-packages): both a deb and a pypi package each.
DEB_EXTRA = ["curl", "ca-certificates", "less", "nano", "netbase", "python3-yaml", "python3-six", "python3-idna",
             "python3-certifi", "python3-chardet"]
DEB_PURGE = ["nano", "less"]
DEB_REMOVE = ["netbase"]  # removed, not purged: stays in the status file as "rc" (config-files)
PIP = ["requests==2.32.3", "flask==3.0.3", "PyYAML==6.0.2", "attrs==24.2.0", "python-dateutil==2.9.0.post0",
       "packaging==24.1", "typing_extensions==4.12.2", "zope.interface==7.0.3", "ruamel.yaml==0.18.6",
       "MarkupSafe==2.1.5", "charset-normalizer==3.3.2", "tomli==2.0.1", "idna==3.8"]
PIP_UNINSTALL = ["PyYAML", "attrs"]
NPM = {"express": "4.19.2", "lodash": "4.17.21", "chalk": "4.1.2", "@babel/code-frame": "7.24.7",
       "commander": "12.1.0", "semver": "7.6.3", "yargs": "17.7.2", "uuid": "10.0.0",
       "semver6": "npm:semver@6.3.1"}  # an alias: installed as node_modules/semver6, the package is semver
NPM_UNINSTALL = ["lodash", "chalk"]
BENCH_PIP = ["numpy==2.1.1", "pandas==2.2.2", "scipy==1.14.1", "sqlalchemy==2.0.34", "boto3==1.35.14",
             "cryptography==43.0.1", "pydantic==2.9.1", "sympy==1.13.2"]
BENCH_NPM = {"typescript": "5.5.4", "eslint": "9.10.0", "webpack": "5.94.0", "@babel/core": "7.25.2",
             "rxjs": "7.8.1", "moment": "2.30.1", "react-dom": "18.3.1", "prettier": "3.3.3"}

CARGO_TOML = """[package]
name = "acc-rust"
version = "0.3.1"
edition = "2021"

[dependencies]
anyhow = "=1.0.86"
itoa = "=1.0.11"
memchr = "=2.7.4"
once_cell = "=1.19.0"
serde = "=1.0.209"
serde_json = "=1.0.127"
smallvec = "=1.13.2"
log = "=0.4.22"
bitflags = "=2.6.0"

[target.'cfg(windows)'.dependencies]
winapi-util = "=0.1.9"

[build-dependencies]
autocfg = "=1.3.0"

[dev-dependencies]
fastrand = "=2.1.1"
"""
RUST_MAIN = """use smallvec::SmallVec;
fn main() -> anyhow::Result<()> {
    static ONCE: once_cell::sync::Lazy<u32> = once_cell::sync::Lazy::new(|| 7);
    let mut v: SmallVec<[u8; 8]> = SmallVec::new();
    v.push(*ONCE as u8);
    let mut b = itoa::Buffer::new();
    let s = b.format(v.len());
    let j: serde_json::Value = serde_json::from_str("{\\"a\\": 1}")?;
    log::info!("{s} {j}");
    bitflags::bitflags! { struct F: u8 { const A = 1; } }
    println!("{} {} {:?}", s, j, memchr::memchr(b'a', b"cat").map(|_| F::A.bits()));
    Ok(())
}
"""
RUST_BUILD = "fn main() { let ac = autocfg::new(); ac.emit_rustc_version(1, 60); }\n"
GO_MAIN = """package main

import (
	"fmt"

	"example.com/acc-local"
	"github.com/google/uuid"
	"github.com/pkg/errors"
	"github.com/spf13/cobra"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

func main() {
	cmd := &cobra.Command{Use: "acc-go", RunE: func(*cobra.Command, []string) error {
		out, err := yaml.Marshal(map[string]string{"id": uuid.NewString()})
		if err != nil {
			return errors.Wrap(err, "yaml")
		}
		fmt.Println(cases.Title(language.English).String(string(out)), local.Hello())
		return nil
	}}
	_ = cmd.Execute()
}
"""
GO_LOCAL = ("module example.com/acc-local\n\ngo 1.21\n", "package local\n\nfunc Hello() string { return \"hi\" }\n")
# replace directives: a module by another version of it, and a module by a local directory
GO_REPLACE = ["github.com/pkg/errors=github.com/pkg/errors@v0.9.0", "example.com/acc-local=./local"]
GO_DEPS = ["github.com/google/uuid@v1.6.0", "github.com/pkg/errors@v0.9.1", "github.com/spf13/cobra@v1.8.1",
           "golang.org/x/text@v0.18.0", "gopkg.in/yaml.v3@v3.0.1"]


def die(msg):
    sys.exit(f"make-accuracy-images: {msg}")


def need(*tools):
    for t in tools:
        if shutil.which(t) is None:
            die(f"'{t}' is needed (bash scripts/install-peers.sh installs it)")


def sh(cmd, cwd=None, env=None, capture=False):
    e = dict(os.environ, **(env or {}))
    r = subprocess.run(cmd, cwd=cwd, env=e, stdout=subprocess.PIPE if capture else sys.stderr,
                       stderr=sys.stderr, text=True)
    if r.returncode != 0:
        die(f"command failed ({r.returncode}): {' '.join(cmd)}")
    return r.stdout


# --- layers -------------------------------------------------------------------------------

class _HashSink:
    """A file object that hashes what passes through it (optionally into another file)."""

    def __init__(self, inner=None):
        self.inner, self.h, self.n = inner, hashlib.sha256(), 0

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        if self.inner is not None:
            self.inner.write(b)
        return len(b)

    def tell(self):
        return self.n

    def flush(self):
        if self.inner is not None:
            self.inner.flush()


def _info(path_in_tar, st, link=None):
    info = tarfile.TarInfo(path_in_tar)
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    info.mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
    elif stat.S_ISLNK(st.st_mode):
        info.type, info.linkname = tarfile.SYMTYPE, link
    else:
        info.size = st.st_size
    return info


class LayerWriter:
    """Streams a gzip tar layer into the layout's blobs; returns (descriptor, diff_id)."""

    def __init__(self, layout):
        self.layout = layout
        self.tmp = os.path.join(layout.path, "blobs", "sha256", ".layer.tmp")
        self.raw = open(self.tmp, "wb")
        self.gz_sink = _HashSink(self.raw)
        self.gz = gzip.GzipFile(filename="", mode="wb", fileobj=self.gz_sink, mtime=0, compresslevel=1)
        self.tar_sink = _HashSink(self.gz)
        self.tar = tarfile.open(fileobj=self.tar_sink, mode="w", format=tarfile.PAX_FORMAT)
        self.seen = set()
        self.files = 0
        self.links = {}  # (dev, ino) -> first path, for hard links

    def add_path(self, src, dest):
        """Add src (file, dir, symlink; recursively) as dest (relative, no leading /)."""
        st = os.lstat(src)
        self._parents(dest)
        if stat.S_ISDIR(st.st_mode):
            self._add(src, dest, st)
            for name in sorted(os.listdir(src)):
                self.add_path(os.path.join(src, name), f"{dest}/{name}")
        else:
            self._add(src, dest, st)

    def _parents(self, dest):
        parts = dest.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.seen:
                self.seen.add(d)
                info = tarfile.TarInfo(d)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
                self.tar.addfile(info)

    def _add(self, src, dest, st):
        if dest in self.seen:
            return
        self.seen.add(dest)
        if not (stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode) or stat.S_ISREG(st.st_mode)):
            return  # device nodes, sockets, fifos: not image content
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            first = self.links.get((st.st_dev, st.st_ino))
            if first is not None:
                info = _info(dest, st)
                info.type, info.linkname, info.size = tarfile.LNKTYPE, first, 0
                self.tar.addfile(info)
                return
            self.links[(st.st_dev, st.st_ino)] = dest
        info = _info(dest, st, os.readlink(src) if stat.S_ISLNK(st.st_mode) else None)
        self.files += 1
        if info.type == tarfile.REGTYPE:
            with open(src, "rb") as f:
                self.tar.addfile(info, f)
        else:
            self.tar.addfile(info)

    def whiteout(self, dest):
        parent, name = os.path.split(dest)
        self._parents(dest)
        info = tarfile.TarInfo(f"{parent}/.wh.{name}" if parent else f".wh.{name}")
        info.mtime, info.mode = 0, 0o644
        self.tar.addfile(info)

    def close(self):
        self.tar.close()
        self.gz.close()
        self.raw.close()
        digest = "sha256:" + self.gz_sink.h.hexdigest()
        os.replace(self.tmp, os.path.join(self.layout.path, "blobs", "sha256", digest[7:]))
        desc = {"mediaType": testdata.LAYER["gzip"], "digest": digest, "size": self.gz_sink.n}
        return desc, "sha256:" + self.tar_sink.h.hexdigest()


def diff_into(w, before, after, dest):
    """Add to layer w what turns tree `before` into tree `after`, both mounted at dest."""
    b_names = set(os.listdir(before)) if os.path.isdir(before) else set()
    a_names = set(os.listdir(after))
    for name in sorted(b_names | a_names):
        b, a, d = os.path.join(before, name), os.path.join(after, name), f"{dest}/{name}"
        if name not in a_names:
            w.whiteout(d)
            continue
        if name not in b_names:
            w.add_path(a, d)
            continue
        bs, as_ = os.lstat(b), os.lstat(a)
        if stat.S_ISDIR(as_.st_mode) and stat.S_ISDIR(bs.st_mode):
            diff_into(w, b, a, d)
        elif (stat.S_IFMT(bs.st_mode) != stat.S_IFMT(as_.st_mode) or bs.st_mode != as_.st_mode
              or (stat.S_ISLNK(as_.st_mode) and os.readlink(a) != os.readlink(b))
              or (stat.S_ISREG(as_.st_mode) and not filecmp.cmp(a, b, shallow=False))):
            if stat.S_ISDIR(bs.st_mode) != stat.S_ISDIR(as_.st_mode):
                w.whiteout(d)
            w.add_path(a, d)


def write_image(path, layers):
    """layers: list of callables taking a LayerWriter. Writes an OCI layout tagged latest."""
    shutil.rmtree(path, ignore_errors=True)
    layout = testdata.Layout(path)
    descs, diff_ids, size = [], [], {"compressed": 0, "uncompressed": 0, "entries": 0}
    for fill in layers:
        w = LayerWriter(layout)
        fill(w)
        desc, diff_id = w.close()
        size["compressed"] += w.gz_sink.n
        size["uncompressed"] += w.tar_sink.n
        size["entries"] += w.files
        descs.append(desc)
        diff_ids.append(diff_id)
    config = {
        "architecture": "amd64", "os": "linux", "created": testdata.CREATED,
        "config": {"Env": ["PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": testdata.CREATED, "created_by": "make-accuracy-images.py"} for _ in layers],
    }
    config_desc = layout.blob(testdata.jdump(config), testdata.OCI_CONFIG)
    manifest = {"schemaVersion": 2, "mediaType": testdata.OCI_MANIFEST, "config": config_desc, "layers": descs}
    layout.tag(layout.blob(testdata.jdump(manifest), testdata.OCI_MANIFEST), "latest")
    layout.close()
    return size


def rootfs_layer(root):
    def fill(w):
        for name in sorted(os.listdir(root)):
            if name not in ("dev", "proc", "sys"):  # mount points and device nodes are not image content
                w.add_path(os.path.join(root, name), name)
    return fill


def at(src, dest):
    return lambda w: w.add_path(src, dest)


# --- ecosystems -----------------------------------------------------------------------------

def apt_sources():
    """The host's Debian sources (deb822 or one-line), passed to mmdebstrap on stdin."""
    texts = []
    d = "/etc/apt/sources.list.d"
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if name.endswith((".sources", ".list")):
            texts.append(open(os.path.join(d, name)).read())
    if os.path.exists("/etc/apt/sources.list"):
        texts.append(open("/etc/apt/sources.list").read())
    deb822 = [t for t in texts if "Types:" in t and "debian" in t]
    one_line = [t for t in texts if t.lstrip().startswith("deb ") and "debian" in t]
    if deb822:
        return "\n\n".join(deb822)
    if one_line:
        return "\n".join(one_line)
    die("no Debian apt sources in /etc/apt to build the rootfs from")


def build_debian(work):
    root = os.path.join(work, "rootfs")
    shutil.rmtree(root, ignore_errors=True)
    r = subprocess.run(["mmdebstrap", "--variant=minbase", "--mode=root", "--quiet",
                        "--include=" + ",".join(DEB_EXTRA), SUITE, root, "-"],
                       input=apt_sources(), text=True, stdout=sys.stderr, stderr=sys.stderr)
    if r.returncode != 0:
        die("mmdebstrap failed")
    return root


def dpkg_truth(root):
    out = sh(["dpkg-query", "--admindir", os.path.join(root, "var/lib/dpkg"), "-W",
              "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n"], capture=True)
    rows = []
    for line in out.splitlines():
        status, name, version, arch = line.split("\t")
        if status.startswith("ii"):
            rows.append([name, version, arch])
    return sorted(rows)


def system_python_truth(root):
    """Distributions the rootfs's own Python sees (importlib.metadata inside the chroot)."""
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps(sorted([d.metadata['Name'], d.version] for d in m.distributions())))")
    return json.loads(sh(["chroot", root, "python3", "-I", "-c", code], capture=True))


def build_pip(work, packages):
    venv = os.path.join(work, "venv")
    shutil.rmtree(venv, ignore_errors=True)
    sh([sys.executable, "-m", "venv", venv])
    sh([f"{venv}/bin/pip", "install", "-q", "--no-compile", "--no-cache-dir", *packages])
    return venv


def pip_truth(venv):
    rows = json.loads(sh([f"{venv}/bin/pip", "list", "--format=json"], capture=True))
    return sorted([r["name"], r["version"]] for r in rows)


def build_npm(work, deps, name):
    app = os.path.join(work, name)
    shutil.rmtree(app, ignore_errors=True)
    os.makedirs(app)
    with open(os.path.join(app, "package.json"), "w") as f:
        json.dump({"name": name, "version": "1.0.0", "private": True, "dependencies": deps}, f, indent=2)
    sh(["npm", "install", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"], cwd=app)
    return app


def npm_truth(app):
    # `npm query '*'`: every node of npm's tree (the project too) with the installed package's
    # own name (`npm ls` would name an alias by its directory)
    nodes = json.loads(sh(["npm", "query", "*"], cwd=app, capture=True))
    if any(n.get("dev") for n in nodes):
        die("npm query lists dev dependencies; the image has none")
    return sorted(list(r) for r in {(n["name"], n["version"]) for n in nodes})


def build_rust(work):
    crate = os.path.join(work, "acc-rust")
    shutil.rmtree(crate, ignore_errors=True)
    os.makedirs(os.path.join(crate, "src"))
    open(os.path.join(crate, "Cargo.toml"), "w").write(CARGO_TOML)
    open(os.path.join(crate, "src", "main.rs"), "w").write(RUST_MAIN)
    open(os.path.join(crate, "build.rs"), "w").write(RUST_BUILD)
    env = {"CARGO_TARGET_DIR": os.path.join(crate, "target")}
    sh(["cargo", "auditable", "build", "--release", "--quiet"], cwd=crate, env=env)
    out = sh(["cargo", "tree", "-e", "normal", "--prefix", "none", "--format", "{p}"], cwd=crate, env=env,
             capture=True)
    rows = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("v"):
            rows.add((parts[0], parts[1][1:]))
    return os.path.join(crate, "target", "release", "acc-rust"), sorted(list(r) for r in rows)


def build_go(work):
    src = os.path.join(work, "acc-go")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    open(os.path.join(src, "main.go"), "w").write(GO_MAIN)
    sh(["go", "mod", "init", "example.com/acc-go"], cwd=src)
    os.makedirs(os.path.join(src, "local"))
    open(os.path.join(src, "local", "go.mod"), "w").write(GO_LOCAL[0])
    open(os.path.join(src, "local", "local.go"), "w").write(GO_LOCAL[1])
    sh(["go", "get", *GO_DEPS], cwd=src)
    sh(["go", "mod", "edit", "-require", "example.com/acc-local@v0.0.0",
        *[f"-replace={r}" for r in GO_REPLACE]], cwd=src)
    sh(["go", "mod", "tidy"], cwd=src)
    binary = os.path.join(src, "acc-go")
    sh(["go", "build", "-trimpath", "-o", binary, "."], cwd=src, env={"CGO_ENABLED": "0"})
    rows = []
    for line in sh(["go", "version", "-m", binary], capture=True).splitlines():
        parts = line.split()
        if parts and parts[0].endswith(":") and len(parts) >= 2 and parts[1].startswith("go"):
            rows.append(("stdlib", parts[1]))  # the toolchain, reported as the stdlib package
        elif parts[:1] in (["mod"], ["dep"]) and len(parts) >= 3:
            rows.append((parts[1], parts[2]))
        elif parts[:1] == ["=>"] and len(parts) >= 3:
            # what was compiled is the replacement; a directory replacement keeps the module's
            # path and has no version
            local = parts[1].startswith(("./", "../", "/"))
            rows[-1] = (rows[-1][0], "(devel)") if local else (parts[1], parts[2])
    if sum(1 for line in sh(["go", "version", "-m", binary], capture=True).splitlines()
           if line.split()[:1] == ["=>"]) != len(GO_REPLACE):
        die("go version -m does not show the replace directives")
    return binary, sorted(list(r) for r in set(rows))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    bench = "--bench" in sys.argv[1:]
    if len(args) != 1:
        die("usage: make-accuracy-images.py OUT_DIR [--bench]")
    out = os.path.abspath(args[0])
    need("mmdebstrap", "dpkg-query", "chroot", "npm", "node", "go", "cargo", "cargo-auditable")
    work = os.path.join(out, "work")
    os.makedirs(work, exist_ok=True)

    root = build_debian(work)
    venv = build_pip(work, PIP)
    app = build_npm(work, NPM, "acc-app")
    rust_bin, rust_truth = build_rust(work)
    go_bin, go_truth = build_go(work)

    before = {}
    for name, path in (("rootfs", root), ("venv", venv), ("app", app)):
        before[name] = path + ".before"
        shutil.rmtree(before[name], ignore_errors=True)
        sh(["cp", "-a", path, before[name]])
    sh(["chroot", root, "dpkg", "--purge", *DEB_PURGE])
    sh(["chroot", root, "dpkg", "--remove", *DEB_REMOVE])
    sh([f"{venv}/bin/pip", "uninstall", "-y", "-q", *PIP_UNINSTALL])
    sh(["npm", "uninstall", "--no-audit", "--no-fund", "--loglevel=error", *NPM_UNINSTALL], cwd=app)

    pypi = {tuple(r) for r in pip_truth(venv) + system_python_truth(root)}
    truth = {"deb": dpkg_truth(root), "pypi": sorted(list(r) for r in pypi), "npm": npm_truth(app),
             "cargo": rust_truth, "golang": go_truth}
    gone = DEB_PURGE + DEB_REMOVE
    if (len([r for r in dpkg_truth(before["rootfs"]) if r[0] in gone]) != len(gone)
            or any(r[0] in gone for r in truth["deb"])):
        die("dpkg --purge/--remove did not remove what it was asked to")
    status = open(os.path.join(root, "var/lib/dpkg/status")).read()
    if any(f"Package: {p}\nStatus: deinstall ok config-files" not in status for p in DEB_REMOVE):
        die("dpkg --remove did not leave the package in config-files state")

    def deletions(w):
        diff_into(w, before["rootfs"], root, "")
        diff_into(w, before["venv"], venv, "opt/venv")
        diff_into(w, before["app"], app, "app")

    base = [rootfs_layer(before["rootfs"]), at(before["venv"], "opt/venv"), at(before["app"], "app"),
            at(rust_bin, "usr/local/bin/acc-rust"), at(go_bin, "usr/local/bin/acc-go"), deletions]
    sizes = {"accuracy": write_image(os.path.join(out, "accuracy"), base)}
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)

    if bench:
        big_venv = build_pip(os.path.join(work, "big"), PIP + BENCH_PIP)
        big_app = build_npm(work, {**NPM, **BENCH_NPM}, "big-app")
        goroot = sh(["go", "env", "GOROOT"], capture=True).strip()
        extra = [at(big_venv, "opt/bigvenv"), at(big_app, "srv/big-app"), at(goroot, "usr/local/go")]
        sizes["bench-large"] = write_image(os.path.join(out, "bench-large"), base + extra)
    with open(os.path.join(out, "sizes.json"), "w") as f:
        json.dump(sizes, f, indent=1, sort_keys=True)
    shutil.rmtree(work, ignore_errors=True)
    print(f"make-accuracy-images: images and truth in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
