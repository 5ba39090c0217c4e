"""chainseal.sbom / read_sbom on the example image, its archives, a directory and a registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import chainseal
from conftest import ROOT


def test_sbom_of_the_example_layout(example: Path) -> None:
    sbom = chainseal.sbom(f"oci-dir:{example}", formats=["cyclonedx-json", "spdx-json"])
    assert sbom.formats == ["cyclonedx-json", "spdx-json"]
    names = {c.name for c in sbom.components}
    assert "base-files" in names
    assert len(sbom) == len(sbom.components) > 0
    deb = next(c for c in sbom.components if c.name == "base-files")
    assert deb.purl is not None and deb.purl.startswith("pkg:deb/debian/base-files@")
    assert deb.kind == "library" and deb.ecosystem == "deb" and deb.locations
    assert sbom.source_name == "example"
    cdx = json.loads(sbom.to_json())
    assert cdx["bomFormat"] == "CycloneDX" and cdx["specVersion"] == "1.6"
    spdx = json.loads(sbom.to_json("spdx-json"))
    assert spdx["spdxVersion"] == "SPDX-2.3"
    assert sbom.to_bytes("spdx-json") == sbom.to_json("spdx-json").encode()
    assert "Sbom(" in repr(sbom) and "base-files" in repr(deb)


def test_path_like_and_archives_agree(example: Path) -> None:
    by_layout = chainseal.sbom(example, created=0)  # a bare OCI layout directory, as os.PathLike
    docker = chainseal.sbom(f"docker-archive:{ROOT / 'testdata/images/example.docker.tar'}", created=0)
    oci = chainseal.sbom(f"oci-archive:{ROOT / 'testdata/images/example.oci.tar'}", created=0)

    def purls(s: chainseal.Sbom) -> list[str]:
        return sorted(c.purl or c.name for c in s.components)

    assert purls(by_layout) == purls(docker) == purls(oci)
    assert by_layout.created.startswith("1970-01-01")


def test_deterministic(example: Path) -> None:
    a = chainseal.sbom(f"oci-dir:{example}", created=1700000000).to_json("spdx-json")
    b = chainseal.sbom(f"oci-dir:{example}", created=1700000000).to_json("spdx-json")
    assert a == b


def test_directory_source() -> None:
    sbom = chainseal.sbom(f"dir:{ROOT / 'testdata' / 'rootfs' / 'example'}")
    assert isinstance(sbom.components, list)


def test_read_sbom_round_trip(example: Path) -> None:
    sbom = chainseal.sbom(f"oci-dir:{example}")
    back = chainseal.read_sbom(sbom.to_bytes())
    assert sorted(c.id for c in back.components) == sorted(c.id for c in sbom.components)


def test_unknown_format_is_invalid_input(example: Path) -> None:
    with pytest.raises(chainseal.InvalidInputError, match="no-such-format"):
        chainseal.sbom(f"oci-dir:{example}", formats=["no-such-format"])
    sbom = chainseal.sbom(f"oci-dir:{example}")
    with pytest.raises(chainseal.InvalidInputError):
        sbom.to_json("xml")


def test_malformed_document_is_invalid_input() -> None:
    with pytest.raises(chainseal.InvalidInputError):
        chainseal.read_sbom(b'{"neither": "cyclonedx nor spdx"}')


def test_missing_source(tmp_path: Path) -> None:
    with pytest.raises(chainseal.ChainsealError):
        chainseal.sbom(f"oci-dir:{tmp_path / 'missing'}")


def test_tampered_image_is_refused() -> None:
    with pytest.raises(chainseal.InvalidInputError, match="(?i)digest"):
        chainseal.sbom(f"oci-dir:{ROOT / 'testdata/images/digest-mismatch'}")


def test_sbom_from_registry(pushed_image: str) -> None:
    sbom = chainseal.sbom(pushed_image, formats=["spdx-json"])
    assert "base-files" in {c.name for c in sbom.components}
    assert sbom.source_name == pushed_image.rsplit("/", 1)[1].split(":")[0]
