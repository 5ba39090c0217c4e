"""inspect and copy: the example layout, archives, and the local registries (plain, TLS+auth, referrers)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

import chainseal
from conftest import EXAMPLE_DIGEST, ROOT


def test_inspect_layout(example: Path) -> None:
    report = chainseal.inspect(f"oci-dir:{example}")
    assert report["digest"] == EXAMPLE_DIGEST
    assert report["layers"] and report["config"]["digest"].startswith("sha256:")
    assert report["referrers"] == [] and report["cosign_tags"] == []
    docker = chainseal.inspect(f"docker-archive:{ROOT / 'testdata/images/example.docker.tar'}", skip_attachments=True)
    assert docker["layers"]


def test_inspect_multiarch_platform() -> None:
    multi = ROOT / "testdata/images/multiarch"
    arm = chainseal.inspect(f"oci-dir:{multi}", platform="linux/arm64")
    amd = chainseal.inspect(f"oci-dir:{multi}", platform="linux/amd64")
    assert arm["index_digest"] == amd["index_digest"] and arm["digest"] != amd["digest"]
    assert any(p.startswith("linux/arm64") for p in arm["platforms"])


def test_copy_to_layout(example: Path, tmp_path: Path) -> None:
    report = chainseal.copy(f"oci-dir:{example}", f"oci-dir:{tmp_path / 'copy'}:v2")
    assert report["digest"] == EXAMPLE_DIGEST
    assert chainseal.inspect(f"oci-dir:{tmp_path / 'copy'}:v2")["digest"] == EXAMPLE_DIGEST


def test_copy_to_archive_is_refused(example: Path, tmp_path: Path) -> None:
    with pytest.raises(chainseal.InvalidInputError, match="archives cannot be copy destinations"):
        chainseal.copy(f"oci-dir:{example}", f"oci-archive:{tmp_path / 'x.tar'}")


def test_tampered_blob_is_refused(tmp_path: Path) -> None:
    # (the facade reports a digest mismatch met while streaming as an I/O error)
    with pytest.raises(chainseal.ChainsealError, match="hashes to"):
        chainseal.copy(f"oci-dir:{ROOT / 'testdata/images/digest-mismatch'}", f"oci-dir:{tmp_path / 'out'}")


def test_registry_round_trip(pushed_image: str) -> None:
    report = chainseal.inspect(pushed_image)
    assert report["digest"] == EXAMPLE_DIGEST
    assert report["reference"].endswith(":v1")


def test_tls_registry_with_credentials(example: Path, tls_registry: tuple[str, chainseal.RegistryConfig]) -> None:
    host, config = tls_registry
    ref = f"{host}/pytest/{uuid.uuid4().hex[:10]}:v1"
    assert chainseal.copy(f"oci-dir:{example}", ref, registry=config)["digest"] == EXAMPLE_DIGEST
    assert chainseal.inspect(ref, registry=config)["digest"] == EXAMPLE_DIGEST
    assert config.credential_hosts == [host]
    assert "testpass" not in repr(config)


def test_tls_registry_refusals(tls_registry: tuple[str, chainseal.RegistryConfig]) -> None:
    host, config = tls_registry
    ca = config.ca_files
    anonymous = chainseal.RegistryConfig(ca_files=ca, docker_config=False, retries=1)
    with pytest.raises(chainseal.RegistryError, match="(?i)auth|password"):
        chainseal.inspect(f"{host}/pytest/any:v1", registry=anonymous)
    wrong = chainseal.RegistryConfig(credentials={host: ("testuser", "wrong")}, ca_files=ca, docker_config=False, retries=1)
    with pytest.raises(chainseal.RegistryError):
        chainseal.inspect(f"{host}/pytest/any:v1", registry=wrong)
    untrusted = chainseal.RegistryConfig(credentials={host: ("testuser", "testpass")}, docker_config=False, retries=1)
    with pytest.raises(chainseal.RegistryError):
        chainseal.inspect(f"{host}/pytest/any:v1", registry=untrusted)


def test_missing_tag_is_not_found(plain_registry: str) -> None:
    with pytest.raises(chainseal.InvalidInputError, match="(?i)not found|unknown"):
        chainseal.inspect(f"{plain_registry}/pytest/never-pushed-{uuid.uuid4().hex[:8]}:v1")


def test_registry_config_validation() -> None:
    with pytest.raises(chainseal.InvalidInputError):
        chainseal.RegistryConfig(timeout=0)
    config = chainseal.RegistryConfig(insecure_registries=["reg.local:5000"], ca_files=[Path("/tmp/ca.pem")])
    assert config.insecure_registries == ["reg.local:5000"]
    assert [str(p) for p in config.ca_files] == ["/tmp/ca.pem"]
