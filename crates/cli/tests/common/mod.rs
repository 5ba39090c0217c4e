//! Helpers shared by the CLI integration tests: the local registries of scripts/registries.sh,
//! the peers of scripts/install-peers.sh, unique repository names and the test images.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The value of `var` (set by `source DIR/env.sh`); panics when it is missing.
pub(crate) fn env(var: &str) -> String {
    std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: run `bash scripts/registries.sh start DIR && source DIR/env.sh`"))
}

/// The registry in `var`, or `None` (the test says so and passes) when it is not set, except
/// under `CI=true` or `CHAINSEAL_REQUIRE_REGISTRIES=1`, where a missing registry fails.
pub(crate) fn registry(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            let required = std::env::var("CI").is_ok_and(|v| v == "true")
                || std::env::var("CHAINSEAL_REQUIRE_REGISTRIES").is_ok_and(|v| v == "1");
            assert!(!required, "{var} is not set: run `scripts/registries.sh start DIR && source DIR/env.sh`");
            eprintln!("NOT RUN: {var} is not set (start the registries with scripts/registries.sh)");
            None
        }
    }
}

/// Where scripts/install-peers.sh puts the peers (`$CHAINSEAL_TOOLS`, else the user cache).
pub(crate) fn tools_dir() -> PathBuf {
    std::env::var_os("CHAINSEAL_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/chainseal/tools"))
}

/// A peer binary (cosign, crane, …); panics when it is not installed.
pub(crate) fn tool(name: &str) -> PathBuf {
    let p = tools_dir().join("bin").join(name);
    assert!(p.is_file(), "{} is missing: run `bash scripts/install-peers.sh`", p.display());
    p
}

/// `prefix` followed by this process and the time: a name no other test run uses.
pub(crate) fn unique(prefix: &str) -> String {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}{}-{n}", std::process::id())
}

/// A test image of testdata/images (an OCI layout unless the name says otherwise).
pub(crate) fn image(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/images").join(name)
}

/// The cosign binary `v` (`cosign` or `cosign-v2`) in `dir`, with the test password and no TUF.
pub(crate) fn cosign(dir: &Path, v: &str) -> Command {
    let mut c = Command::new(tool(v));
    c.current_dir(dir).env("COSIGN_PASSWORD", "pw").env("TUF_ROOT", std::env::temp_dir().join("chainseal-no-tuf"));
    c
}

/// Run `cmd` to the end.
pub(crate) fn out(cmd: &mut Command) -> Output {
    cmd.output().expect("spawn")
}

/// Run `cmd`; it must succeed.
pub(crate) fn ok(cmd: &mut Command) -> Output {
    let o = out(cmd);
    assert!(
        o.status.success(),
        "{cmd:?} failed ({:?}):\n{}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Run `cmd`; it must exit with `want`.
pub(crate) fn code(cmd: &mut Command, want: i32) -> Output {
    let o = out(cmd);
    assert_eq!(
        o.status.code(),
        Some(want),
        "{cmd:?}:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// A run's stderr as text.
pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The referrer manifest cosign v3 writes for a DSSE `bundle` about `subject` (annotated with
/// the bundle content, `predicate_type` and, when given, the creation time), with the bundle
/// layer and the empty config it names.
pub(crate) fn bundle_referrer(
    subject: &chainseal::oci::manifest::Descriptor,
    bundle: &[u8],
    predicate_type: &str,
    created: Option<&str>,
) -> (chainseal::oci::manifest::ImageManifest, chainseal::oci::manifest::Descriptor, chainseal::oci::manifest::Descriptor)
{
    use chainseal::oci::manifest::{Descriptor, ImageManifest};
    use chainseal::oci::media_type;
    let layer = Descriptor::for_bytes(media_type::SIGSTORE_BUNDLE_V03, bundle);
    let mut config = Descriptor::for_bytes(media_type::OCI_EMPTY, media_type::OCI_EMPTY_DATA);
    config.artifact_type = Some(media_type::SIGSTORE_BUNDLE_V03.into());
    let mut annotations = std::collections::BTreeMap::from([
        (media_type::ANNOTATION_BUNDLE_CONTENT.to_string(), "dsse-envelope".to_string()),
        (media_type::ANNOTATION_BUNDLE_PREDICATE_TYPE.to_string(), predicate_type.to_string()),
    ]);
    if let Some(t) = created {
        annotations.insert(media_type::ANNOTATION_CREATED.to_string(), t.to_string());
    }
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media_type::OCI_MANIFEST.into()),
        artifact_type: Some(media_type::SIGSTORE_BUNDLE_V03.into()),
        config: config.clone(),
        layers: vec![layer.clone()],
        subject: Some(subject.clone()),
        annotations: Some(annotations),
    };
    (manifest, layer, config)
}

/// The production trusted root of the shared conformance suite (`CHAINSEAL_CONFORMANCE`, else
/// `../shared/conformance` beside the workspace), for peers run offline.
pub(crate) fn production_trusted_root() -> PathBuf {
    let conformance = std::env::var_os("CHAINSEAL_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"));
    let root = conformance.join("trusted-roots/production.trusted_root.json");
    assert!(root.is_file(), "{} is missing: set CHAINSEAL_CONFORMANCE", root.display());
    root
}
