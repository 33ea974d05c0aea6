//! Runs over accounts: many accounts × regions in one run, or the caller's account alone (an organization of
//! one, run by the same code). Each account is reached with an assumed role
//! (the caller's own account with the caller's credentials), planned and optionally applied on its own,
//! a bounded number at a time; results stream to a [`FleetSink`] one account at a time, so memory does not
//! grow with the fleet. An account that cannot be reached is reported and the others go on.
//!
//! Ordering across accounts: when the log archive account is part of an apply, it goes first, and changes of
//! other accounts that wait on its bucket policy (trails, Config channels) are skipped if that failed.

mod discover;
mod select;

use std::future::Future;
use std::sync::Arc;

use futures::stream::{self, StreamExt};

pub use discover::{Discovery, DiscoveryError, Member, account_api_access, discover, permissions};
pub use select::{Filters, SelectError, Shard, ShardError, ShardSpec, select, target_may_match};

use crate::aws::{AssumedRole, AwsError, ErrorKind, Session};
use crate::config::Desired;
use crate::engine::{Address, ApplyReport, EventSink, NullSink, Outcome};
use crate::resources::Plan;
use crate::resources::{log_bucket, wiring};
use crate::target::{Scope, Target, TargetError};

/// What an account is doing, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Connecting,
    Planning,
    Applying,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Connecting => "connecting",
            Stage::Planning => "planning",
            Stage::Applying => "applying",
        }
    }
}

/// Why an account could not be worked on at all.
#[derive(Debug, thiserror::Error)]
pub enum Unreachable {
    #[error("cannot assume {role_arn}: {error}")]
    AssumeRole { role_arn: String, error: AwsError },
    #[error(transparent)]
    Target(TargetError),
    #[error("account {0} is not listed in `allowed_account_ids`")]
    NotAllowed(String),
}

impl Unreachable {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            Unreachable::AssumeRole { error, .. } if matches!(error.kind, ErrorKind::AccessDenied) => {
                "the role is missing in the account, does not trust the caller, or a service control policy denies \
                 sts:AssumeRole: create the role (Organizations creates OrganizationAccountAccessRole in the \
                 accounts it creates), or set `role` in [accounts]"
                    .into()
            }
            Unreachable::AssumeRole { error, .. } => error.hint(),
            Unreachable::Target(TargetError::Regions(e) | TargetError::Identity(e)) => e.hint(),
            Unreachable::Target(_) => "see the message above".into(),
            Unreachable::NotAllowed(_) => {
                "add the account to `allowed_account_ids`, or exclude it in [accounts]".into()
            }
        }
    }
}

#[derive(Debug)]
pub enum AccountOutcome {
    Unreachable(Unreachable),
    /// Planned; the target is kept so an accepted plan can be applied without reading again.
    Planned {
        plan: Plan,
        target: Box<Target>,
    },
    Applied {
        plan: Plan,
        report: ApplyReport,
    },
    /// The run was interrupted (Ctrl-C) before this account was started: nothing read or changed.
    NotStarted,
}

#[derive(Debug)]
pub struct AccountReport {
    pub member: Member,
    pub outcome: AccountOutcome,
}

impl AccountReport {
    pub fn plan(&self) -> Option<&Plan> {
        match &self.outcome {
            AccountOutcome::Planned { plan, .. } | AccountOutcome::Applied { plan, .. } => Some(plan),
            AccountOutcome::Unreachable(_) | AccountOutcome::NotStarted => None,
        }
    }

    /// Unreachable, a resource that could not be read, or a change that failed or was skipped.
    pub fn failed(&self) -> bool {
        match &self.outcome {
            AccountOutcome::Unreachable(_) | AccountOutcome::NotStarted => true,
            AccountOutcome::Planned { plan, .. } => !plan.errors.is_empty(),
            AccountOutcome::Applied { plan, report } => !plan.errors.is_empty() || !report.succeeded(),
        }
    }
}

