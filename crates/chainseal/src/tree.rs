//! `chainseal tree IMAGE`: everything attached to an image — OCI referrers (native API or the
//! `sha256-<hex>` fallback index) and cosign's `.sig`, `.att`, `.sbom` tags — classified as
//! signatures, attestations (by predicate type) and SBOMs. Nothing here is verified: the
//! predicate types shown are the ones the manifests and layers *claim*; `verify-attestation`
//! decides from the signed Statements.
//!
//! [`discover`] is shared with `verify-attestation` and `download`.

use chainseal_oci::manifest::{Descriptor, Manifest};
use chainseal_oci::registry::RegistryConfig;
use chainseal_oci::source::ContentSource;
use chainseal_oci::{Digest, SourceSpec, media_type};
use chainseal_sign::intoto::COSIGN_SIGN_PREDICATE_TYPE;

use crate::error::{Error, Result};
use crate::sign_image::{Target, resolve};

/// What an attached item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ItemKind {
    /// An image signature (cosign v3 sign bundle, `.sig` layer, legacy signature referrer).
    Signature,
    /// An attestation (DSSE over an in-toto Statement).
    Attestation,
    /// An SBOM attachment (cosign `.sbom` tag, or an SBOM referrer).
    Sbom,
    /// Any other referrer.
    Other,
}

/// One attached item.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct AttachedItem {
    /// Its kind.
    pub kind: ItemKind,
    /// `referrer` or `tag`.
    pub via: &'static str,
    /// The referrer manifest digest, or the tag (`sha256-<hex>.att`).
    pub location: String,
    /// The referrer manifest digest, or the layer digest within the tag's image.
    pub digest: String,
    /// The artifact type of a referrer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The predicate type the item claims (annotation; unverified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<String>,
    /// The content layer (bundle, DSSE envelope, simple-signing payload, SBOM).
    #[serde(rename = "layer")]
    pub layer: Descriptor,
}

/// Everything attached to one manifest.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[non_exhaustive]
pub struct Attached {
    /// The image reference as given.
    pub image: String,
    /// The manifest digest the reference resolved to.
    pub digest: String,
    /// The items, referrers first, then tags (`.sig`, `.att`, `.sbom`).
    pub items: Vec<AttachedItem>,
    /// What was looked at, for stderr.
    pub checks: Vec<String>,
    /// Warnings for stderr.
    pub warnings: Vec<String>,
}

impl Attached {
    /// Items of one kind.
    pub fn of_kind(&self, kind: ItemKind) -> impl Iterator<Item = &AttachedItem> {
        self.items.iter().filter(move |i| i.kind == kind)
    }
}

/// Options of [`tree`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct TreeOptions {
    /// Registry settings.
    pub registry: RegistryConfig,
}

/// List what is attached to an image (blocking).
pub fn tree(input: &str, options: &TreeOptions) -> Result<Attached> {
    crate::sign::runtime()?.block_on(tree_async(input, options))
}

/// List what is attached to an image: a registry reference or `oci-dir:PATH[:TAG]`.
pub async fn tree_async(input: &str, options: &TreeOptions) -> Result<Attached> {
    let spec = SourceSpec::parse(input)?;
    let target = Target::open(&spec, &options.registry).await?;
    let resolved = resolve(&spec, &target, input).await?;
    let mut attached = discover(target.source(), &resolved.top.digest).await?;
    attached.image = input.to_owned();
    attached.warnings.extend(resolved.warning);
    Ok(attached)
}

fn bundle_like(mt: &str) -> bool {
    mt.starts_with("application/vnd.dev.sigstore.bundle")
}

fn sbom_like(mt: &str) -> bool {
    mt.contains("cyclonedx") || mt.contains("spdx") || mt == "application/vnd.syft+json"
}

