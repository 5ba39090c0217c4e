//! Hostile images and files: `scripts/make-hostile.py` builds a corpus of malicious inputs into a
//! temporary directory (path traversal, link escapes and loops, whiteout tricks, a gzip bomb,
//! digest and size mismatches, truncated layers, a 100 MB manifest, JSON nested 100,000 deep,
//! a million files, duplicate entries, invalid UTF-8, docker-archive escapes), and chainseal's
//! `inspect`, `sbom` and `verify` run over each. Every run must end in a typed error (exit 2, or
//! exit 1 for `verify`, with a message) or a correct SBOM; never a panic (101) or a signal;
//! within 180 s and 512 MB of RSS (safety bounds, not benchmarks); and nothing may be written
//! anywhere but the output file the user named.
//!
//! `CHAINSEAL_HOSTILE_SMALL=1` shrinks the large cases for quick local runs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const MAX_SECONDS: u64 = 180;
const MAX_RSS_KB: u64 = 512 * 1024;

/// A key nobody holds the private half of (see `chainseal_sign::fuzzing::ORPHAN_PUBLIC_KEY`).
const ORPHAN_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEdNFRLnp15d3eTwGamb2IbvEGSrl0
bbo3Lrb4yNdknTCIxO65oWGSnXWEqwU0C9JWjls0Gq9yDIiqxmKLFGLh0w==
-----END PUBLIC KEY-----
";

/// The binary under test: `$CHAINSEAL_BIN` (test.sh points it at the release build, whose speed
/// the time bound assumes) or this package's build.
fn chainseal_bin() -> PathBuf {
    std::env::var_os("CHAINSEAL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_chainseal")))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[derive(Debug)]
struct Case {
    name: String,
    source: String,
    expect: String,
    why: String,
    components: Vec<String>,
    absent: Vec<String>,
}

fn load_cases(dir: &Path) -> Vec<Case> {
    let text = std::fs::read(dir.join("cases.json")).expect("cases.json");
    let v: serde_json::Value = serde_json::from_slice(&text).expect("cases.json is JSON");
    let strs = |c: &serde_json::Value, k: &str| -> Vec<String> {
        c[k].as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
    };
    v.as_array()
        .expect("a list")
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap_or_default().into(),
            source: c["source"].as_str().unwrap_or_default().into(),
            expect: c["expect"].as_str().unwrap_or_default().into(),
            why: c["why"].as_str().unwrap_or_default().into(),
            components: strs(c, "components"),
            absent: strs(c, "absent"),
        })
        .collect()
}

/// Every path under `root` (relative), to detect stray writes.
fn tree(root: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            out.insert(p.strip_prefix(root).unwrap_or(&p).to_path_buf());
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(p);
            }
        }
    }
    out
}

struct Run {
    code: Option<i32>,
    stderr: String,
    stdout: Vec<u8>,
    rss_kb: u64,
    took: Duration,
}