/// Receives progress and each account's result as soon as it is known.
pub trait FleetSink: Sync {
    fn stage(&self, account: &str, stage: Stage);
    fn done(&self, report: AccountReport);
    /// Where an account's changes are reported as they are applied; by default nowhere (the account's
    /// report is enough for several accounts).
    fn events(&self) -> &dyn EventSink {
        &NullSink
    }
}

/// One organization run.
pub struct Fleet<'a> {
    session: &'a Session,
    desired: &'a Desired,
    discovery: &'a Discovery,
    filters: &'a Filters,
    accounts_in_flight: usize,
    /// With a central log archive (`[log_archive] account_id`): every covered account, for its bucket policy.
    writers: Option<Arc<[String]>>,
    /// Set on Ctrl-C: changes in flight finish, no new one starts in any account.
    stop: crate::engine::Stop,
}

/// An accepted plan waiting to be applied.
pub struct Planned {
    pub member: Member,
    pub target: Target,
    pub plan: Plan,
}

impl<'a> Fleet<'a> {
    /// `accounts_in_flight`: how many accounts are worked on at once (requests are bounded separately by
    /// the session).
    pub fn new(
        session: &'a Session,
        desired: &'a Desired,
        discovery: &'a Discovery,
        filters: &'a Filters,
        accounts_in_flight: usize,
    ) -> Self {
        let central = desired.log_archive.as_ref().is_some_and(|a| a.account_id.is_some());
        let writers = central.then(|| discovery.members.iter().map(|m| m.id.clone()).collect());
        let accounts_in_flight = accounts_in_flight.max(1);
        Self { session, desired, discovery, filters, accounts_in_flight, writers, stop: Default::default() }
    }

    /// Applies stop starting changes once `stop` is requested.
    pub fn with_stop(mut self, stop: crate::engine::Stop) -> Self {
        self.stop = stop;
        self
    }

    /// Plans every account; read-only.
    pub async fn plan(&self, members: &[Member], sink: &dyn FleetSink) {
        stream::iter(members)
            .map(|m| async move {
                let outcome = match self.plan_one(m, sink).await {
                    Ok((target, plan)) => AccountOutcome::Planned { plan, target: Box::new(target) },
                    Err(e) => AccountOutcome::Unreachable(e),
                };
                AccountReport { member: m.clone(), outcome }
            })
            .buffer_unordered(self.accounts_in_flight)
            .for_each(|report| async { sink.done(report) })
            .await;
    }

    /// Plans and applies each account in turn (the log archive account first). The session must allow writes.
    pub async fn apply(&self, members: &[Member], sink: &dyn FleetSink) {
        let run = |m: &Member, upstream: Vec<Address>| {
            let m = m.clone();
            async move {
                let outcome = if self.stop.requested() {
                    AccountOutcome::NotStarted
                } else {
                    match self.plan_one(&m, sink).await {
                        Ok((target, plan)) => self.apply_one(&m, &target, plan, &upstream, sink).await,
                        Err(e) => AccountOutcome::Unreachable(e),
                    }
                };
                AccountReport { member: m, outcome }
            }
        };
        self.archive_first(members.iter().collect(), |m| &m.id, Vec::new(), run, sink).await;
    }

    /// Applies plans already shown and accepted (the log archive account first). The session must allow writes.
    /// `unreachable`: the accounts that could not be planned; when the archive account is one of them, what
    /// depends on its bucket policy is skipped.
    pub async fn apply_planned(&self, planned: Vec<Planned>, unreachable: &[String], sink: &dyn FleetSink) {
        let run = |p: Planned, upstream: Vec<Address>| async move {
            let outcome = self.apply_one(&p.member, &p.target, p.plan, &upstream, sink).await;
            AccountReport { member: p.member, outcome }
        };
        let upstream = match &self.desired.log_archive {
            Some(archive) if archive.account_id.as_ref().is_some_and(|a| unreachable.contains(a)) => {
                vec![wiring::location(archive, &self.discovery.caller).policy_address()]
            }
            _ => Vec::new(),
        };
        self.archive_first(planned, |p| &p.member.id, upstream, run, sink).await;
    }

