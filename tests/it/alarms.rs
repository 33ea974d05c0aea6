//! Security alarms against the emulator: created, then drift made by hand is repaired, foreign filters
//! survive, and a disabled alarm is reported but never deleted. Both generations of checkers (Security Hub's
//! exact strings, the current CIS benchmark's clauses) pass on what the family plans and on what apply leaves.

mod checkers;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use aws_sdk_cloudwatchlogs::types::MetricTransformation;
use baseline::config::Desired;
use baseline::engine::{Action, NoticeLevel};
use baseline::resources::Operation;
use baseline::resources::alarms::{self, Observed, Op};
use baseline::resources::{Plan, ResourceChange};

use self::checkers::{MetricAlarm, MetricFilter, cis_v3_failures, security_hub_failures};
use crate::drift::{apply, plan};
use crate::harness::*;

const GROUP: &str = "baseline-cloudtrail";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:baseline-security-notifications";

fn change<'a>(plan: &'a Plan, address: &str) -> &'a ResourceChange {
    plan.changes
        .iter()
        .find(|c| c.address.to_string() == format!("123456789012/us-east-1/{address}"))
        .unwrap_or_else(|| panic!("no change for {address}"))
}

fn attrs(change: &ResourceChange) -> Vec<(String, Option<String>, Option<String>)> {
    change.attributes.iter().map(|a| (a.name.clone(), a.before.clone(), a.after.clone())).collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.into())
}

