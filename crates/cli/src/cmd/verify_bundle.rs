//! The sigstore-conformance client protocol (sigstore-conformance `docs/cli_protocol.md`):
//! `chainseal verify-bundle …` and `chainseal sign-bundle …`. Only the exit status counts there;
//! chainseal still prints one line naming the failed step.

use std::path::PathBuf;
use std::process::ExitCode;

use chainseal::verify_blob::{BlobInput, IdentitySpec, SignerSpec, VerifyBlobRequest};
use clap::Args;

use super::verify_blob::{run_request, trust_source};

/// Arguments of `verify-bundle` (conformance protocol).
#[derive(Args, Debug)]
pub(crate) struct VerifyBundleArgs {
    /// Use the embedded staging trust root (unless --trusted-root is given).
    #[arg(long)]
    pub(crate) staging: bool,
    /// The bundle to verify.
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: PathBuf,
    /// Keyless: the certificate's SAN must equal this.
    #[arg(long, value_name = "IDENTITY", required_unless_present = "key", requires = "certificate_oidc_issuer")]
    pub(crate) certificate_identity: Option<String>,
    /// Keyless: the certificate's OIDC issuer must equal this.
    #[arg(long, value_name = "URL", requires = "certificate_identity")]
    pub(crate) certificate_oidc_issuer: Option<String>,
    /// Managed key: PEM SubjectPublicKeyInfo.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["certificate_identity", "certificate_oidc_issuer"])]
    pub(crate) key: Option<PathBuf>,
    /// A trusted_root.json; without it the embedded production (or staging) root is used.
    #[arg(long, value_name = "FILE")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// The artifact path, or `sha256:<hex>` when no such file exists.
    #[arg(value_name = "FILE_OR_DIGEST")]
    pub(crate) artifact: String,
}

/// Run `verify-bundle`.
pub(crate) fn run_verify(args: &VerifyBundleArgs) -> anyhow::Result<ExitCode> {
    let signer = match &args.key {
        Some(k) => SignerSpec::KeyFile(k.clone()),
        None => SignerSpec::Identity(IdentitySpec {
            identity: args.certificate_identity.clone(),
            issuer: args.certificate_oidc_issuer.clone(),
            ..IdentitySpec::default()
        }),
    };
    let req = VerifyBlobRequest {
        bundle: args.bundle.clone(),
        blob: BlobInput::from_arg(&args.artifact),
        signer,
        trust: trust_source(args.trusted_root.as_ref(), args.staging),
    };
    Ok(run_request(&req))
}

/// Arguments of `sign-bundle` (conformance protocol).
#[derive(Args, Debug)]
pub(crate) struct SignBundleArgs {
    /// Use the staging instance.
    #[arg(long)]
    pub(crate) staging: bool,
    /// Sign the input file as an in-toto Statement in a DSSE envelope.
    #[arg(long)]
    pub(crate) in_toto: bool,
    /// The OIDC identity token for Fulcio.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) identity_token: String,
    /// Where to write the bundle.
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: PathBuf,
    /// A trusted_root.json.
    #[arg(long, value_name = "FILE")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// A signing_config.json.
    #[arg(long, value_name = "FILE")]
    pub(crate) signing_config: Option<PathBuf>,
    /// The file to sign.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

/// Run `sign-bundle`: keyless signing needs Fulcio, Rekor and a TSA over the network, which
/// chainseal does not do; say so and exit 2.
pub(crate) fn run_sign(args: &SignBundleArgs) -> anyhow::Result<ExitCode> {
    eprintln!(
        "error: sign-bundle (keyless signing of {}) needs the network (Fulcio, Rekor, TSA), which chainseal does not use; sign with a key: chainseal sign-blob --key",
        args.file.display()
    );
    Ok(ExitCode::from(2))
}
