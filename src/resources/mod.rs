//! One module per resource family. Each has `plan` (observe concurrently, then a pure `diff`) and `execute`
//! (the writes for one planned operation).

pub mod account_bpa;
pub mod alarms;
pub mod billing_reports;
pub mod budgets;
pub mod cloudtrail;
pub mod config_service;
pub mod contacts;
pub mod coverage;
pub mod ebs_encryption;
pub mod iam_hygiene;
pub mod iam_role;
pub mod log_bucket;
pub mod sns;
pub mod trail_key;

use std::collections::BTreeMap;

use crate::aws::{AwsError, ErrorKind};
use crate::config::Desired;
use serde_json::Value;

use crate::engine::{Address, AttributeChange, EventSink, Notice, NoticeLevel, PlanError};
use crate::policy::StatementDrift;
use crate::target::Target;

/// What apply does for one change: a closed set, one variant per family.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    Sns(sns::Op),
    Contacts(contacts::Op),
    LogBucket(log_bucket::Op),
    CloudTrail(cloudtrail::Op),
    Alarms(alarms::Op),
    IamHygiene(iam_hygiene::Op),
    Budgets(budgets::Op),
    BillingReports(billing_reports::Op),
    Config(config_service::Op),
    TrailKey(trail_key::Op),
    EbsEncryption(ebs_encryption::Op),
    AccountBpa(account_bpa::Op),
}

/// The plan of the resource families: the engine's, with their operations.
pub type Plan = crate::engine::Plan<Operation>;
/// One resource's change, with the family operation apply runs for it.
pub type ResourceChange = crate::engine::ResourceChange<Operation>;

/// Observes every family concurrently and returns the whole plan. Read-only.
pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    // Keys named by alias are looked up once per plan, by whichever family asks first.
    target.kms.forget();
    // Boxed: the families' futures are large, and small thread stacks (tests) must not overflow.
    let (topics, contacts, bucket, trail, iam, budgets, reports, key, ebs, bpa) = tokio::join!(
        Box::pin(sns::plan(desired, target)),
        Box::pin(contacts::plan(desired, target)),
        Box::pin(log_bucket::plan(desired, target)),
        // The alarms go where the trail delivers, and Config's CLOUD_TRAIL_ENABLED is pinned to the trail that
        // satisfies the requirement: both are planned after the trail is read.
        Box::pin(async {
            let (mut trail, placement, in_use) = cloudtrail::plan(desired, target).await;
            let (alarms, config) = tokio::join!(
                alarms::plan(desired, target, placement),
                config_service::plan(desired, target, in_use.as_ref())
            );
            trail.extend(alarms);
            trail.extend(config);
            trail
        }),
        Box::pin(iam_hygiene::plan(desired, target)),
        Box::pin(budgets::plan(desired, target)),
        Box::pin(billing_reports::plan(desired, target)),
        Box::pin(trail_key::plan(desired, target)),
        Box::pin(ebs_encryption::plan(desired, target)),
        Box::pin(account_bpa::plan(desired, target)),
    );
    let mut plan = Plan::default();
    for part in [topics, contacts, bucket, trail, iam, budgets, reports, key, ebs, bpa] {
        plan.extend(part);
    }
    plan.sort();
    plan
}

/// What every family's calls need with this baseline (see [`crate::permissions`]).
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    sns::permissions(desired, needs);
    contacts::permissions(desired, needs);
    log_bucket::permissions(desired, needs);
    cloudtrail::permissions(desired, needs);
    alarms::permissions(desired, needs);
    iam_hygiene::permissions(desired, needs);
    budgets::permissions(desired, needs);
    billing_reports::permissions(desired, needs);
    config_service::permissions(desired, needs);
    trail_key::permissions(desired, needs);
    ebs_encryption::permissions(desired, needs);
    account_bpa::permissions(desired, needs);
}

/// Runs one planned operation. `address` and `events` are for reporting retries.
pub async fn execute(
    target: &Target,
    operation: &Operation,
    address: &Address,
    events: &dyn EventSink,
) -> Result<(), AwsError> {
    match operation {
        Operation::Sns(op) => sns::execute(target, op).await,
        Operation::Contacts(op) => contacts::execute(target, op).await,
        Operation::LogBucket(op) => log_bucket::execute(target, op).await,
        Operation::CloudTrail(op) => cloudtrail::execute(target, op, address, events).await,
        Operation::Alarms(op) => alarms::execute(target, op).await,
        Operation::IamHygiene(op) => iam_hygiene::execute(target, op).await,
        Operation::Budgets(op) => budgets::execute(target, op).await,
        Operation::BillingReports(op) => billing_reports::execute(target, op).await,
        Operation::Config(op) => config_service::execute(target, op, address, events).await,
        Operation::TrailKey(op) => trail_key::execute(target, op).await,
        Operation::EbsEncryption(op) => ebs_encryption::execute(target, op).await,
        Operation::AccountBpa(op) => account_bpa::execute(target, op).await,
    }
}

