//! Executables: Go build info (main module, dependencies, toolchain; both the Go ≥ 1.18 inline
//! format and the older pointer format of Go 1.13–1.17, where the header points at the
//! `runtime.buildVersion` and `runtime.modinfo` string headers in the data segment) and
//! cargo-auditable `.dep-v0` sections (zlib-compressed JSON dependency tree).
//!
//! The build-info record format is read by hand from its documented layout
//! (`debug/buildinfo` in the Go tree); `object` finds sections in ELF, Mach-O and PE.

use std::io::Read as _;

use object::{Object as _, ObjectSection as _, ObjectSegment as _};
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
        let at = |addr: u64, len: u64| obj.as_ref().and_then(|o| read_at_address(o, bytes, addr, len));
        match parse_go_buildinfo(data).or_else(|| parse_go_buildinfo_pointers(data, &at)) {
            Some((goversion, modinfo)) => go_packages(path, layer, &goversion, &modinfo, file_hash(), &mut out),
            None => out.warn(path, "unreadable Go build info; Go modules not listed"),
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

/// The bytes at virtual address `addr`, `len` long, from the loaded segment that holds them.
fn read_at_address<'a>(obj: &object::File<'_>, bytes: &'a [u8], addr: u64, len: u64) -> Option<&'a [u8]> {
    obj.segments().find_map(|seg| {
        let (off, size) = seg.file_range();
        let rel = addr.checked_sub(seg.address())?;
        if rel.checked_add(len)? > size {
            return None;
        }
        let start = usize::try_from(off.checked_add(rel)?).ok()?;
        bytes.get(start..start.checked_add(usize::try_from(len).ok()?)?)
    })
}

/// Most bytes a pointed-to build-info string may have (real ones are a few KB).
const MAX_GO_STRING: u64 = 1 << 20;

/// Go 1.13–1.17 build info: after the magic, the pointer size, an endianness flag, then two
/// pointers to Go string headers `{data pointer, length}` (`runtime.buildVersion`,
/// `runtime.modinfo`). `at` reads bytes at a virtual address.
fn parse_go_buildinfo_pointers<'a>(data: &[u8], at: &dyn Fn(u64, u64) -> Option<&'a [u8]>) -> Option<(String, String)> {
    let ptr_size = usize::from(*data.get(14)?);
    let big = match *data.get(15)? {
        0 => false,
        1 => true,
        _ => return None,
    };
    let ptr = |b: &[u8]| -> Option<u64> {
        Some(match (ptr_size, big) {
            (4, false) => u64::from(u32::from_le_bytes(b.get(..4)?.try_into().ok()?)),
            (4, true) => u64::from(u32::from_be_bytes(b.get(..4)?.try_into().ok()?)),
            (8, false) => u64::from_le_bytes(b.get(..8)?.try_into().ok()?),
            (8, true) => u64::from_be_bytes(b.get(..8)?.try_into().ok()?),
            _ => return None,
        })
    };
    let string = |header_addr: u64| -> Option<&[u8]> {
        let header = at(header_addr, 2 * ptr_size as u64)?;
        let (addr, len) = (ptr(header)?, ptr(header.get(ptr_size..)?)?);
        if len > MAX_GO_STRING {
            return None;
        }
        if len == 0 { Some(&[]) } else { at(addr, len) }
    };
    let version = string(ptr(data.get(16..)?)?)?;
    let mut modinfo = string(ptr(data.get(16 + ptr_size..)?)?).unwrap_or_default();
    if version.is_empty() {
        return None;
    }
    if modinfo.len() >= 33 && modinfo.get(modinfo.len() - 17) == Some(&b'\n') {
        modinfo = &modinfo[16..modinfo.len() - 16];
    } else {
        modinfo = &[];
    }
    Some((String::from_utf8_lossy(version).into_owned(), String::from_utf8_lossy(modinfo).into_owned()))
}

