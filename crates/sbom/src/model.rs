//! The SBOM model: what was scanned, the components found, and how they depend on each other.
//!
//! Writers ([`crate::format`]) turn it into CycloneDX or SPDX; readers turn those back into it.

use std::collections::{BTreeMap, BTreeSet};

/// A software bill of materials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sbom {
    /// What was scanned (the image or directory): CycloneDX `metadata.component`, the SPDX root package.
    pub source: SourceInfo,
    /// The components found, sorted by [`Component::id`].
    pub components: Vec<Component>,
    /// Dependency edges between components (and from the source to what it contains), sorted.
    pub relationships: Vec<Relationship>,
    /// Problems met while cataloging (a corrupt database, a malformed lockfile); never fatal.
    pub warnings: Vec<Warning>,
    /// When the SBOM was made, RFC 3339 UTC (`2025-01-01T00:00:00Z`); derived from
    /// `SOURCE_DATE_EPOCH` or the content, so that the same input gives the same document.
    pub created: String,
    /// The tool that made the SBOM (`chainseal`, version).
    pub tool: Tool,
}

/// The tool that made an SBOM.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tool {
    /// Tool name.
    pub name: String,
    /// Tool version.
    pub version: String,
    /// The organisation behind it, for SBOM-author fields.
    pub vendor: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool { name: "chainseal".into(), version: env!("CARGO_PKG_VERSION").into(), vendor: "chainseal".into() }
    }
}

/// What kind of thing was scanned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SourceKind {
    /// A container image: installed evidence only.
    #[default]
    Image,
    /// A directory: installed and declared evidence (lockfiles, manifests).
    Directory,
}

/// The scanned image or directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceInfo {
    /// Image or directory.
    pub kind: SourceKind,
    /// Image repository name (last path segment) or directory name.
    pub name: String,
    /// Manifest digest (`sha256:…`) for images; empty for directories unless given.
    pub version: String,
    /// `pkg:oci/…` for images.
    pub purl: Option<String>,
    /// The manifest digest as a hash (algorithm, hex).
    pub hashes: Vec<Hash>,
    /// Supplier of the image (from `--source-supplier` or image metadata).
    pub supplier: Option<String>,
    /// Extra facts (index digest, tag, platform, labels): `(name, value)`, sorted.
    pub properties: Vec<(String, String)>,
}

impl SourceInfo {
    /// The id the source has in relationships (the CycloneDX `metadata.component` bom-ref).
    pub fn id(&self) -> String {
        match (&self.purl, self.kind) {
            (Some(p), _) => p.clone(),
            (None, SourceKind::Directory) => format!("dir:{}", self.name),
            (None, SourceKind::Image) => format!("image:{}@{}", self.name, self.version),
        }
    }
}

/// What a component is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ComponentKind {
    /// A library package (most packages).
    #[default]
    Library,
    /// An application (a binary, a main module).
    Application,
    /// A framework.
    Framework,
    /// The operating system (from `os-release`).
    OperatingSystem,
    /// A file.
    File,
}

/// How a component was found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum EvidenceKind {
    /// A package manager's record of an installed package (dpkg status, dist-info, installed package.json).
    #[default]
    Installed,
    /// A manifest or lockfile that declares the package (Cargo.lock, package-lock.json).
    Declared,
    /// Information embedded in a binary (Go build info, cargo-auditable).
    Binary,
    /// From an SBOM document read back.
    Document,
}

/// A component: a package, the operating system, an application.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Component {
    /// Unique id within the SBOM (CycloneDX bom-ref): the purl where there is one.
    pub id: String,
    /// Library, application, operating system.
    pub kind: ComponentKind,
    /// purl type of the ecosystem (`deb`, `npm`, `pypi`, …); empty when unknown.
    pub ecosystem: String,
    /// Group / namespace where the ecosystem has one (Maven groupId, npm scope without `@`).
    pub group: Option<String>,
    /// Package name.
    pub name: String,
    /// Version; empty when unknown.
    pub version: String,
    /// Package URL with qualifiers.
    pub purl: Option<String>,
    /// CPE 2.3 strings, only where derivable without guessing (the OS).
    pub cpes: Vec<String>,
    /// License expressions or names, as found (`MIT`, `Apache-2.0 OR MIT`, `BSD`).
    pub licenses: Vec<String>,
    /// Hashes of the evidence (package checksum, archive digest).
    pub hashes: Vec<Hash>,
    /// Supplier (distro, publisher).
    pub supplier: Option<String>,
    /// Author(s).
    pub author: Option<String>,
    /// Short description.
    pub description: Option<String>,
    /// Where the component was found.
    pub locations: Vec<Location>,
    /// Which cataloger found it (`dpkg-db`, `python-installed`, …).
    pub found_by: String,
    /// How it was found.
    pub evidence: EvidenceKind,
    /// Extra facts: `(name, value)`.
    pub properties: Vec<(String, String)>,
}

