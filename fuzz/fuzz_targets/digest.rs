//! Fuzz target `digest`: the harness body is `chainseal_oci::fuzzing::digest`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_oci::fuzzing::digest(data));
