//! [`RegistryClient`]: one HTTP client, token cache and credential cache shared by every
//! repository it opens, and the request loop (auth, one re-auth on 401, retries).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode, Url};

use super::auth::{self, Challenge, TokenCache};
use super::config::{Credential, RegistryConfig};
use super::repository::Repository;
use super::retry;
use super::transport;
use crate::error::{Error, Result};
use crate::reference::{Reference, is_loopback_host};

/// A registry client. Cheap to clone; clones share connections, tokens and credentials.
///
/// One client serves any number of registries and repositories; open one with
/// [`RegistryClient::repository`].
#[derive(Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

struct Inner {
    config: RegistryConfig,
    http: reqwest::Client,
    schemes: Mutex<HashMap<String, &'static str>>,
    host_auth: Mutex<HashMap<String, HostAuth>>,
    tokens: Mutex<TokenCache>,
    credentials: tokio::sync::Mutex<HashMap<String, Option<Credential>>>,
    fallback_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// What we learnt about a host's authentication from its challenges.
#[derive(Clone, Debug)]
enum HostAuth {
    Basic,
    Bearer { realm: String, service: Option<String> },
}

/// A request body.
pub(crate) enum ReqBody {
    /// No body.
    Empty,
    /// Bytes in memory: the request can be replayed.
    Bytes(Bytes),
}

/// One registry request.
pub(crate) struct Req {
    pub(crate) method: Method,
    /// Registry host (`host[:port]` as in the reference).
    pub(crate) host: String,
    /// `/v2/...` path with query, or an absolute URL (upload `Location`).
    pub(crate) target: String,
    pub(crate) headers: Vec<(HeaderName, String)>,
    pub(crate) body: ReqBody,
    /// Token scope(s), space separated.
    pub(crate) scope: String,
    /// Whole-request timeout (small requests); `None` for streamed transfers.
    pub(crate) timeout: Option<Duration>,
    /// Retry transient failures.
    pub(crate) retry: bool,
    /// What this request is, for error messages (`GET manifest test/app:v1`).
    pub(crate) what: String,
}

impl Req {
    pub(crate) fn new(method: Method, host: &str, target: String, scope: String, what: String) -> Req {
        Req {
            method,
            host: host.to_string(),
            target,
            headers: Vec::new(),
            body: ReqBody::Empty,
            scope,
            timeout: None,
            retry: true,
            what,
        }
    }

