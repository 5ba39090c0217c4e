//! The squashed layer walk: every tar entry of every layer, in one streaming pass.
//!
//! # Contract
//!
//! A walk reads the layers of one image in order (base first), each exactly once, never
//! extracting anything to disk. For each layer it verifies the blob (size and digest,
//! see [`crate::blob`]), decompresses it (gzip, zstd or plain tar, see
//! [`crate::blob::decompress`]) and reads its tar headers. For every tar entry it:
//!
//! 1. normalises the path (see [`normalize_path`]): relative, `/`-separated, no leading `./`
//!    or `/`, no empty or `.` components, `..` resolved lexically and clamped at the image
//!    root (as inside a chroot: `../../etc/passwd` is `etc/passwd`), invalid UTF-8 replaced
//!    by U+FFFD. Nothing ever touches the local filesystem, so no path can escape anything;
//! 2. applies whiteouts: `.wh.<name>` deletes `<name>` (and its subtree) as written by
//!    *earlier* layers, `.wh..wh..opq` deletes everything earlier layers put under its
//!    directory. Whiteout entries themselves are never shown as entries; instead
//!    [`LayerVisitor::deleted`] is called. Other `.wh..wh.*` (aufs metadata) are ignored;
//! 3. asks [`LayerVisitor::wants`] what to do with the entry: [`Want::Skip`] (the cheap
//!    default: no call), [`Want::Metadata`] ([`LayerVisitor::visit`] with no content, e.g.
//!    for a file listing) or [`Want::Content`] (`visit` with a `Read` over exactly the
//!    entry's bytes; refused with [`Error::LimitExceeded`] above [`Limits::max_file_read`]).
//!    Content not read by the visitor is skipped.
//!
//! Entries arrive in layer order, and within a layer in tar order, so a visitor sees a path
//! once per layer that writes it. A later layer may overwrite or delete what an earlier one
//! wrote. **Therefore the walk returns the final [`SquashedView`]**: for each path that
//! exists in the squashed image, the layer that last wrote it, its kind, size and mode.
//! Consumers keep a result derived from `(path, layer)` only if
//! [`SquashedView::is_current`]`(path, layer)` holds at the end; this drops files deleted by
//! whiteouts and files overwritten later. Hardlink entries carry their (normalised) target;
//! symlinks carry their raw target, and [`SquashedView::resolve`] follows them (with a hop
//! limit, so loops end) without touching disk.
//!
//! **If a walk returns an error, discard everything the visitor collected**: the error may
//! be a digest mismatch discovered at the end of a layer whose entries were already shown.
//!
//! Limits ([`Limits`]): compressed and decompressed layer size, decompression ratio, number
//! of entries, path length (also bounding GNU long-name headers; PAX headers are capped at
//! 1 MiB), and content size handed to a visitor.
//!
//! Symlinked parents are followed, as containerd and docker do when they apply a layer onto
//! the rootfs of the layers below: when an earlier entry made `a` a symlink to a directory
//! `x`, a later `a/b/file` (and a whiteout `a/.wh.f`) lands at `x/b/file` (`x/f`). Every
//! directory component of an entry's path is resolved against the view so far, relative
//! targets from the link's directory and absolute ones from the image root, `..` clamped at
//! the root (nothing escapes the image), at most [`MAX_LINK_HOPS`] links per path. The last
//! component is never followed (an entry replaces a symlink at its own path). A path whose
//! parents form a loop, or need more hops, is recorded at its literal spelling.
//!
//! # Example
//! ```
//! use chainseal_oci::walk::{Entry, LayerVisitor, Walker, Want};
//! use chainseal_oci::Limits;
//! struct OsRelease(Option<String>);
//! impl LayerVisitor for OsRelease {
//!     fn wants(&mut self, e: &Entry<'_>) -> Want {
//!         if e.path == "etc/os-release" { Want::Content } else { Want::Skip }
//!     }
//!     fn visit(&mut self, _e: &Entry<'_>, content: Option<&mut dyn std::io::Read>) -> chainseal_oci::Result<()> {
//!         let mut s = String::new();
//!         if let Some(r) = content { r.read_to_string(&mut s).map_err(|e| chainseal_oci::Error::Visitor(e.to_string()))?; }
//!         self.0 = Some(s);
//!         Ok(())
//!     }
//! }
//! let mut v = OsRelease(None);
//! let walker = Walker::new(&mut v, Limits::default());
//! let view = walker.finish(); // no layers: an empty view
//! assert!(view.is_empty());
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, BufReader, Read};
use std::sync::Arc;

