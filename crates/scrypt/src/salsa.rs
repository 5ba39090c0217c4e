//! The Salsa20/8 core on 64-byte blocks kept in the diagonal ("pivoted") word order.
//!
//! A block's 16 words `x0..x15` are stored as four rows
//! `[x0 x5 x10 x15] [x4 x9 x14 x3] [x8 x13 x2 x7] [x12 x1 x6 x11]`, so that each quarter-round
//! step of a column round is one operation on whole rows, and a lane rotation of three rows
//! turns the columns into the rows of the next round. Blocks stay in this order for the whole
//! ROMix; [`to_pivoted`] and [`from_pivoted`] convert at its edges. XOR and addition act word
//! by word, and word `x0` stays first, so neither BlockMix nor Integerify notices the order.
//!
//! The round schedule is written once ([`Core::salsa8_xor`]); each core supplies the row
//! operations. Every quarter-round step is `x ^= (a + b) <<< k`, one step waiting for the one
//! before, so a core's speed is the latency of that step: 4 cycles on SSE2 (add, the two shifts
//! side by side, or, xor), 3 with AVX-512's three-input logic (add, shifts, one `vpternlogd`
//! for `x ^ left ^ right`). AVX-512's own rotate (`vprold`) takes two cycles on AMD's Zen cores
//! and so gains nothing there.

use crate::table::Table;

/// One 64-byte block in the pivoted word order.
pub(crate) type Block = [u32; 16];

/// Where each stored word comes from: `stored[i] = x[PIVOT[i]]`.
const PIVOT: [usize; 16] = [0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11];

/// A Salsa20/8 implementation: the operations on one row of four 32-bit lanes that the round
/// schedule needs. A core is a value so that one found at run time (AVX-512) can carry the
/// token that proves the CPU has it.
pub(crate) trait Core: Copy {
    /// One row in registers.
    type Row: Copy;
    /// Load four lanes.
    fn load(self, lanes: [u32; 4]) -> Self::Row;
    /// Store four lanes.
    fn store(self, row: Self::Row) -> [u32; 4];
    /// Lane-wise wrapping addition.
    fn add(self, a: Self::Row, b: Self::Row) -> Self::Row;
    /// Lane-wise XOR.
    fn xor(self, a: Self::Row, b: Self::Row) -> Self::Row;
    /// `x ^ (t <<< L)` lane-wise; `R` is `32 - L` (const generics cannot compute it).
    fn xor_rotl<const L: i32, const R: i32>(self, x: Self::Row, t: Self::Row) -> Self::Row;
    /// Lanes moved left by one place: `[a b c d]` becomes `[b c d a]`.
    fn lanes_left1(self, row: Self::Row) -> Self::Row;
    /// Lanes moved left by two places.
    fn lanes_left2(self, row: Self::Row) -> Self::Row;
    /// Lanes moved left by three places.
    fn lanes_left3(self, row: Self::Row) -> Self::Row;

    /// `x = Salsa20/8(x ^ y)` on pivoted blocks.
    #[inline(always)]
    fn salsa8_xor(self, x: &mut Block, y: &Block) {
        let input: [Self::Row; 4] =
            core::array::from_fn(|i| self.xor(self.load(row_of(x, i)), self.load(row_of(y, i))));
        let [mut a, mut b, mut c, mut d] = input;
        for _ in 0..8 {
            b = self.xor_rotl::<7, 25>(b, self.add(a, d));
            c = self.xor_rotl::<9, 23>(c, self.add(b, a));
            d = self.xor_rotl::<13, 19>(d, self.add(c, b));
            a = self.xor_rotl::<18, 14>(a, self.add(d, c));
            // Columns become rows (and back): lanes of d move by 1, of c by 2, of b by 3, and b
            // and d trade places.
            let next_b = self.lanes_left1(d);
            c = self.lanes_left2(c);
            d = self.lanes_left3(b);
            b = next_b;
        }
        for (i, (v, start)) in [a, b, c, d].into_iter().zip(input).enumerate() {
            x[4 * i..4 * i + 4].copy_from_slice(&self.store(self.add(v, start)));
        }
    }

    /// Run [`crate::romix::romix`] with this core, inside whatever the core needs (the CPU
    /// features it was found with).
    #[inline(always)]
    fn romix(self, b: &mut [u8], table: &mut Table) {
        crate::romix::romix(self, b, table);
    }
}

#[inline(always)]
fn row_of(x: &Block, i: usize) -> [u32; 4] {
    [x[4 * i], x[4 * i + 1], x[4 * i + 2], x[4 * i + 3]]
}

/// The fastest core this target always has ([`crate::scrypt`] uses [`Avx512`] instead where the CPU has it).
#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
pub(crate) type Native = Sse2;
/// The fastest core this target always has.
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
#[derive(Clone, Copy, Default)]
pub(crate) struct Sse2;

#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
impl Core for Sse2 {
    type Row = safe_arch::m128i;

