//! `chainseal generate-key-pair`: write an encrypted `cosign.key` (0600) and `cosign.pub`.

use std::path::PathBuf;
use std::process::ExitCode;

use chainseal::sign::keys::GenerateAlgorithm;
use clap::{Args, ValueEnum};

/// Key algorithms `generate-key-pair` offers.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub(crate) enum Algorithm {
    /// ECDSA P-256 with SHA-256 (cosign's default).
    EcdsaP256,
    /// ECDSA P-384 with SHA-384.
    EcdsaP384,
    /// ECDSA P-521 with SHA-512.
    EcdsaP521,
    /// Ed25519.
    Ed25519,
}

/// Arguments of `generate-key-pair`.
#[derive(Args, Debug)]
pub(crate) struct GenerateKeyPairArgs {
    /// Write `<PREFIX>.key` and `<PREFIX>.pub`.
    #[arg(long, value_name = "PREFIX", default_value = "cosign")]
    pub(crate) output_key_prefix: PathBuf,
    /// Key algorithm.
    #[arg(long, value_enum, default_value = "ecdsa-p256")]
    pub(crate) algorithm: Algorithm,
    /// Replace existing key files.
    #[arg(long)]
    pub(crate) force: bool,
}

/// Run `generate-key-pair`. The password comes from CHAINSEAL_PASSWORD, COSIGN_PASSWORD, a
/// terminal prompt (asked twice) or stdin.
pub(crate) fn run(args: &GenerateKeyPairArgs) -> anyhow::Result<ExitCode> {
    let alg = match args.algorithm {
        Algorithm::EcdsaP256 => GenerateAlgorithm::EcdsaP256,
        Algorithm::EcdsaP384 => GenerateAlgorithm::EcdsaP384,
        Algorithm::EcdsaP521 => GenerateAlgorithm::EcdsaP521,
        Algorithm::Ed25519 => GenerateAlgorithm::Ed25519,
    };
    let written = chainseal::sign::generate_key_pair(&args.output_key_prefix, alg, args.force, None)?;
    eprintln!("Private key written to {}", written.private_key.display());
    eprintln!("Public key written to {}", written.public_key.display());
    Ok(ExitCode::SUCCESS)
}
