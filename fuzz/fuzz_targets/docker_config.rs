//! Fuzz target `docker_config`: the harness body is `chainseal_oci::fuzzing::docker_config`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_oci::fuzzing::docker_config(data));
