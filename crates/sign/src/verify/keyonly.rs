//! Managed-key bundles that carry neither a transparency-log entry nor an RFC 3161 timestamp
//! (`cosign sign-blob --key --tlog-upload=false`, chainseal's offline `sign-blob`/`sign`).
//!
//! Written here because sigstore-verify 0.15.1 refuses every bundle without "signing time
//! evidence" structurally (`MissingSigningTimeEvidence`), even for a managed key where no time
//! is needed. With a key the signature itself is the trust decision; what such a bundle lacks is
//! only the public record. The checks are the same as sigstore-verify's key path: the signature
//! over the artifact (message signature, with the bundle's `messageDigest` compared to the
//! artifact) or over the DSSE PAE (then the in-toto subject must name the artifact's digest).

use std::io::Read as _;

use sigstore_types::{HashAlgorithm, SignatureContent};

use super::{ArtifactInput, VerifyStep, fail};
use crate::bundle::Bundle;
use crate::intoto::Statement;
use crate::keys::{MessageHash, PublicKey};
use crate::policy::KeyPolicy;
use crate::{Error, Result};

/// Verify `bundle` (no tlog entries, no timestamps) with `key` over `artifact`.
pub(crate) fn verify(artifact: ArtifactInput<'_>, bundle: &Bundle, key: &KeyPolicy) -> Result<()> {
    let public = PublicKey::from_spki_der(key.public_key().as_bytes())
        .map_err(|e| fail(VerifyStep::Key, format!("the configured key cannot verify: {e}")))?;
    match &bundle.content {
        SignatureContent::MessageSignature(m) => {
            let wanted = message_hash_alg(public.algorithm().message_hash());
            if let Some(d) = &m.message_digest {
                let have = digest(artifact, d.algorithm)?;
                if have.as_deref() != Some(d.digest.as_bytes()) {
                    return Err(fail(
                        VerifyStep::Artifact,
                        "the bundle's messageDigest does not match the artifact (signature for another artifact)",
                    ));
                }
            }
            let sig = m.signature.as_bytes();
            let ok = match (artifact, public.algorithm()) {
                (ArtifactInput::Bytes(b), _) => public.verify(b, sig),
                (_, crate::keys::KeyAlgorithm::Ed25519) => {
                    let bytes = read_all(artifact)?;
                    public.verify(&bytes, sig)
                }
                _ => {
                    let d = digest(artifact, wanted)?.ok_or_else(|| {
                        fail(
                            VerifyStep::Artifact,
                            format!("the key signs over {wanted:?}; give the artifact itself, not its SHA-256"),
                        )
                    })?;
                    public.verify_digest(&d, sig)
                }
            };
            ok.map_err(|_| fail(VerifyStep::Signature, "signature does not verify with the configured key"))
        }
        SignatureContent::DsseEnvelope(env) => {
            public
                .verify(&env.pae(), env.signature.sig.as_bytes())
                .map_err(|_| fail(VerifyStep::Signature, "DSSE signature does not verify with the configured key"))?;
            let statement = Statement::parse(env.payload.as_bytes())
                .map_err(|e| fail(VerifyStep::Artifact, format!("DSSE payload: {e}")))?;
            let sha256 = digest(artifact, HashAlgorithm::Sha2256)?
                .ok_or_else(|| fail(VerifyStep::Artifact, "cannot compute the artifact's SHA-256"))?;
            let hex = hex::encode(sha256);
            if statement.subjects_matching("sha256", &hex).next().is_none() {
                return Err(fail(VerifyStep::Artifact, "artifact hash does not match any subject in the statement"));
            }
            Ok(())
        }
        _ => Err(fail(VerifyStep::Bundle, "unsupported bundle content")),
    }
}

fn message_hash_alg(h: MessageHash) -> HashAlgorithm {
    match h {
        MessageHash::Sha256 => HashAlgorithm::Sha2256,
        MessageHash::Sha384 => HashAlgorithm::Sha2384,
        MessageHash::Sha512 => HashAlgorithm::Sha2512,
    }
}

/// The artifact's digest with `alg`; `None` when only a SHA-256 was given and `alg` differs.
fn digest(artifact: ArtifactInput<'_>, alg: HashAlgorithm) -> Result<Option<Vec<u8>>> {
    use aws_lc_rs::digest as d;
    let algorithm = match alg {
        HashAlgorithm::Sha2256 => &d::SHA256,
        HashAlgorithm::Sha2384 => &d::SHA384,
        HashAlgorithm::Sha2512 => &d::SHA512,
        other => return Err(fail(VerifyStep::Bundle, format!("unsupported digest algorithm {other:?}"))),
    };
    match artifact {
        ArtifactInput::Bytes(b) => Ok(Some(d::digest(algorithm, b).as_ref().to_vec())),
        ArtifactInput::Sha256(h) => Ok((alg == HashAlgorithm::Sha2256).then(|| h.to_vec())),
        ArtifactInput::File(path) => {
            let io = |source| Error::Io { path: path.to_owned(), source };
            let mut file = std::fs::File::open(path).map_err(io)?;
            let mut ctx = d::Context::new(algorithm);
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = file.read(&mut buf).map_err(io)?;
                if n == 0 {
                    break;
                }
                ctx.update(&buf[..n]);
            }
            Ok(Some(ctx.finish().as_ref().to_vec()))
        }
    }
}

/// The artifact's bytes (Ed25519 signs the message itself).
fn read_all(artifact: ArtifactInput<'_>) -> Result<Vec<u8>> {
    match artifact {
        ArtifactInput::Bytes(b) => Ok(b.to_vec()),
        ArtifactInput::File(path) => std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source }),
        ArtifactInput::Sha256(_) => {
            Err(fail(VerifyStep::Artifact, "an Ed25519 signature is over the artifact; give the file, not its digest"))
        }
    }
}