use crate::blob::{self, VerifyingReader, from_io};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::manifest::Descriptor;
use crate::source::ContentSource;

/// Opaque-directory marker file name.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";
/// Prefix of whiteout file names.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// Most symlinks followed while resolving one path (Linux's `MAXSYMLINKS` is 40).
pub const MAX_LINK_HOPS: usize = 40;

/// The layer an entry came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// Position in the manifest's `layers`, base layer = 0.
    pub index: usize,
    /// The layer blob's digest (of the compressed bytes, as in the manifest).
    pub digest: Digest,
    /// The layer's media type.
    pub media_type: String,
    /// The compressed size from the descriptor.
    pub size: u64,
}

/// What kind of filesystem object a tar entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// A regular file (including GNU sparse and contiguous files).
    File,
    /// A directory.
    Dir,
    /// A symbolic link with its raw target (relative to the link's directory, or absolute
    /// meaning relative to the image root). Never followed during the walk.
    Symlink(String),
    /// A hard link to an earlier entry, with that entry's normalised path.
    Hardlink(String),
    /// Device, FIFO, or anything else.
    Other,
}

impl EntryKind {
    /// Is this a regular file?
    pub fn is_file(&self) -> bool {
        matches!(self, EntryKind::File)
    }

    /// Is this a directory?
    pub fn is_dir(&self) -> bool {
        matches!(self, EntryKind::Dir)
    }
}

/// One tar entry as a visitor sees it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Normalised path (see [`normalize_path`]), never empty.
    pub path: &'a str,
    /// Kind of object.
    pub kind: &'a EntryKind,
    /// Content size in bytes (0 for anything but files).
    pub size: u64,
    /// Permission bits and set-id bits from the tar header.
    pub mode: u32,
    /// The layer that wrote this entry.
    pub layer: &'a LayerInfo,
}

/// What a visitor wants for one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Not interested: no call.
    Skip,
    /// Call [`LayerVisitor::visit`] without content.
    Metadata,
    /// Call [`LayerVisitor::visit`] with a reader over the content.
    Content,
}

/// A deletion applied by a whiteout in a later layer.
#[derive(Debug, Clone, Copy)]
pub struct Deletion<'a> {
    /// The deleted path (for an opaque directory: the directory, which itself stays).
    pub path: &'a str,
    /// `false`: `path` and its subtree were deleted (`.wh.<name>`); `true`: only what earlier
    /// layers put *under* `path` was deleted (`.wh..wh..opq`).
    pub opaque: bool,
    /// The layer holding the whiteout.
    pub layer: &'a LayerInfo,
    /// How many entries of the squashed view were removed.
    pub removed: usize,
}

