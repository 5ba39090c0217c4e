//! SBOM end to end: the example image and the cataloger fixtures, every format through its
//! official validator (cyclonedx-python-lib strict schema, pyspdxtools, ntia-conformance-checker
//! for SPDX 2.3 and 3.0.1), our own referential check, determinism, and reading back.
//!
//! The validators live in the tools venv (`scripts/install-peers.sh`); a missing validator is
//! a test failure, never a skip.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use chainseal::sbom::{Format, SbomOptions};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn venv_bin(tool: &str) -> PathBuf {
    let tools = std::env::var("CHAINSEAL_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/chainseal/tools"));
    let p = tools.join("venv/bin").join(tool);
    assert!(p.exists(), "validator {} is missing: run scripts/install-peers.sh", p.display());
    p
}

const CDX_CHECK: &str = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
problems = JsonStrictValidator(SchemaVersion.from_version(sys.argv[2])).validate_str(open(sys.argv[1]).read(), all_errors=True)
if problems is None:
    sys.exit(0)
for p in ([problems] if hasattr(problems, "data") else problems):
    print("schema:", getattr(p.data, "json_path", "?"), getattr(p.data, "message", p.data))
sys.exit(1)
"#;

fn run_ok(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} rejected the document:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Duplicate bom-refs, dangling dependency refs, components without a dependencies entry.
fn cdx_refs_check(doc: &serde_json::Value) {
    let mut refs = Vec::new();
    refs.push(doc["metadata"]["component"]["bom-ref"].as_str().expect("root bom-ref").to_string());
    for c in doc["components"].as_array().expect("components") {
        refs.push(c["bom-ref"].as_str().expect("bom-ref").to_string());
    }
    let set: HashSet<&String> = refs.iter().collect();
    assert_eq!(set.len(), refs.len(), "duplicate bom-refs");
    let mut with_entry = HashSet::new();
    for d in doc["dependencies"].as_array().expect("dependencies") {
        let r = d["ref"].as_str().expect("ref").to_string();
        assert!(set.contains(&r), "dangling dependency ref {r}");
        for t in d["dependsOn"].as_array().expect("dependsOn") {
            assert!(set.contains(&t.as_str().expect("str").to_string()), "dangling dependsOn {t}");
        }
        with_entry.insert(r);
    }
    for r in &refs {
        assert!(with_entry.contains(r), "{r} has no dependencies entry");
    }
}

