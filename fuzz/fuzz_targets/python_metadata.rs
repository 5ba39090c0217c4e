//! Fuzz target `python_metadata`: the harness body is `chainseal_sbom::fuzzing::python_metadata`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sbom::fuzzing::python_metadata(data));