/// Turns a failed read into a plan error (or, when the endpoint lacks the API, a warning) so the other
/// resources are still planned; returns the observation when the read worked.
pub(crate) fn report_unreadable<T>(result: Result<T, AwsError>, address: &Address, plan: &mut Plan) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) if error.kind == ErrorKind::NotSupported => {
            plan.notices.push(Notice {
                level: NoticeLevel::Warning,
                address: address.clone(),
                message: format!("not supported by this endpoint ({error}); not checked"),
            });
            None
        }
        Err(error) => {
            plan.errors.push(PlanError { address: address.clone(), error });
            None
        }
    }
}

/// A policy document in the account that baseline cannot parse: merging into it would drop every statement
/// it does not own, so the resource is reported (a plan error, or a failed write) and never overwritten.
pub(crate) fn unreadable_policy(action: &str, error: impl std::fmt::Display) -> AwsError {
    AwsError::new(
        action,
        ErrorKind::Service,
        Some("UnreadablePolicy".into()),
        format!("{error}; baseline will not overwrite it: fix the document by hand, then run baseline again"),
        None,
    )
}

/// For a create: `code` means the resource is there already, which happens when an earlier attempt of this
/// very call took effect but its answer was lost (a reset connection; the SDK then retries). Counted as
/// done: the next plan compares the resource's settings like any other.
pub(crate) fn already_there(code: &'static str) -> impl Fn(AwsError) -> Result<(), AwsError> {
    move |e| if e.is_code(code) { Ok(()) } else { Err(e) }
}

/// "statement X missing; statement Y edited outside baseline"
pub(crate) fn describe_drift(drift: &[StatementDrift]) -> String {
    let parts: Vec<String> = drift
        .iter()
        .map(|d| match d {
            StatementDrift::Missing { sid, .. } => format!("statement {sid} missing"),
            StatementDrift::Edited { sid, .. } => format!("statement {sid} edited outside baseline"),
            StatementDrift::Stale { sid, .. } => format!("statement {sid} no longer in the baseline"),
        })
        .collect();
    parts.join("; ")
}

/// One owned statement's drift as `before → after` JSON.
pub(crate) fn statement_attribute(drift: &StatementDrift) -> AttributeChange {
    let (sid, before, after) = match drift {
        StatementDrift::Missing { sid, desired } => (sid, None, Some(desired)),
        StatementDrift::Edited { sid, current, desired } => (sid, Some(current), Some(desired)),
        StatementDrift::Stale { sid, current } => (sid, Some(current), None),
    };
    AttributeChange::new(format!("statement[{sid}]"), before.map(Value::to_string), after.map(Value::to_string))
}

/// Every field of a resource about to be created, as `+ name = value`.
pub(crate) fn new_fields<const N: usize>(want: [(&'static str, String); N]) -> Vec<AttributeChange> {
    want.into_iter().map(|(name, value)| AttributeChange::new(name, None, Some(value))).collect()
}

/// `before → after` for the fields whose values differ.
pub(crate) fn changed_fields<const N: usize>(
    have: [(&'static str, String); N],
    want: [(&'static str, String); N],
) -> Vec<AttributeChange> {
    changed_fields_by(have, want, |a, b| a == b)
}

/// [`changed_fields`] with the comparison given (some names are case-insensitive). An empty value shows as
/// `(none)`.
pub(crate) fn changed_fields_by<const N: usize>(
    have: [(&'static str, String); N],
    want: [(&'static str, String); N],
    same: impl Fn(&str, &str) -> bool,
) -> Vec<AttributeChange> {
    have.into_iter()
        .zip(want)
        .filter(|((_, h), (_, w))| !same(h, w))
        .map(|((name, h), (_, w))| {
            AttributeChange::new(name, Some(if h.is_empty() { "(none)".into() } else { h }), Some(w))
        })
        .collect()
}

/// The baseline's tags a resource lacks or carries with another value, as `(tags to write, tags.<key>
/// attributes)`. Only the baseline's tags count: foreign tags are not drift and are never written. Both are
/// empty when the tags match.
pub(crate) fn tag_drift(
    want: &BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<AttributeChange>) {
    let drift: BTreeMap<String, String> =
        want.iter().filter(|(k, v)| have.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let attributes = drift
        .iter()
        .map(|(k, v)| AttributeChange::new(format!("tags.{k}"), have.get(k).cloned(), Some(v.clone())))
        .collect();
    (drift, attributes)
}

/// The `tags.<key>` attributes of a resource about to be created.
pub(crate) fn new_tags(tags: &BTreeMap<String, String>) -> Vec<AttributeChange> {
    tags.iter().map(|(k, v)| AttributeChange::new(format!("tags.{k}"), None, Some(v.clone()))).collect()
}

/// The four Block Public Access settings, in the order AWS lists them (a bucket's and the account's).
pub(crate) const PUBLIC_ACCESS_BLOCK_SETTINGS: [&str; 4] =
    ["block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"];

/// The Block Public Access settings that are not on, as `before → true` (`None`: none configured).
pub(crate) fn public_access_block_attributes(current: Option<[bool; 4]>) -> Vec<AttributeChange> {
    PUBLIC_ACCESS_BLOCK_SETTINGS
        .iter()
        .enumerate()
        .filter(|(i, _)| current.map(|c| c[*i]) != Some(true))
        .map(|(i, name)| {
            AttributeChange::new(*name, Some(current.is_some_and(|c| c[i]).to_string()), Some("true".into()))
        })
        .collect()
}
