//! `chainseal attest --key K --type T --predicate FILE IMAGE`: sign an in-toto Statement about
//! an image and store it the way cosign stores attestations.
//!
//! - [`AttestFormat::Bundle`] (default, cosign v3): DSSE envelope in a Sigstore bundle v0.3,
//!   pushed as an OCI referrer of the image with `dev.sigstore.bundle.predicateType`.
//! - [`AttestFormat::Legacy`] (cosign v2): the DSSE envelope as one layer of the
//!   `sha256-<hex>.att` image (`predicateType` layer annotation, empty signature annotation);
//!   read-modify-write with de-duplication, `replace` dropping earlier attestations of the same
//!   predicate type (cosign's `--replace`), and a re-read after each write.
//!
//! The Statement is in-toto v1 with one subject: the name cosign uses (`registry/repository`)
//! and the sha256 digest of the top manifest (index or image) the reference resolves to.
//! Registry references and `oci-dir:` layouts (air-gapped) are both targets.

use std::collections::BTreeMap;

use chainseal_oci::manifest::{Descriptor, RawManifest};
use chainseal_oci::registry::RegistryConfig;
use chainseal_oci::{Digest, SourceSpec, media_type};
use chainseal_sign::bundle_write;
use chainseal_sign::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use chainseal_sign::intoto::{ResourceDescriptor, Statement};
use chainseal_sign::keys::SigningKey;
use chainseal_sign::predicate::PredicateType;

use crate::error::{Error, Result};
use crate::sign_image::{
    LEGACY_WRITE_ATTEMPTS, MAX_SIG_LAYERS, Target, now_rfc3339, push_bundle_referrer, put_legacy_image, read_sig_image,
    resolve, sha256_hex,
};

/// Where attestations go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AttestFormat {
    /// cosign v3: bundle v0.3 as an OCI referrer.
    #[default]
    Bundle,
    /// cosign v2: DSSE layer in the `sha256-<hex>.att` tag.
    Legacy,
}

/// Options of [`attest`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AttestOptions {
    /// Storage format.
    pub format: AttestFormat,
    /// Legacy format: drop earlier attestations of the same predicate type (cosign `--replace`).
    pub replace: bool,
    /// Registry settings.
    pub registry: RegistryConfig,
}

/// What [`attest`] did.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[non_exhaustive]
pub struct AttestReport {
    /// The attested manifest digest.
    pub digest: String,
    /// The predicateType written.
    pub predicate_type: String,
    /// Where it went: the referrer manifest digest, or the `.att` tag.
    pub stored_at: String,
    /// False when an identical legacy attestation was already there (nothing written).
    pub written: bool,
    /// The signed Statement (JSON).
    pub statement: serde_json::Value,
    /// Warnings for stderr (a tag was resolved to a digest, …).
    pub warnings: Vec<String>,
}

/// The timestamp cosign's custom predicate carries (`SOURCE_DATE_EPOCH` honoured).
pub fn predicate_timestamp() -> String {
    now_rfc3339()
}

/// Read a predicate file for `predicate_type` (custom predicates are wrapped like cosign's).
pub fn read_predicate(predicate_type: &PredicateType, path: &std::path::Path) -> Result<serde_json::Value> {
    use std::io::Read as _;
    let cannot_read = |e: std::io::Error| Error::InvalidInput(format!("cannot read predicate {}: {e}", path.display()));
    // One bounded read: also stops a pipe or device whose metadata says nothing of its size.
    let limit = chainseal_sign::predicate::MAX_PREDICATE_BYTES as u64;
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(limit + 1).read_to_end(&mut bytes)).map_err(cannot_read)?;
    if bytes.len() as u64 > limit {
        return Err(Error::InvalidInput(format!("{} is too large for a predicate", path.display())));
    }
    Ok(predicate_type.predicate_from_file(&bytes, &predicate_timestamp())?)
}

/// Attest an image (blocking).
pub fn attest(
    input: &str,
    key: &SigningKey,
    predicate_type: &PredicateType,
    predicate: serde_json::Value,
    options: &AttestOptions,
) -> Result<AttestReport> {
    crate::sign::runtime()?.block_on(attest_async(input, key, predicate_type, predicate, options))
}

