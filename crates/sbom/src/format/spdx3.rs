//! SPDX 3.0.1 JSON-LD writer (Core, Software and SimpleLicensing profiles).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::fingerprint;
use super::spdx2::sanitize;
use crate::catalog::is_spdx_expression;
use crate::model::{ComponentKind, HashAlg, RelationshipKind, Sbom, SourceKind};

const CI: &str = "_:creationinfo";

fn purpose(k: ComponentKind) -> &'static str {
    match k {
        ComponentKind::Library => "library",
        ComponentKind::Application => "application",
        ComponentKind::Framework => "framework",
        ComponentKind::OperatingSystem => "operatingSystem",
        ComponentKind::File => "file",
    }
}

fn alg(a: HashAlg) -> &'static str {
    match a {
        HashAlg::Md5 => "md5",
        HashAlg::Sha1 => "sha1",
        HashAlg::Sha256 => "sha256",
        HashAlg::Sha384 => "sha384",
        HashAlg::Sha512 => "sha512",
    }
}

pub(super) fn write(s: &Sbom) -> Value {
    let base = format!("https://chainseal.example/spdx/{}", fingerprint(s));
    let iri = |local: &str| format!("{base}#{local}");
    let mut graph: Vec<Value> = Vec::new();
    let mut elements: Vec<String> = Vec::new();
    let org = iri("Organization-chainseal");
    let tool = iri("Tool-chainseal");
    graph.push(json!({"type": "CreationInfo", "@id": CI, "specVersion": "3.0.1", "created": s.created, "createdBy": [org], "createdUsing": [tool]}));
    graph.push(json!({"type": "Organization", "spdxId": org, "creationInfo": CI, "name": s.tool.vendor}));
    graph.push(json!({"type": "Tool", "spdxId": tool, "creationInfo": CI, "name": format!("{}-{}", s.tool.name, s.tool.version)}));

    // suppliers become Organization elements, one per distinct name
    let mut suppliers: BTreeMap<String, String> = BTreeMap::new();
    let mut supplier_iri = |name: &str, graph: &mut Vec<Value>, elements: &mut Vec<String>| -> String {
        let (n, _) = super::name_email(name);
        if let Some(i) = suppliers.get(&n) {
            return i.clone();
        }
        let id = iri(&format!("Organization-{}", &crate::util::sha256_hex(n.as_bytes())[..16]));
        graph.push(json!({"type": "Organization", "spdxId": id, "creationInfo": CI, "name": n}));
        elements.push(id.clone());
        suppliers.insert(n, id.clone());
        id
    };

    let source_id = s.source.id();
    let root = iri(&format!("Package-root-{}", sanitize(&s.source.name)));
    let mut root_pkg = Map::new();
    root_pkg.insert("type".into(), json!("software_Package"));
    root_pkg.insert("spdxId".into(), json!(root));
    root_pkg.insert("creationInfo".into(), json!(CI));
    root_pkg.insert("name".into(), json!(s.source.name));
    if !s.source.version.is_empty() {
        root_pkg.insert("software_packageVersion".into(), json!(s.source.version));
    }
    if let Some(p) = &s.source.purl {
        root_pkg.insert("software_packageUrl".into(), json!(p));
    }
    if let Some(sup) = &s.source.supplier {
        root_pkg.insert("suppliedBy".into(), json!(supplier_iri(sup, &mut graph, &mut elements)));
    }
    if !s.source.hashes.is_empty() {
        root_pkg.insert(
            "verifiedUsing".into(),
            Value::Array(
                s.source
                    .hashes
                    .iter()
                    .map(|h| json!({"type": "Hash", "algorithm": alg(h.alg), "hashValue": h.hex}))
                    .collect(),
            ),
        );
    }
    root_pkg.insert(
        "software_primaryPurpose".into(),
        json!(match s.source.kind {
            SourceKind::Image => "container",
            SourceKind::Directory => "source",
        }),
    );
    graph.push(Value::Object(root_pkg));
    elements.push(root.clone());

    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    let mut licenses: BTreeMap<String, String> = BTreeMap::new();
    let mut license_rels: Vec<(String, String)> = Vec::new();
    for c in &s.components {
        let id = iri(&super::spdx2::spdx_id(c).replacen("SPDXRef-", "", 1));
        ids.insert(&c.id, id.clone());
        let mut m = Map::new();
        m.insert("type".into(), json!("software_Package"));
        m.insert("spdxId".into(), json!(id));
        m.insert("creationInfo".into(), json!(CI));
        m.insert("name".into(), json!(c.name));
        if let Some(d) = &c.description {
            m.insert("summary".into(), json!(d));
        }
        if !c.version.is_empty() {
            m.insert("software_packageVersion".into(), json!(c.version));
        }
        if let Some(p) = &c.purl {
            m.insert("software_packageUrl".into(), json!(p));
        }
        if let Some(sup) = &c.supplier {
            m.insert("suppliedBy".into(), json!(supplier_iri(sup, &mut graph, &mut elements)));
        }
        if !c.hashes.is_empty() {
            m.insert(
                "verifiedUsing".into(),
                Value::Array(
                    c.hashes
                        .iter()
                        .map(|h| json!({"type": "Hash", "algorithm": alg(h.alg), "hashValue": h.hex}))
                        .collect(),
                ),
            );
        }
        if !c.cpes.is_empty() {
            m.insert(
                "externalIdentifier".into(),
                Value::Array(
                    c.cpes
                        .iter()
                        .map(|cpe| {
                            let mut e = json!({"type": "ExternalIdentifier", "externalIdentifierType": "cpe23", "identifier": cpe});
                            if crate::cpe::is_heuristic(c) {
                                e["comment"] = json!(crate::cpe::HEURISTIC_COMMENT);
                            }
                            e
                        })
                        .collect(),
                ),
            );
        }
        if let Some(l) = c.locations.first() {
            m.insert("software_sourceInfo".into(), json!(format!("acquired package info from {}", l.path)));
        }
        m.insert("software_primaryPurpose".into(), json!(purpose(c.kind)));
        graph.push(Value::Object(m));
        elements.push(id.clone());
        if !c.licenses.is_empty() {
            let expr = c
                .licenses
                .iter()
                .map(|l| {
                    if is_spdx_expression(l) {
                        if c.licenses.len() > 1 && l.contains(' ') { format!("({l})") } else { l.clone() }
                    } else {
                        format!("LicenseRef-{}", sanitize(l))
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND ");
            let lid = licenses
                .entry(expr.clone())
                .or_insert_with(|| {
                    iri(&format!("LicenseExpression-{}", &crate::util::sha256_hex(expr.as_bytes())[..16]))
                })
                .clone();
            license_rels.push((id, lid));
        }
    }
    for (expr, lid) in &licenses {
        graph.push(json!({"type": "simplelicensing_LicenseExpression", "spdxId": lid, "creationInfo": CI, "simplelicensing_licenseExpression": expr}));
        elements.push(lid.clone());
    }

    // relationships, grouped by (from, type)
    let mut grouped: BTreeMap<(String, &str), Vec<String>> = BTreeMap::new();
    for r in &s.relationships {
        let lookup = |id: &str| if id == source_id { Some(root.clone()) } else { ids.get(id).cloned() };
        let (Some(from), Some(to)) = (lookup(&r.from), lookup(&r.to)) else { continue };
        let ty = match r.kind {
            RelationshipKind::DependsOn => "dependsOn",
            RelationshipKind::Contains => "contains",
        };
        grouped.entry((from, ty)).or_default().push(to);
    }
    for (from, lid) in license_rels {
        grouped.entry((from, "hasDeclaredLicense")).or_default().push(lid);
    }
    for (n, ((from, ty), to)) in grouped.into_iter().enumerate() {
        let id = iri(&format!("Relationship-{n}"));
        graph.push(json!({"type": "Relationship", "spdxId": id, "creationInfo": CI, "from": from, "relationshipType": ty, "to": to}));
        elements.push(id);
    }

    let sbom_id = iri("SBOM");
    let sbom_type = match s.source.kind {
        SourceKind::Image => "analyzed",
        SourceKind::Directory => "source",
    };
    graph.push(json!({"type": "software_Sbom", "spdxId": sbom_id, "creationInfo": CI, "rootElement": [root], "element": elements, "software_sbomType": [sbom_type]}));
    let mut all = elements.clone();
    all.push(sbom_id.clone());
    all.push(org);
    all.push(tool);
    graph.push(json!({
        "type": "SpdxDocument",
        "spdxId": iri("SPDXRef-DOCUMENT"),
        "creationInfo": CI,
        "name": s.source.name,
        "profileConformance": ["core", "software", "simpleLicensing"],
        "rootElement": [sbom_id],
        "element": all,
    }));
    json!({"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": graph})
}
