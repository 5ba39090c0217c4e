//! Process-level behaviour every command shares: exit codes for bad input, no panics,
//! and a closed stdout pipe ending the run quietly.

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn chainseal() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chainseal"))
}

fn example_image() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/images/example");
    format!("oci-dir:{}", root.display())
}

#[test]
fn closed_stdout_pipe_exits_zero_without_a_panic() {
    let mut child = chainseal()
        .args(["inspect", &example_image()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chainseal");
    drop(child.stdout.take()); // the reader goes away before chainseal writes
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn malformed_input_exits_two_with_a_message() {
    for args in [
        vec!["inspect", "registry:Not A Reference"],
        vec!["inspect", "oci-dir:/nonexistent/chainseal/layout"],
        vec!["inspect", "docker.io/Alpine"],
        vec!["sbom", "dir:/nonexistent/chainseal/dir"],
    ] {
        let out = chainseal().args(&args).output().expect("run chainseal");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("error"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn unknown_platform_names_the_available_ones() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/images/multiarch");
    let out = chainseal()
        .args(["inspect", "--platform", "linux/s390x", &format!("oci-dir:{}", root.display())])
        .output()
        .expect("run chainseal");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("linux/amd64") && stderr.contains("linux/arm64"), "{stderr}");
}

#[test]
fn quiet_leaves_data_and_errors_but_no_check_lines_or_summaries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("image");
    copy_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/images/example"), &layout);
    let image = format!("oci-dir:{}", layout.display());
    let run = |args: &[&str]| {
        let out = chainseal().args(args).current_dir(dir.path()).env("CHAINSEAL_PASSWORD", "pw").output().expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(run(&["generate-key-pair"]).0, Some(0));
    let (code, _, err) = run(&["sign", "--key", "cosign.key", &image]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("Signed "), "{err}");
    let (code, _, err) = run(&["-q", "sign", "--key", "cosign.key", &image]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("Signed") && !err.contains("already carries"), "{err}");

    let (code, out, err) = run(&["verify", "--key", "cosign.pub", &image]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("check: ") && err.contains("Verified "), "{err}");
    let (code, quiet_out, quiet_err) = run(&["-q", "verify", "--key", "cosign.pub", &image]);
    assert_eq!(code, Some(0), "{quiet_err}");
    assert_eq!(quiet_out, out, "the data on stdout is the same");
    assert!(!quiet_err.contains("check: ") && !quiet_err.contains("Verified "), "{quiet_err}");
    // a failure still says why under -q
    assert_eq!(run(&["generate-key-pair", "--output-key-prefix", "other"]).0, Some(0));
    let (code, _, err) = run(&["-q", "verify", "--key", "other.pub", &image]);
    assert_eq!(code, Some(1));
    assert!(err.contains("refused") || err.contains("error"), "{err}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn a_missing_key_file_is_named_once() {
    let out = chainseal().args(["verify", "--key", "/nonexistent/cosign.pub", &example_image()]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/nonexistent/cosign.pub"), "{stderr}");
    assert_eq!(stderr.matches("No such file or directory").count(), 1, "the OS error once: {stderr}");
}
