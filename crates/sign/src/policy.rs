//! Who may have signed: an identity policy for keyless (Fulcio certificate) bundles, or a key
//! policy for managed-key bundles. A verifier needs exactly one of them ([`Policy`]).
//!
//! Matching rules:
//! - [`Matcher::Exact`] compares the whole string, byte for byte. A prefix is not a match.
//! - [`Matcher::Regex`] is **anchored**: the expression must match the whole value, as if the user
//!   had written `^(?:EXPR)$` (cosign matches unanchored; chainseal does not, so
//!   `https://github.com/acme/` never matches `https://github.com/acme/app/...` by accident).
//!   To match a substring write it explicitly: `.*acme.*`.
//! - The SAN matches if **any** of the certificate's subject alternative names matches (email,
//!   URI, DNS, IP, and the Fulcio username otherName `1.3.6.1.4.1.57264.1.7`).
//! - The OIDC issuer is taken from extension `1.3.6.1.4.1.57264.1.8` (DER UTF8String), falling
//!   back to the deprecated raw `1.3.6.1.4.1.57264.1.1` only when `.1.8` is absent.
//! - Optional [`FulcioClaim`] requirements match the other Fulcio extensions (GitHub workflow
//!   repository, ref, trigger, SHA, runner environment, build config…); a required claim that
//!   the certificate lacks is a mismatch.

use std::fmt;

use regex::{Regex, RegexBuilder};
use sigstore_crypto::FulcioCiClaims;
use sigstore_types::{DerCertificate, DerPublicKey};
use x509_cert::der::asn1::Utf8StringRef;
use x509_cert::der::{Decode, oid::ObjectIdentifier};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use crate::verify::cert_walk::CertWalk;
use crate::verify::{VerifyStep, fail};
use crate::{Error, Result};

/// Largest compiled regular expression accepted (bytes of the compiled program).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// OID of the Fulcio username otherName SAN.
const OTHERNAME_USERNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// How one certificate value is matched.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// The value equals this string exactly.
    Exact(String),
    /// The value matches this anchored regular expression (see the module docs).
    Regex(AnchoredRegex),
}

/// A regular expression that must match the whole value. Keeps the user's text for messages.
#[derive(Debug, Clone)]
pub struct AnchoredRegex {
    source: String,
    compiled: Regex,
}

impl AnchoredRegex {
    /// Compile `pattern` anchored at both ends.
    pub fn new(pattern: &str) -> Result<Self> {
        let compiled = RegexBuilder::new(&format!("^(?:{pattern})$"))
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| Error::Invalid { what: "regular expression", reason: format!("{pattern:?}: {e}") })?;
        Ok(Self { source: pattern.to_owned(), compiled })
    }

    /// Whether the whole of `value` matches.
    pub fn is_match(&self, value: &str) -> bool {
        self.compiled.is_match(value)
    }
}

impl Matcher {
    /// An exact matcher.
    pub fn exact(value: impl Into<String>) -> Self {
        Self::Exact(value.into())
    }

    /// An anchored regular-expression matcher.
    pub fn regex(pattern: &str) -> Result<Self> {
        AnchoredRegex::new(pattern).map(Self::Regex)
    }

    /// Whether `value` satisfies this matcher.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(expected) => expected == value,
            Self::Regex(re) => re.is_match(value),
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(s) => write!(f, "{s:?}"),
            Self::Regex(re) => write!(f, "regex {:?}", re.source),
        }
    }
}

