//! Go: `go.mod` (+ `go.sum` hashes) for directories. Binaries' embedded build info is read by
//! [`super::binary`].

use std::collections::BTreeMap;

use super::{Context, Found, package_at};
use crate::collect::Files;
use crate::model::{EvidenceKind, Hash, HashAlg};
use crate::purl::Purl;
use crate::util::{file_name, parent, text};

pub(crate) fn wants(path: &str, declared: bool) -> bool {
    declared && matches!(file_name(path), "go.mod" | "go.sum") && !path.contains("/vendor/")
}

/// `pkg:golang/<module path>@<version>`.
pub(crate) fn purl(module: &str, version: &str) -> Purl {
    match module.rsplit_once('/') {
        Some((ns, name)) => Purl::new("golang", name).namespace(ns).version(version),
        None => Purl::new("golang", module).version(version),
    }
}

/// `h1:<base64 sha256>` as a hash.
pub(crate) fn h1(sum: &str) -> Option<Hash> {
    Hash::from_base64(HashAlg::Sha256, sum.strip_prefix("h1:")?)
}

/// Parse go.mod: the module path, requirements (path, version) after `replace` directives.
pub(crate) fn parse_go_mod(body: &str) -> (Option<String>, Vec<(String, String)>) {
    let mut module = None;
    let mut reqs: Vec<(String, String)> = Vec::new();
    let mut replaces: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut block: Option<&str> = None;
    for raw in body.lines() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if line == ")" {
            block = None;
            continue;
        }
        let (verb, rest) = match block {
            Some(b) => (b, line),
            None => {
                let (v, r) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                let r = r.trim();
                if r == "(" {
                    block = Some(match v {
                        "require" => "require",
                        "replace" => "replace",
                        _ => "other",
                    });
                    continue;
                }
                (v, r)
            }
        };
        let toks: Vec<&str> = rest.split_whitespace().map(|t| t.trim_matches('"')).collect();
        match verb {
            "module" => module = toks.first().map(|s| s.to_string()),
            "require" if toks.len() >= 2 => reqs.push((toks[0].to_string(), toks[1].to_string())),
            "replace" => {
                if let Some(arrow) = toks.iter().position(|t| *t == "=>") {
                    let new = &toks[arrow + 1..];
                    if new.len() >= 2 {
                        replaces.insert(toks[0].to_string(), (new[0].to_string(), new[1].to_string()));
                    }
                }
            }
            _ => {}
        }
    }
    let reqs = reqs
        .into_iter()
        .map(|(p, v)| match replaces.get(&p) {
            Some((np, nv)) => (np.clone(), nv.clone()),
            None => (p, v),
        })
        .collect();
    (module, reqs)
}

pub(crate) fn catalog(files: &Files<'_>, ctx: &Context, out: &mut Found) {
    if !ctx.declared() {
        return;
    }
    for f in files.iter().filter(|f| file_name(f.path) == "go.mod") {
        let (module, reqs) = parse_go_mod(&text(f.bytes));
        let sums: BTreeMap<(String, String), Hash> = files
            .get(&format!("{}/go.sum", parent(f.path)).trim_start_matches('/').to_string())
            .map(|s| {
                text(s.bytes)
                    .lines()
                    .filter_map(|l| {
                        let t: Vec<&str> = l.split_whitespace().collect();
                        (t.len() == 3 && !t[1].ends_with("/go.mod"))
                            .then(|| Some(((t[0].to_string(), t[1].to_string()), h1(t[2])?)))
                            .flatten()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut ids = Vec::new();
        for (p, v) in reqs {
            let mut c = package_at(purl(&p, &v), "go-module-file", EvidenceKind::Declared, &f);
            c.name = p.clone();
            c.group = None;
            c.hashes.extend(sums.get(&(p, v)).cloned());
            ids.push(c.id.clone());
            out.components.push(c);
        }
        if let Some(m) = module {
            // the main module itself, with the flat dependency list Go records
            let mut c = package_at(purl(&m, ""), "go-module-file", EvidenceKind::Declared, &f);
            c.name = m;
            c.group = None;
            c.kind = crate::model::ComponentKind::Application;
            for id in &ids {
                out.depends(&c.id, id);
            }
            out.components.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn go_mod_with_blocks_and_replace() {
        let (m, r) = super::parse_go_mod(
            "module example.com/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/a/b v1.0.0 // indirect\n\tgolang.org/x/sys v0.1.0\n)\nrequire github.com/c/d v2.0.0+incompatible\nreplace github.com/a/b => github.com/fork/b v1.0.1\n",
        );
        assert_eq!(m.as_deref(), Some("example.com/app"));
        assert_eq!(r.len(), 3);
        assert_eq!(r[0], ("github.com/fork/b".to_string(), "v1.0.1".to_string()));
    }
}
