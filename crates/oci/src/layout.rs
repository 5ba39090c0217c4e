//! OCI image layouts (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`) as a
//! [`ContentSource`] and [`ContentSink`].
//!
//! Tags are the `org.opencontainers.image.ref.name` annotations of `index.json` entries.
//! The manifest selector is a tag, a digest, or `""` for "the only manifest in
//! `index.json`" (an error listing the tags when there are several).
//!
//! Writes are atomic per file: a blob goes to a temporary file in its directory, is
//! verified against its descriptor, then renamed into place; `index.json` is rewritten the
//! same way and last, so a reader never sees a manifest whose blobs are missing. Writers in
//! one process are serialised; concurrent writer processes on one layout are not supported.
//!
//! The reading half is shared with `oci-archive` (see [`crate::archive`]) through the
//! crate-private `LayoutStore` trait: a store maps layout-relative paths to bytes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::digest::{Digest, DigestHasher};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::manifest::{Descriptor, ImageIndex, Manifest, RawManifest};
use crate::media_type;
use crate::source::{BlobStream, ContentSink, ContentSource, PutManifestOutcome};

/// The annotation holding a tag in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Contents of the `oci-layout` file chainseal writes.
pub const OCI_LAYOUT_FILE: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;

/// Where a layout's files come from: a directory or an indexed tar.
#[async_trait::async_trait]
pub(crate) trait LayoutStore: Send + Sync {
    /// Read a whole file, refusing files larger than `max` ([`Error::LimitExceeded`]) and
    /// answering [`Error::NotFound`] for missing ones.
    async fn read(&self, rel: &str, max: u64) -> Result<Vec<u8>>;
    /// Stream a file.
    async fn open(&self, rel: &str) -> Result<BlobStream>;
    /// Size of a file, if it exists.
    async fn size(&self, rel: &str) -> Result<Option<u64>>;
    /// Open a file for blocking reads (see [`ContentSource::blob_file`]).
    fn open_file(&self, rel: &str) -> Result<crate::source::BlobFile>;
    /// `oci-dir /path` etc.
    fn describe(&self) -> String;
}

/// A directory on disk.
pub(crate) struct DirStore {
    pub(crate) root: PathBuf,
}

#[async_trait::async_trait]
impl LayoutStore for DirStore {
    async fn read(&self, rel: &str, max: u64) -> Result<Vec<u8>> {
        let path = self.root.join(rel);
        let file = tokio::fs::File::open(&path).await.map_err(|e| not_found_or_io(&path, e))?;
        let mut out = Vec::new();
        file.take(max + 1).read_to_end(&mut out).await.map_err(|e| Error::io(path.display().to_string(), e))?;
        if out.len() as u64 > max {
            return Err(Error::LimitExceeded { what: format!("{}", path.display()), limit: max, unit: "bytes" });
        }
        Ok(out)
    }

    async fn open(&self, rel: &str) -> Result<BlobStream> {
        let path = self.root.join(rel);
        let file = tokio::fs::File::open(&path).await.map_err(|e| not_found_or_io(&path, e))?;
        Ok(Box::pin(tokio::io::BufReader::with_capacity(crate::blob::CHUNK, file)))
    }

    fn open_file(&self, rel: &str) -> Result<crate::source::BlobFile> {
        let path = self.root.join(rel);
        let file = std::fs::File::open(&path).map_err(|e| not_found_or_io(&path, e))?;
        Ok(Box::new(file))
    }

    async fn size(&self, rel: &str) -> Result<Option<u64>> {
        let path = self.root.join(rel);
        match tokio::fs::metadata(&path).await {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path.display().to_string(), e)),
        }
    }

    fn describe(&self) -> String {
        format!("oci-dir {}", self.root.display())
    }
}

pub(crate) fn not_found_or_io(path: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::NotFound(format!("{} does not exist", path.display()))
    } else {
        Error::io(path.display().to_string(), e)
    }
}

/// The layout-relative path of a blob. Safe to join: a [`Digest`] is validated lowercase hex.
pub fn blob_path(digest: &Digest) -> String {
    format!("blobs/{}/{}", digest.algorithm().as_str(), digest.hex())
}

