//! Images: `inspect` (what a SOURCE is: digests, platforms, layers, config, attachments) and
//! `copy` (SOURCE → DEST keeping every digest, optionally with signatures, attestations and
//! SBOMs). SOURCE and DEST strings: `registry:REF` or a bare REF, `oci-dir:PATH[:TAG]`,
//! and for sources also `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:REF]`.
//!
//! Each operation has a blocking form (it runs its own Tokio runtime; for the CLI and the
//! Python bindings) and an `_async` form for callers that already run one.

use std::collections::BTreeMap;

use serde::Serialize;

use chainseal_oci::copy::{self, CopyOptions as OciCopyOptions};
use chainseal_oci::image::ConfigSummary;
use chainseal_oci::manifest::{Descriptor, Platform};
use chainseal_oci::registry::{self, CosignAttachment};
use chainseal_oci::source::{ContentSink, ContentSource};
use chainseal_oci::{Digest, Limits, OciLayout, SourceSpec};

pub use chainseal_oci::copy::{CopyProgress, CopyReport, ProgressFn};
pub use chainseal_oci::registry::{Credential, RegistryConfig, RetryPolicy};

use crate::error::{Error, Result};

/// Options for [`inspect`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct InspectOptions {
    /// Platform to pick from an index (`os/arch[/variant]`); default `linux/amd64`.
    pub platform: Option<String>,
    /// How to talk to registries.
    pub registry: RegistryConfig,
    /// Skip listing referrers and cosign tags.
    pub skip_attachments: bool,
}

/// What `inspect` reports (the CLI prints it as JSON).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct InspectReport {
    /// The SOURCE as given.
    pub source: String,
    /// The normalised registry reference (registry sources only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Digest of the platform image manifest.
    pub digest: Digest,
    /// Digest of the index the SOURCE named, if it named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<Digest>,
    /// Media type of what the SOURCE named (index or manifest).
    pub media_type: String,
    /// Media type of the image manifest.
    pub manifest_media_type: String,
    /// The platform chosen from the index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Platforms the index offers.
    pub platforms: Vec<String>,
    /// Layers, base first.
    pub layers: Vec<Descriptor>,
    /// The config blob and a summary of it.
    pub config: ConfigReport,
    /// OCI 1.1 referrers of the index and of the image manifest.
    pub referrers: Vec<ReferrerReport>,
    /// cosign tag-scheme attachments (`sha256-<hex>.sig` / `.att` / `.sbom`) present.
    pub cosign_tags: Vec<String>,
}

/// The config part of [`InspectReport`].
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ConfigReport {
    /// Config digest.
    pub digest: Digest,
    /// Config media type.
    pub media_type: String,
    /// Config size.
    pub size: u64,
    /// Parsed summary (empty for artifact configs).
    #[serde(flatten)]
    pub summary: ConfigSummary,
}

/// One referrer in [`InspectReport`].
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ReferrerReport {
    /// The digest it refers to.
    pub subject: Digest,
    /// The referrer manifest.
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
    /// Its artifact type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Its size.
    pub size: u64,
    /// Its annotations.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// Options for [`copy`].
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct CopyOptions {
    /// How to talk to registries.
    pub registry: RegistryConfig,
    /// Also copy referrers and cosign `.sig` / `.att` / `.sbom` tags.
    pub with_attachments: bool,
    /// Progress callback (the CLI draws a bar from it).
    pub progress: Option<ProgressFn>,
    /// Copy only this platform (`os/arch[/variant]`) of an index, its manifest digest
    /// unchanged; `None` copies the whole index.
    pub platform: Option<String>,
}

impl std::fmt::Debug for CopyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyOptions")
            .field("registry", &self.registry)
            .field("with_attachments", &self.with_attachments)
            .finish_non_exhaustive()
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::InvalidInput(format!("could not start the async runtime: {e}")))
}

/// Open a SOURCE string for reading.
pub async fn open_source(source: &str, config: &RegistryConfig) -> Result<(SourceSpec, Box<dyn ContentSource>)> {
    let spec = SourceSpec::parse(source)?;
    let opened: Box<dyn ContentSource> = match &spec {
        SourceSpec::Registry(r) => Box::new(registry::open(r, config)?),
        _ => spec
            .open_local(Limits::default())
            .await?
            .ok_or_else(|| Error::InvalidInput(format!("cannot open {source}")))?,
    };
    Ok((spec, opened))
}

/// Inspect a SOURCE (blocking).
pub fn inspect(source: &str, options: &InspectOptions) -> Result<InspectReport> {
    runtime()?.block_on(inspect_async(source, options))
}

