//! Keyless attestation verification end to end (`chainseal verify-attestation
//! --certificate-identity … --certificate-oidc-issuer … --trusted-root F --type T IMAGE`) on the
//! local registries of scripts/registries.sh (`source DIR/env.sh` first; a missing registry FAILS
//! these tests), against a private Sigstore world from `chainseal_sign::testkit`: a test CA (root and
//! intermediate), a test CT log (embedded SCT), a test Rekor-like log (SET, Merkle proof,
//! checkpoint) and a trusted root naming them.
//!
//! Attestations are attached in both cosign layouts: a v3 bundle referrer (DSSE bundle with a
//! `dsse` log entry carrying proof and SET) and a legacy `.att` tag layer (the DSSE envelope
//! blob with certificate, chain and Rekor bundle annotations: a SET only). Good ones verify;
//! each forgery is refused on its own: wrong identity, wrong issuer, untrusted CA, a tampered log
//! entry or SET, a tampered predicate, a Statement about another image, a wrong predicate type.
//! Also: key-signed legacy `.att` layers have their SET checked, and `--policy` keeps working
//! with keyless signers.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chainseal::oci::manifest::{Descriptor, ImageManifest, RawManifest};
use chainseal::oci::registry::{self, RegistryConfig};
use chainseal::oci::source::ContentSink;
use chainseal::oci::{Reference, media_type};
use chainseal_sign::testkit::{self, TestCa, TestCt, TestLeaf, TestLog};
use serde_json::{Value, json};

const SAN: &str = "https://github.com/acme/app/.github/workflows/attest.yml@refs/tags/v1.0.0";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
/// Fulcio's source repository URI extension (DER UTF8String).
const OID_SOURCE_REPOSITORY: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 12];
const REPO_URI: &str = "https://github.com/acme/app";
const CYCLONEDX: &str = "https://cyclonedx.org/bom";
const LOG_HOST: &str = "rekor.attest.test";

fn registry_hosts() -> [String; 2] {
    ["CHAINSEAL_TEST_REGISTRY_PLAIN", "CHAINSEAL_TEST_REGISTRY_REFERRERS"].map(|var| {
        std::env::var(var).unwrap_or_else(|_| {
            panic!("{var} is not set: run `bash scripts/registries.sh start DIR && source DIR/env.sh`")
        })
    })
}

fn nonce() -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos();
    format!("{}-{t}", std::process::id())
}

/// Run chainseal; assert the exit code; return (stdout, stderr).
fn chainseal(args: &[&str], want: i32) -> (String, String) {
    let o: Output = Command::new(env!("CARGO_BIN_EXE_chainseal")).args(args).output().expect("spawn chainseal");
    let (out, err) = (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    assert_eq!(o.status.code(), Some(want), "chainseal {}\nstdout: {out}\nstderr: {err}", args.join(" "));
    (out, err)
}

/// The private Sigstore world: a log, a CT log, a CA chain and one Fulcio-like leaf.
struct Sigstore {
    log: TestLog,
    ct: TestCt,
    root: TestCa,
    inter: TestCa,
    leaf: TestLeaf,
}

impl Sigstore {
    fn new() -> Self {
        let log = TestLog::new(LOG_HOST);
        let ct = TestCt::new();
        let root = TestCa::root("attest test root");
        let inter = root.intermediate("attest test intermediate");
        let leaf = inter.issue_leaf(SAN, ISSUER, &[(OID_SOURCE_REPOSITORY, testkit::utf8_der(REPO_URI))], &ct);
        Self { log, ct, root, inter, leaf }
    }

    fn ca_entry(&self) -> Value {
        TestCa::trusted_root_entry(&[&self.inter, &self.root])
    }

    /// A trusted root with these parts; `None` takes this world's own.
    fn trusted_root(&self, log: Option<&TestLog>, ca: Option<Value>, ct: Option<&TestCt>) -> Value {
        testkit::trusted_root(
            &[log.unwrap_or(&self.log)],
            &[ca.unwrap_or_else(|| self.ca_entry())],
            &[ct.unwrap_or(&self.ct)],
        )
    }

    fn chain(&self) -> [&[u8]; 2] {
        [self.inter.der(), self.root.der()]
    }
}

fn save(dir: &Path, name: &str, v: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, v.to_string()).expect("write");
    path.to_str().expect("utf-8 path").to_owned()
}

