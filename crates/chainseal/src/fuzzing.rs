//! Every fuzz harness of every crate, by target name (the names of `fuzz/fuzz_targets/*.rs`).
//! The corpus replay test and the fuzz scripts use this table. Not a stable API.

/// `(target name, harness)` for every fuzz target.
pub fn targets() -> Vec<(&'static str, fn(&[u8]))> {
    let mut all = Vec::new();
    all.extend_from_slice(chainseal_oci::fuzzing::TARGETS);
    all.extend_from_slice(chainseal_sign::fuzzing::TARGETS);
    all.extend_from_slice(chainseal_sbom::fuzzing::TARGETS);
    all.extend_from_slice(chainseal_scrypt::fuzzing::TARGETS);
    all
}

/// The harness for `target`, if there is one.
pub fn harness(target: &str) -> Option<fn(&[u8])> {
    targets().into_iter().find(|(name, _)| *name == target).map(|(_, f)| f)
}
