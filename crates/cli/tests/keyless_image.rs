//! Keyless image verification (`chainseal verify --certificate-identity … IMAGE`) on the local
//! registries of scripts/registries.sh (`source DIR/env.sh` first; a missing registry FAILS
//! these tests), against a private Sigstore world from `chainseal_sign::testkit`: a test CA
//! (root + intermediate), a test CT log (embedded SCT), a test Rekor-like log (Merkle proof,
//! checkpoint, SET) and a custom trusted root.
//!
//! Signatures are attached in both cosign layouts: a v3 bundle referrer (DSSE over the cosign
//! sign Statement, `dsse` log entry with proof) and a v2 `.sig` layer (simple signing with
//! certificate, chain and Rekor bundle annotations, i.e. a SET only). Each refusal is its own
//! case: wrong identity, wrong issuer, unanchored regex, tampered payload, payload naming another
//! digest, a log / CA / CT log the trusted root does not know, and a key where an identity is
//! needed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use chainseal::oci::manifest::{Descriptor, ImageManifest, RawManifest};
use chainseal::oci::registry::{self, RegistryConfig};
use chainseal::oci::source::ContentSink;
use chainseal::oci::{Reference, media_type};
use chainseal_sign::intoto::Statement;
use chainseal_sign::simple_signing::SimpleSigning;
use chainseal_sign::testkit::{self, TestCa, TestCt, TestLeaf, TestLog};

mod common;
use common::{env, unique};

const SAN: &str = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
/// Deprecated GitHub workflow repository extension (raw bytes, not DER).
const OID_WORKFLOW_REPOSITORY: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 5];
const LOG_HOST: &str = "rekor.test";
fn both_registries() -> Vec<String> {
    vec![env("CHAINSEAL_TEST_REGISTRY_PLAIN"), env("CHAINSEAL_TEST_REGISTRY_REFERRERS")]
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainseal")).args(args).output().expect("spawn chainseal")
}

fn expect_code(args: &[&str], want: i32) -> String {
    let o = run(args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(want),
        "chainseal {args:?}:\nstdout: {}\nstderr: {err}",
        String::from_utf8_lossy(&o.stdout)
    );
    err
}

/// The private Sigstore world, and trusted roots that trust it or an impostor.
struct World {
    log: TestLog,
    ct: TestCt,
    root: TestCa,
    inter: TestCa,
    leaf: TestLeaf,
}

impl World {
    fn new() -> Self {
        let (log, ct) = (TestLog::new(LOG_HOST), TestCt::new());
        let root = TestCa::root("chainseal test root");
        let inter = root.intermediate("chainseal test intermediate");
        let leaf = inter.issue_leaf(SAN, ISSUER, &[(OID_WORKFLOW_REPOSITORY, b"acme/app".to_vec())], &ct);
        Self { log, ct, root, inter, leaf }
    }

    fn chain(&self) -> serde_json::Value {
        TestCa::trusted_root_entry(&[&self.inter, &self.root])
    }

    /// Write the trusted root that trusts this world to `dir/name`.
    fn write_root(&self, dir: &Path, name: &str) -> String {
        write_json(dir, name, &testkit::trusted_root(&[&self.log], &[self.chain()], &[&self.ct]))
    }
}

fn write_json(dir: &Path, name: &str, v: &serde_json::Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.to_str().unwrap().to_owned()
}

/// Talks to one repository of a local registry.
struct Repo {
    name: String,
    repo: registry::Repository,
    rt: tokio::runtime::Runtime,
}

impl Repo {
    fn new(host: &str) -> Self {
        let name = format!("{host}/{}", unique("keyless"));
        let reference: Reference = name.parse().expect("reference");
        let repo = registry::open(&reference, &RegistryConfig::default()).expect("open registry");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Self { name, repo, rt }
    }

    fn put(&self, manifest: &ImageManifest, blobs: &[(&Descriptor, &[u8])], tag: Option<&str>) -> Descriptor {
        let raw = RawManifest::from_serializable(manifest, media_type::OCI_MANIFEST).unwrap();
        self.rt.block_on(async {
            for (d, bytes) in blobs {
                self.repo.put_blob_bytes(d, bytes).await.unwrap();
            }
            self.repo.put_manifest(&raw, tag).await.unwrap();
        });
        raw.descriptor()
    }

