//! Offline verification of Sigstore bundles (keyless and managed key).
//!
//! A [`BundleVerifier`] can only be built with both a [`TrustRoot`] and a [`Policy`]: the
//! builder's type parameters record what has been supplied and `build` exists only once both
//! are there.
//!
//! ```compile_fail
//! // No policy: `build` does not exist on this type.
//! let root = chainseal_sign::trust::TrustRoot::production().unwrap();
//! let _ = chainseal_sign::verify::BundleVerifier::builder().trust_root(root).build();
//! ```
//!
//! The cryptographic steps are sigstore-verify's (signing.md §11: verified times from RFC 3161
//! timestamps and Rekor v1 SETs, the Fulcio chain at every verified time, SCT, Rekor v1/v2
//! inclusion proofs and signed checkpoints, signature, log-entry consistency). chainseal adds,
//! in [`extra`] and in [`crate::bundle::shape`], the checks those crates lack; each is
//! documented where it is made. For the common keyless shape some of sigstore-verify's steps are
//! done by chainseal with the same checks and building blocks, and fewer repeated parses
//! ([`sct`], [`tlog`], [`consistency`]; each says when it applies).

pub(crate) mod cert_walk;
mod consistency;
mod extra;
mod keyonly;
mod memo;
mod sct;
mod step;
mod tlog;

use std::path::Path;

use sigstore_types::bundle::VerificationMaterialContent;
use sigstore_types::{Artifact, Sha256Hash};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, Verifier};

pub use step::VerifyStep;
pub(crate) use step::fail;

use crate::bundle::{Bundle, BundleLimits, parse_bundle, shape};
use crate::policy::{IdentityPolicy, KeyPolicy, MatchedIdentity, Policy};
use crate::trust::TrustRoot;
use crate::{Error, Result};

/// Artifacts larger than this are streamed instead of read into memory.
const STREAM_ABOVE_BYTES: u64 = 64 * 1024 * 1024;

/// What was signed.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum ArtifactInput<'a> {
    /// The artifact's bytes.
    Bytes(&'a [u8]),
    /// Only the artifact's SHA-256 digest (for DSSE bundles: a subject digest).
    Sha256([u8; 32]),
    /// A file, read (or streamed, when large) by the verifier.
    File(&'a Path),
}

impl ArtifactInput<'_> {
    /// Parse `sha256:<64 hex>` into a digest input.
    pub fn parse_sha256(text: &str) -> Option<ArtifactInput<'static>> {
        let hex_part = text.strip_prefix("sha256:")?;
        if hex_part.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out).ok()?;
        Some(ArtifactInput::Sha256(out))
    }
}

/// What kind of signer a verified bundle had.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signer {
    /// A Fulcio certificate; the identity the policy accepted.
    Certificate(MatchedIdentity),
    /// The configured managed key.
    Key,
}

/// The outcome of a successful verification. Only [`BundleVerifier::verify`] creates one.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Verified {
    /// Who signed.
    pub signer: Signer,
    /// Every authenticated signing time used (RFC 3161 and Rekor v1 integrated times).
    pub verified_times: Vec<jiff::Timestamp>,
    /// Whether transparency-log inclusion (proof + checkpoint, or SET) was verified.
    pub tlog_verified: bool,
    /// How many transparency-log entries were verified. Zero only for a managed-key bundle
    /// that carries none (see [`KeyPolicy`]); keyless bundles always need at least one verified
    /// time, from the log or a timestamp authority.
    pub tlog_entries: usize,
    /// Whether the certificate's SCT was verified (keyless only).
    pub sct_verified: bool,
    /// Where the trusted root came from ([`TrustRoot::origin`]).
    pub trust_origin: String,
    /// Why a TUF cache was not used, when it was not ([`TrustRoot::notice`]).
    pub trust_notice: Option<String>,
}