fn validate_all(sbom: &chainseal::sbom::Sbom, dir: &Path, ntia: bool) {
    let py = venv_bin("python");
    let script = dir.join("cdx_check.py");
    std::fs::write(&script, CDX_CHECK).expect("write script");
    for (format, file, version) in
        [(Format::CycloneDxJson16, "bom.cdx.json", "1.6"), (Format::CycloneDxJson15, "bom15.cdx.json", "1.5")]
    {
        let path = dir.join(file);
        let bytes = chainseal::sbom::write(sbom, format);
        std::fs::write(&path, &bytes).expect("write");
        run_ok(Command::new(&py).arg(&script).arg(&path).arg(version), &format!("CycloneDX {version} strict schema"));
        cdx_refs_check(&serde_json::from_slice(&bytes).expect("json"));
    }
    let spdx = dir.join("bom.spdx.json");
    std::fs::write(&spdx, chainseal::sbom::write(sbom, Format::SpdxJson23)).expect("write");
    run_ok(Command::new(venv_bin("pyspdxtools")).arg("-i").arg(&spdx), "pyspdxtools (SPDX 2.3)");
    let spdx3 = dir.join("bom.spdx3.json");
    std::fs::write(&spdx3, chainseal::sbom::write(sbom, Format::Spdx3JsonLd)).expect("write");
    let sbomcheck = venv_bin("sbomcheck");
    if ntia {
        run_ok(Command::new(&sbomcheck).args(["-c", "ntia"]).arg(&spdx), "NTIA minimum elements (SPDX 2.3)");
        run_ok(
            Command::new(&sbomcheck).args(["-s", "spdx3", "-c", "ntia"]).arg(&spdx3),
            "NTIA minimum elements (SPDX 3.0.1)",
        );
    } else {
        // still must parse as SPDX 3.0.1 (spdx-python-model), whatever the conformance verdict
        let out = Command::new(&sbomcheck)
            .args(["-s", "spdx3", "-c", "ntia", "-r", "json"])
            .arg(&spdx3)
            .output()
            .expect("run sbomcheck");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("isConformant") || text.contains("conformant"),
            "SPDX 3 document did not parse: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn purls(s: &chainseal::sbom::Sbom) -> BTreeSet<String> {
    s.components.iter().filter_map(|c| c.purl.clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn example_image_sbom_is_exact_valid_and_deterministic() {
    let img = root().join("testdata/images/example");
    let mut opts = SbomOptions::new();
    opts.created = Some(1_700_000_000);
    opts.source_supplier = Some("Example Org".into());
    let src = format!("oci-dir:{}", img.display());
    let sbom = chainseal::sbom::sbom(&src, &opts).await.expect("sbom");
    let got = purls(&sbom);
    let want: BTreeSet<String> = [
        "pkg:deb/debian/base-files@12.4+deb12u8?arch=amd64&distro=debian-12",
        "pkg:deb/debian/gcc-12-base@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12",
        "pkg:deb/debian/libc6@2.36-9+deb12u9?arch=amd64&distro=debian-12&upstream=glibc",
        "pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12",
        "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib",
        "pkg:npm/example-app@0.1.0",
        "pkg:npm/left-pad@1.3.0",
        "pkg:pypi/requests@2.31.0",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    // installed evidence only: the lockfiles in /app are declared evidence and not reported for images
    assert_eq!(got, want);
    assert!(sbom.source.purl.as_deref().is_some_and(|p| p.starts_with("pkg:oci/example@sha256%3A")));
    for c in &sbom.components {
        assert!(
            c.locations.iter().all(|l| l.layer.as_deref().is_some_and(|d| d.starts_with("sha256:"))),
            "{} lacks a layer",
            c.id
        );
    }
    let libc = sbom.components.iter().find(|c| c.name == "libc6").expect("libc6");
    assert!(sbom.dependencies_of(&libc.id).iter().any(|d| d.contains("libgcc-s1")), "dpkg Depends edge missing");
    let app = sbom.components.iter().find(|c| c.name == "example-app").expect("app");
    assert!(sbom.dependencies_of(&app.id).iter().any(|d| d.contains("left-pad")), "npm tree edge missing");

    let dir = tempfile::tempdir().expect("tempdir");
    validate_all(&sbom, dir.path(), true);

    // byte-identical on a second run, and the same through every format
    let again = chainseal::sbom::sbom(&src, &opts).await.expect("sbom");
    for f in [Format::CycloneDxJson16, Format::CycloneDxJson15, Format::SpdxJson23, Format::Spdx3JsonLd] {
        assert_eq!(chainseal::sbom::write(&sbom, f), chainseal::sbom::write(&again, f), "{f} not deterministic");
        let back = chainseal::sbom::read(&chainseal::sbom::write(&sbom, f)).expect("read back");
        assert_eq!(purls(&back), got, "{f} read back lost components");
        assert_eq!(back.source.name, "example");
    }
    let back = chainseal::sbom::read(&chainseal::sbom::write(&sbom, Format::CycloneDxJson16)).expect("read");
    assert_eq!(back.relationships, sbom.relationships, "CycloneDX round trip changed the graph");
}

#[test]
fn fixtures_directory_every_ecosystem_and_bad_input() {
    let dir = root().join("testdata/sbom");
    let mut opts = SbomOptions::new();
    opts.created = Some(1_700_000_000);
    opts.source_supplier = Some("Example Org".into());
    let sbom = chainseal::sbom::sbom_directory(&dir, &opts).expect("scan");
    let got = purls(&sbom);
    for p in [
        "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl",
        "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3",
        "pkg:pypi/attrs@23.2.0",
        "pkg:pypi/six@1.16.0",
        "pkg:pypi/flask@3.0.3",
        "pkg:pypi/requests@2.32.3",
        "pkg:pypi/click@8.1.7",
        "pkg:pypi/idna@3.7",
        "pkg:pypi/certifi@2024.7.4",
        "pkg:npm/debug@4.3.4",
        "pkg:npm/debug@2.6.9",
        "pkg:npm/%40babel/highlight@7.24.7",
        "pkg:npm/lodash@4.17.21",
        "pkg:npm/supports-color@9.4.0",
        "pkg:npm/loose-envify@1.4.0",
        "pkg:cargo/serde@1.0.204",
        "pkg:golang/github.com/spf13/cobra@v1.8.1",
        "pkg:maven/com.google.guava/guava@33.2.1-jre",
        "pkg:gem/rack-test@2.1.0",
        "pkg:composer/psr/log@3.0.0",
        "pkg:nuget/Newtonsoft.Json@13.0.3",
    ] {
        assert!(got.contains(p), "missing {p}; got {got:#?}");
    }
    assert!(
        !got.iter().any(|p| p.contains("unpinned") || p.contains("workspace")),
        "unpinned or workspace entries reported"
    );
    // malformed inputs are warnings naming the file, and the rest is still there
    for bad in [
        "/bad/hostile.dist-info/METADATA",
        "/bad/lock/package-lock.json",
        "/bad/lock/Cargo.lock",
        "/bad/lock/pnpm-lock.yaml",
        "/bad/lock/broken.deps.json",
    ] {
        assert!(sbom.warnings.iter().any(|w| w.path == bad), "no warning for {bad}: {:?}", sbom.warnings);
    }
    // lockfile graphs
    let edge = |from: &str, to: &str| sbom.relationships.iter().any(|r| r.from.contains(from) && r.to.contains(to));
    assert!(edge("npm/debug@4.3.4", "npm/ms@2.1.2"));
    assert!(edge("npm/express@4.19.2", "npm/debug@2.6.9"));
    assert!(edge("npm/react@18.3.1", "npm/loose-envify@1.4.0"));
    assert!(edge("npm/chalk@5.3.0", "npm/supports-color@9.4.0"));
    assert!(edge("%40babel/code-frame", "%40babel/highlight"));
    assert!(edge("pypi/attrs", "pypi/six"));
    assert!(edge("cargo/demo", "cargo/serde"));
    assert!(edge("composer/monolog", "composer/psr/log"));
    assert!(edge("apk/alpine/busybox", "apk/alpine/musl"));
    let dir = tempfile::tempdir().expect("tempdir");
    validate_all(&sbom, dir.path(), false);
}

#[test]
fn hostile_databases_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for (path, bytes) in [
        ("var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0garbage garbage garbage".to_vec()),
        ("var/lib/dpkg/status", vec![0xff; 4096]),
        ("lib/apk/db/installed", b"P:\nV:\n\n\n:::\n".to_vec()),
        ("x/node_modules/a/package.json", b"{\"name\": 5, \"version\": []}".to_vec()),
        ("y.jar", b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff".to_vec()),
        ("z/yarn.lock", b"\"a@^1\":\n  version\n    dependencies:\n      b\n".to_vec()),
    ] {
        let p = d.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, bytes).expect("write");
    }
    let sbom = chainseal::sbom::sbom_directory(d, &SbomOptions::new()).expect("scan survives");
    assert!(sbom.warnings.iter().any(|w| w.path == "/var/lib/rpm/rpmdb.sqlite"), "{:?}", sbom.warnings);
}
