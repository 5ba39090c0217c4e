//! Image signatures with a managed key: `sign(image, key=...)` (cosign v3 bundle referrer, or
//! the legacy `.sig` tag) and `verify(image, key=...)`, which returns the verified payloads
//! and raises `VerificationError` when none verified.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;

use chainseal::sign::keys::PublicKey;
use chainseal::sign_image::{SignFormat, SignImageOptions};
use chainseal::verify::{ImageSigner, VerifyImageOptions, VerifyImageReport};

use crate::convert::{password, to_py};
use crate::errors::{PyChainsealError, invalid_input, verification_failed};
use crate::keys::KeyPair;
use crate::registry::{RegistryConfig, config_or_default};
use crate::runtime::{block_on, blocking};

fn format(name: &str) -> PyResult<SignFormat> {
    match name {
        "bundle" => Ok(SignFormat::Bundle),
        "legacy" => Ok(SignFormat::Legacy),
        other => Err(invalid_input(format!("unknown signature format `{other}`; use \"bundle\" or \"legacy\""))),
    }
}

/// Sign IMAGE (a registry reference or `oci-dir:PATH[:TAG]`) with `key`.
#[pyfunction]
#[pyo3(signature = (image, *, key, annotations=None, format="bundle", recursive=false, registry=None))]
pub(crate) fn sign<'py>(
    py: Python<'py>,
    image: PathBuf,
    key: &Bound<'py, KeyPair>,
    annotations: Option<BTreeMap<String, String>>,
    format: &str,
    recursive: bool,
    registry: Option<&Bound<'py, RegistryConfig>>,
) -> PyResult<Bound<'py, PyAny>> {
    let image = image.to_string_lossy().into_owned();
    let mut options = SignImageOptions::default();
    options.format = self::format(format)?;
    options.annotations = annotations.unwrap_or_default();
    options.recursive = recursive;
    options.registry = config_or_default(registry);
    let key = &key.get().key;
    let report = block_on(py, async move { chainseal::sign_image::sign_image_async(&image, key, &options).await })?;
    to_py(py, &report)
}

/// The outcome of a successful image verification.
#[pyclass(module = "chainseal._chainseal", name = "ImageVerification", frozen)]
pub(crate) struct ImageVerification {
    report: VerifyImageReport,
}

#[pymethods]
impl ImageVerification {
    /// The manifest digest verified.
    #[getter]
    fn digest(&self) -> String {
        self.report.digest.clone()
    }

    /// The verified payloads (in-toto Statements or simple-signing documents), parsed.
    #[getter]
    fn payloads<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.report.verified.iter().map(|v| to_py(py, &v.payload)).collect()
    }

    /// Each verified signature: `kind`, `found_at`, `payload`.
    #[getter]
    fn verified<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.report.verified)
    }

    /// Signatures found and refused: `found_at`, `reason`.
    #[getter]
    fn rejected<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.report.rejected)
    }

    /// What was looked at and checked.
    #[getter]
    fn checks(&self) -> Vec<String> {
        self.report.checks.clone()
    }

    /// Warnings (a tag resolved to a digest, ...).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.report.warnings.clone()
    }

    /// The whole report as a dict (the CLI's JSON).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.report)
    }

    fn __repr__(&self) -> String {
        format!("ImageVerification(digest={:?}, verified={})", self.report.digest, self.report.verified.len())
    }
}

/// Who must have signed: `key` or a keyless identity, never both.
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
fn image_signer(
    py: Python<'_>,
    key: Option<&Bound<'_, PyAny>>,
    password: Option<&Bound<'_, PyAny>>,
    identity: Option<String>,
    identity_regexp: Option<String>,
    issuer: Option<String>,
    issuer_regexp: Option<String>,
    claims: Option<BTreeMap<String, String>>,
) -> PyResult<ImageSigner> {
    let spec = crate::convert::identity_spec(identity, identity_regexp, issuer, issuer_regexp, claims)?;
    Ok(match (key, spec) {
        (Some(_), Some(_)) => return Err(invalid_input("give either key= or an identity and issuer, not both")),
        (Some(k), None) => ImageSigner::Key(verification_key(py, k, password)?),
        (None, spec) => ImageSigner::Identity(spec.unwrap_or_default()),
    })
}

