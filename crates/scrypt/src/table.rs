//! scrypt's table V: N entries of 2r blocks, held in chunks of about 2 MiB.
//!
//! The first ROMix loop writes the entries in order. When the table is large, a helper thread
//! maps the chunks ahead of it with their pages already faulted in (`MAP_POPULATE`: one system
//! call per chunk instead of a trap per page), so that this work is done on another core while
//! this one hashes. Without the helper (small tables, or no thread available) chunks are heap
//! memory allocated when first reached.

use std::sync::mpsc::{Receiver, channel};

use memmap2::{MmapMut, MmapOptions};
use zeroize::Zeroize as _;

use crate::salsa::Block;

/// Bytes per chunk.
const CHUNK_BYTES: usize = 2 << 20;
/// The page size heap chunks are touched at (the smallest on the targets chainseal builds for).
const PAGE_BYTES: usize = 4096;
/// Smallest table worth a helper thread: below this the faults cost less than a thread start.
const PREFAULT_MIN_BYTES: usize = 8 << 20;

/// The table V of one scrypt call.
pub(crate) struct Table {
    entries: usize,
    blocks_per_entry: usize,
    entries_per_chunk: usize,
    chunks: Vec<Chunk>,
    /// Chunks 1.. from the helper thread, in order, when there is one.
    prefaulted: Option<Receiver<Chunk>>,
}

/// One chunk of the table.
enum Chunk {
    /// An anonymous mapping (page-aligned, so it holds blocks exactly).
    Mapped(MmapMut),
    /// Heap memory, where no mapping could be made or none was wanted.
    Heap(Vec<Block>),
}

impl Chunk {
    /// `blocks` blocks whose pages are faulted in now, on the calling thread.
    fn faulted_in(blocks: usize) -> Chunk {
        match MmapOptions::new().len(blocks * 64).populate().map_anon() {
            Ok(map) => Chunk::Mapped(map),
            Err(_) => {
                let mut heap = vec![[0; 16]; blocks];
                // One word per page; non-zero, or the writes could be dropped as no-ops on
                // zeroed memory. The hasher overwrites every entry before reading it.
                for block in heap.iter_mut().step_by(PAGE_BYTES / 64) {
                    block[0] = 1;
                }
                Chunk::Heap(heap)
            }
        }
    }

    /// `blocks` blocks of heap memory, faulted in by their first use.
    fn lazy(blocks: usize) -> Chunk {
        Chunk::Heap(vec![[0; 16]; blocks])
    }

    fn blocks(&self) -> &[Block] {
        match self {
            // Mappings start on a page boundary and hold a whole number of blocks, so the cast
            // cannot fail.
            Chunk::Mapped(map) => bytemuck::cast_slice(map),
            Chunk::Heap(heap) => heap,
        }
    }

    fn blocks_mut(&mut self) -> &mut [Block] {
        match self {
            Chunk::Mapped(map) => bytemuck::cast_slice_mut(map),
            Chunk::Heap(heap) => heap,
        }
    }
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

    /// Start the thread that maps chunks 1.. with their pages faulted in (chunk 0 is needed at
    /// once, so the caller maps it). `None` if no thread could be started.
    fn start_helper(&self) -> Option<Receiver<Chunk>> {
        let lens: Vec<usize> = (1..self.chunk_count()).map(|c| self.chunk_len(c)).collect();
        let (send, receive) = channel();
        let helper = std::thread::Builder::new().name("scrypt-table".into()).spawn(move || {
            for len in lens {
                if send.send(Chunk::faulted_in(len)).is_err() {
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
            let len = self.chunk_len(next);
            let fresh = match (&self.prefaulted, next) {
                (Some(_), 0) => Chunk::faulted_in(len),
                // The helper's chunks arrive in order with the right lengths; if it stopped,
                // map here.
                (Some(receive), _) => receive.recv().unwrap_or_else(|_| Chunk::faulted_in(len)),
                (None, _) => Chunk::lazy(len),
            };
            self.chunks.push(fresh);
        }
        let start = (i % self.entries_per_chunk) * self.blocks_per_entry;
        &mut self.chunks[chunk].blocks_mut()[start..start + self.blocks_per_entry]
    }

    /// Entry `j`, already written.
    pub(crate) fn entry(&self, j: usize) -> &[Block] {
        let start = (j % self.entries_per_chunk) * self.blocks_per_entry;
        &self.chunks[j / self.entries_per_chunk].blocks()[start..start + self.blocks_per_entry]
    }

    /// Zero the table and free it, on a background thread for a large table (here if no thread
    /// can be started): it holds password-derived values, and wiping 64 MiB would delay the caller.
    pub(crate) fn wipe_in_background(self) {
        let Table { mut chunks, prefaulted, .. } = self;
        drop(prefaulted);
        let bytes: usize = chunks.iter().map(|c| c.blocks().len() * 64).sum();
        if bytes >= PREFAULT_MIN_BYTES {
            let (send, receive) = channel::<Vec<Chunk>>();
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

fn wipe(chunks: &mut [Chunk]) {
    for chunk in chunks {
        chunk.blocks_mut().as_flattened_mut().zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill_and_check(table: &mut Table) {
        let blocks_per_entry = table.blocks_per_entry;
        for i in 0..table.entries() {
            let entry = table.entry_mut(i);
            assert_eq!(entry.len(), blocks_per_entry);
            for (k, block) in entry.iter_mut().enumerate() {
                *block = [i as u32 ^ (k as u32) << 24; 16];
            }
        }
        for j in (0..table.entries()).rev() {
            for (k, block) in table.entry(j).iter().enumerate() {
                assert_eq!(*block, [j as u32 ^ (k as u32) << 24; 16], "entry {j} block {k}");
            }
        }
    }

    #[test]
    fn small_tables_have_no_helper_and_large_ones_do() {
        assert!(Table::new(1 << 10, 16).prefaulted.is_none(), "1 MiB");
        assert!(Table::new(1 << 13, 16).prefaulted.is_some(), "8 MiB");
    }

    #[test]
    fn entries_hold_what_was_written_across_chunks() {
        // 16 MiB in 8 chunks from the helper; and an entry size that leaves a short last chunk.
        fill_and_check(&mut Table::new(1 << 14, 16));
        fill_and_check(&mut Table::new(1 << 14, 10));
        fill_and_check(&mut Table::new(3, 1));
    }

    #[test]
    fn a_helper_that_stops_early_is_replaced_by_mapping_here() {
        let mut table = Table::new(1 << 14, 16);
        let (send, receive) = channel();
        send.send(Chunk::faulted_in(table.chunk_len(1))).expect("receiver alive");
        drop(send);
        // One chunk arrives, then the helper is gone: the rest are mapped on this thread.
        table.prefaulted = Some(receive);
        fill_and_check(&mut table);
        assert_eq!(table.chunks.len(), table.chunk_count());
        table.wipe_in_background();
    }
}