    #[inline(always)]
    fn load(self, lanes: [u32; 4]) -> Self::Row {
        lanes.into()
    }
    #[inline(always)]
    fn store(self, row: Self::Row) -> [u32; 4] {
        row.into()
    }
    #[inline(always)]
    fn add(self, a: Self::Row, b: Self::Row) -> Self::Row {
        safe_arch::add_i32_m128i(a, b)
    }
    #[inline(always)]
    fn xor(self, a: Self::Row, b: Self::Row) -> Self::Row {
        safe_arch::bitxor_m128i(a, b)
    }
    #[inline(always)]
    fn xor_rotl<const L: i32, const R: i32>(self, x: Self::Row, t: Self::Row) -> Self::Row {
        use safe_arch::{bitor_m128i, bitxor_m128i, shl_imm_u32_m128i, shr_imm_u32_m128i};
        bitxor_m128i(x, bitor_m128i(shl_imm_u32_m128i::<L>(t), shr_imm_u32_m128i::<R>(t)))
    }
    #[inline(always)]
    fn lanes_left1(self, row: Self::Row) -> Self::Row {
        safe_arch::shuffle_ai_f32_all_m128i::<0b00_11_10_01>(row)
    }
    #[inline(always)]
    fn lanes_left2(self, row: Self::Row) -> Self::Row {
        safe_arch::shuffle_ai_f32_all_m128i::<0b01_00_11_10>(row)
    }
    #[inline(always)]
    fn lanes_left3(self, row: Self::Row) -> Self::Row {
        safe_arch::shuffle_ai_f32_all_m128i::<0b10_01_00_11>(row)
    }
}

/// Salsa20/8 with AVX-512's three-input logic on 128-bit rows (AVX-512VL), for CPUs found to
/// have it at run time. `pulp` checks the CPU and runs ROMix with these features enabled, so
/// that its intrinsics are safe functions here (the workspace forbids `unsafe`).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct Avx512(pub(crate) pulp::x86::V4);

#[cfg(target_arch = "x86_64")]
impl Avx512 {
    /// The AVX-512 core, if this CPU (and its OS) support AVX-512 F, VL and the rest of x86-64-v4.
    pub(crate) fn detect() -> Option<Avx512> {
        pulp::x86::V4::try_new().map(Avx512)
    }
}

/// Everything but the rotation is the SSE2 core's (same rows, same instructions).
#[cfg(target_arch = "x86_64")]
impl Core for Avx512 {
    type Row = safe_arch::m128i;

    #[inline(always)]
    fn load(self, lanes: [u32; 4]) -> Self::Row {
        Sse2.load(lanes)
    }
    #[inline(always)]
    fn store(self, row: Self::Row) -> [u32; 4] {
        Sse2.store(row)
    }
    #[inline(always)]
    fn add(self, a: Self::Row, b: Self::Row) -> Self::Row {
        Sse2.add(a, b)
    }
    #[inline(always)]
    fn xor(self, a: Self::Row, b: Self::Row) -> Self::Row {
        Sse2.xor(a, b)
    }
    #[inline(always)]
    fn xor_rotl<const L: i32, const R: i32>(self, x: Self::Row, t: Self::Row) -> Self::Row {
        use safe_arch::{m128i, shl_imm_u32_m128i, shr_imm_u32_m128i};
        // 0x96: the truth table of a ^ b ^ c (the shifted halves share no bits, so XOR is OR).
        let (left, right) = (shl_imm_u32_m128i::<L>(t), shr_imm_u32_m128i::<R>(t));
        m128i(self.0.avx512f._mm_ternarylogic_epi32::<0x96>(x.0, left.0, right.0))
    }
    #[inline(always)]
    fn lanes_left1(self, row: Self::Row) -> Self::Row {
        Sse2.lanes_left1(row)
    }
    #[inline(always)]
    fn lanes_left2(self, row: Self::Row) -> Self::Row {
        Sse2.lanes_left2(row)
    }
    #[inline(always)]
    fn lanes_left3(self, row: Self::Row) -> Self::Row {
        Sse2.lanes_left3(row)
    }

    #[inline(always)]
    fn romix(self, b: &mut [u8], table: &mut Table) {
        self.0.vectorize(RomixWithFeatures { core: self, b, table });
    }
}

/// ROMix as the closure `pulp` runs with the CPU features enabled: a named type, so that its
/// call can be marked `#[inline(always)]` and the whole loop is compiled with those features.
#[cfg(target_arch = "x86_64")]
struct RomixWithFeatures<'a> {
    core: Avx512,
    b: &'a mut [u8],
    table: &'a mut Table,
}

#[cfg(target_arch = "x86_64")]
impl pulp::NullaryFnOnce for RomixWithFeatures<'_> {
    type Output = ();

    #[inline(always)]
    fn call(self) {
        crate::romix::romix(self.core, self.b, self.table);
    }
}

/// Salsa20/8 on plain arrays of four lanes, for targets without SSE2 (and as the reference the
/// vector cores are tested against).
#[derive(Clone, Copy, Default)]
pub(crate) struct Portable;

type Lanes = [u32; 4];

impl Core for Portable {
    type Row = Lanes;

    #[inline(always)]
    fn load(self, lanes: [u32; 4]) -> Lanes {
        lanes
    }
    #[inline(always)]
    fn store(self, row: Lanes) -> [u32; 4] {
        row
    }
    #[inline(always)]
    fn add(self, a: Lanes, b: Lanes) -> Lanes {
        core::array::from_fn(|i| a[i].wrapping_add(b[i]))
    }
    #[inline(always)]
    fn xor(self, a: Lanes, b: Lanes) -> Lanes {
        core::array::from_fn(|i| a[i] ^ b[i])
    }
    #[inline(always)]
    fn xor_rotl<const L: i32, const R: i32>(self, x: Lanes, t: Lanes) -> Lanes {
        core::array::from_fn(|i| x[i] ^ t[i].rotate_left(L as u32))
    }
    #[inline(always)]
    fn lanes_left1(self, row: Lanes) -> Lanes {
        core::array::from_fn(|i| row[(i + 1) % 4])
    }
    #[inline(always)]
    fn lanes_left2(self, row: Lanes) -> Lanes {
        core::array::from_fn(|i| row[(i + 2) % 4])
    }
    #[inline(always)]
    fn lanes_left3(self, row: Lanes) -> Lanes {
        core::array::from_fn(|i| row[(i + 3) % 4])
    }
}
