//! The central log bucket and the trail against the emulator: every drift in the issue is detected with a
//! readable before → after, repaired by apply, and the plan is clean afterwards; foreign things survive.

use aws_sdk_cloudtrail::types::{EventSelector, ReadWriteType};
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter, PublicAccessBlockConfiguration, VersioningConfiguration,
};
use baseline::engine::Action;
use baseline::resources::{Plan, ResourceChange};
use serde_json::{Value, json};

use crate::drift::{apply, plan};
use crate::harness::*;

const BUCKET: &str = "baseline-logs-123456789012-us-east-1";
const TRAIL: &str = "baseline-trail";
const TRAIL_ARN: &str = "arn:aws:cloudtrail:us-east-1:123456789012:trail/baseline-trail";

fn change<'a>(plan: &'a Plan, address: &str) -> &'a ResourceChange {
    plan.changes
        .iter()
        .find(|c| c.address.to_string() == format!("123456789012/{address}"))
        .unwrap_or_else(|| panic!("no change for {address}"))
}

/// `(name, before, after)` of a change's attributes.
fn attributes(change: &ResourceChange) -> Vec<(String, Option<String>, Option<String>)> {
    change.attributes.iter().map(|a| (a.name.clone(), a.before.clone(), a.after.clone())).collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

async fn converged(moto: &Moto, config: &str) {
    let desired = desired(config);
    let (report, _) = apply(moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (after, _) = plan(moto, &desired).await;
    assert!(!after.has_pending(), "{:?}", after.pending().map(|c| c.address.to_string()).collect::<Vec<_>>());
}

async fn s3(moto: &Moto) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(&moto.sdk_config("test", "test").await).force_path_style(true).build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn cloudtrail(moto: &Moto) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(&moto.sdk_config("test", "test").await)
}

#[tokio::test]
async fn trail_drift_is_detected_and_repaired() {
    let moto = Moto::start();
    converged(&moto, &shipped_config()).await;
    let ct = cloudtrail(&moto).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&moto.sdk_config("test", "test").await);
    let status = ct.get_trail_status().name(TRAIL).send().await.unwrap();
    assert_eq!(status.is_logging(), Some(true), "apply started logging");

    // Logging stopped, validation and multi-region off, CloudWatch Logs wiring removed, retention shortened,
    // management events narrowed to writes.
    ct.stop_logging().name(TRAIL).send().await.unwrap();
    ct.update_trail()
        .name(TRAIL)
        .enable_log_file_validation(false)
        .is_multi_region_trail(false)
        .cloud_watch_logs_log_group_arn("")
        .cloud_watch_logs_role_arn("")
        .send()
        .await
        .unwrap();
    logs.put_retention_policy().log_group_name("baseline-cloudtrail").retention_in_days(7).send().await.unwrap();
    let write_only =
        EventSelector::builder().read_write_type(ReadWriteType::WriteOnly).include_management_events(true).build();
    ct.put_event_selectors().trail_name(TRAIL).event_selectors(write_only).send().await.unwrap();

    let desired = desired(&shipped_config());
    let (drifted, _) = plan(&moto, &desired).await;
    let trail = change(&drifted, "us-east-1/cloudtrail.trail/baseline-trail");
    assert_eq!(trail.action, Action::Update);
    let attrs = attributes(trail);
    for expected in [
        ("is_multi_region_trail".to_string(), s("false"), s("true")),
        ("log_file_validation_enabled".to_string(), s("false"), s("true")),
        (
            "cloud_watch_logs_log_group_arn".to_string(),
            s("(none)"),
            s("arn:aws:logs:us-east-1:123456789012:log-group:baseline-cloudtrail:*"),
        ),
        (
            "cloud_watch_logs_role_arn".to_string(),
            s("(none)"),
            s("arn:aws:iam::123456789012:role/baseline-cloudtrail-to-cloudwatch-logs"),
        ),
    ] {
        assert!(attrs.contains(&expected), "{expected:?} not in {attrs:?}");
    }
    let logging = change(&drifted, "us-east-1/cloudtrail.logging/baseline-trail");
    assert_eq!(attributes(logging), vec![("is_logging".into(), s("false"), s("true"))]);
    let group = change(&drifted, "us-east-1/logs.log_group/baseline-cloudtrail");
    assert_eq!(attributes(group), vec![("retention_in_days".into(), s("7"), s("365"))]);
    let selectors = change(&drifted, "us-east-1/cloudtrail.event_selectors/baseline-trail");
    assert_eq!(selectors.action, Action::Update);
    assert_eq!(drifted.pending().count(), 4, "only the drifted resources change");

    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (repaired, _) = plan(&moto, &desired).await;
    assert!(!repaired.has_pending());
    let trails = ct.describe_trails().trail_name_list(TRAIL).send().await.unwrap();
    let trail = &trails.trail_list()[0];
    assert_eq!(trail.log_file_validation_enabled(), Some(true));
    assert_eq!(trail.is_multi_region_trail(), Some(true));
    assert_eq!(ct.get_trail_status().name(TRAIL).send().await.unwrap().is_logging(), Some(true));
    let selectors = ct.get_event_selectors().trail_name(TRAIL).send().await.unwrap();
    assert_eq!(selectors.event_selectors()[0].read_write_type(), Some(&ReadWriteType::All));
}

