//! Java: archives (`jar`, `war`, `ear`, …) read from memory — `META-INF/MANIFEST.MF`,
//! `META-INF/maven/**/pom.properties`, nested archives — and, for directories, Maven `pom.xml`.

use std::collections::BTreeMap;
use std::io::{Cursor, Read as _};

use super::{Context, Found, license, package, package_at};
use crate::collect::Files;
use crate::limits::Limits;
use crate::model::{Component, EvidenceKind, Hash, HashAlg};
use crate::purl::Purl;
use crate::util::{file_name, text};

const EXTENSIONS: [&str; 10] = [".jar", ".war", ".ear", ".par", ".sar", ".nar", ".jpi", ".hpi", ".kar", ".lpkg"];
/// Largest manifest or pom.properties read from an archive.
const MAX_META: u64 = 1 << 20;

pub(crate) fn is_archive(path: &str) -> bool {
    let lower = file_name(path).to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

pub(crate) fn wants_text(path: &str, declared: bool) -> bool {
    declared && file_name(path) == "pom.xml"
}

fn maven_purl(group: &str, artifact: &str, version: &str) -> Purl {
    Purl::new("maven", artifact).namespace(group).version(version)
}

/// `commons-io-2.11.0.jar` → (`commons-io`, `2.11.0`).
fn name_from_file(path: &str) -> (String, String) {
    let base = file_name(path);
    let stem = base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base);
    let bytes = stem.as_bytes();
    for (i, w) in bytes.windows(2).enumerate() {
        if w[0] == b'-' && w[1].is_ascii_digit() {
            return (stem[..i].to_string(), stem[i + 1..].to_string());
        }
    }
    (stem.to_string(), String::new())
}

fn parse_manifest(t: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in t.lines() {
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(k) = &last {
                if let Some(v) = m.get_mut(k) {
                    let v: &mut String = v;
                    v.push_str(cont);
                }
            }
            continue;
        }
        if line.is_empty() {
            // only the main section
            if !m.is_empty() {
                break;
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            m.insert(k.trim().to_string(), v.trim().to_string());
            last = Some(k.trim().to_string());
        }
    }
    m
}

fn read_entry(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, i: usize, limit: u64) -> Option<Vec<u8>> {
    let e = zip.by_index(i).ok()?;
    if e.size() > limit {
        return None;
    }
    let mut buf = Vec::new();
    e.take(limit + 1).read_to_end(&mut buf).ok()?;
    (buf.len() as u64 <= limit).then_some(buf)
}

/// Catalog one archive (and, recursively, the archives inside it). `path` has no leading `/`;
/// nested archives get `outer.jar:inner.jar` paths.
pub(crate) fn catalog_archive(path: &str, layer: Option<&str>, bytes: &[u8], limits: &Limits) -> Found {
    let mut out = Found::default();
    archive(path, layer, bytes, limits, 0, &mut out);
    out
}

