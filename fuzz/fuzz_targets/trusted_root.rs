//! Fuzz target `trusted_root`: the harness body is `chainseal_sign::fuzzing::trusted_root`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sign::fuzzing::trusted_root(data));
