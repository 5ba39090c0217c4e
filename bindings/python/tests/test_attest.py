"""attest / verify_attestation / tree / Sbom.attest, with the refusals (wrong key, wrong type,
another image's Statement, failed policy)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import chainseal
from conftest import EXAMPLE_DIGEST, ROOT

PROVENANCE = {
    "buildDefinition": {"buildType": "https://example.invalid/build/v1", "externalParameters": {}},
    "runDetails": {"builder": {"id": "https://example.invalid/builder"}},
}


@pytest.mark.parametrize("fmt", ["bundle", "legacy"])
def test_attest_then_verify(pushed_image: str, key_pair: chainseal.KeyPair, tmp_path: Path, fmt: str) -> None:
    report = chainseal.attest(pushed_image, key=key_pair, predicate_type="slsaprovenance1", predicate=PROVENANCE, format=fmt)
    assert report["digest"] == EXAMPLE_DIGEST
    assert report["statement"]["predicateType"] == "https://slsa.dev/provenance/v1"

    v = chainseal.verify_attestation(pushed_image, key=key_pair, predicate_type="slsaprovenance1")
    assert v.digest == EXAMPLE_DIGEST
    [statement] = v.statements
    assert statement["subject"][0]["digest"]["sha256"] == EXAMPLE_DIGEST.split(":")[1]
    assert statement["predicate"]["runDetails"]["builder"]["id"] == "https://example.invalid/builder"
    _, public = key_pair.save(tmp_path / "k")
    assert chainseal.verify_attestation(pushed_image, key=public).verified

    items = chainseal.tree(pushed_image)["items"]
    assert any(i["kind"] == "attestation" for i in items), items


def test_predicate_from_file_and_bytes(pushed_image: str, key_pair: chainseal.KeyPair, tmp_path: Path) -> None:
    f = tmp_path / "predicate.json"
    f.write_text(json.dumps({"hello": "world"}))
    chainseal.attest(pushed_image, key=key_pair, predicate_type="custom", predicate=f)
    chainseal.attest(pushed_image, key=key_pair, predicate_type="https://example.invalid/t/v1", predicate=b'{"n": 1}')
    v = chainseal.verify_attestation(pushed_image, key=key_pair, predicate_type="https://example.invalid/t/v1")
    assert [s["predicate"] for s in v.statements] == [{"n": 1}]


def test_refusals(pushed_image: str, key_pair: chainseal.KeyPair) -> None:
    with pytest.raises(chainseal.VerificationError, match="no attestation"):
        chainseal.verify_attestation(pushed_image, key=key_pair)
    chainseal.attest(pushed_image, key=key_pair, predicate_type="slsaprovenance1", predicate=PROVENANCE)
    with pytest.raises(chainseal.VerificationError) as err:
        chainseal.verify_attestation(pushed_image, key=chainseal.generate_key_pair("x"))
    assert err.value.reasons
    with pytest.raises(chainseal.VerificationError, match="of type"):
        chainseal.verify_attestation(pushed_image, key=key_pair, predicate_type="cyclonedx")
    with pytest.raises(chainseal.InvalidInputError):
        chainseal.attest(pushed_image, key=key_pair, predicate_type="slsaprovenance1", predicate=b"not json")
    with pytest.raises(chainseal.InvalidInputError, match="unknown attestation format"):
        chainseal.attest(pushed_image, key=key_pair, predicate_type="custom", predicate={}, format="x")


def test_policy(pushed_image: str, key_pair: chainseal.KeyPair, tmp_path: Path) -> None:
    sbom = chainseal.sbom(pushed_image)
    assert sbom.digest == EXAMPLE_DIGEST
    report = sbom.attest(key=key_pair)
    assert report["predicate_type"] == "https://cyclonedx.org/bom"

    ok = {"version": 1, "predicateTypes": ["cyclonedx"], "rules": [
        {"name": "no-gpl3", "predicateType": "cyclonedx", "path": "/components/*/licenses/*/license/id", "notContains": "GPL-3.0-only"}]}
    v = chainseal.verify_attestation(pushed_image, key=key_pair, policy=ok)
    assert v.statements[0]["predicate"]["bomFormat"] == "CycloneDX"
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(ok))
    chainseal.verify_attestation(pushed_image, key=key_pair, policy=policy_file)

    needs_provenance = {"version": 1, "predicateTypes": ["slsaprovenance1"]}
    with pytest.raises(chainseal.VerificationError, match="policy") as err:
        chainseal.verify_attestation(pushed_image, key=key_pair, policy=needs_provenance)
    assert err.value.reasons
    with pytest.raises(chainseal.InvalidInputError):
        chainseal.verify_attestation(pushed_image, key=key_pair, policy={"version": 1, "misspelt": []})


def test_directory_sbom_cannot_be_attested(key_pair: chainseal.KeyPair) -> None:
    sbom = chainseal.sbom(f"dir:{ROOT / 'testdata/rootfs/example'}")
    assert sbom.digest is None
    with pytest.raises(chainseal.InvalidInputError, match="directory"):
        sbom.attest(key=key_pair)


def test_layout_attest_and_tree(example_layout: Path, key_pair: chainseal.KeyPair) -> None:
    image = f"oci-dir:{example_layout}"
    chainseal.sign(image, key=key_pair)
    chainseal.sbom(image).attest(key=key_pair)
    kinds = sorted(i["kind"] for i in chainseal.tree(image)["items"])
    assert "signature" in kinds and "attestation" in kinds
    assert chainseal.verify_attestation(image, key=key_pair, predicate_type="cyclonedx").statements
