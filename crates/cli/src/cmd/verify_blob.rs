//! `chainseal verify-blob`: verify a Sigstore bundle over a file or a `sha256:` digest, offline.

use std::path::PathBuf;
use std::process::ExitCode;

use chainseal::ErrorKind;
use chainseal::sign::policy::FulcioClaim;
use chainseal::sign::trust::TrustSource;
use chainseal::verify_blob::{BlobInput, IdentitySpec, SignerSpec, VerifyBlobRequest, verify_blob};
use clap::Args;

/// Arguments of `verify-blob`.
#[derive(Args, Debug)]
pub(crate) struct VerifyBlobArgs {
    /// The Sigstore bundle (`.sigstore.json`).
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: PathBuf,
    /// Managed key: PEM public key the bundle must be signed with. Transparency-log entries in
    /// the bundle are always verified; a bundle with none (cosign --tlog-upload=false, chainseal's
    /// offline sign-blob) is accepted on the key's signature and stderr says so.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer", "certificate_oidc_issuer_regexp"])]
    pub(crate) key: Option<PathBuf>,
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
    /// Trust this `trusted_root.json` instead of the embedded production root.
    #[arg(long, value_name = "FILE")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// Use the embedded staging trust root.
    #[arg(long, conflicts_with = "trusted_root")]
    pub(crate) staging: bool,
    /// Never use the network. Verification is always offline; accepted for cosign compatibility.
    #[arg(long)]
    pub(crate) offline: bool,
    /// cosign compatibility, no effect with --key: a managed-key bundle without a
    /// transparency-log entry is accepted anyway (and stderr says so), while log entries that are
    /// present are always verified. Refused for keyless verification, which always needs them.
    #[arg(long, hide = true)]
    pub(crate) insecure_ignore_tlog: bool,
    /// The blob: a file, or `sha256:<hex>` when no such file exists.
    #[arg(value_name = "FILE|sha256:HEX")]
    pub(crate) artifact: String,
}

impl VerifyBlobArgs {
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

    fn request(&self) -> VerifyBlobRequest {
        let signer = match &self.key {
            Some(k) => SignerSpec::KeyFile(k.clone()),
            None => SignerSpec::Identity(IdentitySpec {
                identity: self.certificate_identity.clone(),
                identity_regexp: self.certificate_identity_regexp.clone(),
                issuer: self.certificate_oidc_issuer.clone(),
                issuer_regexp: self.certificate_oidc_issuer_regexp.clone(),
                claims: self.claims(),
            }),
        };
        VerifyBlobRequest {
            bundle: self.bundle.clone(),
            blob: BlobInput::from_arg(&self.artifact),
            signer,
            trust: trust_source(self.trusted_root.as_ref(), self.staging),
        }
    }
}

/// `--trusted-root` wins; else `--staging`; else the embedded production root.
pub(crate) fn trust_source(trusted_root: Option<&PathBuf>, staging: bool) -> TrustSource {
    match (trusted_root, staging) {
        (Some(p), _) => TrustSource::File(p.clone()),
        (None, true) => TrustSource::Staging,
        (None, false) => TrustSource::Production,
    }
}

/// Run `verify-bundle`/`verify-blob`: "Verified OK" on stderr and exit 0, or one line naming the
/// failed step and exit 1 (verification) / 2 (usage, unreadable input).
pub(crate) fn run_request(req: &VerifyBlobRequest) -> ExitCode {
    match verify_blob(req) {
        Ok(v) => {
            for c in chainseal::verify_blob::checks_performed(&v) {
                eprintln!("check: {c}");
            }
            eprintln!("Verified OK");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit_code_for(e.kind())
        }
    }
}

/// Run `verify-blob`.
pub(crate) fn run(args: &VerifyBlobArgs) -> anyhow::Result<ExitCode> {
    if args.insecure_ignore_tlog && args.key.is_none() {
        eprintln!(
            "error: --insecure-ignore-tlog is refused for keyless verification: a certificate needs a verified \
             signing time from the transparency log or a timestamp authority"
        );
        return Ok(ExitCode::from(2));
    }
    Ok(run_request(&args.request()))
}

/// Exit code for a facade error: 1 for verification/policy failures, 2 for everything else.
fn exit_code_for(kind: ErrorKind) -> ExitCode {
    match kind {
        ErrorKind::Verification => ExitCode::from(1),
        _ => ExitCode::from(2),
    }
}
