//! The named steps of bundle verification, and the mapping of sigstore-verify's errors onto them.

use std::fmt;

use sigstore_verify::{CertificateError, TimestampError, TransparencyLogError};

use crate::Error;

/// One check of the ordered offline verification (signing.md §11). Every refusal names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VerifyStep {
    /// Parsing and shape of the bundle (media type, base64, indexes, chain shape).
    Bundle,
    /// The trusted root itself.
    TrustRoot,
    /// A verified signing time (RFC 3161 timestamp, integrated time).
    Timestamp,
    /// The certificate chain to a trusted Fulcio CA, validity at the signing time.
    Chain,
    /// The certificate's signed certificate timestamp (CT log).
    Sct,
    /// The identity policy (SAN, OIDC issuer, Fulcio extensions).
    Identity,
    /// The managed-key policy (the bundle's kind against the configured key).
    Key,
    /// The signed entry timestamp (Rekor v1 inclusion promise).
    Set,
    /// The transparency-log entry's Merkle inclusion proof.
    InclusionProof,
    /// The signed checkpoint of the log.
    Checkpoint,
    /// The transparency-log entry's agreement with the bundle and the artifact.
    LogEntry,
    /// The signature over the artifact or the DSSE envelope.
    Signature,
    /// The binding of the bundle to the artifact (digest, in-toto subject).
    Artifact,
}

impl VerifyStep {
    /// The short name used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bundle => "bundle",
            Self::TrustRoot => "trusted root",
            Self::Timestamp => "timestamp",
            Self::Chain => "certificate chain",
            Self::Sct => "SCT",
            Self::Identity => "identity",
            Self::Key => "key",
            Self::Set => "tlog SET",
            Self::InclusionProof => "tlog inclusion proof",
            Self::Checkpoint => "tlog checkpoint",
            Self::LogEntry => "tlog entry",
            Self::Signature => "signature",
            Self::Artifact => "artifact",
        }
    }
}

impl fmt::Display for VerifyStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Build a verification error for `step`.
pub(crate) fn fail(step: VerifyStep, reason: impl Into<String>) -> Error {
    Error::Verification { step, reason: one_line(&reason.into()) }
}

/// Errors must fit on one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Map an error of sigstore-verify to the step it belongs to.
pub(crate) fn from_sigstore(err: sigstore_verify::Error) -> Error {
    use sigstore_verify::Error as E;
    let step = match &err {
        E::IdentityMismatch { .. } | E::IssuerMismatch { .. } => VerifyStep::Identity,
        E::SignatureInvalid(_) => VerifyStep::Signature,
        E::ArtifactMismatch(_) | E::UnsupportedArtifact(_) | E::ArtifactRead(_) => VerifyStep::Artifact,
        E::Certificate(CertificateError::Sct(_)) => VerifyStep::Sct,
        E::Certificate(_) => VerifyStep::Chain,
        E::TransparencyLog(t) => match t {
            TransparencyLogError::InclusionProof(_) => VerifyStep::InclusionProof,
            TransparencyLogError::Checkpoint(_) => VerifyStep::Checkpoint,
            TransparencyLogError::InclusionPromise(_) => VerifyStep::Set,
            TransparencyLogError::IntegratedTime(_) => VerifyStep::Timestamp,
            _ => VerifyStep::LogEntry,
        },
        E::Timestamp(TimestampError::Invalid(_))
        | E::Timestamp(TimestampError::OutsideAuthorityValidity { .. })
        | E::Timestamp(_) => VerifyStep::Timestamp,
        E::InvalidTrustRoot(_) | E::TrustRoot(_) | E::TrustedCertificate(_) => VerifyStep::TrustRoot,
        E::Crypto(_) => VerifyStep::Signature,
        E::Bundle(b) => bundle_step(b),
        _ => VerifyStep::Bundle,
    };
    // sigstore-verify reports a log entry whose artifact hash differs from the bundle's as an
    // artifact mismatch; name it as the log-entry consistency check it is.
    let step = match (&err, step) {
        (E::ArtifactMismatch(m), VerifyStep::Artifact) if m.contains("entry") => VerifyStep::LogEntry,
        _ => step,
    };
    fail(step, err.to_string())
}

/// The step of a structural error found by sigstore-bundle's per-version rules.
fn bundle_step(err: &sigstore_bundle::Error) -> VerifyStep {
    use sigstore_bundle::Error as B;
    match err {
        B::MissingCheckpoint | B::CheckpointRootMismatch => VerifyStep::Checkpoint,
        B::MissingInclusionProof(_) | B::LogIndexOutOfRange { .. } => VerifyStep::InclusionProof,
        B::MissingInclusionPromise(_) => VerifyStep::Set,
        B::MissingSigningTimeEvidence | B::MissingTimestamp => VerifyStep::Timestamp,
        _ => VerifyStep::Bundle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_name_the_step() {
        let e = fail(VerifyStep::Checkpoint, "bad\nnote\tline");
        assert_eq!(e.to_string(), "verification failed at tlog checkpoint: bad note line");
    }
}
