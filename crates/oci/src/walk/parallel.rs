//! The parallel squashed walk: the layers of one image are read concurrently, each by its own
//! visitor, and then replayed in order to build the [`SquashedView`].
//!
//! A layer's cost is almost all inflate (one gzip stream cannot be split), so the sequential
//! walk keeps one core busy however many layers an image has. Here up to
//! [`max_workers`] layers are read at once, largest first. Each read verifies the blob, walks
//! its tar entries and hands them to that layer's visitor exactly as [`super::Walker`] would,
//! but with each path as the layer spells it, because the view of the layers below is not
//! known yet. It also keeps a compact [`Record`] of every entry. The replay then applies the
//! records in layer order (whiteouts, opaque directories, replacements, symlinked parents),
//! which gives the same view as the sequential walk, and tells each visitor the deletions of
//! its layer.
//!
//! A later layer whose entry lands somewhere else than it says (its parent is a symlink made
//! by a layer below, see the module docs of [`super`]) was shown to its visitor under the
//! wrong path. Such a layer is read once more, in order, with a fresh visitor that sees the
//! resolved paths, so results never depend on the parallelism. Image builders record the
//! real paths, so this re-read is rare; it is counted in the returned statistics.
//!
//! Visitors see the entries of their own layer only, then its deletions, then
//! [`LayerVisitor::layer_done`]. Consumers merge them in layer order and keep only results
//! for which [`SquashedView::is_current`] holds, as with the sequential walk.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;

use super::{
    Applied, Class, Deletion, Entry, EntryKind, EntrySink, LayerInfo, LayerVisitor, Record, SquashedView, dispatch,
    read_layer,
};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::manifest::Descriptor;
use crate::source::ContentSource;

/// Most layers read at the same time: the available cores, at most 4 (each layer also has
/// its inflate and hash threads, and holds one visitor's findings).
pub fn max_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4)
}

/// What the parallel walk did besides its results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WalkStats {
    /// Layers read a second time because symlinked parents moved some of their entries.
    pub reread_layers: Vec<usize>,
}

/// Walk `layers` (manifest order, base first) with one visitor per layer, reading up to
/// [`max_workers`] layers at once; see the module docs. `open` returns the raw blob of a
/// layer and may be called twice for the same layer. Returns the visitors in layer order,
/// the squashed view and the statistics. On error, discard everything.
pub fn walk_layers_parallel<V, F, O, R>(
    layers: &[Descriptor],
    make_visitor: F,
    open: O,
    limits: Limits,
) -> Result<(Vec<V>, SquashedView, WalkStats)>
where
    V: LayerVisitor + Send,
    F: Fn(&LayerInfo) -> V + Sync,
    O: Fn(&Descriptor) -> Result<R> + Sync,
    R: Read + Send,
{
    walk_layers_with_workers(layers, make_visitor, open, limits, max_workers())
}

/// [`walk_layers_parallel`] with `workers` layers read at once; with one, everything runs on
/// the calling thread (the fuzz harness compares this with the sequential walk).
pub(crate) fn walk_layers_with_workers<V, F, O, R>(
    layers: &[Descriptor],
    make_visitor: F,
    open: O,
    limits: Limits,
    workers: usize,
) -> Result<(Vec<V>, SquashedView, WalkStats)>
where
    V: LayerVisitor + Send,
    F: Fn(&LayerInfo) -> V + Sync,
    O: Fn(&Descriptor) -> Result<R> + Sync,
    R: Read + Send,
{
    let job = Job {
        layers,
        infos: layers.iter().enumerate().map(|(i, d)| LayerInfo::new(i, d)).collect(),
        make_visitor,
        open,
        limits,
        workers: workers.clamp(1, layers.len().max(1)),
    };
    job.run()
}

/// [`walk_layers_parallel`] over the blobs of an async [`ContentSource`] (registry, OCI
/// layout, archive), streamed as in [`super::walk_source`]. Must be called from within a
/// multi-threaded tokio runtime.
pub async fn walk_source_parallel<V, F>(
    source: Arc<dyn ContentSource>,
    layers: Vec<Descriptor>,
    make_visitor: F,
    limits: Limits,
) -> Result<(Vec<V>, SquashedView, WalkStats)>
where
    V: LayerVisitor + Send + 'static,
    F: Fn(&LayerInfo) -> V + Send + Sync + 'static,
{
    let handle = tokio::runtime::Handle::current();
    let task = tokio::task::spawn_blocking(move || {
        let open = |d: &Descriptor| -> Result<crate::source::BlobFile> {
            if let Some(file) = source.blob_file(d) {
                return file;
            }
            let stream = handle.block_on(source.blob(d))?;
            Ok(Box::new(tokio_util::io::SyncIoBridge::new_with_handle(stream, handle.clone())))
        };
        walk_layers_parallel(&layers, make_visitor, open, limits)
    });
    task.await.map_err(|e| Error::Visitor(format!("the layer walk thread failed: {e}")))?
}

