//! The account's multi-region CloudTrail trail, delivering to the central log bucket and to a CloudWatch Logs
//! group through a least-privilege IAM role.

use std::collections::BTreeMap;

use aws_sdk_cloudtrail::types::{
    AdvancedEventSelector, AdvancedFieldSelector, DataResource, EventSelector, ReadWriteType, Tag as TrailTag, Trail,
};
use futures::future::join_all;
use serde_json::json;

use super::{Operation, report_unreadable};
use super::{Plan, ResourceChange};
use super::{iam_role, wiring};
use crate::aws::{self, AwsError};
use crate::config::{CloudTrailSpec, DEFAULT_RETENTION_DAYS, Desired};
use crate::engine::{Action, Address, AttributeChange, EventSink, GLOBAL, Notice, NoticeLevel};
use crate::policy::PolicyDocument;
use crate::target::{Scope, Target};

pub const TRAIL: &str = "cloudtrail.trail";
pub const EVENT_SELECTORS: &str = "cloudtrail.event_selectors";
pub const LOGGING: &str = "cloudtrail.logging";
pub const LOG_GROUP: &str = "logs.log_group";
pub const ROLE: &str = "iam.role";
pub const ROLE_POLICY: &str = "iam.role_policy";

/// The inline policy on the delivery role.
pub const ROLE_POLICY_NAME: &str = "baseline-cloudtrail-to-cloudwatch-logs";

/// The delivery role's description, written on creation and kept.
pub const ROLE_DESCRIPTION: &str =
    "Lets CloudTrail deliver the trail of this account to CloudWatch Logs, managed by baseline";

/// CloudTrail answers these while IAM, S3 or KMS changes propagate: retried with backoff. Anything else is final.
const PROPAGATION_ERRORS: &[&str] = &[
    "InsufficientS3BucketPolicyException",
    "InvalidCloudWatchLogsRoleArnException",
    "InvalidCloudWatchLogsLogGroupArnException",
    "InsufficientSnsTopicPolicyException",
    "InsufficientEncryptionPolicyException",
];

pub use super::wiring::{LogGroupPlacement, TrailInUse, log_group_arn, role_arn, trail_arn};


/// The log group ARN the tagging calls take: without the `:*` ("The ARN format of a log group is
/// arn:aws:logs:Region:account-id:log-group:log-group-name", CloudWatch Logs API reference, TagResource).
pub fn log_group_tag_arn(scope: &Scope, name: &str) -> String {
    log_group_arn(scope, name).trim_end_matches(":*").to_string()
}

/// Only CloudTrail, only for this account's trail, may assume the delivery role.
pub fn trust_policy(scope: &Scope, spec: &CloudTrailSpec) -> PolicyDocument {
    PolicyDocument {
        version: Some("2012-10-17".into()),
        id: None,
        statements: vec![json!({
            "Sid": "BaselineCloudTrailAssumeRole",
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": { "aws:SourceAccount": scope.account_id },
                "ArnLike": { "aws:SourceArn": trail_arn(scope, &spec.trail) }
            }
        })],
    }
}

/// Create streams and put events in this log group, nothing else.
pub fn role_policy(scope: &Scope, spec: &CloudTrailSpec) -> PolicyDocument {
    let streams = format!(
        "arn:{}:logs:{}:{}:log-group:{}:log-stream:*",
        scope.partition, scope.home_region, scope.account_id, spec.log_group
    );
    PolicyDocument {
        version: Some("2012-10-17".into()),
        id: None,
        statements: vec![json!({
            "Sid": "BaselineCloudTrailToCloudWatchLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": streams
        })],
    }
}

/// The trail settings the baseline requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailSettings {
    pub s3_bucket_name: String,
    pub s3_key_prefix: Option<String>,
    pub is_multi_region_trail: bool,
    pub include_global_service_events: bool,
    pub log_file_validation_enabled: bool,
    pub cloud_watch_logs_log_group_arn: Option<String>,
    pub cloud_watch_logs_role_arn: Option<String>,
    pub kms_key_id: Option<String>,
}

impl TrailSettings {
    fn from_trail(t: &Trail) -> Self {
        Self {
            s3_bucket_name: t.s3_bucket_name().unwrap_or_default().to_string(),
            s3_key_prefix: non_empty(t.s3_key_prefix()),
            is_multi_region_trail: t.is_multi_region_trail().unwrap_or(false),
            include_global_service_events: t.include_global_service_events().unwrap_or(false),
            log_file_validation_enabled: t.log_file_validation_enabled().unwrap_or(false),
            cloud_watch_logs_log_group_arn: non_empty(t.cloud_watch_logs_log_group_arn()),
            cloud_watch_logs_role_arn: non_empty(t.cloud_watch_logs_role_arn()),
            kms_key_id: non_empty(t.kms_key_id()),
        }
    }

    /// `(name, value)` pairs for display and comparison.
    fn fields(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("s3_bucket_name", Some(self.s3_bucket_name.clone())),
            ("s3_key_prefix", self.s3_key_prefix.clone()),
            ("is_multi_region_trail", Some(self.is_multi_region_trail.to_string())),
            ("include_global_service_events", Some(self.include_global_service_events.to_string())),
            ("log_file_validation_enabled", Some(self.log_file_validation_enabled.to_string())),
            ("cloud_watch_logs_log_group_arn", self.cloud_watch_logs_log_group_arn.clone()),
            ("cloud_watch_logs_role_arn", self.cloud_watch_logs_role_arn.clone()),
            ("kms_key_id", self.kms_key_id.clone()),
        ]
    }
}

/// AWS reports an unset string setting as absent or as "".
fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

/// How much of the management events a trail's selectors log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ManagementCoverage {
    /// Every management event, read and write, of every event source: what the baseline requires.
    pub all: bool,
    /// Some selector logs management events, read and write (perhaps not of every source).
    pub read_write: bool,
    /// The event sources the management selectors leave out, as the plan shows them: basic selectors'
    /// `ExcludeManagementEventSources`, advanced selectors' `eventSource` conditions (`NotEquals` values bare,
    /// any other operator named).
    pub excluded_sources: Vec<String>,
}

