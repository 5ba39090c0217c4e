//! SBOM document formats: writers (CycloneDX 1.6 / 1.5 JSON, SPDX 2.3 JSON, SPDX 3.0.1
//! JSON-LD) and readers (CycloneDX and SPDX JSON, including syft's output) for the model.
//!
//! Documents are built as `serde_json` values in a fixed field order (the workspace enables
//! `preserve_order`) from a normalised [`Sbom`], so equal models give byte-identical output.

mod cyclonedx;
mod read;
mod spdx2;
mod spdx3;

use crate::error::{Error, Result};
use crate::model::Sbom;

pub use read::read;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// CycloneDX 1.6 JSON (`cyclonedx-json`, the default).
    CycloneDxJson16,
    /// CycloneDX 1.5 JSON (`cyclonedx-json@1.5`).
    CycloneDxJson15,
    /// SPDX 2.3 JSON (`spdx-json`).
    SpdxJson23,
    /// SPDX 3.0.1 JSON-LD (`spdx3-json-ld`).
    Spdx3JsonLd,
}

impl Format {
    /// Every format with its canonical name, for help texts.
    pub const ALL: [(Format, &'static str); 4] = [
        (Format::CycloneDxJson16, "cyclonedx-json"),
        (Format::CycloneDxJson15, "cyclonedx-json@1.5"),
        (Format::SpdxJson23, "spdx-json"),
        (Format::Spdx3JsonLd, "spdx3-json-ld"),
    ];

    /// Parse a format name: `cyclonedx-json[@1.6|@1.5]`, `spdx-json[@2.3]`,
    /// `spdx3-json-ld` (also `spdx-json@3.0`, `spdx-json@3.0.1`, `spdx3`).
    pub fn parse(name: &str) -> Result<Format> {
        let n = name.trim().to_ascii_lowercase();
        Ok(match n.as_str() {
            "cyclonedx-json" | "cyclonedx" | "cdx" | "cyclonedx-json@1.6" | "cdx-json" => Format::CycloneDxJson16,
            "cyclonedx-json@1.5" | "cyclonedx@1.5" => Format::CycloneDxJson15,
            "spdx-json" | "spdx" | "spdx-json@2.3" | "spdx@2.3" => Format::SpdxJson23,
            "spdx3-json-ld" | "spdx3" | "spdx-json@3.0" | "spdx-json@3.0.1" | "spdx3-json" | "spdx-jsonld" => {
                Format::Spdx3JsonLd
            }
            _ => return Err(Error::UnknownFormat(name.to_string())),
        })
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        Format::ALL.iter().find(|(f, _)| *f == self).map(|(_, n)| *n).unwrap_or("cyclonedx-json")
    }

    /// The in-toto predicate type for an attestation carrying this document.
    pub fn predicate_type(self) -> &'static str {
        match self {
            Format::CycloneDxJson16 | Format::CycloneDxJson15 => "https://cyclonedx.org/bom",
            Format::SpdxJson23 | Format::Spdx3JsonLd => "https://spdx.dev/Document",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Write `sbom` in `format` (pretty JSON, trailing newline). The model is normalised first.
pub fn write(sbom: &Sbom, format: Format) -> Vec<u8> {
    let mut s = sbom.clone();
    s.normalize();
    let doc = match format {
        Format::CycloneDxJson16 => cyclonedx::write(&s, cyclonedx::Version::V16),
        Format::CycloneDxJson15 => cyclonedx::write(&s, cyclonedx::Version::V15),
        Format::SpdxJson23 => spdx2::write(&s),
        Format::Spdx3JsonLd => spdx3::write(&s),
    };
    let mut out = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    out.push(b'\n');
    out
}

/// RFC 3339 UTC timestamp (seconds precision) for seconds since the epoch; out-of-range values clamp to the epoch.
pub fn rfc3339(secs: i64) -> String {
    let ts = jiff::Timestamp::from_second(secs).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A UUID (version 5 layout, RFC 9562) from content bytes, lower-case hex with dashes.
pub(crate) fn uuid_from(content: &[u8]) -> String {
    use sha2::Digest as _;
    let d = sha2::Sha256::digest(content);
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// A stable fingerprint of the model's content, for serial numbers and namespaces.
pub(crate) fn fingerprint(sbom: &Sbom) -> String {
    let mut s = String::new();
    s.push_str(&sbom.source.id());
    s.push('\n');
    s.push_str(&sbom.created);
    for c in &sbom.components {
        s.push('\n');
        s.push_str(&c.id);
        s.push(' ');
        s.push_str(&c.version);
        for l in &c.locations {
            s.push(' ');
            s.push_str(&l.path);
        }
    }
    for r in &sbom.relationships {
        s.push_str(&format!("\n{}>{}", r.from, r.to));
    }
    uuid_from(s.as_bytes())
}

/// Split "Name <email>" into name and email.
pub(crate) fn name_email(s: &str) -> (String, Option<String>) {
    match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => {
            let name = s[..a].trim().to_string();
            let email = s[a + 1..b].trim().to_string();
            (if name.is_empty() { email.clone() } else { name }, (!email.is_empty()).then_some(email))
        }
        _ => (s.trim().to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_time() {
        assert_eq!(Format::parse("cyclonedx-json").ok(), Some(Format::CycloneDxJson16));
        assert_eq!(Format::parse("SPDX-JSON@3.0").ok(), Some(Format::Spdx3JsonLd));
        assert!(Format::parse("xml").is_err());
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        let u = uuid_from(b"x");
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "5");
    }
}
