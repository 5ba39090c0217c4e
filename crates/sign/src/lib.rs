//! chainseal-sign: keys and key files, DSSE, in-toto statements, Sigstore bundles, verification,
//! trust roots and identity policy. No network, no registry.

pub mod attest_policy;
pub mod bundle;
pub mod bundle_write;
pub mod dsse;
mod error;
pub mod intoto;
pub mod keys;
pub mod password;
pub mod policy;
pub mod predicate;
pub mod signer;
pub mod simple_signing;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod trust;
pub mod verify;

pub use error::{Error, Result};
#[doc(hidden)]
pub mod fuzzing;
