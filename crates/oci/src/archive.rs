//! Images inside tar files, read in place: `oci-archive:FILE` and `docker-archive:FILE`.
//!
//! The tar is indexed once (path → offset and size of every regular file, from the headers
//! only) and files are then read by seeking into it; nothing is extracted to disk.
//!
//! * **oci-archive** is a tar of an OCI image layout and behaves exactly like
//!   [`OciLayout`](crate::layout::OciLayout) for reading.
//! * **docker-archive** is what `docker save` writes: `manifest.json` (a list of
//!   `{Config, RepoTags, Layers}`), the config JSON and one tar per layer. It carries no
//!   registry manifest, so chainseal **synthesises** a Docker schema 2 manifest (config
//!   `application/vnd.docker.container.image.v1+json`, layers typed by their magic bytes as
//!   `…rootfs.diff.tar` or `…rootfs.diff.tar.gzip`). The digest of that manifest is
//!   chainseal's own and will differ from the digest the image had in any registry; the
//!   config digest (the image ID) and the layer digests are the real ones. Opening a
//!   docker-archive reads every layer once to compute its digest.

use std::collections::HashMap;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::blob::Compression;
use crate::digest::{Digest, DigestHasher};
use crate::error::{Error, Result};
use crate::layout::{LayoutReader, LayoutStore, not_found_or_io, verify_bytes};
use crate::limits::Limits;
use crate::manifest::{Descriptor, ImageIndex, ImageManifest, RawManifest};
use crate::media_type;
use crate::reference::Reference;
use crate::source::{BlobStream, ContentSource};

/// Docker's uncompressed layer media type.
pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";

/// A tar file indexed by path.
pub(crate) struct TarStore {
    path: PathBuf,
    label: String,
    files: HashMap<String, (u64, u64)>,
}

impl TarStore {
    /// Index `path` (blocking; call from a blocking context or at open time).
    pub(crate) fn index(path: &Path, label: &str, limits: &Limits) -> Result<TarStore> {
        let file = std::fs::File::open(path).map_err(|e| not_found_or_io(path, e))?;
        let what = format!("{label} {}", path.display());
        let mut archive = tar::Archive::new(BufReader::with_capacity(64 * 1024, file));
        let mut files = HashMap::new();
        let corrupt = |e: std::io::Error| Error::Corrupt { what: what.clone(), reason: e.to_string() };
        for entry in archive.entries().map_err(corrupt)? {
            let entry = entry.map_err(corrupt)?;
            Limits::check(
                || format!("number of files in {what}"),
                files.len() as u64 + 1,
                limits.max_entries,
                "entries",
            )?;
            let etype = entry.header().entry_type();
            if !(etype.is_file() || etype.is_contiguous()) {
                continue;
            }
            let raw = entry.path_bytes();
            Limits::check(|| format!("path length in {what}"), raw.len() as u64, limits.max_path_len as u64, "bytes")?;
            let name = crate::walk::normalize_path(&raw);
            files.insert(name, (entry.raw_file_position(), entry.size()));
        }
        Ok(TarStore { path: path.to_path_buf(), label: label.to_string(), files })
    }

    fn locate(&self, rel: &str) -> Result<(u64, u64)> {
        self.files
            .get(rel)
            .copied()
            .ok_or_else(|| Error::NotFound(format!("{rel} is missing from {} {}", self.label, self.path.display())))
    }

    async fn open_at(&self, rel: &str) -> Result<(tokio::fs::File, u64)> {
        let (offset, size) = self.locate(rel)?;
        let mut f = tokio::fs::File::open(&self.path).await.map_err(|e| not_found_or_io(&self.path, e))?;
        f.seek(SeekFrom::Start(offset)).await.map_err(|e| Error::io(self.path.display().to_string(), e))?;
        Ok((f, size))
    }

    /// Hash a member synchronously and sniff its compression.
    fn hash_member(&self, rel: &str) -> Result<(Digest, u64, Compression)> {
        let (offset, size) = self.locate(rel)?;
        let io = |e| Error::io(self.path.display().to_string(), e);
        let mut f = std::fs::File::open(&self.path).map_err(io)?;
        f.seek(SeekFrom::Start(offset)).map_err(io)?;
        let mut r = f.take(size);
        let mut hasher = DigestHasher::new(crate::DigestAlgorithm::Sha256);
        let mut buf = vec![0u8; crate::blob::CHUNK];
        let mut head = Vec::new();
        let mut total = 0u64;
        loop {
            let n = r.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            if head.len() < 4 {
                head.extend_from_slice(&buf[..n.min(4)]);
            }
            total += n as u64;
            hasher.update(&buf[..n]);
        }
        if total != size {
            return Err(Error::Corrupt {
                what: format!("{rel} in {}", self.path.display()),
                reason: "truncated".into(),
            });
        }
        Ok((hasher.finish(), size, Compression::sniff(&head)))
    }
}

