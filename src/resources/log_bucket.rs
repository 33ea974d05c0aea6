//! The central log archive bucket (hardened, with a bucket policy letting CloudTrail and AWS Config write)
//! and the account-level S3 Block Public Access settings.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint, BucketLoggingStatus,
    BucketVersioningStatus, CreateBucketConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter, LoggingEnabled, NoncurrentVersionExpiration, ObjectOwnership, OwnershipControls,
    OwnershipControlsRule, PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging, Transition, TransitionStorageClass,
    VersioningConfiguration,
};
use serde_json::{Value, json};

use super::{Operation, report_unreadable};
use super::{Plan, ResourceChange};
use crate::aws::{self, AwsError, ErrorKind};
use crate::config::{Desired, Lifecycle, LogArchive};
use crate::engine::{Action, Address, AttributeChange, EventSink, Notice, NoticeLevel};
use crate::policy::{self, PolicyDocument};
use crate::target::{Scope, Target};

pub const BUCKET: &str = "s3.bucket";
pub const OWNERSHIP: &str = "s3.bucket_ownership";
pub const PUBLIC_ACCESS_BLOCK: &str = "s3.bucket_public_access_block";
pub const ENCRYPTION: &str = "s3.bucket_encryption";
pub const VERSIONING: &str = "s3.bucket_versioning";
pub const LIFECYCLE: &str = "s3.bucket_lifecycle";
pub use super::wiring::BUCKET_POLICY;
pub const MFA_DELETE: &str = "s3.bucket_mfa_delete";
pub const LOGGING: &str = "s3.bucket_logging";

/// Whether an address kind is the bucket or one of its settings.
pub fn is_bucket_kind(kind: &str) -> bool {
    [BUCKET, OWNERSHIP, PUBLIC_ACCESS_BLOCK, ENCRYPTION, VERSIONING, LIFECYCLE, BUCKET_POLICY, MFA_DELETE, LOGGING]
        .contains(&kind)
}

/// The lifecycle rule the baseline owns; other rules on the bucket are kept.
pub const LIFECYCLE_RULE_ID: &str = "baseline-log-retention";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encryption {
    pub algorithm: String,
    pub kms_key: Option<String>,
    /// Whether S3 Bucket Keys are on (`BucketKeyEnabled`).
    pub bucket_key: bool,
}

/// The baseline's lifecycle rule as found on the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionRule {
    pub enabled: bool,
    /// Which objects the rule covers, in words (see [`rule_scope`]); empty: the whole bucket.
    pub filter: String,
    pub transition_days: u32,
    /// The first transition's storage class; empty without a transition.
    pub transition_storage_class: String,
    pub expiration_days: u32,
    pub noncurrent_expiration_days: u32,
    pub abort_incomplete_multipart_days: u32,
}

/// Days after which incomplete multipart uploads are aborted by the baseline's rule.
const ABORT_MULTIPART_DAYS: u32 = 7;

/// The rule [`retention`] writes, as observation would read it back.
pub fn wanted_rule(lc: &Lifecycle) -> RetentionRule {
    RetentionRule {
        enabled: true,
        filter: String::new(),
        transition_days: lc.transition_days,
        transition_storage_class: if lc.transition_days > 0 {
            TransitionStorageClass::Glacier.as_str().to_string()
        } else {
            String::new()
        },
        expiration_days: lc.expiration_days,
        noncurrent_expiration_days: lc.noncurrent_expiration_days,
        abort_incomplete_multipart_days: ABORT_MULTIPART_DAYS,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BucketState {
    pub region: String,
    pub tags: BTreeMap<String, String>,
    pub ownership: Option<String>,
    pub public_access_block: Option<[bool; 4]>,
    pub encryption: Option<Encryption>,
    pub versioning: Option<String>,
    /// `MFADelete` of the versioning configuration is `Enabled`.
    pub mfa_delete: bool,
    pub retention: Option<RetentionRule>,
    pub policy: Option<PolicyDocument>,
    /// The bucket has a policy baseline cannot parse (see [`super::unreadable_policy`]).
    pub unreadable_policy: Option<String>,
    /// Server access logging: the target bucket and prefix.
    pub logging: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    CreateBucket {
        bucket: String,
        region: String,
        tags: BTreeMap<String, String>,
    },
    TagBucket {
        bucket: String,
        tags: BTreeMap<String, String>,
    },
    EnforceBucketOwner {
        bucket: String,
    },
    BlockPublicAccess {
        bucket: String,
    },
    /// `dual_layer`: keep DSSE-KMS (`aws:kms:dsse`) the bucket already has while changing its key.
    Encrypt {
        bucket: String,
        kms_key: Option<String>,
        dual_layer: bool,
    },
    EnableVersioning {
        bucket: String,
    },
    PutRetentionRule {
        bucket: String,
        lifecycle: Lifecycle,
    },
    PutPolicy {
        bucket: String,
        statements: Vec<Value>,
    },
    /// Server access logging of `bucket` into `target_bucket` under `prefix`.
    LogAccess {
        bucket: String,
        target_bucket: String,
        prefix: String,
    },
}

pub use super::wiring::{BucketLocation, location};

/// Who may write to the bucket: the statements are built from lists so that an organization run can pass
/// every member account and trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writers {
    pub accounts: Vec<String>,
    /// The organization all `accounts` belong to (an organization run): the statements name it
    /// (`aws:SourceOrgID`) instead of listing every account, so the policy's size does not grow with the
    /// organization.
    pub organization_id: Option<String>,
    /// Each writer's trail; in an organization, one ARN with `*` for the account.
    pub trail_arns: Vec<String>,
    pub cloudtrail_prefix: Option<String>,
    /// The Cost and Usage Report's prefix when the report is delivered to this bucket.
    pub billing_report_prefix: Option<String>,
    /// That report's definition ARN: only the bucket's owner may deliver a report to it (the account that
    /// creates a report must own its bucket), so only its definition is allowed.
    pub billing_report_definition: Option<String>,
    /// AWS Config's delivery prefix.
    pub config_prefix: Option<String>,
}

/// `accounts`: every account delivering to the bucket (the owner alone outside organization runs);
/// `organization_id`: the organization they all belong to, when the run covers an organization. Each
/// account's trail has the same name in the same home region.
pub fn writers(desired: &Desired, scope: &Scope, accounts: &[String], organization_id: Option<&str>) -> Writers {
    let trail_arns = desired
        .cloudtrail
        .iter()
        .flat_map(|ct| {
            let accounts = match organization_id {
                Some(_) => vec!["*".to_string()],
                None => accounts.to_vec(),
            };
            accounts.into_iter().map(|account_id| {
                let member = Scope { account_id, ..scope.clone() };
                super::wiring::trail_arn(&member, &ct.trail)
            })
        })
        .collect();
    Writers {
        accounts: accounts.to_vec(),
        organization_id: organization_id.map(str::to_string),
        trail_arns,
        cloudtrail_prefix: desired.cloudtrail.as_ref().and_then(|ct| ct.s3_key_prefix.clone()),
        billing_report_prefix: desired
            .billing_reports
            .as_ref()
            .filter(|r| r.bucket.is_none())
            .map(|r| r.prefix.clone()),
        billing_report_definition: desired
            .billing_reports
            .as_ref()
            .filter(|r| r.bucket.is_none())
            .map(|r| format!("arn:{}:cur:us-east-1:{}:definition/{}", scope.partition, scope.account_id, r.report)),
        config_prefix: desired.config.as_ref().and_then(|c| c.delivery_prefix.clone()),
    }
}

/// The statements the baseline owns in the bucket policy. Each service may write only under its own path
/// and only for the writers' resources (confused-deputy protection): by account and trail ARN, or, in an
/// organization, by organization id and trail name.
pub fn owned_statements(partition: &str, bucket: &str, writers: &Writers) -> Vec<Value> {
    let bucket_arn = format!("arn:{partition}:s3:::{bucket}");
    let objects = |prefix: Option<&str>, suffix: &str| -> Vec<String> {
        let prefix = prefix.map(|p| format!("{}/", p.trim_end_matches('/'))).unwrap_or_default();
        match writers.organization_id {
            Some(_) => vec![format!("{bucket_arn}/{prefix}AWSLogs/*{suffix}")],
            None => writers.accounts.iter().map(|a| format!("{bucket_arn}/{prefix}AWSLogs/{a}/{suffix}")).collect(),
        }
    };
    let organization = writers.organization_id.is_some();
    let source = || match &writers.organization_id {
        Some(org) => json!({ "aws:SourceOrgID": org }),
        None => json!({ "aws:SourceAccount": writers.accounts }),
    };
    let mut statements = vec![deny_insecure_transport(&bucket_arn)];
    if !writers.trail_arns.is_empty() {
        let (acl, mut write) = match &writers.organization_id {
            // A trail ARN with `*` for the account needs ArnLike.
            Some(_) => {
                let scoped = json!({
                    "StringEquals": source(),
                    "ArnLike": { "aws:SourceArn": writers.trail_arns }
                });
                (scoped.clone(), scoped)
            }
            None => {
                let scoped = json!({ "StringEquals": { "aws:SourceAccount": writers.accounts, "aws:SourceArn": writers.trail_arns } });
                (scoped.clone(), scoped)
            }
        };
        write["StringEquals"]["s3:x-amz-acl"] = json!("bucket-owner-full-control");
        statements.push(json!({
            "Sid": "BaselineCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": acl
        }));
        statements.push(json!({
            "Sid": "BaselineCloudTrailWrite",
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "s3:PutObject",
            "Resource": objects(writers.cloudtrail_prefix.as_deref(), if organization { "" } else { "*" }),
            "Condition": write
        }));
    }
    if let Some(prefix) = &writers.billing_report_prefix {
        statements.extend(billing_report_statements(partition, &bucket_arn, prefix, writers));
    }
    let config_objects = objects(writers.config_prefix.as_deref(), if organization { "/Config/*" } else { "Config/*" });
    statements.extend(config_statements(&bucket_arn, config_objects, source()));
    statements
}

/// AWS Config's statements: check the bucket, list it, and write under its own path, for the writers only.
fn config_statements(bucket_arn: &str, objects: Vec<String>, source: Value) -> [Value; 3] {
    let mut write = json!({ "StringEquals": source.clone() });
    write["StringEquals"]["s3:x-amz-acl"] = json!("bucket-owner-full-control");
    [
        json!({
            "Sid": "BaselineConfigAclCheck",
            "Effect": "Allow",
            "Principal": { "Service": "config.amazonaws.com" },
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": { "StringEquals": source }
        }),
        json!({
            "Sid": "BaselineConfigListBucket",
            "Effect": "Allow",
            "Principal": { "Service": "config.amazonaws.com" },
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": { "StringEquals": source }
        }),
        json!({
            "Sid": "BaselineConfigWrite",
            "Effect": "Allow",
            "Principal": { "Service": "config.amazonaws.com" },
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": write
        }),
    ]
}

/// The Cost and Usage Report's statements: the report service may check the bucket and write under the
/// report's prefix, for the writers' report definitions only.
fn billing_report_statements(partition: &str, bucket_arn: &str, prefix: &str, writers: &Writers) -> [Value; 2] {
    let owner = writers.billing_report_definition.as_deref().and_then(|arn| arn.split(':').nth(4).map(|a| (arn, a)));
    let scoped = match owner {
        Some((definition, account)) => json!({
            "StringEquals": { "aws:SourceAccount": [account] },
            "ArnLike": { "aws:SourceArn": [definition] }
        }),
        None => {
            let definitions: Vec<String> =
                writers.accounts.iter().map(|a| format!("arn:{partition}:cur:us-east-1:{a}:definition/*")).collect();
            json!({
                "StringEquals": { "aws:SourceAccount": writers.accounts },
                "ArnLike": { "aws:SourceArn": definitions }
            })
        }
    };
    [
        json!({
            "Sid": "BaselineBillingReportsAclCheck",
            "Effect": "Allow",
            "Principal": { "Service": "billingreports.amazonaws.com" },
            "Action": ["s3:GetBucketAcl", "s3:GetBucketPolicy"],
            "Resource": bucket_arn,
            "Condition": scoped
        }),
        json!({
            "Sid": "BaselineBillingReportsWrite",
            "Effect": "Allow",
            "Principal": { "Service": "billingreports.amazonaws.com" },
            "Action": "s3:PutObject",
            "Resource": format!("{bucket_arn}/{}/*", prefix.trim_matches('/')),
            "Condition": scoped
        }),
    ]
}

/// The calls of this family: the log bucket's reads and writes on its ARN (a template's unknown parts as
/// `*`).
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    let Some(archive) = &desired.log_archive else { return };
    if matches!(desired.accounts.selection, crate::config::AccountSelection::Organization { .. }) {
        // The archive's bucket policy names the organization (aws:SourceOrgID) rather than every account.
        needs.any(&["organizations:DescribeOrganization"], crate::needs::NO_RESOURCE_TYPE);
    }
    let at = location(archive, needs.scope());
    let mut buckets = vec![needs.bucket_arn(&at.name)];
    if let Some(access) = archive.access_log_bucket_name(&at.owner, &at.region) {
        buckets.push(needs.bucket_arn(&access));
        needs.on(&["s3:GetBucketLogging", "s3:PutBucketLogging"], [needs.bucket_arn(&at.name)]);
    }
    needs.on(
        &[
            "s3:GetBucketLocation",
            "s3:GetBucketPolicy",
            "s3:GetBucketTagging",
            "s3:GetBucketVersioning",
            "s3:GetBucketOwnershipControls",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetEncryptionConfiguration",
            "s3:GetLifecycleConfiguration",
            "s3:CreateBucket",
            "s3:PutBucketPolicy",
            "s3:PutBucketTagging",
            "s3:PutBucketVersioning",
            "s3:PutBucketOwnershipControls",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutEncryptionConfiguration",
            "s3:PutLifecycleConfiguration",
        ],
        buckets,
    );
    // The key's policy is read to check that the services writing to the bucket may use the key.
    if let Some(key) = &archive.kms_key_arn {
        match crate::target::key_grant(key) {
            (resource, Some(condition)) => needs.on_if("kms:GetKeyPolicy", [resource], condition),
            (resource, None) => needs.on(&["kms:GetKeyPolicy"], [resource]),
        }
    }
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let scope = &target.scope;
    let bucket = async {
        match &desired.log_archive {
            Some(archive) => {
                let at = location(archive, scope);
                let state = if at.owner == scope.account_id {
                    // Boxed: each bucket's reads make a large future, and small thread stacks must not overflow.
                    Some(tokio::join!(
                        Box::pin(observe_with_key(target, desired, archive, &at.name)),
                        organization_id(desired, target),
                        Box::pin(observe_access_log_bucket(target, archive, &at))
                    ))
                } else {
                    None
                };
                Some((archive, at, state))
            }
            None => None,
        }
    };
    let bucket = bucket.await;

    let mut plan = Plan::default();
    if let Some((archive, at, state)) = bucket {
        let address = Address::new(&scope.account_id, &at.region, BUCKET, &at.name);
        match state {
            // In an organization run the owner is baselined in the same run; otherwise say who manages it.
            None if target.log_writers.as_deref().is_some_and(|w| w.contains(&at.owner)) => {}
            None => plan.notices.push(Notice {
                level: NoticeLevel::Info,
                address,
                message: format!("owned by the log archive account {}; baseline that account to manage it", at.owner),
            }),
            Some(((state, key), organization, access)) => {
                if let Some(access) = access
                    && let Some(access) = report_unreadable(access, &access_address(&at, archive), &mut plan)
                {
                    let tags = super::wiring::desired_tags(desired);
                    plan.extend(access_log_diff(scope, archive, &at, &tags, access.as_ref()).unwrap_or_default());
                }
                let organization = organization.and_then(|read| organization_or_notice(read, &at, &mut plan));
                if let Some(mut state) = report_unreadable(state, &address, &mut plan) {
                    let own = [scope.account_id.clone()];
                    let accounts = target.log_writers.as_deref().unwrap_or(&own);
                    let mut writers = writers(desired, scope, accounts, organization.as_deref());
                    // In an organization run the management account's report covers everyone: a log archive
                    // in another account receives no report (its owner creates none).
                    if target.management_account.as_ref().is_some_and(|m| *m != scope.account_id) {
                        writers.billing_report_prefix = None;
                        writers.billing_report_definition = None;
                    }
                    let tags = super::wiring::desired_tags(desired);
                    let key_error = key.as_ref().and_then(|k| encryption_key_as_configured(state.as_mut(), k).err());
                    plan.extend(diff(scope, archive, &at, &writers, &tags, state.as_ref()));
                    if let Some(key) = &key {
                        let address = Address::new(&scope.account_id, &at.region, ENCRYPTION, &at.name);
                        key_findings(&mut plan, address, key, key_error, &writers, desired.config.is_some());
                    }
                }
            }
        }
    }
    plan
}

