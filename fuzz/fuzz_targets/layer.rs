//! Fuzz target `layer`: the harness body is `chainseal_oci::fuzzing::layer`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_oci::fuzzing::layer(data));
