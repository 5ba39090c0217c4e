//! Read the header blobs of rpm's NDB package database (`Packages.db`, openSUSE and SLES) from
//! memory.
//!
//! Written by hand: NDB is rpm's own format (`lib/backend/ndb/rpmpkg.c`) and no Rust crate reads
//! it. Layout (little endian): a 32-byte header (`RpmP`, version 0, generation, slot-page count),
//! then slot pages of 16-byte slots (`Slot`, package index, block offset, block count), then
//! blobs in 16-byte blocks, each starting with `BlbS`, package index, generation, length. Every
//! slot and blob is checked against the file; blobs are borrowed, not copied.

const PAGE: usize = 4096;
const BLOCK: usize = 16;
const HEADER_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
/// rpm refuses more slot pages than this (`go-rpmdb` too); a larger count is a corrupt file.
const MAX_SLOT_PAGES: usize = 2048;

/// Does this look like an NDB package database?
pub(crate) fn is_ndb(b: &[u8]) -> bool {
    b.starts_with(HEADER_MAGIC)
}

fn le32(b: &[u8], at: usize) -> Option<usize> {
    let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(s)).ok()
}

/// The header blobs of every used slot, and the problems met (a bad slot or blob costs that
/// package only). Fails when the file is not a usable NDB database.
pub(crate) fn blobs(db: &[u8]) -> Result<(Vec<&[u8]>, Vec<String>), String> {
    if !is_ndb(db) {
        return Err("not an NDB database".into());
    }
    let version = le32(db, 4).ok_or("truncated header")?;
    if version != 0 {
        return Err(format!("unsupported NDB version {version}"));
    }
    let slot_pages = le32(db, 12).ok_or("truncated header")?;
    if slot_pages == 0 || slot_pages > MAX_SLOT_PAGES {
        return Err(format!("invalid slot page count {slot_pages}"));
    }
    let mut problems = Vec::new();
    let slot_end = slot_pages * PAGE;
    if slot_end > db.len() {
        problems.push(format!("database is truncated: slot area of {slot_end} bytes, file of {}", db.len()));
    }
    let mut out = Vec::new();
    // the header takes the room of the first two slots
    let mut at = 2 * BLOCK;
    while at < slot_end {
        let Some(slot) = db.get(at..at + BLOCK) else { break };
        at += BLOCK;
        if &slot[..4] != SLOT_MAGIC {
            problems.push(format!("bad slot magic at offset {}", at - BLOCK));
            continue;
        }
        let (Some(pkg), Some(blk)) = (le32(slot, 4), le32(slot, 8)) else { continue };
        if pkg == 0 {
            continue;
        }
        let start = blk.saturating_mul(BLOCK);
        let Some(head) = db.get(start..start.saturating_add(BLOCK)) else {
            problems.push(format!("package {pkg}: blob offset {start} is outside the file"));
            continue;
        };
        if &head[..4] != BLOB_MAGIC || le32(head, 4) != Some(pkg) {
            problems.push(format!("package {pkg}: no blob at offset {start}"));
            continue;
        }
        let len = le32(head, 12).unwrap_or(usize::MAX);
        match db.get(start + BLOCK..(start + BLOCK).saturating_add(len)) {
            Some(b) => out.push(b),
            None => problems.push(format!("package {pkg}: blob of {len} bytes runs past the end of the file")),
        }
    }
    Ok((out, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &[u8] = include_bytes!("../../../../testdata/sbom/rpm/ndb/usr/lib/sysimage/rpm/Packages.db");

    #[test]
    fn reads_the_fixture() {
        let (b, problems) = blobs(FIXTURE).expect("ndb");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(b.len(), 2);
        assert!(b.iter().all(|v| super::super::rpm::parse_header(v).is_some()));
    }

    #[test]
    fn hostile_variants_never_panic() {
        assert!(blobs(b"RpmP").is_err());
        assert!(blobs(b"nothing").is_err());
        for n in (0..FIXTURE.len()).step_by(61) {
            let _ = blobs(&FIXTURE[..n]);
        }
        let (b, problems) = blobs(&FIXTURE[..PAGE + 40]).expect("header intact");
        assert!(b.is_empty() && !problems.is_empty());
        for at in (0..FIXTURE.len()).step_by(7) {
            let mut b = FIXTURE.to_vec();
            b[at] ^= 0xff;
            let _ = blobs(&b);
        }
        let mut huge = FIXTURE.to_vec();
        huge[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(blobs(&huge).is_err());
    }
}