#[tokio::test]
async fn bucket_drift_is_detected_and_repaired_and_foreign_settings_survive() {
    let moto = Moto::start();
    converged(&moto, &shipped_config()).await;
    let s3 = s3(&moto).await;

    // A CloudTrail statement removed while a foreign statement is added.
    let policy = s3.get_bucket_policy().bucket(BUCKET).send().await.unwrap();
    let mut policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statements = policy["Statement"].as_array_mut().unwrap();
    statements.retain(|s| s["Sid"] != "BaselineCloudTrailWrite");
    let foreign = json!({
        "Sid": "AuditorsRead",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
        "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::{BUCKET}/*")
    });
    statements.push(foreign.clone());
    s3.put_bucket_policy().bucket(BUCKET).policy(policy.to_string()).send().await.unwrap();
    // Public access block loosened, encryption removed, versioning suspended.
    let loosened = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(false)
        .restrict_public_buckets(false)
        .build();
    s3.put_public_access_block().bucket(BUCKET).public_access_block_configuration(loosened).send().await.unwrap();
    s3.delete_bucket_encryption().bucket(BUCKET).send().await.unwrap();
    let suspended = VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build();
    s3.put_bucket_versioning().bucket(BUCKET).versioning_configuration(suspended).send().await.unwrap();
    // Our lifecycle rule shortened, and a foreign rule added.
    let rule = |id: &str, prefix: &str, days: i32| {
        LifecycleRule::builder()
            .id(id)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
            .expiration(LifecycleExpiration::builder().days(days).build())
            .build()
            .unwrap()
    };
    let lifecycle = BucketLifecycleConfiguration::builder()
        .rules(rule("baseline-log-retention", "", 30))
        .rules(rule("tmp-cleanup", "tmp/", 1))
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration().bucket(BUCKET).lifecycle_configuration(lifecycle).send().await.unwrap();

    let desired = desired(&shipped_config());
    let (drifted, _) = plan(&moto, &desired).await;
    let at = |kind: &str| format!("us-east-1/{kind}/{BUCKET}");
    let policy_change = change(&drifted, &at("s3.bucket_policy"));
    assert_eq!(policy_change.reason, "statement BaselineCloudTrailWrite missing");
    assert_eq!(policy_change.attributes[0].name, "statement[BaselineCloudTrailWrite]");
    assert_eq!(policy_change.attributes[0].before, None);
    assert_eq!(
        attributes(change(&drifted, &at("s3.bucket_public_access_block"))),
        vec![
            ("block_public_policy".into(), s("false"), s("true")),
            ("restrict_public_buckets".into(), s("false"), s("true")),
        ]
    );
    assert_eq!(
        attributes(change(&drifted, &at("s3.bucket_encryption"))),
        vec![("sse_algorithm".into(), s("(none)"), s("AES256"))]
    );
    assert_eq!(
        attributes(change(&drifted, &at("s3.bucket_versioning"))),
        vec![("versioning".into(), s("Suspended"), s("Enabled"))]
    );
    let lifecycle = attributes(change(&drifted, &at("s3.bucket_lifecycle")));
    assert!(lifecycle.contains(&("rule[baseline-log-retention].expiration_days".into(), s("30"), s("2557"))));
    assert_eq!(drifted.pending().count(), 5);

    repair_and_expect_clean(&moto, &desired).await;

    // The foreign statement and the foreign lifecycle rule survived.
    let policy = s3.get_bucket_policy().bucket(BUCKET).send().await.unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    assert!(statements.contains(&foreign), "{policy:#}");
    assert!(statements.iter().any(|s| s["Sid"] == "BaselineCloudTrailWrite"));
    let rules = s3.get_bucket_lifecycle_configuration().bucket(BUCKET).send().await.unwrap();
    let ids: Vec<&str> = rules.rules().iter().filter_map(|r| r.id()).collect();
    assert!(ids.contains(&"tmp-cleanup") && ids.contains(&"baseline-log-retention"), "{ids:?}");
}

