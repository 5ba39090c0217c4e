//! The facade's error: one type for the CLI and the bindings, with a [`ErrorKind`] that decides
//! the exit code and the Python exception class.

/// Result alias for the facade.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Broad classes of failure, for exit codes (CLI) and exception classes (Python).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A signature, attestation or bundle did not verify, or a policy refused it (exit 1).
    Verification,
    /// The registry failed or refused (exit 2).
    Registry,
    /// The input (reference, file, key, JSON) was malformed (exit 2).
    InvalidInput,
    /// Reading or writing local files failed (exit 2).
    Io,
    /// Anything else (exit 2).
    Other,
}

/// Everything the facade can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// From the OCI layer.
    #[error(transparent)]
    Oci(#[from] chainseal_oci::Error),
    /// Verification failed; the message says which check and why.
    #[error("verification failed: {0}")]
    Verification(String),
    /// The caller's input was unusable.
    #[error("{0}")]
    InvalidInput(String),
    /// From chainseal-sbom (scanning a directory, reading an SBOM document).
    #[error(transparent)]
    Sbom(#[from] chainseal_sbom::Error),
    /// From chainseal-sign (keys, bundles, verification, trust roots).
    #[error(transparent)]
    Sign(#[from] chainseal_sign::Error),
}

impl Error {
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        use chainseal_oci::Error as O;
        match self {
            Error::Verification(_) => ErrorKind::Verification,
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::Sbom(e) => match e {
                chainseal_sbom::Error::Io { .. } => ErrorKind::Io,
                _ => ErrorKind::InvalidInput,
            },
            Error::Sign(e) => match e {
                chainseal_sign::Error::Verification { .. } => ErrorKind::Verification,
                chainseal_sign::Error::Io { .. } => ErrorKind::Io,
                _ => ErrorKind::InvalidInput,
            },
            Error::Oci(e) => match e {
                O::Registry(_) | O::Network(_) | O::Unauthorized(_) => ErrorKind::Registry,
                O::Io { .. } => ErrorKind::Io,
                O::InvalidDigest { .. }
                | O::InvalidReference { .. }
                | O::InvalidManifest(_)
                | O::UnsupportedMediaType(_)
                | O::LimitExceeded { .. }
                | O::DigestMismatch { .. }
                | O::NotFound(_) => ErrorKind::InvalidInput,
                _ => ErrorKind::Other,
            },
        }
    }
}
