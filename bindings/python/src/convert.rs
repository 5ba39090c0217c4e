//! Small conversions between Python values and the facade's types (no logic: shapes only).

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};

use std::collections::BTreeMap;

use chainseal::sign::password::Password;
use chainseal::sign::policy::FulcioClaim;
use chainseal::verify_blob::IdentitySpec;

use crate::errors::invalid_input;

/// A JSON value (the facade's serialisable reports) as plain Python objects.
pub(crate) fn json_to_py<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                PyInt::new(py, i).into_any()
            } else if let Some(u) = n.as_u64() {
                PyInt::new(py, u).into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, json_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// A serialisable facade value as plain Python objects.
pub(crate) fn to_py<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let v = serde_json::to_value(value).map_err(|e| invalid_input(format!("cannot convert a report: {e}")))?;
    json_to_py(py, &v)
}

/// A password given as `str` (UTF-8) or `bytes`. The copy Python holds is Python's; ours is
/// zeroized on drop.
pub(crate) fn password(value: &Bound<'_, PyAny>) -> PyResult<Password> {
    if let Ok(b) = value.cast::<pyo3::types::PyBytes>() {
        return Ok(Password::new(b.as_bytes().to_vec()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Password::new(s.to_cow()?.as_bytes().to_vec()));
    }
    Err(pyo3::exceptions::PyTypeError::new_err("password must be str or bytes"))
}

/// `repr()`-style text for an optional string (`None` or the quoted string).
pub(crate) fn opt_repr(value: &Option<String>) -> String {
    match value {
        Some(s) => format!("{s:?}"),
        None => "None".to_string(),
    }
}

/// The Fulcio certificate extensions `claims=` may require, by the names Python callers use
/// (the extension names of the Fulcio OID registry in snake case; the OIDs work too).
const CLAIM_NAMES: &[(&str, FulcioClaim)] = &[
    ("build_signer_uri", FulcioClaim::BuildSignerUri),
    ("build_signer_digest", FulcioClaim::BuildSignerDigest),
    ("runner_environment", FulcioClaim::RunnerEnvironment),
    ("source_repository_uri", FulcioClaim::SourceRepositoryUri),
    ("source_repository_digest", FulcioClaim::SourceRepositoryDigest),
    ("source_repository_ref", FulcioClaim::SourceRepositoryRef),
    ("source_repository_identifier", FulcioClaim::SourceRepositoryIdentifier),
    ("source_repository_owner_uri", FulcioClaim::SourceRepositoryOwnerUri),
    ("source_repository_owner_identifier", FulcioClaim::SourceRepositoryOwnerIdentifier),
    ("build_config_uri", FulcioClaim::BuildConfigUri),
    ("build_config_digest", FulcioClaim::BuildConfigDigest),
    ("build_trigger", FulcioClaim::BuildTrigger),
    ("run_invocation_uri", FulcioClaim::RunInvocationUri),
    ("source_repository_visibility_at_signing", FulcioClaim::SourceRepositoryVisibility),
    ("deployment_environment", FulcioClaim::DeploymentEnvironment),
    ("github_workflow_trigger", FulcioClaim::GithubWorkflowTrigger),
    ("github_workflow_sha", FulcioClaim::GithubWorkflowSha),
    ("github_workflow_name", FulcioClaim::GithubWorkflowName),
    ("github_workflow_repository", FulcioClaim::GithubWorkflowRepository),
    ("github_workflow_ref", FulcioClaim::GithubWorkflowRef),
];

/// `claims={"source_repository_uri": "...", ...}`: each an exact match on that extension.
fn claims(map: BTreeMap<String, String>) -> PyResult<Vec<(FulcioClaim, String)>> {
    map.into_iter()
        .map(|(name, value)| {
            let claim = CLAIM_NAMES.iter().find(|(n, c)| *n == name || c.oid() == name).map(|(_, c)| *c);
            match claim {
                Some(c) => Ok((c, value)),
                None => {
                    let known: Vec<&str> = CLAIM_NAMES.iter().map(|(n, _)| *n).collect();
                    Err(invalid_input(format!("unknown certificate claim {name:?}; use one of {}", known.join(", "))))
                }
            }
        })
        .collect()
}

/// The keyless identity requirement from the Python keyword arguments; `None` when none of
/// them was given (then a key is expected).
pub(crate) fn identity_spec(
    identity: Option<String>,
    identity_regexp: Option<String>,
    issuer: Option<String>,
    issuer_regexp: Option<String>,
    claim_map: Option<BTreeMap<String, String>>,
) -> PyResult<Option<IdentitySpec>> {
    let claims = claims(claim_map.unwrap_or_default())?;
    let given = identity.is_some()
        || identity_regexp.is_some()
        || issuer.is_some()
        || issuer_regexp.is_some()
        || !claims.is_empty();
    Ok(given.then_some(IdentitySpec { identity, identity_regexp, issuer, issuer_regexp, claims }))
}
