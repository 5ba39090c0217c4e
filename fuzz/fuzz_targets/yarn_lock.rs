//! Fuzz target `yarn_lock`: the harness body is `chainseal_sbom::fuzzing::yarn_lock`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sbom::fuzzing::yarn_lock(data));