/// The reading half of a layout over any store.
pub(crate) struct LayoutReader {
    pub(crate) store: Arc<dyn LayoutStore>,
    pub(crate) limits: Limits,
}

impl LayoutReader {
    pub(crate) async fn check_layout_file(&self) -> Result<()> {
        let bytes = self.store.read("oci-layout", 64 * 1024).await.map_err(|e| match e {
            Error::NotFound(_) => Error::NotFound(format!(
                "{} is not an OCI image layout (no oci-layout file); create one with `chainseal copy SOURCE oci-dir:PATH`",
                self.store.describe()
            )),
            other => other,
        })?;
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct LayoutFile {
            image_layout_version: String,
        }
        let parsed: LayoutFile = serde_json::from_slice(&bytes)
            .map_err(|e| Error::InvalidManifest(format!("{}: invalid oci-layout file: {e}", self.store.describe())))?;
        if !parsed.image_layout_version.starts_with("1.") {
            return Err(Error::InvalidManifest(format!(
                "{}: unsupported imageLayoutVersion {:?}",
                self.store.describe(),
                parsed.image_layout_version
            )));
        }
        Ok(())
    }

    pub(crate) async fn index(&self) -> Result<ImageIndex> {
        let bytes = self.store.read("index.json", self.limits.max_manifest).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::InvalidManifest(format!("{}: invalid index.json: {e}", self.store.describe())))
    }

    /// The `index.json` entry a selector names.
    pub(crate) async fn entry(&self, selector: &str) -> Result<Descriptor> {
        let index = self.index().await?;
        let tags = || {
            let t: Vec<&str> = index.manifests.iter().filter_map(|d| d.annotation(REF_NAME)).collect();
            if t.is_empty() { "none".to_string() } else { t.join(", ") }
        };
        if selector.is_empty() {
            if index.manifests.len() > 1 {
                // Signatures and attestations stored in the layout (referrers, cosign tags)
                // are not candidates: `oci-dir:PATH` keeps naming the one image.
                let mut images = Vec::new();
                for d in &index.manifests {
                    if !self.is_attachment(d).await {
                        images.push(d);
                    }
                }
                if let [only] = images.as_slice() {
                    return Ok((*only).clone());
                }
            }
            return match index.manifests.as_slice() {
                [only] => Ok(only.clone()),
                [] => Err(Error::NotFound(format!("{} holds no manifests", self.store.describe()))),
                _ => Err(Error::NotFound(format!(
                    "{} holds {} manifests; name one with :TAG (tags: {})",
                    self.store.describe(),
                    index.manifests.len(),
                    tags()
                ))),
            };
        }
        if let Ok(digest) = selector.parse::<Digest>() {
            if let Some(d) = index.manifests.iter().find(|d| d.digest == digest) {
                return Ok(d.clone());
            }
            return Err(Error::NotFound(format!("{} has no manifest {digest} in index.json", self.store.describe())));
        }
        index.manifests.iter().find(|d| d.annotation(REF_NAME) == Some(selector)).cloned().ok_or_else(|| {
            Error::NotFound(format!("tag {selector:?} not found in {} (tags: {})", self.store.describe(), tags()))
        })
    }

    /// Is this `index.json` entry an attachment of another manifest: a cosign tag
    /// (`sha256-<hex>.sig|att|sbom`, fallback `sha256-<hex>`) or a manifest with a `subject`?
    async fn is_attachment(&self, d: &Descriptor) -> bool {
        if let Some(tag) = d.annotation(REF_NAME) {
            let base = tag.split_once('.').map_or(tag, |(b, _)| b);
            return base
                .strip_prefix("sha256-")
                .is_some_and(|h| h.len() == 64 && h.bytes().all(|c| c.is_ascii_hexdigit()));
        }
        if d.media_type != media_type::OCI_MANIFEST {
            return false;
        }
        match self.store.read(&blob_path(&d.digest), self.limits.max_manifest).await {
            Ok(bytes) => serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|v| v.get("subject").is_some()),
            Err(_) => false,
        }
    }

    pub(crate) async fn manifest(&self, selector: &str) -> Result<RawManifest> {
        let (digest, media_type) = match selector.parse::<Digest>() {
            // A digest need not be listed in index.json (children of an index are not).
            Ok(d) => {
                let listed = self.index().await.ok().and_then(|i| i.manifests.into_iter().find(|m| m.digest == d));
                (d, listed.map(|m| m.media_type))
            }
            Err(_) => {
                let entry = self.entry(selector).await?;
                (entry.digest, Some(entry.media_type))
            }
        };
        let bytes = self.store.read(&blob_path(&digest), self.limits.max_manifest).await?;
        let media_type = media_type.filter(|m| media_type::is_image_manifest(m) || media_type::is_index(m));
        RawManifest::from_bytes_verified(bytes, media_type.as_deref(), &digest)
    }

    pub(crate) async fn blob(&self, descriptor: &Descriptor) -> Result<BlobStream> {
        self.store.open(&blob_path(&descriptor.digest)).await
    }

    pub(crate) async fn blob_bytes(&self, descriptor: &Descriptor, max_bytes: u64) -> Result<Vec<u8>> {
        Limits::check(|| format!("blob {}", descriptor.digest), descriptor.size, max_bytes, "bytes")?;
        let bytes = self.store.read(&blob_path(&descriptor.digest), max_bytes).await?;
        verify_bytes(descriptor, &bytes)?;
        Ok(bytes)
    }

    pub(crate) async fn referrers(&self, subject: &Digest, artifact_type: Option<&str>) -> Result<ImageIndex> {
        let index = self.index().await?;
        let mut out = ImageIndex::empty();
        for d in index.manifests.iter().filter(|d| media_type::is_image_manifest(&d.media_type)) {
            if d.size > self.limits.max_manifest {
                continue;
            }
            let raw = self.manifest(&d.digest.to_string()).await?;
            let Ok(Manifest::Image(m)) = raw.parse() else { continue };
            if m.subject.as_ref().map(|s| &s.digest) != Some(subject) {
                continue;
            }
            let kind = m.effective_artifact_type().to_string();
            if artifact_type.is_some_and(|t| t != kind) {
                continue;
            }
            let mut desc = raw.descriptor();
            desc.artifact_type = Some(kind);
            desc.annotations = m.annotations.clone();
            out.manifests.push(desc);
        }
        Ok(out)
    }

    pub(crate) async fn tags(&self) -> Result<Vec<String>> {
        let index = self.index().await?;
        Ok(index.manifests.iter().filter_map(|d| d.annotation(REF_NAME)).map(str::to_string).collect())
    }
}

