//! Security and network API activity alarms: for each alarm of the catalog (and each custom one), a metric
//! filter on the log group the trail delivers to and a CloudWatch alarm notifying the security topic.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic, Tag as AlarmTag};
use aws_sdk_cloudwatchlogs::types::MetricTransformation;

use super::wiring::{LogGroupPlacement, TOPIC, TOPIC_POLICY, topic_arn};
use super::{Operation, report_unreadable};
use super::{Plan, ResourceChange};
use crate::aws::{self, AwsError, ErrorKind};
use crate::config::{AlarmSpec, AlarmsSpec, Desired};
use crate::engine::{Action, Address, AttributeChange, EventSink, Notice, NoticeLevel, PlanError};
use crate::target::{Scope, Target};

pub const METRIC_FILTER: &str = "logs.metric_filter";
pub const ALARM: &str = "cloudwatch.alarm";

/// Filters and alarms the baseline owns are named `baseline-<alarm id>`.
pub const NAME_PREFIX: &str = "baseline-";

/// CloudWatch Logs allows this many metric filters per log group.
pub const FILTERS_PER_LOG_GROUP: usize = 100;

const COMPARISON: &str = "GreaterThanOrEqualToThreshold";
const TREAT_MISSING_DATA: &str = "notBreaching";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub name: String,
    pub pattern: String,
    pub metric_name: String,
    pub namespace: String,
    pub value: String,
    /// The transformation's dimensions (`name=$.field`, joined): a dimensioned metric is another series than
    /// the one the alarm watches.
    pub dimensions: String,
    /// The unit the metric is published with (`None` and unset are the same).
    pub unit: String,
    pub default_value: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub name: String,
    pub metric_name: String,
    pub namespace: String,
    pub statistic: String,
    pub period: u32,
    pub evaluation_periods: u32,
    pub threshold: f64,
    pub comparison: String,
    pub treat_missing_data: String,
    pub actions_enabled: bool,
    pub alarm_actions: Vec<String>,
    pub description: String,
    /// Dimensions (`name=value`, joined) and unit the alarm's metric must carry: the filter publishes neither,
    /// so either leaves the alarm watching an empty series.
    pub dimensions: String,
    pub unit: String,
    /// "M of N" datapoints; unset (or equal to the evaluation periods) means every one.
    pub datapoints_to_alarm: Option<u32>,
    /// Read only for the alarms the baseline wants (the ARN to tag is kept beside them).
    pub tags: BTreeMap<String, String>,
    pub arn: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observed {
    /// Every filter on the log group, the baseline's and others'.
    pub filters: Vec<Filter>,
    /// The alarms whose names start with [`NAME_PREFIX`].
    pub alarms: Vec<Alarm>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    PutFilter {
        log_group: String,
        filter: Filter,
    },
    /// Puts the whole alarm; `tag_existing`: an existing alarm's tags differ too (PutMetricAlarm applies tags
    /// only when it creates the alarm).
    PutAlarm {
        alarm: Alarm,
        tags: BTreeMap<String, String>,
        tag_existing: bool,
    },
    TagAlarm {
        arn: String,
        tags: BTreeMap<String, String>,
    },
}

/// The unit as compared: `None` is what an unset unit means.
fn unit_of(unit: Option<&str>) -> String {
    unit.filter(|u| *u != "None").unwrap_or_default().to_string()
}

pub fn owned_name(id: &str) -> String {
    format!("{NAME_PREFIX}{id}")
}