/// One layer after its concurrent read: its visitor and the records of its entries.
struct Scanned<V> {
    visitor: V,
    records: Vec<Record>,
}

/// One parallel walk: the layers, how to visit and open them, and the limits.
struct Job<'a, F, O> {
    layers: &'a [Descriptor],
    infos: Vec<LayerInfo>,
    make_visitor: F,
    open: O,
    limits: Limits,
    /// Layers read at once.
    workers: usize,
}

impl<V, F, O, R> Job<'_, F, O>
where
    V: LayerVisitor + Send,
    F: Fn(&LayerInfo) -> V + Sync,
    O: Fn(&Descriptor) -> Result<R> + Sync,
    R: Read + Send,
{
    /// Read every layer, up to [`Job::workers`] at once, largest first (the longest reads
    /// start early, so the last one to finish is a short one), and replay each as soon as all
    /// layers below it are replayed, on this thread while the others are still being read.
    fn run(&self) -> Result<(Vec<V>, SquashedView, WalkStats)> {
        let Job { layers, infos, make_visitor, open, limits, workers } = self;
        let seen = AtomicU64::new(0);
        let abort = AtomicBool::new(false);
        let scan = |i: usize| -> Result<Scanned<V>> {
            let mut visitor = make_visitor(&infos[i]);
            let mut scanner = Scanner::new(&mut visitor, limits, &seen, &abort, None);
            let read = open(&layers[i]).and_then(|raw| read_layer(&mut scanner, &layers[i], raw, &infos[i], limits));
            let records = std::mem::take(&mut scanner.records);
            read.and_then(|()| visitor.layer_done(&infos[i])).map(|()| Scanned { visitor, records })
        };
        let mut replay = Replay::new(layers.len());
        if *workers <= 1 {
            for i in 0..layers.len() {
                if replay.failed() {
                    break;
                }
                replay.offer(self, i, scan(i), &abort);
            }
            return replay.finish();
        }
        let mut order: Vec<usize> = (0..layers.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(layers[i].size));
        let next = AtomicUsize::new(0);
        let (tx, rx) = mpsc::channel::<(usize, Result<Scanned<V>>)>();
        std::thread::scope(|s| {
            for _ in 0..*workers {
                let (tx, scan, order, next, abort) = (tx.clone(), &scan, &order, &next, &abort);
                s.spawn(move || {
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        if abort.load(Ordering::Relaxed) {
                            return;
                        }
                        let outcome = scan(i);
                        if outcome.is_err() {
                            abort.store(true, Ordering::Relaxed);
                        }
                        if tx.send((i, outcome)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(tx);
            for (i, outcome) in rx {
                replay.offer(self, i, outcome, &abort);
            }
        });
        replay.finish()
    }

    /// Apply one layer's records to the view, re-read it if its entries were shown under a
    /// path other than where they landed, and deliver its deletions.
    fn replay_layer(&self, replay: &mut Replay<V>, scanned: Scanned<V>) -> Result<()> {
        let Job { layers, infos, make_visitor, open, limits, .. } = self;
        let Scanned { mut visitor, records } = scanned;
        let index = replay.visitors.len();
        let (info, descriptor) = (&infos[index], &layers[index]);
        let view = &mut replay.view;
        view.layers.push(info.clone());
        let mut deletions = Vec::new();
        let mut landed = Vec::with_capacity(records.len());
        let mut moved = false;
        for record in &records {
            match view.apply(record, info.index) {
                Applied::Nothing => landed.push(None),
                Applied::Deleted { path, opaque, removed } => {
                    deletions.push((path, opaque, removed));
                    landed.push(None);
                }
                Applied::Object { path, kind } => {
                    moved |= path != record.path || !matches!(&record.class, Class::Object(k) if *k == kind);
                    landed.push(Some((path, kind)));
                }
            }
        }
        if moved {
            tracing::debug!(layer = info.index, "entries under symlinked parents: reading the layer again in order");
            replay.stats.reread_layers.push(info.index);
            visitor = make_visitor(info);
            let (seen, abort) = (AtomicU64::new(0), AtomicBool::new(false));
            let mut scanner = Scanner::new(&mut visitor, limits, &seen, &abort, Some(&landed));
            read_layer(&mut scanner, descriptor, open(descriptor)?, info, limits)?;
            visitor.layer_done(info)?;
        }
        for (path, opaque, removed) in &deletions {
            visitor.deleted(&Deletion { path, opaque: *opaque, layer: info, removed: *removed })?;
        }
        replay.visitors.push(visitor);
        Ok(())
    }
}

/// The in-order replay of layers read out of order.
struct Replay<V> {
    view: SquashedView,
    stats: WalkStats,
    /// One per layer replayed so far; its length is the next layer to replay.
    visitors: Vec<V>,
    /// Layers read but not yet replayable (a layer below is still being read).
    pending: BTreeMap<usize, Scanned<V>>,
    /// The failure of the lowest layer that failed, which names the walk's error.
    error: Option<(usize, Error)>,
    layers: usize,
}

impl<V: LayerVisitor + Send> Replay<V> {
    fn new(layers: usize) -> Self {
        Replay {
            view: SquashedView::default(),
            stats: WalkStats::default(),
            visitors: Vec::with_capacity(layers),
            pending: BTreeMap::new(),
            error: None,
            layers,
        }
    }

    fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// Take layer `index`'s read and replay every layer that is now next in order.
    fn offer<F, O, R>(&mut self, job: &Job<'_, F, O>, index: usize, outcome: Result<Scanned<V>>, abort: &AtomicBool)
    where
        F: Fn(&LayerInfo) -> V + Sync,
        O: Fn(&Descriptor) -> Result<R> + Sync,
        R: Read + Send,
    {
        match outcome {
            // stopped because another layer failed: that one names the error
            Err(Error::Visitor(m)) if m == ABORTED => {}
            Err(e) => self.fail(index, e, abort),
            Ok(scanned) => {
                self.pending.insert(index, scanned);
                while !self.failed() {
                    let next = self.visitors.len();
                    let Some(scanned) = self.pending.remove(&next) else { break };
                    if let Err(e) = job.replay_layer(self, scanned) {
                        self.fail(next, e, abort);
                    }
                }
            }
        }
    }

    fn fail(&mut self, index: usize, error: Error, abort: &AtomicBool) {
        abort.store(true, Ordering::Relaxed);
        self.pending.clear();
        if self.error.as_ref().is_none_or(|(at, _)| index < *at) {
            self.error = Some((index, error));
        }
    }

    fn finish(self) -> Result<(Vec<V>, SquashedView, WalkStats)> {
        if let Some((_, e)) = self.error {
            return Err(e);
        }
        if self.visitors.len() != self.layers {
            return Err(Error::Visitor("a layer read thread stopped without a result".into()));
        }
        Ok((self.visitors, self.view, self.stats))
    }
}

/// The error a layer read returns when another layer failed first.
const ABORTED: &str = "stopped: another layer failed";

/// The [`EntrySink`] of one concurrent layer read: records every entry and shows objects
/// to the visitor, under the layer's own spelling or, when re-reading, where they landed.
struct Scanner<'a, V> {
    visitor: &'a mut V,
    limits: &'a Limits,
    /// Entries read in the whole image so far (for [`Limits::max_entries`]).
    seen: &'a AtomicU64,
    abort: &'a AtomicBool,
    /// When re-reading: where each entry landed, in tar order (`None`: not an object).
    landed: Option<&'a [Option<(String, EntryKind)>]>,
    records: Vec<Record>,
    position: usize,
}

impl<'a, V: LayerVisitor> Scanner<'a, V> {
    fn new(
        visitor: &'a mut V,
        limits: &'a Limits,
        seen: &'a AtomicU64,
        abort: &'a AtomicBool,
        landed: Option<&'a [Option<(String, EntryKind)>]>,
    ) -> Self {
        Scanner { visitor, limits, seen, abort, landed, records: Vec::new(), position: 0 }
    }
}

impl<V: LayerVisitor> EntrySink for Scanner<'_, V> {
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>, info: &LayerInfo, what: &str) -> Result<()> {
        if self.abort.load(Ordering::Relaxed) {
            return Err(Error::Visitor(ABORTED.into()));
        }
        let record = Record::read(entry, self.limits.max_path_len, what)?;
        if let Some(landed) = self.landed {
            // The same verified bytes as the first read, so the same entries in the same order.
            let at = self.position;
            self.position += 1;
            let Some(Some((path, kind))) = landed.get(at) else { return Ok(()) };
            let shown = Entry { path, kind, size: record.size, mode: record.mode, layer: info };
            return dispatch(self.visitor, &shown, entry, self.limits, what);
        }
        let seen = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        Limits::check(|| "number of tar entries in the image".into(), seen, self.limits.max_entries, "entries")?;
        if let Class::Object(kind) = &record.class {
            let shown = Entry { path: &record.path, kind, size: record.size, mode: record.mode, layer: info };
            dispatch(self.visitor, &shown, entry, self.limits, what)?;
        }
        self.records.push(record);
        Ok(())
    }
}
