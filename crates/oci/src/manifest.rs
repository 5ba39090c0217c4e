//! OCI and Docker manifests, indexes and descriptors.
//!
//! Parsed models are for reading; anything chainseal pushes or signs is addressed by its exact
//! bytes ([`RawManifest`]), never by a re-serialisation of these structs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::media_type;

/// Largest manifest chainseal accepts by default (the distribution spec suggests 4 MiB).
pub const DEFAULT_MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// A content descriptor: what a manifest uses to point at a blob or another manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    pub media_type: String,
    /// Digest of the referenced content.
    pub digest: Digest,
    /// Size in bytes of the referenced content.
    pub size: u64,
    /// Artifact type, for artifacts and referrers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Platform, in index entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Alternate download locations (foreign layers); chainseal never follows them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
}

impl Descriptor {
    /// A descriptor for `bytes` of `media_type`.
    pub fn for_bytes(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest: Digest::sha256_of(bytes),
            size: bytes.len() as u64,
            artifact_type: None,
            annotations: None,
            platform: None,
            urls: None,
        }
    }

    /// One annotation value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref().and_then(|a| a.get(key)).map(String::as_str)
    }
}

/// The platform of an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// CPU architecture (`amd64`, `arm64` …).
    pub architecture: String,
    /// Operating system (`linux` …).
    pub os: String,
    /// CPU variant (`v8` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// OS version (Windows).
    #[serde(default, rename = "os.version", skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
}

impl Platform {
    /// Parse `os/arch[/variant]`, as `--platform` takes it.
    pub fn parse(s: &str) -> Result<Platform> {
        let parts: Vec<&str> = s.split('/').collect();
        let bad =
            || Error::InvalidManifest(format!("invalid platform {s:?}: expected os/arch[/variant], e.g. linux/amd64"));
        if parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        match parts.as_slice() {
            [os, arch] => {
                Ok(Platform { os: os.to_string(), architecture: arch.to_string(), variant: None, os_version: None })
            }
            [os, arch, variant] => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(variant.to_string()),
                os_version: None,
            }),
            _ => Err(bad()),
        }
    }

    /// Does this platform satisfy `wanted`? A wanted variant must match; an unspecified one
    /// matches any (as docker does for `linux/arm64` against `linux/arm64/v8`).
    pub fn matches(&self, wanted: &Platform) -> bool {
        self.os == wanted.os
            && self.architecture == wanted.architecture
            && (wanted.variant.is_none() || self.variant == wanted.variant)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// An image manifest (OCI or Docker schema 2); also the shape of OCI artifacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// Media type, if the manifest names one (umoci and skopeo omit it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Artifact type of an artifact manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers, base first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl ImageManifest {
    /// The artifact type as the referrers API reports it: `artifactType`, else the config media type.
    pub fn effective_artifact_type(&self) -> &str {
        self.artifact_type.as_deref().unwrap_or(&self.config.media_type)
    }
}

/// An image index (OCI) or manifest list (Docker).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Always 2.
    pub schema_version: u32,
    /// Media type, if named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Artifact type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The entries.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    /// The manifest this index refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl ImageIndex {
    /// An empty OCI index (what the referrers API returns when nothing refers to a digest).
    pub fn empty() -> ImageIndex {
        ImageIndex {
            schema_version: 2,
            media_type: Some(media_type::OCI_INDEX.to_string()),
            artifact_type: None,
            manifests: Vec::new(),
            subject: None,
            annotations: None,
        }
    }
}

/// A parsed manifest of either kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    /// A single-platform image (or an artifact).
    Image(ImageManifest),
    /// A multi-platform index or manifest list.
    Index(ImageIndex),
}

/// A manifest as bytes, with the media type it was served or stored with and its digest.
///
/// The digest is always computed over `bytes`; what chainseal signs, pushes and copies is these
/// bytes, unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawManifest {
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// The media type (from the document, else the Content-Type, else inferred from structure).
    pub media_type: String,
    /// Digest of `bytes`.
    pub digest: Digest,
}

