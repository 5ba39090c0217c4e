"""sign / verify images with a managed key, in the registries and in an OCI layout; every refusal."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

import chainseal
from conftest import EXAMPLE_DIGEST, ROOT


@pytest.mark.parametrize("fmt", ["bundle", "legacy"])
def test_sign_then_verify(pushed_image: str, key_pair: chainseal.KeyPair, tmp_path: Path, fmt: str) -> None:
    report = chainseal.sign(pushed_image, key=key_pair, annotations={"env": "ci"}, format=fmt)
    assert report["signed"][0]["digest"] == EXAMPLE_DIGEST
    assert any("names a tag" in w for w in report["warnings"])

    _, public = key_pair.save(tmp_path / "k")
    for key in (key_pair, public, str(public)):
        v = chainseal.verify(pushed_image, key=key, annotations={"env": "ci"})
        assert v.digest == EXAMPLE_DIGEST and len(v.verified) == 1
        payload = v.payloads[0]
        if fmt == "bundle":
            assert payload["subject"][0]["digest"]["sha256"] == EXAMPLE_DIGEST.split(":")[1]
        else:
            assert payload["critical"]["image"]["docker-manifest-digest"] == EXAMPLE_DIGEST
        assert v.to_dict()["digest"] == EXAMPLE_DIGEST and v.checks
    # the cosign private key with its password also works as a verification key
    chainseal.verify(pushed_image, key=tmp_path / "k.key", password="test-password")


def test_verify_with_another_key_fails(pushed_image: str, key_pair: chainseal.KeyPair) -> None:
    chainseal.sign(pushed_image, key=key_pair)
    with pytest.raises(chainseal.VerificationError) as err:
        chainseal.verify(pushed_image, key=chainseal.generate_key_pair("other"))
    assert err.value.reasons and "does not verify" in err.value.reasons[0]


def test_verify_missing_annotation_fails(pushed_image: str, key_pair: chainseal.KeyPair) -> None:
    chainseal.sign(pushed_image, key=key_pair, annotations={"env": "dev"})
    with pytest.raises(chainseal.VerificationError) as err:
        chainseal.verify(pushed_image, key=key_pair, annotations={"env": "prod"})
    assert err.value.reasons


def test_unsigned_image_fails(pushed_image: str, key_pair: chainseal.KeyPair) -> None:
    with pytest.raises(chainseal.VerificationError, match="no signatures found"):
        chainseal.verify(pushed_image, key=key_pair)


def test_signature_is_bound_to_the_digest(plain_registry: str, key_pair: chainseal.KeyPair, pushed_image: str) -> None:
    """A signed image's signature says nothing about another manifest in the same repository."""
    chainseal.sign(pushed_image, key=key_pair, format="legacy")
    repo = pushed_image.rsplit(":", 1)[0]
    chainseal.copy(f"oci-dir:{ROOT / 'testdata/images/multiarch'}", f"{repo}:multi")
    with pytest.raises(chainseal.VerificationError):
        chainseal.verify(f"{repo}:multi", key=key_pair)
    chainseal.verify(pushed_image, key=key_pair)


def test_sign_layout_and_referrers_registry(
    example_layout: Path, referrers_registry: str, key_pair: chainseal.KeyPair
) -> None:
    image = f"oci-dir:{example_layout}"
    chainseal.sign(image, key=key_pair)
    assert chainseal.verify(image, key=key_pair).digest == EXAMPLE_DIGEST
    ref = f"{referrers_registry}/pytest/{uuid.uuid4().hex[:12]}:v1"
    chainseal.copy(image, ref, with_attachments=True)
    assert chainseal.inspect(ref)["referrers"]
    assert chainseal.verify(ref, key=key_pair).verified[0]["kind"] == "bundle"


def test_sign_refusals(example: Path, key_pair: chainseal.KeyPair) -> None:
    with pytest.raises(chainseal.InvalidInputError, match="only registry references"):
        chainseal.sign(f"oci-archive:{example}.tar", key=key_pair)
    with pytest.raises(chainseal.InvalidInputError, match="unknown signature format"):
        chainseal.sign(f"oci-dir:{example}", key=key_pair, format="gpg")


def test_keyless_verification_refuses_key_signatures(pushed_image: str, key_pair: chainseal.KeyPair) -> None:
    """A key-signed image never satisfies an identity policy; a half-given identity is a usage error."""
    chainseal.sign(pushed_image, key=key_pair)
    issuer = "https://token.actions.githubusercontent.com"
    identity = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
    with pytest.raises(chainseal.VerificationError) as err:
        chainseal.verify(pushed_image, identity=identity, issuer=issuer)
    assert err.value.reasons
    with pytest.raises(chainseal.InvalidInputError, match="identity"):
        chainseal.verify(pushed_image, issuer=issuer)
    with pytest.raises(chainseal.InvalidInputError, match="not both"):
        chainseal.verify(pushed_image, key=key_pair, identity="x", issuer=issuer)
    v = chainseal.verify(pushed_image, key=key_pair)
    assert v.verified[0]["signer"] == "key"


def test_verify_images_in_one_call(
    plain_registry: str, example: Path, key_pair: chainseal.KeyPair, pushed_image: str
) -> None:
    """Several images, one call: each gets its own outcome, in input order, nothing raised."""
    signed = [pushed_image]
    for _ in range(3):
        ref = f"{plain_registry}/pytest/{uuid.uuid4().hex[:12]}:v1"
        chainseal.copy(f"oci-dir:{example}", ref)
        signed.append(ref)
    for i, ref in enumerate(signed):
        chainseal.sign(ref, key=key_pair, format="legacy" if i % 2 else "bundle")
    unsigned = f"{plain_registry}/pytest/{uuid.uuid4().hex[:12]}:v1"
    chainseal.copy(f"oci-dir:{example}", unsigned)
    missing = f"{plain_registry}/pytest/{uuid.uuid4().hex[:12]}:absent"
    images = [*signed, unsigned, missing]

    outcomes = chainseal.verify_images(images, key=key_pair, max_workers=2)
    assert [o.image for o in outcomes] == images
    for o in outcomes[: len(signed)]:
        assert o.ok and o.error is None and o.verification is not None
        assert o.verification.digest == EXAMPLE_DIGEST and o.verification.verified
    bad_sig, bad_ref = outcomes[-2], outcomes[-1]
    assert not bad_sig.ok and bad_sig.verification is None
    assert isinstance(bad_sig.error, chainseal.VerificationError) and "no signatures found" in str(bad_sig.error)
    assert not bad_ref.ok and isinstance(bad_ref.error, chainseal.ChainsealError)
    assert not isinstance(bad_ref.error, chainseal.VerificationError)  # a lookup failure is not "unsigned"

    # another key: every image is refused, each with its reasons
    other = chainseal.verify_images(signed, key=chainseal.generate_key_pair("other"))
    assert all(not o.ok and isinstance(o.error, chainseal.VerificationError) and o.error.reasons for o in other)
    with pytest.raises(chainseal.InvalidInputError):
        chainseal.verify_images(signed, key=key_pair, max_workers=0)