/// The organization's id, or a warning on the bucket policy saying what its absence costs.
fn organization_or_notice(read: Result<String, AwsError>, at: &BucketLocation, plan: &mut Plan) -> Option<String> {
    match read {
        Ok(id) => Some(id),
        Err(e) => {
            plan.notices.push(Notice {
                level: NoticeLevel::Warning,
                address: at.policy_address(),
                message: format!(
                    "cannot read the organization's id ({e}); the bucket policy lists every account instead, which \
                     outgrows S3's 20 KB limit at a few dozen accounts"
                ),
            });
            None
        }
    }
}

/// The access-log bucket, read beside the archive when there is one.
async fn observe_access_log_bucket(
    target: &Target,
    archive: &LogArchive,
    at: &BucketLocation,
) -> Option<Result<Option<BucketState>, AwsError>> {
    let name = archive.access_log_bucket_name(&at.owner, &at.region)?;
    Some(observe(target, &name, false).await)
}

fn access_address(at: &BucketLocation, archive: &LogArchive) -> Address {
    let name = archive.access_log_bucket_name(&at.owner, &at.region).unwrap_or_default();
    Address::new(&at.owner, &at.region, BUCKET, name)
}

/// The organization's id, read by the archive account in an organization run (whose accounts all belong to
/// it); `None` outside organization runs.
async fn organization_id(desired: &Desired, target: &Target) -> Option<Result<String, AwsError>> {
    let organization_run = matches!(desired.accounts.selection, crate::config::AccountSelection::Organization { .. });
    if !organization_run || target.log_writers.is_none() {
        return None;
    }
    let read = target.organizations.describe_organization().send().await;
    Some(read.map_err(aws::err("organizations:DescribeOrganization")).and_then(|out| {
        out.organization().and_then(|o| o.id()).map(str::to_string).ok_or_else(|| {
            AwsError::new(
                "organizations:DescribeOrganization",
                ErrorKind::Service,
                None,
                "the answer names no organization".into(),
                None,
            )
        })
    }))
}

/// The bucket and, when `kms_key_arn` is set, its key, read at the same time.
async fn observe_with_key(
    target: &Target,
    desired: &Desired,
    archive: &LogArchive,
    bucket: &str,
) -> (Result<Option<BucketState>, AwsError>, Option<KeyReview>) {
    let key = async {
        match &archive.kms_key_arn {
            Some(key) => Some(review_key(target, desired, key).await),
            None => None,
        }
    };
    tokio::join!(observe(target, bucket, archive.access_log_bucket.is_some()), key)
}

/// The bucket's key as the plan sees it.
#[derive(Debug, Clone)]
pub struct KeyReview {
    /// `kms_key_arn` as baseline.toml gives it (a key ARN or an alias ARN).
    pub configured: String,
    pub key_arn: Result<String, AwsError>,
    pub trail: TrailKey,
    /// The key policy (`None`: the answer held none that parses).
    pub policy: Result<Option<PolicyDocument>, AwsError>,
}

/// How the baseline's trail encrypts the log files it delivers to the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrailKey {
    /// No trail in the baseline, or one with a key of its own: the bucket's key is none of CloudTrail's business.
    Other,
    /// The trail names no key: S3 encrypts its log files with the bucket's default key, on CloudTrail's behalf.
    BucketDefault,
    /// The trail encrypts with the bucket's key itself.
    Same,
}

async fn review_key(target: &Target, desired: &Desired, key: &str) -> KeyReview {
    let trail_key = desired.cloudtrail.as_ref().map(|c| super::wiring::trail_key(desired, &target.scope, c));
    let trail_key = trail_key.as_ref().map(Option::as_deref);
    let trail_key_arn = async {
        match trail_key {
            Some(Some(k)) if k != key => Some(target.kms.key_arn(k).await),
            _ => None,
        }
    };
    // Each alias is looked up once per plan: the trail's family asks for the same answer.
    let (key_arn, trail_key_arn) = tokio::join!(target.kms.key_arn(key), trail_key_arn);
    let trail = match (trail_key, &key_arn, trail_key_arn) {
        (None, ..) => TrailKey::Other,
        (Some(None), ..) => TrailKey::BucketDefault,
        (Some(Some(k)), ..) if k == key => TrailKey::Same,
        (Some(Some(_)), Ok(a), Some(Ok(b))) if *a == b => TrailKey::Same,
        _ => TrailKey::Other,
    };
    let policy = match &key_arn {
        Ok(arn) => read_key_policy(target, arn).await,
        Err(e) => Err(e.clone()),
    };
    KeyReview { configured: key.to_string(), key_arn, trail, policy }
}

async fn read_key_policy(target: &Target, key_arn: &str) -> Result<Option<PolicyDocument>, AwsError> {
    let out = target
        .kms
        .client
        .get_key_policy()
        .key_id(key_arn)
        .policy_name("default")
        .send()
        .await
        .map_err(aws::err("kms:GetKeyPolicy"))?;
    Ok(out.policy().and_then(|p| PolicyDocument::parse(p).ok()))
}

/// S3 may report the bucket's key as a key ARN where an alias was configured: when it is the configured key,
/// the observed value becomes the configured text, so the diff compares like with like. Fails when the key
/// must be compared but its alias could not be looked up.
pub fn encryption_key_as_configured(state: Option<&mut BucketState>, key: &KeyReview) -> Result<(), AwsError> {
    let Some(encryption) = state.and_then(|s| s.encryption.as_mut()) else { return Ok(()) };
    match (encryption.kms_key.as_deref(), &key.key_arn) {
        (Some(reported), Ok(arn)) if crate::target::same_key(reported, &key.configured, arn) => {
            encryption.kms_key = Some(key.configured.clone());
            Ok(())
        }
        (Some(reported), Err(error)) if reported != key.configured => Err(error.clone()),
        _ => Ok(()),
    }
}

/// What the plan says about the bucket's key at `address` (the bucket's encryption): the encryption change
/// is unknown when the key could not be compared, and a warning names the key policy statements missing for
/// the services that write with the key (the baseline does not own key policies and never writes them).
fn key_findings(
    plan: &mut Plan,
    address: Address,
    key: &KeyReview,
    compare_error: Option<AwsError>,
    writers: &Writers,
    config: bool,
) {
    let unchecked = |error: &AwsError| Notice {
        level: NoticeLevel::Warning,
        address: address.clone(),
        message: format!("the key policy of {} was not checked: {error}", key.configured),
    };
    match (&key.key_arn, &key.policy) {
        (Ok(arn), Ok(policy)) => {
            let statements = key_policy_statements(arn, writers, key.trail, config);
            plan.notices.extend(key_policy_notice(&address, &key.configured, arn, policy.as_ref(), &statements));
        }
        (Ok(_), Err(error)) => plan.notices.push(unchecked(error)),
        (Err(error), _) if compare_error.is_none() => plan.notices.push(unchecked(error)),
        (Err(_), _) => {}
    }
    if let Some(error) = compare_error {
        plan.changes.retain(|c| c.address != address);
        plan.errors.push(crate::engine::PlanError { address, error });
    }
}

