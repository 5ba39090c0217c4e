//! scrypt (RFC 7914), the key-derivation function of cosign's encrypted key files.
//!
//! Why not the `scrypt` crate: with cosign's parameters (N = 2^16, r = 8, p = 1) most of the time
//! of signing an image is this function, and about a quarter of it was not hashing. The crate
//! allocates its 64 MiB table inside the call, so the deriving thread takes all 16,384 page faults
//! itself (~30 ms of ~125 ms on a 2-core machine). Here the table comes in 2 MiB chunks that a
//! helper thread maps with their pages faulted in while the first ROMix loop fills the chunks
//! before them (module `table`), and the filled table is wiped and freed off the caller's thread.
//!
//! The hashing is Salsa20/8 on 128-bit vectors in the diagonal layout, as in the crate (module
//! `salsa`), with two differences that make it faster:
//! - on CPUs with AVX-512 (found at run time through `pulp`), each quarter-round step ends in one
//!   three-input XOR, which takes the step from 4 cycles to 3 (ROMix is a chain of these steps,
//!   each waiting for the one before);
//! - the second loop asks for all 16 cache lines of each randomly chosen entry at once (module
//!   `romix`), instead of waiting for them one by one.
//!
//! Elsewhere it runs on SSE2 (through `safe_arch`), or a portable core. No `unsafe` is needed.
//!
//! Tests compare the output with RFC 7914's vectors and the `scrypt` crate (a dev-dependency) and
//! each core with the portable one; the `scrypt` fuzz target compares every core with a literal
//! transcription of the RFC ([`fuzzing::reference`]); `benches/scrypt.rs` compares the speed with
//! the crate's.
//!
//! PBKDF2-HMAC-SHA256 comes from aws-lc-rs.

#[doc(hidden)]
pub mod fuzzing;
mod romix;
mod salsa;
mod table;

use std::fmt;
use std::num::NonZeroU32;

use zeroize::Zeroizing;

/// Most memory [`scrypt`] may use for its table (128 · r · N bytes): 1 GiB. cosign's parameters
/// need 64 MiB (N = 2^16) to 128 MiB (N = 2^17).
pub const MAX_TABLE_BYTES: usize = 1 << 30;

/// Largest output accepted: 1 MiB (cosign derives 32 bytes).
pub const MAX_OUTPUT_BYTES: usize = 1 << 20;

/// The scrypt cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    log_n: u8,
    r: u32,
    p: u32,
}

impl Params {
    /// `N = 2^log_n`, block size `r`, parallelism `p`, checked against RFC 7914's bounds
    /// (`1 <= log_n < 16·r`, `r·p < 2^30`) and against [`MAX_TABLE_BYTES`] and a total work of
    /// at most 2^40 BlockMix words.
    pub fn new(log_n: u8, r: u32, p: u32) -> Result<Params, Error> {
        if r == 0 || p == 0 || log_n == 0 {
            return Err(Error::Params("log_n, r and p must all be at least 1"));
        }
        if u64::from(log_n) >= 16 * u64::from(r) || log_n >= 32 {
            return Err(Error::Params("N must be below 2^(16·r) and 2^32"));
        }
        if u64::from(r) * u64::from(p) >= 1 << 30 {
            return Err(Error::Params("r·p must be below 2^30"));
        }
        let table = (128 * u128::from(r)) << log_n;
        if table > MAX_TABLE_BYTES as u128 {
            return Err(Error::Params("128·r·N bytes exceed the 1 GiB limit"));
        }
        if (table * u128::from(p)) >> 40 != 0 {
            return Err(Error::Params("p·128·r·N exceeds the work limit (2^40 bytes mixed)"));
        }
        Ok(Params { log_n, r, p })
    }

    /// log2 of N.
    pub fn log_n(&self) -> u8 {
        self.log_n
    }

    /// The block size parameter r.
    pub fn r(&self) -> u32 {
        self.r
    }

    /// The parallelism parameter p.
    pub fn p(&self) -> u32 {
        self.p
    }
}

/// Why [`scrypt`] refused to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The parameters are out of bounds (the message says which bound).
    Params(&'static str),
    /// The requested output length is 0 or above [`MAX_OUTPUT_BYTES`].
    OutputLength(usize),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Params(why) => write!(f, "scrypt parameters refused: {why}"),
            Error::OutputLength(n) => {
                write!(f, "scrypt output of {n} bytes refused: ask for 1 to {MAX_OUTPUT_BYTES} bytes")
            }
        }
    }
}

impl std::error::Error for Error {}

/// Derive `output.len()` bytes from `password` and `salt`: RFC 7914's scrypt with `params`.
///
/// Intermediate values derived from the password are wiped after use; the table is wiped by a
/// background thread before it is freed.
pub fn scrypt(password: &[u8], salt: &[u8], params: &Params, output: &mut [u8]) -> Result<(), Error> {
    #[cfg(target_arch = "x86_64")]
    if let Some(core) = salsa::Avx512::detect() {
        return scrypt_with(core, password, salt, params, output);
    }
    scrypt_with(salsa::Native::default(), password, salt, params, output)
}

fn scrypt_with<C: salsa::Core>(
    core: C,
    password: &[u8],
    salt: &[u8],
    params: &Params,
    output: &mut [u8],
) -> Result<(), Error> {
    if output.is_empty() || output.len() > MAX_OUTPUT_BYTES {
        return Err(Error::OutputLength(output.len()));
    }
    let r = params.r as usize;
    let block_bytes = 128 * r;
    let mut b = Zeroizing::new(vec![0u8; block_bytes * params.p as usize]);
    pbkdf2_sha256(password, salt, &mut b);
    let mut table = table::Table::new(1usize << params.log_n, 2 * r);
    for chunk in b.chunks_exact_mut(block_bytes) {
        core.romix(chunk, &mut table);
    }
    table.wipe_in_background();
    pbkdf2_sha256(password, &b, output);
    Ok(())
}

/// PBKDF2-HMAC-SHA256 with one iteration, as scrypt uses it.
fn pbkdf2_sha256(password: &[u8], salt: &[u8], out: &mut [u8]) {
    // Lengths are bounded by `Params::new` and `MAX_OUTPUT_BYTES`, far below PBKDF2's limit of
    // (2^32 - 1) · 32 bytes, so aws-lc-rs's length assertion cannot fire.
    aws_lc_rs::pbkdf2::derive(aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256, NonZeroU32::MIN, salt, password, out);
}

#[cfg(test)]
mod tests;