/// Run chainseal under `/usr/bin/time -f %M` (peak RSS in KB on the last stderr line) in `cwd`,
/// killed after `MAX_SECONDS * 2`.
fn run(cwd: &Path, args: &[&str]) -> Run {
    let start = Instant::now();
    let out = Command::new("timeout")
        .args(["-s", "KILL", &(MAX_SECONDS * 2).to_string(), "/usr/bin/time", "-f", "RSS_KB=%M"])
        .arg(chainseal_bin())
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("run chainseal under /usr/bin/time");
    let took = start.elapsed();
    if took > Duration::from_secs(5) {
        eprintln!("hostile: chainseal {} took {took:?}", args.join(" "));
    }
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let rss_kb =
        stderr.lines().rev().find_map(|l| l.strip_prefix("RSS_KB=")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    // `time` reports the child's exit status as its own; a signal shows as "Command terminated by signal".
    let code = if stderr.contains("Command terminated by signal") { None } else { out.status.code() };
    let stderr = stderr
        .lines()
        .filter(|l| !l.starts_with("RSS_KB=") && !l.starts_with("Command exited"))
        .collect::<Vec<_>>()
        .join("\n");
    Run { code, stderr, stdout: out.stdout, rss_kb, took }
}

fn purls(sbom: &[u8]) -> BTreeSet<String> {
    let v: serde_json::Value = match serde_json::from_slice(sbom) {
        Ok(v) => v,
        Err(e) => panic!("the SBOM is not JSON: {e}"),
    };
    v["components"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["purl"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn check_bounds(what: &str, r: &Run, failures: &mut Vec<String>) {
    if r.code.is_none() || r.code == Some(101) || r.code == Some(137) || r.code == Some(124) {
        failures.push(format!("{what}: crashed, was killed or hung (exit {:?}): {}", r.code, tail(&r.stderr)));
    }
    if r.took > Duration::from_secs(MAX_SECONDS) {
        failures.push(format!("{what}: took {:?} (bound {MAX_SECONDS} s)", r.took));
    }
    if r.rss_kb > MAX_RSS_KB {
        failures.push(format!("{what}: peak RSS {} MB (bound {} MB)", r.rss_kb / 1024, MAX_RSS_KB / 1024));
    }
    if r.code.is_some_and(|c| c != 0) && r.stderr.trim().is_empty() {
        failures.push(format!("{what}: failed (exit {:?}) without a message", r.code));
    }
}

fn tail(s: &str) -> String {
    s.lines().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join(" | ")
}

#[test]
fn hostile_inputs_end_in_typed_errors_or_correct_sboms() {
    let corpus = tempfile::tempdir().expect("tempdir");
    let mut generator = Command::new("python3");
    generator.arg(repo().join("scripts/make-hostile.py")).arg(corpus.path());
    if std::env::var_os("CHAINSEAL_HOSTILE_SMALL").is_some() {
        generator.arg("--small");
    }
    let status = generator.status().expect("python3 scripts/make-hostile.py");
    assert!(status.success(), "make-hostile.py failed");
    let cases = load_cases(corpus.path());
    assert!(cases.len() >= 20, "only {} hostile cases", cases.len());

    // The sandbox: chainseal runs in sandbox/work; sandbox/ and the corpus must stay as they were.
    let sandbox = tempfile::tempdir().expect("tempdir");
    let work = sandbox.path().join("work");
    std::fs::create_dir(&work).expect("mkdir work");
    let key = sandbox.path().join("orphan.pub");
    std::fs::write(&key, ORPHAN_PUBLIC_KEY).expect("write key");
    let corpus_before = tree(corpus.path());
    let escape_marker = Path::new("/tmp/chainseal-escape");
    let _ = std::fs::remove_file(escape_marker);

    let mut failures = Vec::new();
    let mut passed = 0;
    let mut worst_rss = 0;
    let mut worst_time = Duration::ZERO;
    for case in &cases {
        let before = tree(sandbox.path());
        let mut case_failures = Vec::new();

        // inspect
        let r = run(&work, &["inspect", &case.source]);
        check_bounds(&format!("{} inspect", case.name), &r, &mut case_failures);
        if !matches!(r.code, Some(0) | Some(2)) {
            case_failures.push(format!(
                "{} inspect: exit {:?}, expected 0 or 2: {}",
                case.name,
                r.code,
                tail(&r.stderr)
            ));
        }
        worst_rss = worst_rss.max(r.rss_kb);
        worst_time = worst_time.max(r.took);

        // sbom, to a file the user names
        let r = run(&work, &["-q", "sbom", &case.source, "-o", "cyclonedx-json=out.cdx.json"]);
        check_bounds(&format!("{} sbom", case.name), &r, &mut case_failures);
        worst_rss = worst_rss.max(r.rss_kb);
        worst_time = worst_time.max(r.took);
        let out = work.join("out.cdx.json");
        match (case.expect.as_str(), r.code) {
            ("error", Some(2)) | ("either", Some(2)) => {
                if out.exists() {
                    case_failures.push(format!("{} sbom: failed but left a partial {}", case.name, out.display()));
                }
            }
            ("sbom", Some(0)) | ("either", Some(0)) => {
                let doc = std::fs::read(&out).unwrap_or_default();
                let found = purls(&doc);
                for want in &case.components {
                    if !found.contains(want) {
                        case_failures.push(format!("{} sbom: {want} missing (found {found:?})", case.name));
                    }
                }
                for bad in &case.absent {
                    if found.contains(bad) {
                        case_failures.push(format!("{} sbom: {bad} must not be there", case.name));
                    }
                }
            }
            (want, code) => case_failures.push(format!(
                "{} sbom ({}): expected {want}, got exit {code:?}: {}",
                case.name,
                case.why,
                tail(&r.stderr)
            )),
        }
        if !r.stdout.is_empty() {
            case_failures.push(format!("{} sbom: wrote to stdout although -o named a file", case.name));
        }
        let _ = std::fs::remove_file(&out);

        // verify: no signature can be valid; a failure to read is exit 2, "no signatures" exit 1.
        if let Some(path) = case.source.strip_prefix("oci-dir:") {
            let src = format!("oci-dir:{path}");
            let r = run(&work, &["verify", "--key", key.to_str().unwrap_or_default(), &src]);
            check_bounds(&format!("{} verify", case.name), &r, &mut case_failures);
            if !matches!(r.code, Some(1) | Some(2)) {
                case_failures.push(format!(
                    "{} verify: exit {:?}, expected 1 or 2: {}",
                    case.name,
                    r.code,
                    tail(&r.stderr)
                ));
            }
        }

        let after = tree(sandbox.path());
        if before != after {
            let stray: Vec<_> = after.symmetric_difference(&before).collect();
            case_failures.push(format!("{}: files appeared or vanished in the sandbox: {stray:?}", case.name));
        }
        if escape_marker.exists() {
            case_failures.push(format!("{}: wrote {}", case.name, escape_marker.display()));
        }
        if case_failures.is_empty() {
            passed += 1;
        }
        failures.extend(case_failures);
    }

    // Deep and huge bundles for verify-blob.
    let files = corpus.path().join("files");
    let artifact = files.join("artifact.txt");
    for bundle in ["deep-bundle.json", "deep-array-bundle.json", "huge-bundle.json"] {
        let b = files.join(bundle);
        let r = run(
            &work,
            &[
                "verify-blob",
                "--key",
                key.to_str().unwrap_or_default(),
                "--bundle",
                b.to_str().unwrap_or_default(),
                artifact.to_str().unwrap_or_default(),
            ],
        );
        let what = format!("verify-blob {bundle}");
        check_bounds(&what, &r, &mut failures);
        if !matches!(r.code, Some(1) | Some(2)) {
            failures.push(format!("{what}: exit {:?}, expected 1 or 2: {}", r.code, tail(&r.stderr)));
        } else {
            passed += 1;
        }
    }

    assert_eq!(tree(corpus.path()), corpus_before, "chainseal changed the input corpus");
    eprintln!(
        "hostile: {passed} of {} cases passed; worst peak RSS {} MB, worst wall time {:?}",
        cases.len() + 3,
        worst_rss / 1024,
        worst_time
    );
    assert!(failures.is_empty(), "{} hostile failures:\n{}", failures.len(), failures.join("\n"));
}
