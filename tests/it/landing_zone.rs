//! An organization that already runs a landing zone, the way most organizations adopting baseline do: an
//! organization trail owned by the management account, Control Tower's AWS Config recorder and delivery channel
//! guarded by service control policies, a region denied by an SCP, a delegated administrator for Account
//! Management and a log archive bucket made by CloudFormation. The emulator shows none of it, so a strict
//! proxy between the tool and the emulator answers as AWS documents; each rule names its source.

use std::path::Path;
use std::process::Output;

use aws_sdk_cloudtrail::types::{EventSelector, ReadWriteType};
use aws_sdk_config::types::{ConfigurationRecorder, DeliveryChannel};
use serde_json::{Value, json};

use crate::fault_proxy::{FaultProxy, Match, Rewrite, Rule};
use crate::harness::{ACCOUNT, Moto, REGION, cli_with_endpoint, stderr, stdout};
use crate::organization::{member_config, organization};

/// The emulator's default credentials act as the management account.
const MANAGEMENT_KEY: &str = "test";
const ORG_TRAIL: &str = "aws-controltower-BaselineCloudTrail";
const ORG_TRAIL_BUCKET: &str = "aws-controltower-logs-123456789012-us-east-1";
const ORG_LOG_GROUP: &str = "aws-controltower/CloudTrailLogs";
const CT_RECORDER: &str = "aws-controltower-BaselineConfigRecorder";
const CT_CHANNEL: &str = "aws-controltower-BaselineConfigDeliveryChannel";
const DENIED_REGION: &str = "ap-southeast-2";
const SCP_DENY: &str = "with an explicit deny in a service control policy";

fn org_trail_arn() -> String {
    format!("arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{ORG_TRAIL}")
}

/// The organization trail as DescribeTrails shows it to a member account.
fn org_trail_as_members_see_it() -> Value {
    json!({
        "Name": ORG_TRAIL,
        "S3BucketName": ORG_TRAIL_BUCKET,
        "IncludeGlobalServiceEvents": true,
        "IsMultiRegionTrail": true,
        "HomeRegion": REGION,
        "TrailARN": org_trail_arn(),
        "LogFileValidationEnabled": true,
        "CloudWatchLogsLogGroupArn": format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{ORG_LOG_GROUP}:*"),
        "CloudWatchLogsRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/aws-controltower-CloudWatchLogsRole"),
        "HasCustomEventSelectors": false,
        "HasInsightSelectors": false,
        "IsOrganizationTrail": true
    })
}

/// What AWS answers that the emulator does not.
pub(crate) fn landing_zone_rules() -> Vec<Rule> {
    let mut rules = Vec::new();
    // CloudTrail user guide, "Creating a trail for an organization": member accounts see the organization
    // trail but cannot change it; reading its status or selectors from a member fails (TrailNotFoundException,
    // CloudTrailARNInvalidException "AccountID in ARN is wrong"), as Steampipe (turbot/steampipe-plugin-aws#577)
    // and Cloud Custodian found.
    let unknown = format!("Unknown trail: {} for the user", org_trail_arn());
    rules.push(Rule::error(
        Match::target("GetTrailStatus").with_body(ORG_TRAIL).not_signed_by(MANAGEMENT_KEY),
        400,
        "TrailNotFoundException",
        &unknown,
    ));
    for op in ["GetEventSelectors", "UpdateTrail", "PutEventSelectors", "StartLogging", "StopLogging", "AddTags"] {
        rules.push(Rule::error(
            Match::target(op).with_body(ORG_TRAIL).not_signed_by(MANAGEMENT_KEY),
            400,
            "CloudTrailARNInvalidException",
            "AccountID in ARN is wrong",
        ));
    }
    // AWS Control Tower user guide, "Controls: disallow changes to AWS Config" (the AWS-GR_CONFIG_* SCPs): only
    // AWSControlTowerExecution may change Control Tower's recorder and channel; anyone else is denied by an SCP.
    for op in crate::config_landing_zone::CONTROL_TOWER_GUARDED {
        rules.push(Rule::error(
            Match::target(op).with_body("aws-controltower-"),
            400,
            "AccessDeniedException",
            &format!("User is not authorized to perform: config:{op} {SCP_DENY}"),
        ));
    }
    // AWS Control Tower user guide, "Region deny control": every call signed for a denied region is refused by
    // an SCP, although DescribeRegions lists the region as enabled.
    rules.push(Rule::error(
        Match { region: Some(DENIED_REGION.into()), ..Match::default() },
        400,
        "AccessDeniedException",
        &format!("User is not authorized to perform this action {SCP_DENY}"),
    ));
    // Amazon S3 API reference, PutBucketTagging / "Using cost allocation S3 bucket tags": keys with the `aws:`
    // prefix are reserved for AWS ("System tags cannot be added/updated by requester").
    rules.push(Rule::error(
        Match::rest("PUT", "?tagging").with_body("<Key>aws:"),
        400,
        "InvalidTag",
        "System tags cannot be added/updated by requester",
    ));
    // AWS Account Management API reference, AccountId: "The management account can't specify its own
    // AccountId; it must call the operation in standalone context by not including the AccountId parameter".
    rules.push(Rule::error(
        Match {
            path_contains: Some("AlternateContact".into()),
            body_contains: vec![format!("\"AccountId\":\"{ACCOUNT}\"")],
            ..Match::default()
        },
        403,
        "AccessDeniedException",
        "AccountId must name a member account of the organization",
    ));
    // Amazon S3 user guide, "Bucket policies for Amazon S3": bucket policies are limited to 20 KB.
    rules.push(Rule::error(
        Match { body_longer_than: Some(20_480), ..Match::rest("PUT", "?policy") },
        400,
        "PolicyTooLarge",
        "Policy exceeds the maximum allowed document size.",
    ));
    rules
}

