//! Registry authentication: `WWW-Authenticate` challenges, the Docker token flow, and a token
//! cache. Tokens and passwords never appear in logs, errors or `Debug` output.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Deserialize;

use super::config::{Credential, Secret};
use crate::error::{Error, Result};

/// The scheme a registry asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// HTTP Basic.
    Basic,
    /// Docker token flow.
    Bearer {
        /// Token endpoint.
        realm: String,
        /// `service` parameter.
        service: Option<String>,
        /// Scope(s) the registry wants, space separated, if it said.
        scope: Option<String>,
        /// `error` parameter (`insufficient_scope`, `invalid_token`).
        error: Option<String>,
    },
}

/// Parse a `WWW-Authenticate` value. Only the first Bearer or Basic challenge is used.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(char::is_whitespace).unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = parse_params(rest);
    let realm = params.get("realm")?.clone();
    Some(Challenge::Bearer {
        realm,
        service: params.get("service").cloned(),
        scope: params.get("scope").cloned(),
        error: params.get("error").cloned(),
    })
}

/// `key="quoted, value",key2=token` → map (keys lowercased). Quoted values may contain commas,
/// spaces and backslash escapes.
fn parse_params(input: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() && chars.peek().is_none() {
            break;
        }
        if chars.next() != Some('=') {
            if chars.peek().is_none() {
                break;
            }
            continue;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    _ => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    out
}

/// A bearer token with its expiry.
#[derive(Clone)]
pub(crate) struct Token {
    pub(crate) value: Secret,
    pub(crate) expires: Instant,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Token {
    fn fresh(&self) -> bool {
        Instant::now() < self.expires
    }
}

/// Tokens per (registry host, scope string).
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    tokens: HashMap<(String, String), Token>,
}

impl TokenCache {
    pub(crate) fn get(&self, host: &str, scope: &str) -> Option<Secret> {
        self.tokens.get(&(host.to_string(), scope.to_string())).filter(|t| t.fresh()).map(|t| t.value.clone())
    }

    pub(crate) fn put(&mut self, host: &str, scope: &str, token: Token) {
        self.tokens.retain(|_, t| t.fresh());
        self.tokens.insert((host.to_string(), scope.to_string()), token);
    }

    pub(crate) fn forget(&mut self, host: &str, scope: &str) {
        self.tokens.remove(&(host.to_string(), scope.to_string()));
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

/// Shortest lifetime assumed when the token server does not say (the token spec's default).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// Tokens are renewed this long before they expire.
const TOKEN_EXPIRY_MARGIN: Duration = Duration::from_secs(5);
/// Largest token response accepted.
const MAX_TOKEN_RESPONSE: usize = 1024 * 1024;

/// Ask the token server at `realm` for a token covering `scope` (space-separated scopes).
/// Basic credentials are sent when we have them; an identity token uses the OAuth2
/// `refresh_token` grant (POST), as docker does.
pub(crate) async fn fetch_token(
    http: &reqwest::Client,
    realm: &str,
    service: Option<&str>,
    scope: &str,
    credential: Option<&Credential>,
    allow_plain_http: bool,
    timeout: Duration,
) -> Result<Token> {
    let url = reqwest::Url::parse(realm)
        .map_err(|e| Error::Unauthorized(format!("the registry named an invalid token realm {realm:?}: {e}")))?;
    if credential.is_some() && url.scheme() != "https" && !allow_plain_http {
        return Err(Error::Unauthorized(format!(
            "the registry asks to send credentials to {realm} over plain HTTP; refusing. Use HTTPS for the token \
             server, or pass --insecure-registry for a registry you trust on this network"
        )));
    }
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    let request = match credential {
        Some(Credential::IdentityToken(refresh)) => {
            let mut form: Vec<(&str, &str)> =
                vec![("grant_type", "refresh_token"), ("refresh_token", refresh.expose()), ("client_id", "chainseal")];
            if let Some(s) = service {
                form.push(("service", s));
            }
            let joined = scopes.join(" ");
            if !joined.is_empty() {
                form.push(("scope", &joined));
            }
            let body = form_encode(&form);
            http.post(url.clone()).header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(body)
        }
        other => {
            let mut url = url.clone();
            {
                let mut q = url.query_pairs_mut();
                if let Some(s) = service {
                    q.append_pair("service", s);
                }
                for s in &scopes {
                    q.append_pair("scope", s);
                }
            }
            let mut req = http.get(url);
            match other {
                Some(Credential::Basic { username, password }) => {
                    req = req.basic_auth(username, Some(password.expose()));
                }
                Some(Credential::BearerToken(t)) => {
                    req = req.bearer_auth(t.expose());
                }
                _ => {}
            }
            req
        }
    };
    let response = request.timeout(timeout).send().await.map_err(|e| {
        Error::Network(format!(
            "could not reach the token server {}: {}",
            redact_url(&url),
            super::transport::describe_error(&e)
        ))
    })?;
    let status = response.status();
    let bytes = super::client::read_capped(response, MAX_TOKEN_RESPONSE).await?;
    if !status.is_success() {
        let detail = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).replace(['\n', '\r'], " ");
        let hint = match (status.as_u16(), credential) {
            (401 | 403, Some(_)) => "the credentials were refused: check the user name and password (docker login)",
            (401 | 403, None) => "the registry requires credentials: run `docker login` or configure credentials",
            _ => "check the registry's token service",
        };
        return Err(Error::Unauthorized(format!(
            "token server {} answered {status} ({detail}); {hint}",
            redact_url(&url)
        )));
    }
    let parsed: TokenResponse = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Unauthorized(format!("the token server sent an unreadable answer: {e}")))?;
    let value =
        parsed.token.filter(|t| !t.is_empty()).or(parsed.access_token.filter(|t| !t.is_empty())).ok_or_else(|| {
            Error::Unauthorized("the token server answered without a token or access_token".to_string())
        })?;
    Ok(Token { value: Secret::new(value), expires: Instant::now() + usable_lifetime(parsed.expires_in) })
}

/// How long a token with `expires_in` is used: its lifetime (default 60 s when absent or 0)
/// less a margin for the time a request takes (5 s, or a fifth of a short lifetime). A token
/// that dies earlier anyway is replaced after the registry's 401.
fn usable_lifetime(expires_in: Option<u64>) -> Duration {
    let lifetime = expires_in.filter(|s| *s > 0).map(Duration::from_secs).unwrap_or(DEFAULT_TOKEN_LIFETIME);
    lifetime.saturating_sub(TOKEN_EXPIRY_MARGIN.min(lifetime / 5))
}

/// `Authorization: Basic …` value.
pub(crate) fn basic_header(username: &str, password: &Secret) -> String {
    let raw = format!("{username}:{}", password.expose());
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    match reqwest::Url::parse("http://localhost/") {
        Ok(mut u) => {
            u.query_pairs_mut().extend_pairs(pairs.iter());
            u.query().unwrap_or_default().to_string()
        }
        Err(_) => String::new(),
    }
}

/// The URL without query (which may carry a refresh token or account name).
fn redact_url(url: &reqwest::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    let _ = u.set_password(None);
    u.to_string()
}

/// The scope string for `actions` on `repository`.
pub(crate) fn repository_scope(repository: &str, push: bool) -> String {
    if push { format!("repository:{repository}:pull,push") } else { format!("repository:{repository}:pull") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_distribution_challenges() {
        let c = parse_challenge(
            r#"Bearer realm="http://127.0.0.1:5001/token",service="chainseal-registry",scope="repository:test/hello:pull,push",error="insufficient_scope""#,
        )
        .unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "http://127.0.0.1:5001/token".into(),
                service: Some("chainseal-registry".into()),
                scope: Some("repository:test/hello:pull,push".into()),
                error: Some("insufficient_scope".into()),
            }
        );
        let c = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull repository:b:pull,push""#,
        )
        .unwrap();
        let Challenge::Bearer { scope, .. } = c else { panic!("not bearer") };
        assert_eq!(scope.as_deref(), Some("repository:a:pull repository:b:pull,push"));
        assert_eq!(parse_challenge(r#"Basic realm="chainseal-test""#), Some(Challenge::Basic));
        assert_eq!(parse_challenge("basic"), Some(Challenge::Basic));
    }

    #[test]
    fn refuses_garbage_challenges() {
        assert_eq!(parse_challenge(""), None);
        assert_eq!(parse_challenge("Negotiate abc"), None);
        assert_eq!(parse_challenge("Bearer service=\"x\""), None, "no realm");
        assert_eq!(
            parse_challenge("Bearer realm=\"unterminated"),
            Some(Challenge::Bearer { realm: "unterminated".into(), service: None, scope: None, error: None })
        );
        // Never panics on odd input.
        for s in ["Bearer ,,,", "Bearer =", "Bearer realm", "Bearer realm=\"a\\", "Bearer a=b=c"] {
            let _ = parse_challenge(s);
        }
    }

    #[test]
    fn token_cache_expires() {
        let mut cache = TokenCache::default();
        cache.put("h", "s", Token { value: Secret::new("t"), expires: Instant::now() + Duration::from_secs(60) });
        assert!(cache.get("h", "s").is_some());
        assert!(cache.get("h", "other").is_none());
        cache.put("h", "old", Token { value: Secret::new("t"), expires: Instant::now() });
        assert!(cache.get("h", "old").is_none());
        assert!(!format!("{cache:?}").contains("\"t\""));
    }

    #[test]
    fn token_lifetimes_follow_expires_in() {
        assert_eq!(usable_lifetime(None), Duration::from_secs(55));
        assert_eq!(usable_lifetime(Some(0)), Duration::from_secs(55));
        assert_eq!(usable_lifetime(Some(300)), Duration::from_secs(295));
        assert_eq!(usable_lifetime(Some(2)), Duration::from_millis(1600), "short tokens are not stretched");
    }

    #[test]
    fn basic_header_encodes() {
        assert_eq!(basic_header("testuser", &Secret::new("testpass")), "Basic dGVzdHVzZXI6dGVzdHBhc3M=");
    }
}
