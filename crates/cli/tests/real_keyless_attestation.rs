//! A real cosign v3 keyless attestation from the public Sigstore production instance, attached as
//! a bundle referrer to the local registries of scripts/registries.sh (`source DIR/env.sh` first;
//! a missing registry FAILS these tests) and verified by `chainseal verify-attestation` against the
//! embedded production trusted root: a Fulcio certificate with its SCT, a Rekor v1 `dsse` entry
//! with SET, inclusion proof and checkpoint, and a Statement naming the image's digest.
//!
//! The files are in testdata/real-signatures/cosign-v3-attestation (see its README): the bundle,
//! and the image it names (go-containerregistry's `empty.Image`, whose manifest is reproducible).
//! cosign v3 verifies the same re-attached images (offline, production trusted root) and refuses
//! the replayed one. Refusals: another identity or issuer, an unanchored-only regex, the staging
//! root, another predicate type, the same bundle attached to another image (replay), a tampered
//! envelope signature and a moved log time.

use std::path::PathBuf;
use std::process::Command;

use chainseal::oci::manifest::{Descriptor, Manifest, RawManifest};
use chainseal::oci::registry::{self, ReferrersSupport, RegistryConfig, Repository};
use chainseal::oci::source::ContentSink;
use chainseal::oci::{Digest, Reference, media_type};

mod common;
use common::{env, unique};

const IMAGE_DIGEST: &str = "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";
const SAN: &str = "cody@soyland.com";
const ISSUER: &str = "https://github.com/login/oauth";
const PREDICATE_TYPE: &str = "https://cosign.sigstore.dev/attestation/v1";

