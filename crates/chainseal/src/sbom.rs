//! SBOMs: catalog an image (registry, OCI layout, oci-archive, docker-archive) or a directory
//! into the model, write it in one or more formats, read documents back.

use std::path::Path;
use std::sync::Arc;

use chainseal_oci::SourceSpec;
use chainseal_oci::registry::RegistryConfig;
use chainseal_sbom::{ImageVisitor, ScanOptions};

/// The SBOM model's parts (components, kinds, hashes, locations), for callers that read an
/// [`Sbom`] (the Python bindings).
pub use chainseal_sbom::{Component, ComponentKind, Location, SourceInfo, Warning};
pub use chainseal_sbom::{Format, Limits, Sbom};

use crate::error::{Error, Result};

/// How to make an SBOM.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SbomOptions {
    /// Platform to pick from a multi-platform image (`linux/amd64` when `None`).
    pub platform: Option<String>,
    /// Registry access (credentials, insecure hosts, CAs).
    pub registry: RegistryConfig,
    /// Limits on cataloged evidence.
    pub limits: Limits,
    /// Limits on the image walk (layer sizes, entries).
    pub oci_limits: chainseal_oci::Limits,
    /// Override the source's name in the SBOM.
    pub source_name: Option<String>,
    /// Override the source's version.
    pub source_version: Option<String>,
    /// Supplier of the source (NTIA "supplier" of the top component).
    pub source_supplier: Option<String>,
    /// SBOM timestamp (seconds since the epoch). `None`: `SOURCE_DATE_EPOCH`, else the image's
    /// creation time / the newest evidence file's mtime, else the epoch.
    pub created: Option<i64>,
}

impl SbomOptions {
    /// Options with defaults.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Where an SBOM comes from: a directory or an image SOURCE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SbomSource {
    /// `dir:PATH`, or a path to a directory that is not an OCI layout.
    Directory(std::path::PathBuf),
    /// Any image SOURCE understood by `chainseal inspect`.
    Image(SourceSpec),
}

impl SbomSource {
    /// Parse SOURCE: `dir:PATH`, `oci-dir:`, `oci-archive:`, `docker-archive:`, `registry:`,
    /// or a bare path (a directory; an OCI layout directory becomes `oci-dir:`) or reference.
    pub fn parse(s: &str) -> Result<SbomSource> {
        if let Some(p) = s.strip_prefix("dir:") {
            if p.is_empty() {
                return Err(Error::InvalidInput("dir: needs a path, e.g. dir:./project".into()));
            }
            return Ok(SbomSource::Directory(p.into()));
        }
        let has_scheme =
            ["oci-dir:", "oci-archive:", "docker-archive:", "registry:", "docker://"].iter().any(|p| s.starts_with(p));
        if !has_scheme {
            let p = Path::new(s);
            if p.is_dir() {
                if p.join("oci-layout").is_file() {
                    return Ok(SbomSource::Image(SourceSpec::parse(&format!("oci-dir:{s}"))?));
                }
                return Ok(SbomSource::Directory(p.to_path_buf()));
            }
        }
        Ok(SbomSource::Image(SourceSpec::parse(s)?))
    }
}

/// Catalog SOURCE into an SBOM model. Images are streamed layer by layer, never extracted.
pub async fn sbom(source: &str, options: &SbomOptions) -> Result<Sbom> {
    match SbomSource::parse(source)? {
        SbomSource::Directory(path) => sbom_directory(&path, options),
        SbomSource::Image(spec) => sbom_image(&spec, options).await,
    }
}

/// Catalog SOURCE and say which image manifest was cataloged: for images, the source and the
/// digest the reference resolved to (the index digest for a multi-platform image), so the
/// SBOM can be attested to exactly that digest without a second walk (`sbom --attest`).
pub async fn sbom_resolved(
    source: &str,
    options: &SbomOptions,
) -> Result<(Sbom, Option<(SourceSpec, chainseal_oci::Digest)>)> {
    match SbomSource::parse(source)? {
        SbomSource::Directory(path) => Ok((sbom_directory(&path, options)?, None)),
        SbomSource::Image(spec) => {
            let (sbom, digest) = sbom_image_with_digest(&spec, options).await?;
            Ok((sbom, Some((spec, digest))))
        }
    }
}

