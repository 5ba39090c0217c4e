//! Readers: CycloneDX JSON (any 1.x, including syft's), SPDX 2.x JSON and SPDX 3.0 JSON-LD
//! back into the model. Lossy where the model is smaller than the format.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::{
    Component, ComponentKind, EvidenceKind, Hash, HashAlg, Location, Relationship, RelationshipKind, Sbom, SourceInfo,
    SourceKind,
};
use crate::purl::Purl;

/// Largest document read (bytes).
const MAX_DOC: usize = 512 << 20;

/// Read a CycloneDX JSON, SPDX 2 JSON or SPDX 3 JSON-LD document into the model.
pub fn read(bytes: &[u8]) -> Result<Sbom> {
    if bytes.len() > MAX_DOC {
        return Err(Error::LimitExceeded(format!("SBOM document of {} bytes is over the 512 MiB limit", bytes.len())));
    }
    let v: Value = serde_json::from_slice(bytes).map_err(|e| Error::InvalidDocument(format!("not JSON: {e}")))?;
    let mut s = if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        cyclonedx(&v)
    } else if v.get("spdxVersion").is_some() {
        spdx2(&v)
    } else if v.get("@graph").is_some() {
        spdx3(&v)
    } else {
        return Err(Error::InvalidDocument("neither CycloneDX (bomFormat) nor SPDX (spdxVersion, @graph)".into()));
    };
    s.normalize();
    Ok(s)
}

fn st<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn arr<'a>(v: &'a Value, k: &str) -> impl Iterator<Item = &'a Value> + 'a {
    v.get(k).and_then(Value::as_array).into_iter().flatten()
}

fn from_purl(c: &mut Component) {
    if let Some(p) = c.purl.as_deref().and_then(Purl::parse) {
        c.ecosystem = p.ty;
        c.group = p.namespace;
    }
}

fn cdx_kind(t: &str) -> ComponentKind {
    match t {
        "application" => ComponentKind::Application,
        "framework" => ComponentKind::Framework,
        "operating-system" => ComponentKind::OperatingSystem,
        "file" => ComponentKind::File,
        _ => ComponentKind::Library,
    }
}

fn cdx_component(v: &Value, n: usize) -> Component {
    let mut c = Component {
        id: st(v, "bom-ref").map(str::to_string).unwrap_or_else(|| format!("component-{n}")),
        kind: cdx_kind(st(v, "type").unwrap_or("library")),
        name: st(v, "name").unwrap_or_default().to_string(),
        version: st(v, "version").unwrap_or_default().to_string(),
        purl: st(v, "purl").map(str::to_string),
        description: st(v, "description").map(str::to_string),
        supplier: v.get("supplier").and_then(|s| st(s, "name")).map(str::to_string),
        author: st(v, "author")
            .map(str::to_string)
            .or_else(|| arr(v, "authors").next().and_then(|a| st(a, "name")).map(str::to_string)),
        evidence: EvidenceKind::Document,
        ..Default::default()
    };
    if let Some(g) = st(v, "group") {
        c.group = Some(g.to_string());
    }
    from_purl(&mut c);
    c.cpes.extend(st(v, "cpe").map(str::to_string));
    for h in arr(v, "hashes") {
        if let (Some(a), Some(hx)) = (st(h, "alg").and_then(HashAlg::parse), st(h, "content")) {
            c.hashes.extend(Hash::new(a, hx));
        }
    }
    for l in arr(v, "licenses") {
        if let Some(e) = st(l, "expression") {
            c.licenses.push(e.to_string());
        } else if let Some(lic) = l.get("license") {
            c.licenses.extend(st(lic, "id").or_else(|| st(lic, "name")).map(str::to_string));
        }
    }
    // locations from syft's or chainseal's properties
    let mut locs: BTreeMap<(String, String), (Option<String>, Option<String>)> = BTreeMap::new();
    for p in arr(v, "properties") {
        let (Some(name), Some(val)) = (st(p, "name"), st(p, "value")) else { continue };
        let parts: Vec<&str> = name.split(':').collect();
        match parts.as_slice() {
            [tool, "location", i, "path"] => {
                locs.entry((tool.to_string(), i.to_string())).or_default().0 = Some(val.to_string())
            }
            [tool, "location", i, "layerID"] => {
                locs.entry((tool.to_string(), i.to_string())).or_default().1 = Some(val.to_string())
            }
            [_, "package", "foundBy"] => c.found_by = val.to_string(),
            [_, "cpe23"] | [_, "cpe23", _] => c.cpes.push(val.to_string()),
            ["chainseal", "cpe", "heuristic"] => c.properties.push((name.to_string(), val.to_string())),
            _ => {}
        }
    }
    for (_, (path, layer)) in locs {
        if let Some(path) = path {
            c.locations.push(Location { path, layer });
        }
    }
    c
}

