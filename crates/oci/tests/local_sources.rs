//! Integration tests over the generated images in testdata/images (scripts/make-testdata.py).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chainseal_oci::manifest::Platform;
use chainseal_oci::source::ContentSource;
use chainseal_oci::walk::{Deletion, Entry, LayerVisitor, SquashedView, Want};
use chainseal_oci::{DockerArchive, Error, Limits, OciArchive, OciLayout, SourceSpec, resolve_image};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn images() -> PathBuf {
    root().join("testdata/images")
}

/// Collects the files SBOM catalogers would want, plus deletions.
#[derive(Default)]
struct Catalog {
    contents: BTreeMap<(String, usize), Vec<u8>>,
    deleted: Vec<(String, bool)>,
}

impl LayerVisitor for Catalog {
    fn wants(&mut self, e: &Entry<'_>) -> Want {
        let interesting = e.path == "var/lib/dpkg/status"
            || e.path.ends_with(".dist-info/METADATA")
            || e.path.ends_with("/package.json")
            || e.path.ends_with("Cargo.lock")
            || e.path.starts_with("usr/lib/os-release")
            || e.path.starts_with("tmp/")
            || e.path.starts_with("opt/legacy/");
        if interesting && e.kind.is_file() { Want::Content } else { Want::Skip }
    }
    fn visit(&mut self, e: &Entry<'_>, content: Option<&mut dyn Read>) -> chainseal_oci::Result<()> {
        let mut v = Vec::new();
        if let Some(r) = content {
            r.read_to_end(&mut v).map_err(|e| Error::Visitor(e.to_string()))?;
        }
        self.contents.insert((e.path.to_string(), e.layer.index), v);
        Ok(())
    }
    fn deleted(&mut self, d: &Deletion<'_>) -> chainseal_oci::Result<()> {
        self.deleted.push((d.path.to_string(), d.opaque));
        Ok(())
    }
}

async fn walk(source: Arc<dyn ContentSource>, selector: &str) -> chainseal_oci::Result<(Catalog, SquashedView)> {
    let limits = Limits::default();
    let image = resolve_image(source.as_ref(), selector, None, &limits).await?;
    image.walk(source, Catalog::default(), limits).await
}

