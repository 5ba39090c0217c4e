//! Benchmark (not a test): cosign's key-file KDF (scrypt N = 2^16, r = 8, p = 1, 32 bytes), one
//! derivation at a time as `chainseal sign` runs it, chainseal-scrypt against the `scrypt` crate
//! in the same run. Prints the medians and their ratio.
//!
//! Run: `cargo bench -p chainseal-scrypt` (`CHAINSEAL_BENCH_RUNS`, default 15, per side).

use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let runs: usize = std::env::var("CHAINSEAL_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    let ours_params = chainseal_scrypt::Params::new(16, 8, 1).expect("cosign's parameters");
    let theirs_params = scrypt::Params::new(16, 8, 1).expect("cosign's parameters");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    // Interleaved, so that machine load falls on both alike.
    for i in 0..runs {
        let salt = (i as u64).to_le_bytes();
        let start = Instant::now();
        chainseal_scrypt::scrypt(b"password", &salt, &ours_params, &mut a).expect("derive");
        ours.push(start.elapsed());
        let start = Instant::now();
        scrypt::scrypt(b"password", &salt, &theirs_params, &mut b).expect("derive");
        theirs.push(start.elapsed());
        assert_eq!(a, b, "the two implementations disagree");
    }
    let (ours, theirs) = (median(ours), median(theirs));
    println!("scrypt N=2^16 r=8 p=1, median of {runs}:");
    println!("  chainseal-scrypt : {:.1} ms", ours.as_secs_f64() * 1e3);
    println!("  scrypt crate     : {:.1} ms", theirs.as_secs_f64() * 1e3);
    println!("  ratio            : {:.2}", ours.as_secs_f64() / theirs.as_secs_f64());
}
