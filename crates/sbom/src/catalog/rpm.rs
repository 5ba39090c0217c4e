//! rpm: the three rpmdb formats, read from memory and told apart by their magic bytes:
//! SQLite `rpmdb.sqlite` (RHEL 9, Fedora, Amazon Linux 2023, Azure Linux), BerkeleyDB hash
//! `Packages` (CentOS 7, RHEL 7/8, Amazon Linux 2; [`super::rpm_bdb`]) and NDB `Packages.db`
//! (openSUSE, SLES; [`super::rpm_ndb`]). Each record is an rpm header blob, parsed here by hand
//! (a small, fully specified binary format; no maintained Rust crate reads rpmdb headers).

use std::collections::BTreeMap;

use super::{Context, Found, license, package_at};
use crate::collect::{EvidenceFile, Files};
use crate::model::EvidenceKind;
use crate::purl::Purl;

const DIRS: [&str; 3] = ["var/lib/rpm/", "usr/lib/sysimage/rpm/", "usr/share/rpm/"];

pub(crate) fn wants(path: &str) -> bool {
    DIRS.iter()
        .any(|d| path.strip_prefix(d).is_some_and(|n| n == "rpmdb.sqlite" || n == "Packages" || n == "Packages.db"))
}

/// Header tags chainseal reads.
mod tag {
    pub(super) const NAME: i32 = 1000;
    pub(super) const VERSION: i32 = 1001;
    pub(super) const RELEASE: i32 = 1002;
    pub(super) const EPOCH: i32 = 1003;
    pub(super) const SUMMARY: i32 = 1004;
    pub(super) const VENDOR: i32 = 1011;
    pub(super) const LICENSE: i32 = 1014;
    pub(super) const PACKAGER: i32 = 1015;
    pub(super) const ARCH: i32 = 1022;
    pub(super) const SOURCERPM: i32 = 1044;
    pub(super) const PROVIDENAME: i32 = 1047;
    pub(super) const REQUIRENAME: i32 = 1049;
}

/// The values of one header, by tag: strings, string arrays, or integers.
#[derive(Debug, Default)]
pub(crate) struct Header {
    strings: BTreeMap<i32, Vec<String>>,
    ints: BTreeMap<i32, Vec<u32>>,
}

