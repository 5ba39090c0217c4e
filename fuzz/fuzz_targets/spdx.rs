//! Fuzz target `spdx`: the harness body is `chainseal_sbom::fuzzing::sbom_document`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sbom::fuzzing::sbom_document(data));