/// Check `bytes` against a descriptor's size and digest.
pub(crate) fn verify_bytes(descriptor: &Descriptor, bytes: &[u8]) -> Result<()> {
    if bytes.len() as u64 != descriptor.size {
        return Err(Error::SizeMismatch {
            what: format!("blob {}", descriptor.digest),
            expected: descriptor.size,
            actual: bytes.len() as u64,
        });
    }
    let actual = descriptor.digest.same_algorithm_of(bytes);
    if actual != descriptor.digest {
        return Err(Error::DigestMismatch {
            what: format!("blob {}", descriptor.digest),
            expected: descriptor.digest.to_string(),
            actual: actual.to_string(),
        });
    }
    Ok(())
}

/// An OCI image layout directory, readable and writable.
pub struct OciLayout {
    root: PathBuf,
    reader: LayoutReader,
    write_lock: tokio::sync::Mutex<()>,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl OciLayout {
    /// Open an existing layout (it must have an `oci-layout` file).
    pub async fn open(root: impl Into<PathBuf>) -> Result<OciLayout> {
        OciLayout::open_with_limits(root, Limits::default()).await
    }

    /// [`OciLayout::open`] with explicit limits.
    pub async fn open_with_limits(root: impl Into<PathBuf>, limits: Limits) -> Result<OciLayout> {
        let root = root.into();
        let reader = LayoutReader { store: Arc::new(DirStore { root: root.clone() }), limits };
        reader.check_layout_file().await?;
        Ok(OciLayout { root, reader, write_lock: tokio::sync::Mutex::new(()) })
    }

    /// Open a layout, creating the directory, `oci-layout` and an empty `index.json` if
    /// they do not exist yet.
    pub async fn create(root: impl Into<PathBuf>) -> Result<OciLayout> {
        let root = root.into();
        let io = |what: &Path, e| Error::io(what.display().to_string(), e);
        tokio::fs::create_dir_all(root.join("blobs/sha256")).await.map_err(|e| io(&root, e))?;
        if !tokio::fs::try_exists(root.join("oci-layout")).await.map_err(|e| io(&root, e))? {
            write_atomic(&root.join("oci-layout"), OCI_LAYOUT_FILE.as_bytes()).await?;
        }
        if !tokio::fs::try_exists(root.join("index.json")).await.map_err(|e| io(&root, e))? {
            let index = serde_json::to_vec(&ImageIndex::empty()).map_err(|e| Error::InvalidManifest(e.to_string()))?;
            write_atomic(&root.join("index.json"), &index).await?;
        }
        OciLayout::open(root).await
    }

    /// The layout directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The parsed `index.json`.
    pub async fn index(&self) -> Result<ImageIndex> {
        self.reader.index().await
    }

    /// The `index.json` entry for a tag, digest, or `""` (the only entry).
    pub async fn entry(&self, selector: &str) -> Result<Descriptor> {
        self.reader.entry(selector).await
    }

    async fn add_to_index(&self, descriptor: Descriptor, tag: Option<&str>) -> Result<()> {
        let mut index = self.reader.index().await?;
        let mut entry = descriptor;
        entry.platform = None;
        entry.artifact_type = None;
        match tag {
            Some(tag) => {
                // Moving a tag: drop the old entry that carried it.
                index.manifests.retain(|d| d.annotation(REF_NAME) != Some(tag));
                let mut annotations = BTreeMap::new();
                annotations.insert(REF_NAME.to_string(), tag.to_string());
                entry.annotations = Some(annotations);
                index.manifests.push(entry);
            }
            None => {
                if !index.manifests.iter().any(|d| d.digest == entry.digest) {
                    entry.annotations = None;
                    index.manifests.push(entry);
                }
            }
        }
        if index.media_type.is_none() {
            index.media_type = Some(media_type::OCI_INDEX.to_string());
        }
        let bytes = serde_json::to_vec(&index).map_err(|e| Error::InvalidManifest(e.to_string()))?;
        write_atomic(&self.root.join("index.json"), &bytes).await
    }
}

/// Write `bytes` to `path` via a temporary file in the same directory and a rename.
pub(crate) async fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_sibling(path);
    let io = |e| Error::io(format!("writing {}", path.display()), e);
    let mut f = tokio::fs::File::create(&tmp).await.map_err(io)?;
    let result = async {
        f.write_all(bytes).await?;
        f.sync_all().await?;
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(io(e));
    }
    Ok(())
}

