//! Attestation policies (`chainseal verify-attestation --policy FILE`): required predicate
//! types, required signers, and simple assertions on predicate fields. The file is YAML (JSON
//! is YAML too); the format is documented in `docs/policy.md`:
//!
//! ```yaml
//! version: 1
//! predicateTypes: [cyclonedx, slsaprovenance]   # each must be among the verified statements
//! signers:                                       # every accepted statement is signed by one
//!   - key: release.pub                           # PEM public key, relative to this file
//!   - identity: https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main
//!     issuer: https://token.actions.githubusercontent.com
//! requireAllSigners: false                       # true: each signer signed at least one
//! rules:
//!   - name: no-gpl
//!     predicateType: cyclonedx
//!     path: /components/*/licenses/*/license/id  # JSON pointer; `*` = every element/member
//!     notContains: GPL-3.0-only
//! ```
//!
//! Unknown fields are refused (a misspelt rule must not pass silently). Evaluation is pure:
//! the caller verifies signatures and says which signers signed what.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::keys::PublicKey;
use crate::policy::{IdentityPolicy, Matcher};
use crate::predicate::PredicateType;

/// Largest policy file read.
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;
/// Most values a path may select in one predicate (bounds `*` fan-out).
const MAX_SELECTED: usize = 1_000_000;

/// A signer the policy names.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SignerKind {
    /// A managed key.
    Key(PublicKey),
    /// A keyless identity (SAN and issuer).
    Identity(IdentityPolicy),
}

/// One named signer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PolicySigner {
    /// How it is shown in messages (`key release.pub`, `identity … issuer …`).
    pub label: String,
    /// What it is.
    pub kind: SignerKind,
}

/// What a rule asserts about the values its path selects.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Assertion {
    /// At least one value is selected and every one equals this.
    Equals(Value),
    /// No selected value equals this (nothing selected passes).
    NotEquals(Value),
    /// At least one value is selected and every one is in this list.
    In(Vec<Value>),
    /// No selected value is in this list.
    NotIn(Vec<Value>),
    /// Some selected value equals this, is an array holding it, or (strings) contains it.
    Contains(Value),
    /// No selected value equals, holds or (strings) contains this.
    NotContains(Value),
    /// At least one value is selected and every one is a string matching this anchored regex.
    Matches(Matcher),
    /// The path selects something (`true`) or nothing (`false`).
    Exists(bool),
}

/// A rule over the predicates of one type.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Rule {
    /// The name failures are reported under.
    pub name: String,
    /// Which statements it applies to (all when `None`). At least one statement of the type
    /// must have been verified, else the rule fails.
    pub predicate_type: Option<PredicateType>,
    /// JSON pointer into the predicate; a `*` segment means every array element / object value.
    pub path: String,
    /// The assertion.
    pub assertion: Assertion,
}

/// A parsed policy.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AttestationPolicy {
    /// Types that must each be present among the verified statements.
    pub predicate_types: Vec<PredicateType>,
    /// Accepted signers; empty = whoever the command line trusts.
    pub signers: Vec<PolicySigner>,
    /// Every listed signer must have signed at least one accepted statement.
    pub require_all_signers: bool,
    /// Assertions on predicates.
    pub rules: Vec<Rule>,
}

/// A verified statement as the policy sees it.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    /// The statement's predicateType.
    pub predicate_type: &'a str,
    /// The statement's predicate.
    pub predicate: &'a Value,
    /// Indexes into [`AttestationPolicy::signers`] of the signers that signed it.
    pub signed_by: &'a [usize],
}

/// A rule that failed, named.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct PolicyFailure {
    /// The rule's name (`predicateTypes`, `signers`, or a rule's `name`).
    pub rule: String,
    /// Why it failed.
    pub reason: String,
}

