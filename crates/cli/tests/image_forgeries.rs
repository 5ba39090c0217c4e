//! Forged image signatures that `chainseal verify --key` must refuse (exit 1, with a reason on
//! stderr and nothing on stdout), built by editing what chainseal signed directly in the local
//! registries of scripts/registries.sh (`source DIR/env.sh` first): an altered signature
//! annotation and an unsigned annotation on a legacy `.sig` layer, a swapped `.sig` layer, a
//! truncated bundle layer and malformed bundle JSON in a referrer. Wrong key, replay and a payload
//! for another digest are in image_sign_interop.rs. Under `CI=true` or
//! `CHAINSEAL_REQUIRE_REGISTRIES=1` a missing registry fails these tests.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use sha2::{Digest as _, Sha256};

mod common;
use common::registry;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

fn chainseal(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chainseal"));
    c.current_dir(dir)
        .env("CHAINSEAL_PASSWORD", "pw")
        .env_remove("COSIGN_PASSWORD")
        .env("DOCKER_CONFIG", dir.join("no-docker-config"));
    c
}

fn ok(cmd: &mut Command) -> Output {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// `chainseal verify` must exit 1 with a reason on stderr and print no payload.
fn refused(dir: &Path, extra: &[&str], image: &str, why: &str) -> String {
    let o = chainseal(dir).args(["verify", "--key", "cs.pub"]).args(extra).arg(image).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "forgery not refused with exit 1 for {image}:\n{err}");
    assert!(o.stdout.is_empty(), "payload printed for a forgery: {}", String::from_utf8_lossy(&o.stdout));
    assert!(!err.trim().is_empty(), "refusal without a reason");
    assert!(err.contains(why), "refused, but not for the expected reason ({why:?}):\n{err}");
    err
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn curl(args: &[&str]) -> Vec<u8> {
    let o = ok(Command::new("curl").arg("-sSf").args(args));
    o.stdout
}

fn get(host: &str, name: &str, what: &str, reference: &str, accept: &str) -> Vec<u8> {
    curl(&["-H", &format!("Accept: {accept}"), &format!("http://{host}/v2/{name}/{what}/{reference}")])
}

fn get_json(host: &str, name: &str, what: &str, reference: &str, accept: &str) -> serde_json::Value {
    serde_json::from_slice(&get(host, name, what, reference, accept)).unwrap()
}

/// Monolithic blob upload (POST, then PUT with the digest); returns the digest.
fn put_blob(dir: &Path, host: &str, name: &str, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let head = String::from_utf8(curl(&[
        "-X",
        "POST",
        "-D",
        "-",
        "-o",
        "/dev/null",
        &format!("http://{host}/v2/{name}/blobs/uploads/"),
    ]))
    .unwrap();
    let location = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("location")).map(|(_, v)| v.trim()))
        .unwrap_or_else(|| panic!("no Location in {head}"))
        .to_string();
    let location = if location.starts_with('/') { format!("http://{host}{location}") } else { location };
    let sep = if location.contains('?') { '&' } else { '?' };
    let file = dir.join(format!("blob-{}", &digest[7..19]));
    std::fs::write(&file, bytes).unwrap();
    curl(&[
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/octet-stream",
        "--data-binary",
        &format!("@{}", file.display()),
        &format!("{location}{sep}digest={digest}"),
    ]);
    digest
}

/// PUT a manifest (JSON) at `reference` (a tag, or its own digest when `None`); returns (digest, size).
fn put_manifest(
    dir: &Path,
    host: &str,
    name: &str,
    reference: Option<&str>,
    media_type: &str,
    manifest: &serde_json::Value,
) -> (String, usize) {
    let bytes = serde_json::to_vec(manifest).unwrap();
    let digest = sha256(&bytes);
    let file = dir.join(format!("manifest-{}", &digest[7..19]));
    std::fs::write(&file, &bytes).unwrap();
    curl(&[
        "-X",
        "PUT",
        "-H",
        &format!("Content-Type: {media_type}"),
        "--data-binary",
        &format!("@{}", file.display()),
        &format!("http://{host}/v2/{name}/manifests/{}", reference.unwrap_or(&digest)),
    ]);
    (digest, bytes.len())
}

fn unique(prefix: &str) -> String {
    common::unique(&format!("forgeries/{prefix}-"))
}

fn testdata(name: &str) -> String {
    format!("oci-dir:{}:latest", common::image(name).display())
}

