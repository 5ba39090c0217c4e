//! Fuzz target `layer_digest_mismatch`: the harness body is `chainseal_oci::fuzzing::layer_digest_mismatch`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_oci::fuzzing::layer_digest_mismatch(data));