impl std::fmt::Display for PolicyFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "policy rule `{}` failed: {}", self.rule, self.reason)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WirePolicy {
    version: Option<u32>,
    #[serde(default)]
    predicate_types: Vec<String>,
    #[serde(default)]
    signers: Vec<WireSigner>,
    #[serde(default)]
    require_all_signers: bool,
    #[serde(default)]
    rules: Vec<WireRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireSigner {
    key: Option<PathBuf>,
    key_pem: Option<String>,
    identity: Option<String>,
    identity_regexp: Option<String>,
    issuer: Option<String>,
    issuer_regexp: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireRule {
    name: String,
    predicate_type: Option<String>,
    path: String,
    equals: Option<Value>,
    not_equals: Option<Value>,
    #[serde(rename = "in")]
    in_: Option<Vec<Value>>,
    not_in: Option<Vec<Value>>,
    contains: Option<Value>,
    not_contains: Option<Value>,
    matches: Option<String>,
    exists: Option<bool>,
}

fn invalid(reason: String) -> Error {
    Error::Invalid { what: "attestation policy", reason }
}

impl AttestationPolicy {
    /// Read a policy file; relative key paths are resolved against its directory.
    pub fn from_file(path: &Path) -> Result<Self> {
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.len() > MAX_POLICY_BYTES {
            return Err(invalid(format!("{} is larger than {MAX_POLICY_BYTES} bytes", path.display())));
        }
        let bytes = std::fs::read(path).map_err(io)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_slice(&bytes, base)
    }

    /// Parse policy YAML/JSON; relative key paths are resolved against `base_dir`.
    pub fn from_slice(bytes: &[u8], base_dir: &Path) -> Result<Self> {
        let wire: WirePolicy = serde_yaml::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        if wire.version.is_some_and(|v| v != 1) {
            return Err(invalid("only `version: 1` is understood".into()));
        }
        let predicate_types =
            wire.predicate_types.iter().map(|t| PredicateType::parse(t)).collect::<Result<Vec<_>>>()?;
        let signers = wire.signers.into_iter().map(|s| signer(s, base_dir)).collect::<Result<Vec<_>>>()?;
        if wire.require_all_signers && signers.is_empty() {
            return Err(invalid("requireAllSigners is set but no signers are listed".into()));
        }
        let rules = wire.rules.into_iter().map(rule).collect::<Result<Vec<_>>>()?;
        Ok(Self { predicate_types, signers, require_all_signers: wire.require_all_signers, rules })
    }

    /// Check the verified statements; every failed rule is reported, named.
    pub fn evaluate(&self, statements: &[PolicyInput<'_>]) -> Vec<PolicyFailure> {
        let mut failures = Vec::new();
        for t in &self.predicate_types {
            if !statements.iter().any(|s| t.matches(s.predicate_type)) {
                failures.push(PolicyFailure {
                    rule: "predicateTypes".into(),
                    reason: format!("no verified attestation of type {t}"),
                });
            }
        }
        if !self.signers.is_empty() {
            for s in statements {
                if s.signed_by.is_empty() {
                    failures.push(PolicyFailure {
                        rule: "signers".into(),
                        reason: format!("an attestation of type {} is not signed by a listed signer", s.predicate_type),
                    });
                }
            }
            if self.require_all_signers {
                for (i, signer) in self.signers.iter().enumerate() {
                    if !statements.iter().any(|s| s.signed_by.contains(&i)) {
                        failures.push(PolicyFailure {
                            rule: "requireAllSigners".into(),
                            reason: format!("{} signed none of the verified attestations", signer.label),
                        });
                    }
                }
            }
        }
        for rule in &self.rules {
            if let Err(reason) = rule.check(statements) {
                failures.push(PolicyFailure { rule: rule.name.clone(), reason });
            }
        }
        failures
    }
}

fn signer(s: WireSigner, base: &Path) -> Result<PolicySigner> {
    let keyless =
        s.identity.is_some() || s.identity_regexp.is_some() || s.issuer.is_some() || s.issuer_regexp.is_some();
    match (s.key, s.key_pem, keyless) {
        (Some(path), None, false) => {
            let full = if path.is_absolute() { path.clone() } else { base.join(&path) };
            let io = |source| Error::Io { path: full.clone(), source };
            if std::fs::metadata(&full).map_err(io)?.len() > 64 * 1024 {
                return Err(invalid(format!("{} is too large to be a public key", full.display())));
            }
            let pem = std::fs::read(&full).map_err(io)?;
            Ok(PolicySigner {
                label: format!("key {}", path.display()),
                kind: SignerKind::Key(PublicKey::from_pem(&pem)?),
            })
        }
        (None, Some(pem), false) => {
            let key = PublicKey::from_pem(pem.as_bytes())?;
            Ok(PolicySigner { label: format!("key {}", key.hint()), kind: SignerKind::Key(key) })
        }
        (None, None, true) => {
            let san = one("identity", s.identity, s.identity_regexp)?;
            let issuer = one("issuer", s.issuer, s.issuer_regexp)?;
            let label = format!("identity {san} issuer {issuer}");
            Ok(PolicySigner { label, kind: SignerKind::Identity(IdentityPolicy::new(san, issuer)) })
        }
        _ => Err(invalid("each signer is exactly one of `key`, `keyPem`, or `identity`+`issuer`".into())),
    }
}

fn one(what: &str, exact: Option<String>, regex: Option<String>) -> Result<Matcher> {
    match (exact, regex) {
        (Some(e), None) => Ok(Matcher::exact(e)),
        (None, Some(r)) => Matcher::regex(&r),
        _ => Err(invalid(format!("a keyless signer needs exactly one of `{what}` and `{what}Regexp`"))),
    }
}

fn rule(w: WireRule) -> Result<Rule> {
    let mut assertions = Vec::new();
    if let Some(v) = w.equals {
        assertions.push(Assertion::Equals(v));
    }
    if let Some(v) = w.not_equals {
        assertions.push(Assertion::NotEquals(v));
    }
    if let Some(v) = w.in_ {
        assertions.push(Assertion::In(v));
    }
    if let Some(v) = w.not_in {
        assertions.push(Assertion::NotIn(v));
    }
    if let Some(v) = w.contains {
        assertions.push(Assertion::Contains(v));
    }
    if let Some(v) = w.not_contains {
        assertions.push(Assertion::NotContains(v));
    }
    if let Some(v) = w.matches {
        assertions.push(Assertion::Matches(Matcher::regex(&v)?));
    }
    if let Some(v) = w.exists {
        assertions.push(Assertion::Exists(v));
    }
    let [assertion] = <[Assertion; 1]>::try_from(assertions).map_err(|a| {
        invalid(format!(
            "rule `{}` needs exactly one of equals, notEquals, in, notIn, contains, notContains, matches, exists (has {})",
            w.name,
            a.len()
        ))
    })?;
    if !(w.path.is_empty() || w.path.starts_with('/')) {
        return Err(invalid(format!("rule `{}`: path must be a JSON pointer starting with `/`", w.name)));
    }
    let predicate_type = w.predicate_type.as_deref().map(PredicateType::parse).transpose()?;
    Ok(Rule { name: w.name, predicate_type, path: w.path, assertion })
}

/// Select the values at `pointer` (RFC 6901, with `*` = every child).
pub fn select<'a>(root: &'a Value, pointer: &str) -> Vec<&'a Value> {
    let mut current = vec![root];
    if pointer.is_empty() {
        return current;
    }
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        let mut next = Vec::new();
        for v in current {
            match (v, segment.as_str()) {
                (Value::Array(a), "*") => next.extend(a.iter()),
                (Value::Object(o), "*") => next.extend(o.values()),
                (Value::Array(a), s) => next.extend(s.parse::<usize>().ok().and_then(|i| a.get(i))),
                (Value::Object(o), s) => next.extend(o.get(s)),
                _ => {}
            }
            if next.len() > MAX_SELECTED {
                next.truncate(MAX_SELECTED);
                break;
            }
        }
        current = next;
    }
    current
}