/// A Fulcio certificate extension an identity policy can require (fulcio `docs/oid-info.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FulcioClaim {
    /// `.1.9` Build Signer URI.
    BuildSignerUri,
    /// `.1.10` Build Signer Digest.
    BuildSignerDigest,
    /// `.1.11` Runner Environment (`github-hosted`, `self-hosted`).
    RunnerEnvironment,
    /// `.1.12` Source Repository URI.
    SourceRepositoryUri,
    /// `.1.13` Source Repository Digest (commit SHA).
    SourceRepositoryDigest,
    /// `.1.14` Source Repository Ref.
    SourceRepositoryRef,
    /// `.1.15` Source Repository Identifier.
    SourceRepositoryIdentifier,
    /// `.1.16` Source Repository Owner URI.
    SourceRepositoryOwnerUri,
    /// `.1.17` Source Repository Owner Identifier.
    SourceRepositoryOwnerIdentifier,
    /// `.1.18` Build Config URI.
    BuildConfigUri,
    /// `.1.19` Build Config Digest.
    BuildConfigDigest,
    /// `.1.20` Build Trigger.
    BuildTrigger,
    /// `.1.21` Run Invocation URI.
    RunInvocationUri,
    /// `.1.22` Source Repository Visibility At Signing.
    SourceRepositoryVisibility,
    /// `.1.23` Deployment Environment.
    DeploymentEnvironment,
    /// `.1.2` GitHub Workflow Trigger (deprecated; cosign `--certificate-github-workflow-trigger`).
    GithubWorkflowTrigger,
    /// `.1.3` GitHub Workflow SHA (deprecated).
    GithubWorkflowSha,
    /// `.1.4` GitHub Workflow Name (deprecated).
    GithubWorkflowName,
    /// `.1.5` GitHub Workflow Repository (deprecated).
    GithubWorkflowRepository,
    /// `.1.6` GitHub Workflow Ref (deprecated).
    GithubWorkflowRef,
}

impl FulcioClaim {
    /// The claim's value in a certificate, if present.
    fn value(self, c: &FulcioCiClaims) -> Option<&str> {
        let g = &c.deprecated_github;
        let v = match self {
            Self::BuildSignerUri => &c.build_signer_uri,
            Self::BuildSignerDigest => &c.build_signer_digest,
            Self::RunnerEnvironment => &c.runner_environment,
            Self::SourceRepositoryUri => &c.source_repository_uri,
            Self::SourceRepositoryDigest => &c.source_repository_digest,
            Self::SourceRepositoryRef => &c.source_repository_ref,
            Self::SourceRepositoryIdentifier => &c.source_repository_identifier,
            Self::SourceRepositoryOwnerUri => &c.source_repository_owner_uri,
            Self::SourceRepositoryOwnerIdentifier => &c.source_repository_owner_identifier,
            Self::BuildConfigUri => &c.build_config_uri,
            Self::BuildConfigDigest => &c.build_config_digest,
            Self::BuildTrigger => &c.build_trigger,
            Self::RunInvocationUri => &c.run_invocation_uri,
            Self::SourceRepositoryVisibility => &c.source_repository_visibility_at_signing,
            Self::DeploymentEnvironment => &c.deployment_environment,
            Self::GithubWorkflowTrigger => &g.workflow_trigger,
            Self::GithubWorkflowSha => &g.workflow_sha,
            Self::GithubWorkflowName => &g.workflow_name,
            Self::GithubWorkflowRepository => &g.workflow_repository,
            Self::GithubWorkflowRef => &g.workflow_ref,
        };
        v.as_deref()
    }

    /// The extension's OID suffix under `1.3.6.1.4.1.57264.1`, for messages.
    pub fn oid(self) -> &'static str {
        match self {
            Self::BuildSignerUri => "1.3.6.1.4.1.57264.1.9",
            Self::BuildSignerDigest => "1.3.6.1.4.1.57264.1.10",
            Self::RunnerEnvironment => "1.3.6.1.4.1.57264.1.11",
            Self::SourceRepositoryUri => "1.3.6.1.4.1.57264.1.12",
            Self::SourceRepositoryDigest => "1.3.6.1.4.1.57264.1.13",
            Self::SourceRepositoryRef => "1.3.6.1.4.1.57264.1.14",
            Self::SourceRepositoryIdentifier => "1.3.6.1.4.1.57264.1.15",
            Self::SourceRepositoryOwnerUri => "1.3.6.1.4.1.57264.1.16",
            Self::SourceRepositoryOwnerIdentifier => "1.3.6.1.4.1.57264.1.17",
            Self::BuildConfigUri => "1.3.6.1.4.1.57264.1.18",
            Self::BuildConfigDigest => "1.3.6.1.4.1.57264.1.19",
            Self::BuildTrigger => "1.3.6.1.4.1.57264.1.20",
            Self::RunInvocationUri => "1.3.6.1.4.1.57264.1.21",
            Self::SourceRepositoryVisibility => "1.3.6.1.4.1.57264.1.22",
            Self::DeploymentEnvironment => "1.3.6.1.4.1.57264.1.23",
            Self::GithubWorkflowTrigger => "1.3.6.1.4.1.57264.1.2",
            Self::GithubWorkflowSha => "1.3.6.1.4.1.57264.1.3",
            Self::GithubWorkflowName => "1.3.6.1.4.1.57264.1.4",
            Self::GithubWorkflowRepository => "1.3.6.1.4.1.57264.1.5",
            Self::GithubWorkflowRef => "1.3.6.1.4.1.57264.1.6",
        }
    }
}

