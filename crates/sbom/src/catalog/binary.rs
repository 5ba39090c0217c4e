//! Executables: Go build info (Go ≥ 1.18 inline format: main module, dependencies, toolchain)
//! and cargo-auditable `.dep-v0` sections (zlib-compressed JSON dependency tree).
//!
//! The build-info record format is read by hand from its documented layout
//! (`debug/buildinfo` in the Go tree); `object` finds sections in ELF, Mach-O and PE.

use std::io::Read as _;

use object::{Object as _, ObjectSection as _};
use serde::Deserialize;

use super::{Found, golang, package};
use crate::model::{ComponentKind, EvidenceKind, Hash, HashAlg};
use crate::purl::Purl;

const GO_MAGIC: &[u8] = b"\xff Go buildinf:";
/// Most bytes the `.dep-v0` JSON may inflate to.
const MAX_DEP_JSON: u64 = 16 << 20;

/// ELF, Mach-O (32/64, both byte orders, fat) or PE (`MZ`) magic.
pub(crate) fn is_executable_magic(m: &[u8; 4]) -> bool {
    m == b"\x7fELF"
        || m[..2] == *b"MZ"
        || matches!(u32::from_be_bytes(*m), 0xfeedface | 0xfeedfacf | 0xcefaedfe | 0xcffaedfe | 0xcafebabe)
}

/// Look into one executable; `path` has no leading `/`.
pub(crate) fn catalog_binary(path: &str, layer: Option<&str>, bytes: &[u8]) -> Found {
    let mut out = Found::default();
    let obj = object::File::parse(bytes).ok();
    let section = |names: &[&str]| -> Option<&[u8]> {
        let obj = obj.as_ref()?;
        names.iter().find_map(|n| obj.section_by_name(n)).and_then(|s| s.data().ok())
    };
    let file_hash = || Hash::new(HashAlg::Sha256, &crate::util::sha256_hex(bytes));
    // Go
    let go = section(&[".go.buildinfo", "__go_buildinfo"])
        .filter(|d| d.starts_with(GO_MAGIC))
        .or_else(|| memchr::memmem::find_iter(bytes, GO_MAGIC).find(|i| i % 16 == 0).and_then(|i| bytes.get(i..)));
    if let Some(data) = go {
        match parse_go_buildinfo(data) {
            Some((goversion, modinfo)) => go_packages(path, layer, &goversion, &modinfo, file_hash(), &mut out),
            None => out.warn(path, "Go build info in an old (pre-1.18) or unreadable format; Go modules not listed"),
        }
    }
    // Rust, cargo-auditable
    if let Some(data) = section(&[".dep-v0", "__dep_v0"]) {
        match auditable(data) {
            Ok(tree) => auditable_packages(path, layer, tree, file_hash(), &mut out),
            Err(e) => out.warn(path, format!("unreadable cargo-auditable data: {e}")),
        }
    }
    out
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Go ≥ 1.18 build info: 32-byte header, then two varint-length-prefixed strings.
fn parse_go_buildinfo(data: &[u8]) -> Option<(String, String)> {
    let flags = *data.get(15)?;
    if flags & 2 == 0 {
        return None;
    }
    let mut pos = 32;
    let mut read = || -> Option<&[u8]> {
        let (n, used) = uvarint(data.get(pos..)?)?;
        let start = pos.checked_add(used)?;
        let end = start.checked_add(usize::try_from(n).ok()?)?;
        let s = data.get(start..end)?;
        pos = end;
        Some(s)
    };
    let version = String::from_utf8_lossy(read()?).into_owned();
    let mut modinfo = read()?;
    // modinfo is wrapped in 16-byte (binary) sentinels
    if modinfo.len() >= 33 && modinfo.get(modinfo.len() - 17) == Some(&b'\n') {
        modinfo = &modinfo[16..modinfo.len() - 16];
    }
    let modinfo = String::from_utf8_lossy(modinfo).into_owned();
    Some((version, modinfo))
}

fn go_packages(
    path: &str,
    layer: Option<&str>,
    goversion: &str,
    modinfo: &str,
    file_hash: Option<Hash>,
    out: &mut Found,
) {
    let mut main: Option<(String, String, String)> = None;
    let mut deps: Vec<(String, String, String)> = Vec::new();
    let mut settings = Vec::new();
    for line in modinfo.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["mod", p, v, rest @ ..] => {
                main = Some((p.to_string(), v.to_string(), rest.first().unwrap_or(&"").to_string()))
            }
            ["dep", p, v, rest @ ..] => {
                deps.push((p.to_string(), v.to_string(), rest.first().unwrap_or(&"").to_string()))
            }
            ["=>", p, v, rest @ ..] => {
                if let Some(last) = deps.last_mut() {
                    *last = (p.to_string(), v.to_string(), rest.first().unwrap_or(&"").to_string());
                }
            }
            ["build", kv] => settings.push(kv.to_string()),
            _ => {}
        }
    }
    let mk = |p: &str, v: &str, sum: &str| {
        let version = if v == "(devel)" { "" } else { v };
        let mut c = package(golang::purl(p, version), "go-module-binary", EvidenceKind::Binary, path, layer);
        c.name = p.to_string();
        c.group = None;
        c.version = v.to_string();
        c.hashes.extend(golang::h1(sum));
        c
    };
    let mut ids = Vec::new();
    for (p, v, s) in &deps {
        let c = mk(p, v, s);
        ids.push(c.id.clone());
        out.components.push(c);
    }
    if let Some(v) = goversion.strip_prefix("go") {
        let v = v.split([' ', '+']).next().unwrap_or(v);
        let mut c =
            package(Purl::new("golang", "stdlib").version(v), "go-module-binary", EvidenceKind::Binary, path, layer);
        c.version = goversion.to_string();
        c.licenses.push("BSD-3-Clause".into());
        ids.push(c.id.clone());
        out.components.push(c);
    }
    if let Some((p, v, s)) = main {
        let mut c = mk(&p, &v, &s);
        c.kind = ComponentKind::Application;
        c.hashes.extend(file_hash);
        for kv in settings
            .iter()
            .filter(|kv| kv.starts_with("GOOS=") || kv.starts_with("GOARCH=") || kv.starts_with("vcs.revision="))
        {
            if let Some((k, v)) = kv.split_once('=') {
                c.properties.push((format!("chainseal:go:{k}"), v.to_string()));
            }
        }
        for id in &ids {
            out.depends(&c.id, id);
        }
        out.components.push(c);
    }
}

