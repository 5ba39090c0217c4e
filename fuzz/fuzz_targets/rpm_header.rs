//! Fuzz target `rpm_header`: the harness body is `chainseal_sbom::fuzzing::rpm_header`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sbom::fuzzing::rpm_header(data));