/// An organization-style trail the baseline does not own already meets every requirement: nothing is created
/// for CloudTrail unless `require_own_trail` asks for it.
#[tokio::test]
async fn compliant_foreign_trail_satisfies_the_requirement() {
    let moto = Moto::start();
    let s3 = s3(&moto).await;
    s3.create_bucket().bucket("org-cloudtrail-logs").send().await.unwrap();
    let ct = cloudtrail(&moto).await;
    ct.create_trail()
        .name("org-trail")
        .s3_bucket_name("org-cloudtrail-logs")
        .is_multi_region_trail(true)
        .include_global_service_events(true)
        .enable_log_file_validation(true)
        .send()
        .await
        .unwrap();
    ct.start_logging().name("org-trail").send().await.unwrap();
    let all = EventSelector::builder().read_write_type(ReadWriteType::All).include_management_events(true).build();
    ct.put_event_selectors().trail_name("org-trail").event_selectors(all).send().await.unwrap();

    let config = shipped_config();
    let (found, _) = plan(&moto, &desired(&config)).await;
    let trail = change(&found, "us-east-1/cloudtrail.trail/baseline-trail");
    assert_eq!(trail.action, Action::NoOp);
    assert!(trail.reason.starts_with("satisfied by arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail"));
    assert!(found.pending().all(|c| !c.address.kind.starts_with("cloudtrail.") && c.address.kind != "logs.log_group"));

    let own = config.replace("# require_own_trail = false", "require_own_trail = true");
    let (own, _) = plan(&moto, &desired(&own)).await;
    assert_eq!(change(&own, "us-east-1/cloudtrail.trail/baseline-trail").action, Action::Create);
}

#[tokio::test]
async fn bucket_in_another_region_is_created_there() {
    let moto = Moto::start();
    let config = shipped_config()
        .replace("# region = \"us-east-1\"            # default: home_region", "region = \"eu-west-1\"");
    converged(&moto, &config).await;
    let location = s3(&moto).await.get_bucket_location().bucket("baseline-logs-123456789012-eu-west-1").send().await;
    let location = location.unwrap();
    assert_eq!(location.location_constraint().map(|c| c.as_str()), Some("eu-west-1"));
    let trails = cloudtrail(&moto).await.describe_trails().send().await.unwrap();
    let trail = &trails.trail_list()[0];
    assert_eq!(trail.s3_bucket_name(), Some("baseline-logs-123456789012-eu-west-1"));
    assert_eq!(trail.trail_arn(), Some(TRAIL_ARN));
}