/// Receives the entries of a layer walk. Only [`LayerVisitor::wants`] is required.
pub trait LayerVisitor {
    /// Decide, from the header alone, whether to see this entry and its content.
    fn wants(&mut self, entry: &Entry<'_>) -> Want;

    /// An entry the visitor asked for. `content` is `Some` for [`Want::Content`] and reads
    /// exactly `entry.size` bytes (0 for non-files). Return [`Error::Visitor`] to stop.
    fn visit(&mut self, entry: &Entry<'_>, content: Option<&mut dyn Read>) -> Result<()> {
        let _ = (entry, content);
        Ok(())
    }

    /// A whiteout in `deletion.layer` deleted a path written by earlier layers.
    fn deleted(&mut self, deletion: &Deletion<'_>) -> Result<()> {
        let _ = deletion;
        Ok(())
    }

    /// A layer was read completely and its digest verified.
    fn layer_done(&mut self, layer: &LayerInfo) -> Result<()> {
        let _ = layer;
        Ok(())
    }
}

impl<V: LayerVisitor + ?Sized> LayerVisitor for &mut V {
    fn wants(&mut self, entry: &Entry<'_>) -> Want {
        (**self).wants(entry)
    }
    fn visit(&mut self, entry: &Entry<'_>, content: Option<&mut dyn Read>) -> Result<()> {
        (**self).visit(entry, content)
    }
    fn deleted(&mut self, deletion: &Deletion<'_>) -> Result<()> {
        (**self).deleted(deletion)
    }
    fn layer_done(&mut self, layer: &LayerInfo) -> Result<()> {
        (**self).layer_done(layer)
    }
}

/// A visitor that wants nothing: walking with it verifies the layers and builds the view.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoVisitor;

impl LayerVisitor for NoVisitor {
    fn wants(&mut self, _entry: &Entry<'_>) -> Want {
        Want::Skip
    }
}

/// One path of the squashed image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewEntry {
    /// Index of the layer that last wrote the path.
    pub layer: usize,
    /// Kind of object.
    pub kind: EntryKind,
    /// Content size.
    pub size: u64,
    /// Mode bits.
    pub mode: u32,
}

/// The image filesystem after all layers and whiteouts: path → last writer.
#[derive(Debug, Clone, Default)]
pub struct SquashedView {
    layers: Vec<LayerInfo>,
    entries: BTreeMap<String, ViewEntry>,
    /// A symlink was ever recorded (paths need resolving only then).
    has_symlinks: bool,
    /// The last directory an entry was applied in, for the next entry of the same directory.
    last_dir: LastDir,
}

/// What [`SquashedView::apply`] learnt about the directory of the previous entry. Tar streams
/// list a directory's entries together, so most entries reuse it. Valid only while the view
/// has not changed in a way that could alter it: any removal, or a symlink added or replaced,
/// bumps the generation.
#[derive(Debug, Clone, Default)]
struct LastDir {
    /// Bumped on every change that can move a resolution or unmake a directory.
    generation: u64,
    /// The generation `dir` was computed at (0: nothing cached).
    valid_at: u64,
    /// The directory as the layer spells it.
    dir: String,
    /// Where it resolves (`None`: a loop, the literal path is kept).
    resolved: Option<String>,
    /// The generation `checked_dir` was made at (0: nothing).
    checked_at: u64,
    /// A directory (as it landed) whose ancestors are known to be directories or links.
    checked_dir: String,
}

impl LastDir {
    /// The view changed: forget what was learnt.
    fn changed(&mut self) {
        self.generation += 1;
    }

    /// Are `dir`'s ancestors known to need no fixing?
    fn ancestors_checked(&self, dir: &str) -> bool {
        self.checked_at == self.generation + 1 && self.checked_dir == dir
    }

    /// `dir`'s ancestors were just fixed (and an entry now exists below them).
    fn mark_ancestors_checked(&mut self, dir: &str) {
        if self.checked_dir != dir {
            self.checked_dir.clear();
            self.checked_dir.push_str(dir);
        }
        self.checked_at = self.generation + 1;
    }
}

impl PartialEq for SquashedView {
    fn eq(&self, other: &Self) -> bool {
        self.layers == other.layers && self.entries == other.entries && self.has_symlinks == other.has_symlinks
    }
}

impl Eq for SquashedView {}

impl SquashedView {
    /// The entry at a normalised path.
    pub fn get(&self, path: &str) -> Option<&ViewEntry> {
        self.entries.get(path)
    }