/// What `verify` and `verify_images` check besides the signer: required annotations, the trusted
/// root (chosen as the CLI does), the registry configuration.
fn image_options(
    annotations: Option<BTreeMap<String, String>>,
    trusted_root: Option<PathBuf>,
    registry: Option<&Bound<'_, RegistryConfig>>,
) -> VerifyImageOptions {
    let mut options = VerifyImageOptions::default();
    options.annotations = annotations.unwrap_or_default();
    options.registry = config_or_default(registry);
    options.trust = Some(chainseal::trusted_root::verification_trust(trusted_root.as_deref(), false));
    options
}

/// The CLI's rule (exit 1): a report with no verified signature is a `VerificationError`
/// whose `reasons` say why each candidate was refused.
fn nothing_verified(py: Python<'_>, report: &VerifyImageReport) -> Option<PyErr> {
    if !report.verified.is_empty() {
        return None;
    }
    let reasons: Vec<String> = report.rejected.iter().map(|r| format!("{}: {}", r.found_at, r.reason)).collect();
    let msg = if reasons.is_empty() {
        format!("verification failed: no signatures found for {}", report.digest)
    } else {
        format!("verification failed: no signature of {} verified: {}", report.digest, reasons.join("; "))
    };
    Some(verification_failed(py, msg, reasons))
}

pub(crate) fn verification_key(
    py: Python<'_>,
    key: &Bound<'_, PyAny>,
    pw: Option<&Bound<'_, PyAny>>,
) -> PyResult<PublicKey> {
    if let Ok(pair) = key.cast::<KeyPair>() {
        return Ok(pair.get().key.public_key().clone());
    }
    let path: PathBuf = key.extract()?;
    // Never prompt from a library: no password means the empty one (ignored for `.pub`).
    let pw = pw.map(password).transpose()?.unwrap_or_else(|| chainseal::sign::password::Password::new(Vec::new()));
    blocking(py, move || chainseal::sign::load_verification_key(&path, Some(pw)))
}

/// Verify IMAGE's signatures, either with `key` (a `.pub` path, a cosign `.key` path with
/// `password`, or a `KeyPair`) or against a keyless identity (`identity`/`identity_regexp` and
/// `issuer`/`issuer_regexp`, optional Fulcio `claims` as in `verify_blob`, with `trusted_root` or the embedded production root). Raises
/// `VerificationError` unless at least one signature verified, names the exact digest and
/// carries every required annotation; `reasons` says why each candidate was refused.
#[pyfunction]
#[pyo3(signature = (image, *, key=None, annotations=None, password=None, identity=None, identity_regexp=None, issuer=None, issuer_regexp=None, claims=None, trusted_root=None, registry=None))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub(crate) fn verify(
    py: Python<'_>,
    image: PathBuf,
    key: Option<&Bound<'_, PyAny>>,
    annotations: Option<BTreeMap<String, String>>,
    password: Option<&Bound<'_, PyAny>>,
    identity: Option<String>,
    identity_regexp: Option<String>,
    issuer: Option<String>,
    issuer_regexp: Option<String>,
    claims: Option<BTreeMap<String, String>>,
    trusted_root: Option<PathBuf>,
    registry: Option<&Bound<'_, RegistryConfig>>,
) -> PyResult<ImageVerification> {
    let signer = image_signer(py, key, password, identity, identity_regexp, issuer, issuer_regexp, claims)?;
    let image = image.to_string_lossy().into_owned();
    let options = image_options(annotations, trusted_root, registry);
    let report =
        block_on(py, async move { chainseal::verify::verify_image_as_async(&image, &signer, &options).await })?;
    nothing_verified(py, &report).map_or(Ok(()), Err)?;
    Ok(ImageVerification { report })
}