fn archive(
    path: &str,
    layer: Option<&str>,
    bytes: &[u8],
    limits: &Limits,
    depth: u32,
    out: &mut Found,
) -> Option<String> {
    let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => {
            out.warn(path, format!("not a readable Java archive: {e}"));
            return None;
        }
    };
    if zip.len() > limits.max_archive_entries {
        out.warn(path, format!("{} entries is over the archive-entry limit; skipped", zip.len()));
        return None;
    }
    let mut manifest = BTreeMap::new();
    let mut poms: Vec<BTreeMap<String, String>> = Vec::new();
    let mut nested: Vec<usize> = Vec::new();
    for i in 0..zip.len() {
        let Some(name) = zip.name_for_index(i).map(str::to_string) else { continue };
        if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            if let Some(b) = read_entry(&mut zip, i, MAX_META) {
                manifest = parse_manifest(&text(&b));
            }
        } else if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
            if let Some(b) = read_entry(&mut zip, i, MAX_META) {
                let props: BTreeMap<String, String> = text(&b)
                    .lines()
                    .filter(|l| !l.starts_with('#'))
                    .filter_map(|l| l.split_once('=').map(|(k, v)| (k.trim().to_string(), v.trim().to_string())))
                    .collect();
                poms.push(props);
            }
        } else if is_archive(&name) {
            nested.push(i);
        }
    }
    let (file_artifact, file_version) = name_from_file(path);
    let sha256 = Hash::new(HashAlg::Sha256, &crate::util::sha256_hex(bytes));
    let lic = manifest.get("Bundle-License").filter(|l| !l.contains("://")).and_then(|l| license(l));
    let mut comps: Vec<Component> = Vec::new();
    let mut main_idx = None;
    for props in &poms {
        let (Some(g), Some(a), Some(v)) = (props.get("groupId"), props.get("artifactId"), props.get("version")) else {
            continue;
        };
        let mut c = package(maven_purl(g, a, v), "java-archive", EvidenceKind::Installed, path, layer);
        c.name = a.clone();
        c.group = Some(g.clone());
        if *a == file_artifact || poms.len() == 1 {
            main_idx = Some(comps.len());
        }
        comps.push(c);
    }
    if comps.is_empty() {
        // no Maven metadata: the manifest and the file name
        let name = manifest
            .get("Implementation-Title")
            .or_else(|| manifest.get("Bundle-SymbolicName").map(|s| s).filter(|_| true))
            .map(|s| s.split(';').next().unwrap_or(s).to_string())
            .filter(|s| !s.is_empty() && !s.contains(' '))
            .unwrap_or_else(|| file_artifact.clone());
        let version = manifest
            .get("Implementation-Version")
            .or_else(|| manifest.get("Bundle-Version"))
            .or_else(|| manifest.get("Specification-Version"))
            .cloned()
            .unwrap_or_else(|| file_version.clone());
        if !name.is_empty() {
            let group = manifest.get("Implementation-Vendor-Id").cloned().unwrap_or_default();
            let mut c =
                package(maven_purl(&group, &name, &version), "java-archive", EvidenceKind::Installed, path, layer);
            c.name = name;
            c.group = (!group.is_empty()).then_some(group);
            main_idx = Some(0);
            comps.push(c);
        }
    }
    if let Some(i) = main_idx {
        if let Some(c) = comps.get_mut(i) {
            c.hashes.extend(sha256);
            c.licenses.extend(lic);
            c.supplier = manifest.get("Implementation-Vendor").or_else(|| manifest.get("Bundle-Vendor")).cloned();
        }
    }
    let main_id = main_idx.and_then(|i| comps.get(i)).map(|c| c.id.clone());
    if let Some(m) = &main_id {
        for c in &comps {
            out.depends(m, &c.id);
        }
    }
    out.components.extend(comps);
    if depth + 1 > limits.max_archive_depth {
        if !nested.is_empty() {
            out.warn(path, "archives nested deeper than the archive-depth limit were not opened");
        }
        return main_id;
    }
    for i in nested {
        let Some(name) = zip.name_for_index(i).map(str::to_string) else { continue };
        let inner_path = format!("{path}:{name}");
        match read_entry(&mut zip, i, limits.max_binary_file) {
            Some(b) => {
                if let Some(inner) = archive(&inner_path, layer, &b, limits, depth + 1, out) {
                    if let Some(m) = &main_id {
                        out.depends(m, &inner);
                    }
                }
            }
            None => out.warn(&inner_path, "nested archive unreadable or over the size limit; skipped"),
        }
    }
    main_id
}

