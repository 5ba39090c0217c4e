//! `chainseal import-key-pair`: turn a PEM private key into a cosign key pair.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// Arguments of `import-key-pair`.
#[derive(Args, Debug)]
pub(crate) struct ImportKeyPairArgs {
    /// The PEM private key (PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// Write `<PREFIX>.key` and `<PREFIX>.pub`.
    #[arg(long, value_name = "PREFIX", default_value = "import-cosign")]
    pub(crate) output_key_prefix: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    pub(crate) force: bool,
}

/// Run `import-key-pair`; the new file's password comes from the environment, a prompt or stdin.
pub(crate) fn run(args: &ImportKeyPairArgs) -> anyhow::Result<ExitCode> {
    let written = chainseal::sign::import_key_pair(&args.key, &args.output_key_prefix, args.force, None)?;
    eprintln!("Private key written to {}", written.private_key.display());
    eprintln!("Public key written to {}", written.public_key.display());
    Ok(ExitCode::SUCCESS)
}
