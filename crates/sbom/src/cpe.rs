//! CPE 2.3 names for components, for vulnerability matchers that key on CPEs.
//!
//! Two sources, kept apart because heuristic CPEs cause false matches (syft #1066, #2005):
//! - **dictionary**: a small table of exact NVD vendor:product pairs for well-known projects
//!   (`curl` → `haxx:curl`, PyPI `requests` → `python:requests`), looked up by the package name
//!   or, for OS packages, by the source package (`upstream` purl qualifier). Written to the
//!   component's `cpes` as a plain CPE.
//! - **heuristic**: for deb, rpm, apk, npm, gem, cargo and PyPI packages without a dictionary
//!   entry, the first candidate syft emits, vendor = product = package name. It is written too
//!   (syft parity for matchers), but marked with the property [`HEURISTIC_PROPERTY`] so a reader
//!   can tell a guess from a fact; the SPDX writer adds a comment to its reference.
//!
//! No Rust crate generates CPEs (the `cpe` crate only parses), hence this module.

use crate::model::{Component, ComponentKind};
use crate::purl::Purl;

/// Property set on a component whose CPE was derived from its name alone.
pub const HEURISTIC_PROPERTY: &str = "chainseal:cpe:heuristic";

/// The comment on an SPDX reference to a heuristic CPE.
pub const HEURISTIC_COMMENT: &str = "heuristic: CPE vendor and product taken from the package name";

/// Exact NVD vendor:product pairs: (ecosystem class, package or source name, vendor, product).
/// Ecosystem class `os` covers deb, rpm and apk.
const DICTIONARY: &[(&str, &str, &str, &str)] = &[
    ("os", "bash", "gnu", "bash"),
    ("os", "busybox", "busybox", "busybox"),
    ("os", "bzip2", "bzip", "bzip2"),
    ("os", "coreutils", "gnu", "coreutils"),
    ("os", "curl", "haxx", "curl"),
    ("os", "expat", "libexpat_project", "libexpat"),
    ("os", "git", "git-scm", "git"),
    ("os", "glibc", "gnu", "glibc"),
    ("os", "gnupg2", "gnupg", "gnupg"),
    ("os", "gnutls28", "gnu", "gnutls"),
    ("os", "gnutls", "gnu", "gnutls"),
    ("os", "gzip", "gnu", "gzip"),
    ("os", "krb5", "mit", "kerberos_5"),
    ("os", "libgcrypt20", "gnupg", "libgcrypt"),
    ("os", "libgcrypt", "gnupg", "libgcrypt"),
    ("os", "libpng1.6", "libpng", "libpng"),
    ("os", "libpng", "libpng", "libpng"),
    ("os", "libssh2", "libssh2", "libssh2"),
    ("os", "libtasn1-6", "gnu", "libtasn1"),
    ("os", "libtasn1", "gnu", "libtasn1"),
    ("os", "libxml2", "xmlsoft", "libxml2"),
    ("os", "musl", "musl-libc", "musl"),
    ("os", "ncurses", "gnu", "ncurses"),
    ("os", "nghttp2", "nghttp2", "nghttp2"),
    ("os", "openldap", "openldap", "openldap"),
    ("os", "openssh", "openbsd", "openssh"),
    ("os", "openssl", "openssl", "openssl"),
    ("os", "pcre2", "pcre", "pcre2"),
    ("os", "perl", "perl", "perl"),
    ("os", "sqlite3", "sqlite", "sqlite"),
    ("os", "sqlite", "sqlite", "sqlite"),
    ("os", "sudo", "sudo_project", "sudo"),
    ("os", "systemd", "systemd_project", "systemd"),
    ("os", "tar", "gnu", "tar"),
    ("os", "wget", "gnu", "wget"),
    ("os", "xz-utils", "tukaani", "xz"),
    ("os", "xz", "tukaani", "xz"),
    ("os", "zlib", "zlib", "zlib"),
    ("gem", "nokogiri", "nokogiri", "nokogiri"),
    ("gem", "rails", "rubyonrails", "rails"),
    ("golang", "stdlib", "golang", "go"),
    ("maven", "org.apache.logging.log4j/log4j-core", "apache", "log4j"),
    ("maven", "com.fasterxml.jackson.core/jackson-databind", "fasterxml", "jackson-databind"),
    ("npm", "lodash", "lodash", "lodash"),
    ("npm", "minimist", "substack", "minimist"),
    ("pypi", "cryptography", "cryptography_project", "cryptography"),
    ("pypi", "django", "djangoproject", "django"),
    ("pypi", "flask", "palletsprojects", "flask"),
    ("pypi", "jinja2", "palletsprojects", "jinja"),
    ("pypi", "pillow", "python", "pillow"),
    ("pypi", "pip", "pypa", "pip"),
    ("pypi", "pyyaml", "pyyaml", "pyyaml"),
    ("pypi", "requests", "python", "requests"),
    ("pypi", "setuptools", "python", "setuptools"),
    ("pypi", "urllib3", "python", "urllib3"),
];

