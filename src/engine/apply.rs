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
    Failed {
        error: AwsError,
    },
    Skipped {
        because: Address,
    },
    /// The run was interrupted (Ctrl-C) before this change started; it is still pending.
    #[serde(rename = "not-started")]
    NotStarted,
}

/// Asks a running apply to stop: changes in flight finish, no new one starts. Cloned handles share the
/// request (the CLI sets it on Ctrl-C).
#[derive(Debug, Clone, Default)]
pub struct Stop(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Stop {
    pub fn request(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn requested(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
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
    pub fn not_started(&self) -> usize {
        self.count(|o| matches!(o, Outcome::NotStarted))
    }
    /// Every change applied: none failed, skipped or left unstarted.
    pub fn succeeded(&self) -> bool {
        self.failed() == 0 && self.skipped() == 0 && self.not_started() == 0
    }
    /// The changes an interruption left pending.
    pub fn unstarted(&self) -> impl Iterator<Item = &Address> {
        self.results.iter().filter(|r| matches!(r.outcome, Outcome::NotStarted)).map(|r| &r.address)
    }
}

/// Applies every pending change of `plan` through `execute`, at most `concurrency` at a time.
/// A dependency on an address that has no pending change counts as satisfied.
pub async fn run<'p, O, F, Fut>(
    plan: &'p Plan<O>,
    concurrency: usize,
    execute: F,
    events: &dyn EventSink,
) -> ApplyReport
where
    F: Fn(&'p ResourceChange<O>) -> Fut,
    Fut: Future<Output = Result<(), AwsError>>,
{
    run_after(plan, &[], concurrency, execute, events, &Stop::default()).await
}

/// [`run`], for a plan whose changes may depend on changes of another plan (another account's) that
/// failed: those changes and their dependents are skipped. Once `stop` is requested no change starts; the
/// ones in flight finish, the rest are reported as not started.
pub async fn run_after<'p, O, F, Fut>(
    plan: &'p Plan<O>,
    upstream_failed: &[Address],
    concurrency: usize,
    execute: F,
    events: &dyn EventSink,
    stop: &Stop,
) -> ApplyReport
where
    F: Fn(&'p ResourceChange<O>) -> Fut,
    Fut: Future<Output = Result<(), AwsError>>,
{
    let pending: Vec<&ResourceChange<O>> = plan.pending().collect();
    let (mut waiting_on, dependents) = graph(&pending);
    let mut report = ApplyReport::default();
    let mut done = vec![false; pending.len()];
    skip_upstream_failures(&pending, upstream_failed, &dependents, &mut done, &mut report, events);
    let mut ready: Vec<usize> = (0..pending.len()).filter(|&i| waiting_on[i].is_empty() && !done[i]).rev().collect();
    let mut running = FuturesUnordered::new();
    let concurrency = concurrency.max(1);

    loop {
        while running.len() < concurrency && !stop.requested() {
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
    report_unfinished(&pending, &mut done, &waiting_on, stop.requested(), &mut report, events);
    report
}

/// For each change: the pending changes it waits for, and the ones that wait for it.
fn graph<O>(pending: &[&ResourceChange<O>]) -> (Vec<HashSet<usize>>, Vec<Vec<usize>>) {
    let index: HashMap<&Address, usize> = pending.iter().enumerate().map(|(i, c)| (&c.address, i)).collect();
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
    (waiting_on, dependents)
}

/// Changes waiting for a change of another plan that failed are skipped, with their dependents.
fn skip_upstream_failures<O>(
    pending: &[&ResourceChange<O>],
    upstream_failed: &[Address],
    dependents: &[Vec<usize>],
    done: &mut [bool],
    report: &mut ApplyReport,
    events: &dyn EventSink,
) {
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
            skip_dependents(i, pending, dependents, done, report, events);
        }
    }
}

/// After the run: interrupted, what never started is still pending; anything else left is part of a
/// dependency cycle, reported rather than silently dropped.
fn report_unfinished<O>(
    pending: &[&ResourceChange<O>],
    done: &mut [bool],
    waiting_on: &[HashSet<usize>],
    interrupted: bool,
    report: &mut ApplyReport,
    events: &dyn EventSink,
) {
    for (i, change) in pending.iter().enumerate() {
        if done[i] {
            continue;
        }
        done[i] = true;
        if interrupted {
            report.results.push(ChangeResult {
                address: change.address.clone(),
                outcome: Outcome::NotStarted,
                elapsed: Duration::ZERO,
            });
            continue;
        }
        let because = pending[*waiting_on[i].iter().next().unwrap_or(&i)].address.clone();
        events.emit(Event::Skipped { address: &change.address, because: &because });
        report.results.push(ChangeResult {
            address: change.address.clone(),
            outcome: Outcome::Skipped { because },
            elapsed: Duration::ZERO,
        });
    }
}

fn skip_dependents<O>(
    failed: usize,
    pending: &[&ResourceChange<O>],
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

    fn change(name: &str, deps: &[&str]) -> ResourceChange<()> {
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
        let mut plan = Plan::<()>::default();
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
            &Stop::default(),
        )
        .await;
        assert_eq!(*ran.lock().unwrap(), vec!["topic"]);
        assert_eq!((report.skipped(), report.created()), (2, 1));
        let skipped_trail = report.results.iter().find(|r| r.address.name == "trail").unwrap();
        assert!(matches!(&skipped_trail.outcome, Outcome::Skipped { because } if *because == bucket_policy));
    }

    /// Ctrl-C while two changes run: both finish and are reported, nothing else starts, and the rest is
    /// reported as not started (still pending).
    #[tokio::test]
    async fn a_stop_lets_changes_in_flight_finish_and_starts_no_other() {
        let plan = Plan {
            changes: vec![change("a", &[]), change("b", &[]), change("c", &["a"]), change("d", &[]), change("e", &[])],
            ..Plan::<()>::default()
        };
        let stop = Stop::default();
        let started = Mutex::new(Vec::new());
        let report = run_after(
            &plan,
            &[],
            2,
            |c| {
                started.lock().unwrap().push(c.address.name.clone());
                let stop = stop.clone();
                async move {
                    // The interruption arrives while the first two changes are in flight.
                    stop.request();
                    tokio::task::yield_now().await;
                    Ok(())
                }
            },
            &NullSink,
            &stop,
        )
        .await;
        assert_eq!(started.lock().unwrap().len(), 2, "only the changes in flight ran");
        assert_eq!((report.created(), report.not_started()), (2, 3));
        assert!(!report.succeeded());
        let unstarted: Vec<&str> = report.unstarted().map(|a| a.name.as_str()).collect();
        assert_eq!(unstarted.len(), 3);
        assert!(unstarted.contains(&"c"), "dependents of applied changes too: {unstarted:?}");
    }

    async fn run_with_failures(plan: &Plan<()>, fail: &[&str], concurrency: usize) -> (ApplyReport, Vec<String>) {
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
            ..Plan::<()>::default()
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
            ..Plan::<()>::default()
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
        let plan = Plan { changes: vec![change("a", &["b"]), change("b", &["a"])], ..Plan::<()>::default() };
        let (report, order) = run_with_failures(&plan, &[], 2).await;
        assert!(order.is_empty());
        assert_eq!(report.skipped(), 2);
    }

    #[tokio::test]
    async fn no_op_and_unknown_dependencies_are_satisfied() {
        let mut noop = change("existing", &[]);
        noop.action = Action::NoOp;
        let plan = Plan { changes: vec![noop, change("x", &["existing", "not-in-plan"])], ..Plan::<()>::default() };
        let (report, order) = run_with_failures(&plan, &[], 1).await;
        assert_eq!(order, vec!["x"]);
        assert_eq!(report.created(), 1);
    }
}
