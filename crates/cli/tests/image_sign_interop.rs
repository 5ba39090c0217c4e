//! Image signatures against the real cosign (v3 referrers and v2 `.sig` tags), both directions,
//! on the local registries of scripts/registries.sh (`source DIR/env.sh` first). A missing
//! registry or peer FAILS these tests.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{code, cosign, env, ok, out, tool, unique};

fn chainseal(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chainseal"));
    c.current_dir(dir).env_remove("COSIGN_PASSWORD").env("CHAINSEAL_PASSWORD", "pw");
    c
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

/// `cosign sign` (v3 flags) with `key`, offline, of `img`.
fn cosign_v3_sign<'a>(cmd: &'a mut Command, key: &str, img: &str) -> &'a mut Command {
    cmd.args(["sign", "--key", key, "--use-signing-config=false", "--tlog-upload=false", "-y", img])
}

/// Run `cmd` with `input` on stdin.
fn with_stdin(cmd: &mut Command, input: &str) -> Output {
    use std::io::Write as _;
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// JSON lines of stdout.
fn json_lines(o: &Output) -> Vec<Vec<serde_json::Value>> {
    String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn several_images_verified_in_one_call() {
    for host in both_registries() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keys(d);
        let (_, a, b) = push_images(d, &host);
        ok(chainseal(d).args(["sign", "-q", "--key", "cs.key", &a]));
        ok(cosign(d, "cosign-v2").args(["sign", "--key", "cs.key", "--tlog-upload=false", "-y", &b]));
        // Both signed: exit 0, one JSON line per image in input order.
        let o = ok(chainseal(d).args(["verify", "--key", "cs.pub", &a, &b]));
        let lines = json_lines(&o);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0][0]["predicateType"], "https://sigstore.dev/cosign/sign/v1");
        let b_digest = b.rsplit_once('@').unwrap().1;
        assert_eq!(lines[1][0]["critical"]["image"]["docker-manifest-digest"], b_digest);
        // A list with an unsigned image (another repository, same registry): exit 1, its line is
        // `[]`, stderr names it.
        let dir2 = tempfile::tempdir().unwrap();
        keys(dir2.path());
        let (_, unsigned, _) = push_images(dir2.path(), &host);
        let list = d.join("images.txt");
        std::fs::write(&list, format!("# release images\n{a}\n\n{unsigned}\n{b}\n")).unwrap();
        let o = code(chainseal(d).args(["verify", "--key", "cs.pub", "--images-from"]).arg(&list), 1);
        let lines = json_lines(&o);
        assert_eq!(lines.len(), 3);
        assert!(lines[1].is_empty() && !lines[0].is_empty() && !lines[2].is_empty(), "{lines:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("error: {unsigned}: no signature")), "{err}");
        assert!(err.contains("2 of 3 image(s) verified"), "{err}");
        // From stdin, mixed with an argument; a wrong key verifies nothing: exit 1.
        let o =
            with_stdin(chainseal(d).args(["verify", "--key", "co.pub", "--images-from", "-", &a]), &format!("{b}\n"));
        assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(json_lines(&o), vec![Vec::<serde_json::Value>::new(), Vec::new()]);
        // A lookup error is exit 2, and names the image; the others are still checked.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let dead = format!("127.0.0.1:{port}/x/y@sha256:{}", "a".repeat(64));
        let o = code(chainseal(d).args(["verify", "--key", "cs.pub", "--registry-retries", "1", &a, &dead]), 2);
        let lines = json_lines(&o);
        assert_eq!(lines.len(), 2);
        assert!(!lines[0].is_empty() && lines[1].is_empty());
        assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("error: {dead}: ")));
        // An empty list is a usage error.
        code(
            chainseal(d).args(["verify", "--key", "cs.pub", "--images-from", "-"]).stdin(std::process::Stdio::null()),
            2,
        );
    }
}

