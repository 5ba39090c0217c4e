//! A real cosign v2 keyless signature from the public Sigstore production instance, re-attached to
//! the local registries of scripts/registries.sh (`source DIR/env.sh` first; a missing registry
//! FAILS these tests) and verified by `chainseal verify` against the embedded production trusted
//! root: a GitHub Actions Fulcio certificate, its embedded SCT, the production Rekor SET.
//!
//! The signature's files are in testdata/real-signatures/cosign-v2-keyless (see its README). The
//! signed image manifest is not public, so the `.sig` image is pushed alone and verified by
//! digest, as cosign does. Every refusal is its own case: an identity or issuer one character off,
//! a regex that matches only unanchored, another workflow claim, a tampered payload, a tampered
//! log entry, another image digest, and the staging trusted root.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use chainseal::oci::manifest::{Descriptor, ImageManifest, RawManifest};
use chainseal::oci::registry::{self, RegistryConfig};
use chainseal::oci::source::ContentSink;
use chainseal::oci::{Digest, Reference, media_type};

mod common;
use common::{env, unique};

const SUBJECT: &str = "sha256:adce22cdd04fa2b012209f2d048c883c66b7ab89eaadf4f596899fde52d3b0bd";
const PAYLOAD_DIGEST: &str = "sha256:af9b2992adfd134df1467f1f9ab4ab516798fa9cecf2e857ca06c139fb98b34f";
const CONFIG_DIGEST: &str = "sha256:a34c0b7df5831bf35493245a6389c9eee562e976e21e1587684fa92c6eb8c094";
const SAN: &str =
    "https://github.com/salrashid123/go-bazel-github-workflow/.github/workflows/release.yaml@refs/tags/v0.0.14";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn fixture(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real-signatures/cosign-v2-keyless");
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The `.sig` layer as cosign wrote it: payload and annotations.
struct SigLayer {
    payload: Vec<u8>,
    config: Vec<u8>,
    annotations: BTreeMap<String, String>,
}

impl SigLayer {
    fn real() -> Self {
        let (payload, config) = (fixture("payload.json"), fixture("config.json"));
        assert_eq!(Digest::sha256_of(&payload).to_string(), PAYLOAD_DIGEST, "payload.json is not the signed payload");
        assert_eq!(Digest::sha256_of(&config).to_string(), CONFIG_DIGEST, "config.json is not cosign's config");
        let annotations = serde_json::from_slice(&fixture("annotations.json")).expect("annotations.json");
        Self { payload, config, annotations }
    }

    /// The Rekor bundle annotation, parsed, changed by `edit`, and written back.
    fn with_rekor_bundle(mut self, edit: impl FnOnce(&mut serde_json::Value)) -> Self {
        let key = media_type::ANNOTATION_COSIGN_BUNDLE;
        let mut bundle: serde_json::Value = serde_json::from_str(&self.annotations[key]).unwrap();
        edit(&mut bundle);
        self.annotations.insert(key.into(), bundle.to_string());
        self
    }

    /// Push this `.sig` image for `subject` into a fresh repository on `host`; returns the
    /// repository name.
    fn attach(&self, host: &str, subject: &str) -> String {
        let name = format!("{host}/{}", unique("real-keyless"));
        let reference: Reference = name.parse().expect("reference");
        let repo = registry::open(&reference, &RegistryConfig::default()).expect("open registry");
        let mut layer = Descriptor::for_bytes(media_type::COSIGN_SIMPLESIGNING, &self.payload);
        layer.annotations = Some(self.annotations.clone());
        let config = Descriptor::for_bytes(media_type::OCI_CONFIG, &self.config);
        let manifest = ImageManifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.into()),
            artifact_type: None,
            config: config.clone(),
            layers: vec![layer],
            subject: None,
            annotations: None,
        };
        let raw = RawManifest::from_serializable(&manifest, media_type::OCI_MANIFEST).unwrap();
        let tag = subject.parse::<Digest>().unwrap().cosign_tag("sig");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let plain = Descriptor::for_bytes(media_type::COSIGN_SIMPLESIGNING, &self.payload);
            repo.put_blob_bytes(&plain, &self.payload).await.unwrap();
            repo.put_blob_bytes(&config, &self.config).await.unwrap();
            repo.put_manifest(&raw, Some(&tag)).await.unwrap();
        });
        name
    }
}

fn verify(image: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainseal")).args(["verify", image]).args(extra).output().expect("spawn chainseal")
}

