//! Images: `inspect` and `copy` (registry references, `oci-dir:`, `oci-archive:`,
//! `docker-archive:`). Reports are returned as the dicts the CLI prints as JSON.

use pyo3::prelude::*;

use chainseal::image::{self as facade, CopyOptions, InspectOptions};

use crate::convert::to_py;
use crate::registry::{RegistryConfig, config_or_default};
use crate::runtime::block_on;

/// Inspect SOURCE: digests, platforms, layers, config, referrers and cosign tags.
#[pyfunction]
#[pyo3(signature = (source, *, platform=None, registry=None, skip_attachments=false))]
pub(crate) fn inspect<'py>(
    py: Python<'py>,
    source: std::path::PathBuf,
    platform: Option<String>,
    registry: Option<&Bound<'py, RegistryConfig>>,
    skip_attachments: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let source = source.to_string_lossy().into_owned();
    let mut options = InspectOptions::default();
    options.platform = platform;
    options.registry = config_or_default(registry);
    options.skip_attachments = skip_attachments;
    let report = block_on(py, async move { facade::inspect_async(&source, &options).await })?;
    to_py(py, &report)
}

/// Copy SOURCE to DEST (a registry reference or `oci-dir:PATH[:TAG]`) keeping every digest;
/// with `with_attachments`, also referrers and cosign `.sig`/`.att`/`.sbom` tags.
#[pyfunction]
#[pyo3(signature = (source, dest, *, registry=None, with_attachments=false))]
pub(crate) fn copy<'py>(
    py: Python<'py>,
    source: std::path::PathBuf,
    dest: std::path::PathBuf,
    registry: Option<&Bound<'py, RegistryConfig>>,
    with_attachments: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let source = source.to_string_lossy().into_owned();
    let dest = dest.to_string_lossy().into_owned();
    let mut options = CopyOptions::default();
    options.registry = config_or_default(registry);
    options.with_attachments = with_attachments;
    let report = block_on(py, async move { facade::copy_async(&source, &dest, &options).await })?;
    to_py(py, &report)
}
