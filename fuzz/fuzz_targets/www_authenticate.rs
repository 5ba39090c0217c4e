//! Fuzz target `www_authenticate`: the harness body is `chainseal_oci::fuzzing::www_authenticate`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_oci::fuzzing::www_authenticate(data));