/// Discover everything attached to `digest` in `source`. A listing or lookup failure is an
/// error, never "nothing attached".
pub async fn discover(source: &dyn ContentSource, digest: &Digest) -> Result<Attached> {
    let mut out = Attached { digest: digest.to_string(), ..Default::default() };
    let referrers = source.referrers(digest, None).await?;
    out.checks.push(format!("referrers of {digest}: {} found ({})", referrers.manifests.len(), source.describe()));
    for entry in &referrers.manifests {
        // Decide from the manifest itself, never from the listing's artifactType/annotations.
        let raw = source.manifest(&entry.digest.to_string()).await?;
        let Manifest::Image(m) = raw.parse()? else {
            out.checks.push(format!("referrer {}: an index, skipped", entry.digest));
            continue;
        };
        if m.subject.as_ref().is_none_or(|s| s.digest != *digest) {
            out.warnings
                .push(format!("referrer {} is listed but its subject is another manifest; ignored", entry.digest));
            continue;
        }
        let Some(layer) = m.layers.first().cloned() else {
            out.checks.push(format!("referrer {}: no layers, skipped", entry.digest));
            continue;
        };
        let artifact_type = m.effective_artifact_type().to_owned();
        let annotated =
            m.annotations.as_ref().and_then(|a| a.get(media_type::ANNOTATION_BUNDLE_PREDICATE_TYPE)).cloned();
        let (kind, predicate_type) = if bundle_like(&layer.media_type) || bundle_like(&artifact_type) {
            match annotated.as_deref() {
                Some(COSIGN_SIGN_PREDICATE_TYPE) => (ItemKind::Signature, annotated),
                // Without the annotation a bundle is a signature if it is a message signature;
                // we cannot tell without reading it, so call it an attestation only if annotated.
                Some(_) => (ItemKind::Attestation, annotated),
                None => (ItemKind::Signature, None),
            }
        } else if artifact_type == media_type::COSIGN_SIG_ARTIFACT
            || layer.media_type == media_type::COSIGN_SIMPLESIGNING
        {
            (ItemKind::Signature, None)
        } else if artifact_type == media_type::IN_TOTO || layer.media_type == media_type::DSSE_ENVELOPE {
            (ItemKind::Attestation, layer.annotation(media_type::ANNOTATION_PREDICATE_TYPE).map(str::to_owned))
        } else if sbom_like(&artifact_type) || sbom_like(&layer.media_type) {
            (ItemKind::Sbom, None)
        } else {
            (ItemKind::Other, None)
        };
        out.items.push(AttachedItem {
            kind,
            via: "referrer",
            location: entry.digest.to_string(),
            digest: entry.digest.to_string(),
            artifact_type: Some(artifact_type),
            predicate_type,
            layer,
        });
    }
    for (suffix, kind) in [("sig", ItemKind::Signature), ("att", ItemKind::Attestation), ("sbom", ItemKind::Sbom)] {
        let tag = digest.cosign_tag(suffix);
        match source.manifest(&tag).await {
            Ok(raw) => {
                let Manifest::Image(m) = raw.parse()? else {
                    return Err(Error::InvalidInput(format!("{tag} is an index, not a cosign attachment image")));
                };
                out.checks.push(format!("tag {tag}: {} layer(s)", m.layers.len()));
                for layer in m.layers {
                    out.items.push(AttachedItem {
                        kind,
                        via: "tag",
                        location: tag.clone(),
                        digest: layer.digest.to_string(),
                        artifact_type: None,
                        predicate_type: layer.annotation(media_type::ANNOTATION_PREDICATE_TYPE).map(str::to_owned),
                        layer,
                    });
                }
            }
            Err(chainseal_oci::Error::NotFound(_)) => out.checks.push(format!("tag {tag}: none")),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Render like `cosign tree`: one section per tag and per referrer.
pub fn render_text(attached: &Attached, name: &str) -> String {
    let mut s = format!("📦 Supply Chain Security Related artifacts for an image: {name}\n");
    let mut tags: Vec<&str> = Vec::new();
    for item in attached.items.iter().filter(|i| i.via == "tag") {
        if !tags.contains(&item.location.as_str()) {
            tags.push(&item.location);
        }
    }
    for tag in tags {
        let first = attached.items.iter().find(|i| i.location == tag);
        let title = match first.map(|i| i.kind) {
            Some(ItemKind::Signature) => "🔐 Signatures",
            Some(ItemKind::Attestation) => "💾 Attestations",
            _ => "📦 SBOMs",
        };
        s.push_str(&format!("└── {title} for an image tag: {tag}\n"));
        for item in attached.items.iter().filter(|i| i.location == tag) {
            let pt = item.predicate_type.as_deref().map(|p| format!(" ({p})")).unwrap_or_default();
            s.push_str(&format!("   └── 🍒 {}{pt}\n", item.digest));
        }
    }
    for item in attached.items.iter().filter(|i| i.via == "referrer") {
        let what = match item.kind {
            ItemKind::Signature => "🔐 Signature",
            ItemKind::Attestation => "💾 Attestation",
            ItemKind::Sbom => "📦 SBOM",
            ItemKind::Other => "🔗 Referrer",
        };
        let at = item.artifact_type.as_deref().unwrap_or("");
        let pt = item.predicate_type.as_deref().map(|p| format!(", {p}")).unwrap_or_default();
        s.push_str(&format!("└── {what} referrer ({at}{pt})\n   └── 🍒 {}\n", item.digest));
    }
    if attached.items.is_empty() {
        s.push_str("No Supply Chain Security Related Artifacts found for this image\n");
    }
    s
}