/// What AWS shows that the emulator does not: the organization trail in members' DescribeTrails, and the tags
/// CloudFormation puts on a bucket it made.
pub(crate) fn landing_zone_rewrites(archive_bucket: &str) -> Vec<Rewrite> {
    let trails = Rewrite::new(Match::target("DescribeTrails").not_signed_by(MANAGEMENT_KEY), |_, body| {
        let mut answer: Value = serde_json::from_str(body).unwrap_or_else(|_| json!({}));
        let list = answer.as_object_mut().unwrap().entry("trailList").or_insert_with(|| json!([]));
        list.as_array_mut().unwrap().push(org_trail_as_members_see_it());
        answer.to_string()
    });
    let tags = Rewrite::new(Match::rest("GET", &format!("/{archive_bucket}/?tagging")), |_, body| {
        body.replacen(
            "<TagSet>",
            "<TagSet><Tag><Key>aws:cloudformation:stack-name</Key><Value>log-archive</Value></Tag>\
             <Tag><Key>aws:cloudformation:logical-id</Key><Value>LogArchiveBucket</Value></Tag>",
            1,
        )
    });
    vec![trails, tags]
}

/// The management account's organization trail (bucket, log group, logging, all management events).
async fn organization_trail(moto: &Moto) {
    let config = moto.sdk_config(MANAGEMENT_KEY, "test").await;
    let s3 = s3_client(&config);
    s3.create_bucket().bucket(ORG_TRAIL_BUCKET).send().await.unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    logs.create_log_group().log_group_name(ORG_LOG_GROUP).send().await.unwrap();
    let trail = org_trail_as_members_see_it();
    let ct = aws_sdk_cloudtrail::Client::new(&config);
    ct.create_trail()
        .name(ORG_TRAIL)
        .s3_bucket_name(ORG_TRAIL_BUCKET)
        .is_multi_region_trail(true)
        .include_global_service_events(true)
        .enable_log_file_validation(true)
        .is_organization_trail(true)
        .cloud_watch_logs_log_group_arn(trail["CloudWatchLogsLogGroupArn"].as_str().unwrap())
        .cloud_watch_logs_role_arn(trail["CloudWatchLogsRoleArn"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let all = EventSelector::builder().read_write_type(ReadWriteType::All).include_management_events(true).build();
    ct.put_event_selectors().trail_name(ORG_TRAIL).event_selectors(all).send().await.unwrap();
    ct.start_logging().name(ORG_TRAIL).send().await.unwrap();
}

/// Control Tower's recorder (its own role, a recording group that leaves out some types) and delivery channel
/// (to the log archive's Control Tower bucket), started, in `region` of `account`.
async fn control_tower_config(moto: &Moto, account: &str, region: &str) {
    let config = member_config(moto, account).await;
    let config = config.to_builder().region(aws_config::Region::new(region.to_string())).build();
    let client = aws_sdk_config::Client::new(&config);
    let group = crate::config_landing_zone::control_tower_recording_group();
    let recorder = ConfigurationRecorder::builder()
        .name(CT_RECORDER)
        .role_arn(format!("arn:aws:iam::{account}:role/aws-controltower-ConfigRecorderRole"))
        .recording_group(group)
        .build();
    client.put_configuration_recorder().configuration_recorder(recorder).send().await.unwrap();
    let channel =
        DeliveryChannel::builder().name(CT_CHANNEL).s3_bucket_name(ORG_TRAIL_BUCKET).s3_key_prefix("o-ct").build();
    client.put_delivery_channel().delivery_channel(channel).send().await.unwrap();
    client.start_configuration_recorder().configuration_recorder_name(CT_RECORDER).send().await.unwrap();
}

/// S3 on the emulator: path-style addressing (a bucket host name cannot resolve on loopback).
fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(config).force_path_style(true).build())
}