/// One repository on one local registry.
struct Registry {
    repo_name: String,
    repo: registry::Repository,
    rt: tokio::runtime::Runtime,
}

impl Registry {
    fn open(host: &str) -> Self {
        let repo_name = format!("{host}/keyless-attest-{}", nonce());
        let reference: Reference = repo_name.parse().expect("reference");
        let repo = registry::open(&reference, &RegistryConfig::default()).expect("open registry");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Self { repo_name, repo, rt }
    }

    fn push(&self, manifest: &ImageManifest, blobs: &[(&Descriptor, &[u8])], tag: Option<&str>) -> Descriptor {
        let raw = RawManifest::from_serializable(manifest, media_type::OCI_MANIFEST).expect("manifest");
        self.rt.block_on(async {
            for (desc, bytes) in blobs {
                self.repo.put_blob_bytes(desc, bytes).await.expect("blob");
            }
            self.repo.put_manifest(&raw, tag).await.expect("manifest");
        });
        raw.descriptor()
    }

    /// A new image with a unique config; returns its manifest descriptor.
    fn new_image(&self) -> Descriptor {
        let config = json!({"architecture": "arm64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}, "nonce": nonce()})
            .to_string();
        let config_desc = Descriptor::for_bytes(media_type::OCI_CONFIG, config.as_bytes());
        let manifest = artifact_manifest(None, config_desc.clone(), vec![], None, None);
        self.push(&manifest, &[(&config_desc, config.as_bytes())], Some(&format!("img-{}", nonce())))
    }

    fn at(&self, image: &Descriptor) -> String {
        format!("{}@{}", self.repo_name, image.digest)
    }

    /// Attach `bundle` to `subject` the cosign v3 way: a referrer holding the bundle.
    fn attach_v3(&self, subject: &Descriptor, bundle: &Value, predicate_type: &str) {
        let bytes = bundle.to_string().into_bytes();
        let layer = Descriptor::for_bytes(media_type::SIGSTORE_BUNDLE_V03, &bytes);
        let config = Descriptor::for_bytes(media_type::OCI_EMPTY, media_type::OCI_EMPTY_DATA);
        let annotations = BTreeMap::from([
            (media_type::ANNOTATION_BUNDLE_CONTENT.to_owned(), "dsse-envelope".to_owned()),
            (media_type::ANNOTATION_BUNDLE_PREDICATE_TYPE.to_owned(), predicate_type.to_owned()),
        ]);
        let manifest = artifact_manifest(
            Some(media_type::SIGSTORE_BUNDLE_V03),
            config.clone(),
            vec![layer.clone()],
            Some(subject.clone()),
            Some(annotations),
        );
        self.push(&manifest, &[(&layer, &bytes), (&config, media_type::OCI_EMPTY_DATA)], None);
    }

    /// Attach a cosign v2 `.att` image to `subject`: one DSSE envelope layer with `annotations`.
    fn attach_att(&self, subject: &Descriptor, envelope: &[u8], annotations: BTreeMap<String, String>) {
        let plain = Descriptor::for_bytes(media_type::DSSE_ENVELOPE, envelope);
        let mut layer = plain.clone();
        layer.annotations = Some(annotations);
        let config = json!({"architecture": "", "os": "", "config": {}, "rootfs": {"type": "layers", "diff_ids": [plain.digest.to_string()]}})
            .to_string();
        let config_desc = Descriptor::for_bytes(media_type::OCI_CONFIG, config.as_bytes());
        let manifest = artifact_manifest(None, config_desc.clone(), vec![layer], None, None);
        let tag = subject.digest.cosign_tag("att");
        self.push(&manifest, &[(&plain, envelope), (&config_desc, config.as_bytes())], Some(&tag));
    }
}

fn artifact_manifest(
    artifact_type: Option<&str>,
    config: Descriptor,
    layers: Vec<Descriptor>,
    subject: Option<Descriptor>,
    annotations: Option<BTreeMap<String, String>>,
) -> ImageManifest {
    ImageManifest {
        schema_version: 2,
        media_type: Some(media_type::OCI_MANIFEST.into()),
        artifact_type: artifact_type.map(str::to_owned),
        config,
        layers,
        subject,
        annotations,
    }
}

/// An in-toto Statement v1 about `image` with a small CycloneDX predicate (or another type).
fn statement(image: &Descriptor, predicate_type: &str) -> Vec<u8> {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "image", "digest": {"sha256": image.digest.hex()}}],
        "predicateType": predicate_type,
        "predicate": {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": "openssl", "licenses": [{"license": {"id": "Apache-2.0"}}]}]}
    })
    .to_string()
    .into_bytes()
}

