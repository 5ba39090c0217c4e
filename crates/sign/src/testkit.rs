//! A private, self-contained Sigstore world for tests (feature `testkit`; never in release
//! builds of the tool): a Fulcio-like CA (root and intermediate, rcgen), leaves with the Fulcio
//! issuer/claim extensions and a real embedded SCT from a test CT log, a Rekor-v1-like log
//! with a real Merkle tree, inclusion proof, signed checkpoint and SET, and the matching
//! `trusted_root.json`. Each piece can be swapped for an untrusted twin to forge refusals.
//!
//! Nothing here is secret or stable: keys are generated per run. Functions panic on failure:
//! this is test support, its inputs are its own.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use sigstore_crypto::KeyPair;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

/// Fulcio's OIDC issuer (v2) extension arc.
const OID_ISSUER_V2: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 8];
/// RFC 6962 embedded SCT list extension.
const OID_SCT_LIST: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2];

fn sha256(data: &[u8]) -> [u8; 32] {
    *sigstore_crypto::sha256(data).as_bytes()
}

fn leaf_hash(data: &[u8]) -> [u8; 32] {
    sha256(&[&[0u8][..], data].concat())
}

fn node(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    sha256(&[&[1u8][..], l, r].concat())
}

/// Sign with a sigstore-crypto key pair (ECDSA P-256/SHA-256, ASN.1 DER).
pub fn sign(key: &KeyPair, data: &[u8]) -> Vec<u8> {
    key.sign(data).map(|s| s.as_bytes().to_vec()).unwrap_or_default()
}

/// DER UTF8String, as Fulcio encodes extensions from `.1.8` on.
pub fn utf8_der(s: &str) -> Vec<u8> {
    let mut v = vec![0x0c];
    push_der_len(&mut v, s.len());
    v.extend_from_slice(s.as_bytes());
    v
}

fn push_der_len(v: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        v.push(len as u8);
    } else if len < 0x100 {
        v.extend_from_slice(&[0x81, len as u8]);
    } else {
        v.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
}

fn octet_string(content: &[u8]) -> Vec<u8> {
    let mut v = vec![0x04];
    push_der_len(&mut v, content.len());
    v.extend_from_slice(content);
    v
}

/// PEM `CERTIFICATE` of DER bytes.
pub fn cert_pem(der: &[u8]) -> String {
    sigstore_types::DerCertificate::new(der.to_vec()).to_pem()
}

/// A Rekor-v1-like transparency log.
pub struct TestLog {
    key: KeyPair,
    host: String,
}

impl TestLog {
    /// A new log named `host` with a fresh ECDSA P-256 key.
    pub fn new(host: &str) -> Self {
        Self { key: KeyPair::generate_ecdsa_p256().expect("log key"), host: host.to_owned() }
    }

    fn spki(&self) -> Vec<u8> {
        self.key.public_key_der().expect("spki").as_bytes().to_vec()
    }

    /// The log ID: SHA-256 of the DER SPKI.
    pub fn log_id(&self) -> [u8; 32] {
        sha256(&self.spki())
    }

    /// The `tlogs[]` entry of a trusted root.
    pub fn trusted_root_entry(&self) -> Value {
        json!({
            "baseUrl": format!("https://{}", self.host),
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": B64.encode(self.spki()),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": "2020-01-01T00:00:00Z"}
            },
            "logId": {"keyId": B64.encode(self.log_id())}
        })
    }

    fn checkpoint(&self, root_hash: &[u8; 32], size: u64) -> String {
        let hint = &self.log_id()[..4];
        let body = format!("{} - 42\n{size}\n{}\n", self.host, B64.encode(root_hash));
        let sig = sign(&self.key, body.as_bytes());
        format!("{body}\n\u{2014} {} {}\n", self.host, B64.encode([hint, &sig[..]].concat()))
    }

    /// The SET over `{body, integratedTime, logID, logIndex}` (canonical JSON).
    pub fn set(&self, body: &[u8], time: i64, index: u64) -> String {
        let payload = format!(
            r#"{{"body":"{}","integratedTime":{time},"logID":"{}","logIndex":{index}}}"#,
            B64.encode(body),
            hex::encode(self.log_id())
        );
        B64.encode(sign(&self.key, payload.as_bytes()))
    }

    /// A bundle `tlogEntries[]` item for `body` (kind/version as given), logged at `time`, with
    /// a SET and an inclusion proof in a 4-leaf tree plus a signed checkpoint.
    pub fn entry(&self, kind: &str, version: &str, body: &[u8], time: i64) -> Value {
        let (h0, h1, h2, h3) = (leaf_hash(b"other-0"), leaf_hash(body), leaf_hash(b"other-2"), leaf_hash(b"other-3"));
        let h23 = node(&h2, &h3);
        let root_hash = node(&node(&h0, &h1), &h23);
        json!({
            "logIndex": "1",
            "logId": {"keyId": B64.encode(self.log_id())},
            "kindVersion": {"kind": kind, "version": version},
            "integratedTime": time.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": self.set(body, time, 1)},
            "inclusionProof": {
                "logIndex": "1",
                "rootHash": B64.encode(root_hash),
                "treeSize": "4",
                "hashes": [B64.encode(h0), B64.encode(h23)],
                "checkpoint": {"envelope": self.checkpoint(&root_hash, 4)}
            },
            "canonicalizedBody": B64.encode(body)
        })
    }

    /// cosign's legacy `dev.sigstore.cosign/bundle` annotation for `body` logged at `time`.
    pub fn rekor_bundle_annotation(&self, body: &[u8], time: i64) -> String {
        json!({
            "SignedEntryTimestamp": self.set(body, time, 7),
            "Payload": {
                "body": B64.encode(body),
                "integratedTime": time,
                "logIndex": 7,
                "logID": hex::encode(self.log_id())
            }
        })
        .to_string()
    }
}

