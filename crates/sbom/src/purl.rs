//! Package URLs (purl-spec): building the canonical string and taking one apart.
//!
//! Written here rather than using a purl crate because chainseal needs byte-exact canonical
//! output (sorted qualifiers, one fixed percent-encoding) to keep SBOMs deterministic and
//! comparable with syft's, and a lenient parser for reading other tools' documents.

use std::collections::BTreeMap;

/// A package URL under construction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Purl {
    /// Type (`deb`, `npm`, …), lower case.
    pub ty: String,
    /// Namespace, `/`-separated segments (unencoded).
    pub namespace: Option<String>,
    /// Name (unencoded).
    pub name: String,
    /// Version (unencoded).
    pub version: Option<String>,
    /// Qualifiers (unencoded), sorted by key.
    pub qualifiers: BTreeMap<String, String>,
    /// Subpath (unencoded).
    pub subpath: Option<String>,
}

impl Purl {
    /// A purl of `ty` for `name`.
    pub fn new(ty: &str, name: &str) -> Self {
        Purl { ty: ty.to_ascii_lowercase(), name: name.to_string(), ..Default::default() }
    }
    /// Set the namespace (ignored when empty).
    pub fn namespace(mut self, ns: &str) -> Self {
        let ns = ns.trim_matches('/');
        self.namespace = (!ns.is_empty()).then(|| ns.to_string());
        self
    }
    /// Set the version (ignored when empty).
    pub fn version(mut self, v: &str) -> Self {
        self.version = (!v.is_empty()).then(|| v.to_string());
        self
    }
    /// Add a qualifier (ignored when the value is empty).
    pub fn qualifier(mut self, k: &str, v: &str) -> Self {
        if !v.is_empty() {
            self.qualifiers.insert(k.to_ascii_lowercase(), v.to_string());
        }
        self
    }
    /// Parse a purl string; `None` when it is not one.
    pub fn parse(s: &str) -> Option<Purl> {
        let rest = s.trim().strip_prefix("pkg:")?.trim_start_matches('/');
        let (rest, subpath) = match rest.split_once('#') {
            Some((a, b)) => (a, Some(decode(b.trim_matches('/')))),
            None => (rest, None),
        };
        let (rest, quals) = match rest.split_once('?') {
            Some((a, b)) => (a, Some(b)),
            None => (rest, None),
        };
        let (ty, rest) = rest.split_once('/')?;
        if ty.is_empty() {
            return None;
        }
        let rest = rest.trim_end_matches('/');
        let (rest, version) = match rest.rfind('@') {
            // an `@` that is the first char of the last segment is an npm scope, not a version
            Some(i) if !rest[..i].ends_with('/') && i != 0 => (&rest[..i], Some(decode(&rest[i + 1..]))),
            _ => (rest, None),
        };
        let (ns, name) = match rest.rfind('/') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        let mut p = Purl::new(ty, &decode(name));
        if let Some(ns) = ns {
            let ns: Vec<String> = ns.split('/').filter(|s| !s.is_empty()).map(decode).collect();
            p.namespace = (!ns.is_empty()).then(|| ns.join("/"));
        }
        p.version = version;
        for kv in quals.unwrap_or("").split('&') {
            if let Some((k, v)) = kv.split_once('=') {
                if !v.is_empty() {
                    p.qualifiers.insert(k.to_ascii_lowercase(), decode(v));
                }
            }
        }
        p.subpath = subpath.filter(|s| !s.is_empty());
        Some(p)
    }
}

impl std::fmt::Display for Purl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            for seg in ns.split('/').filter(|s| !s.is_empty()) {
                write!(f, "{}/", encode(seg, false))?;
            }
        }
        write!(f, "{}", encode(&self.name, false))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v, false))?;
        }
        let mut first = true;
        for (k, v) in &self.qualifiers {
            write!(f, "{}{}={}", if first { '?' } else { '&' }, k, encode(v, true))?;
            first = false;
        }
        if let Some(sp) = &self.subpath {
            let segs: Vec<String> = sp.split('/').filter(|s| !s.is_empty()).map(|s| encode(s, false)).collect();
            write!(f, "#{}", segs.join("/"))?;
        }
        Ok(())
    }
}

/// Percent-encode everything but unreserved characters and `+`. Qualifier values also keep
/// `/` and `:` (as syft writes `repository_url` and `upstream`); in names and versions `:` is
/// encoded, as purl-spec's canonical form does (`sha256%3A…`).
fn encode(s: &str, qualifier_value: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (qualifier_value && matches!(b, b'/' | b'+' | b':'))
            || (!qualifier_value && b == b'+');
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn hexval(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hexval(bytes[i + 1]), hexval(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_canonical_forms() {
        let p = Purl::new("deb", "libc6")
            .namespace("debian")
            .version("2.36-9+deb12u4")
            .qualifier("distro", "debian-12")
            .qualifier("arch", "amd64");
        assert_eq!(p.to_string(), "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12");
        let p = Purl::new("npm", "core").namespace("@babel").version("7.0.0");
        assert_eq!(p.to_string(), "pkg:npm/%40babel/core@7.0.0");
        let p =
            Purl::new("oci", "debian").version("sha256:abc").qualifier("repository_url", "docker.io/library/debian");
        assert_eq!(p.to_string(), "pkg:oci/debian@sha256%3Aabc?repository_url=docker.io/library/debian");
    }

    #[test]
    fn parses_back() {
        for s in [
            "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12",
            "pkg:npm/%40babel/core@7.0.0",
            "pkg:golang/github.com/spf13/cobra@v1.8.0",
            "pkg:maven/org.apache/commons-io@2.0#sub/path",
        ] {
            let p = Purl::parse(s).expect("parses");
            assert_eq!(p.to_string(), s);
        }
        let p = Purl::parse("pkg:npm/%40babel/core@7.0.0").expect("parses");
        assert_eq!(p.namespace.as_deref(), Some("@babel"));
        assert_eq!(p.version.as_deref(), Some("7.0.0"));
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for s in
            ["pkg:", "pkg:/", "pkg:a/", "pkg:a/%", "pkg:a/b@%zz", "pkg:a/b?&&=", "pkg:a/%e2%82", "pkg:a/@", "pkg:a/b%"]
        {
            let _ = Purl::parse(s);
        }
    }
}
