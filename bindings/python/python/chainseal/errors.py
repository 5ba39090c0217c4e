"""Exceptions raised by chainseal.

Every failure of the library is a :class:`ChainsealError`; the subclasses say what kind of
failure it was, so a CI script can tell "the signature is bad" (:class:`VerificationError`,
the CLI's exit code 1) from "the registry is down" (:class:`RegistryError`) or "the input is
wrong" (:class:`InvalidInputError`). The message is the one the ``chainseal`` CLI prints.

The classes are defined here, in Python, and raised by the Rust extension; none of them
shadows a builtin name.
"""

from __future__ import annotations

from typing import Sequence

__all__ = [
    "ChainsealError",
    "VerificationError",
    "RegistryError",
    "InvalidInputError",
    "LocalFileError",
]


class ChainsealError(Exception):
    """Base class of every error chainseal raises."""


class VerificationError(ChainsealError):
    """A signature, attestation or bundle did not verify, or a policy refused it.

    ``reasons`` lists, when known, why each candidate signature was refused (one string per
    signature found); it is empty when the failure has a single cause given by the message.
    """

    reasons: list[str]

    def __init__(self, message: str, reasons: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.reasons = list(reasons)


class RegistryError(ChainsealError):
    """A registry failed, refused the request, or could not be reached (network, auth)."""


class InvalidInputError(ChainsealError, ValueError):
    """The input (reference, SOURCE, key, password, JSON document, option) was unusable."""


class LocalFileError(ChainsealError, OSError):
    """Reading or writing a local file failed."""
