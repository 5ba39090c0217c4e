//! Resolving a source and selector to one image: manifest, platform, config, layers.
//!
//! [`resolve_image`] fetches the manifest the selector names. If it is an index (OCI index
//! or Docker manifest list), the entry for the wanted platform (default `linux/amd64`) is
//! chosen and fetched, and both digests are kept: [`ResolvedImage::index`] is what the tag
//! points at, [`ResolvedImage::manifest`] the platform's image. The config is fetched
//! size-limited and digest-verified. This is what `chainseal inspect` prints.

use std::sync::Arc;

use serde::Serialize;

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::manifest::{Descriptor, ImageIndex, ImageManifest, Manifest, Platform, RawManifest};
use crate::source::ContentSource;
use crate::walk::{LayerVisitor, SquashedView};

/// The platform chosen from an index when none is asked for.
pub const DEFAULT_PLATFORM: &str = "linux/amd64";

/// The parts of an image config chainseal reports (the raw bytes are kept too).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ConfigSummary {
    /// CPU architecture.
    #[serde(default)]
    pub architecture: String,
    /// Operating system.
    #[serde(default)]
    pub os: String,
    /// CPU variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Creation time as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Uncompressed layer digests (`rootfs.diff_ids`).
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// One image, resolved.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    /// The index the selector named, if it named one.
    pub index: Option<RawManifest>,
    /// The platforms the index offers (empty for a single-platform manifest).
    pub platforms: Vec<Platform>,
    /// The platform picked from the index.
    pub platform: Option<Platform>,
    /// The image manifest.
    pub manifest: RawManifest,
    /// The parsed image manifest.
    pub image: ImageManifest,
    /// Config bytes, verified against `image.config`.
    pub config_bytes: Vec<u8>,
    /// Parsed summary of the config (empty for non-image configs such as `{}`).
    pub config: ConfigSummary,
}

impl ResolvedImage {
    /// Digest of the platform image manifest.
    pub fn digest(&self) -> &Digest {
        &self.manifest.digest
    }

    /// Digest of the index, if the selector named one.
    pub fn index_digest(&self) -> Option<&Digest> {
        self.index.as_ref().map(|i| &i.digest)
    }

    /// What the selector resolved to: the index digest, else the manifest digest.
    pub fn top_digest(&self) -> &Digest {
        self.index_digest().unwrap_or(self.digest())
    }

    /// The layer descriptors, base first.
    pub fn layers(&self) -> &[Descriptor] {
        &self.image.layers
    }

    /// Walk the layers (see [`crate::walk`]).
    pub async fn walk<V: LayerVisitor + Send + 'static>(
        &self,
        source: Arc<dyn ContentSource>,
        visitor: V,
        limits: Limits,
    ) -> Result<(V, SquashedView)> {
        crate::walk::walk_source(source, self.image.layers.clone(), visitor, limits).await
    }

    /// Walk the layers several at a time, one visitor per layer (see
    /// [`crate::walk::walk_layers_parallel`]).
    pub async fn walk_parallel<V, F>(
        &self,
        source: Arc<dyn ContentSource>,
        make_visitor: F,
        limits: Limits,
    ) -> Result<(Vec<V>, SquashedView, crate::walk::WalkStats)>
    where
        V: LayerVisitor + Send + 'static,
        F: Fn(&crate::walk::LayerInfo) -> V + Send + Sync + 'static,
    {
        crate::walk::walk_source_parallel(source, self.image.layers.clone(), make_visitor, limits).await
    }
}

fn listed_platforms(index: &ImageIndex) -> Vec<Platform> {
    index
        .manifests
        .iter()
        .filter_map(|d| d.platform.clone())
        // Build attestations (docker buildx) are listed as unknown/unknown.
        .filter(|p| p.os != "unknown" && p.architecture != "unknown")
        .collect()
}

/// Pick the entry for `wanted` from an index, or fail naming the platforms on offer.
pub fn select_platform(index: &ImageIndex, wanted: &Platform) -> Result<Descriptor> {
    let found = index.manifests.iter().find(|d| d.platform.as_ref().is_some_and(|p| p.matches(wanted)));
    found.cloned().ok_or_else(|| {
        let offered: Vec<String> = listed_platforms(index).iter().map(Platform::to_string).collect();
        Error::NotFound(format!(
            "the image has no {wanted} variant; available platforms: {}; choose one with --platform",
            if offered.is_empty() { "none".to_string() } else { offered.join(", ") }
        ))
    })
}

