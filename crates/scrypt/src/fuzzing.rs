//! Fuzzing harness bodies (`fuzz/fuzz_targets/scrypt.rs` calls them; so does the corpus replay
//! test of the `chainseal` crate). Not a stable API.
//!
//! The harness compares [`crate::scrypt`] (the core found at run time, AVX-512 where the CPU has
//! it) and the target's always-present and portable cores with [`reference`], a literal
//! transcription of RFC 7914 that shares nothing with the fast path but PBKDF2: plain byte
//! blocks, one contiguous table, the RFC's scalar Salsa20/8.

use crate::{Params, salsa};

/// `(target name, harness)` for this crate's fuzz targets.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[("scrypt", scrypt)];

/// Small parameters from the first three bytes (N up to 2^9, r up to 4, p up to 2, 1 to 80
/// output bytes), password and salt from the rest; every implementation must agree.
pub fn scrypt(data: &[u8]) {
    let [a, b, c, rest @ ..] = data else { return };
    let (log_n, r, p) = (1 + a % 9, 1 + u32::from(b % 4), 1 + u32::from(b / 4 % 2));
    let len = 1 + usize::from(c % 80);
    let split = rest.first().map_or(0, |&s| usize::from(s)).min(rest.len());
    let (password, salt) = rest.split_at(split);
    let params = Params::new(log_n, r, p);
    assert!(params.is_ok(), "log_n={log_n} r={r} p={p} refused");
    let Ok(params) = params else { return };
    let (mut fast, mut native, mut portable) = (vec![0u8; len], vec![0u8; len], vec![0u8; len]);
    let derived = crate::scrypt(password, salt, &params, &mut fast);
    let derived_native = crate::scrypt_with(salsa::Native::default(), password, salt, &params, &mut native);
    let derived_portable = crate::scrypt_with(salsa::Portable, password, salt, &params, &mut portable);
    assert!(derived.is_ok() && derived_native.is_ok() && derived_portable.is_ok(), "small parameters refused");
    let expected = reference(password, salt, log_n, r as usize, p as usize, len);
    assert_eq!(fast, expected, "log_n={log_n} r={r} p={p} len={len}");
    assert_eq!(native, expected, "always-present core: log_n={log_n} r={r} p={p} len={len}");
    assert_eq!(portable, expected, "portable core: log_n={log_n} r={r} p={p} len={len}");
}

/// RFC 7914 scrypt, transcribed as literally as possible (slow; for checking only).
pub fn reference(password: &[u8], salt: &[u8], log_n: u8, r: usize, p: usize, len: usize) -> Vec<u8> {
    let mut b = vec![0u8; p * 128 * r];
    crate::pbkdf2_sha256(password, salt, &mut b);
    for chunk in b.chunks_mut(128 * r) {
        let mixed = romix(chunk, 1 << log_n);
        chunk.copy_from_slice(&mixed);
    }
    let mut out = vec![0u8; len];
    crate::pbkdf2_sha256(password, &b, &mut out);
    out
}

/// RFC 7914 section 3, on 64 bytes.
fn salsa20_8(block: &[u8]) -> Vec<u8> {
    let input: Vec<u32> = block.chunks(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
    let mut x = input.clone();
    let mut quarter = |a: usize, b: usize, c: usize, d: usize| {
        x[b] ^= x[a].wrapping_add(x[d]).rotate_left(7);
        x[c] ^= x[b].wrapping_add(x[a]).rotate_left(9);
        x[d] ^= x[c].wrapping_add(x[b]).rotate_left(13);
        x[a] ^= x[d].wrapping_add(x[c]).rotate_left(18);
    };
    for _ in 0..4 {
        quarter(0, 4, 8, 12);
        quarter(5, 9, 13, 1);
        quarter(10, 14, 2, 6);
        quarter(15, 3, 7, 11);
        quarter(0, 1, 2, 3);
        quarter(5, 6, 7, 4);
        quarter(10, 11, 8, 9);
        quarter(15, 12, 13, 14);
    }
    x.iter().zip(&input).flat_map(|(a, b)| a.wrapping_add(*b).to_le_bytes()).collect()
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

/// RFC 7914 section 4.
fn block_mix(b: &[u8]) -> Vec<u8> {
    let blocks: Vec<&[u8]> = b.chunks(64).collect();
    let mut x = blocks[blocks.len() - 1].to_vec();
    let mut y = Vec::new();
    for block in &blocks {
        x = salsa20_8(&xor(&x, block));
        y.push(x.clone());
    }
    let even = y.iter().step_by(2);
    let odd = y.iter().skip(1).step_by(2);
    even.chain(odd).flatten().copied().collect()
}

/// RFC 7914 section 5.
fn romix(b: &[u8], n: usize) -> Vec<u8> {
    let mut x = b.to_vec();
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(x.clone());
        x = block_mix(&x);
    }
    for _ in 0..n {
        let last = &x[x.len() - 64..];
        let integer = u64::from_le_bytes([last[0], last[1], last[2], last[3], last[4], last[5], last[6], last[7]]);
        let j = (integer % n as u64) as usize;
        x = block_mix(&xor(&x, &v[j]));
    }
    x
}

#[cfg(test)]
mod tests {
    #[test]
    fn reference_gives_the_rfc_vector() {
        let expected = "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442\
                        fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906";
        let got: String = super::reference(b"", b"", 4, 1, 1, 64).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn harness_accepts_its_seeds() {
        super::scrypt(b"\x03\x07\x1fpass salt");
        super::scrypt(b"\x08\x03\x3f\x00");
        super::scrypt(b"");
    }
}
