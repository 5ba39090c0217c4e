//! One Tokio runtime shared by every call from Python, and the helper that runs facade work
//! with the GIL released.

use std::future::Future;
use std::sync::OnceLock;

use pyo3::prelude::*;

use crate::errors::{ChainsealError, py_result};

static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();

fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("chainseal-py")
            .enable_all()
            .build()
            .map_err(|e| format!("could not start the async runtime: {e}"))
    });
    rt.as_ref().map_err(|e| ChainsealError::new_err(e.clone()))
}

/// Run a facade future to completion on the shared runtime, without holding the GIL.
/// Inputs must be owned (extracted from Python) before the call. Safe from many Python
/// threads at once: `block_on` on a multi-threaded runtime is re-entrant across threads.
pub(crate) fn block_on<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = chainseal::Result<T>> + Send,
    T: Send,
{
    let rt = runtime()?;
    py_result(py.detach(|| rt.block_on(fut)))
}

/// Run blocking facade work without holding the GIL.
pub(crate) fn blocking<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> chainseal::Result<T> + Send,
    T: Send,
{
    py_result(py.detach(f))
}