fn temp_sibling(path: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".tmp-{}-{n}-{name}", std::process::id()))
}

#[async_trait::async_trait]
impl ContentSource for OciLayout {
    async fn manifest(&self, selector: &str) -> Result<RawManifest> {
        self.reader.manifest(selector).await
    }
    async fn blob(&self, descriptor: &Descriptor) -> Result<BlobStream> {
        self.reader.blob(descriptor).await
    }
    fn blob_file(&self, descriptor: &Descriptor) -> Option<Result<crate::source::BlobFile>> {
        Some(self.reader.store.open_file(&blob_path(&descriptor.digest)))
    }
    async fn blob_bytes(&self, descriptor: &Descriptor, max_bytes: u64) -> Result<Vec<u8>> {
        self.reader.blob_bytes(descriptor, max_bytes).await
    }
    async fn referrers(&self, subject: &Digest, artifact_type: Option<&str>) -> Result<ImageIndex> {
        self.reader.referrers(subject, artifact_type).await
    }
    async fn tags(&self) -> Result<Vec<String>> {
        self.reader.tags().await
    }
    fn describe(&self) -> String {
        self.reader.store.describe()
    }
}

#[async_trait::async_trait]
impl ContentSink for OciLayout {
    async fn has_blob(&self, descriptor: &Descriptor) -> Result<bool> {
        Ok(self.reader.store.size(&blob_path(&descriptor.digest)).await? == Some(descriptor.size))
    }

