//! Refusal tests for the SCT check: a private CA and CT log, a leaf whose embedded SCT list is
//! built here field by field, and one forged field per test.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;
use sigstore_crypto::KeyPair;
use x509_cert::der::{Decode, Encode};

use super::*;
use crate::Error;

const SCT_OID_ARCS: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2];

fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn octet_string(content: &[u8]) -> Vec<u8> {
    let mut v = vec![0x04];
    der_len(&mut v, content.len());
    v.extend_from_slice(content);
    v
}

fn vec16(body: &[u8]) -> Vec<u8> {
    let mut v = (body.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

/// A CA, a CT log and the trusted root naming both.
struct World {
    ca_key: rcgen::KeyPair,
    ca_params: rcgen::CertificateParams,
    ca_der: Vec<u8>,
    ct: KeyPair,
    root: TrustedRoot,
}

fn ca_params(name: &str) -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    params
}

fn ct_entry(ct: &KeyPair, valid_for: serde_json::Value) -> serde_json::Value {
    let spki = ct.public_key_der().expect("spki");
    json!({
        "baseUrl": "https://ct.test",
        "hashAlgorithm": "SHA2_256",
        "publicKey": {"rawBytes": B64.encode(spki.as_bytes()), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": valid_for},
        "logId": {"keyId": B64.encode(sha256(spki.as_bytes()))}
    })
}

fn root_json(cas: &[&[u8]], ct_logs: &[serde_json::Value]) -> TrustedRoot {
    let cas: Vec<_> = cas
        .iter()
        .map(|der| {
            json!({
                "subject": {"organization": "test", "commonName": "sct test CA"},
                "uri": "https://fulcio.test",
                "certChain": {"certificates": [{"rawBytes": B64.encode(der)}]},
                "validFor": {"start": "2020-01-01T00:00:00Z"}
            })
        })
        .collect();
    let doc = json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [],
        "certificateAuthorities": cas,
        "ctlogs": ct_logs,
        "timestampAuthorities": []
    });
    TrustedRoot::from_json(&doc.to_string()).expect("trusted root")
}

fn world() -> World {
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let ca_params = ca_params("sct test CA");
    let ca_der = ca_params.self_signed(&ca_key).expect("ca").der().to_vec();
    let ct = KeyPair::generate_ecdsa_p256().expect("ct key");
    let root = root_json(&[&ca_der], &[ct_entry(&ct, json!({"start": "2020-01-01T00:00:00Z"}))]);
    World { ca_key, ca_params, ca_der, ct, root }
}

/// How the SCT list of a test leaf is built; `Default` is a valid one.
struct Forge {
    version: u8,
    timestamp_ms: u64,
    /// Timestamp written into the SCT (the signature covers `timestamp_ms`).
    written_timestamp_ms: Option<u64>,
    algorithm: [u8; 2],
    extensions: Vec<u8>,
    /// The key hash the CT log signs over (default: the real issuer's).
    issuer_spki: Option<Vec<u8>>,
    /// Sign with this key instead of the trusted CT log's.
    other_log: Option<KeyPair>,
    flip_signature_bit: bool,
    sct_count: usize,
    trailing_byte: bool,
    extension_count: usize,
}

impl Default for Forge {
    fn default() -> Self {
        Self {
            version: 0,
            timestamp_ms: (jiff::Timestamp::now().as_millisecond() - 1000) as u64,
            written_timestamp_ms: None,
            algorithm: [4, 3],
            extensions: Vec::new(),
            issuer_spki: None,
            other_log: None,
            flip_signature_bit: false,
            sct_count: 1,
            trailing_byte: false,
            extension_count: 1,
        }
    }
}

/// A leaf issued by the world's CA with an SCT list forged as `f` says. The precertificate TBS
/// the log signs is computed independently, with x509-cert (decode and re-encode), as
/// sigstore-verify does.
fn leaf(w: &World, f: &Forge) -> Vec<u8> {
    use rcgen::PublicKeyData as _;
    let key = rcgen::KeyPair::generate().expect("leaf key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.serial_number = Some(rcgen::SerialNumber::from(7u64));
    params.subject_alt_names = vec![rcgen::SanType::URI("https://example.com/ci".try_into().expect("uri"))];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::CodeSigning];
    let issuer = rcgen::Issuer::new(w.ca_params.clone(), &w.ca_key);
    let pre = params.signed_by(&key, &issuer).expect("precert").der().to_vec();
    let tbs = x509_cert::Certificate::from_der(&pre).expect("precert").tbs_certificate.to_der().expect("tbs");
    let issuer_spki = f.issuer_spki.clone().unwrap_or_else(|| w.ca_key.subject_public_key_info());
    let log = f.other_log.as_ref().unwrap_or(&w.ct);
    let list = sct_list(f, log, &tbs, &issuer_spki);
    for _ in 0..f.extension_count {
        params.custom_extensions.push(rcgen::CustomExtension::from_oid_content(SCT_OID_ARCS, octet_string(&list)));
    }
    params.signed_by(&key, &issuer).expect("leaf").der().to_vec()
}

