//! ROMix and BlockMix (RFC 7914 sections 4 and 5) over pivoted blocks.

use zeroize::Zeroizing;

use crate::salsa::{Block, Core, from_pivoted, to_pivoted};
use crate::table::Table;

/// `out = BlockMix(B)` where `block(i)` yields `B_i` for `i` in `0..out.len()` (= 2r): the
/// Salsa20/8 chain over the blocks, even outputs to the first half of `out`, odd to the second.
#[inline(always)]
fn block_mix<C: Core>(out: &mut [Block], block: impl Fn(usize) -> Block) {
    let r = out.len() / 2;
    let mut x = block(2 * r - 1);
    for i in 0..2 * r {
        C::salsa8_xor(&mut x, &block(i));
        out[i / 2 + (i % 2) * r] = x;
    }
}

#[inline(always)]
fn xor(a: &Block, b: &Block) -> Block {
    core::array::from_fn(|i| a[i] ^ b[i])
}

/// Replace `b` (128·r bytes) by `ROMix(b)`, using `table` (N entries of 2r blocks) as V.
pub(crate) fn romix<C: Core>(b: &mut [u8], table: &mut Table) {
    let n = table.entries();
    let mut x: Zeroizing<Vec<Block>> = Zeroizing::new(b.chunks_exact(64).map(to_pivoted).collect());
    let mut y: Zeroizing<Vec<Block>> = Zeroizing::new(vec![[0; 16]; x.len()]);
    let last = x.len() - 1;
    for i in 0..n {
        table.entry_mut(i).copy_from_slice(&x);
        block_mix::<C>(&mut y, |k| x[k]);
        std::mem::swap(&mut x, &mut y);
    }
    // N is a power of two below 2^32: word 0 of the last block, masked, is Integerify(X) mod N.
    let mask = n - 1;
    for _ in 0..n {
        let v = table.entry(x[last][0] as usize & mask);
        block_mix::<C>(&mut y, |k| xor(&x[k], &v[k]));
        std::mem::swap(&mut x, &mut y);
    }
    for (block, bytes) in x.iter().zip(b.chunks_exact_mut(64)) {
        from_pivoted(block, bytes);
    }
}
