//! The one error type of chainseal-sign.

/// Result alias for chainseal-sign.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong with keys, signing and verification. Messages name the step
/// that failed and never contain key material or passwords.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Malformed input (bundle, envelope, key file, JSON).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was being parsed.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A verification check refused the bundle; `step` names the check (chain, SCT, tlog proof,
    /// checkpoint, timestamp, identity, signature, …).
    #[error("verification failed at {step}: {reason}")]
    Verification {
        /// The check that failed.
        step: crate::verify::VerifyStep,
        /// Why it failed, in one line.
        reason: String,
    },
    /// The trust material (trusted root) is unusable.
    #[error("trusted root refused: {0}")]
    TrustRoot(String),
    /// Reading an input file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A key could not be read, parsed or used; the message says which and what to do. Never
    /// contains key material.
    #[error("key: {0}")]
    Key(String),
    /// An encrypted key file did not decrypt: the password is wrong or the file was altered.
    #[error(
        "cannot decrypt the private key: wrong password or corrupted key file (check \
         CHAINSEAL_PASSWORD / COSIGN_PASSWORD)"
    )]
    WrongPassword,
    /// No password could be obtained (no variable set, no terminal, unreadable stdin).
    #[error("password: {0}")]
    Password(String),
    /// A signature did not verify against the key; `what` names the signed object.
    #[error("signature over the {what} does not verify with the given key")]
    BadSignature {
        /// What was signed (payload, PAE, blob, …).
        what: &'static str,
    },
    /// A signed payload verified but does not say what was expected (digest, type, annotation).
    #[error("payload refused: {0}")]
    PayloadMismatch(String),
    /// The cryptographic library failed where it should not (random source, key generation).
    #[error("cryptographic operation failed: {0}")]
    Crypto(&'static str),
}
