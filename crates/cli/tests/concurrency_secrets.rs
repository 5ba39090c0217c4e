//! Concurrency and secrets.
//!
//! - 16 concurrent `chainseal sign` processes on one image: with referrers (ferro's API and the
//!   2.8.2 fallback index) every signature is present afterwards; in legacy `.sig` mode each
//!   process either keeps its signature or exits non-zero saying so (the documented behaviour:
//!   "other writers kept replacing …; try again") — never a silent loss.
//! - Private keys and passwords never appear in output at any verbosity (`-vv`, `RUST_LOG=trace`),
//!   key files are 0600, and no subcommand takes a password or secret as a flag.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::registry;

const PASSWORD: &str = "Zq7-secret-PASSWORD-9xK";

fn chainseal(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chainseal"));
    c.current_dir(dir)
        .env("CHAINSEAL_PASSWORD", PASSWORD)
        .env_remove("COSIGN_PASSWORD")
        .env("DOCKER_CONFIG", dir.join("no-docker-config"));
    c
}

fn ok(cmd: &mut Command) -> Output {
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{cmd:?} failed:\n{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn example() -> String {
    format!(
        "oci-dir:{}:latest",
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/images/example").display()
    )
}

fn unique(prefix: &str) -> String {
    common::unique(&format!("concurrent/{prefix}-"))
}

fn curl_json(url: &str, accept: &str) -> serde_json::Value {
    let out = Command::new("curl").args(["-sf", "-H", &format!("Accept: {accept}"), url]).output().unwrap();
    assert!(out.status.success(), "GET {url} failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// Push the example image, then run `n` signers at once; returns (digest, outputs).
fn sign_concurrently(dir: &Path, host: &str, name: &str, n: usize, format: &str) -> (String, Vec<Output>) {
    let img = format!("{host}/{name}:v1");
    let o = ok(chainseal(dir).args(["copy", "-q", &example(), &img]));
    let digest =
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["digest"].as_str().unwrap().to_string();
    let children: Vec<_> = (0..n)
        .map(|i| {
            chainseal(dir)
                .args(["sign", "-q", "--format", format, "--key", "cs.key", "-y", "-a", &format!("signer={i}"), &img])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    (digest, outs)
}

#[test]
fn sixteen_concurrent_signers_keep_every_signature() {
    let dir = tempfile::tempdir().unwrap();
    ok(chainseal(dir.path()).args(["generate-key-pair", "--output-key-prefix", "cs"]));
    for var in ["CHAINSEAL_TEST_REGISTRY_REFERRERS", "CHAINSEAL_TEST_REGISTRY_PLAIN"] {
        let Some(host) = registry(var) else { return };
        let name = unique("bundle");
        let (digest, outs) = sign_concurrently(dir.path(), &host, &name, 16, "bundle");
        for o in &outs {
            assert!(o.status.success(), "a concurrent signer failed on {var}:\n{}", String::from_utf8_lossy(&o.stderr));
        }
        let index = if var.ends_with("REFERRERS") {
            curl_json(&format!("http://{host}/v2/{name}/referrers/{digest}"), OCI_INDEX)
        } else {
            let tag = digest.replace(':', "-");
            curl_json(&format!("http://{host}/v2/{name}/manifests/{tag}"), OCI_INDEX)
        };
        let kept = index["manifests"].as_array().map(Vec::len).unwrap_or(0);
        eprintln!("concurrency: {var}: {kept} of 16 concurrent bundle signatures kept");
        assert_eq!(kept, 16, "{var}: only {kept} of 16 signatures in the referrers index:\n{index:#}");
        let v =
            chainseal(dir.path()).args(["verify", "--key", "cs.pub", &format!("{host}/{name}:v1")]).output().unwrap();
        assert!(v.status.success(), "verify after concurrent signing:\n{}", String::from_utf8_lossy(&v.stderr));
    }
}

#[test]
fn sixteen_concurrent_legacy_signers_keep_or_report() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let dir = tempfile::tempdir().unwrap();
    ok(chainseal(dir.path()).args(["generate-key-pair", "--output-key-prefix", "cs"]));
    let name = unique("legacy");
    let (digest, outs) = sign_concurrently(dir.path(), &host, &name, 16, "legacy");
    let sig = curl_json(&format!("http://{host}/v2/{name}/manifests/{}.sig", digest.replace(':', "-")), OCI_MANIFEST);
    let layers = sig["layers"].as_array().cloned().unwrap_or_default();
    let payload_signers: Vec<String> = layers
        .iter()
        .filter_map(|l| l["digest"].as_str())
        .map(|d| {
            let blob =
                Command::new("curl").args(["-sf", &format!("http://{host}/v2/{name}/blobs/{d}")]).output().unwrap();
            let v: serde_json::Value = serde_json::from_slice(&blob.stdout).unwrap_or_default();
            v["optional"]["signer"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    let mut kept = 0;
    let mut reported = 0;
    for (i, o) in outs.iter().enumerate() {
        let present = payload_signers.iter().any(|s| s == &i.to_string());
        if o.status.success() {
            assert!(present, "signer {i} exited 0 but its signature is not in the .sig image: silent loss");
            kept += 1;
        } else {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("error"), "signer {i} failed without a message:\n{err}");
            assert_ne!(o.status.code(), Some(101), "signer {i} panicked:\n{err}");
            reported += 1;
        }
    }
    eprintln!("concurrency: legacy .sig: {kept} kept, {reported} reported as conflicts, 0 lost");
}

/// Everything printed by a command, to search for secrets.
fn all_output(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn secrets_never_reach_output_and_key_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A private key whose every encoding we know: PEM body lines, DER hex and the scalar.
    ok(Command::new("openssl").current_dir(d).args([
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "raw.pem",
    ]));
    let pem = std::fs::read_to_string(d.join("raw.pem")).unwrap();
    let der = ok(Command::new("openssl").current_dir(d).args(["pkey", "-in", "raw.pem", "-outform", "DER"])).stdout;
    let text = String::from_utf8_lossy(
        &ok(Command::new("openssl").current_dir(d).args(["pkey", "-in", "raw.pem", "-noout", "-text"])).stdout,
    )
    .into_owned();
    let scalar: String = text
        .split("priv:")
        .nth(1)
        .and_then(|s| s.split("pub:").next())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect();
    let mut needles: Vec<String> = vec![PASSWORD.to_string(), hex::encode(&der), hex::encode(&der).to_uppercase()];
    needles.extend(pem.lines().filter(|l| !l.starts_with("-----") && l.len() >= 16).map(String::from));
    if scalar.len() >= 32 {
        needles.push(scalar[scalar.len() - 32..].to_string());
    }
    std::fs::write(d.join("artifact.txt"), b"release artifact\n").unwrap();

    let loud = |args: &[&str]| -> Output {
        chainseal(d).arg("-vv").args(args).env("RUST_LOG", "trace").env("RUST_BACKTRACE", "1").output().unwrap()
    };
    let mut runs = vec![
        ("generate-key-pair", loud(&["generate-key-pair", "--output-key-prefix", "gen"])),
        ("import-key-pair", loud(&["import-key-pair", "--key", "raw.pem", "--output-key-prefix", "imp"])),
        ("public-key", loud(&["public-key", "--key", "imp.key"])),
        ("sign-blob", loud(&["sign-blob", "--key", "imp.key", "--bundle", "a.bundle", "artifact.txt"])),
        ("verify-blob", loud(&["verify-blob", "--key", "imp.pub", "--bundle", "a.bundle", "artifact.txt"])),
    ];
    for (what, o) in &runs {
        assert!(o.status.success(), "{what} failed:\n{}", all_output(o));
    }
    // Failures too: a wrong password, an unreadable key, a tampered bundle.
    runs.push((
        "sign-blob, wrong password",
        chainseal(d)
            .args(["-vv", "sign-blob", "--key", "imp.key", "--bundle", "b.bundle", "artifact.txt"])
            .env("CHAINSEAL_PASSWORD", format!("{PASSWORD}-wrong"))
            .env("RUST_LOG", "trace")
            .output()
            .unwrap(),
    ));
    runs.push(("sign-blob, raw key", loud(&["sign-blob", "--key", "raw.pem", "--bundle", "c.bundle", "artifact.txt"])));
    std::fs::write(d.join("artifact.txt"), b"tampered\n").unwrap();
    runs.push((
        "verify-blob, tampered",
        loud(&["verify-blob", "--key", "imp.pub", "--bundle", "a.bundle", "artifact.txt"]),
    ));
    if let Some(host) = std::env::var("CHAINSEAL_TEST_REGISTRY_PLAIN").ok().filter(|h| !h.is_empty()) {
        let img = format!("{host}/{}:v1", unique("secrets"));
        ok(chainseal(d).args(["copy", "-q", &example(), &img]));
        runs.push(("sign", loud(&["sign", "--key", "imp.key", "-y", &img])));
        runs.push(("verify", loud(&["verify", "--key", "imp.pub", &img])));
    }
    for (what, o) in &runs {
        let all = all_output(o);
        for n in &needles {
            assert!(!all.contains(n.as_str()), "{what} printed a secret ({}…):\n{all}", &n[..8.min(n.len())]);
        }
        let file_names = ["gen.key", "imp.key"];
        for f in file_names {
            if let Ok(contents) = std::fs::read_to_string(d.join(f)) {
                for line in contents.lines().filter(|l| !l.starts_with("-----") && l.len() >= 16) {
                    assert!(!all.contains(line), "{what} printed the encrypted key file {f}");
                }
            }
        }
    }
    for f in ["gen.key", "imp.key"] {
        let mode = std::fs::metadata(d.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f} has mode {mode:o}, want 600");
    }
}

#[test]
fn no_subcommand_takes_a_secret_as_a_flag() {
    let dir = tempfile::tempdir().unwrap();
    let help = String::from_utf8_lossy(&ok(chainseal(dir.path()).arg("--help")).stdout).into_owned();
    let subcommands: Vec<String> = help
        .split("Commands:")
        .nth(1)
        .unwrap_or_default()
        .split("Options:")
        .next()
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .filter(|s| s != "help" && !s.is_empty())
        .collect();
    assert!(subcommands.len() >= 8, "could not list subcommands from --help:\n{help}");
    for sub in &subcommands {
        let h =
            String::from_utf8_lossy(&ok(chainseal(dir.path()).args([sub.as_str(), "--help"])).stdout).to_lowercase();
        for line in h.lines().map(str::trim).filter(|l| l.starts_with('-')) {
            let flag = line.split_whitespace().find(|w| w.starts_with("--")).unwrap_or_default();
            // `sign-bundle --identity-token` is fixed by the sigstore-conformance protocol (an
            // OIDC token, short-lived and public-audience); it is the one allowed exception.
            if sub == "sign-bundle" && flag.starts_with("--identity-token") {
                continue;
            }
            for word in ["password", "passphrase", "secret", "private-key-data", "token"] {
                assert!(!flag.contains(word), "`chainseal {sub}` has a secret-bearing flag: {line}");
            }
        }
    }
}
