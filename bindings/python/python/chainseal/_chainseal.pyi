"""Type stubs for the private extension module ``chainseal._chainseal`` (checked by stubtest)."""

import os
from typing import Any, Mapping, Sequence, Union, final
from chainseal.errors import ChainsealError

_Path = Union[str, "os.PathLike[str]"]
_Password = Union[str, bytes]

__version__: str
__all__ = [
    "AttestationVerification",
    "BlobVerification",
    "Component",
    "ImageOutcome",
    "ImageVerification",
    "KeyPair",
    "RegistryConfig",
    "Sbom",
    "__version__",
    "attest",
    "copy",
    "generate_key_pair",
    "inspect",
    "public_key_pem",
    "read_sbom",
    "sbom",
    "sign",
    "sign_blob",
    "tree",
    "verify",
    "verify_attestation",
    "verify_blob",
    "verify_bundle",
    "verify_images",
]

@final
class RegistryConfig:
    def __new__(
        cls,
        *,
        credentials: Mapping[str, tuple[str, str]] | None = None,
        insecure_registries: Sequence[str] = ...,
        ca_files: Sequence[_Path] = ...,
        docker_config: _Path | bool | None = None,
        retries: int = 5,
        timeout: float = 30.0,
    ) -> RegistryConfig: ...
    @property
    def insecure_registries(self) -> list[str]: ...
    @property
    def ca_files(self) -> list[os.PathLike[str]]: ...
    @property
    def credential_hosts(self) -> list[str]: ...

