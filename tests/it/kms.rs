//! KMS keys of the log archive and the trail against the emulator: keys named by alias converge, a removed
//! trail key is cleared, a bucket encrypted more strongly than the baseline asks keeps its encryption, and the
//! key policy is checked for the services that deliver with the key.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::types::{
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use aws_sdk_sts::config::Credentials;
use baseline::aws::{ErrorKind, Session};
use baseline::engine::{Action, NoticeLevel};
use baseline::resources::Plan;
use serde_json::json;

use crate::drift::{apply, plan};
use crate::fault_proxy::{FaultProxy, Faults, Match, Rule};
use crate::harness::*;

const BUCKET: &str = "baseline-logs-123456789012-us-east-1";
const TRAIL: &str = "baseline-trail";
const ALIAS: &str = "arn:aws:kms:us-east-1:123456789012:alias/logs";

/// The log archive and the trail, with `[log_archive]` and `[cloudtrail]` lines added.
fn config(archive: &str, trail: &str) -> String {
    format!(
        "[baseline]\nhome_region = \"us-east-1\"\n[s3]\naccount_public_access_block = false\n\
         [log_archive]\nbucket = \"baseline-logs-{{account_id}}-{{region}}\"\n{archive}\n[cloudtrail]\n{trail}\n"
    )
}

async fn kms(moto: &Moto) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::new(&moto.sdk_config("test", "test").await)
}

async fn s3(moto: &Moto) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(&moto.sdk_config("test", "test").await).force_path_style(true).build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn cloudtrail(moto: &Moto) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(&moto.sdk_config("test", "test").await)
}

/// A customer managed key with the alias `alias/logs`; its key ARN.
async fn key_with_alias(moto: &Moto) -> String {
    let kms = kms(moto).await;
    let key = kms.create_key().description("log archive").send().await.unwrap();
    let key = key.key_metadata().unwrap();
    kms.create_alias().alias_name("alias/logs").target_key_id(key.key_id()).send().await.unwrap();
    key.arn().unwrap().to_string()
}

fn pending(plan: &Plan) -> Vec<String> {
    plan.pending().map(|c| format!("{} {:?}", c.address, c.attributes)).collect()
}

async fn default_encryption(moto: &Moto) -> (String, Option<String>) {
    let out = s3(moto).await.get_bucket_encryption().bucket(BUCKET).send().await.unwrap();
    let rule = &out.server_side_encryption_configuration().unwrap().rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    (default.sse_algorithm().as_str().to_string(), default.kms_master_key_id().map(str::to_string))
}

/// Default encryption with `key`, with an S3 Bucket Key for SSE-KMS (as baseline writes it).
async fn encrypt_bucket(moto: &Moto, algorithm: ServerSideEncryption, key: &str) {
    let bucket_key = algorithm == ServerSideEncryption::AwsKms;
    let default =
        ServerSideEncryptionByDefault::builder().sse_algorithm(algorithm).kms_master_key_id(key).build().unwrap();
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .bucket_key_enabled(bucket_key)
        .build();
    let config = ServerSideEncryptionConfiguration::builder().rules(rule).build().unwrap();
    s3(moto)
        .await
        .put_bucket_encryption()
        .bucket(BUCKET)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .unwrap();
}