    pub(crate) fn header(mut self, name: HeaderName, value: impl Into<String>) -> Req {
        self.headers.push((name, value.into()));
        self
    }
}

impl RegistryClient {
    /// Build a client. Fails when a CA file cannot be read or holds no certificate.
    pub fn new(config: RegistryConfig) -> Result<RegistryClient> {
        let http = transport::build_http(&config)?;
        Ok(RegistryClient {
            inner: Arc::new(Inner {
                config,
                http,
                schemes: Mutex::new(HashMap::new()),
                host_auth: Mutex::new(HashMap::new()),
                tokens: Mutex::new(TokenCache::default()),
                credentials: tokio::sync::Mutex::new(HashMap::new()),
                fallback_locks: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &RegistryConfig {
        &self.inner.config
    }

    /// Open the repository a reference names (its tag or digest is ignored here).
    pub fn repository(&self, reference: &Reference) -> Repository {
        Repository::new(self.clone(), reference.clone())
    }

    /// Serialises this client's writers of one fallback-index tag (`host/repo:tag`). The
    /// registry offers no locking (2.8.2 ignores `If-Match`); writers in other processes are
    /// handled by re-reading after each write.
    pub(crate) fn fallback_lock(&self, key: String) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.inner.fallback_locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(key).or_default().clone()
    }

    /// The credential for a host, looked up once (a credential helper may run).
    pub(crate) async fn credential(&self, host: &str) -> Result<Option<Credential>> {
        let mut cache = self.inner.credentials.lock().await;
        if let Some(c) = cache.get(host) {
            return Ok(c.clone());
        }
        let source = self.inner.config.credentials.clone();
        let h = host.to_string();
        let found = tokio::task::spawn_blocking(move || super::credentials::lookup(&source, &h))
            .await
            .map_err(|e| Error::Registry(format!("credential lookup for {host} did not finish: {e}")))??;
        cache.insert(host.to_string(), found.clone());
        Ok(found)
    }

    /// `http` or `https` for this host (see [`super::transport`] for the rule).
    pub(crate) async fn scheme(&self, host: &str) -> &'static str {
        if self.inner.config.is_insecure(host) {
            return "http";
        }
        if !(self.inner.config.allow_loopback_http && is_loopback_host(host)) {
            return "https";
        }
        if let Some(s) = self.lock_schemes().get(host) {
            return s;
        }
        let timeout = self.inner.config.timeouts.connect;
        let probe = self.inner.http.get(format!("https://{host}/v2/")).timeout(timeout).send().await;
        let scheme = match probe {
            Ok(_) => "https",
            Err(e) if transport::is_certificate_error(&e) => "https",
            Err(e) => {
                let plain = self.inner.http.get(format!("http://{host}/v2/")).timeout(timeout).send().await;
                match plain {
                    Ok(_) if transport::is_not_tls_error(&e) || e.is_connect() || e.is_request() => "http",
                    _ => "https",
                }
            }
        };
        tracing::debug!(host, scheme, "loopback registry scheme decided");
        self.lock_schemes().insert(host.to_string(), scheme);
        scheme
    }

    fn lock_schemes(&self) -> std::sync::MutexGuard<'_, HashMap<String, &'static str>> {
        self.inner.schemes.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_host_auth(&self) -> std::sync::MutexGuard<'_, HashMap<String, HostAuth>> {
        self.inner.host_auth.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, TokenCache> {
        self.inner.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The `Authorization` value for `host` and `scope`, from what we know so far.
    async fn authorization(&self, host: &str, scope: &str) -> Result<Option<String>> {
        let known = self.lock_host_auth().get(host).cloned();
        let credential = self.credential(host).await?;
        match known {
            Some(HostAuth::Basic) => match credential {
                Some(Credential::Basic { username, password }) => Ok(Some(auth::basic_header(&username, &password))),
                _ => Ok(None),
            },
            Some(HostAuth::Bearer { realm, service }) => {
                if let Some(Credential::BearerToken(t)) = &credential {
                    return Ok(Some(format!("Bearer {}", t.expose())));
                }
                if let Some(t) = self.lock_tokens().get(host, scope) {
                    return Ok(Some(format!("Bearer {}", t.expose())));
                }
                let token = self.fetch_token(host, &realm, service.as_deref(), scope, credential.as_ref()).await?;
                Ok(Some(format!("Bearer {}", token.value.expose())))
            }
            None => match credential {
                Some(Credential::BearerToken(t)) => Ok(Some(format!("Bearer {}", t.expose()))),
                _ => Ok(None),
            },
        }
    }

    /// Fetch a token and cache it under `scope`; returns the token text.
    async fn fetch_token(
        &self,
        host: &str,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        credential: Option<&Credential>,
    ) -> Result<auth::Token> {
        let realm_host = Url::parse(realm).ok().and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        });
        let allow_plain = self.inner.config.is_insecure(host)
            || realm_host.as_deref().is_some_and(|h| is_loopback_host(h) || self.inner.config.is_insecure(h));
        let token = auth::fetch_token(
            &self.inner.http,
            realm,
            service,
            scope,
            credential,
            allow_plain,
            self.inner.config.timeouts.request,
        )
        .await?;
        self.lock_tokens().put(host, scope, token.clone());
        Ok(token)
    }

    /// Learn from a 401 challenge; returns whether a retry with new authorization makes sense.
    async fn handle_challenge(&self, req: &Req, headers: &HeaderMap) -> Result<()> {
        let challenge = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(auth::parse_challenge)
            .ok_or_else(|| {
                Error::Unauthorized(format!(
                    "{}: {} answered 401 without a usable WWW-Authenticate challenge",
                    req.what, req.host
                ))
            })?;
        let credential = self.credential(&req.host).await?;
        match challenge {
            Challenge::Basic => {
                if !matches!(credential, Some(Credential::Basic { .. })) {
                    return Err(Error::Unauthorized(format!(
                        "{}: registry {} requires a user name and password and none were found; run `docker login {}` \
                         or pass credentials",
                        req.what, req.host, req.host
                    )));
                }
                self.lock_host_auth().insert(req.host.clone(), HostAuth::Basic);
            }
            Challenge::Bearer { realm, service, scope, .. } => {
                self.lock_host_auth()
                    .insert(req.host.clone(), HostAuth::Bearer { realm: realm.clone(), service: service.clone() });
                self.lock_tokens().forget(&req.host, &req.scope);
                let wanted = scope.filter(|s| !s.is_empty()).unwrap_or_else(|| req.scope.clone());
                let token =
                    self.fetch_token(&req.host, &realm, service.as_deref(), &wanted, credential.as_ref()).await?;
                if wanted != req.scope {
                    // Cache it under the scope the caller asks with, too.
                    self.lock_tokens().put(&req.host, &req.scope, token);
                }
            }
        }
        Ok(())
    }

    /// The error for a second 401 (or a 403).
    async fn auth_failure(&self, req: &Req, status: StatusCode, headers: &HeaderMap) -> Error {
        let insufficient = headers.get_all(WWW_AUTHENTICATE).iter().filter_map(|v| v.to_str().ok()).any(|v| {
            matches!(auth::parse_challenge(v), Some(Challenge::Bearer { error: Some(e), .. }) if e == "insufficient_scope")
        });
        let has_credential = matches!(self.credential(&req.host).await, Ok(Some(_)));
        let who = if has_credential { "the configured credentials" } else { "anonymous access (no credentials found)" };
        let action = if req.scope.contains("push") { "push to" } else { "read" };
        if insufficient || status == StatusCode::FORBIDDEN {
            Error::Unauthorized(format!(
                "{}: {} does not allow this (scope {:?}{}); log in with an account that may {action} this repository",
                req.what,
                who,
                req.scope,
                if insufficient { ", insufficient_scope" } else { ", 403 denied" }
            ))
        } else {
            Error::Unauthorized(format!(
                "{}: registry {} refused {who} ({status}); run `docker login {}` or check the credentials",
                req.what, req.host, req.host
            ))
        }
    }

    /// Resolve the request target to a URL.
    async fn url_for(&self, req: &Req) -> Result<Url> {
        let text = if req.target.starts_with("http://") || req.target.starts_with("https://") {
            req.target.clone()
        } else {
            format!("{}://{}{}", self.scheme(&req.host).await, req.host, req.target)
        };
        Url::parse(&text).map_err(|e| Error::Registry(format!("{}: invalid URL {text:?}: {e}", req.what)))
    }

    /// Send a request: authorization, one re-auth on 401, retries of transient failures.
    /// Returns any response that is not 401/403 or retryable-and-retried; callers check statuses.
    pub(crate) async fn send(&self, req: Req) -> Result<Response> {
        let policy = if req.retry { self.inner.config.retry } else { retry::RetryPolicy::none() };
        let url = self.url_for(&req).await?;
        let same_host = url_host(&url).is_some_and(|h| h.eq_ignore_ascii_case(&req.host))
            || (req.host == crate::reference::DEFAULT_REGISTRY && url.host_str() == Some("registry-1.docker.io"));
        let mut reauthed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut builder = self.inner.http.request(req.method.clone(), url.clone());
            for (name, value) in &req.headers {
                builder = builder.header(name.clone(), value.as_str());
            }
            if same_host {
                if let Some(value) = self.authorization(&req.host, &req.scope).await? {
                    let mut hv = HeaderValue::from_str(&value).map_err(|_| {
                        Error::Unauthorized("a credential contains characters not allowed in a header".into())
                    })?;
                    hv.set_sensitive(true);
                    builder = builder.header(AUTHORIZATION, hv);
                }
            }
            // Every body is in memory, so every request can be replayed (uploads of large blobs
            // go in chunks, see `upload.rs`).
            let replayable = true;
            if let ReqBody::Bytes(b) = &req.body {
                builder = builder.body(b.clone());
            }
            if let Some(t) = req.timeout {
                builder = builder.timeout(t);
            }
            let result = builder.send().await;
            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    if replayable && attempt < policy.max_attempts && retry::is_retryable_error(&e) {
                        let wait = policy.backoff(attempt);
                        tracing::warn!(what = %req.what, attempt, ?wait, "network error, retrying: {}", transport::describe_error(&e));
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(Error::Network(format!(
                        "{}: {} ({} attempt{})",
                        req.what,
                        transport::describe_error(&e),
                        attempt,
                        if attempt == 1 { "" } else { "s" }
                    )));
                }
            };
            log_warnings(&req.what, response.headers());
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && same_host {
                if reauthed || !replayable {
                    return Err(self.auth_failure(&req, status, response.headers()).await);
                }
                reauthed = true;
                self.handle_challenge(&req, response.headers()).await?;
                attempt -= 1;
                continue;
            }
            if status == StatusCode::FORBIDDEN {
                return Err(self.auth_failure(&req, status, response.headers()).await);
            }
            if retry::is_retryable_status(status) && replayable && attempt < policy.max_attempts {
                let retry_after =
                    response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
                let wait = policy.wait_for(attempt, retry_after.as_deref());
                tracing::warn!(what = %req.what, %status, attempt, ?wait, "registry busy or unavailable, retrying");
                tokio::time::sleep(wait).await;
                continue;
            }
            return Ok(response);
        }
    }

    /// Maximum manifest size.
    pub(crate) fn max_manifest_bytes(&self) -> u64 {
        self.inner.config.max_manifest_bytes
    }

    /// Timeout for small requests.
    pub(crate) fn small_timeout(&self) -> Duration {
        self.inner.config.timeouts.request
    }

    /// The retry policy (uploads restart themselves from a fresh POST).
    pub(crate) fn retry_policy(&self) -> retry::RetryPolicy {
        self.inner.config.retry
    }
}

fn url_host(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_string() };
    Some(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// Show `Warning: 299 - "…"` headers to the user.
fn log_warnings(what: &str, headers: &HeaderMap) {
    for v in headers.get_all("warning").iter().filter_map(|v| v.to_str().ok()) {
        if v.trim_start().starts_with("299") {
            tracing::warn!("registry warning for {what}: {v}");
        }
    }
}

/// Read a response body, refusing more than `max` bytes.
pub(crate) async fn read_capped(response: Response, max: usize) -> Result<Vec<u8>> {
    if let Some(len) = response.content_length() {
        if len > max as u64 {
            return Err(Error::LimitExceeded { what: "registry response".into(), limit: max as u64, unit: "bytes" });
        }
    }
    let mut out = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| Error::Network(format!("reading a registry response: {}", transport::describe_error(&e))))?;
        if out.len() + chunk.len() > max {
            return Err(Error::LimitExceeded { what: "registry response".into(), limit: max as u64, unit: "bytes" });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Turn an unexpected response into an error naming the registry's error code and message.
/// 404 becomes [`Error::NotFound`].
pub(crate) async fn status_error(what: &str, response: Response) -> Error {
    let status = response.status();
    let body = read_capped(response, 64 * 1024).await.unwrap_or_default();
    let detail = registry_error_detail(&body);
    let text = if detail.is_empty() { format!("{what}: {status}") } else { format!("{what}: {status} {detail}") };
    match status.as_u16() {
        404 => Error::NotFound(text),
        429 => Error::Registry(format!("{text}; the registry is rate limiting, try again later")),
        500..=599 => Error::Registry(format!("{text}; the registry failed, try again later")),
        _ => Error::Registry(text),
    }
}

/// `CODE: message` from a distribution error body, else a short excerpt of the body.
pub(crate) fn registry_error_detail(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Envelope {
        errors: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    if let Ok(env) = serde_json::from_slice::<Envelope>(body) {
        return env.errors.iter().map(|e| format!("{}: {}", e.code, e.message)).collect::<Vec<_>>().join("; ");
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]).replace(['\n', '\r'], " ");
    text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelopes_are_summarised() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#;
        assert_eq!(registry_error_detail(body), "MANIFEST_UNKNOWN: manifest unknown");
        assert_eq!(registry_error_detail(b"404 page not found\n"), "404 page not found");
        assert_eq!(registry_error_detail(&[0xff; 10_000]).chars().count(), 200);
    }

    #[test]
    fn url_hosts_keep_ports() {
        let u = Url::parse("http://127.0.0.1:5000/v2/").unwrap();
        assert_eq!(url_host(&u).as_deref(), Some("127.0.0.1:5000"));
        let u = Url::parse("https://[::1]:5000/v2/").unwrap();
        assert_eq!(url_host(&u).as_deref(), Some("[::1]:5000"));
    }
}
