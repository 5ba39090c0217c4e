//! chainseal-sbom: catalogers, the SBOM model, and the CycloneDX / SPDX writers and readers.
//!
//! - Directories: [`scan_directory`].
//! - Images: feed the file events of one pass over the squashed layers into a [`Collector`]
//!   ([`Collector::wants`] → [`Collector::add`], [`Collector::whiteout`]), then
//!   [`Collector::finish`]. Nothing is extracted to disk. [`ImageVisitor`] does this for a
//!   layer walk; with the parallel walk, one visitor per layer ([`ImageVisitor::for_layer`])
//!   and [`ImageVisitor::finish_layers`].
//! - Output: [`format::write`] with a [`Format`]; input: [`format::read`].

mod binary_budget;
mod catalog;
mod collect;
pub mod cpe;
mod error;
pub mod format;
mod image;
mod license_text;
mod limits;
pub mod model;
pub mod purl;
mod scan;
mod util;

pub use collect::{Collector, FileKind, FileMeta, Want};
pub use error::{Error, Result};
pub use format::Format;
pub use image::{ImageVisitor, image_source};
pub use limits::Limits;
pub use model::{
    Component, ComponentKind, EvidenceKind, Hash, HashAlg, Location, Relationship, RelationshipKind, Sbom, SourceInfo,
    SourceKind, Tool, Warning,
};
pub use scan::{ScanOptions, created_timestamp, scan_directory};
#[doc(hidden)]
pub mod fuzzing;
