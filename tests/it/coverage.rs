//! Drift coverage, table-driven from `baseline::resources::coverage::settings()`: after a converged apply, every
//! setting the list marks repaired is changed by hand (plain SDK clients, as an operator or an attacker would),
//! then `plan --detailed-exitcode` must exit 2 naming each resource and attribute, one `apply` repairs all of
//! it, and the next plan exits 0. Every write call that crossed the wire meanwhile (read off a transparent
//! proxy) must set only fields the list names.

use std::collections::BTreeSet;

use aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StandardUnit, Statistic};
use aws_sdk_cloudwatchlogs::types::MetricTransformation;
use baseline::resources::coverage::{Drift, Setting, names_write, settings};
use serde_json::{Value, json};

use crate::fault_proxy::FaultProxy;
use crate::harness::*;
use crate::wire::write_of;

const OTHER_REGION: &str = "eu-west-1";
const SECURITY: &str = "baseline-security-notifications";
const GROUP: &str = "baseline-cloudtrail";
const TRAIL: &str = "baseline-trail";
const BUCKET: &str = "baseline-logs-123456789012-us-east-1";
const KEY_ALIAS: &str = "baseline-cloudtrail";
const TRAIL_ROLE: &str = "baseline-cloudtrail-to-cloudwatch-logs";
const FORWARDER: &str = "baseline-config-events-forwarder";
const EVENT_RULE: &str = "baseline-config-noncompliant";
const EVENT_TARGET: &str = "baseline-config-noncompliant/baseline-security";
const FOREIGN_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// Settings this test does not change by hand, each with the test that shows it drifting instead (`*`: every
/// setting of the kind): `(kind, setting, file, test)`. A family that lists its coverage in its own file names
/// such tests there (`Setting::shown_in`).
const ELSEWHERE: &[(&str, &str, &str, &str)] = &[
    // The emulator lacks the API: mocked clients answer as AWS documents.
    (
        "account.primary_contact",
        "*",
        "tests/it/mocked.rs",
        "primary_contact_drift_is_repaired_keeping_unmanaged_fields",
    ),
    (
        "s3.account_public_access_block",
        "*",
        "tests/it/mocked.rs",
        "loosened_setting_is_repaired_and_full_block_is_a_no_op",
    ),
    ("cur.report_definition", "*", "tests/it/mocked.rs", "create_then_no_op_then_update"),
    // The emulator has no UpdateBudget.
    ("budgets.budget", "*", "tests/it/mocked.rs", "changed_limit_is_updated_in_place"),
    ("budgets.notification", "*", "tests/it/mocked.rs", "changed_threshold_updates_the_old_notification"),
    // The emulator ignores UpdateGroup's NewPath: a group cannot be moved there.
    ("iam.group", "path", "src/resources/iam_hygiene.rs", "a_group_moved_to_another_path_is_moved_back"),
    // Compared only when baseline.toml names a key: shown with one.
    (
        "s3.bucket_encryption",
        "bucket_key_enabled",
        "src/resources/log_bucket.rs",
        "bucket_key_is_compared_against_what_apply_writes",
    ),
    (
        "s3.bucket_encryption",
        "kms_master_key_id",
        "tests/it/kms.rs",
        "keys_named_by_alias_converge_and_are_looked_up_once",
    ),
    // Reported, never repaired: a bucket cannot move.
    (
        "s3.bucket",
        "region",
        "src/resources/log_bucket.rs",
        "bucket_in_another_region_than_configured_is_a_warning_not_a_change",
    ),
    // The emulator drops a rule's scope and a recorder's recording mode (it answers `Scope: {}` and no
    // `recordingMode`), so neither can be seen drifting there.
    (
        "config.rule",
        "scope",
        "src/resources/config_service.rs",
        "a_rule_scoped_to_one_resource_or_a_tag_is_drift_and_its_own_types_are_not",
    ),
    (
        "config.recorder",
        "recording_frequency",
        "src/resources/config_service.rs",
        "the_baselines_own_recorder_is_repaired_under_adopt",
    ),
    // Statements baseline does not own are never written, so this one is only reported.
    (
        "sns.topic_policy",
        "a foreign Deny of sns:Publish",
        "src/resources/sns.rs",
        "a_foreign_deny_of_the_publishing_service_is_a_warning",
    ),
    // A custom rule needs a Lambda function the emulator can invoke.
    (
        "config.rule",
        "source_owner",
        "src/resources/config_service.rs",
        "a_rule_scoped_to_one_resource_or_a_tag_is_drift_and_its_own_types_are_not",
    ),
    // An exclusion list needs recording strategy EXCLUSION_BY_RESOURCE_TYPES, which the emulator does not keep.
    (
        "config.recorder",
        "excluded_resource_types",
        "src/resources/config_service.rs",
        "adopt_reports_a_foreign_recorder_and_channel_and_own_repairs_them",
    ),
];

