//! Python: installed `*.dist-info/METADATA` and `*.egg-info/PKG-INFO` (edges from
//! `Requires-Dist`); for directories also `requirements*.txt` (pinned entries), `poetry.lock`,
//! `Pipfile.lock` and `uv.lock`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Context, Found, license, package_at};
use crate::collect::{EvidenceFile, Files};
use crate::model::{Component, EvidenceKind, Hash, HashAlg};
use crate::purl::Purl;
use crate::util::{file_name, parent, parse_stanzas, text};

pub(crate) fn wants(path: &str, declared: bool) -> bool {
    let name = file_name(path);
    let dir = file_name(parent(path));
    if (name == "METADATA" && dir.ends_with(".dist-info")) || (name == "PKG-INFO" && dir.ends_with(".egg-info")) {
        return true;
    }
    if name.ends_with(".egg-info") && (path.contains("site-packages/") || path.contains("dist-packages/")) {
        return true;
    }
    declared
        && ((name.ends_with(".txt") && name.contains("requirements"))
            || name == "poetry.lock"
            || name == "Pipfile.lock"
            || name == "uv.lock")
}

/// PEP 503 normalisation: lower case, runs of `-_.` become `-`.
pub(crate) fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for ch in name.trim().chars() {
        if matches!(ch, '-' | '_' | '.') {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(ch.to_lowercase());
        }
    }
    out
}

fn purl(name: &str, version: &str) -> Purl {
    Purl::new("pypi", &normalize(name)).version(version)
}

/// A requirement's distribution name (`requests[socks] (>=2) ; extra == "x"` → `requests`),
/// or `None` if it only applies to an extra.
fn requirement_name(req: &str) -> Option<String> {
    let (spec, marker) = req.split_once(';').unwrap_or((req, ""));
    if marker.contains("extra") {
        return None;
    }
    let end = spec.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))).unwrap_or(spec.len());
    let name = spec[..end].trim();
    (!name.is_empty()).then(|| normalize(name))
}

fn classifier_license(c: &str) -> Option<&'static str> {
    let l = c.strip_prefix("License :: ")?;
    Some(match l.rsplit(" :: ").next()? {
        "MIT License" => "MIT",
        "Apache Software License" => "Apache-2.0",
        "ISC License (ISCL)" => "ISC",
        "Python Software Foundation License" => "PSF-2.0",
        "Mozilla Public License 2.0 (MPL 2.0)" => "MPL-2.0",
        "GNU General Public License v3 (GPLv3)" => "GPL-3.0-only",
        "GNU General Public License v2 (GPLv2)" => "GPL-2.0-only",
        "GNU Lesser General Public License v3 (LGPLv3)" => "LGPL-3.0-only",
        "The Unlicense (Unlicense)" => "Unlicense",
        _ => return None,
    })
}

fn installed(f: &EvidenceFile<'_>, out: &mut Found) -> Option<(Component, String, Vec<String>)> {
    let t = text(f.bytes);
    let st = parse_stanzas(&t, true).into_iter().next();
    let Some(st) = st else {
        out.warn(f.path, "empty or malformed Python metadata; skipped");
        return None;
    };
    let (Some(name), Some(version)) = (st.get("Name"), st.get("Version")) else {
        out.warn(f.path, "Python metadata without Name or Version; skipped");
        return None;
    };
    let mut c = package_at(purl(name, version), "python-installed", EvidenceKind::Installed, f);
    c.name = name.to_string();
    let lic = st
        .get("License-Expression")
        .and_then(license)
        .or_else(|| st.get("License").filter(|l| l.len() < 100 && !l.contains('\n')).and_then(license))
        .or_else(|| st.get_all("Classifier").find_map(classifier_license).map(str::to_string));
    c.licenses.extend(lic);
    let author = st
        .get("Author")
        .or_else(|| st.get("Author-email"))
        .or_else(|| st.get("Maintainer"))
        .or_else(|| st.get("Maintainer-email"));
    c.author = author.filter(|a| !a.is_empty() && *a != "UNKNOWN").map(str::to_string);
    c.supplier = c.author.clone();
    c.description = st.get("Summary").filter(|s| !s.is_empty()).map(str::to_string);
    let reqs = st.get_all("Requires-Dist").filter_map(requirement_name).collect();
    // dependencies resolve within the same site-packages directory
    let site = parent(parent(f.path)).to_string();
    Some((c, site, reqs))
}

#[derive(Deserialize)]
struct LockPkg {
    name: String,
    version: Option<String>,
    #[serde(default)]
    dependencies: Option<toml::Value>,
}

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockPkg>,
}

