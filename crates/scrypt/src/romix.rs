//! ROMix and BlockMix (RFC 7914 sections 4 and 5) over pivoted blocks.

use zeroize::Zeroizing;

use crate::salsa::{Block, Core, from_pivoted, to_pivoted};
use crate::table::Table;

/// `out = BlockMix(B)` where `block(i)` yields `B_i` for `i` in `0..out.len()` (= 2r): the
/// Salsa20/8 chain over the blocks, even outputs to the first half of `out`, odd to the second.
#[inline(always)]
fn block_mix<C: Core>(core: C, out: &mut [Block], block: impl Fn(usize) -> Block) {
    let r = out.len() / 2;
    let mut x = block(2 * r - 1);
    for i in 0..2 * r {
        core.salsa8_xor(&mut x, &block(i));
        out[i / 2 + (i % 2) * r] = x;
    }
}

/// Start loading all of `entry` into the cache at once, its last block first (BlockMix starts
/// from it). Each entry of the second loop is a random one, so nothing else can fetch it ahead:
/// without this the CPU fetches its cache lines one after another as the hashing reaches them.
/// Measured on the 64 MiB table of cosign's parameters: the second loop went from 54 to 43 ms.
#[inline(always)]
fn prefetch(entry: &[Block]) {
    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse"))]
    if let Some((last, rest)) = entry.split_last() {
        safe_arch::prefetch_t0(last);
        for block in rest {
            safe_arch::prefetch_t0(block);
        }
    }
    #[cfg(not(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse")))]
    let _ = entry;
}

#[inline(always)]
fn xor(a: &Block, b: &Block) -> Block {
    core::array::from_fn(|i| a[i] ^ b[i])
}

/// Replace `b` (128·r bytes) by `ROMix(b)`, using `table` (N entries of 2r blocks) as V.
/// Always inlined, so that it is compiled with the CPU features its caller enables
/// ([`Core::romix`]).
#[inline(always)]
pub(crate) fn romix<C: Core>(core: C, b: &mut [u8], table: &mut Table) {
    let n = table.entries();
    let mut x: Zeroizing<Vec<Block>> = Zeroizing::new(b.chunks_exact(64).map(to_pivoted).collect());
    let mut y: Zeroizing<Vec<Block>> = Zeroizing::new(vec![[0; 16]; x.len()]);
    let last = x.len() - 1;
    for i in 0..n {
        table.entry_mut(i).copy_from_slice(&x);
        block_mix(core, &mut y, |k| x[k]);
        std::mem::swap(&mut x, &mut y);
    }
    // N is a power of two below 2^32: word 0 of the last block, masked, is Integerify(X) mod N.
    let mask = n - 1;
    for _ in 0..n {
        let v = table.entry(x[last][0] as usize & mask);
        prefetch(v);
        block_mix(core, &mut y, |k| xor(&x[k], &v[k]));
        std::mem::swap(&mut x, &mut y);
    }
    for (block, bytes) in x.iter().zip(b.chunks_exact_mut(64)) {
        from_pivoted(block, bytes);
    }
}
