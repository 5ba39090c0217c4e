//! JavaScript: installed `node_modules/**/package.json` (nested too; edges by Node's module
//! resolution), and for directories `package-lock.json` (v1 and v2/v3), `yarn.lock` (classic
//! v1 and berry) and `pnpm-lock.yaml` (v5, v6, v9).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Context, Found, license, package_at};
use crate::collect::{EvidenceFile, Files};
use crate::model::{Component, EvidenceKind, Hash, HashAlg};
use crate::purl::Purl;
use crate::util::{file_name, parent, text};

pub(crate) fn wants(path: &str, declared: bool) -> bool {
    let name = file_name(path);
    if name == "package.json" {
        return path.contains("node_modules/") || !declared;
    }
    declared && !path.contains("node_modules/") && matches!(name, "package-lock.json" | "yarn.lock" | "pnpm-lock.yaml")
}

/// `pkg:npm/%40scope/name@version` from a full package name.
fn purl(name: &str, version: &str) -> Purl {
    match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
        Some((scope, n)) => Purl::new("npm", n).namespace(&format!("@{scope}")).version(version),
        None => Purl::new("npm", name).version(version),
    }
}

fn npm_component(name: &str, version: &str, found_by: &str, ev: EvidenceKind, f: &EvidenceFile<'_>) -> Component {
    let mut c = package_at(purl(name, version), found_by, ev, f);
    c.name = name.to_string();
    c.group = None;
    c
}

/// `sha512-<base64>` (lockfile / package.json `_integrity`) as a hash.
fn integrity(s: &str) -> Option<Hash> {
    let s = s.split_whitespace().next()?;
    let (alg, b64) = s.split_once('-')?;
    let alg = match alg {
        "sha512" => HashAlg::Sha512,
        "sha384" => HashAlg::Sha384,
        "sha256" => HashAlg::Sha256,
        "sha1" => HashAlg::Sha1,
        _ => return None,
    };
    Hash::from_base64(alg, b64)
}

fn json_license(v: &Value) -> Option<String> {
    match v.get("license") {
        Some(Value::String(s)) => license(s),
        Some(Value::Object(o)) => o.get("type").and_then(|t| t.as_str()).and_then(license),
        _ => match v.get("licenses") {
            Some(Value::Array(a)) => {
                let ids: Vec<String> = a
                    .iter()
                    .filter_map(|l| l.get("type").and_then(|t| t.as_str()).or(l.as_str()))
                    .filter_map(license)
                    .collect();
                (!ids.is_empty()).then(|| ids.join(" OR "))
            }
            _ => None,
        },
    }
}

fn person(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o.get("name").and_then(|n| n.as_str()).map(str::to_string),
        _ => None,
    }
}

fn dep_names(v: &Value, keys: &[&str]) -> Vec<String> {
    keys.iter().filter_map(|k| v.get(*k).and_then(|d| d.as_object())).flat_map(|o| o.keys().cloned()).collect()
}

/// Find `name` as Node would from the package directory `dir`: `dir/node_modules/name`, then up.
fn resolve<'a>(dirs: &'a BTreeMap<String, String>, dir: &str, name: &str) -> Option<&'a String> {
    let mut cur = dir;
    loop {
        if file_name(cur) != "node_modules" {
            let cand =
                if cur.is_empty() { format!("node_modules/{name}") } else { format!("{cur}/node_modules/{name}") };
            if let Some(id) = dirs.get(&cand) {
                return Some(id);
            }
        }
        if cur.is_empty() {
            return None;
        }
        cur = parent(cur);
    }
}