/// poetry.lock and uv.lock: `[[package]]` tables with name, version and dependencies
/// (a table of names for poetry, an array of `{name = …}` for uv).
fn toml_lock(f: &EvidenceFile<'_>, found_by: &str, out: &mut Found) {
    let lock: Lock = match toml::from_str(&text(f.bytes)) {
        Ok(l) => l,
        Err(e) => {
            out.warn(f.path, format!("malformed lockfile: {}", e.message()));
            return;
        }
    };
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut comps = Vec::new();
    for p in &lock.package {
        let Some(v) = &p.version else { continue };
        let mut c = package_at(purl(&p.name, v), found_by, EvidenceKind::Declared, f);
        c.name = p.name.clone();
        ids.insert(normalize(&p.name), c.id.clone());
        let deps: Vec<String> = match &p.dependencies {
            Some(toml::Value::Table(t)) => t.keys().map(|k| normalize(k)).collect(),
            Some(toml::Value::Array(a)) => {
                a.iter().filter_map(|d| d.get("name").and_then(|n| n.as_str())).map(normalize).collect()
            }
            _ => Vec::new(),
        };
        comps.push((c, deps));
    }
    link(comps, &ids, out);
}

fn link(comps: Vec<(Component, Vec<String>)>, ids: &BTreeMap<String, String>, out: &mut Found) {
    for (c, deps) in &comps {
        for d in deps {
            if let Some(to) = ids.get(d) {
                out.depends(&c.id, to);
            }
        }
    }
    out.components.extend(comps.into_iter().map(|(c, _)| c));
}

fn pipfile_lock(f: &EvidenceFile<'_>, out: &mut Found) {
    let v: serde_json::Value = match serde_json::from_slice(f.bytes) {
        Ok(v) => v,
        Err(e) => {
            out.warn(f.path, format!("malformed Pipfile.lock: {e}"));
            return;
        }
    };
    for section in ["default", "develop"] {
        let Some(map) = v.get(section).and_then(|s| s.as_object()) else { continue };
        for (name, entry) in map {
            let Some(ver) = entry.get("version").and_then(|v| v.as_str()).and_then(|v| v.strip_prefix("==")) else {
                continue;
            };
            let mut c = package_at(purl(name, ver), "python-pipfile-lock", EvidenceKind::Declared, f);
            c.name = name.clone();
            if let Some(h) =
                entry.get("hashes").and_then(|h| h.as_array()).and_then(|a| a.first()).and_then(|h| h.as_str())
            {
                c.hashes.extend(h.strip_prefix("sha256:").and_then(|x| Hash::new(HashAlg::Sha256, x)));
            }
            if section == "develop" {
                c.properties.push(("chainseal:scope".into(), "dev".into()));
            }
            out.components.push(c);
        }
    }
}

fn requirements(f: &EvidenceFile<'_>, out: &mut Found) {
    for raw in text(f.bytes).lines() {
        let line = raw.split(" #").next().unwrap_or(raw).trim().trim_end_matches('\\').trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
            continue;
        }
        let spec = line.split(';').next().unwrap_or(line);
        let Some((name, ver)) = spec.split_once("==") else { continue };
        let name = name.split('[').next().unwrap_or(name).trim();
        let ver = ver.split([',', ' ']).next().unwrap_or("").trim();
        if name.is_empty() || ver.is_empty() || ver.contains('*') || name.contains(['/', ':', ' ']) {
            continue;
        }
        let mut c = package_at(purl(name, ver), "python-requirements", EvidenceKind::Declared, f);
        c.name = name.to_string();
        out.components.push(c);
    }
}

pub(crate) fn catalog(files: &Files<'_>, ctx: &Context, out: &mut Found) {
    let mut sites: BTreeMap<String, (BTreeMap<String, String>, Vec<(Component, Vec<String>)>)> = BTreeMap::new();
    for f in files.iter() {
        let name = file_name(f.path);
        let dir = file_name(parent(f.path));
        let is_installed = (name == "METADATA" && dir.ends_with(".dist-info"))
            || (name == "PKG-INFO" && dir.ends_with(".egg-info"))
            || (name.ends_with(".egg-info") && wants(f.path, false));
        if is_installed {
            if let Some((c, site, reqs)) = installed(&f, out) {
                let entry = sites.entry(site).or_default();
                entry.0.insert(normalize(&c.name), c.id.clone());
                entry.1.push((c, reqs));
            }
            continue;
        }
        if !ctx.declared() {
            continue;
        }
        match name {
            "poetry.lock" => toml_lock(&f, "python-poetry-lock", out),
            "uv.lock" => toml_lock(&f, "python-uv-lock", out),
            "Pipfile.lock" => pipfile_lock(&f, out),
            n if n.ends_with(".txt") && n.contains("requirements") => requirements(&f, out),
            _ => {}
        }
    }
    for (_, (ids, comps)) in sites {
        link(comps, &ids, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_requirements() {
        assert_eq!(normalize("Foo_Bar.baz"), "foo-bar-baz");
        assert_eq!(requirement_name("requests[socks] (>=2.0) ; python_version > '3'"), Some("requests".into()));
        assert_eq!(requirement_name("pytest ; extra == 'test'"), None);
    }
}
