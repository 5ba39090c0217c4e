//! The collector: fed file events from one pass over a source (the squashed layers of an image,
//! or a directory walk), it keeps the few files catalogers need and turns them into an [`Sbom`].
//!
//! Small text evidence (package databases, manifests, lockfiles) is kept by path until the end
//! of the walk, so a later layer that overwrites or deletes a file replaces or drops it; binaries
//! and archives are parsed as they stream past and only their findings are kept, under the same
//! path-keyed rules. Nothing is written to disk.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::binary_budget::{BinaryBudget, CONCURRENT_BINARY_BYTES};
use crate::catalog::{self, Found};
use crate::limits::Limits;
use crate::model::{Relationship, RelationshipKind, Sbom, SourceInfo, SourceKind, Warning};

/// The kind of a file event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// A regular file (or a hard link to one).
    Regular,
    /// A directory.
    Directory,
    /// A symbolic link (never followed).
    Symlink,
    /// Anything else (devices, fifos).
    Other,
}

/// One file seen during the walk.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct FileMeta<'a> {
    /// Path relative to the root, `/`-separated, with or without a leading `/`.
    pub path: &'a str,
    /// File kind.
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// Unix mode bits.
    pub mode: u32,
    /// Modification time (seconds since the epoch), if known.
    pub mtime: Option<i64>,
    /// Index of the layer the file comes from (0 = bottom); 0 for directories.
    pub layer_index: usize,
    /// Digest of that layer (`sha256:…`); `None` for directories.
    pub layer: Option<&'a str>,
}

impl<'a> FileMeta<'a> {
    /// A regular file event.
    pub fn regular(path: &'a str, size: u64, mode: u32) -> Self {
        FileMeta { path, kind: FileKind::Regular, size, mode, mtime: None, layer_index: 0, layer: None }
    }
    /// The same event with layer provenance.
    pub fn in_layer(mut self, index: usize, digest: Option<&'a str>) -> Self {
        self.layer_index = index;
        self.layer = digest;
        self
    }
    /// The same event with a modification time.
    pub fn with_mtime(mut self, mtime: i64) -> Self {
        self.mtime = Some(mtime);
        self
    }
}

/// What the collector wants of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Want {
    /// Nothing: skip its content.
    Skip,
    /// Its content, whole (evidence file or archive).
    Content,
    /// Its first bytes, to see whether it is an executable; more if it is.
    Sniff,
}

#[derive(Debug)]
enum Payload {
    Text(Vec<u8>),
    Parsed(Found),
}

#[derive(Debug)]
struct Entry {
    layer_index: usize,
    layer: Option<String>,
    payload: Payload,
}

/// A file kept for the catalogers: path (no leading `/`), layer digest and bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EvidenceFile<'a> {
    pub(crate) path: &'a str,
    pub(crate) layer: Option<&'a str>,
    pub(crate) bytes: &'a [u8],
}

/// The text evidence gathered by the walk, by path.
pub(crate) struct Files<'a> {
    entries: &'a BTreeMap<String, Entry>,
}

impl<'a> Files<'a> {
    /// Every kept text file.
    pub(crate) fn iter(&self) -> impl Iterator<Item = EvidenceFile<'a>> + 'a {
        self.entries.iter().filter_map(|(p, e)| match &e.payload {
            Payload::Text(b) => Some(EvidenceFile { path: p.as_str(), layer: e.layer.as_deref(), bytes: b.as_slice() }),
            Payload::Parsed(_) => None,
        })
    }
    /// One kept text file by path (no leading `/`).
    pub(crate) fn get(&self, path: &str) -> Option<EvidenceFile<'a>> {
        let (p, e) = self.entries.get_key_value(path)?;
        match &e.payload {
            Payload::Text(b) => Some(EvidenceFile { path: p.as_str(), layer: e.layer.as_deref(), bytes: b.as_slice() }),
            Payload::Parsed(_) => None,
        }
    }
    /// Kept text files whose path starts with `prefix`.
    pub(crate) fn under(&self, prefix: &'a str) -> impl Iterator<Item = EvidenceFile<'a>> + 'a {
        self.entries
            .range::<str, _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .take_while(move |(p, _)| p.starts_with(prefix))
            .filter_map(|(p, e)| match &e.payload {
                Payload::Text(b) => {
                    Some(EvidenceFile { path: p.as_str(), layer: e.layer.as_deref(), bytes: b.as_slice() })
                }
                Payload::Parsed(_) => None,
            })
    }
}

