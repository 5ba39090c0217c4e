//! Parsing user SOURCE strings and opening local sources.
//!
//! | SOURCE                     | meaning                                              |
//! |----------------------------|------------------------------------------------------|
//! | `registry:REF`, bare `REF` | an image in a registry (`alpine`, `ghcr.io/a/b:v1@sha256:…`) |
//! | `oci-dir:PATH[:TAG]`       | an OCI image layout directory                        |
//! | `oci-archive:FILE[:TAG]`   | a tar of an OCI image layout                         |
//! | `docker-archive:FILE[:REF]`| a `docker save` tar                                  |
//!
//! For the local kinds a trailing `:TAG` is split off only when what follows the last `:`
//! is a valid tag (no `/`), so `oci-dir:./img` and `oci-dir:/tmp/img:v1` both work. Without a
//! tag the layout must hold exactly one manifest.
//!
//! **Registry hook.** [`SourceSpec::open_local`] opens the three local kinds and returns
//! `Ok(None)` for [`SourceSpec::Registry`]: the caller (the facade) builds the registry
//! client from its configuration (credentials, `--insecure-registry`, CA) with
//! `crate::registry` and uses [`SourceSpec::selector`] as the manifest selector.

use std::path::PathBuf;
use std::str::FromStr;

use crate::archive::{DockerArchive, OciArchive};
use crate::error::{Error, Result};
use crate::layout::OciLayout;
use crate::limits::Limits;
use crate::reference::Reference;
use crate::source::ContentSource;

/// A parsed SOURCE string.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceSpec {
    /// An image in a registry.
    Registry(Reference),
    /// An OCI image layout directory, with an optional tag.
    OciDir {
        /// The directory.
        path: PathBuf,
        /// Tag (`org.opencontainers.image.ref.name`), if given.
        tag: Option<String>,
    },
    /// A tar of an OCI image layout.
    OciArchive {
        /// The tar file.
        path: PathBuf,
        /// Tag, if given.
        tag: Option<String>,
    },
    /// A `docker save` tar.
    DockerArchive {
        /// The tar file.
        path: PathBuf,
        /// `name:tag` from `RepoTags`, if given.
        tag: Option<String>,
    },
}

fn split_tag(rest: &str) -> (PathBuf, Option<String>) {
    if let Some((path, tag)) = rest.rsplit_once(':') {
        let valid = !tag.is_empty()
            && tag.len() <= 128
            && !path.is_empty()
            && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
            && !tag.starts_with(['.', '-']);
        if valid {
            return (PathBuf::from(path), Some(tag.to_string()));
        }
    }
    (PathBuf::from(rest), None)
}

impl FromStr for SourceSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<SourceSpec> {
        let local = |kind: &str, rest: &str| -> Result<(PathBuf, Option<String>)> {
            if rest.is_empty() {
                return Err(Error::InvalidReference {
                    input: crate::digest::truncate(s),
                    reason: format!("{kind}: needs a path, e.g. {kind}:./image"),
                });
            }
            Ok(split_tag(rest))
        };
        if let Some(rest) = s.strip_prefix("oci-dir:") {
            let (path, tag) = local("oci-dir", rest)?;
            return Ok(SourceSpec::OciDir { path, tag });
        }
        if let Some(rest) = s.strip_prefix("oci-archive:") {
            let (path, tag) = local("oci-archive", rest)?;
            return Ok(SourceSpec::OciArchive { path, tag });
        }
        if let Some(rest) = s.strip_prefix("docker-archive:") {
            // The docker reference after the file may itself contain ':' (name:tag).
            if rest.is_empty() {
                return Err(Error::InvalidReference {
                    input: crate::digest::truncate(s),
                    reason: "docker-archive: needs a path, e.g. docker-archive:./image.tar".into(),
                });
            }
            let (path, tag) = match rest.split_once(".tar:") {
                Some((p, t)) if !t.is_empty() => (PathBuf::from(format!("{p}.tar")), Some(t.to_string())),
                _ => (PathBuf::from(rest), None),
            };
            return Ok(SourceSpec::DockerArchive { path, tag });
        }
        let reference = s.strip_prefix("registry:").or_else(|| s.strip_prefix("docker://")).unwrap_or(s);
        Ok(SourceSpec::Registry(reference.parse()?))
    }
}

