//! `chainseal._chainseal`: the pyo3 glue between the Python package `chainseal` and the
//! `chainseal` facade crate. No logic lives here: arguments are extracted into owned Rust
//! values, the facade runs with the GIL released (`py.detach`) on one shared Tokio runtime,
//! and results and errors are converted back (errors in one place, `errors.rs`).

mod attest;
mod blob;
mod convert;
mod errors;
mod image;
mod keys;
mod registry;
mod runtime;
mod sbom;
mod sign;

use pyo3::prelude::*;

/// The private extension module; the public API is the `chainseal` package.
#[pymodule(gil_used = false)]
mod _chainseal {
    use pyo3::prelude::*;

    #[pymodule_export]
    use super::attest::{AttestationVerification, attest, tree, verify_attestation};
    #[pymodule_export]
    use super::blob::{BlobVerification, sign_blob, verify_blob, verify_bundle};
    #[pymodule_export]
    use super::image::{copy, inspect};
    #[pymodule_export]
    use super::keys::{KeyPair, generate_key_pair, public_key_pem};
    #[pymodule_export]
    use super::registry::RegistryConfig;
    #[pymodule_export]
    use super::sbom::{Component, Sbom, read_sbom, sbom};
    #[pymodule_export]
    use super::sign::{ImageOutcome, ImageVerification, sign, verify, verify_images};

    /// Module init: the package version (Cargo's, PEP 440 compatible).
    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}

#[allow(unused_imports, reason = "keeps `PyResult` in scope for the macro expansions")]
use pyo3::PyResult as _;