fn fixture(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real-signatures/cosign-v3-attestation");
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Push `manifest` (with `config`) to a fresh repository on `host`, tagged `v1`; returns the
/// repository handle, its name and the manifest's descriptor.
fn push_image(host: &str, manifest: &[u8], config: &[u8]) -> (Repository, String, Descriptor) {
    let name = format!("{host}/{}", unique("real-v3-attestation"));
    let reference: Reference = name.parse().expect("reference");
    let repo = registry::open(&reference, &RegistryConfig::default()).expect("open registry");
    let raw = RawManifest::from_bytes(manifest.to_vec(), Some(media_type::DOCKER_MANIFEST)).expect("manifest");
    let config_desc = Descriptor::for_bytes(media_type::DOCKER_CONFIG, config);
    runtime().block_on(async {
        repo.put_blob_bytes(&config_desc, config).await.unwrap();
        repo.put_manifest(&raw, Some("v1")).await.unwrap();
    });
    let subject = raw.descriptor();
    (repo, name, subject)
}

/// Attach `bundle` to `subject` as cosign v3 does: bundle layer, empty config, a referrer manifest
/// with the bundle annotations; on a registry without the referrers API, also the fallback index.
fn attach(repo: &Repository, subject: &Descriptor, bundle: &[u8]) {
    let (manifest, layer, config) =
        common::bundle_referrer(subject, bundle, PREDICATE_TYPE, Some("2025-02-28T19:18:11Z"));
    let raw = RawManifest::from_serializable(&manifest, media_type::OCI_MANIFEST).unwrap();
    runtime().block_on(async {
        repo.put_blob_bytes(&layer, bundle).await.unwrap();
        repo.put_blob_bytes(&config, media_type::OCI_EMPTY_DATA).await.unwrap();
        repo.put_manifest(&raw, None).await.unwrap();
        if repo.referrers_support(&subject.digest).await.unwrap() == ReferrersSupport::TagFallback {
            let parsed: Manifest = raw.parse().unwrap();
            repo.add_to_fallback_index(&subject.digest, &raw, &parsed).await.unwrap();
        }
    });
}

/// `chainseal verify-attestation IMAGE` with `extra` flags; asserts the exit code, returns
/// (stdout, stderr).
fn expect(image: &str, extra: &[&str], want: i32) -> (String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_chainseal"))
        .args(["verify-attestation", image])
        .args(extra)
        .output()
        .expect("spawn chainseal");
    let (out, err) = (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    assert_eq!(o.status.code(), Some(want), "verify-attestation {image} {extra:?}:\nstdout: {out}\nstderr: {err}");
    (out, err)
}

/// cosign (install-peers' v3) on the same image, offline, with the production trusted root of the
/// shared conformance suite: the peer that wrote the bundle must agree with chainseal's verdict.
fn cosign_agrees(image: &str, want_ok: bool) {
    let root = common::production_trusted_root();
    let home = tempfile::tempdir().unwrap();
    let o = Command::new(common::tool("cosign"))
        .env("HOME", home.path())
        .env("TUF_ROOT", home.path().join("no-tuf"))
        .args(["verify-attestation", "--allow-http-registry", "--type", PREDICATE_TYPE, "--trusted-root"])
        .arg(&root)
        .args(["--certificate-identity", SAN, "--certificate-oidc-issuer", ISSUER, image])
        .output()
        .expect("spawn cosign");
    assert_eq!(
        o.status.success(),
        want_ok,
        "cosign verify-attestation {image}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn identity<'a>(san: &'a str, issuer: &'a str) -> Vec<&'a str> {
    vec!["--certificate-identity", san, "--certificate-oidc-issuer", issuer]
}

#[test]
fn a_real_production_v3_attestation_verifies_as_a_referrer() {
    let (manifest, config, bundle) =
        (fixture("manifest.json"), fixture("config.json"), fixture("bundle.sigstore.json"));
    assert_eq!(Digest::sha256_of(&manifest).to_string(), IMAGE_DIGEST, "manifest.json is not the attested image");
    for host in [env("CHAINSEAL_TEST_REGISTRY_PLAIN"), env("CHAINSEAL_TEST_REGISTRY_REFERRERS")] {
        let (repo, name, subject) = push_image(&host, &manifest, &config);
        assert_eq!(subject.digest.to_string(), IMAGE_DIGEST);
        attach(&repo, &subject, &bundle);

        for image in [format!("{name}:v1"), format!("{name}@{IMAGE_DIGEST}")] {
            let (out, err) = expect(&image, &identity(SAN, ISSUER), 0);
            assert!(out.contains(PREDICATE_TYPE) && out.contains(&IMAGE_DIGEST[7..]), "{out}");
            assert!(err.contains("trusted root: embedded production"), "{err}");
        }
        let image = format!("{name}:v1");
        cosign_agrees(&format!("{name}@{IMAGE_DIGEST}"), true);
        let mut typed = identity(SAN, ISSUER);
        typed.extend(["--type", PREDICATE_TYPE]);
        expect(&image, &typed, 0);
        expect(
            &image,
            &["--certificate-identity-regexp", "^cody@soyland\\.com$", "--certificate-oidc-issuer", ISSUER],
            0,
        );

        // Identity one character off, another issuer, an unanchored-only regex, the staging root.
        expect(&image, &identity("cody@soyland.co", ISSUER), 1);
        expect(&image, &identity(SAN, "https://github.com/login/oauth2"), 1);
        expect(&image, &["--certificate-identity-regexp", "soyland", "--certificate-oidc-issuer", ISSUER], 1);
        let mut staging = identity(SAN, ISSUER);
        staging.push("--staging");
        expect(&image, &staging, 1);
        // Another predicate type asked for: nothing of that type.
        let mut other_type = identity(SAN, ISSUER);
        other_type.extend(["--type", "https://slsa.dev/provenance/v1"]);
        expect(&image, &other_type, 1);
    }
}

#[test]
fn the_real_attestation_is_refused_on_another_image_or_tampered() {
    let host = env("CHAINSEAL_TEST_REGISTRY_REFERRERS");
    let bundle = fixture("bundle.sigstore.json");

    // Replay: the same bundle attached to another image; its Statement names the empty image.
    let other_config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let other_manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","size":{},"digest":"{}"}},"layers":[]}}"#,
        media_type::DOCKER_MANIFEST,
        media_type::DOCKER_CONFIG,
        other_config.len(),
        Digest::sha256_of(other_config)
    );
    let (repo, name, subject) = push_image(&host, other_manifest.as_bytes(), other_config);
    attach(&repo, &subject, &bundle);
    let (_, err) = expect(&format!("{name}:v1"), &identity(SAN, ISSUER), 1);
    assert!(err.contains("the Statement is about another image"), "{err}");
    cosign_agrees(&format!("{name}@{}", subject.digest), false);

    // The envelope's signature altered: the DSSE signature no longer verifies.
    let (manifest, config) = (fixture("manifest.json"), fixture("config.json"));
    let mut doc: serde_json::Value = serde_json::from_slice(&bundle).unwrap();
    let sig = doc["dsseEnvelope"]["signatures"][0]["sig"].as_str().unwrap().replacen("MEQCIDom", "MEQCIDon", 1);
    doc["dsseEnvelope"]["signatures"][0]["sig"] = sig.into();
    let (repo, name, subject) = push_image(&host, &manifest, &config);
    attach(&repo, &subject, doc.to_string().as_bytes());
    let (_, err) = expect(&format!("{name}:v1"), &identity(SAN, ISSUER), 1);
    assert!(err.contains("verification failed at signature"), "{err}");

    // The log entry's integrated time moved: the SET no longer verifies.
    let mut doc: serde_json::Value = serde_json::from_slice(&bundle).unwrap();
    doc["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = "1740770292".into();
    let (repo, name, subject) = push_image(&host, &manifest, &config);
    attach(&repo, &subject, doc.to_string().as_bytes());
    let (_, err) = expect(&format!("{name}:v1"), &identity(SAN, ISSUER), 1);
    assert!(err.contains("verification failed at tlog SET"), "{err}");
}
