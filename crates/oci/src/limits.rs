//! Limits on untrusted image content.
//!
//! Every size chainseal reads from an image (manifests, configs, layers, tar entries, file
//! contents handed to catalogers) is bounded by a [`Limits`] value. Exceeding a limit is a
//! typed [`Error::LimitExceeded`](crate::Error::LimitExceeded), never an allocation the
//! size of the attacker's choosing. The defaults fit every real image we know of; raise them
//! only for sources you trust.

use crate::error::{Error, Result};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// Bounds on what chainseal will read from one image.
///
/// `Limits::default()` gives the documented defaults; change single fields with struct
/// update syntax: `Limits { max_entries: 5_000_000, ..Limits::default() }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest compressed layer blob, as its descriptor states it and as read.
    /// Default 8 GiB.
    pub max_layer_compressed: u64,
    /// Largest decompressed layer (the tar stream). Default 32 GiB.
    pub max_layer_uncompressed: u64,
    /// Largest ratio of decompressed to compressed size of one layer, enforced once the
    /// decompressed stream has passed [`Limits::ratio_floor`]. Default 250 (gzip tops out
    /// near 1032:1 on all-zero data; real layers sit between 2 and 20).
    pub max_decompression_ratio: u64,
    /// Decompressed bytes a layer may always produce before the ratio is checked, so tiny
    /// layers of zero-filled files are not refused. Default 256 MiB.
    pub ratio_floor: u64,
    /// Most tar entries across all layers of one image. Default 1,000,000.
    pub max_entries: u64,
    /// Longest path (or link target) in a tar entry, in bytes. Default 4096 (PATH_MAX).
    pub max_path_len: usize,
    /// Largest manifest or index. Default 4 MiB (the distribution spec's suggestion).
    pub max_manifest: u64,
    /// Largest image config blob. Default 8 MiB.
    pub max_config: u64,
    /// Largest single file a visitor may ask to read. Default 64 MiB.
    pub max_file_read: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_layer_compressed: 8 * GIB,
            max_layer_uncompressed: 32 * GIB,
            max_decompression_ratio: 250,
            ratio_floor: 256 * MIB,
            max_entries: 1_000_000,
            max_path_len: 4096,
            max_manifest: 4 * MIB,
            max_config: 8 * MIB,
            max_file_read: 64 * MIB,
        }
    }
}

impl Limits {
    /// The most decompressed bytes a layer of `compressed` bytes may produce: the smaller of
    /// [`Limits::max_layer_uncompressed`] and `max(ratio_floor, compressed × ratio)`.
    pub fn uncompressed_budget(&self, compressed: u64) -> u64 {
        let by_ratio = compressed.saturating_mul(self.max_decompression_ratio).max(self.ratio_floor);
        by_ratio.min(self.max_layer_uncompressed)
    }

    /// Refuse `value` if it exceeds `limit`.
    pub(crate) fn check(what: impl FnOnce() -> String, value: u64, limit: u64, unit: &'static str) -> Result<()> {
        if value > limit { Err(Error::LimitExceeded { what: what(), limit, unit }) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_documented_values() {
        let l = Limits::default();
        assert_eq!(l.max_manifest, 4 * MIB);
        assert_eq!(l.max_path_len, 4096);
        assert_eq!(l.max_entries, 1_000_000);
    }

    #[test]
    fn budget_uses_floor_ratio_and_cap() {
        let l = Limits::default();
        assert_eq!(l.uncompressed_budget(0), 256 * MIB);
        assert_eq!(l.uncompressed_budget(10 * MIB), 2500 * MIB);
        assert_eq!(l.uncompressed_budget(u64::MAX), 32 * GIB);
    }

    #[test]
    fn check_reports_the_limit() {
        let err = Limits::check(|| "layer".into(), 11, 10, "bytes").unwrap_err();
        assert!(err.to_string().contains("limit of 10 bytes"), "{err}");
        assert!(Limits::check(|| "layer".into(), 10, 10, "bytes").is_ok());
    }
}