fn landing_zone_toml(archive: &str) -> String {
    crate::organization::baseline_toml(archive).replacen(
        "regions = [\"us-east-1\", \"eu-west-1\"]",
        &format!("regions = [\"us-east-1\", \"eu-west-1\", \"{DENIED_REGION}\"]"),
        1,
    ) + "\n[[config.rules]]\nidentifier = \"CLOUD_TRAIL_ENABLED\"\n"
}

fn run(endpoint: &str, dir: &Path, args: &[&str]) -> Output {
    cli_with_endpoint(dir, endpoint, args)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organization_with_a_landing_zone_converges_and_then_plans_clean() {
    let moto = Moto::start();
    let (org, members) = organization(&moto, 3).await;
    let (archive, governed) = (&members[0], &members[2]);
    // Trusted access for Account Management: member contacts are set through the Account API's AccountId,
    // the management account's own without it (the strict rule below refuses AccountId = management account).
    // (The emulator cannot register a delegated administrator for Account Management: that route is tested in
    // organization::a_delegated_administrator_sets_the_management_accounts_contacts_through_its_role.)
    org.enable_aws_service_access().service_principal("account.amazonaws.com").send().await.unwrap();
    organization_trail(&moto).await;
    for region in [REGION, "eu-west-1"] {
        control_tower_config(&moto, governed, region).await;
    }
    // The log archive bucket exists already, made by CloudFormation (tagged by it) without baseline's tag.
    let archive_bucket = format!("org-logs-{archive}");
    let s3 = s3_client(&member_config(&moto, archive).await);
    s3.create_bucket().bucket(&archive_bucket).send().await.unwrap();
    let owner = aws_sdk_s3::types::Tag::builder().key("owner").value("security").build().unwrap();
    let tagging = aws_sdk_s3::types::Tagging::builder().tag_set(owner).build().unwrap();
    s3.put_bucket_tagging().bucket(&archive_bucket).tagging(tagging).send().await.unwrap();

    let proxy = FaultProxy::strict(&moto.endpoint, landing_zone_rules(), landing_zone_rewrites(&archive_bucket));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), landing_zone_toml(archive)).unwrap();

    let plan = run(&proxy.endpoint, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}\n{}", stdout(&plan), stderr(&plan));
    let text = format!("{}{}", stdout(&plan), stderr(&plan));
    assert!(text.contains(DENIED_REGION) && text.contains("service control policy"), "{text}");
    // Config's CLOUD_TRAIL_ENABLED is pinned to the organization trail the members rely on.
    assert!(text.contains(&format!("\"s3BucketName\": \"{ORG_TRAIL_BUCKET}\"")), "{text}");
    let json = run(&proxy.endpoint, dir.path(), &["plan", "--json"]);
    let reasons = trail_reasons(&json);
    let relied_on = format!("satisfied by the organization trail {}", org_trail_arn());
    assert!(members.iter().all(|m| reasons[m.as_str()].starts_with(&relied_on)), "{reasons:?}");

    let apply = run(&proxy.endpoint, dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}\n{}", stdout(&apply), stderr(&apply));

    let again = run(&proxy.endpoint, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}\n{}", stdout(&again), stderr(&again));

    // Nothing of the landing zone was changed, and no member got a trail of its own.
    let ct = aws_sdk_cloudtrail::Client::new(&member_config(&moto, governed).await);
    let trails = ct.describe_trails().send().await.unwrap();
    assert!(trails.trail_list().is_empty(), "{:?}", trails.trail_list());
    let tags = s3.get_bucket_tagging().bucket(&archive_bucket).send().await.unwrap();
    let keys: Vec<&str> = tags.tag_set().iter().map(|t| t.key()).collect();
    assert!(keys.contains(&"owner") && keys.contains(&"managed-by"), "{keys:?}");
    let policy = s3.get_bucket_policy().bucket(&archive_bucket).send().await.unwrap();
    assert!(policy.policy().unwrap().contains("aws:SourceOrgID"), "{policy:?}");
    let config = aws_sdk_config::Client::new(&member_config(&moto, governed).await);
    let recorders = config.describe_configuration_recorders().send().await.unwrap();
    let names: Vec<&str> = recorders.configuration_recorders().iter().filter_map(|r| r.name()).collect();
    assert_eq!(names, [CT_RECORDER], "Control Tower's recorder is adopted, not replaced");
    let role = recorders.configuration_recorders()[0].role_arn().unwrap_or_default();
    assert!(role.ends_with("role/aws-controltower-ConfigRecorderRole"), "{role}");
}

