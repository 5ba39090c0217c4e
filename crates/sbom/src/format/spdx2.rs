//! SPDX 2.3 JSON writer.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{fingerprint, name_email};
use crate::catalog::is_spdx_expression;
use crate::model::{Component, ComponentKind, RelationshipKind, Sbom, SourceKind};

/// Keep only characters an SPDXID may hold (`[A-Za-z0-9.-]`).
pub(super) fn sanitize(s: &str) -> String {
    let out: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).collect();
    out.chars().take(80).collect()
}

/// The SPDXID of a component: readable prefix plus a hash of its unique id.
pub(super) fn spdx_id(c: &Component) -> String {
    let h = crate::util::sha256_hex(c.id.as_bytes());
    let eco = if c.ecosystem.is_empty() { "other" } else { &c.ecosystem };
    format!("SPDXRef-Package-{}-{}-{}", sanitize(eco), sanitize(&c.name), &h[..16])
}

/// `Organization: Name (email)`.
pub(super) fn agent(kind: &str, s: &str) -> String {
    let (name, email) = name_email(s);
    let name: String = name.chars().filter(|c| !matches!(c, '(' | ')' | '\n' | '\r')).collect();
    match email {
        Some(e) => format!("{kind}: {} ({e})", name.trim()),
        None => format!("{kind}: {}", name.trim()),
    }
}

/// Declared license: valid expressions ANDed, free-text names as `LicenseRef-` with their text.
fn declared(ls: &[String], extracted: &mut BTreeMap<String, String>) -> String {
    if ls.is_empty() {
        return "NOASSERTION".into();
    }
    let parts: Vec<String> = ls
        .iter()
        .map(|l| {
            if is_spdx_expression(l) {
                if ls.len() > 1 && l.contains(' ') { format!("({l})") } else { l.clone() }
            } else {
                let id = format!("LicenseRef-{}", sanitize(l));
                extracted.insert(id.clone(), l.clone());
                id
            }
        })
        .collect();
    parts.join(" AND ")
}

fn purpose(k: ComponentKind) -> &'static str {
    match k {
        ComponentKind::Library => "LIBRARY",
        ComponentKind::Application => "APPLICATION",
        ComponentKind::Framework => "FRAMEWORK",
        ComponentKind::OperatingSystem => "OPERATING-SYSTEM",
        ComponentKind::File => "FILE",
    }
}

pub(super) fn root_id(s: &Sbom) -> String {
    match s.source.kind {
        SourceKind::Image => format!("SPDXRef-DocumentRoot-Image-{}", sanitize(&s.source.name)),
        SourceKind::Directory => format!("SPDXRef-DocumentRoot-Directory-{}", sanitize(&s.source.name)),
    }
}

pub(super) fn namespace(s: &Sbom) -> String {
    let kind = match s.source.kind {
        SourceKind::Image => "image",
        SourceKind::Directory => "dir",
    };
    format!("https://chainseal.example/spdxdocs/{kind}/{}-{}", sanitize(&s.source.name), fingerprint(s))
}

