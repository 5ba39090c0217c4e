//! SLSA provenance v1 predicates (`https://slsa.dev/provenance/v1`) from the CI environment
//! the command runs in, or from explicit values.
//!
//! - GitHub Actions (`GITHUB_ACTIONS=true`): the shape of `actions/attest-build-provenance`:
//!   buildType `https://actions.github.io/buildtypes/workflow/v1`, builder id
//!   `$GITHUB_SERVER_URL/$GITHUB_WORKFLOW_REF`, externalParameters.workflow {ref, repository,
//!   path}, internalParameters.github {event_name, repository_id, repository_owner_id,
//!   runner_environment}, resolvedDependencies `git+<repo>@<ref>` with `gitCommit`
//!   `$GITHUB_SHA`, invocationId `<repo>/actions/runs/<id>/attempts/<attempt>`.
//! - GitLab CI (`GITLAB_CI=true`): buildType
//!   `https://gitlab.com/gitlab-org/gitlab-runner/-/blob/<runner version>/PROVENANCE.md`, builder
//!   id `$CI_SERVER_URL/$CI_PROJECT_PATH/-/runners/$CI_RUNNER_ID`, externalParameters {source,
//!   entryPoint, ref}, internalParameters.gitlab {pipeline_id, job_id, pipeline_source,
//!   runner_description}, resolvedDependencies `git+$CI_PROJECT_URL@$CI_COMMIT_REF_NAME` with
//!   `gitCommit` `$CI_COMMIT_SHA`, invocationId `$CI_JOB_URL`, startedOn `$CI_JOB_STARTED_AT`.
//! - Elsewhere: [`ProvenanceInputs`] must give at least the builder id and the build type.
//!
//! Explicit inputs override what the environment says. `finishedOn` is now (or
//! `SOURCE_DATE_EPOCH`).

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// Values given explicitly (flags); each overrides the environment's.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ProvenanceInputs {
    /// `runDetails.builder.id`.
    pub builder_id: Option<String>,
    /// `buildDefinition.buildType`.
    pub build_type: Option<String>,
    /// Source repository URI (a `git+…` dependency is recorded for it).
    pub source_uri: Option<String>,
    /// Source commit (`gitCommit` digest of that dependency).
    pub source_commit: Option<String>,
    /// Source ref (branch or tag).
    pub source_ref: Option<String>,
    /// `runDetails.metadata.invocationId`.
    pub invocation_id: Option<String>,
    /// Extra `externalParameters` (merged over the environment's).
    pub external_parameters: Map<String, Value>,
}

impl ProvenanceInputs {
    /// Empty inputs.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The CI system detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CiSystem {
    /// GitHub Actions.
    GitHubActions,
    /// GitLab CI.
    GitLabCi,
    /// None detected.
    None,
}

/// Detect the CI system from environment variables.
pub fn detect(env: &dyn Fn(&str) -> Option<String>) -> CiSystem {
    if env("GITHUB_ACTIONS").as_deref() == Some("true") {
        CiSystem::GitHubActions
    } else if env("GITLAB_CI").as_deref() == Some("true") {
        CiSystem::GitLabCi
    } else {
        CiSystem::None
    }
}

/// Build a SLSA provenance v1 predicate from the process environment and `inputs`.
pub fn from_env(inputs: &ProvenanceInputs) -> Result<Value> {
    build(&|k| std::env::var(k).ok().filter(|v| !v.is_empty()), inputs)
}

/// Build a SLSA provenance v1 predicate from the environment `env` (a lookup) and `inputs`.
pub fn build(env: &dyn Fn(&str) -> Option<String>, inputs: &ProvenanceInputs) -> Result<Value> {
    let mut p = match detect(env) {
        CiSystem::GitHubActions => github(env),
        CiSystem::GitLabCi => gitlab(env),
        CiSystem::None => Parts::default(),
    };
    if let Some(v) = &inputs.builder_id {
        p.builder_id = Some(v.clone());
    }
    if let Some(v) = &inputs.build_type {
        p.build_type = Some(v.clone());
    }
    if let Some(v) = &inputs.invocation_id {
        p.invocation_id = Some(v.clone());
    }
    if inputs.source_uri.is_some() || inputs.source_commit.is_some() || inputs.source_ref.is_some() {
        let uri = inputs.source_uri.clone().or(p.source_uri.take());
        p.source_uri = uri;
        if inputs.source_commit.is_some() {
            p.source_commit = inputs.source_commit.clone();
        }
        if inputs.source_ref.is_some() {
            p.source_ref = inputs.source_ref.clone();
        }
    }
    p.external.extend(inputs.external_parameters.clone());
    let builder_id = p.builder_id.ok_or_else(|| {
        Error::InvalidInput(
            "no CI environment detected (GitHub Actions, GitLab CI): give --builder-id and --build-type".into(),
        )
    })?;
    let build_type = p.build_type.ok_or_else(|| Error::InvalidInput("give --build-type".into()))?;
    let mut deps = Vec::new();
    if let Some(uri) = &p.source_uri {
        let uri = if uri.starts_with("git+") { uri.clone() } else { format!("git+{uri}") };
        let uri = match &p.source_ref {
            Some(r) => format!("{uri}@{r}"),
            None => uri,
        };
        let mut dep = json!({"uri": uri});
        if let Some(c) = &p.source_commit {
            dep["digest"] = json!({"gitCommit": c});
        }
        deps.push(dep);
    }
    let mut metadata = Map::new();
    if let Some(i) = p.invocation_id {
        metadata.insert("invocationId".into(), json!(i));
    }
    if let Some(s) = p.started_on {
        metadata.insert("startedOn".into(), json!(s));
    }
    metadata.insert("finishedOn".into(), json!(crate::sign_image::now_rfc3339()));
    let mut build_definition = json!({
        "buildType": build_type,
        "externalParameters": Value::Object(p.external),
    });
    if !p.internal.is_empty() {
        build_definition["internalParameters"] = Value::Object(p.internal);
    }
    if !deps.is_empty() {
        build_definition["resolvedDependencies"] = Value::Array(deps);
    }
    let predicate = json!({
        "buildDefinition": build_definition,
        "runDetails": {"builder": {"id": builder_id}, "metadata": Value::Object(metadata)},
    });
    chainseal_sign::predicate::check_shape(chainseal_sign::predicate::SLSA_PROVENANCE_V1, &predicate)?;
    Ok(predicate)
}