fn shown_elsewhere(s: &Setting) -> bool {
    s.shown_in.is_some()
        || ELSEWHERE.iter().any(|(kind, setting, _, _)| *kind == s.kind && (*setting == "*" || *setting == s.setting))
}

/// One setting changed by hand: the resource (kind and name, as in plan addresses) and the attribute.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Drifted {
    region: String,
    kind: String,
    name: String,
    attribute: String,
}

fn at(region: &str, kind: &str, name: &str, attributes: &[&str]) -> Vec<Drifted> {
    let one = |attribute: &&str| Drifted {
        region: region.into(),
        kind: kind.into(),
        name: name.into(),
        attribute: attribute.to_string(),
    };
    attributes.iter().map(one).collect()
}

/// `tags.*` matches `tags.owner`; `rule[*].status` matches `rule[baseline-log-retention].status`.
fn matches(pattern: &str, attribute: &str) -> bool {
    match pattern.split_once('*') {
        Some((head, tail)) => attribute.starts_with(head) && attribute.ends_with(tail),
        None => pattern == attribute,
    }
}

fn compared(s: &Setting) -> bool {
    matches!(s.drift, Drift::Repaired | Drift::Reported(_))
}

#[tokio::test]
async fn every_setting_changed_by_hand_is_planned_by_name_and_repaired_by_one_apply() {
    let (moto, dir) = two_region_setup();
    let proxy = FaultProxy::strict(&moto.endpoint, Vec::new(), Vec::new());
    let run = |args: &[&str]| cli_with_endpoint(dir.path(), &proxy.endpoint, args);
    let converged = run(&["apply", "--auto-approve"]);
    assert!(converged.status.success(), "{}", stderr(&converged));

    let sdk = moto.sdk_config("test", "test").await;
    let other = aws_sdk_config_for(&moto, OTHER_REGION).await;
    let mut drifted = Vec::new();
    drifted.extend(alarms(&sdk).await);
    drifted.extend(topics(&sdk).await);
    drifted.extend(trail(&sdk).await);
    drifted.extend(bucket(&sdk).await);
    drifted.extend(trail_key_and_access_logs(&sdk).await);
    drifted.extend(config(&sdk, REGION).await);
    drifted.extend(config(&other, OTHER_REGION).await);
    drifted.extend(events(&sdk, &other).await);
    drifted.extend(iam(&sdk).await);
    drifted.extend(contacts(&sdk).await);
    drifted.extend(ebs(&moto));
    drifted.extend(guardduty(&sdk).await);

    // Every compared setting of the list is drifted here, or shown drifting by the test named for it.
    let untested: Vec<String> = settings()
        .filter(|s| compared(s))
        .filter(|s| !drifted.iter().any(|d| d.kind == s.kind && matches(s.setting, &d.attribute)))
        .filter(|s| !shown_elsewhere(s))
        .map(|s| format!("{}/{}", s.kind, s.setting))
        .collect();

    let plan = run(&["plan", "--detailed-exitcode", "--json"]);
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    let named = named_attributes(&stdout(&plan));
    let missed: Vec<&Drifted> = drifted.iter().filter(|d| !named.contains(d)).collect();
    assert!(missed.is_empty(), "drift the plan does not name: {missed:#?}\nthe plan named: {named:#?}");

    let repair = run(&["apply", "--auto-approve"]);
    assert!(repair.status.success(), "{}\n{}", stdout(&repair), stderr(&repair));
    let clean = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.status.code(), Some(0), "one apply did not repair everything:\n{}", stdout(&clean));

    // What went over the wire: every field of every write call is in the list.
    let written: BTreeSet<String> =
        proxy.passed().iter().filter_map(write_of).flat_map(|w| w.qualified().collect::<Vec<_>>()).collect();
    let unlisted: Vec<&String> = written.iter().filter(|w| !names_write(w)).collect();
    assert!(unlisted.is_empty(), "fields written that the coverage list does not name: {unlisted:?}");
    assert!(untested.is_empty(), "settings of the coverage list no test changes by hand: {untested:?}");
}

/// EBS encryption by default turned off in both regions.
fn ebs(moto: &Moto) -> Vec<Drifted> {
    let mut drifted = Vec::new();
    for region in [REGION, OTHER_REGION] {
        let (status, body) = ec2_query(&moto.endpoint, region, "DisableEbsEncryptionByDefault");
        assert_eq!(status, 200, "{body}");
        drifted.extend(at(region, "ec2.ebs_encryption_by_default", "default", &["ebs_encryption_by_default"]));
    }
    drifted
}

