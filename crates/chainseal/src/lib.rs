//! chainseal: the one API the CLI and the Python bindings call.
//!
//! It is the only crate that touches both the registry (`chainseal-oci`) and keys
//! (`chainseal-sign`).

mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod image;
pub mod sbom;
pub mod sign;
pub mod sign_image;
pub mod verify;
pub mod verify_blob;

pub use chainseal_oci as oci;
pub use error::{Error, ErrorKind, Result};
