//! Security alarms against the emulator: created, then drift made by hand is repaired, foreign filters
//! survive, and a disabled alarm is reported but never deleted.

use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use aws_sdk_cloudwatchlogs::types::MetricTransformation;
use baseline::engine::{Action, NoticeLevel, Plan, ResourceChange};

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
        vec![("alarm_actions".into(), s("(none)"), s(TOPIC))]
    );
    assert_eq!(
        attrs(change(&drifted, "cloudwatch.alarm/baseline-nacl-changes")),
        vec![("threshold".into(), s("5"), s("1"))]
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
