//! PHP: installed `vendor/composer/installed.json` (Composer 1 and 2); for directories also `composer.lock`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Context, Found, license, package_at};
use crate::collect::{EvidenceFile, Files};
use crate::model::{EvidenceKind, Hash, HashAlg};
use crate::purl::Purl;
use crate::util::file_name;

pub(crate) fn wants(path: &str, declared: bool) -> bool {
    path.ends_with("vendor/composer/installed.json")
        || (declared && file_name(path) == "composer.lock" && !path.contains("vendor/"))
}

fn packages(
    f: &EvidenceFile<'_>,
    list: &[Value],
    found_by: &str,
    ev: EvidenceKind,
    dev: bool,
    out: &mut Found,
    ids: &mut BTreeMap<String, String>,
    pending: &mut Vec<(crate::model::Component, Vec<String>)>,
) {
    for p in list {
        let (Some(name), Some(version)) =
            (p.get("name").and_then(|v| v.as_str()), p.get("version").and_then(|v| v.as_str()))
        else {
            continue;
        };
        let purl = match name.split_once('/') {
            Some((vendor, n)) => Purl::new("composer", n).namespace(vendor).version(version),
            None => Purl::new("composer", name).version(version),
        };
        let mut c = package_at(purl, found_by, ev, f);
        c.name = name.to_string();
        c.group = None;
        let lic: Vec<String> = p
            .get("license")
            .and_then(|l| l.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str()).filter_map(license).collect())
            .unwrap_or_default();
        c.licenses = lic;
        c.description = p.get("description").and_then(|d| d.as_str()).filter(|d| !d.is_empty()).map(str::to_string);
        c.author = p
            .get("authors")
            .and_then(|a| a.as_array())
            .and_then(|a| a.first())
            .and_then(|a| a.get("name"))
            .and_then(|n| n.as_str())
            .map(str::to_string);
        c.supplier = c.author.clone();
        if let Some(s) = p.get("dist").and_then(|d| d.get("shasum")).and_then(|s| s.as_str()) {
            c.hashes.extend(Hash::new(HashAlg::Sha1, s));
        }
        if dev {
            c.properties.push(("chainseal:scope".into(), "dev".into()));
        }
        let deps =
            p.get("require").and_then(|r| r.as_object()).map(|o| o.keys().cloned().collect()).unwrap_or_default();
        ids.insert(name.to_string(), c.id.clone());
        pending.push((c, deps));
    }
    let _ = out;
}

pub(crate) fn catalog(files: &Files<'_>, ctx: &Context, out: &mut Found) {
    for f in files.iter().filter(|f| wants(f.path, ctx.declared())) {
        let v: Value = match serde_json::from_slice(f.bytes) {
            Ok(v) => v,
            Err(e) => {
                out.warn(f.path, format!("malformed Composer file: {e}"));
                continue;
            }
        };
        let mut ids = BTreeMap::new();
        let mut pending = Vec::new();
        let installed = f.path.ends_with("installed.json");
        let (found_by, ev) = if installed {
            ("php-composer-installed", EvidenceKind::Installed)
        } else {
            ("php-composer-lock", EvidenceKind::Declared)
        };
        match &v {
            Value::Array(list) => packages(&f, list, found_by, ev, false, out, &mut ids, &mut pending),
            Value::Object(_) => {
                if let Some(list) = v.get("packages").and_then(|p| p.as_array()) {
                    packages(&f, list, found_by, ev, false, out, &mut ids, &mut pending);
                }
                if let Some(list) = v.get("packages-dev").and_then(|p| p.as_array()) {
                    packages(&f, list, found_by, ev, true, out, &mut ids, &mut pending);
                }
            }
            _ => out.warn(f.path, "Composer file is neither an object nor an array"),
        }
        for (c, deps) in &pending {
            for d in deps {
                if let Some(to) = ids.get(d) {
                    out.depends(&c.id, to);
                }
            }
        }
        out.components.extend(pending.into_iter().map(|(c, _)| c));
    }
}
