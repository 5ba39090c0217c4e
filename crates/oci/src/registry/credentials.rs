//! Credentials from docker's `config.json`: `credHelpers`, `auths` (`auth`, `identitytoken`)
//! and `credsStore`, in docker's order.
//!
//! Written here rather than taken from the `docker_credential` crate because chainseal needs
//! an explicit config path (tests, `RegistryConfig`), the identity token passed on (the crate's
//! users fall back to anonymous), and errors that say which file or helper failed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde::Deserialize;

use super::config::{Credential, CredentialSource, DockerConfigLocation, Secret};
use crate::error::{Error, Result};

/// Largest config file read.
const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: std::collections::HashMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: std::collections::HashMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// The docker config key for a registry: Docker Hub's many spellings become `index.docker.io`.
pub(crate) fn normalise_host(key: &str) -> String {
    let trimmed = key.trim_start_matches("https://").trim_start_matches("http://");
    let host = trimmed.split('/').next().unwrap_or(trimmed).to_ascii_lowercase();
    match host.as_str() {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "index.docker.io".into()
        }
        _ => host,
    }
}

/// Where the default docker config lives: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
fn default_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// Find credentials for `host` (as in the reference: `127.0.0.1:5000`, `docker.io`).
/// Blocking (it may run a credential helper): call it from `spawn_blocking`.
pub(crate) fn lookup(source: &CredentialSource, host: &str) -> Result<Option<Credential>> {
    let wanted = normalise_host(host);
    if let Some((_, c)) = source.explicit.iter().find(|(h, _)| normalise_host(h) == wanted) {
        return Ok(Some(c.clone()));
    }
    let path = match &source.docker_config {
        DockerConfigLocation::Disabled => return Ok(None),
        DockerConfigLocation::File(p) => p.clone(),
        DockerConfigLocation::Default => match default_config_path() {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    lookup_in_file(&path, &wanted)
}

fn lookup_in_file(path: &Path, wanted: &str) -> Result<Option<Credential>> {
    let bytes = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("reading docker config {}", path.display()), e)),
        Ok(m) if m.len() > MAX_CONFIG_BYTES => {
            return Err(Error::LimitExceeded {
                what: format!("docker config {}", path.display()),
                limit: MAX_CONFIG_BYTES,
                unit: "bytes",
            });
        }
        Ok(_) => std::fs::read(path).map_err(|e| Error::io(format!("reading docker config {}", path.display()), e))?,
    };
    credentials_in(&bytes, path, wanted, &run_helper)
}

/// The credential for `wanted` in the docker config `bytes` (read from `path`, named in
/// errors). Credential helpers are run through `helper`, so fuzzing can refuse to run programs.
pub(crate) fn credentials_in(
    bytes: &[u8],
    path: &Path,
    wanted: &str,
    helper: &dyn Fn(&str, &str) -> Result<Option<Credential>>,
) -> Result<Option<Credential>> {
    let config: DockerConfig = serde_json::from_slice(bytes).map_err(|e| {
        Error::Registry(format!("docker config {} is not valid JSON ({e}); fix or move it", path.display()))
    })?;
    if let Some((_, helper_name)) = config.cred_helpers.iter().find(|(k, _)| normalise_host(k) == wanted) {
        return helper(helper_name, wanted);
    }
    if let Some((_, entry)) = config.auths.iter().find(|(k, _)| normalise_host(k) == wanted) {
        if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
            return Ok(Some(Credential::IdentityToken(Secret::new(token))));
        }
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD.decode(auth.trim()).map_err(|_| {
                Error::Registry(format!(
                    "the `auth` entry for {wanted} in {} is not base64; run `docker login {wanted}` again",
                    path.display()
                ))
            })?;
            let text = String::from_utf8(decoded).map_err(|_| {
                Error::Registry(format!("the `auth` entry for {wanted} in {} is not UTF-8", path.display()))
            })?;
            let (user, pass) = text.split_once(':').ok_or_else(|| {
                Error::Registry(format!(
                    "the `auth` entry for {wanted} in {} is not `user:password`; run `docker login {wanted}` again",
                    path.display()
                ))
            })?;
            return Ok(Some(Credential::basic(user, pass)));
        }
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Ok(Some(Credential::basic(u.clone(), p.clone())));
        }
    }
    if let Some(store) = config.creds_store.as_deref().filter(|s| !s.is_empty()) {
        return helper(store, wanted);
    }
    Ok(None)
}

/// The helper executable: looked up on PATH (tests point it into a temporary directory).
fn helper_program(program: &str) -> PathBuf {
    #[cfg(test)]
    if let Some(dir) = HELPER_DIR.with(|d| d.borrow().clone()) {
        return dir.join(program);
    }
    PathBuf::from(program)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: String,
}

