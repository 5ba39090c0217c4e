//! apk: `lib/apk/db/installed` (Alpine, Wolfi, Chainguard).

use std::collections::BTreeMap;

use super::{Context, Found, license, package_at};
use crate::collect::Files;
use crate::model::{EvidenceKind, Hash, HashAlg};
use crate::purl::Purl;
use crate::util::text;

pub(crate) fn wants(path: &str) -> bool {
    path.ends_with("lib/apk/db/installed")
}

#[derive(Default)]
struct Pkg {
    name: String,
    version: String,
    arch: String,
    license: String,
    origin: String,
    maintainer: String,
    description: String,
    checksum: String,
    depends: Vec<String>,
    provides: Vec<String>,
}

/// Strip a version constraint from a dependency / provides token (`so:libc.musl-x86_64.so.1=1`, `musl>=1.2`).
fn dep_name(tok: &str) -> Option<&str> {
    let tok = tok.strip_prefix('!')?;
    Some(tok)
}

fn token_name(tok: &str) -> &str {
    let end = tok.find(['=', '<', '>', '~']).unwrap_or(tok.len());
    &tok[..end]
}

pub(crate) fn catalog(files: &Files<'_>, ctx: &Context, out: &mut Found) {
    for db in files.iter().filter(|f| wants(f.path)) {
        let mut pkgs = Vec::new();
        let mut cur = Pkg::default();
        let body = text(db.bytes);
        for line in body.lines().chain(std::iter::once("")) {
            if line.trim().is_empty() {
                if !cur.name.is_empty() {
                    pkgs.push(std::mem::take(&mut cur));
                }
                cur = Pkg::default();
                continue;
            }
            let Some((k, v)) = line.split_once(':') else { continue };
            match k {
                "P" => cur.name = v.to_string(),
                "V" => cur.version = v.to_string(),
                "A" => cur.arch = v.to_string(),
                "L" => cur.license = v.to_string(),
                "o" => cur.origin = v.to_string(),
                "m" => cur.maintainer = v.to_string(),
                "T" => cur.description = v.to_string(),
                "C" => cur.checksum = v.to_string(),
                "D" => {
                    cur.depends = v
                        .split_whitespace()
                        .filter(|t| dep_name(t).is_none())
                        .map(|t| token_name(t).to_string())
                        .collect()
                }
                "p" => cur.provides = v.split_whitespace().map(|t| token_name(t).to_string()).collect(),
                _ => {}
            }
        }
        let prefix = db.path.find("lib/apk/db/").map(|i| db.path[..i].trim_end_matches('/')).unwrap_or("");
        let (ns, distro) = match &super::osrelease::distro_for(files, ctx, prefix) {
            Some(d) => (d.id.clone(), d.qualifier()),
            None => ("alpine".to_string(), String::new()),
        };
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        let mut comps = Vec::new();
        for p in &pkgs {
            if p.version.is_empty() {
                out.warn(db.path, format!("package {} has no V: field; skipped", p.name));
                continue;
            }
            let purl = Purl::new("apk", &p.name)
                .namespace(&ns)
                .version(&p.version)
                .qualifier("arch", &p.arch)
                .qualifier("upstream", if p.origin != p.name { &p.origin } else { "" })
                .qualifier("distro", &distro);
            let mut c = package_at(purl, "apk-db", EvidenceKind::Installed, &db);
            // apk's license field is an SPDX expression, or (older packages) ids separated by spaces
            let joined = p.license.split_whitespace().collect::<Vec<_>>().join(" AND ");
            let l = license(&p.license)
                .filter(|l| super::is_spdx_expression(l))
                .or_else(|| license(&joined).filter(|l| super::is_spdx_expression(l)))
                .or_else(|| license(&p.license));
            c.licenses.extend(l);
            c.supplier = (!p.maintainer.is_empty()).then(|| p.maintainer.clone());
            c.author = c.supplier.clone();
            c.description = (!p.description.is_empty()).then(|| p.description.clone());
            if let Some(b64) = p.checksum.strip_prefix("Q1") {
                c.hashes.extend(Hash::from_base64(HashAlg::Sha1, b64));
            }
            ids.entry(p.name.clone()).or_insert_with(|| c.id.clone());
            for prov in &p.provides {
                ids.entry(prov.clone()).or_insert_with(|| c.id.clone());
            }
            comps.push((c, p.depends.clone()));
        }
        for (c, deps) in &comps {
            for d in deps {
                if let Some(to) = ids.get(d) {
                    out.depends(&c.id, to);
                }
            }
        }
        out.components.extend(comps.into_iter().map(|(c, _)| c));
    }
}
