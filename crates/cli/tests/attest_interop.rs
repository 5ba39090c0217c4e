//! Attestations against the real cosign (v3 bundle referrers and legacy `.att` tags), both
//! directions, on the local registries of scripts/registries.sh (`source DIR/env.sh` first),
//! plus the refusals: another image's statement, wrong predicate type, tampered predicate, a
//! signer the policy does not name, a failing policy assertion. A missing registry or peer
//! FAILS these tests.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{code, cosign, env, ok, out, stderr, tool, tools_dir, unique};

fn chainseal(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chainseal"));
    c.current_dir(dir).env_remove("COSIGN_PASSWORD").env("CHAINSEAL_PASSWORD", "pw");
    for v in ["GITHUB_ACTIONS", "GITLAB_CI"] {
        c.env_remove(v);
    }
    c
}

/// Push the example image and a different one; return (repo, repo@a, repo@b).
fn push_images(dir: &Path, host: &str) -> (String, String, String) {
    let repo = format!("{host}/{}", unique("att"));
    ok(chainseal(dir)
        .arg("copy")
        .arg(format!("oci-dir:{}", common::image("example").display()))
        .arg(format!("{repo}:a")));
    ok(chainseal(dir).arg("copy").arg(format!("oci-dir:{}", common::image("zstd").display())).arg(format!("{repo}:b")));
    let digest = |tag: &str| {
        let o = ok(Command::new(tool("crane")).args(["digest", &format!("{repo}:{tag}")]));
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    let (a, b) = (digest("a"), digest("b"));
    (repo.clone(), format!("{repo}@{a}"), format!("{repo}@{b}"))
}

fn keys(dir: &Path) {
    ok(chainseal(dir).args(["generate-key-pair", "--output-key-prefix", "cs"]));
    ok(chainseal(dir).args(["generate-key-pair", "--output-key-prefix", "other"]));
    ok(cosign(dir, "cosign").args(["generate-key-pair", "--output-key-prefix", "co"]));
}

fn both_registries() -> Vec<String> {
    vec![env("CHAINSEAL_TEST_REGISTRY_PLAIN"), env("CHAINSEAL_TEST_REGISTRY_REFERRERS")]
}

fn statements(o: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice(&o.stdout).expect("verify-attestation prints a JSON array")
}

/// A copy of the example layout to attest into (air-gapped tests).
fn layout_copy(dir: &Path) -> String {
    let dst = dir.join("img");
    ok(chainseal(dir)
        .arg("copy")
        .arg(format!("oci-dir:{}", common::image("example").display()))
        .arg(format!("oci-dir:{}", dst.display())));
    format!("oci-dir:{}", dst.display())
}

#[test]
fn cosign_verifies_chainseal_attestations() {
    for host in both_registries() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keys(d);
        let (_, a, b) = push_images(d, &host);
        // v3 layout: SBOM generated, written and attested in one command.
        ok(chainseal(d).args(["sbom", "--attest", "--key", "cs.key", "-o", "cyclonedx-json=bom.json", &a]));
        ok(cosign(d, "cosign").args([
            "verify-attestation",
            "--key",
            "cs.pub",
            "--insecure-ignore-tlog",
            "--type",
            "cyclonedx",
            &a,
        ]));
        // cosign refuses another key and another type.
        assert!(
            !out(cosign(d, "cosign").args([
                "verify-attestation",
                "--key",
                "co.pub",
                "--insecure-ignore-tlog",
                "--type",
                "cyclonedx",
                &a
            ]))
            .status
            .success()
        );
        assert!(
            !out(cosign(d, "cosign").args([
                "verify-attestation",
                "--key",
                "cs.pub",
                "--insecure-ignore-tlog",
                "--type",
                "spdx",
                &a
            ]))
            .status
            .success()
        );
        // Legacy `.att` (on an image without referrers) for cosign v2 and v3.
        ok(chainseal(d).args([
            "attest",
            "--format",
            "legacy",
            "--key",
            "cs.key",
            "--type",
            "cyclonedx",
            "--predicate",
            "bom.json",
            &b,
        ]));
        ok(cosign(d, "cosign-v2").args([
            "verify-attestation",
            "--key",
            "cs.pub",
            "--insecure-ignore-tlog",
            "--type",
            "cyclonedx",
            &b,
        ]));
        ok(cosign(d, "cosign").args([
            "verify-attestation",
            "--key",
            "cs.pub",
            "--insecure-ignore-tlog",
            "--type",
            "cyclonedx",
            &b,
        ]));
        // Custom predicates are wrapped like cosign's.
        std::fs::write(d.join("note.txt"), "hello\n").unwrap();
        ok(chainseal(d).args(["attest", "--format", "legacy", "--key", "cs.key", "--predicate", "note.txt", &b]));
        ok(cosign(d, "cosign-v2").args([
            "verify-attestation",
            "--key",
            "cs.pub",
            "--insecure-ignore-tlog",
            "--type",
            "custom",
            &b,
        ]));
    }
}

