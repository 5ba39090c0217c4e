//! Small conversions between Python values and the facade's types (no logic: shapes only).

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};

use chainseal::sign::password::Password;

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