/// Each region's detector suspended, publishing every six hours, S3 Protection turned off.
async fn guardduty(sdk: &aws_config::SdkConfig) -> Vec<Drifted> {
    let mut drifted = Vec::new();
    for region in [REGION, OTHER_REGION] {
        let conf = aws_sdk_guardduty::config::Builder::from(sdk).region(aws_config::Region::new(region)).build();
        let gd = aws_sdk_guardduty::Client::from_conf(conf);
        let id = gd.list_detectors().send().await.unwrap().detector_ids()[0].clone();
        gd.update_detector()
            .detector_id(id)
            .enable(false)
            .finding_publishing_frequency(aws_sdk_guardduty::types::FindingPublishingFrequency::SixHours)
            .features(
                aws_sdk_guardduty::types::DetectorFeatureConfiguration::builder()
                    .name(aws_sdk_guardduty::types::DetectorFeature::S3DataEvents)
                    .status(aws_sdk_guardduty::types::FeatureStatus::Disabled)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let settings = ["status", "finding_publishing_frequency", "features.S3_DATA_EVENTS"];
        drifted.extend(at(region, "guardduty.detector", "default", &settings));
    }
    drifted
}

/// The settings named by the plan's pending changes: `(region, kind, name, attribute)`.
fn named_attributes(plan_json: &str) -> Vec<Drifted> {
    let plan: Value = serde_json::from_str(plan_json).expect("plan --json is JSON");
    let mut named = Vec::new();
    for change in plan["changes"].as_array().unwrap() {
        if change["action"] != "create" && change["action"] != "update" {
            continue;
        }
        let address: Vec<&str> = change["address"].as_str().unwrap().splitn(4, '/').collect();
        let attributes = change["attributes"].as_array().into_iter().flatten();
        let names: Vec<&str> = attributes.map(|a| a["name"].as_str().unwrap()).collect();
        named.extend(at(address[1], address[2], address[3], &names));
    }
    named
}

async fn aws_sdk_config_for(moto: &Moto, region: &str) -> aws_config::SdkConfig {
    moto.sdk_config("test", "test").await.into_builder().region(aws_config::Region::new(region.to_string())).build()
}

/// An alarm put again as it is, but for one edit.
async fn rewrite_alarm(
    cw: &aws_sdk_cloudwatch::Client,
    id: &str,
    edit: impl FnOnce(PutMetricAlarmFluentBuilder) -> PutMetricAlarmFluentBuilder,
) -> String {
    let name = format!("baseline-{id}");
    let out = cw.describe_alarms().alarm_names(&name).send().await.unwrap();
    let a = out.metric_alarms()[0].clone();
    let put = cw
        .put_metric_alarm()
        .alarm_name(&name)
        .set_alarm_description(a.alarm_description().map(str::to_string))
        .set_actions_enabled(a.actions_enabled())
        .set_alarm_actions(Some(a.alarm_actions().to_vec()))
        .set_metric_name(a.metric_name().map(str::to_string))
        .set_namespace(a.namespace().map(str::to_string))
        .set_statistic(a.statistic().cloned())
        .set_period(a.period())
        .set_evaluation_periods(a.evaluation_periods())
        .set_threshold(a.threshold())
        .set_comparison_operator(a.comparison_operator().cloned())
        .set_treat_missing_data(a.treat_missing_data().map(str::to_string));
    edit(put).send().await.unwrap();
    name
}

/// A metric filter put again as it is, but for one edit of its transformation (or pattern).
async fn rewrite_filter(
    logs: &aws_sdk_cloudwatchlogs::Client,
    id: &str,
    pattern: Option<&str>,
    edit: impl FnOnce(
        aws_sdk_cloudwatchlogs::types::builders::MetricTransformationBuilder,
    ) -> aws_sdk_cloudwatchlogs::types::builders::MetricTransformationBuilder,
) -> String {
    let name = format!("baseline-{id}");
    let out = logs.describe_metric_filters().log_group_name(GROUP).filter_name_prefix(&name).send().await.unwrap();
    let f = out.metric_filters().iter().rfind(|f| f.filter_name() == Some(name.as_str())).unwrap().clone();
    let t = &f.metric_transformations()[0];
    let transformation = MetricTransformation::builder()
        .metric_name(t.metric_name())
        .metric_namespace(t.metric_namespace())
        .metric_value(t.metric_value());
    logs.put_metric_filter()
        .log_group_name(GROUP)
        .filter_name(&name)
        .filter_pattern(pattern.unwrap_or(f.filter_pattern().unwrap_or_default()))
        .metric_transformations(edit(transformation).build().unwrap())
        .send()
        .await
        .unwrap();
    format!("{GROUP}/{name}")
}

/// One alarm (and one filter) per setting, so that each drifts alone.
async fn alarms(sdk: &aws_config::SdkConfig) -> Vec<Drifted> {
    let cw = aws_sdk_cloudwatch::Client::new(sdk);
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let alarm = |name: String, attribute| at(REGION, "cloudwatch.alarm", &name, &[attribute]);
    let mut d = Vec::new();
    d.extend(alarm(rewrite_alarm(&cw, "root-usage", |p| p.metric_name("Elsewhere")).await, "metric_name"));
    d.extend(alarm(rewrite_alarm(&cw, "unauthorized-api-calls", |p| p.namespace("Elsewhere")).await, "namespace"));
    let avg = |p: PutMetricAlarmFluentBuilder| p.statistic(Statistic::Average);
    d.extend(alarm(rewrite_alarm(&cw, "console-signin-without-mfa", avg).await, "statistic"));
    d.extend(alarm(rewrite_alarm(&cw, "iam-policy-changes", |p| p.period(3600)).await, "period"));
    d.extend(alarm(rewrite_alarm(&cw, "cloudtrail-changes", |p| p.evaluation_periods(3)).await, "evaluation_periods"));
    d.extend(alarm(rewrite_alarm(&cw, "console-auth-failures", |p| p.threshold(1000.0)).await, "threshold"));
    let below = |p: PutMetricAlarmFluentBuilder| p.comparison_operator(ComparisonOperator::LessThanThreshold);
    d.extend(alarm(rewrite_alarm(&cw, "kms-cmk-disable-or-deletion", below).await, "comparison_operator"));
    let breaching = |p: PutMetricAlarmFluentBuilder| p.treat_missing_data("breaching");
    d.extend(alarm(rewrite_alarm(&cw, "s3-bucket-policy-changes", breaching).await, "treat_missing_data"));
    d.extend(alarm(rewrite_alarm(&cw, "config-changes", |p| p.actions_enabled(false)).await, "actions_enabled"));
    let elsewhere = |p: PutMetricAlarmFluentBuilder| {
        p.set_alarm_actions(Some(vec!["arn:aws:sns:us-east-1:123456789012:elsewhere".into()]))
    };
    d.extend(alarm(rewrite_alarm(&cw, "security-group-changes", elsewhere).await, "alarm_actions"));
    d.extend(alarm(rewrite_alarm(&cw, "nacl-changes", |p| p.alarm_description("nothing to see")).await, "description"));
    let dimension = Dimension::builder().name("Team").value("nobody").build();
    d.extend(alarm(rewrite_alarm(&cw, "network-gateway-changes", |p| p.dimensions(dimension)).await, "dimensions"));
    d.extend(alarm(rewrite_alarm(&cw, "route-table-changes", |p| p.unit(StandardUnit::Seconds)).await, "unit"));
    let two_of_three = |p: PutMetricAlarmFluentBuilder| p.evaluation_periods(3).datapoints_to_alarm(2);
    d.extend(at(
        REGION,
        "cloudwatch.alarm",
        &rewrite_alarm(&cw, "vpc-changes", two_of_three).await,
        &["evaluation_periods", "datapoints_to_alarm"],
    ));
    let arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:baseline-organizations-changes";
    cw.untag_resource().resource_arn(arn).tag_keys("owner").send().await.unwrap();
    d.extend(alarm("baseline-organizations-changes".into(), "tags.owner"));

    let filter = |name: String, attribute| at(REGION, "logs.metric_filter", &name, &[attribute]);
    let never = Some("{ $.eventName = \"NothingEverHappens\" }");
    d.extend(filter(rewrite_filter(&logs, "root-usage", never, |t| t).await, "filter_pattern"));
    d.extend(filter(
        rewrite_filter(&logs, "unauthorized-api-calls", None, |t| t.metric_name("X")).await,
        "metric_name",
    ));
    let elsewhere = |t: aws_sdk_cloudwatchlogs::types::builders::MetricTransformationBuilder| t.metric_namespace("X");
    d.extend(filter(rewrite_filter(&logs, "iam-policy-changes", None, elsewhere).await, "metric_namespace"));
    d.extend(filter(rewrite_filter(&logs, "cloudtrail-changes", None, |t| t.metric_value("0")).await, "metric_value"));
    let team = |t: aws_sdk_cloudwatchlogs::types::builders::MetricTransformationBuilder| t.dimensions("Team", "$.team");
    d.extend(filter(rewrite_filter(&logs, "console-auth-failures", None, team).await, "metric_dimensions"));
    let seconds = |t: aws_sdk_cloudwatchlogs::types::builders::MetricTransformationBuilder| {
        t.unit(aws_sdk_cloudwatchlogs::types::StandardUnit::Seconds)
    };
    d.extend(filter(rewrite_filter(&logs, "config-changes", None, seconds).await, "metric_unit"));
    let zero = |t: aws_sdk_cloudwatchlogs::types::builders::MetricTransformationBuilder| t.default_value(0.0);
    d.extend(filter(rewrite_filter(&logs, "nacl-changes", None, zero).await, "metric_default_value"));
    d
}

async fn topics(sdk: &aws_config::SdkConfig) -> Vec<Drifted> {
    let sns = aws_sdk_sns::Client::new(sdk);
    let arn = topic_arn(SECURITY);
    let tag = aws_sdk_sns::types::Tag::builder().key("owner").value("someone-else").build().unwrap();
    sns.tag_resource().resource_arn(&arn).tags(tag).send().await.unwrap();
    let attributes = sns.get_topic_attributes().topic_arn(&arn).send().await.unwrap();
    let mut policy: Value = serde_json::from_str(&attributes.attributes().unwrap()["Policy"]).unwrap();
    policy["Statement"].as_array_mut().unwrap().retain(|s| s["Sid"] != "BaselineEventBridgePublish");
    sns.set_topic_attributes()
        .topic_arn(&arn)
        .attribute_name("Policy")
        .attribute_value(policy.to_string())
        .send()
        .await
        .unwrap();
    let subs = sns.list_subscriptions_by_topic().topic_arn(&arn).send().await.unwrap();
    let sub = subs.subscriptions()[0].subscription_arn().unwrap().to_string();
    sns.set_subscription_attributes()
        .subscription_arn(sub)
        .attribute_name("FilterPolicy")
        .attribute_value(r#"{"severity":["never"]}"#)
        .send()
        .await
        .unwrap();
    [
        at(REGION, "sns.topic", SECURITY, &["tags.owner"]),
        at(REGION, "sns.topic_policy", SECURITY, &["statement[BaselineEventBridgePublish]"]),
        at(REGION, "sns.subscription", &format!("{SECURITY}/aws-security@example.com"), &["filter_policy"]),
    ]
    .concat()
}

async fn trail(sdk: &aws_config::SdkConfig) -> Vec<Drifted> {
    let ct = aws_sdk_cloudtrail::Client::new(sdk);
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let s3 = aws_sdk_s3::Client::new(sdk);
    let kms = aws_sdk_kms::Client::new(sdk);
    s3.create_bucket().bucket("somewhere-else").send().await.unwrap();
    let key = kms.create_key().send().await.unwrap().key_metadata().unwrap().arn().unwrap().to_string();
    ct.update_trail()
        .name(TRAIL)
        .s3_bucket_name("somewhere-else")
        .s3_key_prefix("elsewhere")
        .is_multi_region_trail(false)
        .include_global_service_events(false)
        .enable_log_file_validation(false)
        .cloud_watch_logs_log_group_arn("arn:aws:logs:us-east-1:123456789012:log-group:elsewhere:*")
        .cloud_watch_logs_role_arn("arn:aws:iam::123456789012:role/elsewhere")
        .kms_key_id(&key)
        .send()
        .await
        .unwrap();
    let read_only = aws_sdk_cloudtrail::types::EventSelector::builder()
        .read_write_type(aws_sdk_cloudtrail::types::ReadWriteType::ReadOnly)
        .include_management_events(true)
        .exclude_management_event_sources("kms.amazonaws.com")
        .build();
    ct.put_event_selectors().trail_name(TRAIL).event_selectors(read_only).send().await.unwrap();
    ct.stop_logging().name(TRAIL).send().await.unwrap();
    logs.put_retention_policy().log_group_name(GROUP).retention_in_days(7).send().await.unwrap();
    let group_arn = "arn:aws:logs:us-east-1:123456789012:log-group:baseline-cloudtrail";
    logs.untag_resource().resource_arn(group_arn).tag_keys("owner").send().await.unwrap();
    let trail_arn = format!("arn:aws:cloudtrail:us-east-1:123456789012:trail/{TRAIL}");
    let owner = aws_sdk_cloudtrail::types::Tag::builder().key("owner").build().unwrap();
    ct.remove_tags().resource_id(trail_arn).tags_list(owner).send().await.unwrap();
    let settings = [
        "s3_bucket_name",
        "s3_key_prefix",
        "is_multi_region_trail",
        "include_global_service_events",
        "log_file_validation_enabled",
        "cloud_watch_logs_log_group_arn",
        "cloud_watch_logs_role_arn",
        "kms_key_id",
    ];
    [
        at(REGION, "cloudtrail.trail", TRAIL, &[&settings[..], &["tags.owner"]].concat()),
        at(
            REGION,
            "cloudtrail.event_selectors",
            TRAIL,
            &["management_events", "excluded_management_event_sources", "s3_data_events"],
        ),
        at(REGION, "cloudtrail.logging", TRAIL, &["is_logging"]),
        at(REGION, "logs.log_group", GROUP, &["retention_in_days", "tags.owner"]),
    ]
    .concat()
}

/// The trail's key disabled, retagged, without rotation and without the trail's encrypt statement (a foreign
/// statement added meanwhile must survive); the archive's access logging turned off.
async fn trail_key_and_access_logs(sdk: &aws_config::SdkConfig) -> Vec<Drifted> {
    let kms = aws_sdk_kms::Client::new(sdk);
    let key = kms.describe_key().key_id(format!("alias/{KEY_ALIAS}")).send().await.unwrap();
    let key = key.key_metadata().unwrap().key_id().to_string();
    kms.disable_key().key_id(&key).send().await.unwrap();
    kms.disable_key_rotation().key_id(&key).send().await.unwrap();
    let tag = aws_sdk_kms::types::Tag::builder().tag_key("managed-by").tag_value("someone-else").build().unwrap();
    kms.tag_resource().key_id(&key).tags(tag).send().await.unwrap();
    let policy = kms.get_key_policy().key_id(&key).policy_name("default").send().await.unwrap();
    let mut policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statements = policy["Statement"].as_array_mut().unwrap();
    statements.retain(|s| s["Sid"] != "BaselineCloudTrailEncrypt");
    statements.push(json!({"Sid": "Auditors", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:DescribeKey", "Resource": "*"}));
    kms.put_key_policy().key_id(&key).policy_name("default").policy(policy.to_string()).send().await.unwrap();

    // Server access logging turned off.
    let s3 = aws_sdk_s3::Client::new(sdk);
    let off = aws_sdk_s3::types::BucketLoggingStatus::builder().build();
    s3.put_bucket_logging().bucket(BUCKET).bucket_logging_status(off).send().await.unwrap();
    let alias = format!("alias/{KEY_ALIAS}");
    let mut d = at(REGION, "kms.key", &alias, &["key_state", "tags.managed-by"]);
    d.extend(at(REGION, "kms.key_rotation", &alias, &["key_rotation_enabled"]));
    d.extend(at(REGION, "kms.key_policy", &alias, &["statement[BaselineCloudTrailEncrypt]"]));
    d.extend(at(REGION, "s3.bucket_logging", BUCKET, &["target_bucket", "target_prefix"]));
    d
}

async fn bucket(sdk: &aws_config::SdkConfig) -> Vec<Drifted> {
    use aws_sdk_s3::types::*;
    let s3 = aws_sdk_s3::Client::new(sdk);
    let tag = Tag::builder().key("managed-by").value("someone-else").build().unwrap();
    let tagging = Tagging::builder().tag_set(tag).build().unwrap();
    s3.put_bucket_tagging().bucket(BUCKET).tagging(tagging).send().await.unwrap();
    let writer = OwnershipControlsRule::builder().object_ownership(ObjectOwnership::ObjectWriter).build().unwrap();
    let controls = OwnershipControls::builder().rules(writer).build().unwrap();
    s3.put_bucket_ownership_controls().bucket(BUCKET).ownership_controls(controls).send().await.unwrap();
    let open = PublicAccessBlockConfiguration::builder()
        .block_public_acls(false)
        .ignore_public_acls(false)
        .block_public_policy(false)
        .restrict_public_buckets(false)
        .build();
    s3.put_public_access_block().bucket(BUCKET).public_access_block_configuration(open).send().await.unwrap();
    s3.delete_bucket_encryption().bucket(BUCKET).send().await.unwrap();
    let suspended = VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build();
    s3.put_bucket_versioning().bucket(BUCKET).versioning_configuration(suspended).send().await.unwrap();
    let rule = LifecycleRule::builder()
        .id("baseline-log-retention")
        .status(ExpirationStatus::Disabled)
        .filter(LifecycleRuleFilter::builder().prefix("nothing/").build())
        .transitions(Transition::builder().days(1).storage_class(TransitionStorageClass::StandardIa).build())
        .expiration(LifecycleExpiration::builder().days(2).build())
        .noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(1).build())
        .abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(30).build())
        .build()
        .unwrap();
    let lifecycle = BucketLifecycleConfiguration::builder().rules(rule).build().unwrap();
    s3.put_bucket_lifecycle_configuration().bucket(BUCKET).lifecycle_configuration(lifecycle).send().await.unwrap();
    let policy = s3.get_bucket_policy().bucket(BUCKET).send().await.unwrap();
    let mut policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    policy["Statement"].as_array_mut().unwrap().retain(|s| s["Sid"] != "BaselineDenyInsecureTransport");
    s3.put_bucket_policy().bucket(BUCKET).policy(policy.to_string()).send().await.unwrap();
    let lifecycle: Vec<String> = [
        "status",
        "filter",
        "transition_to_glacier_days",
        "transition_storage_class",
        "expiration_days",
        "noncurrent_expiration_days",
        "abort_incomplete_multipart_upload_days",
    ]
    .iter()
    .map(|name| format!("rule[baseline-log-retention].{name}"))
    .collect();
    let lifecycle: Vec<&str> = lifecycle.iter().map(String::as_str).collect();
    [
        at(REGION, "s3.bucket", BUCKET, &["tags.managed-by", "tags.owner"]),
        at(REGION, "s3.bucket_ownership", BUCKET, &["object_ownership"]),
        at(
            REGION,
            "s3.bucket_public_access_block",
            BUCKET,
            &["block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"],
        ),
        at(REGION, "s3.bucket_encryption", BUCKET, &["sse_algorithm"]),
        at(REGION, "s3.bucket_versioning", BUCKET, &["versioning"]),
        at(REGION, "s3.bucket_lifecycle", BUCKET, &lifecycle),
        at(REGION, "s3.bucket_policy", BUCKET, &["statement[BaselineDenyInsecureTransport]"]),
    ]
    .concat()
}

/// The home region gets the recorder and a rule's scope and identifier changed; the other region the
/// channel, the recording and a rule's parameters.
async fn config(sdk: &aws_config::SdkConfig, region: &'static str) -> Vec<Drifted> {
    use aws_sdk_config::types::*;
    let config = aws_sdk_config::Client::new(sdk);
    let rules = config.describe_config_rules().send().await.unwrap();
    let rule = |suffix: &str| {
        rules.config_rules().iter().find(|r| r.config_rule_name().unwrap().ends_with(suffix)).unwrap().clone()
    };
    if region == REGION {
        let recorder = ConfigurationRecorder::builder()
            .name("default")
            .role_arn("arn:aws:iam::123456789012:role/elsewhere")
            .recording_group(
                RecordingGroup::builder()
                    .all_supported(false)
                    .include_global_resource_types(false)
                    .resource_types(ResourceType::Bucket)
                    .build(),
            )
            .build();
        config.put_configuration_recorder().configuration_recorder(recorder).send().await.unwrap();
        let mut other = rule("cloud-trail-enabled");
        let versioning = Source::builder().owner(Owner::Aws).source_identifier("S3_BUCKET_VERSIONING_ENABLED");
        other.source = Some(versioning.build().unwrap());
        other.input_parameters = None;
        config.put_config_rule().config_rule(other).send().await.unwrap();
        let recorder = ["role_arn", "all_supported", "include_global_resource_types"];
        return [
            at(region, "config.recorder", "default", &recorder),
            at(region, "config.rule", "baseline-cloud-trail-enabled", &["source_identifier", "input_parameters"]),
        ]
        .concat();
    }
    let channel = DeliveryChannel::builder()
        .name("default")
        .s3_bucket_name("somewhere-else")
        .s3_key_prefix("elsewhere")
        .sns_topic_arn(topic_arn(SECURITY))
        .config_snapshot_delivery_properties(
            ConfigSnapshotDeliveryProperties::builder().delivery_frequency(MaximumExecutionFrequency::OneHour).build(),
        )
        .build();
    config.put_delivery_channel().delivery_channel(channel).send().await.unwrap();
    config.stop_configuration_recorder().configuration_recorder_name("default").send().await.unwrap();
    let mut loosened = rule("cloud-trail-enabled");
    loosened.input_parameters = Some(r#"{"s3BucketName":"somewhere-else"}"#.into());
    config.put_config_rule().config_rule(loosened).send().await.unwrap();
    let channel = ["s3_bucket_name", "s3_key_prefix", "sns_topic_arn", "delivery_frequency"];
    [
        at(region, "config.delivery_channel", "default", &channel),
        at(region, "config.recording", "default", &["recording"]),
        at(region, "config.rule", "baseline-cloud-trail-enabled", &["input_parameters"]),
    ]
    .concat()
}

/// The EventBridge path: at home the rule disabled and re-patterned and the target rewriting the event;
/// elsewhere the target sent to another bus through another role, and the forwarding role gutted.
async fn events(home: &aws_config::SdkConfig, other: &aws_config::SdkConfig) -> Vec<Drifted> {
    use aws_sdk_eventbridge::types::{RuleState, Target};
    let events = aws_sdk_eventbridge::Client::new(home);
    events
        .put_rule()
        .name(EVENT_RULE)
        .event_pattern(json!({"source": ["aws.nothing"]}).to_string())
        .state(RuleState::Disabled)
        .description("quiet")
        .send()
        .await
        .unwrap();
    let rewritten = Target::builder().id("baseline-security").arn(topic_arn(SECURITY)).input("{}").build().unwrap();
    events.put_targets().rule(EVENT_RULE).targets(rewritten).send().await.unwrap();
    let events = aws_sdk_eventbridge::Client::new(other);
    let elsewhere = Target::builder()
        .id("baseline-security")
        .arn("arn:aws:events:us-east-1:123456789012:event-bus/elsewhere")
        .role_arn("arn:aws:iam::123456789012:role/elsewhere")
        .build()
        .unwrap();
    events.put_targets().rule(EVENT_RULE).targets(elsewhere).send().await.unwrap();
    let iam = aws_sdk_iam::Client::new(home);
    iam.update_assume_role_policy().role_name(FORWARDER).policy_document(FOREIGN_TRUST).send().await.unwrap();
    iam.update_role().role_name(FORWARDER).description("nothing to see").send().await.unwrap();
    let policies = iam.list_role_policies().role_name(FORWARDER).send().await.unwrap();
    for name in policies.policy_names() {
        iam.delete_role_policy().role_name(FORWARDER).policy_name(name).send().await.unwrap();
    }
    [
        at(REGION, "events.rule", EVENT_RULE, &["event_pattern", "state", "description"]),
        at(REGION, "events.target", EVENT_TARGET, &["input"]),
        at(OTHER_REGION, "events.target", EVENT_TARGET, &["target", "role_arn"]),
        at("global", "iam.role", FORWARDER, &["assume_role_policy", "policy", "description"]),
    ]
    .concat()
}

async fn iam(sdk: &aws_config::SdkConfig) -> Vec<Drifted> {
    let iam = aws_sdk_iam::Client::new(sdk);
    iam.update_account_password_policy()
        .minimum_password_length(8)
        .require_uppercase_characters(false)
        .require_lowercase_characters(false)
        .require_numbers(false)
        .require_symbols(false)
        .allow_users_to_change_password(false)
        .password_reuse_prevention(1)
        .max_password_age(365)
        .hard_expiry(true)
        .send()
        .await
        .unwrap();
    let auditors = "security-auditors";
    let audit = "arn:aws:iam::aws:policy/SecurityAudit";
    iam.detach_group_policy().group_name(auditors).policy_arn(audit).send().await.unwrap();
    iam.update_assume_role_policy().role_name(TRAIL_ROLE).policy_document(FOREIGN_TRUST).send().await.unwrap();
    iam.update_role().role_name(TRAIL_ROLE).description("nothing to see").send().await.unwrap();
    iam.untag_role().role_name(TRAIL_ROLE).tag_keys("owner").send().await.unwrap();
    iam.update_role().role_name("baseline-support").description("nothing to see").send().await.unwrap();
    let nothing =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:DescribeLogGroups","Resource":"*"}]}"#;
    iam.put_role_policy().role_name(TRAIL_ROLE).policy_name(TRAIL_ROLE).policy_document(nothing).send().await.unwrap();
    iam.update_assume_role_policy().role_name("baseline-support").policy_document(FOREIGN_TRUST).send().await.unwrap();
    let support = "arn:aws:iam::aws:policy/AWSSupportAccess";
    iam.detach_role_policy().role_name("baseline-support").policy_arn(support).send().await.unwrap();
    let password = [
        "minimum_password_length",
        "require_uppercase_characters",
        "require_lowercase_characters",
        "require_numbers",
        "require_symbols",
        "allow_users_to_change_password",
        "password_reuse_prevention",
        "max_password_age",
        "hard_expiry",
    ];
    [
        at("global", "iam.password_policy", "account", &password),
        at("global", "iam.group_policy_attachments", auditors, &["attached"]),
        at("global", "iam.role", TRAIL_ROLE, &["assume_role_policy", "description", "tags.owner"]),
        at("global", "iam.role_policy", &format!("{TRAIL_ROLE}/{TRAIL_ROLE}"), &["policy_document"]),
        at("global", "iam.role", "baseline-support", &["assume_role_policy", "managed_policies", "description"]),
    ]
    .concat()
}

async fn contacts(sdk: &aws_config::SdkConfig) -> Vec<Drifted> {
    let account = aws_sdk_account::Client::new(sdk);
    account
        .put_alternate_contact()
        .alternate_contact_type(aws_sdk_account::types::AlternateContactType::Security)
        .name("Jane Doe")
        .title("Intern")
        .email_address("jane.doe@example.com")
        .phone_number("+1 206 555 0199")
        .send()
        .await
        .unwrap();
    at("global", "account.alternate_contact", "security", &["name", "title", "email_address", "phone_number"])
}

/// For mocked table tests: `drifted` names every compared setting the list has for `kind`.
pub fn assert_drifted_alone(kind: &str, drifted: &[&str]) {
    let listed: Vec<&str> = settings().filter(|s| s.kind == kind && compared(s)).map(|s| s.setting).collect();
    let missing: Vec<&&str> = listed.iter().filter(|s| !drifted.contains(s)).collect();
    assert!(missing.is_empty(), "{kind}: settings of the coverage list not changed here: {missing:?}");
}

#[test]
fn the_tests_named_for_what_the_emulator_cannot_show_exist() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let named_by_families = settings().filter_map(|s| s.shown_in.map(|(file, test)| (s.kind, s.setting, file, test)));
    for (kind, setting, file, test) in ELSEWHERE.iter().copied().chain(named_by_families) {
        let source = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(source.contains(&format!("fn {test}(")), "{kind}/{setting}: {file} has no test {test}");
        let listed = settings().any(|s| s.kind == kind && (setting == "*" || s.setting == setting));
        assert!(listed, "{kind}/{setting} is not in the coverage list");
    }
}