/// Settings apply writes that used to go unread: management events excluded by source (basic, then advanced
/// selectors), the trail's, log group's and role's tags, the role's description, and the retention rule's filter,
/// storage class and multipart clean-up. Each is named in the plan, one apply repairs them all, and a second
/// apply writes nothing.
#[tokio::test]
async fn exclusions_tags_descriptions_and_lifecycle_fields_are_repaired_in_one_apply() {
    use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector, Tag};
    use aws_sdk_s3::types::{NoncurrentVersionExpiration, Transition, TransitionStorageClass};
    const ROLE: &str = "baseline-cloudtrail-to-cloudwatch-logs";
    let moto = Moto::start();
    converged(&moto, &shipped_config()).await;
    let sdk = moto.sdk_config("test", "test").await;
    let (ct, s3) = (cloudtrail(&moto).await, s3(&moto).await);
    let (logs, iam) = (aws_sdk_cloudwatchlogs::Client::new(&sdk), aws_sdk_iam::Client::new(&sdk));

    // The S3 data events the shipped baseline logs are kept: only the exclusion drifts.
    let all_objects =
        aws_sdk_cloudtrail::types::DataResource::builder().r#type("AWS::S3::Object").values("arn:aws:s3").build();
    let kms_excluded = EventSelector::builder()
        .read_write_type(ReadWriteType::All)
        .include_management_events(true)
        .exclude_management_event_sources("kms.amazonaws.com")
        .data_resources(all_objects)
        .build();
    ct.put_event_selectors().trail_name(TRAIL).event_selectors(kms_excluded).send().await.unwrap();
    let someone = Tag::builder().key("managed-by").value("someone").build().unwrap();
    ct.add_tags().resource_id(TRAIL_ARN).tags_list(someone).send().await.unwrap();
    let group_arn = "arn:aws:logs:us-east-1:123456789012:log-group:baseline-cloudtrail";
    logs.untag_resource().resource_arn(group_arn).tag_keys("managed-by").send().await.unwrap();
    iam.untag_role().role_name(ROLE).tag_keys("managed-by").send().await.unwrap();
    iam.update_role().role_name(ROLE).description("edited").send().await.unwrap();
    let narrowed = LifecycleRule::builder()
        .id("baseline-log-retention")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("nothing/").build())
        .transitions(Transition::builder().days(90).storage_class(TransitionStorageClass::StandardIa).build())
        .expiration(LifecycleExpiration::builder().days(2557).build())
        .noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(90).build())
        .build()
        .unwrap();
    let lifecycle = BucketLifecycleConfiguration::builder().rules(narrowed).build().unwrap();
    s3.put_bucket_lifecycle_configuration().bucket(BUCKET).lifecycle_configuration(lifecycle).send().await.unwrap();

    let desired = desired(&shipped_config());
    let (drifted, _) = plan(&moto, &desired).await;
    let trail = "us-east-1/cloudtrail";
    assert_eq!(
        attributes(change(&drifted, &format!("{trail}.event_selectors/{TRAIL}"))),
        vec![("excluded_management_event_sources".into(), s("kms.amazonaws.com"), s("(none)"))]
    );
    let managed_by = |before: Option<&str>| ("tags.managed-by".to_string(), before.map(str::to_string), s("baseline"));
    assert_eq!(attributes(change(&drifted, &format!("{trail}.trail/{TRAIL}"))), vec![managed_by(Some("someone"))]);
    assert_eq!(attributes(change(&drifted, "us-east-1/logs.log_group/baseline-cloudtrail")), vec![managed_by(None)]);
    let role = attributes(change(&drifted, &format!("global/iam.role/{ROLE}")));
    assert_eq!(role[0], ("description".into(), s("edited"), s(baseline::resources::cloudtrail::ROLE_DESCRIPTION)));
    assert_eq!(role[1], managed_by(None));
    let rule = |field: &str| format!("rule[baseline-log-retention].{field}");
    assert_eq!(
        attributes(change(&drifted, &format!("us-east-1/s3.bucket_lifecycle/{BUCKET}"))),
        vec![
            (rule("filter"), s("prefix nothing/"), s("(whole bucket)")),
            (rule("transition_storage_class"), s("STANDARD_IA"), s("GLACIER")),
            (rule("abort_incomplete_multipart_upload_days"), s("0"), s("7")),
        ]
    );
    assert_eq!(drifted.pending().count(), 5);

    repair_and_expect_clean(&moto, &desired).await;
    let selectors = ct.get_event_selectors().trail_name(TRAIL).send().await.unwrap();
    assert!(selectors.event_selectors()[0].exclude_management_event_sources().is_empty());

    // The same exclusion on advanced selectors: the management selector loses it, the data selector stays.
    let field = |name: &str| AdvancedFieldSelector::builder().field(name);
    let data = AdvancedEventSelector::builder()
        .name("S3 objects")
        .field_selectors(field("eventCategory").equals("Data").build().unwrap())
        .field_selectors(field("resources.type").equals("AWS::S3::Object").build().unwrap())
        .build()
        .unwrap();
    let management = AdvancedEventSelector::builder()
        .name("Management")
        .field_selectors(field("eventCategory").equals("Management").build().unwrap())
        .field_selectors(field("eventSource").not_equals("kms.amazonaws.com").build().unwrap())
        .build()
        .unwrap();
    let put = ct.put_event_selectors().trail_name(TRAIL).advanced_event_selectors(data.clone());
    put.advanced_event_selectors(management).send().await.unwrap();
    let (drifted, _) = plan(&moto, &desired).await;
    assert_eq!(
        attributes(change(&drifted, &format!("{trail}.event_selectors/{TRAIL}"))),
        vec![("excluded_management_event_sources".into(), s("kms.amazonaws.com"), s("(none)"))]
    );
    assert_eq!(drifted.pending().count(), 1);
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (repaired, counts) = plan(&moto, &desired).await;
    assert!(!repaired.has_pending() && counts.writes == 0);
    let selectors = ct.get_event_selectors().trail_name(TRAIL).send().await.unwrap();
    let advanced = selectors.advanced_event_selectors();
    assert_eq!(advanced[0], data, "the data selector is kept");
    assert_eq!(advanced[1].field_selectors().len(), 1, "{:?}", advanced[1]);
}