#[async_trait::async_trait]
impl LayoutStore for TarStore {
    async fn read(&self, rel: &str, max: u64) -> Result<Vec<u8>> {
        let (f, size) = self.open_at(rel).await?;
        Limits::check(|| format!("{rel} in {}", self.path.display()), size, max, "bytes")?;
        let mut out = Vec::with_capacity(size as usize);
        f.take(size).read_to_end(&mut out).await.map_err(|e| Error::io(self.path.display().to_string(), e))?;
        Ok(out)
    }

    async fn open(&self, rel: &str) -> Result<BlobStream> {
        let (f, size) = self.open_at(rel).await?;
        Ok(Box::pin(tokio::io::BufReader::with_capacity(crate::blob::CHUNK, f.take(size))))
    }

    fn open_file(&self, rel: &str) -> Result<crate::source::BlobFile> {
        let (offset, size) = self.locate(rel)?;
        let io = |e| Error::io(self.path.display().to_string(), e);
        let mut f = std::fs::File::open(&self.path).map_err(|e| not_found_or_io(&self.path, e))?;
        f.seek(SeekFrom::Start(offset)).map_err(io)?;
        Ok(Box::new(f.take(size)))
    }

    async fn size(&self, rel: &str) -> Result<Option<u64>> {
        Ok(self.files.get(rel).map(|(_, s)| *s))
    }

    fn describe(&self) -> String {
        format!("{} {}", self.label, self.path.display())
    }
}

async fn index_tar(path: &Path, label: &'static str, limits: Limits) -> Result<TarStore> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || TarStore::index(&path, label, &limits))
        .await
        .map_err(|e| Error::Corrupt { what: label.into(), reason: format!("indexing thread failed: {e}") })?
}

/// An `oci-archive:FILE`: a tar of an OCI image layout, read without extracting.
pub struct OciArchive {
    reader: LayoutReader,
}

impl OciArchive {
    /// Index the archive and check it holds a layout.
    pub async fn open(path: impl AsRef<Path>, limits: Limits) -> Result<OciArchive> {
        let store = index_tar(path.as_ref(), "oci-archive", limits).await?;
        let reader = LayoutReader { store: Arc::new(store), limits };
        reader.check_layout_file().await?;
        Ok(OciArchive { reader })
    }
}

