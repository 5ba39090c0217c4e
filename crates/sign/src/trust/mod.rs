//! Trust material: the Sigstore trusted root (Fulcio CAs, Rekor logs, CT logs, TSAs).
//!
//! Sources: the production and staging roots embedded in `sigstore-trust-root` (identical to the
//! public-good TUF targets at the time of the pinned release), a `trusted_root.json` file, or a
//! TUF cache filled by an explicit update ([`tuf`]). Loading never touches the network: the TUF
//! cache is re-verified offline from the pinned TUF root, and the network transport for an
//! update is supplied by the caller (the `chainseal` facade), not by this crate.

use std::path::{Path, PathBuf};

use sigstore_trust_root::{SigstoreInstance, TrustedRoot};

use crate::{Error, Result};

pub mod tuf;

/// Largest `trusted_root.json` accepted (the production root is about 7 KiB).
pub const MAX_TRUSTED_ROOT_BYTES: u64 = 4 * 1024 * 1024;

/// Where the trusted root comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustSource {
    /// The Sigstore public-good production root, embedded at build time.
    Production,
    /// The Sigstore staging root, embedded at build time.
    Staging,
    /// A `trusted_root.json` file (protobuf-specs `TrustedRoot`, v0.1 or v0.2 media type).
    File(PathBuf),
    /// The TUF cache under `base` ([`tuf`]), if it verifies offline from the pinned TUF root and
    /// has not expired; otherwise the embedded root of the same instance (production, or staging
    /// when `staging`), with a [`TrustRoot::notice`] saying why. A cache selected for a
    /// repository other than Sigstore's must be usable: there is no embedded root to fall back on.
    TufCache {
        /// The cache base directory (see [`tuf::default_cache_base`]).
        base: PathBuf,
        /// Use the staging instance.
        staging: bool,
    },
}

/// A parsed, checked trusted root. The only way to obtain one is through the constructors
/// below, each of which validates the material.
#[derive(Debug, Clone)]
pub struct TrustRoot {
    inner: TrustedRoot,
    origin: String,
    notice: Option<String>,
}

impl TrustRoot {
    /// Load the trusted root from `source`. Offline: embedded roots or a local file only.
    pub fn load(source: &TrustSource) -> Result<Self> {
        match source {
            TrustSource::Production => Self::embedded(SigstoreInstance::PublicGood, "production"),
            TrustSource::Staging => Self::embedded(SigstoreInstance::Staging, "staging"),
            TrustSource::File(path) => Self::from_file(path),
            TrustSource::TufCache { base, staging } => Self::from_tuf_cache(base, *staging),
        }
    }

    fn from_tuf_cache(base: &Path, staging: bool) -> Result<Self> {
        let remote = match (staging, tuf::selected_remote(base)?) {
            (true, _) => tuf::TufRemote::staging(),
            (false, r) if r == tuf::TufRemote::staging() => tuf::TufRemote::production(),
            (false, r) => r,
        };
        let embedded = |notice: Option<String>| -> Result<Self> {
            let mut root = if staging { Self::staging()? } else { Self::production()? };
            root.notice = notice;
            Ok(root)
        };
        let hint = "run `chainseal trusted-root update` to refresh it";
        if !tuf::is_cached(&remote, base) {
            if remote.is_embedded_instance() {
                return embedded(None);
            }
            return Err(Error::TrustRoot(format!(
                "no TUF cache for {} under {}; {hint}",
                remote.url(),
                base.display()
            )));
        }
        match tuf::load_cached(&remote, base, jiff::Timestamp::now()) {
            Ok((root, _)) => Ok(root),
            Err(e) if remote.is_embedded_instance() => {
                embedded(Some(format!("{e}; using the embedded trusted root instead ({hint})")))
            }
            Err(e) => Err(Error::TrustRoot(format!("{e}; {hint}"))),
        }
    }

    /// The embedded public-good production root.
    pub fn production() -> Result<Self> {
        Self::load(&TrustSource::Production)
    }

    /// The embedded staging root.
    pub fn staging() -> Result<Self> {
        Self::load(&TrustSource::Staging)
    }

    fn embedded(instance: SigstoreInstance, name: &str) -> Result<Self> {
        Self::from_json_named(instance.embedded_trusted_root_json(), format!("embedded {name}"))
    }