#[derive(Default)]
struct Parts {
    builder_id: Option<String>,
    build_type: Option<String>,
    external: Map<String, Value>,
    internal: Map<String, Value>,
    source_uri: Option<String>,
    source_ref: Option<String>,
    source_commit: Option<String>,
    invocation_id: Option<String>,
    started_on: Option<String>,
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(v) = value {
        map.insert(key.into(), Value::String(v));
    }
}

fn github(env: &dyn Fn(&str) -> Option<String>) -> Parts {
    let server = env("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
    let repo = env("GITHUB_REPOSITORY");
    let repo_url = repo.as_ref().map(|r| format!("{server}/{r}"));
    let git_ref = env("GITHUB_REF");
    // GITHUB_WORKFLOW_REF = owner/repo/.github/workflows/x.yml@refs/heads/main
    let workflow_ref = env("GITHUB_WORKFLOW_REF");
    let path = workflow_ref.as_deref().and_then(|w| {
        let without_ref = w.split_once('@').map_or(w, |(p, _)| p);
        let prefix = repo.as_deref().map(|r| format!("{r}/"))?;
        without_ref.strip_prefix(&prefix).map(str::to_owned)
    });
    let mut workflow = Map::new();
    put(&mut workflow, "ref", git_ref.clone());
    put(&mut workflow, "repository", repo_url.clone());
    put(&mut workflow, "path", path);
    let mut external = Map::new();
    external.insert("workflow".into(), Value::Object(workflow));
    let mut gh = Map::new();
    put(&mut gh, "event_name", env("GITHUB_EVENT_NAME"));
    put(&mut gh, "repository_id", env("GITHUB_REPOSITORY_ID"));
    put(&mut gh, "repository_owner_id", env("GITHUB_REPOSITORY_OWNER_ID"));
    put(&mut gh, "runner_environment", env("RUNNER_ENVIRONMENT"));
    let mut internal = Map::new();
    internal.insert("github".into(), Value::Object(gh));
    let invocation_id = match (&repo_url, env("GITHUB_RUN_ID")) {
        (Some(r), Some(id)) => {
            Some(format!("{r}/actions/runs/{id}/attempts/{}", env("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into())))
        }
        _ => None,
    };
    Parts {
        builder_id: workflow_ref.map(|w| format!("{server}/{w}")),
        build_type: Some("https://actions.github.io/buildtypes/workflow/v1".into()),
        external,
        internal,
        source_uri: repo_url,
        source_ref: git_ref,
        source_commit: env("GITHUB_SHA"),
        invocation_id,
        started_on: None,
    }
}

fn gitlab(env: &dyn Fn(&str) -> Option<String>) -> Parts {
    let server = env("CI_SERVER_URL").unwrap_or_else(|| "https://gitlab.com".into());
    let project_url = env("CI_PROJECT_URL");
    let mut external = Map::new();
    put(&mut external, "source", project_url.clone());
    put(&mut external, "entryPoint", env("CI_JOB_NAME"));
    put(&mut external, "ref", env("CI_COMMIT_REF_NAME"));
    put(&mut external, "configPath", env("CI_CONFIG_PATH"));
    let mut gl = Map::new();
    put(&mut gl, "pipeline_id", env("CI_PIPELINE_ID"));
    put(&mut gl, "job_id", env("CI_JOB_ID"));
    put(&mut gl, "pipeline_source", env("CI_PIPELINE_SOURCE"));
    put(&mut gl, "runner_description", env("CI_RUNNER_DESCRIPTION"));
    let mut internal = Map::new();
    internal.insert("gitlab".into(), Value::Object(gl));
    let builder_id = match (env("CI_PROJECT_PATH"), env("CI_RUNNER_ID")) {
        (Some(p), Some(r)) => Some(format!("{server}/{p}/-/runners/{r}")),
        (Some(p), None) => Some(format!("{server}/{p}/-/runners")),
        _ => None,
    };
    let runner_version = env("CI_RUNNER_VERSION").map(|v| format!("v{}", v.trim_start_matches('v')));
    Parts {
        builder_id,
        build_type: Some(format!(
            "https://gitlab.com/gitlab-org/gitlab-runner/-/blob/{}/PROVENANCE.md",
            runner_version.as_deref().unwrap_or("main")
        )),
        external,
        internal,
        source_uri: project_url,
        source_ref: env("CI_COMMIT_REF_NAME"),
        source_commit: env("CI_COMMIT_SHA"),
        invocation_id: env("CI_JOB_URL"),
        started_on: env("CI_JOB_STARTED_AT"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn github_actions() {
        let env = lookup(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "acme/app"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
            ("GITHUB_WORKFLOW_REF", "acme/app/.github/workflows/release.yml@refs/heads/main"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_RUN_ATTEMPT", "2"),
            ("GITHUB_EVENT_NAME", "push"),
            ("RUNNER_ENVIRONMENT", "github-hosted"),
        ]);
        let p = build(&env, &ProvenanceInputs::new()).unwrap();
        assert_eq!(
            p.pointer("/runDetails/builder/id").unwrap(),
            "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
        );
        assert_eq!(
            p.pointer("/buildDefinition/buildType").unwrap(),
            "https://actions.github.io/buildtypes/workflow/v1"
        );
        assert_eq!(
            p.pointer("/buildDefinition/externalParameters/workflow/path").unwrap(),
            ".github/workflows/release.yml"
        );
        assert_eq!(
            p.pointer("/buildDefinition/resolvedDependencies/0/uri").unwrap(),
            "git+https://github.com/acme/app@refs/heads/main"
        );
        assert_eq!(
            p.pointer("/buildDefinition/resolvedDependencies/0/digest/gitCommit").unwrap(),
            "0123456789abcdef0123456789abcdef01234567"
        );
        assert_eq!(
            p.pointer("/runDetails/metadata/invocationId").unwrap(),
            "https://github.com/acme/app/actions/runs/42/attempts/2"
        );
        assert_eq!(p.pointer("/buildDefinition/internalParameters/github/event_name").unwrap(), "push");
        // Flags override.
        let mut inputs = ProvenanceInputs::new();
        inputs.builder_id = Some("https://b".into());
        let p = build(&env, &inputs).unwrap();
        assert_eq!(p.pointer("/runDetails/builder/id").unwrap(), "https://b");
    }

    #[test]
    fn gitlab_ci() {
        let env = lookup(&[
            ("GITLAB_CI", "true"),
            ("CI_SERVER_URL", "https://gitlab.example"),
            ("CI_PROJECT_PATH", "grp/app"),
            ("CI_PROJECT_URL", "https://gitlab.example/grp/app"),
            ("CI_RUNNER_ID", "7"),
            ("CI_RUNNER_VERSION", "17.1.0"),
            ("CI_COMMIT_SHA", "abc"),
            ("CI_COMMIT_REF_NAME", "main"),
            ("CI_JOB_URL", "https://gitlab.example/grp/app/-/jobs/9"),
            ("CI_JOB_NAME", "build"),
            ("CI_PIPELINE_ID", "5"),
        ]);
        let p = build(&env, &ProvenanceInputs::new()).unwrap();
        assert_eq!(p.pointer("/runDetails/builder/id").unwrap(), "https://gitlab.example/grp/app/-/runners/7");
        assert_eq!(
            p.pointer("/buildDefinition/buildType").unwrap(),
            "https://gitlab.com/gitlab-org/gitlab-runner/-/blob/v17.1.0/PROVENANCE.md"
        );
        assert_eq!(
            p.pointer("/buildDefinition/resolvedDependencies/0/uri").unwrap(),
            "git+https://gitlab.example/grp/app@main"
        );
        assert_eq!(p.pointer("/runDetails/metadata/invocationId").unwrap(), "https://gitlab.example/grp/app/-/jobs/9");
        assert_eq!(p.pointer("/buildDefinition/internalParameters/gitlab/pipeline_id").unwrap(), "5");
    }

    #[test]
    fn outside_ci_needs_flags() {
        let env = lookup(&[]);
        assert!(build(&env, &ProvenanceInputs::new()).is_err());
        let mut inputs = ProvenanceInputs::new();
        inputs.builder_id = Some("https://ci.example/builder".into());
        inputs.build_type = Some("https://ci.example/type/v1".into());
        inputs.source_uri = Some("https://git.example/app".into());
        inputs.source_commit = Some("abc".into());
        let p = build(&env, &inputs).unwrap();
        assert_eq!(p.pointer("/buildDefinition/resolvedDependencies/0/uri").unwrap(), "git+https://git.example/app");
    }
}
