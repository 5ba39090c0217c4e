//! The one error type of chainseal-oci.

/// Result alias for chainseal-oci.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading or writing images. Each message says what was wrong
/// and, where there is one, what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A digest string did not parse.
    #[error("invalid digest {input:?}: {reason}")]
    InvalidDigest {
        /// The offending input (truncated).
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// An image reference did not parse.
    #[error("invalid image reference {input:?}: {reason}")]
    InvalidReference {
        /// The offending input (truncated).
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// A manifest, index or config could not be understood.
    #[error("invalid manifest: {0}")]
    InvalidManifest(String),
    /// A media type chainseal does not handle.
    #[error("unsupported media type {0:?}")]
    UnsupportedMediaType(String),
    /// Content did not hash to the digest that addressed it.
    #[error(
        "digest mismatch for {what}: expected {expected}, got {actual}; the content was corrupted or tampered with"
    )]
    DigestMismatch {
        /// What was being read (blob, manifest, layer …).
        what: String,
        /// The digest it should have had.
        expected: String,
        /// The digest it had.
        actual: String,
    },
    /// Untrusted input exceeded a configured limit.
    #[error("{what} exceeds the limit of {limit} {unit}; raise the limit only if you trust the source")]
    LimitExceeded {
        /// What grew too large.
        what: String,
        /// The limit in force.
        limit: u64,
        /// Unit of the limit (bytes, entries, levels …).
        unit: &'static str,
    },
    /// Something that was asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// An I/O error, with the path or operation it happened on.
    #[error("{context}: {source}")]
    Io {
        /// The file or operation.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A registry answered with an error (never turned into "nothing found").
    #[error("registry error: {0}")]
    Registry(String),
    /// A blob was shorter or longer than its descriptor says.
    #[error(
        "size mismatch for {what}: the descriptor says {expected} bytes, got {actual}; the content was truncated or tampered with"
    )]
    SizeMismatch {
        /// What was being read.
        what: String,
        /// The size from the descriptor.
        expected: u64,
        /// The bytes actually read (for an oversized blob: the first byte past the expected size).
        actual: u64,
    },
    /// Content with a valid digest could not be decoded (broken gzip/zstd, truncated tar,
    /// malformed archive).
    #[error("corrupt {what}: {reason}; the image was built or stored badly, rebuild or re-push it")]
    Corrupt {
        /// What was being read.
        what: String,
        /// What was wrong.
        reason: String,
    },
    /// A layer visitor (e.g. an SBOM cataloger) stopped the walk.
    #[error("layer visitor failed: {0}")]
    Visitor(String),
    /// A registry could not be reached or the connection failed, even after retries.
    #[error("network error: {0}")]
    Network(String),
    /// A registry or token server refused the credentials, or their scope was not enough.
    #[error("authentication failed: {0}")]
    Unauthorized(String),
}

impl Error {
    /// Wrap an I/O error with the path or operation it concerns.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io { context: context.into(), source }
    }
}
