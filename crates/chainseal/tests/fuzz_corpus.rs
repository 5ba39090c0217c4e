//! Replays every committed fuzz seed (`fuzz/seeds/<target>/`) and every crash regression
//! (`fuzz/regressions/<target>/`) through its harness, so a plain `cargo test` keeps the
//! fuzzers' properties true. Also checks the fuzz targets, the harness table and the seed
//! directories name the same set of targets.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn names_in(dir: &Path, strip_rs: bool) -> BTreeSet<String> {
    let Ok(rd) = std::fs::read_dir(dir) else { return BTreeSet::new() };
    rd.filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .map(|n| if strip_rs { n.trim_end_matches(".rs").to_string() } else { n })
        .collect()
}

fn replay(kind: &str) -> usize {
    let mut count = 0;
    let root = fuzz_dir().join(kind);
    for target in names_in(&root, false) {
        let harness = chainseal::fuzzing::harness(&target)
            .unwrap_or_else(|| panic!("fuzz/{kind}/{target} has no harness in chainseal::fuzzing::targets()"));
        for seed in names_in(&root.join(&target), false) {
            let path = root.join(&target).join(&seed);
            let data = std::fs::read(&path).expect("read seed");
            let start = Instant::now();
            let outcome = std::panic::catch_unwind(|| harness(&data));
            assert!(outcome.is_ok(), "fuzz/{kind}/{target}/{seed} panics in its harness");
            let took = start.elapsed();
            assert!(took.as_secs() < 20, "fuzz/{kind}/{target}/{seed} took {took:?}");
            count += 1;
        }
    }
    count
}

#[test]
fn targets_harnesses_and_seeds_agree() {
    let targets = names_in(&fuzz_dir().join("fuzz_targets"), true);
    let harnesses: BTreeSet<String> = chainseal::fuzzing::targets().iter().map(|(n, _)| n.to_string()).collect();
    let seeded = names_in(&fuzz_dir().join("seeds"), false);
    assert_eq!(targets, harnesses, "fuzz/fuzz_targets/*.rs and chainseal::fuzzing::targets() differ");
    assert_eq!(targets, seeded, "every fuzz target needs a committed seed directory fuzz/seeds/<target>/");
}

#[test]
fn every_committed_seed_replays_cleanly() {
    let n = replay("seeds");
    assert!(n >= 100, "only {n} seeds replayed");
}

#[test]
fn every_crash_regression_replays_cleanly() {
    replay("regressions");
}