    /// Does `path` exist in the final image as written by layer `layer`? Results derived
    /// from an entry seen during the walk are valid only if this holds.
    pub fn is_current(&self, path: &str, layer: usize) -> bool {
        self.entries.get(path).is_some_and(|e| e.layer == layer)
    }

    /// The layer that last wrote `path`.
    pub fn layer_of(&self, path: &str) -> Option<&LayerInfo> {
        self.entries.get(path).and_then(|e| self.layers.get(e.layer))
    }

    /// All paths in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ViewEntry)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No paths at all?
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The layers walked, in order.
    pub fn layers(&self) -> &[LayerInfo] {
        &self.layers
    }

    /// Follow symlinks (in any component) and hardlinks from `path` to the object it names,
    /// within the image. Returns the resolved path and entry, or `None` if it does not exist
    /// or more than 40 links are involved (loops).
    pub fn resolve(&self, path: &str) -> Option<(String, &ViewEntry)> {
        let mut pending: Vec<String> = split_components(path).into_iter().rev().collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            if comp == ".." {
                resolved.pop();
                continue;
            }
            resolved.push(comp);
            let here = resolved.join("/");
            let Some(entry) = self.entries.get(&here) else {
                if pending.is_empty() {
                    return None;
                }
                // Intermediate directories need not have their own tar entries.
                continue;
            };
            let link = match &entry.kind {
                EntryKind::Symlink(t) => Some((t.clone(), false)),
                EntryKind::Hardlink(t) if pending.is_empty() => Some((t.clone(), true)),
                _ => None,
            };
            if let Some((target, from_root)) = link {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return None;
                }
                resolved.pop();
                if from_root || target.starts_with('/') {
                    resolved.clear();
                }
                for c in split_components(&target).into_iter().rev() {
                    pending.push(c);
                }
            }
        }
        let here = resolved.join("/");
        self.entries.get(&here).map(|e| (here, e))
    }

    /// Resolve every component of the directory path `dir` through the symlinks recorded so
    /// far, inside the image (see the module docs). `None` when more than [`MAX_LINK_HOPS`]
    /// links are involved (a loop).
    pub fn resolve_dir(&self, dir: &str) -> Option<String> {
        let mut pending: Vec<&str> = dir.split('/').rev().collect();
        let mut out = String::with_capacity(dir.len());
        let mut starts: Vec<usize> = Vec::new();
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            match comp {
                "" | "." => continue,
                ".." => {
                    // Clamped at the image root, like `..` in `/`.
                    if let Some(start) = starts.pop() {
                        out.truncate(start);
                    }
                    continue;
                }
                _ => {}
            }
            starts.push(out.len());
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(comp);
            if let Some(ViewEntry { kind: EntryKind::Symlink(target), .. }) = self.entries.get(out.as_str()) {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return None;
                }
                if let Some(start) = starts.pop() {
                    out.truncate(start);
                }
                if target.starts_with('/') {
                    out.clear();
                    starts.clear();
                }
                pending.extend(target.split('/').rev());
            }
        }
        Some(out)
    }

    /// Where an entry at normalised `path` really lands: its parent directories resolved
    /// through symlinks (see the module docs); the literal path when they loop.
    fn redirect(&mut self, path: String) -> String {
        if !self.has_symlinks {
            return path;
        }
        let Some((dir, base)) = path.rsplit_once('/') else { return path };
        let cached = &self.last_dir;
        let resolved = if cached.valid_at == cached.generation + 1 && cached.dir == dir {
            debug_assert_eq!(cached.resolved, self.resolve_dir(dir), "stale resolution cached for {dir}");
            cached.resolved.clone()
        } else {
            let resolved = self.resolve_dir(dir);
            self.last_dir.dir = dir.to_string();
            self.last_dir.resolved = resolved.clone();
            self.last_dir.valid_at = self.last_dir.generation + 1;
            resolved
        };
        match resolved {
            Some(d) if d == dir => path,
            Some(d) if d.is_empty() => base.to_string(),
            Some(d) => format!("{d}/{base}"),
            None => {
                tracing::debug!(path, "symlinked parents loop or need too many hops; using the literal path");
                path
            }
        }
    }
}