/// The two layouts an attestation can be stored in.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// cosign v3: bundle referrer.
    V3,
    /// cosign v2: `sha256-<hex>.att` tag layer.
    Legacy,
}

/// Sign `stmt` keylessly and attach it to `image` in `layout`; `forge` may alter the bundle
/// (v3) or the envelope and annotations (legacy, as `{"envelope":…, "annotations":…}`) first.
fn attest(
    reg: &Registry,
    w: &Sigstore,
    image: &Descriptor,
    layout: Layout,
    stmt: &[u8],
    forge: impl FnOnce(&mut Value),
) {
    let predicate_type =
        serde_json::from_slice::<Value>(stmt).expect("statement")["predicateType"].as_str().expect("type").to_owned();
    match layout {
        Layout::V3 => {
            let mut bundle = testkit::keyless_dsse_bundle(&w.leaf, stmt, &w.log);
            forge(&mut bundle);
            reg.attach_v3(image, &bundle, &predicate_type);
        }
        Layout::Legacy => {
            let (envelope, annotations) = testkit::keyless_legacy_att(&w.leaf, &w.chain(), stmt, &w.log);
            let envelope: Value = serde_json::from_slice(&envelope).expect("envelope");
            let mut parts = json!({"envelope": envelope, "annotations": annotations});
            forge(&mut parts);
            let annotations: BTreeMap<String, String> =
                serde_json::from_value(parts["annotations"].clone()).expect("annotations");
            reg.attach_att(image, parts["envelope"].to_string().as_bytes(), annotations);
        }
    }
}

fn keyless_args<'a>(root: &'a str, image: &'a str) -> Vec<&'a str> {
    vec![
        "verify-attestation",
        "--certificate-identity",
        SAN,
        "--certificate-oidc-issuer",
        ISSUER,
        "--trusted-root",
        root,
        "--type",
        "cyclonedx",
        image,
    ]
}

/// `verify-attestation` as `san`/`issuer` with `extra` flags; returns stderr.
fn verify_as(san: &str, issuer: &str, root: &str, extra: &[&str], image: &str, want: i32) -> String {
    let mut args = vec![
        "verify-attestation",
        "--certificate-identity",
        san,
        "--certificate-oidc-issuer",
        issuer,
        "--trusted-root",
        root,
    ];
    args.extend_from_slice(extra);
    args.push(image);
    chainseal(&args, want).1
}

/// The Statement's payload as stored in the bundle or envelope, replaced by `f(payload)`.
fn edit_payload(envelope: &mut Value, f: impl FnOnce(&mut Value)) {
    let mut stmt: Value =
        serde_json::from_slice(&B64.decode(envelope["payload"].as_str().expect("payload")).expect("b64"))
            .expect("json");
    f(&mut stmt);
    envelope["payload"] = B64.encode(stmt.to_string()).into();
}

/// Run `f` once per local registry with a fresh world, a trusted root file trusting it (and a
/// directory for more files) and a fresh repository.
fn on_each_registry(f: impl Fn(&Path, &Sigstore, &str, &Registry)) {
    for host in registry_hosts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = Sigstore::new();
        let root = save(dir.path(), "trusted_root.json", &w.trusted_root(None, None, None));
        f(dir.path(), &w, &root, &Registry::open(&host));
    }
}

