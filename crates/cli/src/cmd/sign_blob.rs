//! `chainseal sign-blob`: sign a file (or a `sha256:` digest) with a key into a Sigstore bundle
//! v0.3, as `cosign sign-blob --key … --bundle` does offline (no transparency-log upload).

use std::path::PathBuf;
use std::process::ExitCode;

use super::note;
use chainseal::sign::BlobInput;
use clap::Args;

/// Arguments of `sign-blob`.
#[derive(Args, Debug)]
pub(crate) struct SignBlobArgs {
    /// The signing key: a cosign key file (password from CHAINSEAL_PASSWORD, COSIGN_PASSWORD, a
    /// prompt or stdin) or an unencrypted PEM private key.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// Where to write the bundle (`.sigstore.json`); `-` for stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: PathBuf,
    /// Accepted for cosign compatibility: there is never a prompt to skip.
    #[arg(short = 'y', long = "yes")]
    pub(crate) yes: bool,
    /// The blob: a file, or `sha256:<hex>` when no such file exists.
    #[arg(value_name = "FILE|sha256:HEX")]
    pub(crate) artifact: String,
}

/// Run `sign-blob`.
pub(crate) fn run(args: &SignBlobArgs) -> anyhow::Result<ExitCode> {
    let input = BlobInput::from_arg(&args.artifact)?;
    let key = chainseal::sign::load_signing_key(&args.key, None)?;
    let json = chainseal::sign::sign_blob(&key, &input)?;
    if args.bundle.as_os_str() == "-" {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        out.write_all(&json)?;
        out.write_all(b"\n")?;
    } else {
        std::fs::write(&args.bundle, &json)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", args.bundle.display()))?;
        note!("Wrote bundle to {}", args.bundle.display());
    }
    Ok(ExitCode::SUCCESS)
}