#[derive(Deserialize)]
struct AuditPkg {
    name: String,
    version: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    dependencies: Vec<usize>,
    #[serde(default)]
    root: bool,
}

#[derive(Deserialize)]
struct AuditTree {
    packages: Vec<AuditPkg>,
}

fn auditable(data: &[u8]) -> Result<AuditTree, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(data).take(MAX_DEP_JSON + 1).read_to_end(&mut json).map_err(|e| e.to_string())?;
    if json.len() as u64 > MAX_DEP_JSON {
        return Err("dependency list inflates past 16 MiB".into());
    }
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

fn auditable_packages(path: &str, layer: Option<&str>, tree: AuditTree, file_hash: Option<Hash>, out: &mut Found) {
    let mut ids: Vec<Option<String>> = Vec::with_capacity(tree.packages.len());
    for p in &tree.packages {
        if p.kind == "build" {
            ids.push(None);
            continue;
        }
        let mut c = package(
            Purl::new("cargo", &p.name).version(&p.version),
            "cargo-auditable-binary",
            EvidenceKind::Binary,
            path,
            layer,
        );
        if p.root {
            c.kind = ComponentKind::Application;
            c.hashes.extend(file_hash.clone());
        }
        if !p.source.is_empty() {
            c.properties.push(("chainseal:cargo:source".into(), p.source.clone()));
        }
        ids.push(Some(c.id.clone()));
        out.components.push(c);
    }
    for (p, from) in tree.packages.iter().zip(&ids) {
        let Some(from) = from else { continue };
        for &d in &p.dependencies {
            if let Some(Some(to)) = ids.get(d) {
                out.depends(from, to);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go_blob(version: &str, modinfo: &str) -> Vec<u8> {
        let mut b = GO_MAGIC.to_vec();
        b.push(8);
        b.push(2);
        b.resize(32, 0);
        for s in [version, modinfo] {
            let mut n = s.len();
            loop {
                let byte = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    b.push(byte);
                    break;
                }
                b.push(byte | 0x80);
            }
            b.extend_from_slice(s.as_bytes());
        }
        b
    }

    #[test]
    fn go_buildinfo_inline() {
        let mi = format!(
            "{}path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgithub.com/a/b\tv1.2.3\th1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n=>\tgithub.com/fork/b\tv1.2.4\t\nbuild\tGOOS=linux\n{}",
            "0123456789abcdef", "\n123456789abcdef"
        );
        let mut bin = vec![0u8; 64];
        bin.extend(go_blob("go1.22.1", &mi));
        let found = catalog_binary("usr/bin/app", None, &bin);
        let names: Vec<&str> = found.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["github.com/fork/b", "stdlib", "example.com/app"]);
        assert_eq!(found.components[1].purl.as_deref(), Some("pkg:golang/stdlib@1.22.1"));
        assert_eq!(found.edges.len(), 2);
    }

    #[test]
    fn hostile_binaries_do_not_panic() {
        let mut b = vec![0x7f, b'E', b'L', b'F'];
        b.extend(std::iter::repeat_n(0xffu8, 300));
        let _ = catalog_binary("x", None, &b);
        let mut g = vec![0u8; 16];
        g.extend_from_slice(GO_MAGIC);
        g.extend([8, 2]);
        g.extend(std::iter::repeat_n(0xffu8, 40));
        let f = catalog_binary("x", None, &g);
        assert!(f.components.is_empty());
        assert!(auditable(b"not zlib").is_err());
    }
}
