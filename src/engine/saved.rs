//! Saved plans (`plan --out FILE`, `apply FILE`): what a plan records about where it came from, reading it
//! back, and checking it against a fresh plan of the same resources before anything is written.
//!
//! A saved plan is applied only while it is still true: the same baseline.toml (by SHA-256 of its bytes), the
//! same tool version, and every resource it lists reading as it did (same action, same `before` and `after` of
//! every attribute). The fresh plan's operations are then exactly the reviewed ones: the same configuration and
//! the same code over the same observed state make the same operations. Nothing here calls AWS.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::plan::{Action, AttributeChange, Plan, ResourceChange};

/// Where a plan came from: recorded in every plan document, checked by `apply FILE`. Holds no credentials:
/// the applying run brings its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub tool_version: String,
    /// SHA-256 (hex) of the baseline.toml bytes the plan was made from.
    pub config_sha256: String,
    /// The regions planned (regional resources); `apply FILE` plans only these.
    pub regions: Vec<String>,
    /// `--target` prefixes the plan was limited to.
    #[serde(default)]
    pub targets: Vec<String>,
    /// `--shard` of the run that made it (`I/N`), for the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

impl Provenance {
    /// `config_sha256`: [`crate::config::sha256_hex`] of the baseline.toml bytes.
    pub fn new(config_sha256: &str, regions: Vec<String>, targets: Vec<String>, shard: Option<String>) -> Self {
        Self {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            config_sha256: config_sha256.to_string(),
            regions,
            targets,
            shard,
        }
    }
}

/// One account's saved plan, as read back: complete (a plan with unread resources is refused when read).
#[derive(Debug, Clone, Deserialize)]
pub struct SavedPlan {
    pub account: String,
    pub saved_from: Provenance,
    pub changes: Vec<SavedChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SavedChange {
    pub address: String,
    pub action: Action,
    #[serde(default)]
    pub attributes: Vec<AttributeChange>,
}

/// Why a file cannot be applied as a saved plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SavedPlanError {
    #[error("not a saved plan: {0}")]
    Unreadable(String),
    #[error("the file holds no plan (save one with `baseline plan --out FILE`)")]
    Empty,
    #[error(
        "the plan of account {0} has no record of where it came from (saved by an older version); save it again \
         with `baseline plan --out FILE`"
    )]
    NoProvenance(String),
    #[error("the plan of account {account} is incomplete: {unread} resource(s) could not be read when it was made")]
    Incomplete { account: String, unread: usize },
    #[error("the plan was made by baseline {saved}; this is {running}: plan again with this version")]
    ToolVersion { saved: String, running: String },
    #[error("{path} has changed since the plan was made (SHA-256 {now}, plan made from {saved}): plan again")]
    Config { path: String, saved: String, now: String },
    #[error("the plan lists account {0} twice")]
    Duplicate(String),
}

#[derive(Deserialize)]
struct Document {
    /// A fleet JSON line (`{"type":"plan", "plan": {...}}`) carries the plan inside.
    plan: Option<Box<Document>>,
    account: Option<String>,
    complete: Option<bool>,
    saved_from: Option<Provenance>,
    changes: Option<Vec<SavedChange>>,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

/// Reads a saved plan: one plan document (`plan --out`, `plan --json`) or JSON lines of an organization run
/// (one per account; lines without a plan, such as the closing summary, are skipped).
pub fn parse(text: &str) -> Result<Vec<SavedPlan>, SavedPlanError> {
    let mut plans: Vec<SavedPlan> = Vec::new();
    for value in serde_json::Deserializer::from_str(text).into_iter::<Document>() {
        let mut doc = value.map_err(|e| SavedPlanError::Unreadable(e.to_string()))?;
        if let Some(inner) = doc.plan.take() {
            doc = *inner;
        }
        let (Some(account), Some(changes)) = (doc.account, doc.changes) else { continue };
        if plans.iter().any(|p| p.account == account) {
            return Err(SavedPlanError::Duplicate(account));
        }
        let Some(saved_from) = doc.saved_from else { return Err(SavedPlanError::NoProvenance(account)) };
        if !doc.errors.is_empty() || doc.complete == Some(false) {
            return Err(SavedPlanError::Incomplete { account, unread: doc.errors.len() });
        }
        plans.push(SavedPlan { account, saved_from, changes });
    }
    if plans.is_empty() { Err(SavedPlanError::Empty) } else { Ok(plans) }
}

/// The saved plans were made from this configuration by this version of the tool.
pub fn check_origin(plans: &[SavedPlan], config_path: &str, config_sha256: &str) -> Result<(), SavedPlanError> {
    let now = config_sha256.to_string();
    let running = env!("CARGO_PKG_VERSION");
    for p in plans {
        let from = &p.saved_from;
        if from.tool_version != running {
            return Err(SavedPlanError::ToolVersion { saved: from.tool_version.clone(), running: running.into() });
        }
        if from.config_sha256 != now {
            let (saved, now) = (from.config_sha256.clone(), now.clone());
            return Err(SavedPlanError::Config { path: config_path.to_string(), saved, now });
        }
    }
    Ok(())
}

/// A resource of the saved plan that no longer reads as it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub address: String,
    pub why: String,
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.address, self.why)
    }
}