/// A certificate-transparency log that issues embedded SCTs.
pub struct TestCt {
    key: KeyPair,
}

impl Default for TestCt {
    fn default() -> Self {
        Self::new()
    }
}

impl TestCt {
    /// A CT log with a fresh ECDSA P-256 key.
    pub fn new() -> Self {
        Self { key: KeyPair::generate_ecdsa_p256().expect("ct key") }
    }

    fn spki(&self) -> Vec<u8> {
        self.key.public_key_der().expect("spki").as_bytes().to_vec()
    }

    /// The `ctlogs[]` entry of a trusted root.
    pub fn trusted_root_entry(&self) -> Value {
        json!({
            "baseUrl": "https://ct.test",
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": B64.encode(self.spki()),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": "2020-01-01T00:00:00Z"}
            },
            "logId": {"keyId": B64.encode(sha256(&self.spki()))}
        })
    }

    /// An RFC 6962 SCT list (TLS encoding) over the precertificate `tbs` issued by the key
    /// whose SPKI is `issuer_spki`.
    fn sct_list(&self, tbs: &[u8], issuer_spki: &[u8], timestamp_ms: u64) -> Vec<u8> {
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(&timestamp_ms.to_be_bytes());
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(&sha256(issuer_spki));
        let len = tbs.len();
        signed.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8]);
        signed.extend_from_slice(tbs);
        signed.extend_from_slice(&[0, 0]);
        let sig = sign(&self.key, &signed);
        let mut sct = vec![0u8];
        sct.extend_from_slice(&sha256(&self.spki()));
        sct.extend_from_slice(&timestamp_ms.to_be_bytes());
        sct.extend_from_slice(&[0, 0, 4, 3]);
        sct.extend_from_slice(&(sig.len() as u16).to_be_bytes());
        sct.extend_from_slice(&sig);
        let mut one = (sct.len() as u16).to_be_bytes().to_vec();
        one.extend_from_slice(&sct);
        let mut list = (one.len() as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&one);
        list
    }
}

/// A Fulcio-like certificate authority (a root, or an intermediate under one).
pub struct TestCa {
    key: rcgen::KeyPair,
    params: rcgen::CertificateParams,
    der: Vec<u8>,
    name: String,
}

/// A leaf certificate and its signing key.
pub struct TestLeaf {
    /// The leaf's key (sign payloads with [`sign`]).
    pub signer: KeyPair,
    /// The leaf, DER.
    pub der: Vec<u8>,
}

impl TestLeaf {
    /// The leaf, PEM.
    pub fn pem(&self) -> String {
        cert_pem(&self.der)
    }
}

fn ca_params(name: &str) -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "chainseal test");
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    params
}

impl TestCa {
    /// A self-signed root named `name`.
    pub fn root(name: &str) -> Self {
        let key = rcgen::KeyPair::generate().expect("ca key");
        let params = ca_params(name);
        let der = params.self_signed(&key).expect("ca").der().to_vec();
        Self { key, params, der, name: name.to_owned() }
    }

    /// An intermediate CA named `name` issued by this CA.
    pub fn intermediate(&self, name: &str) -> Self {
        let key = rcgen::KeyPair::generate().expect("ca key");
        let params = ca_params(name);
        let issuer = rcgen::Issuer::new(self.params.clone(), &self.key);
        let der = params.signed_by(&key, &issuer).expect("intermediate").der().to_vec();
        Self { key, params, der, name: name.to_owned() }
    }

