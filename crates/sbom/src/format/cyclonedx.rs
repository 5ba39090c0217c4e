//! CycloneDX 1.6 and 1.5 JSON writer.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{fingerprint, name_email};
use crate::catalog::is_spdx_expression;
use crate::model::{Component, ComponentKind, EvidenceKind, Sbom, SourceKind};

/// Which CycloneDX version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Version {
    V16,
    V15,
}

fn kind_str(k: ComponentKind) -> &'static str {
    match k {
        ComponentKind::Library => "library",
        ComponentKind::Application => "application",
        ComponentKind::Framework => "framework",
        ComponentKind::OperatingSystem => "operating-system",
        ComponentKind::File => "file",
    }
}

/// A single SPDX license id (no operators), as the schema's `license.id` enum wants.
fn is_single_id(l: &str) -> bool {
    !l.contains(' ') && !l.starts_with("LicenseRef-") && spdx::license_id(l).is_some() && !l.ends_with('+')
}

/// `licenses`: ids and names as license objects, or (when there is a compound expression)
/// one expression that ANDs them all if every one is a valid expression.
pub(super) fn licenses(ls: &[String]) -> Option<Value> {
    if ls.is_empty() {
        return None;
    }
    if ls.iter().all(|l| is_single_id(l) || !is_spdx_expression(l)) {
        let arr: Vec<Value> = ls
            .iter()
            .map(|l| if is_single_id(l) { json!({"license": {"id": l}}) } else { json!({"license": {"name": l}}) })
            .collect();
        return Some(Value::Array(arr));
    }
    if ls.iter().all(|l| is_spdx_expression(l)) {
        let expr = if ls.len() == 1 {
            ls[0].clone()
        } else {
            ls.iter().map(|l| format!("({l})")).collect::<Vec<_>>().join(" AND ")
        };
        return Some(json!([{"expression": expr}]));
    }
    Some(Value::Array(ls.iter().map(|l| json!({"license": {"name": l}})).collect()))
}

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !e.contains(char::is_whitespace)
        && e.is_ascii()
        && !domain.contains('@')
}

fn component(c: &Component, v: Version) -> Value {
    let mut m = Map::new();
    m.insert("bom-ref".into(), json!(c.id));
    m.insert("type".into(), json!(kind_str(c.kind)));
    if let Some(s) = &c.supplier {
        let (name, email) = name_email(s);
        let mut sup = json!({"name": name});
        if let Some(e) = email.filter(|e| valid_email(e)) {
            sup["contact"] = json!([{"email": e}]);
        }
        m.insert("supplier".into(), sup);
    }
    if let Some(a) = &c.author {
        match v {
            Version::V16 => {
                let (name, email) = name_email(a);
                let mut au = json!({"name": name});
                if let Some(e) = email.filter(|e| valid_email(e)) {
                    au["email"] = json!(e);
                }
                m.insert("authors".into(), json!([au]));
            }
            Version::V15 => {
                m.insert("author".into(), json!(a));
            }
        }
    }
    if let Some(g) = &c.group {
        if c.ecosystem == "maven" {
            m.insert("group".into(), json!(g));
        }
    }
    m.insert("name".into(), json!(c.name));
    if !c.version.is_empty() {
        m.insert("version".into(), json!(c.version));
    }
    if let Some(d) = &c.description {
        m.insert("description".into(), json!(d));
    }
    if !c.hashes.is_empty() {
        m.insert(
            "hashes".into(),
            Value::Array(c.hashes.iter().map(|h| json!({"alg": h.alg.cyclonedx(), "content": h.hex})).collect()),
        );
    }
    if let Some(l) = licenses(&c.licenses) {
        m.insert("licenses".into(), l);
    }
    if let Some(cpe) = c.cpes.first() {
        m.insert("cpe".into(), json!(cpe));
    }
    if let Some(p) = &c.purl {
        m.insert("purl".into(), json!(p));
    }
    // evidence: how the identity was established, and where
    let technique = match c.evidence {
        EvidenceKind::Binary => "binary-analysis",
        _ => "manifest-analysis",
    };
    let methods: Vec<Value> = c
        .locations
        .iter()
        .take(16)
        .map(|l| json!({"technique": technique, "confidence": 1, "value": l.path}))
        .collect();
    if !methods.is_empty() && c.evidence != EvidenceKind::Document {
        let field = if c.purl.is_some() { "purl" } else { "name" };
        let identity = json!({"field": field, "confidence": 1, "methods": methods});
        let occurrences: Vec<Value> = c.locations.iter().map(|l| json!({"location": l.path})).collect();
        let identity = match v {
            Version::V16 => json!([identity]),
            Version::V15 => identity,
        };
        m.insert("evidence".into(), json!({"identity": identity, "occurrences": occurrences}));
    }
    let mut props: Vec<Value> = Vec::new();
    if !c.found_by.is_empty() {
        props.push(json!({"name": "chainseal:package:foundBy", "value": c.found_by}));
    }
    for (i, cpe) in c.cpes.iter().enumerate().skip(1) {
        props.push(json!({"name": format!("chainseal:cpe23:{i}"), "value": cpe}));
    }
    for (i, l) in c.locations.iter().enumerate() {
        props.push(json!({"name": format!("chainseal:location:{i}:path"), "value": l.path}));
        if let Some(layer) = &l.layer {
            props.push(json!({"name": format!("chainseal:location:{i}:layerID"), "value": layer}));
        }
    }
    for (k, val) in &c.properties {
        props.push(json!({"name": k, "value": val}));
    }
    if !props.is_empty() {
        m.insert("properties".into(), Value::Array(props));
    }
    Value::Object(m)
}

