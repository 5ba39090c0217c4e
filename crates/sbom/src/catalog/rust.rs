//! Rust: `Cargo.lock` for directories (binaries built with cargo-auditable are read by
//! [`super::binary`]).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Context, Found, package_at};
use crate::collect::Files;
use crate::model::{EvidenceKind, Hash, HashAlg};
use crate::purl::Purl;
use crate::util::{file_name, text};

pub(crate) fn wants(path: &str, declared: bool) -> bool {
    declared && file_name(path) == "Cargo.lock"
}

#[derive(Deserialize)]
struct LockPkg {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockPkg>,
}

pub(crate) fn catalog(files: &Files<'_>, ctx: &Context, out: &mut Found) {
    if !ctx.declared() {
        return;
    }
    for f in files.iter().filter(|f| file_name(f.path) == "Cargo.lock") {
        let lock: Lock = match toml::from_str(&text(f.bytes)) {
            Ok(l) => l,
            Err(e) => {
                out.warn(f.path, format!("malformed Cargo.lock: {}", e.message()));
                continue;
            }
        };
        let mut by_name: BTreeMap<&str, Vec<(&str, String)>> = BTreeMap::new();
        let mut comps = Vec::new();
        for p in &lock.package {
            let mut c = package_at(
                Purl::new("cargo", &p.name).version(&p.version),
                "rust-cargo-lock",
                EvidenceKind::Declared,
                &f,
            );
            c.hashes.extend(p.checksum.as_deref().and_then(|h| Hash::new(HashAlg::Sha256, h)));
            if let Some(src) = &p.source {
                c.properties.push(("chainseal:cargo:source".into(), src.clone()));
            }
            by_name.entry(&p.name).or_default().push((&p.version, c.id.clone()));
            comps.push(c);
        }
        for (p, c) in lock.package.iter().zip(&comps) {
            for d in &p.dependencies {
                // "name", "name version" or "name version (source)"
                let mut it = d.split_whitespace();
                let Some(name) = it.next() else { continue };
                let ver = it.next();
                let Some(cands) = by_name.get(name) else { continue };
                let to = match ver {
                    Some(v) => cands.iter().find(|(cv, _)| *cv == v),
                    None => cands.first(),
                };
                if let Some((_, to)) = to {
                    out.depends(&c.id, to);
                }
            }
        }
        out.components.extend(comps);
    }
}