    /// A fresh, distinct image (its config is unique); returns its manifest descriptor.
    fn image(&self) -> Descriptor {
        let config = serde_json::json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}, "chainseal-test": unique("")}).to_string();
        let config_desc = Descriptor::for_bytes(media_type::OCI_CONFIG, config.as_bytes());
        let m = ImageManifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.into()),
            artifact_type: None,
            config: config_desc.clone(),
            layers: vec![],
            subject: None,
            annotations: None,
        };
        self.put(&m, &[(&config_desc, config.as_bytes())], Some(&unique("t")))
    }

    fn reference(&self, image: &Descriptor) -> String {
        format!("{}@{}", self.name, image.digest)
    }

    /// Attach `bundle` as a cosign v3 referrer of `subject`.
    fn attach_bundle(&self, subject: &Descriptor, bundle: &serde_json::Value) {
        let bytes = bundle.to_string().into_bytes();
        let (m, layer, config) = common::bundle_referrer(subject, &bytes, "https://sigstore.dev/cosign/sign/v1", None);
        self.put(&m, &[(&layer, &bytes), (&config, media_type::OCI_EMPTY_DATA)], None);
    }

    /// Store a cosign v2 `.sig` image for `subject` with one layer: `blob` and `annotations`.
    fn attach_legacy(&self, subject: &Descriptor, blob: &[u8], annotations: BTreeMap<String, String>) {
        let mut layer = Descriptor::for_bytes(media_type::COSIGN_SIMPLESIGNING, blob);
        layer.annotations = Some(annotations);
        let config = format!(
            r#"{{"architecture":"","os":"","rootfs":{{"type":"layers","diff_ids":["{}"]}},"config":{{}}}}"#,
            layer.digest
        );
        let config_desc = Descriptor::for_bytes(media_type::OCI_CONFIG, config.as_bytes());
        let m = ImageManifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.into()),
            artifact_type: None,
            config: config_desc.clone(),
            layers: vec![layer],
            subject: None,
            annotations: None,
        };
        let tag = subject.digest.cosign_tag("sig");
        self.put(
            &m,
            &[
                (&Descriptor::for_bytes(media_type::COSIGN_SIMPLESIGNING, blob), blob),
                (&config_desc, config.as_bytes()),
            ],
            Some(&tag),
        );
    }
}

fn statement_for(image: &Descriptor) -> Vec<u8> {
    Statement::cosign_image_signature(image.digest.hex(), &BTreeMap::new()).to_json()
}

fn simple_signing_for(repo: &Repo, image: &Descriptor) -> Vec<u8> {
    SimpleSigning::new(&repo.name, image.digest.to_string(), &BTreeMap::new()).to_bytes()
}

fn keyless<'a>(root: &'a str, image: &'a str) -> Vec<&'a str> {
    vec!["verify", "--certificate-identity", SAN, "--certificate-oidc-issuer", ISSUER, "--trusted-root", root, image]
}

