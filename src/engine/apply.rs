//! Runs a plan's pending changes in dependency order with bounded concurrency. A failed change skips
//! everything that depends on it; independent changes still run.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;

use super::events::{Event, EventSink};
use super::plan::{Action, Address, Plan, ResourceChange};
use crate::aws::AwsError;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    Failed { error: AwsError },
    Skipped { because: Address },
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeResult {
    pub address: Address,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(serialize_with = "millis")]
    pub elapsed: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u128(d.as_millis())
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplyReport {
    pub results: Vec<ChangeResult>,
}

impl ApplyReport {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| f(&r.outcome)).count()
    }
    pub fn created(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Created))
    }
    pub fn updated(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Updated))
    }
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed { .. }))
    }
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped { .. }))
    }
    pub fn succeeded(&self) -> bool {
        self.failed() == 0 && self.skipped() == 0
    }
}

/// Applies every pending change of `plan` through `execute`, at most `concurrency` at a time.
/// A dependency on an address that has no pending change counts as satisfied.
pub async fn run<'p, F, Fut>(plan: &'p Plan, concurrency: usize, execute: F, events: &dyn EventSink) -> ApplyReport
where
    F: Fn(&'p ResourceChange) -> Fut,
    Fut: Future<Output = Result<(), AwsError>>,
{
    run_after(plan, &[], concurrency, execute, events).await
}

/// [`run`], for a plan whose changes may depend on changes of another plan (another account's) that
/// failed: those changes and their dependents are skipped.
pub async fn run_after<'p, F, Fut>(
    plan: &'p Plan,
    upstream_failed: &[Address],
    concurrency: usize,
    execute: F,
    events: &dyn EventSink,
) -> ApplyReport
where
    F: Fn(&'p ResourceChange) -> Fut,
    Fut: Future<Output = Result<(), AwsError>>,
{
    let pending: Vec<&ResourceChange> = plan.pending().collect();
    let index: HashMap<&Address, usize> = pending.iter().enumerate().map(|(i, c)| (&c.address, i)).collect();
    // For each change: the pending changes it waits for, and the ones that wait for it.
    let mut waiting_on: Vec<HashSet<usize>> = vec![HashSet::new(); pending.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); pending.len()];
    for (i, change) in pending.iter().enumerate() {
        for dep in &change.depends_on {
            if let Some(&d) = index.get(dep)
                && d != i
                && waiting_on[i].insert(d)
            {
                dependents[d].push(i);
            }
        }
    }

    let mut report = ApplyReport::default();
    let mut done = vec![false; pending.len()];
    for (i, change) in pending.iter().enumerate() {
        if let Some(because) = change.depends_on.iter().find(|d| upstream_failed.contains(d))
            && !done[i]
        {
            done[i] = true;
            events.emit(Event::Skipped { address: &change.address, because });
            report.results.push(ChangeResult {
                address: change.address.clone(),
                outcome: Outcome::Skipped { because: because.clone() },
                elapsed: Duration::ZERO,
            });
            skip_dependents(i, &pending, &dependents, &mut done, &mut report, events);
        }
    }
    let mut ready: Vec<usize> = (0..pending.len()).filter(|&i| waiting_on[i].is_empty() && !done[i]).rev().collect();
    let mut running = FuturesUnordered::new();
    let concurrency = concurrency.max(1);

    loop {
        while running.len() < concurrency {
            let Some(i) = ready.pop() else { break };
            let change = pending[i];
            events.emit(Event::Started { address: &change.address, action: change.action });
            let fut = execute(change);
            running.push(async move {
                let start = Instant::now();
                let result = fut.await;
                (i, result, start.elapsed())
            });
        }
        let Some((i, result, elapsed)) = running.next().await else { break };
        let change = pending[i];
        done[i] = true;
        let outcome = match result {
            Ok(()) if change.action == Action::Create => Outcome::Created,
            Ok(()) => Outcome::Updated,
            Err(error) => Outcome::Failed { error },
        };
        match &outcome {
            Outcome::Failed { error } => {
                events.emit(Event::Failed { address: &change.address, error });
                skip_dependents(i, &pending, &dependents, &mut done, &mut report, events);
            }
            _ => {
                events.emit(Event::Done { address: &change.address, action: change.action, elapsed });
                for &d in &dependents[i] {
                    waiting_on[d].remove(&i);
                    if waiting_on[d].is_empty() && !done[d] {
                        ready.push(d);
                    }
                }
            }
        }
        report.results.push(ChangeResult { address: change.address.clone(), outcome, elapsed });
    }
    // Anything left is part of a dependency cycle: report it rather than silently dropping it.
    for (i, change) in pending.iter().enumerate() {
        if !done[i] {
            let because = pending[*waiting_on[i].iter().next().unwrap_or(&i)].address.clone();
            events.emit(Event::Skipped { address: &change.address, because: &because });
            report.results.push(ChangeResult {
                address: change.address.clone(),
                outcome: Outcome::Skipped { because },
                elapsed: Duration::ZERO,
            });
        }
    }
    report
}

