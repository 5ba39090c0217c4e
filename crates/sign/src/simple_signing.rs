//! cosign's simple-signing payload (legacy `.sig` layers), byte for byte.
//!
//! Defined by sigstore/sigstore `pkg/signature/payload/payload.go` and written with Go's
//! `json.Marshal`: compact, struct fields in declaration order, map keys sorted, `"optional":null`
//! without annotations, and Go's string escaping (`<`, `>`, `&`, U+2028, U+2029 as `\u….`).
//! serde_json escapes differently, hence the small hand-written writer below.
//! ```json
//! {"critical":{"identity":{"docker-reference":"example.com/test/image"},"image":{"docker-manifest-digest":"sha256:…"},"type":"cosign container image signature"},"optional":null}
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};

/// `critical.type` of every cosign image signature.
pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";
/// Media type of the `.sig` layer holding the payload.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// Largest payload parsed.
pub const MAX_PAYLOAD_BYTES: usize = 1024 * 1024;

/// A simple-signing payload.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimpleSigning {
    /// `critical.identity.docker-reference`: the registry-normalised repository, no tag/digest.
    pub docker_reference: String,
    /// `critical.image.docker-manifest-digest`: `sha256:<hex>` of the signed manifest.
    pub manifest_digest: String,
    /// `optional`: the `-a` annotations (`None` is written as `null`).
    pub optional: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct Wire {
    critical: Critical,
    #[serde(default)]
    optional: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct Critical {
    identity: Identity,
    image: Image,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: String,
}

#[derive(Deserialize)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

impl SimpleSigning {
    /// The payload cosign writes for `docker_reference` (repository, registry-normalised)
    /// signed at `manifest_digest`, with string annotations (empty ⇒ `"optional":null`).
    pub fn new(
        docker_reference: impl Into<String>,
        manifest_digest: impl Into<String>,
        annotations: &BTreeMap<String, String>,
    ) -> Self {
        let optional = (!annotations.is_empty())
            .then(|| annotations.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect());
        Self { docker_reference: docker_reference.into(), manifest_digest: manifest_digest.into(), optional }
    }

    /// The exact bytes Go's `json.Marshal` produces for this payload.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(256);
        out.push_str(r#"{"critical":{"identity":{"docker-reference":"#);
        go_string(&self.docker_reference, &mut out);
        out.push_str(r#"},"image":{"docker-manifest-digest":"#);
        go_string(&self.manifest_digest, &mut out);
        out.push_str(r#"},"type":"#);
        go_string(SIMPLE_SIGNING_TYPE, &mut out);
        out.push_str(r#"},"optional":"#);
        match &self.optional {
            None => out.push_str("null"),
            Some(map) => go_object(map, &mut out),
        }
        out.push('}');
        out.into_bytes()
    }

    /// Parse a payload; refuses anything whose `critical.type` is not cosign's.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let bad = |why: String| Error::Invalid { what: "simple-signing payload", reason: why };
        if bytes.len() > MAX_PAYLOAD_BYTES {
            return Err(bad(format!("larger than {MAX_PAYLOAD_BYTES} bytes")));
        }
        let w: Wire = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if w.critical.kind != SIMPLE_SIGNING_TYPE {
            return Err(bad(format!("critical.type is `{}`, expected `{SIMPLE_SIGNING_TYPE}`", w.critical.kind)));
        }
        Ok(Self {
            docker_reference: w.critical.identity.docker_reference,
            manifest_digest: w.critical.image.docker_manifest_digest,
            optional: w.optional,
        })
    }

    /// Check that the payload names `expected_digest` (`sha256:<hex>`) and carries every
    /// `required` annotation with a string value equal to the one given.
    pub fn check(&self, expected_digest: &str, required: &BTreeMap<String, String>) -> Result<()> {
        if self.manifest_digest != expected_digest {
            return Err(Error::PayloadMismatch(format!(
                "the payload signs {} but the image is {expected_digest}",
                self.manifest_digest
            )));
        }
        check_annotations(self.optional.as_ref(), required)
    }
}

/// Check that `have` contains every `required` key with an equal string value (cosign's
/// `correctAnnotations`; non-string values never match a `-a k=v` requirement).
pub fn check_annotations(
    have: Option<&serde_json::Map<String, serde_json::Value>>,
    required: &BTreeMap<String, String>,
) -> Result<()> {
    for (k, v) in required {
        match have.and_then(|m| m.get(k)) {
            Some(serde_json::Value::String(s)) if s == v => {}
            Some(other) => {
                return Err(Error::PayloadMismatch(format!("annotation {k} is {other}, required \"{v}\"")));
            }
            None => {
                return Err(Error::PayloadMismatch(format!("required annotation {k} is missing")));
            }
        }
    }
    Ok(())
}

/// Write `s` as Go's `encoding/json` does with HTML escaping on.
fn go_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{0}'..='\u{1f}' => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xf) as usize] as char);
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go marshals `map[string]interface{}` with sorted keys, recursively.
fn go_value(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Integers print the same in Go; floats are as serde_json prints them (cosign's own
        // annotations are strings, so this only matters for payloads we did not create).
        serde_json::Value::Number(n) => out.push_str(&n.to_string()),
        serde_json::Value::String(s) => go_string(s, out),
        serde_json::Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_value(x, out);
            }
            out.push(']');
        }
        serde_json::Value::Object(m) => go_object(m, out),
    }
}

fn go_object(m: &serde_json::Map<String, serde_json::Value>, out: &mut String) {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    out.push('{');
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_string(k, out);
        out.push(':');
        if let Some(v) = m.get(k) {
            go_value(v, out);
        }
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_md_vector_without_annotations() {
        let p = SimpleSigning::new(
            "example.com/test/image",
            "sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f",
            &BTreeMap::new(),
        );
        assert_eq!(
            String::from_utf8(p.to_bytes()).unwrap(),
            r#"{"critical":{"identity":{"docker-reference":"example.com/test/image"},"image":{"docker-manifest-digest":"sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f"},"type":"cosign container image signature"},"optional":null}"#
        );
    }

    #[test]
    fn cosign_obsolete_payload_vector() {
        // cosign pkg/cosign/obsolete_test.go TestObsoletePayload.
        let p = SimpleSigning::new(
            "index.docker.io/namespace/image",
            "sha256:4aa3054270f7a70b4528f2064ee90961788e1e1518703592ae4463de3b889dec",
            &BTreeMap::new(),
        );
        assert_eq!(
            String::from_utf8(p.to_bytes()).unwrap(),
            r#"{"critical":{"identity":{"docker-reference":"index.docker.io/namespace/image"},"image":{"docker-manifest-digest":"sha256:4aa3054270f7a70b4528f2064ee90961788e1e1518703592ae4463de3b889dec"},"type":"cosign container image signature"},"optional":null}"#
        );
    }

    #[test]
    fn annotations_sorted_and_go_escaped() {
        let ann = BTreeMap::from([
            ("timestamp".to_owned(), "1458239713".to_owned()),
            ("creator".to_owned(), "atomic".to_owned()),
            ("x".to_owned(), "<a&b>\u{2028}\"\\\n\u{1}".to_owned()),
        ]);
        let p = SimpleSigning::new("r", "sha256:00", &ann);
        let s = String::from_utf8(p.to_bytes()).unwrap();
        assert!(
            s.ends_with(
                r#""optional":{"creator":"atomic","timestamp":"1458239713","x":"\u003ca\u0026b\u003e\u2028\"\\\n\u0001"}}"#
            ),
            "{s}"
        );
        // Parsing gives the same values back.
        assert_eq!(SimpleSigning::parse(s.as_bytes()).unwrap(), p);
    }

    #[test]
    fn numeric_annotations_stay_numbers() {
        let raw = br#"{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"sha256:00"},"type":"cosign container image signature"},"optional":{"timestamp":1458239713,"creator":"atomic"}}"#;
        let p = SimpleSigning::parse(raw).unwrap();
        let s = String::from_utf8(p.to_bytes()).unwrap();
        assert!(s.ends_with(r#""optional":{"creator":"atomic","timestamp":1458239713}}"#));
    }

    #[test]
    fn refuses_other_types_and_malformed() {
        let atomic = br#"{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"sha256:00"},"type":"atomic container signature"},"optional":null}"#;
        assert!(SimpleSigning::parse(atomic).is_err());
        let dup = br#"{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"sha256:00","docker-manifest-digest":"sha256:11"},"type":"cosign container image signature"},"optional":null}"#;
        assert!(SimpleSigning::parse(dup).is_err());
        let capital = br#"{"critical":{"identity":{"docker-reference":"r"},"image":{"Docker-manifest-digest":"sha256:00"},"type":"cosign container image signature"},"optional":null}"#;
        assert!(SimpleSigning::parse(capital).is_err());
        assert!(SimpleSigning::parse(b"{}").is_err());
        assert!(SimpleSigning::parse(b"").is_err());
    }

    #[test]
    fn check_digest_and_annotations() {
        let p = SimpleSigning::new("r", "sha256:aa", &BTreeMap::from([("env".to_owned(), "prod".to_owned())]));
        p.check("sha256:aa", &BTreeMap::new()).unwrap();
        p.check("sha256:aa", &BTreeMap::from([("env".to_owned(), "prod".to_owned())])).unwrap();
        assert!(p.check("sha256:bb", &BTreeMap::new()).is_err());
        assert!(p.check("sha256:aa", &BTreeMap::from([("env".into(), "dev".into())])).is_err());
        assert!(p.check("sha256:aa", &BTreeMap::from([("team".into(), "x".into())])).is_err());
        let none = SimpleSigning::new("r", "sha256:aa", &BTreeMap::new());
        assert!(none.check("sha256:aa", &BTreeMap::from([("env".into(), "prod".into())])).is_err());
    }
}