const SINGLE: &str = r#"
[baseline]
home_region = "us-east-1"

[s3]
account_public_access_block = false

[notifications.security]
topic = "security-notifications"
emails = ["aws-security@example.com"]

[log_archive]
bucket = "baseline-logs-{account_id}"

[cloudtrail]
"#;

const SINGLE_BUCKET: &str = "baseline-logs-123456789012";

fn single_account_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), SINGLE).unwrap();
    dir
}

/// Plan, apply, plan: `(first plan, apply, last plan)`.
fn converge(endpoint: &str, dir: &Path) -> (Output, Output, Output) {
    let first = run(endpoint, dir, &["plan", "--detailed-exitcode"]);
    let apply = run(endpoint, dir, &["apply", "--auto-approve"]);
    let last = run(endpoint, dir, &["plan", "--detailed-exitcode"]);
    (first, apply, last)
}

#[tokio::test(flavor = "multi_thread")]
async fn members_rely_on_the_organization_trail_without_querying_it() {
    let moto = Moto::start();
    let (_, members) = organization(&moto, 2).await;
    organization_trail(&moto).await;
    let proxy = FaultProxy::strict(&moto.endpoint, landing_zone_rules(), landing_zone_rewrites("none"));
    let dir = tempfile::tempdir().unwrap();
    let toml = crate::organization::baseline_toml(&members[0]).replacen("\n[config]\n", "\n", 1);
    std::fs::write(dir.path().join("baseline.toml"), toml).unwrap();

    let plan = run(&proxy.endpoint, dir.path(), &["plan", "--json"]);
    assert_eq!(plan.status.code(), Some(0), "{}\n{}", stdout(&plan), stderr(&plan));
    let reasons = trail_reasons(&plan);
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    for member in &members {
        assert_eq!(
            reasons[member.as_str()],
            format!(
                "satisfied by the organization trail {} of account {ACCOUNT}, which manages its logging and event \
                 selectors (set require_own_trail = true to add one anyway)",
                org_trail_arn()
            )
        );
    }
    // The management account owns the trail: it reads it (status, selectors) and relies on it too.
    assert!(reasons[ACCOUNT].starts_with(&format!("satisfied by {}, which", org_trail_arn())), "{reasons:?}");

    let (first, apply, last) = converge(&proxy.endpoint, dir.path());
    assert_eq!(first.status.code(), Some(2), "{}\n{}", stdout(&first), stderr(&first));
    assert_eq!(apply.status.code(), Some(0), "{}\n{}", stdout(&apply), stderr(&apply));
    assert_eq!(last.status.code(), Some(0), "{}\n{}", stdout(&last), stderr(&last));
    for member in &members {
        let ct = aws_sdk_cloudtrail::Client::new(&member_config(&moto, member).await);
        assert!(ct.describe_trails().send().await.unwrap().trail_list().is_empty(), "no duplicate trail in {member}");
    }
}