#[test]
fn keyless_attestations_verify_in_both_layouts_and_forgeries_are_refused() {
    on_each_registry(|d, w, root, reg| {
        let host = &reg.repo_name;
        for layout in [Layout::V3, Layout::Legacy] {
            let ctx = format!("{host} {layout:?}");
            let image = reg.new_image();
            attest(reg, w, &image, layout, &statement(&image, CYCLONEDX), |_| {});
            let r = reg.at(&image);

            // Accepted: exact identity, with every check named on stderr.
            let (out, err) = chainseal(&keyless_args(root, &r), 0);
            let statements: Vec<Value> = serde_json::from_str(&out).expect("stdout JSON");
            assert_eq!(statements.len(), 1, "{ctx}: {out}");
            assert_eq!(statements[0]["predicateType"], CYCLONEDX, "{ctx}");
            for want in ["certificate chain to a trusted CA", "SCT verified", "transparency log: 1 entry verified"] {
                assert!(err.contains(want), "{ctx}: {want:?} missing in {err}");
            }
            // Accepted: the flattened identity flags (anchored regexps, a Fulcio extension claim).
            chainseal(
                &[
                    "verify-attestation",
                    "--certificate-identity-regexp",
                    r"https://github\.com/acme/app/\.github/workflows/.*",
                    "--certificate-oidc-issuer-regexp",
                    r"https://token\.actions\.githubusercontent\.com",
                    "--certificate-source-repository",
                    REPO_URI,
                    "--trusted-root",
                    root,
                    "--type",
                    CYCLONEDX,
                    &r,
                ],
                0,
            );

            // Refused: wrong identity, wrong issuer, a claim that differs.
            let wrong_san = SAN.replace("v1.0.0", "v1.0.1");
            let err = verify_as(&wrong_san, ISSUER, root, &[], &r, 1);
            assert!(err.contains("at identity"), "{ctx}: {err}");
            let err = verify_as(SAN, "https://gitlab.com", root, &[], &r, 1);
            assert!(err.contains("at identity"), "{ctx}: {err}");
            verify_as(SAN, ISSUER, root, &["--certificate-source-repository", "https://github.com/acme/other"], &r, 1);

            // Refused: a CA, a log or a CT log the trusted root does not know.
            let other_ca = TestCa::root("attest test root");
            let untrusted_ca =
                save(d, "ca.json", &w.trusted_root(None, Some(TestCa::trusted_root_entry(&[&other_ca])), None));
            let (_, err) = chainseal(&keyless_args(&untrusted_ca, &r), 1);
            assert!(err.contains("at certificate chain"), "{ctx}: {err}");
            let impostor_log = TestLog::new(LOG_HOST);
            let untrusted_log = save(d, "log.json", &w.trusted_root(Some(&impostor_log), None, None));
            let (_, err) = chainseal(&keyless_args(&untrusted_log, &r), 1);
            assert!(err.contains("tlog"), "{ctx}: {err}");
            let other_ct = TestCt::new();
            let untrusted_ct = save(d, "ct.json", &w.trusted_root(None, None, Some(&other_ct)));
            let (_, err) = chainseal(&keyless_args(&untrusted_ct, &r), 1);
            assert!(err.contains("at SCT"), "{ctx}: {err}");

            // Refused: the wrong predicate type (verified, then left out).
            let err = verify_as(SAN, ISSUER, root, &["--type", "slsaprovenance"], &r, 1);
            assert!(err.contains("skipped:") && err.contains("does not match"), "{ctx}: {err}");

            // Usage errors: a key together with an identity; --insecure-ignore-tlog keyless.
            let mut with_key = keyless_args(root, &r);
            with_key.splice(1..1, ["--key", "/nonexistent.pub"]);
            chainseal(&with_key, 2);
            let mut ignore = keyless_args(root, &r);
            ignore.insert(1, "--insecure-ignore-tlog");
            chainseal(&ignore, 2);
        }
    });
}