/// Gathers evidence from file events and builds the SBOM at the end.
#[derive(Debug)]
pub struct Collector {
    kind: SourceKind,
    limits: Limits,
    entries: BTreeMap<String, Entry>,
    /// Budgets shared by sibling collectors (see [`Collector::sibling`]).
    shared: Arc<Shared>,
    warnings: Vec<Warning>,
    max_mtime: Option<i64>,
}

/// What sibling collectors share.
#[derive(Debug)]
struct Shared {
    /// Bytes of text evidence kept ([`Limits::max_total_evidence`]).
    kept_bytes: AtomicU64,
    /// Bytes of binaries and archives being read and parsed right now.
    binaries: BinaryBudget,
}

/// Normalise a path: no leading `./` or `/`, no empty or `.` segments.
pub(crate) fn normalize_path(path: &str) -> String {
    crate::util::join("", path)
}

impl Collector {
    /// A collector for an image (installed evidence) or a directory (installed and declared).
    pub fn new(kind: SourceKind, limits: Limits) -> Self {
        Collector {
            kind,
            limits,
            entries: BTreeMap::new(),
            shared: Arc::new(Shared {
                kept_bytes: AtomicU64::new(0),
                binaries: BinaryBudget::new(CONCURRENT_BINARY_BYTES),
            }),
            warnings: Vec::new(),
            max_mtime: None,
        }
    }

    /// An empty collector of the same kind and limits that shares this one's
    /// [`Limits::max_total_evidence`] budget: one per layer of a parallel walk, merged back
    /// with [`Collector::absorb`]. Concurrent siblings may overshoot the budget by at most
    /// one evidence file each, and hold binaries of at most 32 MiB
    /// together in memory (a larger one only alone).
    pub fn sibling(&self) -> Collector {
        Collector {
            kind: self.kind,
            limits: self.limits.clone(),
            entries: BTreeMap::new(),
            shared: Arc::clone(&self.shared),
            warnings: Vec::new(),
            max_mtime: None,
        }
    }

    /// Take over what `later` gathered from files that come after this collector's (the next
    /// layer): its files replace ours at the same paths, its warnings follow ours.
    pub fn absorb(&mut self, later: Collector) {
        let Collector { entries, warnings, max_mtime, .. } = later;
        for (path, entry) in entries {
            self.remove_entry(&path);
            self.entries.insert(path, entry);
        }
        self.warnings.extend(warnings);
        if let Some(t) = max_mtime {
            self.max_mtime = Some(self.max_mtime.map_or(t, |m| m.max(t)));
        }
    }

    /// What the collector wants of this file. Cheap: looks at the path, kind, size and mode only.
    pub fn wants(&self, meta: &FileMeta<'_>) -> Want {
        if meta.kind != FileKind::Regular {
            return Want::Skip;
        }
        let path = meta.path.trim_start_matches("./").trim_start_matches('/');
        if catalog::wants_text(path, self.kind) {
            return Want::Content;
        }
        if catalog::java::is_archive(path) && meta.size <= self.limits.max_binary_file {
            return Want::Content;
        }
        if meta.mode & 0o111 != 0 && meta.size >= 1024 && meta.size <= self.limits.max_binary_file {
            return Want::Sniff;
        }
        Want::Skip
    }

