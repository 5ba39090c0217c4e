//! Registry options shared by every command that talks to registries (`inspect`, `copy`,
//! `sbom`, `sign`, `verify`, …): flatten [`RegistryOpts`] into the command's arguments and
//! call [`RegistryOpts::to_config`].

use std::path::PathBuf;
use std::time::Duration;

use chainseal::image::{RegistryConfig, RetryPolicy};
use clap::Args;

/// How to reach registries. Credentials come from docker's config.json
/// (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; `docker login` writes it).
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct RegistryOpts {
    /// Speak plain HTTP (no TLS) to this registry host[:port]. Repeatable. Loopback hosts
    /// that do not speak TLS are reached over HTTP without this flag.
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub(crate) insecure_registry: Vec<String>,
    /// Also trust the CA certificate(s) in this PEM file for registry TLS. Repeatable.
    #[arg(long = "ca", value_name = "FILE")]
    pub(crate) ca: Vec<PathBuf>,
    /// Attempts per registry request for transient failures (429, 502-504, dropped connections).
    #[arg(long = "registry-retries", value_name = "N", default_value_t = 5)]
    pub(crate) retries: u32,
    /// Seconds to wait for a registry connection.
    #[arg(long = "registry-timeout", value_name = "SECONDS", default_value_t = 30)]
    pub(crate) timeout: u64,
}

impl RegistryOpts {
    /// The registry configuration these options describe.
    pub(crate) fn to_config(&self) -> RegistryConfig {
        let mut config = RegistryConfig::default();
        for host in &self.insecure_registry {
            config = config.with_insecure_host(host.clone());
        }
        for ca in &self.ca {
            config = config.with_ca_file(ca.clone());
        }
        let defaults = RetryPolicy::default();
        config.retry = RetryPolicy::new(self.retries.max(1), defaults.initial_backoff, defaults.max_backoff);
        config.timeouts.connect = Duration::from_secs(self.timeout.max(1));
        config
    }
}
