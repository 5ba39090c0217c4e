//! Fuzz target `intoto`: the harness body is `chainseal_sign::fuzzing::intoto`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sign::fuzzing::intoto(data));
