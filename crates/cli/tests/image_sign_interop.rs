//! Image signatures against the real cosign (v3 referrers and v2 `.sig` tags), both directions,
//! on the local registries of scripts/registries.sh (`source DIR/env.sh` first). A missing
//! registry or peer FAILS these tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn env(var: &str) -> String {
    std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: run `bash scripts/registries.sh start DIR && source DIR/env.sh`"))
}

fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("CHAINSEAL_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/chainseal/tools"));
    let p = dir.join("bin").join(name);
    assert!(p.is_file(), "{} is missing: run `bash scripts/install-peers.sh`", p.display());
    p
}

fn chainseal(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chainseal"));
    c.current_dir(dir).env_remove("COSIGN_PASSWORD").env("CHAINSEAL_PASSWORD", "pw");
    c
}

fn cosign(dir: &Path, v: &str) -> Command {
    let mut c = Command::new(tool(v));
    c.current_dir(dir).env("COSIGN_PASSWORD", "pw").env("TUF_ROOT", std::env::temp_dir().join("chainseal-no-tuf"));
    c
}

fn out(cmd: &mut Command) -> Output {
    cmd.output().expect("spawn")
}

fn ok(cmd: &mut Command) -> Output {
    let o = out(cmd);
    assert!(
        o.status.success(),
        "{cmd:?} failed ({:?}):\n{}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn code(cmd: &mut Command, want: i32) -> Output {
    let o = out(cmd);
    assert_eq!(
        o.status.code(),
        Some(want),
        "{cmd:?}:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn unique(prefix: &str) -> String {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}{}-{n}", std::process::id())
}

/// Push the example image (plus a second, different one) and return `repo@digest` for each.
fn push_images(dir: &Path, host: &str) -> (String, String, String) {
    let repo = format!("{host}/{}", unique("sign"));
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/images/example");
    let other = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/images/zstd");
    ok(chainseal(dir).arg("copy").arg(format!("oci-dir:{}", example.display())).arg(format!("{repo}:a")));
    ok(chainseal(dir).arg("copy").arg(format!("oci-dir:{}", other.display())).arg(format!("{repo}:b")));
    let digest = |tag: &str| {
        let o = ok(Command::new(tool("crane")).args(["digest", &format!("{repo}:{tag}")]));
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    let (a, b) = (digest("a"), digest("b"));
    (repo.clone(), format!("{repo}@{a}"), format!("{repo}@{b}"))
}

fn keys(dir: &Path) {
    ok(chainseal(dir).args(["generate-key-pair", "--output-key-prefix", "cs"]));
    ok(cosign(dir, "cosign").args(["generate-key-pair", "--output-key-prefix", "co"]));
}

fn both_registries() -> Vec<String> {
    vec![env("CHAINSEAL_TEST_REGISTRY_PLAIN"), env("CHAINSEAL_TEST_REGISTRY_REFERRERS")]
}

#[test]
fn cosign_verifies_chainseal_signatures() {
    for host in both_registries() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keys(d);
        let (_, img, legacy_img) = push_images(d, &host);
        // v3 bundle referrer, with an annotation.
        ok(chainseal(d).args(["sign", "--key", "cs.key", "-a", "env=prod", &img]));
        ok(cosign(d, "cosign").args(["verify", "--key", "cs.pub", "--insecure-ignore-tlog", "-a", "env=prod", &img]));
        // cosign v2 reads bundle referrers too (it insists on a trusted root, even an empty one).
        let root = d.join("empty_root.json");
        std::fs::write(&root, br#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#).unwrap();
        ok(cosign(d, "cosign-v2")
            .args(["verify", "--key", "cs.pub", "--insecure-ignore-tlog", "--trusted-root"])
            .arg(&root)
            .arg(&img));
        // Legacy `.sig` (on an image without referrers) for cosign v2 and v3.
        ok(chainseal(d).args(["sign", "--format", "legacy", "--key", "cs.key", "-a", "env=prod", &legacy_img]));
        ok(cosign(d, "cosign-v2").args([
            "verify",
            "--key",
            "cs.pub",
            "--insecure-ignore-tlog",
            "-a",
            "env=prod",
            &legacy_img,
        ]));
        ok(cosign(d, "cosign").args([
            "verify",
            "--key",
            "cs.pub",
            "--insecure-ignore-tlog",
            "-a",
            "env=prod",
            &legacy_img,
        ]));
        // cosign refuses another key.
        assert!(
            !out(cosign(d, "cosign").args(["verify", "--key", "co.pub", "--insecure-ignore-tlog", &img]))
                .status
                .success()
        );
    }
}

#[test]
fn chainseal_verifies_cosign_signatures() {
    for host in both_registries() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keys(d);
        let (_, img, _) = push_images(d, &host);
        ok(cosign(d, "cosign").args([
            "sign",
            "--key",
            "co.key",
            "--use-signing-config=false",
            "--tlog-upload=false",
            "-y",
            "-a",
            "team=a",
            &img,
        ]));
        ok(cosign(d, "cosign-v2").args(["sign", "--key", "co.key", "--tlog-upload=false", "-y", "-a", "team=b", &img]));
        let o = ok(chainseal(d).args(["verify", "--key", "co.pub", &img]));
        let payloads: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(payloads.len(), 2, "{payloads:?}");
        // Required annotations select the signature that carries them.
        let o = ok(chainseal(d).args(["verify", "--key", "co.pub", "-a", "team=a", &img]));
        let payloads: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(payloads.len(), 1);
        assert_eq!(payloads[0]["predicateType"], "https://sigstore.dev/cosign/sign/v1");
        // Missing required annotation: exit 1, each refusal explained.
        let o = code(chainseal(d).args(["verify", "--key", "co.pub", "-a", "team=c", &img]), 1);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("team"), "{err}");
        assert!(o.stdout.is_empty());
        // Wrong key: exit 1.
        let o = code(chainseal(d).args(["verify", "--key", "cs.pub", &img]), 1);
        assert!(String::from_utf8_lossy(&o.stderr).contains("does not verify"));
    }
}

