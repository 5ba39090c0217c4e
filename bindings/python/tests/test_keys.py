"""Key pairs: generate, save (cosign files, 0600), load, public key, no secrets in repr."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import chainseal


@pytest.mark.parametrize(
    "algorithm,details",
    [("ecdsa-p256", "PKIX_ECDSA_P256_SHA_256"), ("ecdsa-p384", "PKIX_ECDSA_P384_SHA_384"), ("ed25519", "PKIX_ED25519")],
)
def test_generate_save_load(tmp_path: Path, algorithm: str, details: str) -> None:
    kp = chainseal.generate_key_pair(b"pw bytes", algorithm=algorithm)
    assert kp.algorithm == details
    private, public = kp.save(tmp_path / "cosign")
    assert Path(private) == tmp_path / "cosign.key" and Path(public) == tmp_path / "cosign.pub"
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert Path(private).read_text().startswith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
    assert Path(public).read_text() == kp.public_key_pem
    again = chainseal.KeyPair.load(str(private), b"pw bytes")
    assert again.public_key_pem == kp.public_key_pem
    assert chainseal.public_key_pem(public) == kp.public_key_pem
    assert chainseal.public_key_pem(private, "pw bytes") == kp.public_key_pem


def test_wrong_password_is_refused(tmp_path: Path, key_pair: chainseal.KeyPair) -> None:
    private, _ = key_pair.save(tmp_path / "k")
    with pytest.raises(chainseal.InvalidInputError, match="wrong password"):
        chainseal.KeyPair.load(private, "not-the-password")


def test_existing_files_are_not_replaced_without_force(tmp_path: Path, key_pair: chainseal.KeyPair) -> None:
    key_pair.save(tmp_path / "k")
    with pytest.raises(chainseal.InvalidInputError, match="already exists"):
        key_pair.save(tmp_path / "k")
    other = chainseal.generate_key_pair("x")
    other.save(tmp_path / "k", force=True)
    assert chainseal.public_key_pem(tmp_path / "k.pub") == other.public_key_pem


def test_unknown_algorithm() -> None:
    with pytest.raises(chainseal.InvalidInputError, match="rsa-1024"):
        chainseal.generate_key_pair("pw", algorithm="rsa-1024")


def test_not_a_key_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.key"
    junk.write_text("hello")
    with pytest.raises(chainseal.InvalidInputError):
        chainseal.KeyPair.load(junk, "pw")


def test_repr_shows_no_secret(key_pair: chainseal.KeyPair) -> None:
    text = repr(key_pair)
    assert "test-password" not in text and "PRIVATE" not in text
    assert "PKIX_ECDSA_P256_SHA_256" in text
