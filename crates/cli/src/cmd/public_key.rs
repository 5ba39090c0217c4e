//! `chainseal public-key`: print (or write) the PEM public key of a key file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// Arguments of `public-key`.
#[derive(Args, Debug)]
pub(crate) struct PublicKeyArgs {
    /// A cosign key file (decrypted with the password) or a PEM public key.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// Write the PEM here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) outfile: Option<PathBuf>,
}

/// Run `public-key`.
pub(crate) fn run(args: &PublicKeyArgs) -> anyhow::Result<ExitCode> {
    let pem = chainseal::sign::public_key_pem(&args.key, None)?;
    match &args.outfile {
        Some(path) => {
            std::fs::write(path, pem.as_bytes())
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            eprintln!("Public key written to {}", path.display());
        }
        None => print!("{pem}"),
    }
    Ok(ExitCode::SUCCESS)
}
