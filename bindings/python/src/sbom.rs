//! SBOMs: `sbom(source, formats=...)`, `read_sbom(document)`, the `Sbom` and `Component`
//! classes.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use chainseal::sbom::{self as facade, Format, SbomOptions};

use chainseal::attest::AttestOptions;
use chainseal::oci::{Digest, SourceSpec};

use crate::errors::{invalid_input, py_result};
use crate::keys::KeyPair;
use crate::registry::{RegistryConfig, config_or_default};
use crate::runtime::block_on;

/// An SBOM: the components found in an image or a directory.
#[pyclass(module = "chainseal._chainseal", name = "Sbom", frozen)]
pub(crate) struct Sbom {
    inner: facade::Sbom,
    formats: Vec<Format>,
    /// For image SBOMs: the image and the manifest digest that was cataloged (what
    /// `attest` binds the document to), and the registry settings used.
    image: Option<(SourceSpec, Digest)>,
    registry: chainseal::image::RegistryConfig,
}

/// One component (package) of an SBOM.
#[pyclass(module = "chainseal._chainseal", name = "Component", frozen, get_all)]
pub(crate) struct Component {
    /// Unique id within the SBOM (the purl where there is one).
    id: String,
    /// `library`, `application`, `framework`, `operating-system` or `file`.
    kind: String,
    /// purl type of the ecosystem (`deb`, `npm`, `pypi`, ...); empty when unknown.
    ecosystem: String,
    /// Package name.
    name: String,
    /// Version; empty when unknown.
    version: String,
    /// Package URL.
    purl: Option<String>,
    /// License expressions or names, as found.
    licenses: Vec<String>,
    /// CPE 2.3 strings.
    cpes: Vec<String>,
    /// Supplier.
    supplier: Option<String>,
    /// Which cataloger found it.
    found_by: String,
    /// Paths of the evidence files.
    locations: Vec<String>,
}

#[pymethods]
impl Component {
    fn __repr__(&self) -> String {
        format!(
            "Component(name={:?}, version={:?}, purl={})",
            self.name,
            self.version,
            crate::convert::opt_repr(&self.purl)
        )
    }
}

fn kind_name(kind: &chainseal::sbom::ComponentKind) -> &'static str {
    use chainseal::sbom::ComponentKind as K;
    match kind {
        K::Library => "library",
        K::Application => "application",
        K::Framework => "framework",
        K::OperatingSystem => "operating-system",
        K::File => "file",
        _ => "other",
    }
}

fn parse_formats(formats: Option<Vec<String>>) -> chainseal::Result<Vec<Format>> {
    let names = formats.unwrap_or_else(|| vec!["cyclonedx-json".to_string()]);
    names.iter().map(|n| Format::parse(n).map_err(chainseal::Error::from)).collect()
}