fn split_components(path: &str) -> Vec<String> {
    path.split('/').filter(|c| !c.is_empty() && *c != ".").map(str::to_string).collect()
}

/// Normalise a tar path: see the module docs. Returns `""` for the root itself.
pub fn normalize_path(raw: &[u8]) -> String {
    let text: Cow<'_, str> = String::from_utf8_lossy(raw);
    let mut out: Vec<&str> = Vec::new();
    for comp in text.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.join("/")
}

/// Drives a [`LayerVisitor`] over layers fed one at a time; see the module docs.
pub struct Walker<V> {
    visitor: V,
    limits: Limits,
    view: SquashedView,
    entries_seen: u64,
}

impl<V: LayerVisitor> Walker<V> {
    /// A walker with no layers read yet.
    pub fn new(visitor: V, limits: Limits) -> Walker<V> {
        Walker { visitor, limits, view: SquashedView::default(), entries_seen: 0 }
    }

    /// Read the next layer (the `layers[i]` of the manifest, in order) from its raw blob
    /// bytes, verifying them against `descriptor`.
    pub fn layer(&mut self, descriptor: &Descriptor, raw: impl Read + Send) -> Result<()> {
        let info = LayerInfo::new(self.view.layers.len(), descriptor);
        self.view.layers.push(info.clone());
        let limits = self.limits;
        read_layer(self, descriptor, raw, &info, &limits)?;
        self.visitor.layer_done(&info)
    }

    /// The visitor, e.g. to inspect what it collected so far.
    pub fn visitor(&mut self) -> &mut V {
        &mut self.visitor
    }

    /// End the walk: the squashed view of all layers read.
    pub fn finish(self) -> SquashedView {
        self.view
    }

    /// End the walk returning the visitor too.
    pub fn into_parts(self) -> (V, SquashedView) {
        (self.visitor, self.view)
    }
}

impl<V: LayerVisitor> EntrySink for Walker<V> {
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>, info: &LayerInfo, what: &str) -> Result<()> {
        self.entries_seen += 1;
        Limits::check(
            || "number of tar entries in the image".into(),
            self.entries_seen,
            self.limits.max_entries,
            "entries",
        )?;
        let record = Record::read(entry, self.limits.max_path_len, what)?;
        match self.view.apply(&record, info.index) {
            Applied::Nothing => Ok(()),
            Applied::Deleted { path, opaque, removed } => {
                self.visitor.deleted(&Deletion { path: &path, opaque, layer: info, removed })
            }
            Applied::Object { path, kind } => {
                let shown = Entry { path: &path, kind: &kind, size: record.size, mode: record.mode, layer: info };
                dispatch(&mut self.visitor, &shown, entry, &self.limits, what)
            }
        }
    }
}

impl LayerInfo {
    fn new(index: usize, descriptor: &Descriptor) -> LayerInfo {
        LayerInfo {
            index,
            digest: descriptor.digest.clone(),
            media_type: descriptor.media_type.clone(),
            size: descriptor.size,
        }
    }
}

/// Receives the tar entries of one layer as [`read_layer`] decodes them.
trait EntrySink {
    /// One tar entry of layer `info`; `what` names the layer in errors.
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>, info: &LayerInfo, what: &str) -> Result<()>;
}

