//! The adapter between `chainseal-oci`'s layer walk and the [`Collector`]: a
//! [`LayerVisitor`] that forwards entries, whiteouts and opaque directories, and a `finish`
//! that keeps only what the final squashed view still holds.

use std::io::Read;

use chainseal_oci::walk::{Deletion, Entry, EntryKind, LayerVisitor, SquashedView, Want as OciWant};

use crate::collect::{Collector, FileKind, FileMeta, Want};
use crate::limits::Limits;
use crate::model::{Hash, HashAlg, Sbom, SourceInfo, SourceKind};
use crate::purl::Purl;

/// Collects image evidence during a layer walk (installed evidence only, as for any image).
#[derive(Debug)]
pub struct ImageVisitor {
    collector: Collector,
    max_read: u64,
}

impl ImageVisitor {
    /// A visitor; `max_read` is the walker's `Limits::max_file_read` (larger files are not asked for).
    pub fn new(limits: Limits, max_read: u64) -> Self {
        ImageVisitor { collector: Collector::new(SourceKind::Image, limits), max_read }
    }

    /// A visitor for one layer of a parallel walk
    /// ([`chainseal_oci::walk::walk_layers_parallel`]): same limits, shared evidence budget.
    pub fn for_layer(&self) -> Self {
        ImageVisitor { collector: self.collector.sibling(), max_read: self.max_read }
    }

    /// Build the SBOM from the per-layer visitors of a parallel walk (in layer order, made
    /// by [`ImageVisitor::for_layer`]) and its final view.
    pub fn finish_layers(
        mut self,
        layers: Vec<ImageVisitor>,
        view: &SquashedView,
        source: SourceInfo,
        created: i64,
    ) -> Sbom {
        for layer in layers {
            self.collector.absorb(layer.collector);
        }
        self.finish(view, source, created)
    }

    /// Build the SBOM once the walk has returned its final view.
    pub fn finish(mut self, view: &SquashedView, source: SourceInfo, created: i64) -> Sbom {
        self.collector.retain(|path, layer| view.is_current(path, layer));
        self.collector.finish(source, created)
    }
}

fn meta<'a>(e: &'a Entry<'a>, digest: &'a str) -> FileMeta<'a> {
    FileMeta {
        path: e.path,
        kind: match e.kind {
            EntryKind::File => FileKind::Regular,
            EntryKind::Dir => FileKind::Directory,
            EntryKind::Symlink(_) => FileKind::Symlink,
            _ => FileKind::Other,
        },
        size: e.size,
        mode: e.mode,
        mtime: None,
        layer_index: e.layer.index,
        layer: Some(digest),
    }
}

impl LayerVisitor for ImageVisitor {
    fn wants(&mut self, e: &Entry<'_>) -> OciWant {
        if e.size > self.max_read {
            return OciWant::Skip;
        }
        let digest = e.layer.digest.to_string();
        match self.collector.wants(&meta(e, &digest)) {
            Want::Skip => OciWant::Skip,
            _ => OciWant::Content,
        }
    }

    fn visit(&mut self, e: &Entry<'_>, content: Option<&mut dyn Read>) -> chainseal_oci::Result<()> {
        let digest = e.layer.digest.to_string();
        let m = meta(e, &digest);
        let mut empty: &[u8] = &[];
        let reader: &mut dyn Read = match content {
            Some(r) => r,
            None => &mut empty,
        };
        self.collector
            .add(&m, reader)
            .map_err(|err| chainseal_oci::Error::Visitor(format!("reading {} for the SBOM: {err}", e.path)))
    }

    fn deleted(&mut self, d: &Deletion<'_>) -> chainseal_oci::Result<()> {
        if d.opaque {
            self.collector.opaque(d.path, d.layer.index);
        } else {
            self.collector.whiteout(d.path, d.layer.index);
        }
        Ok(())
    }
}

/// The `metadata.component` of an image: `pkg:oci/<name>@<manifest digest>` with
/// `repository_url`, `tag` and `arch` qualifiers where known, and the digest as a hash.
pub fn image_source(
    name: &str,
    repository_url: Option<&str>,
    tag: Option<&str>,
    arch: Option<&str>,
    manifest_digest: &str,
) -> SourceInfo {
    let name = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    let mut purl = Purl::new("oci", &name).version(manifest_digest);
    if let Some(r) = repository_url {
        purl = purl.qualifier("repository_url", r);
    }
    if let Some(t) = tag {
        purl = purl.qualifier("tag", t);
    }
    if let Some(a) = arch {
        purl = purl.qualifier("arch", a);
    }
    let hashes =
        manifest_digest.strip_prefix("sha256:").and_then(|h| Hash::new(HashAlg::Sha256, h)).into_iter().collect();
    SourceInfo {
        kind: SourceKind::Image,
        name,
        version: manifest_digest.to_string(),
        purl: Some(purl.to_string()),
        hashes,
        supplier: None,
        properties: Vec::new(),
    }
}
