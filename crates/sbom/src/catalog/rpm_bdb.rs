//! Read the values of a BerkeleyDB hash database from memory, just enough for rpm's
//! `Packages` file (CentOS 7, RHEL 7/8, Amazon Linux 2): every value is an rpm header blob.
//!
//! Written by hand: no maintained Rust crate reads BerkeleyDB files (the C library is AGPL and
//! would have to be linked; the Rust bindings are unmaintained). The format is small and stable
//! (`db/db_page.h`, `hash/hash_page.c` in Berkeley DB; syft reads it with knqyf263/go-rpmdb the
//! same way). Every offset is checked against the page and the file; overflow chains are
//! bounded by the file size, so a hostile file costs at most linear work and memory.

/// Hash database magic (`DB_HASHMAGIC`).
const HASH_MAGIC: u32 = 0x0006_1561;
/// Page header size (`SIZEOF_PAGE`).
const PAGE_HEADER: usize = 26;
/// Page types (`P_*`).
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
/// Hash item types (`H_*`).
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

/// Is this the start of a BerkeleyDB hash database (either byte order)?
pub(crate) fn is_bdb_hash(b: &[u8]) -> bool {
    byte_order(b).is_some()
}

/// `Some(true)` for little endian, `Some(false)` for big endian.
fn byte_order(b: &[u8]) -> Option<bool> {
    let m: [u8; 4] = b.get(12..16)?.try_into().ok()?;
    if u32::from_le_bytes(m) == HASH_MAGIC {
        Some(true)
    } else if u32::from_be_bytes(m) == HASH_MAGIC {
        Some(false)
    } else {
        None
    }
}

struct Reader<'a> {
    db: &'a [u8],
    le: bool,
    page_size: usize,
    pages: usize,
}

impl<'a> Reader<'a> {
    fn u16(&self, b: &[u8], at: usize) -> Option<usize> {
        let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(usize::from(if self.le { u16::from_le_bytes(s) } else { u16::from_be_bytes(s) }))
    }
    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.le { u32::from_le_bytes(s) } else { u32::from_be_bytes(s) })
    }
    fn page(&self, n: usize) -> Option<&'a [u8]> {
        if n >= self.pages {
            return None;
        }
        let start = n.checked_mul(self.page_size)?;
        self.db.get(start..start.checked_add(self.page_size)?)
    }

    /// Follow an overflow chain from page `first`, collecting at most `len` bytes.
    fn overflow(&self, first: u32, len: usize, budget: &mut usize) -> Result<Vec<u8>, String> {
        if len > *budget {
            return Err(format!("overflow item of {len} bytes is larger than the database"));
        }
        let mut out = Vec::with_capacity(len);
        let mut next = first as usize;
        let mut steps = 0usize;
        while next != 0 {
            steps += 1;
            if steps > self.pages {
                return Err("overflow chain loops".into());
            }
            let page = self.page(next).ok_or_else(|| format!("overflow page {next} is outside the file"))?;
            if page.get(25) != Some(&P_OVERFLOW) {
                return Err(format!("page {next} is not an overflow page"));
            }
            let following = self.u32(page, 16).unwrap_or(0) as usize;
            // on overflow pages the free-area offset field holds the bytes used on this page
            let used = self.u16(page, 22).unwrap_or(0);
            let chunk = if following == 0 {
                page.get(PAGE_HEADER..PAGE_HEADER.saturating_add(used))
                    .ok_or_else(|| format!("overflow page {next} claims more bytes than it has"))?
            } else {
                page.get(PAGE_HEADER..).unwrap_or_default()
            };
            let room = len.saturating_sub(out.len());
            out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            next = following;
        }
        if out.len() != len {
            return Err(format!("overflow item holds {} of its {len} bytes", out.len()));
        }
        *budget -= len;
        Ok(out)
    }
}