/// Verify, decompress and read the tar entries of one layer blob into `sink`: the size and
/// compression checks, digest verification of every byte, and inflate-ahead for large
/// layers. Shared by the sequential [`Walker`] and the parallel walk.
fn read_layer<S: EntrySink, R: Read + Send>(
    sink: &mut S,
    descriptor: &Descriptor,
    raw: R,
    info: &LayerInfo,
    limits: &Limits,
) -> Result<()> {
    let what = format!("layer {} ({})", info.index, descriptor.digest);
    blob::layer_compression(&descriptor.media_type)?;
    Limits::check(|| format!("{what} compressed size"), descriptor.size, limits.max_layer_compressed, "bytes")?;
    let mut verified = VerifyingReader::new(raw, descriptor, what.clone());
    match read_tar(sink, &mut verified, info, limits, &what) {
        Ok(()) => verified.finish(),
        Err(e @ Error::Corrupt { .. }) => {
            // A broken stream may be a tampered one: prefer the digest verdict.
            verified.finish()?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

fn read_tar<S: EntrySink, R: Read + Send>(
    sink: &mut S,
    verified: &mut VerifyingReader<R>,
    info: &LayerInfo,
    limits: &Limits,
    what: &str,
) -> Result<()> {
    if info.size < inflate_ahead::INFLATE_AHEAD_MIN {
        let decoded = blob::decompress(verified, info.size, limits, what)?;
        return read_entries(sink, decoded, info, limits, what);
    }
    let limits = *limits;
    std::thread::scope(|s| {
        let (inflated, producer) = inflate_ahead::inflate_ahead(s, verified, info.size, limits, what.to_string());
        let walked = read_entries(sink, inflated, info, &limits, what);
        match (walked, producer.join()) {
            (Err(e), _) => Err(e),
            (Ok(()), Err(_)) => {
                Err(Error::Corrupt { what: what.to_string(), reason: "the inflate thread failed".into() })
            }
            (Ok(()), Ok(())) => Ok(()),
        }
    })
}

/// Read the tar entries of one decompressed layer; `decoded` is dropped on return.
fn read_entries<S: EntrySink>(
    sink: &mut S,
    decoded: impl Read,
    info: &LayerInfo,
    limits: &Limits,
    what: &str,
) -> Result<()> {
    let guarded = guard::TarGuard::new(decoded, limits.max_path_len, what);
    let mut tar_in = BufReader::with_capacity(blob::CHUNK, guarded);
    {
        let mut archive = tar::Archive::new(&mut tar_in);
        let entries = archive.entries().map_err(|e| from_io(what, e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| from_io(what, e))?;
            sink.entry(&mut entry, info, what)?;
        }
    }
    // Past the end-of-archive blocks: read the rest so the digest covers every byte.
    io::copy(&mut tar_in, &mut io::sink()).map_err(|e| from_io(what, e))?;
    Ok(())
}

/// A tar entry's header, decoded and classified, before the squashed view is consulted.
#[derive(Debug, Clone)]
struct Record {
    /// The normalised path as the layer spells it (parents not yet resolved through symlinks).
    path: String,
    class: Class,
    /// Content size (0 for anything but files).
    size: u64,
    mode: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Class {
    /// The root directory itself, or aufs metadata (`.wh..wh.plnk`, …): nothing to do.
    Ignored,
    /// `.wh..wh..opq`: what earlier layers put in this entry's directory is gone.
    Opaque,
    /// `.wh.<name>`: `<name>` in this entry's directory is gone.
    Whiteout,
    /// A filesystem object; a hardlink's target is normalised but not yet resolved.
    Object(EntryKind),
}

/// What a [`Record`] did to the squashed view.
enum Applied {
    Nothing,
    Deleted {
        path: String,
        opaque: bool,
        removed: usize,
    },
    /// An object landed at `path` (its parents resolved).
    Object {
        path: String,
        kind: EntryKind,
    },
}

impl Record {
    /// Decode and bound-check a tar header.
    fn read<R: Read>(entry: &tar::Entry<'_, R>, max_path: usize, what: &str) -> Result<Record> {
        let raw_path = entry.path_bytes();
        Limits::check(|| format!("path length in {what}"), raw_path.len() as u64, max_path as u64, "bytes")?;
        let path = normalize_path(&raw_path);
        let header = entry.header();
        let mode = header.mode().unwrap_or(0);
        let base = path.rsplit_once('/').map_or(path.as_str(), |(_, b)| b);
        let class = if path.is_empty() {
            Class::Ignored
        } else if base == OPAQUE_MARKER {
            Class::Opaque
        } else if let Some(name) = base.strip_prefix(WHITEOUT_PREFIX) {
            if name.starts_with(WHITEOUT_PREFIX) || name.is_empty() { Class::Ignored } else { Class::Whiteout }
        } else {
            let etype = header.entry_type();
            let link = || -> Result<String> {
                let target = entry.link_name_bytes().unwrap_or(Cow::Borrowed(&[]));
                Limits::check(
                    || format!("link target length in {what}"),
                    target.len() as u64,
                    max_path as u64,
                    "bytes",
                )?;
                Ok(String::from_utf8_lossy(&target).into_owned())
            };
            Class::Object(if etype.is_file() || etype.is_contiguous() || etype.is_gnu_sparse() {
                EntryKind::File
            } else if etype.is_dir() {
                EntryKind::Dir
            } else if etype.is_symlink() {
                EntryKind::Symlink(link()?)
            } else if etype.is_hard_link() {
                EntryKind::Hardlink(normalize_path(link()?.as_bytes()))
            } else {
                EntryKind::Other
            })
        };
        let size = if class == Class::Object(EntryKind::File) { entry.size() } else { 0 };
        Ok(Record { path, class, size, mode })
    }
}

/// Ask `visitor` about an entry and hand it the content it wants.
fn dispatch<V: LayerVisitor, R: Read>(
    visitor: &mut V,
    shown: &Entry<'_>,
    entry: &mut tar::Entry<'_, R>,
    limits: &Limits,
    what: &str,
) -> Result<()> {
    match visitor.wants(shown) {
        Want::Skip => Ok(()),
        Want::Metadata => visitor.visit(shown, None),
        Want::Content => {
            Limits::check(
                || format!("file {} in {what} (content requested by a visitor)", shown.path),
                shown.size,
                limits.max_file_read,
                "bytes",
            )?;
            if shown.kind.is_file() {
                let mut guarded = ContentReader { inner: entry, what };
                visitor.visit(shown, Some(&mut guarded))
            } else {
                visitor.visit(shown, Some(&mut io::empty()))
            }
        }
    }
}

impl SquashedView {
    /// Apply one record of layer `layer` to the view: whiteouts delete, objects replace.
    fn apply(&mut self, record: &Record, layer: usize) -> Applied {
        let kind = match &record.class {
            Class::Ignored => return Applied::Nothing,
            Class::Opaque | Class::Whiteout => None,
            Class::Object(kind) => Some(kind),
        };
        let path = self.redirect(record.path.clone());
        let (dir, base) = match path.rsplit_once('/') {
            Some((d, b)) => (d, b),
            None => ("", path.as_str()),
        };
        let Some(kind) = kind else {
            if record.class == Class::Opaque {
                let removed = self.remove_under(dir, layer);
                return Applied::Deleted { path: dir.to_string(), opaque: true, removed };
            }
            let name = base.strip_prefix(WHITEOUT_PREFIX).unwrap_or(base);
            let target = if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") };
            let mut removed = self.remove_under(&target, layer);
            if self.entries.get(&target).is_some_and(|e| e.layer < layer) {
                self.entries.remove(&target);
                self.last_dir.changed();
                removed += 1;
            }
            return Applied::Deleted { path: target, opaque: false, removed };
        };
        let kind = match kind {
            EntryKind::Hardlink(target) => EntryKind::Hardlink(self.redirect(target.clone())),
            other => other.clone(),
        };

        // A non-directory replaces whatever subtree earlier layers had at this path, and
        // regular files on the way down become directories.
        if !kind.is_dir() {
            self.remove_under(&path, layer);
        }
        // The previous entry's ancestors were made directories already; the same directory
        // has the same ancestors, unless the view changed since.
        let dir_checked = self.last_dir.ancestors_checked(dir);
        debug_assert!(
            !dir_checked
                || !path.match_indices('/').any(|(at, _)| {
                    self.entries
                        .get(&path[..at])
                        .is_some_and(|e| e.layer < layer && !matches!(e.kind, EntryKind::Dir | EntryKind::Symlink(_)))
                }),
            "an ancestor of {path} needed fixing although its directory was marked checked"
        );
        let mut cut = 0;
        while !dir_checked && let Some(pos) = path[cut..].find('/') {
            let ancestor = &path[..cut + pos];
            if self
                .entries
                .get(ancestor)
                .is_some_and(|e| e.layer < layer && !matches!(e.kind, EntryKind::Dir | EntryKind::Symlink(_)))
            {
                self.entries.remove(ancestor);
                self.last_dir.changed();
            }
            cut += pos + 1;
        }
        let entry = ViewEntry { layer, kind: kind.clone(), size: record.size, mode: record.mode };
        let replaced = self.entries.insert(path.clone(), entry);
        if matches!(kind, EntryKind::Symlink(_)) || replaced.is_some_and(|e| matches!(e.kind, EntryKind::Symlink(_))) {
            self.has_symlinks = true;
            self.last_dir.changed();
        }
        self.last_dir.mark_ancestors_checked(dir);
        Applied::Object { path, kind }
    }

    /// Remove everything under `dir` (not `dir` itself) written by layers before `layer`.
    fn remove_under(&mut self, dir: &str, layer: usize) -> usize {
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let doomed: Vec<String> = self
            .entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(_, v)| v.layer < layer)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &doomed {
            self.entries.remove(k);
        }
        if !doomed.is_empty() {
            self.last_dir.changed();
        }
        doomed.len()
    }
}

/// The content reader handed to visitors: tar errors carry the layer in their message.
struct ContentReader<'e, 'w, R: Read> {
    inner: &'e mut tar::Entry<'w, R>,
    what: &'e str,
}

impl<R: Read> Read for ContentReader<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.what)))
    }
}

