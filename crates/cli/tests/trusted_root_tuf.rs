//! `chainseal trusted-root update` against LOCAL TUF repositories built by python-tuf
//! (`scripts/tuf-test-repo.py`, venv at `~/.cache/chainseal/tools/venv`, override with
//! `CHAINSEAL_TUF_PYTHON`) and served over HTTP on 127.0.0.1; and verification that uses the
//! cached root offline. A missing python-tuf FAILS these tests: the interop is the proof.
//!
//! The repositories serve a trusted root for a private Sigstore world (testkit), so a bundle of
//! that world verifies only when the TUF-cached root is really used (the embedded production
//! root does not trust it).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use chainseal_sign::testkit::{self, TestCa, TestCt, TestLog};
use sha2::Digest;

const SAN: &str = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn python() -> PathBuf {
    match std::env::var_os("CHAINSEAL_TUF_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache/chainseal/tools/venv/bin/python"),
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/tuf-test-repo.py")
}

/// Build a repository for `scenario` serving `target` under `out`.
fn build_repo(out: &Path, target: &Path, scenario: &str, extra: &[&str]) {
    let o = Command::new(python())
        .arg(script())
        .args(["build", out.to_str().unwrap(), target.to_str().unwrap(), "--scenario", scenario])
        .args(extra)
        .output()
        .expect("run python-tuf (install the peers: bash scripts/install-peers.sh)");
    assert!(o.status.success(), "tuf-test-repo.py build: {}", String::from_utf8_lossy(&o.stderr));
}

/// An HTTP server for one repository; killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(repo: &Path) -> Self {
        let mut child = Command::new(python())
            .arg(script())
            .args(["serve", repo.to_str().unwrap()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the TUF HTTP server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port: u16 = line.trim().parse().unwrap_or_else(|_| panic!("server printed {line:?}"));
        Self { child, url: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private Sigstore world: its trusted root, an artifact and a keyless bundle over it.
struct Case {
    dir: tempfile::TempDir,
    root_json: PathBuf,
    artifact: PathBuf,
    bundle: PathBuf,
}

impl Case {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (log, ct) = (TestLog::new("rekor.test"), TestCt::new());
        let root = TestCa::root("tuf test root");
        let inter = root.intermediate("tuf test intermediate");
        let leaf = inter.issue_leaf(SAN, ISSUER, &[], &ct);
        let trusted = testkit::trusted_root(&[&log], &[TestCa::trusted_root_entry(&[&inter, &root])], &[&ct]);
        let root_json = dir.path().join("trusted_root.json");
        std::fs::write(&root_json, trusted.to_string()).unwrap();
        let artifact = dir.path().join("artifact.txt");
        std::fs::write(&artifact, b"released through TUF\n").unwrap();
        let digest = hex::encode(sha2::Sha256::digest(b"released through TUF\n"));
        let statement = serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "artifact.txt", "digest": {"sha256": digest}}],
            "predicateType": "https://example.com/test/v1",
            "predicate": {}
        });
        let bundle_json = testkit::keyless_dsse_bundle(&leaf, statement.to_string().as_bytes(), &log);
        let bundle = dir.path().join("bundle.sigstore.json");
        std::fs::write(&bundle, bundle_json.to_string()).unwrap();
        Self { dir, root_json, artifact, bundle }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `verify-blob` without --trusted-root, with `cache` as the TUF cache and every proxy
    /// variable pointing at a closed port (a fetch would fail).
    fn verify(&self, cache: &Path) -> Output {
        chainseal(cache)
            .args(["verify-blob", "--bundle", self.bundle.to_str().unwrap()])
            .args(["--certificate-identity", SAN, "--certificate-oidc-issuer", ISSUER])
            .arg(&self.artifact)
            .output()
            .unwrap()
    }
}

fn chainseal(cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chainseal"));
    c.env("CHAINSEAL_TUF_CACHE", cache);
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
        c.env(var, "http://127.0.0.1:9");
    }
    c
}

fn update(cache: &Path, url: &str, root: &Path) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chainseal"));
    c.args(["trusted-root", "update", "--tuf-url", url, "--root"]).arg(root).arg("--cache").arg(cache);
    c.env_remove("HTTP_PROXY").env_remove("http_proxy").env_remove("ALL_PROXY").env_remove("all_proxy");
    c.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn show(o: &Output) -> String {
    format!("status {:?}\nstdout: {}\nstderr: {}", o.status.code(), text(&o.stdout), text(&o.stderr))
}

#[test]
fn update_then_verify_offline_with_the_tuf_root() {
    let case = Case::new();
    let out = case.path("good");
    build_repo(&out, &case.root_json, "good", &[]);
    let cache = case.path("cache");

    // Before any update the embedded production root is used: it does not trust this world.
    let before = case.verify(&cache);
    assert_eq!(before.status.code(), Some(1), "{}", show(&before));

    let server = Server::start(&out.join("repo"));
    let up = update(&cache, &server.url, &out.join("root.json"));
    assert_eq!(up.status.code(), Some(0), "{}", show(&up));
    let report: serde_json::Value = serde_json::from_slice(&up.stdout).unwrap();
    let want = hex::encode(sha2::Sha256::digest(std::fs::read(&case.root_json).unwrap()));
    assert_eq!(report["trustedRootSha256"], want.as_str());
    assert_eq!(report["tufRootVersion"], 1);
    drop(server); // offline from here on

    let v = case.verify(&cache);
    assert_eq!(v.status.code(), Some(0), "{}", show(&v));
    assert!(text(&v.stderr).contains("trusted root: TUF http://127.0.0.1"), "{}", show(&v));

    let status = chainseal(&cache).args(["trusted-root", "status"]).output().unwrap();
    assert_eq!(status.status.code(), Some(0), "{}", show(&status));
    assert!(text(&status.stdout).contains("TUF http://127.0.0.1"), "{}", show(&status));

    // --trusted-root still wins over the cache.
    let other = case.path("other_root.json");
    std::fs::write(&other, testkit::trusted_root(&[&TestLog::new("x.test")], &[], &[&TestCt::new()]).to_string())
        .unwrap();
    let o = chainseal(&cache)
        .args(["verify-blob", "--bundle", case.bundle.to_str().unwrap(), "--trusted-root", other.to_str().unwrap()])
        .args(["--certificate-identity", SAN, "--certificate-oidc-issuer", ISSUER])
        .arg(&case.artifact)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
}

