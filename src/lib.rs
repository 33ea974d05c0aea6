//! `baseline` brings AWS accounts to a security baseline written in `baseline.toml` and keeps them there.
//!
//! Data flows one way: [`config::load`] → [`Target::discover`] → [`plan`] (observe, then pure diffs) →
//! [`apply`] or [`render`]. Planning runs with the session's [`aws::ApiGuard`] read-only, so it cannot write.

#[macro_use]
mod registry;

pub mod alarm_catalog;
pub mod aws;
pub mod config;
pub mod discover;
pub mod engine;
pub mod fleet;
pub mod needs;
pub mod permissions;
pub mod policy;
pub mod render;
pub mod resources;
pub mod scope;
pub mod target;

pub use target::{Scope, Target};

use engine::{ApplyReport, EventSink, Stop};
use resources::Plan;

/// Observes the target and computes the changes that bring it to the baseline. Makes only read calls.
pub async fn plan(desired: &config::Desired, target: &Target) -> Plan {
    resources::plan(desired, target).await
}

/// How many changes apply runs at once.
pub const APPLY_CONCURRENCY: usize = 8;

/// Applies the plan's pending changes in dependency order. The caller must have allowed writes on the
/// session's guard; otherwise every write is refused and reported as failed.
pub async fn apply(plan: &Plan, target: &Target, events: &dyn EventSink) -> ApplyReport {
    apply_after(plan, &[], target, events, &Stop::default()).await
}

/// [`apply`], skipping the changes that wait on another account's failed changes (an organization run:
/// member trails wait on the log archive account's bucket policy), and starting no change once `stop` is
/// requested (Ctrl-C): those in flight finish, the others are reported as not started.
pub async fn apply_after(
    plan: &Plan,
    upstream_failed: &[engine::Address],
    target: &Target,
    events: &dyn EventSink,
    stop: &Stop,
) -> ApplyReport {
    engine::apply::run_after(
        plan,
        upstream_failed,
        APPLY_CONCURRENCY,
        |change| async move {
            match &change.operation {
                Some(operation) => Box::pin(resources::execute(target, operation, &change.address, events)).await,
                None => Ok(()),
            }
        },
        events,
        stop,
    )
    .await
}