    /// Offer a file: if [`Collector::wants`] it, its content is read from `reader` (the reader
    /// may be left partly unread). A later call for the same path replaces the earlier one (an
    /// upper layer overwrote it). Problems with the file become warnings; only I/O errors of the
    /// reader are returned.
    pub fn add(&mut self, meta: &FileMeta<'_>, reader: &mut dyn Read) -> std::io::Result<()> {
        let path = normalize_path(meta.path);
        if let Some(t) = meta.mtime {
            self.max_mtime = Some(self.max_mtime.map_or(t, |m| m.max(t)));
        }
        let want = self.wants(meta);
        // any earlier version of this path is gone, whatever we do with the new one
        self.remove_entry(&path);
        match want {
            Want::Skip => Ok(()),
            Want::Content if catalog::java::is_archive(&path) => {
                let shared = Arc::clone(&self.shared);
                let _permit = shared.binaries.acquire(meta.size.min(self.limits.max_binary_file));
                let bytes = read_limited(reader, self.limits.max_binary_file, meta.size)?;
                let Some(bytes) = bytes else {
                    self.warn(&path, "archive larger than the binary-file limit; skipped");
                    return Ok(());
                };
                let found = catalog::java::catalog_archive(&path, meta.layer, &bytes, &self.limits);
                self.keep(path, meta, Payload::Parsed(found));
                Ok(())
            }
            Want::Content => {
                if meta.size > self.limits.max_evidence_file {
                    self.warn(&path, &format!("{} bytes is over the evidence-file limit; skipped", meta.size));
                    return Ok(());
                }
                if self.shared.kept_bytes.load(Ordering::Relaxed).saturating_add(meta.size)
                    > self.limits.max_total_evidence
                {
                    self.warn(&path, "total evidence limit reached; skipped");
                    return Ok(());
                }
                match read_limited(reader, self.limits.max_evidence_file, meta.size)? {
                    Some(bytes) => {
                        self.shared.kept_bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                        self.keep(path, meta, Payload::Text(bytes));
                    }
                    None => self.warn(&path, "file grew past the evidence-file limit; skipped"),
                }
                Ok(())
            }
            Want::Sniff => {
                let mut magic = [0u8; 4];
                let mut got = 0;
                while got < 4 {
                    let n = reader.read(&mut magic[got..])?;
                    if n == 0 {
                        break;
                    }
                    got += n;
                }
                if got < 4 || !catalog::binary::is_executable_magic(&magic) {
                    return Ok(());
                }
                let shared = Arc::clone(&self.shared);
                let _permit = shared.binaries.acquire(meta.size.min(self.limits.max_binary_file));
                // one buffer of the announced size: no doubling growth, no second copy
                let mut bytes = Vec::with_capacity(capacity(self.limits.max_binary_file, meta.size).saturating_add(4));
                bytes.extend_from_slice(&magic);
                if !read_limited_into(reader, self.limits.max_binary_file, &mut bytes)? {
                    return Ok(());
                }
                let found = catalog::binary::catalog_binary(&path, meta.layer, &bytes);
                if !found.components.is_empty() || !found.warnings.is_empty() {
                    self.keep(path, meta, Payload::Parsed(found));
                }
                Ok(())
            }
        }
    }

    /// A whiteout in layer `layer_index`: `path` and everything below it, from lower layers, are gone.
    pub fn whiteout(&mut self, path: &str, layer_index: usize) {
        let path = normalize_path(path);
        let prefix = format!("{path}/");
        let doomed: Vec<String> = self
            .entries
            .iter()
            .filter(|(p, e)| (**p == path || p.starts_with(&prefix)) && e.layer_index < layer_index)
            .map(|(p, _)| p.clone())
            .collect();
        for p in doomed {
            self.remove_entry(&p);
        }
    }

    /// An opaque directory in layer `layer_index`: everything below `dir` from lower layers is gone.
    pub fn opaque(&mut self, dir: &str, layer_index: usize) {
        let dir = normalize_path(dir);
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let doomed: Vec<String> = self
            .entries
            .iter()
            .filter(|(p, e)| p.starts_with(&prefix) && e.layer_index < layer_index)
            .map(|(p, _)| p.clone())
            .collect();
        for p in doomed {
            self.remove_entry(&p);
        }
    }

    /// Keep only paths the final squashed view still has (for walkers that report the final
    /// view at the end rather than whiteouts as they go).
    /// `visible(path, layer_index)` says whether the file written by that layer is still there.
    pub fn retain(&mut self, mut visible: impl FnMut(&str, usize) -> bool) {
        let doomed: Vec<String> =
            self.entries.iter().filter(|(p, e)| !visible(p, e.layer_index)).map(|(p, _)| p.clone()).collect();
        for p in doomed {
            self.remove_entry(&p);
        }
    }

