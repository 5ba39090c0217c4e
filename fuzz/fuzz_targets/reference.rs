//! Fuzz target `reference`: the harness body is `chainseal_oci::fuzzing::reference`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_oci::fuzzing::reference(data));