#[test]
fn env_key_references_sign_and_verify_like_cosign() {
    let host = env("CHAINSEAL_TEST_REGISTRY_PLAIN");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    let (_, a, b) = push_images(d, &host);
    let private = std::fs::read_to_string(d.join("cs.key")).unwrap();
    let public = std::fs::read_to_string(d.join("cs.pub")).unwrap();
    // Sign with the private key from the environment (password still from CHAINSEAL_PASSWORD).
    ok(chainseal(d).env("CS_TEST_PRIVATE", &private).args(["sign", "--key", "env://CS_TEST_PRIVATE", &a]));
    ok(chainseal(d).env("CS_TEST_PRIVATE", &private).args([
        "sign",
        "--format",
        "legacy",
        "--key",
        "env://CS_TEST_PRIVATE",
        &b,
    ]));
    // Verify with the public key from the environment, and cosign does the same with env://.
    ok(chainseal(d).env("CS_TEST_PUBLIC", &public).args(["verify", "--key", "env://CS_TEST_PUBLIC", &a, &b]));
    ok(cosign(d, "cosign").env("CS_TEST_PUBLIC", &public).args([
        "verify",
        "--key",
        "env://CS_TEST_PUBLIC",
        "--insecure-ignore-tlog",
        &a,
    ]));
    // cosign signs with env:// (its own key), chainseal verifies with env://.
    let co_private = std::fs::read_to_string(d.join("co.key")).unwrap();
    let co_public = std::fs::read_to_string(d.join("co.pub")).unwrap();
    ok(cosign_v3_sign(cosign(d, "cosign").env("CO_TEST_PRIVATE", &co_private), "env://CO_TEST_PRIVATE", &b));
    ok(chainseal(d).env("CO_TEST_PUBLIC", &co_public).args(["verify", "--key", "env://CO_TEST_PUBLIC", &b]));
    // The wrong key from the environment verifies nothing.
    code(chainseal(d).env("CO_TEST_PUBLIC", &co_public).args(["verify", "--key", "env://CO_TEST_PUBLIC", &a]), 1);
    // Unset variable: exit 2 naming it; a wrong password for an env:// key: exit 2, nothing leaked.
    let o = code(chainseal(d).env_remove("CS_TEST_NOPE").args(["sign", "--key", "env://CS_TEST_NOPE", &a]), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("CS_TEST_NOPE"));
    let o = code(
        chainseal(d).env("CS_TEST_PRIVATE", &private).env("CHAINSEAL_PASSWORD", "wrong").args([
            "sign",
            "--key",
            "env://CS_TEST_PRIVATE",
            &a,
        ]),
        2,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("password") && !err.contains("ENCRYPTED"), "{err}");
}

#[test]
fn ed25519_keys_interoperate_both_ways() {
    let host = env("CHAINSEAL_TEST_REGISTRY_PLAIN");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // One Ed25519 key, imported into a cosign key pair by cosign itself.
    let pem = d.join("ed.pem");
    ok(Command::new("openssl").args(["genpkey", "-algorithm", "ed25519", "-out"]).arg(&pem));
    ok(cosign(d, "cosign").args(["import-key-pair", "--key"]).arg(&pem).args(["--output-key-prefix", "ed"]));
    let (_, a, b) = push_images(d, &host);
    // cosign signs with Ed25519ph (v3 DSSE bundle on A, v2 `.sig` on B); chainseal accepts both.
    ok(cosign_v3_sign(&mut cosign(d, "cosign"), "ed.key", &a));
    ok(cosign(d, "cosign-v2").args(["sign", "--key", "ed.key", "--tlog-upload=false", "-y", &b]));
    ok(chainseal(d).env("CHAINSEAL_PASSWORD", "pw").args(["verify", "--key", "ed.pub", &a]));
    ok(chainseal(d).args(["verify", "--key", "ed.pub", &b]));
    // chainseal signs pure Ed25519 (what cosign verifies with a public key), both layouts.
    let (_, c, e) = push_images(d, &host);
    ok(chainseal(d).args(["sign", "--key", "ed.key", &c]));
    ok(chainseal(d).args(["sign", "--format", "legacy", "--key", "ed.key", &e]));
    ok(cosign(d, "cosign").args(["verify", "--key", "ed.pub", "--insecure-ignore-tlog", &c]));
    ok(cosign(d, "cosign-v2").args(["verify", "--key", "ed.pub", "--insecure-ignore-tlog", &e]));
    ok(chainseal(d).args(["verify", "--key", "ed.pub", &c, &e]));
    // Another Ed25519 key verifies none of them.
    let pem2 = d.join("ed2.pem");
    ok(Command::new("openssl").args(["genpkey", "-algorithm", "ed25519", "-out"]).arg(&pem2));
    ok(cosign(d, "cosign").args(["import-key-pair", "--key"]).arg(&pem2).args(["--output-key-prefix", "ed2"]));
    for img in [&a, &b, &c, &e] {
        code(chainseal(d).args(["verify", "--key", "ed2.pub", img]), 1);
    }
}
