//! Fuzz target `bundle`: the harness body is `chainseal_sign::fuzzing::bundle`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sign::fuzzing::bundle(data));