/// Builder state: no trust root supplied yet.
#[derive(Debug)]
pub struct NeedsTrust;
/// Builder state: no policy supplied yet.
#[derive(Debug)]
pub struct NeedsPolicy;

/// Builds a [`BundleVerifier`]; `build` exists only once a trust root and a policy are set.
#[derive(Debug)]
pub struct VerifierBuilder<T, P> {
    trust: T,
    policy: P,
    limits: BundleLimits,
}

impl<P> VerifierBuilder<NeedsTrust, P> {
    /// Trust this root (embedded production/staging, or a file; see [`crate::trust`]).
    pub fn trust_root(self, root: TrustRoot) -> VerifierBuilder<TrustRoot, P> {
        VerifierBuilder { trust: root, policy: self.policy, limits: self.limits }
    }
}

impl<T> VerifierBuilder<T, NeedsPolicy> {
    /// Enforce this policy.
    pub fn policy(self, policy: Policy) -> VerifierBuilder<T, Policy> {
        VerifierBuilder { trust: self.trust, policy, limits: self.limits }
    }

    /// Keyless: require this identity.
    pub fn identity(self, identity: IdentityPolicy) -> VerifierBuilder<T, Policy> {
        self.policy(Policy::Identity(identity))
    }

    /// Managed key: require a signature by this key.
    pub fn key(self, key: KeyPolicy) -> VerifierBuilder<T, Policy> {
        self.policy(Policy::Key(key))
    }
}

impl<T, P> VerifierBuilder<T, P> {
    /// Limits applied to bundles parsed by [`BundleVerifier::verify_json`].
    pub fn limits(mut self, limits: BundleLimits) -> Self {
        self.limits = limits;
        self
    }
}

impl VerifierBuilder<TrustRoot, Policy> {
    /// Check the trust material and build the verifier.
    pub fn build(self) -> Result<BundleVerifier> {
        // Parse the root's public keys once for every later verification (see `memo`).
        memo::register_trust_root(self.trust.trusted_root());
        let inner = Verifier::new(self.trust.trusted_root())
            .map_err(|e| Error::TrustRoot(format!("{}: {e}", self.trust.origin())))?;
        let sct = sct::SctChecker::new(self.trust.trusted_root())?;
        let tlog = tlog::TlogChecker::new(self.trust.trusted_root())?;
        Ok(BundleVerifier { inner, sct, tlog, trust: self.trust, policy: self.policy, limits: self.limits })
    }
}

/// Verifies bundles against one trust root and one policy. Reusable and `Sync`.
pub struct BundleVerifier {
    inner: Verifier,
    sct: sct::SctChecker,
    tlog: tlog::TlogChecker,
    trust: TrustRoot,
    policy: Policy,
    limits: BundleLimits,
}