@final
class Component:
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def ecosystem(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def purl(self) -> str | None: ...
    @property
    def licenses(self) -> list[str]: ...
    @property
    def cpes(self) -> list[str]: ...
    @property
    def supplier(self) -> str | None: ...
    @property
    def found_by(self) -> str: ...
    @property
    def locations(self) -> list[str]: ...

@final
class Sbom:
    def to_json(self, format: str | None = None) -> str: ...
    def to_bytes(self, format: str | None = None) -> bytes: ...
    @property
    def formats(self) -> list[str]: ...
    @property
    def components(self) -> list[Component]: ...
    @property
    def source_name(self) -> str: ...
    @property
    def source_version(self) -> str: ...
    @property
    def created(self) -> str: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def digest(self) -> str | None: ...
    def attest(
        self,
        *,
        key: KeyPair,
        format: str | None = None,
        attestation_format: str = "bundle",
        replace: bool = False,
    ) -> dict[str, Any]: ...
    def __len__(self) -> int: ...

def sbom(
    source: _Path,
    formats: Sequence[str] | None = None,
    *,
    platform: str | None = None,
    registry: RegistryConfig | None = None,
    source_name: str | None = None,
    source_version: str | None = None,
    source_supplier: str | None = None,
    created: int | None = None,
) -> Sbom: ...
def read_sbom(document: bytes) -> Sbom: ...

@final
class KeyPair:
    @staticmethod
    def load(path: _Path, password: _Password) -> KeyPair: ...
    def save(self, prefix: _Path, *, force: bool = False) -> tuple[os.PathLike[str], os.PathLike[str]]: ...
    @property
    def public_key_pem(self) -> str: ...
    @property
    def algorithm(self) -> str: ...

def generate_key_pair(password: _Password, *, algorithm: str = "ecdsa-p256") -> KeyPair: ...
def public_key_pem(path: _Path, password: _Password | None = None) -> str: ...

@final
class BlobVerification:
    @property
    def signer(self) -> str: ...
    @property
    def identity(self) -> str | None: ...
    @property
    def issuer(self) -> str | None: ...
    @property
    def verified_times(self) -> list[str]: ...
    @property
    def tlog_verified(self) -> bool: ...
    @property
    def sct_verified(self) -> bool: ...

def sign_blob(artifact: bytes | _Path, *, key: KeyPair) -> bytes: ...
def verify_blob(
    artifact: bytes | _Path,
    bundle: bytes | _Path,
    *,
    key: _Path | None = None,
    identity: str | None = None,
    identity_regexp: str | None = None,
    issuer: str | None = None,
    issuer_regexp: str | None = None,
    claims: Mapping[str, str] | None = None,
    trusted_root: _Path | None = None,
    staging: bool = False,
) -> BlobVerification: ...
def verify_bundle(
    bundle: bytes | _Path,
    artifact: bytes | _Path,
    *,
    key: _Path | None = None,
    identity: str | None = None,
    identity_regexp: str | None = None,
    issuer: str | None = None,
    issuer_regexp: str | None = None,
    claims: Mapping[str, str] | None = None,
    trusted_root: _Path | None = None,
    staging: bool = False,
) -> BlobVerification: ...
def inspect(
    source: _Path,
    *,
    platform: str | None = None,
    registry: RegistryConfig | None = None,
    skip_attachments: bool = False,
) -> dict[str, Any]: ...
def copy(
    source: _Path,
    dest: _Path,
    *,
    registry: RegistryConfig | None = None,
    with_attachments: bool = False,
) -> dict[str, Any]: ...
def sign(
    image: _Path,
    *,
    key: KeyPair,
    annotations: Mapping[str, str] | None = None,
    format: str = "bundle",
    recursive: bool = False,
    registry: RegistryConfig | None = None,
) -> dict[str, Any]: ...

@final
class ImageVerification:
    @property
    def digest(self) -> str: ...
    @property
    def payloads(self) -> list[dict[str, Any]]: ...
    @property
    def verified(self) -> list[dict[str, Any]]: ...
    @property
    def rejected(self) -> list[dict[str, Any]]: ...
    @property
    def checks(self) -> list[str]: ...
    @property
    def warnings(self) -> list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

def verify(
    image: _Path,
    *,
    key: KeyPair | _Path | None = None,
    annotations: Mapping[str, str] | None = None,
    password: _Password | None = None,
    identity: str | None = None,
    identity_regexp: str | None = None,
    issuer: str | None = None,
    issuer_regexp: str | None = None,
    claims: Mapping[str, str] | None = None,
    trusted_root: _Path | None = None,
    registry: RegistryConfig | None = None,
) -> ImageVerification: ...

@final
class ImageOutcome:
    @property
    def image(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def verification(self) -> ImageVerification | None: ...
    @property
    def error(self) -> ChainsealError | None: ...

def verify_images(
    images: Sequence[_Path],
    *,
    key: KeyPair | _Path | None = None,
    annotations: Mapping[str, str] | None = None,
    password: _Password | None = None,
    identity: str | None = None,
    identity_regexp: str | None = None,
    issuer: str | None = None,
    issuer_regexp: str | None = None,
    claims: Mapping[str, str] | None = None,
    trusted_root: _Path | None = None,
    registry: RegistryConfig | None = None,
    max_workers: int = 16,
) -> list[ImageOutcome]: ...

def attest(
    image: _Path,
    *,
    key: KeyPair,
    predicate_type: str,
    predicate: bytes | _Path | Mapping[str, Any],
    format: str = "bundle",
    replace: bool = False,
    registry: RegistryConfig | None = None,
) -> dict[str, Any]: ...

@final
class AttestationVerification:
    @property
    def digest(self) -> str: ...
    @property
    def statements(self) -> list[dict[str, Any]]: ...
    @property
    def verified(self) -> list[dict[str, Any]]: ...
    @property
    def rejected(self) -> list[dict[str, Any]]: ...
    @property
    def checks(self) -> list[str]: ...
    @property
    def warnings(self) -> list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

def verify_attestation(
    image: _Path,
    *,
    key: KeyPair | _Path | None = None,
    password: _Password | None = None,
    identity: str | None = None,
    identity_regexp: str | None = None,
    issuer: str | None = None,
    issuer_regexp: str | None = None,
    claims: Mapping[str, str] | None = None,
    trusted_root: _Path | None = None,
    predicate_type: str | None = None,
    policy: bytes | _Path | Mapping[str, Any] | None = None,
    registry: RegistryConfig | None = None,
) -> AttestationVerification: ...
def tree(image: _Path, *, registry: RegistryConfig | None = None) -> dict[str, Any]: ...