/// Inspect a SOURCE.
pub async fn inspect_async(source: &str, options: &InspectOptions) -> Result<InspectReport> {
    let platform = options.platform.as_deref().map(Platform::parse).transpose()?;
    let (spec, src) = open_source(source, &options.registry).await?;
    let resolved =
        chainseal_oci::resolve_image(src.as_ref(), &spec.selector(), platform.as_ref(), &Limits::default()).await?;
    let top = resolved.index.as_ref().unwrap_or(&resolved.manifest);
    let mut subjects = vec![resolved.manifest.digest.clone()];
    if let Some(i) = &resolved.index {
        subjects.insert(0, i.digest.clone());
    }
    let mut referrers = Vec::new();
    let mut cosign_tags = Vec::new();
    if !options.skip_attachments {
        for subject in &subjects {
            for d in src.referrers(subject, None).await?.manifests {
                referrers.push(ReferrerReport {
                    subject: subject.clone(),
                    digest: d.digest,
                    media_type: d.media_type,
                    artifact_type: d.artifact_type,
                    size: d.size,
                    annotations: d.annotations.unwrap_or_default(),
                });
            }
        }
        let tags = src.tags().await?;
        for subject in &subjects {
            for kind in CosignAttachment::ALL {
                let tag = kind.tag_for(subject);
                if tags.contains(&tag) {
                    cosign_tags.push(tag);
                }
            }
        }
    }
    Ok(InspectReport {
        source: source.to_string(),
        reference: match &spec {
            SourceSpec::Registry(r) => Some(r.to_string()),
            _ => None,
        },
        digest: resolved.manifest.digest.clone(),
        index_digest: resolved.index.as_ref().map(|i| i.digest.clone()),
        media_type: top.media_type.clone(),
        manifest_media_type: resolved.manifest.media_type.clone(),
        platform: resolved.platform.as_ref().map(Platform::to_string),
        platforms: resolved.platforms.iter().map(Platform::to_string).collect(),
        layers: resolved.image.layers.clone(),
        config: ConfigReport {
            digest: resolved.image.config.digest.clone(),
            media_type: resolved.image.config.media_type.clone(),
            size: resolved.image.config.size,
            summary: resolved.config.clone(),
        },
        referrers,
        cosign_tags,
    })
}

/// Copy SOURCE to DEST (blocking); see [`copy_async`].
pub fn copy(source: &str, dest: &str, options: &CopyOptions) -> Result<CopyReport> {
    runtime()?.block_on(copy_async(source, dest, options))
}

/// Copy SOURCE to DEST keeping every digest. DEST is a registry reference (its tag, else the
/// source's tag, names the copy; a digest in DEST must equal the source's) or
/// `oci-dir:PATH[:TAG]` (created when missing).
pub async fn copy_async(source: &str, dest: &str, options: &CopyOptions) -> Result<CopyReport> {
    let platform = options.platform.as_deref().map(Platform::parse).transpose()?;
    let (spec, src) = open_source(source, &options.registry).await?;
    let source_tag = match &spec {
        SourceSpec::Registry(r) if r.digest().is_none() => r.tag().map(str::to_string),
        SourceSpec::OciDir { tag, .. } | SourceSpec::OciArchive { tag, .. } => tag.clone(),
        _ => None,
    };
    let dest_spec = SourceSpec::parse(dest)?;
    let (sink, dest_tag, dest_digest): (Box<dyn ContentSink>, Option<String>, Option<Digest>) = match &dest_spec {
        SourceSpec::Registry(r) => {
            let explicit_tag = has_explicit_tag(dest);
            let tag = if r.digest().is_some() {
                None
            } else if explicit_tag || source_tag.is_none() {
                r.tag().map(str::to_string)
            } else {
                source_tag.clone().or(r.tag().map(str::to_string))
            };
            (Box::new(registry::open(r, &options.registry)?), tag, r.digest().cloned())
        }
        SourceSpec::OciDir { path, tag } => {
            let layout = if path.join("index.json").exists() {
                OciLayout::open(path.clone()).await?
            } else {
                OciLayout::create(path.clone()).await?
            };
            (Box::new(layout), tag.clone().or(source_tag.clone()), None)
        }
        _ => {
            return Err(Error::InvalidInput(format!(
                "{dest}: archives cannot be copy destinations; use a registry reference or oci-dir:PATH"
            )));
        }
    };
    let mut oci_options = OciCopyOptions::default();
    oci_options.with_attachments = options.with_attachments;
    oci_options.dest_tag = dest_tag;
    oci_options.progress = options.progress.clone();
    oci_options.platform = platform.clone();
    if let Some(want) = &dest_digest {
        let top = match &platform {
            Some(p) => {
                chainseal_oci::resolve_image(src.as_ref(), &spec.selector(), Some(p), &Limits::default())
                    .await?
                    .manifest
            }
            None => src.manifest(&spec.selector()).await?,
        };
        if &top.digest != want {
            return Err(Error::InvalidInput(format!(
                "{dest} names digest {want} but the source is {}; drop the digest from DEST or fix it",
                top.digest
            )));
        }
    }
    Ok(copy::copy_image(src.as_ref(), &spec.selector(), sink.as_ref(), &oci_options).await?)
}

/// Does a registry DEST string name a tag itself (`host:5000/repo:v2`), rather than getting
/// the default `latest`?
fn has_explicit_tag(dest: &str) -> bool {
    let s = dest.strip_prefix("registry:").or_else(|| dest.strip_prefix("docker://")).unwrap_or(dest);
    let last = s.rsplit('/').next().unwrap_or(s);
    last.split('@').next().unwrap_or(last).contains(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_tags() {
        assert!(has_explicit_tag("127.0.0.1:5000/a/b:v2"));
        assert!(!has_explicit_tag("127.0.0.1:5000/a/b"));
        assert!(!has_explicit_tag("registry:localhost:5000/a"));
        assert!(has_explicit_tag("registry:alpine:3"));
        assert!(!has_explicit_tag("ghcr.io/a/b@sha256:abc"));
    }
}