/// The identity a keyless bundle must have been signed by.
#[derive(Debug, Clone)]
pub struct IdentityPolicy {
    san: Matcher,
    issuer: Matcher,
    claims: Vec<(FulcioClaim, Matcher)>,
}

/// What the certificate said, once the identity policy accepted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedIdentity {
    /// The SAN value that matched.
    pub san: String,
    /// The OIDC issuer.
    pub issuer: String,
}

impl IdentityPolicy {
    /// Require a SAN and an OIDC issuer. Both are mandatory: there is no "any identity".
    pub fn new(san: Matcher, issuer: Matcher) -> Self {
        Self { san, issuer, claims: Vec::new() }
    }

    /// Also require a Fulcio extension to match.
    pub fn require_claim(mut self, claim: FulcioClaim, value: Matcher) -> Self {
        self.claims.push((claim, value));
        self
    }

    /// If the SAN matcher is an exact string, that string (lets the library double-check).
    pub(crate) fn exact_san(&self) -> Option<&str> {
        match &self.san {
            Matcher::Exact(s) => Some(s),
            Matcher::Regex(_) => None,
        }
    }

    /// If the issuer matcher is an exact string, that string.
    pub(crate) fn exact_issuer(&self) -> Option<&str> {
        match &self.issuer {
            Matcher::Exact(s) => Some(s),
            Matcher::Regex(_) => None,
        }
    }

    /// Check a DER leaf certificate against this policy. Errors are at step
    /// [`VerifyStep::Identity`].
    pub fn check(&self, leaf: &[u8]) -> Result<MatchedIdentity> {
        let info = sigstore_crypto::parse_certificate_info(&DerCertificate::new(leaf.to_vec()))
            .map_err(|e| fail(VerifyStep::Identity, format!("cannot read certificate extensions: {e}")))?;
        self.check_parsed(&subject_alt_names(leaf)?, &info)
    }

    /// [`Self::check`] with the certificate already read: its SANs ([`subject_alt_names`]) and
    /// its extensions as sigstore-crypto reads them (the verifier reuses the parse
    /// sigstore-verify made instead of parsing the certificate again). Both must come from the
    /// same certificate.
    pub(crate) fn check_parsed(
        &self,
        sans: &[String],
        info: &sigstore_crypto::CertificateInfo,
    ) -> Result<MatchedIdentity> {
        let Some(san) = sans.iter().find(|s| self.san.matches(s)) else {
            return Err(fail(VerifyStep::Identity, format!("certificate SAN {sans:?} does not match {}", self.san)));
        };
        let issuer = info
            .issuer
            .as_deref()
            .ok_or_else(|| fail(VerifyStep::Identity, "certificate has no OIDC issuer extension (.1.8 or .1.1)"))?;
        if !self.issuer.matches(issuer) {
            return Err(fail(VerifyStep::Identity, format!("OIDC issuer {issuer:?} does not match {}", self.issuer)));
        }
        for (claim, want) in &self.claims {
            match claim.value(&info.ci_claims) {
                Some(v) if want.matches(v) => {}
                Some(v) => {
                    return Err(fail(
                        VerifyStep::Identity,
                        format!("extension {claim:?} ({}) is {v:?}, expected {want}", claim.oid()),
                    ));
                }
                None => {
                    return Err(fail(
                        VerifyStep::Identity,
                        format!("certificate lacks extension {claim:?} ({}), expected {want}", claim.oid()),
                    ));
                }
            }
        }
        Ok(MatchedIdentity { san: san.clone(), issuer: issuer.to_owned() })
    }
}

/// Every subject alternative name of a DER certificate, as strings. Written here because
/// sigstore-crypto only exposes the first email or URI SAN.
///
/// Only the certificate's outer structure and its extension list are walked
/// ([`crate::verify::cert_walk`]); the verifier has already decoded and checked the whole
/// certificate by the time it asks for the SANs.
pub fn subject_alt_names(der: &[u8]) -> Result<Vec<String>> {
    let cert = CertWalk::parse(der)
        .map_err(|e| fail(VerifyStep::Identity, format!("leaf certificate is not valid X.509: {e}")))?;
    sans_of(&cert)
}