/// The extension content (DER OCTET STRING of the TLS list) of one SCT by `log` over the
/// precertificate `precert_der` (a certificate without the SCT extension) issued by the key
/// with SubjectPublicKeyInfo `issuer_spki`; its signature damaged when `flip_signature_bit`.
pub(in crate::verify) fn sct_extension(
    log: &KeyPair,
    precert_der: &[u8],
    issuer_spki: &[u8],
    flip_signature_bit: bool,
) -> Vec<u8> {
    let tbs = x509_cert::Certificate::from_der(precert_der).expect("precert").tbs_certificate.to_der().expect("tbs");
    octet_string(&sct_list(&Forge { flip_signature_bit, ..Forge::default() }, log, &tbs, issuer_spki))
}

/// The TLS SCT list `f` describes, signed by `log` over precertificate TBS `tbs`.
fn sct_list(f: &Forge, log: &KeyPair, tbs: &[u8], issuer_spki: &[u8]) -> Vec<u8> {
    let mut signed = vec![0u8, 0u8];
    signed.extend_from_slice(&f.timestamp_ms.to_be_bytes());
    signed.extend_from_slice(&[0, 1]);
    signed.extend_from_slice(&sha256(issuer_spki));
    signed.extend_from_slice(&(tbs.len() as u32).to_be_bytes()[1..]);
    signed.extend_from_slice(tbs);
    signed.extend_from_slice(&vec16(&f.extensions));
    let mut sig = log.sign(&signed).expect("sign").as_bytes().to_vec();
    if f.flip_signature_bit {
        let last = sig.len() - 1;
        sig[last] ^= 1;
    }
    let mut sct = vec![f.version];
    sct.extend_from_slice(&sha256(log.public_key_der().expect("spki").as_bytes()));
    sct.extend_from_slice(&f.written_timestamp_ms.unwrap_or(f.timestamp_ms).to_be_bytes());
    sct.extend_from_slice(&vec16(&f.extensions));
    sct.extend_from_slice(&f.algorithm);
    sct.extend_from_slice(&vec16(&sig));
    let items: Vec<u8> = std::iter::repeat_n(vec16(&sct), f.sct_count).flatten().collect();
    let mut list = vec16(&items);
    if f.trailing_byte {
        list.push(0);
    }
    list
}

fn bundle(leaf: &[u8]) -> Bundle {
    let doc = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"certificate": {"rawBytes": B64.encode(leaf)}, "tlogEntries": []},
        "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": B64.encode([0u8; 32])}, "signature": "AA=="}
    });
    Bundle::from_json(&doc.to_string()).expect("bundle")
}

fn check(root: &TrustedRoot, der: &[u8]) -> Result<()> {
    let checker = SctChecker::new(root).expect("checker");
    let b = bundle(der);
    let walk = CertWalk::parse(der).expect("walk");
    let prepared = checker.prepare(&walk, &b).expect("issuer is unambiguous");
    checker.verify(&prepared)
}

fn refused(r: Result<()>) -> String {
    match r {
        Err(Error::Verification { step: VerifyStep::Sct, reason, .. }) => reason,
        other => panic!("expected an SCT refusal, got {other:?}"),
    }
}

#[test]
fn a_valid_sct_verifies() {
    let w = world();
    check(&w.root, &leaf(&w, &Forge::default())).expect("valid SCT");
}

#[test]
fn precertificate_matches_an_x509_cert_re_encoding() {
    let w = world();
    let der = leaf(&w, &Forge::default());
    let parsed = CertWalk::parse(&der).expect("walk");
    let ext = parsed.extensions.iter().find(|e| e.oid == SCT_LIST_OID).expect("sct ext");
    let ours = parsed.tbs_without(ext).expect("precert");
    let mut tbs = x509_cert::Certificate::from_der(&der).expect("cert").tbs_certificate;
    let sct_oid = x509_cert::der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
    tbs.extensions = tbs.extensions.map(|e| e.into_iter().filter(|x| x.extn_id != sct_oid).collect());
    assert_eq!(ours, tbs.to_der().expect("der"));
}

