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
}
