//! Blob streams: digest verification while reading, and layer decompression.
//!
//! [`VerifyingReader`] wraps any `Read` of blob bytes and checks them against a
//! [`Descriptor`]: more bytes than the descriptor's size fail at once, fewer fail at EOF
//! ([`Error::SizeMismatch`]), and a wrong hash fails at EOF ([`Error::DigestMismatch`]).
//! Large blobs are hashed on a second thread, so SHA-256 runs beside inflate instead of
//! after it. Nothing read from a blob is trustworthy until the reader reached EOF without
//! an error: consumers of a layer walk discard everything when the walk fails.
//!
//! [`decompress`] picks gzip (flate2 with the zlib-rs backend), zstd or plain tar from the
//! layer media type and the stream's magic bytes.

use std::io::{self, BufRead, Read};
use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::digest::{Digest, DigestHasher};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::manifest::Descriptor;
use crate::media_type;

/// Size of the chunks a [`VerifyingReader`] reads and hashes (and the tar read buffer).
pub const CHUNK: usize = 256 * 1024;

/// Blobs smaller than this are hashed inline; a thread costs more than it saves.
const THREAD_HASH_MIN: u64 = 4 * 1024 * 1024;

/// Wrap a crate error so it can travel through `io::Read` and be recovered by [`from_io`].
pub(crate) fn to_io(e: Error) -> io::Error {
    io::Error::other(e)
}

/// Turn an `io::Error` back into a crate error: one that carries an [`Error`] (from a
/// verifying or limiting reader) is unwrapped, anything else becomes [`Error::Corrupt`] or
/// [`Error::Io`] with `what` as context.
pub(crate) fn from_io(what: &str, e: io::Error) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        if let Some(inner) = e.into_inner()
            && let Ok(err) = inner.downcast::<Error>()
        {
            return *err;
        }
        return Error::Corrupt { what: what.to_string(), reason: "unreadable stream".into() };
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::InvalidData
        | io::ErrorKind::InvalidInput
        | io::ErrorKind::Other => Error::Corrupt { what: what.to_string(), reason: e.to_string() },
        _ => Error::io(what.to_string(), e),
    }
}

enum Hashing {
    Inline(DigestHasher),
    Thread {
        to_hasher: Option<mpsc::SyncSender<Vec<u8>>>,
        recycled: mpsc::Receiver<Vec<u8>>,
        handle: Option<JoinHandle<Digest>>,
    },
    Done,
}

/// A `BufRead` over blob bytes that verifies size and digest against a descriptor.
///
/// Errors surface as `io::Error`s wrapping [`Error::SizeMismatch`] /
/// [`Error::DigestMismatch`]; [`VerifyingReader::finish`] drains the rest of the blob and
/// returns them as crate errors.
pub struct VerifyingReader<R> {
    inner: R,
    what: String,
    expected: Digest,
    expected_size: u64,
    read: u64,
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    hashing: Hashing,
    verified: bool,
}

impl<R: Read> VerifyingReader<R> {
    /// Verify `inner` against `descriptor`. `what` names the blob in error messages.
    pub fn new(inner: R, descriptor: &Descriptor, what: impl Into<String>) -> VerifyingReader<R> {
        let algorithm = descriptor.digest.algorithm();
        let hashing = if descriptor.size >= THREAD_HASH_MIN {
            let (to_hasher, rx) = mpsc::sync_channel::<Vec<u8>>(4);
            let (give_back, recycled) = mpsc::channel::<Vec<u8>>();
            let handle = std::thread::Builder::new().name("chainseal-hash".into()).spawn(move || {
                let mut hasher = DigestHasher::new(algorithm);
                for chunk in rx {
                    hasher.update(&chunk);
                    // The reader may be gone already; losing a buffer is harmless.
                    let _ = give_back.send(chunk);
                }
                hasher.finish()
            });
            match handle {
                Ok(handle) => Hashing::Thread { to_hasher: Some(to_hasher), recycled, handle: Some(handle) },
                Err(_) => Hashing::Inline(DigestHasher::new(algorithm)),
            }
        } else {
            Hashing::Inline(DigestHasher::new(algorithm))
        };
        VerifyingReader {
            inner,
            what: what.into(),
            expected: descriptor.digest.clone(),
            expected_size: descriptor.size,
            read: 0,
            buf: Vec::new(),
            pos: 0,
            filled: 0,
            hashing,
            verified: false,
        }
    }

    /// Bytes read from the blob so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// Hand the consumed buffer to the hasher and get an empty one.
    fn rotate_buffer(&mut self) {
        let mut old = std::mem::take(&mut self.buf);
        old.truncate(self.filled);
        match &mut self.hashing {
            Hashing::Inline(h) => {
                h.update(&old);
                self.buf = old;
            }
            Hashing::Thread { to_hasher, recycled, .. } => {
                if !old.is_empty()
                    && let Some(tx) = to_hasher
                {
                    // A send error means the hasher thread died; finish() reports it.
                    let _ = tx.send(old);
                }
                self.buf = recycled.try_recv().unwrap_or_default();
            }
            Hashing::Done => {}
        }
        self.buf.clear();
        self.buf.resize(CHUNK, 0);
        self.pos = 0;
        self.filled = 0;
    }

