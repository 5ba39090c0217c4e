//! The Salsa20/8 core on 64-byte blocks kept in the diagonal ("pivoted") word order.
//!
//! A block's 16 words `x0..x15` are stored as four rows
//! `[x0 x5 x10 x15] [x4 x9 x14 x3] [x8 x13 x2 x7] [x12 x1 x6 x11]`, so that each quarter-round
//! step of a column round is one operation on whole rows, and a lane rotation of three rows
//! turns the columns into the rows of the next round. Blocks stay in this order for the whole
//! ROMix; [`to_pivoted`] and [`from_pivoted`] convert at its edges. XOR and addition act word
//! by word, and word `x0` stays first, so neither BlockMix nor Integerify notices the order.

/// One 64-byte block in the pivoted word order.
pub(crate) type Block = [u32; 16];

/// Where each stored word comes from: `stored[i] = x[PIVOT[i]]`.
const PIVOT: [usize; 16] = [0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11];

/// A Salsa20/8 implementation.
pub(crate) trait Core {
    /// `x = Salsa20/8(x ^ y)` on pivoted blocks.
    fn salsa8_xor(x: &mut Block, y: &Block);
}

/// The fastest core for this target.
#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
pub(crate) type Native = Sse2;
/// The fastest core for this target.
#[cfg(not(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2")))]
pub(crate) type Native = Portable;

/// Read 64 little-endian bytes into a pivoted block.
pub(crate) fn to_pivoted(bytes: &[u8]) -> Block {
    PIVOT.map(|i| u32::from_le_bytes([bytes[4 * i], bytes[4 * i + 1], bytes[4 * i + 2], bytes[4 * i + 3]]))
}

/// Write a pivoted block as 64 little-endian bytes.
pub(crate) fn from_pivoted(block: &Block, bytes: &mut [u8]) {
    for (word, &i) in block.iter().zip(PIVOT.iter()) {
        bytes[4 * i..4 * i + 4].copy_from_slice(&word.to_le_bytes());
    }
}

/// Salsa20/8 on SSE2 vectors, one row per register (the layout libsodium and the `scrypt` crate
/// use). SSE2 is part of every x86-64 target, so `safe_arch` offers these as safe functions.
#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
pub(crate) struct Sse2;

#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
mod sse2 {
    use safe_arch::{
        add_i32_m128i, bitor_m128i, bitxor_m128i, m128i, shl_imm_u32_m128i, shr_imm_u32_m128i, shuffle_ai_f32_all_m128i,
    };

    use super::{Block, Core, Sse2};

    #[inline(always)]
    fn row(x: &Block, i: usize) -> m128i {
        m128i::from([x[4 * i], x[4 * i + 1], x[4 * i + 2], x[4 * i + 3]])
    }

    /// Rotate each lane left by `L` (`R` = 32 - `L`: const generics cannot compute it).
    #[inline(always)]
    fn rotl<const L: i32, const R: i32>(v: m128i) -> m128i {
        bitor_m128i(shl_imm_u32_m128i::<L>(v), shr_imm_u32_m128i::<R>(v))
    }

    impl Core for Sse2 {
        #[inline(always)]
        fn salsa8_xor(x: &mut Block, y: &Block) {
            let input: [m128i; 4] = core::array::from_fn(|i| bitxor_m128i(row(x, i), row(y, i)));
            let [mut a, mut b, mut c, mut d] = input;
            for _ in 0..8 {
                b = bitxor_m128i(b, rotl::<7, 25>(add_i32_m128i(a, d)));
                c = bitxor_m128i(c, rotl::<9, 23>(add_i32_m128i(b, a)));
                d = bitxor_m128i(d, rotl::<13, 19>(add_i32_m128i(c, b)));
                a = bitxor_m128i(a, rotl::<18, 14>(add_i32_m128i(d, c)));
                // Columns become rows (and back): lanes of d move by 1, of c by 2, of b by 3,
                // and b and d trade places.
                let next_b = shuffle_ai_f32_all_m128i::<0b00_11_10_01>(d);
                c = shuffle_ai_f32_all_m128i::<0b01_00_11_10>(c);
                d = shuffle_ai_f32_all_m128i::<0b10_01_00_11>(b);
                b = next_b;
            }
            for (i, (v, start)) in [a, b, c, d].into_iter().zip(input).enumerate() {
                let lanes: [u32; 4] = add_i32_m128i(v, start).into();
                x[4 * i..4 * i + 4].copy_from_slice(&lanes);
            }
        }
    }
}

/// Salsa20/8 on plain arrays of four lanes, for targets without SSE2 (and as the reference the
/// SSE2 core is tested against).
pub(crate) struct Portable;

type Lanes = [u32; 4];

#[inline(always)]
fn add(a: Lanes, b: Lanes) -> Lanes {
    core::array::from_fn(|i| a[i].wrapping_add(b[i]))
}

#[inline(always)]
fn xor_rotl(a: Lanes, b: Lanes, by: u32) -> Lanes {
    core::array::from_fn(|i| a[i] ^ b[i].rotate_left(by))
}

#[inline(always)]
fn lanes_left(a: Lanes, by: usize) -> Lanes {
    core::array::from_fn(|i| a[(i + by) % 4])
}

impl Core for Portable {
    #[inline(always)]
    fn salsa8_xor(x: &mut Block, y: &Block) {
        let input: [Lanes; 4] = core::array::from_fn(|r| core::array::from_fn(|i| x[4 * r + i] ^ y[4 * r + i]));
        let [mut a, mut b, mut c, mut d] = input;
        for _ in 0..8 {
            b = xor_rotl(b, add(a, d), 7);
            c = xor_rotl(c, add(b, a), 9);
            d = xor_rotl(d, add(c, b), 13);
            a = xor_rotl(a, add(d, c), 18);
            let next_b = lanes_left(d, 1);
            c = lanes_left(c, 2);
            d = lanes_left(b, 3);
            b = next_b;
        }
        for (r, (v, start)) in [a, b, c, d].into_iter().zip(input).enumerate() {
            x[4 * r..4 * r + 4].copy_from_slice(&add(v, start));
        }
    }
}
