//! Fuzz target `package_lock`: the harness body is `chainseal_sbom::fuzzing::package_lock`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sbom::fuzzing::package_lock(data));