    /// Runs the log archive account's work first, then the other accounts concurrently, telling them which of
    /// the archive's bucket changes failed (or were already known to, `upstream`) so what depends on them is
    /// skipped.
    async fn archive_first<T, F, Fut>(
        &self,
        items: Vec<T>,
        id: impl Fn(&T) -> &str,
        mut upstream: Vec<Address>,
        run: F,
        sink: &dyn FleetSink,
    ) where
        F: Fn(T, Vec<Address>) -> Fut,
        Fut: Future<Output = AccountReport>,
    {
        let archive = self.desired.log_archive.as_ref().and_then(|a| a.account_id.as_deref());
        let (first, rest): (Vec<T>, Vec<T>) = items.into_iter().partition(|t| Some(id(t)) == archive);
        for item in first {
            let report = run(item, Vec::new()).await;
            upstream = self.archive_failures(&report);
            sink.done(report);
        }
        stream::iter(rest)
            .map(|item| run(item, upstream.clone()))
            .buffer_unordered(self.accounts_in_flight)
            .for_each(|report| async { sink.done(report) })
            .await;
    }

    /// The archive's bucket policy address when other accounts must not build on it: the archive account could
    /// not be reached, or some part of its bucket could not be read or applied. Other accounts' trails and
    /// Config channels depend on that one address.
    fn archive_failures(&self, report: &AccountReport) -> Vec<Address> {
        let Some(archive) = &self.desired.log_archive else { return Vec::new() };
        let at = wiring::location(archive, &self.discovery.caller);
        let bucket = |a: &Address| a.account == at.owner && a.name == at.name && log_bucket::is_bucket_kind(a.kind);
        let unread = |plan: &Plan| plan.errors.iter().any(|e| bucket(&e.address));
        let failed = match &report.outcome {
            AccountOutcome::Unreachable(_) | AccountOutcome::NotStarted => true,
            AccountOutcome::Planned { plan, .. } => unread(plan),
            AccountOutcome::Applied { plan, report } => {
                unread(plan)
                    || report.results.iter().any(|r| {
                        matches!(r.outcome, Outcome::Failed { .. } | Outcome::Skipped { .. }) && bucket(&r.address)
                    })
            }
        };
        if failed { vec![at.policy_address()] } else { Vec::new() }
    }

    async fn plan_one(&self, member: &Member, sink: &dyn FleetSink) -> Result<(Target, Plan), Unreachable> {
        sink.stage(&member.id, Stage::Connecting);
        let desired = self.desired.for_account(&member.id);
        let target = self.connect(member, &desired).await?;
        sink.stage(&member.id, Stage::Planning);
        let mut plan = crate::plan(&desired, &target).await;
        plan.retain_targets(&self.filters.targets);
        Ok((target, plan))
    }

    async fn apply_one(
        &self,
        member: &Member,
        target: &Target,
        plan: Plan,
        upstream_failed: &[Address],
        sink: &dyn FleetSink,
    ) -> AccountOutcome {
        if plan.has_pending() {
            sink.stage(&member.id, Stage::Applying);
        }
        let report = crate::apply_after(&plan, upstream_failed, target, sink.events(), &self.stop).await;
        AccountOutcome::Applied { plan, report }
    }

    #[cfg(test)]
    fn writers(&self) -> Option<&[String]> {
        self.writers.as_deref()
    }