#[test]
fn keyless_attestation_forgeries_are_refused_in_both_layouts() {
    on_each_registry(|_, w, root, reg| {
        let host = &reg.repo_name;
        for layout in [Layout::V3, Layout::Legacy] {
            let refused = |what: &str, image: &Descriptor, reason: &[&str]| {
                let (_, err) = chainseal(&keyless_args(root, &reg.at(image)), 1);
                assert!(reason.iter().any(|r| err.contains(r)), "{host} {layout:?} {what}: {err}");
            };

            // The log entry's time moved (the SET no longer covers it) / the SET altered.
            let image = reg.new_image();
            attest(reg, w, &image, layout, &statement(&image, CYCLONEDX), |v| match layout {
                Layout::V3 => {
                    let entry = &mut v["verificationMaterial"]["tlogEntries"][0];
                    let t: i64 = entry["integratedTime"].as_str().expect("time").parse().expect("int");
                    entry["integratedTime"] = (t - 30).to_string().into();
                }
                Layout::Legacy => {
                    let key = "dev.sigstore.cosign/bundle";
                    let mut rb: Value =
                        serde_json::from_str(v["annotations"][key].as_str().expect("bundle")).expect("json");
                    let mut set = B64.decode(rb["SignedEntryTimestamp"].as_str().expect("set")).expect("b64");
                    let n = set.len() - 2;
                    set[n] ^= 0x40;
                    rb["SignedEntryTimestamp"] = B64.encode(&set).into();
                    v["annotations"][key] = rb.to_string().into();
                }
            });
            refused("tampered SET", &image, &["at tlog"]);

            // The logged body altered (it no longer matches the signature it records).
            let image = reg.new_image();
            attest(reg, w, &image, layout, &statement(&image, CYCLONEDX), |v| {
                let (body, set_body): (&mut Value, bool) = match layout {
                    Layout::V3 => (&mut v["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"], false),
                    Layout::Legacy => (&mut v["annotations"]["dev.sigstore.cosign/bundle"], true),
                };
                if set_body {
                    let mut rb: Value = serde_json::from_str(body.as_str().expect("bundle")).expect("json");
                    let mut b: Value = serde_json::from_slice(
                        &B64.decode(rb["Payload"]["body"].as_str().expect("body")).expect("b64"),
                    )
                    .expect("json");
                    b["spec"]["payloadHash"]["value"] = "00".repeat(32).into();
                    rb["Payload"]["body"] = B64.encode(b.to_string()).into();
                    *body = rb.to_string().into();
                } else {
                    let mut b: Value =
                        serde_json::from_slice(&B64.decode(body.as_str().expect("body")).expect("b64")).expect("json");
                    b["spec"]["payloadHash"]["value"] = "00".repeat(32).into();
                    *body = B64.encode(b.to_string()).into();
                }
            });
            refused("tampered log entry", &image, &["at tlog"]);

            // The predicate changed after signing.
            let image = reg.new_image();
            attest(reg, w, &image, layout, &statement(&image, CYCLONEDX), |v| {
                let env = match layout {
                    Layout::V3 => &mut v["dsseEnvelope"],
                    Layout::Legacy => &mut v["envelope"],
                };
                edit_payload(env, |s| s["predicate"]["components"][0]["licenses"][0]["license"]["id"] = "MIT".into());
            });
            refused("tampered predicate", &image, &["at signature", "at tlog"]);

            // A genuine attestation of another image, replayed onto this one.
            let (image, other) = (reg.new_image(), reg.new_image());
            attest(reg, w, &image, layout, &statement(&other, CYCLONEDX), |_| {});
            refused("another image", &image, &["another image"]);

            // Legacy only: no Rekor bundle annotation, so no verified signing time.
            if let Layout::Legacy = layout {
                let image = reg.new_image();
                attest(reg, w, &image, layout, &statement(&image, CYCLONEDX), |v| {
                    v["annotations"].as_object_mut().expect("map").remove("dev.sigstore.cosign/bundle");
                });
                refused("no SET", &image, &["inclusion promise", "at tlog", "signing time"]);
            }
        }
    });
}