fn installed(files: &Files<'_>, ctx: &Context, out: &mut Found) {
    let mut dirs: BTreeMap<String, String> = BTreeMap::new();
    let mut pending = Vec::new();
    for f in files.iter().filter(|f| file_name(f.path) == "package.json") {
        let in_nm = f.path.contains("node_modules/");
        if !in_nm && ctx.declared() {
            continue;
        }
        let v: Value = match serde_json::from_slice(f.bytes) {
            Ok(v) => v,
            Err(e) => {
                out.warn(f.path, format!("malformed package.json: {e}"));
                continue;
            }
        };
        let (Some(name), Some(version)) =
            (v.get("name").and_then(|n| n.as_str()), v.get("version").and_then(|n| n.as_str()))
        else {
            continue;
        };
        if name.is_empty() || version.is_empty() {
            continue;
        }
        let dir = parent(f.path).to_string();
        // only a package's own manifest: node_modules/<dir>/package.json (or @scope/dir), where
        // <dir> is the name or an alias (`"semver6": "npm:semver@6"` installs semver in
        // node_modules/semver6); package.json files deeper inside a package are not packages
        if in_nm && !is_install_dir(&dir) {
            continue;
        }
        let mut c = npm_component(name, version, "javascript-package", EvidenceKind::Installed, &f);
        c.licenses.extend(json_license(&v));
        c.author = person(v.get("author"));
        c.supplier = c.author.clone();
        c.description = v.get("description").and_then(|d| d.as_str()).filter(|d| !d.is_empty()).map(str::to_string);
        c.hashes.extend(v.get("_integrity").and_then(|i| i.as_str()).and_then(integrity));
        if !in_nm || v.get("private").and_then(|p| p.as_bool()) == Some(true) {
            // the application itself, not a dependency
            c.kind = crate::model::ComponentKind::Application;
        }
        dirs.insert(dir.clone(), c.id.clone());
        pending.push((c, dir, dep_names(&v, &["dependencies", "optionalDependencies"])));
    }
    for (c, dir, deps) in &pending {
        for d in deps {
            if let Some(to) = resolve(&dirs, dir, d) {
                out.depends(&c.id, to);
            }
        }
    }
    out.components.extend(pending.into_iter().map(|(c, _, _)| c));
}

/// Is `dir` a directory npm installs a package into: `…node_modules/<x>` or
/// `…node_modules/@scope/<x>`?
fn is_install_dir(dir: &str) -> bool {
    let mut segs = dir.rsplit('/');
    let (Some(last), Some(up)) = (segs.next(), segs.next()) else { return false };
    if last.is_empty() || last.starts_with('.') || last.starts_with('@') {
        return false;
    }
    match up {
        "node_modules" => true,
        scope if scope.len() > 1 && scope.starts_with('@') => segs.next() == Some("node_modules"),
        _ => false,
    }
}

fn package_lock(f: &EvidenceFile<'_>, out: &mut Found) {
    let v: Value = match serde_json::from_slice(f.bytes) {
        Ok(v) => v,
        Err(e) => {
            out.warn(f.path, format!("malformed package-lock.json: {e}"));
            return;
        }
    };
    if let Some(pkgs) = v.get("packages").and_then(|p| p.as_object()) {
        // v2 / v3: flat map of install paths
        let mut dirs: BTreeMap<String, String> = BTreeMap::new();
        let mut pending = Vec::new();
        for (path, p) in pkgs {
            if path.is_empty() || p.get("link").and_then(|l| l.as_bool()) == Some(true) {
                continue;
            }
            let Some(idx) = path.rfind("node_modules/") else { continue };
            let name = p.get("name").and_then(|n| n.as_str()).unwrap_or(&path[idx + "node_modules/".len()..]);
            let Some(version) = p.get("version").and_then(|n| n.as_str()) else { continue };
            let mut c = npm_component(name, version, "javascript-lock", EvidenceKind::Declared, f);
            c.hashes.extend(p.get("integrity").and_then(|i| i.as_str()).and_then(integrity));
            c.licenses.extend(json_license(p));
            if p.get("dev").and_then(|d| d.as_bool()) == Some(true) {
                c.properties.push(("chainseal:scope".into(), "dev".into()));
            }
            dirs.insert(path.clone(), c.id.clone());
            pending.push((c, path.clone(), dep_names(p, &["dependencies", "optionalDependencies"])));
        }
        for (c, dir, deps) in &pending {
            for d in deps {
                if let Some(to) = resolve(&dirs, dir, d) {
                    out.depends(&c.id, to);
                }
            }
        }
        out.components.extend(pending.into_iter().map(|(c, _, _)| c));
    } else if let Some(deps) = v.get("dependencies").and_then(|d| d.as_object()) {
        // v1: nested `dependencies`, edges from `requires` resolved up the tree
        let mut dirs: BTreeMap<String, String> = BTreeMap::new();
        let mut pending = Vec::new();
        let mut stack: Vec<(String, &serde_json::Map<String, Value>, usize)> = vec![(String::new(), deps, 0)];
        while let Some((prefix, map, depth)) = stack.pop() {
            if depth > 64 {
                out.warn(f.path, "package-lock nesting deeper than 64; truncated");
                continue;
            }
            for (name, p) in map {
                let path = if prefix.is_empty() {
                    format!("node_modules/{name}")
                } else {
                    format!("{prefix}/node_modules/{name}")
                };
                if let Some(version) = p.get("version").and_then(|n| n.as_str()) {
                    if !version.starts_with("file:") {
                        let mut c = npm_component(name, version, "javascript-lock", EvidenceKind::Declared, f);
                        c.hashes.extend(p.get("integrity").and_then(|i| i.as_str()).and_then(integrity));
                        dirs.insert(path.clone(), c.id.clone());
                        pending.push((c, path.clone(), dep_names(p, &["requires"])));
                    }
                }
                if let Some(nested) = p.get("dependencies").and_then(|d| d.as_object()) {
                    stack.push((path, nested, depth + 1));
                }
            }
        }
        for (c, dir, deps) in &pending {
            for d in deps {
                if let Some(to) = resolve(&dirs, dir, d) {
                    out.depends(&c.id, to);
                }
            }
        }
        out.components.extend(pending.into_iter().map(|(c, _, _)| c));
    }
}