fn cyclonedx(v: &Value) -> Sbom {
    let mut s = Sbom::default();
    if let Some(meta) = v.get("metadata") {
        s.created = st(meta, "timestamp").unwrap_or_default().to_string();
        if let Some(mc) = meta.get("component") {
            let c = cdx_component(mc, 0);
            s.source = SourceInfo {
                kind: if st(mc, "type") == Some("container") { SourceKind::Image } else { SourceKind::Directory },
                name: c.name,
                version: c.version,
                purl: c.purl,
                hashes: c.hashes,
                supplier: c.supplier,
                properties: Vec::new(),
            };
            // keep the document's own root ref so dependency edges resolve
            if s.source.purl.is_none() {
                if let Some(r) = st(mc, "bom-ref") {
                    s.source.purl = Some(r.to_string());
                }
            }
        }
    }
    let mut todo: Vec<&Value> = arr(v, "components").collect();
    let mut n = 0;
    while let Some(c) = todo.pop() {
        n += 1;
        if n > 5_000_000 {
            break;
        }
        todo.extend(arr(c, "components"));
        s.components.push(cdx_component(c, n));
    }
    let root = s.source.id();
    for d in arr(v, "dependencies") {
        let Some(from) = st(d, "ref") else { continue };
        for to in arr(d, "dependsOn").filter_map(Value::as_str) {
            let kind = if from == root { RelationshipKind::Contains } else { RelationshipKind::DependsOn };
            s.relationships.push(Relationship::new(from, kind, to));
        }
    }
    // syft leaves the root without edges: the document describes every component
    if !s.relationships.iter().any(|r| r.from == root) {
        for c in &s.components {
            s.relationships.push(Relationship::new(root.clone(), RelationshipKind::Contains, c.id.clone()));
        }
    }
    s
}

fn spdx_kind(p: Option<&str>) -> ComponentKind {
    match p {
        Some("APPLICATION") | Some("application") => ComponentKind::Application,
        Some("FRAMEWORK") | Some("framework") => ComponentKind::Framework,
        Some("OPERATING-SYSTEM") | Some("operatingSystem") => ComponentKind::OperatingSystem,
        Some("FILE") | Some("file") => ComponentKind::File,
        _ => ComponentKind::Library,
    }
}

fn strip_agent(s: &str) -> Option<String> {
    if s == "NOASSERTION" || s == "NONE" {
        return None;
    }
    let s = s.split_once(':').map(|(_, r)| r).unwrap_or(s).trim();
    Some(s.split(" (").next().unwrap_or(s).to_string())
}

fn spdx2(v: &Value) -> Sbom {
    let mut s = Sbom {
        created: v.get("creationInfo").and_then(|c| st(c, "created")).unwrap_or_default().to_string(),
        ..Default::default()
    };
    let described: Vec<String> = arr(v, "relationships")
        .filter(|r| {
            st(r, "relationshipType") == Some("DESCRIBES") && st(r, "spdxElementId") == Some("SPDXRef-DOCUMENT")
        })
        .filter_map(|r| st(r, "relatedSpdxElement").map(str::to_string))
        .chain(arr(v, "documentDescribes").filter_map(Value::as_str).map(str::to_string))
        .collect();
    let root = described.first().cloned().unwrap_or_default();
    for p in arr(v, "packages") {
        let Some(id) = st(p, "SPDXID") else { continue };
        let purl = arr(p, "externalRefs")
            .find(|r| st(r, "referenceType") == Some("purl"))
            .and_then(|r| st(r, "referenceLocator"))
            .map(str::to_string);
        if id == root {
            s.source = SourceInfo {
                kind: if st(p, "primaryPackagePurpose") == Some("CONTAINER") || id.contains("Image") {
                    SourceKind::Image
                } else {
                    SourceKind::Directory
                },
                name: st(p, "name").unwrap_or_default().to_string(),
                version: st(p, "versionInfo").unwrap_or_default().to_string(),
                purl: Some(purl.unwrap_or_else(|| id.to_string())),
                ..Default::default()
            };
            continue;
        }
        let mut c = Component {
            id: id.to_string(),
            kind: spdx_kind(st(p, "primaryPackagePurpose")),
            name: st(p, "name").unwrap_or_default().to_string(),
            version: st(p, "versionInfo").unwrap_or_default().to_string(),
            purl,
            supplier: st(p, "supplier").and_then(strip_agent),
            author: st(p, "originator").and_then(strip_agent),
            description: st(p, "summary").or_else(|| st(p, "description")).map(str::to_string),
            evidence: EvidenceKind::Document,
            ..Default::default()
        };
        from_purl(&mut c);
        c.cpes = arr(p, "externalRefs")
            .filter(|r| st(r, "referenceType").is_some_and(|t| t.starts_with("cpe")))
            .filter_map(|r| st(r, "referenceLocator").map(str::to_string))
            .collect();
        if arr(p, "externalRefs").any(|r| st(r, "comment") == Some(crate::cpe::HEURISTIC_COMMENT)) {
            c.properties.push((crate::cpe::HEURISTIC_PROPERTY.into(), "true".into()));
        }
        for h in arr(p, "checksums") {
            if let (Some(a), Some(hx)) = (st(h, "algorithm").and_then(HashAlg::parse), st(h, "checksumValue")) {
                c.hashes.extend(Hash::new(a, hx));
            }
        }
        if let Some(l) = st(p, "licenseDeclared").filter(|l| *l != "NOASSERTION" && *l != "NONE") {
            c.licenses.push(l.to_string());
        }
        if let Some(path) = st(p, "sourceInfo").and_then(|si| si.strip_prefix("acquired package info from ")) {
            for one in path.split(", ") {
                c.locations.push(Location { path: one.to_string(), layer: None });
            }
        }
        s.components.push(c);
    }
    let root_ref = s.source.id();
    let map = |id: &str| if id == root { root_ref.clone() } else { id.to_string() };
    for r in arr(v, "relationships") {
        let (Some(a), Some(t), Some(b)) =
            (st(r, "spdxElementId"), st(r, "relationshipType"), st(r, "relatedSpdxElement"))
        else {
            continue;
        };
        match t {
            "DEPENDS_ON" => s.relationships.push(Relationship::new(map(a), RelationshipKind::DependsOn, map(b))),
            "DEPENDENCY_OF" => s.relationships.push(Relationship::new(map(b), RelationshipKind::DependsOn, map(a))),
            "CONTAINS" => s.relationships.push(Relationship::new(map(a), RelationshipKind::Contains, map(b))),
            _ => {}
        }
    }
    s
}

