//! `chainseal verify-blob`: verify a Sigstore bundle over a file or a `sha256:` digest, offline.

use std::path::PathBuf;
use std::process::ExitCode;

use chainseal::ErrorKind;
use chainseal::sign::trust::TrustSource;
use chainseal::verify_blob::{BlobInput, SignerSpec, VerifyBlobRequest, verify_blob};
use clap::Args;

use super::identity_opts::IdentityOpts;
use super::note;

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
    /// Keyless identity (SAN, OIDC issuer, Fulcio extensions) and the trusted root.
    #[command(flatten)]
    pub(crate) identity: IdentityOpts,
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
    fn request(&self) -> VerifyBlobRequest {
        let signer = match &self.key {
            Some(k) => SignerSpec::KeyFile(k.clone()),
            None => SignerSpec::Identity(self.identity.spec()),
        };
        VerifyBlobRequest {
            bundle: self.bundle.clone(),
            blob: BlobInput::from_arg(&self.artifact),
            signer,
            trust: self.identity.trust(),
        }
    }
}

/// `--trusted-root` wins; else the TUF cache (`chainseal trusted-root update`) if present and
/// fresh; else the embedded root (staging with `--staging`, else production). Offline.
pub(crate) fn trust_source(trusted_root: Option<&PathBuf>, staging: bool) -> TrustSource {
    chainseal::trusted_root::verification_trust(trusted_root.map(PathBuf::as_path), staging)
}

/// Run `verify-bundle`/`verify-blob`: "Verified OK" on stderr and exit 0, or one line naming the
/// failed step and exit 1 (verification) / 2 (usage, unreadable input).
pub(crate) fn run_request(req: &VerifyBlobRequest) -> ExitCode {
    match verify_blob(req) {
        Ok(v) => {
            for c in chainseal::verify_blob::checks_performed(&v) {
                note!("check: {c}");
            }
            note!("Verified OK");
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