pub(super) fn write(s: &Sbom) -> Value {
    let root = root_id(s);
    let source_id = s.source.id();
    let mut extracted: BTreeMap<String, String> = BTreeMap::new();
    let mut packages = Vec::new();

    let mut rootpkg = Map::new();
    rootpkg.insert("name".into(), json!(s.source.name));
    rootpkg.insert("SPDXID".into(), json!(root));
    if !s.source.version.is_empty() {
        rootpkg.insert("versionInfo".into(), json!(s.source.version));
    }
    rootpkg.insert(
        "supplier".into(),
        json!(s.source.supplier.as_deref().map(|x| agent("Organization", x)).unwrap_or_else(|| "NOASSERTION".into())),
    );
    rootpkg.insert("downloadLocation".into(), json!("NOASSERTION"));
    rootpkg.insert("filesAnalyzed".into(), json!(false));
    if !s.source.hashes.is_empty() {
        rootpkg.insert(
            "checksums".into(),
            Value::Array(
                s.source.hashes.iter().map(|h| json!({"algorithm": h.alg.spdx(), "checksumValue": h.hex})).collect(),
            ),
        );
    }
    rootpkg.insert("licenseConcluded".into(), json!("NOASSERTION"));
    rootpkg.insert("licenseDeclared".into(), json!("NOASSERTION"));
    rootpkg.insert("copyrightText".into(), json!("NOASSERTION"));
    if let Some(p) = &s.source.purl {
        rootpkg.insert(
            "externalRefs".into(),
            json!([{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p}]),
        );
    }
    rootpkg.insert(
        "primaryPackagePurpose".into(),
        json!(match s.source.kind {
            SourceKind::Image => "CONTAINER",
            SourceKind::Directory => "SOURCE",
        }),
    );
    packages.push(Value::Object(rootpkg));

    let mut comp_ids: BTreeMap<&str, String> = BTreeMap::new();
    for c in &s.components {
        let id = spdx_id(c);
        comp_ids.insert(&c.id, id.clone());
        let mut m = Map::new();
        m.insert("name".into(), json!(c.name));
        m.insert("SPDXID".into(), json!(id));
        if !c.version.is_empty() {
            m.insert("versionInfo".into(), json!(c.version));
        }
        m.insert(
            "supplier".into(),
            json!(c.supplier.as_deref().map(|x| agent("Organization", x)).unwrap_or_else(|| "NOASSERTION".into())),
        );
        if let Some(a) = &c.author {
            m.insert("originator".into(), json!(agent("Person", a)));
        }
        m.insert("downloadLocation".into(), json!("NOASSERTION"));
        m.insert("filesAnalyzed".into(), json!(false));
        if !c.hashes.is_empty() {
            m.insert(
                "checksums".into(),
                Value::Array(
                    c.hashes.iter().map(|h| json!({"algorithm": h.alg.spdx(), "checksumValue": h.hex})).collect(),
                ),
            );
        }
        if let Some(loc) = c.locations.first() {
            m.insert("sourceInfo".into(), json!(format!("acquired package info from {}", loc.path)));
        }
        m.insert("licenseConcluded".into(), json!("NOASSERTION"));
        m.insert("licenseDeclared".into(), json!(declared(&c.licenses, &mut extracted)));
        m.insert("copyrightText".into(), json!("NOASSERTION"));
        if let Some(d) = &c.description {
            m.insert("summary".into(), json!(d));
        }
        let mut refs = Vec::new();
        let heuristic = crate::cpe::is_heuristic(c);
        for cpe in &c.cpes {
            let mut r = json!({"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": cpe});
            if heuristic {
                r["comment"] = json!(crate::cpe::HEURISTIC_COMMENT);
            }
            refs.push(r);
        }
        if let Some(p) = &c.purl {
            refs.push(json!({"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p}));
        }
        if !refs.is_empty() {
            m.insert("externalRefs".into(), Value::Array(refs));
        }
        m.insert("primaryPackagePurpose".into(), json!(purpose(c.kind)));
        packages.push(Value::Object(m));
    }

    let mut rels =
        vec![json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": root})];
    for r in &s.relationships {
        let lookup = |id: &str| if id == source_id { Some(root.clone()) } else { comp_ids.get(id).cloned() };
        let (Some(from), Some(to)) = (lookup(&r.from), lookup(&r.to)) else { continue };
        let ty = match r.kind {
            RelationshipKind::DependsOn => "DEPENDS_ON",
            RelationshipKind::Contains => "CONTAINS",
        };
        rels.push(json!({"spdxElementId": from, "relationshipType": ty, "relatedSpdxElement": to}));
    }

    let mut doc = Map::new();
    doc.insert("spdxVersion".into(), json!("SPDX-2.3"));
    doc.insert("dataLicense".into(), json!("CC0-1.0"));
    doc.insert("SPDXID".into(), json!("SPDXRef-DOCUMENT"));
    doc.insert("name".into(), json!(s.source.name));
    doc.insert("documentNamespace".into(), json!(namespace(s)));
    doc.insert(
        "creationInfo".into(),
        json!({
            "creators": [format!("Organization: {}", s.tool.vendor), format!("Tool: {}-{}", s.tool.name, s.tool.version)],
            "created": s.created,
        }),
    );
    if !extracted.is_empty() {
        doc.insert(
            "hasExtractedLicensingInfos".into(),
            Value::Array(
                extracted
                    .iter()
                    .map(|(id, text)| json!({"licenseId": id, "extractedText": text, "name": text}))
                    .collect(),
            ),
        );
    }
    doc.insert("packages".into(), Value::Array(packages));
    doc.insert("relationships".into(), Value::Array(rels));
    Value::Object(doc)
}
