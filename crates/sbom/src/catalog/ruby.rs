//! Ruby: installed `specifications/*.gemspec`; for directories also `Gemfile.lock`.

use std::collections::BTreeMap;

use super::{Context, Found, license, package_at};
use crate::collect::Files;
use crate::model::EvidenceKind;
use crate::purl::Purl;
use crate::util::{file_name, parent, text};

pub(crate) fn wants(path: &str, declared: bool) -> bool {
    let name = file_name(path);
    (name.ends_with(".gemspec") && file_name(parent(path)) == "specifications")
        || (declared && (name == "Gemfile.lock" || name == "Gemfile.next.lock"))
}

/// Quoted strings in a Ruby expression (`["MIT".freeze, "Ruby".freeze]`).
fn quoted(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find(['"', '\'']) {
        let q = rest.as_bytes()[start] as char;
        let after = &rest[start + 1..];
        let Some(end) = after.find(q) else { break };
        out.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    out
}

fn gemspec(body: &str) -> Option<(String, String, Vec<String>, Vec<String>, Option<String>)> {
    let (mut name, mut version, mut lic, mut authors, mut summary) = (None, None, Vec::new(), Vec::new(), None);
    let mut deps = Vec::new();
    for line in body.lines() {
        let l = line.trim();
        let Some((lhs, rhs)) = l.split_once('=') else {
            if l.contains("add_runtime_dependency") || l.contains("add_dependency") {
                deps.extend(quoted(l).into_iter().next());
            }
            continue;
        };
        let field = lhs.trim().rsplit('.').next().unwrap_or("");
        match field {
            "name" => name = quoted(rhs).into_iter().next(),
            "version" => version = quoted(rhs).into_iter().next(),
            "licenses" | "license" => lic = quoted(rhs),
            "authors" => authors = quoted(rhs),
            "summary" => summary = quoted(rhs).into_iter().next(),
            _ => {
                if l.contains("add_runtime_dependency") || l.contains("add_dependency") {
                    deps.extend(quoted(l).into_iter().next());
                }
            }
        }
    }
    let _ = summary;
    Some((name?, version?, lic, deps, (!authors.is_empty()).then(|| authors.join(", "))))
}

pub(crate) fn catalog(files: &Files<'_>, ctx: &Context, out: &mut Found) {
    let mut by_dir: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut pending = Vec::new();
    for f in files.iter() {
        let name = file_name(f.path);
        if name.ends_with(".gemspec") {
            let Some((n, v, lic, deps, authors)) = gemspec(&text(f.bytes)) else {
                out.warn(f.path, "gemspec without name or version; skipped");
                continue;
            };
            let mut c =
                package_at(Purl::new("gem", &n).version(&v), "ruby-installed-gemspec", EvidenceKind::Installed, &f);
            c.licenses = lic.iter().filter_map(|l| license(l)).collect();
            c.author = authors;
            c.supplier = c.author.clone();
            by_dir.entry(parent(f.path).to_string()).or_default().insert(n, c.id.clone());
            pending.push((c, parent(f.path).to_string(), deps));
        } else if ctx.declared() && name.starts_with("Gemfile") {
            gemfile_lock(&f, out);
        }
    }
    for (c, dir, deps) in &pending {
        for d in deps {
            if let Some(to) = by_dir.get(dir).and_then(|m| m.get(d)) {
                out.depends(&c.id, to);
            }
        }
    }
    out.components.extend(pending.into_iter().map(|(c, _, _)| c));
}

fn gemfile_lock(f: &crate::collect::EvidenceFile<'_>, out: &mut Found) {
    let body = text(f.bytes);
    let mut in_specs = false;
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut pending: Vec<(crate::model::Component, Vec<String>)> = Vec::new();
    for line in body.lines() {
        if !line.starts_with(' ') {
            in_specs = false;
            continue;
        }
        if line.trim() == "specs:" {
            in_specs = true;
            continue;
        }
        if !in_specs {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let l = line.trim();
        let Some((n, rest)) = l.split_once(' ') else { continue };
        if indent == 4 {
            let v = rest.trim_matches(|c| c == '(' || c == ')');
            let c = package_at(Purl::new("gem", n).version(v), "ruby-gemfile-lock", EvidenceKind::Declared, f);
            ids.insert(n.to_string(), c.id.clone());
            pending.push((c, Vec::new()));
        } else if indent == 6 {
            if let Some((_, deps)) = pending.last_mut() {
                deps.push(n.to_string());
            }
        }
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

#[cfg(test)]
mod tests {
    #[test]
    fn reads_gemspec() {
        let g = super::gemspec("Gem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  s.version = \"13.0.6\"\n  s.licenses = [\"MIT\".freeze]\n  s.add_runtime_dependency(%q<x>.freeze)\nend\n").expect("parses");
        assert_eq!((g.0.as_str(), g.1.as_str()), ("rake", "13.0.6"));
        assert_eq!(g.2, vec!["MIT".to_string()]);
    }
}