impl RawManifest {
    /// Wrap `bytes`, deciding the media type from the document's `mediaType`, then the
    /// `content_type` it was served with, then its structure. Refuses documents whose
    /// `mediaType` disagrees with the Content-Type, schema 1, and non-manifests.
    pub fn from_bytes(bytes: Vec<u8>, content_type: Option<&str>) -> Result<RawManifest> {
        if bytes.len() > DEFAULT_MAX_MANIFEST_BYTES {
            return Err(Error::LimitExceeded {
                what: "manifest".into(),
                limit: DEFAULT_MAX_MANIFEST_BYTES as u64,
                unit: "bytes",
            });
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Probe {
            schema_version: Option<serde_json::Value>,
            media_type: Option<String>,
            manifests: Option<serde_json::Value>,
            config: Option<serde_json::Value>,
        }
        let probe: Probe =
            serde_json::from_slice(&bytes).map_err(|e| Error::InvalidManifest(format!("not a JSON manifest: {e}")))?;
        if probe.schema_version.as_ref().and_then(|v| v.as_u64()) != Some(2) {
            return Err(Error::InvalidManifest(
                "schemaVersion must be 2 (Docker schema 1 manifests are not supported; re-push the image with a current client)"
                    .into(),
            ));
        }
        let content_type = content_type.map(|c| c.split(';').next().unwrap_or(c).trim()).filter(|c| {
            !c.is_empty() && *c != "application/json" && *c != "application/octet-stream" && *c != "text/plain"
        });
        let media_type = match (probe.media_type, content_type) {
            (Some(doc), Some(served)) if doc != served => {
                return Err(Error::InvalidManifest(format!(
                    "the manifest says mediaType {doc:?} but was served as {served:?}; refusing ambiguous content"
                )));
            }
            (Some(doc), _) => doc,
            (None, Some(served)) => served.to_string(),
            (None, None) if probe.manifests.is_some() => media_type::OCI_INDEX.to_string(),
            (None, None) if probe.config.is_some() => media_type::OCI_MANIFEST.to_string(),
            (None, None) => return Err(Error::InvalidManifest("neither a manifest nor an index".into())),
        };
        if !media_type::is_image_manifest(&media_type) && !media_type::is_index(&media_type) {
            return Err(Error::UnsupportedMediaType(media_type));
        }
        let digest = Digest::sha256_of(&bytes);
        Ok(RawManifest { bytes, media_type, digest })
    }

    /// Like [`RawManifest::from_bytes`], and also check the bytes hash to `expected`.
    pub fn from_bytes_verified(bytes: Vec<u8>, content_type: Option<&str>, expected: &Digest) -> Result<RawManifest> {
        let actual = expected.same_algorithm_of(&bytes);
        if &actual != expected {
            return Err(Error::DigestMismatch {
                what: "manifest".into(),
                expected: expected.to_string(),
                actual: actual.to_string(),
            });
        }
        let mut raw = RawManifest::from_bytes(bytes, content_type)?;
        raw.digest = actual;
        Ok(raw)
    }

    /// Serialise `value` to compact JSON and wrap those bytes.
    pub fn from_serializable<T: Serialize>(value: &T, media_type: &str) -> Result<RawManifest> {
        let bytes = serde_json::to_vec(value).map_err(|e| Error::InvalidManifest(e.to_string()))?;
        Ok(RawManifest { digest: Digest::sha256_of(&bytes), bytes, media_type: media_type.to_string() })
    }

    /// Parse the bytes into a [`Manifest`].
    pub fn parse(&self) -> Result<Manifest> {
        let invalid = |e: serde_json::Error| Error::InvalidManifest(format!("{}: {e}", self.media_type));
        if media_type::is_index(&self.media_type) {
            Ok(Manifest::Index(serde_json::from_slice(&self.bytes).map_err(invalid)?))
        } else {
            Ok(Manifest::Image(serde_json::from_slice(&self.bytes).map_err(invalid)?))
        }
    }

    /// A descriptor pointing at this manifest.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor {
            media_type: self.media_type.clone(),
            digest: self.digest.clone(),
            size: self.bytes.len() as u64,
            artifact_type: None,
            annotations: None,
            platform: None,
            urls: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UMOCI: &str = r#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;

    #[test]
    fn infers_media_type_when_absent() {
        let raw = RawManifest::from_bytes(UMOCI.as_bytes().to_vec(), None).unwrap();
        assert_eq!(raw.media_type, media_type::OCI_MANIFEST);
        assert!(matches!(raw.parse().unwrap(), Manifest::Image(_)));
        let raw = RawManifest::from_bytes(UMOCI.as_bytes().to_vec(), Some(media_type::DOCKER_MANIFEST)).unwrap();
        assert_eq!(raw.media_type, media_type::DOCKER_MANIFEST);
    }

    #[test]
    fn refuses_conflicting_media_types() {
        let doc = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        let err = RawManifest::from_bytes(doc.as_bytes().to_vec(), Some(media_type::OCI_MANIFEST)).unwrap_err();
        assert!(err.to_string().contains("served as"), "{err}");
    }

    #[test]
    fn refuses_schema1_garbage_and_unknown_types() {
        assert!(RawManifest::from_bytes(br#"{"schemaVersion":1}"#.to_vec(), None).is_err());
        assert!(RawManifest::from_bytes(b"not json".to_vec(), None).is_err());
        assert!(RawManifest::from_bytes(br#"{"schemaVersion":2}"#.to_vec(), None).is_err());
        let odd = r#"{"schemaVersion":2,"mediaType":"application/x-odd","config":{}}"#;
        assert!(matches!(RawManifest::from_bytes(odd.as_bytes().to_vec(), None), Err(Error::UnsupportedMediaType(_))));
    }

    #[test]
    fn verified_parse_refuses_tampered_bytes() {
        let good = Digest::sha256_of(UMOCI.as_bytes());
        assert!(RawManifest::from_bytes_verified(UMOCI.as_bytes().to_vec(), None, &good).is_ok());
        let tampered = UMOCI.replace("[]", "[ ]");
        assert!(matches!(
            RawManifest::from_bytes_verified(tampered.into_bytes(), None, &good),
            Err(Error::DigestMismatch { .. })
        ));
    }

    #[test]
    fn refuses_oversized_manifests() {
        let big = vec![b' '; DEFAULT_MAX_MANIFEST_BYTES + 1];
        assert!(matches!(RawManifest::from_bytes(big, None), Err(Error::LimitExceeded { .. })));
    }

    #[test]
    fn platform_parsing_and_matching() {
        let want = Platform::parse("linux/arm64").unwrap();
        let have = Platform::parse("linux/arm64/v8").unwrap();
        assert!(have.matches(&want));
        assert!(!want.matches(&have));
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//").is_err());
        assert_eq!(have.to_string(), "linux/arm64/v8");
    }
}
