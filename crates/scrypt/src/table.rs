//! scrypt's table V: N entries of 2r blocks, held in chunks of about 2 MiB.
//!
//! The first ROMix loop writes the entries in order. When the table is large, a helper thread
//! allocates the chunks ahead of it and writes to every page, so that the page faults of
//! fresh memory are taken on another core while this one hashes. Without the helper (small
//! tables, or no thread available) chunks are allocated when first reached.

use std::sync::mpsc::{Receiver, channel};

use zeroize::Zeroize as _;

use crate::salsa::Block;

/// Bytes per chunk.
const CHUNK_BYTES: usize = 2 << 20;
/// Smallest table worth a helper thread: below this the faults cost less than a thread start.
const PREFAULT_MIN_BYTES: usize = 8 << 20;

/// The table V of one scrypt call.
pub(crate) struct Table {
    entries: usize,
    blocks_per_entry: usize,
    entries_per_chunk: usize,
    chunks: Vec<Vec<Block>>,
    /// Chunks 1.. from the helper thread, in order, when there is one.
    prefaulted: Option<Receiver<Vec<Block>>>,
}

impl Table {
    /// A table of `entries` entries of `blocks_per_entry` blocks each (both at least 1).
    pub(crate) fn new(entries: usize, blocks_per_entry: usize) -> Table {
        let entry_bytes = 64 * blocks_per_entry;
        let entries_per_chunk = (CHUNK_BYTES / entry_bytes).clamp(1, entries);
        let mut table = Table { entries, blocks_per_entry, entries_per_chunk, chunks: Vec::new(), prefaulted: None };
        if entries.saturating_mul(entry_bytes) >= PREFAULT_MIN_BYTES {
            table.prefaulted = table.start_helper();
        }
        table
    }

    /// N.
    pub(crate) fn entries(&self) -> usize {
        self.entries
    }

    fn chunk_len(&self, chunk: usize) -> usize {
        let first_entry = chunk * self.entries_per_chunk;
        (self.entries - first_entry).min(self.entries_per_chunk) * self.blocks_per_entry
    }

    fn chunk_count(&self) -> usize {
        self.entries.div_ceil(self.entries_per_chunk)
    }

    /// Start the thread that allocates and touches chunks 1.. (chunk 0 is needed at once, so
    /// the caller allocates it). `None` if no thread could be started.
    fn start_helper(&self) -> Option<Receiver<Vec<Block>>> {
        let lens: Vec<usize> = (1..self.chunk_count()).map(|c| self.chunk_len(c)).collect();
        let (send, receive) = channel();
        let helper = std::thread::Builder::new().name("scrypt-table".into()).spawn(move || {
            for len in lens {
                let mut chunk = Vec::with_capacity(len);
                // A non-zero fill, so that the allocation is written (and faulted in) here rather
                // than turned into lazily zeroed memory that faults on first use by the hasher.
                chunk.resize(len, [u32::MAX; 16]);
                if send.send(chunk).is_err() {
                    return;
                }
            }
        });
        helper.ok().map(|_| receive)
    }

    /// Entry `i` for writing; entries must be first reached in order `0, 1, 2, …`.
    pub(crate) fn entry_mut(&mut self, i: usize) -> &mut [Block] {
        let chunk = i / self.entries_per_chunk;
        while self.chunks.len() <= chunk {
            let next = self.chunks.len();
            let from_helper = match (&self.prefaulted, next) {
                (Some(receive), 1..) => receive.recv().ok(),
                _ => None,
            };
            // The helper's chunks arrive in order with the right lengths; if it stopped, allocate here.
            let fresh = from_helper.unwrap_or_else(|| vec![[0; 16]; self.chunk_len(next)]);
            self.chunks.push(fresh);
        }
        let start = (i % self.entries_per_chunk) * self.blocks_per_entry;
        &mut self.chunks[chunk][start..start + self.blocks_per_entry]
    }

    /// Entry `j`, already written.
    pub(crate) fn entry(&self, j: usize) -> &[Block] {
        let start = (j % self.entries_per_chunk) * self.blocks_per_entry;
        &self.chunks[j / self.entries_per_chunk][start..start + self.blocks_per_entry]
    }

    /// Zero the table and free it, on a background thread for a large table (here if no thread
    /// can be started): it holds password-derived values, and wiping 64 MiB would delay the caller.
    pub(crate) fn wipe_in_background(self) {
        let Table { mut chunks, prefaulted, .. } = self;
        drop(prefaulted);
        let bytes: usize = chunks.iter().map(|c| c.len() * 64).sum();
        if bytes >= PREFAULT_MIN_BYTES {
            let (send, receive) = channel::<Vec<Vec<Block>>>();
            let wiper = std::thread::Builder::new().name("scrypt-wipe".into()).spawn(move || {
                if let Ok(mut chunks) = receive.recv() {
                    wipe(&mut chunks);
                }
            });
            if wiper.is_ok() {
                match send.send(chunks) {
                    Ok(()) => return,
                    Err(returned) => chunks = returned.0,
                }
            }
        }
        wipe(&mut chunks);
    }
}

fn wipe(chunks: &mut [Vec<Block>]) {
    for chunk in chunks {
        chunk.as_flattened_mut().zeroize();
    }
}
