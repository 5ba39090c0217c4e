//! Fuzz target `go_buildinfo`: the harness body is `chainseal_sbom::fuzzing::go_buildinfo`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sbom::fuzzing::go_buildinfo(data));