#[test]
fn keyless_signatures_in_both_layouts_verify_and_forgeries_are_refused() {
    for host in both_registries() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let w = World::new();
        let root = w.write_root(d, "trusted_root.json");
        let repo = Repo::new(&host);

        // v3 bundle referrer.
        let v3 = repo.image();
        repo.attach_bundle(&v3, &testkit::keyless_dsse_bundle(&w.leaf, &statement_for(&v3), &w.log));
        // v2 `.sig` layer with certificate, chain and Rekor bundle annotations.
        let v2 = repo.image();
        let payload = simple_signing_for(&repo, &v2);
        let chain: [&[u8]; 2] = [w.inter.der(), w.root.der()];
        repo.attach_legacy(&v2, &payload, testkit::keyless_legacy_annotations(&w.leaf, &chain, &payload, &w.log));

        for image in [&v3, &v2] {
            let r = repo.reference(image);
            let o = run(&keyless(&root, &r));
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(0), "{r}: {err}");
            let payloads: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(payloads.len(), 1, "{payloads:?}");
            assert!(err.contains("certificate chain to a trusted CA"), "{err}");
            assert!(err.contains("SCT verified"), "{err}");
            assert!(err.contains("transparency log: 1 entry verified"), "{err}");
            // Regular expressions (anchored) and a Fulcio extension claim.
            expect_code(
                &[
                    "verify",
                    "--certificate-identity-regexp",
                    r"https://github\.com/acme/app/.*",
                    "--certificate-oidc-issuer-regexp",
                    r"https://token\.actions\.githubusercontent\.com",
                    "--certificate-github-workflow-repository",
                    "acme/app",
                    "--trusted-root",
                    &root,
                    &r,
                ],
                0,
            );

            // Wrong identity (one character off), wrong issuer, a regex that only matches unanchored.
            let one_off = SAN.replace("main", "maim");
            let err = expect_code(
                &[
                    "verify",
                    "--certificate-identity",
                    &one_off,
                    "--certificate-oidc-issuer",
                    ISSUER,
                    "--trusted-root",
                    &root,
                    &r,
                ],
                1,
            );
            assert!(err.contains("at identity"), "{err}");
            let err = expect_code(
                &[
                    "verify",
                    "--certificate-identity",
                    SAN,
                    "--certificate-oidc-issuer",
                    "https://accounts.google.com",
                    "--trusted-root",
                    &root,
                    &r,
                ],
                1,
            );
            assert!(err.contains("at identity"), "{err}");
            expect_code(
                &[
                    "verify",
                    "--certificate-identity-regexp",
                    "https://github.com/acme/",
                    "--certificate-oidc-issuer",
                    ISSUER,
                    "--trusted-root",
                    &root,
                    &r,
                ],
                1,
            );
            expect_code(
                &[
                    "verify",
                    "--certificate-identity",
                    SAN,
                    "--certificate-oidc-issuer",
                    ISSUER,
                    "--certificate-github-workflow-repository",
                    "acme/other",
                    "--trusted-root",
                    &root,
                    &r,
                ],
                1,
            );

            // A trusted root with another log under the same name: the SET/checkpoint are by an untrusted log.
            let other_log = TestLog::new(LOG_HOST);
            let r2 = write_json(d, "other_log.json", &testkit::trusted_root(&[&other_log], &[w.chain()], &[&w.ct]));
            let err = expect_code(&keyless(&r2, &r), 1);
            assert!(err.contains("tlog"), "{err}");
            // Another CA: the certificate comes from a CA the root does not trust.
            let other_ca = TestCa::root("chainseal test root");
            let r3 = write_json(
                d,
                "other_ca.json",
                &testkit::trusted_root(&[&w.log], &[TestCa::trusted_root_entry(&[&other_ca])], &[&w.ct]),
            );
            let err = expect_code(&keyless(&r3, &r), 1);
            assert!(err.contains("at certificate chain"), "{err}");
            // Another CT log: the SCT does not verify.
            let r4 = write_json(d, "other_ct.json", &testkit::trusted_root(&[&w.log], &[w.chain()], &[&TestCt::new()]));
            let err = expect_code(&keyless(&r4, &r), 1);
            assert!(err.contains("at SCT"), "{err}");
            // The embedded production root knows none of it.
            expect_code(&["verify", "--certificate-identity", SAN, "--certificate-oidc-issuer", ISSUER, &r], 1);
            // A key where an identity is needed.
            let key = d.join("some.pub");
            std::fs::write(&key, w.log_key_pem()).unwrap();
            let err = expect_code(&["verify", "--key", key.to_str().unwrap(), "--trusted-root", &root, &r], 1);
            assert!(err.contains("key"), "{err}");
        }

        // Tampered payloads: the signature and log entry are for other bytes.
        let t3 = repo.image();
        let mut stmt = statement_for(&t3);
        let mut bundle = testkit::keyless_dsse_bundle(&w.leaf, &stmt, &w.log);
        stmt.extend_from_slice(b" ");
        bundle["dsseEnvelope"]["payload"] = b64(&stmt).into();
        repo.attach_bundle(&t3, &bundle);
        let err = expect_code(&keyless(&root, &repo.reference(&t3)), 1);
        assert!(err.contains("at signature") || err.contains("at tlog entry"), "{err}");
        let t2 = repo.image();
        let payload = simple_signing_for(&repo, &t2);
        let ann = testkit::keyless_legacy_annotations(&w.leaf, &chain, &payload, &w.log);
        let mut tampered = payload.clone();
        tampered.insert(1, b' ');
        repo.attach_legacy(&t2, &tampered, ann);
        let err = expect_code(&keyless(&root, &repo.reference(&t2)), 1);
        assert!(err.contains("at signature") || err.contains("at tlog entry") || err.contains("at artifact"), "{err}");

        // Valid signatures that name another digest (replayed onto this image).
        let n3 = repo.image();
        repo.attach_bundle(&n3, &testkit::keyless_dsse_bundle(&w.leaf, &statement_for(&v3), &w.log));
        let err = expect_code(&keyless(&root, &repo.reference(&n3)), 1);
        assert!(err.contains("at artifact"), "{err}");
        let n2 = repo.image();
        let other_payload = simple_signing_for(&repo, &v2);
        repo.attach_legacy(
            &n2,
            &other_payload,
            testkit::keyless_legacy_annotations(&w.leaf, &chain, &other_payload, &w.log),
        );
        let err = expect_code(&keyless(&root, &repo.reference(&n2)), 1);
        assert!(err.contains("payload signs"), "{err}");

        // A legacy layer without the Rekor bundle has no verified time: refused, keyless never skips the log.
        let s2 = repo.image();
        let payload = simple_signing_for(&repo, &s2);
        let mut ann = testkit::keyless_legacy_annotations(&w.leaf, &chain, &payload, &w.log);
        ann.remove("dev.sigstore.cosign/bundle");
        repo.attach_legacy(&s2, &payload, ann);
        expect_code(&keyless(&root, &repo.reference(&s2)), 1);
        // And --insecure-ignore-tlog does not change that.
        let mut args = keyless(&root, "");
        args.pop();
        let r = repo.reference(&s2);
        args.extend(["--insecure-ignore-tlog", &r]);
        expect_code(&args, 2);
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl World {
    /// Some PEM public key that is not the signer's (the log's).
    fn log_key_pem(&self) -> String {
        let root = testkit::trusted_root(&[&self.log], &[], &[]);
        let raw = root["tlogs"][0]["publicKey"]["rawBytes"].as_str().unwrap().to_owned();
        use base64::Engine as _;
        let der = base64::engine::general_purpose::STANDARD.decode(raw).unwrap();
        chainseal::sign::keys::PublicKey::from_spki_der(&der).unwrap().to_pem()
    }
}