/// The trail and the bucket name the key by alias: apply converges, and the next plan is clean both with what
/// the emulator stores (the alias as sent) and with what AWS answers (DescribeTrails gives the trail's key as
/// "a fully specified ARN to a KMS key" even when an alias was sent; the bucket's key is compared the same
/// way). The alias is looked up once per plan, for both resources.
#[tokio::test]
async fn keys_named_by_alias_converge_and_are_looked_up_once() {
    let moto = Moto::start();
    let key_arn = key_with_alias(&moto).await;
    let desired = desired(&config(&format!("kms_key_arn = \"{ALIAS}\""), &format!("kms_key_arn = \"{ALIAS}\"")));
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (after, _) = plan(&moto, &desired).await;
    assert!(!after.has_pending() && after.errors.is_empty(), "{:?} {:?}", pending(&after), after.errors);

    // What AWS reports after that apply: the key ARN, not the alias.
    cloudtrail(&moto).await.update_trail().name(TRAIL).kms_key_id(&key_arn).send().await.unwrap();
    encrypt_bucket(&moto, ServerSideEncryption::AwsKms, &key_arn).await;
    let session = moto.session().await;
    let target = target(&session, &desired).await;
    let reported = baseline::plan(&desired, &target).await;
    assert!(!reported.has_pending() && reported.errors.is_empty(), "{:?} {:?}", pending(&reported), reported.errors);
    let describes: Vec<_> =
        session.guard.by_operation().into_iter().filter(|(op, _)| op.ends_with("DescribeKey")).collect();
    assert_eq!(describes.len(), 1, "{describes:?}");
    assert_eq!(describes[0].1.reads, 1, "one lookup for the bucket's and the trail's alias: {describes:?}");

    // Another key on the trail is still drift, shown as the key ARN AWS reports against the alias.
    let other = kms(&moto).await.create_key().send().await.unwrap().key_metadata().unwrap().arn().unwrap().to_string();
    cloudtrail(&moto).await.update_trail().name(TRAIL).kms_key_id(&other).send().await.unwrap();
    let (drifted, _) = plan(&moto, &desired).await;
    let trail = drifted.pending().find(|c| c.address.kind == "cloudtrail.trail").expect("trail drift");
    let kms_key = trail.attributes.iter().find(|a| a.name == "kms_key_id").unwrap();
    assert_eq!((kms_key.before.as_deref(), kms_key.after.as_deref()), (Some(other.as_str()), Some(ALIAS)));
}

async fn session_at(endpoint: &str) -> Session {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .http_client(baseline::aws::http_client())
        .load()
        .await;
    Session::from_sdk_config(sdk)
}

/// When the caller may not describe the key, the alias cannot be compared with the key ARN AWS reports: the
/// trail and the bucket's encryption become plan errors naming the key and the permission; the rest of the
/// plan stands.
#[tokio::test(flavor = "multi_thread")]
async fn an_alias_that_cannot_be_looked_up_is_a_plan_error_for_its_resources() {
    let moto = Moto::start();
    let key_arn = key_with_alias(&moto).await;
    let desired = desired(&config(&format!("kms_key_arn = \"{ALIAS}\""), &format!("kms_key_arn = \"{ALIAS}\"")));
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    cloudtrail(&moto).await.update_trail().name(TRAIL).kms_key_id(&key_arn).send().await.unwrap();
    encrypt_bucket(&moto, ServerSideEncryption::AwsKms, &key_arn).await;

    // KMS answers AccessDeniedException (HTTP 400) to a caller whose policies do not allow kms:DescribeKey on
    // the key (AWS KMS API Reference, DescribeKey, Errors).
    let rule = Rule {
        when: Match::target("DescribeKey"),
        status: 400,
        code: Some("AccessDeniedException".into()),
        message: "User: arn:aws:iam::123456789012:user/test is not authorized to perform: kms:DescribeKey".into(),
    };
    let proxy = FaultProxy::start(&moto.endpoint, Faults::none(), Some(rule));
    let session = session_at(&proxy.endpoint).await;
    let target = target(&session, &desired).await;
    let denied = baseline::plan(&desired, &target).await;
    let errors: Vec<String> = denied.errors.iter().map(|e| e.address.to_string()).collect();
    assert_eq!(
        errors,
        [
            format!("{ACCOUNT}/{REGION}/cloudtrail.trail/{TRAIL}"),
            format!("{ACCOUNT}/{REGION}/s3.bucket_encryption/{BUCKET}")
        ]
    );
    for e in &denied.errors {
        assert_eq!((e.error.action.as_str(), e.error.kind), ("kms:DescribeKey", ErrorKind::AccessDenied));
        assert!(e.error.message.contains(ALIAS), "{}", e.error.message);
        assert!(e.error.hint().contains("`kms:DescribeKey`"), "{}", e.error.hint());
    }
    assert!(denied.changes.iter().all(|c| !["cloudtrail.trail", "s3.bucket_encryption"].contains(&c.address.kind)));
    assert!(denied.changes.iter().any(|c| c.address.kind == "cloudtrail.logging"), "the rest is planned");
    assert!(!denied.has_pending(), "{:?}", pending(&denied));
}

