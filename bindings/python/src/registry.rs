//! `RegistryConfig`: how chainseal talks to registries (credentials, plain-HTTP hosts, CA
//! files, retries, timeouts), built once in Python and passed to every registry function.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyBool;

use chainseal::image::{Credential, RegistryConfig as Config, RetryPolicy};
use chainseal::oci::registry::DockerConfigLocation;

use crate::errors::invalid_input;

/// Registry access settings, passed as ``registry=`` to every function that talks to registries.
///
/// ``credentials`` maps a registry host (``host[:port]``, or ``docker.io``) to a
/// ``(username, password)`` pair, used before anything from docker's ``config.json``;
/// ``insecure_registries`` are hosts spoken to over plain HTTP (loopback hosts that do not speak
/// TLS are reached over HTTP anyway); ``ca_files`` are PEM files trusted as extra roots;
/// ``docker_config`` is ``None``/``True`` (docker's rule: ``$DOCKER_CONFIG`` or
/// ``~/.docker/config.json``), ``False`` (read none) or a path; ``retries`` is attempts per
/// request for transient failures; ``timeout`` is seconds to wait for a connection.
/// ``repr()`` never shows passwords.
#[pyclass(module = "chainseal._chainseal", name = "RegistryConfig", frozen)]
#[derive(Clone)]
pub(crate) struct RegistryConfig {
    pub(crate) inner: Config,
}

#[pymethods]
impl RegistryConfig {
    /// Build a configuration; see the class docstring.
    #[new]
    #[pyo3(signature = (*, credentials=None, insecure_registries=Vec::new(), ca_files=Vec::new(), docker_config=None, retries=5, timeout=30.0))]
    fn new(
        credentials: Option<std::collections::BTreeMap<String, (String, String)>>,
        insecure_registries: Vec<String>,
        ca_files: Vec<PathBuf>,
        docker_config: Option<&Bound<'_, PyAny>>,
        retries: u32,
        timeout: f64,
    ) -> PyResult<Self> {
        let mut inner = Config::default();
        for (host, (username, password)) in credentials.unwrap_or_default() {
            inner = inner.with_credential(host, Credential::basic(username, password));
        }
        for host in insecure_registries {
            inner = inner.with_insecure_host(host);
        }
        for ca in ca_files {
            inner = inner.with_ca_file(ca);
        }
        inner.credentials.docker_config = match docker_config {
            None => DockerConfigLocation::Default,
            Some(v) if v.is_instance_of::<PyBool>() => {
                if v.extract::<bool>()? {
                    DockerConfigLocation::Default
                } else {
                    DockerConfigLocation::Disabled
                }
            }
            Some(v) => DockerConfigLocation::File(v.extract::<PathBuf>()?),
        };
        let defaults = RetryPolicy::default();
        inner.retry = RetryPolicy::new(retries.max(1), defaults.initial_backoff, defaults.max_backoff);
        if !(timeout.is_finite() && timeout > 0.0) {
            return Err(invalid_input("timeout must be a positive number of seconds"));
        }
        inner.timeouts.connect = Duration::from_secs_f64(timeout);
        Ok(RegistryConfig { inner })
    }

    /// Hosts spoken to over plain HTTP.
    #[getter]
    fn insecure_registries(&self) -> Vec<String> {
        self.inner.insecure_hosts.clone()
    }

    /// Extra CA files trusted for registry TLS.
    #[getter]
    fn ca_files(&self) -> Vec<PathBuf> {
        self.inner.ca_files.clone()
    }

    /// Hosts with explicit credentials (the secrets are never shown).
    #[getter]
    fn credential_hosts(&self) -> Vec<String> {
        self.inner.credentials.explicit.iter().map(|(h, _)| h.clone()).collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "RegistryConfig(credential_hosts={:?}, insecure_registries={:?}, ca_files={:?})",
            self.credential_hosts(),
            self.inner.insecure_hosts,
            self.inner.ca_files
        )
    }
}

/// The config to use: the given one, else the default (docker's rules).
pub(crate) fn config_or_default(config: Option<&Bound<'_, RegistryConfig>>) -> Config {
    config.map(|c| c.get().inner.clone()).unwrap_or_default()
}