/// Whether the selectors log all management events: a basic selector with `IncludeManagementEvents`,
/// `ReadWriteType` All and no excluded source, or an advanced selector on `eventCategory` Management and
/// nothing else (a `readOnly` or `eventSource` condition narrows it). Excluding `kms.amazonaws.com` removes
/// the events the KMS alarm counts.
pub fn management_coverage(basic: &[EventSelector], advanced: &[AdvancedEventSelector]) -> ManagementCoverage {
    let management: Vec<&EventSelector> =
        basic.iter().filter(|s| s.include_management_events() == Some(true)).collect();
    let read_write = |s: &&EventSelector| s.read_write_type() == Some(&ReadWriteType::All);
    let mut coverage = ManagementCoverage {
        all: management.iter().any(|s| read_write(s) && s.exclude_management_event_sources().is_empty()),
        read_write: management.iter().any(read_write),
        excluded_sources: management.iter().flat_map(|s| s.exclude_management_event_sources()).cloned().collect(),
    };
    for selector in advanced.iter().filter(|s| is_management_selector(s)) {
        let fields = selector.field_selectors();
        coverage.all |= fields.iter().all(|f| f.field() == "eventCategory");
        coverage.read_write |= !fields.iter().any(|f| f.field() == "readOnly");
        for f in fields.iter().filter(|f| f.field() == "eventSource") {
            coverage.excluded_sources.extend(f.not_equals().iter().cloned());
            for (operator, values) in [
                ("Equals", f.equals()),
                ("StartsWith", f.starts_with()),
                ("EndsWith", f.ends_with()),
                ("NotStartsWith", f.not_starts_with()),
                ("NotEndsWith", f.not_ends_with()),
            ] {
                coverage.excluded_sources.extend(values.iter().map(|v| format!("{operator} {v}")));
            }
        }
    }
    coverage.excluded_sources.sort();
    coverage.excluded_sources.dedup();
    coverage
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrailState {
    pub arn: String,
    pub home_region: String,
    pub settings: TrailSettings,
    pub is_logging: bool,
    /// What the event selectors log of the management events.
    pub management: ManagementCoverage,
    pub selectors: Vec<EventSelector>,
    /// The trail's advanced event selectors (a trail has either these or basic ones).
    pub advanced_selectors: Vec<AdvancedEventSelector>,
    pub delivery_error: Option<String>,
    pub cloudwatch_delivery_error: Option<String>,
    /// The trail's tags: read for the baseline's own trail in the home region only (empty otherwise).
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OtherTrail {
    pub arn: String,
    pub log_group_arn: Option<String>,
    pub s3_bucket_name: String,
    /// The account owning the trail when it is not this one: an organization trail seen from a member
    /// account, judged from what DescribeTrails says (CloudTrail answers nothing more about it here).
    pub owner: Option<String>,
}

/// The account id in a trail's ARN (`arn:aws:cloudtrail:<region>:<account>:trail/<name>`).
pub fn trail_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Which event selectors a repair writes: the kind the trail already uses, since writing one kind replaces
/// every selector of the other ("You can use either AdvancedEventSelectors or EventSelectors, but not both",
/// CloudTrail API reference, PutEventSelectors).
#[derive(Debug, Clone, PartialEq)]
pub enum Selectors {
    Basic(Vec<EventSelector>),
    Advanced(Vec<AdvancedEventSelector>),
}

/// The CloudWatch Logs group as the account has it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogGroupState {
    /// `None`: never expire.
    pub retention_days: Option<u32>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observed {
    pub trail: Option<TrailState>,
    /// A multi-region trail the baseline does not own that meets every requirement.
    pub compliant_other: Option<OtherTrail>,
    /// `None` when the group does not exist.
    pub log_group: Option<LogGroupState>,
    /// The delivery role as GetRole shows it (its trust policy, description and tags); `None` when it does
    /// not exist.
    pub trust_policy: Option<iam_role::Role>,
    pub role_policy: Option<PolicyDocument>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    CreateLogGroup {
        name: String,
        retention_days: u32,
        tags: BTreeMap<String, String>,
    },
    /// What differs on an existing group: its retention (`None`: kept) and the baseline's tags to add.
    UpdateLogGroup {
        name: String,
        retention_days: Option<u32>,
        tags: BTreeMap<String, String>,
    },
    CreateRole {
        name: String,
        trust_policy: String,
        tags: BTreeMap<String, String>,
    },
    /// What differs on the existing role (`None`: that setting matches; tags: the baseline's tags to add).
    UpdateRole {
        name: String,
        trust_policy: Option<String>,
        description: Option<String>,
        tags: BTreeMap<String, String>,
    },
    PutRolePolicy {
        role: String,
        document: String,
    },
    CreateTrail {
        name: String,
        settings: TrailSettings,
        tags: BTreeMap<String, String>,
    },
    /// `settings`: rewritten when some differ; `tags`: the baseline's tags to add, on the trail's ARN.
    UpdateTrail {
        name: String,
        arn: String,
        settings: Option<TrailSettings>,
        tags: BTreeMap<String, String>,
    },
    LogManagementEvents {
        name: String,
        selectors: Selectors,
    },
    StartLogging {
        name: String,
    },
}

pub fn desired_settings(desired: &Desired, scope: &Scope, spec: &CloudTrailSpec) -> TrailSettings {
    let bucket =
        desired.log_archive.as_ref().map(|archive| wiring::location(archive, scope).name).unwrap_or_default();
    TrailSettings {
        s3_bucket_name: bucket,
        s3_key_prefix: spec.s3_key_prefix.clone(),
        is_multi_region_trail: true,
        include_global_service_events: true,
        log_file_validation_enabled: true,
        cloud_watch_logs_log_group_arn: Some(log_group_arn(scope, &spec.log_group)),
        cloud_watch_logs_role_arn: Some(role_arn(scope, &spec.role)),
        kms_key_id: wiring::trail_key(desired, scope, spec),
    }
}


/// The calls of this family: the trail, its log group and role on their ARNs; other trails of the account
/// are read to find one that already meets the requirement.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    use crate::needs::{Condition, NO_RESOURCE_TYPE};
    let Some(spec) = &desired.cloudtrail else { return };
    let trail = needs.home_arn("cloudtrail", &format!("trail/{}", spec.trail));
    needs.any(&["cloudtrail:DescribeTrails"], NO_RESOURCE_TYPE);
    // Any trail the account sees, in any region (shadow trails) and of any account (an organization trail
    // carries the management account's id), may be the one that satisfies the baseline.
    let any_trail = format!("arn:{}:cloudtrail:*:*:trail/*", needs.scope().partition);
    needs.on(&["cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"], [any_trail]);
    needs.on(
        &[
            "cloudtrail:ListTags",
            "cloudtrail:CreateTrail",
            "cloudtrail:UpdateTrail",
            "cloudtrail:PutEventSelectors",
            "cloudtrail:StartLogging",
            "cloudtrail:AddTags",
        ],
        [trail],
    );
    needs.any(&["logs:DescribeLogGroups"], crate::needs::LISTS_ALL);
    let group = needs.home_arn("logs", &format!("log-group:{}", spec.log_group));
    // The log group and the role are created with their tags (at least `managed-by`), which are compared.
    needs.on(
        &["logs:ListTagsForResource", "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:TagResource"],
        [group.clone(), format!("{group}:*")],
    );
    let role = needs.iam_arn("role", &spec.role);
    needs.on(
        &[
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:CreateRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
            "iam:PutRolePolicy",
            "iam:TagRole",
        ],
        [role.clone()],
    );
    let to_cloudtrail = Condition {
        operator: "StringEquals",
        key: "iam:PassedToService",
        values: ["cloudtrail.amazonaws.com".to_string()].into(),
    };
    needs.on_if("iam:PassRole", [role], to_cloudtrail);
}


/// The trail that satisfies the requirement: another one when baseline relies on it, else baseline's own.
pub fn trail_in_use(desired: &Desired, scope: &Scope, spec: &CloudTrailSpec, observed: &Observed) -> TrailInUse {
    match (&observed.trail, &observed.compliant_other) {
        (None, Some(other)) => {
            TrailInUse { s3_bucket_name: other.s3_bucket_name.clone(), log_group_arn: other.log_group_arn.clone() }
        }
        _ => {
            let want = desired_settings(desired, scope, spec);
            TrailInUse { s3_bucket_name: want.s3_bucket_name, log_group_arn: want.cloud_watch_logs_log_group_arn }
        }
    }
}

/// The trail's changes, where its CloudWatch Logs group is, and the trail the account relies on (both `None`
/// when there is no `[cloudtrail]` or it could not be read).
pub async fn plan(desired: &Desired, target: &Target) -> (Plan, Option<LogGroupPlacement>, Option<TrailInUse>) {
    let Some(spec) = &desired.cloudtrail else { return (Plan::default(), None, None) };
    let scope = &target.scope;
    let address = Address::new(&scope.account_id, &scope.home_region, TRAIL, &spec.trail);
    let mut plan = Plan::default();
    // The configured key's ARN is looked up while the trails are read.
    let configured = wiring::trail_key(desired, scope, spec);
    let (observed, key_arn) = tokio::join!(observe(target, spec), configured_key(target, configured.as_deref()));
    let Some(mut observed) = report_unreadable(observed, &address, &mut plan) else {
        return (plan, None, None);
    };
    // The key baseline keeps for the trail may not exist yet: then the trail, which cannot be using it, differs.
    let key_arn = key_arn
        .filter(|k| !(spec.kms_key_alias.is_some() && k.as_ref().is_err_and(|e| e.is_code("NotFoundException"))));
    let key_unknown = key_as_configured(&mut observed, configured.as_deref(), key_arn).err();
    plan.extend(diff(desired, scope, spec, &observed));
    if let Some(error) = key_unknown {
        // The trail's key cannot be compared: the trail's change is unknown, the rest of the plan stands.
        plan.changes.retain(|c| c.address != address);
        plan.errors.push(crate::engine::PlanError { address, error });
    }
    let in_use = trail_in_use(desired, scope, spec, &observed);
    (plan, Some(placement(scope, spec, &observed)), Some(in_use))
}

/// The key ARN the trail's configured key stands for, when there is one.
async fn configured_key(target: &Target, configured: Option<&str>) -> Option<Result<String, AwsError>> {
    match configured {
        Some(key) => Some(target.kms.key_arn(key).await),
        None => None,
    }
}

/// DescribeTrails reports the trail's key as a key ARN even when an alias was sent ("The value is a fully
/// specified ARN to a KMS key"). When it is the configured key, the observed value becomes the configured text,
/// so the diff compares like with like. Fails when the key must be compared but its alias could not be looked
/// up.
pub fn key_as_configured(
    observed: &mut Observed,
    configured: Option<&str>,
    key_arn: Option<Result<String, AwsError>>,
) -> Result<(), AwsError> {
    let (Some(trail), Some(configured)) = (observed.trail.as_mut(), configured) else {
        return Ok(());
    };
    let reported = trail.settings.kms_key_id.clone();
    match (reported.as_deref(), key_arn) {
        (Some(reported), Some(Ok(arn))) if crate::target::same_key(reported, configured, &arn) => {
            trail.settings.kms_key_id = Some(configured.to_string());
            Ok(())
        }
        (Some(reported), Some(Err(error))) if reported != configured => Err(error),
        _ => Ok(()),
    }
}

pub fn placement(scope: &Scope, spec: &CloudTrailSpec, observed: &Observed) -> LogGroupPlacement {
    if let Some(trail) = &observed.trail
        && trail.home_region != scope.home_region
    {
        return LogGroupPlacement::Elsewhere(format!(
            "trail {} is homed in {}, not in home_region {}",
            trail.arn, trail.home_region, scope.home_region
        ));
    }
    match (&observed.trail, &observed.compliant_other) {
        (None, Some(other)) => match other.log_group_arn.as_deref().map(|arn| arn.split(':').collect::<Vec<_>>()) {
            None => LogGroupPlacement::Elsewhere(format!(
                "{}, the trail that satisfies the requirement, does not deliver to CloudWatch Logs; set \
                 require_own_trail = true to add baseline's own trail and log group",
                other.arn
            )),
            Some(parts) if parts.len() >= 7 && parts[3] == scope.home_region && parts[4] == scope.account_id => {
                LogGroupPlacement::Existing { name: parts[6].to_string(), trail: other.arn.clone() }
            }
            Some(parts) => LogGroupPlacement::Elsewhere(format!(
                "{} delivers to log group {} in account {}, region {}; the alarms must live there (run baseline for \
                 that account, with home_region = \"{}\")",
                other.arn,
                parts.get(6).unwrap_or(&"?"),
                parts.get(4).unwrap_or(&"?"),
                parts.get(3).unwrap_or(&"?"),
                parts.get(3).unwrap_or(&"?"),
            )),
        },
        _ => LogGroupPlacement::Ours {
            name: spec.log_group.clone(),
            address: Address::new(&scope.account_id, &scope.home_region, LOG_GROUP, &spec.log_group),
        },
    }
}

pub async fn observe(target: &Target, spec: &CloudTrailSpec) -> Result<Observed, AwsError> {
    // Everything that does not depend on the trail list is read at the same time as it.
    let describe = async {
        target
            .cloudtrail
            .describe_trails()
            .include_shadow_trails(true)
            .send()
            .await
            .map_err(aws::err("cloudtrail:DescribeTrails"))
    };
    let (trails, log_group, role, role_policy) = tokio::join!(
        describe,
        observe_log_group(target, &spec.log_group),
        iam_role::read(&target.iam, &spec.role),
        iam_role::inline_policy(&target.iam, &spec.role, ROLE_POLICY_NAME),
    );
    let trails = trails?;
    let account = target.scope.account_id.as_str();
    // A trail of another account with our name (an organization trail of the management account) is not ours.
    let ours = trails.trail_list().iter().find(|t| {
        t.name() == Some(spec.trail.as_str()) && t.trail_arn().and_then(trail_account).is_none_or(|a| a == account)
    });
    let (trail, compliant_other) = match ours {
        Some(t) => (Some(own_trail_state(target, t).await?), None),
        // Foreign trails only matter when we have none of our own and may not need one.
        None if !spec.require_own_trail => (None, compliant_other_trail(target, trails.trail_list(), spec).await?),
        None => (None, None),
    };
    Ok(Observed { trail, compliant_other, log_group: log_group?, trust_policy: role?, role_policy: role_policy? })
}

/// The baseline's trail with its tags; a trail homed in another region is only reported, so its tags are
/// not read.
async fn own_trail_state(target: &Target, trail: &Trail) -> Result<TrailState, AwsError> {
    let arn = trail.trail_arn().unwrap_or_default();
    let homed_here = trail.home_region() == Some(target.scope.home_region.as_str());
    let (state, tags) = tokio::join!(trail_state(target, trail), async {
        if homed_here { read_trail_tags(target, arn).await } else { Ok(BTreeMap::new()) }
    });
    Ok(TrailState { tags: tags?, ..state? })
}

async fn read_trail_tags(target: &Target, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let out =
        target.cloudtrail.list_tags().resource_id_list(arn).send().await.map_err(aws::err("cloudtrail:ListTags"))?;
    Ok(out
        .resource_tag_list()
        .iter()
        .filter(|r| r.resource_id() == Some(arn))
        .flat_map(|r| r.tags_list())
        .map(|t| (t.key().to_string(), t.value().unwrap_or_default().to_string()))
        .collect())
}

/// A trail baseline does not own that meets every requirement, if there is one: a trail of this account
/// (its status and selectors read), else another account's organization trail (judged from DescribeTrails).
async fn compliant_other_trail(
    target: &Target,
    trails: &[Trail],
    spec: &CloudTrailSpec,
) -> Result<Option<OtherTrail>, AwsError> {
    let account = target.scope.account_id.as_str();
    let (local, foreign): (Vec<&Trail>, Vec<&Trail>) = trails
        .iter()
        .filter(|t| t.name() != Some(spec.trail.as_str()) || t.trail_arn().and_then(trail_account) != Some(account))
        .filter(|t| {
            let s = TrailSettings::from_trail(t);
            s.is_multi_region_trail && s.include_global_service_events && s.log_file_validation_enabled
        })
        .partition(|t| t.trail_arn().and_then(trail_account).is_none_or(|a| a == account));
    let states = join_all(local.iter().map(|t| trail_state(target, t))).await;
    for (state, trail) in states.into_iter().zip(&local) {
        let state = state?;
        if state.is_logging && state.management.all {
            return Ok(Some(OtherTrail {
                log_group_arn: state.settings.cloud_watch_logs_log_group_arn,
                s3_bucket_name: state.settings.s3_bucket_name,
                arn: state.arn,
                owner: trail.trail_arn().and_then(trail_account).filter(|a| *a != account).map(str::to_string),
            }));
        }
    }
    Ok(foreign.into_iter().find_map(|t| organization_trail(t, account)))
}

/// Another account's trail as a member account sees it. GetTrailStatus and GetEventSelectors on it fail here
/// (TrailNotFoundException / CloudTrailARNInvalidException: only the owning account may read or change an
/// organization trail), so it is never queried further: an organization trail that is multi-region, with
/// global events and log file validation, satisfies the requirement (its owner manages logging and selectors).
fn organization_trail(trail: &Trail, account: &str) -> Option<OtherTrail> {
    let arn = trail.trail_arn()?;
    let owner = trail_account(arn).filter(|a| *a != account)?;
    if trail.is_organization_trail() != Some(true) {
        return None;
    }
    let settings = TrailSettings::from_trail(trail);
    Some(OtherTrail {
        arn: arn.to_string(),
        log_group_arn: settings.cloud_watch_logs_log_group_arn,
        s3_bucket_name: settings.s3_bucket_name,
        owner: Some(owner.to_string()),
    })
}

async fn trail_state(target: &Target, trail: &Trail) -> Result<TrailState, AwsError> {
    // The full ARN works for shadow trails too.
    let arn = trail.trail_arn().unwrap_or_default().to_string();
    let ct = &target.cloudtrail;
    let (status, selectors) =
        tokio::join!(ct.get_trail_status().name(&arn).send(), ct.get_event_selectors().trail_name(&arn).send(),);
    let status = status.map_err(aws::err("cloudtrail:GetTrailStatus"))?;
    let selectors = selectors.map_err(aws::err("cloudtrail:GetEventSelectors"))?;
    let basic = selectors.event_selectors().to_vec();
    let advanced = selectors.advanced_event_selectors().to_vec();
    Ok(TrailState {
        home_region: trail.home_region().unwrap_or_default().to_string(),
        settings: TrailSettings::from_trail(trail),
        is_logging: status.is_logging().unwrap_or(false),
        management: management_coverage(&basic, &advanced),
        selectors: basic,
        advanced_selectors: advanced,
        delivery_error: non_empty(status.latest_delivery_error()),
        cloudwatch_delivery_error: non_empty(status.latest_cloud_watch_logs_delivery_error()),
        tags: BTreeMap::new(),
        arn,
    })
}

async fn observe_log_group(target: &Target, name: &str) -> Result<Option<LogGroupState>, AwsError> {
    let out = target
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(aws::err("logs:DescribeLogGroups"))?;
    let Some(group) = out.log_groups().iter().find(|g| g.log_group_name() == Some(name)) else {
        return Ok(None);
    };
    // DescribeLogGroups answers no tags.
    let tags = target
        .logs
        .list_tags_for_resource()
        .resource_arn(log_group_tag_arn(&target.scope, name))
        .send()
        .await
        .map_err(aws::err("logs:ListTagsForResource"))?;
    Ok(Some(LogGroupState {
        retention_days: group.retention_in_days().and_then(|d| u32::try_from(d).ok()),
        tags: tags.tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default(),
    }))
}

pub fn diff(desired: &Desired, scope: &Scope, spec: &CloudTrailSpec, observed: &Observed) -> Plan {
    let home = |kind, name: &str| Address::new(&scope.account_id, &scope.home_region, kind, name);
    let global = |kind, name: &str| Address::new(&scope.account_id, GLOBAL, kind, name);
    let trail_address = home(TRAIL, &spec.trail);
    if let Some(plan) = not_changed_here(scope, observed, &trail_address) {
        return plan;
    }
    let mut plan = Plan::default();
    let tags = super::wiring::desired_tags(desired);

    let group_address = home(LOG_GROUP, &spec.log_group);
    plan.changes.push(log_group_change(group_address.clone(), spec, &tags, observed.log_group.as_ref()));
    let role_address = global(ROLE, &spec.role);
    let trust = trust_policy(scope, spec);
    plan.changes.push(role_change(role_address.clone(), &spec.role, &trust, &tags, observed.trust_policy.as_ref()));
    let policy_address = global(ROLE_POLICY, &format!("{}/{}", spec.role, ROLE_POLICY_NAME));
    plan.changes.push(role_policy_change(
        policy_address.clone(),
        &spec.role,
        &role_policy(scope, spec),
        observed.role_policy.as_ref(),
        &role_address,
    ));

    // The trail waits for what it names.
    let bucket_policy =
        desired.log_archive.as_ref().map(|archive| wiring::location(archive, scope).policy_address());
    let mut dependencies = vec![group_address, policy_address, role_address];
    dependencies.extend(bucket_policy);
    dependencies.extend(wiring::dependencies(desired, scope));
    let want = desired_settings(desired, scope, spec);
    let state = observed.trail.as_ref();
    plan.changes.push(trail_change(trail_address.clone(), &spec.trail, &want, &tags, state, &dependencies));

    // Management events, read and write.
    let s3_data_events = spec.s3_data_events.then_some(scope.partition.as_str());
    let selectors_change =
        selectors_change(home(EVENT_SELECTORS, &spec.trail), &spec.trail, state, &trail_address, s3_data_events);
    plan.changes.push(selectors_change);

    // Logging on, and delivering.
    plan.extend(logging(home(LOGGING, &spec.trail), &spec.trail, state, &trail_address));
    plan
}

/// The whole plan when the trail is not to be changed from here: a trail of this name homed in another region
/// (a warning), or no trail of ours and one the baseline does not own satisfying the requirement.
fn not_changed_here(scope: &Scope, observed: &Observed, trail_address: &Address) -> Option<Plan> {
    let mut plan = Plan::default();
    if let Some(state) = &observed.trail
        && state.home_region != scope.home_region
    {
        plan.notices.push(Notice {
            level: NoticeLevel::Warning,
            address: trail_address.clone(),
            message: format!(
                "a trail of this name is homed in {}; it can only be changed there: set home_region = \"{}\"",
                state.home_region, state.home_region
            ),
        });
        return Some(plan);
    }
    let other = observed.compliant_other.as_ref().filter(|_| observed.trail.is_none())?;
    let reason = match &other.owner {
        Some(owner) => format!(
            "satisfied by the organization trail {} of account {owner}, which manages its logging and event \
             selectors (set require_own_trail = true to add one anyway)",
            other.arn
        ),
        None => format!(
            "satisfied by {}, which baseline does not own (set require_own_trail = true to add one anyway)",
            other.arn
        ),
    };
    plan.changes.push(ResourceChange::no_op(trail_address.clone(), reason));
    Some(plan)
}

/// Logging started, and the latest delivery errors as warnings.
fn logging(address: Address, trail: &str, state: Option<&TrailState>, trail_address: &Address) -> Plan {
    let mut plan = Plan::default();
    plan.changes.push(match state {
        Some(s) if s.is_logging => ResourceChange::no_op(address.clone(), "logging"),
        _ => ResourceChange::new(
            address.clone(),
            if state.is_some() { Action::Update } else { Action::Create },
            if state.is_some() { "logging is stopped" } else { "a new trail does not log until started" },
            Operation::CloudTrail(Op::StartLogging { name: trail.to_string() }),
        )
        .with_attributes(vec![AttributeChange::new(
            "is_logging",
            state.map(|_| "false".to_string()),
            Some("true".into()),
        )])
        .after(trail_address),
    });
    if let Some(state) = state {
        for (what, error) in [("S3", &state.delivery_error), ("CloudWatch Logs", &state.cloudwatch_delivery_error)] {
            if let Some(error) = error {
                plan.notices.push(Notice {
                    level: NoticeLevel::Warning,
                    address: address.clone(),
                    message: format!("latest delivery to {what} failed: {error}"),
                });
            }
        }
    }
    plan
}

/// The log group: its retention and the baseline's tags.
fn log_group_change(
    address: Address,
    spec: &CloudTrailSpec,
    tags: &BTreeMap<String, String>,
    have: Option<&LogGroupState>,
) -> ResourceChange {
    let want_retention = spec.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS);
    let Some(have) = have else {
        let mut attributes = vec![
            AttributeChange::new("name", None, Some(spec.log_group.clone())),
            AttributeChange::new("retention_in_days", None, Some(want_retention.to_string())),
        ];
        attributes.extend(super::new_tags(tags));
        let op =
            Op::CreateLogGroup { name: spec.log_group.clone(), retention_days: want_retention, tags: tags.clone() };
        return ResourceChange::new(address, Action::Create, "log group does not exist", Operation::CloudTrail(op))
            .with_attributes(attributes);
    };
    // Without an explicit setting, a longer retention (or none: never expire) is kept.
    let acceptable = match (spec.retention_days, have.retention_days) {
        (Some(want), have) => have == Some(want),
        (None, None) => true,
        (None, Some(have)) => have >= DEFAULT_RETENTION_DAYS,
    };
    let mut attributes = Vec::new();
    let mut reasons = Vec::new();
    if !acceptable {
        reasons.push("retention differs");
        let before = have.retention_days.map_or_else(|| "never expire".to_string(), |d| d.to_string());
        attributes.push(AttributeChange::new("retention_in_days", Some(before), Some(want_retention.to_string())));
    }
    let (tag_drift, tag_attributes) = super::tag_drift(tags, &have.tags);
    if !tag_drift.is_empty() {
        reasons.push("tags differ");
        attributes.extend(tag_attributes);
    }
    if attributes.is_empty() {
        return ResourceChange::no_op(address, "retention and tags meet the baseline");
    }
    let op = Op::UpdateLogGroup {
        name: spec.log_group.clone(),
        retention_days: (!acceptable).then_some(want_retention),
        tags: tag_drift,
    };
    ResourceChange::new(address, Action::Update, reasons.join("; "), Operation::CloudTrail(op))
        .with_attributes(attributes)
}

