//! The one place where a [`chainseal::Error`] becomes a Python exception.
//!
//! The exception classes are plain Python classes in `chainseal/errors.py`; the class is
//! chosen from [`chainseal::Error::kind`] and the message is the one the CLI prints
//! (`error: <message>`): the error and its causes joined by `": "`.

#![allow(unreachable_pub, reason = "import_exception! declares pub types")]

use pyo3::prelude::*;
use pyo3::types::PyList;

use chainseal::ErrorKind;

pyo3::import_exception!(chainseal.errors, ChainsealError);
pyo3::import_exception!(chainseal.errors, VerificationError);
pyo3::import_exception!(chainseal.errors, RegistryError);
pyo3::import_exception!(chainseal.errors, InvalidInputError);
pyo3::import_exception!(chainseal.errors, LocalFileError);

/// Which Python class an error kind becomes (kept apart from the conversion so the mapping
/// is testable and reviewable in one match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PyClassFor {
    /// `chainseal.errors.VerificationError`.
    Verification,
    /// `chainseal.errors.RegistryError`.
    Registry,
    /// `chainseal.errors.InvalidInputError` (also a `ValueError`).
    InvalidInput,
    /// `chainseal.errors.LocalFileError` (also an `OSError`).
    LocalFile,
    /// `chainseal.errors.ChainsealError`.
    Other,
}

/// The mapping from [`ErrorKind`] to exception class.
pub(crate) fn class_for(kind: ErrorKind) -> PyClassFor {
    match kind {
        ErrorKind::Verification => PyClassFor::Verification,
        ErrorKind::Registry => PyClassFor::Registry,
        ErrorKind::InvalidInput => PyClassFor::InvalidInput,
        ErrorKind::Io => PyClassFor::LocalFile,
        // ErrorKind is non-exhaustive: new kinds are at least ChainsealErrors.
        _ => PyClassFor::Other,
    }
}

/// The message the CLI prints for `err` (anyhow's `{:#}`: the error, then each cause).
pub(crate) fn message(err: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // thiserror's `transparent` variants repeat their inner error; do not print it twice.
        if !msg.ends_with(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = cause.source();
    }
    msg
}

/// Build the Python exception of class `class` with `msg`.
pub(crate) fn new_err(class: PyClassFor, msg: String) -> PyErr {
    match class {
        PyClassFor::Verification => VerificationError::new_err(msg),
        PyClassFor::Registry => RegistryError::new_err(msg),
        PyClassFor::InvalidInput => InvalidInputError::new_err(msg),
        PyClassFor::LocalFile => LocalFileError::new_err(msg),
        PyClassFor::Other => ChainsealError::new_err(msg),
    }
}

/// A facade error on its way to Python; `?` converts it.
#[derive(Debug)]
pub(crate) struct PyChainsealError(pub(crate) chainseal::Error);

impl From<chainseal::Error> for PyChainsealError {
    fn from(err: chainseal::Error) -> Self {
        PyChainsealError(err)
    }
}

impl From<PyChainsealError> for PyErr {
    fn from(err: PyChainsealError) -> PyErr {
        new_err(class_for(err.0.kind()), message(&err.0))
    }
}

/// Convert a facade result (the glue's `?` then yields a `PyErr`).
pub(crate) fn py_result<T>(r: chainseal::Result<T>) -> PyResult<T> {
    r.map_err(|e| PyChainsealError(e).into())
}

/// An `InvalidInputError` for an argument the caller got wrong (bad combination of options).
pub(crate) fn invalid_input(msg: impl Into<String>) -> PyErr {
    InvalidInputError::new_err(msg.into())
}

/// A `VerificationError` carrying the reason each candidate was refused.
pub(crate) fn verification_failed(py: Python<'_>, msg: String, reasons: Vec<String>) -> PyErr {
    let err = VerificationError::new_err(msg);
    let set = PyList::new(py, reasons).and_then(|list| err.value(py).setattr("reasons", list));
    match set {
        Ok(()) => err,
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_its_class() {
        assert_eq!(class_for(ErrorKind::Verification), PyClassFor::Verification);
        assert_eq!(class_for(ErrorKind::Registry), PyClassFor::Registry);
        assert_eq!(class_for(ErrorKind::InvalidInput), PyClassFor::InvalidInput);
        assert_eq!(class_for(ErrorKind::Io), PyClassFor::LocalFile);
        assert_eq!(class_for(ErrorKind::Other), PyClassFor::Other);
    }

    /// With an embedded interpreter: each kind raises the intended Python class, a
    /// verification failure is never a bare `Exception`, and the message is the CLI's.
    #[test]
    fn errors_become_the_python_classes() {
        Python::initialize();
        Python::attach(|py| {
            let sys_path = py.import("sys").and_then(|s| s.getattr("path")).expect("sys.path");
            let pkg = concat!(env!("CARGO_MANIFEST_DIR"), "/python");
            sys_path.call_method1("insert", (0, pkg)).expect("sys.path.insert");
            let errors = py.import("chainseal.errors").expect("chainseal.errors importable");
            let cases: [(chainseal::Error, &str, &[&str]); 3] = [
                (
                    chainseal::Error::Verification("signature does not verify".into()),
                    "VerificationError",
                    &["ChainsealError"],
                ),
                (chainseal::Error::InvalidInput("bad reference".into()), "InvalidInputError", &["ValueError"]),
                (
                    chainseal::Error::Oci(chainseal::oci::Error::Registry("HTTP 500".into())),
                    "RegistryError",
                    &["ChainsealError"],
                ),
            ];
            for (err, class, bases) in cases {
                let shown = message(&err);
                let py_err: PyErr = PyChainsealError(err).into();
                let want = errors.getattr(class).expect("class exists");
                let value = py_err.value(py);
                assert!(value.is_instance(&want).expect("isinstance"), "{shown} is not a {class}");
                for base in bases {
                    let b = if *base == "ValueError" {
                        py.get_type::<pyo3::exceptions::PyValueError>().into_any()
                    } else {
                        errors.getattr(*base).expect("base exists")
                    };
                    assert!(value.is_instance(&b).expect("isinstance"), "{class} is not a {base}");
                }
                assert_eq!(value.str().expect("str").to_string(), shown);
            }
            let reasons = verification_failed(py, "no signature verified".into(), vec!["a".into(), "b".into()]);
            let got: Vec<String> =
                reasons.value(py).getattr("reasons").and_then(|r| r.extract()).expect("reasons list");
            assert_eq!(got, ["a", "b"]);
        });
    }

    #[test]
    fn message_joins_causes_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = chainseal::Error::Sign(chainseal::sign::Error::Io { path: "/x/key".into(), source: io });
        let shown = message(&err);
        assert_eq!(shown.matches("no such file").count(), 1, "{shown}");
    }
}