/// Minimal `pom.xml` reading: coordinates, properties and `dependencies/dependency`.
fn parse_pom(body: &str) -> Result<(Option<(String, String, String)>, Vec<(String, String, String, String)>), String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(body);
    let mut stack: Vec<String> = Vec::new();
    let mut props: BTreeMap<String, String> = BTreeMap::new();
    let (mut g, mut a, mut v, mut pg, mut pv) =
        (String::new(), String::new(), String::new(), String::new(), String::new());
    let mut deps: Vec<BTreeMap<String, String>> = Vec::new();
    let mut cur: Option<BTreeMap<String, String>> = None;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                let n = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if stack.len() > 64 {
                    return Err("pom.xml nested too deeply".into());
                }
                if n == "dependency" && stack.last().map(String::as_str) == Some("dependencies") && stack.len() == 2 {
                    cur = Some(BTreeMap::new());
                }
                stack.push(n);
            }
            Event::End(_) => {
                if stack.pop().as_deref() == Some("dependency") && stack.len() == 2 {
                    deps.extend(cur.take());
                }
            }
            Event::Text(t) => {
                let val = t.decode().map(|s| s.trim().to_string()).unwrap_or_default();
                let path: Vec<&str> = stack.iter().map(String::as_str).collect();
                match path.as_slice() {
                    ["project", "groupId"] => g = val,
                    ["project", "artifactId"] => a = val,
                    ["project", "version"] => v = val,
                    ["project", "parent", "groupId"] => pg = val,
                    ["project", "parent", "version"] => pv = val,
                    ["project", "properties", k] => {
                        props.insert(k.to_string(), val);
                    }
                    ["project", "dependencies", "dependency", k] => {
                        if let Some(c) = cur.as_mut() {
                            c.insert(k.to_string(), val);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if g.is_empty() {
        g = pg;
    }
    if v.is_empty() {
        v = pv;
    }
    props.insert("project.version".into(), v.clone());
    props.insert("project.groupId".into(), g.clone());
    let resolve = |s: &str| -> Option<String> {
        if let Some(k) = s.strip_prefix("${").and_then(|k| k.strip_suffix('}')) {
            props.get(k).filter(|v| !v.contains("${")).cloned()
        } else {
            Some(s.to_string())
        }
    };
    let me = (!a.is_empty()).then(|| (resolve(&g).unwrap_or_default(), a.clone(), resolve(&v).unwrap_or_default()));
    let deps = deps
        .into_iter()
        .filter_map(|d| {
            let g = resolve(d.get("groupId")?)?;
            let a = d.get("artifactId")?.clone();
            let v = resolve(d.get("version")?)?;
            Some((g, a, v, d.get("scope").cloned().unwrap_or_default()))
        })
        .collect();
    Ok((me, deps))
}

pub(crate) fn catalog_text(files: &Files<'_>, ctx: &Context, out: &mut Found) {
    if !ctx.declared() {
        return;
    }
    for f in files.iter().filter(|f| file_name(f.path) == "pom.xml") {
        let (me, deps) = match parse_pom(&text(f.bytes)) {
            Ok(x) => x,
            Err(e) => {
                out.warn(f.path, format!("malformed pom.xml: {e}"));
                continue;
            }
        };
        let me_id = me.map(|(g, a, v)| {
            let mut c = package_at(maven_purl(&g, &a, &v), "java-pom", EvidenceKind::Declared, &f);
            c.kind = crate::model::ComponentKind::Application;
            let id = c.id.clone();
            out.components.push(c);
            id
        });
        for (g, a, v, scope) in deps {
            let mut c = package_at(maven_purl(&g, &a, &v), "java-pom", EvidenceKind::Declared, &f);
            if !scope.is_empty() {
                c.properties.push(("chainseal:scope".into(), scope));
            }
            if let Some(m) = &me_id {
                out.depends(m, &c.id);
            }
            out.components.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(name_from_file("a/commons-io-2.11.0.jar"), ("commons-io".into(), "2.11.0".into()));
        assert_eq!(name_from_file("x.jar"), ("x".into(), String::new()));
    }

    #[test]
    fn pom() {
        let (me, deps) = parse_pom(
            "<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><properties><x.v>2.0</x.v></properties>\
             <dependencies><dependency><groupId>d</groupId><artifactId>e</artifactId><version>${x.v}</version></dependency></dependencies></project>",
        )
        .expect("parses");
        assert_eq!(me, Some(("g".into(), "a".into(), "1".into())));
        assert_eq!(deps, vec![("d".into(), "e".into(), "2.0".into(), String::new())]);
        assert!(parse_pom("<project><a></b></project>").is_err());
    }

    #[test]
    fn garbage_archive_warns() {
        let f = catalog_archive("x.jar", None, b"PK\x03\x04 garbage", &Limits::default());
        assert!(f.components.is_empty());
        assert_eq!(f.warnings.len(), 1);
    }
}
