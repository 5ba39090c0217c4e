//! .NET: `*.deps.json` (libraries with their `sha512` and the dependency graph of the targets).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Context, Found, package_at};
use crate::collect::Files;
use crate::model::{EvidenceKind, Hash, HashAlg};
use crate::purl::Purl;
use crate::util::file_name;

pub(crate) fn wants(path: &str) -> bool {
    file_name(path).ends_with(".deps.json")
}

pub(crate) fn catalog(files: &Files<'_>, _ctx: &Context, out: &mut Found) {
    for f in files.iter().filter(|f| wants(f.path)) {
        let v: Value = match serde_json::from_slice(f.bytes) {
            Ok(v) => v,
            Err(e) => {
                out.warn(f.path, format!("malformed deps.json: {e}"));
                continue;
            }
        };
        let Some(libs) = v.get("libraries").and_then(|l| l.as_object()) else {
            out.warn(f.path, "deps.json without a `libraries` object; skipped");
            continue;
        };
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        for (key, lib) in libs {
            let Some((name, version)) = key.split_once('/') else { continue };
            let mut c =
                package_at(Purl::new("nuget", name).version(version), "dotnet-deps", EvidenceKind::Installed, &f);
            if let Some(s) = lib.get("sha512").and_then(|s| s.as_str()).and_then(|s| s.strip_prefix("sha512-")) {
                c.hashes.extend(Hash::from_base64(HashAlg::Sha512, s));
            }
            if lib.get("type").and_then(|t| t.as_str()) == Some("project") {
                c.kind = crate::model::ComponentKind::Application;
            }
            ids.insert(name.to_string(), c.id.clone());
            out.components.push(c);
        }
        for target in v.get("targets").and_then(|t| t.as_object()).into_iter().flat_map(|t| t.values()) {
            let Some(target) = target.as_object() else { continue };
            for (key, entry) in target {
                let Some((name, _)) = key.split_once('/') else { continue };
                let Some(from) = ids.get(name) else { continue };
                for dep in entry.get("dependencies").and_then(|d| d.as_object()).into_iter().flat_map(|d| d.keys()) {
                    if let Some(to) = ids.get(dep) {
                        out.depends(from, to);
                    }
                }
            }
        }
    }
}