/// DER contents of the OID 2.5.29.17 (subjectAltName).
const SAN_OID_BYTES: [u8; 3] = [0x55, 0x1d, 0x11];

/// The SANs of a walked certificate (see [`subject_alt_names`]).
pub(crate) fn sans_of(cert: &CertWalk<'_>) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for value in cert.extension_values(&SAN_OID_BYTES) {
        let san = SubjectAltName::from_der(value)
            .map_err(|e| fail(VerifyStep::Identity, format!("malformed SAN extension: {e}")))?;
        for name in san.0 {
            match name {
                GeneralName::Rfc822Name(s) => out.push(s.to_string()),
                GeneralName::DnsName(s) => out.push(s.to_string()),
                GeneralName::UniformResourceIdentifier(s) => out.push(s.to_string()),
                GeneralName::IpAddress(ip) => {
                    if let Some(addr) = ip_to_string(ip.as_bytes()) {
                        out.push(addr);
                    }
                }
                GeneralName::OtherName(other) if other.type_id == OTHERNAME_USERNAME => {
                    if let Ok(s) = other.value.decode_as::<Utf8StringRef<'_>>() {
                        out.push(s.as_str().to_owned());
                    }
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

fn ip_to_string(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => {
            let a: [u8; 4] = bytes.try_into().ok()?;
            Some(std::net::Ipv4Addr::from(a).to_string())
        }
        16 => {
            let a: [u8; 16] = bytes.try_into().ok()?;
            Some(std::net::Ipv6Addr::from(a).to_string())
        }
        _ => None,
    }
}

/// The key a managed-key bundle must have been signed with.
///
/// Transparency log with a managed key (chainseal's policy):
/// - every log entry the bundle carries is **always fully verified** (inclusion proof and
///   signed checkpoint, SET, the entry's agreement with the signature, key and artifact); a
///   present but bad or untrusted entry refuses the bundle — there is no flag to skip it;
/// - every RFC 3161 timestamp the bundle carries must verify;
/// - a bundle with **no** log entry (what `cosign sign-blob --key --tlog-upload=false` and
///   chainseal's offline `sign-blob`/`sign` write) is **accepted by default** on the key's
///   signature alone: with a managed key the key is the trust decision, and the log only adds a
///   public record. [`crate::verify::Verified::tlog_entries`] is then 0 and the CLI says so on
///   stderr. (cosign asks for `--insecure-ignore-tlog` here; chainseal accepts that flag as a
///   no-op for drop-in use.)
///
/// Keyless bundles ([`IdentityPolicy`]) always need a verified signing time (log or timestamp
/// authority) and their log entries verified; nothing above relaxes that.
#[derive(Debug, Clone)]
pub struct KeyPolicy {
    key: DerPublicKey,
}

impl KeyPolicy {
    /// From a PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub fn from_pem(pem: &str) -> Result<Self> {
        let key = DerPublicKey::from_pem(pem).map_err(|e| Error::Invalid {
            what: "public key",
            reason: format!("{e}; expected a PEM SubjectPublicKeyInfo (-----BEGIN PUBLIC KEY-----)"),
        })?;
        Self::from_der(key.as_bytes())
    }

    /// From DER SubjectPublicKeyInfo bytes. The key type must be one Sigstore verifies.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let key = DerPublicKey::new(der.to_vec());
        sigstore_crypto::KeyAlgorithm::from_spki(&key)
            .map_err(|e| Error::Invalid { what: "public key", reason: format!("unsupported key: {e}") })?;
        Ok(Self { key })
    }

    /// The key.
    pub fn public_key(&self) -> &DerPublicKey {
        &self.key
    }
}

