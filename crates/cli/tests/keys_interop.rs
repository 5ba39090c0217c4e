//! Key files and blob bundles against the real cosign (v3 and v2), both directions.
//!
//! The peers come from scripts/install-peers.sh (`$CHAINSEAL_TOOLS/bin`, default
//! `~/.cache/chainseal/tools/bin`). A missing peer FAILS these tests: interop is the proof.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::tool;

fn chainseal() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chainseal"));
    c.env_remove("CHAINSEAL_PASSWORD").env_remove("COSIGN_PASSWORD");
    c
}

fn cosign(version: &str) -> Command {
    let mut c = Command::new(tool(version));
    c.env_remove("CHAINSEAL_PASSWORD").env_remove("COSIGN_PASSWORD");
    // Never reach for TUF or Rekor: everything here is key-based and offline.
    c.env("TUF_ROOT", std::env::temp_dir().join("chainseal-no-tuf"));
    c
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("spawn");
    out
}

fn ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn fails(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        !out.status.success(),
        "{cmd:?} unexpectedly succeeded:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn pub_der(pem: &[u8]) -> Vec<u8> {
    chainseal::sign::keys::PublicKey::from_pem(pem).expect("public key PEM").spki_der().to_vec()
}

/// An empty trusted root: cosign v2 insists on one for new-format bundles even with a key.
fn empty_trusted_root(dir: &Path) -> PathBuf {
    let p = dir.join("empty_trusted_root.json");
    std::fs::write(&p, br#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#).unwrap();
    p
}

#[test]
fn cosign_reads_chainseal_key_files() {
    let dir = tempfile::tempdir().unwrap();
    ok(chainseal().current_dir(dir.path()).env("CHAINSEAL_PASSWORD", "s3cret").args(["generate-key-pair"]));
    let key = dir.path().join("cosign.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let ours = std::fs::read(dir.path().join("cosign.pub")).unwrap();
    for v in ["cosign", "cosign-v2"] {
        let out = ok(cosign(v).env("COSIGN_PASSWORD", "s3cret").arg("public-key").arg("--key").arg(&key));
        assert_eq!(pub_der(&out.stdout), pub_der(&ours), "{v} derived another public key");
        // And cosign refuses the wrong password on our file.
        fails(cosign(v).env("COSIGN_PASSWORD", "wrong").arg("public-key").arg("--key").arg(&key));
    }
    // Refuses to overwrite without --force.
    let out = fails(chainseal().current_dir(dir.path()).env("CHAINSEAL_PASSWORD", "x").args(["generate-key-pair"]));
    assert_eq!(out.status.code(), Some(2));
    ok(chainseal().current_dir(dir.path()).env("CHAINSEAL_PASSWORD", "x").args(["generate-key-pair", "--force"]));
}

#[test]
fn chainseal_reads_cosign_key_files() {
    for v in ["cosign", "cosign-v2"] {
        let dir = tempfile::tempdir().unwrap();
        ok(cosign(v).current_dir(dir.path()).env("COSIGN_PASSWORD", "pw").arg("generate-key-pair"));
        let theirs = std::fs::read(dir.path().join("cosign.pub")).unwrap();
        // COSIGN_PASSWORD works for drop-in use; CHAINSEAL_PASSWORD wins over it.
        let out = ok(chainseal().current_dir(dir.path()).env("COSIGN_PASSWORD", "pw").args([
            "public-key",
            "--key",
            "cosign.key",
        ]));
        assert_eq!(pub_der(&out.stdout), pub_der(&theirs), "{v}");
        let out = ok(chainseal()
            .current_dir(dir.path())
            .env("COSIGN_PASSWORD", "wrong")
            .env("CHAINSEAL_PASSWORD", "pw")
            .args(["public-key", "--key", "cosign.key"]));
        assert_eq!(pub_der(&out.stdout), pub_der(&theirs), "{v}");
        // Wrong password: exit 2, and the message says so without echoing the password.
        let out = fails(chainseal().current_dir(dir.path()).env("CHAINSEAL_PASSWORD", "hunter2").args([
            "public-key",
            "--key",
            "cosign.key",
        ]));
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("wrong password"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        // Password piped on stdin, byte for byte.
        let mut child = chainseal()
            .current_dir(dir.path())
            .args(["public-key", "--key", "cosign.key"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(b"pw").unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(pub_der(&out.stdout), pub_der(&theirs));
    }
}

#[test]
fn truncated_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    ok(chainseal().current_dir(dir.path()).env("CHAINSEAL_PASSWORD", "pw").args(["generate-key-pair"]));
    let key = std::fs::read(dir.path().join("cosign.key")).unwrap();
    std::fs::write(dir.path().join("cut.key"), &key[..key.len() / 2]).unwrap();
    std::fs::write(dir.path().join("blob"), b"data").unwrap();
    let out = fails(chainseal().current_dir(dir.path()).env("CHAINSEAL_PASSWORD", "pw").args([
        "sign-blob",
        "--key",
        "cut.key",
        "--bundle",
        "b.json",
        "blob",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("b.json").exists());
}

#[test]
fn cosign_verifies_chainseal_blob_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(chainseal().current_dir(d).env("CHAINSEAL_PASSWORD", "pw").args(["generate-key-pair"]));
    std::fs::write(d.join("blob.txt"), b"hello chainseal\n").unwrap();
    std::fs::write(d.join("other.txt"), b"hello chainseal!\n").unwrap();
    ok(chainseal().current_dir(d).env("CHAINSEAL_PASSWORD", "pw").args([
        "sign-blob",
        "--key",
        "cosign.key",
        "--bundle",
        "blob.sigstore.json",
        "blob.txt",
    ]));
    // The same content signed by digest only.
    use sha2::Digest as _;
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(b"hello chainseal\n")));
    ok(chainseal().current_dir(d).env("CHAINSEAL_PASSWORD", "pw").args([
        "sign-blob",
        "--key",
        "cosign.key",
        "--bundle",
        "digest.sigstore.json",
        &digest,
    ]));
    let root = empty_trusted_root(d);
    for bundle in ["blob.sigstore.json", "digest.sigstore.json"] {
        // cosign v3.
        ok(cosign("cosign").current_dir(d).args([
            "verify-blob",
            "--key",
            "cosign.pub",
            "--bundle",
            bundle,
            "--insecure-ignore-tlog",
            "blob.txt",
        ]));
        // cosign v2 (new bundle format needs a trusted root, even an empty one).
        ok(cosign("cosign-v2").current_dir(d).args([
            "verify-blob",
            "--key",
            "cosign.pub",
            "--bundle",
            bundle,
            "--new-bundle-format",
            "--insecure-ignore-tlog",
            "--trusted-root",
            root.to_str().unwrap(),
            "blob.txt",
        ]));
        // Refusals: another blob, another key.
        fails(cosign("cosign").current_dir(d).args([
            "verify-blob",
            "--key",
            "cosign.pub",
            "--bundle",
            bundle,
            "--insecure-ignore-tlog",
            "other.txt",
        ]));
    }
    ok(cosign("cosign").current_dir(d).env("COSIGN_PASSWORD", "o").args([
        "generate-key-pair",
        "--output-key-prefix",
        "other",
    ]));
    fails(cosign("cosign").current_dir(d).args([
        "verify-blob",
        "--key",
        "other.pub",
        "--bundle",
        "blob.sigstore.json",
        "--insecure-ignore-tlog",
        "blob.txt",
    ]));
}

#[test]
fn chainseal_signs_with_cosign_key_and_cosign_signs_with_chainseal_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("blob"), b"payload").unwrap();
    // cosign's key, chainseal's signature.
    ok(cosign("cosign").current_dir(d).env("COSIGN_PASSWORD", "a").arg("generate-key-pair"));
    ok(chainseal().current_dir(d).env("COSIGN_PASSWORD", "a").args([
        "sign-blob",
        "--key",
        "cosign.key",
        "--bundle",
        "cs.json",
        "blob",
    ]));
    ok(cosign("cosign").current_dir(d).args([
        "verify-blob",
        "--key",
        "cosign.pub",
        "--bundle",
        "cs.json",
        "--insecure-ignore-tlog",
        "blob",
    ]));
    // chainseal's key, cosign's signature.
    ok(chainseal().current_dir(d).env("CHAINSEAL_PASSWORD", "b").args([
        "generate-key-pair",
        "--output-key-prefix",
        "cs",
    ]));
    ok(cosign("cosign").current_dir(d).env("COSIGN_PASSWORD", "b").args([
        "sign-blob",
        "--key",
        "cs.key",
        "--use-signing-config=false",
        "--tlog-upload=false",
        "--bundle",
        "cosign.json",
        "-y",
        "blob",
    ]));
    ok(cosign("cosign").current_dir(d).args([
        "verify-blob",
        "--key",
        "cs.pub",
        "--bundle",
        "cosign.json",
        "--insecure-ignore-tlog",
        "blob",
    ]));
}

#[test]
fn chainseal_verify_blob_accepts_cosign_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("blob"), b"signed by cosign").unwrap();
    std::fs::write(d.join("other"), b"not signed").unwrap();
    ok(cosign("cosign").current_dir(d).env("COSIGN_PASSWORD", "c").arg("generate-key-pair"));
    ok(cosign("cosign").current_dir(d).env("COSIGN_PASSWORD", "c").args([
        "sign-blob",
        "--key",
        "cosign.key",
        "--use-signing-config=false",
        "--tlog-upload=false",
        "--bundle",
        "b.sigstore.json",
        "-y",
        "blob",
    ]));
    ok(chainseal().current_dir(d).args(["verify-blob", "--key", "cosign.pub", "--bundle", "b.sigstore.json", "blob"]));
    let out = fails(chainseal().current_dir(d).args([
        "verify-blob",
        "--key",
        "cosign.pub",
        "--bundle",
        "b.sigstore.json",
        "other",
    ]));
    assert_eq!(out.status.code(), Some(1));
    // chainseal's own bundles too.
    ok(chainseal().current_dir(d).env("COSIGN_PASSWORD", "c").args([
        "sign-blob",
        "--key",
        "cosign.key",
        "--bundle",
        "cs.sigstore.json",
        "blob",
    ]));
    ok(chainseal().current_dir(d).args(["verify-blob", "--key", "cosign.pub", "--bundle", "cs.sigstore.json", "blob"]));
}