/// The delivery role: its trust policy, description and the baseline's tags.
fn role_change(
    address: Address,
    name: &str,
    trust: &PolicyDocument,
    tags: &BTreeMap<String, String>,
    have: Option<&iam_role::Role>,
) -> ResourceChange {
    let Some(have) = have else {
        let mut attributes = vec![
            AttributeChange::new("assume_role_policy", None, Some(trust.to_json())),
            AttributeChange::new("description", None, Some(ROLE_DESCRIPTION.into())),
        ];
        attributes.extend(super::new_tags(tags));
        let op = Op::CreateRole { name: name.to_string(), trust_policy: trust.to_json(), tags: tags.clone() };
        return ResourceChange::new(address, Action::Create, "role does not exist", Operation::CloudTrail(op))
            .with_attributes(attributes);
    };
    let mut attributes = Vec::new();
    let mut reasons = Vec::new();
    let trust_differs = !have.trust_policy.equivalent(trust);
    if trust_differs {
        reasons.push("trust policy differs");
        attributes.push(AttributeChange::new(
            "assume_role_policy",
            Some(have.trust_policy.to_json()),
            Some(trust.to_json()),
        ));
    }
    let description_differs = have.description != ROLE_DESCRIPTION;
    if description_differs {
        reasons.push("description differs");
        let before = if have.description.is_empty() { "(none)".to_string() } else { have.description.clone() };
        attributes.push(AttributeChange::new("description", Some(before), Some(ROLE_DESCRIPTION.into())));
    }
    let (tag_drift, tag_attributes) = super::tag_drift(tags, &have.tags);
    if !tag_drift.is_empty() {
        reasons.push("tags differ");
        attributes.extend(tag_attributes);
    }
    if attributes.is_empty() {
        return ResourceChange::no_op(address, "trust policy, description and tags match");
    }
    let op = Op::UpdateRole {
        name: name.to_string(),
        trust_policy: trust_differs.then(|| trust.to_json()),
        description: description_differs.then(|| ROLE_DESCRIPTION.to_string()),
        tags: tag_drift,
    };
    ResourceChange::new(address, Action::Update, reasons.join("; "), Operation::CloudTrail(op))
        .with_attributes(attributes)
}

