//! Checks chainseal adds on top of sigstore-verify. Each one says why it is here.

use sigstore_trust_root::TrustedRoot;

use crate::Result;
use crate::bundle::Bundle;

/// Checks run before the crate's cryptographic verification.
pub(crate) fn check_before_crypto(_bundle: &Bundle, _root: &TrustedRoot) -> Result<()> {
    Ok(())
}
