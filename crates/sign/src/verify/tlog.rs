//! Log inclusion of a keyless bundle's entries (Merkle proof, signed checkpoint, integrated time
//! within the certificate's validity), done here instead of by sigstore-verify's
//! `verify_tlog_entries` for the common bundle shape.
//!
//! Why it is here: sigstore-verify 0.15.1 verifies a Rekor v1 entry's SET twice, once to
//! authenticate the integrated time (step 0, which still runs) and again in its log-inclusion
//! step, rebuilding and canonicalising the SET payload (base64 of the whole entry body) each time,
//! and it parses the checkpoint note again although the bundle model already holds it parsed;
//! together about 8 µs of a ~510 µs keyless verification (`benches/verify_bundle.rs`).
//!
//! The checks are sigstore-verify's, with the same building blocks (sigstore-merkle for the
//! proof, the trusted root's Rekor [`Keyring`] for the checkpoint), in the same order, for every
//! entry; the one check not repeated is the SET, and only for entries whose SET step 0 verified
//! under exactly the conditions the repeat would use. [`TlogChecker::applies`] says when this
//! module may take over (otherwise sigstore-verify does the whole step as before):
//! - the bundle is v0.2 or later, so [`crate::bundle::shape`] has required an inclusion proof on
//!   every entry, and it has at least one entry;
//! - every entry carrying an inclusion promise is a Rekor v1 kind with an integrated time (the
//!   entries whose SET sigstore-verify's step 0 verifies, with the key valid at that time).

use sigstore_crypto::Keyring;
use sigstore_trust_root::TrustedRoot;
use sigstore_types::{KindVersion, MediaType, TransparencyLogEntry};

use super::{VerifyStep, fail};
use crate::bundle::Bundle;
use crate::{Error, Result};

/// What log-inclusion checks need from the trusted root, prepared once per verifier.
pub(crate) struct TlogChecker {
    rekor_keys: Keyring,
}

impl TlogChecker {
    /// The Rekor keys of `root`, as sigstore-verify builds them.
    pub(crate) fn new(root: &TrustedRoot) -> Result<Self> {
        let rekor_keys = root.rekor_keys().map_err(|e| Error::TrustRoot(format!("Rekor log keys: {e}")))?;
        Ok(Self { rekor_keys })
    }

    /// Whether [`Self::verify`] may stand in for sigstore-verify's log-inclusion step.
    pub(crate) fn applies(bundle: &Bundle) -> bool {
        let entries = &bundle.verification_material.tlog_entries;
        !matches!(bundle.media_type, MediaType::Bundle0_1)
            && !entries.is_empty()
            && entries.iter().all(|e| {
                e.inclusion_proof.is_some()
                    && (e.inclusion_promise.is_none() || (is_rekor_v1(e) && e.integrated_time.is_some()))
            })
    }

    /// Verify every entry's inclusion proof and checkpoint, and that each SET-authenticated
    /// integrated time is not in the future and lies within `[not_before, not_after]` of the
    /// signing certificate. Call only when [`Self::applies`].
    pub(crate) fn verify(
        &self,
        bundle: &Bundle,
        not_before: jiff::Timestamp,
        not_after: jiff::Timestamp,
    ) -> Result<()> {
        let now = jiff::Timestamp::now();
        for (i, entry) in bundle.verification_material.tlog_entries.iter().enumerate() {
            let proof = entry
                .inclusion_proof
                .as_ref()
                .ok_or_else(|| fail(VerifyStep::InclusionProof, format!("tlog entry {i} has no inclusion proof")))?;
            let checkpoint = proof
                .checkpoint
                .checkpoint()
                .ok_or_else(|| fail(VerifyStep::Checkpoint, format!("tlog entry {i} has no checkpoint")))?;
            let is_v2 = entry.kind_version == KindVersion::HashedRekordV002;
            // Rekor v2 takes index, size and root from the entry and the signed checkpoint; v1
            // from its proof, whose root must then equal the checkpoint's.
            let (index, size, root) = if is_v2 {
                (entry.log_index.get(), checkpoint.tree_size(), checkpoint.root_hash())
            } else {
                (proof.log_index.get(), proof.tree_size, &proof.root_hash)
            };
            let leaf = sigstore_merkle::hash_leaf(entry.canonicalized_body.as_bytes());
            sigstore_merkle::verify_inclusion_proof(&leaf, index, size, &proof.hashes, root).map_err(|e| {
                fail(VerifyStep::InclusionProof, format!("tlog entry {i}: inclusion proof does not verify: {e}"))
            })?;
            if !is_v2 && checkpoint.root_hash().as_bytes() != proof.root_hash.as_bytes() {
                return Err(fail(
                    VerifyStep::Checkpoint,
                    format!("tlog entry {i}: checkpoint root hash differs from the proof's"),
                ));
            }
            // Signed by a Rekor key of the trusted root (4-byte hints may collide: try every key
            // that matches; chainseal's own signer and origin rules are in `extra`).
            let message = checkpoint.signed_data();
            let signed = checkpoint.signatures().iter().any(|sig| {
                self.rekor_keys.keys_by_hint(&sig.key_id, now).any(|key| key.verify(message, &sig.signature).is_ok())
            });
            if !signed {
                return Err(fail(
                    VerifyStep::Checkpoint,
                    format!("tlog entry {i}: checkpoint carries no valid signature by a trusted Rekor key"),
                ));
            }
            if !is_v2
                && entry.inclusion_promise.is_some()
                && let Some(time) = entry.integrated_time
            {
                check_integrated_time(i, time, now, not_before, not_after)?;
            }
        }
        Ok(())
    }
}

fn is_rekor_v1(entry: &TransparencyLogEntry) -> bool {
    matches!(entry.kind_version, KindVersion::HashedRekordV001 | KindVersion::DsseV001 | KindVersion::IntotoV002)
}

/// The integrated time must not be in the future and must lie within the certificate's validity.
fn check_integrated_time(
    i: usize,
    time: jiff::Timestamp,
    now: jiff::Timestamp,
    not_before: jiff::Timestamp,
    not_after: jiff::Timestamp,
) -> Result<()> {
    if time > now {
        return Err(fail(VerifyStep::Timestamp, format!("tlog entry {i}: integrated time {time} is in the future")));
    }
    if time < not_before || time > not_after {
        return Err(fail(
            VerifyStep::Timestamp,
            format!(
                "tlog entry {i}: integrated time {time} is outside the certificate's validity {not_before} .. {not_after}"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(s).expect("time")
    }

    #[test]
    fn integrated_time_bounds_are_inclusive_and_the_future_is_refused() {
        let (nb, na, now) = (ts(1_000), ts(2_000), ts(3_000));
        assert!(check_integrated_time(0, ts(1_000), now, nb, na).is_ok());
        assert!(check_integrated_time(0, ts(2_000), now, nb, na).is_ok());
        assert!(check_integrated_time(0, ts(999), now, nb, na).is_err());
        assert!(check_integrated_time(0, ts(2_001), now, nb, na).is_err());
        assert!(check_integrated_time(0, ts(3_001), ts(3_000), nb, ts(4_000)).is_err());
    }
}
