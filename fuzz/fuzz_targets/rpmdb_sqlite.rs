//! Fuzz target `rpmdb_sqlite`: the harness body is `chainseal_sbom::fuzzing::rpmdb_sqlite`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainseal_sbom::fuzzing::rpmdb_sqlite(data));
