//! Verify a Sigstore bundle over a blob (a file or a `sha256:` digest), offline.
//!
//! Thin glue over [`chainseal_sign::verify::BundleVerifier`]: it loads the trust root and the
//! key file, builds the verifier and maps errors to the facade's [`Error`](crate::Error)
//! (verification failures are [`ErrorKind::Verification`](crate::ErrorKind::Verification), exit 1).

use std::path::{Path, PathBuf};

use chainseal_sign::bundle::{BundleLimits, read_bundle};
use chainseal_sign::policy::{FulcioClaim, IdentityPolicy, KeyPolicy, Matcher, Policy};
use chainseal_sign::trust::{TrustRoot, TrustSource};
use chainseal_sign::verify::{ArtifactInput, BundleVerifier, Signer, Verified};

use crate::{Error, Result};

/// Largest public-key file accepted.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// The blob to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobInput {
    /// A file to read.
    File(PathBuf),
    /// Only the SHA-256 digest.
    Sha256([u8; 32]),
}

impl BlobInput {
    /// The conformance rule: `sha256:<64 hex>` is a digest **unless** a file of that name
    /// exists; anything else is a path.
    pub fn from_arg(arg: &str) -> Self {
        if let (false, Some(ArtifactInput::Sha256(d))) = (Path::new(arg).exists(), ArtifactInput::parse_sha256(arg)) {
            return Self::Sha256(d);
        }
        Self::File(PathBuf::from(arg))
    }
}

/// Who must have signed.
#[derive(Debug, Clone)]
pub enum SignerSpec {
    /// A managed key: a PEM public-key file.
    KeyFile(PathBuf),
    /// A keyless identity.
    Identity(IdentitySpec),
}

/// A keyless identity requirement, as given on a command line.
#[derive(Debug, Clone, Default)]
pub struct IdentitySpec {
    /// Exact SAN.
    pub identity: Option<String>,
    /// Anchored SAN regular expression.
    pub identity_regexp: Option<String>,
    /// Exact OIDC issuer.
    pub issuer: Option<String>,
    /// Anchored OIDC issuer regular expression.
    pub issuer_regexp: Option<String>,
    /// Exact matches on other Fulcio extensions.
    pub claims: Vec<(FulcioClaim, String)>,
}

impl IdentitySpec {
    /// Turn the spec into a policy; exactly one of exact/regex is required for SAN and issuer.
    pub fn to_policy(&self) -> Result<IdentityPolicy> {
        let san = one_matcher("certificate identity", &self.identity, &self.identity_regexp)?;
        let issuer = one_matcher("certificate OIDC issuer", &self.issuer, &self.issuer_regexp)?;
        let mut policy = IdentityPolicy::new(san, issuer);
        for (claim, value) in &self.claims {
            policy = policy.require_claim(*claim, Matcher::exact(value.clone()));
        }
        Ok(policy)
    }
}

fn one_matcher(what: &str, exact: &Option<String>, regex: &Option<String>) -> Result<Matcher> {
    match (exact, regex) {
        (Some(e), None) => Ok(Matcher::exact(e.clone())),
        (None, Some(r)) => Ok(Matcher::regex(r)?),
        (Some(_), Some(_)) => {
            Err(Error::InvalidInput(format!("give either an exact {what} or a regular expression, not both")))
        }
        (None, None) => Err(Error::InvalidInput(format!(
            "a {what} is required for keyless verification (or pass --key for a managed key)"
        ))),
    }
}

/// Everything `verify-blob` needs.
#[derive(Debug, Clone)]
pub struct VerifyBlobRequest {
    /// The bundle file.
    pub bundle: PathBuf,
    /// The blob.
    pub blob: BlobInput,
    /// The required signer.
    pub signer: SignerSpec,
    /// The trust root.
    pub trust: TrustSource,
}