/// Split a yarn/pnpm specifier `name@range` (the name may be scoped: `@a/b@^1`).
fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let spec = spec.trim().trim_matches('"');
    let at = spec.get(1..)?.find('@')? + 1;
    Some((&spec[..at], &spec[at + 1..]))
}

fn yarn_classic(f: &EvidenceFile<'_>, body: &str, out: &mut Found) {
    let mut by_spec: BTreeMap<String, String> = BTreeMap::new();
    let mut pending: Vec<(Component, Vec<String>)> = Vec::new();
    let mut specs: Vec<String> = Vec::new();
    let mut cur: Option<(Option<String>, Option<String>, Vec<String>)> = None;
    let mut in_deps = false;
    let flush = |specs: &mut Vec<String>,
                 cur: &mut Option<(Option<String>, Option<String>, Vec<String>)>,
                 pending: &mut Vec<(Component, Vec<String>)>,
                 by_spec: &mut BTreeMap<String, String>| {
        if let Some((Some(version), integ, deps)) = cur.take() {
            if let Some((name, _)) = specs.first().and_then(|s| split_spec(s)) {
                let mut c = npm_component(name, &version, "javascript-lock", EvidenceKind::Declared, f);
                c.hashes.extend(integ.as_deref().and_then(integrity));
                for s in specs.iter() {
                    by_spec.insert(s.trim_matches('"').to_string(), c.id.clone());
                }
                pending.push((c, deps));
            }
        }
        specs.clear();
    };
    for line in body.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let l = line.trim();
        if indent == 0 {
            flush(&mut specs, &mut cur, &mut pending, &mut by_spec);
            specs = l.trim_end_matches(':').split(", ").map(|s| s.trim().trim_matches('"').to_string()).collect();
            cur = Some((None, None, Vec::new()));
            in_deps = false;
        } else if indent == 2 {
            in_deps = l == "dependencies:" || l == "optionalDependencies:";
            if let Some((k, v)) = l.split_once(' ') {
                let v = v.trim().trim_matches('"').to_string();
                if let Some(c) = cur.as_mut() {
                    match k {
                        "version" => c.0 = Some(v),
                        "integrity" => c.1 = Some(v),
                        _ => {}
                    }
                }
            }
        } else if in_deps {
            if let (Some((k, v)), Some(c)) = (l.split_once(' '), cur.as_mut()) {
                c.2.push(format!("{}@{}", k.trim_matches('"'), v.trim().trim_matches('"')));
            }
        }
    }
    flush(&mut specs, &mut cur, &mut pending, &mut by_spec);
    for (c, deps) in &pending {
        for d in deps {
            if let Some(to) = by_spec.get(d) {
                out.depends(&c.id, to);
            }
        }
    }
    out.components.extend(pending.into_iter().map(|(c, _)| c));
}