fn check_example(catalog: &Catalog, view: &SquashedView) {
    // The whiteout and the opaque directory of layer 2 are applied.
    assert!(view.get("tmp/build.log").is_none());
    assert!(view.get("opt/legacy/README").is_none());
    assert!(view.get("opt/legacy/conf/old.conf").is_none());
    assert!(view.is_current("opt/legacy/NEW", 2));
    assert!(catalog.deleted.contains(&("tmp/build.log".into(), false)));
    assert!(catalog.deleted.contains(&("opt/legacy".into(), true)));
    // Results for deleted paths are dropped by checking the view.
    let current: Vec<&str> =
        catalog.contents.keys().filter(|(p, l)| view.is_current(p, *l)).map(|(p, _)| p.as_str()).collect();
    assert!(!current.contains(&"tmp/build.log"));
    assert!(current.contains(&"var/lib/dpkg/status"));
    assert!(current.contains(&"app/node_modules/left-pad/package.json"));
    assert!(current.contains(&"usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA"));
    assert!(current.contains(&"app/Cargo.lock"));
    let status = &catalog.contents[&("var/lib/dpkg/status".to_string(), 0)];
    assert!(String::from_utf8_lossy(status).contains("Package: libc6"));
    // etc/os-release is a symlink into usr/lib, as on Debian.
    let (target, entry) = view.resolve("etc/os-release").unwrap();
    assert_eq!(target, "usr/lib/os-release");
    assert!(entry.kind.is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_layout_walks_to_the_squashed_view() {
    let layout = OciLayout::open(images().join("example")).await.unwrap();
    let image = resolve_image(&layout, "latest", None, &Limits::default()).await.unwrap();
    assert_eq!(image.layers().len(), 3);
    assert_eq!(image.config.architecture, "amd64");
    assert_eq!(image.config.diff_ids.len(), 3);
    assert!(image.index.is_none());
    let (catalog, view) = walk(Arc::new(layout), "").await.unwrap();
    check_example(&catalog, &view);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oci_archive_and_docker_archive_match_the_layout() {
    let limits = Limits::default();
    let layout = OciLayout::open(images().join("example")).await.unwrap();
    let from_layout = resolve_image(&layout, "latest", None, &limits).await.unwrap();

    let archive = OciArchive::open(images().join("example.oci.tar"), limits).await.unwrap();
    let from_archive = resolve_image(&archive, "latest", None, &limits).await.unwrap();
    assert_eq!(from_archive.digest(), from_layout.digest());
    let (catalog, view) = walk(Arc::new(archive), "latest").await.unwrap();
    check_example(&catalog, &view);

    let docker = DockerArchive::open(images().join("example.docker.tar"), limits).await.unwrap();
    assert_eq!(docker.tags().await.unwrap(), vec!["chainseal/example:latest"]);
    let from_docker = resolve_image(&docker, "chainseal/example:latest", None, &limits).await.unwrap();
    // Same config (image ID); layers are the uncompressed tars, so their digests are the diff_ids.
    assert_eq!(from_docker.image.config.digest, from_layout.image.config.digest);
    let layer_digests: Vec<String> = from_docker.layers().iter().map(|d| d.digest.to_string()).collect();
    assert_eq!(layer_digests, from_layout.config.diff_ids);
    assert_eq!(from_docker.manifest.media_type, chainseal_oci::media_type::DOCKER_MANIFEST);
    let (catalog, view) = walk(Arc::new(docker), "").await.unwrap();
    check_example(&catalog, &view);
}

#[tokio::test]
async fn multiarch_picks_the_platform_and_keeps_both_digests() {
    let limits = Limits::default();
    let layout = OciLayout::open(images().join("multiarch")).await.unwrap();
    let amd = resolve_image(&layout, "latest", None, &limits).await.unwrap();
    let index_digest = amd.index_digest().unwrap().clone();
    assert_ne!(&index_digest, amd.digest());
    assert_eq!(amd.config.architecture, "amd64");
    assert_eq!(amd.platforms.iter().map(ToString::to_string).collect::<Vec<_>>(), ["linux/amd64", "linux/arm64/v8"]);
    let arm = resolve_image(&layout, "latest", Some(&Platform::parse("linux/arm64").unwrap()), &limits).await.unwrap();
    assert_eq!(arm.config.architecture, "arm64");
    assert_eq!(arm.index_digest(), Some(&index_digest));
    let err =
        resolve_image(&layout, "latest", Some(&Platform::parse("linux/riscv64").unwrap()), &limits).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("linux/amd64") && msg.contains("linux/arm64/v8"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zstd_uncompressed_and_config_only_images() {
    for (name, file) in [("zstd", "etc/zstd"), ("uncompressed", "etc/uncompressed")] {
        let layout = OciLayout::open(images().join(name)).await.unwrap();
        let (_, view) = walk(Arc::new(layout), "latest").await.unwrap();
        assert!(view.is_current(file, 0), "{name}");
    }
    let layout = OciLayout::open(images().join("config-only")).await.unwrap();
    let (_, view) = walk(Arc::new(layout), "latest").await.unwrap();
    assert!(view.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_images_fail_with_typed_errors() {
    let layout = OciLayout::open(images().join("truncated-gzip")).await.unwrap();
    let err = walk(Arc::new(layout), "latest").await.err().unwrap();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    let layout = OciLayout::open(images().join("digest-mismatch")).await.unwrap();
    let err = walk(Arc::new(layout), "latest").await.err().unwrap();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert!(matches!(OciLayout::open(images().join("nope")).await, Err(Error::NotFound(_))));
    assert!(OciArchive::open(images().join("example.docker.tar"), Limits::default()).await.is_err());
    assert!(DockerArchive::open(images().join("example.oci.tar"), Limits::default()).await.is_err());
}

#[tokio::test]
async fn source_specs_open_local_sources() {
    let dir = images();
    for (spec, selector) in [
        (format!("oci-dir:{}/example:latest", dir.display()), "latest"),
        (format!("oci-dir:{}/example", dir.display()), ""),
        (format!("oci-archive:{}/example.oci.tar", dir.display()), ""),
        (format!("docker-archive:{}/example.docker.tar", dir.display()), ""),
    ] {
        let spec = SourceSpec::parse(&spec).unwrap();
        assert_eq!(spec.selector(), selector);
        let source = spec.open_local(Limits::default()).await.unwrap().unwrap();
        let image = resolve_image(source.as_ref(), &spec.selector(), None, &Limits::default()).await.unwrap();
        assert_eq!(image.layers().len(), 3, "{spec}");
    }
    assert!(SourceSpec::parse("localhost:5000/a:b").unwrap().open_local(Limits::default()).await.unwrap().is_none());
}

#[tokio::test]
async fn copy_between_layouts_keeps_digests() {
    use chainseal_oci::source::ContentSink;
    let src = OciLayout::open(images().join("multiarch")).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dst = OciLayout::create(tmp.path().join("copy")).await.unwrap();
    let top = src.manifest("latest").await.unwrap();
    let index = match top.parse().unwrap() {
        chainseal_oci::manifest::Manifest::Index(i) => i,
        _ => panic!("expected an index"),
    };
    for child in &index.manifests {
        let raw = src.manifest(&child.digest.to_string()).await.unwrap();
        let chainseal_oci::manifest::Manifest::Image(m) = raw.parse().unwrap() else { panic!() };
        for blob in m.layers.iter().chain(std::iter::once(&m.config)) {
            let stream = src.blob(blob).await.unwrap();
            dst.put_blob(blob, stream).await.unwrap();
        }
        dst.put_blob_bytes(&raw.descriptor(), &raw.bytes).await.unwrap();
    }
    dst.put_manifest(&top, Some("latest")).await.unwrap();
    let again = resolve_image(&dst, "latest", None, &Limits::default()).await.unwrap();
    assert_eq!(again.index_digest(), Some(&top.digest));
}

fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn testdata_regenerates_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("images");
    let status = std::process::Command::new("python3")
        .arg(root().join("scripts/make-testdata.py"))
        .arg(&out)
        .status()
        .expect("python3 is needed to regenerate the test images");
    assert!(status.success());
    let committed = files_under(&images());
    let fresh = files_under(&out);
    assert_eq!(committed.keys().collect::<Vec<_>>(), fresh.keys().collect::<Vec<_>>());
    for (path, bytes) in &committed {
        assert!(&fresh[path] == bytes, "{} differs from a fresh generation", path.display());
    }
}