fn skip_dependents(
    failed: usize,
    pending: &[&ResourceChange],
    dependents: &[Vec<usize>],
    done: &mut [bool],
    report: &mut ApplyReport,
    events: &dyn EventSink,
) {
    let mut stack = dependents[failed].clone();
    while let Some(d) = stack.pop() {
        if done[d] {
            continue;
        }
        done[d] = true;
        let because = pending[failed].address.clone();
        events.emit(Event::Skipped { address: &pending[d].address, because: &because });
        report.results.push(ChangeResult {
            address: pending[d].address.clone(),
            outcome: Outcome::Skipped { because },
            elapsed: Duration::ZERO,
        });
        stack.extend(dependents[d].iter().copied());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::engine::events::NullSink;

    fn change(name: &str, deps: &[&str]) -> ResourceChange {
        let addr = |n: &str| Address::new("111111111111", "us-east-1", "test.thing", n);
        ResourceChange {
            address: addr(name),
            action: Action::Create,
            reason: "test".into(),
            attributes: Vec::new(),
            depends_on: deps.iter().map(|d| addr(d)).collect(),
            operation: None,
        }
    }

    #[tokio::test]
    async fn changes_waiting_on_a_failed_upstream_change_are_skipped_with_their_dependents() {
        let mut plan = Plan::default();
        let bucket_policy = Address::new("222222222222", "us-east-1", "s3.bucket_policy", "logs");
        let mut trail = change("trail", &[]);
        trail.depends_on.push(bucket_policy.clone());
        plan.changes = vec![trail, change("logging", &["trail"]), change("topic", &[])];
        let ran = Mutex::new(Vec::new());
        let report = run_after(
            &plan,
            std::slice::from_ref(&bucket_policy),
            4,
            |c| {
                ran.lock().unwrap().push(c.address.name.clone());
                async { Ok(()) }
            },
            &NullSink,
        )
        .await;
        assert_eq!(*ran.lock().unwrap(), vec!["topic"]);
        assert_eq!((report.skipped(), report.created()), (2, 1));
        let skipped_trail = report.results.iter().find(|r| r.address.name == "trail").unwrap();
        assert!(matches!(&skipped_trail.outcome, Outcome::Skipped { because } if *because == bucket_policy));
    }

    async fn run_with_failures(plan: &Plan, fail: &[&str], concurrency: usize) -> (ApplyReport, Vec<String>) {
        let order = Mutex::new(Vec::new());
        let report = run(
            plan,
            concurrency,
            |c| {
                order.lock().unwrap().push(c.address.name.clone());
                let fails = fail.contains(&c.address.name.as_str());
                async move {
                    tokio::task::yield_now().await;
                    if fails { Err(AwsError::test("Boom")) } else { Ok(()) }
                }
            },
            &NullSink,
        )
        .await;
        (report, order.into_inner().unwrap())
    }

    fn outcome<'a>(report: &'a ApplyReport, name: &str) -> &'a Outcome {
        &report.results.iter().find(|r| r.address.name == name).unwrap().outcome
    }

    #[tokio::test]
    async fn dependencies_run_first() {
        let plan = Plan {
            changes: vec![change("policy", &["topic"]), change("sub", &["topic"]), change("topic", &[])],
            ..Plan::default()
        };
        let (report, order) = run_with_failures(&plan, &[], 4).await;
        assert_eq!(order[0], "topic");
        assert_eq!(report.created(), 3);
        assert!(report.succeeded());
    }

    #[tokio::test]
    async fn failure_skips_dependents_transitively_but_not_independent_changes() {
        let plan = Plan {
            changes: vec![
                change("topic", &[]),
                change("policy", &["topic"]),
                change("alarm", &["policy"]),
                change("contact", &[]),
            ],
            ..Plan::default()
        };
        let (report, order) = run_with_failures(&plan, &["topic"], 2).await;
        assert!(matches!(outcome(&report, "topic"), Outcome::Failed { .. }));
        assert!(matches!(outcome(&report, "policy"), Outcome::Skipped { because } if because.name == "topic"));
        assert!(matches!(outcome(&report, "alarm"), Outcome::Skipped { because } if because.name == "topic"));
        assert!(matches!(outcome(&report, "contact"), Outcome::Created));
        assert_eq!(order.len(), 2, "skipped changes must not execute: {order:?}");
        assert_eq!((report.failed(), report.skipped(), report.created()), (1, 2, 1));
    }

    #[tokio::test]
    async fn cycle_is_reported_as_skipped() {
        let plan = Plan { changes: vec![change("a", &["b"]), change("b", &["a"])], ..Plan::default() };
        let (report, order) = run_with_failures(&plan, &[], 2).await;
        assert!(order.is_empty());
        assert_eq!(report.skipped(), 2);
    }

    #[tokio::test]
    async fn no_op_and_unknown_dependencies_are_satisfied() {
        let mut noop = change("existing", &[]);
        noop.action = Action::NoOp;
        let plan = Plan { changes: vec![noop, change("x", &["existing", "not-in-plan"])], ..Plan::default() };
        let (report, order) = run_with_failures(&plan, &[], 1).await;
        assert_eq!(order, vec!["x"]);
        assert_eq!(report.created(), 1);
    }
}
