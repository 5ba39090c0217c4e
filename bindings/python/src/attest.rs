//! Attestations and attachments: `attest(image, key=..., predicate_type=..., predicate=...)`,
//! `verify_attestation(image, key=... | identity=..., issuer=..., policy=...)`, `tree(image)`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use chainseal::attest::{AttestFormat, AttestOptions, predicate_timestamp};
use chainseal::sign::attest_policy::AttestationPolicy;
use chainseal::sign::predicate::PredicateType;
use chainseal::tree::TreeOptions;
use chainseal::verify_attestation::{VerifyAttestationOptions, VerifyAttestationReport};

use crate::convert::to_py;
use crate::errors::{invalid_input, py_result, verification_failed};
use crate::keys::KeyPair;
use crate::registry::{RegistryConfig, config_or_default};
use crate::runtime::{block_on, blocking};
use crate::sign::verification_key;

/// A JSON document given as bytes, a path (`str`/`os.PathLike`), or a Python object
/// (dumped with `json.dumps`).
pub(crate) enum Document {
    Bytes(Vec<u8>),
    Path(PathBuf),
}

pub(crate) fn document(value: &Bound<'_, PyAny>) -> PyResult<Document> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(Document::Bytes(b.as_bytes().to_vec()));
    }
    if value.cast::<PyString>().is_ok() || value.hasattr("__fspath__")? {
        return Ok(Document::Path(value.extract()?));
    }
    let json = value.py().import("json")?.call_method1("dumps", (value,))?;
    Ok(Document::Bytes(json.extract::<String>()?.into_bytes()))
}

pub(crate) fn attest_format(name: &str) -> PyResult<AttestFormat> {
    match name {
        "bundle" => Ok(AttestFormat::Bundle),
        "legacy" => Ok(AttestFormat::Legacy),
        other => Err(invalid_input(format!("unknown attestation format `{other}`; use \"bundle\" or \"legacy\""))),
    }
}

/// Attest IMAGE (a registry reference or `oci-dir:PATH[:TAG]`): sign an in-toto Statement
/// with `predicate` (a dict, JSON bytes, or a file path) of `predicate_type` (`slsaprovenance1`,
/// `cyclonedx`, `spdx`, `custom`, or a URI).
#[pyfunction]
#[pyo3(signature = (image, *, key, predicate_type, predicate, format="bundle", replace=false, registry=None))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub(crate) fn attest<'py>(
    py: Python<'py>,
    image: PathBuf,
    key: &Bound<'py, KeyPair>,
    predicate_type: &str,
    predicate: &Bound<'py, PyAny>,
    format: &str,
    replace: bool,
    registry: Option<&Bound<'py, RegistryConfig>>,
) -> PyResult<Bound<'py, PyAny>> {
    let image = image.to_string_lossy().into_owned();
    let predicate_type = py_result(PredicateType::parse(predicate_type).map_err(chainseal::Error::from))?;
    let predicate = document(predicate)?;
    let mut options = AttestOptions::default();
    options.format = attest_format(format)?;
    options.replace = replace;
    options.registry = config_or_default(registry);
    let key = &key.get().key;
    let report = block_on(py, async move {
        let value = match predicate {
            Document::Path(p) => chainseal::attest::read_predicate(&predicate_type, &p)?,
            Document::Bytes(b) => predicate_type.predicate_from_file(&b, &predicate_timestamp())?,
        };
        chainseal::attest::attest_async(&image, key, &predicate_type, value, &options).await
    })?;
    to_py(py, &report)
}

/// The outcome of a successful attestation verification.
#[pyclass(module = "chainseal._chainseal", name = "AttestationVerification", frozen)]
pub(crate) struct AttestationVerification {
    report: VerifyAttestationReport,
}

#[pymethods]
impl AttestationVerification {
    /// The manifest digest verified.
    #[getter]
    fn digest(&self) -> String {
        self.report.digest.clone()
    }

    /// The verified in-toto Statements (dicts), each naming this image's digest.
    #[getter]
    fn statements<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.report.verified.iter().map(|v| to_py(py, &v.statement)).collect()
    }

    /// Each verified attestation: `found_at`, `signer`, `predicate_type`, `statement`.
    #[getter]
    fn verified<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.report.verified)
    }

    /// Attestations found and refused: `found_at`, `reason`.
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

    /// The whole report as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.report)
    }

    fn __repr__(&self) -> String {
        format!("AttestationVerification(digest={:?}, verified={})", self.report.digest, self.report.verified.len())
    }
}