#[async_trait::async_trait]
impl ContentSource for OciArchive {
    async fn manifest(&self, selector: &str) -> Result<RawManifest> {
        self.reader.manifest(selector).await
    }
    async fn blob(&self, descriptor: &Descriptor) -> Result<BlobStream> {
        self.reader.blob(descriptor).await
    }
    fn blob_file(&self, descriptor: &Descriptor) -> Option<Result<crate::source::BlobFile>> {
        Some(self.reader.store.open_file(&crate::layout::blob_path(&descriptor.digest)))
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

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SaveEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

struct SavedImage {
    tags: Vec<String>,
    manifest: RawManifest,
}

/// A `docker-archive:FILE` (`docker save` output), presented as images with synthesised
/// Docker schema 2 manifests; see the module docs.
pub struct DockerArchive {
    store: TarStore,
    images: Vec<SavedImage>,
    blobs: HashMap<Digest, String>,
    limits: Limits,
}

impl DockerArchive {
    /// Index the archive and synthesise a manifest per image (hashing every layer once).
    pub async fn open(path: impl AsRef<Path>, limits: Limits) -> Result<DockerArchive> {
        let store = index_tar(path.as_ref(), "docker-archive", limits).await?;
        tokio::task::spawn_blocking(move || DockerArchive::build(store, limits))
            .await
            .map_err(|e| Error::Corrupt { what: "docker-archive".into(), reason: format!("thread failed: {e}") })?
    }

    fn read_member(store: &TarStore, rel: &str, max: u64) -> Result<Vec<u8>> {
        let (offset, size) = store.locate(rel)?;
        Limits::check(|| format!("{rel} in {}", store.path.display()), size, max, "bytes")?;
        let io = |e| Error::io(store.path.display().to_string(), e);
        let mut f = std::fs::File::open(&store.path).map_err(io)?;
        f.seek(SeekFrom::Start(offset)).map_err(io)?;
        let mut out = Vec::with_capacity(size as usize);
        f.take(size).read_to_end(&mut out).map_err(io)?;
        Ok(out)
    }

    fn build(store: TarStore, limits: Limits) -> Result<DockerArchive> {
        let what = format!("docker-archive {}", store.path.display());
        let listing =
            DockerArchive::read_member(&store, "manifest.json", limits.max_manifest).map_err(|e| match e {
                Error::NotFound(_) => {
                    Error::NotFound(format!("{what} has no manifest.json; is it a `docker save` tar?"))
                }
                other => other,
            })?;
        let entries: Vec<SaveEntry> = serde_json::from_slice(&listing)
            .map_err(|e| Error::InvalidManifest(format!("{what}: invalid manifest.json: {e}")))?;
        let mut blobs = HashMap::new();
        let mut hashed: HashMap<String, (Digest, u64, Compression)> = HashMap::new();
        let mut images = Vec::new();
        for entry in entries {
            let config_path = crate::walk::normalize_path(entry.config.as_bytes());
            let config = DockerArchive::read_member(&store, &config_path, limits.max_config)?;
            let config_desc = Descriptor::for_bytes(media_type::DOCKER_CONFIG, &config);
            blobs.insert(config_desc.digest.clone(), config_path);
            let mut layers = Vec::new();
            for layer in &entry.layers {
                let rel = crate::walk::normalize_path(layer.as_bytes());
                let (digest, size, compression) = match hashed.get(&rel) {
                    Some(h) => h.clone(),
                    None => {
                        let h = store.hash_member(&rel)?;
                        hashed.insert(rel.clone(), h.clone());
                        h
                    }
                };
                let media_type = match compression {
                    Compression::Gzip => media_type::DOCKER_LAYER_GZIP,
                    Compression::Zstd => "application/vnd.docker.image.rootfs.diff.tar.zstd",
                    Compression::None => DOCKER_LAYER_TAR,
                };
                let mut d = Descriptor::for_bytes(media_type, b"");
                d.digest = digest.clone();
                d.size = size;
                blobs.insert(digest, rel);
                layers.push(d);
            }
            let manifest = ImageManifest {
                schema_version: 2,
                media_type: Some(media_type::DOCKER_MANIFEST.to_string()),
                artifact_type: None,
                config: config_desc,
                layers,
                subject: None,
                annotations: None,
            };
            let manifest = RawManifest::from_serializable(&manifest, media_type::DOCKER_MANIFEST)?;
            images.push(SavedImage { tags: entry.repo_tags.unwrap_or_default(), manifest });
        }
        Ok(DockerArchive { store, images, blobs, limits })
    }

    fn all_tags(&self) -> String {
        let tags: Vec<&str> = self.images.iter().flat_map(|i| i.tags.iter().map(String::as_str)).collect();
        if tags.is_empty() { "none".into() } else { tags.join(", ") }
    }

    fn select(&self, selector: &str) -> Result<&SavedImage> {
        if selector.is_empty() {
            return match self.images.as_slice() {
                [only] => Ok(only),
                [] => Err(Error::NotFound(format!("{} holds no images", self.store.describe()))),
                _ => Err(Error::NotFound(format!(
                    "{} holds {} images; name one (tags: {})",
                    self.store.describe(),
                    self.images.len(),
                    self.all_tags()
                ))),
            };
        }
        if let Ok(d) = selector.parse::<Digest>()
            && let Some(i) = self.images.iter().find(|i| i.manifest.digest == d)
        {
            return Ok(i);
        }
        let wanted: Option<Reference> = selector.parse().ok();
        let same = |tag: &str| {
            tag == selector
                || match (&wanted, tag.parse::<Reference>()) {
                    (Some(w), Ok(t)) => w.name() == t.name() && w.tag() == t.tag(),
                    _ => false,
                }
        };
        self.images.iter().find(|i| i.tags.iter().any(|t| same(t))).ok_or_else(|| {
            Error::NotFound(format!("{selector:?} not found in {} (tags: {})", self.store.describe(), self.all_tags()))
        })
    }
}

#[async_trait::async_trait]
impl ContentSource for DockerArchive {
    async fn manifest(&self, selector: &str) -> Result<RawManifest> {
        Ok(self.select(selector)?.manifest.clone())
    }

    async fn blob(&self, descriptor: &Descriptor) -> Result<BlobStream> {
        let rel = self.blobs.get(&descriptor.digest).ok_or_else(|| {
            Error::NotFound(format!("blob {} is not in {}", descriptor.digest, self.store.describe()))
        })?;
        self.store.open(rel).await
    }

    async fn blob_bytes(&self, descriptor: &Descriptor, max_bytes: u64) -> Result<Vec<u8>> {
        Limits::check(|| format!("blob {}", descriptor.digest), descriptor.size, max_bytes, "bytes")?;
        let rel = self.blobs.get(&descriptor.digest).ok_or_else(|| {
            Error::NotFound(format!("blob {} is not in {}", descriptor.digest, self.store.describe()))
        })?;
        let bytes = self.store.read(rel, max_bytes.min(self.limits.max_layer_compressed)).await?;
        verify_bytes(descriptor, &bytes)?;
        Ok(bytes)
    }

    async fn referrers(&self, _subject: &Digest, _artifact_type: Option<&str>) -> Result<ImageIndex> {
        Ok(ImageIndex::empty())
    }

    async fn tags(&self) -> Result<Vec<String>> {
        Ok(self.images.iter().flat_map(|i| i.tags.clone()).collect())
    }

    fn describe(&self) -> String {
        self.store.describe()
    }
}
