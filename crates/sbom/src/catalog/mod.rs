//! Catalogers: each one recognises the evidence files of one ecosystem and turns them into
//! components and dependency edges. A bad file gives a warning, never a panic or an abort.

pub(crate) mod alpine;
pub(crate) mod binary;
pub(crate) mod dotnet;
pub(crate) mod dpkg;
pub(crate) mod golang;
pub(crate) mod java;
pub(crate) mod javascript;
pub(crate) mod osrelease;
pub(crate) mod php;
pub(crate) mod python;
pub(crate) mod rpm;
pub(crate) mod rpm_bdb;
pub(crate) mod rpm_ndb;
pub(crate) mod ruby;
pub(crate) mod rust;

use crate::collect::{EvidenceFile, Files};
use crate::model::{
    Component, ComponentKind, EvidenceKind, Location, Relationship, RelationshipKind, SourceKind, Warning,
};
use crate::purl::Purl;

/// What catalogers found: components, edges between their ids, warnings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    pub(crate) components: Vec<Component>,
    pub(crate) edges: Vec<Relationship>,
    pub(crate) warnings: Vec<Warning>,
}

impl Found {
    pub(crate) fn extend(&mut self, other: Found) {
        self.components.extend(other.components);
        self.edges.extend(other.edges);
        self.warnings.extend(other.warnings);
    }
    pub(crate) fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.warnings.push(Warning { path: format!("/{}", path.trim_start_matches('/')), message: message.into() });
    }
    pub(crate) fn depends(&mut self, from: &str, to: &str) {
        if from != to {
            self.edges.push(Relationship::new(from, RelationshipKind::DependsOn, to));
        }
    }
}

/// The operating system, from `os-release`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Distro {
    pub(crate) id: String,
    pub(crate) version_id: String,
    pub(crate) id_like: Vec<String>,
    pub(crate) name: String,
    pub(crate) pretty_name: String,
    pub(crate) version_codename: String,
}

impl Distro {
    /// `debian-12`, the purl `distro` qualifier.
    pub(crate) fn qualifier(&self) -> String {
        if self.version_id.is_empty() { self.id.clone() } else { format!("{}-{}", self.id, self.version_id) }
    }
}

/// What every cataloger may look at besides its own files.
pub(crate) struct Context {
    pub(crate) kind: SourceKind,
    pub(crate) distro: Option<Distro>,
}

impl Context {
    pub(crate) fn new(files: &Files<'_>, kind: SourceKind) -> Self {
        Context { kind, distro: osrelease::find(files) }
    }
    pub(crate) fn declared(&self) -> bool {
        self.kind == SourceKind::Directory
    }
}

/// Does any cataloger want this path's content? Cheap, called for every file of a walk.
pub(crate) fn wants_text(path: &str, kind: SourceKind) -> bool {
    let declared = kind == SourceKind::Directory;
    osrelease::wants(path)
        || dpkg::wants(path)
        || alpine::wants(path)
        || rpm::wants(path)
        || python::wants(path, declared)
        || javascript::wants(path, declared)
        || rust::wants(path, declared)
        || golang::wants(path, declared)
        || java::wants_text(path, declared)
        || ruby::wants(path, declared)
        || php::wants(path, declared)
        || dotnet::wants(path)
        || crate::license_text::wants(path)
}

/// Run every text cataloger over the gathered files.
pub(crate) fn run_all(files: &Files<'_>, ctx: &Context) -> Found {
    let mut found = Found::default();
    osrelease::catalog(files, ctx, &mut found);
    dpkg::catalog(files, ctx, &mut found);
    alpine::catalog(files, ctx, &mut found);
    rpm::catalog(files, ctx, &mut found);
    python::catalog(files, ctx, &mut found);
    javascript::catalog(files, ctx, &mut found);
    rust::catalog(files, ctx, &mut found);
    golang::catalog(files, ctx, &mut found);
    java::catalog_text(files, ctx, &mut found);
    ruby::catalog(files, ctx, &mut found);
    php::catalog(files, ctx, &mut found);
    dotnet::catalog(files, ctx, &mut found);
    licenses_from_files(files, &mut found);
    found
}

