//! dpkg: `var/lib/dpkg/status`, distroless `var/lib/dpkg/status.d/*`, and licenses from
//! `usr/share/doc/<package>/copyright` (machine-readable DEP-5 `License:` fields).

use std::collections::BTreeMap;

use super::{Context, Found, license, package_at};
use crate::collect::{EvidenceFile, Files};
use crate::model::EvidenceKind;
use crate::purl::Purl;
use crate::util::{parse_stanzas, text};

pub(crate) fn wants(path: &str) -> bool {
    path.ends_with("var/lib/dpkg/status")
        || (path.contains("var/lib/dpkg/status.d/") && !path.ends_with(".md5sums"))
        || path.ends_with("lib/opkg/status")
        || (path.starts_with("usr/share/doc/") && path.ends_with("/copyright") && path.matches('/').count() == 4)
}

struct Pkg {
    name: String,
    version: String,
    arch: String,
    source: Option<(String, Option<String>)>,
    maintainer: Option<String>,
    description: Option<String>,
    depends: Vec<String>,
    provides: Vec<String>,
}

fn parse_status(file: &EvidenceFile<'_>, out: &mut Found) -> Vec<Pkg> {
    let mut pkgs = Vec::new();
    for st in parse_stanzas(&text(file.bytes), false) {
        let Some(name) = st.get("Package") else { continue };
        // in `status`, only installed packages count (status.d has no Status field)
        if let Some(status) = st.get("Status") {
            if status.split_whitespace().last() != Some("installed") {
                continue;
            }
        }
        let Some(version) = st.get("Version") else {
            out.warn(file.path, format!("package {name} has no Version; skipped"));
            continue;
        };
        let source = st.get("Source").map(|s| {
            let mut it = s.split_whitespace();
            let n = it.next().unwrap_or_default().to_string();
            let v = it.next().map(|v| v.trim_matches(|c| c == '(' || c == ')').to_string());
            (n, v)
        });
        let rel_names = |field: &str| -> Vec<String> {
            st.get_all(field)
                .flat_map(|v| v.split(','))
                .filter_map(|alt| alt.split('|').next())
                .filter_map(|d| d.split_whitespace().next())
                .map(|d| d.split(':').next().unwrap_or(d).to_string())
                .filter(|d| !d.is_empty())
                .collect()
        };
        let mut depends = rel_names("Depends");
        depends.extend(rel_names("Pre-Depends"));
        pkgs.push(Pkg {
            name: name.to_string(),
            version: version.to_string(),
            arch: st.get("Architecture").unwrap_or_default().to_string(),
            source,
            maintainer: st.get("Maintainer").map(str::to_string),
            description: st.get("Description").and_then(|d| d.lines().next()).map(str::to_string),
            depends,
            provides: rel_names("Provides"),
        });
    }
    pkgs
}

/// DEP-5 copyright files: the `License:` short names of the header and file paragraphs.
fn copyright_licenses(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for line in text(bytes).lines() {
        if let Some(v) = line.strip_prefix("License:") {
            let v = v.trim();
            if v.is_empty()
                || v.contains(' ')
                    && !v.contains(" or ")
                    && !v.contains(" and ")
                    && !v.contains(" OR ")
                    && !v.contains(" AND ")
            {
                continue;
            }
            if let Some(l) = license(&debian_to_spdx(v)) {
                if !out.contains(&l) {
                    out.push(l);
                }
            }
        }
    }
    out
}

/// Debian short names that differ from SPDX ids.
fn debian_to_spdx(v: &str) -> String {
    v.split_whitespace()
        .map(|w| match w {
            "or" => "OR".to_string(),
            "and" => "AND".to_string(),
            "GPL-2+" => "GPL-2.0-or-later".into(),
            "GPL-2" => "GPL-2.0-only".into(),
            "GPL-3+" => "GPL-3.0-or-later".into(),
            "GPL-3" => "GPL-3.0-only".into(),
            "LGPL-2+" => "LGPL-2.0-or-later".into(),
            "LGPL-2" => "LGPL-2.0-only".into(),
            "LGPL-2.1+" => "LGPL-2.1-or-later".into(),
            "LGPL-2.1" => "LGPL-2.1-only".into(),
            "LGPL-3+" => "LGPL-3.0-or-later".into(),
            "LGPL-3" => "LGPL-3.0-only".into(),
            "Expat" => "MIT".into(),
            "BSD-3-clause" => "BSD-3-Clause".into(),
            "BSD-2-clause" => "BSD-2-Clause".into(),
            "Apache-2" | "Apache-2.0+" => "Apache-2.0".into(),
            "public-domain" => "LicenseRef-public-domain".into(),
            w => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn catalog(files: &Files<'_>, ctx: &Context, out: &mut Found) {
    let dbs: Vec<EvidenceFile<'_>> = files
        .iter()
        .filter(|f| {
            f.path.ends_with("dpkg/status") || f.path.contains("dpkg/status.d/") || f.path.ends_with("opkg/status")
        })
        .collect();
    if dbs.is_empty() {
        return;
    }
    let mut licenses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files.under("usr/share/doc/") {
        if let Some(pkg) = f.path.strip_prefix("usr/share/doc/").and_then(|p| p.strip_suffix("/copyright")) {
            licenses.insert(pkg.to_string(), copyright_licenses(f.bytes));
        }
    }
    for db in dbs {
        let prefix = db.path.find("var/lib/dpkg/").map(|i| db.path[..i].trim_end_matches('/')).unwrap_or("");
        let (ns, distro) = match super::osrelease::distro_for(files, ctx, prefix) {
            Some(d) => (d.id.clone(), d.qualifier()),
            None => ("debian".to_string(), String::new()),
        };
        let supplier = match ns.as_str() {
            "debian" => Some("Debian".to_string()),
            "ubuntu" => Some("Canonical".to_string()),
            _ => None,
        };
        let pkgs = parse_status(&db, out);
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        let mut comps = Vec::new();
        for p in &pkgs {
            let mut purl = Purl::new("deb", &p.name)
                .namespace(&ns)
                .version(&p.version)
                .qualifier("arch", &p.arch)
                .qualifier("distro", &distro);
            if let Some((src, srcver)) = &p.source {
                let up = match srcver {
                    Some(v) => format!("{src}@{v}"),
                    None => src.clone(),
                };
                purl = purl.qualifier("upstream", &up);
            }
            let mut c = package_at(purl, "dpkg-db", EvidenceKind::Installed, &db);
            c.supplier = supplier.clone().or_else(|| p.maintainer.clone());
            c.author = p.maintainer.clone();
            c.description = p.description.clone();
            if let Some(l) = licenses.get(&p.name) {
                c.licenses = l.clone();
            }
            ids.entry(p.name.clone()).or_insert_with(|| c.id.clone());
            for prov in &p.provides {
                ids.entry(prov.clone()).or_insert_with(|| c.id.clone());
            }
            comps.push(c);
        }
        for (p, c) in pkgs.iter().zip(&comps) {
            for d in &p.depends {
                if let Some(to) = ids.get(d) {
                    out.depends(&c.id, to);
                }
            }
        }
        out.components.extend(comps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licenses_from_dep5() {
        let l = copyright_licenses(b"Format: x\n\nFiles: *\nLicense: GPL-2+\n full text\n\nFiles: a\nLicense: Expat\n");
        assert_eq!(l, vec!["GPL-2.0-or-later".to_string(), "MIT".to_string()]);
    }
}
