//! Keyless identity and trust-root options shared by the image verification commands: flatten
//! [`IdentityOpts`] into a command's arguments and call [`IdentityOpts::spec`] and
//! [`IdentityOpts::trust`].

use std::path::PathBuf;

use chainseal::sign::policy::FulcioClaim;
use chainseal::sign::trust::TrustSource;
use chainseal::verify_blob::IdentitySpec;
use clap::Args;

/// Who may have signed, keyless: the certificate's SAN and OIDC issuer (exact or an anchored
/// regular expression) and optional Fulcio extensions; and which trusted root to use.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct IdentityOpts {
    /// Keyless: the certificate's SAN must equal this.
    #[arg(long, value_name = "IDENTITY", conflicts_with = "certificate_identity_regexp")]
    pub(crate) certificate_identity: Option<String>,
    /// Keyless: the SAN must match this regular expression, anchored at both ends.
    #[arg(long, value_name = "REGEX")]
    pub(crate) certificate_identity_regexp: Option<String>,
    /// Keyless: the OIDC issuer must equal this.
    #[arg(long, value_name = "URL", conflicts_with = "certificate_oidc_issuer_regexp")]
    pub(crate) certificate_oidc_issuer: Option<String>,
    /// Keyless: the OIDC issuer must match this regular expression, anchored at both ends.
    #[arg(long, value_name = "REGEX")]
    pub(crate) certificate_oidc_issuer_regexp: Option<String>,
    /// Require the GitHub workflow trigger extension (1.3.6.1.4.1.57264.1.2) to equal this.
    #[arg(long, value_name = "EVENT")]
    pub(crate) certificate_github_workflow_trigger: Option<String>,
    /// Require the GitHub workflow SHA extension (.1.3).
    #[arg(long, value_name = "SHA")]
    pub(crate) certificate_github_workflow_sha: Option<String>,
    /// Require the GitHub workflow name extension (.1.4).
    #[arg(long, value_name = "NAME")]
    pub(crate) certificate_github_workflow_name: Option<String>,
    /// Require the GitHub workflow repository extension (.1.5, `owner/repo`).
    #[arg(long, value_name = "REPO")]
    pub(crate) certificate_github_workflow_repository: Option<String>,
    /// Require the GitHub workflow ref extension (.1.6).
    #[arg(long, value_name = "REF")]
    pub(crate) certificate_github_workflow_ref: Option<String>,
    /// Require the source repository URI extension (.1.12).
    #[arg(long, value_name = "URI")]
    pub(crate) certificate_source_repository: Option<String>,
    /// Require the source repository ref extension (.1.14).
    #[arg(long, value_name = "REF")]
    pub(crate) certificate_source_repository_ref: Option<String>,
    /// Require the source repository digest extension (.1.13).
    #[arg(long, value_name = "SHA")]
    pub(crate) certificate_source_repository_digest: Option<String>,
    /// Require the runner environment extension (.1.11), e.g. `github-hosted`.
    #[arg(long, value_name = "ENV")]
    pub(crate) certificate_runner_environment: Option<String>,
    /// Require the build config URI extension (.1.18).
    #[arg(long, value_name = "URI")]
    pub(crate) certificate_build_config_uri: Option<String>,
    /// Require the build trigger extension (.1.20).
    #[arg(long, value_name = "EVENT")]
    pub(crate) certificate_build_trigger: Option<String>,
    /// Trust this `trusted_root.json` (Fulcio CAs, Rekor logs, CT logs, TSAs) instead of the
    /// embedded production root. Never fetched from the network.
    #[arg(long, value_name = "FILE")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// Use the embedded staging trust root.
    #[arg(long, conflicts_with = "trusted_root")]
    pub(crate) staging: bool,
}

impl IdentityOpts {
    /// Whether any keyless identity flag was given.
    pub(crate) fn any_identity(&self) -> bool {
        self.certificate_identity.is_some()
            || self.certificate_identity_regexp.is_some()
            || self.certificate_oidc_issuer.is_some()
            || self.certificate_oidc_issuer_regexp.is_some()
            || !self.claims().is_empty()
    }

    fn claims(&self) -> Vec<(FulcioClaim, String)> {
        let pairs = [
            (FulcioClaim::GithubWorkflowTrigger, &self.certificate_github_workflow_trigger),
            (FulcioClaim::GithubWorkflowSha, &self.certificate_github_workflow_sha),
            (FulcioClaim::GithubWorkflowName, &self.certificate_github_workflow_name),
            (FulcioClaim::GithubWorkflowRepository, &self.certificate_github_workflow_repository),
            (FulcioClaim::GithubWorkflowRef, &self.certificate_github_workflow_ref),
            (FulcioClaim::SourceRepositoryUri, &self.certificate_source_repository),
            (FulcioClaim::SourceRepositoryRef, &self.certificate_source_repository_ref),
            (FulcioClaim::SourceRepositoryDigest, &self.certificate_source_repository_digest),
            (FulcioClaim::RunnerEnvironment, &self.certificate_runner_environment),
            (FulcioClaim::BuildConfigUri, &self.certificate_build_config_uri),
            (FulcioClaim::BuildTrigger, &self.certificate_build_trigger),
        ];
        pairs.into_iter().filter_map(|(c, v)| v.clone().map(|v| (c, v))).collect()
    }

    /// The keyless identity requirement (validated when the verifier is built).
    pub(crate) fn spec(&self) -> IdentitySpec {
        IdentitySpec {
            identity: self.certificate_identity.clone(),
            identity_regexp: self.certificate_identity_regexp.clone(),
            issuer: self.certificate_oidc_issuer.clone(),
            issuer_regexp: self.certificate_oidc_issuer_regexp.clone(),
            claims: self.claims(),
        }
    }

    /// `--trusted-root` wins; else `--staging`; else the embedded production root.
    pub(crate) fn trust(&self) -> TrustSource {
        super::verify_blob::trust_source(self.trusted_root.as_ref(), self.staging)
    }
}