/// The values of every key/value pair, in page order, and the problems met (a problem costs
/// the item or page it is in, never the rest). Fails only when the file is not a usable hash
/// database at all.
pub(crate) fn values(db: &[u8]) -> Result<(Vec<Vec<u8>>, Vec<String>), String> {
    let le = byte_order(db).ok_or("not a BerkeleyDB hash database")?;
    let mut r = Reader { db, le, page_size: 0, pages: 0 };
    let page_size = r.u32(db, 20).ok_or("truncated metadata page")? as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("invalid page size {page_size}"));
    }
    if db.get(24).copied().unwrap_or(0) != 0 {
        return Err("encrypted BerkeleyDB databases are not supported".into());
    }
    let last = r.u32(db, 32).ok_or("truncated metadata page")? as usize;
    let mut problems = Vec::new();
    let in_file = db.len() / page_size;
    let pages = last.saturating_add(1).min(in_file);
    if last.saturating_add(1) > in_file {
        problems.push(format!("database is truncated: {in_file} of {} pages present", last.saturating_add(1)));
    }
    r.page_size = page_size;
    r.pages = pages;
    // each overflow page belongs to one item: more than the file's size in total means sharing
    let mut budget = db.len();
    let mut out = Vec::new();
    for n in 1..pages {
        let Some(page) = r.page(n) else { break };
        let ty = page[25];
        if ty != P_HASH && ty != P_HASH_UNSORTED {
            continue;
        }
        let Some(entries) = r.u16(page, 20) else { continue };
        if entries % 2 != 0 || PAGE_HEADER + entries * 2 > page_size {
            problems.push(format!("hash page {n} has an invalid entry count {entries}"));
            continue;
        }
        let offsets: Vec<usize> = (0..entries).filter_map(|i| r.u16(page, PAGE_HEADER + i * 2)).collect();
        // items are packed from the end of the page down: item i ends where item i-1 starts
        for i in (1..entries).step_by(2) {
            let off = offsets[i];
            let end = offsets[i - 1];
            if off < PAGE_HEADER + entries * 2 || off >= end || end > page_size {
                problems.push(format!("hash page {n}: item {i} has an invalid offset"));
                continue;
            }
            match page[off] {
                H_KEYDATA => {
                    let v = &page[off + 1..end];
                    // rpm keeps a 4-byte counter under key 0; it is not a header
                    if v.len() > 8 {
                        out.push(v.to_vec());
                    }
                }
                H_OFFPAGE => {
                    let (Some(pgno), Some(len)) = (r.u32(page, off + 4), r.u32(page, off + 8)) else {
                        problems.push(format!("hash page {n}: truncated overflow reference"));
                        continue;
                    };
                    match r.overflow(pgno, len as usize, &mut budget) {
                        Ok(v) => out.push(v),
                        Err(e) => problems.push(format!("hash page {n}: {e}")),
                    }
                }
                other => problems.push(format!("hash page {n}: unsupported item type {other}")),
            }
        }
    }
    Ok((out, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &[u8] = include_bytes!("../../../../testdata/sbom/rpm/bdb/var/lib/rpm/Packages");

    #[test]
    fn reads_the_db_load_fixture() {
        let (vals, problems) = values(FIXTURE).expect("hash db");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(vals.len(), 2);
        assert!(vals.iter().all(|v| super::super::rpm::parse_header(v).is_some()));
    }

    #[test]
    fn hostile_variants_never_panic() {
        assert!(values(b"not a database").is_err());
        for n in (0..FIXTURE.len()).step_by(97) {
            let _ = values(&FIXTURE[..n]);
        }
        // flip bytes all over the pages
        for at in (0..FIXTURE.len()).step_by(13) {
            let mut b = FIXTURE.to_vec();
            b[at] ^= 0xff;
            let _ = values(&b);
        }
        // an overflow chain pointing at itself
        let mut b = FIXTURE.to_vec();
        for p in 1..b.len() / 4096 {
            if b[p * 4096 + 25] == P_OVERFLOW {
                b[p * 4096 + 16..p * 4096 + 20].copy_from_slice(&(p as u32).to_le_bytes());
            }
        }
        let (_, problems) = values(&b).expect("still a hash db");
        assert!(!problems.is_empty());
        // the metadata claims many more pages than the file has
        let mut b = FIXTURE.to_vec();
        b[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        let (vals, problems) = values(&b).expect("still a hash db");
        assert_eq!(vals.len(), 2);
        assert!(problems.iter().any(|p| p.contains("truncated")));
    }
}