fn expect(image: &str, extra: &[&str], want: i32) -> (String, String) {
    let o = verify(image, extra);
    let (out, err) = (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    assert_eq!(o.status.code(), Some(want), "chainseal verify {image} {extra:?}:\nstdout: {out}\nstderr: {err}");
    (out, err)
}

/// cosign (install-peers' v3) on the same re-attached image, offline, with the production trusted
/// root of the shared conformance suite: the peer must agree with chainseal's verdict.
fn cosign_agrees(image: &str, want_ok: bool) {
    let cosign = common::tool("cosign");
    let root = common::production_trusted_root();
    let home = tempfile::tempdir().unwrap();
    let o = Command::new(cosign)
        .env("HOME", home.path())
        .env("TUF_ROOT", home.path().join("no-tuf"))
        .args(["verify", "--allow-http-registry", "--trusted-root"])
        .arg(&root)
        .args(["--certificate-identity", SAN, "--certificate-oidc-issuer", ISSUER, image])
        .output()
        .expect("spawn cosign");
    assert_eq!(o.status.success(), want_ok, "cosign verify {image}: {}", String::from_utf8_lossy(&o.stderr));
}

fn identity<'a>(san: &'a str, issuer: &'a str) -> Vec<&'a str> {
    vec!["--certificate-identity", san, "--certificate-oidc-issuer", issuer]
}

#[test]
fn a_real_production_keyless_signature_verifies_after_re_attaching() {
    for host in [env("CHAINSEAL_TEST_REGISTRY_PLAIN"), env("CHAINSEAL_TEST_REGISTRY_REFERRERS")] {
        let repo = SigLayer::real().attach(&host, SUBJECT);
        let image = format!("{repo}@{SUBJECT}");

        let (out, err) = expect(&image, &identity(SAN, ISSUER), 0);
        assert!(out.contains(SUBJECT) && out.contains("cosign container image signature"), "{out}");
        assert!(err.contains("trusted root: embedded production"), "{err}");
        if host == env("CHAINSEAL_TEST_REGISTRY_PLAIN") {
            cosign_agrees(&image, true);
        }
        let claims = [
            "--certificate-identity-regexp",
            "^https://github\\.com/salrashid123/go-bazel-github-workflow/\\.github/workflows/release\\.yaml@refs/tags/v.*$",
            "--certificate-oidc-issuer",
            ISSUER,
            "--certificate-github-workflow-repository",
            "salrashid123/go-bazel-github-workflow",
            "--certificate-github-workflow-trigger",
            "push",
            "--certificate-github-workflow-sha",
            "291dab9af96caa83aef0968dc1f757039d3c166b",
        ];
        expect(&image, &claims, 0);

        // Identity policy: one character off, an unanchored-only regex, another claim, another issuer.
        let off_by_one = SAN.replace("v0.0.14", "v0.0.15");
        expect(&image, &identity(&off_by_one, ISSUER), 1);
        expect(&image, &["--certificate-identity-regexp", "release\\.yaml", "--certificate-oidc-issuer", ISSUER], 1);
        expect(&image, &identity(SAN, "https://token.actions.githubusercontent.co"), 1);
        let mut wrong_claim = identity(SAN, ISSUER);
        wrong_claim.extend(["--certificate-github-workflow-trigger", "workflow_dispatch"]);
        expect(&image, &wrong_claim, 1);
        // The staging root trusts neither this Fulcio nor this Rekor.
        let mut staging = identity(SAN, ISSUER);
        staging.push("--staging");
        expect(&image, &staging, 1);
        // Another digest in the same repository has no signature.
        let other = format!("{repo}@sha256:{}", "0".repeat(64));
        let (_, err) = expect(&other, &identity(SAN, ISSUER), 1);
        assert!(err.contains("no signature"), "{err}");
    }
}

#[test]
fn tampered_copies_of_the_real_signature_are_refused() {
    let host = env("CHAINSEAL_TEST_REGISTRY_PLAIN");
    let good = identity(SAN, ISSUER);

    // The payload names another image (signature no longer matches).
    let mut moved = SigLayer::real();
    moved.payload = String::from_utf8(moved.payload).unwrap().replace(&SUBJECT[7..], &"1".repeat(64)).into_bytes();
    let repo = moved.attach(&host, &format!("sha256:{}", "1".repeat(64)));
    expect(&format!("{repo}@sha256:{}", "1".repeat(64)), &good, 1);

    // The untouched signature re-attached to another digest (replay): the payload names SUBJECT.
    let repo = SigLayer::real().attach(&host, &format!("sha256:{}", "2".repeat(64)));
    expect(&format!("{repo}@sha256:{}", "2".repeat(64)), &good, 1);

    // The log entry's integrated time moved (SET no longer verifies).
    let shifted = SigLayer::real().with_rekor_bundle(|b| b["Payload"]["integratedTime"] = 1770388877.into());
    let repo = shifted.attach(&host, SUBJECT);
    expect(&format!("{repo}@{SUBJECT}"), &good, 1);
    cosign_agrees(&format!("{repo}@{SUBJECT}"), false);

    // The SET itself altered.
    let forged = SigLayer::real().with_rekor_bundle(|b| {
        let set = b["SignedEntryTimestamp"].as_str().unwrap().replace("MEUCIDb5", "MEUCIDb6");
        b["SignedEntryTimestamp"] = set.into();
    });
    let repo = forged.attach(&host, SUBJECT);
    expect(&format!("{repo}@{SUBJECT}"), &good, 1);

    // No log entry at all: a keyless signature needs one.
    let mut no_log = SigLayer::real();
    no_log.annotations.remove(media_type::ANNOTATION_COSIGN_BUNDLE);
    let repo = no_log.attach(&host, SUBJECT);
    expect(&format!("{repo}@{SUBJECT}"), &good, 1);
}