#[test]
fn chainseal_verifies_cosign_attestations() {
    for host in both_registries() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keys(d);
        let (_, a, _) = push_images(d, &host);
        ok(chainseal(d).args(["sbom", "-o", "cyclonedx-json=bom.json", "-o", "spdx-json=bom.spdx.json", &a]));
        // cosign v3 default (bundle referrer), cosign v3 legacy, cosign v2 legacy.
        ok(cosign(d, "cosign").args([
            "attest",
            "--key",
            "co.key",
            "--type",
            "cyclonedx",
            "--predicate",
            "bom.json",
            "--use-signing-config=false",
            "--tlog-upload=false",
            "-y",
            &a,
        ]));
        ok(cosign(d, "cosign").args([
            "attest",
            "--key",
            "co.key",
            "--type",
            "custom",
            "--predicate",
            "bom.json",
            "--new-bundle-format=false",
            "--use-signing-config=false",
            "--tlog-upload=false",
            "-y",
            &a,
        ]));
        ok(cosign(d, "cosign-v2").args([
            "attest",
            "--key",
            "co.key",
            "--type",
            "spdxjson",
            "--predicate",
            "bom.spdx.json",
            "--tlog-upload=false",
            "-y",
            &a,
        ]));
        let all = statements(&ok(chainseal(d).args(["verify-attestation", "--key", "co.pub", &a])));
        assert_eq!(all.len(), 3, "{all:?}");
        for (t, uri) in [
            ("cyclonedx", "https://cyclonedx.org/bom"),
            ("custom", "https://cosign.sigstore.dev/attestation/v1"),
            ("spdx", "https://spdx.dev/Document"),
        ] {
            let s = statements(&ok(chainseal(d).args(["verify-attestation", "--key", "co.pub", "--type", t, &a])));
            assert_eq!(s.len(), 1, "{t}: {s:?}");
            assert_eq!(s[0]["predicateType"], uri);
            assert_eq!(s[0]["_type"], "https://in-toto.io/Statement/v0.1");
        }
        // The wrong key: exit 1, each refusal explained.
        let o = code(chainseal(d).args(["verify-attestation", "--key", "cs.pub", &a]), 1);
        assert!(stderr(&o).contains("does not verify"), "{}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
}

/// Digests `cosign tree` prints (referrer manifests and 🍒 layers).
fn cosign_tree_digests(text: &str) -> BTreeSet<String> {
    let mut s = BTreeSet::new();
    for line in text.lines().skip(1) {
        for part in line.split(['@', ' ', ':']).collect::<Vec<_>>().windows(2) {
            if part[0] == "sha256" && part[1].len() == 64 {
                s.insert(format!("sha256:{}", part[1]));
            }
        }
        if let Some(i) = line.find("sha256-") {
            s.insert(line[i..].trim().trim_end_matches(".att").trim_end_matches(".sig").to_string());
        }
    }
    s
}

#[test]
fn tree_lists_what_cosign_tree_lists() {
    for host in both_registries() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keys(d);
        let (_, a, _) = push_images(d, &host);
        ok(chainseal(d).args(["sbom", "--attest", "--key", "cs.key", "-o", "cyclonedx-json=bom.json", &a]));
        ok(chainseal(d).args(["sign", "--key", "cs.key", &a]));
        ok(chainseal(d).args(["sign", "--format", "legacy", "--key", "cs.key", &a]));
        ok(chainseal(d).args([
            "attest",
            "--format",
            "legacy",
            "--key",
            "cs.key",
            "--type",
            "cyclonedx",
            "--predicate",
            "bom.json",
            &a,
        ]));
        ok(cosign(d, "cosign").args([
            "attest",
            "--key",
            "co.key",
            "--type",
            "cyclonedx",
            "--predicate",
            "bom.json",
            "--use-signing-config=false",
            "--tlog-upload=false",
            "-y",
            &a,
        ]));
        let theirs = String::from_utf8(ok(cosign(d, "cosign").args(["tree", &a])).stdout).unwrap();
        let o = ok(chainseal(d).args(["tree", "-o", "json", &a]));
        let ours: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let mut mine = BTreeSet::new();
        for item in ours["items"].as_array().unwrap() {
            mine.insert(item["layer"]["digest"].as_str().unwrap().to_string());
            if item["via"] == "referrer" {
                mine.insert(item["digest"].as_str().unwrap().to_string());
            } else {
                let tag = item["location"].as_str().unwrap();
                mine.insert(tag.trim_end_matches(".att").trim_end_matches(".sig").to_string());
            }
        }
        assert_eq!(cosign_tree_digests(&theirs), mine, "cosign tree:\n{theirs}\nchainseal:\n{ours:#}");
        let kinds: Vec<(&str, &str)> = ours["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["kind"].as_str().unwrap(), i["predicate_type"].as_str().unwrap_or("")))
            .collect();
        assert_eq!(kinds.iter().filter(|k| k.0 == "signature").count(), 2, "{kinds:?}");
        assert_eq!(
            kinds.iter().filter(|k| *k == &("attestation", "https://cyclonedx.org/bom")).count(),
            3,
            "{kinds:?}"
        );
        // Text output names every item too.
        let text = String::from_utf8(ok(chainseal(d).args(["tree", &a])).stdout).unwrap();
        for item in ours["items"].as_array().unwrap() {
            assert!(text.contains(item["digest"].as_str().unwrap()), "{text}");
        }
    }
}

#[test]
fn attested_sbom_downloads_identical_and_valid() {
    let host = env("CHAINSEAL_TEST_REGISTRY_PLAIN");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    let (_, a, _) = push_images(d, &host);
    ok(chainseal(d).args(["sbom", "--attest", "--key", "cs.key", "-o", "cyclonedx-json=bom.json", &a]));
    ok(chainseal(d).args(["download", "sbom", "--output-file", "dl.json", &a]));
    assert_eq!(std::fs::read(d.join("bom.json")).unwrap(), std::fs::read(d.join("dl.json")).unwrap());
    let py = tools_dir().join("venv/bin/python");
    assert!(py.is_file(), "{} is missing: run scripts/install-peers.sh", py.display());
    let check = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
problems = JsonStrictValidator(SchemaVersion.from_version("1.6")).validate_str(open(sys.argv[1]).read())
sys.exit(0 if problems is None else 1)
"#;
    ok(Command::new(py).arg("-c").arg(check).arg(d.join("dl.json")));
    // The attestations download as JSON lines: one bundle per line.
    let o = ok(chainseal(d).args(["download", "attestation", "--predicate-type", "cyclonedx", &a]));
    let lines: Vec<&[u8]> = o.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1);
    let bundle: serde_json::Value = serde_json::from_slice(lines[0]).unwrap();
    assert_eq!(bundle["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json");
}

#[test]
fn air_gapped_layout_round_trip_and_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    let img = layout_copy(d);
    ok(chainseal(d).args(["sbom", "--attest", "--key", "cs.key", "-o", "spdx-json=bom.spdx.json", &img]));
    ok(chainseal(d)
        .args([
            "attest",
            "--key",
            "cs.key",
            "--type",
            "slsaprovenance",
            "--provenance-from-env",
            "--format",
            "legacy",
            &img,
        ])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_WORKFLOW_REF", "acme/app/.github/workflows/release.yml@refs/heads/main")
        .env("GITHUB_RUN_ID", "7"));
    let s =
        statements(&ok(chainseal(d).args(["verify-attestation", "--key", "cs.pub", "--type", "slsaprovenance", &img])));
    assert_eq!(s.len(), 1);
    assert_eq!(
        s[0]["predicate"]["runDetails"]["builder"]["id"],
        "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
    );
    let s = statements(&ok(chainseal(d).args(["verify-attestation", "--key", "cs.pub", "--type", "spdxjson", &img])));
    assert_eq!(s.len(), 1, "versioned spelling matches");
    ok(chainseal(d).args(["download", "sbom", "--output-file", "dl.spdx.json", &img]));
    assert_eq!(std::fs::read(d.join("bom.spdx.json")).unwrap(), std::fs::read(d.join("dl.spdx.json")).unwrap());
    // Provenance printed outside CI needs flags.
    code(chainseal(d).arg("provenance"), 2);
    let o = ok(chainseal(d).args([
        "provenance",
        "--builder-id",
        "https://ci.example/b",
        "--build-type",
        "https://ci.example/t",
    ]));
    let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(p["runDetails"]["builder"]["id"], "https://ci.example/b");
}

