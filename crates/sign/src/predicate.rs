//! in-toto predicate types: the names `--type` accepts (cosign's), how a requested type matches
//! a Statement's `predicateType` (versioned spellings included), and how a predicate file
//! becomes the Statement's `predicate` (cosign `pkg/cosign/attestation/attestation.go`).
//!
//! | name | predicateType written | matched when verifying |
//! |---|---|---|
//! | `custom` | `https://cosign.sigstore.dev/attestation/v1` (file wrapped as `{"Data", "Timestamp"}`) | exact |
//! | `cyclonedx` | `https://cyclonedx.org/bom` | `…/bom` and `…/bom/v<version>` |
//! | `spdx`, `spdxjson` | `https://spdx.dev/Document` | `…/Document` and `…/Document/v<version>` |
//! | `slsaprovenance`, `slsaprovenance1` | `https://slsa.dev/provenance/v1` | `slsaprovenance`: v1 **and** v0.2; `slsaprovenance1`: v1 |
//! | `slsaprovenance02` | `https://slsa.dev/provenance/v0.2` | v0.2 |
//! | `link`, `vuln`, `openvex` | cosign's URIs | exact (and versioned) |
//! | any URI | the URI | the URI, or the URI followed by `/v<version>` |
//!
//! Note: cosign maps `--type slsaprovenance` to v0.2; chainseal writes v1 for it (the current
//! SLSA version) and accepts both when verifying. Use `slsaprovenance02` to write v0.2.

use serde_json::Value;

use crate::error::{Error, Result};

/// cosign's custom predicate type (`--type custom`, the default of `cosign attest`).
pub const COSIGN_CUSTOM: &str = "https://cosign.sigstore.dev/attestation/v1";
/// CycloneDX BOM.
pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";
/// SPDX document.
pub const SPDX: &str = "https://spdx.dev/Document";
/// SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// SLSA provenance v0.2.
pub const SLSA_PROVENANCE_V02: &str = "https://slsa.dev/provenance/v0.2";
/// in-toto link.
pub const LINK: &str = "https://in-toto.io/Link/v1";
/// cosign vulnerability scan.
pub const VULN: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";
/// OpenVEX.
pub const OPENVEX: &str = "https://openvex.dev/ns";

/// Largest predicate file accepted.
pub const MAX_PREDICATE_BYTES: usize = 64 * 1024 * 1024;

/// A predicate type as the user named it, resolved to the URI written and the rule used to
/// match Statements when verifying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredicateType {
    name: String,
    uri: String,
    also: Vec<&'static str>,
}

impl PredicateType {
    /// Resolve `--type`: a cosign name (case-insensitive) or an absolute URI
    /// (`scheme:` followed by something, no whitespace).
    pub fn parse(name: &str) -> Result<Self> {
        let lower = name.to_ascii_lowercase();
        let (uri, also): (&str, Vec<&'static str>) = match lower.as_str() {
            "custom" => (COSIGN_CUSTOM, vec![]),
            "cyclonedx" => (CYCLONEDX, vec![]),
            "spdx" | "spdxjson" => (SPDX, vec![]),
            "slsaprovenance" => (SLSA_PROVENANCE_V1, vec![SLSA_PROVENANCE_V02]),
            "slsaprovenance1" => (SLSA_PROVENANCE_V1, vec![]),
            "slsaprovenance02" => (SLSA_PROVENANCE_V02, vec![]),
            "link" => (LINK, vec![]),
            "vuln" => (VULN, vec![]),
            "openvex" => (OPENVEX, vec![]),
            _ => {
                if !is_uri(name) {
                    return Err(Error::Invalid {
                        what: "predicate type",
                        reason: format!(
                            "`{name}` is neither a known type (custom, cyclonedx, spdx, spdxjson, \
                             slsaprovenance, slsaprovenance1, slsaprovenance02, link, vuln, openvex) \
                             nor an absolute URI"
                        ),
                    });
                }
                return Ok(Self { name: name.to_owned(), uri: name.to_owned(), also: vec![] });
            }
        };
        Ok(Self { name: lower, uri: uri.to_owned(), also })
    }

