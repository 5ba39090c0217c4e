//! `chainseal provenance`: print a SLSA provenance v1 predicate built from the CI environment
//! (GitHub Actions, GitLab CI) and flags, for `attest --type slsaprovenance --predicate FILE`
//! or any other tool. `attest --provenance-from-env` does the same in one step.

use std::process::ExitCode;

use chainseal::provenance::ProvenanceInputs;
use clap::Args;

/// Flags that give or override provenance values.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct ProvenanceFlags {
    /// runDetails.builder.id (default: from the CI environment).
    #[arg(long, value_name = "URI")]
    pub(crate) builder_id: Option<String>,
    /// buildDefinition.buildType (default: from the CI environment).
    #[arg(long, value_name = "URI")]
    pub(crate) build_type: Option<String>,
    /// Source repository URI (recorded as a `git+` resolved dependency).
    #[arg(long, value_name = "URI")]
    pub(crate) source_uri: Option<String>,
    /// Source commit (gitCommit digest).
    #[arg(long, value_name = "SHA")]
    pub(crate) source_commit: Option<String>,
    /// Source ref (branch or tag).
    #[arg(long, value_name = "REF")]
    pub(crate) source_ref: Option<String>,
    /// runDetails.metadata.invocationId.
    #[arg(long, value_name = "ID")]
    pub(crate) invocation_id: Option<String>,
    /// Extra externalParameters entry (repeatable).
    #[arg(long = "external-parameter", value_name = "KEY=VALUE", value_parser = super::sign::parse_annotation)]
    pub(crate) external_parameters: Vec<(String, String)>,
}

impl ProvenanceFlags {
    pub(crate) fn to_inputs(&self) -> anyhow::Result<ProvenanceInputs> {
        let mut i = ProvenanceInputs::new();
        i.builder_id = self.builder_id.clone();
        i.build_type = self.build_type.clone();
        i.source_uri = self.source_uri.clone();
        i.source_commit = self.source_commit.clone();
        i.source_ref = self.source_ref.clone();
        i.invocation_id = self.invocation_id.clone();
        for (k, v) in &self.external_parameters {
            i.external_parameters.insert(k.clone(), serde_json::Value::String(v.clone()));
        }
        Ok(i)
    }
}

/// Arguments of `provenance`.
#[derive(Args, Debug)]
pub(crate) struct ProvenanceArgs {
    #[command(flatten)]
    pub(crate) flags: ProvenanceFlags,
}

/// Run `provenance`.
pub(crate) fn run(args: &ProvenanceArgs) -> anyhow::Result<ExitCode> {
    let predicate = chainseal::provenance::from_env(&args.flags.to_inputs()?)?;
    println!("{}", serde_json::to_string_pretty(&predicate)?);
    Ok(ExitCode::SUCCESS)
}
