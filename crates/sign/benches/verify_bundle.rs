//! Benchmark (not a test): in-process verification of a real keyless bundle, single-threaded.
//!
//! Verifies the sigstore-conformance case `happy-path-v0.3` (a production-signed v0.3 bundle
//! over `a.txt`, checked against the embedded production trusted root with the case's
//! identity and issuer) N times with one [`BundleVerifier`] and prints bundles per second on
//! one core. Each iteration includes parsing the bundle JSON and every verification step.
//!
//! The case files are read at run time from `$CHAINSEAL_CONFORMANCE` (default
//! `../shared/conformance` relative to the workspace root); they are not part of the project.
//! Optional: `CHAINSEAL_BENCH_CASE` (default `happy-path-v0.3`), `CHAINSEAL_BENCH_SECS`
//! (measurement time, default 5).
//!
//! Run: `cargo bench -p chainseal-sign --bench verify_bundle`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, ParsedPublicKey};
use chainseal_sign::policy::{IdentityPolicy, Matcher};
use chainseal_sign::trust::{TrustRoot, TrustSource};
use chainseal_sign::verify::{ArtifactInput, BundleVerifier};

/// The conformance suite's default identity (sigstore-conformance `test/client.py`).
const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
/// The conformance suite's default issuer.
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn conformance_dir() -> PathBuf {
    match std::env::var_os("CHAINSEAL_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        // crates/sign -> workspace root -> ../shared/conformance
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    }
}

fn read_trimmed(path: &Path, default: &str) -> Result<String, String> {
    if path.exists() {
        std::fs::read_to_string(path)
            .map(|s| s.trim().to_owned())
            .map_err(|e| format!("reading {}: {e}", path.display()))
    } else {
        Ok(default.to_owned())
    }
}

fn run() -> Result<(), String> {
    let case_name = std::env::var("CHAINSEAL_BENCH_CASE").unwrap_or_else(|_| "happy-path-v0.3".into());
    let secs: f64 = std::env::var("CHAINSEAL_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let bv = conformance_dir().join("bundle-verify");
    let case = bv.join(&case_name);
    if case.join("trusted_root.json").exists() || case.join("key.pub").exists() {
        return Err(format!("{case_name}: pick a keyless case verified against the production root"));
    }
    let bundle_path = case.join("bundle.sigstore.json");
    let bundle = std::fs::read(&bundle_path).map_err(|e| {
        format!("reading {}: {e} (set CHAINSEAL_CONFORMANCE to the conformance assets dir)", bundle_path.display())
    })?;
    let artifact_path = if case.join("artifact").exists() { case.join("artifact") } else { bv.join("a.txt") };
    let artifact = std::fs::read(&artifact_path).map_err(|e| format!("reading {}: {e}", artifact_path.display()))?;
    let identity = read_trimmed(&case.join("identity"), DEFAULT_IDENTITY)?;
    let issuer = read_trimmed(&case.join("issuer"), DEFAULT_ISSUER)?;

    let root = TrustRoot::load(&TrustSource::Production).map_err(|e| e.to_string())?;
    let verifier = BundleVerifier::builder()
        .trust_root(root)
        .identity(IdentityPolicy::new(Matcher::exact(identity), Matcher::exact(issuer)))
        .build()
        .map_err(|e| e.to_string())?;
    let once = || verifier.verify_json(ArtifactInput::Bytes(&artifact), &bundle).map_err(|e| e.to_string());

    // Must verify, or the figure is meaningless.
    let verified = once()?;
    println!("case {case_name}: verified ({:?})", verified.signer);

    // Warm-up, then batches until the measurement time is used up.
    for _ in 0..50 {
        once()?;
    }
    let budget = Duration::from_secs_f64(secs);
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..100 {
            once()?;
        }
        n += 100;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = thread_cpu_ns().zip(cpu_start).map(|(end, begin)| end.saturating_sub(begin) as f64 / 1e9);
    let rate = n as f64 / elapsed;
    println!(
        "verify_bundle: {n} verifications in {elapsed:.3} s, {:.1} us each, {rate:.0} bundles/s/core (goal >= 2000: {})",
        elapsed * 1e6 / n as f64,
        if rate >= 2000.0 { "met" } else { "NOT met" }
    );
    if let Some(cpu) = cpu.filter(|c| *c > 0.0) {
        // On a shared machine the wall-clock figure includes time this thread waited for a
        // core; the on-CPU figure does not (it still includes contention for caches and SMT).
        println!(
            "on-CPU: {:.1} us each, {:.0} bundles/s per busy core ({:.0}% of wall time on CPU)",
            cpu * 1e6 / n as f64,
            n as f64 / cpu,
            100.0 * cpu / elapsed
        );
    }
    print_crypto_floor(&verified_rate_note(rate));
    Ok(())
}

/// Nanoseconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`), if known.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn verified_rate_note(rate: f64) -> String {
    format!("{rate:.0} bundles/s/core measured")
}

/// Verifications per second of one signature scheme with an already parsed aws-lc-rs key.
fn ecdsa_verifies_per_sec(
    signing: &'static signature::EcdsaSigningAlgorithm,
    verifying: &'static dyn signature::VerificationAlgorithm,
) -> Result<f64, String> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(signing, &rng).map_err(|e| e.to_string())?;
    let pair = EcdsaKeyPair::from_pkcs8(signing, pkcs8.as_ref()).map_err(|e| e.to_string())?;
    let message = [0x5au8; 300];
    let sig = pair.sign(&rng, &message).map_err(|e| e.to_string())?;
    let key = ParsedPublicKey::new(verifying, pair.public_key().as_ref()).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_millis(700) {
        for _ in 0..50 {
            key.verify_sig(&message, sig.as_ref()).map_err(|_| "verify failed".to_owned())?;
        }
        n += 50;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// What bounds the rate: the signature checks a keyless Rekor v1 bundle needs, each done once
/// (identical repeats are memoised per verification): the leaf certificate by the Fulcio
/// intermediate (ECDSA P-384), and four ECDSA P-256 checks: the SET, the checkpoint, the SCT
/// and the leaf's signature over the artifact.
fn print_crypto_floor(measured: &str) {
    let p256 = ecdsa_verifies_per_sec(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &signature::ECDSA_P256_SHA256_ASN1);
    let p384 = ecdsa_verifies_per_sec(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, &signature::ECDSA_P384_SHA384_ASN1);
    match (p256, p384) {
        (Ok(p256), Ok(p384)) => {
            let us = 1e6 / p384 + 4.0 * 1e6 / p256;
            println!(
                "crypto floor: aws-lc-rs P-256 verify {p256:.0}/s ({:.1} us), P-384 verify {p384:.0}/s ({:.1} us); \
                 1 x P-384 + 4 x P-256 = {us:.0} us per bundle => at most {:.0} bundles/s/core with zero other work ({measured})",
                1e6 / p256,
                1e6 / p384,
                1e6 / us
            );
        }
        (Err(e), _) | (_, Err(e)) => println!("crypto floor: not measured ({e})"),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("verify_bundle bench: {e}");
            ExitCode::from(2)
        }
    }
}