    fn check_at_eof(&mut self) -> Result<()> {
        if self.verified {
            return Ok(());
        }
        if self.read != self.expected_size {
            return Err(Error::SizeMismatch {
                what: self.what.clone(),
                expected: self.expected_size,
                actual: self.read,
            });
        }
        let actual = match std::mem::replace(&mut self.hashing, Hashing::Done) {
            Hashing::Inline(h) => h.finish(),
            Hashing::Thread { to_hasher, handle, .. } => {
                drop(to_hasher);
                match handle.map(JoinHandle::join) {
                    Some(Ok(d)) => d,
                    _ => {
                        return Err(Error::Corrupt {
                            what: self.what.clone(),
                            reason: "the hashing thread failed".into(),
                        });
                    }
                }
            }
            Hashing::Done => return Err(Error::Corrupt { what: self.what.clone(), reason: "verified twice".into() }),
        };
        if actual != self.expected {
            return Err(Error::DigestMismatch {
                what: self.what.clone(),
                expected: self.expected.to_string(),
                actual: actual.to_string(),
            });
        }
        self.verified = true;
        Ok(())
    }

    /// Read the rest of the blob (discarding it) and return the verification result. Call
    /// this after the consumer stopped reading, e.g. after the end of a compressed stream.
    pub fn finish(&mut self) -> Result<()> {
        loop {
            let n = match self.fill_buf() {
                Ok(b) => b.len(),
                Err(e) => return Err(from_io(&self.what, e)),
            };
            if n == 0 {
                return self.check_at_eof();
            }
            self.consume(n);
        }
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for VerifyingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos < self.filled {
            return Ok(&self.buf[self.pos..self.filled]);
        }
        if self.verified {
            return Ok(&[]);
        }
        self.rotate_buffer();
        // Fill the whole chunk (or reach EOF) so the hasher gets large pieces.
        while self.filled < self.buf.len() {
            let n = match self.inner.read(&mut self.buf[self.filled..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                break;
            }
            self.filled += n;
            self.read += n as u64;
            if self.read > self.expected_size {
                return Err(to_io(Error::SizeMismatch {
                    what: self.what.clone(),
                    expected: self.expected_size,
                    actual: self.read,
                }));
            }
        }
        if self.filled == 0 {
            self.check_at_eof().map_err(to_io)?;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.filled);
    }
}

/// How a layer's bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (one or more members).
    Gzip,
    /// zstd (one or more frames).
    Zstd,
}

impl Compression {
    /// What the magic bytes at the start of a stream say: gzip `1f 8b`, zstd `28 b5 2f fd`,
    /// anything else is taken for a tar.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Check that `media_type` names a layer chainseal can read; returns the compression it
/// declares. Unknown types and foreign layers are refused with
/// [`Error::UnsupportedMediaType`].
pub fn layer_compression(media_type: &str) -> Result<Compression> {
    let base = media_type.replace(".nondistributable", "");
    match base.as_str() {
        media_type::OCI_LAYER_TAR | "application/vnd.docker.image.rootfs.diff.tar" => Ok(Compression::None),
        media_type::OCI_LAYER_GZIP | media_type::DOCKER_LAYER_GZIP => Ok(Compression::Gzip),
        media_type::OCI_LAYER_ZSTD | "application/vnd.docker.image.rootfs.diff.tar.zstd" => Ok(Compression::Zstd),
        media_type::DOCKER_FOREIGN_LAYER => Err(Error::UnsupportedMediaType(format!(
            "{media_type} (a foreign layer: its content lives outside the registry and chainseal does not fetch it)"
        ))),
        _ => Err(Error::UnsupportedMediaType(format!(
            "{media_type} (not a tar layer; expected tar, tar+gzip or tar+zstd)"
        ))),
    }
}

/// A reader that counts bytes and refuses to produce more than `budget`.
pub(crate) struct Budget<R> {
    inner: R,
    produced: u64,
    budget: u64,
    what: String,
}

impl<R> Budget<R> {
    pub(crate) fn new(inner: R, budget: u64, what: impl Into<String>) -> Budget<R> {
        Budget { inner, produced: 0, budget, what: what.into() }
    }
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.produced += n as u64;
        if self.produced > self.budget {
            return Err(to_io(Error::LimitExceeded {
                what: format!("decompressed size of {}", self.what),
                limit: self.budget,
                unit: "bytes",
            }));
        }
        Ok(n)
    }
}

