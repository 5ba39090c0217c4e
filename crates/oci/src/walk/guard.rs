//! A pass-through reader that bounds tar extension headers before the `tar` crate sees them.
//!
//! Written by hand because the `tar` crate reads GNU long-name/long-link (`L`/`K`) and PAX
//! (`x`/`g`) header data into memory whole, with no size cap: a layer claiming an 8 GiB long
//! name would be an 8 GiB allocation. This reader follows the 512-byte block structure of
//! the stream as it passes (headers, data, padding, GNU sparse extension blocks, PAX `size`
//! overrides) and refuses oversized extension headers with [`Error::LimitExceeded`]. It never
//! changes the bytes. If it loses track (a header with a bad checksum, the end-of-archive
//! block) it stops checking and leaves error reporting to the tar reader, which fails on
//! such input anyway.

use std::io::{self, Read};

use crate::blob::to_io;
use crate::error::Error;

const BLOCK: usize = 512;

/// Largest PAX extended header accepted (tar itself puts a few hundred bytes there).
pub(crate) const MAX_PAX_HEADER: u64 = 1024 * 1024;

enum Phase {
    /// Collecting a header block.
    Header,
    /// Collecting GNU sparse extension blocks; then `size` bytes of data follow.
    SparseExt { size: u64 },
    /// Passing over data and padding; `collect` keeps PAX data to read `size=` from.
    Data { remaining: u64, data_left: u64, collect: bool },
    /// No longer checking.
    Off,
}

pub(crate) struct TarGuard<R> {
    inner: R,
    phase: Phase,
    block: Vec<u8>,
    pax: Vec<u8>,
    pending_size: Option<u64>,
    max_name: u64,
    what: String,
}

fn parse_num(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        // Base-256: big-endian binary after the marker bit.
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(*b))?;
        }
        return Some(v);
    }
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    let text = std::str::from_utf8(&field[..end]).ok()?.trim();
    u64::from_str_radix(text, 8).ok()
}

fn pax_size(data: &[u8]) -> Option<u64> {
    let mut rest = data;
    let mut found = None;
    while !rest.is_empty() {
        let space = rest.iter().position(|b| *b == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..space]).ok()?.parse().ok()?;
        if len <= space || len > rest.len() {
            return None;
        }
        let record = &rest[space + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(v) = record.strip_prefix(b"size=") {
            found = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok());
        }
        rest = &rest[len..];
    }
    found
}

fn padded(size: u64) -> u64 {
    size.div_ceil(BLOCK as u64).saturating_mul(BLOCK as u64)
}

impl<R: Read> TarGuard<R> {
    pub(crate) fn new(inner: R, max_path_len: usize, what: &str) -> TarGuard<R> {
        TarGuard {
            inner,
            phase: Phase::Header,
            block: Vec::with_capacity(BLOCK),
            pax: Vec::new(),
            pending_size: None,
            max_name: max_path_len as u64 + 1,
            what: what.to_string(),
        }
    }

    fn header(&mut self) -> Result<(), Error> {
        let b = &self.block;
        if b.iter().all(|x| *x == 0) {
            // End of archive as the tar reader sees it; what follows is drained unparsed.
            self.phase = Phase::Off;
            return Ok(());
        }
        let stored = parse_num(&b[148..156]);
        let sum: u64 = b[..148].iter().chain(&b[156..]).map(|x| u64::from(*x)).sum::<u64>() + 8 * 32;
        let Some(size) = parse_num(&b[124..136]) else {
            self.phase = Phase::Off;
            return Ok(());
        };
        if stored != Some(sum) {
            self.phase = Phase::Off;
            return Ok(());
        }
        let kind = b[156];
        let extension = matches!(kind, b'L' | b'K' | b'x' | b'g');
        match kind {
            b'L' | b'K' if size > self.max_name => {
                return Err(Error::LimitExceeded {
                    what: format!("GNU long name in {}", self.what),
                    limit: self.max_name,
                    unit: "bytes",
                });
            }
            b'x' | b'g' if size > MAX_PAX_HEADER => {
                return Err(Error::LimitExceeded {
                    what: format!("PAX header in {}", self.what),
                    limit: MAX_PAX_HEADER,
                    unit: "bytes",
                });
            }
            _ => {}
        }
        let size = if extension { size } else { self.pending_size.take().unwrap_or(size) };
        let collect = kind == b'x';
        self.pax.clear();
        self.phase = if kind == b'S' && b[482] != 0 {
            Phase::SparseExt { size }
        } else {
            Phase::Data { remaining: padded(size), data_left: size, collect }
        };
        self.end_of_data();
        Ok(())
    }