fn yarn_berry(f: &EvidenceFile<'_>, body: &str, out: &mut Found) {
    let doc: serde_yaml::Mapping = match serde_yaml::from_str(body) {
        Ok(d) => d,
        Err(e) => {
            out.warn(f.path, format!("malformed yarn.lock: {e}"));
            return;
        }
    };
    let mut by_spec: BTreeMap<String, String> = BTreeMap::new();
    let mut pending = Vec::new();
    for (k, v) in &doc {
        let Some(key) = k.as_str() else { continue };
        if key == "__metadata" {
            continue;
        }
        let Some(version) = v.get("version").and_then(yaml_str) else { continue };
        let resolution = v.get("resolution").and_then(|r| r.as_str()).unwrap_or("");
        if resolution.contains("@workspace:") || resolution.contains("@link:") || resolution.contains("@portal:") {
            continue;
        }
        let Some((name, _)) = key.split(", ").next().and_then(split_spec) else { continue };
        let mut c = npm_component(name, &version, "javascript-lock", EvidenceKind::Declared, f);
        if let Some(ck) = v.get("checksum").and_then(|c| c.as_str()) {
            // berry checksums are `<cacheKey>/<sha512 hex>` or bare hex
            let hexs = ck.rsplit('/').next().unwrap_or(ck);
            c.hashes.extend(Hash::new(HashAlg::Sha512, hexs));
        }
        for spec in key.split(", ") {
            by_spec.insert(spec.trim().to_string(), c.id.clone());
        }
        let deps: Vec<String> = v
            .get("dependencies")
            .and_then(|d| d.as_mapping())
            .map(|m| m.iter().filter_map(|(n, r)| Some(format!("{}@{}", n.as_str()?, yaml_str(r)?))).collect())
            .unwrap_or_default();
        pending.push((c, deps));
    }
    for (c, deps) in &pending {
        for d in deps {
            // berry writes `dep: "npm:^1"` in dependencies but `dep@npm:^1` in keys; plain ranges get `npm:`
            let alt = split_spec(d).map(|(n, r)| format!("{n}@npm:{r}"));
            if let Some(to) = by_spec.get(d).or_else(|| alt.as_ref().and_then(|a| by_spec.get(a))) {
                out.depends(&c.id, to);
            }
        }
    }
    out.components.extend(pending.into_iter().map(|(c, _)| c));
}