    /// Record a problem with the source that is not tied to one evidence file.
    pub fn warn(&mut self, path: &str, message: &str) {
        self.warnings
            .push(Warning { path: format!("/{}", path.trim_start_matches('/')), message: message.to_string() });
    }

    /// The latest modification time seen, for a content-derived timestamp.
    pub fn max_mtime(&self) -> Option<i64> {
        self.max_mtime
    }

    fn keep(&mut self, path: String, meta: &FileMeta<'_>, payload: Payload) {
        self.entries
            .insert(path, Entry { layer_index: meta.layer_index, layer: meta.layer.map(str::to_string), payload });
    }

    fn remove_entry(&mut self, path: &str) {
        if let Some(Entry { payload: Payload::Text(b), .. }) = self.entries.remove(path) {
            let n = b.len() as u64;
            // never below zero, whatever the interleaving of siblings
            let _ = self
                .shared
                .kept_bytes
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |k| Some(k.saturating_sub(n)));
        }
    }

    /// Run the catalogers over what was gathered and build the SBOM. `created` is the SBOM's
    /// timestamp in seconds since the epoch (see [`crate::created_timestamp`]).
    pub fn finish(self, source: SourceInfo, created: i64) -> Sbom {
        let Collector { kind, limits, entries, warnings, .. } = self;
        let files = Files { entries: &entries };
        let ctx = catalog::Context::new(&files, kind);
        let mut found = catalog::run_all(&files, &ctx);
        for e in entries.values() {
            if let Payload::Parsed(f) = &e.payload {
                found.extend(f.clone());
            }
        }
        found.warnings.extend(warnings);
        build_sbom(found, source, created, &limits)
    }
}

/// Merge findings into a normalised SBOM: components with the same id become one (locations,
/// licenses and hashes united), the source contains every component.
pub(crate) fn build_sbom(found: Found, source: SourceInfo, created: i64, limits: &Limits) -> Sbom {
    let Found { components, edges, mut warnings } = found;
    let mut merged: BTreeMap<String, crate::model::Component> = BTreeMap::new();
    for c in components {
        if merged.len() >= limits.max_components && !merged.contains_key(&c.id) {
            warnings
                .push(Warning { path: "/".into(), message: "component limit reached; the SBOM is incomplete".into() });
            break;
        }
        match merged.get_mut(&c.id) {
            Some(m) => merge_into(m, c),
            None => {
                merged.insert(c.id.clone(), c);
            }
        }
    }
    for c in merged.values_mut() {
        crate::cpe::derive(c);
    }
    // the source's supplier supplies its own applications (a private app, a main module)
    if let Some(sup) = &source.supplier {
        for c in
            merged.values_mut().filter(|c| c.kind == crate::model::ComponentKind::Application && c.supplier.is_none())
        {
            c.supplier = Some(sup.clone());
        }
    }
    let source_id = source.id();
    let mut relationships: Vec<Relationship> = edges;
    for id in merged.keys() {
        relationships.push(Relationship::new(source_id.clone(), RelationshipKind::Contains, id.clone()));
    }
    let mut sbom = Sbom {
        source,
        components: merged.into_values().collect(),
        relationships,
        warnings,
        created: crate::format::rfc3339(created),
        tool: Default::default(),
    };
    sbom.normalize();
    sbom
}

fn merge_into(m: &mut crate::model::Component, c: crate::model::Component) {
    m.locations.extend(c.locations);
    m.hashes.extend(c.hashes);
    m.cpes.extend(c.cpes);
    if m.licenses.is_empty() {
        m.licenses = c.licenses;
    }
    if m.supplier.is_none() {
        m.supplier = c.supplier;
    }
    if m.author.is_none() {
        m.author = c.author;
    }
    if m.description.is_none() {
        m.description = c.description;
    }
    // installed evidence wins over declared for the record of how it was found
    if c.evidence < m.evidence {
        m.evidence = c.evidence;
        m.found_by = c.found_by;
    }
    for p in c.properties {
        if !m.properties.contains(&p) {
            m.properties.push(p);
        }
    }
}