/// The delivery role's inline policy, written whole.
fn role_policy_change(
    address: Address,
    role: &str,
    document: &PolicyDocument,
    current: Option<&PolicyDocument>,
    role_address: &Address,
) -> ResourceChange {
    if current.is_some_and(|c| c.equivalent(document)) {
        return ResourceChange::no_op(address, "role policy matches");
    }
    let (action, reason) =
        if current.is_some() { (Action::Update, "role policy differs") } else { (Action::Create, "no role policy") };
    let op = Op::PutRolePolicy { role: role.to_string(), document: document.to_json() };
    ResourceChange::new(address, action, reason, Operation::CloudTrail(op))
        .with_attributes(vec![AttributeChange::new(
            "policy_document",
            current.map(PolicyDocument::to_json),
            Some(document.to_json()),
        )])
        .after(role_address)
}

/// The trail: its settings and the baseline's tags. A creation or a settings change waits for
/// `dependencies` (the log group, the role and its policy, the bucket policy).
fn trail_change(
    address: Address,
    name: &str,
    want: &TrailSettings,
    tags: &BTreeMap<String, String>,
    state: Option<&TrailState>,
    dependencies: &[Address],
) -> ResourceChange {
    let with_dependencies = |change: ResourceChange| dependencies.iter().fold(change, |c, d| c.after(d));
    let Some(state) = state else {
        let mut attributes: Vec<AttributeChange> =
            want.fields().into_iter().filter_map(|(n, v)| v.map(|v| AttributeChange::new(n, None, Some(v)))).collect();
        attributes.extend(super::new_tags(tags));
        let op = Op::CreateTrail { name: name.to_string(), settings: want.clone(), tags: tags.clone() };
        return with_dependencies(
            ResourceChange::new(address, Action::Create, "trail does not exist", Operation::CloudTrail(op))
                .with_attributes(attributes),
        );
    };
    let mut attributes: Vec<AttributeChange> = state
        .settings
        .fields()
        .into_iter()
        .zip(want.fields())
        .filter(|((_, have), (_, want))| have != want)
        .map(|((name, have), (_, want))| {
            AttributeChange::new(name, have.or(Some("(none)".into())), want.or(Some("(none)".into())))
        })
        .collect();
    let settings_differ = !attributes.is_empty();
    let (tag_drift, tag_attributes) = super::tag_drift(tags, &state.tags);
    attributes.extend(tag_attributes);
    if attributes.is_empty() {
        return ResourceChange::no_op(address, "trail settings and tags match");
    }
    let reason = match (settings_differ, tag_drift.is_empty()) {
        (true, true) => "trail settings differ",
        (true, false) => "trail settings and tags differ",
        (false, _) => "tags differ",
    };
    let op = Op::UpdateTrail {
        name: name.to_string(),
        arn: state.arn.clone(),
        settings: settings_differ.then(|| want.clone()),
        tags: tag_drift,
    };
    let change =
        ResourceChange::new(address, Action::Update, reason, Operation::CloudTrail(op)).with_attributes(attributes);
    // Tags alone need nothing else in place.
    if settings_differ { with_dependencies(change) } else { change }
}