/// Walk in-memory or file-backed layers synchronously: `(descriptor, raw blob reader)` in
/// manifest order. Returns the squashed view; see the module docs for the contract.
pub fn walk_layers<V, I, R>(visitor: V, layers: I, limits: Limits) -> Result<(V, SquashedView)>
where
    V: LayerVisitor,
    I: IntoIterator<Item = (Descriptor, R)>,
    R: Read + Send,
{
    let mut walker = Walker::new(visitor, limits);
    for (descriptor, raw) in layers {
        walker.layer(&descriptor, raw)?;
    }
    Ok(walker.into_parts())
}

/// Walk the given layers of an image held by an async [`ContentSource`] (registry, OCI
/// layout, archive). Each blob is streamed through `tokio_util::io::SyncIoBridge` into the
/// synchronous walker on a blocking thread; nothing is buffered whole. Must be called from
/// within a multi-threaded tokio runtime. Returns the visitor and the squashed view.
pub async fn walk_source<V>(
    source: Arc<dyn ContentSource>,
    layers: Vec<Descriptor>,
    visitor: V,
    limits: Limits,
) -> Result<(V, SquashedView)>
where
    V: LayerVisitor + Send + 'static,
{
    let handle = tokio::runtime::Handle::current();
    let task = tokio::task::spawn_blocking(move || {
        let mut walker = Walker::new(visitor, limits);
        for descriptor in &layers {
            let stream = handle.block_on(source.blob(descriptor))?;
            let bridge = tokio_util::io::SyncIoBridge::new_with_handle(stream, handle.clone());
            walker.layer(descriptor, bridge)?;
        }
        Ok(walker.into_parts())
    });
    task.await.map_err(|e| Error::Visitor(format!("the layer walk thread failed: {e}")))?
}

mod guard;
mod inflate_ahead;
pub(crate) mod parallel;

pub use parallel::{WalkStats, max_workers, walk_layers_parallel, walk_source_parallel};

#[cfg(test)]
mod tests;