/// Read at most `limit` bytes; `None` if there is more. `size_hint` (the size the tar header
/// announces, untrusted) only sizes the first allocation, capped at `limit`: a correct hint
/// means one allocation of the file's size instead of doubling growth (up to 2x the size).
fn read_limited(reader: &mut dyn Read, limit: u64, size_hint: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::with_capacity(capacity(limit, size_hint));
    if read_limited_into(reader, limit, &mut buf)? { Ok(Some(buf)) } else { Ok(None) }
}

/// Append at most `limit` bytes of `reader` to `buf`; false if there is more.
fn read_limited_into(reader: &mut dyn Read, limit: u64, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let start = buf.len();
    reader.take(limit.saturating_add(1)).read_to_end(buf)?;
    Ok((buf.len() - start) as u64 <= limit)
}

/// The first allocation for a file announced as `size_hint` bytes, never above `limit`.
fn capacity(limit: u64, size_hint: u64) -> usize {
    usize::try_from(size_hint.min(limit)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_limited_keeps_files_up_to_the_limit_and_refuses_larger() {
        let data = vec![7u8; 100];
        assert_eq!(read_limited(&mut &data[..], 100, 100).unwrap().unwrap().len(), 100);
        assert!(read_limited(&mut &data[..], 99, 100).unwrap().is_none());
        // a lying size hint neither truncates nor over-allocates past the limit
        assert_eq!(read_limited(&mut &data[..], 1000, 10).unwrap().unwrap(), data);
        let buf = read_limited(&mut &data[..], 1000, u64::MAX).unwrap().unwrap();
        assert_eq!(buf.len(), 100);
        assert!(buf.capacity() <= 1000);
    }

    #[test]
    fn read_limited_allocates_once_when_the_hint_is_right() {
        let data = vec![1u8; 4096];
        let buf = read_limited(&mut &data[..], 1 << 20, 4096).unwrap().unwrap();
        assert_eq!(buf.capacity(), 4096);
    }

    const MIT: &str = "MIT License\n\nCopyright (c) 2020 Someone\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software and associated documentation files (the \"Software\"), to deal\nin the Software without restriction, including without limitation the rights\nto use, copy, modify, merge, publish, distribute, sublicense, and/or sell\ncopies of the Software, and to permit persons to whom the Software is\nfurnished to do so, subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be included in all\ncopies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\nIMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\nFITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\nAUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\nLIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,\nOUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE\nSOFTWARE.\n";

    fn add(c: &mut Collector, path: &str, text: &str) {
        c.add(&FileMeta::regular(path, text.len() as u64, 0o644), &mut text.as_bytes()).unwrap();
    }

    #[test]
    fn licences_come_from_licence_text_only_for_packages_without_one() {
        let mut c = Collector::new(SourceKind::Image, Limits::default());
        add(&mut c, "app/node_modules/bare/package.json", r#"{"name":"bare","version":"1.0.0"}"#);
        add(&mut c, "app/node_modules/bare/LICENSE", MIT);
        add(&mut c, "app/node_modules/named/package.json", r#"{"name":"named","version":"1.0.0","license":"ISC"}"#);
        add(&mut c, "app/node_modules/named/LICENSE", MIT);
        add(&mut c, "app/node_modules/two/package.json", r#"{"name":"two","version":"1.0.0"}"#);
        add(&mut c, "app/node_modules/two/LICENSE", MIT);
        add(&mut c, "app/node_modules/two/LICENSE-OTHER", "no licence text that anything matches");
        let sbom = c.finish(SourceInfo::default(), 0);
        let licences = |name: &str| sbom.components.iter().find(|c| c.name == name).unwrap().licenses.clone();
        assert_eq!(licences("bare"), vec!["MIT".to_string()], "from the text next to it");
        assert_eq!(licences("named"), vec!["ISC".to_string()], "metadata wins; the text is not consulted");
        assert!(licences("two").is_empty(), "a text that matches nothing leaves it undecided");
    }

    #[test]
    fn read_limited_into_appends_after_what_is_there() {
        let mut buf = b"MAGI".to_vec();
        assert!(read_limited_into(&mut &b"rest"[..], 4, &mut buf).unwrap());
        assert_eq!(buf, b"MAGIrest");
        assert!(!read_limited_into(&mut &b"toolong"[..], 4, &mut buf).unwrap());
    }
}