/// With strace available, prove the offline verification makes no network connection at all.
#[test]
fn offline_verify_opens_no_socket() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("strace not installed: the proxy trap in the other tests still catches fetches");
        return;
    }
    let case = Case::new();
    let out = case.path("good");
    build_repo(&out, &case.root_json, "good", &[]);
    let cache = case.path("cache");
    let server = Server::start(&out.join("repo"));
    let up = update(&cache, &server.url, &out.join("root.json"));
    assert_eq!(up.status.code(), Some(0), "{}", show(&up));
    let trace = case.path("strace.log");
    let o = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=connect,socket", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_chainseal"))
        .env("CHAINSEAL_TUF_CACHE", &cache)
        .args(["verify-blob", "--bundle", case.bundle.to_str().unwrap()])
        .args(["--certificate-identity", SAN, "--certificate-oidc-issuer", ISSUER])
        .arg(&case.artifact)
        .output()
        .unwrap();
    let log = std::fs::read_to_string(&trace).unwrap_or_default();
    if o.status.code() != Some(0) && log.is_empty() {
        eprintln!("strace cannot trace here ({}); skipped", text(&o.stderr));
        return;
    }
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let inet: Vec<&str> = log.lines().filter(|l| l.contains("AF_INET")).collect();
    assert!(inet.is_empty(), "verification opened network sockets:\n{}", inet.join("\n"));
}

#[test]
fn a_valid_root_rotation_is_followed() {
    let case = Case::new();
    let out = case.path("rotated");
    build_repo(&out, &case.root_json, "rotated", &[]);
    let server = Server::start(&out.join("repo"));
    let up = update(&case.path("cache"), &server.url, &out.join("root.json"));
    assert_eq!(up.status.code(), Some(0), "{}", show(&up));
    let report: serde_json::Value = serde_json::from_slice(&up.stdout).unwrap();
    assert_eq!(report["tufRootVersion"], 2);
}

#[test]
fn forged_or_expired_repositories_are_refused() {
    let case = Case::new();
    for (scenario, reason) in [
        ("tampered-target", "trusted_root.json"),
        ("expired-timestamp", "xpired"),
        ("expired-snapshot", "xpired"),
        ("wrong-root-key", "root"),
        ("huge-timestamp", "larger than"),
        ("deep-timestamp", "TUF"),
    ] {
        let out = case.path(scenario);
        build_repo(&out, &case.root_json, scenario, &[]);
        let cache = case.path(&format!("cache-{scenario}"));
        let server = Server::start(&out.join("repo"));
        let up = update(&cache, &server.url, &out.join("root.json"));
        drop(server);
        assert_eq!(up.status.code(), Some(2), "{scenario}: {}", show(&up));
        let err = text(&up.stderr);
        assert!(err.contains("TUF") && err.contains(reason), "{scenario}: {err}");
        // Nothing usable was cached: verification falls back to the embedded root.
        let v = case.verify(&cache);
        assert_eq!(v.status.code(), Some(1), "{scenario}: {}", show(&v));
    }
}

#[test]
fn a_stale_or_tampered_cache_is_not_used() {
    let case = Case::new();
    let out = case.path("short");
    build_repo(&out, &case.root_json, "good", &["--timestamp-expires-in", "3"]);
    let cache = case.path("cache");
    let server = Server::start(&out.join("repo"));
    let up = update(&cache, &server.url, &out.join("root.json"));
    drop(server);
    assert_eq!(up.status.code(), Some(0), "{}", show(&up));
    assert_eq!(case.verify(&cache).status.code(), Some(0));
    std::thread::sleep(std::time::Duration::from_secs(4));
    // The timestamp has expired: the custom repository's cache is refused, with the fix named.
    let v = case.verify(&cache);
    assert_eq!(v.status.code(), Some(2), "{}", show(&v));
    assert!(text(&v.stderr).contains("trusted-root update"), "{}", show(&v));

    // A fresh cache whose trusted_root.json was edited after the update is refused too.
    let out = case.path("good");
    build_repo(&out, &case.root_json, "good", &[]);
    let cache = case.path("cache2");
    let server = Server::start(&out.join("repo"));
    assert_eq!(update(&cache, &server.url, &out.join("root.json")).status.code(), Some(0));
    drop(server);
    let dir = std::fs::read_dir(&cache).unwrap().flatten().find(|e| e.path().is_dir()).unwrap().path();
    let cached = dir.join("targets/trusted_root.json");
    let mut bytes = std::fs::read(&cached).unwrap();
    bytes.push(b' ');
    std::fs::write(&cached, bytes).unwrap();
    let v = case.verify(&cache);
    assert_eq!(v.status.code(), Some(2), "{}", show(&v));
}