/// Components whose metadata names no licence get the one whose full text is in the licence
/// file next to their evidence (`node_modules/x/LICENSE` beside `package.json`, `LICENSE` or
/// `licenses/*` in a `.dist-info`). Only when the package's licence files agree on one licence:
/// several different texts (dual licensing, or several licences) are not resolved by guessing.
fn licenses_from_files(files: &Files<'_>, found: &mut Found) {
    use std::collections::{BTreeMap, BTreeSet};
    // package directory -> (licences detected, files with text that matched nothing)
    // Only the directories of components still without a licence: the text match is the
    // expensive part, and every other result would be thrown away.
    let unlicensed: BTreeSet<String> = found
        .components
        .iter()
        .filter(|c| c.licenses.is_empty())
        .filter_map(|c| c.locations.first())
        .map(|loc| crate::util::parent(loc.path.trim_start_matches('/')).to_string())
        .collect();
    let mut by_dir: BTreeMap<&str, (BTreeSet<&'static str>, usize)> = BTreeMap::new();
    for f in files.iter().filter(|f| crate::license_text::wants(f.path)) {
        let dir = match f.path.find(".dist-info/") {
            Some(i) => &f.path[..i + ".dist-info".len()],
            None => crate::util::parent(f.path),
        };
        if !unlicensed.contains(dir) {
            continue;
        }
        let e = by_dir.entry(dir).or_default();
        match crate::license_text::detect(f.bytes) {
            Some(id) => {
                e.0.insert(id);
            }
            None => e.1 += 1,
        }
    }
    if by_dir.is_empty() {
        return;
    }
    for c in found.components.iter_mut().filter(|c| c.licenses.is_empty()) {
        let Some(loc) = c.locations.first() else { continue };
        let dir = crate::util::parent(loc.path.trim_start_matches('/'));
        if let Some((ids, 0)) = by_dir.get(dir)
            && let (Some(id), 1) = (ids.first(), ids.len())
        {
            c.licenses.push((*id).to_string());
            c.properties.push(("chainseal:license:source".into(), "license-file-text".into()));
        }
    }
}

/// Build a package component with its id (the purl, or `type:name@version`) and location.
pub(crate) fn package(
    purl: Purl,
    found_by: &str,
    evidence: EvidenceKind,
    path: &str,
    layer: Option<&str>,
) -> Component {
    let purl_s = purl.to_string();
    Component {
        id: purl_s.clone(),
        kind: ComponentKind::Library,
        ecosystem: purl.ty.clone(),
        group: purl.namespace.clone(),
        name: purl.name.clone(),
        version: purl.version.clone().unwrap_or_default(),
        purl: Some(purl_s),
        locations: vec![Location {
            path: format!("/{}", path.trim_start_matches('/')),
            layer: layer.map(str::to_string),
        }],
        found_by: found_by.to_string(),
        evidence,
        ..Default::default()
    }
}

/// [`package`] for an evidence file.
pub(crate) fn package_at(purl: Purl, found_by: &str, evidence: EvidenceKind, file: &EvidenceFile<'_>) -> Component {
    package(purl, found_by, evidence, file.path, file.layer)
}

/// Normalise a license string: a valid SPDX expression (imprecise names such as `GPLv2+` or
/// `Apache 2.0` fixed up) is returned canonical; anything else is returned trimmed, as a name.
pub(crate) fn license(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if raw.is_empty()
        || raw.eq_ignore_ascii_case("unknown")
        || raw.eq_ignore_ascii_case("none")
        || raw.eq_ignore_ascii_case("UNKNOWN")
        || raw.len() > 512
    {
        return None;
    }
    let canon = |s: &str| match spdx::Expression::canonicalize(s) {
        Ok(None) => Some(s.to_string()),
        Ok(Some(c)) => Some(c),
        Err(_) => None,
    };
    if let Some(c) = canon(raw).filter(|c| spdx::Expression::parse(c).is_ok()) {
        return Some(c);
    }
    // rpm and Debian write the operators in lower case (`GPLv2+ and LGPLv2+`)
    let upper: String = raw
        .split(' ')
        .map(|w| match w {
            "and" => "AND".to_string(),
            "or" => "OR".to_string(),
            "with" => "WITH".to_string(),
            w => gnu_short_name(w).unwrap_or_else(|| w.to_string()),
        })
        .collect::<Vec<_>>()
        .join(" ");
    if upper != raw
        && let Some(c) = canon(&upper).filter(|c| spdx::Expression::parse(c).is_ok())
    {
        return Some(c);
    }
    Some(raw.lines().next().unwrap_or(raw).chars().take(200).collect())
}

/// rpm's legacy short names for the GNU licences, read literally: `GPLv2+` is
/// `GPL-2.0-or-later`, `LGPLv2.1` is `LGPL-2.1-only` (surrounding parentheses kept).
fn gnu_short_name(word: &str) -> Option<String> {
    let open = word.len() - word.trim_start_matches('(').len();
    let close = word.len() - word.trim_end_matches(')').len();
    let core = word.get(open..word.len().checked_sub(close)?)?;
    let (family, rest) =
        ["AGPLv", "LGPLv", "GPLv"].iter().find_map(|f| core.strip_prefix(f).map(|r| (&f[..f.len() - 1], r)))?;
    let (ver, later) = match rest.strip_suffix('+') {
        Some(v) => (v, true),
        None => (rest, false),
    };
    let ver = match (family, ver) {
        ("GPL", "1") => "1.0",
        ("GPL" | "LGPL", "2") => "2.0",
        ("LGPL", "2.1") => "2.1",
        ("GPL" | "LGPL" | "AGPL", "3") => "3.0",
        _ => return None,
    };
    let suffix = if later { "or-later" } else { "only" };
    Some(format!("{}{family}-{ver}-{suffix}{}", &word[..open], &word[word.len() - close..]))
}

/// Is `s` a canonical SPDX expression (as [`license`] returns for valid ones)?
pub(crate) fn is_spdx_expression(s: &str) -> bool {
    spdx::Expression::parse(s).is_ok()
}
