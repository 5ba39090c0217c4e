//! Shared helpers for the registry integration tests: where the registries are (env vars
//! written by `scripts/registries.sh`), and tiny images built in memory.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use bytes::Bytes;
use chainseal_oci::Reference;
use chainseal_oci::manifest::{Descriptor, RawManifest};
use chainseal_oci::media_type;
use chainseal_oci::registry::{Credential, CredentialSource, RegistryClient, RegistryConfig, Repository};

/// The registry address in `var`, or `None` (with a message) when the registries are not
/// running. Fails instead when CI=true or CHAINSEAL_REQUIRE_REGISTRIES=1.
pub fn registry(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            let required = std::env::var("CI").is_ok_and(|v| v == "true")
                || std::env::var("CHAINSEAL_REQUIRE_REGISTRIES").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "{var} is not set but registries are required (CI=true or CHAINSEAL_REQUIRE_REGISTRIES=1): run \
                 `scripts/registries.sh start DIR && source DIR/env.sh` first"
            );
            eprintln!(
                "NOT RUN: {var} is not set. Start the test registries with `scripts/registries.sh start DIR` and \
                 `source DIR/env.sh` to run this test."
            );
            None
        }
    }
}

/// Environment value that must exist when the registries run.
pub fn env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| panic!("{var} missing from env.sh"))
}

/// A client that uses no docker config (tests never read the user's credentials).
pub fn anonymous_config() -> RegistryConfig {
    let mut c = RegistryConfig::default();
    c.credentials = CredentialSource::anonymous();
    c
}

pub fn config_with_user(host: &str) -> RegistryConfig {
    anonymous_config().with_credential(
        host,
        Credential::basic(env("CHAINSEAL_TEST_REGISTRY_USER"), env("CHAINSEAL_TEST_REGISTRY_PASSWORD")),
    )
}

/// A unique repository name per test run.
pub fn unique_repo(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("test/{prefix}-{}-{nanos}", std::process::id())
}

pub fn repo(client: &RegistryClient, host: &str, name: &str) -> Repository {
    let r: Reference = format!("{host}/{name}:latest").parse().unwrap();
    client.repository(&r)
}

/// A small image: a config blob, one layer blob, and the manifest bytes.
pub struct TinyImage {
    pub config: (Descriptor, Bytes),
    pub layer: (Descriptor, Bytes),
    pub manifest: RawManifest,
}

pub fn tiny_image(seed: &str) -> TinyImage {
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"config":{{"Labels":{{"seed":"{seed}"}}}}}}"#
    )
    .into_bytes();
    let layer = format!("layer bytes for {seed}").into_bytes();
    let cd = Descriptor::for_bytes(media_type::OCI_CONFIG, &config);
    let ld = Descriptor::for_bytes(media_type::OCI_LAYER_TAR, &layer);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{}","size":{}}},"layers":[{{"mediaType":"{}","digest":"{}","size":{}}}]}}"#,
        media_type::OCI_MANIFEST,
        cd.media_type,
        cd.digest,
        cd.size,
        ld.media_type,
        ld.digest,
        ld.size
    );
    TinyImage {
        config: (cd, Bytes::from(config)),
        layer: (ld, Bytes::from(layer)),
        manifest: RawManifest::from_bytes(manifest.into_bytes(), None).unwrap(),
    }
}

pub async fn push_tiny(repo: &Repository, image: &TinyImage, tag: Option<&str>) {
    repo.push_blob_bytes(&image.config.0, image.config.1.clone()).await.unwrap();
    repo.push_blob_bytes(&image.layer.0, image.layer.1.clone()).await.unwrap();
    repo.push_manifest(&image.manifest, tag).await.unwrap();
}

/// An OCI 1.1 artifact manifest referring to `subject`, with the empty config.
pub fn artifact(
    subject: &RawManifest,
    artifact_type: &str,
    payload: &[u8],
    annotations: &[(&str, &str)],
) -> (RawManifest, Descriptor, Bytes) {
    let layer = Descriptor::for_bytes(artifact_type, payload);
    let ann: BTreeMap<&str, &str> = annotations.iter().copied().collect();
    let doc = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": media_type::OCI_EMPTY, "digest": Descriptor::for_bytes(media_type::OCI_EMPTY, b"{}").digest, "size": 2},
        "layers": [{"mediaType": artifact_type, "digest": layer.digest, "size": layer.size}],
        "subject": {"mediaType": subject.media_type, "digest": subject.digest, "size": subject.bytes.len()},
        "annotations": ann,
    });
    let raw = RawManifest::from_bytes(serde_json::to_vec(&doc).unwrap(), None).unwrap();
    (raw, layer, Bytes::copy_from_slice(payload))
}

pub async fn push_artifact(
    repo: &Repository,
    raw: &RawManifest,
    layer: &Descriptor,
    payload: Bytes,
) -> chainseal_oci::registry::PushedManifest {
    repo.push_blob_bytes(&Descriptor::for_bytes(media_type::OCI_EMPTY, b"{}"), Bytes::from_static(b"{}"))
        .await
        .unwrap();
    repo.push_blob_bytes(layer, payload).await.unwrap();
    repo.push_manifest(raw, None).await.unwrap()
}

/// Run a command, return stdout; panic with stderr on failure.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("running {cmd}: {e}"));
    assert!(out.status.success(), "{cmd} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Path to a tool from the tools dir or PATH.
pub fn tool(name: &str) -> String {
    let home = std::env::var("HOME").unwrap_or_default();
    let tools = std::env::var("CHAINSEAL_TOOLS").unwrap_or(format!("{home}/.cache/chainseal/tools"));
    let p = format!("{tools}/bin/{name}");
    if std::path::Path::new(&p).exists() { p } else { name.to_string() }
}

/// The workspace root.
pub fn workspace() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `scripts/faultproxy.py` in front of a registry, stopped (by its PID) on drop.
pub struct FaultProxy {
    pub addr: String,
    child: std::process::Child,
}

impl FaultProxy {
    pub fn start(upstream: &str, faults: &str) -> FaultProxy {
        use std::io::BufRead;
        let script = std::env::var("CHAINSEAL_TEST_FAULTPROXY")
            .unwrap_or_else(|_| workspace().join("scripts/faultproxy.py").display().to_string());
        let mut child = std::process::Command::new("python3")
            .args([script.as_str(), upstream, faults, "0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("starting faultproxy.py");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("LISTENING ").expect("faultproxy prints its port").to_string();
        FaultProxy { addr: format!("127.0.0.1:{port}"), child }
    }

    /// JSON: faults not yet used and what was served.
    pub fn log(&self) -> serde_json::Value {
        let out = run("curl", &["-sS", &format!("http://{}/__faults__", self.addr)]);
        serde_json::from_str(&out).unwrap()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
