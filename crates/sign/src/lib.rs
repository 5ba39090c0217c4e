//! chainseal-sign: keys and key files, DSSE, in-toto statements, Sigstore bundles, verification,
//! trust roots and identity policy. No network, no registry.

mod error;

pub use error::{Error, Result};