impl Header {
    fn s(&self, t: i32) -> Option<&str> {
        self.strings.get(&t).and_then(|v| v.first()).map(String::as_str)
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// The tags [`parse_header`] keeps; the others are skipped unread.
const WANTED: [i32; 12] = [
    tag::NAME,
    tag::VERSION,
    tag::RELEASE,
    tag::EPOCH,
    tag::SUMMARY,
    tag::VENDOR,
    tag::LICENSE,
    tag::PACKAGER,
    tag::ARCH,
    tag::SOURCERPM,
    tag::PROVIDENAME,
    tag::REQUIRENAME,
];

/// Parse an rpmdb header blob (index count, data length, index entries, data store). Only the
/// tags chainseal uses are decoded, and the bytes scanned are bounded by a small multiple of the
/// blob's size, so a hostile header (many entries pointing at the same data) costs linear work.
pub(crate) fn parse_header(blob: &[u8]) -> Option<Header> {
    let il = be32(blob, 0)? as usize;
    let dl = be32(blob, 4)? as usize;
    if il > 100_000 || dl > blob.len() {
        return None;
    }
    let data_start = 8usize.checked_add(il.checked_mul(16)?)?;
    let data = blob.get(data_start..data_start.checked_add(dl)?)?;
    let mut budget = data.len().saturating_mul(4).saturating_add(4096);
    let mut h = Header::default();
    for i in 0..il {
        let e = 8 + i * 16;
        let t = be32(blob, e)? as i32;
        if !WANTED.contains(&t) {
            continue;
        }
        let ty = be32(blob, e + 4)?;
        let off = be32(blob, e + 8)? as usize;
        let count = be32(blob, e + 12)? as usize;
        if off >= data.len() || count > 1_000_000 {
            continue;
        }
        match ty {
            // STRING, STRING_ARRAY, I18NSTRING: NUL-terminated strings
            6 | 8 | 9 => {
                let n = if ty == 6 { 1 } else { count };
                let mut v = Vec::with_capacity(n.min(1024));
                let mut pos = off;
                for _ in 0..n {
                    let rest = data.get(pos..)?;
                    let end = rest.iter().position(|&b| b == 0)?;
                    budget = budget.checked_sub(end + 1)?;
                    v.push(String::from_utf8_lossy(&rest[..end]).into_owned());
                    pos += end + 1;
                }
                h.strings.insert(t, v);
            }
            // INT32
            4 => {
                budget = budget.checked_sub(count.min(4096) * 4)?;
                let v: Vec<u32> = (0..count.min(4096)).filter_map(|k| be32(data, off + k * 4)).collect();
                h.ints.insert(t, v);
            }
            _ => {}
        }
    }
    Some(h)
}

fn read_sqlite(file: &EvidenceFile<'_>) -> Result<Vec<Vec<u8>>, String> {
    let mut conn = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
    conn.deserialize_read_exact("main", file.bytes, file.bytes.len(), true).map_err(|e| e.to_string())?;
    let mut stmt = conn.prepare("SELECT blob FROM Packages").map_err(|e| e.to_string())?;
    let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r.map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// purl namespace for a distro id, as syft writes it.
fn namespace(id: &str) -> &str {
    match id {
        "rhel" | "hummingbird" => "redhat",
        s if s.starts_with("opensuse") => "opensuse",
        s => s,
    }
}

/// Which database a file is, by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum DbFormat {
    Sqlite,
    Ndb,
    Bdb,
}

fn db_format(bytes: &[u8]) -> Option<DbFormat> {
    if bytes.starts_with(b"SQLite format 3\0") {
        Some(DbFormat::Sqlite)
    } else if super::rpm_ndb::is_ndb(bytes) {
        Some(DbFormat::Ndb)
    } else if super::rpm_bdb::is_bdb_hash(bytes) {
        Some(DbFormat::Bdb)
    } else {
        None
    }
}

/// The header blobs of one database, whatever its format, with the problems met.
fn header_blobs(file: &EvidenceFile<'_>, format: DbFormat) -> Result<(Vec<Vec<u8>>, Vec<String>), String> {
    match format {
        DbFormat::Sqlite => read_sqlite(file).map(|b| (b, Vec::new())),
        DbFormat::Ndb => {
            super::rpm_ndb::blobs(file.bytes).map(|(b, p)| (b.into_iter().map(<[u8]>::to_vec).collect(), p))
        }
        DbFormat::Bdb => super::rpm_bdb::values(file.bytes),
    }
}

pub(crate) fn catalog(files: &Files<'_>, ctx: &Context, out: &mut Found) {
    // one database per directory: a stale BerkeleyDB file often sits next to rpmdb.sqlite after
    // a conversion, so the newest format in a directory wins
    let mut best: BTreeMap<&str, (DbFormat, EvidenceFile<'_>)> = BTreeMap::new();
    for db in files.iter().filter(|f| wants(f.path)) {
        let Some(format) = db_format(db.bytes) else {
            if !db.bytes.is_empty() {
                out.warn(db.path, "not a SQLite, BerkeleyDB or NDB rpm database; skipped");
            }
            continue;
        };
        let dir = crate::util::parent(db.path);
        if best.get(dir).is_none_or(|(f, _)| format < *f) {
            best.insert(dir, (format, db));
        }
    }
    for (format, db) in best.into_values() {
        let (blobs, problems) = match header_blobs(&db, format) {
            Ok(b) => b,
            Err(e) => {
                out.warn(db.path, format!("cannot read rpm {format:?} database: {e}"));
                continue;
            }
        };
        for p in problems {
            out.warn(db.path, format!("rpm {format:?} database: {p}"));
        }
        catalog_headers(&db, &blobs, ctx, out);
    }
}

fn catalog_headers(db: &EvidenceFile<'_>, blobs: &[Vec<u8>], ctx: &Context, out: &mut Found) {
    let (ns, distro) = match &ctx.distro {
        Some(d) => (namespace(&d.id).to_string(), d.qualifier()),
        None => ("redhat".to_string(), String::new()),
    };
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut comps = Vec::new();
    for blob in blobs {
        let Some(h) = parse_header(blob) else {
            out.warn(db.path, "malformed rpm header; skipped");
            continue;
        };
        let (Some(name), Some(version)) = (h.s(tag::NAME), h.s(tag::VERSION)) else { continue };
        if name == "gpg-pubkey" {
            continue;
        }
        let release = h.s(tag::RELEASE).unwrap_or_default();
        let full = if release.is_empty() { version.to_string() } else { format!("{version}-{release}") };
        let epoch = h.ints.get(&tag::EPOCH).and_then(|v| v.first()).map(|e| e.to_string()).unwrap_or_default();
        let purl = Purl::new("rpm", name)
            .namespace(&ns)
            .version(&full)
            .qualifier("arch", h.s(tag::ARCH).unwrap_or_default())
            .qualifier("epoch", &epoch)
            .qualifier("upstream", h.s(tag::SOURCERPM).unwrap_or_default())
            .qualifier("distro", &distro);
        let mut c = package_at(purl, "rpm-db", EvidenceKind::Installed, db);
        c.licenses.extend(h.s(tag::LICENSE).and_then(license));
        c.supplier = h.s(tag::VENDOR).filter(|v| !v.trim().is_empty()).map(str::to_string);
        c.author = h.s(tag::PACKAGER).map(str::to_string);
        c.description = h.s(tag::SUMMARY).map(str::to_string);
        if let Some(src) = h.s(tag::SOURCERPM) {
            c.properties.push(("chainseal:rpm:sourceRpm".into(), src.to_string()));
        }
        ids.entry(name.to_string()).or_insert_with(|| c.id.clone());
        for p in h.strings.get(&tag::PROVIDENAME).into_iter().flatten() {
            ids.entry(p.clone()).or_insert_with(|| c.id.clone());
        }
        let reqs = h.strings.get(&tag::REQUIRENAME).cloned().unwrap_or_default();
        comps.push((c, reqs));
    }
    for (c, reqs) in &comps {
        for r in reqs {
            if let Some(to) = ids.get(r) {
                out.depends(&c.id, to);
            }
        }
    }
    out.components.extend(comps.into_iter().map(|(c, _)| c));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build a header blob from (tag, type, payload, count) entries.
    pub(crate) fn blob(entries: &[(i32, u32, Vec<u8>, u32)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (t, ty, payload, count) in entries {
            index.extend_from_slice(&t.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&count.to_be_bytes());
            data.extend_from_slice(payload);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    fn scan(dir: &str) -> crate::model::Sbom {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sbom/rpm").join(dir);
        crate::scan_directory(&root, &crate::ScanOptions::default()).expect("scan")
    }

    /// The same two packages (built by rpmbuild, installed by rpm) from each database format.
    #[test]
    fn reads_sqlite_berkeleydb_and_ndb() {
        for (dir, path, ns, distro) in [
            ("sqlite", "/var/lib/rpm/rpmdb.sqlite", "centos", "centos-7"),
            ("bdb", "/var/lib/rpm/Packages", "centos", "centos-7"),
            ("ndb", "/usr/lib/sysimage/rpm/Packages.db", "opensuse", "opensuse-leap-15.5"),
        ] {
            let sbom = scan(dir);
            assert!(sbom.warnings.is_empty(), "{dir}: {:?}", sbom.warnings);
            let rpms: Vec<_> = sbom.components.iter().filter(|c| c.ecosystem == "rpm").collect();
            assert_eq!(rpms.len(), 2, "{dir}");
            let hello = rpms.iter().find(|c| c.name == "hello-lib").expect("hello-lib");
            assert_eq!(
                hello.purl.as_deref(),
                Some(
                    format!(
                        "pkg:rpm/{ns}/hello-lib@1.2.3-4.el7?arch=x86_64&distro={distro}&epoch=2&upstream=hello-lib-1.2.3-4.el7.src.rpm"
                    )
                    .as_str()
                ),
                "{dir}"
            );
            assert_eq!(hello.licenses, vec!["MIT"]);
            assert_eq!(hello.supplier.as_deref(), Some("Chainseal Test Vendor"));
            assert_eq!(hello.locations[0].path, path);
            let world = rpms.iter().find(|c| c.name == "world-tool").expect("world-tool");
            assert_eq!(world.version, "0.9-1.el7");
            assert_eq!(world.licenses, vec!["GPL-2.0-or-later AND LGPL-2.0-or-later"]);
            assert!(world.purl.as_deref().is_some_and(|p| p.contains("arch=noarch") && !p.contains("epoch")));
            // Requires: libhello.so.1()(64bit) is provided by hello-lib
            assert_eq!(sbom.dependencies_of(&world.id), vec![hello.id.as_str()], "{dir}");
        }
    }

    /// Truncated and corrupted databases give warnings with the path, never a panic.
    #[test]
    fn hostile_databases_warn() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sbom/rpm");
        for (dir, rel) in [("bdb", "var/lib/rpm/Packages"), ("ndb", "usr/lib/sysimage/rpm/Packages.db")] {
            let bytes = std::fs::read(base.join(dir).join(rel)).expect("fixture");
            for cut in [bytes.len() / 2, bytes.len() - 100, 40, 10] {
                let mut c = crate::Collector::new(crate::SourceKind::Image, crate::Limits::default());
                let meta = crate::FileMeta::regular(rel, cut as u64, 0o644);
                c.add(&meta, &mut &bytes[..cut]).expect("add");
                let sbom = c.finish(Default::default(), 0);
                assert!(
                    sbom.warnings.iter().any(|w| w.path == format!("/{rel}")),
                    "{dir} cut at {cut}: {:?}",
                    sbom.warnings
                );
            }
        }
    }

    /// Many index entries all pointing at one large string array: bounded work, no hang.
    #[test]
    fn header_with_repeated_entries_is_bounded() {
        let mut data = vec![0u8; 100_000];
        data[0] = b'a';
        let entries: Vec<(i32, u32, Vec<u8>, u32)> = (0..50_000).map(|_| (1047, 8, Vec::new(), 1_000_000)).collect();
        let mut b = blob(&entries);
        // every entry points at offset 0 of the NUL-filled data store
        b[4..8].copy_from_slice(&(data.len() as u32).to_be_bytes());
        b.extend(data);
        let t = std::time::Instant::now();
        assert!(parse_header(&b).is_none());
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn parses_header_and_survives_garbage() {
        let b = blob(&[
            (1000, 6, b"bash\0".to_vec(), 1),
            (1001, 6, b"5.1\0".to_vec(), 1),
            (1003, 4, 2u32.to_be_bytes().to_vec(), 1),
        ]);
        let h = parse_header(&b).expect("parses");
        assert_eq!(h.s(tag::NAME), Some("bash"));
        assert_eq!(h.ints.get(&tag::EPOCH), Some(&vec![2]));
        for n in 0..b.len() {
            let _ = parse_header(&b[..n]);
        }
        let _ = parse_header(&[0xff; 64]);
    }
}