/// The key policy statements the services writing to the bucket need on its key, each with the service's
/// name, as their guides give them: CloudTrail's "Configure AWS KMS key policies for CloudTrail" (encrypt,
/// decrypt because the bucket uses an S3 Bucket Key, describe) when the trail encrypts with the key, and AWS
/// Config's "Permissions for the KMS Key" (S3 bucket delivery). When S3 encrypts for a service with the
/// bucket's default key (a trail without a key of its own, the Cost and Usage Report, whose guide gives no key
/// policy statement), the service needs `kms:GenerateDataKey` as any uploader does under SSE-KMS, scoped like
/// its bucket policy statement (the encryption context is then S3's, not CloudTrail's).
pub fn key_policy_statements(
    key_arn: &str,
    writers: &Writers,
    trail: TrailKey,
    config: bool,
) -> Vec<(&'static str, Value)> {
    let partition = key_arn.split(':').nth(1).unwrap_or("aws");
    let mut statements: Vec<(&'static str, Value)> =
        cloudtrail_key_statements(partition, key_arn, writers, trail).into_iter().map(|s| ("CloudTrail", s)).collect();
    if config {
        statements.push((
            "AWS Config",
            json!({
                "Sid": "AWSConfigKMSPolicy",
                "Effect": "Allow",
                "Principal": { "Service": "config.amazonaws.com" },
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key_arn,
                "Condition": { "StringEquals": { "AWS:SourceAccount": writers.accounts } }
            }),
        ));
    }
    if writers.billing_report_prefix.is_some() {
        let definitions: Vec<String> =
            writers.accounts.iter().map(|a| format!("arn:{partition}:cur:us-east-1:{a}:definition/*")).collect();
        statements.push((
            "the Cost and Usage Report",
            json!({
                "Sid": "AllowBillingReportsEncrypt",
                "Effect": "Allow",
                "Principal": { "Service": "billingreports.amazonaws.com" },
                "Action": "kms:GenerateDataKey",
                "Resource": key_arn,
                "Condition": {
                    "StringEquals": { "aws:SourceAccount": writers.accounts },
                    "ArnLike": { "aws:SourceArn": definitions }
                }
            }),
        ));
    }
    statements
}

/// CloudTrail's part of [`key_policy_statements`].
fn cloudtrail_key_statements(partition: &str, key_arn: &str, writers: &Writers, trail: TrailKey) -> Vec<Value> {
    let trails = &writers.trail_arns;
    if trails.is_empty() || trail == TrailKey::Other {
        return Vec::new();
    }
    let cloudtrail = json!({ "Service": "cloudtrail.amazonaws.com" });
    let mut encrypt = json!({
        "Sid": "AllowCloudTrailEncryptLogs",
        "Effect": "Allow",
        "Principal": cloudtrail,
        "Action": "kms:GenerateDataKey*",
        "Resource": "*",
        "Condition": { "StringEquals": { "aws:SourceArn": trails } }
    });
    if trail == TrailKey::BucketDefault {
        return vec![encrypt];
    }
    let contexts: Vec<String> =
        writers.accounts.iter().map(|a| format!("arn:{partition}:cloudtrail:*:{a}:trail/*")).collect();
    encrypt["Condition"]["StringLike"] = json!({ "kms:EncryptionContext:aws:cloudtrail:arn": contexts });
    vec![
        encrypt,
        json!({
            "Sid": "AllowCloudTrailDecryptTrail",
            "Effect": "Allow",
            "Principal": cloudtrail,
            "Action": "kms:Decrypt",
            "Resource": "*"
        }),
        json!({
            "Sid": "AllowCloudTrailAccess",
            "Effect": "Allow",
            "Principal": cloudtrail,
            "Action": "kms:DescribeKey",
            "Resource": key_arn,
            "Condition": { "StringEquals": { "aws:SourceArn": trails } }
        }),
    ]
}

/// A warning with the statements `policy` lacks, in the JSON to add to the key policy; `None` when it has them.
pub fn key_policy_notice(
    address: &Address,
    configured: &str,
    key_arn: &str,
    policy: Option<&PolicyDocument>,
    statements: &[(&'static str, Value)],
) -> Option<Notice> {
    let missing: Vec<&(&str, Value)> =
        statements.iter().filter(|(_, s)| !policy.is_some_and(|p| policy::grants(p, s, key_arn))).collect();
    if missing.is_empty() {
        return None;
    }
    let mut services: Vec<&str> = missing.iter().map(|(service, _)| *service).collect();
    services.dedup();
    let json = Value::Array(missing.iter().map(|(_, s)| s.clone()).collect());
    Some(Notice {
        level: NoticeLevel::Warning,
        address: address.clone(),
        message: format!(
            "the key policy of {configured} does not let {} use the key, so their deliveries to the bucket fail; \
             add these statements to the key policy (baseline does not change key policies): {json}",
            services.join(" and ")
        ),
    })
}

/// Error codes S3 uses for "this setting is not configured".
const NOT_CONFIGURED: &[&str] = &[
    "NoSuchBucketPolicy",
    "NoSuchPublicAccessBlockConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "OwnershipControlsNotFoundError",
    "NoSuchLifecycleConfiguration",
    "NoSuchTagSet",
];

/// `Ok(None)` when S3 answers that the setting is not configured.
fn optional<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if NOT_CONFIGURED.iter().any(|c| e.is_code(c)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads the bucket and all its settings (server access logging when `logging`); `None` when it does not exist.
pub async fn observe(target: &Target, bucket: &str, logging: bool) -> Result<Option<BucketState>, AwsError> {
    let s3 = &target.s3;
    let Some(region) = bucket_region(s3, bucket).await? else { return Ok(None) };
    let (tags, protection, versioning, lifecycle, policy, logging) = tokio::join!(
        async {
            optional(s3.get_bucket_tagging().bucket(bucket).send().await.map_err(aws::err("s3:GetBucketTagging")))
        },
        read_protection(s3, bucket),
        read_versioning(target, bucket),
        async {
            optional(
                s3.get_bucket_lifecycle_configuration()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(aws::err("s3:GetLifecycleConfiguration")),
            )
        },
        async { optional(s3.get_bucket_policy().bucket(bucket).send().await.map_err(aws::err("s3:GetBucketPolicy"))) },
        async {
            if !logging {
                return Ok(None);
            }
            s3.get_bucket_logging().bucket(bucket).send().await.map(Some).map_err(aws::err("s3:GetBucketLogging"))
        },
    );
    let tags = tags?
        .map(|t| t.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
        .unwrap_or_default();
    let (ownership, public_access_block, encryption) = protection?;
    let (versioning, mfa_delete) = versioning?;
    let retention =
        lifecycle?.and_then(|l| l.rules().iter().find(|r| r.id() == Some(LIFECYCLE_RULE_ID)).map(retention_rule));
    let (policy, unreadable_policy) = policy_of(policy?.as_ref().and_then(|p| p.policy()));
    let logging = logging?
        .as_ref()
        .and_then(|l| l.logging_enabled())
        .map(|l| (l.target_bucket().to_string(), l.target_prefix().to_string()));
    Ok(Some(BucketState {
        region,
        tags,
        ownership,
        public_access_block,
        encryption,
        versioning,
        mfa_delete,
        retention,
        policy,
        unreadable_policy,
        logging,
    }))
}

/// Object ownership, Block Public Access and default encryption, each `None` when not configured.
async fn read_protection(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<(Option<String>, Option<[bool; 4]>, Option<Encryption>), AwsError> {
    let (ownership, bpa, encryption) = tokio::join!(
        async {
            optional(
                s3.get_bucket_ownership_controls()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(aws::err("s3:GetBucketOwnershipControls")),
            )
        },
        async {
            optional(
                s3.get_public_access_block()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(aws::err("s3:GetBucketPublicAccessBlock")),
            )
        },
        async {
            optional(
                s3.get_bucket_encryption()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(aws::err("s3:GetEncryptionConfiguration")),
            )
        },
    );
    let ownership = ownership?.and_then(|o| {
        o.ownership_controls().and_then(|c| c.rules().first()).map(|r| r.object_ownership().as_str().to_string())
    });
    let public_access_block = bpa?.and_then(|b| b.public_access_block_configuration().map(bpa_flags));
    Ok((ownership, public_access_block, encryption?.as_ref().and_then(encryption_of)))
}

/// The bucket's region, `None` when it does not exist.
async fn bucket_region(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Option<String>, AwsError> {
    match s3.get_bucket_location().bucket(bucket).send().await {
        Ok(out) => Ok(Some(match out.location_constraint().map(|c| c.as_str()) {
            None | Some("") => "us-east-1".to_string(),
            Some("EU") => "eu-west-1".to_string(),
            Some(r) => r.to_string(),
        })),
        Err(e) => {
            let e = AwsError::from_sdk("s3:GetBucketLocation", e);
            if e.is_code("NoSuchBucket") {
                return Ok(None);
            }
            if e.kind == ErrorKind::AccessDenied {
                let message =
                    format!("{} (the bucket name may belong to another account; bucket names are global)", e.message);
                return Err(AwsError { message, ..e });
            }
            Err(e)
        }
    }
}

/// The default encryption of the bucket's first rule.
fn encryption_of(e: &aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionOutput) -> Option<Encryption> {
    let rule = e.server_side_encryption_configuration()?.rules().first()?;
    let default = rule.apply_server_side_encryption_by_default()?;
    Some(Encryption {
        algorithm: default.sse_algorithm().as_str().to_string(),
        kms_key: default.kms_master_key_id().map(str::to_string),
        bucket_key: rule.bucket_key_enabled().unwrap_or(false),
    })
}

/// The policy document, or why it cannot be read.
fn policy_of(document: Option<&str>) -> (Option<PolicyDocument>, Option<String>) {
    match document.map(PolicyDocument::parse) {
        None => (None, None),
        Some(Ok(policy)) => (Some(policy), None),
        Some(Err(e)) => (None, Some(e.to_string())),
    }
}

/// The versioning status and whether MFA delete is on. The emulator answers with a
/// `GetBucketVersioningResponse` root element where AWS sends `VersioningConfiguration`, which the SDK refuses
/// to parse; both are then read from the raw body.
async fn read_versioning(target: &Target, bucket: &str) -> Result<(Option<String>, bool), AwsError> {
    match target.s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => Ok((
            out.status().map(|s| s.as_str().to_string()),
            out.mfa_delete().is_some_and(|m| m.as_str() == "Enabled"),
        )),
        Err(e) if e.raw_response().is_some_and(|r| r.status().is_success()) => {
            let body = e.raw_response().and_then(|r| r.body().bytes()).unwrap_or_default();
            let body = String::from_utf8_lossy(body);
            Ok((xml_element(&body, "Status"), xml_element(&body, "MfaDelete").as_deref() == Some("Enabled")))
        }
        Err(e) => Err(AwsError::from_sdk("s3:GetBucketVersioning", e)),
    }
}

fn xml_element(body: &str, name: &str) -> Option<String> {
    let start = body.find(&format!("<{name}>"))? + name.len() + 2;
    let end = body[start..].find(&format!("</{name}>"))? + start;
    Some(body[start..end].to_string())
}

fn bpa_flags(c: &PublicAccessBlockConfiguration) -> [bool; 4] {
    [
        c.block_public_acls().unwrap_or(false),
        c.ignore_public_acls().unwrap_or(false),
        c.block_public_policy().unwrap_or(false),
        c.restrict_public_buckets().unwrap_or(false),
    ]
}

pub fn retention_rule(rule: &LifecycleRule) -> RetentionRule {
    let days = |d: Option<i32>| d.and_then(|d| u32::try_from(d).ok()).unwrap_or(0);
    let transition = rule.transitions().first();
    RetentionRule {
        enabled: rule.status() == &ExpirationStatus::Enabled,
        filter: rule_scope(rule),
        transition_days: days(transition.and_then(|t| t.days())),
        transition_storage_class: transition
            .and_then(|t| t.storage_class())
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        expiration_days: days(rule.expiration().and_then(|e| e.days())),
        noncurrent_expiration_days: days(rule.noncurrent_version_expiration().and_then(|n| n.noncurrent_days())),
        abort_incomplete_multipart_days: days(
            rule.abort_incomplete_multipart_upload().and_then(|a| a.days_after_initiation()),
        ),
    }
}

/// Which objects a lifecycle rule applies to, in words: empty for the whole bucket (no filter, or an empty
/// prefix and nothing else), else its prefix, tags and object sizes.
fn rule_scope(rule: &LifecycleRule) -> String {
    let mut parts = Vec::new();
    let mut prefix = |p: Option<&str>| {
        if let Some(p) = p.filter(|p| !p.is_empty()) {
            parts.push(format!("prefix {p}"));
        }
    };
    // The rule-level prefix predates filters; S3 still accepts and returns it.
    #[allow(deprecated)]
    prefix(rule.prefix());
    let filter = rule.filter();
    prefix(filter.and_then(|f| f.prefix()));
    let and = filter.and_then(|f| f.and());
    prefix(and.and_then(|a| a.prefix()));
    let tags = filter.and_then(|f| f.tag()).into_iter().chain(and.map(|a| a.tags()).unwrap_or_default());
    parts.extend(tags.map(|t| format!("tag {}={}", t.key(), t.value())));
    let larger = filter.and_then(|f| f.object_size_greater_than()).or(and.and_then(|a| a.object_size_greater_than()));
    let smaller = filter.and_then(|f| f.object_size_less_than()).or(and.and_then(|a| a.object_size_less_than()));
    parts.extend(larger.map(|n| format!("objects larger than {n} bytes")));
    parts.extend(smaller.map(|n| format!("objects smaller than {n} bytes")));
    parts.join(", ")
}

fn show(v: Option<&str>) -> Option<String> {
    Some(v.unwrap_or("(none)").to_string())
}

/// S3 refuses a bucket policy over 20 KB ("Bucket policies are limited to 20 KB in size", Amazon S3 User
/// Guide, "Bucket policies for Amazon S3").
pub const MAX_BUCKET_POLICY_BYTES: usize = 20_480;

/// The policy the merge would write, when S3 would refuse it for its size: planned as an error with the
/// size and the fix, never sent.
fn oversized_policy(size: usize, owned: &[Value], writers: &Writers) -> Option<AwsError> {
    if size <= MAX_BUCKET_POLICY_BYTES {
        return None;
    }
    let ours = PolicyDocument { statements: owned.to_vec(), ..PolicyDocument::empty() }.to_json().len();
    let fix = if writers.organization_id.is_none() && writers.accounts.len() > 1 {
        format!(
            "its statements list each of the {} accounts; run baseline over the organization ([accounts] \
             organization = true) so they name the organization (aws:SourceOrgID) instead",
            writers.accounts.len()
        )
    } else {
        "remove statements that baseline does not own from the bucket policy".to_string()
    };
    Some(AwsError::new(
        "s3:PutBucketPolicy",
        ErrorKind::LimitExceeded,
        Some("PolicyTooLarge".into()),
        format!(
            "the bucket policy would be {size} bytes ({ours} of them baseline's), over S3's limit of \
             {MAX_BUCKET_POLICY_BYTES} bytes: {fix}"
        ),
        None,
    ))
}

/// MFA delete (CIS; Prowler `s3_bucket_no_mfa_delete`): only the root user, with its MFA device, can turn it on
/// (Amazon S3 user guide, "Configuring MFA delete"), so it is a manual action, re-checked on every plan. No
/// lifecycle rule is written on such a bucket: S3 does not support both.
fn mfa_delete_change(at: Address, account: &str, bucket: &str, observed: Option<&BucketState>) -> ResourceChange {
    if observed.is_some_and(|s| s.mfa_delete) {
        return ResourceChange::no_op(at, "MFA delete is on");
    }
    let mut steps = Vec::new();
    if observed.is_some_and(|s| s.retention.is_some()) {
        steps.push(format!(
            "Remove the bucket's lifecycle configuration first (S3 does not support it with MFA delete): aws s3api \
             delete-bucket-lifecycle --bucket {bucket}"
        ));
    }
    steps.extend([
        "Sign in with the root user's access key (created for this step only) and have its MFA device at hand.".into(),
        format!(
            "aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration \
             Status=Enabled,MFADelete=Enabled --mfa \"arn:aws:iam::{account}:mfa/root-account-mfa-device <code>\""
        ),
        "Delete the root access key again; from then on, deleting an object version or suspending versioning \
         needs the root user's MFA code."
            .into(),
    ]);
    ResourceChange::manual(at, "MFA delete is off: only the root user with its MFA device can turn it on", steps)
}

/// The status line of a bucket without MFA delete that the baseline does not ask for (its lifecycle rule and MFA
/// delete exclude each other): CIS asks for it on every bucket.
fn mfa_delete_status(address: Address) -> Notice {
    Notice {
        level: NoticeLevel::Info,
        address,
        message: "MFA delete is off (CIS; Prowler s3_bucket_no_mfa_delete): only the root user can turn it on, \
                  and S3 then refuses lifecycle rules; for the log archive set [log_archive] mfa_delete = true with \
                  the three day settings at 0, and the plan lists the root user's steps"
            .into(),
    }
}

/// All changes for the archive bucket, its access logging among them. `observed` is `None` when it does not
/// exist.
pub fn diff(
    scope: &Scope,
    archive: &LogArchive,
    at: &BucketLocation,
    writers: &Writers,
    tags: &BTreeMap<String, String>,
    observed: Option<&BucketState>,
) -> Plan {
    let statements = owned_statements(&scope.partition, &at.name, writers);
    let mut plan = bucket_diff(scope, archive, at, statements, writers, tags, observed);
    if plan.changes.is_empty() {
        // The bucket is elsewhere: nothing of it is planned.
        return plan;
    }
    if let Some(target_bucket) = archive.access_log_bucket_name(&at.owner, &at.region) {
        let address = Address::new(&scope.account_id, &at.region, LOGGING, &at.name);
        let change = logging_change(address, &at.name, &target_bucket, observed);
        let waits =
            [Address::new(&scope.account_id, &at.region, BUCKET, &at.name), access_policy_address(at, &target_bucket)];
        plan.changes.push(if change.is_pending() { waits.iter().fold(change, |c, d| c.after(d)) } else { change });
    }
    plan
}

/// The access-log bucket's policy address: the archive's logging waits for it (S3 checks that the logging
/// service may write before it accepts the configuration).
fn access_policy_address(at: &BucketLocation, access_bucket: &str) -> Address {
    Address::new(&at.owner, &at.region, BUCKET_POLICY, access_bucket)
}

/// Server access logging of the archive (CIS; Prowler `cloudtrail_logs_s3_bucket_access_logging_enabled`) into
/// the access-log bucket, under the archive's name. Logging already going to another bucket is kept: the
/// requirement is met, and that configuration is not the baseline's.
pub fn logging_change(
    address: Address,
    bucket: &str,
    target_bucket: &str,
    observed: Option<&BucketState>,
) -> ResourceChange {
    let prefix = format!("{bucket}/");
    let have = observed.and_then(|s| s.logging.as_ref());
    let attributes = match have {
        Some((to, _)) if to != target_bucket => {
            return ResourceChange::no_op(address, format!("access logs go to bucket {to}: kept"));
        }
        Some((_, p)) if *p == prefix => {
            return ResourceChange::no_op(address, "access logs go to the access-log bucket");
        }
        Some((_, p)) => vec![AttributeChange::new(
            "target_prefix",
            show(Some(p).filter(|p| !p.is_empty()).map(String::as_str)),
            Some(prefix.clone()),
        )],
        None => vec![
            AttributeChange::new("target_bucket", observed.map(|_| "(none)".into()), Some(target_bucket.to_string())),
            AttributeChange::new("target_prefix", observed.map(|_| "(none)".into()), Some(prefix.clone())),
        ],
    };
    let action = if observed.is_some() { Action::Update } else { Action::Create };
    let reason = if have.is_some() { "access logs go under another prefix" } else { "server access logging is off" };
    let op = Op::LogAccess { bucket: bucket.to_string(), target_bucket: target_bucket.to_string(), prefix };
    ResourceChange::new(address, action, reason, Operation::LogBucket(op)).with_attributes(attributes)
}

/// The access-log bucket: hardened like the archive (ACLs off, public access blocked, SSE-S3 — the only
/// encryption server access logging delivers to — versioning, the archive's retention), with a policy letting
/// the logging service write the archive's logs only (the Amazon S3 user guide's "Enabling Amazon S3 server
/// access logging"). It must be in the archive's account and region.
pub fn access_log_diff(
    scope: &Scope,
    archive: &LogArchive,
    at: &BucketLocation,
    tags: &BTreeMap<String, String>,
    observed: Option<&BucketState>,
) -> Option<Plan> {
    let name = archive.access_log_bucket_name(&at.owner, &at.region)?;
    let access = LogArchive {
        bucket: name.clone(),
        kms_key_arn: None,
        mfa_delete: false,
        access_log_bucket: None,
        ..archive.clone()
    };
    let access_at = BucketLocation { name: name.clone(), ..at.clone() };
    let statements = access_log_statements(&scope.partition, &name, &at.name, &at.owner);
    let writers = Writers {
        accounts: vec![at.owner.clone()],
        organization_id: None,
        trail_arns: Vec::new(),
        cloudtrail_prefix: None,
        billing_report_prefix: None,
        billing_report_definition: None,
        config_prefix: None,
    };
    Some(bucket_diff(scope, &access, &access_at, statements, &writers, tags, observed))
}

/// The access-log bucket's statements: the logging service writing the archive's logs under the archive's
/// name, for the archive of this account only (confused-deputy protection), and TLS only. The logging
/// statement comes first: the emulator's PutBucketLogging looks for it statement by statement and fails on a
/// `"Principal": "*"` it meets before.
pub fn access_log_statements(partition: &str, bucket: &str, source: &str, owner: &str) -> Vec<Value> {
    let bucket_arn = format!("arn:{partition}:s3:::{bucket}");
    vec![
        json!({
            "Sid": "BaselineS3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": { "Service": "logging.s3.amazonaws.com" },
            "Action": "s3:PutObject",
            "Resource": format!("{bucket_arn}/{source}/*"),
            "Condition": {
                "ArnLike": { "aws:SourceArn": format!("arn:{partition}:s3:::{source}") },
                "StringEquals": { "aws:SourceAccount": owner }
            }
        }),
        deny_insecure_transport(&bucket_arn),
    ]
}

fn deny_insecure_transport(bucket_arn: &str) -> Value {
    json!({
        "Sid": "BaselineDenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, format!("{bucket_arn}/*")],
        "Condition": { "Bool": { "aws:SecureTransport": "false" } }
    })
}

/// A bucket's changes with `statements` as the baseline's part of its policy.
fn bucket_diff(
    scope: &Scope,
    archive: &LogArchive,
    at: &BucketLocation,
    statements: Vec<Value>,
    writers: &Writers,
    tags: &BTreeMap<String, String>,
    observed: Option<&BucketState>,
) -> Plan {
    let bucket = at.name.clone();
    let addr = |kind| Address::new(&scope.account_id, &at.region, kind, &bucket);
    let bucket_address = addr(BUCKET);
    let mut plan = Plan::default();
    if let Some(state) = observed.filter(|state| state.region != at.region) {
        plan.notices.push(moved_bucket(bucket_address, &state.region, &at.region));
        return plan;
    }

    let exists = observed.is_some();
    let mut setting = |kind, reason: &str, attributes: Vec<AttributeChange>, operation: Op| {
        plan.changes.push(bucket_setting(addr(kind), &bucket_address, exists, reason, attributes, operation));
    };

    let attrs = unless_set("object_ownership", observed.and_then(|s| s.ownership.as_deref()), "BucketOwnerEnforced");
    setting(OWNERSHIP, "ACLs are not disabled", attrs, Op::EnforceBucketOwner { bucket: bucket.clone() });

    let attrs = super::public_access_block_attributes(observed.and_then(|s| s.public_access_block));
    setting(
        PUBLIC_ACCESS_BLOCK,
        "public access is not fully blocked",
        attrs,
        Op::BlockPublicAccess { bucket: bucket.clone() },
    );

    let have = observed.and_then(|s| s.encryption.as_ref());
    let (reason, attrs, operation) = encryption_change(&bucket, archive.kms_key_arn.as_deref(), have);
    setting(ENCRYPTION, reason, attrs, operation);

    let attrs = unless_set("versioning", observed.and_then(|s| s.versioning.as_deref()), "Enabled");
    setting(VERSIONING, "versioning is not enabled", attrs, Op::EnableVersioning { bucket: bucket.clone() });

    let lc = archive.lifecycle;
    let attrs = retention_attributes(&wanted_rule(&lc), observed.and_then(|s| s.retention.as_ref()));
    let mfa = archive.mfa_delete.then(|| mfa_delete_change(addr(MFA_DELETE), &scope.account_id, &bucket, observed));
    if !archive.mfa_delete && observed.is_none_or(|s| !s.mfa_delete) {
        plan.notices.push(mfa_delete_status(addr(MFA_DELETE)));
    }
    if mfa.is_none() {
        setting(
            LIFECYCLE,
            "log retention rule differs",
            attrs,
            Op::PutRetentionRule { bucket: bucket.clone(), lifecycle: lc },
        );
    }

    // The policy: owned statements merged into whatever else is there.
    let policy_error = match policy_drift(observed, &statements, writers) {
        Ok((reason, attrs)) => {
            setting(BUCKET_POLICY, &reason, attrs, Op::PutPolicy { bucket: bucket.clone(), statements });
            None
        }
        Err(error) => Some(error),
    };
    if let Some(error) = policy_error {
        plan.errors.push(crate::engine::PlanError { address: addr(BUCKET_POLICY), error });
    }
    plan.changes.extend(mfa);

    // The bucket itself, first in dependency order.
    let bucket_change = bucket_change(bucket_address, &at.region, tags, observed);
    plan.changes.insert(0, bucket_change);
    plan
}

/// One setting of the bucket. Changes to an existing bucket are updates; for a new bucket every setting is
/// part of the creation, and waits for it.
fn bucket_setting(
    at: Address,
    bucket_address: &Address,
    exists: bool,
    reason: &str,
    attributes: Vec<AttributeChange>,
    operation: Op,
) -> ResourceChange {
    if attributes.is_empty() {
        return ResourceChange::no_op(at, reason);
    }
    let operation = Operation::LogBucket(operation);
    if exists {
        // Never waits for a tag update of a bucket that exists: a refused tag write must not hold back the
        // policy and every trail that waits for it.
        return ResourceChange::new(at, Action::Update, reason, operation).with_attributes(attributes);
    }
    // Nothing exists before a creation.
    let attributes = attributes.into_iter().map(|a| AttributeChange { before: None, ..a }).collect();
    ResourceChange::new(at, Action::Create, "new bucket", operation).with_attributes(attributes).after(bucket_address)
}

/// The log bucket itself: created with its tags, or its baseline tags repaired.
fn bucket_change(
    bucket_address: Address,
    region: &str,
    tags: &BTreeMap<String, String>,
    observed: Option<&BucketState>,
) -> ResourceChange {
    let bucket = bucket_address.name.clone();
    match observed {
        None => {
            let mut attributes = vec![
                AttributeChange::new("name", None, Some(bucket.to_string())),
                AttributeChange::new("region", None, Some(region.to_string())),
            ];
            attributes.extend(super::new_tags(tags));
            let create =
                Op::CreateBucket { bucket: bucket.to_string(), region: region.to_string(), tags: tags.clone() };
            ResourceChange::new(bucket_address, Action::Create, "bucket does not exist", Operation::LogBucket(create))
                .with_attributes(attributes)
        }
        Some(state) => {
            let (drift, attributes) = super::tag_drift(tags, &state.tags);
            if drift.is_empty() {
                ResourceChange::no_op(bucket_address, "bucket exists with the baseline tags")
            } else {
                ResourceChange::new(
                    bucket_address,
                    Action::Update,
                    "tags differ",
                    Operation::LogBucket(Op::TagBucket { bucket: bucket.to_string(), tags: drift }),
                )
                .with_attributes(attributes)
            }
        }
    }
}

/// The bucket exists in another region than baseline.toml says: a bucket cannot move.
fn moved_bucket(address: Address, actual: &str, configured: &str) -> Notice {
    Notice {
        level: NoticeLevel::Warning,
        address,
        message: format!(
            "the bucket exists in {actual} but baseline.toml places it in {configured}; set [log_archive] region = \"{actual}\""
        ),
    }
}

/// `name: have → want`, unless it is `want` already.
fn unless_set(name: &str, have: Option<&str>, want: &str) -> Vec<AttributeChange> {
    if have == Some(want) { Vec::new() } else { vec![AttributeChange::new(name, show(have), Some(want.to_string()))] }
}

/// The owned statements' drift (with the document's size when it changes) and its reason, or why the policy
/// cannot be written (unreadable, or over S3's size limit once merged).
fn policy_drift(
    observed: Option<&BucketState>,
    statements: &[Value],
    writers: &Writers,
) -> Result<(String, Vec<AttributeChange>), AwsError> {
    let current = observed.and_then(|s| s.policy.as_ref());
    let size = policy::merge_owned(current, statements).to_json().len();
    if let Some(reason) = observed.and_then(|s| s.unreadable_policy.as_deref()) {
        return Err(super::unreadable_policy("s3:GetBucketPolicy", reason));
    }
    if let Some(error) = oversized_policy(size, statements, writers) {
        return Err(error);
    }
    let drift = policy::owned_drift(current, statements);
    let mut attrs: Vec<AttributeChange> = drift.iter().map(super::statement_attribute).collect();
    if !attrs.is_empty() {
        // What a reviewer of an organization's plan needs to see coming: the document against S3's limit.
        let before = current.map(|c| c.to_json().len().to_string());
        attrs.push(AttributeChange::new("size_bytes", before, Some(size.to_string())));
    }
    Ok((super::describe_drift(&drift), attrs))
}

/// `rule[baseline-log-retention].<field>` for each field of the baseline's lifecycle rule that differs.
pub fn retention_attributes(want: &RetentionRule, have: Option<&RetentionRule>) -> Vec<AttributeChange> {
    let text = |s: &str| if s.is_empty() { "(none)".to_string() } else { s.to_string() };
    let fields = |r: &RetentionRule| {
        [
            ("status", if r.enabled { "Enabled".to_string() } else { "Disabled".to_string() }),
            ("filter", if r.filter.is_empty() { "(whole bucket)".to_string() } else { r.filter.clone() }),
            ("transition_to_glacier_days", r.transition_days.to_string()),
            ("transition_storage_class", text(&r.transition_storage_class)),
            ("expiration_days", r.expiration_days.to_string()),
            ("noncurrent_expiration_days", r.noncurrent_expiration_days.to_string()),
            ("abort_incomplete_multipart_upload_days", r.abort_incomplete_multipart_days.to_string()),
        ]
    };
    let name = |field: &str| format!("rule[{LIFECYCLE_RULE_ID}].{field}");
    match have {
        None => fields(want).into_iter().map(|(n, w)| AttributeChange::new(name(n), None, Some(w))).collect(),
        Some(have) => fields(have)
            .into_iter()
            .zip(fields(want))
            .filter(|((_, h), (_, w))| h != w)
            .map(|((n, h), (_, w))| AttributeChange::new(name(n), Some(h), Some(w)))
            .collect(),
    }
}

/// Default encryption algorithms, weakest first: what the baseline asks for is a minimum.
const SSE_STRENGTH: [&str; 3] = ["AES256", "aws:kms", "aws:kms:dsse"];

/// The default-encryption change, as `(reason, attributes, operation)`; no attributes: nothing to change.
/// `configured` is `kms_key_arn` (`None`: SSE-S3 is enough, and SSE-KMS or DSSE-KMS already set is stronger,
/// so it is kept); `have` carries its key as configured when it is the configured key.
pub fn encryption_change(
    bucket: &str,
    configured: Option<&str>,
    have: Option<&Encryption>,
) -> (&'static str, Vec<AttributeChange>, Op) {
    let algorithm = have.map(|h| h.algorithm.as_str());
    let strength = algorithm.and_then(|a| SSE_STRENGTH.iter().position(|s| *s == a));
    // SSE-KMS or DSSE-KMS.
    let kms = strength.is_some_and(|s| s > 0);
    let dual_layer = algorithm == Some("aws:kms:dsse");
    let op = Op::Encrypt { bucket: bucket.to_string(), kms_key: configured.map(str::to_string), dual_layer };
    let mut attrs = Vec::new();
    let reason = match configured {
        None if kms => "SSE-KMS is stronger than the SSE-S3 the baseline asks for: kept",
        None => {
            if strength.is_none() {
                attrs.push(AttributeChange::new("sse_algorithm", show(algorithm), Some("AES256".into())));
            }
            "default encryption differs"
        }
        Some(key) => {
            if !kms {
                attrs.push(AttributeChange::new("sse_algorithm", show(algorithm), Some("aws:kms".into())));
            }
            let have_key = have.and_then(|h| h.kms_key.as_deref());
            if have_key != Some(key) {
                attrs.push(AttributeChange::new("kms_master_key_id", show(have_key), Some(key.to_string())));
            }
            // What `execute` writes: S3 Bucket Keys with SSE-KMS; DSSE-KMS does not support them.
            let want_bucket_key = !dual_layer;
            if have.is_none_or(|h| h.bucket_key != want_bucket_key) {
                let before = have.map(|h| h.bucket_key.to_string());
                attrs.push(AttributeChange::new(
                    "bucket_key_enabled",
                    before.or(Some("(none)".into())),
                    Some(want_bucket_key.to_string()),
                ));
            }
            "default encryption differs"
        }
    };
    (reason, attrs, op)
}

pub async fn execute(target: &Target, op: &Op, _at: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    let s3 = &target.s3;
    match op {
        Op::CreateBucket { bucket, region, tags } => {
            create_bucket(s3, bucket, region).await?;
            tag_bucket(target, bucket, tags).await
        }
        Op::TagBucket { bucket, tags } => tag_bucket(target, bucket, tags).await,
        Op::EnforceBucketOwner { bucket } => enforce_bucket_owner(s3, bucket).await,
        Op::BlockPublicAccess { bucket } => {
            s3.put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(all_blocked())
                .send()
                .await
                .map_err(aws::err("s3:PutBucketPublicAccessBlock"))?;
            Ok(())
        }
        Op::Encrypt { bucket, kms_key, dual_layer } => encrypt(s3, bucket, kms_key.as_deref(), *dual_layer).await,
        Op::EnableVersioning { bucket } => {
            s3.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(
                    VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
                )
                .send()
                .await
                .map_err(aws::err("s3:PutBucketVersioning"))?;
            Ok(())
        }
        Op::PutRetentionRule { bucket, lifecycle } => put_retention_rule(s3, bucket, lifecycle).await,
        Op::PutPolicy { bucket, statements } => put_policy(s3, bucket, statements).await,
        Op::LogAccess { bucket, target_bucket, prefix } => log_access(target, bucket, target_bucket, prefix).await,
    }
}

async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &str, region: &str) -> Result<(), AwsError> {
    let mut create = s3.create_bucket().bucket(bucket).object_ownership(ObjectOwnership::BucketOwnerEnforced);
    // us-east-1 must omit the location constraint; every other region must give it.
    if region != "us-east-1" {
        let location =
            CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build();
        create = create.create_bucket_configuration(location);
    }
    match create.send().await.map_err(aws::err("s3:CreateBucket")) {
        Ok(_) => Ok(()),
        Err(e) if e.is_code("BucketAlreadyOwnedByYou") => Ok(()),
        Err(e) if e.is_code("BucketAlreadyExists") => Err(AwsError {
            message: format!(
                "the bucket name \"{bucket}\" is taken by another AWS account (bucket names are global); change \
                 [log_archive] bucket"
            ),
            ..e
        }),
        Err(e) => Err(e),
    }
}

async fn enforce_bucket_owner(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), AwsError> {
    let rule = OwnershipControlsRule::builder()
        .object_ownership(ObjectOwnership::BucketOwnerEnforced)
        .build()
        .map_err(aws::build_error("s3:PutBucketOwnershipControls"))?;
    let controls =
        OwnershipControls::builder().rules(rule).build().map_err(aws::build_error("s3:PutBucketOwnershipControls"))?;
    s3.put_bucket_ownership_controls()
        .bucket(bucket)
        .ownership_controls(controls)
        .send()
        .await
        .map_err(aws::err("s3:PutBucketOwnershipControls"))?;
    Ok(())
}

/// SSE-KMS with `kms_key` (DSSE-KMS when `dual_layer`), else SSE-S3.
async fn encrypt(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    kms_key: Option<&str>,
    dual_layer: bool,
) -> Result<(), AwsError> {
    let kms = if dual_layer { ServerSideEncryption::AwsKmsDsse } else { ServerSideEncryption::AwsKms };
    let default = match kms_key {
        Some(key) => ServerSideEncryptionByDefault::builder().sse_algorithm(kms).kms_master_key_id(key),
        None => ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256),
    }
    .build()
    .map_err(aws::build_error("s3:PutEncryptionConfiguration"))?;
    // S3 Bucket Keys cut the KMS requests of SSE-KMS; DSSE-KMS does not support them.
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .bucket_key_enabled(kms_key.is_some() && !dual_layer)
        .build();
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(rule)
        .build()
        .map_err(aws::build_error("s3:PutEncryptionConfiguration"))?;
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .map_err(aws::err("s3:PutEncryptionConfiguration"))?;
    Ok(())
}

/// One document for all rules: re-read, replace ours, keep the others.
async fn put_retention_rule(s3: &aws_sdk_s3::Client, bucket: &str, lifecycle: &Lifecycle) -> Result<(), AwsError> {
    let current = optional(
        s3.get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .send()
            .await
            .map_err(aws::err("s3:GetLifecycleConfiguration")),
    )?;
    let mut rules: Vec<LifecycleRule> = current
        .map(|c| c.rules().iter().filter(|r| r.id() != Some(LIFECYCLE_RULE_ID)).cloned().collect())
        .unwrap_or_default();
    rules.push(retention(lifecycle)?);
    let config = BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(aws::build_error("s3:PutLifecycleConfiguration"))?;
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(config)
        .send()
        .await
        .map_err(aws::err("s3:PutLifecycleConfiguration"))?;
    Ok(())
}

/// The owned statements merged into the policy as it is now (re-read: foreign statements are kept).
async fn put_policy(s3: &aws_sdk_s3::Client, bucket: &str, statements: &[Value]) -> Result<(), AwsError> {
    let current = optional(s3.get_bucket_policy().bucket(bucket).send().await.map_err(aws::err("s3:GetBucketPolicy")))?
        .as_ref()
        .and_then(|p| p.policy())
        .map(PolicyDocument::parse)
        .transpose()
        .map_err(|e| super::unreadable_policy("s3:PutBucketPolicy", e))?;
    let merged = policy::merge_owned(current.as_ref(), statements);
    if current.as_ref().is_some_and(|c| c.equivalent(&merged)) {
        return Ok(());
    }
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(merged.to_json())
        .send()
        .await
        .map_err(aws::err("s3:PutBucketPolicy"))?;
    Ok(())
}

async fn log_access(target: &Target, bucket: &str, target_bucket: &str, prefix: &str) -> Result<(), AwsError> {
    let enabled = LoggingEnabled::builder()
        .target_bucket(target_bucket)
        .target_prefix(prefix)
        .build()
        .map_err(aws::build_error("s3:PutBucketLogging"))?;
    target
        .s3
        .put_bucket_logging()
        .bucket(bucket)
        .bucket_logging_status(BucketLoggingStatus::builder().logging_enabled(enabled).build())
        .send()
        .await
        .map_err(aws::err("s3:PutBucketLogging"))?;
    Ok(())
}

fn all_blocked() -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build()
}

fn retention(lc: &Lifecycle) -> Result<LifecycleRule, AwsError> {
    let days = |d: u32| i32::try_from(d).unwrap_or(i32::MAX);
    let mut rule = LifecycleRule::builder()
        .id(LIFECYCLE_RULE_ID)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder().days_after_initiation(days(ABORT_MULTIPART_DAYS)).build(),
        );
    if lc.transition_days > 0 {
        rule = rule.transitions(
            Transition::builder().days(days(lc.transition_days)).storage_class(TransitionStorageClass::Glacier).build(),
        );
    }
    if lc.expiration_days > 0 {
        rule = rule.expiration(LifecycleExpiration::builder().days(days(lc.expiration_days)).build());
    }
    if lc.noncurrent_expiration_days > 0 {
        rule = rule.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder().noncurrent_days(days(lc.noncurrent_expiration_days)).build(),
        );
    }
    rule.build().map_err(aws::build_error("s3:PutLifecycleConfiguration"))
}

/// A tag only AWS may set (the `aws:` prefix is reserved).
pub fn is_system_tag(key: &str) -> bool {
    key.to_ascii_lowercase().starts_with("aws:")
}

async fn tag_bucket(target: &Target, bucket: &str, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    // The tag set is one document: re-read and merge so foreign tags survive.
    let current =
        optional(target.s3.get_bucket_tagging().bucket(bucket).send().await.map_err(aws::err("s3:GetBucketTagging")))?;
    let mut merged: BTreeMap<String, String> = current
        .map(|t| t.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
        .unwrap_or_default();
    let before = merged.clone();
    merged.extend(tags.clone());
    if merged == before {
        return Ok(());
    }
    // Tags AWS sets (`aws:cloudformation:stack-name`, ...) cannot be written back: S3 refuses any `aws:` key
    // in PutBucketTagging ("InvalidTag: System tags cannot be added/updated by requester") and keeps them.
    merged.retain(|key, _| !is_system_tag(key));
    let tag_set = merged
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(aws::build_error("s3:PutBucketTagging"))?;
    let tagging =
        Tagging::builder().set_tag_set(Some(tag_set)).build().map_err(aws::build_error("s3:PutBucketTagging"))?;
    target
        .s3
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(aws::err("s3:PutBucketTagging"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope { account_id: "111111111111".into(), partition: "aws".into(), home_region: "eu-west-1".into() }
    }

    fn archive() -> LogArchive {
        LogArchive {
            bucket: "logs-{account_id}-{region}".into(),
            region: None,
            account_id: None,
            kms_key_arn: None,
            lifecycle: Lifecycle::default(),
            mfa_delete: false,
            access_log_bucket: None,
        }
    }

    fn writers() -> Writers {
        Writers {
            accounts: vec!["111111111111".into()],
            organization_id: None,
            trail_arns: vec!["arn:aws:cloudtrail:eu-west-1:111111111111:trail/t".into()],
            cloudtrail_prefix: None,
            billing_report_prefix: None,
            billing_report_definition: None,
            config_prefix: None,
        }
    }

    fn hardened(statements: &[Value]) -> BucketState {
        BucketState {
            region: "eu-west-1".into(),
            tags: BTreeMap::from([("managed-by".into(), "baseline".into())]),
            ownership: Some("BucketOwnerEnforced".into()),
            public_access_block: Some([true; 4]),
            encryption: Some(Encryption { algorithm: "AES256".into(), kms_key: None, bucket_key: false }),
            versioning: Some("Enabled".into()),
            mfa_delete: false,
            retention: Some(wanted_rule(&Lifecycle::default())),
            policy: Some(policy::merge_owned(None, statements)),
            unreadable_policy: None,
            logging: None,
        }
    }

    fn run(state: Option<&BucketState>) -> Plan {
        let at = location(&archive(), &scope());
        let tags = BTreeMap::from([("managed-by".to_string(), "baseline".to_string())]);
        diff(&scope(), &archive(), &at, &writers(), &tags, state)
    }

    #[test]
    fn name_and_location_come_from_the_template() {
        let at = location(&archive(), &scope());
        assert_eq!(
            at,
            BucketLocation {
                name: "logs-111111111111-eu-west-1".into(),
                region: "eu-west-1".into(),
                owner: "111111111111".into()
            }
        );
        let mut other = archive();
        other.account_id = Some("222222222222".into());
        other.region = Some("us-east-1".into());
        assert_eq!(location(&other, &scope()).name, "logs-222222222222-us-east-1");
    }

    #[test]
    fn new_bucket_creates_every_setting_after_the_bucket() {
        let plan = run(None);
        assert_eq!(plan.changes.len(), 7);
        assert!(plan.changes.iter().all(|c| c.action == Action::Create));
        let bucket = &plan.changes[0].address;
        assert_eq!(bucket.to_string(), "111111111111/eu-west-1/s3.bucket/logs-111111111111-eu-west-1");
        assert!(plan.changes[1..].iter().all(|c| c.depends_on == vec![bucket.clone()]));
        assert!(plan.changes.iter().flat_map(|c| &c.attributes).all(|a| a.before.is_none()));
    }

    #[test]
    fn access_logging_is_turned_on_repaired_and_logging_elsewhere_kept() {
        let mut archive = archive();
        archive.access_log_bucket = Some("access-{account_id}-{region}".into());
        let at = location(&archive, &scope());
        let statements = owned_statements("aws", &at.name, &writers());
        let tags = BTreeMap::new();
        let logging = |state: &BucketState| {
            let plan = diff(&scope(), &archive, &at, &writers(), &tags, Some(state));
            plan.changes.into_iter().find(|c| c.address.kind == LOGGING).unwrap()
        };
        let off = hardened(&statements);
        let change = logging(&off);
        assert_eq!(change.action, Action::Update);
        let fields: Vec<(&str, Option<&str>)> =
            change.attributes.iter().map(|a| (a.name.as_str(), a.after.as_deref())).collect();
        assert_eq!(
            fields,
            [
                ("target_bucket", Some("access-111111111111-eu-west-1")),
                ("target_prefix", Some("logs-111111111111-eu-west-1/"))
            ]
        );
        // It waits for the access-log bucket's policy, which lets the logging service write.
        assert!(change.depends_on.iter().any(|d| d.kind == BUCKET_POLICY && d.name == "access-111111111111-eu-west-1"));

        let moved =
            BucketState { logging: Some(("access-111111111111-eu-west-1".into(), "moved/".into())), ..off.clone() };
        let change = logging(&moved);
        assert_eq!(
            change.attributes,
            vec![AttributeChange::new(
                "target_prefix",
                Some("moved/".into()),
                Some("logs-111111111111-eu-west-1/".into())
            )]
        );
        let converged = BucketState {
            logging: Some(("access-111111111111-eu-west-1".into(), "logs-111111111111-eu-west-1/".into())),
            ..off.clone()
        };
        assert_eq!(logging(&converged).action, Action::NoOp);
        // Logging already going to a bucket baseline does not own meets the requirement and is kept.
        let foreign = BucketState { logging: Some(("central-access-logs".into(), "x/".into())), ..off };
        let change = logging(&foreign);
        assert_eq!(
            (change.action, change.reason.as_str()),
            (Action::NoOp, "access logs go to bucket central-access-logs: kept")
        );
    }

    #[test]
    fn the_access_log_bucket_is_hardened_and_lets_only_the_archive_log_into_it() {
        let mut archive = archive();
        archive.access_log_bucket = Some("access-{account_id}-{region}".into());
        let at = location(&archive, &scope());
        let plan = access_log_diff(&scope(), &archive, &at, &BTreeMap::new(), None).unwrap();
        let kinds: Vec<&str> = plan.changes.iter().map(|c| c.address.kind).collect();
        assert_eq!(kinds, [BUCKET, OWNERSHIP, PUBLIC_ACCESS_BLOCK, ENCRYPTION, VERSIONING, LIFECYCLE, BUCKET_POLICY]);
        assert!(plan.changes.iter().all(|c| c.address.name == "access-111111111111-eu-west-1"));
        let statements = access_log_statements("aws", "access-111111111111-eu-west-1", &at.name, "111111111111");
        let logs = &statements[0];
        assert_eq!(logs["Principal"]["Service"], "logging.s3.amazonaws.com");
        assert_eq!(logs["Resource"], "arn:aws:s3:::access-111111111111-eu-west-1/logs-111111111111-eu-west-1/*");
        assert_eq!(logs["Condition"]["ArnLike"]["aws:SourceArn"], "arn:aws:s3:::logs-111111111111-eu-west-1");
        // SSE-S3, never the archive's KMS key: server access logs are delivered to SSE-S3 buckets only.
        let mut keyed = archive.clone();
        keyed.kms_key_arn = Some("arn:aws:kms:eu-west-1:111111111111:key/k".into());
        let plan = access_log_diff(&scope(), &keyed, &at, &BTreeMap::new(), None).unwrap();
        let encryption = plan.changes.iter().find(|c| c.address.kind == ENCRYPTION).unwrap();
        assert_eq!(encryption.attributes[0].after.as_deref(), Some("AES256"));
        // A hardened access-log bucket plans nothing, and has no access logging of its own.
        let hardened = BucketState { policy: Some(policy::merge_owned(None, &statements)), ..hardened(&[]) };
        let plan = access_log_diff(&scope(), &archive, &at, &BTreeMap::new(), Some(&hardened)).unwrap();
        assert!(!plan.has_pending(), "{:?}", plan.pending().collect::<Vec<_>>());
        assert!(plan.changes.iter().all(|c| c.address.kind != LOGGING));
    }

    #[test]
    fn hardened_bucket_is_all_no_op() {
        let statements = owned_statements("aws", "logs-111111111111-eu-west-1", &writers());
        let plan = run(Some(&hardened(&statements)));
        assert!(!plan.has_pending(), "{:?}", plan.pending().map(|c| c.address.to_string()).collect::<Vec<_>>());
    }

    #[test]
    fn kms_encryption_is_drift_when_configured() {
        let statements = owned_statements("aws", "logs-111111111111-eu-west-1", &writers());
        let mut archive = archive();
        archive.kms_key_arn = Some("arn:aws:kms:eu-west-1:111111111111:key/k".into());
        let at = location(&archive, &scope());
        let plan = diff(&scope(), &archive, &at, &writers(), &BTreeMap::new(), Some(&hardened(&statements)));
        let change = plan.pending().next().unwrap();
        assert_eq!(change.address.kind, ENCRYPTION);
        let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["sse_algorithm", "kms_master_key_id", "bucket_key_enabled"]);
    }

    const KEY: &str = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const ALIAS: &str = "arn:aws:kms:eu-west-1:111111111111:alias/logs";

    /// With S3 Bucket Keys as `execute` sets them: on for SSE-KMS.
    fn sse(algorithm: &str, key: Option<&str>) -> Encryption {
        let bucket_key = algorithm == "aws:kms";
        Encryption { algorithm: algorithm.into(), kms_key: key.map(str::to_string), bucket_key }
    }

    #[test]
    fn stronger_encryption_than_asked_is_kept() {
        for have in [sse("aws:kms", Some(KEY)), sse("aws:kms", None), sse("aws:kms:dsse", Some(KEY))] {
            let (reason, attrs, _) = encryption_change("b", None, Some(&have));
            assert!(attrs.is_empty(), "{have:?} kept: {attrs:?}");
            assert!(reason.contains("stronger"), "{reason}");
        }
        let (_, attrs, _) = encryption_change("b", None, Some(&sse("AES256", None)));
        assert!(attrs.is_empty());
        // No default encryption, or one the baseline does not know: SSE-S3.
        for have in [None, Some(sse("aws:fsx", None))] {
            let (_, attrs, op) = encryption_change("b", None, have.as_ref());
            assert_eq!(attrs.len(), 1);
            assert_eq!(attrs[0].after.as_deref(), Some("AES256"));
            assert_eq!(op, Op::Encrypt { bucket: "b".into(), kms_key: None, dual_layer: false });
        }
    }

    #[test]
    fn configured_key_is_required_and_dual_layer_kept() {
        let (_, attrs, _) = encryption_change("b", Some(KEY), Some(&sse("aws:kms:dsse", Some(KEY))));
        assert!(attrs.is_empty(), "DSSE-KMS with the key satisfies SSE-KMS with it");
        let other = "arn:aws:kms:eu-west-1:111111111111:key/other";
        let (_, attrs, op) = encryption_change("b", Some(KEY), Some(&sse("aws:kms:dsse", Some(other))));
        assert_eq!(attrs, vec![AttributeChange::new("kms_master_key_id", Some(other.into()), Some(KEY.into()))]);
        assert_eq!(op, Op::Encrypt { bucket: "b".into(), kms_key: Some(KEY.into()), dual_layer: true });
        let (_, attrs, _) = encryption_change("b", Some(KEY), Some(&sse("aws:kms", None)));
        assert_eq!(attrs.len(), 1, "the AWS managed key is not the configured key: {attrs:?}");
    }

    #[test]
    fn bucket_key_is_compared_against_what_apply_writes() {
        let turned_off = Encryption { bucket_key: false, ..sse("aws:kms", Some(KEY)) };
        let (_, attrs, op) = encryption_change("b", Some(KEY), Some(&turned_off));
        assert_eq!(attrs, vec![AttributeChange::new("bucket_key_enabled", Some("false".into()), Some("true".into()))]);
        assert_eq!(op, Op::Encrypt { bucket: "b".into(), kms_key: Some(KEY.into()), dual_layer: false });
        // DSSE-KMS does not support Bucket Keys, and without a configured key the encryption is not ours.
        let (_, attrs, _) = encryption_change("b", Some(KEY), Some(&sse("aws:kms:dsse", Some(KEY))));
        assert!(attrs.is_empty(), "{attrs:?}");
        let (_, attrs, _) = encryption_change("b", None, Some(&turned_off));
        assert!(attrs.is_empty(), "{attrs:?}");
    }

    fn review(key_arn: Result<String, AwsError>) -> KeyReview {
        KeyReview { configured: ALIAS.into(), key_arn, trail: TrailKey::BucketDefault, policy: Ok(None) }
    }

    #[test]
    fn key_reported_as_key_arn_matches_its_alias() {
        let mut state = hardened(&[]);
        state.encryption = Some(sse("aws:kms", Some(KEY)));
        encryption_key_as_configured(Some(&mut state), &review(Ok(KEY.into()))).unwrap();
        assert_eq!(state.encryption.as_ref().unwrap().kms_key.as_deref(), Some(ALIAS));
        let (_, attrs, _) = encryption_change("b", Some(ALIAS), state.encryption.as_ref());
        assert!(attrs.is_empty());

        // Another key stays as reported: drift.
        state.encryption = Some(sse("aws:kms", Some("arn:aws:kms:eu-west-1:111111111111:key/other")));
        encryption_key_as_configured(Some(&mut state), &review(Ok(KEY.into()))).unwrap();
        assert!(state.encryption.as_ref().unwrap().kms_key.as_deref().unwrap().ends_with("key/other"));

        // The alias could not be looked up: the comparison is impossible, unless the texts are equal.
        let denied = AwsError::new("kms:DescribeKey", ErrorKind::AccessDenied, None, "denied".into(), Some(400));
        assert!(encryption_key_as_configured(Some(&mut state), &review(Err(denied.clone()))).is_err());
        state.encryption = Some(sse("aws:kms", Some(ALIAS)));
        assert!(encryption_key_as_configured(Some(&mut state), &review(Err(denied))).is_ok());
    }

    fn cloudtrail_writers() -> Writers {
        Writers { billing_report_prefix: Some("cur".into()), ..writers() }
    }

    #[test]
    fn key_policy_missing_statements_are_a_warning_with_the_json_to_add() {
        let address = Address::new("111111111111", "eu-west-1", ENCRYPTION, "b");
        let statements = key_policy_statements(KEY, &cloudtrail_writers(), TrailKey::Same, true);
        let sids: Vec<&str> = statements.iter().map(|(_, s)| s["Sid"].as_str().unwrap()).collect();
        assert_eq!(
            sids,
            [
                "AllowCloudTrailEncryptLogs",
                "AllowCloudTrailDecryptTrail",
                "AllowCloudTrailAccess",
                "AWSConfigKMSPolicy",
                "AllowBillingReportsEncrypt"
            ]
        );
        let encrypt = &statements[0].1;
        assert_eq!(encrypt["Condition"]["StringEquals"]["aws:SourceArn"], json!(writers().trail_arns));
        assert_eq!(
            encrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"],
            json!(["arn:aws:cloudtrail:*:111111111111:trail/*"])
        );

        // Only the account's own statement: every service is missing, each statement is spelled out.
        let root = json!({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"});
        let only_root = PolicyDocument { statements: vec![root.clone()], ..PolicyDocument::empty() };
        let notice = key_policy_notice(&address, ALIAS, KEY, Some(&only_root), &statements).unwrap();
        assert_eq!(notice.level, NoticeLevel::Warning);
        assert!(
            notice.message.starts_with(&format!(
                "the key policy of {ALIAS} does not let CloudTrail and AWS Config and the Cost and Usage Report use the key"
            )),
            "{}",
            notice.message
        );
        let json_part = &notice.message[notice.message.find(": [").unwrap() + 2..];
        let listed: Value = serde_json::from_str(json_part).unwrap();
        assert_eq!(listed, Value::Array(statements.iter().map(|(_, s)| s.clone()).collect()));

        // Statements present, as AWS re-serialises them (strings for one-element arrays, other Sids): no notice.
        let mut present = only_root.clone();
        present.statements.extend(statements.iter().map(|(_, s)| {
            let mut s = s.clone();
            s["Sid"] = json!("theirs");
            s
        }));
        let none = key_policy_notice(&address, ALIAS, KEY, Some(&present), &statements);
        assert!(none.is_none(), "{none:?}");

        // One missing: only that service is named.
        present.statements.retain(|s| s["Principal"]["Service"] != "config.amazonaws.com");
        let notice = key_policy_notice(&address, ALIAS, KEY, Some(&present), &statements).unwrap();
        assert!(notice.message.contains("does not let AWS Config use"), "{}", notice.message);
        assert!(notice.message.contains("AWSConfigKMSPolicy") && !notice.message.contains("AllowCloudTrail"));
    }

    #[test]
    fn cloudtrail_needs_the_bucket_key_only_when_it_writes_with_it() {
        let w = writers();
        let other = key_policy_statements(KEY, &w, TrailKey::Other, false);
        assert!(other.is_empty());
        // S3 encrypts for CloudTrail with its own encryption context: no CloudTrail context condition.
        let default = key_policy_statements(KEY, &w, TrailKey::BucketDefault, false);
        assert_eq!(default.len(), 1);
        assert!(default[0].1["Condition"].get("StringLike").is_none());
        let no_trail = Writers { trail_arns: vec![], ..w };
        assert!(key_policy_statements(KEY, &no_trail, TrailKey::Same, false).is_empty());
    }

    #[test]
    fn bucket_in_another_region_than_configured_is_a_warning_not_a_change() {
        let statements = owned_statements("aws", "logs-111111111111-eu-west-1", &writers());
        let mut state = hardened(&statements);
        state.region = "us-west-2".into();
        let plan = run(Some(&state));
        assert!(plan.changes.is_empty());
        assert!(plan.notices[0].message.contains("exists in us-west-2"));
    }

    #[test]
    fn policy_statements_are_scoped_to_accounts_and_trails() {
        let mut w = writers();
        w.accounts.push("222222222222".into());
        w.cloudtrail_prefix = Some("ct/".into());
        let statements = owned_statements("aws", "b", &w);
        let write = statements.iter().find(|s| s["Sid"] == "BaselineCloudTrailWrite").unwrap();
        assert_eq!(
            write["Resource"],
            json!(["arn:aws:s3:::b/ct/AWSLogs/111111111111/*", "arn:aws:s3:::b/ct/AWSLogs/222222222222/*"])
        );
        assert_eq!(write["Condition"]["StringEquals"]["s3:x-amz-acl"], "bucket-owner-full-control");
        assert_eq!(write["Condition"]["StringEquals"]["aws:SourceArn"], json!(w.trail_arns));
        let deny = &statements[0];
        assert_eq!(deny["Condition"]["Bool"]["aws:SecureTransport"], "false");
        let no_trail = owned_statements("aws", "b", &Writers { trail_arns: vec![], ..w });
        assert!(no_trail.iter().all(|s| !s["Sid"].as_str().unwrap().contains("CloudTrail")));
    }

    #[test]
    fn versioning_status_is_read_from_the_raw_body() {
        let body = r#"<?xml version="1.0"?><GetBucketVersioningResponse xmlns="x"><Status>Enabled</Status></GetBucketVersioningResponse>"#;
        assert_eq!(xml_element(body, "Status").as_deref(), Some("Enabled"));
        assert_eq!(xml_element("<VersioningConfiguration/>", "Status"), None);
    }

    fn fleet(count: usize) -> Vec<String> {
        (0..count).map(|i| format!("{:012}", 100_000_000_000u64 + i as u64)).collect()
    }

    fn organization_desired() -> Desired {
        let text = "[accounts]\norganization = true\n[notifications.security]\ntopic = \"sec\"\n\
                    emails = [\"s@example.com\"]\n[log_archive]\nbucket = \"logs-{account_id}\"\n\
                    account_id = \"111111111111\"\n[cloudtrail]\n[config]\n[billing_reports]\n";
        crate::config::parse(std::path::Path::new("baseline.toml"), text).unwrap().desired
    }

    #[test]
    fn an_organizations_policy_does_not_grow_with_its_accounts() {
        let d = organization_desired();
        let policy = |accounts: &[String]| {
            let w = super::writers(&d, &scope(), accounts, Some("o-a1b2c3d4e5"));
            policy::merge_owned(None, &owned_statements("aws", "logs", &w)).to_json()
        };
        let (ten, thousand) = (policy(&fleet(10)), policy(&fleet(1_000)));
        assert_eq!(ten, thousand);
        assert!(thousand.len() < MAX_BUCKET_POLICY_BYTES, "{} bytes", thousand.len());
        // Confused-deputy protection kept: every service statement names the organization, and CloudTrail's
        // names the trail.
        let doc = PolicyDocument::parse(&thousand).unwrap();
        for statement in doc.statements.iter().filter(|s| s["Effect"] == "Allow") {
            let sid = statement["Sid"].as_str().unwrap();
            if sid.starts_with("BaselineBillingReports") {
                // Only the bucket's owner may deliver a report here, and only its own definition.
                let condition = &statement["Condition"];
                assert_eq!(condition["StringEquals"]["aws:SourceAccount"], json!(["111111111111"]), "{statement}");
                let definition = "arn:aws:cur:us-east-1:111111111111:definition/baseline-cost-and-usage";
                assert_eq!(condition["ArnLike"]["aws:SourceArn"], json!([definition]), "{statement}");
            } else {
                assert_eq!(statement["Condition"]["StringEquals"]["aws:SourceOrgID"], "o-a1b2c3d4e5", "{statement}");
            }
        }
        let acl = doc.statement("BaselineCloudTrailWrite").unwrap();
        assert_eq!(
            acl["Condition"]["ArnLike"]["aws:SourceArn"][0],
            "arn:aws:cloudtrail:eu-west-1:*:trail/baseline-trail"
        );
        assert_eq!(acl["Resource"][0], "arn:aws:s3:::logs/AWSLogs/*");
        let config = doc.statement("BaselineConfigWrite").unwrap();
        assert_eq!(config["Resource"][0], "arn:aws:s3:::logs/AWSLogs/*/Config/*");
    }

    #[test]
    fn a_policy_over_s3s_limit_is_refused_with_its_size_and_the_fix() {
        let d = organization_desired();
        let w = super::writers(&d, &scope(), &fleet(60), None);
        let at = location(&archive(), &scope());
        let plan = diff(&scope(), &archive(), &at, &w, &BTreeMap::new(), None);
        assert!(plan.changes.iter().all(|c| c.address.kind != BUCKET_POLICY), "never planned");
        let error = &plan.errors[0];
        assert_eq!(error.address.kind, BUCKET_POLICY);
        assert_eq!(error.error.code.as_deref(), Some("PolicyTooLarge"));
        assert!(error.error.message.contains("over S3's limit of 20480 bytes"), "{}", error.error.message);
        assert!(error.error.message.contains("organization = true"), "{}", error.error.message);
        // Ten accounts listed one by one still fit.
        let w = super::writers(&d, &scope(), &fleet(10), None);
        assert!(diff(&scope(), &archive(), &at, &w, &BTreeMap::new(), None).errors.is_empty());
    }

    #[test]
    fn an_unreadable_policy_is_an_error_never_an_overwrite() {
        let statements = owned_statements("aws", "logs-111111111111-eu-west-1", &writers());
        let mut state = hardened(&statements);
        state.policy = None;
        state.unreadable_policy = Some("the policy document is not understood: it has no `Statement`".into());
        let plan = run(Some(&state));
        assert!(!plan.has_pending());
        assert!(plan.changes.iter().all(|c| c.address.kind != BUCKET_POLICY));
        assert_eq!(plan.errors.len(), 1);
        assert_eq!(plan.errors[0].address.kind, BUCKET_POLICY);
        assert!(plan.errors[0].error.message.contains("will not overwrite"), "{}", plan.errors[0].error.message);
    }

    #[test]
    fn settings_of_an_existing_bucket_do_not_wait_for_its_tags() {
        let statements = owned_statements("aws", "logs-111111111111-eu-west-1", &writers());
        let mut state = hardened(&statements);
        state.tags.clear();
        state.policy = None;
        let plan = run(Some(&state));
        let pending: Vec<&ResourceChange> = plan.pending().collect();
        assert_eq!(pending.len(), 2, "tags and policy");
        assert!(pending.iter().all(|c| c.depends_on.is_empty()), "{pending:?}");
    }

    #[test]
    fn system_tags_are_never_written() {
        assert!(is_system_tag("aws:cloudformation:stack-name"));
        assert!(is_system_tag("AWS:x"));
        assert!(!is_system_tag("managed-by"));
        assert!(!is_system_tag("awsome"));
    }

    fn lifecycle_rule(filter: LifecycleRuleFilter, class: TransitionStorageClass, abort: Option<i32>) -> LifecycleRule {
        let mut rule = LifecycleRule::builder()
            .id(LIFECYCLE_RULE_ID)
            .status(ExpirationStatus::Enabled)
            .filter(filter)
            .transitions(Transition::builder().days(90).storage_class(class).build())
            .expiration(LifecycleExpiration::builder().days(2557).build())
            .noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(90).build());
        if let Some(days) = abort {
            rule = rule.abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder().days_after_initiation(days).build(),
            );
        }
        rule.build().unwrap()
    }

    #[test]
    fn the_written_retention_rule_reads_back_as_wanted() {
        for lc in
            [Lifecycle::default(), Lifecycle { transition_days: 0, expiration_days: 0, noncurrent_expiration_days: 30 }]
        {
            let written = retention(&lc).unwrap();
            assert_eq!(retention_rule(&written), wanted_rule(&lc), "{lc:?}");
            assert!(retention_attributes(&wanted_rule(&lc), Some(&retention_rule(&written))).is_empty());
        }
        let whole = LifecycleRuleFilter::builder().build();
        let rule = lifecycle_rule(whole, TransitionStorageClass::Glacier, Some(7));
        assert_eq!(retention_rule(&rule).filter, "", "a filter without a prefix covers the whole bucket");
    }

    #[test]
    fn a_narrowed_lifecycle_rule_is_drift_field_by_field() {
        let want = wanted_rule(&Lifecycle::default());
        let narrowed = lifecycle_rule(
            LifecycleRuleFilter::builder().prefix("nothing-here/").build(),
            TransitionStorageClass::StandardIa,
            None,
        );
        let have = retention_rule(&narrowed);
        let name = |field: &str| format!("rule[{LIFECYCLE_RULE_ID}].{field}");
        assert_eq!(
            retention_attributes(&want, Some(&have)),
            vec![
                AttributeChange::new(
                    name("filter"),
                    Some("prefix nothing-here/".into()),
                    Some("(whole bucket)".into())
                ),
                AttributeChange::new(
                    name("transition_storage_class"),
                    Some("STANDARD_IA".into()),
                    Some("GLACIER".into())
                ),
                AttributeChange::new(
                    name("abort_incomplete_multipart_upload_days"),
                    Some("0".into()),
                    Some("7".into())
                ),
            ]
        );
        // Tags narrow the rule too, and the whole change is one rewrite of the rule.
        let tag = Tag::builder().key("keep").value("no").build().unwrap();
        let tagged =
            lifecycle_rule(LifecycleRuleFilter::builder().tag(tag).build(), TransitionStorageClass::Glacier, Some(7));
        assert_eq!(retention_rule(&tagged).filter, "tag keep=no");
        let mut state = hardened(&owned_statements("aws", "logs-111111111111-eu-west-1", &writers()));
        state.retention = Some(have);
        let plan = run(Some(&state));
        let pending: Vec<&ResourceChange> = plan.pending().collect();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].address.kind, LIFECYCLE);
        assert!(matches!(pending[0].operation, Some(Operation::LogBucket(Op::PutRetentionRule { .. }))));
    }

    #[test]
    fn mfa_delete_is_a_manual_action_and_no_lifecycle_rule_is_planned() {
        let scope =
            Scope { account_id: "111111111111".into(), partition: "aws".into(), home_region: "eu-west-1".into() };
        let no_days = Lifecycle { transition_days: 0, expiration_days: 0, noncurrent_expiration_days: 0 };
        let off = archive();
        let archive = LogArchive { mfa_delete: true, lifecycle: no_days, ..off.clone() };
        let at = location(&archive, &scope);
        let mut state = hardened(&owned_statements("aws", &at.name, &writers()));
        let plan = diff(&scope, &archive, &at, &writers(), &BTreeMap::new(), Some(&state));
        let manual = plan.changes.iter().find(|c| c.address.kind == MFA_DELETE).expect("a manual action");
        assert_eq!(manual.action, Action::Manual);
        let steps: Vec<&str> = manual.attributes.iter().filter_map(|a| a.after.as_deref()).collect();
        assert!(steps[0].starts_with("Remove the bucket's lifecycle configuration first"), "{steps:?}");
        assert!(steps.iter().any(|s| s.contains("MFADelete=Enabled --mfa \"arn:aws:iam::111111111111:mfa/")));
        assert!(!plan.changes.iter().any(|c| c.address.kind == LIFECYCLE), "no lifecycle rule with MFA delete");

        state.mfa_delete = true;
        state.retention = None;
        let plan = diff(&scope, &archive, &at, &writers(), &BTreeMap::new(), Some(&state));
        assert_eq!(plan.changes.iter().find(|c| c.address.kind == MFA_DELETE).unwrap().action, Action::NoOp);
        // Off by default: no MFA delete change at all.
        let plan = diff(&scope, &off, &at, &writers(), &BTreeMap::new(), Some(&state));
        assert!(!plan.changes.iter().any(|c| c.address.kind == MFA_DELETE));
    }
}
