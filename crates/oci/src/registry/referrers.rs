//! Referrers: the OCI 1.1 referrers API, its `sha256-<hex>` tag-schema fallback (read and
//! write), and cosign's tag-scheme attachments (`sha256-<hex>.sig` / `.att` / `.sbom`).
//!
//! Registry errors are errors here, never "nothing found": only a 404 of the referrers
//! endpoint means "use the fallback", and only a 404 of the fallback tag means "none".

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};

use super::client::{ReqBody, read_capped, status_error};
use super::repository::{Repository, header_str, next_link};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::manifest::{Descriptor, ImageIndex, Manifest, RawManifest};
use crate::media_type;

/// How a repository's registry keeps referrers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferrersSupport {
    /// `GET /v2/<name>/referrers/<digest>` works (200).
    Native,
    /// The endpoint answered 404: referrers live in the `sha256-<hex>` tag-schema index.
    TagFallback,
}

/// cosign's tag-scheme attachment kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CosignAttachment {
    /// `sha256-<hex>.sig`: simple-signing signatures.
    Signature,
    /// `sha256-<hex>.att`: DSSE attestations.
    Attestation,
    /// `sha256-<hex>.sbom`: SBOM attachments (deprecated by cosign).
    Sbom,
}

impl CosignAttachment {
    /// All three kinds.
    pub const ALL: [CosignAttachment; 3] =
        [CosignAttachment::Signature, CosignAttachment::Attestation, CosignAttachment::Sbom];

    /// The tag suffix (`sig`, `att`, `sbom`).
    pub fn suffix(self) -> &'static str {
        match self {
            CosignAttachment::Signature => "sig",
            CosignAttachment::Attestation => "att",
            CosignAttachment::Sbom => "sbom",
        }
    }

    /// The tag holding this kind of attachment for `digest`: `sha256-<hex>.<suffix>`.
    pub fn tag_for(self, digest: &Digest) -> String {
        digest.cosign_tag(self.suffix())
    }
}

/// Largest referrers (or fallback) index page accepted.
const MAX_INDEX_BYTES: usize = 4 * 1024 * 1024;
/// Most pages followed when listing referrers.
const MAX_PAGES: usize = 100;
/// How often a fallback-index update is retried after a concurrent writer dropped our entry.
const FALLBACK_WRITE_ATTEMPTS: u32 = 8;

