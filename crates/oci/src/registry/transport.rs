//! The HTTP client: TLS roots, timeouts, and which scheme each host is spoken to with.
//!
//! Scheme rule (documented choice): HTTPS always, except
//! - hosts the user named with `--insecure-registry` (plain HTTP, never HTTPS), and
//! - loopback hosts (`localhost`, `127.0.0.0/8`, `::1`), like docker: HTTPS is tried first;
//!   when the server does not speak TLS at all, plain HTTP is used. A loopback server that
//!   does speak TLS but presents a certificate we do not trust is refused, not downgraded.

use std::error::Error as _;

use super::config::RegistryConfig;
use crate::error::{Error, Result};

/// Build the one `reqwest` client used for every registry. Its TLS settings are reqwest's own
/// for rustls, with the system roots loaded at the first TLS handshake (see `tls.rs`);
/// `--ca` files are read now, so a bad one is reported at once.
pub(crate) fn build_http(config: &RegistryConfig) -> Result<reqwest::Client> {
    let mut extra_roots = Vec::new();
    for path in &config.ca_files {
        extra_roots.extend(super::tls::read_ca_file(path)?);
    }
    reqwest::Client::builder()
        .user_agent(config.user_agent.clone())
        .connect_timeout(config.timeouts.connect)
        .read_timeout(config.timeouts.read)
        // reqwest drops Authorization when a redirect leaves the host (CDN blob redirects).
        .redirect(reqwest::redirect::Policy::limited(10))
        .use_preconfigured_tls(super::tls::client_config(extra_roots)?)
        .build()
        .map_err(|e| Error::Registry(format!("could not set up the HTTP client: {}", describe_error(&e))))
}

/// Does this error come from a certificate the TLS layer refused?
pub(crate) fn is_certificate_error(err: &reqwest::Error) -> bool {
    let text = describe_error(err).to_ascii_lowercase();
    text.contains("certificate") || text.contains("unknownissuer") || text.contains("notvalidforname")
}

/// Does this error look like "the server does not speak TLS" (so plain HTTP may work)?
pub(crate) fn is_not_tls_error(err: &reqwest::Error) -> bool {
    let text = describe_error(err).to_ascii_lowercase();
    !is_certificate_error(err)
        && (text.contains("corrupt message")
            || text.contains("invalidcontenttype")
            || text.contains("wrong version number")
            || text.contains("http request to an https server")
            || text.contains("connection reset")
            || text.contains("unexpected eof")
            || text.contains("handshake"))
}

/// The whole cause chain of an error, one line, plus a hint for certificate problems.
pub(crate) fn describe_error(err: &reqwest::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    let mut text = parts.join(": ");
    // Never show a URL's query (it may carry state tokens) — reqwest prints URLs in errors.
    if let Some(url) = err.url() {
        if url.query().is_some() {
            let mut bare = url.clone();
            bare.set_query(None);
            text = text.replace(url.as_str(), bare.as_str());
        }
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("unknownissuer") {
        text.push_str(" (the registry's TLS certificate is not trusted: pass --ca FILE with the CA that signed it)");
    }
    text
}