/// Account id → the reason given for its `cloudtrail.trail` in a `plan --json` of an organization.
fn trail_reasons(out: &Output) -> std::collections::BTreeMap<String, String> {
    let mut reasons = std::collections::BTreeMap::new();
    for line in stdout(out).lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        for change in record["plan"]["changes"].as_array().into_iter().flatten() {
            let address = change["address"].as_str().unwrap_or_default();
            if address.contains("/cloudtrail.trail/") {
                let account = address.split('/').next().unwrap().to_string();
                reasons.insert(account, change["reason"].as_str().unwrap().to_string());
            }
        }
    }
    reasons
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_tagged_by_cloudformation_gets_the_baseline_tags_without_aws_keys() {
    let moto = Moto::start();
    let s3 = s3_client(&moto.sdk_config(MANAGEMENT_KEY, "test").await);
    s3.create_bucket().bucket(SINGLE_BUCKET).send().await.unwrap();
    let owner = aws_sdk_s3::types::Tag::builder().key("owner").value("security").build().unwrap();
    let tagging = aws_sdk_s3::types::Tagging::builder().tag_set(owner).build().unwrap();
    s3.put_bucket_tagging().bucket(SINGLE_BUCKET).tagging(tagging).send().await.unwrap();
    let proxy = FaultProxy::strict(&moto.endpoint, landing_zone_rules(), landing_zone_rewrites(SINGLE_BUCKET));
    let dir = single_account_dir();

    let (first, apply, last) = converge(&proxy.endpoint, dir.path());
    assert_eq!(first.status.code(), Some(2), "{}\n{}", stdout(&first), stderr(&first));
    assert_eq!(apply.status.code(), Some(0), "{}\n{}", stdout(&apply), stderr(&apply));
    assert_eq!(last.status.code(), Some(0), "{}\n{}", stdout(&last), stderr(&last));
    let tags = s3.get_bucket_tagging().bucket(SINGLE_BUCKET).send().await.unwrap();
    let mut keys: Vec<&str> = tags.tag_set().iter().map(|t| t.key()).collect();
    keys.sort();
    assert_eq!(keys, ["managed-by", "owner"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trail_on_advanced_selectors_keeps_its_data_events() {
    use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
    let moto = Moto::start();
    let dir = single_account_dir();
    let (_, apply, _) = converge(&moto.endpoint, dir.path());
    assert_eq!(apply.status.code(), Some(0), "{}\n{}", stdout(&apply), stderr(&apply));
    let ct = aws_sdk_cloudtrail::Client::new(&moto.sdk_config(MANAGEMENT_KEY, "test").await);
    let field = |name: &str, value: &str| AdvancedFieldSelector::builder().field(name).equals(value).build().unwrap();
    let selector = |name: &str, fields: Vec<AdvancedFieldSelector>| {
        AdvancedEventSelector::builder().name(name).set_field_selectors(Some(fields)).build().unwrap()
    };
    let data = selector("S3 objects", vec![field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object")]);
    let reads = selector("Management reads", vec![field("eventCategory", "Management"), field("readOnly", "true")]);
    ct.put_event_selectors()
        .trail_name("baseline-trail")
        .advanced_event_selectors(data.clone())
        .advanced_event_selectors(reads)
        .send()
        .await
        .unwrap();

    let (first, apply, last) = converge(&moto.endpoint, dir.path());
    assert_eq!(first.status.code(), Some(2), "{}\n{}", stdout(&first), stderr(&first));
    assert!(stdout(&first).contains("cloudtrail.event_selectors"), "{}", stdout(&first));
    assert_eq!(apply.status.code(), Some(0), "{}\n{}", stdout(&apply), stderr(&apply));
    assert_eq!(last.status.code(), Some(0), "{}\n{}", stdout(&last), stderr(&last));
    // Basic selectors replace advanced ones on AWS (PutEventSelectors: "You can use either
    // AdvancedEventSelectors or EventSelectors, but not both"): none may have been written.
    let now = ct.get_event_selectors().trail_name("baseline-trail").send().await.unwrap();
    assert!(now.event_selectors().is_empty(), "{:?}", now.event_selectors());
    assert_eq!(now.advanced_event_selectors()[0], data, "the data-event selector is kept");
    assert_eq!(now.advanced_event_selectors()[1].field_selectors(), &[field("eventCategory", "Management")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_bucket_policy_is_reported_and_never_overwritten() {
    let moto = Moto::start();
    let dir = single_account_dir();
    let (_, apply, _) = converge(&moto.endpoint, dir.path());
    assert_eq!(apply.status.code(), Some(0), "{}\n{}", stdout(&apply), stderr(&apply));
    let s3 = s3_client(&moto.sdk_config(MANAGEMENT_KEY, "test").await);
    let before = s3.get_bucket_policy().bucket(SINGLE_BUCKET).send().await.unwrap().policy().unwrap().to_string();
    // A document baseline does not understand (here: no `Statement`), as if AWS had added a form it cannot parse.
    let garble = Rewrite::new(Match::rest("GET", &format!("/{SINGLE_BUCKET}/?policy")), |_, _| {
        r#"{"Version":"2012-10-17","Statements":[]}"#.to_string()
    });
    let proxy = FaultProxy::strict(&moto.endpoint, Vec::new(), vec![garble]);

    let (first, apply, _) = converge(&proxy.endpoint, dir.path());
    assert_eq!(first.status.code(), Some(1), "{}\n{}", stdout(&first), stderr(&first));
    let text = format!("{}{}", stdout(&first), stderr(&first));
    assert!(text.contains("s3.bucket_policy") && text.contains("will not overwrite"), "{text}");
    assert_eq!(apply.status.code(), Some(1), "{}\n{}", stdout(&apply), stderr(&apply));
    let after = s3.get_bucket_policy().bucket(SINGLE_BUCKET).send().await.unwrap().policy().unwrap().to_string();
    assert_eq!(after, before, "the policy is untouched");
}