/// The policy a verifier enforces: exactly one of identity (keyless) or key (managed key). A
/// bundle of the other kind is refused.
#[derive(Debug, Clone)]
pub enum Policy {
    /// Keyless: a Fulcio certificate whose identity matches.
    Identity(IdentityPolicy),
    /// Managed key: a signature by this key.
    Key(KeyPolicy),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_is_anchored() {
        let m = Matcher::regex("https://github.com/acme/").expect("regex");
        assert!(!m.matches("https://github.com/acme/app/.github/workflows/x.yml@refs/heads/main"));
        assert!(!m.matches("xhttps://github.com/acme/"));
        assert!(m.matches("https://github.com/acme/"));
        let m = Matcher::regex("https://github.com/acme/.*").expect("regex");
        assert!(m.matches("https://github.com/acme/app"));
        // Alternation stays inside the anchors.
        let m = Matcher::regex("a|b").expect("regex");
        assert!(!m.matches("ab") && m.matches("a") && m.matches("b"));
    }

    #[test]
    fn exact_differs_in_one_character() {
        let m = Matcher::exact("user@example.com");
        assert!(m.matches("user@example.com"));
        assert!(!m.matches("user@example.con"));
        assert!(!m.matches("user@example.com "));
        assert!(!m.matches("user@example.co"));
    }

    #[test]
    fn bad_regex_is_input_error() {
        assert!(matches!(Matcher::regex("("), Err(Error::Invalid { .. })));
        assert!(Matcher::regex(&"a{1000}{1000}".repeat(3)).is_err());
    }

    #[test]
    fn garbage_certificate_is_identity_error() {
        let p = IdentityPolicy::new(Matcher::exact("a"), Matcher::exact("b"));
        assert!(matches!(p.check(b"not a cert"), Err(Error::Verification { step: VerifyStep::Identity, .. })));
    }

    /// The SAN extension values as a full x509-cert decode finds them (the walker's reference).
    fn reference_san_values(der: &[u8]) -> Vec<Vec<u8>> {
        let cert = x509_cert::Certificate::from_der(der).expect("valid certificate");
        let san = ObjectIdentifier::new_unwrap("2.5.29.17");
        cert.tbs_certificate
            .extensions
            .iter()
            .flatten()
            .filter(|e| e.extn_id == san)
            .map(|e| e.extn_value.as_bytes().to_vec())
            .collect()
    }

    fn test_cert(extra_san_extension: bool) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.subject_alt_names = vec![
            rcgen::SanType::URI("https://example.com/a".try_into().expect("uri")),
            rcgen::SanType::Rfc822Name("dev@example.com".try_into().expect("email")),
        ];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::CodeSigning];
        params.distinguished_name.push(rcgen::DnType::CommonName, "leaf");
        if extra_san_extension {
            // A second SAN extension holding one DNS name (GeneralNames ::= SEQUENCE { [2] }).
            let dns = b"second.example";
            let mut content = vec![0x30, dns.len() as u8 + 2, 0x82, dns.len() as u8];
            content.extend_from_slice(dns);
            params.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 17], content)];
        }
        params.self_signed(&key).expect("cert").der().to_vec()
    }

    #[test]
    fn san_walker_finds_what_a_full_decode_finds() {
        for extra in [false, true] {
            let der = test_cert(extra);
            let cert = CertWalk::parse(&der).expect("walk");
            let walked: Vec<Vec<u8>> = cert.extension_values(&SAN_OID_BYTES).map(<[u8]>::to_vec).collect();
            assert_eq!(walked, reference_san_values(&der));
            assert_eq!(walked.len(), if extra { 2 } else { 1 });
            let sans = subject_alt_names(&der).expect("sans");
            let want: &[&str] = if extra {
                &["https://example.com/a", "dev@example.com", "second.example"]
            } else {
                &["https://example.com/a", "dev@example.com"]
            };
            assert_eq!(sans, want);
        }
    }

    #[test]
    fn san_walker_refuses_damaged_certificates_without_panicking() {
        let der = test_cert(true);
        // Every truncation is refused.
        for len in 0..der.len() {
            assert!(subject_alt_names(&der[..len]).is_err(), "truncated to {len}");
        }
        // Trailing bytes are refused.
        let mut long = der.clone();
        long.push(0);
        assert!(subject_alt_names(&long).is_err());
        // Any single damaged byte: an error or an answer, never a panic.
        for i in 0..der.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut bad = der.clone();
                bad[i] ^= flip;
                let _ = subject_alt_names(&bad);
            }
        }
    }

    #[test]
    fn key_policy_refuses_garbage() {
        assert!(KeyPolicy::from_pem("nope").is_err());
        assert!(KeyPolicy::from_der(&[0x30, 0x00]).is_err());
    }
}