/// A `replace` target that is a directory (`./x`, `../x`, `/x`), not a module path.
fn is_local_replacement(target: &str) -> bool {
    target.starts_with("./") || target.starts_with("../") || target.starts_with('/') || target == "." || target == ".."
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
                    if is_local_replacement(p) {
                        // `replace mod => ./dir`: the module keeps its path; a directory has no version
                        *last = (last.0.clone(), "(devel)".to_string(), String::new());
                    } else {
                        *last = (p.to_string(), v.to_string(), rest.first().unwrap_or(&"").to_string());
                    }
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
    fn go_local_directory_replacement_keeps_the_module_path_without_a_version() {
        let mi = format!(
            "{}path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\texample.com/lib\tv0.0.0\n=>\t./lib\t(devel)\t\ndep\tgithub.com/a/b\tv0.0.0-00010101000000-000000000000\n=>\tgithub.com/a/b\tv0.9.0\th1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n{}",
            "0123456789abcdef", "\n123456789abcdef"
        );
        let mut bin = vec![0u8; 64];
        bin.extend(go_blob("go1.26.8", &mi));
        let found = catalog_binary("usr/bin/app", None, &bin);
        let lib = found.components.iter().find(|c| c.name == "example.com/lib").expect("local module reported");
        assert_eq!(lib.purl.as_deref(), Some("pkg:golang/example.com/lib"));
        assert!(found.components.iter().all(|c| !c.name.starts_with('.')));
        let b = found.components.iter().find(|c| c.name == "github.com/a/b").expect("replaced module");
        assert_eq!(b.version, "v0.9.0");
    }

    /// A minimal 64-bit little-endian ELF executable, one PT_LOAD segment at `BASE` mapping the
    /// whole file, holding Go 1.13–1.17 pointer-format build info: the header at 128 points at
    /// two Go string headers, which point at the version and the framed modinfo.
    fn old_go_elf(version: &str, modinfo: &str) -> Vec<u8> {
        const BASE: u64 = 0x40_0000;
        let mut payload = Vec::new();
        payload.extend_from_slice(GO_MAGIC);
        payload.extend([8u8, 0]);
        let p = |n: usize| BASE + 128 + n as u64;
        payload.extend(p(32).to_le_bytes());
        payload.extend(p(48).to_le_bytes());
        payload.extend(p(64).to_le_bytes());
        payload.extend((version.len() as u64).to_le_bytes());
        payload.extend(p(64 + version.len()).to_le_bytes());
        payload.extend((modinfo.len() as u64).to_le_bytes());
        payload.extend_from_slice(version.as_bytes());
        payload.extend_from_slice(modinfo.as_bytes());
        let total = (128 + payload.len()) as u64;
        let mut elf = Vec::new();
        elf.extend([0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
        elf.resize(16, 0);
        elf.extend(2u16.to_le_bytes()); // ET_EXEC
        elf.extend(0x3eu16.to_le_bytes()); // x86-64
        elf.extend(1u32.to_le_bytes());
        elf.extend(BASE.to_le_bytes()); // entry
        elf.extend(64u64.to_le_bytes()); // phoff
        elf.extend(0u64.to_le_bytes()); // shoff
        elf.extend(0u32.to_le_bytes());
        for v in [64u16, 56, 1, 64, 0, 0] {
            elf.extend(v.to_le_bytes());
        }
        elf.extend(1u32.to_le_bytes()); // PT_LOAD
        elf.extend(6u32.to_le_bytes());
        for v in [0, BASE, BASE, total, total, 0x1000] {
            elf.extend(v.to_le_bytes());
        }
        elf.resize(128, 0);
        elf.extend(payload);
        elf
    }

    #[test]
    fn go_buildinfo_pointer_format_before_go_1_18() {
        let mi = format!(
            "{}path\texample.com/old\nmod\texample.com/old\tv0.3.0\t\ndep\tgolang.org/x/text\tv0.3.7\th1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=\n{}",
            "0123456789abcdef", "\n123456789abcdef"
        );
        let bin = old_go_elf("go1.16.15", &mi);
        let found = catalog_binary("usr/bin/old", None, &bin);
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        let purls: Vec<&str> = found.components.iter().filter_map(|c| c.purl.as_deref()).collect();
        assert_eq!(
            purls,
            vec![
                "pkg:golang/golang.org/x/text@v0.3.7",
                "pkg:golang/stdlib@1.16.15",
                "pkg:golang/example.com/old@v0.3.0"
            ]
        );
        assert_eq!(found.components[1].version, "go1.16.15");
        // modinfo without its sentinels: the toolchain alone is still known
        let found = catalog_binary("x", None, &old_go_elf("go1.14", "mod\tx\tv1\t\n"));
        let names: Vec<&str> = found.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["stdlib"]);
    }

    #[test]
    fn hostile_old_go_buildinfo_never_panics() {
        let mi = format!("{}mod\tx\tv1\t\n{}", "0123456789abcdef", "\n123456789abcdef");
        let bin = old_go_elf("go1.16", &mi);
        for at in 128..bin.len().min(128 + 64) {
            for v in [0u8, 0xff, 0x7f] {
                let mut b = bin.clone();
                b[at] = v;
                let _ = catalog_binary("x", None, &b);
            }
        }
        // a string header claiming 2^63 bytes
        let mut b = bin.clone();
        b[128 + 40..128 + 48].copy_from_slice(&(1u64 << 63).to_le_bytes());
        let f = catalog_binary("x", None, &b);
        assert!(f.components.is_empty() && !f.warnings.is_empty());
        for n in (0..bin.len()).step_by(5) {
            let _ = catalog_binary("x", None, &bin[..n]);
        }
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