/// A key pair in a fresh directory, plus two different images pushed to `host/name`; returns
/// (dir, name, digest of example, digest of zstd).
fn setup(host: &str, prefix: &str) -> (tempfile::TempDir, String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    ok(chainseal(dir.path()).args(["generate-key-pair", "--output-key-prefix", "cs"]));
    let name = unique(prefix);
    let push = |image: &str, tag: &str| {
        let o = ok(chainseal(dir.path()).args(["copy", "-q", &testdata(image), &format!("{host}/{name}:{tag}")]));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["digest"].as_str().unwrap().to_string()
    };
    let a = push("example", "a");
    let b = push("zstd", "b");
    (dir, name, a, b)
}

fn sig_tag(digest: &str) -> String {
    format!("{}.sig", digest.replace(':', "-"))
}

/// Sign legacy, then return the `.sig` manifest of `digest`.
fn sign_legacy(dir: &Path, host: &str, name: &str, digest: &str, extra: &[&str]) -> serde_json::Value {
    ok(chainseal(dir)
        .args(["sign", "-q", "--format", "legacy", "--key", "cs.key"])
        .args(extra)
        .arg(format!("{host}/{name}@{digest}")));
    get_json(host, name, "manifests", &sig_tag(digest), OCI_MANIFEST)
}

const SIG_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

#[test]
fn legacy_signature_annotation_from_another_payload_is_refused() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let (dir, name, a, b) = setup(&host, "annotation");
    let d = dir.path();
    let mut sig_a = sign_legacy(d, &host, &name, &a, &[]);
    let sig_b = sign_legacy(d, &host, &name, &b, &[]);
    // A valid signature by the same key, but over B's payload, on A's layer.
    sig_a["layers"][0]["annotations"][SIG_ANNOTATION] = sig_b["layers"][0]["annotations"][SIG_ANNOTATION].clone();
    put_manifest(d, &host, &name, Some(&sig_tag(&a)), OCI_MANIFEST, &sig_a);
    refused(d, &[], &format!("{host}/{name}@{a}"), "does not verify with the configured key");
    // And a flipped character in the base64 signature.
    let s = sig_b["layers"][0]["annotations"][SIG_ANNOTATION].as_str().unwrap().to_string();
    let flipped = format!("{}{}", if s.starts_with('M') { 'N' } else { 'M' }, &s[1..]);
    let mut sig_b2 = sig_b.clone();
    sig_b2["layers"][0]["annotations"][SIG_ANNOTATION] = serde_json::Value::String(flipped);
    put_manifest(d, &host, &name, Some(&sig_tag(&b)), OCI_MANIFEST, &sig_b2);
    refused(d, &[], &format!("{host}/{name}@{b}"), "does not verify with the configured key");
}

#[test]
fn unsigned_layer_annotation_does_not_satisfy_a_required_annotation() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let (dir, name, a, _) = setup(&host, "unsigned-annotation");
    let d = dir.path();
    let mut sig = sign_legacy(d, &host, &name, &a, &["-a", "env=dev"]);
    // `env=prod` added to the layer's annotations only: the signed payload still says dev.
    sig["layers"][0]["annotations"]["env"] = serde_json::Value::String("prod".into());
    put_manifest(d, &host, &name, Some(&sig_tag(&a)), OCI_MANIFEST, &sig);
    let image = format!("{host}/{name}@{a}");
    refused(d, &["-a", "env=prod"], &image, r#"annotation env is "dev", required "prod""#);
    // Control: the edited manifest is otherwise a valid signature.
    ok(chainseal(d).args(["verify", "--key", "cs.pub", "-a", "env=dev", &image]));
}

#[test]
fn swapped_legacy_layer_is_refused() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let (dir, name, a, b) = setup(&host, "swapped");
    let d = dir.path();
    let mut sig_a = sign_legacy(d, &host, &name, &a, &[]);
    let sig_b = sign_legacy(d, &host, &name, &b, &[]);
    // A's signature annotation, but the payload blob of B's signature (same repository).
    sig_a["layers"][0]["digest"] = sig_b["layers"][0]["digest"].clone();
    sig_a["layers"][0]["size"] = sig_b["layers"][0]["size"].clone();
    put_manifest(d, &host, &name, Some(&sig_tag(&a)), OCI_MANIFEST, &sig_a);
    refused(d, &[], &format!("{host}/{name}@{a}"), "does not verify with the configured key");
}

