//! Image references, normalised the way docker (distribution/reference) and cosign do.
//!
//! `alpine` → `docker.io/library/alpine:latest`; `localhost:5000/app@sha256:…`;
//! `ghcr.io/acme/app:v1@sha256:…` keeps both the tag and the digest.
//!
//! Written by hand rather than taken from `oci-spec`'s `Reference` because chainseal needs the
//! docker normalisation rules (`index.docker.io`, `library/`, a first component with a port or
//! `localhost` is a registry) and the go-containerregistry spelling cosign puts in signatures.

use std::fmt;
use std::str::FromStr;

use crate::digest::{Digest, truncate};
use crate::error::{Error, Result};

/// The registry used when a reference names none.
pub const DEFAULT_REGISTRY: &str = "docker.io";
const DEFAULT_TAG: &str = "latest";
const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// A parsed, normalised image reference: registry, repository, and a tag and/or digest.
///
/// After parsing, a reference always has a tag or a digest: a bare name gets `latest`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Build a reference from already-separated parts, validating each.
    pub fn new(registry: &str, repository: &str, tag: Option<&str>, digest: Option<Digest>) -> Result<Reference> {
        let whole = format!("{registry}/{repository}");
        validate_registry(registry, &whole)?;
        validate_repository(repository, &whole)?;
        if let Some(t) = tag {
            validate_tag(t, &whole)?;
        }
        let tag = match (tag, &digest) {
            (None, None) => Some(DEFAULT_TAG.to_string()),
            (t, _) => t.map(str::to_string),
        };
        Ok(Reference { registry: registry.to_string(), repository: repository.to_string(), tag, digest })
    }

    /// The registry as users write it (`docker.io`, `ghcr.io`, `localhost:5000`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host (and port) to send registry API requests to (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        if self.registry == DEFAULT_REGISTRY { "registry-1.docker.io" } else { &self.registry }
    }

    /// The repository path (`library/alpine`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if one was given (or `latest` when neither tag nor digest was given).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if the reference pins one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// `registry/repository` without tag or digest, as docker prints it (`docker.io/library/alpine`).
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// `registry/repository` as go-containerregistry (and so cosign) spells it: Docker Hub is
    /// `index.docker.io`. This is the `docker-reference` in cosign's simple-signing payload.
    pub fn cosign_name(&self) -> String {
        let registry = if self.registry == DEFAULT_REGISTRY { "index.docker.io" } else { &self.registry };
        format!("{}/{}", registry, self.repository)
    }

    /// Is the registry on this machine (`localhost`, `127.0.0.0/8`, `[::1]`)? Docker talks
    /// plain HTTP to those without being told.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.registry)
    }

    /// The same repository pinned to `digest`, keeping the tag for display.
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference { digest: Some(digest), ..self.clone() }
    }

    /// The same repository at `tag`, without a digest.
    pub fn with_tag(&self, tag: &str) -> Result<Reference> {
        validate_tag(tag, &self.name())?;
        Ok(Reference { tag: Some(tag.to_string()), digest: None, ..self.clone() })
    }

    /// The same registry with another repository, keeping tag and digest.
    pub fn with_repository(&self, repository: &str) -> Result<Reference> {
        validate_repository(repository, repository)?;
        Ok(Reference { repository: repository.to_string(), ..self.clone() })
    }

    /// What to put after `/manifests/` in a registry URL: the digest if pinned, else the tag.
    pub fn manifest_selector(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => DEFAULT_TAG.to_string(),
        }
    }
}

/// Is `host` (optionally with `:port`) a loopback address or `localhost`?
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let without_port = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    if without_port.eq_ignore_ascii_case("localhost") {
        return true;
    }
    without_port.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl FromStr for Reference {
    type Err = Error;

    fn from_str(input: &str) -> Result<Reference> {
        let bad = |why: &str| Error::InvalidReference { input: truncate(input), reason: why.to_string() };
        if input.is_empty() {
            return Err(bad("the reference is empty"));
        }
        if input.len() > 4096 || input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("references may not contain whitespace or control characters"));
        }
        let (rest, digest) = match input.split_once('@') {
            Some((rest, d)) => (rest, Some(d.parse::<Digest>().map_err(|e| bad(&e.to_string()))?)),
            None => (input, None),
        };
        // A tag follows the last ':' that comes after the last '/'; an earlier ':' is a port.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if name.is_empty() {
            return Err(bad("the repository name is empty"));
        }
        let (registry, mut repository) = match name.split_once('/') {
            Some((first, remainder))
                if first.contains('.')
                    || first.contains(':')
                    || first == "localhost"
                    || first.starts_with('[')
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (first.to_string(), remainder.to_string())
            }
            _ => (DEFAULT_REGISTRY.to_string(), name.to_string()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DEFAULT_REGISTRY.to_string(),
            _ => registry,
        };
        if registry == DEFAULT_REGISTRY && !repository.contains('/') {
            repository = format!("library/{repository}");
        }
        Reference::new(&registry, &repository, tag, digest).map_err(|e| match e {
            Error::InvalidReference { reason, .. } => bad(&reason),
            other => other,
        })
    }
}

