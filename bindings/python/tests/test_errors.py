"""The exception hierarchy and the mapping of library failures onto it."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest

import chainseal
from chainseal import errors


def test_hierarchy() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, chainseal.ChainsealError)
        assert not hasattr(builtins, name), f"{name} shadows a builtin"
        assert cls.__doc__
        assert getattr(chainseal, name) is cls
    assert issubclass(chainseal.InvalidInputError, ValueError)
    assert issubclass(chainseal.LocalFileError, OSError)
    assert not issubclass(chainseal.VerificationError, (ValueError, OSError))


def test_verification_error_carries_reasons() -> None:
    e = chainseal.VerificationError("no", ["a: bad", "b: worse"])
    assert e.reasons == ["a: bad", "b: worse"]
    assert str(e) == "no"
    assert chainseal.VerificationError("x").reasons == []


def test_invalid_reference_is_invalid_input() -> None:
    with pytest.raises(chainseal.InvalidInputError, match="whitespace"):
        chainseal.inspect("bad ref with spaces")


def test_missing_key_file_is_a_local_file_error(tmp_path: Path) -> None:
    with pytest.raises(chainseal.LocalFileError, match="nope.key"):
        chainseal.KeyPair.load(tmp_path / "nope.key", "pw")


def test_unreachable_registry_is_a_registry_error() -> None:
    config = chainseal.RegistryConfig(retries=1, timeout=5, docker_config=False)
    with pytest.raises(chainseal.RegistryError, match="127.0.0.1:1"):
        chainseal.inspect("127.0.0.1:1/nothing/here:v1", registry=config)


def test_wrong_argument_types_are_type_errors() -> None:
    with pytest.raises(TypeError):
        chainseal.generate_key_pair(1234)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        chainseal.sign_blob(b"x", key="not a key pair")  # type: ignore[arg-type]
