"""chainseal: SBOMs, signatures and verification for container images, from Python.

A thin layer over the Rust ``chainseal`` library (cosign and syft compatible). Long
operations release the GIL and are safe to call from several threads. Every failure raises a
:class:`chainseal.errors.ChainsealError` subclass carrying the message the ``chainseal`` CLI
prints.

Images are named as on the CLI: a registry reference (``host:5000/repo:tag``,
``registry:REF``), ``oci-dir:PATH[:TAG]``, ``oci-archive:FILE[:TAG]`` or
``docker-archive:FILE[:REF]``; :func:`sbom` also takes ``dir:PATH`` or a directory path.
"""

from __future__ import annotations

from chainseal._chainseal import (
    AttestationVerification,
    BlobVerification,
    Component,
    ImageOutcome,
    ImageVerification,
    KeyPair,
    RegistryConfig,
    Sbom,
    __version__,
    attest,
    copy,
    generate_key_pair,
    inspect,
    public_key_pem,
    read_sbom,
    sbom,
    sign,
    sign_blob,
    tree,
    verify,
    verify_attestation,
    verify_blob,
    verify_bundle,
    verify_images,
)
from chainseal.errors import (
    ChainsealError,
    InvalidInputError,
    LocalFileError,
    RegistryError,
    VerificationError,
)

__all__ = [
    "__version__",
    # SBOMs
    "sbom",
    "read_sbom",
    "Sbom",
    "Component",
    # keys
    "generate_key_pair",
    "KeyPair",
    "public_key_pem",
    # blobs
    "sign_blob",
    "verify_blob",
    "verify_bundle",
    "BlobVerification",
    # images
    "inspect",
    "copy",
    "sign",
    "verify",
    "ImageVerification",
    "verify_images",
    "ImageOutcome",
    "attest",
    "verify_attestation",
    "AttestationVerification",
    "tree",
    "RegistryConfig",
    # errors
    "ChainsealError",
    "VerificationError",
    "RegistryError",
    "InvalidInputError",
    "LocalFileError",
]
