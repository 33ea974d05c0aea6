//! Cost budgets with FORECASTED and ACTUAL spend notifications delivered to the billing topic (and optional
//! e-mail addresses). A budget named in baseline.toml is owned with its notifications of the baseline's shape
//! (GREATER_THAN a percentage) and their subscribers, repaired in place; notifications of another shape on the
//! same budget are someone else's and are left alone.

use std::collections::BTreeMap;

use aws_sdk_budgets::types::{
    Budget, BudgetType, ComparisonOperator, Notification, NotificationType, NotificationWithSubscribers, Spend,
    Subscriber as SdkSubscriber, SubscriptionType, ThresholdType, TimeUnit,
};
use futures::future::join_all;

use super::wiring::topic_arn;
use super::{Operation, report_unreadable};
use super::{Plan, ResourceChange};
use crate::aws::{self, AwsError, ErrorKind};
use crate::config::{BudgetSpec, Desired};
use crate::engine::{Action, Address, AttributeChange, EventSink, GLOBAL, Notice, NoticeLevel};
use crate::target::{Scope, Target};

pub const BUDGET: &str = "budgets.budget";
pub const NOTIFICATION: &str = "budgets.notification";

/// A notification's identity, as AWS Budgets defines it: notification type, comparison operator, threshold and
/// threshold type. Every call on a notification (update, delete, its subscribers) names it by all four.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationKey {
    pub notification_type: NotificationType,
    pub comparison: ComparisonOperator,
    pub threshold: f64,
    /// As AWS describes the notification; `None` is a percentage ("Thresholds are always a percentage",
    /// Budgets API reference, Notification) and is sent back as `None`.
    pub threshold_type: Option<ThresholdType>,
}

impl NotificationKey {
    /// The notifications the baseline creates: spend greater than a percentage of the limit.
    pub fn percent_over(forecasted: bool, threshold: f64) -> Self {
        Self {
            notification_type: if forecasted { NotificationType::Forecasted } else { NotificationType::Actual },
            comparison: ComparisonOperator::GreaterThan,
            threshold,
            threshold_type: Some(ThresholdType::Percentage),
        }
    }

    fn forecasted(&self) -> bool {
        self.notification_type == NotificationType::Forecasted
    }

    fn percentage(&self) -> bool {
        self.threshold_type.as_ref().is_none_or(|t| *t == ThresholdType::Percentage)
    }

    /// Of the shape the baseline creates (GREATER_THAN a PERCENTAGE). Other notifications on an owned budget
    /// were added by someone else: they are never updated, deleted or taken for the baseline's.
    pub fn is_baselines(&self) -> bool {
        self.comparison == ComparisonOperator::GreaterThan && self.percentage()
    }

    /// `forecasted-100` for the baseline's shape; other shapes name their operator and threshold type.
    fn label(&self) -> String {
        let kind = if self.forecasted() { "forecasted" } else { "actual" };
        if self.is_baselines() {
            return format!("{kind}-{}", trim(self.threshold));
        }
        let unit = if self.percentage() { "percent" } else { "absolute" };
        format!("{kind}-{}-{}-{unit}", self.comparison.as_str().to_ascii_lowercase(), trim(self.threshold))
    }

