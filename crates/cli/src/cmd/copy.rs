//! `chainseal copy SOURCE DEST`: copy an image (a whole index with every platform, or with
//! `--platform` one platform's manifest) keeping every digest; `--with-attachments` brings its
//! signatures, attestations and SBOMs along.

use std::io::IsTerminal;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use chainseal::image::{CopyProgress, ProgressFn};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::registry_opts::RegistryOpts;

/// Arguments of `copy`.
#[derive(Args, Debug)]
pub(crate) struct CopyArgs {
    /// What to copy: REF or registry:REF, oci-dir:PATH[:TAG], oci-archive:FILE[:TAG],
    /// docker-archive:FILE[:REF].
    pub(crate) source: String,
    /// Where to: REF or registry:REF, or oci-dir:PATH[:TAG] (created if missing).
    pub(crate) dest: String,
    /// Also copy referrers (recursively) and cosign .sig/.att/.sbom tags of the image and of
    /// every platform manifest.
    #[arg(long)]
    pub(crate) with_attachments: bool,
    /// Copy every platform of an index (the default; digests stay the same).
    #[arg(long, default_value_t = true)]
    pub(crate) all_platforms: bool,
    /// Copy only this platform's image manifest out of an index (OS/ARCH[/VARIANT], e.g.
    /// linux/arm64/v8); its digest stays the same, the index itself is not copied.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub(crate) platform: Option<String>,
    #[command(flatten)]
    pub(crate) registry: RegistryOpts,
}

pub(crate) fn run(args: &CopyArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let mut options = chainseal::image::CopyOptions::default();
    options.registry = args.registry.to_config();
    options.with_attachments = args.with_attachments;
    options.platform = args.platform.clone();
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    });
    if let Some(bar) = &bar {
        let b = bar.clone();
        let callback: ProgressFn = Arc::new(move |p: &CopyProgress| match p {
            CopyProgress::Planned { manifests, blobs, bytes } => {
                b.set_length(*bytes);
                b.set_message(format!("{blobs} blobs, {manifests} manifests"));
            }
            CopyProgress::BlobSkipped { size, .. } => b.inc(*size),
            CopyProgress::BlobBytes { bytes, .. } => b.inc(*bytes),
            _ => {}
        });
        options.progress = Some(callback);
    }
    let result = chainseal::image::copy(&args.source, &args.dest, &options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = result?;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    if let Err(e) = writeln!(stdout, "{}", serde_json::to_string_pretty(&report)?) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    if !quiet {
        eprintln!(
            "copied {} ({} manifests, {} blobs copied, {} already there, {} bytes{}{})",
            report.digest,
            report.manifests,
            report.blobs_copied,
            report.blobs_skipped,
            report.bytes_copied,
            if report.referrers.is_empty() { String::new() } else { format!(", {} referrers", report.referrers.len()) },
            if report.cosign_tags.is_empty() {
                String::new()
            } else {
                format!(", {} cosign tags", report.cosign_tags.len())
            },
        );
    }
    Ok(ExitCode::SUCCESS)
}