impl std::fmt::Debug for BundleVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleVerifier")
            .field("trust", &self.trust.origin())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl BundleVerifier {
    /// Start building a verifier.
    pub fn builder() -> VerifierBuilder<NeedsTrust, NeedsPolicy> {
        VerifierBuilder { trust: NeedsTrust, policy: NeedsPolicy, limits: BundleLimits::default() }
    }

    /// The trust root in use.
    pub fn trust_root(&self) -> &TrustRoot {
        &self.trust
    }

    /// Parse untrusted bundle bytes (with this verifier's limits) and verify them.
    pub fn verify_json(&self, artifact: ArtifactInput<'_>, bundle_json: &[u8]) -> Result<Verified> {
        let bundle = parse_bundle(bundle_json, &self.limits)?;
        self.verify(artifact, &bundle)
    }

    /// Verify `bundle` over `artifact`. Every failure is an [`Error::Verification`] naming the
    /// step, except unreadable input files ([`Error::Io`]).
    pub fn verify(&self, artifact: ArtifactInput<'_>, bundle: &Bundle) -> Result<Verified> {
        // Identical signature checks within this one verification are done once (see `memo`).
        let _memo = memo::Scope::enter();
        let mut verified = self.verify_checked(artifact, bundle)?;
        verified.trust_origin = self.trust.origin().to_owned();
        verified.trust_notice = self.trust.notice().map(str::to_owned);
        Ok(verified)
    }

    fn verify_checked(&self, artifact: ArtifactInput<'_>, bundle: &Bundle) -> Result<Verified> {
        shape::check(bundle)?;
        let has_key_material =
            matches!(bundle.verification_material.content, VerificationMaterialContent::PublicKey(_));
        match &self.policy {
            Policy::Identity(id) => {
                if has_key_material {
                    return Err(fail(
                        VerifyStep::Key,
                        "bundle is signed by a managed key (publicKey hint) but an identity policy was given; pass the key instead",
                    ));
                }
                self.verify_keyless(artifact, bundle, id)
            }
            Policy::Key(key) => {
                if !has_key_material {
                    return Err(fail(
                        VerifyStep::Key,
                        "bundle carries a certificate but a key policy was given; verify it with an identity policy",
                    ));
                }
                self.verify_key(artifact, bundle, key)
            }
        }
    }

    fn verify_keyless(
        &self,
        artifact: ArtifactInput<'_>,
        bundle: &Bundle,
        identity: &IdentityPolicy,
    ) -> Result<Verified> {
        extra::check_before_crypto(bundle, self.trust.trusted_root())?;
        // Exact matchers are also handed to sigstore-verify (defence in depth); regexes and
        // the extension claims are checked by `IdentityPolicy::check` below.
        let mut policy = VerificationPolicy::any_identity();
        if let Some(issuer) = identity.exact_issuer() {
            policy = policy.require_issuer(issuer);
        }
        // The SCT is checked by `sct` (after the chain, below) when the leaf's issuer is
        // unambiguous, and by sigstore-verify otherwise.
        let leaf = bundle
            .signing_certificate()
            .ok_or_else(|| fail(VerifyStep::Bundle, "bundle has no signing certificate"))?;
        // Walked once for the SCT and the SANs; `None` leaves both to the full decoders.
        let walked = cert_walk::CertWalk::parse(leaf.as_bytes()).ok();
        let own_sct = walked.as_ref().and_then(|w| self.sct.prepare(w, bundle));
        if own_sct.is_some() {
            policy = policy.skip_sct();
        }
        // Log inclusion likewise by `tlog` for the bundle shapes it covers (see there): every
        // check of sigstore-verify's step except a second verification of the same SET.
        let own_tlog = tlog::TlogChecker::applies(bundle);
        if own_tlog {
            policy = policy.skip_tlog_unsafe();
        }
        // Log-entry consistency likewise by `consistency` for message signatures logged as
        // hashedrekord 0.0.1 (see there), checked below once sigstore-verify has accepted the
        // signature and the message digest.
        let own_consistency = consistency::applies(bundle);
        if own_consistency {
            policy = policy.skip_tlog_consistency_unsafe();
        }
        let result = run(&self.inner, artifact, bundle, &policy)?;
        let sct_verified = match &own_sct {
            Some(prepared) => {
                self.sct.verify(prepared)?;
                true
            }
            None => result.sct_verified(),
        };
        // sigstore-verify parsed this same leaf (`bundle.signing_certificate()`) into the
        // result; the policy reuses that parse for the issuer and Fulcio claims.
        let info = result
            .certificate()
            .ok_or_else(|| fail(VerifyStep::Chain, "certificate was not parsed by the verifier"))?;
        if own_consistency {
            consistency::verify(bundle, info.not_before, info.not_after)?;
        }
        let tlog_verified = if own_tlog {
            self.tlog.verify(bundle, info.not_before, info.not_after)?;
            true
        } else {
            result.tlog_verified()
        };
        let sans = match &walked {
            Some(cert) => crate::policy::sans_of(cert)?,
            None => crate::policy::subject_alt_names(leaf.as_bytes())?,
        };
        let matched = identity.check_parsed(&sans, info)?;
        if let Some(san) = identity.exact_san() {
            // `check` found `san` among the SANs; make sure it is the one it reported.
            if matched.san != san {
                return Err(fail(VerifyStep::Identity, "matched SAN differs from the required one"));
            }
        }
        if !result.certificate_verified() || !tlog_verified || !sct_verified {
            return Err(fail(VerifyStep::Chain, "certificate or transparency log was not verified"));
        }
        Ok(Verified {
            signer: Signer::Certificate(matched),
            verified_times: result.verified_timestamps().to_vec(),
            tlog_verified,
            tlog_entries: if tlog_verified { bundle.verification_material.tlog_entries.len() } else { 0 },
            sct_verified,
            trust_origin: String::new(),
            trust_notice: None,
        })
    }

    /// Managed key. Log entries that are present are always fully verified (inclusion proof,
    /// checkpoint, SET, consistency with the bundle); timestamps that are present must verify.
    /// A bundle with no log entry is accepted on the key's signature alone and says so through
    /// [`Verified::tlog_entries`] = 0 (the policy documented on [`KeyPolicy`]).
    fn verify_key(&self, artifact: ArtifactInput<'_>, bundle: &Bundle, key: &KeyPolicy) -> Result<Verified> {
        extra::check_before_crypto(bundle, self.trust.trusted_root())?;
        let material = &bundle.verification_material;
        let entries = material.tlog_entries.len();
        if entries == 0 && material.timestamp_verification_data.rfc3161_timestamps.is_empty() {
            keyonly::verify(artifact, bundle, key)?;
            return Ok(Verified {
                signer: Signer::Key,
                verified_times: Vec::new(),
                tlog_verified: false,
                tlog_entries: 0,
                sct_verified: false,
                trust_origin: String::new(),
                trust_notice: None,
            });
        }
        let mut policy = PublicKeyVerificationPolicy::new(key.public_key().clone());
        if entries == 0 {
            // Nothing to skip: there is no entry. This only lifts sigstore-verify's structural
            // demand for an inclusion proof so the timestamps are checked on their own.
            policy = policy.skip_tlog_unsafe();
        }
        let result = run(&self.inner, artifact, bundle, &policy)?;
        if entries > 0 && !result.tlog_verified() {
            return Err(fail(VerifyStep::LogEntry, "transparency-log entries were not verified"));
        }
        Ok(Verified {
            signer: Signer::Key,
            verified_times: result.verified_timestamps().to_vec(),
            tlog_verified: entries > 0,
            tlog_entries: entries,
            sct_verified: false,
            trust_origin: String::new(),
            trust_notice: None,
        })
    }
}

/// Hand the artifact to sigstore-verify in the form it needs.
fn run(
    inner: &Verifier,
    artifact: ArtifactInput<'_>,
    bundle: &Bundle,
    policy: &(impl sigstore_verify::Policy + ?Sized),
) -> Result<sigstore_verify::VerificationResult> {
    let r = match artifact {
        ArtifactInput::Bytes(b) => inner.verify(Artifact::from(b), bundle, policy),
        ArtifactInput::Sha256(d) => inner.verify(Sha256Hash::new(d), bundle, policy),
        ArtifactInput::File(path) => {
            let io = |source| Error::Io { path: path.to_owned(), source };
            let len = std::fs::metadata(path).map_err(io)?.len();
            if len > STREAM_ABOVE_BYTES {
                let file = std::fs::File::open(path).map_err(io)?;
                inner.verify_reader(std::io::BufReader::new(file), bundle, policy)
            } else {
                let bytes = std::fs::read(path).map_err(io)?;
                inner.verify(Artifact::from(&bytes), bundle, policy)
            }
        }
    };
    r.map_err(step::from_sigstore)
}

#[cfg(test)]
mod tests;
