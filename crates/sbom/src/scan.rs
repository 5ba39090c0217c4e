//! Scanning entry points: a directory walked here, or file events fed by an image walker.

use std::fs;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::Path;

use crate::collect::{Collector, FileKind, FileMeta, Want};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::model::{Sbom, SourceInfo, SourceKind};

/// Options for a scan.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ScanOptions {
    /// Limits on what is read.
    pub limits: Limits,
    /// Name for the source in the SBOM (default: the directory's name / image repository).
    pub source_name: Option<String>,
    /// Version for the source (default: empty for directories, the manifest digest for images).
    pub source_version: Option<String>,
    /// Supplier of the source.
    pub source_supplier: Option<String>,
    /// The SBOM timestamp in seconds since the epoch; `None` uses [`created_timestamp`].
    pub created: Option<i64>,
}

/// The SBOM timestamp: `SOURCE_DATE_EPOCH` when set (and valid), else `fallback` (image
/// creation time, newest file mtime), else the epoch — never the wall clock, so output is
/// reproducible.
pub fn created_timestamp(fallback: Option<i64>) -> i64 {
    std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.trim().parse::<i64>().ok()).or(fallback).unwrap_or(0)
}

/// Catalog a directory: installed and declared evidence. Symlinks are never followed, so the
/// walk stays under `root`. Unreadable entries become warnings.
pub fn scan_directory(root: &Path, options: &ScanOptions) -> Result<Sbom> {
    let meta = fs::symlink_metadata(root).map_err(|e| Error::Io { path: root.display().to_string(), source: e })?;
    if !meta.is_dir() {
        return Err(Error::InvalidInput(format!(
            "{} is not a directory; give dir:PATH of a directory",
            root.display()
        )));
    }
    let mut collector = Collector::new(SourceKind::Directory, options.limits.clone());
    let mut stack = vec![(root.to_path_buf(), String::new())];
    let mut visited: u64 = 0;
    while let Some((dir, rel)) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                collector.warn(&rel, &format!("cannot read directory: {e}"));
                continue;
            }
        };
        let mut names: Vec<_> = entries.filter_map(|e| e.ok()).collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            visited += 1;
            if visited > options.limits.max_files {
                return Err(Error::LimitExceeded(format!(
                    "more than {} files under {}; raise Limits::max_files",
                    options.limits.max_files,
                    root.display()
                )));
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            let Ok(md) = entry.path().symlink_metadata() else { continue };
            let ft = md.file_type();
            if ft.is_dir() {
                if name != ".git" {
                    stack.push((entry.path(), path));
                }
                continue;
            }
            if !ft.is_file() {
                continue;
            }
            let fm = FileMeta {
                path: &path,
                kind: FileKind::Regular,
                size: md.len(),
                mode: md.permissions().mode(),
                mtime: Some(md.mtime()),
                layer_index: 0,
                layer: None,
            };
            if collector.wants(&fm) == Want::Skip {
                continue;
            }
            match fs::File::open(entry.path()) {
                Ok(mut f) => {
                    if let Err(e) = collector.add(&fm, &mut f) {
                        collector.warn(&path, &format!("read failed: {e}"));
                    }
                }
                Err(e) => collector.warn(&path, &format!("cannot open: {e}")),
            }
        }
    }
    let name = options.source_name.clone().unwrap_or_else(|| {
        fs::canonicalize(root)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| root.display().to_string())
    });
    let source = SourceInfo {
        kind: SourceKind::Directory,
        name,
        version: options.source_version.clone().unwrap_or_default(),
        supplier: options.source_supplier.clone(),
        ..Default::default()
    };
    let created = options.created.unwrap_or_else(|| created_timestamp(collector.max_mtime()));
    Ok(collector.finish(source, created))
}
