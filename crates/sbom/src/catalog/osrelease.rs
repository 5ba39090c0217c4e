//! `etc/os-release` (or `usr/lib/os-release`): the distro, for purl namespaces and `distro`
//! qualifiers, and an `operating-system` component.

use super::{Context, Distro, Found};
use crate::collect::Files;
use crate::model::{ComponentKind, EvidenceKind, Location};

const PATHS: [&str; 2] = ["etc/os-release", "usr/lib/os-release"];

pub(crate) fn wants(path: &str) -> bool {
    PATHS
        .iter()
        .any(|p| path.ends_with(p) && (path.len() == p.len() || path.as_bytes()[path.len() - p.len() - 1] == b'/'))
}

/// Parse `KEY=value` lines, unquoting values.
pub(crate) fn parse(text: &str) -> Option<Distro> {
    let mut d = Distro::default();
    for line in text.lines() {
        let Some((k, v)) = line.trim().split_once('=') else { continue };
        let v = v.trim().trim_matches('"').trim_matches('\'').to_string();
        match k.trim() {
            "ID" => d.id = v.to_ascii_lowercase(),
            "VERSION_ID" => d.version_id = v,
            "ID_LIKE" => d.id_like = v.split_whitespace().map(str::to_ascii_lowercase).collect(),
            "NAME" => d.name = v,
            "PRETTY_NAME" => d.pretty_name = v,
            "VERSION_CODENAME" => d.version_codename = v,
            _ => {}
        }
    }
    (!d.id.is_empty() && d.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'))
        .then_some(d)
}

pub(crate) fn find(files: &Files<'_>) -> Option<Distro> {
    PATHS.iter().find_map(|p| files.get(p)).and_then(|f| parse(&crate::util::text(f.bytes)))
}

/// The distro of a root filesystem that sits under `prefix` (for directories holding several
/// rootfs trees); falls back to the scan's own distro.
pub(crate) fn distro_for(files: &Files<'_>, ctx: &Context, prefix: &str) -> Option<Distro> {
    if prefix.is_empty() {
        return ctx.distro.clone();
    }
    PATHS
        .iter()
        .find_map(|p| files.get(&format!("{prefix}/{p}")))
        .and_then(|f| parse(&crate::util::text(f.bytes)))
        .or_else(|| ctx.distro.clone())
}

pub(crate) fn catalog(files: &Files<'_>, ctx: &Context, out: &mut Found) {
    let (Some(d), Some(f)) = (&ctx.distro, PATHS.iter().find_map(|p| files.get(p))) else { return };
    let mut c = crate::model::Component {
        id: format!("os:{}@{}", d.id, d.version_id),
        kind: ComponentKind::OperatingSystem,
        name: d.id.clone(),
        version: d.version_id.clone(),
        description: (!d.pretty_name.is_empty()).then(|| d.pretty_name.clone()),
        supplier: (!d.name.is_empty()).then(|| d.name.clone()),
        locations: vec![Location { path: format!("/{}", f.path), layer: f.layer.map(str::to_string) }],
        found_by: "os-release".into(),
        evidence: EvidenceKind::Installed,
        ..Default::default()
    };
    // A distro CPE follows directly from ID and VERSION_ID for the distros NVD lists this way.
    let vendor = match d.id.as_str() {
        "debian" => Some("debian:debian_linux"),
        "ubuntu" => Some("canonical:ubuntu_linux"),
        "alpine" => Some("alpinelinux:alpine_linux"),
        "fedora" => Some("fedoraproject:fedora"),
        "rhel" => Some("redhat:enterprise_linux"),
        _ => None,
    };
    if let (Some(v), false) = (vendor, d.version_id.is_empty()) {
        c.cpes.push(format!("cpe:2.3:o:{v}:{}:*:*:*:*:*:*:*", d.version_id));
    }
    if !d.version_codename.is_empty() {
        c.properties.push(("chainseal:distro:codename".into(), d.version_codename.clone()));
    }
    out.components.push(c);
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_debian() {
        let d = super::parse("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
            .expect("parses");
        assert_eq!(d.qualifier(), "debian-12");
        assert!(super::parse("ID=\"../../x\"").is_none());
    }
}
