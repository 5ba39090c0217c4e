//! The trusted root through TUF: an explicit online update into a cache directory, and an
//! offline read of that cache at verification time.
//!
//! Uses `sigstore-tuf` (pinned to the same 0.15.1 release as sigstore-verify, built without its
//! HTTP client): it is the sigstore-rust family's TUF client, transport-free (this module never
//! opens a connection: the caller hands [`update`] a [`Repository`]), verifies root chains,
//! thresholds, expiry, rollback and target hashes, and reads repositories written by python-tuf.
//! `tough` was the alternative; it recomputes key IDs and refuses some real repositories, and
//! would add a second TUF stack next to the one sigstore-trust-root already uses.
//!
//! Layout of a cache base (default `$CHAINSEAL_TUF_CACHE`, else `$XDG_CACHE_HOME/chainseal/tuf`,
//! else `~/.cache/chainseal/tuf`): one directory per repository (named after its URL) holding
//! sigstore-tuf's metadata store (`root.json`, `root_history/`, `timestamp.json`,
//! `snapshot.json`, `targets.json`, `targets/trusted_root.json`) and `chainseal-remote.json`
//! (the URL and, for a repository other than Sigstore's two, the bootstrap root given at the
//! first update); plus `remote.json` at the base naming the repository selected by the last
//! `update` (as `cosign initialize` does).
//!
//! Verification ([`load_cached`]) replays TUF over the cached metadata with no network, from the
//! pinned root (the embedded one for production and staging), and uses the cached
//! `trusted_root.json` only if every role verifies and none has expired *now* ("fresh").

use std::path::{Path, PathBuf};
use std::task::{Context, Poll, Waker};

use serde::{Deserialize, Serialize};
use sigstore_tuf::{FileStore, Repository, StoreRepository, Updater};

use super::TrustRoot;
use crate::{Error, Result};

/// The TUF target holding the trusted root.
pub const TRUSTED_ROOT_TARGET: &str = "trusted_root.json";
/// The Sigstore public-good production TUF repository.
pub const PRODUCTION_URL: &str = "https://tuf-repo-cdn.sigstore.dev";
/// The Sigstore public-good staging TUF repository.
pub const STAGING_URL: &str = "https://tuf-repo-cdn.sigstage.dev";
/// The production TUF `root.json` (version 16) pinned at build time (from sigstore-trust-root 0.15.1).
const PRODUCTION_ROOT: &[u8] = include_bytes!("tuf_root_production.json");
/// The staging TUF `root.json` pinned at build time (from sigstore-trust-root 0.15.1).
const STAGING_ROOT: &[u8] = include_bytes!("tuf_root_staging.json");
/// Name of the per-repository record.
const REMOTE_RECORD: &str = "chainseal-remote.json";
/// Name of the base-level selection written by [`update`].
const SELECTED: &str = "remote.json";
/// Largest bootstrap root accepted.
const MAX_ROOT_BYTES: u64 = 512 * 1024;

/// A TUF repository and the root that anchors trust in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TufRemote {
    url: String,
    root: Vec<u8>,
    embedded: Option<&'static str>,
}

impl TufRemote {
    /// Sigstore production, anchored in the embedded TUF root.
    pub fn production() -> Self {
        Self { url: PRODUCTION_URL.into(), root: PRODUCTION_ROOT.to_vec(), embedded: Some("production") }
    }

    /// Sigstore staging, anchored in the embedded TUF root.
    pub fn staging() -> Self {
        Self { url: STAGING_URL.into(), root: STAGING_ROOT.to_vec(), embedded: Some("staging") }
    }

    /// Any repository. `root` is its trusted `root.json` (any version; newer ones are reached
    /// through TUF root rotation). For Sigstore's two URLs the embedded root is used unless a
    /// root is given.
    pub fn new(url: &str, root: Option<Vec<u8>>) -> Self {
        let url = url.trim_end_matches('/').to_owned();
        match root {
            Some(root) => Self { url, root, embedded: None },
            None if url == PRODUCTION_URL => Self::production(),
            None if url == STAGING_URL => Self::staging(),
            None => Self { url, root: Vec::new(), embedded: None },
        }
    }

    /// Whether this is Sigstore production or staging, anchored in an embedded TUF root.
    pub fn is_embedded_instance(&self) -> bool {
        self.embedded.is_some()
    }

    /// The repository URL (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The directory of this repository under a cache base.
    pub fn cache_dir(&self, base: &Path) -> PathBuf {
        base.join(dir_name(&self.url))
    }
}

/// `https://host:1234/a/b` → `host_1234_a_b`; characters outside `[A-Za-z0-9.-]` become `_`.
fn dir_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let name: String =
        rest.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    let name = name.trim_matches('_').to_owned();
    if name.is_empty() || name.starts_with('.') { format!("repo_{name}") } else { name }
}