fn contains(v: &Value, needle: &Value) -> bool {
    v == needle
        || v.as_array().is_some_and(|a| a.contains(needle))
        || matches!((v, needle), (Value::String(s), Value::String(n)) if s.contains(n.as_str()))
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 { format!("{}…", s.chars().take(120).collect::<String>()) } else { s }
}

impl Rule {
    fn check(&self, statements: &[PolicyInput<'_>]) -> std::result::Result<(), String> {
        let applicable: Vec<_> = statements
            .iter()
            .filter(|s| self.predicate_type.as_ref().is_none_or(|t| t.matches(s.predicate_type)))
            .collect();
        if applicable.is_empty() {
            let what = self.predicate_type.as_ref().map(|t| format!(" of type {t}")).unwrap_or_default();
            return Err(format!("no verified attestation{what} to check"));
        }
        for s in applicable {
            let selected = select(s.predicate, &self.path);
            self.check_values(&selected).map_err(|why| format!("{} at {}: {why}", s.predicate_type, self.path))?;
        }
        Ok(())
    }

    fn check_values(&self, selected: &[&Value]) -> std::result::Result<(), String> {
        let nothing = || "the path selects nothing".to_string();
        match &self.assertion {
            Assertion::Equals(want) => {
                if selected.is_empty() {
                    return Err(nothing());
                }
                match selected.iter().find(|v| **v != want) {
                    Some(v) => Err(format!("{} is not {}", show(v), show(want))),
                    None => Ok(()),
                }
            }
            Assertion::NotEquals(bad) => match selected.iter().find(|v| **v == bad) {
                Some(v) => Err(format!("{} is present", show(v))),
                None => Ok(()),
            },
            Assertion::In(list) => {
                if selected.is_empty() {
                    return Err(nothing());
                }
                match selected.iter().find(|v| !list.contains(v)) {
                    Some(v) => Err(format!("{} is not one of the allowed values", show(v))),
                    None => Ok(()),
                }
            }
            Assertion::NotIn(list) => match selected.iter().find(|v| list.contains(v)) {
                Some(v) => Err(format!("{} is a forbidden value", show(v))),
                None => Ok(()),
            },
            Assertion::Contains(needle) => {
                if selected.iter().any(|v| contains(v, needle)) {
                    Ok(())
                } else {
                    Err(format!("nothing contains {}", show(needle)))
                }
            }
            Assertion::NotContains(needle) => match selected.iter().find(|v| contains(v, needle)) {
                Some(v) => Err(format!("{} contains {}", show(v), show(needle))),
                None => Ok(()),
            },
            Assertion::Matches(m) => {
                if selected.is_empty() {
                    return Err(nothing());
                }
                match selected.iter().find(|v| !v.as_str().is_some_and(|s| m.matches(s))) {
                    Some(v) => Err(format!("{} does not match {m}", show(v))),
                    None => Ok(()),
                }
            }
            Assertion::Exists(true) if selected.is_empty() => Err(nothing()),
            Assertion::Exists(false) if !selected.is_empty() => Err(format!("{} is present", show(selected[0]))),
            Assertion::Exists(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(yaml: &str) -> AttestationPolicy {
        AttestationPolicy::from_slice(yaml.as_bytes(), Path::new(".")).unwrap()
    }

    fn bom() -> Value {
        json!({"bomFormat": "CycloneDX", "components": [
            {"name": "a", "licenses": [{"license": {"id": "MIT"}}]},
            {"name": "b", "licenses": [{"license": {"id": "GPL-3.0-only"}}, {"expression": "MIT OR Apache-2.0"}]}
        ]})
    }

    fn input<'a>(t: &'a str, p: &'a Value) -> PolicyInput<'a> {
        PolicyInput { predicate_type: t, predicate: p, signed_by: &[] }
    }

    #[test]
    fn license_rules() {
        let b = bom();
        let s = [input("https://cyclonedx.org/bom", &b)];
        let p = policy(
            "rules:\n  - name: no-gpl\n    predicateType: cyclonedx\n    path: /components/*/licenses/*/license/id\n    notContains: GPL-3.0-only\n",
        );
        let f = p.evaluate(&s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "no-gpl");
        assert!(f[0].to_string().contains("policy rule `no-gpl` failed"), "{}", f[0]);
        let p = policy(
            "rules:\n  - name: no-agpl\n    predicateType: cyclonedx\n    path: /components/*/licenses/*/license/id\n    notIn: [AGPL-3.0-only]\n",
        );
        assert!(p.evaluate(&s).is_empty());
        let p = policy(
            "{\"rules\":[{\"name\":\"mit\",\"path\":\"/components/0/licenses/0/license/id\",\"equals\":\"MIT\"}]}",
        );
        assert!(p.evaluate(&s).is_empty());
        // Expressions: substring containment.
        let p =
            policy("rules:\n  - name: apache\n    path: /components/*/licenses/*/expression\n    contains: Apache\n");
        assert!(p.evaluate(&s).is_empty());
    }

    #[test]
    fn builder_id_and_missing_type() {
        let prov = json!({"runDetails": {"builder": {"id": "https://github.com/acme/b"}}});
        let s = [input("https://slsa.dev/provenance/v1", &prov)];
        let p = policy(
            "rules:\n  - name: builder\n    predicateType: slsaprovenance\n    path: /runDetails/builder/id\n    equals: https://github.com/acme/b\n",
        );
        assert!(p.evaluate(&s).is_empty());
        let p = policy(
            "rules:\n  - name: builder\n    predicateType: slsaprovenance\n    path: /runDetails/builder/id\n    matches: 'https://github.com/acme/.*'\n",
        );
        assert!(p.evaluate(&s).is_empty());
        let p = policy(
            "rules:\n  - name: builder\n    predicateType: slsaprovenance\n    path: /runDetails/builder/id\n    equals: https://evil\n",
        );
        assert_eq!(p.evaluate(&s)[0].rule, "builder");
        // A rule whose type has no statement fails; so does a missing required type.
        let p = policy(
            "predicateTypes: [cyclonedx]\nrules:\n  - name: sbom\n    predicateType: cyclonedx\n    path: /x\n    exists: false\n",
        );
        let f = p.evaluate(&s);
        assert_eq!(f.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(), ["predicateTypes", "sbom"]);
        // A path selecting nothing fails `equals`.
        let p = policy("rules:\n  - name: b\n    path: /nope\n    equals: 1\n");
        assert!(p.evaluate(&s)[0].reason.contains("selects nothing"));
    }

    #[test]
    fn signers_rules() {
        let b = bom();
        let key = crate::keys::SigningKey::generate(crate::keys::GenerateAlgorithm::EcdsaP256).unwrap();
        let yaml = format!(
            "signers:\n  - keyPem: |\n{}\n  - identity: a@b\n    issuer: https://i\nrequireAllSigners: true\n",
            key.public_key().to_pem().lines().map(|l| format!("      {l}")).collect::<Vec<_>>().join("\n")
        );
        let p = policy(&yaml);
        assert_eq!(p.signers.len(), 2);
        let unsigned = [input("https://cyclonedx.org/bom", &b)];
        let rules: Vec<_> = p.evaluate(&unsigned).into_iter().map(|f| f.rule).collect();
        assert!(rules.contains(&"signers".to_string()) && rules.contains(&"requireAllSigners".to_string()));
        let by0 = [PolicyInput { predicate_type: "t", predicate: &b, signed_by: &[0] }];
        let f = p.evaluate(&by0);
        assert_eq!(f.len(), 1);
        assert!(f[0].reason.contains("identity"), "{}", f[0]);
    }

    #[test]
    fn malformed_policies_are_refused() {
        for y in [
            "rules:\n  - name: x\n    path: /a\n",
            "rules:\n  - name: x\n    path: /a\n    equals: 1\n    exists: true\n",
            "rules:\n  - name: x\n    path: a\n    equals: 1\n",
            "rule: []\n",
            "version: 2\n",
            "predicateTypes: [nope]\n",
            "signers:\n  - identity: a\n",
            "signers:\n  - keyPem: x\n    identity: a\n    issuer: b\n",
            "requireAllSigners: true\n",
            "signers:\n  - key: /no/such/key.pub\n",
        ] {
            assert!(AttestationPolicy::from_slice(y.as_bytes(), Path::new(".")).is_err(), "{y}");
        }
    }

    #[test]
    fn select_wildcards_and_escapes() {
        let v = json!({"a/b": {"x": [1, 2]}, "c": {"k1": 3, "k2": 4}});
        assert_eq!(select(&v, "/a~1b/x/*"), vec![&json!(1), &json!(2)]);
        assert_eq!(select(&v, "/c/*").len(), 2);
        assert_eq!(select(&v, "/a~1b/x/1"), vec![&json!(2)]);
        assert!(select(&v, "/c/k1/deeper").is_empty());
        assert_eq!(select(&v, "").len(), 1);
    }
}
