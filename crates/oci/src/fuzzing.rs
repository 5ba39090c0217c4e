//! Fuzzing harness bodies (`fuzz/fuzz_targets/*.rs` call these; so does the corpus replay test
//! `crates/chainseal/tests/fuzz_corpus.rs`). Not a stable API.
//!
//! Every function takes arbitrary bytes, must never panic, hang or allocate without bound, and
//! checks a round-trip property where the parser has a printer.

use std::io::Cursor;
use std::path::Path;

use crate::limits::Limits;
use crate::manifest::{Descriptor, Manifest, RawManifest};
use crate::media_type;
use crate::walk::{Entry, LayerVisitor, Walker, Want};
use crate::{Digest, Reference, SourceSpec};

/// Limits small enough that a fuzzer cannot spend its time decompressing: 16 MiB per layer.
fn small_limits() -> Limits {
    Limits {
        max_layer_compressed: 16 << 20,
        max_layer_uncompressed: 16 << 20,
        ratio_floor: 1 << 20,
        max_entries: 100_000,
        max_file_read: 1 << 20,
        ..Limits::default()
    }
}

/// Image references: parse; whatever parses prints back to a string that parses to the same
/// reference.
pub fn reference(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(r) = text.parse::<Reference>() {
        let printed = r.to_string();
        let again: Reference = match printed.parse() {
            Ok(a) => a,
            Err(e) => panic!("reference {text:?} printed as {printed:?} which does not parse: {e}"),
        };
        assert_eq!(r, again, "reference round trip changed {text:?}");
        let _ = r.manifest_selector();
        let _ = r.cosign_name();
    }
    let _ = text.parse::<SourceSpec>();
}

/// Digests: parse; whatever parses prints back to itself.
pub fn digest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(d) = text.parse::<Digest>() {
        let printed = d.to_string();
        assert_eq!(printed.parse::<Digest>().ok().as_ref(), Some(&d), "digest round trip changed {text:?}");
        let _ = d.referrers_fallback_tag();
        let _ = d.cosign_tag("sig");
    }
}

/// Manifests and indexes, with every content type chainseal accepts and with none.
pub fn manifest(data: &[u8]) {
    let mut types: Vec<Option<&str>> = vec![None];
    types.extend(media_type::MANIFEST_ACCEPT.iter().map(|t| Some(*t)));
    for content_type in types {
        let Ok(raw) = RawManifest::from_bytes(data.to_vec(), content_type) else { continue };
        let _ = raw.descriptor();
        match raw.parse() {
            Ok(Manifest::Image(m)) => {
                let _ = m.effective_artifact_type();
            }
            Ok(Manifest::Index(i)) => {
                for d in &i.manifests {
                    let _ = d.annotation("org.opencontainers.image.ref.name");
                }
            }
            Err(_) => {}
        }
    }
}

/// A visitor that reads every file's content (as the SBOM collector does) and checks each path
/// the walk hands out is normalised: relative, no `..`, no empty segment.
struct ReadAll;

impl LayerVisitor for ReadAll {
    fn wants(&mut self, entry: &Entry<'_>) -> Want {
        check_path(entry.path);
        Want::Content
    }
    fn visit(&mut self, entry: &Entry<'_>, content: Option<&mut dyn std::io::Read>) -> crate::Result<()> {
        if let Some(r) = content {
            let n = std::io::copy(r, &mut std::io::sink()).map_err(|e| crate::Error::io("fuzz read", e))?;
            assert!(n <= entry.size, "visitor read {n} bytes from an entry of {}", entry.size);
        }
        Ok(())
    }
}

fn check_path(path: &str) {
    assert!(!path.is_empty(), "empty path handed to a visitor");
    assert!(!path.starts_with('/'), "absolute path {path:?} handed to a visitor");
    for seg in path.split('/') {
        assert!(seg != ".." && seg != "." && !seg.is_empty(), "unnormalised path {path:?} handed to a visitor");
    }
}

/// Layer streams with whiteouts. The first byte picks the compression (tar, gzip, zstd); the
/// rest is the blob, split at the first `\0\0\0\0LAYER` marker into two layers so whiteouts
/// in the second act on the first. The descriptor digest is computed from the bytes (a
/// mismatched digest is tested elsewhere), so the walk itself is what is fuzzed.
pub fn layer(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else { return };
    let mt = match sel % 3 {
        0 => media_type::OCI_LAYER_TAR,
        1 => media_type::OCI_LAYER_GZIP,
        _ => media_type::OCI_LAYER_ZSTD,
    };
    let marker = b"\0\0\0\0LAYER";
    let blobs: Vec<&[u8]> = match rest.windows(marker.len()).position(|w| w == marker) {
        Some(i) => vec![&rest[..i], &rest[i + marker.len()..]],
        None => vec![rest],
    };
    let descriptors: Vec<Descriptor> = blobs.iter().map(|b| Descriptor::for_bytes(mt, b)).collect();
    let mut walker = Walker::new(ReadAll, small_limits());
    let mut all_read = true;
    for (blob, desc) in blobs.iter().zip(&descriptors) {
        if walker.layer(desc, Cursor::new(*blob)).is_err() {
            all_read = false;
            break;
        }
    }
    let view = walker.finish();
    // The parallel walk must agree with the sequential one: same view, or an error too.
    let open = |d: &Descriptor| -> crate::Result<Cursor<&[u8]>> {
        let i = descriptors.iter().position(|x| x == d).unwrap_or(0);
        Ok(Cursor::new(blobs[i]))
    };
    // One worker: the same record-and-replay on this thread (threads only upset the leak checker).
    let parallel = crate::walk::parallel::walk_layers_with_workers(&descriptors, |_| ReadAll, open, small_limits(), 1);
    match parallel {
        Ok((_, pview, _)) => {
            assert!(all_read && pview == view, "the parallel walk accepted what the sequential refused, or differs")
        }
        Err(_) => assert!(!all_read, "the parallel walk refused layers the sequential walk read"),
    }
    for (path, _) in view.iter() {
        check_path(path);
        let _ = view.resolve(path);
    }
}

/// A layer whose descriptor digest does not match must always be refused.
pub fn layer_digest_mismatch(data: &[u8]) {
    let mut desc = Descriptor::for_bytes(media_type::OCI_LAYER_TAR, data);
    desc.digest = Digest::sha256_of(b"something else");
    let mut walker = Walker::new(ReadAll, small_limits());
    assert!(walker.layer(&desc, Cursor::new(data)).is_err(), "a layer with the wrong digest was accepted");
}

/// docker `config.json`: credentials for a registry. Credential helpers are never run.
pub fn docker_config(data: &[u8]) {
    let no_helpers = |_: &str, _: &str| -> crate::Result<Option<crate::registry::Credential>> { Ok(None) };
    for host in ["127.0.0.1:5000", "index.docker.io", "ghcr.io"] {
        let _ = crate::registry::credentials::credentials_in(data, Path::new("config.json"), host, &no_helpers);
    }
}

/// `WWW-Authenticate` challenges from registries.
pub fn www_authenticate(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::registry::auth::parse_challenge(text);
    }
}

/// All the harnesses of this crate by target name.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("reference", reference),
    ("digest", digest),
    ("manifest", manifest),
    ("layer", layer),
    ("layer_digest_mismatch", layer_digest_mismatch),
    ("docker_config", docker_config),
    ("www_authenticate", www_authenticate),
];