/// Resolve `selector` in `source` to one image; see the module docs. `platform` `None`
/// means [`DEFAULT_PLATFORM`] for indexes and no check for single manifests; an explicit
/// platform that a single manifest's config contradicts is an error.
pub async fn resolve_image(
    source: &dyn ContentSource,
    selector: &str,
    platform: Option<&Platform>,
    limits: &Limits,
) -> Result<ResolvedImage> {
    let top = source.manifest(selector).await?;
    Limits::check(|| "manifest".into(), top.bytes.len() as u64, limits.max_manifest, "bytes")?;
    let (index, platforms, chosen, manifest) = match top.parse()? {
        Manifest::Image(_) => (None, Vec::new(), None, top),
        Manifest::Index(idx) => {
            let default = Platform::parse(DEFAULT_PLATFORM)?;
            let wanted = platform.unwrap_or(&default);
            let entry = select_platform(&idx, wanted)?;
            let child = source.manifest(&entry.digest.to_string()).await?;
            if child.digest != entry.digest {
                return Err(Error::DigestMismatch {
                    what: format!("{wanted} manifest"),
                    expected: entry.digest.to_string(),
                    actual: child.digest.to_string(),
                });
            }
            (Some(top), listed_platforms(&idx), entry.platform.clone(), child)
        }
    };
    let image = match manifest.parse()? {
        Manifest::Image(m) => m,
        Manifest::Index(_) => {
            return Err(Error::InvalidManifest(
                "the platform entry of the index is itself an index; nested indexes are not supported".into(),
            ));
        }
    };
    let config_bytes = source.blob_bytes(&image.config, limits.max_config).await?;
    let config: ConfigSummary = if crate::media_type::is_image_manifest(&manifest.media_type)
        && (image.config.media_type == crate::media_type::OCI_CONFIG
            || image.config.media_type == crate::media_type::DOCKER_CONFIG)
    {
        #[derive(serde::Deserialize)]
        struct RootFs {
            #[serde(default)]
            diff_ids: Vec<String>,
        }
        #[derive(serde::Deserialize)]
        struct Raw {
            #[serde(flatten)]
            summary: ConfigSummary,
            rootfs: Option<RootFs>,
        }
        let raw: Raw = serde_json::from_slice(&config_bytes)
            .map_err(|e| Error::InvalidManifest(format!("invalid image config {}: {e}", image.config.digest)))?;
        let mut summary = raw.summary;
        summary.diff_ids = raw.rootfs.map(|r| r.diff_ids).unwrap_or_default();
        summary
    } else {
        ConfigSummary::default()
    };
    if let (None, Some(wanted)) = (&index, platform) {
        let actual = Platform {
            architecture: config.architecture.clone(),
            os: config.os.clone(),
            variant: config.variant.clone(),
            os_version: None,
        };
        if !config.os.is_empty() && !actual.matches(wanted) {
            return Err(Error::NotFound(format!("the image is {actual}, not {wanted}; available platforms: {actual}")));
        }
    }
    Ok(ResolvedImage { index, platforms, platform: chosen, manifest, image, config_bytes, config })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::OciLayout;
    use crate::media_type;
    use crate::source::ContentSink;

    async fn image(layout: &OciLayout, arch: &str) -> RawManifest {
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}
        }))
        .unwrap();
        let cd = Descriptor::for_bytes(media_type::OCI_CONFIG, &config);
        layout.put_blob_bytes(&cd, &config).await.unwrap();
        let m =
            serde_json::json!({"schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST, "config": cd, "layers": []});
        let raw = RawManifest::from_bytes(serde_json::to_vec(&m).unwrap(), None).unwrap();
        layout.put_blob_bytes(&raw.descriptor(), &raw.bytes).await.unwrap();
        raw
    }

    #[tokio::test]
    async fn picks_platforms_and_names_the_available_ones() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).await.unwrap();
        let amd = image(&layout, "amd64").await;
        let arm = image(&layout, "arm64").await;
        let entry = |raw: &RawManifest, arch: &str| {
            let mut d = raw.descriptor();
            d.platform = Some(Platform::parse(&format!("linux/{arch}")).unwrap());
            d
        };
        let mut idx = ImageIndex::empty();
        idx.manifests = vec![entry(&amd, "amd64"), entry(&arm, "arm64")];
        let idx = RawManifest::from_serializable(&idx, media_type::OCI_INDEX).unwrap();
        layout.put_manifest(&idx, Some("multi")).await.unwrap();
        layout.put_manifest(&amd, Some("single")).await.unwrap();

        let l = Limits::default();
        let r = resolve_image(&layout, "multi", None, &l).await.unwrap();
        assert_eq!(r.digest(), &amd.digest);
        assert_eq!(r.index_digest(), Some(&idx.digest));
        assert_eq!(r.platforms.len(), 2);
        assert_eq!(r.config.architecture, "amd64");
        let arm64 = Platform::parse("linux/arm64").unwrap();
        let r = resolve_image(&layout, "multi", Some(&arm64), &l).await.unwrap();
        assert_eq!(r.digest(), &arm.digest);
        let s390 = Platform::parse("linux/s390x").unwrap();
        let err = resolve_image(&layout, "multi", Some(&s390), &l).await.unwrap_err();
        assert!(err.to_string().contains("linux/amd64, linux/arm64"), "{err}");
        let r = resolve_image(&layout, "single", None, &l).await.unwrap();
        assert_eq!(r.top_digest(), &amd.digest);
        assert!(resolve_image(&layout, "single", Some(&arm64), &l).await.is_err());
        let small = Limits { max_config: 5, ..Limits::default() };
        assert!(matches!(resolve_image(&layout, "single", None, &small).await, Err(Error::LimitExceeded { .. })));
    }
}