    async fn put_blob(&self, descriptor: &Descriptor, mut content: BlobStream) -> Result<()> {
        let path = self.root.join(blob_path(&descriptor.digest));
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| Error::io(dir.display().to_string(), e))?;
        }
        let tmp = temp_sibling(&path);
        let what = format!("blob {}", descriptor.digest);
        let result = async {
            let io = |e| Error::io(format!("writing {}", tmp.display()), e);
            let mut f = tokio::fs::File::create(&tmp).await.map_err(io)?;
            let mut hasher = DigestHasher::new(descriptor.digest.algorithm());
            let mut written = 0u64;
            let mut buf = vec![0u8; crate::blob::CHUNK];
            loop {
                let n = content.read(&mut buf).await.map_err(|e| Error::io(what.clone(), e))?;
                if n == 0 {
                    break;
                }
                written += n as u64;
                if written > descriptor.size {
                    return Err(Error::SizeMismatch { what: what.clone(), expected: descriptor.size, actual: written });
                }
                hasher.update(&buf[..n]);
                f.write_all(&buf[..n]).await.map_err(io)?;
            }
            if written != descriptor.size {
                return Err(Error::SizeMismatch { what: what.clone(), expected: descriptor.size, actual: written });
            }
            let actual = hasher.finish();
            if actual != descriptor.digest {
                return Err(Error::DigestMismatch {
                    what: what.clone(),
                    expected: descriptor.digest.to_string(),
                    actual: actual.to_string(),
                });
            }
            f.sync_all().await.map_err(io)?;
            tokio::fs::rename(&tmp, &path).await.map_err(io)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    async fn put_blob_bytes(&self, descriptor: &Descriptor, content: &[u8]) -> Result<()> {
        verify_bytes(descriptor, content)?;
        let path = self.root.join(blob_path(&descriptor.digest));
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| Error::io(dir.display().to_string(), e))?;
        }
        write_atomic(&path, content).await
    }

    async fn put_manifest(&self, manifest: &RawManifest, tag: Option<&str>) -> Result<PutManifestOutcome> {
        if let Some(t) = tag {
            // Same rules as registry tags, so a layout tag can be pushed anywhere.
            crate::Reference::new("localhost", "layout", Some(t), None)?;
        }
        let descriptor = manifest.descriptor();
        self.put_blob_bytes(&descriptor, &manifest.bytes).await?;
        let _guard = self.write_lock.lock().await;
        self.add_to_index(descriptor, tag).await?;
        // index.json lists every manifest with a subject, so referrers() finds it: native.
        Ok(PutManifestOutcome { subject_acknowledged: true })
    }

    fn describe(&self) -> String {
        self.reader.store.describe()
    }
}

