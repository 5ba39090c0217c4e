//! Fuzz target `dpkg_status`: the harness body is `chainseal_sbom::fuzzing::dpkg_status`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sbom::fuzzing::dpkg_status(data));
