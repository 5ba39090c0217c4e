//! The Sigstore trusted root through TUF: `chainseal trusted-root update` (the only command
//! that uses the network for trust material) and `status` (offline: which root verification
//! would use). Verification itself never fetches: it reads the cache through
//! [`verification_trust`] and re-verifies it offline (see [`chainseal_sign::trust::tuf`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chainseal_sign::trust::tuf::{self, TufRemote, TufStatus};
use chainseal_sign::trust::{TrustRoot, TrustSource};
use sigstore_tuf::transport::FetchFuture;

use crate::{Error, Result};

/// What `trusted-root update` should fetch, and where to keep it.
#[derive(Debug, Clone, Default)]
pub struct UpdateRequest {
    /// The TUF repository; default Sigstore production (staging with `staging`).
    pub url: Option<String>,
    /// The repository's trusted `root.json`; default the embedded one for Sigstore's URLs.
    pub root: Option<PathBuf>,
    /// The cache base; default [`tuf::default_cache_base`].
    pub cache: Option<PathBuf>,
    /// Use Sigstore staging when no URL is given.
    pub staging: bool,
}

/// The cache base: `explicit`, else the default one.
pub fn cache_base(explicit: Option<&Path>) -> Result<PathBuf> {
    explicit.map(Path::to_owned).or_else(tuf::default_cache_base).ok_or_else(|| {
        Error::InvalidInput(
            "no cache directory: set CHAINSEAL_TUF_CACHE, XDG_CACHE_HOME or HOME, or pass --cache".into(),
        )
    })
}

fn remote(req: &UpdateRequest) -> Result<TufRemote> {
    let root = req.root.as_deref().map(tuf::read_root_file).transpose()?;
    Ok(match (&req.url, req.staging) {
        (Some(url), _) => TufRemote::new(url, root),
        (None, true) => TufRemote::new(tuf::STAGING_URL, root),
        (None, false) => TufRemote::new(tuf::PRODUCTION_URL, root),
    })
}

/// Fetch and verify the trusted root through TUF into the cache, and select that repository
/// for later verifications. Online.
pub async fn update(req: &UpdateRequest) -> Result<TufStatus> {
    let remote = remote(req)?;
    let base = cache_base(req.cache.as_deref())?;
    let repo = HttpRepository::new(remote.url())?;
    let (_, status) = tuf::update(&remote, repo, &base, jiff::Timestamp::now()).await?;
    Ok(status)
}

/// Which trusted root verification would use now, and why. Offline.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TrustStatus {
    /// Where the root comes from (a TUF cache directory, or the embedded root).
    pub origin: String,
    /// Why a TUF cache was not used, when it was not.
    pub notice: Option<String>,
}

/// Report which root verification would use with this cache base (offline).
pub fn status(cache: Option<&Path>, staging: bool) -> Result<TrustStatus> {
    let root = TrustRoot::load(&verification_trust_in(None, staging, Some(cache_base(cache)?)))?;
    Ok(TrustStatus { origin: root.origin().to_owned(), notice: root.notice().map(str::to_owned) })
}

/// The trust source of verification commands: `--trusted-root FILE`; else the TUF cache of the
/// default cache base if it is present and fresh; else the embedded root (production, or
/// staging with `staging`). Never uses the network.
pub fn verification_trust(trusted_root: Option<&Path>, staging: bool) -> TrustSource {
    verification_trust_in(trusted_root, staging, tuf::default_cache_base())
}

fn verification_trust_in(trusted_root: Option<&Path>, staging: bool, base: Option<PathBuf>) -> TrustSource {
    match (trusted_root, base) {
        (Some(p), _) => TrustSource::File(p.to_owned()),
        (None, Some(base)) => TrustSource::TufCache { base, staging },
        (None, None) if staging => TrustSource::Staging,
        (None, None) => TrustSource::Production,
    }
}

/// A TUF repository over HTTP(S). TUF's security does not rest on the transport (every file is
/// signed or pinned by hash), so plain HTTP is accepted, as python-tuf does. Every response is
/// read up to the byte limit sigstore-tuf passes and refused beyond it.
struct HttpRepository {
    base: String,
    client: reqwest::Client,
}

impl HttpRepository {
    fn new(url: &str) -> Result<Self> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Error::InvalidInput(format!("TUF URL {url:?} must start with https:// or http://")));
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("chainseal/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| Error::InvalidInput(format!("HTTP client: {e}")))?;
        Ok(Self { base: url.trim_end_matches('/').to_owned(), client })
    }

    fn fetch(&self, url: String, max_length: u64) -> FetchFuture<'_> {
        let transport = |e: &dyn std::fmt::Display| sigstore_tuf::Error::transport(e.to_string());
        Box::pin(async move {
            let mut resp = self.client.get(&url).send().await.map_err(|e| transport(&format!("GET {url}: {e}")))?;
            if resp.status() == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if !resp.status().is_success() {
                return Err(transport(&format!("GET {url}: HTTP {}", resp.status())));
            }
            if resp.content_length().is_some_and(|n| n > max_length) {
                return Err(transport(&format!("GET {url}: larger than the {max_length} bytes allowed")));
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| transport(&format!("GET {url}: {e}")))? {
                if (body.len() + chunk.len()) as u64 > max_length {
                    return Err(transport(&format!("GET {url}: larger than the {max_length} bytes allowed")));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Some(body))
        })
    }
}

impl sigstore_tuf::Repository for HttpRepository {
    fn fetch_metadata<'a>(&'a self, name: &'a str, max_length: u64) -> FetchFuture<'a> {
        self.fetch(format!("{}/{name}", self.base), max_length)
    }

    fn fetch_target<'a>(&'a self, path: &'a str, max_length: u64) -> FetchFuture<'a> {
        self.fetch(format!("{}/targets/{path}", self.base), max_length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_root_file_wins_then_cache_then_embedded() {
        let f = Path::new("root.json");
        assert_eq!(verification_trust_in(Some(f), true, Some("/c".into())), TrustSource::File(f.into()));
        assert_eq!(
            verification_trust_in(None, false, Some("/c".into())),
            TrustSource::TufCache { base: "/c".into(), staging: false }
        );
        assert_eq!(verification_trust_in(None, true, None), TrustSource::Staging);
        assert_eq!(verification_trust_in(None, false, None), TrustSource::Production);
    }

    #[test]
    fn empty_cache_means_the_embedded_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = status(Some(dir.path()), false).expect("status");
        assert!(s.origin.contains("embedded production"), "{}", s.origin);
        assert!(s.notice.is_none());
    }

    #[test]
    fn non_http_urls_are_refused() {
        assert!(HttpRepository::new("file:///etc").is_err());
    }
}
