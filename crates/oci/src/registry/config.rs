//! [`RegistryConfig`]: everything a caller (CLI, Python bindings, tests) decides about how
//! chainseal talks to registries.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::retry::RetryPolicy;

/// How chainseal talks to registries: credentials, transport security, retries, timeouts.
///
/// `RegistryConfig::default()` is what docker does: credentials from the docker config file,
/// HTTPS with the system roots everywhere except loopback hosts, retries with backoff.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RegistryConfig {
    /// Where credentials come from.
    pub credentials: CredentialSource,
    /// Hosts (`host` or `host:port`, as in the reference) spoken to over plain HTTP.
    /// Only when the user asks (`--insecure-registry HOST`).
    pub insecure_hosts: Vec<String>,
    /// Extra PEM files whose certificates are trusted as roots, on top of the system roots
    /// (`--ca FILE`).
    pub ca_files: Vec<PathBuf>,
    /// Whether loopback hosts (`localhost`, `127.0.0.0/8`, `::1`) may be spoken to over plain
    /// HTTP when they do not speak TLS (docker's behaviour). HTTPS is always tried first, and
    /// a loopback server that speaks TLS with a certificate we do not trust is refused, never
    /// downgraded.
    pub allow_loopback_http: bool,
    /// Retry behaviour for transient failures.
    pub retry: RetryPolicy,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Largest manifest or index accepted from a registry.
    pub max_manifest_bytes: u64,
    /// Blobs up to this size are pushed whole (buffered in memory, so an interrupted upload
    /// is restarted by the client itself); larger blobs are pushed in chunks of
    /// [`RegistryConfig::upload_chunk_bytes`] with `PATCH`, resuming from the registry's
    /// reported range after a failure. Default 32 MiB.
    pub chunked_upload_threshold: u64,
    /// Size of one `PATCH` of a chunked upload (raised to the registry's
    /// `OCI-Chunk-Min-Length`); one chunk per blob in flight is held in memory. Default 4 MiB
    /// (some registries refuse larger chunks).
    pub upload_chunk_bytes: u64,
}

impl Default for RegistryConfig {
    fn default() -> RegistryConfig {
        RegistryConfig {
            credentials: CredentialSource::default(),
            insecure_hosts: Vec::new(),
            ca_files: Vec::new(),
            allow_loopback_http: true,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            user_agent: concat!("chainseal/", env!("CARGO_PKG_VERSION")).to_string(),
            max_manifest_bytes: crate::manifest::DEFAULT_MAX_MANIFEST_BYTES as u64,
            chunked_upload_threshold: 32 * 1024 * 1024,
            upload_chunk_bytes: 4 * 1024 * 1024,
        }
    }
}

impl RegistryConfig {
    /// Add a host to speak plain HTTP to.
    pub fn with_insecure_host(mut self, host: impl Into<String>) -> RegistryConfig {
        self.insecure_hosts.push(host.into());
        self
    }

    /// Trust the certificates in a PEM file as extra roots.
    pub fn with_ca_file(mut self, path: impl Into<PathBuf>) -> RegistryConfig {
        self.ca_files.push(path.into());
        self
    }

    /// Use these credentials for `host` before anything from the docker config.
    pub fn with_credential(mut self, host: impl Into<String>, credential: Credential) -> RegistryConfig {
        self.credentials.explicit.push((host.into(), credential));
        self
    }

    /// Replace the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> RegistryConfig {
        self.retry = retry;
        self
    }

    /// Is `host` one the user asked to reach over plain HTTP?
    pub(crate) fn is_insecure(&self, host: &str) -> bool {
        self.insecure_hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

/// Timeouts for registry traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Establishing a TCP (and TLS) connection.
    pub connect: Duration,
    /// Longest silence while reading a response (not the whole transfer: large blobs take
    /// as long as they take).
    pub read: Duration,
    /// Whole-request limit for small requests (manifests, HEAD, tokens, referrers).
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts { connect: Duration::from_secs(30), read: Duration::from_secs(60), request: Duration::from_secs(120) }
    }
}

/// Where credentials come from. Explicit credentials win over the docker config.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CredentialSource {
    /// Credentials given by the caller, per registry host (`host[:port]`, or `docker.io`).
    pub explicit: Vec<(String, Credential)>,
    /// The docker config to read.
    pub docker_config: DockerConfigLocation,
}

impl CredentialSource {
    /// No credentials at all: every registry is spoken to anonymously.
    pub fn anonymous() -> CredentialSource {
        CredentialSource { explicit: Vec::new(), docker_config: DockerConfigLocation::Disabled }
    }
}

/// Which docker `config.json` to read credentials from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DockerConfigLocation {
    /// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json` (docker's rule).
    #[default]
    Default,
    /// This file.
    File(PathBuf),
    /// Do not read any docker config.
    Disabled,
}

/// A secret string (password, token) whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for building a request header. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.0.zeroize();
    }
}

/// Credentials for one registry.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// User name and password (sent as HTTP Basic, or to the token server).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: Secret,
    },
    /// An OAuth2 refresh token (`identitytoken` in docker's config), exchanged at the token
    /// server with the `refresh_token` grant.
    IdentityToken(Secret),
    /// A ready bearer token, sent as is.
    BearerToken(Secret),
}

impl Credential {
    /// User name and password.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Credential {
        Credential::Basic { username: username.into(), password: Secret::new(password) }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Basic { username, .. } => write!(f, "Credential::Basic({username:?}, <redacted>)"),
            Credential::IdentityToken(_) => f.write_str("Credential::IdentityToken(<redacted>)"),
            Credential::BearerToken(_) => f.write_str("Credential::BearerToken(<redacted>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let config = RegistryConfig::default()
            .with_credential("r.example", Credential::basic("alice", "hunter2"))
            .with_credential("s.example", Credential::IdentityToken(Secret::new("refresh-xyz")))
            .with_credential("t.example", Credential::BearerToken(Secret::new("tok-abc")));
        let shown = format!("{config:?}");
        assert!(shown.contains("alice"));
        for secret in ["hunter2", "refresh-xyz", "tok-abc"] {
            assert!(!shown.contains(secret), "{secret} leaked into {shown}");
        }
    }

    #[test]
    fn insecure_hosts_match_case_insensitively() {
        let config = RegistryConfig::default().with_insecure_host("Reg.Local:5000");
        assert!(config.is_insecure("reg.local:5000"));
        assert!(!config.is_insecure("reg.local"));
    }
}