impl Repository {
    /// Does this registry have the referrers API? Probed once per repository with
    /// `GET /v2/<name>/referrers/<subject>`: 200 = native, 404 = tag fallback, anything else is
    /// an error (never taken for "no referrers").
    pub async fn referrers_support(&self, subject: &Digest) -> Result<ReferrersSupport> {
        if let Some(s) = *self.referrers_support.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
            return Ok(s);
        }
        let what = format!("probe the referrers API of {}", self.reference.name());
        let mut req = self
            .req(Method::GET, format!("/v2/{}/referrers/{subject}", self.name()), false, what.clone())
            .header(ACCEPT, media_type::OCI_INDEX);
        req.timeout = Some(self.client.small_timeout());
        let response = self.client.send(req).await?;
        let support = match response.status() {
            s if s.is_success() => ReferrersSupport::Native,
            StatusCode::NOT_FOUND => ReferrersSupport::TagFallback,
            _ => return Err(status_error(&what, response).await),
        };
        *self.referrers_support.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(support);
        Ok(support)
    }

    /// The referrers of `subject`, optionally only those of `artifact_type`. Uses the
    /// referrers API (following `Link` pages, filtering client-side when the registry did not
    /// apply the filter), else the `sha256-<hex>` fallback index. Entries without
    /// `artifactType` are decided by fetching their manifest.
    pub async fn referrers(&self, subject: &Digest, artifact_type: Option<&str>) -> Result<ImageIndex> {
        let (mut index, filtered) = match self.referrers_support(subject).await? {
            ReferrersSupport::Native => self.referrers_native(subject, artifact_type).await?,
            ReferrersSupport::TagFallback => (self.fallback_index(subject).await?.0, false),
        };
        let mut kept = Vec::with_capacity(index.manifests.len());
        for mut entry in std::mem::take(&mut index.manifests) {
            if entry.artifact_type.is_none() {
                entry.artifact_type = Some(self.artifact_type_of(&entry).await?);
            }
            match artifact_type {
                Some(want) if !filtered && entry.artifact_type.as_deref() != Some(want) => {}
                _ => kept.push(entry),
            }
        }
        index.manifests = kept;
        index.media_type = Some(media_type::OCI_INDEX.to_string());
        Ok(index)
    }

    /// The artifact type of a referrer from its manifest: `artifactType`, else config.mediaType.
    async fn artifact_type_of(&self, entry: &Descriptor) -> Result<String> {
        let raw = self.manifest(&entry.digest.to_string()).await?;
        Ok(match raw.parse()? {
            Manifest::Image(m) => m.effective_artifact_type().to_string(),
            Manifest::Index(i) => i.artifact_type.unwrap_or_else(|| raw.media_type.clone()),
        })
    }

    /// Every page of the referrers API; the bool says whether the registry applied the filter.
    async fn referrers_native(&self, subject: &Digest, artifact_type: Option<&str>) -> Result<(ImageIndex, bool)> {
        let mut target = format!("/v2/{}/referrers/{subject}", self.name());
        if let Some(t) = artifact_type {
            let mut u = reqwest::Url::parse("http://localhost/").map_err(|e| Error::Registry(e.to_string()))?;
            u.query_pairs_mut().append_pair("artifactType", t);
            target.push('?');
            target.push_str(u.query().unwrap_or_default());
        }
        let mut all = ImageIndex::empty();
        let mut filtered = artifact_type.is_some();
        for _page in 0..MAX_PAGES {
            let what = format!("list referrers of {}@{subject}", self.reference.name());
            let mut req =
                self.req(Method::GET, target.clone(), false, what.clone()).header(ACCEPT, media_type::OCI_INDEX);
            req.timeout = Some(self.client.small_timeout());
            let response = self.client.send(req).await?;
            if !response.status().is_success() {
                return Err(status_error(&what, response).await);
            }
            let applied = header_str(response.headers(), "oci-filters-applied")
                .is_some_and(|v| v.split(',').any(|f| f.trim().eq_ignore_ascii_case("artifactType")));
            filtered &= applied;
            let next = next_link(response.headers());
            let body = read_capped(response, MAX_INDEX_BYTES).await?;
            let page: ImageIndex = serde_json::from_slice(&body)
                .map_err(|e| Error::Registry(format!("{what}: the registry sent an unreadable index: {e}")))?;
            all.manifests.extend(page.manifests);
            match next {
                Some(n) => target = n,
                None => return Ok((all, filtered)),
            }
        }
        Err(Error::LimitExceeded { what: "referrers pages".into(), limit: MAX_PAGES as u64, unit: "pages" })
    }

    /// The fallback index at tag `sha256-<hex>`: empty when the tag does not exist; an error
    /// when the tag holds something that is not an OCI index. Also returns the raw manifest.
    pub async fn fallback_index(&self, subject: &Digest) -> Result<(ImageIndex, Option<RawManifest>)> {
        let tag = subject.referrers_fallback_tag();
        // distribution 2.8.2 answers 500 while another client is replacing the tag (its
        // filesystem link is briefly dangling): retry that case a few times.
        let mut attempt = 0;
        let found = loop {
            attempt += 1;
            match self.manifest_if_exists(&tag).await {
                Err(Error::Registry(msg)) if attempt < 5 && msg.contains(": 500 ") => {
                    tokio::time::sleep(Duration::from_millis(50) + super::retry::jitter(Duration::from_millis(150)))
                        .await;
                    tracing::debug!("fallback index read failed while being rewritten, retrying: {msg}");
                }
                other => break other?,
            }
        };
        let Some(raw) = found else {
            return Ok((ImageIndex::empty(), None));
        };
        if raw.media_type != media_type::OCI_INDEX {
            return Err(Error::Registry(format!(
                "tag {tag} in {} should hold the OCI referrers index but holds {}; refusing to use or overwrite it",
                self.reference.name(),
                raw.media_type
            )));
        }
        match raw.parse()? {
            Manifest::Index(i) => Ok((i, Some(raw))),
            Manifest::Image(_) => Err(Error::Registry(format!("tag {tag} does not hold an index"))),
        }
    }

    /// Add `referrer` (already pushed) to the fallback index of `subject`: GET the tag, skip
    /// if present, append a descriptor with `artifactType` and all manifest annotations, PUT
    /// with the OCI index media type, then re-read at once and retry if our entry is gone (the
    /// registry ignores `If-Match`, so we check instead).
    ///
    /// Writers in this process (a mutex) and on this machine (the file lock of
    /// [`crate::tag_lock`]) take turns, so for them the immediate re-read is proof enough. A
    /// writer that does not take the lock (another machine, cosign) shows itself as an index
    /// that changed under us: only then is the entry checked again after a pause. A foreign
    /// writer that read before our PUT and writes after that check can still drop the entry;
    /// no registry-side mechanism prevents it (distribution 2.8.2 has no conditional PUT).
    pub async fn add_to_fallback_index(
        &self,
        subject: &Digest,
        referrer: &RawManifest,
        parsed: &Manifest,
    ) -> Result<()> {
        let locked = self.lock_fallback_index(subject).await;
        let (base, _) = self.fallback_index(subject).await?;
        self.add_to_locked_fallback_index(&locked, subject, referrer, parsed, base).await
    }

    /// Take this process's and this machine's locks on the fallback index of `subject`
    /// (see [`Repository::add_to_fallback_index`]).
    pub(super) async fn lock_fallback_index(&self, subject: &Digest) -> FallbackIndexLock {
        let key = format!("{}/{}:{}", self.host(), self.name(), subject.referrers_fallback_tag());
        let process = self.client.fallback_lock(key.clone()).lock_owned().await;
        let machine = crate::tag_lock::lock_tag(&key).await;
        FallbackIndexLock { _process: process, _machine: machine }
    }

    /// The update loop of [`Repository::add_to_fallback_index`], with the locks held and
    /// `base` read under them.
    pub(super) async fn add_to_locked_fallback_index(
        &self,
        _locked: &FallbackIndexLock,
        subject: &Digest,
        referrer: &RawManifest,
        parsed: &Manifest,
        mut base: ImageIndex,
    ) -> Result<()> {
        let entry = fallback_entry(referrer, parsed);
        let tag = subject.referrers_fallback_tag();
        for attempt in 1..=FALLBACK_WRITE_ATTEMPTS {
            if attempt > 1 {
                base = self.fallback_index(subject).await?.0;
            }
            if base.manifests.iter().any(|d| d.digest == entry.digest) {
                return Ok(());
            }
            let mut index = base.clone();
            index.manifests.push(entry.clone());
            index.media_type = Some(media_type::OCI_INDEX.to_string());
            index.schema_version = 2;
            let bytes = serde_json::to_vec(&index).map_err(|e| Error::InvalidManifest(e.to_string()))?;
            self.put_index_tag(&tag, bytes).await?;
            let (check, _) = self.fallback_index(subject).await?;
            if !check.manifests.iter().any(|d| d.digest == entry.digest) {
                tracing::info!(%tag, attempt, "a concurrent writer replaced the referrers index; adding our entry again");
                continue;
            }
            if check.manifests == index.manifests {
                // Exactly what we wrote: nobody else was writing.
                return Ok(());
            }
            // Someone outside our locks is writing this index right now: let their write land,
            // then look again.
            if self.entry_survives_pause(subject, &entry.digest).await? {
                return Ok(());
            }
            tracing::info!(%tag, attempt, "a concurrent writer replaced the referrers index; adding our entry again");
        }
        Err(Error::Registry(format!(
            "could not keep {} in the referrers index {tag} of {}: other writers kept replacing it; try again",
            entry.digest,
            self.reference.name()
        )))
    }

    /// Wait a little (with jitter), then check that `digest` is still in the fallback index.
    /// Only used when a writer outside our locks was seen changing the index.
    async fn entry_survives_pause(&self, subject: &Digest, digest: &Digest) -> Result<bool> {
        tokio::time::sleep(Duration::from_millis(150) + super::retry::jitter(Duration::from_millis(250))).await;
        let (check, _) = self.fallback_index(subject).await?;
        Ok(check.manifests.iter().any(|d| &d.digest == digest))
    }

    /// Remove `referrer` from the fallback index of `subject` (when deleting a referrer).
    pub async fn remove_from_fallback_index(&self, subject: &Digest, referrer: &Digest) -> Result<()> {
        let tag = subject.referrers_fallback_tag();
        let _locked = self.lock_fallback_index(subject).await;
        let (mut index, raw) = self.fallback_index(subject).await?;
        if raw.is_none() {
            return Ok(());
        }
        let before = index.manifests.len();
        index.manifests.retain(|d| &d.digest != referrer);
        if index.manifests.len() != before {
            let bytes = serde_json::to_vec(&index).map_err(|e| Error::InvalidManifest(e.to_string()))?;
            self.put_index_tag(&tag, bytes).await?;
        }
        Ok(())
    }

    async fn put_index_tag(&self, tag: &str, bytes: Vec<u8>) -> Result<()> {
        let what = format!("PUT referrers index {}:{tag}", self.reference.name());
        let mut req = self
            .req(Method::PUT, format!("/v2/{}/manifests/{tag}", self.name()), true, what.clone())
            .header(CONTENT_TYPE, media_type::OCI_INDEX);
        req.body = ReqBody::Bytes(Bytes::from(bytes));
        req.timeout = Some(self.client.small_timeout());
        let response = self.client.send(req).await?;
        if response.status().is_success() { Ok(()) } else { Err(status_error(&what, response).await) }
    }

    /// The cosign tag-scheme attachment of `digest`, if the tag exists.
    pub async fn cosign_attachment(&self, digest: &Digest, kind: CosignAttachment) -> Result<Option<RawManifest>> {
        self.manifest_if_exists(&kind.tag_for(digest)).await
    }

    /// Which cosign attachment tags exist for `digest`, from a tag list (see [`Repository::tags`]).
    pub fn cosign_tags_in(tags: &[String], digest: &Digest) -> Vec<(CosignAttachment, String)> {
        CosignAttachment::ALL
            .iter()
            .map(|k| (*k, k.tag_for(digest)))
            .filter(|(_, t)| tags.iter().any(|x| x == t))
            .collect()
    }
}