/// Ecosystems where a name-only heuristic CPE is written (syft's first candidate for them).
const HEURISTIC_ECOSYSTEMS: &[&str] = &["deb", "rpm", "apk", "npm", "gem", "cargo", "pypi"];

/// Quote a value for a CPE 2.3 formatted string: lower-case letters, digits, `_`, `-` and `.`
/// stay, spaces become `_`, everything else is escaped with `\`.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match ch {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '-' | '.' => out.push(ch),
            ' ' => out.push('_'),
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    out
}

/// `cpe:2.3:a:<vendor>:<product>:<version>:*:*:*:*:*:*:*` (vendor and product lower-cased).
pub fn application(vendor: &str, product: &str, version: &str) -> String {
    let version = if version.is_empty() { "*".to_string() } else { escape(version) };
    format!(
        "cpe:2.3:a:{}:{}:{version}:*:*:*:*:*:*:*",
        escape(&vendor.to_ascii_lowercase()),
        escape(&product.to_ascii_lowercase())
    )
}

fn class(ecosystem: &str) -> &str {
    match ecosystem {
        "deb" | "rpm" | "apk" => "os",
        e => e,
    }
}

/// The source package of an OS package: the purl's `upstream` qualifier without version
/// (`openssl@3.0.1` for deb, `openssl-3.0.7-1.el9.src.rpm` for rpm).
fn upstream(c: &Component) -> Option<String> {
    let purl = Purl::parse(c.purl.as_deref()?)?;
    let up = purl.qualifiers.get("upstream")?;
    let up = up.split(['@', ' ']).next().unwrap_or(up);
    if c.ecosystem == "rpm" {
        // name-version-release.src.rpm: drop the last two dash-separated fields
        let base = up.strip_suffix(".src.rpm").or_else(|| up.strip_suffix(".nosrc.rpm"))?;
        let mut parts = base.rsplitn(3, '-');
        let (_rel, _ver, name) = (parts.next()?, parts.next()?, parts.next()?);
        return Some(name.to_string());
    }
    Some(up.to_string())
}

/// The version to put in a CPE: the upstream version where the ecosystem appends a packaging
/// revision is not split off (syft keeps the full version too, so matchers agree).
fn cpe_version(c: &Component) -> &str {
    &c.version
}

/// Derive CPEs for a component that has none: a dictionary hit, or else (for the ecosystems in
/// [`HEURISTIC_ECOSYSTEMS`]) the marked name-only heuristic. The OS component and components
/// that already carry CPEs are left alone.
pub fn derive(c: &mut Component) {
    if !c.cpes.is_empty() || c.kind == ComponentKind::OperatingSystem || c.name.is_empty() {
        return;
    }
    let cls = class(&c.ecosystem);
    let full_name = match &c.group {
        Some(g) if cls == "maven" => format!("{g}/{}", c.name),
        _ => c.name.to_ascii_lowercase(),
    };
    let mut keys = vec![full_name];
    if cls == "os" {
        keys.extend(upstream(c));
    }
    let hit = keys.iter().find_map(|k| DICTIONARY.iter().find(|(e, n, _, _)| *e == cls && n == k));
    if let Some((_, _, vendor, product)) = hit {
        let version = if c.ecosystem == "golang" { c.version.trim_start_matches("go") } else { cpe_version(c) };
        c.cpes.push(application(vendor, product, version));
        return;
    }
    // scoped npm packages and names with characters CPE products do not use get no guess
    if HEURISTIC_ECOSYSTEMS.contains(&c.ecosystem.as_str()) && c.group.is_none() && !c.name.contains('/') {
        let name = c.name.to_ascii_lowercase();
        c.cpes.push(application(&name, &name, cpe_version(c)));
        c.properties.push((HEURISTIC_PROPERTY.into(), "true".into()));
    }
}