/// Management events, read and write, repaired within the kind of selectors the trail uses; with
/// `s3_data_events` (the partition), S3 object-level events of every bucket, read and write, too.
fn selectors_change(
    address: Address,
    trail: &str,
    state: Option<&TrailState>,
    trail_address: &Address,
    s3_data_events: Option<&str>,
) -> ResourceChange {
    let coverage = state.map(|s| &s.management);
    let management_ok = coverage.is_some_and(|c| c.all);
    let data_missing = s3_data_events
        .filter(|p| !state.is_some_and(|s| s3_data_events_logged(p, &s.selectors, &s.advanced_selectors)));
    if management_ok && data_missing.is_none() {
        let what =
            if s3_data_events.is_some() { "all management events and S3 data events" } else { "all management events" };
        return ResourceChange::no_op(address, format!("{what} logged"));
    }
    let (mut selectors, after) = match state {
        Some(s) if !s.advanced_selectors.is_empty() => (
            Selectors::Advanced(management_advanced_selectors(&s.advanced_selectors)),
            "advanced selector eventCategory=Management with no other condition; other selectors kept",
        ),
        _ => (
            Selectors::Basic(management_selectors(state.map(|s| s.selectors.as_slice()).unwrap_or_default())),
            "ReadWriteType=All, IncludeManagementEvents=true, no excluded event source",
        ),
    };
    let mut attributes = Vec::new();
    let mut reasons = Vec::new();
    if !management_ok {
        let excluded = coverage.map(|c| c.excluded_sources.join(", ")).filter(|e| !e.is_empty());
        if coverage.is_none_or(|c| !c.read_write) || excluded.is_none() {
            let before = state.map(|_| "not all management events".to_string());
            attributes.push(AttributeChange::new("management_events", before, Some(after.into())));
        }
        reasons.push(if let Some(excluded) = excluded {
            attributes.push(AttributeChange::new(
                "excluded_management_event_sources",
                Some(excluded),
                Some("(none)".into()),
            ));
            "management events of every event source (read and write) must be logged"
        } else {
            "management events (read and write) must be logged"
        });
    }
    if let Some(partition) = data_missing {
        selectors = with_s3_data_events(selectors, partition);
        let before = state.map(|_| "not every bucket, read and write".to_string());
        let after = format!("AWS::S3::Object of every bucket (arn:{partition}:s3), read and write");
        attributes.push(AttributeChange::new("s3_data_events", before, Some(after)));
        reasons.push("S3 object-level events (read and write) of every bucket must be logged");
    }
    ResourceChange::new(
        address,
        if state.is_some() { Action::Update } else { Action::Create },
        reasons.join("; "),
        Operation::CloudTrail(Op::LogManagementEvents { name: trail.to_string(), selectors }),
    )
    .with_attributes(attributes)
    .after(trail_address)
}