    fn end_of_data(&mut self) {
        if let Phase::Data { remaining: 0, collect, .. } = self.phase {
            if collect && let Some(s) = pax_size(&self.pax) {
                self.pending_size = Some(s);
            }
            self.phase = Phase::Header;
        }
    }

    fn observe(&mut self, mut buf: &[u8]) -> Result<(), Error> {
        while !buf.is_empty() {
            match &mut self.phase {
                Phase::Off => return Ok(()),
                Phase::Data { remaining, data_left, collect } => {
                    let k = (buf.len() as u64).min(*remaining) as usize;
                    if *collect && *data_left > 0 {
                        let d = (k as u64).min(*data_left) as usize;
                        self.pax.extend_from_slice(&buf[..d]);
                        *data_left -= d as u64;
                    } else {
                        *data_left = data_left.saturating_sub(k as u64);
                    }
                    *remaining -= k as u64;
                    buf = &buf[k..];
                    self.end_of_data();
                }
                Phase::Header | Phase::SparseExt { .. } => {
                    let k = (BLOCK - self.block.len()).min(buf.len());
                    self.block.extend_from_slice(&buf[..k]);
                    buf = &buf[k..];
                    if self.block.len() == BLOCK {
                        if let Phase::SparseExt { size } = self.phase {
                            if self.block[504] == 0 {
                                self.phase = Phase::Data { remaining: padded(size), data_left: size, collect: false };
                                self.end_of_data();
                            }
                        } else {
                            self.header()?;
                        }
                        self.block.clear();
                    }
                }
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for TarGuard<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.observe(&out[..n]).map_err(to_io)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(bytes: &[u8]) -> Result<Vec<String>, Error> {
        let guard = TarGuard::new(bytes, 4096, "layer");
        let mut archive = tar::Archive::new(std::io::BufReader::new(guard));
        let mut names = Vec::new();
        let entries = archive.entries().map_err(|e| crate::blob::from_io("layer", e))?;
        for e in entries {
            let e = e.map_err(|e| crate::blob::from_io("layer", e))?;
            names.push(String::from_utf8_lossy(&e.path_bytes()).into_owned());
        }
        Ok(names)
    }

    fn raw_header(kind: tar::EntryType, name: &str, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        h
    }

    #[test]
    fn passes_ordinary_archives_with_long_names() {
        let mut b = tar::Builder::new(Vec::new());
        let long = format!("{}/file", "d".repeat(300));
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        b.append_data(&mut h, &long, &b"abc"[..]).unwrap();
        b.append_data(&mut h, "short", &b"xyz"[..]).unwrap();
        let names = drain(&b.into_inner().unwrap()).unwrap();
        assert_eq!(names, vec![long, "short".to_string()]);
    }

    #[test]
    fn refuses_huge_long_names_and_pax_headers() {
        for (kind, size) in [(tar::EntryType::GNULongName, 10 << 20), (tar::EntryType::XHeader, 10 << 20)] {
            let mut bytes = raw_header(kind, "././@LongLink", size).as_bytes().to_vec();
            bytes.extend(std::iter::repeat_n(b'a', 8192));
            let err = drain(&bytes).unwrap_err();
            assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
        }
    }

    #[test]
    fn follows_pax_size_overrides() {
        // A PAX header says the next file has 600 bytes although its header says 0, and those
        // bytes look like a huge long-name header: only a guard that honours the override passes.
        let record = "12 size=600\n";
        let mut bytes = raw_header(tar::EntryType::XHeader, "pax", record.len() as u64).as_bytes().to_vec();
        bytes.extend_from_slice(record.as_bytes());
        bytes.resize(1024, 0);
        bytes.extend_from_slice(raw_header(tar::EntryType::Regular, "big", 0).as_bytes());
        bytes.extend_from_slice(raw_header(tar::EntryType::GNULongName, "x", 1 << 40).as_bytes());
        bytes.extend(std::iter::repeat_n(b'z', 88));
        bytes.resize(bytes.len() + 424, 0);
        bytes.extend_from_slice(raw_header(tar::EntryType::Regular, "after", 0).as_bytes());
        bytes.resize(bytes.len() + 1024, 0);
        let names = drain(&bytes).unwrap();
        assert_eq!(names, vec!["big", "after"]);
        assert_eq!(pax_size(b"12 size=600\n"), Some(600));
        assert_eq!(parse_num(b"00000001750\0"), Some(1000));
    }
}
