//! Blobs: `sign_blob` (a Sigstore bundle v0.3 with a managed key, offline) and
//! `verify_blob` / `verify_bundle` (keyless identity or managed key, against a trusted root).

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use chainseal::sign::bundle::{BundleLimits, parse_bundle, read_bundle};
use chainseal::sign::trust::TrustSource;
use chainseal::sign::verify::{ArtifactInput, Signer as VerifiedSigner, Verified};
use chainseal::sign::{BlobInput as SignInput, bundle_write};
use chainseal::verify_blob::{BlobInput, SignerSpec, verifier};

use crate::errors::invalid_input;
use crate::keys::KeyPair;
use crate::runtime::blocking;

/// Bytes, or a path (`str` or `os.PathLike`), as given by the caller.
enum Input {
    Bytes(Vec<u8>),
    Text(String),
    Path(PathBuf),
}

fn input(value: &Bound<'_, PyAny>) -> PyResult<Input> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(Input::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Input::Text(s.to_cow()?.into_owned()));
    }
    Ok(Input::Path(value.extract::<PathBuf>()?))
}

/// Sign `artifact` (bytes; or a path, `str` or `os.PathLike`; or a `"sha256:<hex>"` digest
/// string) with `key`; returns the bundle JSON (`cosign sign-blob --key --bundle`, offline).
#[pyfunction]
#[pyo3(signature = (artifact, *, key))]
pub(crate) fn sign_blob<'py>(
    py: Python<'py>,
    artifact: &Bound<'py, PyAny>,
    key: &Bound<'py, KeyPair>,
) -> PyResult<Bound<'py, PyBytes>> {
    let artifact = input(artifact)?;
    let key = &key.get().key;
    let bundle = blocking(py, move || match artifact {
        Input::Bytes(data) => Ok(bundle_write::to_json(&bundle_write::blob_bundle(key, &data)?)?),
        Input::Text(arg) => chainseal::sign::sign_blob(key, &SignInput::from_arg(&arg)?),
        Input::Path(path) => chainseal::sign::sign_blob(key, &SignInput::File(path)),
    })?;
    Ok(PyBytes::new(py, &bundle))
}

/// What a successful blob verification established.
#[pyclass(module = "chainseal._chainseal", name = "BlobVerification", frozen, get_all)]
pub(crate) struct BlobVerification {
    /// `"key"` for a managed key, `"certificate"` for a keyless (Fulcio) signature.
    signer: &'static str,
    /// The certificate's SAN that matched (keyless only).
    identity: Option<String>,
    /// The certificate's OIDC issuer (keyless only).
    issuer: Option<String>,
    /// Authenticated signing times (RFC 3339).
    verified_times: Vec<String>,
    /// Whether transparency-log inclusion was verified.
    tlog_verified: bool,
    /// Whether the certificate's SCT was verified (keyless only).
    sct_verified: bool,
}

#[pymethods]
impl BlobVerification {
    fn __repr__(&self) -> String {
        format!(
            "BlobVerification(signer={:?}, identity={}, issuer={}, tlog_verified={})",
            self.signer,
            crate::convert::opt_repr(&self.identity),
            crate::convert::opt_repr(&self.issuer),
            if self.tlog_verified { "True" } else { "False" }
        )
    }
}

impl From<Verified> for BlobVerification {
    fn from(v: Verified) -> Self {
        let (signer, identity, issuer) = match &v.signer {
            VerifiedSigner::Certificate(m) => ("certificate", Some(m.san.clone()), Some(m.issuer.clone())),
            _ => ("key", None, None),
        };
        BlobVerification {
            signer,
            identity,
            issuer,
            verified_times: v.verified_times.iter().map(|t| t.to_string()).collect(),
            tlog_verified: v.tlog_verified,
            sct_verified: v.sct_verified,
        }
    }
}

/// The verification request, extracted from Python before the GIL is released.
struct Request {
    artifact: Input,
    bundle: Input,
    signer: SignerSpec,
    trust: TrustSource,
}

