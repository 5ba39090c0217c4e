//! `chainseal sbom`: catalog an image or a directory and write CycloneDX / SPDX documents.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chainseal::sbom::{Format, SbomOptions};
use clap::Args;

/// Arguments of `sbom`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
SOURCE:
  dir:PATH                 a directory (installed and declared evidence: lockfiles too)
  oci-dir:PATH[:TAG]       an OCI image layout
  oci-archive:FILE[:TAG]   a tar of an OCI image layout
  docker-archive:FILE      a `docker save` tar
  registry:REF | REF       an image in a registry
  PATH                     a directory (an OCI layout directory is read as oci-dir:)

FORMATS (-o FORMAT[=FILE], repeatable; without =FILE to stdout; default cyclonedx-json):
  cyclonedx-json           CycloneDX 1.6 JSON (also cyclonedx-json@1.6)
  cyclonedx-json@1.5       CycloneDX 1.5 JSON
  spdx-json                SPDX 2.3 JSON (also spdx-json@2.3)
  spdx3-json-ld            SPDX 3.0.1 JSON-LD (also spdx-json@3.0)

The output is deterministic: the timestamp comes from SOURCE_DATE_EPOCH, else the image's
creation time (directories: the newest evidence file), and the serial number from the content.

Example: chainseal sbom oci-dir:./img -o cyclonedx-json=bom.cdx.json -o spdx-json=bom.spdx.json")]
pub(crate) struct SbomArgs {
    /// What to catalog (see below).
    #[arg(value_name = "SOURCE")]
    pub(crate) source: String,
    /// Output FORMAT[=FILE]; repeat for several formats in one pass.
    #[arg(short, long = "output", value_name = "FORMAT[=FILE]")]
    pub(crate) output: Vec<String>,
    /// Platform of a multi-platform image (os/arch[/variant]); default linux/amd64.
    #[arg(long, value_name = "OS/ARCH")]
    pub(crate) platform: Option<String>,
    /// Name of the source in the SBOM.
    #[arg(long, value_name = "NAME")]
    pub(crate) source_name: Option<String>,
    /// Version of the source in the SBOM.
    #[arg(long, value_name = "VERSION")]
    pub(crate) source_version: Option<String>,
    /// Supplier of the source (NTIA supplier of the top-level component).
    #[arg(long, value_name = "NAME")]
    pub(crate) source_supplier: Option<String>,
    /// Also attest each SBOM written to the image (CycloneDX as `cyclonedx`, SPDX as `spdx`),
    /// in the same run: the image is walked once. Needs --key; images only.
    #[arg(long, requires = "key")]
    pub(crate) attest: bool,
    /// The signing key for --attest (cosign key file or PEM private key).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// How --attest stores attestations.
    #[arg(long = "attest-format", value_enum, default_value = "bundle")]
    pub(crate) attest_format: super::attest::Format,
    #[command(flatten)]
    pub(crate) registry: super::registry_opts::RegistryOpts,
}

/// Parse `FORMAT[=FILE]`.
fn parse_output(s: &str) -> anyhow::Result<(Format, Option<PathBuf>)> {
    let (f, file) = match s.split_once('=') {
        Some((f, file)) if !file.is_empty() => (f, Some(PathBuf::from(file))),
        Some((f, _)) => (f, None),
        None => (s, None),
    };
    Ok((Format::parse(f)?, file))
}

/// Run `sbom`.
pub(crate) fn run(args: &SbomArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let mut outputs = Vec::new();
    for o in &args.output {
        outputs.push(parse_output(o)?);
    }
    if outputs.is_empty() {
        outputs.push((Format::CycloneDxJson16, None));
    }
    if outputs.iter().filter(|(_, f)| f.is_none()).count() > 1 {
        anyhow::bail!("only one -o may go to stdout; give the others =FILE");
    }
    // Decrypt the key before the (long) walk, so a wrong password fails fast.
    let key = match (&args.attest, &args.key) {
        (true, Some(k)) => Some(chainseal::sign::load_signing_key(k, None)?),
        (false, Some(_)) => anyhow::bail!("--key is only used with --attest"),
        _ => None,
    };
    let mut opts = SbomOptions::new();
    opts.registry = args.registry.to_config();
    opts.platform = args.platform.clone();
    opts.source_name = args.source_name.clone();
    opts.source_version = args.source_version.clone();
    opts.source_supplier = args.source_supplier.clone();
    let start = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let (sbom, image) = rt.block_on(chainseal::sbom::sbom_resolved(&args.source, &opts))?;
    if key.is_some() && image.is_none() {
        anyhow::bail!("--attest needs an image (registry reference or oci-dir:), not a directory");
    }
    if !quiet {
        for w in &sbom.warnings {
            eprintln!("warning: {w}");
        }
        let counts: Vec<String> = sbom.count_by_ecosystem().iter().map(|(k, v)| format!("{k}: {v}")).collect();
        eprintln!(
            "cataloged {} components ({}) in {:.2}s",
            sbom.components.len(),
            counts.join(", "),
            start.elapsed().as_secs_f64()
        );
    }
    let mut written = Vec::new();
    for (format, file) in outputs {
        let bytes = chainseal::sbom::write(&sbom, format);
        if key.is_some() {
            written.push((format, bytes.clone()));
        }
        match file {
            Some(path) => {
                std::fs::write(&path, &bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?
            }
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(&bytes)?;
                out.flush()?;
            }
        }
    }
    if let (Some(key), Some((spec, digest))) = (&key, &image) {
        let mut options = chainseal::attest::AttestOptions::default();
        options.format = args.attest_format.to_facade();
        options.registry = opts.registry.clone();
        for (format, bytes) in written {
            let report =
                rt.block_on(chainseal::attest::attest_sbom_async(spec, digest, key, format, &bytes, &options))?;
            eprintln!("Attested {} ({}) -> {}", report.digest, report.predicate_type, report.stored_at);
        }
    }
    Ok(ExitCode::SUCCESS)
}