fn yaml_str(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A pnpm package key (`/a/1.0.0`, `/@s/a@1.0.0(peer@1)`, `a@1.0.0`) as (name, version).
fn pnpm_key(key: &str) -> Option<(String, String)> {
    let k = key.trim_start_matches('/');
    let k = k.split('(').next().unwrap_or(k);
    if let Some((n, v)) = split_spec(k) {
        return Some((n.to_string(), v.to_string()));
    }
    // v5: /name/version or /@scope/name/version, version may carry `_peer` suffixes
    let idx = k.rfind('/')?;
    let (n, v) = (&k[..idx], &k[idx + 1..]);
    let v = v.split('_').next().unwrap_or(v);
    (!n.is_empty() && !v.is_empty()).then(|| (n.to_string(), v.to_string()))
}

fn pnpm(f: &EvidenceFile<'_>, out: &mut Found) {
    let doc: serde_yaml::Value = match serde_yaml::from_str(&text(f.bytes)) {
        Ok(d) => d,
        Err(e) => {
            out.warn(f.path, format!("malformed pnpm-lock.yaml: {e}"));
            return;
        }
    };
    let Some(pkgs) = doc.get("packages").and_then(|p| p.as_mapping()) else { return };
    let mut ids: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut comps = Vec::new();
    for (k, v) in pkgs {
        let Some((name, version)) = k.as_str().and_then(pnpm_key) else { continue };
        if version.starts_with("link:") || version.starts_with("file:") {
            continue;
        }
        let mut c = npm_component(&name, &version, "javascript-lock", EvidenceKind::Declared, f);
        c.hashes
            .extend(v.get("resolution").and_then(|r| r.get("integrity")).and_then(|i| i.as_str()).and_then(integrity));
        if v.get("dev").and_then(|d| d.as_bool()) == Some(true) {
            c.properties.push(("chainseal:scope".into(), "dev".into()));
        }
        ids.insert((name, version), c.id.clone());
        comps.push(c);
    }
    // edges: v9 keeps them in `snapshots`, older versions in `packages`
    let graph = doc.get("snapshots").and_then(|s| s.as_mapping()).unwrap_or(pkgs);
    for (k, v) in graph {
        let Some(from) = k.as_str().and_then(pnpm_key).and_then(|nv| ids.get(&nv)) else { continue };
        for sect in ["dependencies", "optionalDependencies"] {
            let Some(m) = v.get(sect).and_then(|d| d.as_mapping()) else { continue };
            for (dn, dv) in m {
                let (Some(dn), Some(dv)) = (dn.as_str(), yaml_str(dv)) else { continue };
                let dv = dv.split('(').next().unwrap_or(&dv).split('_').next().unwrap_or("").to_string();
                let to = ids.get(&(dn.to_string(), dv.clone())).or_else(|| {
                    // v5/v6 may write the version as a path (`/b/1.0.0`)
                    pnpm_key(&dv).and_then(|nv| ids.get(&nv))
                });
                if let Some(to) = to {
                    out.depends(from, to);
                }
            }
        }
    }
    out.components.extend(comps);
}

pub(crate) fn catalog(files: &Files<'_>, ctx: &Context, out: &mut Found) {
    installed(files, ctx, out);
    if !ctx.declared() {
        return;
    }
    for f in files.iter() {
        if f.path.contains("node_modules/") {
            continue;
        }
        match file_name(f.path) {
            "package-lock.json" => package_lock(&f, out),
            "yarn.lock" => {
                let body = text(f.bytes);
                if body.contains("__metadata:") {
                    yarn_berry(&f, &body, out);
                } else {
                    yarn_classic(&f, &body, out);
                }
            }
            "pnpm-lock.yaml" => pnpm(&f, out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pnpm_keys() {
        assert_eq!(pnpm_key("/@babel/core/7.1.0_abc"), Some(("@babel/core".into(), "7.1.0".into())));
        assert_eq!(pnpm_key("/@babel/core@7.1.0(x@1)"), Some(("@babel/core".into(), "7.1.0".into())));
        assert_eq!(pnpm_key("lodash@4.17.21"), Some(("lodash".into(), "4.17.21".into())));
        assert_eq!(split_spec("\"@a/b@^1.0.0\""), Some(("@a/b", "^1.0.0")));
    }

    #[test]
    fn install_dirs() {
        assert!(is_install_dir("app/node_modules/semver6"));
        assert!(is_install_dir("node_modules/@babel/code-frame"));
        assert!(is_install_dir("a/node_modules/b/node_modules/@my/alias"));
        assert!(!is_install_dir("app/node_modules/uuid/dist/esm"));
        assert!(!is_install_dir("app/node_modules/@babel"));
        assert!(!is_install_dir("app/node_modules/.cache"));
        assert!(!is_install_dir("app/node_modules/x/@y/z"));
        assert!(!is_install_dir("node_modules"));
    }

    /// An npm alias is reported as the package it installs; a package.json deeper inside a
    /// package (even with a name and version) is not a package.
    #[test]
    fn installed_alias_counts_and_nested_manifests_do_not() {
        let files = [
            ("app/package.json", r#"{"name":"app","version":"1.0.0","dependencies":{"semver6":"npm:semver@6.3.1"}}"#),
            ("app/node_modules/semver/package.json", r#"{"name":"semver","version":"7.6.3"}"#),
            ("app/node_modules/semver6/package.json", r#"{"name":"semver","version":"6.3.1"}"#),
            ("app/node_modules/uuid/package.json", r#"{"name":"uuid","version":"10.0.0"}"#),
            ("app/node_modules/uuid/dist/esm/package.json", r#"{"name":"uuid-esm","version":"0.0.1"}"#),
        ];
        let mut c = crate::Collector::new(crate::SourceKind::Image, crate::Limits::default());
        for (path, body) in files {
            let meta = crate::FileMeta::regular(path, body.len() as u64, 0o644);
            c.add(&meta, &mut body.as_bytes()).expect("add");
        }
        let sbom = c.finish(Default::default(), 0);
        let mut purls: Vec<&str> = sbom.components.iter().filter_map(|c| c.purl.as_deref()).collect();
        purls.sort();
        assert_eq!(purls, ["pkg:npm/app@1.0.0", "pkg:npm/semver@6.3.1", "pkg:npm/semver@7.6.3", "pkg:npm/uuid@10.0.0"]);
        let app = sbom.components.iter().find(|c| c.name == "app").expect("app");
        let alias = sbom.components.iter().find(|c| c.version == "6.3.1").expect("alias");
        assert!(sbom.relationships.iter().any(|r| r.from == app.id && r.to == alias.id), "{:?}", sbom.relationships);
    }

    #[test]
    fn integrity_parses() {
        assert!(
            integrity(
                "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
            )
            .is_some()
        );
        assert!(integrity("sha512-!!").is_none());
    }
}