/// Compares the saved plan of one account with a fresh plan of the same account: every resource the saved
/// plan lists must be planned again with the same action and the same attributes.
pub fn compare<O>(saved: &SavedPlan, fresh: &Plan<O>) -> Vec<Stale> {
    let now: BTreeMap<String, &ResourceChange<O>> = fresh.changes.iter().map(|c| (c.address.to_string(), c)).collect();
    let mut stale = Vec::new();
    for s in &saved.changes {
        let Some(c) = now.get(&s.address) else {
            let why = "no longer planned (the resource or its region is gone from the run)".to_string();
            stale.push(Stale { address: s.address.clone(), why });
            continue;
        };
        if let Some(why) = difference(s, c) {
            stale.push(Stale { address: s.address.clone(), why });
        }
    }
    let unread: HashSet<String> = fresh.errors.iter().map(|e| e.address.to_string()).collect();
    for s in saved.changes.iter().filter(|s| unread.contains(&s.address)) {
        if !stale.iter().any(|x| x.address == s.address) {
            stale.push(Stale { address: s.address.clone(), why: "could not be read again".to_string() });
        }
    }
    stale
}

/// How a fresh change differs from the saved one, in words; `None` when it is the same.
fn difference<O>(saved: &SavedChange, fresh: &ResourceChange<O>) -> Option<String> {
    if saved.action != fresh.action {
        return Some(format!("was planned as {}, now {}", word(saved.action), word(fresh.action)));
    }
    let before: BTreeMap<&str, &AttributeChange> = saved.attributes.iter().map(|a| (a.name.as_str(), a)).collect();
    for a in &fresh.attributes {
        match before.get(a.name.as_str()) {
            None => return Some(format!("{} now differs ({})", a.name, shown(&a.before))),
            Some(s) if s.before != a.before => {
                return Some(format!("{} was {}, now {}", a.name, shown(&s.before), shown(&a.before)));
            }
            Some(s) if s.after != a.after => {
                return Some(format!("{} would now become {}", a.name, shown(&a.after)));
            }
            Some(_) => {}
        }
    }
    let names: HashSet<&str> = fresh.attributes.iter().map(|a| a.name.as_str()).collect();
    saved
        .attributes
        .iter()
        .find(|a| !names.contains(a.name.as_str()))
        .map(|a| format!("{} no longer differs (was {})", a.name, shown(&a.before)))
}

fn word(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::NoOp => "unchanged",
        Action::Manual => "manual",
    }
}

fn shown(value: &Option<String>) -> String {
    const MAX: usize = 60;
    match value {
        None => "absent".to_string(),
        Some(v) if v.chars().count() > MAX => format!("{:?}…", v.chars().take(MAX).collect::<String>()),
        Some(v) => format!("{v:?}"),
    }
}

