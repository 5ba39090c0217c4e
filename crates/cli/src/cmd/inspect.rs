//! `chainseal inspect SOURCE`: digests, media types, platforms, layers, config and attached
//! referrers / cosign tags as JSON on stdout.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::registry_opts::RegistryOpts;

/// Arguments of `inspect`.
#[derive(Args, Debug)]
pub(crate) struct InspectArgs {
    /// What to inspect: REF or registry:REF, oci-dir:PATH[:TAG], oci-archive:FILE[:TAG],
    /// docker-archive:FILE[:REF].
    pub(crate) source: String,
    /// Platform to pick from a multi-platform image (os/arch[/variant]); default linux/amd64.
    #[arg(long, value_name = "OS/ARCH")]
    pub(crate) platform: Option<String>,
    /// Do not list referrers and cosign tags.
    #[arg(long)]
    pub(crate) no_attachments: bool,
    #[command(flatten)]
    pub(crate) registry: RegistryOpts,
}

pub(crate) fn run(args: &InspectArgs) -> anyhow::Result<ExitCode> {
    let mut options = chainseal::image::InspectOptions::default();
    options.platform = args.platform.clone();
    options.registry = args.registry.to_config();
    options.skip_attachments = args.no_attachments;
    let report = chainseal::image::inspect(&args.source, &options)?;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    if let Err(e) = writeln!(stdout, "{}", serde_json::to_string_pretty(&report)?) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    Ok(ExitCode::SUCCESS)
}
