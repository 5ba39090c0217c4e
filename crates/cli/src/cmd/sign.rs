//! `chainseal sign --key K IMAGE`: sign an image's manifest digest with a key, stored as cosign
//! v3 (bundle referrer, default) or cosign v2 (`--format legacy`, `.sig` tag) does.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use chainseal::sign_image::{SignFormat, SignImageOptions};
use clap::{Args, ValueEnum};

use super::note;
use super::registry_opts::RegistryOpts;

/// Signature storage formats.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub(crate) enum Format {
    /// cosign v3: Sigstore bundle (DSSE + in-toto) as an OCI referrer.
    Bundle,
    /// cosign v2: simple-signing payload in the `sha256-<hex>.sig` tag.
    Legacy,
}

/// Parse `key=value`.
pub(crate) fn parse_annotation(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{s}` is not key=value"))
}

/// Arguments of `sign`.
#[derive(Args, Debug)]
pub(crate) struct SignArgs {
    /// The signing key: a cosign key file (password from CHAINSEAL_PASSWORD, COSIGN_PASSWORD, a
    /// prompt or stdin) or an unencrypted PEM private key; `env://VAR` reads the PEM from the
    /// environment variable VAR (the password still comes from the sources above).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// Where and how to store the signature.
    #[arg(long, value_enum, default_value = "bundle")]
    pub(crate) format: Format,
    /// Annotation to sign along (repeatable).
    #[arg(short = 'a', long = "annotations", value_name = "KEY=VALUE", value_parser = parse_annotation)]
    pub(crate) annotations: Vec<(String, String)>,
    /// For an index, also sign every manifest it lists.
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// Accepted for cosign compatibility: there is never a prompt to skip.
    #[arg(short = 'y', long = "yes")]
    pub(crate) yes: bool,
    #[command(flatten)]
    pub(crate) registry: RegistryOpts,
    /// The image: a registry reference (tag or digest) or `oci-dir:PATH[:TAG]`.
    #[arg(value_name = "IMAGE")]
    pub(crate) image: String,
}

/// Run `sign`.
pub(crate) fn run(args: &SignArgs) -> anyhow::Result<ExitCode> {
    let mut options = SignImageOptions::default();
    options.format = match args.format {
        Format::Bundle => SignFormat::Bundle,
        Format::Legacy => SignFormat::Legacy,
    };
    options.annotations = args.annotations.iter().cloned().collect::<BTreeMap<_, _>>();
    options.recursive = args.recursive;
    options.registry = args.registry.to_config();
    // The key file is decrypted while the image is resolved (see sign_image_loading_key).
    let key_path = args.key.clone();
    let report = chainseal::sign_image::sign_image_loading_key(
        &args.image,
        move || chainseal::sign::load_signing_key(&key_path, None),
        &options,
    )?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for s in &report.signed {
        if s.written {
            note!("Signed {} -> {}", s.digest, s.stored_at);
        } else {
            note!("{} already carries this signature in {}", s.digest, s.stored_at);
        }
    }
    Ok(ExitCode::SUCCESS)
}