/// Load a PEM public key file as a key policy.
pub fn load_key_policy(path: &Path) -> Result<KeyPolicy> {
    let meta =
        std::fs::metadata(path).map_err(|e| Error::InvalidInput(format!("cannot read key {}: {e}", path.display())))?;
    if meta.len() > MAX_KEY_FILE_BYTES {
        return Err(Error::InvalidInput(format!("{} is too large to be a public key", path.display())));
    }
    let pem = std::fs::read_to_string(path)
        .map_err(|e| Error::InvalidInput(format!("cannot read key {}: {e}", path.display())))?;
    Ok(KeyPolicy::from_pem(&pem)?)
}

/// Build a verifier for `signer` and `trust`.
pub fn verifier(signer: &SignerSpec, trust: &TrustSource) -> Result<BundleVerifier> {
    let policy = match signer {
        SignerSpec::KeyFile(path) => Policy::Key(load_key_policy(path)?),
        SignerSpec::Identity(spec) => Policy::Identity(spec.to_policy()?),
    };
    let root = TrustRoot::load(trust)?;
    Ok(BundleVerifier::builder().trust_root(root).policy(policy).build()?)
}

/// Verify a bundle over a blob. `Ok` only when every check passed.
pub fn verify_blob(req: &VerifyBlobRequest) -> Result<Verified> {
    let verifier = verifier(&req.signer, &req.trust)?;
    let bundle = read_bundle(&req.bundle, &BundleLimits::default())?;
    let artifact = match &req.blob {
        BlobInput::File(p) => ArtifactInput::File(p),
        BlobInput::Sha256(d) => ArtifactInput::Sha256(*d),
    };
    Ok(verifier.verify(artifact, &bundle)?)
}

/// The checks a successful verification performed, one line each, for stderr. A managed-key
/// bundle without a transparency-log entry is accepted, and this says so.
pub fn checks_performed(v: &Verified) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = &v.trust_notice {
        out.push(format!("trusted root: {n}"));
    }
    if !v.trust_origin.is_empty() {
        out.push(format!("trusted root: {}", v.trust_origin));
    }
    match &v.signer {
        Signer::Certificate(id) => {
            out.push(format!(
                "certificate chain to a trusted CA at every verified time; identity {} issued by {}",
                id.san, id.issuer
            ));
            if v.sct_verified {
                out.push("certificate transparency: SCT verified".into());
            }
        }
        Signer::Key => out.push("signature verified with the configured key".into()),
        _ => {}
    }
    if v.tlog_entries > 0 {
        out.push(format!(
            "transparency log: {} entr{} verified (inclusion proof / checkpoint / SET, consistent with the signature)",
            v.tlog_entries,
            if v.tlog_entries == 1 { "y" } else { "ies" }
        ));
    } else if matches!(v.signer, Signer::Key) {
        out.push(
            "transparency log: none in the bundle; accepted because a managed key signed it (no public record of \
             this signature)"
                .into(),
        );
    }
    if !v.verified_times.is_empty() {
        let times: Vec<String> = v.verified_times.iter().map(|t| t.to_string()).collect();
        out.push(format!("verified signing time(s): {}", times.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_argument_rule() {
        let hex = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
        assert!(matches!(BlobInput::from_arg(&format!("sha256:{hex}")), BlobInput::Sha256(_)));
        assert!(matches!(BlobInput::from_arg(&format!("sha256:{}", &hex[1..])), BlobInput::File(_)));
        assert!(matches!(BlobInput::from_arg("a.txt"), BlobInput::File(_)));
    }

    #[test]
    fn identity_spec_needs_exactly_one_of_each() {
        let mut s = IdentitySpec { identity: Some("a".into()), ..Default::default() };
        assert!(s.to_policy().is_err());
        s.issuer = Some("b".into());
        assert!(s.to_policy().is_ok());
        s.issuer_regexp = Some("b".into());
        assert!(s.to_policy().is_err());
    }
}