/// This process's and this machine's locks on one fallback index, released on drop.
pub(super) struct FallbackIndexLock {
    _process: tokio::sync::OwnedMutexGuard<()>,
    _machine: crate::tag_lock::TagLock,
}

/// The fallback-index descriptor for a referrer: media type, digest, size, `artifactType`
/// (the manifest's, else its config media type) and all its annotations.
pub fn fallback_entry(referrer: &RawManifest, parsed: &Manifest) -> Descriptor {
    let mut d = referrer.descriptor();
    match parsed {
        Manifest::Image(m) => {
            d.artifact_type = Some(m.effective_artifact_type().to_string());
            d.annotations = m.annotations.clone().filter(|a| !a.is_empty());
        }
        Manifest::Index(i) => {
            d.artifact_type = i.artifact_type.clone();
            d.annotations = i.annotations.clone().filter(|a| !a.is_empty());
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosign_tags() {
        let d: Digest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a".parse().unwrap();
        assert_eq!(
            CosignAttachment::Signature.tag_for(&d),
            "sha256-44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a.sig"
        );
        let tags = vec![CosignAttachment::Attestation.tag_for(&d), "latest".to_string()];
        let found = Repository::cosign_tags_in(&tags, &d);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, CosignAttachment::Attestation);
    }

    #[test]
    fn fallback_entries_carry_artifact_type_and_annotations() {
        let doc = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],"annotations":{"a":"b"}}"#;
        let raw = RawManifest::from_bytes(doc.to_vec(), None).unwrap();
        let parsed = raw.parse().unwrap();
        let e = fallback_entry(&raw, &parsed);
        assert_eq!(e.artifact_type.as_deref(), Some(media_type::OCI_EMPTY));
        assert_eq!(e.annotation("a"), Some("b"));
        assert_eq!(e.digest, raw.digest);
        assert_eq!(e.size, doc.len() as u64);
    }
}