/// Removing `kms_key_arn` from [cloudtrail] plans an update to no key, and apply clears it: UpdateTrail keeps
/// a field it is not sent, and an empty KmsKeyId is its documented way to stop using SSE-KMS.
#[tokio::test]
async fn removing_the_trail_key_clears_it() {
    let moto = Moto::start();
    let key_arn = key_with_alias(&moto).await;
    let with_key = desired(&config("", &format!("kms_key_arn = \"{key_arn}\"")));
    let (report, _) = apply(&moto, &with_key).await;
    assert!(report.succeeded(), "{report:?}");
    let trail = |ct: aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsOutput| {
        ct.trail_list()[0].kms_key_id().filter(|k| !k.is_empty()).map(str::to_string)
    };
    let ct = cloudtrail(&moto).await;
    assert_eq!(trail(ct.describe_trails().send().await.unwrap()), Some(key_arn.clone()));

    let without = desired(&config("", ""));
    let (removed, _) = plan(&moto, &without).await;
    let change = removed.pending().find(|c| c.address.kind == "cloudtrail.trail").expect("trail update");
    assert_eq!(change.action, Action::Update);
    let kms_key = change.attributes.iter().find(|a| a.name == "kms_key_id").unwrap();
    assert_eq!((kms_key.before.as_deref(), kms_key.after.as_deref()), (Some(key_arn.as_str()), Some("(none)")));

    let (report, _) = apply(&moto, &without).await;
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(trail(ct.describe_trails().send().await.unwrap()), None);
    let (after, counts) = plan(&moto, &without).await;
    assert!(!after.has_pending(), "{:?}", pending(&after));
    assert_eq!(counts.writes, 0);
}

/// With `kms_key_arn`, the S3 Bucket Key apply turns on is compared: turned off by hand, it is named and put
/// back by one apply.
#[tokio::test]
async fn a_bucket_key_turned_off_is_turned_back_on() {
    let moto = Moto::start();
    let key_arn = key_with_alias(&moto).await;
    let desired = desired(&config(&format!("kms_key_arn = \"{key_arn}\""), ""));
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::AwsKms)
        .kms_master_key_id(&key_arn)
        .build()
        .unwrap();
    let rule =
        ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(default).bucket_key_enabled(false);
    let config = ServerSideEncryptionConfiguration::builder().rules(rule.build()).build().unwrap();
    let s3 = s3(&moto).await;
    s3.put_bucket_encryption().bucket(BUCKET).server_side_encryption_configuration(config).send().await.unwrap();

    let (drifted, _) = plan(&moto, &desired).await;
    let encryption = drifted.pending().find(|c| c.address.kind == "s3.bucket_encryption").expect("encryption drift");
    let attrs: Vec<_> =
        encryption.attributes.iter().map(|a| (a.name.as_str(), a.before.as_deref(), a.after.as_deref())).collect();
    assert_eq!(attrs, [("bucket_key_enabled", Some("false"), Some("true"))]);
    assert_eq!(drifted.pending().count(), 1, "{:?}", pending(&drifted));
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (after, counts) = plan(&moto, &desired).await;
    assert!(!after.has_pending(), "{:?}", pending(&after));
    assert_eq!(counts.writes, 0);
    let out = s3.get_bucket_encryption().bucket(BUCKET).send().await.unwrap();
    assert_eq!(out.server_side_encryption_configuration().unwrap().rules()[0].bucket_key_enabled(), Some(true));
}

