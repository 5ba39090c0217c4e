//! Fuzz target `simple_signing`: the harness body is `chainseal_sign::fuzzing::simple_signing`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sign::fuzzing::simple_signing(data));