/// The default cache base: `$CHAINSEAL_TUF_CACHE`, else `$XDG_CACHE_HOME/chainseal/tuf`, else
/// `$HOME/.cache/chainseal/tuf`; `None` when none of these is set.
pub fn default_cache_base() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("CHAINSEAL_TUF_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("chainseal/tuf")))
        .or_else(|| var("HOME").map(|d| d.join(".cache/chainseal/tuf")))
}

/// What an update or a cache read established.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TufStatus {
    /// The repository.
    pub url: String,
    /// Its cache directory.
    pub dir: PathBuf,
    /// Version of the trusted TUF root after the refresh.
    pub root_version: u64,
    /// When the verified timestamp metadata expires (the cache is fresh until then).
    pub fresh_until: Option<jiff::Timestamp>,
    /// SHA-256 (hex) of the verified `trusted_root.json`.
    pub trusted_root_sha256: String,
}

/// The per-repository record written next to the metadata.
#[derive(Debug, Serialize, Deserialize)]
struct RemoteRecord {
    url: String,
    /// The bootstrap root for repositories without an embedded one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    root: Option<serde_json::Value>,
}

fn tuf_err(what: &str, url: &str, e: impl std::fmt::Display) -> Error {
    Error::TrustRoot(format!("TUF {what} of {url}: {e}"))
}

/// Refresh `remote` through `repo` (the network transport, supplied by the caller) into its
/// directory under `base`: root chain, timestamp, snapshot, targets, then the
/// `trusted_root.json` target (length and hash pinned by the targets role), which must also
/// parse as a trusted root. Marks `remote` as the selected repository of `base`.
pub async fn update(
    remote: &TufRemote,
    repo: impl Repository + 'static,
    base: &Path,
    now: jiff::Timestamp,
) -> Result<(TrustRoot, TufStatus)> {
    if remote.root.is_empty() {
        return Err(Error::TrustRoot(format!(
            "no TUF root for {}: give its root.json (--root) for the first update",
            remote.url
        )));
    }
    let dir = remote.cache_dir(base);
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io { path: dir.clone(), source })?;
    let mut updater = Updater::new(repo, &remote.root)
        .map_err(|e| tuf_err("bootstrap root", &remote.url, e))?
        .with_store(FileStore::new(&dir));
    updater.refresh(now).await.map_err(|e| tuf_err("refresh", &remote.url, e))?;
    let bytes = updater.get_target(TRUSTED_ROOT_TARGET, now).await.map_err(|e| tuf_err("target", &remote.url, e))?;
    let (root, status) = finish(remote, &dir, &updater, &bytes)?;
    let record = RemoteRecord {
        url: remote.url.clone(),
        root: match remote.embedded {
            Some(_) => None,
            None => Some(
                serde_json::from_slice(&remote.root)
                    .map_err(|e| Error::TrustRoot(format!("TUF root of {} is not JSON: {e}", remote.url)))?,
            ),
        },
    };
    write_json(&dir.join(REMOTE_RECORD), &record)?;
    write_json(&base.join(SELECTED), &RemoteRecord { url: remote.url.clone(), root: None })?;
    Ok((root, status))
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_vec_pretty(value).map_err(|e| Error::TrustRoot(format!("{}: {e}", path.display())))?;
    std::fs::write(path, text).map_err(|source| Error::Io { path: path.to_owned(), source })
}

fn finish(remote: &TufRemote, dir: &Path, updater: &Updater, bytes: &[u8]) -> Result<(TrustRoot, TufStatus)> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::TrustRoot(format!("TUF target {TRUSTED_ROOT_TARGET} of {}: {e}", remote.url)))?;
    let root = TrustRoot::from_json_named(text, format!("TUF {} ({})", remote.url, dir.display()))?;
    let trusted = updater.trusted();
    let status = TufStatus {
        url: remote.url.clone(),
        dir: dir.to_owned(),
        root_version: trusted.root().version,
        fresh_until: trusted.timestamp().map(|t| t.expires),
        trusted_root_sha256: hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)),
    };
    Ok((root, status))
}

/// The repository `base` was last updated from (`remote.json`), or production.
pub fn selected_remote(base: &Path) -> Result<TufRemote> {
    let Some(sel) = read_record(&base.join(SELECTED))? else { return Ok(TufRemote::production()) };
    let remote = TufRemote::new(&sel.url, None);
    if remote.embedded.is_some() {
        return Ok(remote);
    }
    let dir = remote.cache_dir(base);
    let rec = read_record(&dir.join(REMOTE_RECORD))?
        .ok_or_else(|| Error::TrustRoot(format!("TUF cache {} has no {REMOTE_RECORD}", dir.display())))?;
    let root = rec
        .root
        .ok_or_else(|| Error::TrustRoot(format!("TUF cache {} records no root for {}", dir.display(), rec.url)))?;
    let root = serde_json::to_vec(&root).map_err(|e| Error::TrustRoot(e.to_string()))?;
    Ok(TufRemote::new(&rec.url, Some(root)))
}