#[test]
fn refused_statement_about_another_image() {
    let host = env("CHAINSEAL_TEST_REGISTRY_PLAIN");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    let (repo, a, b) = push_images(d, &host);
    ok(chainseal(d).args(["sbom", "-o", "cyclonedx-json=bom.json", &a]));
    ok(chainseal(d).args([
        "attest",
        "--format",
        "legacy",
        "--key",
        "cs.key",
        "--type",
        "cyclonedx",
        "--predicate",
        "bom.json",
        &a,
    ]));
    // Move A's `.att` image to B's tag: the signature is valid, but the Statement names A.
    let hex = |r: &str| r.rsplit_once("sha256:").unwrap().1.to_string();
    ok(Command::new(tool("crane")).args([
        "copy",
        &format!("{repo}:sha256-{}.att", hex(&a)),
        &format!("{repo}:sha256-{}.att", hex(&b)),
    ]));
    let o = code(chainseal(d).args(["verify-attestation", "--key", "cs.pub", "--type", "cyclonedx", &b]), 1);
    assert!(stderr(&o).contains("another image"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    ok(chainseal(d).args(["verify-attestation", "--key", "cs.pub", "--type", "cyclonedx", &a]));
}

#[test]
fn refused_wrong_predicate_type() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    let img = layout_copy(d);
    ok(chainseal(d).args(["sbom", "--attest", "--key", "cs.key", "-o", "cyclonedx-json=bom.json", &img]));
    for t in ["spdx", "slsaprovenance", "custom", "https://cyclonedx.org/bomb"] {
        let o = code(chainseal(d).args(["verify-attestation", "--key", "cs.pub", "--type", t, &img]), 1);
        assert!(stderr(&o).contains("does not match"), "{t}: {}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
    // A versioned predicate type matches its family.
    ok(chainseal(d).args([
        "attest",
        "--key",
        "cs.key",
        "--type",
        "https://cyclonedx.org/bom/v1.6",
        "--predicate",
        "bom.json",
        &img,
    ]));
    let s = statements(&ok(chainseal(d).args(["verify-attestation", "--key", "cs.pub", "--type", "cyclonedx", &img])));
    assert_eq!(s.len(), 2);
}

/// Rewrite the payload of the one `.att` layer in a layout, keeping its signature.
fn tamper_att_layer(layout: &Path) {
    use sha2::Digest as _;
    let put = |bytes: &[u8]| -> String {
        let hex = hex::encode(sha2::Sha256::digest(bytes));
        std::fs::write(layout.join("blobs/sha256").join(&hex), bytes).unwrap();
        format!("sha256:{hex}")
    };
    let read =
        |digest: &str| std::fs::read(layout.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))).unwrap();
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let entry = index["manifests"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str().is_some_and(|t| t.ends_with(".att")))
        .expect("an .att tag");
    let mut manifest: serde_json::Value = serde_json::from_slice(&read(entry["digest"].as_str().unwrap())).unwrap();
    let layer = &mut manifest["layers"][0];
    let mut envelope: serde_json::Value = serde_json::from_slice(&read(layer["digest"].as_str().unwrap())).unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64.decode(envelope["payload"].as_str().unwrap()).unwrap();
    let mut statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    statement["predicate"]["components"] = serde_json::json!([]);
    envelope["payload"] = b64.encode(serde_json::to_vec(&statement).unwrap()).into();
    let env_bytes = serde_json::to_vec(&envelope).unwrap();
    layer["digest"] = put(&env_bytes).into();
    layer["size"] = env_bytes.len().into();
    let m_bytes = serde_json::to_vec(&manifest).unwrap();
    entry["digest"] = put(&m_bytes).into();
    entry["size"] = m_bytes.len().into();
    std::fs::write(layout.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

#[test]
fn refused_tampered_predicate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    let img = layout_copy(d);
    ok(chainseal(d).args(["sbom", "-o", "cyclonedx-json=bom.json", &img]));
    ok(chainseal(d).args([
        "attest",
        "--format",
        "legacy",
        "--key",
        "cs.key",
        "--type",
        "cyclonedx",
        "--predicate",
        "bom.json",
        &img,
    ]));
    ok(chainseal(d).args(["verify-attestation", "--key", "cs.pub", "--type", "cyclonedx", &img]));
    tamper_att_layer(&d.join("img"));
    let o = code(chainseal(d).args(["verify-attestation", "--key", "cs.pub", "--type", "cyclonedx", &img]), 1);
    assert!(stderr(&o).contains("does not verify"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
}

#[test]
fn refused_signer_the_policy_does_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    let img = layout_copy(d);
    ok(chainseal(d).args(["sbom", "--attest", "--key", "other.key", "-o", "cyclonedx-json=bom.json", &img]));
    std::fs::write(d.join("policy.yaml"), "version: 1\npredicateTypes: [cyclonedx]\nsigners:\n  - key: cs.pub\n")
        .unwrap();
    // The policy's key did not sign it: nothing verifies.
    let o = code(chainseal(d).args(["verify-attestation", "--policy", "policy.yaml", &img]), 1);
    assert!(stderr(&o).contains("no trusted signer"), "{}", stderr(&o));
    // Verified with the signer's own key, the policy still refuses: it does not name that key.
    let o = code(chainseal(d).args(["verify-attestation", "--key", "other.pub", "--policy", "policy.yaml", &img]), 1);
    assert!(stderr(&o).contains("policy rule `signers` failed"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    // Naming the signer passes.
    std::fs::write(d.join("ok.yaml"), "signers:\n  - key: other.pub\npredicateTypes: [cyclonedx]\n").unwrap();
    ok(chainseal(d).args(["verify-attestation", "--policy", "ok.yaml", &img]));
}

#[test]
fn refused_failing_policy_assertion() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    let img = layout_copy(d);
    ok(chainseal(d).args(["sbom", "--attest", "--key", "cs.key", "-o", "cyclonedx-json=bom.json", &img]));
    ok(chainseal(d)
        .args(["attest", "--key", "cs.key", "--type", "slsaprovenance", "--provenance-from-env", &img])
        .args(["--builder-id", "https://ci.example/builder", "--build-type", "https://ci.example/t/v1"]));
    let bom: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("bom.json")).unwrap()).unwrap();
    let some_name = bom["components"][0]["name"].as_str().unwrap().to_string();
    let pass = format!(
        "predicateTypes: [cyclonedx, slsaprovenance]\nsigners:\n  - key: cs.pub\nrules:\n  - name: builder\n    predicateType: slsaprovenance\n    path: /runDetails/builder/id\n    equals: https://ci.example/builder\n  - name: no-forbidden\n    predicateType: cyclonedx\n    path: /components/*/name\n    notIn: [definitely-not-there]\n"
    );
    std::fs::write(d.join("pass.yaml"), pass).unwrap();
    let o = ok(chainseal(d).args(["verify-attestation", "--key", "cs.pub", "--policy", "pass.yaml", &img]));
    assert_eq!(statements(&o).len(), 2);
    // "no component named X" fails when X is there; "builder id is Y" fails for another builder.
    let fail = format!(
        "rules:\n  - name: no-{some_name}\n    predicateType: cyclonedx\n    path: /components/*/name\n    notContains: {some_name}\n  - name: builder\n    predicateType: slsaprovenance\n    path: /runDetails/builder/id\n    equals: https://evil.example/builder\n"
    );
    std::fs::write(d.join("fail.yaml"), fail).unwrap();
    let o = code(chainseal(d).args(["verify-attestation", "--key", "cs.pub", "--policy", "fail.yaml", &img]), 1);
    let err = stderr(&o);
    assert!(err.contains(&format!("policy rule `no-{some_name}` failed")), "{err}");
    assert!(err.contains("policy rule `builder` failed"), "{err}");
    assert!(o.stdout.is_empty());
    // A policy that does not parse is a usage error.
    std::fs::write(d.join("bad.yaml"), "rules:\n  - name: x\n    path: /a\n    equls: 1\n").unwrap();
    code(chainseal(d).args(["verify-attestation", "--key", "cs.pub", "--policy", "bad.yaml", &img]), 2);
}

#[test]
fn legacy_attest_deduplicates_and_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    let img = layout_copy(d);
    ok(chainseal(d).args(["sbom", "-o", "cyclonedx-json=bom.json", &img]));
    let attest = |extra: &[&str]| {
        let mut c = chainseal(d);
        c.args(["attest", "--format", "legacy", "--key", "cs.key", "--type", "cyclonedx", "--predicate", "bom.json"]);
        c.args(extra).arg(&img);
        ok(&mut c)
    };
    attest(&[]);
    let o = attest(&[]);
    assert!(stderr(&o).contains("already carries"), "{}", stderr(&o));
    ok(chainseal(d).args([
        "attest",
        "--format",
        "legacy",
        "--key",
        "other.key",
        "--type",
        "cyclonedx",
        "--predicate",
        "bom.json",
        &img,
    ]));
    let count = || {
        let o = ok(chainseal(d).args(["tree", "-o", "json", &img]));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["items"].as_array().unwrap().len()
    };
    assert_eq!(count(), 2);
    attest(&["--replace"]);
    assert_eq!(count(), 1);
    ok(chainseal(d).args(["verify-attestation", "--key", "cs.pub", &img]));
    code(chainseal(d).args(["verify-attestation", "--key", "other.pub", &img]), 1);
}