/// A hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum HashAlg {
    /// MD5.
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// CycloneDX spelling (`SHA-256`).
    pub fn cyclonedx(self) -> &'static str {
        match self {
            HashAlg::Md5 => "MD5",
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
        }
    }
    /// SPDX spelling (`SHA256`).
    pub fn spdx(self) -> &'static str {
        match self {
            HashAlg::Md5 => "MD5",
            HashAlg::Sha1 => "SHA1",
            HashAlg::Sha256 => "SHA256",
            HashAlg::Sha384 => "SHA384",
            HashAlg::Sha512 => "SHA512",
        }
    }
    /// Parse either spelling, case-insensitively.
    pub fn parse(s: &str) -> Option<HashAlg> {
        match s.to_ascii_uppercase().replace('-', "").as_str() {
            "MD5" => Some(HashAlg::Md5),
            "SHA1" => Some(HashAlg::Sha1),
            "SHA256" => Some(HashAlg::Sha256),
            "SHA384" => Some(HashAlg::Sha384),
            "SHA512" => Some(HashAlg::Sha512),
            _ => None,
        }
    }
    /// Hex length of a digest of this algorithm.
    pub fn hex_len(self) -> usize {
        match self {
            HashAlg::Md5 => 32,
            HashAlg::Sha1 => 40,
            HashAlg::Sha256 => 64,
            HashAlg::Sha384 => 96,
            HashAlg::Sha512 => 128,
        }
    }
}

/// A digest: algorithm and lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct Hash {
    /// Algorithm.
    pub alg: HashAlg,
    /// Lower-case hex of the right length.
    pub hex: String,
}

impl Hash {
    /// A hash, if `hex` is valid hex of the algorithm's length (lower-cased).
    pub fn new(alg: HashAlg, hex: &str) -> Option<Hash> {
        let hex = hex.trim().to_ascii_lowercase();
        (hex.len() == alg.hex_len() && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(Hash { alg, hex })
    }
    /// From base64 bytes (lockfile `integrity` / apk `C:` / RECORD), if they decode to the right length.
    pub fn from_base64(alg: HashAlg, b64: &str) -> Option<Hash> {
        let bytes = crate::util::base64_decode(b64)?;
        Hash::new(alg, &hex::encode(bytes))
    }
}

/// Where evidence for a component was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct Location {
    /// Path inside the image or directory, with a leading `/`.
    pub path: String,
    /// Digest of the layer that introduced the file (images only).
    pub layer: Option<String>,
}

/// The type of a relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum RelationshipKind {
    /// `from` depends on `to` (CycloneDX `dependsOn`, SPDX `DEPENDS_ON`).
    DependsOn,
    /// `from` contains `to` (the image contains its packages; SPDX `CONTAINS`).
    Contains,
}

/// An edge between two ids (components or the source).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct Relationship {
    /// The id of the dependent (or container).
    pub from: String,
    /// The edge type.
    pub kind: RelationshipKind,
    /// The id of the dependency (or contained component).
    pub to: String,
}

impl Relationship {
    /// A new edge.
    pub fn new(from: impl Into<String>, kind: RelationshipKind, to: impl Into<String>) -> Self {
        Relationship { from: from.into(), kind, to: to.into() }
    }
}

/// A problem with one piece of evidence; cataloging carried on without it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct Warning {
    /// The path of the evidence (with a leading `/`).
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl Sbom {
    /// The direct dependencies of `id` (targets of `DependsOn` and `Contains` edges).
    pub fn dependencies_of(&self, id: &str) -> Vec<&str> {
        self.relationships.iter().filter(|r| r.from == id).map(|r| r.to.as_str()).collect()
    }

    /// Look up a component by id.
    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.binary_search_by(|c| c.id.as_str().cmp(id)).ok().and_then(|i| self.components.get(i))
    }

    /// Sort components and relationships, drop duplicate edges and edges to unknown ids, so
    /// that writers produce the same bytes for the same content.
    pub fn normalize(&mut self) {
        self.components.sort_by(|a, b| a.id.cmp(&b.id));
        self.components.dedup_by(|a, b| a.id == b.id);
        for c in &mut self.components {
            c.locations.sort();
            c.locations.dedup();
            c.hashes.sort();
            c.hashes.dedup();
            c.cpes.sort();
            c.cpes.dedup();
            c.licenses.sort();
            c.licenses.dedup();
            c.properties.sort();
            c.properties.dedup();
        }
        let mut known: BTreeSet<&str> = self.components.iter().map(|c| c.id.as_str()).collect();
        let source_id = self.source.id();
        known.insert(&source_id);
        let mut rels: BTreeSet<Relationship> = BTreeSet::new();
        for r in self.relationships.drain(..) {
            if known.contains(r.from.as_str()) && known.contains(r.to.as_str()) && r.from != r.to {
                rels.insert(r);
            }
        }
        self.relationships = rels.into_iter().collect();
        self.warnings.sort();
        self.warnings.dedup();
        self.source.properties.sort();
        self.source.properties.dedup();
    }

    /// Components grouped by ecosystem (purl type), for summaries.
    pub fn count_by_ecosystem(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for c in &self.components {
            *m.entry(if c.ecosystem.is_empty() { "other".to_string() } else { c.ecosystem.clone() }).or_insert(0) += 1;
        }
        m
    }
}
