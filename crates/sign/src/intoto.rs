//! in-toto Statements: write v1, read v1 and v0.1 (in-toto/attestation `spec/v1/statement.md`,
//! `spec/v0.1.0`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// `_type` of in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of in-toto Statement v0.1 (what `cosign attest` still writes).
pub const STATEMENT_V0_1: &str = "https://in-toto.io/Statement/v0.1";
/// predicateType of cosign v3 image signatures.
pub const COSIGN_SIGN_PREDICATE_TYPE: &str = "https://sigstore.dev/cosign/sign/v1";

/// Largest Statement parsed.
pub const MAX_STATEMENT_BYTES: usize = 64 * 1024 * 1024;

/// A resource descriptor (a Statement subject).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResourceDescriptor {
    /// Name (required in v0.1, optional in v1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Digest set: algorithm → lowercase hex.
    #[serde(default)]
    pub digest: BTreeMap<String, String>,
    /// Media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Annotations (cosign v3 puts `-a k=v` pairs here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An in-toto Statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Statement {
    /// `https://in-toto.io/Statement/v1` or `…/v0.1`.
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// What the Statement is about.
    pub subject: Vec<ResourceDescriptor>,
    /// The predicate's type URI.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate (`{}` when there is nothing to say; the Go validator needs an object).
    #[serde(default)]
    pub predicate: serde_json::Value,
}

impl Statement {
    /// A v1 Statement.
    pub fn new_v1(
        subject: Vec<ResourceDescriptor>,
        predicate_type: impl Into<String>,
        predicate: serde_json::Value,
    ) -> Self {
        Self { statement_type: STATEMENT_V1.into(), subject, predicate_type: predicate_type.into(), predicate }
    }

    /// The Statement cosign v3 `sign` signs for an image: v1, one subject with only the
    /// manifest's sha256 digest and the `-a` annotations, predicateType
    /// `https://sigstore.dev/cosign/sign/v1`, predicate `{}`.
    pub fn cosign_image_signature(manifest_sha256_hex: &str, annotations: &BTreeMap<String, String>) -> Self {
        let annotations = (!annotations.is_empty())
            .then(|| annotations.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect());
        let subject = ResourceDescriptor {
            digest: BTreeMap::from([("sha256".to_owned(), manifest_sha256_hex.to_owned())]),
            annotations,
            ..Default::default()
        };
        Self::new_v1(vec![subject], COSIGN_SIGN_PREDICATE_TYPE, serde_json::Value::Object(Default::default()))
    }

    /// Compact JSON bytes (the DSSE payload).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parse and shape-check a Statement (v1 or v0.1): at least one subject, every subject with
    /// a non-empty digest set, v0.1 subjects named, a predicate type.
    pub fn parse(json: &[u8]) -> Result<Self> {
        let bad = |why: String| Error::Invalid { what: "in-toto Statement", reason: why };
        if json.len() > MAX_STATEMENT_BYTES {
            return Err(bad(format!("larger than {MAX_STATEMENT_BYTES} bytes")));
        }
        let s: Statement = serde_json::from_slice(json).map_err(|e| bad(e.to_string()))?;
        let v01 = match s.statement_type.as_str() {
            STATEMENT_V1 => false,
            STATEMENT_V0_1 => true,
            other => return Err(bad(format!("unknown _type `{other}`"))),
        };
        if s.subject.is_empty() {
            return Err(bad("no subject".into()));
        }
        for sub in &s.subject {
            if sub.digest.is_empty() || sub.digest.values().any(String::is_empty) {
                return Err(bad("a subject has no digest".into()));
            }
            if v01 && sub.name.as_deref().is_none_or(str::is_empty) {
                return Err(bad("a v0.1 subject has no name".into()));
            }
        }
        if s.predicate_type.is_empty() {
            return Err(bad("empty predicateType".into()));
        }
        Ok(s)
    }

    /// The subjects whose digest set has `algorithm` = `hex` (exact, lowercase expected).
    pub fn subjects_matching<'a>(
        &'a self,
        algorithm: &'a str,
        hex: &'a str,
    ) -> impl Iterator<Item = &'a ResourceDescriptor> + 'a {
        self.subject.iter().filter(move |s| s.digest.get(algorithm).is_some_and(|d| d == hex))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "97fc222cee7991b5b061d4d4afdb5f3428fcb0c9054e1690313786befa1e4e36";

    #[test]
    fn cosign_sign_statement_shape() {
        let s = Statement::cosign_image_signature(HEX, &BTreeMap::new());
        let json = String::from_utf8(s.to_json()).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"digest":{{"sha256":"{HEX}"}}}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{{}}}}"#
            )
        );
        let with = Statement::cosign_image_signature(HEX, &BTreeMap::from([("env".to_owned(), "prod".to_owned())]));
        let json = String::from_utf8(with.to_json()).unwrap();
        assert!(json.contains(r#""annotations":{"env":"prod"}"#));
        assert_eq!(Statement::parse(json.as_bytes()).unwrap(), with);
    }

    #[test]
    fn reads_cosign_attest_v01() {
        let j = br#"{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://cosign.sigstore.dev/attestation/v1","subject":[{"name":"127.0.0.1:60943/repo","digest":{"sha256":"abcd"}}],"predicate":{"Data":"x","Timestamp":"2025-02-28T19:18:11Z"}}"#;
        let s = Statement::parse(j).unwrap();
        assert_eq!(s.subjects_matching("sha256", "abcd").count(), 1);
        assert_eq!(s.subjects_matching("sha256", "abce").count(), 0);
        assert_eq!(s.subjects_matching("sha512", "abcd").count(), 0);
    }

    #[test]
    fn refuses_malformed_statements() {
        for j in [
            &br#"{"_type":"https://in-toto.io/Statement/v2","subject":[{"digest":{"sha256":"a"}}],"predicateType":"p"}"#[..],
            br#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"p"}"#,
            br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{}}],"predicateType":"p"}"#,
            br#"{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"digest":{"sha256":"a"}}],"predicateType":"p"}"#,
            br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"a"}}],"predicateType":""}"#,
            b"not json",
        ] {
            assert!(Statement::parse(j).is_err(), "{}", String::from_utf8_lossy(j));
        }
    }
}