#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
fn request(
    artifact: &Bound<'_, PyAny>,
    bundle: &Bound<'_, PyAny>,
    key: Option<PathBuf>,
    identity: Option<String>,
    identity_regexp: Option<String>,
    issuer: Option<String>,
    issuer_regexp: Option<String>,
    claims: Option<BTreeMap<String, String>>,
    trusted_root: Option<PathBuf>,
    staging: bool,
) -> PyResult<Request> {
    let spec = crate::convert::identity_spec(identity, identity_regexp, issuer, issuer_regexp, claims)?;
    let signer = match (key, spec) {
        (Some(_), Some(_)) => return Err(invalid_input("give either key= or an identity and issuer, not both")),
        (Some(k), None) => SignerSpec::KeyFile(k),
        (None, spec) => SignerSpec::Identity(spec.unwrap_or_default()),
    };
    // The CLI's choice: `trusted_root`, else a fresh `chainseal trusted-root update` cache, else
    // the embedded root. Never touches the network.
    let trust = chainseal::trusted_root::verification_trust(trusted_root.as_deref(), staging);
    Ok(Request { artifact: input(artifact)?, bundle: input(bundle)?, signer, trust })
}

fn run(py: Python<'_>, req: Request) -> PyResult<BlobVerification> {
    let verified = blocking(py, move || {
        let verifier = verifier(&req.signer, &req.trust)?;
        let limits = BundleLimits::default();
        let bundle = match &req.bundle {
            Input::Bytes(json) => parse_bundle(json, &limits)?,
            Input::Text(path) => read_bundle(std::path::Path::new(path), &limits)?,
            Input::Path(path) => read_bundle(path, &limits)?,
        };
        let digest_or_file = match &req.artifact {
            Input::Text(arg) => Some(BlobInput::from_arg(arg)),
            Input::Path(p) => Some(BlobInput::File(p.clone())),
            Input::Bytes(_) => None,
        };
        let artifact = match (&req.artifact, &digest_or_file) {
            (Input::Bytes(data), _) => ArtifactInput::Bytes(data),
            (_, Some(BlobInput::Sha256(d))) => ArtifactInput::Sha256(*d),
            (_, Some(BlobInput::File(p))) => ArtifactInput::File(p),
            _ => return Err(chainseal::Error::InvalidInput("unusable artifact".into())),
        };
        Ok(verifier.verify(artifact, &bundle)?)
    })?;
    Ok(verified.into())
}

/// Verify a Sigstore bundle over a blob, offline. `artifact` is bytes, a path, or a
/// `"sha256:<hex>"` digest; `bundle` is the bundle JSON (bytes) or its path. Keyless:
/// `identity`/`identity_regexp` and `issuer`/`issuer_regexp`, plus optional `claims`, exact
/// values of other Fulcio certificate extensions by name or OID (`{"source_repository_uri":
/// ..., "github_workflow_ref": ...}`), as cosign's `--certificate-github-workflow-*` flags.
#[pyfunction]
#[pyo3(signature = (artifact, bundle, *, key=None, identity=None, identity_regexp=None, issuer=None, issuer_regexp=None, claims=None, trusted_root=None, staging=false))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub(crate) fn verify_blob(
    py: Python<'_>,
    artifact: &Bound<'_, PyAny>,
    bundle: &Bound<'_, PyAny>,
    key: Option<PathBuf>,
    identity: Option<String>,
    identity_regexp: Option<String>,
    issuer: Option<String>,
    issuer_regexp: Option<String>,
    claims: Option<BTreeMap<String, String>>,
    trusted_root: Option<PathBuf>,
    staging: bool,
) -> PyResult<BlobVerification> {
    let req = request(
        artifact,
        bundle,
        key,
        identity,
        identity_regexp,
        issuer,
        issuer_regexp,
        claims,
        trusted_root,
        staging,
    )?;
    run(py, req)
}

/// `verify_blob` with the bundle first (sigstore-python's `verify_artifact` order).
#[pyfunction]
#[pyo3(signature = (bundle, artifact, *, key=None, identity=None, identity_regexp=None, issuer=None, issuer_regexp=None, claims=None, trusted_root=None, staging=false))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub(crate) fn verify_bundle(
    py: Python<'_>,
    bundle: &Bound<'_, PyAny>,
    artifact: &Bound<'_, PyAny>,
    key: Option<PathBuf>,
    identity: Option<String>,
    identity_regexp: Option<String>,
    issuer: Option<String>,
    issuer_regexp: Option<String>,
    claims: Option<BTreeMap<String, String>>,
    trusted_root: Option<PathBuf>,
    staging: bool,
) -> PyResult<BlobVerification> {
    verify_blob(
        py,
        artifact,
        bundle,
        key,
        identity,
        identity_regexp,
        issuer,
        issuer_regexp,
        claims,
        trusted_root,
        staging,
    )
}