/// Without `kms_key_arn`, a bucket already encrypted with SSE-KMS keeps it: SSE-KMS is stronger than the SSE-S3
/// the baseline asks for.
#[tokio::test]
async fn a_kms_encrypted_bucket_is_not_downgraded() {
    let moto = Moto::start();
    let key_arn = key_with_alias(&moto).await;
    s3(&moto).await.create_bucket().bucket(BUCKET).send().await.unwrap();
    encrypt_bucket(&moto, ServerSideEncryption::AwsKms, &key_arn).await;

    let desired = desired(&config("", ""));
    let (planned, _) = plan(&moto, &desired).await;
    let encryption = planned.changes.iter().find(|c| c.address.kind == "s3.bucket_encryption").unwrap();
    assert_eq!(encryption.action, Action::NoOp, "{:?}", encryption.attributes);
    assert!(encryption.reason.contains("stronger"), "{}", encryption.reason);

    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(default_encryption(&moto).await, ("aws:kms".to_string(), Some(key_arn)));
    let (after, _) = plan(&moto, &desired).await;
    assert!(!after.has_pending(), "{:?}", pending(&after));
}

/// With a key, its policy is checked for what CloudTrail needs to encrypt with it: a warning gives the
/// statements to add, and goes away once the key policy has them. The baseline never writes the key policy.
#[tokio::test]
async fn a_key_policy_without_the_cloudtrail_statements_is_a_warning_until_they_are_added() {
    let moto = Moto::start();
    let key_arn = key_with_alias(&moto).await;
    let desired = desired(&config(&format!("kms_key_arn = \"{ALIAS}\""), &format!("kms_key_arn = \"{ALIAS}\"")));
    let warnings = |plan: &Plan| -> Vec<String> {
        plan.notices
            .iter()
            .filter(|n| n.level == NoticeLevel::Warning && n.address.kind == "s3.bucket_encryption")
            .map(|n| n.message.clone())
            .collect()
    };
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (planned, _) = plan(&moto, &desired).await;
    let found = warnings(&planned);
    assert_eq!(found.len(), 1, "{:?}", planned.notices);
    assert!(
        found[0].starts_with(&format!("the key policy of {ALIAS} does not let CloudTrail use the key")),
        "{}",
        found[0]
    );
    let statements: serde_json::Value = serde_json::from_str(&found[0][found[0].find(": [").unwrap() + 2..]).unwrap();
    let sids: Vec<&str> = statements.as_array().unwrap().iter().map(|s| s["Sid"].as_str().unwrap()).collect();
    assert_eq!(sids, ["AllowCloudTrailEncryptLogs", "AllowCloudTrailDecryptTrail", "AllowCloudTrailAccess"]);

    let kms = kms(&moto).await;
    let current = kms.get_key_policy().key_id(&key_arn).policy_name("default").send().await.unwrap();
    let mut policy: serde_json::Value = serde_json::from_str(current.policy().unwrap()).unwrap();
    let untouched = policy.clone();
    assert_eq!(policy["Statement"].as_array().unwrap().len(), 1, "apply did not write the key policy: {policy}");
    policy["Statement"].as_array_mut().unwrap().extend(statements.as_array().unwrap().iter().cloned());
    kms.put_key_policy().key_id(&key_arn).policy_name("default").policy(policy.to_string()).send().await.unwrap();
    let (fixed, _) = plan(&moto, &desired).await;
    assert!(warnings(&fixed).is_empty(), "{:?}", fixed.notices);
    assert_ne!(policy, untouched);
    assert_eq!(policy["Statement"][0], json!(untouched["Statement"][0]));
}

const TRAIL_ALIAS: &str = "alias/baseline-cloudtrail";

fn trail_key_config() -> String {
    config(
        "access_log_bucket = \"baseline-access-logs-{account_id}-{region}\"",
        "kms_key_alias = \"baseline-cloudtrail\"",
    )
}

async fn key_policy(kms: &aws_sdk_kms::Client, key: &str) -> serde_json::Value {
    let out = kms.get_key_policy().key_id(key).policy_name("default").send().await.unwrap();
    serde_json::from_str(out.policy().unwrap()).unwrap()
}

fn sids(policy: &serde_json::Value) -> Vec<String> {
    policy["Statement"].as_array().unwrap().iter().filter_map(|s| s["Sid"].as_str().map(str::to_string)).collect()
}

