//! Fuzz target `key_file`: the harness body is `chainseal_sign::fuzzing::key_file`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sign::fuzzing::key_file(data));
