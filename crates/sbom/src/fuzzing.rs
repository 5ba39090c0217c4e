//! Fuzzing harness bodies (`fuzz/fuzz_targets/*.rs` call these; so does the corpus replay test
//! `crates/chainseal/tests/fuzz_corpus.rs`). Not a stable API.
//!
//! Each cataloger is fuzzed the way it meets input in a scan: the bytes are offered to a
//! [`Collector`] as the file the cataloger looks for, and the SBOM is built and written in every
//! format. Nothing may panic; every SBOM chainseal writes must read back.

use std::io::Cursor;

use crate::collect::{Collector, FileMeta};
use crate::format::{self, Format};
use crate::limits::Limits;
use crate::model::{SourceInfo, SourceKind};

fn limits() -> Limits {
    Limits { max_evidence_file: 4 << 20, max_binary_file: 4 << 20, max_archive_entries: 10_000, ..Limits::default() }
}

/// Offer `data` as the file at `path` (mode `mode`) to a collector of `kind`, build the SBOM,
/// write it in every format and read each back.
pub fn scan_file(kind: SourceKind, path: &str, mode: u32, data: &[u8]) {
    let mut c = Collector::new(kind, limits());
    let meta = FileMeta::regular(path, data.len() as u64, mode);
    if c.add(&meta, &mut Cursor::new(data)).is_err() {
        return;
    }
    let source = SourceInfo { kind, name: "fuzz".into(), ..SourceInfo::default() };
    let sbom = c.finish(source, 0);
    for (f, name) in Format::ALL {
        let doc = format::write(&sbom, f);
        if let Err(e) = format::read(&doc) {
            panic!("chainseal wrote a {name} document it cannot read back: {e}");
        }
    }
}

/// dpkg `status` database.
pub fn dpkg_status(data: &[u8]) {
    scan_file(SourceKind::Image, "var/lib/dpkg/status", 0o644, data);
}

/// Python `METADATA` of an installed distribution.
pub fn python_metadata(data: &[u8]) {
    scan_file(SourceKind::Image, "usr/lib/python3/site-packages/fuzz-1.0.dist-info/METADATA", 0o644, data);
}

/// npm `package-lock.json` (declared).
pub fn package_lock(data: &[u8]) {
    scan_file(SourceKind::Directory, "app/package-lock.json", 0o644, data);
}

/// `yarn.lock` (classic and berry).
pub fn yarn_lock(data: &[u8]) {
    scan_file(SourceKind::Directory, "app/yarn.lock", 0o644, data);
}

/// `Cargo.lock`.
pub fn cargo_lock(data: &[u8]) {
    scan_file(SourceKind::Directory, "app/Cargo.lock", 0o644, data);
}

/// Executables: Go build info and Rust `cargo auditable` data inside ELF/Mach-O/PE files. The
/// collector only sniffs executables of 1 KiB or more, so short inputs are padded.
pub fn go_buildinfo(data: &[u8]) {
    let mut bytes = data.to_vec();
    if bytes.len() < 1024 {
        bytes.resize(1024, 0);
    }
    scan_file(SourceKind::Image, "usr/local/bin/app", 0o755, &bytes);
    let _ = crate::catalog::binary::catalog_binary("usr/local/bin/app", None, &bytes);
}

/// Java archives (jar/war/ear, nested).
pub fn jar(data: &[u8]) {
    scan_file(SourceKind::Image, "opt/app/lib/fuzz-1.0.jar", 0o644, data);
}

/// `META-INF/MANIFEST.MF` inside a jar: the bytes are wrapped in a stored zip.
pub fn jar_manifest(data: &[u8]) {
    let jar = stored_zip(&[("META-INF/MANIFEST.MF", data)]);
    jar_bytes_only(&jar);
}

fn jar_bytes_only(jar: &[u8]) {
    scan_file(SourceKind::Image, "opt/app/lib/fuzz-1.0.jar", 0o644, jar);
}

/// A zip with stored (uncompressed) entries, written by hand: the `zip` crate here is built
/// read-only, and a stored archive is a few headers around the bytes.
pub fn stored_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, body) in files {
        let crc = crc32(body);
        let offset = out.len() as u32;
        let n = name.len() as u16;
        let size = body.len() as u32;
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(body);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&n.to_le_bytes());
        central.extend_from_slice(&[0u8; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    let cd_size = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0u8; 4]);
    let count = files.len() as u16;
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// rpm `rpmdb.sqlite` databases.
pub fn rpmdb_sqlite(data: &[u8]) {
    scan_file(SourceKind::Image, "var/lib/rpm/rpmdb.sqlite", 0o644, data);
}

/// rpm header blobs (what each rpmdb row holds).
pub fn rpm_header(data: &[u8]) {
    let _ = crate::catalog::rpm::parse_header(data);
}

/// SBOM documents (CycloneDX, SPDX 2.3, SPDX 3): whatever reads must write in every format and
/// read back.
pub fn sbom_document(data: &[u8]) {
    let Ok(sbom) = format::read(data) else { return };
    for (f, name) in Format::ALL {
        let doc = format::write(&sbom, f);
        if let Err(e) = format::read(&doc) {
            panic!("an SBOM read from input was written as {name} which does not read back: {e}");
        }
    }
}

/// All the harnesses of this crate by target name.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("dpkg_status", dpkg_status),
    ("python_metadata", python_metadata),
    ("package_lock", package_lock),
    ("yarn_lock", yarn_lock),
    ("cargo_lock", cargo_lock),
    ("go_buildinfo", go_buildinfo),
    ("jar", jar),
    ("jar_manifest", jar_manifest),
    ("rpmdb_sqlite", rpmdb_sqlite),
    ("rpm_header", rpm_header),
    ("cyclonedx", sbom_document),
    ("spdx", sbom_document),
];