/// CIS's encrypted trail and logged archive from an empty account: the key is created under its alias with
/// rotation on, the trail encrypts with it, the archive logs its access into the access-log bucket, and the
/// next plan is clean with the trail's key looked up once.
#[tokio::test]
async fn the_trails_own_key_and_the_archives_access_logs_are_created_and_converge() {
    let moto = Moto::start();
    let desired = desired(&trail_key_config());
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");

    let kms = kms(&moto).await;
    let key = kms.describe_key().key_id(TRAIL_ALIAS).send().await.unwrap();
    let key = key.key_metadata().unwrap();
    assert_eq!(key.key_manager().map(|m| m.as_str()), Some("CUSTOMER"));
    assert!(kms.get_key_rotation_status().key_id(key.key_id()).send().await.unwrap().key_rotation_enabled());
    let policy = key_policy(&kms, key.key_id()).await;
    assert_eq!(
        sids(&policy),
        [
            "BaselineKeyAdministration",
            "BaselineCloudTrailEncrypt",
            "BaselineCloudTrailDescribeKey",
            "BaselineCloudTrailLogDecrypt"
        ]
    );
    let trails = cloudtrail(&moto).await.describe_trails().trail_name_list(TRAIL).send().await.unwrap();
    let configured = trails.trail_list()[0].kms_key_id().unwrap().to_string();
    assert!(
        configured == format!("arn:aws:kms:us-east-1:123456789012:{TRAIL_ALIAS}") || configured == key.arn().unwrap(),
        "{configured}"
    );
    let logging = s3(&moto).await.get_bucket_logging().bucket(BUCKET).send().await.unwrap();
    let logging = logging.logging_enabled().expect("access logging on");
    assert_eq!(
        (logging.target_bucket(), logging.target_prefix()),
        ("baseline-access-logs-123456789012-us-east-1", format!("{BUCKET}/").as_str())
    );

    let session = moto.session().await;
    let target = target(&session, &desired).await;
    let after = baseline::plan(&desired, &target).await;
    assert!(!after.has_pending() && after.errors.is_empty(), "{:?} {:?}", pending(&after), after.errors);
    let describes = session.guard.by_operation().into_iter().find(|(op, _)| op.ends_with("DescribeKey")).unwrap();
    assert_eq!(describes.1.reads, 1, "the key family and the trail share one lookup of the alias");
}

/// A key already under the alias is adopted: no second key, its foreign statements kept, rotation turned on; a
/// key pending deletion is brought back rather than replaced.
#[tokio::test]
async fn an_existing_key_under_the_alias_is_adopted_and_brought_back_from_deletion() {
    let moto = Moto::start();
    let kms = kms(&moto).await;
    let foreign = json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "Auditors", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/auditor"}, "Action": "kms:DescribeKey", "Resource": "*"}
        ]
    });
    let key = kms.create_key().policy(foreign.to_string()).send().await.unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_string();
    kms.create_alias().alias_name(TRAIL_ALIAS).target_key_id(&key_id).send().await.unwrap();
    let desired = desired(&trail_key_config());

    let (planned, _) = plan(&moto, &desired).await;
    let key_changes: Vec<String> =
        planned.pending().filter(|c| c.address.kind.starts_with("kms.")).map(|c| c.address.kind.to_string()).collect();
    assert_eq!(key_changes, ["kms.key", "kms.key_policy", "kms.key_rotation"], "{:?}", pending(&planned));
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(kms.list_keys().send().await.unwrap().keys().len(), 1, "no second key");
    let policy = key_policy(&kms, &key_id).await;
    assert!(
        sids(&policy).contains(&"Auditors".to_string())
            && sids(&policy).contains(&"BaselineCloudTrailEncrypt".to_string())
    );
    assert!(kms.get_key_rotation_status().key_id(&key_id).send().await.unwrap().key_rotation_enabled());

    kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
    let (planned, _) = plan(&moto, &desired).await;
    let change = planned.pending().find(|c| c.address.kind == "kms.key").expect("the key is brought back");
    assert_eq!(change.attributes[0].before.as_deref(), Some("PendingDeletion"));
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let state = kms.describe_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(state.key_metadata().unwrap().key_state().map(|s| s.as_str()), Some("Enabled"));
    let (clean, _) = plan(&moto, &desired).await;
    assert!(!clean.has_pending(), "{:?}", pending(&clean));
}