fn read_record(path: &Path) -> Result<Option<RemoteRecord>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(Error::Io { path: path.to_owned(), source }),
    };
    if bytes.len() as u64 > MAX_ROOT_BYTES * 2 {
        return Err(Error::TrustRoot(format!("{} is too large", path.display())));
    }
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        Error::TrustRoot(format!("{}: {e}; delete it and run `chainseal trusted-root update`", path.display()))
    })
}

/// Whether `remote` has anything cached under `base`.
pub fn is_cached(remote: &TufRemote, base: &Path) -> bool {
    remote.cache_dir(base).join("timestamp.json").exists()
}

/// Offline: replay TUF over the cached metadata of `remote` from its pinned root at `now` and
/// return the cached trusted root if everything verifies and nothing has expired. Reads files
/// only; never uses the network.
pub fn load_cached(remote: &TufRemote, base: &Path, now: jiff::Timestamp) -> Result<(TrustRoot, TufStatus)> {
    let dir = remote.cache_dir(base);
    let store = || FileStore::new(&dir);
    let mut updater = Updater::new(StoreRepository::new(store()), &remote.root)
        .map_err(|e| tuf_err("pinned root", &remote.url, e))?
        .with_store(store());
    run_ready(updater.refresh(now)).map_err(|e| tuf_err("cache", &remote.url, e))?;
    let bytes = run_ready(updater.get_target(TRUSTED_ROOT_TARGET, now))
        .map_err(|e| tuf_err("cached target", &remote.url, e))?;
    finish(remote, &dir, &updater, &bytes)
}

/// Drive a future that never waits (sigstore-tuf over a local [`StoreRepository`] only awaits
/// futures that are ready at once) without an async runtime.
fn run_ready<T>(fut: impl std::future::Future<Output = sigstore_tuf::Result<T>>) -> sigstore_tuf::Result<T> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(r) => r,
        Poll::Pending => Err(sigstore_tuf::Error::transport("local TUF cache read did not complete")),
    }
}

/// Read a TUF `root.json` given with `--root` (at most 512 KiB).
pub fn read_root_file(path: &Path) -> Result<Vec<u8>> {
    let io = |source| Error::Io { path: path.to_owned(), source };
    if std::fs::metadata(path).map_err(io)?.len() > MAX_ROOT_BYTES {
        return Err(Error::TrustRoot(format!("{} is larger than {MAX_ROOT_BYTES} bytes", path.display())));
    }
    std::fs::read(path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names_are_flat_and_safe() {
        assert_eq!(dir_name("https://tuf-repo-cdn.sigstore.dev"), "tuf-repo-cdn.sigstore.dev");
        assert_eq!(dir_name("http://127.0.0.1:8080/repo/"), "127.0.0.1_8080_repo");
        assert_eq!(dir_name("http://../../etc"), "repo_.._.._etc");
        assert!(!dir_name("file:///").contains('/'));
    }

    #[test]
    fn sigstore_urls_use_the_embedded_roots() {
        assert_eq!(TufRemote::new("https://tuf-repo-cdn.sigstore.dev/", None), TufRemote::production());
        assert_eq!(TufRemote::new(STAGING_URL, None), TufRemote::staging());
        assert!(sigstore_tuf::TrustedMetadataSet::from_root(PRODUCTION_ROOT).is_ok());
        assert!(sigstore_tuf::TrustedMetadataSet::from_root(STAGING_ROOT).is_ok());
    }

    #[test]
    fn empty_cache_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = load_cached(&TufRemote::production(), dir.path(), jiff::Timestamp::now()).expect_err("empty");
        assert!(matches!(err, Error::TrustRoot(_)), "{err}");
        assert_eq!(selected_remote(dir.path()).expect("default"), TufRemote::production());
    }

    #[test]
    fn update_without_a_root_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let remote = TufRemote::new("http://127.0.0.1:1", None);
        let repo = StoreRepository::new(sigstore_tuf::MemoryStore::new());
        let err = run_ready(async {
            Ok::<_, sigstore_tuf::Error>(update(&remote, repo, dir.path(), jiff::Timestamp::now()).await)
        })
        .expect("ready")
        .expect_err("no root");
        assert!(err.to_string().contains("--root"), "{err}");
    }
}