/// Whether the selectors log S3 object-level events, read and write, of every bucket (CIS "Ensure that
/// object-level logging for write/read events is enabled for S3 bucket"): a basic selector with ReadWriteType
/// All and an `AWS::S3::Object` data resource for all buckets (`arn:<partition>:s3`, as CloudTrail's guide
/// writes it, or `arn:<partition>:s3:::`), or an advanced selector on `eventCategory` Data and `resources.type`
/// `AWS::S3::Object` that neither narrows to read-only or write-only events nor to some buckets (excluding some,
/// with `NotStartsWith`/`NotEquals`, is allowed).
pub fn s3_data_events_logged(partition: &str, basic: &[EventSelector], advanced: &[AdvancedEventSelector]) -> bool {
    let all = [format!("arn:{partition}:s3"), format!("arn:{partition}:s3:::")];
    let basic_ok = basic.iter().any(|s| {
        s.read_write_type() == Some(&ReadWriteType::All)
            && s.data_resources()
                .iter()
                .any(|r| r.r#type() == Some(S3_OBJECT) && r.values().iter().any(|v| all.contains(v)))
    });
    let advanced_ok = advanced.iter().any(|s| {
        let fields = s.field_selectors();
        let equals = |field: &str, value: &str| {
            fields.iter().any(|f| f.field() == field && f.equals().iter().any(|v| v == value))
        };
        let narrows = fields.iter().any(|f| {
            f.field() == "readOnly"
                || (f.field() == "resources.ARN" && (!f.equals().is_empty() || !f.starts_with().is_empty()))
        });
        equals("eventCategory", "Data") && equals("resources.type", S3_OBJECT) && !narrows
    });
    basic_ok || advanced_ok
}

const S3_OBJECT: &str = "AWS::S3::Object";

/// `selectors` with S3 object-level events of every bucket added: to the first basic selector (which
/// [`management_selectors`] made read-and-write; its other S3 data resources, a subset, are replaced), or as an
/// advanced selector of its own.
fn with_s3_data_events(selectors: Selectors, partition: &str) -> Selectors {
    match selectors {
        Selectors::Basic(mut basic) => {
            let all = DataResource::builder().r#type(S3_OBJECT).values(format!("arn:{partition}:s3")).build();
            if let Some(first) = basic.first_mut() {
                let mut resources: Vec<DataResource> =
                    first.data_resources().iter().filter(|r| r.r#type() != Some(S3_OBJECT)).cloned().collect();
                resources.push(all);
                *first = EventSelector::builder()
                    .set_read_write_type(first.read_write_type().cloned())
                    .set_include_management_events(first.include_management_events())
                    .set_exclude_management_event_sources(Some(first.exclude_management_event_sources().to_vec()))
                    .set_data_resources(Some(resources))
                    .build();
            }
            Selectors::Basic(basic)
        }
        Selectors::Advanced(mut advanced) => {
            let fields = [("eventCategory", "Data"), ("resources.type", S3_OBJECT)]
                .into_iter()
                .filter_map(|(field, value)| AdvancedFieldSelector::builder().field(field).equals(value).build().ok())
                .collect();
            let selector = AdvancedEventSelector::builder()
                .name("All S3 data events (baseline)")
                .set_field_selectors(Some(fields));
            advanced.extend(selector.build().ok());
            Selectors::Advanced(advanced)
        }
    }
}

/// Basic selectors that log all management events: the first selector is widened to read and write
/// management events; data-event selectors are kept.
fn management_selectors(current: &[EventSelector]) -> Vec<EventSelector> {
    let mut selectors = current.to_vec();
    let management = |s: Option<&EventSelector>| {
        let builder =
            s.cloned().map(|s| EventSelector::builder().set_data_resources(Some(s.data_resources().to_vec())));
        builder
            .unwrap_or_else(EventSelector::builder)
            .read_write_type(ReadWriteType::All)
            .include_management_events(true)
            .build()
    };
    if selectors.is_empty() {
        selectors.push(management(None));
    } else {
        selectors[0] = management(selectors.first());
    }
    selectors
}

fn is_management_selector(selector: &AdvancedEventSelector) -> bool {
    selector
        .field_selectors()
        .iter()
        .any(|f| f.field() == "eventCategory" && f.equals().iter().any(|v| v == "Management"))
}

/// Advanced selectors that log all management events: the first management selector loses every condition
/// but `eventCategory` (its `readOnly` filter, its `eventSource` exclusions), or one is added; every other
/// selector, data events included, is kept as it is.
fn management_advanced_selectors(current: &[AdvancedEventSelector]) -> Vec<AdvancedEventSelector> {
    let mut selectors = current.to_vec();
    match selectors.iter_mut().find(|s| is_management_selector(s)) {
        Some(selector) => {
            let fields = selector.field_selectors().iter().filter(|f| f.field() == "eventCategory").cloned().collect();
            let mut widened = AdvancedEventSelector::builder().set_field_selectors(Some(fields));
            widened = widened.set_name(selector.name().map(str::to_string));
            if let Ok(widened) = widened.build() {
                *selector = widened;
            }
        }
        None => {
            let field = AdvancedFieldSelector::builder().field("eventCategory").equals("Management").build();
            let selector = field.and_then(|f| {
                AdvancedEventSelector::builder().name("All management events (baseline)").field_selectors(f).build()
            });
            selectors.extend(selector.ok());
        }
    }
    selectors
}

fn trail_tags(tags: &BTreeMap<String, String>) -> Result<Vec<TrailTag>, AwsError> {
    tags.iter()
        .map(|(k, v)| TrailTag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(aws::build_error("cloudtrail:AddTags"))
}

pub async fn execute(target: &Target, op: &Op, address: &Address, events: &dyn EventSink) -> Result<(), AwsError> {
    match op {
        Op::CreateLogGroup { name, retention_days, tags } => {
            let created = target
                .logs
                .create_log_group()
                .log_group_name(name)
                .set_tags(Some(tags.clone().into_iter().collect()))
                .send()
                .await
                .map_err(aws::err("logs:CreateLogGroup"));
            match created {
                Ok(_) => {}
                Err(e) if e.is_code("ResourceAlreadyExistsException") => {}
                Err(e) => return Err(e),
            }
            set_retention(target, name, *retention_days).await
        }
        Op::UpdateLogGroup { name, retention_days, tags } => {
            if let Some(days) = retention_days {
                set_retention(target, name, *days).await?;
            }
            tag_log_group(target, name, tags).await
        }
        Op::CreateRole { name, trust_policy, tags } => {
            iam_role::create(&target.iam, name, trust_policy, ROLE_DESCRIPTION, tags).await
        }
        Op::UpdateRole { name, trust_policy, description, tags } => {
            if let Some(trust_policy) = trust_policy {
                iam_role::update_trust(&target.iam, name, trust_policy).await?;
            }
            if let Some(description) = description {
                iam_role::update_description(&target.iam, name, description).await?;
            }
            iam_role::tag(&target.iam, name, tags).await
        }
        Op::PutRolePolicy { role, document } => {
            iam_role::put_inline_policy(&target.iam, role, ROLE_POLICY_NAME, document).await
        }
        Op::CreateTrail { name, settings, tags } => create_trail(target, name, settings, tags, address, events).await,
        Op::UpdateTrail { name, arn, settings, tags } => {
            if let Some(settings) = settings {
                update_trail(target, name, settings, address, events).await?;
            }
            if tags.is_empty() {
                return Ok(());
            }
            let add = target.cloudtrail.add_tags().resource_id(arn).set_tags_list(Some(trail_tags(tags)?));
            add.send().await.map_err(aws::err("cloudtrail:AddTags"))?;
            Ok(())
        }
        Op::LogManagementEvents { name, selectors } => {
            let put = target.cloudtrail.put_event_selectors().trail_name(name);
            let put = match selectors {
                Selectors::Basic(basic) => put.set_event_selectors(Some(basic.clone())),
                Selectors::Advanced(advanced) => put.set_advanced_event_selectors(Some(advanced.clone())),
            };
            put.send().await.map_err(aws::err("cloudtrail:PutEventSelectors"))?;
            Ok(())
        }
        Op::StartLogging { name } => {
            target.cloudtrail.start_logging().name(name).send().await.map_err(aws::err("cloudtrail:StartLogging"))?;
            Ok(())
        }
    }
}

async fn create_trail(
    target: &Target,
    name: &str,
    settings: &TrailSettings,
    tags: &BTreeMap<String, String>,
    address: &Address,
    events: &dyn EventSink,
) -> Result<(), AwsError> {
    let tags = trail_tags(tags)?;
    with_propagation_retry(address, events, || async {
        target
            .cloudtrail
            .create_trail()
            .name(name)
            .s3_bucket_name(&settings.s3_bucket_name)
            .set_s3_key_prefix(settings.s3_key_prefix.clone())
            .is_multi_region_trail(settings.is_multi_region_trail)
            .include_global_service_events(settings.include_global_service_events)
            .enable_log_file_validation(settings.log_file_validation_enabled)
            .set_cloud_watch_logs_log_group_arn(settings.cloud_watch_logs_log_group_arn.clone())
            .set_cloud_watch_logs_role_arn(settings.cloud_watch_logs_role_arn.clone())
            .set_kms_key_id(settings.kms_key_id.clone())
            .set_tags_list(Some(tags.clone()))
            .send()
            .await
            .map(|_| ())
            .map_err(aws::err("cloudtrail:CreateTrail"))
    })
    .await
    .or_else(super::already_there("TrailAlreadyExistsException"))
}

async fn update_trail(
    target: &Target,
    name: &str,
    settings: &TrailSettings,
    address: &Address,
    events: &dyn EventSink,
) -> Result<(), AwsError> {
    with_propagation_retry(address, events, || async {
        target
            .cloudtrail
            .update_trail()
            .name(name)
            .s3_bucket_name(&settings.s3_bucket_name)
            .s3_key_prefix(settings.s3_key_prefix.clone().unwrap_or_default())
            .is_multi_region_trail(settings.is_multi_region_trail)
            .include_global_service_events(settings.include_global_service_events)
            .enable_log_file_validation(settings.log_file_validation_enabled)
            .set_cloud_watch_logs_log_group_arn(settings.cloud_watch_logs_log_group_arn.clone())
            .set_cloud_watch_logs_role_arn(settings.cloud_watch_logs_role_arn.clone())
            // A field left out keeps its value: an empty KmsKeyId is UpdateTrail's documented way to stop
            // encrypting with SSE-KMS.
            .kms_key_id(settings.kms_key_id.clone().unwrap_or_default())
            .send()
            .await
            .map(|_| ())
            .map_err(aws::err("cloudtrail:UpdateTrail"))
    })
    .await
}

/// Adds or overwrites these tags on the group; its other tags are kept.
async fn tag_log_group(target: &Target, name: &str, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    if tags.is_empty() {
        return Ok(());
    }
    target
        .logs
        .tag_resource()
        .resource_arn(log_group_tag_arn(&target.scope, name))
        .set_tags(Some(tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(aws::err("logs:TagResource"))?;
    Ok(())
}

async fn set_retention(target: &Target, name: &str, days: u32) -> Result<(), AwsError> {
    target
        .logs
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(i32::try_from(days).unwrap_or(i32::MAX))
        .send()
        .await
        .map_err(aws::err("logs:PutRetentionPolicy"))?;
    Ok(())
}

/// Retries `call` while CloudTrail reports a documented propagation error.
pub async fn with_propagation_retry<F, Fut>(address: &Address, events: &dyn EventSink, call: F) -> Result<(), AwsError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), AwsError>>,
{
    super::with_retry(address, events, PROPAGATION_ERRORS, call).await
}


#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::config::parse;
    use crate::engine::Event;
    use crate::resources::wiring::BUCKET_POLICY;

    const CONFIG: &str = "[log_archive]\nbucket = \"logs-{account_id}\"\n[cloudtrail]\n";

    fn desired(extra: &str) -> Desired {
        parse(std::path::Path::new("baseline.toml"), &format!("{CONFIG}{extra}")).unwrap().desired
    }

    fn scope() -> Scope {
        Scope { account_id: "111111111111".into(), partition: "aws".into(), home_region: "eu-west-1".into() }
    }

    const ALL: ManagementCoverage = ManagementCoverage { all: true, read_write: true, excluded_sources: vec![] };

    fn converged(desired: &Desired) -> Observed {
        let spec = desired.cloudtrail.as_ref().unwrap();
        let tags = crate::resources::wiring::desired_tags(desired);
        Observed {
            trail: Some(TrailState {
                arn: trail_arn(&scope(), &spec.trail),
                home_region: "eu-west-1".into(),
                settings: desired_settings(desired, &scope(), spec),
                is_logging: true,
                management: ALL,
                selectors: vec![],
                advanced_selectors: vec![],
                delivery_error: None,
                cloudwatch_delivery_error: None,
                tags: tags.clone(),
            }),
            compliant_other: None,
            log_group: Some(LogGroupState { retention_days: Some(365), tags: tags.clone() }),
            trust_policy: Some(iam_role::Role {
                trust_policy: trust_policy(&scope(), spec),
                description: ROLE_DESCRIPTION.into(),
                tags,
            }),
            role_policy: Some(role_policy(&scope(), spec)),
        }
    }

    fn pending(plan: &Plan) -> Vec<String> {
        plan.pending().map(|c| format!("{}/{}", c.address.kind, c.address.name)).collect()
    }

    #[test]
    fn converged_trail_is_all_no_op() {
        let d = desired("");
        let plan = diff(&d, &scope(), d.cloudtrail.as_ref().unwrap(), &converged(&d));
        assert!(pending(&plan).is_empty(), "{:?}", pending(&plan));
    }

    #[test]
    fn new_trail_waits_for_bucket_policy_log_group_and_role() {
        let d = desired("");
        let empty =
            Observed { trail: None, compliant_other: None, log_group: None, trust_policy: None, role_policy: None };
        let plan = diff(&d, &scope(), d.cloudtrail.as_ref().unwrap(), &empty);
        let trail = plan.changes.iter().find(|c| c.address.kind == TRAIL).unwrap();
        let deps: Vec<String> = trail.depends_on.iter().map(|a| a.kind.to_string()).collect();
        assert_eq!(deps, vec![LOG_GROUP, ROLE_POLICY, ROLE, BUCKET_POLICY]);
        assert_eq!(pending(&plan).len(), 6);
    }

    #[test]
    fn retention_is_never_shortened_unless_configured() {
        let d = desired("");
        let spec = d.cloudtrail.as_ref().unwrap();
        let mut observed = converged(&d);
        for (have, drift) in [(Some(3653), false), (None, false), (Some(30), true)] {
            observed.log_group.as_mut().unwrap().retention_days = have;
            let plan = diff(&d, &scope(), spec, &observed);
            assert_eq!(pending(&plan) == vec!["logs.log_group/baseline-cloudtrail"], drift, "{have:?}");
        }
        let d = desired("retention_days = 90\n");
        observed.log_group.as_mut().unwrap().retention_days = Some(3653);
        let plan = diff(&d, &scope(), d.cloudtrail.as_ref().unwrap(), &observed);
        assert_eq!(plan.pending().next().unwrap().attributes[0].after.as_deref(), Some("90"));
    }

    #[test]
    fn key_reported_as_key_arn_is_the_configured_alias() {
        let alias = "arn:aws:kms:eu-west-1:111111111111:alias/logs";
        let key = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let d = desired(&format!("kms_key_arn = \"{alias}\"\n"));
        let spec = d.cloudtrail.as_ref().unwrap();
        let reported = |key: &str| {
            let mut observed = converged(&d);
            observed.trail.as_mut().unwrap().settings.kms_key_id = Some(key.to_string());
            observed
        };
        let mut observed = reported(key);
        key_as_configured(&mut observed, spec.kms_key_arn.as_deref(), Some(Ok(key.into()))).unwrap();
        let plan = diff(&d, &scope(), spec, &observed);
        assert!(pending(&plan).is_empty(), "{:?}", pending(&plan));

        let other = "arn:aws:kms:eu-west-1:111111111111:key/other";
        let mut observed = reported(other);
        key_as_configured(&mut observed, spec.kms_key_arn.as_deref(), Some(Ok(key.into()))).unwrap();
        let plan = diff(&d, &scope(), spec, &observed);
        let change = plan.pending().next().unwrap();
        assert_eq!(change.attributes, vec![AttributeChange::new("kms_key_id", Some(other.into()), Some(alias.into()))]);

        let denied = AwsError::new("kms:DescribeKey", aws::ErrorKind::AccessDenied, None, "denied".into(), Some(400));
        assert!(key_as_configured(&mut reported(key), spec.kms_key_arn.as_deref(), Some(Err(denied.clone()))).is_err());
        assert!(
            key_as_configured(&mut reported(alias), spec.kms_key_arn.as_deref(), Some(Err(denied))).is_ok(),
            "same text: no lookup needed"
        );
    }

    #[test]
    fn removing_the_key_is_an_update_to_none() {
        let d = desired("");
        let mut observed = converged(&d);
        let key = "arn:aws:kms:eu-west-1:111111111111:key/k";
        observed.trail.as_mut().unwrap().settings.kms_key_id = Some(key.into());
        let plan = diff(&d, &scope(), d.cloudtrail.as_ref().unwrap(), &observed);
        let change = plan.pending().next().unwrap();
        assert_eq!(change.action, Action::Update);
        assert_eq!(
            change.attributes,
            vec![AttributeChange::new("kms_key_id", Some(key.into()), Some("(none)".into()))]
        );
    }

    #[test]
    fn delivery_errors_are_warnings() {
        let d = desired("");
        let mut observed = converged(&d);
        observed.trail.as_mut().unwrap().delivery_error = Some("AccessDenied".into());
        let plan = diff(&d, &scope(), d.cloudtrail.as_ref().unwrap(), &observed);
        assert_eq!(plan.notices.len(), 1);
        assert_eq!(plan.notices[0].message, "latest delivery to S3 failed: AccessDenied");
    }

    #[test]
    fn trail_homed_elsewhere_is_not_duplicated() {
        let d = desired("");
        let mut observed = converged(&d);
        observed.trail.as_mut().unwrap().home_region = "us-east-1".into();
        let plan = diff(&d, &scope(), d.cloudtrail.as_ref().unwrap(), &observed);
        assert!(plan.changes.is_empty());
        assert!(plan.notices[0].message.contains("homed in us-east-1"));
    }

    #[test]
    fn management_selector_keeps_data_events() {
        let data =
            aws_sdk_cloudtrail::types::DataResource::builder().r#type("AWS::S3::Object").values("arn:aws:s3").build();
        let current = vec![
            EventSelector::builder().read_write_type(ReadWriteType::WriteOnly).data_resources(data.clone()).build(),
        ];
        let fixed = management_selectors(&current);
        assert_eq!(fixed[0].read_write_type(), Some(&ReadWriteType::All));
        assert_eq!(fixed[0].include_management_events(), Some(true));
        assert_eq!(fixed[0].data_resources(), &[data]);
        assert_eq!(management_selectors(&[]).len(), 1);
    }

    fn field(name: &str, value: &str) -> AdvancedFieldSelector {
        AdvancedFieldSelector::builder().field(name).equals(value).build().unwrap()
    }

    fn advanced(name: &str, fields: Vec<AdvancedFieldSelector>) -> AdvancedEventSelector {
        AdvancedEventSelector::builder().name(name).set_field_selectors(Some(fields)).build().unwrap()
    }

    #[test]
    fn advanced_selectors_are_repaired_in_place_keeping_data_events() {
        let data =
            advanced("S3 objects", vec![field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object")]);
        let read_only = advanced("Reads", vec![field("eventCategory", "Management"), field("readOnly", "true")]);
        let fixed = management_advanced_selectors(&[data.clone(), read_only]);
        assert_eq!(fixed.len(), 2);
        assert_eq!(fixed[0], data, "the data-event selector is kept as it was");
        assert_eq!(fixed[1].name(), Some("Reads"));
        assert_eq!(fixed[1].field_selectors(), &[field("eventCategory", "Management")]);

        let added = management_advanced_selectors(std::slice::from_ref(&data));
        assert_eq!(added.len(), 2);
        assert_eq!(added[0], data);
        assert!(is_management_selector(&added[1]) && added[1].field_selectors().len() == 1);
    }

    #[test]
    fn a_trail_on_advanced_selectors_is_never_rewritten_with_basic_ones() {
        let d = desired("");
        let mut observed = converged(&d);
        let state = observed.trail.as_mut().unwrap();
        state.management = ManagementCoverage::default();
        state.advanced_selectors =
            vec![advanced("Data", vec![field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object")])];
        let plan = diff(&d, &scope(), d.cloudtrail.as_ref().unwrap(), &observed);
        let change = plan.pending().find(|c| c.address.kind == EVENT_SELECTORS).unwrap();
        let Some(Operation::CloudTrail(Op::LogManagementEvents { selectors: Selectors::Advanced(written), .. })) =
            &change.operation
        else {
            panic!("{:?}", change.operation)
        };
        assert_eq!(written.len(), 2);
        assert_eq!(written[0], observed.trail.as_ref().unwrap().advanced_selectors[0]);
    }

    fn excluding(sources: &[&str]) -> EventSelector {
        EventSelector::builder()
            .read_write_type(ReadWriteType::All)
            .include_management_events(true)
            .set_exclude_management_event_sources(Some(sources.iter().map(|s| s.to_string()).collect()))
            .build()
    }

    #[test]
    fn s3_data_events_of_every_bucket_are_added_to_the_selectors_the_trail_uses_and_converge() {
        let d = desired("s3_data_events = true\n");
        let spec = d.cloudtrail.as_ref().unwrap();
        let selectors_of = |plan: &Plan| -> Option<Selectors> {
            let change = plan.pending().find(|c| c.address.kind == EVENT_SELECTORS)?;
            match &change.operation {
                Some(Operation::CloudTrail(Op::LogManagementEvents { selectors, .. })) => Some(selectors.clone()),
                _ => None,
            }
        };
        // Basic selectors: the management selector gets the data resource, and the next plan is clean.
        let mut observed = converged(&d);
        let plan = diff(&d, &scope(), spec, &observed);
        let change = plan.pending().find(|c| c.address.kind == EVENT_SELECTORS).expect("data events missing");
        let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["s3_data_events"], "management events are fine already");
        let Some(Selectors::Basic(written)) = selectors_of(&plan) else { panic!("basic selectors") };
        assert!(s3_data_events_logged("aws", &written, &[]));
        assert_eq!(written[0].data_resources()[0].values(), ["arn:aws:s3"]);
        let state = observed.trail.as_mut().unwrap();
        state.selectors = written;
        assert!(selectors_of(&diff(&d, &scope(), spec, &observed)).is_none(), "converged");

        // Advanced selectors: a selector of its own; one narrowed to read-only events does not count.
        let narrowed = AdvancedEventSelector::builder()
            .field_selectors(
                AdvancedFieldSelector::builder().field("eventCategory").equals("Management").build().unwrap(),
            )
            .build()
            .unwrap();
        let read_only_s3 = AdvancedEventSelector::builder()
            .set_field_selectors(Some(
                [("eventCategory", "Data"), ("resources.type", "AWS::S3::Object"), ("readOnly", "true")]
                    .into_iter()
                    .map(|(f, v)| AdvancedFieldSelector::builder().field(f).equals(v).build().unwrap())
                    .collect(),
            ))
            .build()
            .unwrap();
        let state = observed.trail.as_mut().unwrap();
        state.selectors = Vec::new();
        state.advanced_selectors = vec![narrowed, read_only_s3.clone()];
        let Some(Selectors::Advanced(written)) = selectors_of(&diff(&d, &scope(), spec, &observed)) else {
            panic!("advanced selectors")
        };
        assert_eq!(written.len(), 3, "the read-only selector is kept, one is added");
        assert!(s3_data_events_logged("aws", &[], &written));
        assert!(!s3_data_events_logged("aws", &[], &[read_only_s3]));
        // Some buckets only is not every bucket.
        let one_bucket = DataResource::builder().r#type("AWS::S3::Object").values("arn:aws:s3:::some-bucket/").build();
        let basic = EventSelector::builder().read_write_type(ReadWriteType::All).data_resources(one_bucket).build();
        assert!(!s3_data_events_logged("aws", &[basic], &[]));
        // Without s3_data_events nothing is asked of data events.
        let off = desired("");
        let observed = converged(&off);
        assert!(selectors_of(&diff(&off, &scope(), off.cloudtrail.as_ref().unwrap(), &observed)).is_none());
    }

    fn event_selectors_change(observed: &Observed) -> ResourceChange {
        let d = desired("");
        let plan = diff(&d, &scope(), d.cloudtrail.as_ref().unwrap(), observed);
        plan.pending().find(|c| c.address.kind == EVENT_SELECTORS).cloned().expect("event selectors change")
    }

    #[test]
    fn excluded_management_event_sources_are_drift_and_dropped_by_the_repair() {
        let coverage = management_coverage(&[excluding(&["kms.amazonaws.com"])], &[]);
        assert_eq!(
            coverage,
            ManagementCoverage { all: false, read_write: true, excluded_sources: vec!["kms.amazonaws.com".into()] }
        );
        assert!(management_coverage(&[excluding(&[])], &[]).all);

        let mut observed = converged(&desired(""));
        let state = observed.trail.as_mut().unwrap();
        state.selectors = vec![excluding(&["kms.amazonaws.com", "rdsdata.amazonaws.com"])];
        state.management = management_coverage(&state.selectors, &[]);
        let change = event_selectors_change(&observed);
        assert_eq!(
            change.attributes,
            vec![AttributeChange::new(
                "excluded_management_event_sources",
                Some("kms.amazonaws.com, rdsdata.amazonaws.com".into()),
                Some("(none)".into())
            )]
        );
        let Some(Operation::CloudTrail(Op::LogManagementEvents { selectors: Selectors::Basic(written), .. })) =
            &change.operation
        else {
            panic!("{:?}", change.operation)
        };
        assert!(management_coverage(written, &[]).all, "the repair converges: {written:?}");

        // Writes narrowed and a source excluded: both are shown.
        let state = observed.trail.as_mut().unwrap();
        state.selectors = vec![
            EventSelector::builder()
                .read_write_type(ReadWriteType::WriteOnly)
                .include_management_events(true)
                .exclude_management_event_sources("kms.amazonaws.com")
                .build(),
        ];
        state.management = management_coverage(&state.selectors, &[]);
        let names: Vec<String> = event_selectors_change(&observed).attributes.into_iter().map(|a| a.name).collect();
        assert_eq!(names, ["management_events", "excluded_management_event_sources"]);
    }

    #[test]
    fn an_event_source_condition_on_the_advanced_management_selector_is_drift_and_dropped() {
        let data =
            advanced("S3 objects", vec![field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object")]);
        let not_kms = AdvancedFieldSelector::builder()
            .field("eventSource")
            .not_equals("kms.amazonaws.com")
            .not_starts_with("rds")
            .build()
            .unwrap();
        let management = advanced("Management", vec![field("eventCategory", "Management"), not_kms]);
        let current = vec![data.clone(), management];
        let coverage = management_coverage(&[], &current);
        assert_eq!(
            coverage,
            ManagementCoverage {
                all: false,
                read_write: true,
                excluded_sources: vec!["NotStartsWith rds".into(), "kms.amazonaws.com".into()]
            }
        );

        let mut observed = converged(&desired(""));
        let state = observed.trail.as_mut().unwrap();
        state.advanced_selectors = current;
        state.management = coverage;
        let change = event_selectors_change(&observed);
        assert_eq!(change.attributes[0].name, "excluded_management_event_sources");
        let Some(Operation::CloudTrail(Op::LogManagementEvents { selectors: Selectors::Advanced(written), .. })) =
            &change.operation
        else {
            panic!("{:?}", change.operation)
        };
        assert_eq!(written.len(), 2);
        assert_eq!(written[0], data, "the data-event selector is kept as it was");
        assert_eq!(written[1].name(), Some("Management"));
        assert_eq!(written[1].field_selectors(), &[field("eventCategory", "Management")]);
        assert!(management_coverage(&[], written).all, "the repair converges");
    }

    #[test]
    fn trail_log_group_and_role_tags_are_compared_as_a_subset_and_added() {
        let d = desired("[baseline.tags]\nteam = \"security\"\n");
        let spec = d.cloudtrail.as_ref().unwrap();
        let mut observed = converged(&d);
        // Foreign tags are no drift; the baseline's missing or changed ones are.
        let foreign = BTreeMap::from([("cost-center".to_string(), "42".to_string())]);
        let drifted = BTreeMap::from([
            ("cost-center".to_string(), "42".to_string()),
            ("managed-by".to_string(), "someone".to_string()),
        ]);
        observed.trail.as_mut().unwrap().tags.extend(foreign.clone());
        let plan = diff(&d, &scope(), spec, &observed);
        assert!(pending(&plan).is_empty(), "{:?}", pending(&plan));

        observed.trail.as_mut().unwrap().tags = drifted.clone();
        observed.log_group.as_mut().unwrap().tags = drifted.clone();
        observed.trust_policy.as_mut().unwrap().tags = drifted;
        let plan = diff(&d, &scope(), spec, &observed);
        let tag_attributes = vec![
            AttributeChange::new("tags.managed-by", Some("someone".into()), Some("baseline".into())),
            AttributeChange::new("tags.team", None, Some("security".into())),
        ];
        let want = BTreeMap::from([
            ("managed-by".to_string(), "baseline".to_string()),
            ("team".to_string(), "security".to_string()),
        ]);
        let change = |kind: &str| plan.pending().find(|c| c.address.kind == kind).unwrap().clone();
        let trail = change(TRAIL);
        assert_eq!(trail.attributes, tag_attributes);
        assert!(trail.depends_on.is_empty(), "tags alone wait for nothing");
        assert_eq!(
            trail.operation,
            Some(Operation::CloudTrail(Op::UpdateTrail {
                name: spec.trail.clone(),
                arn: trail_arn(&scope(), &spec.trail),
                settings: None,
                tags: want.clone(),
            }))
        );
        let group = change(LOG_GROUP);
        assert_eq!(group.attributes, tag_attributes);
        assert_eq!(
            group.operation,
            Some(Operation::CloudTrail(Op::UpdateLogGroup {
                name: spec.log_group.clone(),
                retention_days: None,
                tags: want.clone()
            }))
        );
        let role = change(ROLE);
        assert_eq!(role.attributes, tag_attributes);
        assert_eq!(
            role.operation,
            Some(Operation::CloudTrail(Op::UpdateRole {
                name: spec.role.clone(),
                trust_policy: None,
                description: None,
                tags: want
            }))
        );
        assert_eq!(plan.pending().count(), 3);
    }

    #[test]
    fn role_trust_description_and_tags_and_group_retention_and_tags_are_repaired_together() {
        let d = desired("");
        let spec = d.cloudtrail.as_ref().unwrap();
        let mut observed = converged(&d);
        let role = observed.trust_policy.as_mut().unwrap();
        role.trust_policy = PolicyDocument::empty();
        role.description = "edited".into();
        role.tags.clear();
        let group = observed.log_group.as_mut().unwrap();
        group.retention_days = Some(1);
        group.tags.clear();
        let plan = diff(&d, &scope(), spec, &observed);
        let role = plan.pending().find(|c| c.address.kind == ROLE).unwrap();
        let names: Vec<&str> = role.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["assume_role_policy", "description", "tags.managed-by"]);
        let Some(Operation::CloudTrail(Op::UpdateRole { trust_policy, description, tags, .. })) = &role.operation
        else {
            panic!("{:?}", role.operation)
        };
        assert!(trust_policy.is_some() && tags.len() == 1);
        assert_eq!(description.as_deref(), Some(ROLE_DESCRIPTION));
        let group = plan.pending().find(|c| c.address.kind == LOG_GROUP).unwrap();
        let names: Vec<&str> = group.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["retention_in_days", "tags.managed-by"]);
        assert!(matches!(
            &group.operation,
            Some(Operation::CloudTrail(Op::UpdateLogGroup { retention_days: Some(365), tags, .. })) if tags.len() == 1
        ));
    }

    fn described(arn: &str, organization: bool) -> Trail {
        Trail::builder()
            .name("org-trail")
            .trail_arn(arn)
            .is_organization_trail(organization)
            .is_multi_region_trail(true)
            .include_global_service_events(true)
            .log_file_validation_enabled(true)
            .s3_bucket_name("org-logs")
            .cloud_watch_logs_log_group_arn("arn:aws:logs:eu-west-1:999999999999:log-group:org:*")
            .build()
    }

    #[test]
    fn another_accounts_organization_trail_is_judged_from_describe_trails() {
        let arn = "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org-trail";
        let other = organization_trail(&described(arn, true), "111111111111").unwrap();
        assert_eq!(other.owner.as_deref(), Some("999999999999"));
        assert_eq!(other.s3_bucket_name, "org-logs");
        assert!(organization_trail(&described(arn, false), "111111111111").is_none(), "not an organization trail");
        assert!(organization_trail(&described(arn, true), "999999999999").is_none(), "a trail of this account");

        let d = desired("");
        let observed = Observed {
            trail: None,
            compliant_other: Some(other),
            log_group: None,
            trust_policy: None,
            role_policy: None,
        };
        let plan = diff(&d, &scope(), d.cloudtrail.as_ref().unwrap(), &observed);
        assert_eq!(plan.pending().count(), 0);
        assert!(plan.changes[0].reason.contains("organization trail"), "{}", plan.changes[0].reason);
    }

    fn failing(code: &str) -> AwsError {
        AwsError::new("cloudtrail:CreateTrail", aws::ErrorKind::Service, Some(code.into()), "x".into(), Some(400))
    }

    struct Recorder(Mutex<Vec<String>>);
    impl EventSink for Recorder {
        fn emit(&self, event: Event<'_>) {
            if let Event::Retrying { attempt, reason, .. } = event {
                self.0.lock().unwrap().push(format!("{attempt}: {reason}"));
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn propagation_errors_are_retried_with_backoff_and_reported() {
        let address = Address::new("1", "r", TRAIL, "t");
        let events = Recorder(Mutex::new(Vec::new()));
        let calls = Mutex::new(0);
        let result = with_propagation_retry(&address, &events, || async {
            let mut n = calls.lock().unwrap();
            *n += 1;
            if *n < 3 { Err(failing("InvalidCloudWatchLogsRoleArnException")) } else { Ok(()) }
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(*calls.lock().unwrap(), 3);
        let events = events.0.into_inner().unwrap();
        assert_eq!(events[0], "1: InvalidCloudWatchLogsRoleArnException (waiting 1s for it to propagate)");
        assert_eq!(events[1], "2: InvalidCloudWatchLogsRoleArnException (waiting 2s for it to propagate)");
    }

    #[tokio::test(start_paused = true)]
    async fn fatal_errors_are_not_retried_and_retries_are_bounded() {
        let address = Address::new("1", "r", TRAIL, "t");
        let calls = Mutex::new(0);
        let fatal = with_propagation_retry(&address, &crate::engine::NullSink, || async {
            *calls.lock().unwrap() += 1;
            Err(failing("TrailAlreadyExistsException"))
        })
        .await;
        assert!(fatal.unwrap_err().is_code("TrailAlreadyExistsException"));
        assert_eq!(*calls.lock().unwrap(), 1);

        *calls.lock().unwrap() = 0;
        let start = tokio::time::Instant::now();
        let stuck = with_propagation_retry(&address, &crate::engine::NullSink, || async {
            *calls.lock().unwrap() += 1;
            Err(failing("InsufficientS3BucketPolicyException"))
        })
        .await;
        assert!(stuck.is_err());
        assert_eq!(*calls.lock().unwrap(), 6, "one call and five retries");
        assert_eq!(start.elapsed(), Duration::from_secs(31));
    }
}