    /// Clients for one account: the caller's credentials for the caller's account, an assumed role for the
    /// others (one sts:AssumeRole call, regional STS in the home region).
    async fn connect(&self, member: &Member, desired: &Desired) -> Result<Target, Unreachable> {
        let caller = &self.discovery.caller;
        if !desired.allows(&member.id) {
            return Err(Unreachable::NotAllowed(member.id.clone()));
        }
        let scope = Scope { account_id: member.id.clone(), ..caller.clone() };
        let mut target = if member.id == caller.account_id {
            Target::connect(self.session, scope, desired).await.map_err(Unreachable::Target)?
        } else {
            let accounts = &desired.accounts;
            let role_arn = format!("arn:{}:iam::{}:role/{}", caller.partition, member.id, accounts.role);
            let assumed = AssumedRole::assume(
                self.session.sts(&caller.home_region),
                role_arn.clone(),
                accounts.session_name.clone(),
                accounts.external_id.clone(),
            )
            .await
            .map_err(|error| Unreachable::AssumeRole { role_arn, error })?;
            let session = self.session.with_credentials(assumed);
            let mut target = Target::connect(&session, scope, desired).await.map_err(Unreachable::Target)?;
            // Member accounts through the caller's AccountId; the management account keeps its own role.
            if self.discovery.contacts_through_caller(&member.id) {
                target.account = self.session.account(&caller.partition);
                target.contacts_account = Some(member.id.clone());
            }
            target
        };
        target.management_account.clone_from(&self.discovery.management_account);
        target.retain_regions(&self.filters.regions);
        target.log_writers.clone_from(&self.writers);
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    #[test]
    fn only_a_central_archive_lists_every_account_as_a_writer() {
        let session = Session::from_sdk_config(aws_config::SdkConfig::builder().build());
        let discovery = Discovery {
            caller: Scope {
                account_id: "111111111111".into(),
                partition: "aws".into(),
                home_region: "us-east-1".into(),
            },
            members: vec![Member::new("111111111111"), Member::new("222222222222")],
            inactive: Vec::new(),
            management_account: None,
            contacts_from_caller: false,
            notices: Vec::new(),
        };
        let filters = Filters::default();
        let desired = |archive: &str| {
            let text =
                format!("[accounts]\norganization = true\n[log_archive]\nbucket = \"logs-{{account_id}}\"\n{archive}");
            parse(std::path::Path::new("baseline.toml"), &text).unwrap().desired
        };
        let central = desired("account_id = \"222222222222\"\n");
        let fleet = Fleet::new(&session, &central, &discovery, &filters, 1);
        assert_eq!(fleet.writers(), Some(&["111111111111".to_string(), "222222222222".to_string()][..]));
        // Without a log archive account every account has a bucket of its own, written by itself alone.
        let own = desired("");
        assert_eq!(Fleet::new(&session, &own, &discovery, &filters, 1).writers(), None);
    }

    #[test]
    fn account_id_names_member_accounts_only() {
        let scope =
            |id: &str| Scope { account_id: id.into(), partition: "aws".into(), home_region: "us-east-1".into() };
        let run = |caller: &str| Discovery {
            caller: scope(caller),
            members: ["111111111111", "222222222222", "333333333333"].map(Member::new).to_vec(),
            inactive: Vec::new(),
            management_account: Some("111111111111".into()),
            contacts_from_caller: true,
            notices: Vec::new(),
        };
        // The management account: members through AccountId, itself without.
        let management = run("111111111111");
        assert!(!management.contacts_through_caller("111111111111"));
        assert!(management.contacts_through_caller("222222222222"));
        // The delegated administrator: members through AccountId; itself and the management account without.
        let delegated = run("222222222222");
        assert!(!delegated.contacts_through_caller("111111111111"), "AccountId may not name the management account");
        assert!(!delegated.contacts_through_caller("222222222222"));
        assert!(delegated.contacts_through_caller("333333333333"));
        // Without the route every account uses its own role.
        let roles = Discovery { contacts_from_caller: false, ..run("111111111111") };
        assert!(!roles.contacts_through_caller("222222222222"));
    }
}
