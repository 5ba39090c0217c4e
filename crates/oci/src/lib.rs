//! chainseal-oci: everything chainseal knows about OCI images and registries.
//!
//! - [`Digest`] and [`Reference`]: content addresses and image references, parsed and
//!   normalised the way docker and cosign do.
//! - [`manifest`]: OCI / Docker manifests, indexes and descriptors, kept next to their exact bytes.
//! - [`media_type`]: the media types and annotation keys that matter to chainseal.
//!
//! The crate never signs and never knows about keys; see `chainseal-sign` for that.

mod digest;
mod error;
pub mod manifest;
pub mod media_type;
mod reference;

pub use digest::{Digest, DigestAlgorithm, DigestHasher};
pub use error::{Error, Result};
pub use reference::{DEFAULT_REGISTRY, Reference};
pub mod blob;
mod limits;
pub mod source;
pub mod tag_lock;
pub mod walk;
pub use limits::Limits;
pub mod archive;
pub mod image;
pub mod layout;
pub mod spec;
pub use archive::{DockerArchive, OciArchive};
pub use image::{ResolvedImage, resolve_image};
pub use layout::OciLayout;
pub use spec::SourceSpec;
pub mod copy;
#[doc(hidden)]
pub mod fuzzing;
pub mod registry;
