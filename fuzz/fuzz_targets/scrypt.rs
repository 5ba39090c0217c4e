//! Fuzz target `scrypt`: the harness body is `chainseal_scrypt::fuzzing::scrypt`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_scrypt::fuzzing::scrypt(data));