/// Write a blob synchronously (for generators and tests): temp file + rename.
pub fn write_blob_sync(root: &Path, bytes: &[u8]) -> Result<Descriptor> {
    let d = Descriptor::for_bytes("application/octet-stream", bytes);
    let path = root.join(blob_path(&d.digest));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    }
    let tmp = temp_sibling(&path);
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(tmp.display().to_string(), e))?;
    f.write_all(bytes).map_err(|e| Error::io(tmp.display().to_string(), e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(path.display().to_string(), e))?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_bytes(config: &Descriptor, subject: Option<&Descriptor>) -> Vec<u8> {
        let mut v = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media_type::OCI_MANIFEST,
            "artifactType": "application/vnd.example+json",
            "config": config,
            "layers": [],
        });
        if let Some(s) = subject {
            v["subject"] = serde_json::to_value(s).unwrap();
        }
        serde_json::to_vec(&v).unwrap()
    }

    #[tokio::test]
    async fn write_then_read_back_with_tags_and_referrers() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path().join("img")).await.unwrap();
        let config = Descriptor::for_bytes(media_type::OCI_EMPTY, media_type::OCI_EMPTY_DATA);
        layout.put_blob_bytes(&config, media_type::OCI_EMPTY_DATA).await.unwrap();
        assert!(layout.has_blob(&config).await.unwrap());
        let m = RawManifest::from_bytes(manifest_bytes(&config, None), None).unwrap();
        layout.put_manifest(&m, Some("v1")).await.unwrap();
        let back = layout.manifest("v1").await.unwrap();
        assert_eq!(back, m);
        assert_eq!(layout.manifest("").await.unwrap().digest, m.digest);
        assert_eq!(layout.tags().await.unwrap(), vec!["v1"]);

        let referrer = RawManifest::from_bytes(manifest_bytes(&config, Some(&m.descriptor())), None).unwrap();
        layout.put_manifest(&referrer, None).await.unwrap();
        let refs = layout.referrers(&m.digest, None).await.unwrap();
        assert_eq!(refs.manifests.len(), 1);
        assert_eq!(refs.manifests[0].digest, referrer.digest);
        assert!(layout.referrers(&m.digest, Some("other/type")).await.unwrap().manifests.is_empty());
        // A referrer stored beside the image does not make `oci-dir:PATH` ambiguous.
        assert_eq!(layout.manifest("").await.unwrap().digest, m.digest);
        let err = layout.manifest("nope").await.unwrap_err();
        assert!(matches!(err, Error::NotFound(_)) && err.to_string().contains("v1"), "{err}");

        // Moving the tag replaces the entry.
        let m2 = RawManifest::from_bytes(manifest_bytes(&config, Some(&config)), None).unwrap();
        layout.put_manifest(&m2, Some("v1")).await.unwrap();
        assert_eq!(layout.manifest("v1").await.unwrap().digest, m2.digest);
        assert_eq!(layout.tags().await.unwrap(), vec!["v1"]);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("img/blobs/sha256"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());

        // Nor does a cosign attachment tag; a second image does.
        let att =
            RawManifest::from_bytes(manifest_bytes(&config, None).into_iter().chain(*b" ").collect(), None).unwrap();
        let att_tag = format!("sha256-{}.att", "a".repeat(64));
        layout.put_manifest(&att, Some(&att_tag)).await.unwrap();
        assert_eq!(layout.manifest("").await.unwrap().digest, m2.digest);
        layout.put_manifest(&m, Some("v2")).await.unwrap();
        let err = layout.manifest("").await.unwrap_err();
        assert!(err.to_string().contains("v1"), "{err}");
    }

    #[tokio::test]
    async fn refuses_bad_blobs_and_missing_layouts() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(OciLayout::open(dir.path()).await, Err(Error::NotFound(_))));
        let layout = OciLayout::create(dir.path()).await.unwrap();
        let d = Descriptor::for_bytes(media_type::OCI_EMPTY, b"{}");
        assert!(matches!(layout.put_blob_bytes(&d, b"{ }").await, Err(Error::SizeMismatch { .. })));
        assert!(matches!(layout.put_blob_bytes(&d, b"[]").await, Err(Error::DigestMismatch { .. })));
        let stream: BlobStream = Box::pin(std::io::Cursor::new(b"[]".to_vec()));
        assert!(matches!(layout.put_blob(&d, stream).await, Err(Error::DigestMismatch { .. })));
        assert!(!layout.has_blob(&d).await.unwrap());
        // A blob tampered with on disk is caught when read.
        std::fs::write(dir.path().join(blob_path(&d.digest)), b"[]").unwrap();
        assert!(matches!(layout.blob_bytes(&d, 100).await, Err(Error::DigestMismatch { .. })));
        assert!(matches!(layout.blob_bytes(&d, 1).await, Err(Error::LimitExceeded { .. })));
        let m = RawManifest::from_bytes(manifest_bytes(&d, None), None).unwrap();
        assert!(layout.put_manifest(&m, Some("bad tag!")).await.is_err());
    }
}