    /// Read a `trusted_root.json` file (at most [`MAX_TRUSTED_ROOT_BYTES`]).
    pub fn from_file(path: &Path) -> Result<Self> {
        let io = |source| Error::Io { path: path.to_owned(), source };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.len() > MAX_TRUSTED_ROOT_BYTES {
            return Err(Error::TrustRoot(format!(
                "{} is {} bytes, more than the {MAX_TRUSTED_ROOT_BYTES} allowed",
                path.display(),
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Self::from_json_named(&text, path.display().to_string())
    }

    /// Parse a trusted root from JSON text.
    pub fn from_json(json: &str) -> Result<Self> {
        Self::from_json_named(json, "trusted root JSON".to_owned())
    }

    fn from_json_named(json: &str, origin: String) -> Result<Self> {
        if json.len() as u64 > MAX_TRUSTED_ROOT_BYTES {
            return Err(Error::TrustRoot(format!("{origin}: larger than {MAX_TRUSTED_ROOT_BYTES} bytes")));
        }
        // sigstore-trust-root rejects a `validFor` without `start` (it is not optional in its
        // TimeRange), which is what the spec demands: a missing start is malformed, not unbounded.
        let inner = TrustedRoot::from_json(json)
            .map_err(|e| Error::TrustRoot(format!("{origin}: {e}; fix or replace the file")))?;
        check_media_type(&inner.media_type).map_err(|reason| Error::TrustRoot(format!("{origin}: {reason}")))?;
        Ok(Self { inner, origin, notice: None })
    }

    /// Where this root came from (for messages).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A warning about how the root was chosen (a stale TUF cache replaced by the embedded
    /// root), for stderr.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The parsed material, for callers that need the sigstore-rust type.
    pub fn trusted_root(&self) -> &TrustedRoot {
        &self.inner
    }
}

/// Added beyond sigstore-trust-root (which accepts any media type string): only the known
/// `TrustedRoot` media types are accepted, so a signing config or a bundle passed by mistake is
/// refused with a clear message.
fn check_media_type(media_type: &str) -> std::result::Result<(), String> {
    const KNOWN: [&str; 3] = [
        "application/vnd.dev.sigstore.trustedroot.v0.2+json",
        "application/vnd.dev.sigstore.trustedroot.v0.1+json",
        "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    ];
    if KNOWN.contains(&media_type) { Ok(()) } else { Err(format!("unknown trusted root media type {media_type:?}")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_roots_load() {
        let prod = TrustRoot::production().expect("production root");
        assert!(!prod.trusted_root().tlogs.is_empty());
        assert!(TrustRoot::staging().is_ok());
    }

    #[test]
    fn missing_validity_start_is_refused() {
        let json = SigstoreInstance::PublicGood.embedded_trusted_root_json();
        let mut v: serde_json::Value = serde_json::from_str(json).expect("json");
        v["tlogs"][0]["publicKey"]["validFor"].as_object_mut().expect("validFor").remove("start");
        let err = TrustRoot::from_json(&v.to_string()).expect_err("must refuse");
        assert!(err.to_string().contains("start"), "{err}");
    }

    #[test]
    fn unknown_media_type_is_refused() {
        let json = SigstoreInstance::PublicGood.embedded_trusted_root_json();
        let mut v: serde_json::Value = serde_json::from_str(json).expect("json");
        v["mediaType"] = "application/vnd.dev.sigstore.signingconfig.v0.2+json".into();
        assert!(TrustRoot::from_json(&v.to_string()).is_err());
    }

    #[test]
    fn broken_production_tuf_cache_falls_back_to_the_embedded_root_and_says_why() {
        let base = tempfile::tempdir().expect("tempdir");
        let empty = TrustRoot::load(&TrustSource::TufCache { base: base.path().into(), staging: false }).expect("root");
        assert_eq!(empty.origin(), "embedded production");
        assert!(empty.notice().is_none());
        let dir = tuf::TufRemote::production().cache_dir(base.path());
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("timestamp.json"), "{\"signed\": 1}").expect("write");
        let root = TrustRoot::load(&TrustSource::TufCache { base: base.path().into(), staging: false }).expect("root");
        assert_eq!(root.origin(), "embedded production");
        assert!(root.notice().is_some_and(|n| n.contains("trusted-root update")), "{:?}", root.notice());
        let staging =
            TrustRoot::load(&TrustSource::TufCache { base: base.path().into(), staging: true }).expect("root");
        assert_eq!(staging.origin(), "embedded staging");
    }

    #[test]
    fn garbage_is_a_typed_error() {
        for bad in ["", "[]", "{\"mediaType\": 5}", &"[".repeat(100_000)] {
            assert!(matches!(TrustRoot::from_json(bad), Err(Error::TrustRoot(_))));
        }
    }
}
