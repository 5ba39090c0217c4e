//! chainseal: the one API the CLI and the Python bindings call.
//!
//! It is the only crate that touches both the registry (`chainseal-oci`) and keys
//! (`chainseal-sign`).

pub mod attest;
pub mod download;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod image;
pub mod provenance;
pub mod sbom;
pub mod sign;
pub mod sign_image;
pub mod tree;
pub mod trusted_root;
pub mod verify;
pub mod verify_attestation;
pub mod verify_blob;

pub use chainseal_oci as oci;
pub use error::{Error, ErrorKind, Result};
