//! Limits on untrusted input.

/// Bounds on what the catalogers read. The defaults suit real images of several GB; raise them
/// for unusual inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest package database, manifest or lockfile read (bytes). Larger ones are skipped with a warning.
    pub max_evidence_file: u64,
    /// Largest binary or archive opened to look for embedded package information (bytes).
    pub max_binary_file: u64,
    /// Total bytes of evidence kept in memory at once (text files waiting for the end of the walk).
    pub max_total_evidence: u64,
    /// Largest number of components in one SBOM.
    pub max_components: usize,
    /// Deepest nesting of archives inside archives (jar in war in ear).
    pub max_archive_depth: u32,
    /// Most entries looked at in one archive.
    pub max_archive_entries: usize,
    /// Most files visited when walking a directory.
    pub max_files: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_evidence_file: 64 << 20,
            max_binary_file: 512 << 20,
            max_total_evidence: 2 << 30,
            max_components: 1_000_000,
            max_archive_depth: 4,
            max_archive_entries: 200_000,
            max_files: 50_000_000,
        }
    }
}