pub(super) fn write(s: &Sbom, v: Version) -> Value {
    let source_id = s.source.id();
    let mut meta_comp = Map::new();
    meta_comp.insert("bom-ref".into(), json!(source_id));
    meta_comp.insert(
        "type".into(),
        json!(match s.source.kind {
            SourceKind::Image => "container",
            SourceKind::Directory => "application",
        }),
    );
    if let Some(sup) = &s.source.supplier {
        meta_comp.insert("supplier".into(), json!({"name": sup}));
    }
    meta_comp.insert("name".into(), json!(s.source.name));
    if !s.source.version.is_empty() {
        meta_comp.insert("version".into(), json!(s.source.version));
    }
    if !s.source.hashes.is_empty() {
        meta_comp.insert(
            "hashes".into(),
            Value::Array(s.source.hashes.iter().map(|h| json!({"alg": h.alg.cyclonedx(), "content": h.hex})).collect()),
        );
    }
    if let Some(p) = &s.source.purl {
        meta_comp.insert("purl".into(), json!(p));
    }
    if !s.source.properties.is_empty() {
        meta_comp.insert(
            "properties".into(),
            Value::Array(s.source.properties.iter().map(|(k, v)| json!({"name": k, "value": v})).collect()),
        );
    }
    let phase = match s.source.kind {
        SourceKind::Image => "post-build",
        SourceKind::Directory => "pre-build",
    };
    let tool = json!({"type": "application", "author": s.tool.vendor, "name": s.tool.name, "version": s.tool.version});
    let metadata = json!({
        "timestamp": s.created,
        "lifecycles": [{"phase": phase}],
        "tools": {"components": [tool]},
        "authors": [{"name": s.tool.vendor}],
        "component": Value::Object(meta_comp),
    });

    let mut deps: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    deps.insert(&source_id, Vec::new());
    for c in &s.components {
        deps.insert(&c.id, Vec::new());
    }
    for r in &s.relationships {
        if let Some(d) = deps.get_mut(r.from.as_str()) {
            d.push(&r.to);
        }
    }
    let dependencies: Vec<Value> = deps
        .into_iter()
        .map(|(r, mut d)| {
            d.sort_unstable();
            d.dedup();
            json!({"ref": r, "dependsOn": d})
        })
        .collect();

    let mut doc = Map::new();
    let (schema, ver) = match v {
        Version::V16 => ("http://cyclonedx.org/schema/bom-1.6.schema.json", "1.6"),
        Version::V15 => ("http://cyclonedx.org/schema/bom-1.5.schema.json", "1.5"),
    };
    doc.insert("$schema".into(), json!(schema));
    doc.insert("bomFormat".into(), json!("CycloneDX"));
    doc.insert("specVersion".into(), json!(ver));
    doc.insert("serialNumber".into(), json!(format!("urn:uuid:{}", fingerprint(s))));
    doc.insert("version".into(), json!(1));
    doc.insert("metadata".into(), metadata);
    doc.insert("components".into(), Value::Array(s.components.iter().map(|c| component(c, v)).collect()));
    doc.insert("dependencies".into(), Value::Array(dependencies));
    doc.insert("compositions".into(), json!([{"aggregate": "incomplete", "assemblies": [source_id]}]));
    if !s.warnings.is_empty() {
        let props: Vec<Value> =
            s.warnings.iter().map(|w| json!({"name": "chainseal:warning", "value": w.to_string()})).collect();
        doc.insert("properties".into(), Value::Array(props));
    }
    Value::Object(doc)
}