#[test]
fn policy_with_keyless_signers_and_key_signed_att_sets() {
    on_each_registry(|d, w, root, reg| {
        // --policy with a keyless signer and an assertion, no command-line signer.
        let image = reg.new_image();
        attest(reg, w, &image, Layout::Legacy, &statement(&image, CYCLONEDX), |_| {});
        let r = reg.at(&image);
        let policy = |name: &str, license: &str| {
            let text = format!(
                "signers:\n  - identity: {SAN}\n    issuer: {ISSUER}\npredicateTypes: [cyclonedx]\nrules:\n  - name: no-{license}\n    predicateType: cyclonedx\n    path: /components/*/licenses/*/license/id\n    notContains: {license}\n"
            );
            let p = d.join(name);
            std::fs::write(&p, text).expect("policy");
            p.to_str().expect("utf-8").to_owned()
        };
        let passing = policy("ok.yaml", "GPL-3.0-only");
        chainseal(&["verify-attestation", "--policy", &passing, "--trusted-root", root, &r], 0);
        let failing = policy("fail.yaml", "Apache-2.0");
        let (_, err) = chainseal(&["verify-attestation", "--policy", &failing, "--trusted-root", root, &r], 1);
        assert!(err.contains("no-Apache-2.0"), "{err}");
        // The same policy with the command-line identity.
        let mut args = keyless_args(root, &r);
        args.splice(1..1, ["--policy", passing.as_str()]);
        chainseal(&args, 0);

        // A key-signed legacy .att layer with a Rekor bundle annotation: the SET is verified.
        let key = chainseal_sign::keys::SigningKey::generate(chainseal_sign::keys::GenerateAlgorithm::EcdsaP256)
            .expect("key");
        let pem = key.public_key().to_pem();
        let key_file = d.join("release.pub");
        std::fs::write(&key_file, &pem).expect("key file");
        let key_file = key_file.to_str().expect("utf-8");
        let att = |image: &Descriptor, log: &TestLog, with_set: bool| {
            let stmt = statement(image, CYCLONEDX);
            let sig =
                key.sign(&chainseal_sign::dsse::pae(chainseal_sign::dsse::INTOTO_PAYLOAD_TYPE, &stmt)).expect("sign");
            let envelope = json!({"payloadType": chainseal_sign::dsse::INTOTO_PAYLOAD_TYPE, "payload": B64.encode(&stmt), "signatures": [{"keyid": "", "sig": B64.encode(&sig)}]})
                .to_string()
                .into_bytes();
            let mut ann = BTreeMap::from([
                (media_type::ANNOTATION_COSIGN_SIGNATURE.to_owned(), String::new()),
                (media_type::ANNOTATION_PREDICATE_TYPE.to_owned(), CYCLONEDX.to_owned()),
            ]);
            if with_set {
                let body = testkit::dsse_body(&envelope, &stmt, &sig, &pem);
                let time = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()
                    as i64
                    - 60;
                ann.insert(media_type::ANNOTATION_COSIGN_BUNDLE.to_owned(), log.rekor_bundle_annotation(&body, time));
            }
            reg.attach_att(image, &envelope, ann);
        };
        let key_args = |root: &str, image: &str| -> Vec<String> {
            ["verify-attestation", "--key", key_file, "--trusted-root", root, "--type", "cyclonedx", image]
                .map(str::to_owned)
                .to_vec()
        };
        let run = |args: Vec<String>, want: i32| {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            chainseal(&refs, want)
        };
        let logged = reg.new_image();
        att(&logged, &w.log, true);
        let (_, err) = run(key_args(root, &reg.at(&logged)), 0);
        assert!(err.contains("transparency log: 1 entry verified"), "{err}");
        // A trusted root without that log: the SET cannot be trusted, so the layer is refused.
        let no_log = save(d, "nolog.json", &w.trusted_root(Some(&TestLog::new(LOG_HOST)), None, None));
        let (_, err) = run(key_args(&no_log, &reg.at(&logged)), 1);
        assert!(err.contains("at tlog"), "{err}");
        // A SET by another log under the same name.
        let forged = reg.new_image();
        att(&forged, &TestLog::new(LOG_HOST), true);
        run(key_args(root, &reg.at(&forged)), 1);
        // No Rekor bundle: accepted on the key, and stderr says there is no public record.
        let unlogged = reg.new_image();
        att(&unlogged, &w.log, false);
        let (_, err) = run(key_args(root, &reg.at(&unlogged)), 0);
        assert!(err.contains("transparency log: none"), "{err}");
        // The keyless identity does not accept a key-signed layer.
        let (_, err) = chainseal(&keyless_args(root, &reg.at(&logged)), 1);
        assert!(err.contains("managed key"), "{err}");
    });
}