fn spdx3(v: &Value) -> Sbom {
    let graph: Vec<&Value> = arr(v, "@graph").collect();
    let mut s = Sbom::default();
    if let Some(ci) = graph.iter().find(|e| st(e, "type") == Some("CreationInfo")) {
        s.created = st(ci, "created").unwrap_or_default().to_string();
    }
    let names: BTreeMap<&str, &str> = graph.iter().filter_map(|e| Some((st(e, "spdxId")?, st(e, "name")?))).collect();
    let root = graph
        .iter()
        .find(|e| st(e, "type") == Some("software_Sbom"))
        .and_then(|e| arr(e, "rootElement").next())
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let exprs: BTreeMap<&str, &str> = graph
        .iter()
        .filter(|e| st(e, "type") == Some("simplelicensing_LicenseExpression"))
        .filter_map(|e| Some((st(e, "spdxId")?, st(e, "simplelicensing_licenseExpression")?)))
        .collect();
    let mut licenses: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for e in graph
        .iter()
        .filter(|e| st(e, "type") == Some("Relationship") && st(e, "relationshipType") == Some("hasDeclaredLicense"))
    {
        if let Some(from) = st(e, "from") {
            licenses
                .entry(from)
                .or_default()
                .extend(arr(e, "to").filter_map(Value::as_str).filter_map(|t| exprs.get(t)).map(|x| x.to_string()));
        }
    }
    for e in graph.iter().filter(|e| st(e, "type") == Some("software_Package")) {
        let Some(id) = st(e, "spdxId") else { continue };
        let purl = st(e, "software_packageUrl").map(str::to_string);
        if id == root {
            s.source = SourceInfo {
                kind: if st(e, "software_primaryPurpose") == Some("container") {
                    SourceKind::Image
                } else {
                    SourceKind::Directory
                },
                name: st(e, "name").unwrap_or_default().to_string(),
                version: st(e, "software_packageVersion").unwrap_or_default().to_string(),
                purl: Some(purl.unwrap_or_else(|| id.to_string())),
                ..Default::default()
            };
            continue;
        }
        let mut c = Component {
            id: id.to_string(),
            kind: spdx_kind(st(e, "software_primaryPurpose")),
            name: st(e, "name").unwrap_or_default().to_string(),
            version: st(e, "software_packageVersion").unwrap_or_default().to_string(),
            purl,
            supplier: st(e, "suppliedBy").and_then(|s| names.get(s)).map(|s| s.to_string()),
            description: st(e, "summary").map(str::to_string),
            licenses: licenses.get(id).cloned().unwrap_or_default(),
            evidence: EvidenceKind::Document,
            ..Default::default()
        };
        from_purl(&mut c);
        for h in arr(e, "verifiedUsing") {
            if let (Some(a), Some(hx)) = (st(h, "algorithm").and_then(HashAlg::parse), st(h, "hashValue")) {
                c.hashes.extend(Hash::new(a, hx));
            }
        }
        c.cpes = arr(e, "externalIdentifier").filter_map(|x| st(x, "identifier").map(str::to_string)).collect();
        if arr(e, "externalIdentifier").any(|x| st(x, "comment") == Some(crate::cpe::HEURISTIC_COMMENT)) {
            c.properties.push((crate::cpe::HEURISTIC_PROPERTY.into(), "true".into()));
        }
        s.components.push(c);
    }
    let root_ref = s.source.id();
    let map = |id: &str| if id == root { root_ref.clone() } else { id.to_string() };
    for e in graph.iter().filter(|e| st(e, "type") == Some("Relationship")) {
        let kind = match st(e, "relationshipType") {
            Some("dependsOn") => RelationshipKind::DependsOn,
            Some("contains") => RelationshipKind::Contains,
            _ => continue,
        };
        let Some(from) = st(e, "from") else { continue };
        for to in arr(e, "to").filter_map(Value::as_str) {
            s.relationships.push(Relationship::new(map(from), kind, map(to)));
        }
    }
    s
}