    /// The same notification: all four parts equal.
    fn same(&self, other: &NotificationKey) -> bool {
        self.notification_type == other.notification_type
            && self.comparison == other.comparison
            && self.percentage() == other.percentage()
            && (self.threshold - other.threshold).abs() < 1e-9
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subscriber {
    pub sns: bool,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NotificationState {
    pub key: NotificationKey,
    /// `None` when the endpoint cannot list subscribers.
    pub subscribers: Option<Vec<Subscriber>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BudgetState {
    pub limit: f64,
    pub currency: String,
    pub time_unit: String,
    pub cost_filters: BTreeMap<String, Vec<String>>,
    pub notifications: Vec<NotificationState>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    CreateBudget { spec: BudgetSpec, subscribers: Vec<Subscriber> },
    UpdateBudget(BudgetSpec),
    CreateNotification { budget: String, key: NotificationKey, subscribers: Vec<Subscriber> },
    UpdateNotification { budget: String, old: NotificationKey, new: NotificationKey },
    DeleteNotification { budget: String, key: NotificationKey },
    SyncSubscribers { budget: String, key: NotificationKey, add: Vec<Subscriber>, remove: Vec<Subscriber> },
}

fn trim(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub fn subscribers(desired: &Desired, scope: &Scope, spec: &BudgetSpec) -> Vec<Subscriber> {
    let mut out: Vec<Subscriber> = desired
        .notifications
        .billing
        .iter()
        .map(|t| Subscriber { sns: true, address: topic_arn(scope, &t.name) })
        .collect();
    out.extend(spec.emails.iter().map(|e| Subscriber { sns: false, address: e.clone() }));
    out.sort();
    out
}

fn wanted_keys(spec: &BudgetSpec) -> Vec<NotificationKey> {
    let forecasted = spec.forecasted_thresholds.iter().map(|&t| NotificationKey::percent_over(true, t));
    let actual = spec.actual_thresholds.iter().map(|&t| NotificationKey::percent_over(false, t));
    forecasted.chain(actual).collect()
}

/// The calls of this family: budgets are listed (all names), created and changed by name.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    if desired.budgets.is_empty() {
        return;
    }
    needs.on(&["budgets:ViewBudget"], [needs.arn("budgets", "", "budget/*")]);
    let names: Vec<String> =
        desired.budgets.iter().map(|b| needs.arn("budgets", "", &format!("budget/{}", b.name))).collect();
    needs.on(&["budgets:ModifyBudget"], names);
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    if desired.budgets.is_empty() {
        return Plan::default();
    }
    let scope = &target.scope;
    let mut plan = Plan::default();
    let all = Address::new(&scope.account_id, GLOBAL, BUDGET, "*");
    let Some(existing) = report_unreadable(describe_budgets(target).await, &all, &mut plan) else { return plan };
    let states = join_all(desired.budgets.iter().map(|spec| async {
        match existing.iter().find(|b| b.budget_name() == spec.name) {
            Some(budget) => observe(target, budget).await.map(Some),
            None => Ok(None),
        }
    }))
    .await;
    for (spec, state) in desired.budgets.iter().zip(states) {
        let at = Address::new(&scope.account_id, GLOBAL, BUDGET, &spec.name);
        if let Some(state) = report_unreadable(state, &at, &mut plan) {
            if state.as_ref().is_some_and(|s| s.notifications.iter().any(|n| n.subscribers.is_none())) {
                plan.notices.push(Notice {
                    level: NoticeLevel::Warning,
                    address: at.clone(),
                    message: "subscribers not checked: this endpoint does not support \
                              budgets:DescribeSubscribersForNotification"
                        .into(),
                });
            }
            plan.extend(diff(scope, spec, &subscribers(desired, scope, spec), state.as_ref()));
        }
    }
    plan
}

async fn describe_budgets(target: &Target) -> Result<Vec<Budget>, AwsError> {
    let mut pages = target.budgets.describe_budgets().account_id(&target.scope.account_id).into_paginator().send();
    let mut budgets = Vec::new();
    while let Some(page) = pages.next().await {
        match page.map_err(aws::err("budgets:ViewBudget")) {
            Ok(page) => budgets.extend(page.budgets().iter().cloned()),
            Err(e) if e.kind == ErrorKind::NotFound => break,
            Err(e) => return Err(e),
        }
    }
    Ok(budgets)
}

// CostFilters are deprecated in favour of FilterExpression, but they are what the emulator implements and
// still cover the filters baseline.toml offers (services, linked accounts, cost allocation tags).
#[allow(deprecated)]
async fn observe(target: &Target, budget: &Budget) -> Result<BudgetState, AwsError> {
    let account = &target.scope.account_id;
    let name = budget.budget_name();
    let mut notifications = Vec::new();
    let mut pages = target
        .budgets
        .describe_notifications_for_budget()
        .account_id(account)
        .budget_name(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page.map_err(aws::err("budgets:ViewBudget")) {
            Ok(page) => notifications.extend(page.notifications().iter().cloned()),
            Err(e) if e.kind == ErrorKind::NotFound => break,
            Err(e) => return Err(e),
        }
    }
    let with_subscribers = join_all(notifications.iter().map(|n| async move {
        let result = target
            .budgets
            .describe_subscribers_for_notification()
            .account_id(account)
            .budget_name(name)
            .notification(n.clone())
            .send()
            .await
            .map_err(aws::err("budgets:ViewBudget"));
        let subscribers = match result {
            Ok(out) => Some(
                out.subscribers()
                    .iter()
                    .map(|s| Subscriber {
                        sns: s.subscription_type() == &SubscriptionType::Sns,
                        address: s.address().to_string(),
                    })
                    .collect::<Vec<_>>(),
            ),
            Err(e) if e.kind == ErrorKind::NotSupported => None,
            Err(e) if e.kind == ErrorKind::NotFound => Some(Vec::new()),
            Err(e) => return Err(e),
        };
        Ok(NotificationState {
            key: NotificationKey {
                notification_type: n.notification_type().clone(),
                comparison: n.comparison_operator().clone(),
                threshold: n.threshold(),
                threshold_type: n.threshold_type().cloned(),
            },
            subscribers: subscribers.map(|mut s| {
                s.sort();
                s
            }),
        })
    }))
    .await;
    let limit = budget.budget_limit();
    Ok(BudgetState {
        limit: limit.and_then(|l| l.amount().parse().ok()).unwrap_or(0.0),
        currency: limit.map(|l| l.unit().to_string()).unwrap_or_default(),
        time_unit: budget.time_unit().as_str().to_string(),
        cost_filters: budget
            .cost_filters()
            .map(|f| f.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        notifications: with_subscribers.into_iter().collect::<Result<_, _>>()?,
    })
}

fn budget_fields(
    limit: f64,
    currency: &str,
    time_unit: &str,
    filters: &BTreeMap<String, Vec<String>>,
) -> [(&'static str, String); 3] {
    let filters = filters.iter().map(|(k, v)| format!("{k}={}", v.join("|"))).collect::<Vec<_>>().join("; ");
    [
        ("limit", format!("{} {currency}", trim(limit))),
        ("time_unit", time_unit.to_string()),
        ("cost_filters", if filters.is_empty() { "(none)".into() } else { filters }),
    ]
}

pub fn diff(scope: &Scope, spec: &BudgetSpec, subscribers: &[Subscriber], observed: Option<&BudgetState>) -> Plan {
    let mut plan = Plan::default();
    let op = Operation::Budgets;
    let budget_at = Address::new(&scope.account_id, GLOBAL, BUDGET, &spec.name);
    let want = budget_fields(spec.limit, &spec.currency, &spec.time_unit, &spec.cost_filters);

    let Some(state) = observed else {
        let mut attributes: Vec<AttributeChange> =
            want.into_iter().map(|(n, w)| AttributeChange::new(n, None, Some(w))).collect();
        attributes.extend(
            wanted_keys(spec).iter().map(|k| {
                AttributeChange::new(format!("notification[{}]", k.label()), None, Some(describe(subscribers)))
            }),
        );
        plan.changes.push(
            ResourceChange::new(
                budget_at,
                Action::Create,
                "budget does not exist",
                op(Op::CreateBudget { spec: spec.clone(), subscribers: subscribers.to_vec() }),
            )
            .with_attributes(attributes),
        );
        return plan;
    };

    let have = budget_fields(state.limit, &state.currency, &state.time_unit, &state.cost_filters);
    let attributes: Vec<AttributeChange> = super::changed_fields(have, want);
    plan.changes.push(if attributes.is_empty() {
        ResourceChange::no_op(budget_at.clone(), "budget matches")
    } else {
        ResourceChange::new(budget_at.clone(), Action::Update, "budget differs", op(Op::UpdateBudget(spec.clone())))
            .with_attributes(attributes)
    });
    let notifications = diff_notifications(scope, spec, subscribers, &state.notifications);
    plan.changes.extend(notifications.into_iter().map(|c| if c.is_pending() { c.after(&budget_at) } else { c }));
    plan
}

fn describe(subscribers: &[Subscriber]) -> String {
    subscribers.iter().map(|s| s.address.clone()).collect::<Vec<_>>().join(", ")
}

/// The budget's notifications against the baseline's: matched by their whole identity, so a notification of
/// another shape (LESS_THAN, EQUAL_TO, an absolute value) with the same number is never taken for the
/// baseline's, and is left as it is.
fn diff_notifications(
    scope: &Scope,
    spec: &BudgetSpec,
    subscribers: &[Subscriber],
    observed: &[NotificationState],
) -> Vec<ResourceChange> {
    let op = Operation::Budgets;
    let budget = || spec.name.clone();
    let at = |key: &NotificationKey| {
        Address::new(&scope.account_id, GLOBAL, NOTIFICATION, format!("{}/{}", spec.name, key.label()))
    };
    let keys = wanted_keys(spec);
    // The baseline's own shape, not (any more) in baseline.toml: a changed threshold or a removed one.
    let mut undeclared: Vec<&NotificationState> =
        observed.iter().filter(|n| n.key.is_baselines() && !keys.iter().any(|k| k.same(&n.key))).collect();
    let mut changes = Vec::new();
    for key in &keys {
        let change = match observed.iter().find(|n| n.key.same(key)) {
            Some(existing) => diff_subscribers(at(key), &spec.name, existing, subscribers),
            None => match undeclared.iter().position(|n| n.key.notification_type == key.notification_type) {
                // A changed threshold: the old notification of the same type becomes the new one.
                Some(i) => {
                    let old = undeclared.remove(i).key.clone();
                    let threshold =
                        AttributeChange::new("threshold_percent", Some(trim(old.threshold)), Some(trim(key.threshold)));
                    let update = Op::UpdateNotification { budget: budget(), old, new: key.clone() };
                    ResourceChange::new(at(key), Action::Update, "threshold changed", op(update))
                        .with_attributes(vec![threshold])
                }
                None => {
                    let create = Op::CreateNotification {
                        budget: budget(),
                        key: key.clone(),
                        subscribers: subscribers.to_vec(),
                    };
                    ResourceChange::new(at(key), Action::Create, "notification missing", op(create))
                        .with_attributes(vec![AttributeChange::new("subscribers", None, Some(describe(subscribers)))])
                }
            },
        };
        changes.push(change);
    }
    for stale in undeclared {
        let delete = Op::DeleteNotification { budget: budget(), key: stale.key.clone() };
        changes.push(
            ResourceChange::new(at(&stale.key), Action::Update, "notification no longer in the baseline", op(delete))
                .with_attributes(vec![AttributeChange::new("notification", Some(stale.key.label()), None)]),
        );
    }
    changes
}

/// An existing notification's subscribers; the calls name the notification as AWS described it.
fn diff_subscribers(
    address: Address,
    budget: &str,
    existing: &NotificationState,
    subscribers: &[Subscriber],
) -> ResourceChange {
    let Some(have) = &existing.subscribers else {
        return ResourceChange::no_op(address, "notification exists; subscribers unknown");
    };
    let add: Vec<Subscriber> = subscribers.iter().filter(|s| !have.contains(s)).cloned().collect();
    let remove: Vec<Subscriber> = have.iter().filter(|s| !subscribers.contains(s)).cloned().collect();
    if add.is_empty() && remove.is_empty() {
        return ResourceChange::no_op(address, "notification and subscribers match");
    }
    let sync = Op::SyncSubscribers { budget: budget.to_string(), key: existing.key.clone(), add, remove };
    ResourceChange::new(address, Action::Update, "subscribers differ", Operation::Budgets(sync))
        .with_attributes(vec![AttributeChange::new("subscribers", Some(describe(have)), Some(describe(subscribers)))])
}

#[allow(deprecated)]
fn sdk_budget(spec: &BudgetSpec) -> Result<Budget, AwsError> {
    let limit = Spend::builder()
        .amount(trim(spec.limit))
        .unit(&spec.currency)
        .build()
        .map_err(aws::build_error("budgets:ModifyBudget"))?;
    let filters = spec.cost_filters.clone().into_iter().collect();
    Budget::builder()
        .budget_name(&spec.name)
        .budget_limit(limit)
        .time_unit(TimeUnit::from(spec.time_unit.as_str()))
        .budget_type(BudgetType::Cost)
        .set_cost_filters(Some(filters))
        .build()
        .map_err(aws::build_error("budgets:ModifyBudget"))
}

/// The notification exactly as its key names it (all four parts of its identity).
fn sdk_notification(key: &NotificationKey) -> Result<Notification, AwsError> {
    Notification::builder()
        .notification_type(key.notification_type.clone())
        .comparison_operator(key.comparison.clone())
        .threshold(key.threshold)
        .set_threshold_type(key.threshold_type.clone())
        .build()
        .map_err(aws::build_error("budgets:ModifyBudget"))
}

fn sdk_subscribers(subscribers: &[Subscriber]) -> Result<Vec<SdkSubscriber>, AwsError> {
    subscribers
        .iter()
        .map(|s| {
            SdkSubscriber::builder()
                .subscription_type(if s.sns { SubscriptionType::Sns } else { SubscriptionType::Email })
                .address(&s.address)
                .build()
                .map_err(aws::build_error("budgets:ModifyBudget"))
        })
        .collect()
}

pub async fn execute(target: &Target, op: &Op, _at: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    let b = &target.budgets;
    let account = &target.scope.account_id;
    match op {
        Op::CreateBudget { spec, subscribers } => create_budget(target, spec, subscribers).await?,
        Op::UpdateBudget(spec) => {
            b.update_budget()
                .account_id(account)
                .new_budget(sdk_budget(spec)?)
                .send()
                .await
                .map_err(aws::err("budgets:ModifyBudget"))?;
        }
        Op::CreateNotification { budget, key, subscribers } => {
            b.create_notification()
                .account_id(account)
                .budget_name(budget)
                .notification(sdk_notification(key)?)
                .set_subscribers(Some(sdk_subscribers(subscribers)?))
                .send()
                .await
                .map(|_| ())
                .map_err(aws::err("budgets:ModifyBudget"))
                .or_else(super::already_there("DuplicateRecordException"))?;
        }
        Op::UpdateNotification { budget, old, new } => {
            b.update_notification()
                .account_id(account)
                .budget_name(budget)
                .old_notification(sdk_notification(old)?)
                .new_notification(sdk_notification(new)?)
                .send()
                .await
                .map_err(aws::err("budgets:ModifyBudget"))?;
        }
        Op::DeleteNotification { budget, key } => {
            b.delete_notification()
                .account_id(account)
                .budget_name(budget)
                .notification(sdk_notification(key)?)
                .send()
                .await
                .map_err(aws::err("budgets:ModifyBudget"))?;
        }
        Op::SyncSubscribers { budget, key, add, remove } => sync_subscribers(target, budget, key, add, remove).await?,
    }
    Ok(())
}

/// The budget with all its notifications and their subscribers, in one call.
async fn create_budget(target: &Target, spec: &BudgetSpec, subscribers: &[Subscriber]) -> Result<(), AwsError> {
    let (b, account) = (&target.budgets, &target.scope.account_id);
    let notifications = wanted_keys(spec)
        .iter()
        .map(|k| {
            NotificationWithSubscribers::builder()
                .notification(sdk_notification(k)?)
                .set_subscribers(Some(sdk_subscribers(subscribers)?))
                .build()
                .map_err(aws::build_error("budgets:ModifyBudget"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    b.create_budget()
        .account_id(account)
        .budget(sdk_budget(spec)?)
        .set_notifications_with_subscribers(Some(notifications))
        .send()
        .await
        .map(|_| ())
        .map_err(aws::err("budgets:ModifyBudget"))
        .or_else(super::already_there("DuplicateRecordException"))?;
    Ok(())
}

/// Subscribers added to and removed from one notification, one call each (AWS has no batch call).
async fn sync_subscribers(
    target: &Target,
    budget: &str,
    key: &NotificationKey,
    add: &[Subscriber],
    remove: &[Subscriber],
) -> Result<(), AwsError> {
    let (b, account) = (&target.budgets, &target.scope.account_id);
    let notification = sdk_notification(key)?;
    for s in sdk_subscribers(add)? {
        b.create_subscriber()
            .account_id(account)
            .budget_name(budget)
            .notification(notification.clone())
            .subscriber(s)
            .send()
            .await
            .map(|_| ())
            .map_err(aws::err("budgets:ModifyBudget"))
            .or_else(super::already_there("DuplicateRecordException"))?;
    }
    for s in sdk_subscribers(remove)? {
        b.delete_subscriber()
            .account_id(account)
            .budget_name(budget)
            .notification(notification.clone())
            .subscriber(s)
            .send()
            .await
            .map(|_| ())
            .map_err(aws::err("budgets:ModifyBudget"))
            .or_else(super::already_there("DuplicateRecordException"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope { account_id: "111111111111".into(), partition: "aws".into(), home_region: "us-east-1".into() }
    }

    fn spec() -> BudgetSpec {
        BudgetSpec {
            name: "monthly".into(),
            limit: 1000.0,
            currency: "USD".into(),
            time_unit: "MONTHLY".into(),
            forecasted_thresholds: vec![100.0],
            actual_thresholds: vec![80.0],
            emails: vec![],
            cost_filters: BTreeMap::new(),
        }
    }

    fn subs() -> Vec<Subscriber> {
        vec![Subscriber { sns: true, address: "arn:aws:sns:us-east-1:111111111111:billing".into() }]
    }

    fn state(keys: &[(bool, f64)]) -> BudgetState {
        BudgetState {
            limit: 1000.0,
            currency: "USD".into(),
            time_unit: "MONTHLY".into(),
            cost_filters: BTreeMap::new(),
            notifications: keys
                .iter()
                .map(|&(forecasted, threshold)| NotificationState {
                    key: NotificationKey::percent_over(forecasted, threshold),
                    subscribers: Some(subs()),
                })
                .collect(),
        }
    }

    #[test]
    fn missing_budget_is_created_with_its_notifications() {
        let plan = diff(&scope(), &spec(), &subs(), None);
        assert_eq!(plan.changes.len(), 1);
        let names: Vec<&str> = plan.changes[0].attributes.iter().map(|a| a.name.as_str()).collect();
        assert!(names.contains(&"notification[forecasted-100]") && names.contains(&"notification[actual-80]"));
    }

    #[test]
    fn converged_budget_is_a_no_op() {
        assert!(!diff(&scope(), &spec(), &subs(), Some(&state(&[(true, 100.0), (false, 80.0)]))).has_pending());
    }

    #[test]
    fn notification_no_longer_listed_is_deleted_and_missing_one_created() {
        let plan = diff(
            &scope(),
            &spec(),
            &subs(),
            Some(&state(&[(true, 100.0), (true, 120.0), (false, 80.0), (false, 90.0)])),
        );
        let reasons: Vec<String> = plan.pending().map(|c| format!("{} {}", c.address.name, c.reason)).collect();
        assert_eq!(
            reasons,
            vec![
                "monthly/forecasted-120 notification no longer in the baseline",
                "monthly/actual-90 notification no longer in the baseline"
            ]
        );
        let plan = diff(&scope(), &spec(), &subs(), Some(&state(&[(true, 100.0)])));
        assert_eq!(plan.pending().next().unwrap().reason, "notification missing");
    }

    #[test]
    fn unknown_subscribers_are_not_drift() {
        let mut s = state(&[(true, 100.0), (false, 80.0)]);
        s.notifications[0].subscribers = None;
        assert!(!diff(&scope(), &spec(), &subs(), Some(&s)).has_pending());
    }

    #[test]
    fn foreign_notification_with_the_same_number_is_neither_matched_nor_touched() {
        let foreign = |comparison: ComparisonOperator, threshold_type: ThresholdType| NotificationState {
            key: NotificationKey {
                comparison,
                threshold_type: Some(threshold_type),
                ..NotificationKey::percent_over(false, 80.0)
            },
            subscribers: Some(Vec::new()),
        };
        let mut s = state(&[(true, 100.0)]);
        s.notifications.push(foreign(ComparisonOperator::LessThan, ThresholdType::Percentage));
        s.notifications.push(foreign(ComparisonOperator::GreaterThan, ThresholdType::AbsoluteValue));
        let plan = diff(&scope(), &spec(), &subs(), Some(&s));
        let pending: Vec<&ResourceChange> = plan.pending().collect();
        assert_eq!(pending.len(), 1, "{pending:?}");
        assert_eq!(pending[0].address.name, "monthly/actual-80");
        let Some(Operation::Budgets(Op::CreateNotification { key, .. })) = &pending[0].operation else { panic!() };
        assert_eq!(key, &NotificationKey::percent_over(false, 80.0));
        assert!(
            plan.changes.iter().all(|c| !c.address.name.contains("less_than") && !c.address.name.contains("absolute"))
        );
    }

    #[test]
    fn subscriber_calls_name_the_notification_as_aws_described_it() {
        let mut s = state(&[(true, 100.0), (false, 80.0)]);
        // Described without a threshold type (a percentage): sent back exactly so.
        s.notifications[1].key.threshold_type = None;
        s.notifications[1].subscribers = Some(Vec::new());
        let plan = diff(&scope(), &spec(), &subs(), Some(&s));
        let change = plan.pending().next().unwrap();
        assert_eq!(change.reason, "subscribers differ");
        let Some(Operation::Budgets(Op::SyncSubscribers { key, add, .. })) = &change.operation else { panic!() };
        assert_eq!(key.threshold_type, None);
        assert_eq!(key.comparison, ComparisonOperator::GreaterThan);
        assert_eq!(add, &subs());
    }
}
