//! Fuzz target `jar`: the harness body is `chainseal_sbom::fuzzing::jar`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sbom::fuzzing::jar(data));