/// The calls of this family: metric filters on the account's log groups in the home region (the trail may
/// already deliver to a group of another name), alarms under the baseline's name prefix.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    let Some(spec) = &desired.alarms else { return };
    if desired.cloudtrail.is_none() || spec.alarms.is_empty() {
        return;
    }
    let groups = needs.home_arn("logs", "log-group:*");
    needs.on(&["logs:DescribeMetricFilters", "logs:PutMetricFilter"], [groups]);
    needs.any(&["cloudwatch:DescribeAlarms"], crate::needs::LISTS_ALL);
    let alarms = needs.home_arn("cloudwatch", &format!("alarm:{NAME_PREFIX}*"));
    // Alarms are created with their tags (at least `managed-by`), and tagged again when the tags drift.
    needs.on(&["cloudwatch:ListTagsForResource", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"], [alarms]);
}

pub async fn plan(desired: &Desired, target: &Target, placement: Option<LogGroupPlacement>) -> Plan {
    let (Some(spec), Some(placement)) = (&desired.alarms, placement) else { return Plan::default() };
    let scope = &target.scope;
    let address = Address::new(&scope.account_id, &scope.home_region, ALARM, "*");
    let mut plan = Plan::default();
    let (log_group, group_address) = match placement {
        LogGroupPlacement::Elsewhere(reason) => {
            plan.notices.push(Notice {
                level: NoticeLevel::Warning,
                address,
                message: format!("the security alarms cannot be placed: {reason}"),
            });
            return plan;
        }
        LogGroupPlacement::Existing { name, trail } => {
            plan.notices.push(Notice {
                level: NoticeLevel::Info,
                address: address.clone(),
                message: format!("alarms watch log group {name}, where {trail} delivers"),
            });
            (name, None)
        }
        LogGroupPlacement::Ours { name, address } => (name, Some(address)),
    };
    let wanted: Vec<String> = spec.alarms.iter().map(|a| owned_name(&a.id)).collect();
    let Some(observed) = report_unreadable(observe(target, &log_group, &wanted).await, &address, &mut plan) else {
        return plan;
    };
    plan.extend(diff(desired, scope, spec, &log_group, group_address.as_ref(), &observed));
    plan
}

/// Every filter on the log group (an empty list when the group does not exist yet).
async fn read_filters(target: &Target, log_group: &str) -> Result<Vec<Filter>, AwsError> {
    let mut pages = target.logs.describe_metric_filters().log_group_name(log_group).into_paginator().send();
    let mut filters = Vec::new();
    while let Some(page) = pages.next().await {
        let page = match page.map_err(aws::err("logs:DescribeMetricFilters")) {
            Ok(page) => page,
            // The group is created by this plan: it has no filters yet.
            Err(e) if e.is_code("ResourceNotFoundException") => break,
            Err(e) => return Err(e),
        };
        for f in page.metric_filters() {
            let t = f.metric_transformations().first();
            filters.push(Filter {
                name: f.filter_name().unwrap_or_default().to_string(),
                pattern: f.filter_pattern().unwrap_or_default().to_string(),
                metric_name: t.map(|t| t.metric_name().to_string()).unwrap_or_default(),
                namespace: t.map(|t| t.metric_namespace().to_string()).unwrap_or_default(),
                value: t.map(|t| t.metric_value().to_string()).unwrap_or_default(),
                dimensions: t
                    .and_then(|t| t.dimensions())
                    .map(|d| d.iter().map(|(k, v)| format!("{k}={v}")).collect::<std::collections::BTreeSet<_>>())
                    .map(|d| d.into_iter().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default(),
                unit: unit_of(t.and_then(|t| t.unit()).map(|u| u.as_str())),
                default_value: t.and_then(|t| t.default_value()).map(|v| v.to_string()).unwrap_or_default(),
            });
        }
    }
    // The emulator appends a second filter on a repeated name where AWS replaces it: the newest counts.
    let mut by_name: Vec<Filter> = Vec::new();
    for f in filters {
        by_name.retain(|g| g.name != f.name);
        by_name.push(f);
    }
    Ok(by_name)
}

/// The filters on `log_group` and the baseline's alarms; the tags of the `wanted` alarms (one call each).
pub async fn observe(target: &Target, log_group: &str, wanted: &[String]) -> Result<Observed, AwsError> {
    let filters = read_filters(target, log_group);
    let alarms = async {
        let mut pages = target.cloudwatch.describe_alarms().alarm_name_prefix(NAME_PREFIX).into_paginator().send();
        let mut alarms = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(aws::err("cloudwatch:DescribeAlarms"))?;
            alarms.extend(page.metric_alarms().iter().map(|a| {
                Alarm {
                    name: a.alarm_name().unwrap_or_default().to_string(),
                    metric_name: a.metric_name().unwrap_or_default().to_string(),
                    namespace: a.namespace().unwrap_or_default().to_string(),
                    statistic: a.statistic().map(|s| s.as_str().to_string()).unwrap_or_default(),
                    period: a.period().and_then(|p| u32::try_from(p).ok()).unwrap_or(0),
                    evaluation_periods: a.evaluation_periods().and_then(|p| u32::try_from(p).ok()).unwrap_or(0),
                    threshold: a.threshold().unwrap_or(0.0),
                    comparison: a.comparison_operator().map(|c| c.as_str().to_string()).unwrap_or_default(),
                    treat_missing_data: a.treat_missing_data().unwrap_or("missing").to_string(),
                    actions_enabled: a.actions_enabled().unwrap_or(false),
                    alarm_actions: a.alarm_actions().to_vec(),
                    description: a.alarm_description().unwrap_or_default().to_string(),
                    dimensions: a
                        .dimensions()
                        .iter()
                        .map(|d| format!("{}={}", d.name().unwrap_or_default(), d.value().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    unit: unit_of(a.unit().map(|u| u.as_str())),
                    datapoints_to_alarm: a.datapoints_to_alarm().and_then(|d| u32::try_from(d).ok()),
                    tags: BTreeMap::new(),
                    arn: a.alarm_arn().unwrap_or_default().to_string(),
                }
            }));
        }
        Ok(alarms)
    };
    let (filters, alarms) = tokio::join!(filters, alarms);
    let mut alarms: Vec<Alarm> = alarms?;
    let tagged = alarms.iter().filter(|a| wanted.contains(&a.name)).map(|a| alarm_tags(target, &a.arn));
    let tags: Vec<(String, BTreeMap<String, String>)> =
        futures::future::join_all(tagged).await.into_iter().collect::<Result<_, _>>()?;
    for alarm in &mut alarms {
        if let Some((_, t)) = tags.iter().find(|(arn, _)| *arn == alarm.arn) {
            alarm.tags = t.clone();
        }
    }
    Ok(Observed { filters: filters?, alarms })
}

async fn alarm_tags(target: &Target, arn: &str) -> Result<(String, BTreeMap<String, String>), AwsError> {
    let out = target
        .cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(aws::err("cloudwatch:ListTagsForResource"))?;
    let tags = out.tags().iter().map(|t| (t.key().unwrap_or_default().into(), t.value().unwrap_or_default().into()));
    Ok((arn.to_string(), tags.collect()))
}

/// The filters feeding the alarm's metric: `baseline-<id>`, and `baseline-<id>-cis-v3` under standard "both".
fn desired_filters(spec: &AlarmsSpec, alarm: &AlarmSpec) -> Vec<Filter> {
    alarm
        .filters
        .iter()
        .map(|f| Filter {
            name: owned_name(&f.id),
            pattern: f.pattern.clone(),
            metric_name: alarm.metric_name.clone(),
            namespace: spec.namespace.clone(),
            value: "1".into(),
            dimensions: String::new(),
            unit: String::new(),
            default_value: String::new(),
        })
        .collect()
}

fn desired_alarm(spec: &AlarmsSpec, alarm: &AlarmSpec, topic: &str) -> Alarm {
    Alarm {
        name: owned_name(&alarm.id),
        metric_name: alarm.metric_name.clone(),
        namespace: spec.namespace.clone(),
        statistic: "Sum".into(),
        period: alarm.period,
        evaluation_periods: alarm.evaluation_periods,
        threshold: f64::from(alarm.threshold),
        comparison: COMPARISON.into(),
        treat_missing_data: TREAT_MISSING_DATA.into(),
        actions_enabled: true,
        alarm_actions: vec![topic.to_string()],
        description: format!("{} (managed by baseline)", alarm.description),
        dimensions: String::new(),
        unit: String::new(),
        datapoints_to_alarm: None,
        tags: BTreeMap::new(),
        arn: String::new(),
    }
}

/// `(name, current, desired)` for each compared field of a filter.
fn filter_fields(f: &Filter) -> [(&'static str, String); 7] {
    [
        ("filter_pattern", f.pattern.clone()),
        ("metric_name", f.metric_name.clone()),
        ("metric_namespace", f.namespace.clone()),
        ("metric_value", f.value.clone()),
        ("metric_dimensions", f.dimensions.clone()),
        ("metric_unit", f.unit.clone()),
        ("metric_default_value", f.default_value.clone()),
    ]
}

fn alarm_fields(a: &Alarm, topic: &str) -> [(&'static str, String); 14] {
    let datapoints = a.datapoints_to_alarm.filter(|d| *d != a.evaluation_periods);
    [
        ("metric_name", a.metric_name.clone()),
        ("namespace", a.namespace.clone()),
        ("statistic", a.statistic.clone()),
        ("period", a.period.to_string()),
        ("evaluation_periods", a.evaluation_periods.to_string()),
        ("threshold", a.threshold.to_string()),
        ("comparison_operator", a.comparison.clone()),
        ("treat_missing_data", a.treat_missing_data.clone()),
        ("actions_enabled", a.actions_enabled.to_string()),
        // Other actions someone added are kept; what matters is that the security topic is notified.
        (
            "alarm_actions",
            if a.alarm_actions.iter().any(|x| x == topic) { topic.to_string() } else { a.alarm_actions.join(", ") },
        ),
        ("description", a.description.clone()),
        ("dimensions", a.dimensions.clone()),
        ("unit", a.unit.clone()),
        ("datapoints_to_alarm", datapoints.map(|d| d.to_string()).unwrap_or_default()),
    ]
}

fn field_changes<const N: usize>(
    have: Option<[(&'static str, String); N]>,
    want: [(&'static str, String); N],
) -> Vec<AttributeChange> {
    match have {
        // A new resource shows what it is given, not the settings it is created without.
        None => super::new_fields(want).into_iter().filter(|a| a.after.as_deref() != Some("")).collect(),
        Some(have) => super::changed_fields(have, want),
    }
}

pub fn diff(
    desired: &Desired,
    scope: &Scope,
    spec: &AlarmsSpec,
    log_group: &str,
    group_address: Option<&Address>,
    observed: &Observed,
) -> Plan {
    let mut plan = Plan::default();
    let home = |kind, name: &str| Address::new(&scope.account_id, &scope.home_region, kind, name);
    let Some(topic_spec) = &desired.notifications.security else { return plan };
    let topic = topic_arn(scope, &topic_spec.name);
    let after = [home(TOPIC, &topic_spec.name), home(TOPIC_POLICY, &topic_spec.name)];
    let tags = super::wiring::desired_tags(desired);

    if let Some(error) = quota_error(spec, log_group, observed) {
        plan.errors.push(PlanError { address: home(METRIC_FILTER, &format!("{log_group}/*")), error });
        return plan;
    }
    for alarm in &spec.alarms {
        let mut filter_addresses = Vec::new();
        for want in desired_filters(spec, alarm) {
            let address = home(METRIC_FILTER, &format!("{log_group}/{}", want.name));
            plan.changes.push(filter_change(address.clone(), log_group, want, observed, group_address));
            filter_addresses.push(address);
        }
        let address = home(ALARM, &owned_name(&alarm.id));
        let mut change = alarm_change(address, desired_alarm(spec, alarm, &topic), observed, &topic, &tags);
        if change.operation.is_some() {
            for dependency in filter_addresses.iter().chain(&after) {
                change = change.after(dependency);
            }
        }
        plan.changes.push(change);
    }
    plan.notices.extend(stale_notices(spec, scope, log_group, observed));
    plan
}

/// The quota: the filters that would exist after apply, against the 100 a log group may hold.
fn quota_error(spec: &AlarmsSpec, log_group: &str, observed: &Observed) -> Option<AwsError> {
    let missing = spec
        .alarms
        .iter()
        .flat_map(|a| &a.filters)
        .filter(|f| !observed.filters.iter().any(|o| o.name == owned_name(&f.id)))
        .count();
    (observed.filters.len() + missing > FILTERS_PER_LOG_GROUP).then(|| {
        AwsError::new(
            "logs:PutMetricFilter",
            ErrorKind::LimitExceeded,
            None,
            format!(
                "log group {log_group} has {} metric filters and the alarms need {missing} more; CloudWatch Logs \
                 allows {FILTERS_PER_LOG_GROUP} per log group",
                observed.filters.len()
            ),
            None,
        )
    })
}

fn filter_change(
    address: Address,
    log_group: &str,
    want: Filter,
    observed: &Observed,
    group_address: Option<&Address>,
) -> ResourceChange {
    let have = observed.filters.iter().find(|f| f.name == want.name);
    let attrs = field_changes(have.map(filter_fields), filter_fields(&want));
    if attrs.is_empty() {
        return ResourceChange::no_op(address, "filter matches");
    }
    let (action, reason) =
        if have.is_some() { (Action::Update, "filter differs") } else { (Action::Create, "no filter") };
    let op = Operation::Alarms(Op::PutFilter { log_group: log_group.to_string(), filter: want });
    let change = ResourceChange::new(address, action, reason, op).with_attributes(attrs);
    match group_address {
        Some(group) => change.after(group),
        None => change,
    }
}

fn alarm_change(
    address: Address,
    mut want: Alarm,
    observed: &Observed,
    topic: &str,
    tags: &BTreeMap<String, String>,
) -> ResourceChange {
    let have = observed.alarms.iter().find(|a| a.name == want.name);
    let mut attrs = field_changes(have.map(|h| alarm_fields(h, topic)), alarm_fields(&want, topic));
    let settings_differ = !attrs.is_empty();
    let tag_drift = match have {
        Some(have) => super::tag_drift(tags, &have.tags),
        None => (BTreeMap::new(), Vec::new()),
    };
    attrs.extend(tag_drift.1);
    if attrs.is_empty() {
        return ResourceChange::no_op(address, "alarm matches");
    }
    let (action, reason) = match have {
        None => (Action::Create, "no alarm"),
        Some(_) if settings_differ => (Action::Update, "alarm differs"),
        Some(_) => (Action::Update, "tags differ"),
    };
    let op = match have {
        Some(have) if !settings_differ => Op::TagAlarm { arn: have.arn.clone(), tags: tag_drift.0 },
        _ => {
            // PutMetricAlarm replaces the whole alarm: keep actions someone else added.
            if let Some(have) = have {
                want.alarm_actions.extend(have.alarm_actions.iter().filter(|a| *a != topic).cloned());
                want.arn.clone_from(&have.arn);
            }
            Op::PutAlarm { alarm: want, tags: tags.clone(), tag_existing: !tag_drift.0.is_empty() }
        }
    };
    ResourceChange::new(address, action, reason, Operation::Alarms(op)).with_attributes(attrs)
}

/// Owned alarms and filters no longer in the baseline (an alarm disabled, a second filter after the standard
/// changed) are reported, never deleted.
fn stale_notices(spec: &AlarmsSpec, scope: &Scope, log_group: &str, observed: &Observed) -> Vec<Notice> {
    let alarms: Vec<String> = spec.alarms.iter().map(|a| owned_name(&a.id)).collect();
    let filters: Vec<String> = spec.alarms.iter().flat_map(|a| &a.filters).map(|f| owned_name(&f.id)).collect();
    let stale_alarms = observed.alarms.iter().filter(|a| !alarms.contains(&a.name)).map(|a| (ALARM, a.name.clone()));
    let stale_filters = observed
        .filters
        .iter()
        .filter(|f| f.name.starts_with(NAME_PREFIX) && !filters.contains(&f.name))
        .map(|f| (METRIC_FILTER, format!("{log_group}/{}", f.name)));
    stale_alarms
        .chain(stale_filters)
        .map(|(kind, name)| Notice {
            level: NoticeLevel::Info,
            address: Address::new(&scope.account_id, &scope.home_region, kind, name),
            message: "no longer managed by the baseline (disabled or removed); left in place, delete it by hand if \
                      it is not wanted"
                .into(),
        })
        .collect()
}

async fn tag_alarm(target: &Target, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    let tags = tags.iter().map(|(k, v)| AlarmTag::builder().key(k).value(v).build()).collect();
    target
        .cloudwatch
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(aws::err("cloudwatch:TagResource"))?;
    Ok(())
}

pub async fn execute(target: &Target, op: &Op, _at: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    match op {
        Op::PutFilter { log_group, filter } => {
            let transformation = MetricTransformation::builder()
                .metric_name(&filter.metric_name)
                .metric_namespace(&filter.namespace)
                .metric_value(&filter.value)
                .build()
                .map_err(aws::build_error("logs:PutMetricFilter"))?;
            target
                .logs
                .put_metric_filter()
                .log_group_name(log_group)
                .filter_name(&filter.name)
                .filter_pattern(&filter.pattern)
                .metric_transformations(transformation)
                .send()
                .await
                .map_err(aws::err("logs:PutMetricFilter"))?;
        }
        Op::PutAlarm { alarm, tags, tag_existing } => {
            let alarm_tags = tags.iter().map(|(k, v)| AlarmTag::builder().key(k).value(v).build()).collect();
            target
                .cloudwatch
                .put_metric_alarm()
                .alarm_name(&alarm.name)
                .alarm_description(&alarm.description)
                .actions_enabled(alarm.actions_enabled)
                .set_alarm_actions(Some(alarm.alarm_actions.clone()))
                .metric_name(&alarm.metric_name)
                .namespace(&alarm.namespace)
                .statistic(Statistic::Sum)
                .period(i32::try_from(alarm.period).unwrap_or(300))
                .evaluation_periods(i32::try_from(alarm.evaluation_periods).unwrap_or(1))
                .threshold(alarm.threshold)
                .comparison_operator(ComparisonOperator::from(alarm.comparison.as_str()))
                .treat_missing_data(&alarm.treat_missing_data)
                // Tags apply only when the alarm is created; later updates leave them alone.
                .set_tags(Some(alarm_tags))
                .send()
                .await
                .map_err(aws::err("cloudwatch:PutMetricAlarm"))?;
            if *tag_existing {
                tag_alarm(target, &alarm.arn, tags).await?;
            }
        }
        Op::TagAlarm { arn, tags } => tag_alarm(target, arn, tags).await?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AlarmStandard, parse};
    use crate::resources::cloudtrail::{self, OtherTrail};

    fn desired() -> Desired {
        with_alarms("")
    }

    fn with_alarms(settings: &str) -> Desired {
        let text = format!(
            "[notifications.security]\ntopic = \"sec\"\nemails = [\"s@example.com\"]\n\
             [log_archive]\nbucket = \"logs-{{account_id}}\"\n[cloudtrail]\n[alarms]\n{settings}"
        );
        parse(std::path::Path::new("baseline.toml"), &text).unwrap().desired
    }

    fn pending(plan: &Plan) -> Vec<(String, Action)> {
        plan.pending().map(|c| (c.address.name.clone(), c.action)).collect()
    }

    fn scope() -> Scope {
        Scope { account_id: "111111111111".into(), partition: "aws".into(), home_region: "eu-west-1".into() }
    }

    fn converged(d: &Desired) -> Observed {
        let spec = d.alarms.as_ref().unwrap();
        let topic = topic_arn(&scope(), "sec");
        Observed {
            filters: spec.alarms.iter().flat_map(|a| desired_filters(spec, a)).collect(),
            alarms: spec
                .alarms
                .iter()
                .map(|a| Alarm { tags: super::super::wiring::desired_tags(d), ..desired_alarm(spec, a, &topic) })
                .collect(),
        }
    }

    fn run(d: &Desired, observed: &Observed) -> Plan {
        diff(d, &scope(), d.alarms.as_ref().unwrap(), "grp", None, observed)
    }

    #[test]
    fn converged_alarms_are_no_op_and_extra_actions_are_tolerated() {
        let d = desired();
        let mut observed = converged(&d);
        assert!(!run(&d, &observed).has_pending());
        observed.alarms[0].alarm_actions.push("arn:aws:sns:eu-west-1:111111111111:pager".into());
        assert!(!run(&d, &observed).has_pending());
    }

    #[test]
    fn rewriting_an_alarm_keeps_foreign_actions() {
        let d = desired();
        let mut observed = converged(&d);
        observed.alarms[0].threshold = 9.0;
        observed.alarms[0].alarm_actions.push("arn:aws:sns:eu-west-1:111111111111:pager".into());
        let plan = run(&d, &observed);
        let change = plan.pending().next().unwrap();
        let Some(Operation::Alarms(Op::PutAlarm { alarm, .. })) = &change.operation else { panic!() };
        assert_eq!(alarm.alarm_actions.len(), 2);
        assert_eq!(alarm.threshold, 1.0);
    }

    /// An account converged before `standard` existed (Security Hub's exact strings only) gets the two second
    /// filters under the default, and nothing it has is rewritten.
    #[test]
    fn the_default_standard_only_adds_the_second_filters() {
        let before = converged(&with_alarms("standard = \"security-hub\"\n"));
        assert_eq!(before.filters.len(), 15);
        let d = desired();
        assert_eq!(d.alarms.as_ref().unwrap().standard, AlarmStandard::Both);
        let plan = run(&d, &before);
        assert_eq!(
            pending(&plan),
            [
                ("grp/baseline-route-table-changes-cis-v3".to_string(), Action::Create),
                ("grp/baseline-organizations-changes-cis-v3".to_string(), Action::Create),
            ]
        );
        let Some(Operation::Alarms(Op::PutFilter { filter, .. })) = &plan.pending().next().unwrap().operation else {
            panic!()
        };
        assert_eq!(
            (filter.metric_name.as_str(), filter.namespace.as_str()),
            ("RouteTableChanges", "CISBenchmark"),
            "the second filter feeds the alarm's metric"
        );
        assert!(!run(&d, &converged(&d)).has_pending());
    }

    /// On a fresh account each alarm waits for every filter feeding it.
    #[test]
    fn an_alarm_is_created_after_all_its_filters() {
        let d = desired();
        let plan = run(&d, &Observed::default());
        let filters = plan.pending().filter(|c| c.address.kind == METRIC_FILTER).count();
        assert_eq!(filters, 17);
        let alarm = plan.pending().find(|c| c.address.name == "baseline-route-table-changes").unwrap();
        let names: Vec<&str> = alarm.depends_on.iter().map(|a| a.name.as_str()).collect();
        assert!(names.contains(&"grp/baseline-route-table-changes"), "{names:?}");
        assert!(names.contains(&"grp/baseline-route-table-changes-cis-v3"), "{names:?}");
    }

    /// "cis-v3" rewrites the two patterns in place under their existing names; leaving "both" reports the second
    /// filters as no longer managed and leaves them in place.
    #[test]
    fn switching_standards() {
        let security_hub = converged(&with_alarms("standard = \"security-hub\"\n"));
        let cis_v3 = with_alarms("standard = \"cis-v3\"\n");
        let plan = run(&cis_v3, &security_hub);
        assert_eq!(
            pending(&plan),
            [
                ("grp/baseline-route-table-changes".to_string(), Action::Update),
                ("grp/baseline-organizations-changes".to_string(), Action::Update),
            ]
        );
        assert!(plan.pending().all(|c| c.attributes.iter().map(|a| a.name.as_str()).eq(["filter_pattern"])));

        let both = converged(&desired());
        let plan = run(&with_alarms("standard = \"security-hub\"\n"), &both);
        assert!(!plan.has_pending());
        let stale: Vec<&str> = plan.notices.iter().map(|n| n.address.name.as_str()).collect();
        assert_eq!(stale, ["grp/baseline-route-table-changes-cis-v3", "grp/baseline-organizations-changes-cis-v3"]);
    }

    #[test]
    fn dimensions_units_and_tags_that_hide_the_metric_are_drift() {
        let d = desired();
        let mut observed = converged(&d);
        observed.alarms[0].dimensions = "Team=ops".into();
        observed.alarms[1].unit = "Seconds".into();
        observed.alarms[2].datapoints_to_alarm = Some(1);
        observed.alarms[2].evaluation_periods = 2;
        observed.alarms[3].tags.remove("managed-by");
        observed.filters[0].dimensions = "Team=$.team".into();
        let plan = run(&d, &observed);
        let changed: Vec<(String, Vec<String>)> = plan
            .pending()
            .map(|c| (c.address.name.clone(), c.attributes.iter().map(|a| a.name.clone()).collect()))
            .collect();
        let names = |i: usize| changed[i].1.clone();
        assert_eq!(changed.len(), 5, "{changed:?}");
        assert!(changed.iter().any(|(_, a)| a == &["metric_dimensions"]), "{changed:?}");
        assert!(changed.iter().any(|(_, a)| a == &["dimensions"]), "{changed:?}");
        assert!(changed.iter().any(|(_, a)| a == &["unit"]), "{changed:?}");
        assert!(changed.iter().any(|(_, a)| a.contains(&"datapoints_to_alarm".to_string())), "{changed:?}");
        assert!((0..5).any(|i| names(i) == ["tags.managed-by"]), "{changed:?}");
        let tag_only = plan.pending().find(|c| c.attributes[0].name == "tags.managed-by").unwrap();
        assert!(matches!(tag_only.operation, Some(Operation::Alarms(Op::TagAlarm { .. }))));
        // M of N with M = N is the same as unset.
        let mut same = converged(&d);
        same.alarms[0].datapoints_to_alarm = Some(same.alarms[0].evaluation_periods);
        assert!(!run(&d, &same).has_pending());
    }

    #[test]
    fn quota_is_checked_before_planning_filters() {
        let d = desired();
        let foreign = (0..90).map(|i| Filter {
            name: format!("team-{i}"),
            pattern: "{ $.x = 1 }".into(),
            metric_name: format!("M{i}"),
            namespace: "N".into(),
            value: "1".into(),
            ..Filter::default()
        });
        let observed = Observed { filters: foreign.collect(), alarms: vec![] };
        let plan = run(&d, &observed);
        assert!(plan.changes.is_empty());
        assert_eq!(plan.errors.len(), 1);
        assert_eq!(
            plan.errors[0].error.message,
            "log group grp has 90 metric filters and the alarms need 17 more; CloudWatch Logs allows 100 per log group"
        );
        assert_eq!(plan.errors[0].error.kind, ErrorKind::LimitExceeded);
    }

    #[test]
    fn alarms_follow_the_trail_log_group() {
        let d = desired();
        let spec = d.cloudtrail.as_ref().unwrap();
        let other = |arn: Option<&str>| cloudtrail::Observed {
            trail: None,
            compliant_other: Some(OtherTrail {
                arn: "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org".into(),
                log_group_arn: arn.map(str::to_string),
                ..OtherTrail::default()
            }),
            log_group: None,
            trust_policy: None,
            role_policy: None,
        };
        let here = other(Some("arn:aws:logs:eu-west-1:111111111111:log-group:org-trail:*"));
        assert_eq!(
            cloudtrail::placement(&scope(), spec, &here),
            LogGroupPlacement::Existing {
                name: "org-trail".into(),
                trail: "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org".into()
            }
        );
        let LogGroupPlacement::Elsewhere(why) = cloudtrail::placement(
            &scope(),
            spec,
            &other(Some("arn:aws:logs:us-east-1:999999999999:log-group:org-trail:*")),
        ) else {
            panic!()
        };
        assert!(why.contains("account 999999999999, region us-east-1"), "{why}");
        let LogGroupPlacement::Elsewhere(why) = cloudtrail::placement(&scope(), spec, &other(None)) else { panic!() };
        assert!(why.contains("does not deliver to CloudWatch Logs"), "{why}");
    }
}
