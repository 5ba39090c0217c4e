//! `chainseal inspect` and `chainseal copy` against the local registries started by
//! `scripts/registries.sh` (env vars from its env.sh). Without them the tests say so and pass,
//! unless CI=true or CHAINSEAL_REQUIRE_REGISTRIES=1, where they fail.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::Command;

mod common;
use common::registry;

fn chainseal(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chainseal"))
        .args(args)
        .env("DOCKER_CONFIG", std::env::temp_dir().join("chainseal-no-docker-config"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn unique(prefix: &str) -> String {
    common::unique(&format!("cli/{prefix}-"))
}

const INDEX: &str = "sha256:f2b70c094573f9af3ee4ff368beedef79dd3b69a4235470b46002ce7e67dffad";

#[test]
fn copy_then_inspect_a_multiarch_image() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let src = format!("oci-dir:{}:latest", common::image("multiarch").display());
    let dest = format!("{host}/{}:v1", unique("multi"));
    let (code, stdout, stderr) = chainseal(&["copy", "-q", &src, &dest]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["digest"], INDEX);

    let (code, stdout, stderr) = chainseal(&["inspect", &dest, "--platform", "linux/arm64"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["index_digest"], INDEX);
    assert_eq!(v["media_type"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(v["platform"], "linux/arm64/v8");
    assert_eq!(v["platforms"].as_array().unwrap().len(), 2);
    assert!(v["config"]["digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(!v["layers"].as_array().unwrap().is_empty());

    // Back to a layout, keeping the digest.
    let dir = tempfile::tempdir().unwrap();
    let out = format!("oci-dir:{}:copy", dir.path().join("l").display());
    let (code, stdout, stderr) = chainseal(&["copy", "-q", &dest, &out]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(INDEX));
    let (code, stdout, _) = chainseal(&["inspect", &out]);
    assert_eq!(code, 0);
    assert!(stdout.contains(INDEX));
}

#[test]
fn tls_registry_needs_the_ca_flag() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_TLS") else { return };
    let ca = std::env::var("CHAINSEAL_TEST_REGISTRY_TLS_CA").unwrap();
    let (code, _, stderr) = chainseal(&["inspect", &format!("{host}/x/y:v1")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--ca"), "{stderr}");
    // With the CA the certificate is accepted; without credentials the error says what to do.
    let (code, _, stderr) = chainseal(&["inspect", "--ca", &ca, &format!("{host}/x/y:v1")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("docker login"), "{stderr}");
}

#[test]
fn credentials_from_docker_config_and_errors_exit_2() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_TLS") else { return };
    let ca = std::env::var("CHAINSEAL_TEST_REGISTRY_TLS_CA").unwrap();
    let dir = tempfile::tempdir().unwrap();
    // base64("testuser:testpass")
    std::fs::write(
        dir.path().join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"dGVzdHVzZXI6dGVzdHBhc3M="}}}}}}"#),
    )
    .unwrap();
    let src = format!("oci-dir:{}:latest", common::image("example").display());
    let dest = format!("{host}/{}:v1", unique("creds"));
    let out = Command::new(env!("CARGO_BIN_EXE_chainseal"))
        .args(["copy", "-q", "--ca", &ca, &src, &dest])
        .env("DOCKER_CONFIG", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_chainseal"))
        .args(["inspect", "--ca", &ca, &format!("{host}/{}:missing", unique("creds"))])
        .env("DOCKER_CONFIG", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("manifest unknown"));
}

#[test]
fn copy_one_platform_keeps_its_manifest_digest() {
    const ARM64: &str = "sha256:6afa7137b4bc1742f18eb0fb5a1fa99b625b118b5f0a392a45a9bb42eeee08b2";
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let src = format!("oci-dir:{}:latest", common::image("multiarch").display());
    let dest = format!("{host}/{}:arm", unique("platform"));
    let (code, stdout, stderr) = chainseal(&["copy", "-q", "--platform", "linux/arm64/v8", &src, &dest]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["digest"], ARM64);
    assert_eq!(report["manifests"], 1);
    // The tag names the arm64 manifest itself: no index, one platform.
    let (code, stdout, stderr) = chainseal(&["inspect", &dest]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["digest"], ARM64);
    assert!(v["index_digest"].is_null(), "{v}");
    assert_eq!(v["config"]["architecture"], "arm64");
    // A DEST digest must be the platform's; a platform not on offer is a usage error naming them.
    let by_digest = format!("{host}/{}@{ARM64}", unique("platform"));
    let (code, _, stderr) = chainseal(&["copy", "-q", "--platform", "linux/arm64", &src, &by_digest]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = chainseal(&["copy", "-q", "--platform", "linux/s390x", &src, &dest]);
    assert_eq!(code, 2);
    assert!(stderr.contains("linux/amd64, linux/arm64/v8"), "{stderr}");
}
