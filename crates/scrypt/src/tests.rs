use super::*;
use crate::salsa::{Block, Core, Portable, from_pivoted, to_pivoted};

/// One core's `salsa8_xor`, as a plain function.
type Salsa8Xor = fn(&mut Block, &Block);

/// `salsa8_xor` of each vector core this machine has, by name (the portable one is the reference).
fn vector_cores() -> Vec<(&'static str, Salsa8Xor)> {
    let mut cores: Vec<(&'static str, Salsa8Xor)> =
        vec![("always-present", |x, y| salsa::Native::default().salsa8_xor(x, y))];
    #[cfg(target_arch = "x86_64")]
    match salsa::Avx512::detect() {
        // A plain function cannot capture the token; detecting again is cheap (cached).
        Some(_) => cores.push(("avx512", |x, y| salsa::Avx512::detect().expect("detected once").salsa8_xor(x, y))),
        None => eprintln!("this CPU has no AVX-512 (x86-64-v4): its core is not tested here"),
    }
    cores
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn derive(password: &[u8], salt: &[u8], log_n: u8, r: u32, p: u32, len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    scrypt(password, salt, &Params::new(log_n, r, p).unwrap(), &mut out).unwrap();
    out
}

fn reference(password: &[u8], salt: &[u8], log_n: u8, r: u32, p: u32, len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    let params = ::scrypt::Params::new(log_n, r, p).unwrap();
    ::scrypt::scrypt(password, salt, &params, &mut out).unwrap();
    out
}

#[test]
fn rfc7914_salsa20_8_core() {
    let input = unhex(
        "7e879a21 4f3ec986 7ca940e6 41718f26 baee555b 8c61c1b5 0df84611 6dcd3b1d
         ee24f319 df9b3d85 14121e4b 5ac5aa32 76021d29 09c74829 edebc68d b8b8c25e",
    );
    let expected = unhex(
        "a41f859c 6608cc99 3b81cacb 020cef05 044b2181 a2fd337d fd7b1c63 96682f29
         b4393168 e3c9e6bc fe6bc5b7 a06d96ba e424cc10 2c91745c 24ad673d c7618f81",
    );
    let portable: Salsa8Xor = |x, y| Portable.salsa8_xor(x, y);
    for (name, core) in vector_cores().into_iter().chain([("portable", portable)]) {
        let mut x = to_pivoted(&input);
        core(&mut x, &[0; 16]);
        let mut out = [0u8; 64];
        from_pivoted(&x, &mut out);
        assert_eq!(out.as_slice(), expected.as_slice(), "{name} core");
    }
}

#[test]
fn vector_and_portable_cores_agree() {
    for (name, core) in vector_cores() {
        let mut x: Block = core::array::from_fn(|i| (i as u32).wrapping_mul(0x9e37_79b9));
        let mut y: Block = core::array::from_fn(|i| (i as u32) ^ 0xdead_beef);
        for _ in 0..1000 {
            let mut vector = x;
            core(&mut vector, &y);
            Portable.salsa8_xor(&mut x, &y);
            assert_eq!(vector, x, "{name} core");
            std::mem::swap(&mut x, &mut y);
        }
    }
}

#[test]
fn rfc7914_vectors() {
    assert_eq!(
        derive(b"", b"", 4, 1, 1, 64),
        unhex(
            "77 d6 57 62 38 65 7b 20 3b 19 ca 42 c1 8a 04 97 f1 6b 48 44 e3 07 4a e8 df df fa 3f ed e2 14 42
             fc d0 06 9d ed 09 48 f8 32 6a 75 3a 0f c8 1f 17 e8 d3 e0 fb 2e 0d 36 28 cf 35 e2 0c 38 d1 89 06"
        )
    );
    assert_eq!(
        derive(b"password", b"NaCl", 10, 8, 16, 64),
        unhex(
            "fd ba be 1c 9d 34 72 00 78 56 e7 19 0d 01 e9 fe 7c 6a d7 cb c8 23 78 30 e7 73 76 63 4b 37 31 62
             2e af 30 d9 2e 22 a3 88 6f f1 09 27 9d 98 30 da c7 27 af b9 4a 83 ee 6d 83 60 cb df a2 cc 06 40"
        )
    );
    assert_eq!(
        derive(b"pleaseletmein", b"SodiumChloride", 14, 8, 1, 64),
        unhex(
            "70 23 bd cb 3a fd 73 48 46 1c 06 cd 81 fd 38 eb fd a8 fb ba 90 4f 8e 3e a9 b5 43 f6 54 5d a1 f2
             d5 43 29 55 61 3f 0f cf 62 d4 97 05 24 2a 9a f9 e6 1e 85 dc 0d 65 1e 40 df cf 01 7b 45 57 58 87"
        )
    );
}

#[test]
fn matches_the_scrypt_crate_across_parameters() {
    for log_n in [1u8, 2, 3, 7, 10] {
        for r in [1u32, 2, 3, 8, 9] {
            for p in [1u32, 2, 3] {
                let password = format!("pw-{log_n}-{r}-{p}");
                let salt = vec![log_n ^ r as u8; 1 + p as usize * 7];
                for len in [1usize, 32, 65] {
                    assert_eq!(
                        derive(password.as_bytes(), &salt, log_n, r, p, len),
                        reference(password.as_bytes(), &salt, log_n, r, p, len),
                        "log_n={log_n} r={r} p={p} len={len}"
                    );
                }
            }
        }
    }
}

#[test]
fn cosign_parameters_use_the_helper_and_match_the_scrypt_crate() {
    // 64 MiB table: the prefaulting helper supplies chunks 1..32.
    assert_eq!(derive(b"pw", &[7; 32], 16, 8, 1, 32), reference(b"pw", &[7; 32], 16, 8, 1, 32));
    // p = 2 runs ROMix twice over one (already filled) table.
    assert_eq!(derive(b"pw", b"salt", 14, 8, 2, 32), reference(b"pw", b"salt", 14, 8, 2, 32));
    // An entry size that does not divide the chunk size, and a short last chunk.
    assert_eq!(derive(b"pw", b"salt", 14, 5, 1, 32), reference(b"pw", b"salt", 14, 5, 1, 32));
}

#[test]
fn every_core_computes_scrypt() {
    for (log_n, r, p) in [(4u8, 1u32, 1u32), (10, 8, 2), (13, 8, 1)] {
        let params = Params::new(log_n, r, p).unwrap();
        let expected = reference(b"password", b"salt", log_n, r, p, 32);
        let mut out = [0u8; 32];
        scrypt_with(Portable, b"password", b"salt", &params, &mut out).unwrap();
        assert_eq!(out.as_slice(), expected.as_slice(), "portable core");
        scrypt_with(salsa::Native::default(), b"password", b"salt", &params, &mut out).unwrap();
        assert_eq!(out.as_slice(), expected.as_slice(), "always-present core");
        #[cfg(target_arch = "x86_64")]
        if let Some(core) = salsa::Avx512::detect() {
            scrypt_with(core, b"password", b"salt", &params, &mut out).unwrap();
            assert_eq!(out.as_slice(), expected.as_slice(), "avx512 core");
        }
    }
}

#[test]
fn different_inputs_give_different_keys() {
    let base = derive(b"password", b"salt", 10, 8, 1, 32);
    assert_ne!(base, derive(b"passwore", b"salt", 10, 8, 1, 32));
    assert_ne!(base, derive(b"password", b"salu", 10, 8, 1, 32));
    assert_ne!(base, derive(b"password", b"salt", 11, 8, 1, 32));
}

#[test]
fn out_of_bound_parameters_are_refused() {
    for (log_n, r, p) in [
        (0u8, 8u32, 1u32),
        (16, 0, 1),
        (16, 8, 0),
        (16, 1, 1),       // N >= 2^(16 r)
        (32, 8, 1),       // N >= 2^32
        (20, 1 << 29, 2), // r p >= 2^30
        (21, 8, 1),       // 2 GiB table
        (20, 8, 1 << 20), // too much work
    ] {
        let err = Params::new(log_n, r, p).unwrap_err();
        assert!(matches!(err, Error::Params(_)), "{log_n} {r} {p}: {err}");
        assert!(err.to_string().starts_with("scrypt parameters refused"), "{err}");
    }
    assert!(Params::new(20, 8, 1).is_ok(), "a 1 GiB table is the limit, not over it");
}

#[test]
fn output_lengths_out_of_bounds_are_refused() {
    let params = Params::new(4, 1, 1).unwrap();
    let mut empty = [];
    assert_eq!(scrypt(b"pw", b"salt", &params, &mut empty), Err(Error::OutputLength(0)));
    let mut huge = vec![0u8; MAX_OUTPUT_BYTES + 1];
    let err = scrypt(b"pw", b"salt", &params, &mut huge).unwrap_err();
    assert!(err.to_string().contains("ask for 1 to"), "{err}");
}
