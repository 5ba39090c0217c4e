//! Cross-check with skopeo, an independent OCI client: it must read chainseal's test layouts
//! and agree on every digest. Fails (does not skip) when skopeo is missing: install it with
//! `apt-get install skopeo` or run scripts/install-peers.sh.

use std::path::{Path, PathBuf};
use std::process::Command;

use chainseal_oci::{Digest, DockerArchive, Limits, OciLayout, resolve_image};

fn images() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/images")
}

fn skopeo(args: &[&str]) -> Vec<u8> {
    let out = Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo is required for this test: apt-get install skopeo (scripts/install-peers.sh does it)");
    assert!(out.status.success(), "skopeo {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

#[tokio::test]
async fn skopeo_reads_the_layouts_and_agrees_on_digests() {
    let limits = Limits::default();
    for name in ["example", "multiarch", "zstd", "uncompressed", "config-only"] {
        let dir = images().join(name);
        let transport = format!("oci:{}:latest", dir.display());
        let layout = OciLayout::open(&dir).await.unwrap();
        let image = resolve_image(&layout, "latest", None, &limits).await.unwrap();

        let raw = skopeo(&["inspect", "--raw", &transport]);
        assert_eq!(&Digest::sha256_of(&raw), image.top_digest(), "{name}: raw manifest digest");

        let info = json(&skopeo(&["inspect", "--override-os", "linux", "--override-arch", "amd64", &transport]));
        // skopeo reports the digest the tag points at (the index for a multi-arch image).
        assert_eq!(info["Digest"].as_str().unwrap(), image.top_digest().to_string(), "{name}: digest");
        let layers: Vec<String> = image.layers().iter().map(|d| d.digest.to_string()).collect();
        let theirs: Vec<String> =
            info["Layers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        assert_eq!(theirs, layers, "{name}: layers");

        let config =
            skopeo(&["inspect", "--config", "--raw", "--override-os", "linux", "--override-arch", "amd64", &transport]);
        assert_eq!(Digest::sha256_of(&config), image.image.config.digest, "{name}: config digest");
    }
}

#[tokio::test]
async fn skopeo_and_chainseal_agree_on_the_docker_archive() {
    let path = images().join("example.docker.tar");
    let archive = DockerArchive::open(&path, Limits::default()).await.unwrap();
    let image = resolve_image(&archive, "", None, &Limits::default()).await.unwrap();
    let transport = format!("docker-archive:{}", path.display());
    let info = json(&skopeo(&["inspect", &transport]));
    let layers: Vec<String> = image.layers().iter().map(|d| d.digest.to_string()).collect();
    let theirs: Vec<String> =
        info["Layers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(theirs, layers);
    let config = skopeo(&["inspect", "--config", "--raw", &transport]);
    assert_eq!(Digest::sha256_of(&config), image.image.config.digest);
}

#[tokio::test]
async fn skopeo_and_chainseal_pick_the_same_arm64_image() {
    let dir = images().join("multiarch");
    let layout = OciLayout::open(&dir).await.unwrap();
    let arm64 = chainseal_oci::manifest::Platform::parse("linux/arm64").unwrap();
    let image = resolve_image(&layout, "latest", Some(&arm64), &Limits::default()).await.unwrap();
    let transport = format!("oci:{}:latest", dir.display());
    let config =
        skopeo(&["inspect", "--config", "--raw", "--override-arch", "arm64", "--override-os", "linux", &transport]);
    assert_eq!(Digest::sha256_of(&config), image.image.config.digest);
}

/// Archives written by skopeo (not by our generator) read the same through chainseal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chainseal_reads_archives_written_by_skopeo() {
    let tmp = tempfile::tempdir().unwrap();
    let src = format!("oci:{}:latest", images().join("example").display());
    let layout = OciLayout::open(images().join("example")).await.unwrap();
    let original = resolve_image(&layout, "latest", None, &Limits::default()).await.unwrap();

    let oci_tar = tmp.path().join("skopeo.oci.tar");
    skopeo(&["copy", "-q", &src, &format!("oci-archive:{}:latest", oci_tar.display())]);
    let archive = chainseal_oci::OciArchive::open(&oci_tar, Limits::default()).await.unwrap();
    let image = resolve_image(&archive, "latest", None, &Limits::default()).await.unwrap();
    assert_eq!(image.digest(), original.digest(), "skopeo keeps the manifest bytes");
    let (_, view) =
        image.walk(std::sync::Arc::new(archive), chainseal_oci::walk::NoVisitor, Limits::default()).await.unwrap();
    assert!(view.get("tmp/build.log").is_none());

    let docker_tar = tmp.path().join("skopeo.docker.tar");
    skopeo(&["copy", "-q", &src, &format!("docker-archive:{}:chainseal/example:v1", docker_tar.display())]);
    let archive = DockerArchive::open(&docker_tar, Limits::default()).await.unwrap();
    let image = resolve_image(&archive, "chainseal/example:v1", None, &Limits::default()).await.unwrap();
    assert_eq!(image.image.config.digest, original.image.config.digest);
    let (_, view) =
        image.walk(std::sync::Arc::new(archive), chainseal_oci::walk::NoVisitor, Limits::default()).await.unwrap();
    assert!(view.is_current("opt/legacy/NEW", 2));
}
