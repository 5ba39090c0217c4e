//! Fuzz target `jar_manifest`: the harness body is `chainseal_sbom::fuzzing::jar_manifest`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sbom::fuzzing::jar_manifest(data));