#[pymethods]
impl Sbom {
    /// The document in `format` (default: the first format asked for), as JSON text.
    #[pyo3(signature = (format=None))]
    fn to_json(&self, format: Option<&str>) -> PyResult<String> {
        let format = match format {
            Some(name) => py_result(Format::parse(name).map_err(chainseal::Error::from))?,
            None => self.formats.first().copied().unwrap_or(Format::CycloneDxJson16),
        };
        let bytes = facade::write(&self.inner, format);
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The document in `format` as bytes (what `chainseal sbom -o FORMAT` writes).
    #[pyo3(signature = (format=None))]
    fn to_bytes<'py>(&self, py: Python<'py>, format: Option<&str>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, self.to_json(format)?.as_bytes()))
    }

    /// Canonical names of the formats asked for.
    #[getter]
    fn formats(&self) -> Vec<&'static str> {
        self.formats.iter().map(|f| f.name()).collect()
    }

    /// The components found, sorted by id.
    #[getter]
    fn components(&self) -> Vec<Component> {
        self.inner
            .components
            .iter()
            .map(|c| Component {
                id: c.id.clone(),
                kind: kind_name(&c.kind).to_string(),
                ecosystem: c.ecosystem.clone(),
                name: c.name.clone(),
                version: c.version.clone(),
                purl: c.purl.clone(),
                licenses: c.licenses.clone(),
                cpes: c.cpes.clone(),
                supplier: c.supplier.clone(),
                found_by: c.found_by.clone(),
                locations: c.locations.iter().map(|l| l.path.clone()).collect(),
            })
            .collect()
    }

    /// Name of what was scanned.
    #[getter]
    fn source_name(&self) -> String {
        self.inner.source.name.clone()
    }

    /// Version (tag) of what was scanned.
    #[getter]
    fn source_version(&self) -> String {
        self.inner.source.version.clone()
    }

    /// When the SBOM was made (RFC 3339).
    #[getter]
    fn created(&self) -> String {
        self.inner.created.clone()
    }

    /// Problems met while cataloging (never fatal), as `path: message` strings.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.iter().map(|w| w.to_string()).collect()
    }

    /// The manifest digest that was cataloged (image SBOMs; `None` for directories).
    #[getter]
    fn digest(&self) -> Option<String> {
        self.image.as_ref().map(|(_, d)| d.to_string())
    }

    /// Attest this SBOM to the exact image digest it was made from (an in-toto Statement with
    /// the `format` document as predicate, signed with `key`), as `chainseal sbom --attest`.
    #[pyo3(signature = (*, key, format=None, attestation_format="bundle", replace=false))]
    fn attest<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, KeyPair>,
        format: Option<&str>,
        attestation_format: &str,
        replace: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Some((spec, digest)) = &self.image else {
            return Err(invalid_input("only an image's SBOM can be attested (this one is of a directory)"));
        };
        let format = match format {
            Some(name) => py_result(Format::parse(name).map_err(chainseal::Error::from))?,
            None => self.formats.first().copied().unwrap_or(Format::CycloneDxJson16),
        };
        let mut options = AttestOptions::default();
        options.format = crate::attest::attest_format(attestation_format)?;
        options.replace = replace;
        options.registry = self.registry.clone();
        let key = &key.get().key;
        let inner = &self.inner;
        let report = block_on(py, async move {
            let document = facade::write(inner, format);
            chainseal::attest::attest_sbom_async(spec, digest, key, format, &document, &options).await
        })?;
        crate::convert::to_py(py, &report)
    }

    fn __len__(&self) -> usize {
        self.inner.components.len()
    }

    fn __repr__(&self) -> String {
        format!("Sbom(source_name={:?}, components={})", self.inner.source.name, self.inner.components.len())
    }
}

/// Catalog SOURCE (image reference, `oci-dir:`, `oci-archive:`, `docker-archive:`, `dir:` or
/// a path) into an SBOM.
#[pyfunction]
#[pyo3(signature = (source, formats=None, *, platform=None, registry=None, source_name=None, source_version=None, source_supplier=None, created=None))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub(crate) fn sbom(
    py: Python<'_>,
    source: std::path::PathBuf,
    formats: Option<Vec<String>>,
    platform: Option<String>,
    registry: Option<&Bound<'_, RegistryConfig>>,
    source_name: Option<String>,
    source_version: Option<String>,
    source_supplier: Option<String>,
    created: Option<i64>,
) -> PyResult<Sbom> {
    let formats = py_result(parse_formats(formats))?;
    let source = source.to_string_lossy().into_owned();
    let mut options = SbomOptions::new();
    options.platform = platform;
    options.registry = config_or_default(registry);
    let registry = options.registry.clone();
    options.source_name = source_name;
    options.source_version = source_version;
    options.source_supplier = source_supplier;
    options.created = created;
    let (inner, image) = block_on(py, async move { facade::sbom_resolved(&source, &options).await })?;
    Ok(Sbom { inner, formats, image, registry })
}

/// Read a CycloneDX or SPDX JSON document (chainseal's, syft's, others') into an `Sbom`.
#[pyfunction]
pub(crate) fn read_sbom(py: Python<'_>, document: Vec<u8>) -> PyResult<Sbom> {
    let inner = crate::runtime::blocking(py, move || facade::read(&document))?;
    Ok(Sbom { inner, formats: vec![Format::CycloneDxJson16], image: None, registry: Default::default() })
}