/// MFA delete asked for: no lifecycle rule is written (S3 does not support both), and turning it on is a manual
/// action for the root user until GetBucketVersioning reports it. The emulator drops `MFADelete`, so a strict
/// proxy answers as AWS does once it is on (`<MfaDelete>Enabled</MfaDelete>`, S3 API reference,
/// GetBucketVersioning).
#[tokio::test(flavor = "multi_thread")]
async fn mfa_delete_is_a_manual_action_until_the_bucket_reports_it() {
    use crate::fault_proxy::{FaultProxy, Match, Rewrite};
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let config = two_region_config()
        .replacen("transition_days = 90", "mfa_delete = true\ntransition_days = 0", 1)
        .replacen("expiration_days = 2557", "expiration_days = 0", 1)
        .replacen("noncurrent_expiration_days = 90", "noncurrent_expiration_days = 0", 1);
    std::fs::write(dir.path().join("baseline.toml"), &config).unwrap();
    let out = moto.cli(dir.path(), &["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let s3 = aws_sdk_s3::Client::new(&moto.sdk_config("test", "test").await);
    let lifecycle = s3.get_bucket_lifecycle_configuration().bucket(BUCKET).send().await;
    assert!(lifecycle.is_err(), "no lifecycle configuration on a bucket meant for MFA delete: {lifecycle:?}");
    let out = moto.cli(dir.path(), &["plan", "--detailed-exitcode", "--fail-on-manual"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).contains("s3.bucket_mfa_delete/baseline-logs-"), "{}", stdout(&out));
    assert!(stdout(&out).contains("MFADelete=Enabled --mfa"), "{}", stdout(&out));

    let on = Rewrite::new(Match::rest("GET", "?versioning"), |_, answer| {
        answer.replace("</Status>", "</Status><MfaDelete>Enabled</MfaDelete>")
    });
    let proxy = FaultProxy::strict(&moto.endpoint, Vec::new(), vec![on]);
    let out = cli_with_endpoint(dir.path(), &proxy.endpoint, &["plan"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("s3.bucket_mfa_delete"), "{}", stdout(&out));
}

/// One apply repairs everything, and the next plan is clean and writes nothing.
async fn repair_and_expect_clean(moto: &Moto, desired: &baseline::config::Desired) {
    let (report, _) = apply(moto, desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (repaired, counts) = plan(moto, desired).await;
    assert!(!repaired.has_pending(), "{:?}", repaired.pending().map(|c| c.address.to_string()).collect::<Vec<_>>());
    assert_eq!(counts.writes, 0);
}
