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