impl SourceSpec {
    /// Parse a SOURCE string (same as `str::parse`).
    pub fn parse(s: &str) -> Result<SourceSpec> {
        s.parse()
    }

    /// The manifest selector to pass to [`ContentSource::manifest`]: the digest if the
    /// reference has one, else the tag, else `""` (the only image of a local source).
    pub fn selector(&self) -> String {
        match self {
            SourceSpec::Registry(r) => r.manifest_selector(),
            SourceSpec::OciDir { tag, .. }
            | SourceSpec::OciArchive { tag, .. }
            | SourceSpec::DockerArchive { tag, .. } => tag.clone().unwrap_or_default(),
        }
    }

    /// Is this a registry source?
    pub fn is_registry(&self) -> bool {
        matches!(self, SourceSpec::Registry(_))
    }

    /// Open a local source; `Ok(None)` for [`SourceSpec::Registry`] (see the module docs).
    pub async fn open_local(&self, limits: Limits) -> Result<Option<Box<dyn ContentSource>>> {
        Ok(match self {
            SourceSpec::Registry(_) => None,
            SourceSpec::OciDir { path, .. } => Some(Box::new(OciLayout::open_with_limits(path.clone(), limits).await?)),
            SourceSpec::OciArchive { path, .. } => Some(Box::new(OciArchive::open(path, limits).await?)),
            SourceSpec::DockerArchive { path, .. } => Some(Box::new(DockerArchive::open(path, limits).await?)),
        })
    }
}

impl std::fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, path, tag) = match self {
            SourceSpec::Registry(r) => return write!(f, "registry:{r}"),
            SourceSpec::OciDir { path, tag } => ("oci-dir", path, tag),
            SourceSpec::OciArchive { path, tag } => ("oci-archive", path, tag),
            SourceSpec::DockerArchive { path, tag } => ("docker-archive", path, tag),
        };
        write!(f, "{kind}:{}", path.display())?;
        if let Some(t) = tag {
            write!(f, ":{t}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind() {
        assert_eq!(
            SourceSpec::parse("oci-dir:/tmp/img:v1").unwrap(),
            SourceSpec::OciDir { path: "/tmp/img".into(), tag: Some("v1".into()) }
        );
        assert_eq!(SourceSpec::parse("oci-dir:./img").unwrap(), SourceSpec::OciDir { path: "./img".into(), tag: None });
        assert_eq!(SourceSpec::parse("oci-dir:a:b/c").unwrap(), SourceSpec::OciDir { path: "a:b/c".into(), tag: None });
        assert_eq!(
            SourceSpec::parse("oci-archive:x.tar").unwrap(),
            SourceSpec::OciArchive { path: "x.tar".into(), tag: None }
        );
        assert_eq!(
            SourceSpec::parse("docker-archive:x.tar:app:1").unwrap(),
            SourceSpec::DockerArchive { path: "x.tar".into(), tag: Some("app:1".into()) }
        );
        let SourceSpec::Registry(r) = SourceSpec::parse("alpine").unwrap() else { panic!() };
        assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
        assert!(SourceSpec::parse("registry:localhost:5000/a/b:v1").unwrap().is_registry());
        assert_eq!(SourceSpec::parse("oci-dir:/tmp/img:v1").unwrap().selector(), "v1");
        assert_eq!(SourceSpec::parse("oci-dir:/tmp/img:v1").unwrap().to_string(), "oci-dir:/tmp/img:v1");
    }

    #[test]
    fn refuses_empty_paths_and_bad_references() {
        for bad in ["oci-dir:", "oci-archive:", "docker-archive:", "registry:UPPER/case", "registry:"] {
            assert!(SourceSpec::parse(bad).is_err(), "{bad}");
        }
    }
}
