//! Key pairs: `generate_key_pair(password)`, `KeyPair.load(path, password)`, `.save(prefix)`,
//! `.public_key_pem`. Files are cosign's (`cosign.key` encrypted with scrypt + secretbox,
//! written 0600; `cosign.pub`).

use std::path::PathBuf;

use pyo3::prelude::*;

use chainseal::sign::keys::files::write_key_pair;
use chainseal::sign::keys::{GenerateAlgorithm, SigningKey};
use chainseal::sign::password::Password;

use crate::convert::password;
use crate::errors::invalid_input;
use crate::runtime::blocking;

/// A private key with the password that protects it on disk. Neither is ever shown by
/// `repr()`.
#[pyclass(module = "chainseal._chainseal", name = "KeyPair", frozen)]
pub(crate) struct KeyPair {
    pub(crate) key: SigningKey,
    password: Password,
}

fn algorithm(name: &str) -> PyResult<GenerateAlgorithm> {
    match name.to_ascii_lowercase().as_str() {
        "ecdsa-p256" | "p256" => Ok(GenerateAlgorithm::EcdsaP256),
        "ecdsa-p384" | "p384" => Ok(GenerateAlgorithm::EcdsaP384),
        "ecdsa-p521" | "p521" => Ok(GenerateAlgorithm::EcdsaP521),
        "ed25519" => Ok(GenerateAlgorithm::Ed25519),
        other => Err(invalid_input(format!(
            "unknown key algorithm `{other}`; use ecdsa-p256, ecdsa-p384, ecdsa-p521 or ed25519"
        ))),
    }
}

#[pymethods]
impl KeyPair {
    /// Load a cosign key file (`cosign.key`), or an unencrypted PEM private key.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf, password: &Bound<'_, PyAny>) -> PyResult<KeyPair> {
        let pw = crate::convert::password(password)?;
        let for_load = Password::new(pw.as_bytes().to_vec());
        let key = blocking(py, move || chainseal::sign::load_signing_key(&path, Some(for_load)))?;
        Ok(KeyPair { key, password: pw })
    }

    /// Write `<prefix>.key` (encrypted with the pair's password, mode 0600) and
    /// `<prefix>.pub`; returns both paths. Existing files are refused unless `force`.
    #[pyo3(signature = (prefix, *, force=false))]
    fn save(&self, py: Python<'_>, prefix: PathBuf, force: bool) -> PyResult<(PathBuf, PathBuf)> {
        let written = blocking(py, || Ok(write_key_pair(&self.key, self.password.as_bytes(), &prefix, force)?))?;
        Ok((written.private_key, written.public_key))
    }

    /// The public key, PEM (`cosign.pub`'s content).
    #[getter]
    fn public_key_pem(&self) -> String {
        self.key.public_key().to_pem()
    }

    /// The key algorithm, as Sigstore names it (`PKIX_ECDSA_P256_SHA_256`, ...).
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.key.algorithm().key_details()
    }

    fn __repr__(&self) -> String {
        format!("KeyPair(algorithm={:?})", self.algorithm())
    }
}

/// Generate a key pair in memory; `.save(prefix)` writes it.
#[pyfunction]
#[pyo3(signature = (password, *, algorithm="ecdsa-p256"))]
pub(crate) fn generate_key_pair(py: Python<'_>, password: &Bound<'_, PyAny>, algorithm: &str) -> PyResult<KeyPair> {
    let pw = crate::convert::password(password)?;
    let alg = self::algorithm(algorithm)?;
    let key = blocking(py, move || Ok(SigningKey::generate(alg)?))?;
    Ok(KeyPair { key, password: pw })
}

/// The PEM public key of a key file (a `.pub`, or a cosign `.key` with its password).
#[pyfunction]
#[pyo3(signature = (path, password=None))]
pub(crate) fn public_key_pem(py: Python<'_>, path: PathBuf, password: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    let pw = password.map(self::password).transpose()?;
    blocking(py, move || chainseal::sign::public_key_pem(&path, pw))
}