#[test]
fn replayed_signature_for_another_digest_is_refused() {
    let host = env("CHAINSEAL_TEST_REGISTRY_PLAIN");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    let (repo, a, b) = push_images(d, &host);
    ok(chainseal(d).args(["sign", "--format", "legacy", "--key", "cs.key", &a]));
    // Move A's `.sig` image to B's `.sig` tag: the signature is valid, but for A.
    let hex = |r: &str| r.rsplit_once("sha256:").unwrap().1.to_string();
    ok(Command::new(tool("crane")).args([
        "copy",
        &format!("{repo}:sha256-{}.sig", hex(&a)),
        &format!("{repo}:sha256-{}.sig", hex(&b)),
    ]));
    let o = code(chainseal(d).args(["verify", "--key", "cs.pub", &b]), 1);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("payload signs"), "{err}");
    // And an unsigned image is exit 1, not an error.
    let dir2 = tempfile::tempdir().unwrap();
    keys(dir2.path());
    let (_, c, _) = push_images(dir2.path(), &host);
    code(chainseal(dir2.path()).args(["verify", "--key", "cs.pub", &c]), 1);
}

#[test]
fn registry_failure_is_exit_2_not_no_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    // A port nothing listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let img = format!("127.0.0.1:{port}/x/y@sha256:{}", "a".repeat(64));
    code(chainseal(d).args(["verify", "--key", "cs.pub", "--registry-retries", "1", &img]), 2);
}

#[test]
fn legacy_signing_deduplicates_and_keeps_other_signatures() {
    let host = env("CHAINSEAL_TEST_REGISTRY_PLAIN");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    let (_, img, _) = push_images(d, &host);
    ok(chainseal(d).args(["sign", "--format", "legacy", "--key", "cs.key", &img]));
    let o = ok(chainseal(d).args(["sign", "--format", "legacy", "--key", "cs.key", &img]));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already carries"));
    ok(cosign(d, "cosign-v2").args(["sign", "--key", "co.key", "--tlog-upload=false", "-y", &img]));
    // Both keys' signatures are there.
    ok(chainseal(d).args(["verify", "--key", "cs.pub", &img]));
    ok(chainseal(d).args(["verify", "--key", "co.pub", &img]));
    // Concurrent legacy signers lose nothing.
    let children: Vec<_> = (0..4)
        .map(|i| {
            let prefix = format!("k{i}");
            ok(chainseal(d).args(["generate-key-pair", "--output-key-prefix", &prefix]));
            chainseal(d)
                .args(["sign", "--format", "legacy", "--key", &format!("{prefix}.key"), &img])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    for i in 0..4 {
        ok(chainseal(d).args(["verify", "--key", &format!("k{i}.pub"), &img]));
    }
}
