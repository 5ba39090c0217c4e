"""sign_blob and verify_blob / verify_bundle: positive cases and the forged/tampered ones."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import chainseal
from conftest import ROOT, need_env

IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
ISSUER = "https://token.actions.githubusercontent.com"


def test_sign_blob_bytes_path_and_digest(tmp_path: Path, key_pair: chainseal.KeyPair) -> None:
    data = b"hello chainseal\n"
    f = tmp_path / "artifact.txt"
    f.write_bytes(data)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    bundles = [
        chainseal.sign_blob(data, key=key_pair),
        chainseal.sign_blob(f, key=key_pair),
        chainseal.sign_blob(str(f), key=key_pair),
        chainseal.sign_blob(digest, key=key_pair),
    ]
    for raw in bundles:
        bundle = json.loads(raw)
        assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
        assert bundle["messageSignature"]["messageDigest"]["digest"] == bundles_digest(data)


def bundles_digest(data: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_sign_blob_verifies_with_cosign(tmp_path: Path, key_pair: chainseal.KeyPair) -> None:
    cosign = shutil.which("cosign") or str(Path.home() / ".cache/chainseal/tools/bin/cosign")
    if not Path(cosign).exists():
        pytest.skip("cosign is not installed (scripts/install-peers.sh)")
    _, public = key_pair.save(tmp_path / "k")
    (tmp_path / "a.txt").write_bytes(b"payload")
    (tmp_path / "a.bundle").write_bytes(chainseal.sign_blob(b"payload", key=key_pair))
    (tmp_path / "b.txt").write_bytes(b"other payload")
    ok = [cosign, "verify-blob", "--key", str(public), "--bundle", str(tmp_path / "a.bundle"), "--insecure-ignore-tlog"]
    assert subprocess.run([*ok, str(tmp_path / "a.txt")], capture_output=True).returncode == 0
    assert subprocess.run([*ok, str(tmp_path / "b.txt")], capture_output=True).returncode != 0


def test_sign_blob_missing_file(tmp_path: Path, key_pair: chainseal.KeyPair) -> None:
    with pytest.raises(chainseal.InvalidInputError, match="no such file"):
        chainseal.sign_blob(str(tmp_path / "missing"), key=key_pair)
    with pytest.raises(chainseal.LocalFileError):
        chainseal.sign_blob(tmp_path / "missing", key=key_pair)


def test_verify_keyless_bundle(conformance: Path) -> None:
    case = conformance / "happy-path-v0.3"
    artifact = (conformance / "a.txt").read_bytes()
    bundle = case / "bundle.sigstore.json"
    v = chainseal.verify_blob(artifact, bundle, identity=IDENTITY, issuer=ISSUER)
    assert v.signer == "certificate" and v.identity == IDENTITY and v.issuer == ISSUER
    assert v.tlog_verified and v.verified_times
    # the same with a path, a digest, bundle bytes, and the bundle-first spelling
    chainseal.verify_blob(conformance / "a.txt", bundle.read_bytes(), identity=IDENTITY, issuer=ISSUER)
    chainseal.verify_blob("sha256:" + hashlib.sha256(artifact).hexdigest(), str(bundle), identity=IDENTITY, issuer=ISSUER)
    chainseal.verify_bundle(bundle, artifact, identity_regexp=r"https://github\.com/sigstore-conformance/.*", issuer=ISSUER)
    assert "certificate" in repr(v)


def test_verify_keyless_refusals(conformance: Path) -> None:
    case = conformance / "happy-path-v0.3"
    artifact = (conformance / "a.txt").read_bytes()
    bundle = case / "bundle.sigstore.json"
    with pytest.raises(chainseal.VerificationError):
        chainseal.verify_blob(artifact + b"tampered", bundle, identity=IDENTITY, issuer=ISSUER)
    with pytest.raises(chainseal.VerificationError):
        chainseal.verify_blob(artifact, bundle, identity=IDENTITY + "x", issuer=ISSUER)
    with pytest.raises(chainseal.VerificationError):
        chainseal.verify_blob(artifact, bundle, identity=IDENTITY, issuer="https://accounts.example.com")
    # no identity at all is a usage error, never "anything goes"
    with pytest.raises(chainseal.InvalidInputError, match="identity"):
        chainseal.verify_blob(artifact, bundle, issuer=ISSUER)
    doc = json.loads(bundle.read_text())
    sig = doc["messageSignature"]["signature"]
    doc["messageSignature"]["signature"] = ("B" if sig[0] != "B" else "C") + sig[1:]
    with pytest.raises(chainseal.VerificationError):
        chainseal.verify_blob(artifact, json.dumps(doc).encode(), identity=IDENTITY, issuer=ISSUER)


def test_verify_keyless_certificate_claims(conformance: Path) -> None:
    artifact = (conformance / "a.txt").read_bytes()
    bundle = conformance / "happy-path-v0.3" / "bundle.sigstore.json"
    repo = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon"
    claims = {
        "source_repository_uri": repo,
        "source_repository_ref": "refs/heads/main",
        "runner_environment": "github-hosted",
        "github_workflow_repository": "sigstore-conformance/extremely-dangerous-public-oidc-beacon",
        "1.3.6.1.4.1.57264.1.20": "workflow_dispatch",  # build trigger, by OID
    }
    chainseal.verify_blob(artifact, bundle, identity=IDENTITY, issuer=ISSUER, claims=claims)
    chainseal.verify_bundle(bundle, artifact, identity=IDENTITY, issuer=ISSUER, claims={"build_trigger": "workflow_dispatch"})
    # one claim off by one character, or one the certificate does not carry, is refused
    with pytest.raises(chainseal.VerificationError, match="1.3.6.1.4.1.57264.1.12"):
        chainseal.verify_blob(artifact, bundle, identity=IDENTITY, issuer=ISSUER, claims={"source_repository_uri": repo + "x"})
    with pytest.raises(chainseal.VerificationError):
        chainseal.verify_blob(artifact, bundle, identity=IDENTITY, issuer=ISSUER, claims={"deployment_environment": "prod"})
    with pytest.raises(chainseal.InvalidInputError, match="unknown certificate claim"):
        chainseal.verify_blob(artifact, bundle, identity=IDENTITY, issuer=ISSUER, claims={"repository": repo})
    # claims alone are no identity: the SAN and issuer are still required
    with pytest.raises(chainseal.InvalidInputError, match="identity"):
        chainseal.verify_blob(artifact, bundle, claims={"source_repository_uri": repo})


def test_verify_managed_key(conformance: Path) -> None:
    case = conformance / "managed-key-happy-path"
    artifact = conformance / "a.txt"
    if (case / "artifact").exists():
        artifact = case / "artifact"
    trusted = case / "trusted_root.json"
    kwargs = {"trusted_root": trusted} if trusted.exists() else {}
    v = chainseal.verify_blob(artifact, case / "bundle.sigstore.json", key=case / "key.pub", **kwargs)  # type: ignore[arg-type]
    assert v.signer == "key" and v.identity is None
    wrong = conformance / "managed-key-wrong-key_fail"  # its key.pub is corrupt: unusable input
    with pytest.raises((chainseal.VerificationError, chainseal.InvalidInputError)):
        chainseal.verify_blob(artifact, wrong / "bundle.sigstore.json", key=wrong / "key.pub", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("case", ["incorrect-public-key_fail", "message-digest-mismatch_fail", "bundle-invalid-base64-signature_fail"])
def test_conformance_failures_raise(conformance: Path, case: str) -> None:
    d = conformance / case
    artifact = d / "artifact" if (d / "artifact").exists() else conformance / "a.txt"
    key = d / "key.pub" if (d / "key.pub").exists() else None
    with pytest.raises((chainseal.VerificationError, chainseal.InvalidInputError)):
        chainseal.verify_blob(artifact, d / "bundle.sigstore.json", key=key, identity=IDENTITY, issuer=ISSUER)


@pytest.mark.parametrize("algorithm", ["ecdsa-p256", "ed25519"])
def test_sign_blob_then_verify_blob(tmp_path: Path, algorithm: str) -> None:
    """chainseal's offline bundle (no log entry) verifies with the key, and only over the
    signed bytes and with that key."""
    kp = chainseal.generate_key_pair("pw", algorithm=algorithm)
    _, public = kp.save(tmp_path / "k")
    bundle = chainseal.sign_blob(b"data", key=kp)
    v = chainseal.verify_blob(b"data", bundle, key=public)
    assert v.signer == "key" and not v.tlog_verified
    with pytest.raises(chainseal.VerificationError):
        chainseal.verify_blob(b"datA", bundle, key=public)
    _, other = chainseal.generate_key_pair("pw", algorithm=algorithm).save(tmp_path / "other")
    with pytest.raises(chainseal.VerificationError):
        chainseal.verify_blob(b"data", bundle, key=other)
    forged = json.loads(bundle)
    sig = forged["messageSignature"]["signature"]
    forged["messageSignature"]["signature"] = ("A" if sig[0] != "A" else "B") + sig[1:]
    with pytest.raises(chainseal.VerificationError):
        chainseal.verify_blob(b"data", json.dumps(forged).encode(), key=public)


def test_malformed_bundle(tmp_path: Path, key_pair: chainseal.KeyPair) -> None:
    """A bundle that does not parse fails verification (the CLI's exit 1), never passes."""
    _, public = key_pair.save(tmp_path / "k")
    with pytest.raises(chainseal.VerificationError, match="cannot parse bundle"):
        chainseal.verify_blob(b"data", b"{not json", key=public)


def test_trusted_root_from_the_tuf_cache(conformance: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After `chainseal trusted-root update`, Python verifies against the refreshed root, offline.

    A local TUF repository (scripts/tuf-test-repo.py, python-tuf) serves the custom trusted root of
    a conformance case; the embedded production root does not trust that case's signer.
    """
    binary = Path(need_env("CHAINSEAL_BIN"))
    case = conformance / "intoto-with-custom-trust-root"
    artifact, bundle = (case / "artifact").read_bytes(), case / "bundle.sigstore.json"
    chainseal.verify_blob(artifact, bundle, identity=IDENTITY, issuer=ISSUER, trusted_root=case / "trusted_root.json")
    monkeypatch.setenv("CHAINSEAL_TUF_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(chainseal.VerificationError):
        chainseal.verify_blob(artifact, bundle, identity=IDENTITY, issuer=ISSUER)

    script = ROOT / "scripts" / "tuf-test-repo.py"
    repo = tmp_path / "tuf"
    subprocess.run([sys.executable, script, "build", repo, case / "trusted_root.json"], check=True)
    # The server runs until its stdin closes.
    server = subprocess.Popen(
        [sys.executable, script, "serve", repo / "repo"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        cache = tmp_path / "cache"
        subprocess.run(
            [binary, "trusted-root", "update", "--tuf-url", f"http://127.0.0.1:{port}", "--root", repo / "root.json", "--cache", cache],
            check=True,
            capture_output=True,
        )
    finally:
        server.kill()
        server.wait()
        for pipe in (server.stdin, server.stdout):
            if pipe is not None:
                pipe.close()
    monkeypatch.setenv("CHAINSEAL_TUF_CACHE", str(cache))
    v = chainseal.verify_blob(artifact, bundle, identity=IDENTITY, issuer=ISSUER)
    assert v.identity == IDENTITY