/// Attest an image: IMAGE is a registry reference (tag or digest) or `oci-dir:PATH[:TAG]`.
pub async fn attest_async(
    input: &str,
    key: &SigningKey,
    predicate_type: &PredicateType,
    predicate: serde_json::Value,
    options: &AttestOptions,
) -> Result<AttestReport> {
    let spec = SourceSpec::parse(input)?;
    let target = Target::open(&spec, &options.registry).await?;
    let resolved = resolve(&spec, &target, input).await?;
    let mut report =
        attest_manifest(&target, &resolved.top, &resolved.docker_reference, key, predicate_type, predicate, options)
            .await?;
    report.warnings.extend(resolved.warning);
    Ok(report)
}

/// Attest the manifest `digest` of `spec`'s repository or layout (the tag, if any, is ignored:
/// used by `sbom --attest` so the attested digest is the one that was cataloged).
pub async fn attest_digest_async(
    spec: &SourceSpec,
    digest: &Digest,
    key: &SigningKey,
    predicate_type: &PredicateType,
    predicate: serde_json::Value,
    options: &AttestOptions,
) -> Result<AttestReport> {
    let target = Target::open(spec, &options.registry).await?;
    let top = target.source().manifest(&digest.to_string()).await?;
    let docker_reference = match spec {
        SourceSpec::Registry(r) => r.cosign_name(),
        SourceSpec::OciDir { path, .. } => path.display().to_string(),
        _ => String::new(),
    };
    attest_manifest(&target, &top, &docker_reference, key, predicate_type, predicate, options).await
}

async fn attest_manifest(
    target: &Target,
    top: &RawManifest,
    docker_reference: &str,
    key: &SigningKey,
    predicate_type: &PredicateType,
    predicate: serde_json::Value,
    options: &AttestOptions,
) -> Result<AttestReport> {
    let subject = top.descriptor();
    let hex = sha256_hex(&subject.digest)?;
    let mut rd = ResourceDescriptor::default();
    rd.name = (!docker_reference.is_empty()).then(|| docker_reference.to_owned());
    rd.digest = BTreeMap::from([("sha256".to_owned(), hex.to_owned())]);
    let statement = Statement::new_v1(vec![rd], predicate_type.uri(), predicate);
    let payload = statement.to_json();
    let statement_json: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|e| Error::InvalidInput(e.to_string()))?;
    let envelope = Envelope::sign(key, INTOTO_PAYLOAD_TYPE, payload)?;
    let (stored_at, written) = match options.format {
        AttestFormat::Bundle => {
            let bundle = bundle_write::to_json(&bundle_write::dsse_bundle(&envelope, key.public_key())?)?;
            (push_bundle_referrer(target, &subject, &bundle, predicate_type.uri()).await?.to_string(), true)
        }
        AttestFormat::Legacy => {
            write_legacy(target, &subject, &envelope, key, predicate_type.uri(), options.replace).await?
        }
    };
    Ok(AttestReport {
        digest: subject.digest.to_string(),
        predicate_type: predicate_type.uri().to_owned(),
        stored_at,
        written,
        statement: statement_json,
        warnings: Vec::new(),
    })
}

/// The predicate type a legacy `.att` layer claims: its annotation, else the envelope's
/// Statement (unverified; only used to decide what `--replace` drops).
fn layer_predicate_type(layer: &Descriptor, envelope: Option<&Envelope>) -> Option<String> {
    if let Some(t) = layer.annotation(media_type::ANNOTATION_PREDICATE_TYPE) {
        return Some(t.to_owned());
    }
    let env = envelope?;
    serde_json::from_slice::<serde_json::Value>(&env.payload).ok()?.get("predicateType")?.as_str().map(str::to_owned)
}