    /// The predicateType URI written into Statements.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The name as given (lowercased for known names).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Does a Statement's `predicateType` match this type? Exact, or the URI followed by a
    /// version segment `/v<digits and dots>` (`https://cyclonedx.org/bom/v1.4`,
    /// `https://spdx.dev/Document/v2.3`).
    pub fn matches(&self, statement_type: &str) -> bool {
        std::iter::once(self.uri.as_str())
            .chain(self.also.iter().copied())
            .any(|base| versioned_match(base, statement_type))
    }

    /// Turn predicate file bytes into the Statement's predicate. `custom` wraps the file as
    /// `{"Data": "<text>", "Timestamp": "<RFC 3339>"}`; every other type needs JSON and checks
    /// the document looks like what its type promises (a CycloneDX BOM, an SPDX document, a
    /// SLSA provenance).
    pub fn predicate_from_file(&self, bytes: &[u8], timestamp: &str) -> Result<Value> {
        let bad = |reason: String| Error::Invalid { what: "predicate", reason };
        if bytes.len() > MAX_PREDICATE_BYTES {
            return Err(bad(format!("larger than {MAX_PREDICATE_BYTES} bytes")));
        }
        if self.uri == COSIGN_CUSTOM {
            let text = std::str::from_utf8(bytes).map_err(|_| bad("a custom predicate must be UTF-8 text".into()))?;
            return Ok(serde_json::json!({"Data": text, "Timestamp": timestamp}));
        }
        let mut value: Value =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("a {} predicate must be JSON: {e}", self.name)))?;
        if self.uri == SLSA_PROVENANCE_V1 {
            // cosign rewrites the old spelling (in-toto-golang's v1 model has `invocationId`).
            rename_key(&mut value, "invocationID", "invocationId");
        }
        check_shape(&self.uri, &value)?;
        Ok(value)
    }
}

impl std::fmt::Display for PredicateType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.uri)
    }
}

fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    !rest.is_empty()
        && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !s.chars().any(char::is_whitespace)
}

fn versioned_match(base: &str, statement_type: &str) -> bool {
    if statement_type == base {
        return true;
    }
    let Some(rest) = statement_type.strip_prefix(base).and_then(|r| r.strip_prefix("/v")) else {
        return false;
    };
    !rest.is_empty()
        && rest.starts_with(|c: char| c.is_ascii_digit())
        && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn rename_key(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::Object(map) => {
            if let Some(x) = map.remove(from) {
                map.entry(to.to_owned()).or_insert(x);
            }
            map.values_mut().for_each(|c| rename_key(c, from, to));
        }
        Value::Array(a) => a.iter_mut().for_each(|c| rename_key(c, from, to)),
        _ => {}
    }
}