/// Verify IMAGE's attestations signed with `key` (a `.pub` path or `KeyPair`) or by a keyless
/// identity (`identity`/`identity_regexp` and `issuer`/`issuer_regexp`, optional `claims` as in
/// `verify_blob`, against
/// `trusted_root` or the embedded production root). Keeps Statements of `predicate_type`
/// when given, then enforces `policy` (a YAML/JSON file path, bytes, or a dict). Raises
/// `VerificationError` when none verified or a policy rule failed (`reasons` names each).
#[pyfunction]
#[pyo3(signature = (image, *, key=None, password=None, identity=None, identity_regexp=None, issuer=None, issuer_regexp=None, claims=None, trusted_root=None, predicate_type=None, policy=None, registry=None))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub(crate) fn verify_attestation(
    py: Python<'_>,
    image: PathBuf,
    key: Option<&Bound<'_, PyAny>>,
    password: Option<&Bound<'_, PyAny>>,
    identity: Option<String>,
    identity_regexp: Option<String>,
    issuer: Option<String>,
    issuer_regexp: Option<String>,
    claims: Option<BTreeMap<String, String>>,
    trusted_root: Option<PathBuf>,
    predicate_type: Option<String>,
    policy: Option<&Bound<'_, PyAny>>,
    registry: Option<&Bound<'_, RegistryConfig>>,
) -> PyResult<AttestationVerification> {
    let image = image.to_string_lossy().into_owned();
    let mut options = VerifyAttestationOptions::default();
    if let Some(k) = key {
        options.keys.push(verification_key(py, k, password)?);
    }
    if let Some(spec) = crate::convert::identity_spec(identity, identity_regexp, issuer, issuer_regexp, claims)? {
        options.identity = Some(py_result(spec.to_policy())?);
    }
    options.trust = Some(chainseal::trusted_root::verification_trust(trusted_root.as_deref(), false));
    options.predicate_type =
        py_result(predicate_type.as_deref().map(PredicateType::parse).transpose().map_err(chainseal::Error::from))?;
    let policy = policy.map(document).transpose()?;
    options.policy = blocking(py, move || {
        Ok(match policy {
            None => None,
            Some(Document::Path(p)) => Some(AttestationPolicy::from_file(&p)?),
            Some(Document::Bytes(b)) => Some(AttestationPolicy::from_slice(&b, std::path::Path::new("."))?),
        })
    })?;
    options.registry = config_or_default(registry);
    let what = options.predicate_type.as_ref().map(|t| format!(" of type {t}")).unwrap_or_default();
    let report =
        block_on(py, async move { chainseal::verify_attestation::verify_attestation_async(&image, &options).await })?;
    // The CLI's rule (exit 1): nothing verified, or a policy rule failed.
    if report.verified.is_empty() {
        let reasons: Vec<String> = report.rejected.iter().map(|r| format!("{}: {}", r.found_at, r.reason)).collect();
        let msg = format!(
            "no attestation{what} of {} verified ({} refused, {} of other types)",
            report.digest,
            report.rejected.len(),
            report.skipped.len()
        );
        return Err(verification_failed(py, msg, reasons));
    }
    if !report.policy_failures.is_empty() {
        let reasons: Vec<String> = report.policy_failures.iter().map(|f| f.to_string()).collect();
        let msg = format!("{} policy rule(s) failed for {}: {}", reasons.len(), report.digest, reasons.join("; "));
        return Err(verification_failed(py, msg, reasons));
    }
    Ok(AttestationVerification { report })
}

/// What is attached to IMAGE (signatures, attestations, SBOMs; referrers and cosign tags).
#[pyfunction]
#[pyo3(signature = (image, *, registry=None))]
pub(crate) fn tree<'py>(
    py: Python<'py>,
    image: PathBuf,
    registry: Option<&Bound<'py, RegistryConfig>>,
) -> PyResult<Bound<'py, PyAny>> {
    let image = image.to_string_lossy().into_owned();
    let mut options = TreeOptions::default();
    options.registry = config_or_default(registry);
    let attached = block_on(py, async move { chainseal::tree::tree_async(&image, &options).await })?;
    to_py(py, &attached)
}
