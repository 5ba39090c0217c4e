//! Subcommands. Each module parses its own arguments and calls the `chainseal` facade;
//! none holds logic of its own.

use std::process::ExitCode;

use clap::{Args, Subcommand};

mod attest;
mod copy;
mod download;
mod generate_key_pair;
mod identity_opts;
mod import_key_pair;
mod inspect;
mod provenance;
mod public_key;
pub(crate) mod registry_opts;
mod sbom;
mod sign;
mod sign_blob;
mod tree;
mod trusted_root;
mod verify;
mod verify_attestation;
mod verify_blob;
mod verify_bundle;

/// Set once from `-q`: progress notes (check lines, summaries) are not printed.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Was `-q` given?
pub(crate) fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// A progress note on stderr (`check: …`, `Verified …`), silenced by `-q`. Data goes to stdout,
/// and warnings, refusals and errors are printed whatever `-q` says.
macro_rules! note {
    ($($arg:tt)*) => {
        if !$crate::cmd::quiet() {
            eprintln!($($arg)*);
        }
    };
}
pub(crate) use note;

/// Options every subcommand accepts.
#[derive(Args, Debug, Clone)]
pub(crate) struct GlobalOptions {
    /// Print nothing but data, warnings and errors (no progress bars, check lines or summaries).
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// More logging on stderr (-v, -vv); RUST_LOG also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Inspect an image: digests, platforms, layers, config, referrers and cosign tags (JSON).
    Inspect(inspect::InspectArgs),
    /// Copy an image between registries and OCI layouts keeping every digest.
    Copy(copy::CopyArgs),
    /// Generate a cosign-compatible key pair (encrypted `cosign.key`, `cosign.pub`).
    GenerateKeyPair(generate_key_pair::GenerateKeyPairArgs),
    /// Import a PEM private key as a cosign-compatible key pair.
    ImportKeyPair(import_key_pair::ImportKeyPairArgs),
    /// Print the public key of a key file.
    PublicKey(public_key::PublicKeyArgs),
    /// Generate an SBOM (CycloneDX 1.6/1.5, SPDX 2.3/3.0.1) for an image or a directory.
    Sbom(sbom::SbomArgs),
    /// Sign an image with a key (cosign v3 bundle referrer, or legacy `.sig` tag).
    Sign(sign::SignArgs),
    /// Verify an image's signatures, key or keyless (referrers, fallback index, `.sig` tag).
    Verify(verify::VerifyArgs),
    /// Attest an image: sign an in-toto Statement (SBOM, SLSA provenance, custom) about it.
    Attest(attest::AttestArgs),
    /// Verify an image's attestations by predicate type, signer and policy.
    VerifyAttestation(verify_attestation::VerifyAttestationArgs),
    /// Print a SLSA provenance v1 predicate from the CI environment and flags.
    Provenance(provenance::ProvenanceArgs),
    /// List what is attached to an image: signatures, attestations, SBOMs (unverified).
    Tree(tree::TreeArgs),
    /// Download an image's signatures, attestations or SBOMs (unverified).
    Download(download::DownloadArgs),
    /// Sign a blob with a key into a Sigstore bundle.
    SignBlob(sign_blob::SignBlobArgs),
    /// Verify a Sigstore bundle over a blob or digest, offline (keyless or managed key).
    VerifyBlob(verify_blob::VerifyBlobArgs),
    /// Conformance protocol: verify a bundle (sigstore-conformance `verify-bundle`).
    VerifyBundle(verify_bundle::VerifyBundleArgs),
    /// Conformance protocol: keyless signing (needs the network; refused offline).
    SignBundle(verify_bundle::SignBundleArgs),
    /// Refresh the Sigstore trusted root through TUF (update), or show which one is used (status).
    TrustedRoot(trusted_root::TrustedRootArgs),
}

/// Send `tracing` output to stderr at the verbosity asked for.
pub(crate) fn init_logging(global: &GlobalOptions) {
    let default = match global.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

/// Run one subcommand and return the process exit code.
pub(crate) fn run(command: Command, _global: &GlobalOptions) -> anyhow::Result<ExitCode> {
    QUIET.store(_global.quiet, std::sync::atomic::Ordering::Relaxed);
    match command {
        Command::Inspect(args) => inspect::run(&args),
        Command::Copy(args) => copy::run(&args, _global.quiet),
        Command::GenerateKeyPair(args) => generate_key_pair::run(&args),
        Command::ImportKeyPair(args) => import_key_pair::run(&args),
        Command::PublicKey(args) => public_key::run(&args),
        Command::Sbom(args) => sbom::run(&args, _global.quiet),
        Command::Sign(args) => sign::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Attest(args) => attest::run(&args),
        Command::VerifyAttestation(args) => verify_attestation::run(&args),
        Command::Provenance(args) => provenance::run(&args),
        Command::Tree(args) => tree::run(&args, _global.verbose > 0),
        Command::Download(args) => download::run(&args),
        Command::SignBlob(args) => sign_blob::run(&args),
        Command::VerifyBlob(args) => verify_blob::run(&args),
        Command::VerifyBundle(args) => verify_bundle::run_verify(&args),
        Command::SignBundle(args) => verify_bundle::run_sign(&args),
        Command::TrustedRoot(args) => trusted_root::run(&args),
    }
}