/// Catalog a directory (installed and declared evidence).
pub fn sbom_directory(path: &Path, options: &SbomOptions) -> Result<Sbom> {
    let mut scan = ScanOptions::default();
    scan.limits = options.limits.clone();
    scan.source_name = options.source_name.clone();
    scan.source_version = options.source_version.clone();
    scan.source_supplier = options.source_supplier.clone();
    scan.created = options.created;
    Ok(chainseal_sbom::scan_directory(path, &scan)?)
}

/// Catalog an image (installed evidence in the squashed filesystem).
pub async fn sbom_image(spec: &SourceSpec, options: &SbomOptions) -> Result<Sbom> {
    Ok(sbom_image_with_digest(spec, options).await?.0)
}

async fn sbom_image_with_digest(spec: &SourceSpec, options: &SbomOptions) -> Result<(Sbom, chainseal_oci::Digest)> {
    let source: Arc<dyn chainseal_oci::source::ContentSource> = match spec {
        SourceSpec::Registry(r) => Arc::new(chainseal_oci::registry::open(r, &options.registry)?),
        other => match other.open_local(options.oci_limits.clone()).await? {
            Some(s) => Arc::from(s),
            None => return Err(Error::InvalidInput(format!("cannot open {other}"))),
        },
    };
    let platform = options.platform.as_deref().map(chainseal_oci::manifest::Platform::parse).transpose()?;
    let image =
        chainseal_oci::resolve_image(source.as_ref(), &spec.selector(), platform.as_ref(), &options.oci_limits).await?;
    let visitor = ImageVisitor::new(options.limits.clone(), options.oci_limits.max_file_read);
    let proto = visitor.for_layer();
    // Layers read twice because of symlinked parents are logged by the walk itself.
    let (layers, view, _stats) = image.walk_parallel(source, move |_| proto.for_layer(), options.oci_limits).await?;

    let (name, repo_url, tag) = match spec {
        SourceSpec::Registry(r) => (
            r.repository().to_string(),
            Some(format!("{}/{}", r.registry(), r.repository())),
            r.tag().map(str::to_string),
        ),
        SourceSpec::OciDir { path, tag } | SourceSpec::OciArchive { path, tag } => (stem(path), None, tag.clone()),
        SourceSpec::DockerArchive { path, tag } => match tag.as_deref().and_then(|t| t.rsplit_once(':')) {
            Some((n, t)) => (n.to_string(), None, Some(t.to_string())),
            None => (stem(path), None, None),
        },
        _ => ("image".to_string(), None, None),
    };
    let name = options.source_name.clone().unwrap_or(name);
    let arch = (!image.config.architecture.is_empty()).then(|| image.config.architecture.clone());
    let digest = image.digest().to_string();
    let mut src = chainseal_sbom::image_source(&name, repo_url.as_deref(), tag.as_deref(), arch.as_deref(), &digest);
    src.supplier = options.source_supplier.clone();
    if let Some(v) = &options.source_version {
        src.version = v.clone();
    }
    if let Some(idx) = image.index_digest() {
        src.properties.push(("chainseal:image:indexDigest".into(), idx.to_string()));
    }
    if let Some(p) = &image.platform {
        src.properties.push(("chainseal:image:platform".into(), p.to_string()));
    }
    let config_created =
        image.config.created.as_deref().and_then(|c| c.parse::<jiff::Timestamp>().ok()).map(|t| t.as_second());
    let created = options.created.unwrap_or_else(|| chainseal_sbom::created_timestamp(config_created));
    Ok((visitor.finish_layers(layers, &view, src, created), image.top_digest().clone()))
}

fn stem(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "image".into());
    name.trim_end_matches(".tar").trim_end_matches(".oci").to_string()
}

/// Write `sbom` in `format` (deterministic bytes).
pub fn write(sbom: &Sbom, format: Format) -> Vec<u8> {
    chainseal_sbom::format::write(sbom, format)
}

/// Read a CycloneDX or SPDX JSON document (chainseal's, syft's, others') into the model.
pub fn read(bytes: &[u8]) -> Result<Sbom> {
    Ok(chainseal_sbom::format::read(bytes)?)
}