/// Run `docker-credential-<helper> get` with the server URL on stdin.
fn run_helper(helper: &str, host: &str) -> Result<Option<Credential>> {
    if helper.is_empty() || !helper.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
        return Err(Error::Registry(format!("invalid credential helper name {helper:?} in the docker config")));
    }
    let program = format!("docker-credential-{helper}");
    let server = if host == "index.docker.io" { "https://index.docker.io/v1/".to_string() } else { host.to_string() };
    let mut child = Command::new(helper_program(&program))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::Registry(format!(
                "could not run credential helper {program} for {host}: {e}; install it or remove it from the docker config"
            ))
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let output =
        child.wait_with_output().map_err(|e| Error::Registry(format!("credential helper {program} failed: {e}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        // "credentials not found in native keychain" means: no credentials, go anonymous.
        if stdout.contains("credentials not found")
            || String::from_utf8_lossy(&output.stderr).contains("credentials not found")
        {
            return Ok(None);
        }
        return Err(Error::Registry(format!(
            "credential helper {program} failed for {host} ({}); check it with `{program} list`",
            output.status
        )));
    }
    let answer: HelperAnswer = serde_json::from_slice(&output.stdout).map_err(|_| {
        Error::Registry(format!("credential helper {program} printed something that is not JSON credentials"))
    })?;
    if answer.username == "<token>" {
        return Ok(Some(Credential::IdentityToken(Secret::new(answer.secret))));
    }
    Ok(Some(Credential::basic(answer.username, answer.secret)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source_for(path: &Path) -> CredentialSource {
        CredentialSource { explicit: Vec::new(), docker_config: DockerConfigLocation::File(path.to_path_buf()) }
    }

    #[test]
    fn docker_hub_keys_normalise() {
        for k in ["https://index.docker.io/v1/", "docker.io", "registry-1.docker.io", "index.docker.io"] {
            assert_eq!(normalise_host(k), "index.docker.io", "{k}");
        }
        assert_eq!(normalise_host("http://127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(normalise_host("Ghcr.io"), "ghcr.io");
    }

    #[test]
    fn reads_auths_and_identity_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dGVzdHVzZXI6dGVzdDpwYXNz"},
                "reg.example:5443":{"identitytoken":"refresh-me"},
                "bad.example":{"auth":"!!!"}}}"#,
        )
        .unwrap();
        let src = source_for(&path);
        match lookup(&src, "docker.io").unwrap() {
            Some(Credential::Basic { username, password }) => {
                assert_eq!(username, "testuser");
                assert_eq!(password.expose(), "test:pass");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(lookup(&src, "reg.example:5443").unwrap(), Some(Credential::IdentityToken(_))));
        assert!(lookup(&src, "other.example").unwrap().is_none());
        let err = lookup(&src, "bad.example").unwrap_err().to_string();
        assert!(err.contains("not base64") && !err.contains("!!!"), "{err}");
    }

    #[test]
    fn explicit_credentials_win_and_missing_file_is_anonymous() {
        let dir = tempfile::tempdir().unwrap();
        let mut src = source_for(&dir.path().join("absent.json"));
        assert!(lookup(&src, "r.example").unwrap().is_none());
        src.explicit.push(("r.example".into(), Credential::basic("a", "b")));
        assert!(matches!(lookup(&src, "r.example").unwrap(), Some(Credential::Basic { .. })));
        assert!(lookup(&CredentialSource::anonymous(), "r.example").unwrap().is_none());
    }

    #[test]
    fn malformed_config_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, b"{not json").unwrap();
        assert!(lookup(&source_for(&path), "r.example").is_err());
    }

    #[test]
    fn credential_helpers_are_run() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let helper = dir.path().join("docker-credential-chainsealtest");
        std::fs::write(
            &helper,
            "#!/bin/sh\nread server\nif [ \"$server\" = \"r.example\" ]; then echo '{\"ServerURL\":\"r.example\",\"Username\":\"hu\",\"Secret\":\"hs\"}'; else echo 'credentials not found in native keychain'; exit 1; fi\n",
        )
        .unwrap();
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"credHelpers":{"r.example":"chainsealtest"},"credsStore":"chainsealtest"}"#).unwrap();
        // The helper must be on PATH: run it through an absolute-path shim instead of touching
        // the process environment (tests run in parallel).
        let found = with_path_dir(dir.path(), || lookup(&source_for(&path), "r.example"));
        match found {
            Ok(Some(Credential::Basic { username, password })) => {
                assert_eq!(username, "hu");
                assert_eq!(password.expose(), "hs");
            }
            other => panic!("{other:?}"),
        }
        let none = with_path_dir(dir.path(), || lookup(&source_for(&path), "s.example"));
        assert!(matches!(none, Ok(None)), "{none:?}");
    }

    /// Runs `f` with `dir` resolvable for helpers (helpers are looked up on PATH; tests set the
    /// lookup directory through a thread-local override instead of mutating the environment).
    fn with_path_dir<T>(dir: &Path, f: impl FnOnce() -> T) -> T {
        HELPER_DIR.with(|d| *d.borrow_mut() = Some(dir.to_path_buf()));
        let out = f();
        HELPER_DIR.with(|d| *d.borrow_mut() = None);
        out
    }
}

#[cfg(test)]
thread_local! {
    static HELPER_DIR: std::cell::RefCell<Option<PathBuf>> = const { std::cell::RefCell::new(None) };
}
