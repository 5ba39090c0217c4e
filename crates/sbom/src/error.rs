//! The crate's error type.

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while building, writing or reading an SBOM.
///
/// Problems inside one piece of evidence (a corrupt package database, a malformed lockfile)
/// are not errors: they become [`crate::Warning`]s on the SBOM and cataloging carries on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the source (a directory) failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The path that failed.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The source string or an option was unusable.
    #[error("{0}")]
    InvalidInput(String),
    /// A limit was exceeded; the message names the limit and how to raise it.
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// An SBOM document could not be read back: it is not CycloneDX or SPDX JSON, or it is malformed.
    #[error("cannot read SBOM document: {0}")]
    InvalidDocument(String),
    /// An output format name was not recognised.
    #[error("unknown SBOM format {0:?}; known: cyclonedx-json, cyclonedx-json@1.5, spdx-json, spdx3-json-ld")]
    UnknownFormat(String),
}
