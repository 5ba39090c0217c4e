//! Fuzz target `dsse`: the harness body is `chainseal_sign::fuzzing::dsse`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sign::fuzzing::dsse(data));