/// Decompress a layer: `declared` from [`layer_compression`] is cross-checked against the
/// magic bytes, which win (docker-archive layers are plain tars whatever their type says,
/// and some registries serve uncompressed tars under gzip types). The output is bounded by
/// [`Limits::uncompressed_budget`] of `compressed_size`.
pub fn decompress<'a, R: BufRead + 'a>(
    mut input: R,
    compressed_size: u64,
    limits: &Limits,
    what: &str,
) -> Result<Box<dyn Read + 'a>> {
    let head = input.fill_buf().map_err(|e| from_io(what, e))?;
    let budget = limits.uncompressed_budget(compressed_size);
    let reader: Box<dyn Read + 'a> = match Compression::sniff(head) {
        Compression::Gzip => Box::new(Budget::new(flate2::bufread::MultiGzDecoder::new(input), budget, what)),
        Compression::Zstd => {
            let dec = zstd::stream::read::Decoder::with_buffer(input)
                .map_err(|e| Error::Corrupt { what: what.to_string(), reason: format!("zstd: {e}") })?;
            Box::new(Budget::new(dec, budget, what))
        }
        Compression::None => Box::new(Budget::new(input, budget, what)),
    };
    Ok(reader)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn desc(bytes: &[u8]) -> Descriptor {
        Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, bytes)
    }

    fn read_all<R: Read>(mut r: R) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        r.read_to_end(&mut v)?;
        Ok(v)
    }

    #[test]
    fn passes_matching_content_small_and_threaded() {
        for size in [0usize, 10, 5 * 1024 * 1024 + 17] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let r = VerifyingReader::new(&data[..], &desc(&data), "blob");
            assert_eq!(read_all(r).unwrap(), data);
        }
    }

    #[test]
    fn refuses_tampered_content_at_eof() {
        for size in [10usize, 5 * 1024 * 1024] {
            let data = vec![7u8; size];
            let mut tampered = data.clone();
            tampered[size / 2] = 8;
            let mut r = VerifyingReader::new(&tampered[..], &desc(&data), "layer");
            let err = r.finish().unwrap_err();
            assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
            let err = from_io("x", read_all(VerifyingReader::new(&tampered[..], &desc(&data), "l")).unwrap_err());
            assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
        }
    }

    #[test]
    fn refuses_truncated_and_oversized_blobs() {
        let data = b"0123456789".to_vec();
        let mut r = VerifyingReader::new(&data[..5], &desc(&data), "layer");
        assert!(matches!(r.finish(), Err(Error::SizeMismatch { expected: 10, actual: 5, .. })));
        let mut longer = data.clone();
        longer.extend_from_slice(b"more");
        let mut r = VerifyingReader::new(&longer[..], &desc(&data), "layer");
        assert!(matches!(r.finish(), Err(Error::SizeMismatch { expected: 10, .. })));
    }

    #[test]
    fn sniffs_and_decompresses() {
        let plain = b"hello tar world".repeat(100);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        let zs = zstd::encode_all(&plain[..], 3).unwrap();
        for input in [&gz[..], &zs[..], &plain[..]] {
            let out = read_all(decompress(input, input.len() as u64, &Limits::default(), "l").unwrap()).unwrap();
            assert_eq!(out, plain);
        }
        assert_eq!(Compression::sniff(&gz), Compression::Gzip);
        assert_eq!(Compression::sniff(&zs), Compression::Zstd);
    }

    #[test]
    fn truncated_gzip_is_a_typed_error() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&b"abc".repeat(10_000)).unwrap();
        let gz = gz.finish().unwrap();
        let cut = &gz[..gz.len() / 2];
        let err = read_all(decompress(cut, cut.len() as u64, &Limits::default(), "layer 0").unwrap()).unwrap_err();
        assert!(matches!(from_io("layer 0", err), Error::Corrupt { .. }));
    }

    #[test]
    fn decompression_bomb_hits_the_budget() {
        let zeros = vec![0u8; 8 * 1024 * 1024];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&zeros).unwrap();
        let gz = gz.finish().unwrap();
        let limits = Limits { ratio_floor: 1024 * 1024, ..Limits::default() };
        let err = read_all(decompress(&gz[..], gz.len() as u64, &limits, "layer").unwrap()).unwrap_err();
        assert!(matches!(from_io("layer", err), Error::LimitExceeded { .. }));
    }

    #[test]
    fn media_types() {
        assert_eq!(layer_compression(media_type::OCI_LAYER_GZIP).unwrap(), Compression::Gzip);
        assert_eq!(
            layer_compression("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd").unwrap(),
            Compression::Zstd
        );
        assert!(matches!(layer_compression("application/x-bzip2"), Err(Error::UnsupportedMediaType(_))));
        assert!(matches!(layer_compression(media_type::DOCKER_FOREIGN_LAYER), Err(Error::UnsupportedMediaType(_))));
    }
}