/// Check a predicate document has the shape its type promises.
pub fn check_shape(uri: &str, value: &Value) -> Result<()> {
    let bad = |reason: String| Error::Invalid { what: "predicate", reason };
    let is_type = |base: &str| versioned_match(base, uri);
    if is_type(CYCLONEDX) {
        if value.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
            return Err(bad("not a CycloneDX JSON BOM (bomFormat is not \"CycloneDX\")".into()));
        }
    } else if is_type(SPDX) {
        let spdx2 = value.get("spdxVersion").and_then(Value::as_str).is_some_and(|v| v.starts_with("SPDX-"));
        let spdx3 = value.get("@context").is_some() && value.get("@graph").is_some();
        if !spdx2 && !spdx3 {
            return Err(bad("not an SPDX JSON document (no spdxVersion, no SPDX 3 @context/@graph)".into()));
        }
    } else if is_type(SLSA_PROVENANCE_V1) {
        let build_type = value.pointer("/buildDefinition/buildType").and_then(Value::as_str);
        let builder = value.pointer("/runDetails/builder/id").and_then(Value::as_str);
        if build_type.is_none_or(str::is_empty) || builder.is_none_or(str::is_empty) {
            return Err(bad(
                "not a SLSA provenance v1 predicate (buildDefinition.buildType and runDetails.builder.id are required)"
                    .into(),
            ));
        }
    } else if is_type(SLSA_PROVENANCE_V02) {
        if value.pointer("/builder/id").and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(bad("not a SLSA provenance v0.2 predicate (builder.id is required)".into()));
        }
    } else if !value.is_object() {
        return Err(bad("the predicate must be a JSON object".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_like_cosign() {
        assert_eq!(PredicateType::parse("cyclonedx").unwrap().uri(), CYCLONEDX);
        assert_eq!(PredicateType::parse("SPDXJSON").unwrap().uri(), SPDX);
        assert_eq!(PredicateType::parse("custom").unwrap().uri(), COSIGN_CUSTOM);
        assert_eq!(PredicateType::parse("slsaprovenance").unwrap().uri(), SLSA_PROVENANCE_V1);
        assert_eq!(PredicateType::parse("slsaprovenance02").unwrap().uri(), SLSA_PROVENANCE_V02);
        assert_eq!(PredicateType::parse("https://example.com/p/v1").unwrap().uri(), "https://example.com/p/v1");
        assert!(PredicateType::parse("sbom").is_err());
        assert!(PredicateType::parse("https://a b").is_err());
        assert!(PredicateType::parse("").is_err());
    }

    #[test]
    fn versioned_spellings_match() {
        let cdx = PredicateType::parse("cyclonedx").unwrap();
        assert!(cdx.matches("https://cyclonedx.org/bom"));
        assert!(cdx.matches("https://cyclonedx.org/bom/v1.4"));
        assert!(cdx.matches("https://cyclonedx.org/bom/v1.6"));
        assert!(!cdx.matches("https://cyclonedx.org/bomb"));
        assert!(!cdx.matches("https://cyclonedx.org/bom/vx"));
        assert!(!cdx.matches("https://cyclonedx.org/bom/v"));
        assert!(!cdx.matches("https://cyclonedx.org/bom/v1/../x"));
        assert!(!cdx.matches("https://spdx.dev/Document"));
        let spdx = PredicateType::parse("spdx").unwrap();
        assert!(spdx.matches("https://spdx.dev/Document/v2.3") && spdx.matches("https://spdx.dev/Document/v3"));
        let slsa = PredicateType::parse("slsaprovenance").unwrap();
        assert!(slsa.matches(SLSA_PROVENANCE_V1) && slsa.matches(SLSA_PROVENANCE_V02));
        let slsa1 = PredicateType::parse("slsaprovenance1").unwrap();
        assert!(slsa1.matches(SLSA_PROVENANCE_V1) && !slsa1.matches(SLSA_PROVENANCE_V02));
        let custom = PredicateType::parse("custom").unwrap();
        assert!(!custom.matches(CYCLONEDX));
    }

    #[test]
    fn custom_predicate_is_wrapped() {
        let t = PredicateType::parse("custom").unwrap();
        let p = t.predicate_from_file(b"{\"foo\": \"bar\"}\n", "2025-02-28T19:18:11Z").unwrap();
        assert_eq!(p, serde_json::json!({"Data": "{\"foo\": \"bar\"}\n", "Timestamp": "2025-02-28T19:18:11Z"}));
        assert!(t.predicate_from_file(&[0xff, 0xfe], "t").is_err());
    }

    #[test]
    fn typed_predicates_are_shape_checked() {
        let cdx = PredicateType::parse("cyclonedx").unwrap();
        assert!(cdx.predicate_from_file(br#"{"bomFormat":"CycloneDX","specVersion":"1.6"}"#, "t").is_ok());
        assert!(cdx.predicate_from_file(br#"{"spdxVersion":"SPDX-2.3"}"#, "t").is_err());
        assert!(cdx.predicate_from_file(b"not json", "t").is_err());
        let spdx = PredicateType::parse("spdx").unwrap();
        assert!(spdx.predicate_from_file(br#"{"spdxVersion":"SPDX-2.3"}"#, "t").is_ok());
        assert!(spdx.predicate_from_file(br#"{"bomFormat":"CycloneDX"}"#, "t").is_err());
        let slsa = PredicateType::parse("slsaprovenance").unwrap();
        let p = slsa
            .predicate_from_file(
                br#"{"buildDefinition":{"buildType":"b"},"runDetails":{"builder":{"id":"x"},"metadata":{"invocationID":"1"}}}"#,
                "t",
            )
            .unwrap();
        assert_eq!(p.pointer("/runDetails/metadata/invocationId").unwrap(), "1");
        assert!(slsa.predicate_from_file(br#"{"buildDefinition":{}}"#, "t").is_err());
        let any = PredicateType::parse("https://example.com/x").unwrap();
        assert!(any.predicate_from_file(b"[1]", "t").is_err());
        assert!(any.predicate_from_file(b"{}", "t").is_ok());
    }
}
