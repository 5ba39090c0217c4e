//! Checks chainseal adds on top of sigstore-verify 0.15.1. Each one says why it is here.
//!
//! Checkpoints (signed notes): sigstore-verify accepts a checkpoint signed by *any* Rekor key of
//! the trusted root and never looks at the signer's name or the note's origin. The spec
//! (signing.md §11 step 7, §9.3) binds the checkpoint to the entry's own log: here the note must
//! carry a valid signature by the key of the log named in the entry's `logId`, on a signature line
//! whose name is that log's host, and the origin must be that name (Rekor v2) or start with
//! `"<name> - "` (Rekor v1 tree shards). For Rekor v1 the checkpoint's tree size must also equal
//! the proof's (the crate compares only the root hashes).

use sigstore_crypto::{VerificationKey, compute_key_hint};
use sigstore_trust_root::TrustedRoot;
use sigstore_types::{Checkpoint, KindVersion};

use super::{VerifyStep, fail};
use crate::Result;
use crate::bundle::Bundle;

/// Checks run before the crate's cryptographic verification.
pub(crate) fn check_before_crypto(bundle: &Bundle, root: &TrustedRoot) -> Result<()> {
    for (i, entry) in bundle.verification_material.tlog_entries.iter().enumerate() {
        let Some(proof) = &entry.inclusion_proof else { continue };
        let Some(note) = proof.checkpoint.checkpoint() else { continue };
        let log = root.tlogs.iter().find(|t| t.log_id.key_id == entry.log_id.key_id).ok_or_else(|| {
            fail(
                VerifyStep::LogEntry,
                format!("tlog entry {i}: log {} is not in the trusted root", entry.log_id.key_id),
            )
        })?;
        check_checkpoint_signer(i, note, &log.public_key.raw_bytes, log.log_id.key_id.as_bytes(), &log.base_url)?;
        let is_v2 = entry.kind_version == KindVersion::HashedRekordV002;
        if !is_v2 && note.tree_size() != proof.tree_size {
            return Err(fail(
                VerifyStep::Checkpoint,
                format!(
                    "tlog entry {i}: checkpoint tree size {} differs from the proof's {}",
                    note.tree_size(),
                    proof.tree_size
                ),
            ));
        }
    }
    Ok(())
}

/// The note must be signed by `log_key` under the log's name, and its origin must be the log's.
fn check_checkpoint_signer(
    i: usize,
    note: &Checkpoint,
    log_key: &sigstore_types::DerPublicKey,
    log_id: &[u8],
    base_url: &str,
) -> Result<()> {
    let key = VerificationKey::from_spki(log_key)
        .map_err(|e| fail(VerifyStep::TrustRoot, format!("tlog key of {base_url} is unusable: {e}")))?;
    // The note key ID is the first 4 bytes of the log ID (Rekor v2 computes it the C2SP way,
    // over name and key) or of SHA-256(SPKI) (Rekor v1); accept either.
    let hint = compute_key_hint(log_key);
    let id_hint = log_id.get(..4);
    let host = host_of(base_url);
    let signed = note.signatures().iter().any(|sig| {
        (sig.key_id == hint || id_hint == Some(sig.key_id.as_slice()))
            && host.is_none_or(|h| sig.name == h)
            && key.verify(note.signed_data(), &sig.signature).is_ok()
    });
    if !signed {
        return Err(fail(
            VerifyStep::Checkpoint,
            format!("tlog entry {i}: checkpoint carries no valid signature by the entry's log {base_url}"),
        ));
    }
    if let Some(h) = host {
        let origin = note.origin();
        if origin != h && !origin.starts_with(&format!("{h} - ")) {
            return Err(fail(
                VerifyStep::Checkpoint,
                format!("tlog entry {i}: checkpoint origin {origin:?} is not the log {h:?}"),
            ));
        }
    }
    Ok(())
}

/// The host of `https://host[:port]/path`, or `None` when the URL has no recognisable host.
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_extraction() {
        assert_eq!(host_of("https://rekor.sigstore.dev"), Some("rekor.sigstore.dev"));
        assert_eq!(host_of("https://log2025-1.rekor.sigstore.dev/api"), Some("log2025-1.rekor.sigstore.dev"));
        assert_eq!(host_of(""), None);
    }
}