fn validate_registry(registry: &str, whole: &str) -> Result<()> {
    let bad = |why: &str| Error::InvalidReference { input: truncate(whole), reason: why.to_string() };
    if registry.is_empty() {
        return Err(bad("the registry is empty"));
    }
    if registry.chars().any(|c| c.is_ascii_uppercase()) && registry != registry.to_ascii_lowercase() {
        return Err(bad("the registry host must be lowercase"));
    }
    let ok = registry.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !ok {
        return Err(bad("the registry host contains characters that are not allowed"));
    }
    if let Some((_, port)) = registry.rsplit_once(':').filter(|_| !registry.ends_with(']')) {
        if !registry.starts_with('[') || registry.contains("]:") {
            if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) || port.parse::<u16>().is_err() {
                return Err(bad("the registry port must be a number between 0 and 65535"));
            }
        }
    }
    Ok(())
}

/// Repository path: components of `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*` joined by `/`.
fn validate_repository(repository: &str, whole: &str) -> Result<()> {
    let bad = |why: &str| Error::InvalidReference { input: truncate(whole), reason: why.to_string() };
    if repository.is_empty() {
        return Err(bad("the repository name is empty"));
    }
    if repository.len() > MAX_NAME_LEN {
        return Err(bad("the repository name is longer than 255 characters"));
    }
    for component in repository.split('/') {
        if !valid_path_component(component) {
            return Err(bad(&format!(
                "repository component {component:?} must be lowercase letters and digits, separated by '.', '_', '__' or '-'"
            )));
        }
    }
    Ok(())
}

fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: '.', '_', '__', or one or more '-'.
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// Tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn validate_tag(tag: &str, whole: &str) -> Result<()> {
    let b = tag.as_bytes();
    let first_ok = b.first().is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
    let rest_ok = b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
    if !first_ok || !rest_ok || tag.len() > MAX_TAG_LEN {
        return Err(Error::InvalidReference {
            input: truncate(whole),
            reason: format!(
                "tag {:?} must be 1-128 characters of letters, digits, '_', '.', '-', not starting with '.' or '-'",
                truncate(tag)
            ),
        });
    }
    Ok(())
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    fn norm(s: &str) -> String {
        s.parse::<Reference>().unwrap().to_string()
    }

    #[test]
    fn normalises_like_docker() {
        assert_eq!(norm("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(norm("alpine:3.20"), "docker.io/library/alpine:3.20");
        assert_eq!(norm("acme/app"), "docker.io/acme/app:latest");
        assert_eq!(norm("index.docker.io/library/alpine"), "docker.io/library/alpine:latest");
        assert_eq!(norm("docker.io/alpine"), "docker.io/library/alpine:latest");
        assert_eq!(norm("ghcr.io/acme/app:v1"), "ghcr.io/acme/app:v1");
        assert_eq!(norm("localhost/app"), "localhost/app:latest");
        assert_eq!(norm("localhost:5000/a/b/c:t"), "localhost:5000/a/b/c:t");
        assert_eq!(norm("127.0.0.1:5000/app"), "127.0.0.1:5000/app:latest");
        assert_eq!(norm(&format!("alpine@{D}")), format!("docker.io/library/alpine@{D}"));
        assert_eq!(norm(&format!("ghcr.io/a/b:v1@{D}")), format!("ghcr.io/a/b:v1@{D}"));
        assert_eq!(norm("my_app__x.y-z---w"), "docker.io/library/my_app__x.y-z---w:latest");
    }

    #[test]
    fn exposes_parts() {
        let r: Reference = "localhost:5000/team/app:v2".parse().unwrap();
        assert_eq!(r.registry(), "localhost:5000");
        assert_eq!(r.repository(), "team/app");
        assert_eq!(r.tag(), Some("v2"));
        assert!(r.is_loopback());
        assert_eq!(r.manifest_selector(), "v2");
        let hub: Reference = "alpine".parse().unwrap();
        assert_eq!(hub.api_host(), "registry-1.docker.io");
        assert_eq!(hub.cosign_name(), "index.docker.io/library/alpine");
        assert!(!hub.is_loopback());
        let pinned = hub.with_digest(D.parse().unwrap());
        assert_eq!(pinned.manifest_selector(), D);
    }

    #[test]
    fn loopback_hosts() {
        for h in ["localhost", "localhost:5000", "127.0.0.1", "127.3.4.5:80", "[::1]:5000", "[::1]"] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["example.com", "10.0.0.1:5000", "localhost.example.com"] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn refuses_malformed_references() {
        for bad in [
            "",
            "UPPER/app",
            "docker.io/Alpine",
            "app:",
            "app:-x",
            "app@sha256:abc",
            "app@",
            "a//b",
            "a/b/",
            "/a",
            "a b",
            "app:tag\n",
            "host:99999/app",
            "ho$t.io/app",
            "app..x",
            "-app",
        ] {
            assert!(bad.parse::<Reference>().is_err(), "accepted {bad:?}");
        }
        let long_tag = format!("app:{}", "t".repeat(129));
        assert!(long_tag.parse::<Reference>().is_err());
    }

    #[test]
    fn error_message_says_what_is_wrong() {
        let err = "docker.io/Alpine".parse::<Reference>().unwrap_err().to_string();
        assert!(err.contains("Alpine") && err.contains("lowercase"), "{err}");
    }
}
