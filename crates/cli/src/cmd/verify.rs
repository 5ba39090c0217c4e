//! `chainseal verify (--key K | --certificate-identity … --certificate-oidc-issuer …) IMAGE`:
//! verify cosign-compatible image signatures (v3 bundle referrers and legacy `.sig` layers)
//! with a managed key or a keyless identity, offline against a trusted root.
//!
//! Verified payloads go to stdout as JSON; what was checked goes to stderr. Exit 0 when at
//! least one signature verified, 1 when none did (each refusal explained in one line naming the
//! failed step), 2 on errors (a registry failure is never reported as "no signatures").
//!
//! Several images (`IMAGE...` and/or `--images-from FILE`, `-` for stdin) are verified in one
//! call, concurrently over one registry client: stdout gets one line per image in input order
//! (JSON lines), each the same JSON array of verified payloads one image prints (`[]` when none
//! verified or the image could not be checked); stderr names each image that failed and why.
//! Exit 0 only when every image has a verified signature, 2 if any image hit an error, else 1.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use chainseal::verify::{ImageSigner, VerifyImageOptions};
use clap::Args;

use super::identity_opts::IdentityOpts;
use super::note;
use super::registry_opts::RegistryOpts;
use super::sign::parse_annotation;

/// Arguments of `verify`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// Managed key: the public key (PEM), or a cosign key file (its public half is used), or
    /// `env://VAR` (the PEM is the value of the environment variable VAR).
    /// Transparency-log entries that signatures carry are always verified against the trusted
    /// root; signatures without any (cosign --tlog-upload=false, chainseal's offline sign) are
    /// accepted on the key and stderr says so.
    #[arg(short, long, value_name = "FILE", required_unless_present_any = ["certificate_identity", "certificate_identity_regexp"])]
    pub(crate) key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) identity: IdentityOpts,
    /// cosign compatibility, no effect with --key (see --key); refused for keyless
    /// verification, which always needs a verified log entry or timestamp.
    #[arg(long, hide = true)]
    pub(crate) insecure_ignore_tlog: bool,
    /// Annotation every accepted signature must carry (repeatable).
    #[arg(short = 'a', long = "annotations", value_name = "KEY=VALUE", value_parser = parse_annotation)]
    pub(crate) annotations: Vec<(String, String)>,
    #[command(flatten)]
    pub(crate) registry: RegistryOpts,
    /// Also verify the images listed in FILE, one per line (`-`: stdin; blank lines and lines
    /// starting with `#` are skipped).
    #[arg(long, value_name = "FILE")]
    pub(crate) images_from: Option<PathBuf>,
    /// Most images verified at once when several are given.
    #[arg(long, value_name = "N", default_value_t = chainseal::verify::DEFAULT_IMAGE_PARALLELISM as u64,
          value_parser = clap::value_parser!(u64).range(1..=256))]
    pub(crate) max_workers: u64,
    /// The image(s): registry references (tag or digest) or `oci-dir:PATH[:TAG]`.
    #[arg(value_name = "IMAGE", required_unless_present = "images_from")]
    pub(crate) image: Vec<String>,
}

/// The images to verify: the arguments, then the lines of `--images-from`.
fn image_list(args: &VerifyArgs) -> anyhow::Result<Vec<String>> {
    use std::io::Read as _;
    let mut images = args.image.clone();
    if let Some(path) = &args.images_from {
        let mut text = String::new();
        if path.as_os_str() == "-" {
            std::io::stdin().read_to_string(&mut text)?;
        } else {
            text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read --images-from {}: {e}", path.display()))?;
        }
        images.extend(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string));
    }
    Ok(images)
}

/// Run `verify`.
pub(crate) fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let signer = match &args.key {
        Some(_) if args.identity.any_identity() => {
            eprintln!("error: give either --key or the keyless --certificate-* flags, not both");
            return Ok(ExitCode::from(2));
        }
        Some(key) => ImageSigner::Key(chainseal::sign::load_verification_key(key, None)?),
        None if args.insecure_ignore_tlog => {
            eprintln!(
                "error: --insecure-ignore-tlog is refused for keyless verification: a certificate needs a \
                 verified signing time from the transparency log or a timestamp authority"
            );
            return Ok(ExitCode::from(2));
        }
        None => ImageSigner::Identity(args.identity.spec()),
    };
    let mut options = VerifyImageOptions::default();
    options.annotations = args.annotations.iter().cloned().collect::<BTreeMap<_, _>>();
    options.registry = args.registry.to_config();
    options.trust = Some(args.identity.trust());
    let images = image_list(args)?;
    if images.len() != 1 || args.images_from.is_some() {
        return run_many(&images, &signer, &options, args.max_workers as usize);
    }
    let report = chainseal::verify::verify_image_as(&images[0], &signer, &options)?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for c in &report.checks {
        note!("check: {c}");
    }
    for r in &report.rejected {
        eprintln!("refused: {}: {}", r.found_at, r.reason);
    }
    if report.verified.is_empty() {
        let whom = match &signer {
            ImageSigner::Key(_) => "with this key",
            _ => "for this identity",
        };
        eprintln!(
            "error: no signature of {} verified {whom} ({} found and refused)",
            report.digest,
            report.rejected.len()
        );
        return Ok(ExitCode::from(1));
    }
    let payloads: Vec<_> = report.verified.iter().map(|v| &v.payload).collect();
    println!("{}", serde_json::to_string(&payloads)?);
    note!("Verified {} signature(s) of {}", report.verified.len(), report.digest);
    Ok(ExitCode::SUCCESS)
}

/// Several images in one call: JSON lines on stdout, one per image in input order.
fn run_many(
    images: &[String],
    signer: &ImageSigner,
    options: &VerifyImageOptions,
    workers: usize,
) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;
    if images.is_empty() {
        eprintln!("error: no images to verify (the --images-from list is empty)");
        return Ok(ExitCode::from(2));
    }
    let outcomes = chainseal::verify::verify_images(images, signer, options, workers)?;
    let (mut verified, mut unverified, mut errors) = (0usize, 0usize, 0usize);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for o in &outcomes {
        let payloads: Vec<&serde_json::Value> = match &o.result {
            Ok(report) => report.verified.iter().map(|v| &v.payload).collect(),
            Err(_) => Vec::new(),
        };
        writeln!(out, "{}", serde_json::to_string(&payloads)?)?;
        match &o.result {
            Ok(report) => {
                for w in &report.warnings {
                    eprintln!("warning: {}: {w}", o.image);
                }
                for r in &report.rejected {
                    eprintln!("refused: {}: {}: {}", o.image, r.found_at, r.reason);
                }
                if report.verified.is_empty() {
                    unverified += 1;
                    eprintln!(
                        "error: {}: no signature of {} verified ({} found and refused)",
                        o.image,
                        report.digest,
                        report.rejected.len()
                    );
                } else {
                    verified += 1;
                    note!("Verified {} signature(s) of {} ({})", report.verified.len(), report.digest, o.image);
                }
            }
            Err(e) => {
                errors += 1;
                eprintln!("error: {}: {e}", o.image);
            }
        }
    }
    out.flush()?;
    note!(
        "{verified} of {} image(s) verified; {unverified} without a verified signature; {errors} error(s)",
        outcomes.len()
    );
    Ok(if errors > 0 {
        ExitCode::from(2)
    } else if unverified > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