#[test]
fn forged_scts_are_refused() {
    let w = world();
    let other = ca_params("another CA").self_signed(&rcgen::KeyPair::generate().expect("k")).expect("ca");
    let earlier = Forge::default().timestamp_ms - 1;
    let invalid = "signature invalid";
    let cases: Vec<(&str, Forge, &str)> = vec![
        ("signature bit flipped", Forge { flip_signature_bit: true, ..Forge::default() }, invalid),
        ("timestamp changed after signing", Forge { written_timestamp_ms: Some(earlier), ..Forge::default() }, invalid),
        (
            "signed over another issuer key",
            Forge { issuer_spki: Some(other.der().to_vec()), ..Forge::default() },
            invalid,
        ),
        (
            "signed by a log not in the root",
            Forge { other_log: Some(KeyPair::generate_ecdsa_p256().expect("k")), ..Forge::default() },
            "key not found",
        ),
        ("version 2", Forge { version: 1, ..Forge::default() }, "unsupported SCT version"),
        (
            "unsupported algorithm",
            Forge { algorithm: [2, 3], ..Forge::default() },
            "unsupported SCT signature algorithm",
        ),
        ("two SCTs", Forge { sct_count: 2, ..Forge::default() }, "multiple SCTs"),
        ("no SCT in the list", Forge { sct_count: 0, ..Forge::default() }, "no SCTs"),
        ("bytes after the list", Forge { trailing_byte: true, ..Forge::default() }, "bytes after the list"),
        ("two SCT list extensions", Forge { extension_count: 2, ..Forge::default() }, "more than one SCT list"),
        ("no SCT list extension", Forge { extension_count: 0, ..Forge::default() }, "no embedded SCT list"),
    ];
    for (what, forge, want) in cases {
        let reason = refused(check(&w.root, &leaf(&w, &forge)));
        assert!(reason.contains(want), "{what}: {reason}");
    }
    // Extensions the log signed are accepted, and are covered by the signature.
    let with_ext = Forge { extensions: vec![1, 2, 3], ..Forge::default() };
    check(&w.root, &leaf(&w, &with_ext)).expect("SCT with extensions");
}

#[test]
fn sct_outside_the_log_key_validity_is_refused() {
    let w = world();
    let der = leaf(&w, &Forge::default());
    let ca_der = w.ca_der.clone();
    let expired = root_json(
        &[&ca_der],
        &[ct_entry(&w.ct, json!({"start": "2020-01-01T00:00:00Z", "end": "2021-01-01T00:00:00Z"}))],
    );
    refused(check(&expired, &der));
    let not_yet = root_json(&[&ca_der], &[ct_entry(&w.ct, json!({"start": "2099-01-01T00:00:00Z"}))]);
    refused(check(&not_yet, &der));
}

#[test]
fn no_ct_log_for_the_algorithm_is_refused() {
    let w = world();
    let der = leaf(&w, &Forge::default());
    let ca_der = w.ca_der.clone();
    let root = root_json(&[&ca_der], &[]);
    let checker = SctChecker::new(&root).expect("checker");
    let b = bundle(&der);
    let walk = CertWalk::parse(&der).expect("walk");
    let prepared = checker.prepare(&walk, &b).expect("issuer");
    assert!(checker.verify(&prepared).is_err());
}

#[test]
fn an_ambiguous_issuer_is_left_to_sigstore_verify() {
    let w = world();
    let der = leaf(&w, &Forge::default());
    let ca_der = w.ca_der.clone();
    // Same subject, another key: the issuer cannot be told apart by name.
    let twin = ca_params("sct test CA").self_signed(&rcgen::KeyPair::generate().expect("k")).expect("twin");
    let ambiguous = root_json(&[&ca_der, twin.der()], &[]);
    let b = bundle(&der);
    let walk = CertWalk::parse(&der).expect("walk");
    assert!(SctChecker::new(&ambiguous).expect("checker").prepare(&walk, &b).is_none());
    // The same certificate twice is not ambiguous.
    let twice = root_json(&[&ca_der, &ca_der], &[]);
    assert!(SctChecker::new(&twice).expect("checker").prepare(&walk, &b).is_some());
    // No certificate with the leaf's issuer name: nothing to decide with.
    let unrelated = ca_params("unrelated").self_signed(&rcgen::KeyPair::generate().expect("k")).expect("ca");
    let none = root_json(&[unrelated.der()], &[]);
    assert!(SctChecker::new(&none).expect("checker").prepare(&walk, &b).is_none());
}

#[test]
fn damaged_leaves_never_panic() {
    let w = world();
    let der = leaf(&w, &Forge::default());
    let checker = SctChecker::new(&w.root).expect("checker");
    for len in 0..der.len() {
        assert!(CertWalk::parse(&der[..len]).is_err(), "truncated to {len}");
    }
    for i in 0..der.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = der.clone();
            bad[i] ^= flip;
            if let Ok(b) = Bundle::from_json(
                &json!({
                    "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                    "verificationMaterial": {"certificate": {"rawBytes": B64.encode(&bad)}, "tlogEntries": []},
                    "messageSignature": {"signature": "AA=="}
                })
                .to_string(),
            ) && let Ok(walk) = CertWalk::parse(&bad)
                && let Some(p) = checker.prepare(&walk, &b)
            {
                let _ = checker.verify(&p);
            }
        }
    }
}