#[test]
fn import_key_pair_round_trips_through_cosign() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sign/tests/data/cosign");
    for f in ["validecp256.key", "validecpkcs8.key", "validecp384.key"] {
        let prefix = d.join(f.trim_end_matches(".key"));
        ok(chainseal()
            .env("CHAINSEAL_PASSWORD", "i")
            .arg("import-key-pair")
            .arg("--key")
            .arg(vectors.join(f))
            .arg("--output-key-prefix")
            .arg(&prefix));
        let key = prefix.with_extension("key");
        let out = ok(cosign("cosign").env("COSIGN_PASSWORD", "i").arg("public-key").arg("--key").arg(&key));
        assert_eq!(pub_der(&out.stdout), pub_der(&std::fs::read(prefix.with_extension("pub")).unwrap()), "{f}");
    }
    // What cosign refuses to import, chainseal refuses.
    for f in ["invalidecp224.key", "invalidrsasmallkey.key"] {
        let out = fails(
            chainseal()
                .env("CHAINSEAL_PASSWORD", "i")
                .arg("import-key-pair")
                .arg("--key")
                .arg(vectors.join(f))
                .arg("--output-key-prefix")
                .arg(d.join("bad")),
        );
        assert_eq!(out.status.code(), Some(2), "{f}");
    }
}