#[tokio::test]
async fn alarm_drift_is_repaired_and_foreign_filters_survive() {
    let moto = Moto::start();
    let desired = desired(&shipped_config());
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let sdk = moto.sdk_config("test", "test").await;
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);

    let alarms = cw.describe_alarms().alarm_name_prefix("baseline-").send().await.unwrap();
    assert_eq!(alarms.metric_alarms().len(), 15, "the CIS set");
    let root = alarms.metric_alarms().iter().find(|a| a.alarm_name() == Some("baseline-root-usage")).unwrap();
    assert_eq!(root.alarm_actions(), [TOPIC]);
    assert_eq!(root.statistic(), Some(&Statistic::Sum));
    assert_eq!(root.treat_missing_data(), Some("notBreaching"));
    let filters = logs.describe_metric_filters().log_group_name(GROUP).send().await.unwrap();
    let root_filter = filters.metric_filters().iter().find(|f| f.filter_name() == Some("baseline-root-usage")).unwrap();
    assert_eq!(
        root_filter.filter_pattern(),
        Some(
            r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#
        )
    );

    // Drift by hand: an alarm deleted, an alarm's action removed, a threshold changed, a filter pattern edited,
    // and a foreign filter added to the same log group.
    cw.delete_alarms().alarm_names("baseline-vpc-changes").send().await.unwrap();
    let put = |name: &str, metric: &str, threshold: f64, actions: Vec<String>| {
        cw.put_metric_alarm()
            .alarm_name(name)
            .metric_name(metric)
            .namespace("CISBenchmark")
            .statistic(Statistic::Sum)
            .period(300)
            .evaluation_periods(1)
            .threshold(threshold)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .treat_missing_data("notBreaching")
            .actions_enabled(true)
            .set_alarm_actions(Some(actions))
            .send()
    };
    put("baseline-cloudtrail-changes", "CloudTrailChanges", 1.0, vec![]).await.unwrap();
    put("baseline-nacl-changes", "NACLChanges", 5.0, vec![TOPIC.into()]).await.unwrap();
    let transformation = |name: &str| {
        MetricTransformation::builder()
            .metric_name(name)
            .metric_namespace("CISBenchmark")
            .metric_value("1")
            .build()
            .unwrap()
    };
    logs.put_metric_filter()
        .log_group_name(GROUP)
        .filter_name("baseline-root-usage")
        .filter_pattern(r#"{ $.userIdentity.type = "Root" }"#)
        .metric_transformations(transformation("RootAccountUsage"))
        .send()
        .await
        .unwrap();
    logs.put_metric_filter()
        .log_group_name(GROUP)
        .filter_name("team-deployments")
        .filter_pattern("{ $.eventName = CreateDeployment }")
        .metric_transformations(transformation("Deployments"))
        .send()
        .await
        .unwrap();

    let (drifted, counts) = plan(&moto, &desired).await;
    assert_eq!(counts.writes, 0);
    assert_eq!(change(&drifted, "cloudwatch.alarm/baseline-vpc-changes").action, Action::Create);
    assert_eq!(
        attrs(change(&drifted, "cloudwatch.alarm/baseline-cloudtrail-changes")),
        vec![
            ("alarm_actions".into(), s("(none)"), s(TOPIC)),
            // Put again by hand without its description, which is drift too.
            (
                "description".into(),
                s("(none)"),
                s("CloudTrail configuration changes (CloudWatch.5, CIS 4.5) (managed by baseline)")
            ),
        ]
    );
    assert_eq!(
        attrs(change(&drifted, "cloudwatch.alarm/baseline-nacl-changes")),
        vec![
            ("threshold".into(), s("5"), s("1")),
            (
                "description".into(),
                s("(none)"),
                s("Network ACL changes (CloudWatch.11, CIS 4.11) (managed by baseline)")
            ),
        ]
    );
    let filter = change(&drifted, &format!("logs.metric_filter/{GROUP}/baseline-root-usage"));
    assert_eq!(filter.action, Action::Update);
    assert_eq!(filter.attributes[0].name, "filter_pattern");
    assert_eq!(filter.attributes[0].before.as_deref(), Some(r#"{ $.userIdentity.type = "Root" }"#));
    assert_eq!(
        drifted.pending().count(),
        4,
        "{:?}",
        drifted.pending().map(|c| c.address.to_string()).collect::<Vec<_>>()
    );

    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (repaired, _) = plan(&moto, &desired).await;
    assert!(!repaired.has_pending(), "{:?}", repaired.pending().map(|c| c.address.to_string()).collect::<Vec<_>>());
    let (second, counts) = apply(&moto, &desired).await;
    assert!(second.results.is_empty());
    assert_eq!(counts.writes, 0, "second apply writes nothing");

    let filters = logs.describe_metric_filters().log_group_name(GROUP).send().await.unwrap();
    assert!(
        filters.metric_filters().iter().any(|f| f.filter_name() == Some("team-deployments")),
        "foreign filter kept"
    );

    // Disabling an alarm leaves it in place and says so.
    let disabled = shipped_config().replace("disabled = []", "disabled = [\"vpc-changes\"]");
    let desired = crate::harness::desired(&disabled);
    let (after, _) = plan(&moto, &desired).await;
    assert!(!after.has_pending());
    let notice = after
        .notices
        .iter()
        .find(|n| n.address.to_string() == "123456789012/us-east-1/cloudwatch.alarm/baseline-vpc-changes")
        .expect("a notice for the disabled alarm");
    assert_eq!(notice.level, NoticeLevel::Info);
    assert!(notice.message.starts_with("no longer managed by the baseline"));
    apply(&moto, &desired).await;
    let still = cw.describe_alarms().alarm_names("baseline-vpc-changes").send().await.unwrap();
    assert_eq!(still.metric_alarms().len(), 1, "never deleted");
}

/// The shipped configuration with `standard` set to `value`.
fn with_standard(value: &str) -> Desired {
    let config = shipped_config();
    assert!(config.contains("standard = \"both\""), "the shipped [alarms] names its standard");
    desired(&config.replacen("standard = \"both\"", &format!("standard = \"{value}\""), 1))
}

/// What the family writes on an account that has none of it yet: the filters and alarms of its operations.
fn planned(desired: &Desired) -> (Vec<MetricFilter>, Vec<MetricAlarm>) {
    let scope =
        baseline::Scope { account_id: "123456789012".into(), partition: "aws".into(), home_region: "us-east-1".into() };
    let spec = desired.alarms.as_ref().unwrap();
    let plan = alarms::diff(desired, &scope, spec, GROUP, None, &Observed::default());
    let (mut filters, mut alarms) = (Vec::new(), Vec::new());
    for change in plan.changes {
        match change.operation {
            Some(Operation::Alarms(Op::PutFilter { filter, .. })) => filters.push(MetricFilter {
                name: filter.name,
                pattern: filter.pattern,
                metric: filter.metric_name,
                namespace: filter.namespace,
            }),
            Some(Operation::Alarms(Op::PutAlarm { alarm, .. })) => alarms.push(MetricAlarm {
                metric: alarm.metric_name,
                namespace: alarm.namespace,
                has_action: !alarm.alarm_actions.is_empty(),
            }),
            _ => {}
        }
    }
    (filters, alarms)
}

/// The default standard passes every check of both generations; each single standard fails exactly what the
/// other generation wants more of.
#[test]
fn a_converged_account_passes_both_generations_of_checkers() {
    let (filters, alarms) = planned(&desired(&shipped_config()));
    assert_eq!(filters.len(), 17);
    assert_eq!(alarms.len(), 15);
    assert_eq!(security_hub_failures(&filters, &alarms), Vec::<&str>::new());
    assert_eq!(cis_v3_failures(&filters, &alarms), Vec::<&str>::new());

    let (filters, alarms) = planned(&with_standard("security-hub"));
    assert_eq!(security_hub_failures(&filters, &alarms), Vec::<&str>::new());
    assert_eq!(
        cis_v3_failures(&filters, &alarms),
        [
            "cloudwatch_changes_to_network_route_tables_alarm_configured",
            "cloudwatch_log_metric_filter_aws_organizations_changes"
        ]
    );

    let (filters, alarms) = planned(&with_standard("cis-v3"));
    assert_eq!(filters.len(), 15);
    assert_eq!(cis_v3_failures(&filters, &alarms), Vec::<&str>::new());
    assert_eq!(security_hub_failures(&filters, &alarms), ["CloudWatch.13", "CIS 1.4 4.15"]);
}

/// The filters on the trail's log group (the newest of each name: the emulator appends where AWS replaces) and
/// the baseline's alarms, as the checkers read them.
async fn deployed(moto: &Moto) -> (Vec<MetricFilter>, Vec<MetricAlarm>) {
    let sdk = moto.sdk_config("test", "test").await;
    let trails = aws_sdk_cloudtrail::Client::new(&sdk).describe_trails().send().await.unwrap();
    let delivers_here = trails
        .trail_list()
        .iter()
        .any(|t| t.cloud_watch_logs_log_group_arn().is_some_and(|arn| arn.contains(&format!(":log-group:{GROUP}:"))));
    assert!(delivers_here, "a trail delivers to {GROUP}");
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let mut filters: Vec<MetricFilter> = Vec::new();
    for f in logs.describe_metric_filters().log_group_name(GROUP).send().await.unwrap().metric_filters() {
        let t = &f.metric_transformations()[0];
        filters.retain(|g| Some(g.name.as_str()) != f.filter_name());
        filters.push(MetricFilter {
            name: f.filter_name().unwrap().into(),
            pattern: f.filter_pattern().unwrap().into(),
            metric: t.metric_name().into(),
            namespace: t.metric_namespace().into(),
        });
    }
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let answer = cw.describe_alarms().alarm_name_prefix("baseline-").send().await.unwrap();
    let alarms = answer
        .metric_alarms()
        .iter()
        .map(|a| MetricAlarm {
            metric: a.metric_name().unwrap().into(),
            namespace: a.namespace().unwrap().into(),
            has_action: a.alarm_actions() == [TOPIC],
        })
        .collect();
    (filters, alarms)
}

/// The pending changes, sorted.
fn names(plan: &Plan) -> Vec<(String, Action)> {
    let mut names: Vec<_> = plan.pending().map(|c| (c.address.to_string(), c.action)).collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    names
}

/// An account converged with Security Hub's strings only (as before `standard` existed) moves to the default:
/// two filters are added and nothing is rewritten; both generations pass, the next plan is clean and a second
/// apply writes nothing. Moving on to "cis-v3" rewrites the two patterns in place and still converges.
#[tokio::test]
async fn apply_satisfies_both_generations_and_converges() {
    let moto = Moto::start();
    let (report, _) = apply(&moto, &with_standard("security-hub")).await;
    assert!(report.succeeded(), "{report:?}");
    let (filters, alarms) = deployed(&moto).await;
    assert_eq!(cis_v3_failures(&filters, &alarms).len(), 2);

    let desired = desired(&shipped_config());
    let (upgrade, counts) = plan(&moto, &desired).await;
    assert_eq!(counts.writes, 0);
    let filter = |name: &str| format!("123456789012/us-east-1/logs.metric_filter/{GROUP}/baseline-{name}");
    assert_eq!(
        names(&upgrade),
        [
            (filter("organizations-changes-cis-v3"), Action::Create),
            (filter("route-table-changes-cis-v3"), Action::Create)
        ]
    );
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (filters, alarms) = deployed(&moto).await;
    assert_eq!(filters.len(), 17);
    assert_eq!(security_hub_failures(&filters, &alarms), Vec::<&str>::new());
    assert_eq!(cis_v3_failures(&filters, &alarms), Vec::<&str>::new());
    let (after, _) = plan(&moto, &desired).await;
    assert_eq!(names(&after), []);
    let (second, counts) = apply(&moto, &desired).await;
    assert!(second.results.is_empty());
    assert_eq!(counts.writes, 0, "second apply writes nothing");

    // "cis-v3": the two first filters take the current patterns (the emulator appends a copy of each, and the
    // newest counts); the second filters are left in place and reported.
    let cis_v3 = with_standard("cis-v3");
    let (switch, _) = plan(&moto, &cis_v3).await;
    assert_eq!(
        names(&switch),
        [(filter("organizations-changes"), Action::Update), (filter("route-table-changes"), Action::Update)]
    );
    let (report, _) = apply(&moto, &cis_v3).await;
    assert!(report.succeeded(), "{report:?}");
    let (after, _) = plan(&moto, &cis_v3).await;
    assert_eq!(names(&after), []);
    assert_eq!(after.notices.iter().filter(|n| n.message.starts_with("no longer managed")).count(), 2);
    let (filters, alarms) = deployed(&moto).await;
    for id in ["route-table-changes", "organizations-changes"] {
        let first = filters.iter().find(|f| f.name == format!("baseline-{id}")).unwrap();
        assert_eq!(Some(first.pattern.as_str()), baseline::alarm_catalog::find(id).unwrap().cis_v3);
    }
    assert_eq!(cis_v3_failures(&filters, &alarms), Vec::<&str>::new());
    let (_, counts) = apply(&moto, &cis_v3).await;
    assert_eq!(counts.writes, 0);
}
