//! Fuzz target `manifest`: the harness body is `chainseal_oci::fuzzing::manifest`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_oci::fuzzing::manifest(data));
