"""The CI scripts in examples/ run end to end against the local registry."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import chainseal
from conftest import ROOT


@pytest.fixture()
def image_ref(example: Path, plain_registry: str) -> str:
    ref = f"{plain_registry}/examples/{uuid.uuid4().hex[:12]}:v1"
    chainseal.copy(f"oci-dir:{example}", ref)
    return ref


def run(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CHAINSEAL_PASSWORD="example-password")
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def test_sbom_sign_verify_then_gate(image_ref: str, tmp_path: Path) -> None:
    r = run("ci_sbom_sign_verify.py", image_ref, "--out", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "sbom.cdx.json").is_file() and (tmp_path / "cosign.pub").is_file()
    assert "verified" in r.stdout and "SBOM attestation" in r.stdout

    ok = run("ci_gate_deploy.py", image_ref, "--key", str(tmp_path / "cosign.pub"), "--require-package", "base-files", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "DEPLOY" in ok.stdout

    denied = run(
        "ci_gate_deploy.py", image_ref, "--key", str(tmp_path / "cosign.pub"), "--deny-package", "base-files", cwd=tmp_path
    )
    assert denied.returncode == 1, denied.stdout + denied.stderr
    assert "policy" in denied.stderr


def test_gate_refuses_unsigned_image(image_ref: str, tmp_path: Path) -> None:
    kp = chainseal.generate_key_pair("x")
    _, public = kp.save(tmp_path / "other")
    r = run("ci_gate_deploy.py", image_ref, "--key", str(public), cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "signature" in r.stderr


def test_gate_refuses_signed_image_without_attestation(image_ref: str, tmp_path: Path) -> None:
    kp = chainseal.generate_key_pair("x")
    _, public = kp.save(tmp_path / "k")
    chainseal.sign(image_ref, key=kp)
    r = run("ci_gate_deploy.py", image_ref, "--key", str(public), cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "attestation" in r.stderr and "DEPLOY" not in r.stdout