/// Keeps only the changes the saved plan lists; returns the pending changes dropped (not in the saved plan).
pub fn keep_saved<O>(fresh: &mut Plan<O>, saved: &SavedPlan) -> Vec<String> {
    let listed: HashSet<&str> = saved.changes.iter().map(|c| c.address.as_str()).collect();
    let dropped = fresh.pending().map(|c| c.address.to_string()).filter(|a| !listed.contains(a.as_str())).collect();
    fresh.changes.retain(|c| listed.contains(c.address.to_string().as_str()));
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::sha256_hex;
    use crate::engine::Address;

    fn fresh(action: Action, before: &str, after: &str) -> Plan<()> {
        let address = Address::new("111111111111", "us-east-1", "sns.topic", "security");
        let mut change = ResourceChange::no_op(address, "why");
        change.action = action;
        change.attributes = vec![AttributeChange::new("policy", Some(before.into()), Some(after.into()))];
        Plan { changes: vec![change], ..Plan::<()>::default() }
    }

    fn saved(config: &[u8], extra: &str) -> String {
        let from = Provenance::new(&sha256_hex(config), vec!["us-east-1".into()], vec![], None);
        format!(
            r#"{{"account":"111111111111","complete":true,"saved_from":{},"changes":[{{"address":"111111111111/us-east-1/sns.topic/security","action":"update","attributes":[{{"name":"policy","before":"a","after":"b"}}]}}]{extra}}}"#,
            serde_json::to_string(&from).unwrap()
        )
    }

    #[test]
    fn an_unchanged_account_matches_and_any_difference_names_the_resource() {
        let plans = parse(&saved(b"x", "")).unwrap();
        assert_eq!(compare(&plans[0], &fresh(Action::Update, "a", "b")), []);
        let drifted = compare(&plans[0], &fresh(Action::Update, "c", "b"));
        assert_eq!(drifted.len(), 1);
        assert_eq!(drifted[0].to_string(), r#"111111111111/us-east-1/sns.topic/security: policy was "a", now "c""#);
        let done = compare(&plans[0], &fresh(Action::NoOp, "a", "b"));
        assert_eq!(done[0].why, "was planned as update, now unchanged");
        assert_eq!(compare(&plans[0], &Plan::<()>::default())[0].why.split(' ').next(), Some("no"));
    }

    #[test]
    fn the_configuration_and_version_must_match() {
        let plans = parse(&saved(b"x", "")).unwrap();
        assert_eq!(check_origin(&plans, "baseline.toml", &sha256_hex(b"x")), Ok(()));
        let changed = check_origin(&plans, "baseline.toml", &sha256_hex(b"y")).unwrap_err();
        assert!(changed.to_string().starts_with("baseline.toml has changed since the plan was made"), "{changed}");
        let mut old = plans.clone();
        old[0].saved_from.tool_version = "0.0.1".into();
        assert!(matches!(check_origin(&old, "b", &sha256_hex(b"x")), Err(SavedPlanError::ToolVersion { .. })));
    }

    #[test]
    fn incomplete_duplicate_foreign_and_empty_files_are_refused() {
        let unread = saved(b"x", r#","errors":[{"address":"a"}]"#).replace("\"complete\":true", "\"complete\":false");
        assert!(matches!(parse(&unread), Err(SavedPlanError::Incomplete { unread: 1, .. })));
        let twice = format!("{}\n{}\n", saved(b"x", ""), saved(b"x", ""));
        assert_eq!(parse(&twice).unwrap_err(), SavedPlanError::Duplicate("111111111111".into()));
        assert_eq!(parse(r#"{"type":"summary","accounts":1}"#).unwrap_err(), SavedPlanError::Empty);
        assert!(matches!(parse("plan: 3 to create"), Err(SavedPlanError::Unreadable(_))));
        let old = r#"{"account":"111111111111","complete":true,"changes":[]}"#;
        assert!(matches!(parse(old), Err(SavedPlanError::NoProvenance(_))));
    }

    #[test]
    fn fleet_lines_carry_their_plans_and_only_listed_changes_are_kept() {
        let line = format!(r#"{{"type":"plan","account":"111111111111","plan":{}}}"#, saved(b"x", ""));
        let plans = parse(&format!("{line}\n{{\"type\":\"summary\"}}\n")).unwrap();
        assert_eq!(plans.len(), 1);
        let mut plan = fresh(Action::Update, "a", "b");
        let mut extra = plan.changes[0].clone();
        extra.address.name = "billing".into();
        plan.changes.push(extra);
        let dropped = keep_saved(&mut plan, &plans[0]);
        assert_eq!(dropped, ["111111111111/us-east-1/sns.topic/billing"]);
        assert_eq!(plan.changes.len(), 1);
    }
}