    /// This CA's certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// A `certificateAuthorities[]` entry whose chain is `chain` (this CA first, root last).
    pub fn trusted_root_entry(chain: &[&TestCa]) -> Value {
        let certs: Vec<Value> = chain.iter().map(|c| json!({"rawBytes": B64.encode(&c.der)})).collect();
        json!({
            "subject": {"organization": "chainseal test", "commonName": chain.first().map(|c| c.name.as_str()).unwrap_or("")},
            "uri": "https://fulcio.test",
            "certChain": {"certificates": certs},
            "validFor": {"start": "2020-01-01T00:00:00Z"}
        })
    }

    /// A Fulcio-like leaf: URI SAN `san`, OIDC issuer `issuer` (`.1.8`), the extra extensions
    /// in `claims` (OID arcs and the extension's content bytes: [`utf8_der`] for `.1.8` on, raw
    /// bytes for the deprecated `.1.1`–`.1.6`), EKU code signing, valid from a day ago for two
    /// days, with one embedded SCT by `ct`. Panics on failure (test support).
    pub fn issue_leaf(&self, san: &str, issuer: &str, claims: &[(&[u64], Vec<u8>)], ct: &TestCt) -> TestLeaf {
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let now = jiff::Timestamp::now();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.serial_number = Some(rcgen::SerialNumber::from(now.as_nanosecond() as u64));
        params.subject_alt_names = vec![rcgen::SanType::URI(san.try_into().expect("uri SAN"))];
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::CodeSigning];
        let day = std::time::Duration::from_secs(86_400);
        let sys = std::time::SystemTime::now();
        params.not_before = (sys - day).into();
        params.not_after = (sys + day).into();
        params.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(OID_ISSUER_V2, utf8_der(issuer))];
        for (oid, value) in claims {
            params.custom_extensions.push(rcgen::CustomExtension::from_oid_content(oid, value.clone()));
        }
        let issuer_ca = rcgen::Issuer::new(self.params.clone(), &self.key);
        // The precertificate's TBS is the final TBS without the SCT extension: same params,
        // same serial and key, the SCT extension appended last.
        let pre = params.signed_by(&key, &issuer_ca).expect("precert").der().to_vec();
        let tbs = Certificate::from_der(&pre).expect("precert parses").tbs_certificate.to_der().expect("tbs");
        use rcgen::PublicKeyData as _;
        let issuer_spki = self.key.subject_public_key_info();
        let list = ct.sct_list(&tbs, &issuer_spki, (now.as_millisecond() - 1000) as u64);
        params.custom_extensions.push(rcgen::CustomExtension::from_oid_content(OID_SCT_LIST, octet_string(&list)));
        let der = params.signed_by(&key, &issuer_ca).expect("leaf").der().to_vec();
        let signer = KeyPair::from_pkcs8_der(&key.serialize_der()).expect("pkcs8");
        TestLeaf { signer, der }
    }
}

/// A `trusted_root.json` document trusting exactly these logs, CAs and CT logs.
pub fn trusted_root(logs: &[&TestLog], cas: &[Value], cts: &[&TestCt]) -> Value {
    json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": logs.iter().map(|l| l.trusted_root_entry()).collect::<Vec<_>>(),
        "certificateAuthorities": cas,
        "ctlogs": cts.iter().map(|c| c.trusted_root_entry()).collect::<Vec<_>>(),
        "timestampAuthorities": []
    })
}

/// A Rekor `hashedrekord` 0.0.1 body: `signature` over an artifact with SHA-256
/// `artifact_sha256`, by the key or certificate in `verifier_pem`.
pub fn hashedrekord_body(signature: &[u8], artifact_sha256: &[u8; 32], verifier_pem: &str) -> Vec<u8> {
    format!(
        r#"{{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{{"data":{{"hash":{{"algorithm":"sha256","value":"{}"}}}},"signature":{{"content":"{}","publicKey":{{"content":"{}"}}}}}}}}"#,
        hex::encode(artifact_sha256),
        B64.encode(signature),
        B64.encode(verifier_pem)
    )
    .into_bytes()
}