/// The outcome for one image of `verify_images`: its verification, or the exception that
/// `verify` would have raised for it.
#[pyclass(module = "chainseal._chainseal", name = "ImageOutcome", frozen)]
pub(crate) struct ImageOutcome {
    image: String,
    verification: Option<Py<ImageVerification>>,
    error: Option<PyErr>,
}

#[pymethods]
impl ImageOutcome {
    /// The image as given.
    #[getter]
    fn image(&self) -> String {
        self.image.clone()
    }

    /// At least one signature verified.
    #[getter]
    fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// The verification (`None` when the image failed).
    #[getter]
    fn verification(&self, py: Python<'_>) -> Option<Py<ImageVerification>> {
        self.verification.as_ref().map(|v| v.clone_ref(py))
    }

    /// Why the image failed (`None` when it verified): the `ChainsealError` subclass `verify`
    /// raises for it, ready to be raised.
    #[getter]
    fn error<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.error.as_ref().map(|e| e.value(py).clone().into_any())
    }

    fn __repr__(&self) -> String {
        format!("ImageOutcome(image={:?}, ok={})", self.image, self.error.is_none())
    }
}

// The Python default of `max_workers` is a literal (so stubtest can read it); it is the facade's.
const _: () = assert!(chainseal::verify::DEFAULT_IMAGE_PARALLELISM == 16);

/// Verify several images against one signer in one call: one verifier and one registry
/// connection pool for all, at most `max_workers` images at a time. Returns one
/// `ImageOutcome` per image, in input order; nothing is raised for a failing image (its
/// `error` is the exception `verify` would raise), only for unusable arguments (key, trust
/// root). Same keyword arguments as `verify`.
#[pyfunction]
#[pyo3(signature = (images, *, key=None, annotations=None, password=None, identity=None, identity_regexp=None, issuer=None, issuer_regexp=None, claims=None, trusted_root=None, registry=None, max_workers=16))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub(crate) fn verify_images(
    py: Python<'_>,
    images: Vec<PathBuf>,
    key: Option<&Bound<'_, PyAny>>,
    annotations: Option<BTreeMap<String, String>>,
    password: Option<&Bound<'_, PyAny>>,
    identity: Option<String>,
    identity_regexp: Option<String>,
    issuer: Option<String>,
    issuer_regexp: Option<String>,
    claims: Option<BTreeMap<String, String>>,
    trusted_root: Option<PathBuf>,
    registry: Option<&Bound<'_, RegistryConfig>>,
    max_workers: usize,
) -> PyResult<Vec<ImageOutcome>> {
    if max_workers == 0 {
        return Err(invalid_input("max_workers must be at least 1"));
    }
    let signer = image_signer(py, key, password, identity, identity_regexp, issuer, issuer_regexp, claims)?;
    let images: Vec<String> = images.iter().map(|i| i.to_string_lossy().into_owned()).collect();
    let options = image_options(annotations, trusted_root, registry);
    // The facade's blocking form: its multi-image future is not `Send`, so it runs on the
    // facade's runtime on this (GIL-released) thread.
    let outcomes = blocking(py, move || chainseal::verify::verify_images(&images, &signer, &options, max_workers))?;
    outcomes
        .into_iter()
        .map(|outcome| {
            let image = outcome.image;
            let report = match outcome.result {
                Ok(report) => report,
                Err(e) => {
                    return Ok(ImageOutcome {
                        image,
                        verification: None,
                        error: Some(PyErr::from(PyChainsealError(e))),
                    });
                }
            };
            Ok(match nothing_verified(py, &report) {
                Some(error) => ImageOutcome { image, verification: None, error: Some(error) },
                None => {
                    ImageOutcome { image, verification: Some(Py::new(py, ImageVerification { report })?), error: None }
                }
            })
        })
        .collect()
}
