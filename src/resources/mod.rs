//! One module per resource family. Each has `plan` (observe concurrently, then a pure `diff`) and `execute`
//! (the writes for one planned operation). The family modules are declared by the registry (`families!`);
//! the modules below are shared helpers, not families.

pub mod coverage;
pub mod event_route;
pub mod iam_role;
pub mod wiring;

use std::collections::BTreeMap;

use crate::aws::{AwsError, ErrorKind};
use crate::config::Desired;
use serde_json::Value;

use crate::engine::{Address, AttributeChange, Event, EventSink, Notice, NoticeLevel, PlanError};
use crate::policy::StatementDrift;
use crate::target::Target;

/// The resource side of the registry (`crate::registry`): every family module provides the same contract:
/// - `Op`: what apply does for one of its changes;
/// - `permissions(desired, needs)`: the IAM actions and resources its calls need with this baseline;
/// - `plan(desired, target) -> Plan` (families planned after the trail take what the trail's read found);
/// - `execute(target, op, address, events)`: the writes of one planned change.
macro_rules! families {
    (
        independent { $($own:ident: $own_variant:ident),* $(,)? }
        sections { $($sectioned:ident: $sectioned_variant:ident),* $(,)? }
        after_trail { $($chained:ident: $chained_variant:ident),* $(,)? }
    ) => {
        families! {
            @ independent { $($own: $own_variant,)* $($sectioned: $sectioned_variant,)* }
            after_trail { $($chained: $chained_variant,)* }
        }

        /// The drift coverage the families that own a baseline.toml section list in their own file.
        pub const FAMILY_COVERAGE: &[&[coverage::Setting]] = &[$($sectioned::COVERAGE,)*];
    };
    (
        @ independent { $($module:ident: $variant:ident),* $(,)? }
        after_trail { $($chained:ident: $chained_variant:ident),* $(,)? }
    ) => {
        $(pub mod $module;)*
        $(pub mod $chained;)*

        /// What apply does for one change: a closed set, one variant per family.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Operation {
            $($variant($module::Op),)*
            $($chained_variant($chained::Op),)*
        }

        /// Every family's module name (its file under `resources/`), in registry order.
        pub const FAMILIES: &[&str] = &[$(stringify!($module),)* $(stringify!($chained),)*];

        /// Each family's permissions, by file, for the test that checks them against its calls.
        pub const PERMISSIONS: &[(&str, fn(&Desired, &mut crate::needs::Needs))] = &[
            $((concat!("resources/", stringify!($module), ".rs"), $module::permissions),)*
            $((concat!("resources/", stringify!($chained), ".rs"), $chained::permissions),)*
        ];

        /// What every family's calls need with this baseline (see [`crate::permissions`]).
        pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
            for (_, family) in PERMISSIONS {
                family(desired, needs);
            }
        }

        /// Observes every family concurrently and returns the whole plan. Read-only.
        pub async fn plan(desired: &Desired, target: &Target) -> Plan {
            // Keys named by alias are looked up once per plan, by whichever family asks first.
            target.kms.forget();
            // Boxed: the families' futures are large, and small thread stacks (tests) must not overflow.
            let parts: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = Plan> + Send + '_>>> = vec![
                $(Box::pin($module::plan(desired, target)),)*
                Box::pin(plan_after_trail(desired, target)),
            ];
            let mut plan = Plan::default();
            for part in futures::future::join_all(parts).await {
                plan.extend(part);
            }
            plan.notices.extend(unavailable_regions(target));
            plan.sort();
            plan
        }

        /// Runs one planned operation. `address` and `events` are for reporting retries.
        pub async fn execute(
            target: &Target,
            operation: &Operation,
            address: &Address,
            events: &dyn EventSink,
        ) -> Result<(), AwsError> {
            match operation {
                $(Operation::$variant(op) => $module::execute(target, op, address, events).await,)*
                $(Operation::$chained_variant(op) => $chained::execute(target, op, address, events).await,)*
            }
        }
    };
}

registry!(families);

/// The plan of the resource families: the engine's, with their operations.
pub type Plan = crate::engine::Plan<Operation>;
/// One resource's change, with the family operation apply runs for it.
pub type ResourceChange = crate::engine::ResourceChange<Operation>;

/// Regions baseline.toml asks for that are not enabled for the account: every regional family skips them.
fn unavailable_regions(target: &Target) -> impl Iterator<Item = Notice> + '_ {
    target.unavailable_regions.iter().map(|region| Notice {
        level: NoticeLevel::Warning,
        address: Address::new(&target.scope.account_id, region, "region", "*"),
        message: format!("region {region} is not enabled for this account: skipped by every regional family"),
    })
}

/// The trail, then what depends on what its read found: the alarms go where the trail delivers, and Config's
/// CLOUD_TRAIL_ENABLED is pinned to the trail that satisfies the requirement.
async fn plan_after_trail(desired: &Desired, target: &Target) -> Plan {
    let (mut trail, placement, in_use) = cloudtrail::plan(desired, target).await;
    let (alarms, config) =
        tokio::join!(alarms::plan(desired, target, placement), config_service::plan(desired, target, in_use.as_ref()));
    trail.extend(alarms);
    trail.extend(config);
    trail
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

/// One region's read, for a regional family: a region a service control policy denies whole (a region deny;
/// the home region excepted) is skipped with a warning naming `service`; otherwise as [`report_unreadable`].
pub(crate) fn region_read<T>(
    read: Result<T, AwsError>,
    at: &Address,
    home_region: &str,
    service: &str,
    plan: &mut Plan,
) -> Option<T> {
    match read {
        Err(error) if error.is_denied_by_scp() && at.region != home_region => {
            let message = format!(
                "region {} skipped: a service control policy denies {service} there (a region deny?): {error}",
                at.region
            );
            plan.notices.push(Notice { level: NoticeLevel::Warning, address: at.clone(), message });
            None
        }
        read => report_unreadable(read, at, plan),
    }
}

/// The waits between attempts of a call that fails while a change propagates.
const RETRY_DELAYS: [std::time::Duration; 5] = [
    std::time::Duration::from_secs(1),
    std::time::Duration::from_secs(2),
    std::time::Duration::from_secs(4),
    std::time::Duration::from_secs(8),
    std::time::Duration::from_secs(16),
];

/// Retries `call` while it fails with one of `retryable` (documented propagation delays), with exponential
/// backoff (about 31 seconds in all); any other error, or the last attempt's, is returned as is.
pub async fn with_retry<F, Fut>(
    address: &Address,
    events: &dyn EventSink,
    retryable: &[&str],
    call: F,
) -> Result<(), AwsError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), AwsError>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(e) if attempt < RETRY_DELAYS.len() && retryable.iter().any(|c| e.is_code(c)) => {
                let reason =
                    format!("{} (waiting {}s for it to propagate)", e.answer(), RETRY_DELAYS[attempt].as_secs());
                events.emit(Event::Retrying { address, attempt: attempt as u32 + 1, reason: &reason });
                tokio::time::sleep(RETRY_DELAYS[attempt]).await;
                attempt += 1;
            }
            result => return result,
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

#[cfg(test)]
mod registry_tests {
    /// A module under `resources/` with an `execute` is a family, and every family is in the registry.
    #[test]
    fn every_family_file_is_registered() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/resources");
        let mut found: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| std::fs::read_to_string(p).unwrap().contains("\npub async fn execute("))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .filter(|name| name != "mod")
            .collect();
        found.sort();
        let mut registered: Vec<String> = super::FAMILIES.iter().map(|f| f.to_string()).collect();
        registered.sort();
        assert_eq!(found, registered);
    }
}