async fn write_legacy(
    target: &Target,
    subject: &Descriptor,
    envelope: &Envelope,
    key: &SigningKey,
    predicate_type: &str,
    replace: bool,
) -> Result<(String, bool)> {
    let body = envelope.to_json();
    let mut layer = Descriptor::for_bytes(media_type::DSSE_ENVELOPE, &body);
    layer.annotations = Some(BTreeMap::from([
        (media_type::ANNOTATION_COSIGN_SIGNATURE.to_string(), String::new()),
        (media_type::ANNOTATION_PREDICATE_TYPE.to_string(), predicate_type.to_string()),
    ]));
    let tag = subject.digest.cosign_tag("att");
    let (source, sink) = (target.source(), target.sink());
    sink.put_blob_bytes(&layer, &body).await?;
    // See sign_legacy: local writers take turns; re-reads catch writers elsewhere.
    let _tag_lock = chainseal_oci::tag_lock::lock_tag(&format!("{}:{tag}", sink.describe())).await;
    for attempt in 1..=LEGACY_WRITE_ATTEMPTS {
        let existing = read_sig_image(source, &tag).await?.map(|m| m.layers).unwrap_or_default();
        let mut layers = Vec::with_capacity(existing.len() + 1);
        let mut ours_present = false;
        for l in existing {
            let env = if l.media_type == media_type::DSSE_ENVELOPE {
                source.blob_bytes(&l, dsse_limit()).await.ok().and_then(|b| Envelope::from_json(&b).ok())
            } else {
                None
            };
            if l.digest == layer.digest {
                ours_present = true;
                layers.push(l);
                continue;
            }
            // De-duplicate: the same Statement already signed by this key.
            let same = env.as_ref().is_some_and(|e| {
                e.payload == envelope.payload
                    && e.payload_type == envelope.payload_type
                    && e.verify(key.public_key()).is_ok()
            });
            if same && !replace {
                return Ok((tag, false));
            }
            if replace && layer_predicate_type(&l, env.as_ref()).as_deref() == Some(predicate_type) {
                continue;
            }
            layers.push(l);
        }
        if ours_present && attempt > 1 {
            return Ok((tag, true));
        }
        if !ours_present {
            if layers.len() >= MAX_SIG_LAYERS {
                return Err(Error::InvalidInput(format!(
                    "{tag} already holds {MAX_SIG_LAYERS} attestations; cosign's limit (use --replace)"
                )));
            }
            layers.push(layer.clone());
        }
        put_legacy_image(sink, &tag, layers).await?;
        // Lost updates are possible (no conditional PUT on 2.8.2): re-read; the next turn
        // finds our layer (and stops) or adds it again.
        tokio::time::sleep(std::time::Duration::from_millis(50 + u64::from(attempt) * 37)).await;
    }
    match read_sig_image(source, &tag).await? {
        Some(m) if m.layers.iter().any(|l| l.digest == layer.digest) => Ok((tag, true)),
        _ => Err(Error::InvalidInput(format!(
            "other writers kept replacing {tag}; the attestation was not kept, try again"
        ))),
    }
}

/// Largest DSSE envelope blob read back from a registry.
pub(crate) fn dsse_limit() -> u64 {
    chainseal_sign::dsse::MAX_ENVELOPE_BYTES as u64
}

/// The predicate type an SBOM format is attested as: CycloneDX → `https://cyclonedx.org/bom`,
/// SPDX 2.3 and 3.0 → `https://spdx.dev/Document`.
pub fn sbom_predicate_type(format: crate::sbom::Format) -> Result<PredicateType> {
    let name = match format {
        crate::sbom::Format::CycloneDxJson16 | crate::sbom::Format::CycloneDxJson15 => "cyclonedx",
        crate::sbom::Format::SpdxJson23 | crate::sbom::Format::Spdx3JsonLd => "spdx",
        #[allow(unreachable_patterns)]
        _ => return Err(Error::InvalidInput("this SBOM format has no attestation predicate type".into())),
    };
    Ok(PredicateType::parse(name)?)
}

/// `sbom --attest`: attest the SBOM document bytes just written (exactly those bytes, parsed)
/// to the manifest `digest` that was cataloged.
pub async fn attest_sbom_async(
    spec: &SourceSpec,
    digest: &Digest,
    key: &SigningKey,
    format: crate::sbom::Format,
    document: &[u8],
    options: &AttestOptions,
) -> Result<AttestReport> {
    let predicate_type = sbom_predicate_type(format)?;
    let predicate = predicate_type.predicate_from_file(document, &predicate_timestamp())?;
    attest_digest_async(spec, digest, key, &predicate_type, predicate, options).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_are_read_with_a_bound_even_from_devices() {
        // /dev/zero reports no size: the read must stop at the bound, not run on.
        let err =
            read_predicate(&PredicateType::parse("cyclonedx").unwrap(), std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("too large for a predicate"), "{err}");
        let err = read_predicate(&PredicateType::parse("cyclonedx").unwrap(), std::path::Path::new("/nonexistent/p"))
            .unwrap_err();
        assert!(err.to_string().contains("cannot read predicate"), "{err}");
    }
}