/// Sign `digest` as a bundle on the plain registry (fallback index), then replace the bundle
/// blob of its referrer with `forge(bundle)` and make the fallback index list only the forgery.
fn forge_fallback_bundle(dir: &Path, host: &str, name: &str, digest: &str, forge: impl Fn(&[u8]) -> Vec<u8>) {
    ok(chainseal(dir).args(["sign", "-q", "--key", "cs.key", &format!("{host}/{name}@{digest}")]));
    let tag = digest.replace(':', "-");
    let mut index = get_json(host, name, "manifests", &tag, OCI_INDEX);
    let entries = index["manifests"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1, "{index:#}");
    let referrer = entries[0]["digest"].as_str().unwrap();
    let mut manifest = get_json(host, name, "manifests", referrer, OCI_MANIFEST);
    let layer = manifest["layers"][0]["digest"].as_str().unwrap().to_string();
    assert_eq!(manifest["layers"][0]["mediaType"], BUNDLE, "{manifest:#}");
    let bundle = get(host, name, "blobs", &layer, "*/*");
    let forged = forge(&bundle);
    let forged_digest = put_blob(dir, host, name, &forged);
    manifest["layers"][0]["digest"] = forged_digest.into();
    manifest["layers"][0]["size"] = forged.len().into();
    let (m_digest, m_size) = put_manifest(dir, host, name, None, OCI_MANIFEST, &manifest);
    index["manifests"][0]["digest"] = m_digest.into();
    index["manifests"][0]["size"] = m_size.into();
    put_manifest(dir, host, name, Some(&tag), OCI_INDEX, &index);
}

#[test]
fn truncated_bundle_layer_is_refused() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let (dir, name, a, b) = setup(&host, "truncated");
    let d = dir.path();
    forge_fallback_bundle(d, &host, &name, &a, |bundle| bundle[..bundle.len() / 2].to_vec());
    refused(d, &[], &format!("{host}/{name}@{a}"), "cannot parse bundle JSON");
    // Cut just before the closing brace too.
    forge_fallback_bundle(d, &host, &name, &b, |bundle| {
        let end = bundle.iter().rposition(|&c| c == b'}').unwrap();
        bundle[..end].to_vec()
    });
    refused(d, &[], &format!("{host}/{name}@{b}"), "cannot parse bundle JSON");
}

#[test]
fn malformed_bundle_json_in_a_fallback_referrer_is_refused() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let (dir, name, a, b) = setup(&host, "malformed");
    let d = dir.path();
    // Valid JSON of the wrong shape.
    forge_fallback_bundle(d, &host, &name, &a, |_| {
        format!(r#"{{"mediaType":"{BUNDLE}","verificationMaterial":42,"dsseEnvelope":"x"}}"#).into_bytes()
    });
    refused(d, &[], &format!("{host}/{name}@{a}"), "cannot parse bundle JSON");
    // The genuine bundle with its DSSE signature replaced by non-base64 text.
    forge_fallback_bundle(d, &host, &name, &b, |bundle| {
        let mut v: serde_json::Value = serde_json::from_slice(bundle).unwrap();
        v["dsseEnvelope"]["signatures"][0]["sig"] = "not base64 !!".into();
        serde_json::to_vec(&v).unwrap()
    });
    refused(d, &[], &format!("{host}/{name}@{b}"), "cannot parse bundle JSON");
}

#[test]
fn malformed_bundle_json_in_a_native_referrer_is_refused() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_REFERRERS") else { return };
    let (dir, name, a, _) = setup(&host, "malformed-native");
    let d = dir.path();
    // An unsigned image gets one referrer whose bundle layer is not a bundle.
    let accept = format!("{OCI_MANIFEST}, {OCI_INDEX}, application/vnd.docker.distribution.manifest.v2+json");
    let subject = get(&host, &name, "manifests", &a, &accept);
    let subject_type = serde_json::from_slice::<serde_json::Value>(&subject).unwrap()["mediaType"].clone();
    let empty = put_blob(d, &host, &name, b"{}");
    let junk = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":7}"#;
    let layer = put_blob(d, &host, &name, junk);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": BUNDLE, "digest": layer, "size": junk.len()}],
        "subject": {"mediaType": subject_type, "digest": a, "size": subject.len()},
        "annotations": {
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1"
        }
    });
    put_manifest(d, &host, &name, None, OCI_MANIFEST, &manifest);
    let listed = get_json(&host, &name, "referrers", &a, OCI_INDEX);
    assert_eq!(listed["manifests"].as_array().map(Vec::len), Some(1), "{listed:#}");
    refused(d, &[], &format!("{host}/{name}@{a}"), "cannot parse bundle JSON");
}
