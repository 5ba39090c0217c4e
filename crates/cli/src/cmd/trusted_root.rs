//! `chainseal trusted-root update|status`: refresh the Sigstore trusted root through TUF (the
//! only network use for trust material), and show which root verification uses (offline).

use std::path::PathBuf;
use std::process::ExitCode;

use chainseal::trusted_root::{UpdateRequest, status, update};
use clap::{Args, Subcommand};

/// Arguments of `trusted-root`.
#[derive(Args, Debug)]
pub(crate) struct TrustedRootArgs {
    #[command(subcommand)]
    pub(crate) action: Action,
}

/// What to do with the trusted root.
#[derive(Subcommand, Debug)]
pub(crate) enum Action {
    /// Fetch trusted_root.json through TUF (verified from the pinned TUF root) into the cache and
    /// use that repository for later verifications. Prints the result as JSON on stdout.
    Update(UpdateArgs),
    /// Offline: print which trusted root verification uses now (TUF cache if fresh, else the
    /// embedded one) as JSON on stdout.
    Status(StatusArgs),
}

/// Arguments of `trusted-root update`.
#[derive(Args, Debug)]
pub(crate) struct UpdateArgs {
    /// The TUF repository (default: Sigstore production, or staging with --staging).
    #[arg(long, value_name = "URL")]
    pub(crate) tuf_url: Option<String>,
    /// The repository's trusted root.json (needed for a repository other than Sigstore's; the
    /// embedded TUF roots are used for those).
    #[arg(long, value_name = "ROOT.json")]
    pub(crate) root: Option<PathBuf>,
    /// The cache directory (default: $CHAINSEAL_TUF_CACHE, $XDG_CACHE_HOME/chainseal/tuf or
    /// ~/.cache/chainseal/tuf; verification reads the default one).
    #[arg(long, value_name = "DIR")]
    pub(crate) cache: Option<PathBuf>,
    /// Sigstore staging instead of production (when no --tuf-url).
    #[arg(long)]
    pub(crate) staging: bool,
}

/// Arguments of `trusted-root status`.
#[derive(Args, Debug)]
pub(crate) struct StatusArgs {
    /// The cache directory (default as for `update`).
    #[arg(long, value_name = "DIR")]
    pub(crate) cache: Option<PathBuf>,
    /// The staging instance.
    #[arg(long)]
    pub(crate) staging: bool,
}

/// Run `trusted-root`.
pub(crate) fn run(args: &TrustedRootArgs) -> anyhow::Result<ExitCode> {
    match &args.action {
        Action::Update(a) => {
            let req = UpdateRequest {
                url: a.tuf_url.clone(),
                root: a.root.clone(),
                cache: a.cache.clone(),
                staging: a.staging,
            };
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            match rt.block_on(update(&req)) {
                Ok(s) => {
                    let out = serde_json::json!({
                        "url": s.url,
                        "cache": s.dir,
                        "tufRootVersion": s.root_version,
                        "freshUntil": s.fresh_until.map(|t| t.to_string()),
                        "trustedRootSha256": s.trusted_root_sha256,
                    });
                    println!("{out:#}");
                    eprintln!("trusted root updated from {} (verified through TUF)", s.url);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Action::Status(a) => match status(a.cache.as_deref(), a.staging) {
            Ok(s) => {
                println!("{:#}", serde_json::json!({ "trustedRoot": s.origin, "notice": s.notice }));
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("error: {e}");
                Ok(ExitCode::from(2))
            }
        },
    }
}