/// Is this component's CPE the name-only heuristic?
pub fn is_heuristic(c: &Component) -> bool {
    c.properties.iter().any(|(k, v)| k == HEURISTIC_PROPERTY && v == "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(eco: &str, name: &str, version: &str, purl: &str) -> Component {
        Component {
            id: purl.into(),
            ecosystem: eco.into(),
            name: name.into(),
            version: version.into(),
            purl: Some(purl.into()),
            ..Default::default()
        }
    }

    #[test]
    fn escapes_like_syft() {
        assert_eq!(
            application("libc6", "libc6", "2.36-9+deb12u9"),
            "cpe:2.3:a:libc6:libc6:2.36-9\\+deb12u9:*:*:*:*:*:*:*"
        );
        assert_eq!(
            application("zlib1g", "zlib1g", "1:1.2.13.dfsg-1"),
            "cpe:2.3:a:zlib1g:zlib1g:1\\:1.2.13.dfsg-1:*:*:*:*:*:*:*"
        );
        assert_eq!(application("a", "b", ""), "cpe:2.3:a:a:b:*:*:*:*:*:*:*:*");
    }

    /// The CPEs syft emits for the example image's packages (syft v1.x, `syft-json`).
    #[test]
    fn matches_syft_on_the_example_image() {
        let cases = [
            (
                comp("deb", "base-files", "12.4+deb12u8", "pkg:deb/debian/base-files@12.4%2Bdeb12u8?arch=amd64"),
                "cpe:2.3:a:base-files:base-files:12.4\\+deb12u8:*:*:*:*:*:*:*",
                true,
            ),
            (
                comp("npm", "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0"),
                "cpe:2.3:a:left-pad:left-pad:1.3.0:*:*:*:*:*:*:*",
                true,
            ),
            (
                comp("pypi", "requests", "2.31.0", "pkg:pypi/requests@2.31.0"),
                "cpe:2.3:a:python:requests:2.31.0:*:*:*:*:*:*:*",
                false,
            ),
            (
                comp("apk", "musl", "1.2.5-r0", "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64"),
                "cpe:2.3:a:musl-libc:musl:1.2.5-r0:*:*:*:*:*:*:*",
                false,
            ),
        ];
        for (mut c, want, heuristic) in cases {
            derive(&mut c);
            assert_eq!(c.cpes, vec![want.to_string()]);
            assert_eq!(is_heuristic(&c), heuristic, "{want}");
        }
    }

    #[test]
    fn os_packages_use_their_source_package() {
        let mut c =
            comp("deb", "libssl3", "3.0.15-1~deb12u1", "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?upstream=openssl");
        derive(&mut c);
        assert_eq!(c.cpes, vec!["cpe:2.3:a:openssl:openssl:3.0.15-1\\~deb12u1:*:*:*:*:*:*:*"]);
        let mut c = comp(
            "rpm",
            "curl-minimal",
            "7.76.1-26.el9",
            "pkg:rpm/redhat/curl-minimal@7.76.1-26.el9?upstream=curl-7.76.1-26.el9.src.rpm",
        );
        derive(&mut c);
        assert_eq!(c.cpes, vec!["cpe:2.3:a:haxx:curl:7.76.1-26.el9:*:*:*:*:*:*:*"]);
        assert!(!is_heuristic(&c));
    }

    /// Every writer carries the CPE and the heuristic mark, and the readers get both back.
    #[test]
    fn cpes_and_the_heuristic_mark_survive_every_format() {
        let found = crate::catalog::Found {
            components: vec![
                comp("deb", "base-files", "12.4", "pkg:deb/debian/base-files@12.4"),
                comp("pypi", "requests", "2.31.0", "pkg:pypi/requests@2.31.0"),
            ],
            ..Default::default()
        };
        let sbom = crate::collect::build_sbom(found, Default::default(), 0, &crate::Limits::default());
        for (format, name) in crate::Format::ALL {
            let doc = crate::format::write(&sbom, format);
            let back = crate::format::read(&doc).expect("reads back");
            for c in &sbom.components {
                let b = back.components.iter().find(|b| b.name == c.name).expect("component back");
                assert_eq!(b.cpes, c.cpes, "{name}");
                assert_eq!(is_heuristic(b), is_heuristic(c), "{name} {}", c.name);
            }
        }
    }

    #[test]
    fn no_guess_where_the_name_says_nothing() {
        let mut scoped = comp("npm", "core", "7.0.0", "pkg:npm/%40babel/core@7.0.0");
        scoped.group = Some("babel".into());
        derive(&mut scoped);
        assert!(scoped.cpes.is_empty());
        let mut go = comp("golang", "github.com/a/b", "v1.0.0", "pkg:golang/github.com/a/b@v1.0.0");
        derive(&mut go);
        assert!(go.cpes.is_empty());
        let mut stdlib = comp("golang", "stdlib", "go1.22.1", "pkg:golang/stdlib@1.22.1");
        derive(&mut stdlib);
        assert_eq!(stdlib.cpes, vec!["cpe:2.3:a:golang:go:1.22.1:*:*:*:*:*:*:*"]);
    }
}