/// A Rekor `dsse` 0.0.1 body for an envelope with `payload` and one `signature` by
/// `verifier_pem`.
pub fn dsse_body(envelope_json: &[u8], payload: &[u8], signature: &[u8], verifier_pem: &str) -> Vec<u8> {
    json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hex::encode(sha256(envelope_json))},
            "payloadHash": {"algorithm": "sha256", "value": hex::encode(sha256(payload))},
            "signatures": [{"signature": B64.encode(signature), "verifier": B64.encode(verifier_pem)}]
        }
    })
    .to_string()
    .into_bytes()
}

/// A keyless DSSE bundle v0.3 (what cosign v3 `sign` stores as a referrer): `leaf` signs
/// PAE(in-toto, `statement`), logged by `log` as a `dsse` 0.0.1 entry one minute ago.
pub fn keyless_dsse_bundle(leaf: &TestLeaf, statement: &[u8], log: &TestLog) -> Value {
    let pae = crate::dsse::pae(crate::dsse::INTOTO_PAYLOAD_TYPE, statement);
    let sig = sign(&leaf.signer, &pae);
    let envelope = json!({
        "payload": B64.encode(statement),
        "payloadType": crate::dsse::INTOTO_PAYLOAD_TYPE,
        "signatures": [{"sig": B64.encode(&sig)}]
    });
    let envelope_json = envelope.to_string();
    let body = dsse_body(envelope_json.as_bytes(), statement, &sig, &leaf.pem());
    let time = jiff::Timestamp::now().as_second() - 60;
    json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": B64.encode(&leaf.der)},
            "tlogEntries": [log.entry("dsse", "0.0.1", &body, time)]
        },
        "dsseEnvelope": envelope
    })
}

/// The annotations of a keyless legacy `.sig` layer over `payload`: signature by `leaf`,
/// certificate, `chain` (PEM, intermediates … root) and a Rekor bundle (SET) by `log` for a
/// `hashedrekord` entry logged one minute ago.
pub fn keyless_legacy_annotations(
    leaf: &TestLeaf,
    chain: &[&[u8]],
    payload: &[u8],
    log: &TestLog,
) -> std::collections::BTreeMap<String, String> {
    let sig = sign(&leaf.signer, payload);
    let body = hashedrekord_body(&sig, &sha256(payload), &leaf.pem());
    let time = jiff::Timestamp::now().as_second() - 60;
    let chain_pem: String = chain.iter().map(|c| cert_pem(c)).collect();
    std::collections::BTreeMap::from([
        ("dev.cosignproject.cosign/signature".to_owned(), B64.encode(&sig)),
        ("dev.sigstore.cosign/certificate".to_owned(), leaf.pem()),
        ("dev.sigstore.cosign/chain".to_owned(), chain_pem),
        ("dev.sigstore.cosign/bundle".to_owned(), log.rekor_bundle_annotation(&body, time)),
    ])
}

/// A keyless legacy `.att` layer (what cosign v2 `attest` stores under the `.att` tag): the
/// DSSE envelope JSON over `statement` signed by `leaf` (the layer blob), and the layer's
/// annotations: an empty signature, the certificate, `chain` (PEM, intermediates … root), a
/// Rekor bundle (SET) by `log` for a `dsse` 0.0.1 entry logged one minute ago, and the
/// Statement's `predicateType`.
pub fn keyless_legacy_att(
    leaf: &TestLeaf,
    chain: &[&[u8]],
    statement: &[u8],
    log: &TestLog,
) -> (Vec<u8>, std::collections::BTreeMap<String, String>) {
    let sig = sign(&leaf.signer, &crate::dsse::pae(crate::dsse::INTOTO_PAYLOAD_TYPE, statement));
    let envelope = json!({
        "payloadType": crate::dsse::INTOTO_PAYLOAD_TYPE,
        "payload": B64.encode(statement),
        "signatures": [{"keyid": "", "sig": B64.encode(&sig)}]
    })
    .to_string()
    .into_bytes();
    let body = dsse_body(&envelope, statement, &sig, &leaf.pem());
    let time = jiff::Timestamp::now().as_second() - 60;
    let chain_pem: String = chain.iter().map(|c| cert_pem(c)).collect();
    let predicate_type = serde_json::from_slice::<Value>(statement)
        .ok()
        .and_then(|v| v["predicateType"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let annotations = std::collections::BTreeMap::from([
        ("dev.cosignproject.cosign/signature".to_owned(), String::new()),
        ("dev.sigstore.cosign/certificate".to_owned(), leaf.pem()),
        ("dev.sigstore.cosign/chain".to_owned(), chain_pem),
        ("dev.sigstore.cosign/bundle".to_owned(), log.rekor_bundle_annotation(&body, time)),
        ("predicateType".to_owned(), predicate_type),
    ]);
    (envelope, annotations)
}
