//! Inflate ahead: a large layer is decompressed on its own thread, so the tar walk and the
//! visitors (the SBOM catalogers) run beside inflate instead of after it.
//!
//! With the digest already hashed on a second thread (see [`crate::blob`]), a layer then
//! flows through three threads: read + inflate, hash, and tar walk. The pipe between
//! inflate and the walk holds at most [`DEPTH`] chunks of [`blob::CHUNK`] bytes, so memory
//! stays bounded whatever the layer size.
//!
//! Written by hand: a bounded, buffer-recycling byte pipe over a scoped borrow is a few
//! lines of `std` channels, and no crate does exactly that without an async runtime.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{Scope, ScopedJoinHandle};

use crate::blob::{self, VerifyingReader, to_io};
use crate::limits::Limits;

/// Layers at least this big (compressed) are inflated ahead; smaller ones are not worth a
/// thread.
pub(super) const INFLATE_AHEAD_MIN: u64 = 4 * 1024 * 1024;

/// Chunks in flight between the inflate thread and the walk.
const DEPTH: usize = 4;

enum Msg {
    Data(Vec<u8>),
    End,
    Failed(io::Error),
}

/// The walk's end of the pipe: a `Read` over the decompressed layer.
///
/// A pipe that closes without an explicit end (the inflate thread died) reads as an error,
/// never as a short layer.
pub(super) struct Inflated {
    rx: Receiver<Msg>,
    recycle: SyncSender<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
    ended: bool,
}

impl Read for Inflated {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.buf.len() {
                let n = out.len().min(self.buf.len() - self.pos);
                out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.ended || out.is_empty() {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Msg::Data(next)) => {
                    let used = std::mem::replace(&mut self.buf, next);
                    self.pos = 0;
                    let _ = self.recycle.try_send(used); // a full recycle queue just drops it
                }
                Ok(Msg::End) => self.ended = true,
                Ok(Msg::Failed(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Err(_) => {
                    self.ended = true;
                    return Err(io::Error::other("the layer inflate thread stopped before the end of the layer"));
                }
            }
        }
    }
}

/// Start inflating `verified` (a layer of `compressed_size` bytes) on a thread of `scope`.
///
/// Returns the reader for the walk and the thread's handle. Dropping the reader early (the
/// walk failed) makes the thread stop at its next chunk; the blob's remaining bytes are
/// then the caller's to drain through [`VerifyingReader::finish`].
pub(super) fn inflate_ahead<'scope, 'env, R: Read + Send>(
    scope: &'scope Scope<'scope, 'env>,
    verified: &'scope mut VerifyingReader<R>,
    compressed_size: u64,
    limits: Limits,
    what: String,
) -> (Inflated, ScopedJoinHandle<'scope, ()>) {
    let (tx, rx) = mpsc::sync_channel::<Msg>(DEPTH);
    let (recycle, recycled) = mpsc::sync_channel::<Vec<u8>>(DEPTH + 2);
    let producer = scope.spawn(move || {
        let mut decoded = match blob::decompress(verified, compressed_size, &limits, &what) {
            Ok(d) => d,
            Err(e) => {
                let _ = tx.send(Msg::Failed(to_io(e)));
                return;
            }
        };
        loop {
            let mut buf = recycled.try_recv().unwrap_or_default();
            buf.resize(blob::CHUNK, 0);
            let msg = match fill(&mut decoded, &mut buf) {
                Ok(0) => Msg::End,
                Ok(n) => {
                    buf.truncate(n);
                    Msg::Data(buf)
                }
                Err(e) => Msg::Failed(e),
            };
            let last = !matches!(msg, Msg::Data(_));
            if tx.send(msg).is_err() || last {
                return; // the walk is done with this layer, or it is over
            }
        }
    });
    (Inflated { rx, recycle, buf: Vec::new(), pos: 0, ended: false }, producer)
}

/// Read until `buf` is full or the stream ends; the number of bytes read.
fn fill(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Descriptor;
    use crate::media_type;
    use std::io::{Cursor, Write};

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn through_pipe(plain: &[u8], raw: &[u8], desc: &Descriptor) -> io::Result<Vec<u8>> {
        let mut verified = VerifyingReader::new(Cursor::new(raw.to_vec()), desc, "test layer".to_string());
        std::thread::scope(|s| {
            let (mut inflated, producer) =
                inflate_ahead(s, &mut verified, desc.size, Limits::default(), "test layer".into());
            let mut out = Vec::with_capacity(plain.len());
            let read = inflated.read_to_end(&mut out);
            drop(inflated);
            producer.join().unwrap();
            read.map(|_| out)
        })
    }

    #[test]
    fn delivers_every_byte_in_order() {
        let plain: Vec<u8> = (0..3 * blob::CHUNK + 777).map(|i| (i * 31 % 251) as u8).collect();
        let raw = gzip(&plain);
        let desc = Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, &raw);
        assert_eq!(through_pipe(&plain, &raw, &desc).unwrap(), plain);
    }

    #[test]
    fn a_corrupt_stream_is_an_error_not_a_short_layer() {
        let plain = vec![7u8; 2 * blob::CHUNK];
        let mut raw = gzip(&plain);
        let cut = raw.len() / 2;
        raw.truncate(cut);
        let desc = Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, &raw);
        assert!(through_pipe(&plain, &raw, &desc).is_err());
    }

    #[test]
    fn an_early_stop_of_the_walk_ends_the_thread() {
        let plain = vec![1u8; 64 * blob::CHUNK];
        let raw = gzip(&plain);
        let desc = Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, &raw);
        let mut verified = VerifyingReader::new(Cursor::new(raw.clone()), &desc, "test layer".to_string());
        std::thread::scope(|s| {
            let (mut inflated, producer) =
                inflate_ahead(s, &mut verified, desc.size, Limits::default(), "test layer".into());
            let mut first = [0u8; 10];
            inflated.read_exact(&mut first).unwrap();
            drop(inflated);
            producer.join().unwrap(); // returns instead of blocking on a full pipe
        });
        verified.finish().unwrap(); // the rest of the blob still verifies
    }
}
