//! AWS Config in every baselined region: the recorder, the delivery channel to the central bucket, recording
//! started, the managed rules, and an EventBridge rule that sends NON_COMPLIANT results of those rules to the
//! security topic.
//!
//! An existing recorder or channel under another name than `recorder_name` is someone else's (a landing zone's,
//! another tool's): under `existing_recorder = "adopt"` it is left as it is and what differs from the baseline is
//! reported; AWS Control Tower's (`aws-controltower-*`) are always left alone, since Control Tower's service
//! control policies deny changing them. A region that a service control policy denies whole is skipped with a
//! warning.

use std::collections::BTreeMap;

use aws_sdk_config::types::{
    ConfigRule, ConfigSnapshotDeliveryProperties, ConfigurationRecorder, DeliveryChannel, MaximumExecutionFrequency,
    Owner, RecordingFrequency, RecordingGroup, RecordingMode, Scope as ConfigScope, Source,
};
use futures::future::join_all;
use serde_json::{Value, json};

use super::with_retry;
use super::event_route::{self, EventRule, Route};
use super::wiring;
use super::wiring::{TOPIC, topic_arn};
use super::{Operation, report_unreadable};
use super::{Plan, ResourceChange};
use crate::aws::{self, AwsError};
use crate::config::{ConfigRuleSpec, ConfigSpec, Desired, ExistingRecorder};
use crate::engine::{Action, Address, AttributeChange, EventSink, GLOBAL, Notice, NoticeLevel};
use crate::target::{RegionClients, Scope, Target};

pub const SERVICE_LINKED_ROLE: &str = "iam.service_linked_role";
pub const RECORDER: &str = "config.recorder";
pub const DELIVERY_CHANNEL: &str = "config.delivery_channel";
pub const RECORDING: &str = "config.recording";
pub const RULE: &str = "config.rule";
pub use super::event_route::{EVENT_RULE, EVENT_TARGET, FORWARDER_ROLE};

pub const SLR_NAME: &str = "AWSServiceRoleForConfig";
pub const EVENT_RULE_NAME: &str = "baseline-config-noncompliant";
pub const FORWARDER_ROLE_NAME: &str = "baseline-config-events-forwarder";
const EVENT_RULE_DESCRIPTION: &str = "AWS Config rules of the baseline turning NON_COMPLIANT, managed by baseline";

/// While a new service-linked role propagates, Config rejects it.
const PROPAGATION_ERRORS: &[&str] = &["InvalidRoleException", "InsufficientDeliveryPolicyException"];

/// AWS Control Tower's recorder and channel (`aws-controltower-BaselineConfigRecorder`,
/// `aws-controltower-BaselineConfigDeliveryChannel`). Its mandatory control "Disallow Configuration Changes to AWS
/// Config" (AWS-GR_CONFIG_CHANGE_PROHIBITED, a service control policy) denies changing them to every principal but
/// `AWSControlTowerExecution`.
pub const CONTROL_TOWER_PREFIX: &str = "aws-controltower-";

/// The recording frequency of a recorder without a recording mode (the API's default).
const CONTINUOUS: &str = "CONTINUOUS";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorder {
    pub name: String,
    pub role_arn: String,
    pub all_supported: bool,
    pub include_global: bool,
    /// Resource types left out (recording strategy `EXCLUSION_BY_RESOURCE_TYPES`), sorted.
    pub excluded: Vec<String>,
    /// The recording mode's default frequency: `CONTINUOUS` or `DAILY`.
    pub frequency: String,
}

/// Who keeps an existing recorder or delivery channel in shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keeper {
    /// baseline: drift is repaired.
    Baseline,
    /// Someone else (`existing_recorder = "adopt"`): left as it is, differences reported.
    Adopted,
    /// AWS Control Tower: left as it is whatever `existing_recorder` says, since its guardrail denies writes.
    ControlTower,
}

/// Whose the recorder or channel named `name` is: Control Tower's by its prefix; baseline's under the baseline's
/// name or with `existing_recorder = "own"`; otherwise adopted.
pub fn keeper(name: &str, spec: &ConfigSpec) -> Keeper {
    if name.starts_with(CONTROL_TOWER_PREFIX) {
        Keeper::ControlTower
    } else if name == spec.recorder_name || spec.existing_recorder == ExistingRecorder::Own {
        Keeper::Baseline
    } else {
        Keeper::Adopted
    }
}

impl Keeper {
    /// Why an existing `what` is left as it is (for [`Keeper::Baseline`]: never).
    fn left_alone(self, what: &str, spec: &ConfigSpec) -> String {
        match self {
            Keeper::ControlTower => {
                let own = if spec.existing_recorder == ExistingRecorder::Own {
                    ", even with existing_recorder = \"own\""
                } else {
                    ""
                };
                format!(
                    "{what} of AWS Control Tower, left as it is{own}: Control Tower's guardrail \"Disallow \
                     Configuration Changes to AWS Config\" (a service control policy) denies changing it"
                )
            }
            _ => format!(
                "{what} not created by baseline, left as it is (existing_recorder = \"adopt\"; \"own\" repairs it)"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub name: String,
    pub bucket: String,
    pub prefix: Option<String>,
    pub topic: Option<String>,
    pub frequency: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub identifier: String,
    pub parameters: BTreeMap<String, String>,
    /// `AWS` for the managed rules baseline writes.
    pub owner: String,
    pub scope: RuleScope,
}

/// Which resources a rule evaluates. A scope narrowed to one resource, to tagged resources or to other
/// resource types than the rule's own leaves the rule COMPLIANT whatever happens: it is drift.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleScope {
    pub resource_types: Vec<String>,
    pub resource_id: Option<String>,
    pub tag_key: Option<String>,
    pub tag_value: Option<String>,
}

impl RuleScope {
    fn show(&self) -> String {
        let mut parts = Vec::new();
        if !self.resource_types.is_empty() {
            parts.push(format!("types {}", self.resource_types.join(", ")));
        }
        if let Some(id) = &self.resource_id {
            parts.push(format!("resource {id}"));
        }
        if let Some(key) = &self.tag_key {
            parts.push(format!("tag {key}={}", self.tag_value.as_deref().unwrap_or("*")));
        }
        if parts.is_empty() { "(all resources)".into() } else { parts.join("; ") }
    }

    /// `self` (as read) evaluates what `want` does: no resource or tag filter, and the rule's own resource
    /// types (or none, which AWS reads as every type the rule applies to).
    fn covers(&self, want: &RuleScope) -> bool {
        self.resource_id.is_none()
            && self.tag_key.is_none()
            && self.tag_value.is_none()
            && (self.resource_types.is_empty()
                || want.resource_types.is_empty()
                || sorted(&self.resource_types) == sorted(&want.resource_types))
    }
}

fn sorted(v: &[String]) -> Vec<&String> {
    let mut v: Vec<&String> = v.iter().collect();
    v.sort();
    v
}

/// The resource types of the managed rules whose scope baseline knows (AWS Config developer guide, the
/// managed rule's "Resource Types"); other rules are written without a scope.
fn managed_rule_scope(identifier: &str) -> RuleScope {
    let types: &[&str] = match identifier {
        "RESTRICTED_INCOMING_TRAFFIC" | "INCOMING_SSH_DISABLED" | "VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS" => {
            &["AWS::EC2::SecurityGroup"]
        }
        _ => &[],
    };
    RuleScope { resource_types: types.iter().map(|t| t.to_string()).collect(), ..RuleScope::default() }
}

impl Rule {
    /// What differs between the rule as read (`self`) and as wanted, `before → after`.
    fn drift(&self, want: &Rule) -> Vec<AttributeChange> {
        let mut changes = super::changed_fields(rule_fields(self), rule_fields(want));
        if !self.scope.covers(&want.scope) {
            changes.push(AttributeChange::new("scope", Some(self.scope.show()), Some(want.scope.show())));
        }
        changes
    }
}

fn rule_fields(rule: &Rule) -> [(&'static str, String); 3] {
    [
        ("source_owner", rule.owner.clone()),
        ("source_identifier", rule.identifier.clone()),
        ("input_parameters", serde_json::to_string(&rule.parameters).unwrap_or_default()),
    ]
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegionState {
    /// Customer recorders only (service-linked ones are ignored).
    pub recorder: Option<Recorder>,
    pub recording: bool,
    pub channel: Option<Channel>,
    pub rules: Vec<Rule>,
    /// The EventBridge rule, if it exists.
    pub event_rule: Option<EventRule>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    CreateServiceLinkedRole,
    PutRecorder(Recorder),
    PutChannel(Channel),
    /// Deletes the channel and puts it again, to clear a field PutDeliveryChannel would keep; `pause`: the
    /// recorder to stop meanwhile and start again.
    ReplaceChannel {
        channel: Channel,
        pause: Option<String>,
    },
    StartRecording {
        recorder: String,
    },
    PutRule(Rule),
    /// The rule, target and forwarding role of the non-compliance route.
    Route(event_route::Op),
}

/// The non-compliance route to the security topic.
pub const ROUTE: Route = Route {
    rule_name: EVENT_RULE_NAME,
    rule_description: EVENT_RULE_DESCRIPTION,
    forwarder_role: FORWARDER_ROLE_NAME,
    forwarder_description: "Forwards AWS Config non-compliance events to the home region, managed by baseline",
    what: "non-compliance",
};

fn route_op(op: event_route::Op) -> Operation {
    Operation::Config(Op::Route(op))
}

pub fn service_linked_role_arn(scope: &Scope) -> String {
    format!("arn:{}:iam::{}:role/aws-service-role/config.amazonaws.com/{SLR_NAME}", scope.partition, scope.account_id)
}

/// Rules with their planned parameters: CLOUD_TRAIL_ENABLED is pinned to the bucket and log group of the
/// trail that satisfies the requirement (another one, such as an organization trail, when baseline relies on
/// it: pinned to baseline's own, the rule would stay NON_COMPLIANT forever), else to the baseline's own.
pub fn desired_rules(
    desired: &Desired,
    scope: &Scope,
    spec: &ConfigSpec,
    trail: Option<&wiring::TrailInUse>,
) -> Vec<Rule> {
    spec.rules
        .iter()
        .map(|r: &ConfigRuleSpec| {
            let mut parameters = r.parameters.clone();
            if r.identifier == "CLOUD_TRAIL_ENABLED"
                && let Some(trail) = trail
            {
                parameters.entry("s3BucketName".into()).or_insert_with(|| trail.s3_bucket_name.clone());
                if let Some(group) = &trail.log_group_arn {
                    parameters
                        .entry("cloudWatchLogsLogGroupArn".into())
                        .or_insert_with(|| group.trim_end_matches(":*").to_string());
                }
            } else if r.identifier == "CLOUD_TRAIL_ENABLED" {
                if let Some(archive) = &desired.log_archive {
                    parameters
                        .entry("s3BucketName".into())
                        .or_insert_with(|| wiring::location(archive, scope).name);
                }
                if let Some(trail) = &desired.cloudtrail {
                    let arn = wiring::log_group_arn(scope, &trail.log_group);
                    parameters
                        .entry("cloudWatchLogsLogGroupArn".into())
                        .or_insert(arn.trim_end_matches(":*").to_string());
                }
            }
            Rule {
                name: r.name.clone(),
                identifier: r.identifier.clone(),
                parameters,
                owner: "AWS".into(),
                scope: managed_rule_scope(&r.identifier),
            }
        })
        .collect()
}

pub fn event_pattern(rules: &[Rule]) -> Value {
    json!({
        "source": ["aws.config"],
        "detail-type": ["Config Rules Compliance Change"],
        "detail": {
            "messageType": ["ComplianceChangeNotification"],
            "configRuleName": rules.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
            "newEvaluationResult": { "complianceType": ["NON_COMPLIANT"] }
        }
    })
}

/// The calls of this family: Config's recorder, channel and recording have no resource-level permissions;
/// rules and the EventBridge rule are scoped to the account (rule ARNs carry generated ids) or by name; the
/// service-linked role and the forwarder role by their ARNs.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    use crate::needs::{Condition, LISTS_ALL, NO_RESOURCE_TYPE};
    let Some(spec) = &desired.config else { return };
    let service = |name: &str| Condition {
        operator: "StringEquals",
        key: "iam:PassedToService",
        values: [name.to_string()].into(),
    };
    needs.any(&["iam:ListRoles"], LISTS_ALL);
    let slr = needs.iam_arn("role", &format!("aws-service-role/config.amazonaws.com/{SLR_NAME}"));
    needs.on_if(
        "iam:CreateServiceLinkedRole",
        [slr.clone()],
        Condition {
            operator: "StringEquals",
            key: "iam:AWSServiceName",
            values: ["config.amazonaws.com".into()].into(),
        },
    );
    needs.on_if("iam:PassRole", [slr], service("config.amazonaws.com"));
    needs.any(
        &[
            "config:DescribeConfigurationRecorders",
            "config:DescribeConfigurationRecorderStatus",
            "config:DescribeDeliveryChannels",
            "config:PutConfigurationRecorder",
            "config:PutDeliveryChannel",
            "config:StartConfigurationRecorder",
            // Clearing a channel's topic or prefix: the channel is deleted and put again, recording paused.
            "config:StopConfigurationRecorder",
            "config:DeleteDeliveryChannel",
        ],
        NO_RESOURCE_TYPE,
    );
    needs.any(&["config:DescribeConfigRules"], LISTS_ALL);
    if !spec.rules.is_empty() {
        let rules = needs.arn("config", "*", "config-rule/*");
        needs.on(&["config:PutConfigRule"], [rules]);
    }
    if spec.notify_noncompliance {
        event_route::permissions(&ROUTE, needs);
    }
}

pub async fn plan(desired: &Desired, target: &Target, trail: Option<&wiring::TrailInUse>) -> Plan {
    let Some(spec) = &desired.config else { return Plan::default() };
    let scope = &target.scope;
    let mut plan = Plan::default();
    let forwarding = spec.notify_noncompliance && target.regions.iter().any(|r| r.region != scope.home_region);
    let (slr, forwarder, regions) = tokio::join!(
        service_linked_role(target),
        async { if forwarding { Some(event_route::observe_forwarder(target, &ROUTE).await) } else { None } },
        join_all(target.regions.iter().map(|r| observe_region(r, spec))),
    );
    let slr_at = Address::new(&scope.account_id, GLOBAL, SERVICE_LINKED_ROLE, SLR_NAME);
    let Some(slr) = report_unreadable(slr, &slr_at, &mut plan) else { return plan };
    let role_arn = slr.clone().unwrap_or_else(|| service_linked_role_arn(scope));
    let states = readable_regions(scope, &target.regions, regions, &mut plan);
    let forwarder_at = event_route::forwarder_address(scope, &ROUTE);
    // Only regions other than the home region forward, and only those that could be read are planned.
    let forwarded = states.iter().any(|(region, _)| *region != scope.home_region);
    if let Some(role) = forwarder.filter(|_| forwarded) {
        let Some(role) = report_unreadable(role, &forwarder_at, &mut plan) else { return plan };
        plan.changes.push(event_route::forwarder_change(scope, &ROUTE, &forwarder_at, role.as_ref(), route_op));
    }
    let mut regional = Plan::default();
    for (region, state) in states {
        let refs = Refs { role_arn: &role_arn, slr: &slr_at, forwarder: &forwarder_at, trail };
        regional.extend(diff_region(desired, scope, spec, region, &state, &refs));
    }
    // The role is for the recorders baseline writes: none when every recorder is adopted as it is.
    if slr.is_some() || regional.pending().any(|c| c.address.kind == RECORDER) {
        plan.changes.push(service_linked_role_change(&slr_at, slr.is_some()));
    }
    plan.extend(regional);
    plan
}

/// The regions whose state was read. A region a service control policy denies is skipped with a warning (the
/// home region excepted: it stays an error, like any other unreadable region).
fn readable_regions<'a>(
    scope: &Scope,
    clients: &'a [RegionClients],
    reads: Vec<Result<RegionRead, AwsError>>,
    plan: &mut Plan,
) -> Vec<(&'a str, RegionState)> {
    let mut states = Vec::new();
    for (clients, read) in clients.iter().zip(reads) {
        let region = clients.region.as_str();
        let at = Address::new(&scope.account_id, region, RECORDER, "*");
        let read = match read {
            Ok(RegionRead::DeniedByPolicy(error)) if region != scope.home_region => {
                plan.notices.push(Notice {
                    level: NoticeLevel::Warning,
                    address: at,
                    message: format!(
                        "region {region} skipped: a service control policy denies AWS Config there (a region \
                         deny?): {error}"
                    ),
                });
                continue;
            }
            Ok(RegionRead::DeniedByPolicy(error)) => Err(error),
            Ok(RegionRead::State(state)) => Ok(*state),
            Err(error) => Err(error),
        };
        if let Some(state) = report_unreadable(read, &at, plan) {
            states.push((region, state));
        }
    }
    states
}

fn service_linked_role_change(at: &Address, exists: bool) -> ResourceChange {
    if exists {
        return ResourceChange::no_op(at.clone(), "service-linked role exists");
    }
    ResourceChange::new(
        at.clone(),
        Action::Create,
        "Config's service-linked role does not exist",
        Operation::Config(Op::CreateServiceLinkedRole),
    )
    .with_attributes(vec![AttributeChange::new("aws_service_name", None, Some("config.amazonaws.com".into()))])
}

/// The ARN of Config's service-linked role, if the account has it (found by its path, whatever its exact name).
async fn service_linked_role(target: &Target) -> Result<Option<String>, AwsError> {
    let out = target
        .iam
        .list_roles()
        .path_prefix("/aws-service-role/config.amazonaws.com/")
        .send()
        .await
        .map_err(aws::err("iam:ListRoles"))?;
    Ok(out.roles().first().map(|r| r.arn().to_string()))
}

/// A region read in full, or one a service control policy denies whole (seen on its first read).
enum RegionRead {
    State(Box<RegionState>),
    DeniedByPolicy(AwsError),
}

async fn observe_region(clients: &RegionClients, spec: &ConfigSpec) -> Result<RegionRead, AwsError> {
    let config = &clients.config;
    // The first read alone: in a region a service control policy denies (Control Tower's region deny), every
    // call fails the same way, and each denied call is one more AccessDenied event in CloudTrail.
    let recorders = match config.describe_configuration_recorders().send().await {
        Ok(out) => out,
        Err(e) => {
            let e = AwsError::from_sdk("config:DescribeConfigurationRecorders", e);
            return if e.is_denied_by_scp() { Ok(RegionRead::DeniedByPolicy(e)) } else { Err(e) };
        }
    };
    let (status, channels, rules, event_rule) = tokio::join!(
        config.describe_configuration_recorder_status().send(),
        config.describe_delivery_channels().send(),
        async {
            let mut pages = config.describe_config_rules().into_paginator().send();
            let mut rules = Vec::new();
            while let Some(page) = pages.next().await {
                rules.extend(page.map_err(aws::err("config:DescribeConfigRules"))?.config_rules().iter().cloned());
            }
            Ok::<_, AwsError>(rules)
        },
        observe_event_rule(clients, spec),
    );
    let recorder = recorders
        .configuration_recorders()
        .iter()
        .find(|r| {
            r.name().is_some_and(|n| !n.starts_with("AWSConfigurationRecorderFor")) && r.service_principal().is_none()
        })
        .map(recorder_of);
    let status = status.map_err(aws::err("config:DescribeConfigurationRecorderStatus"))?;
    let recording = recorder.as_ref().is_some_and(|rec| {
        status.configuration_recorders_status().iter().any(|s| s.name() == Some(rec.name.as_str()) && s.recording())
    });
    let channel = channels.map_err(aws::err("config:DescribeDeliveryChannels"))?.delivery_channels().first().map(
        |c: &DeliveryChannel| Channel {
            name: c.name().unwrap_or_default().to_string(),
            bucket: c.s3_bucket_name().unwrap_or_default().to_string(),
            prefix: c.s3_key_prefix().filter(|p| !p.is_empty()).map(str::to_string),
            topic: c.sns_topic_arn().filter(|t| !t.is_empty()).map(str::to_string),
            frequency: c
                .config_snapshot_delivery_properties()
                .and_then(|p| p.delivery_frequency())
                .map(|f| f.as_str().to_string()),
        },
    );
    let rules = rules?.iter().map(rule_of).collect();
    Ok(RegionRead::State(Box::new(RegionState { recorder, recording, channel, rules, event_rule: event_rule? })))
}

fn recorder_of(r: &ConfigurationRecorder) -> Recorder {
    let group = r.recording_group();
    let mut excluded: Vec<String> = group
        .and_then(|g| g.exclusion_by_resource_types())
        .map(|e| e.resource_types().iter().map(|t| t.as_str().to_string()).collect())
        .unwrap_or_default();
    excluded.sort();
    Recorder {
        name: r.name().unwrap_or_default().to_string(),
        role_arn: r.role_arn().unwrap_or_default().to_string(),
        all_supported: group.is_some_and(|g| g.all_supported()),
        include_global: group.is_some_and(|g| g.include_global_resource_types()),
        excluded,
        frequency: r.recording_mode().map_or(CONTINUOUS, |m| m.recording_frequency().as_str()).to_string(),
    }
}

fn rule_of(r: &ConfigRule) -> Rule {
    Rule {
        name: r.config_rule_name().unwrap_or_default().to_string(),
        identifier: r.source().and_then(|s| s.source_identifier()).unwrap_or_default().to_string(),
        owner: r.source().map(|s| s.owner().as_str().to_string()).unwrap_or_default(),
        scope: r
            .scope()
            .map(|s| RuleScope {
                resource_types: s.compliance_resource_types().to_vec(),
                resource_id: s.compliance_resource_id().filter(|v| !v.is_empty()).map(str::to_string),
                tag_key: s.tag_key().filter(|v| !v.is_empty()).map(str::to_string),
                tag_value: s.tag_value().filter(|v| !v.is_empty()).map(str::to_string),
            })
            .unwrap_or_default(),
        parameters: r
            .input_parameters()
            .and_then(|p| serde_json::from_str::<BTreeMap<String, Value>>(p).ok())
            .map(|m| {
                m.into_iter().map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect()
            })
            .unwrap_or_default(),
    }
}

async fn observe_event_rule(clients: &RegionClients, spec: &ConfigSpec) -> Result<Option<EventRule>, AwsError> {
    if !spec.notify_noncompliance {
        return Ok(None);
    }
    event_route::observe(&clients.events, &ROUTE).await
}

/// What every region's changes refer to: the recorder's role and the global changes they depend on.
pub struct Refs<'a> {
    pub role_arn: &'a str,
    pub slr: &'a Address,
    pub forwarder: &'a Address,
    /// The trail the account relies on, when the trail family could tell (see [`desired_rules`]).
    pub trail: Option<&'a wiring::TrailInUse>,
}

/// One region's diff: what it is diffed against, and where its changes go.
struct Region<'a> {
    desired: &'a Desired,
    scope: &'a Scope,
    spec: &'a ConfigSpec,
    region: &'a str,
    state: &'a RegionState,
    trail: Option<&'a wiring::TrailInUse>,
}

impl Region<'_> {
    fn at(&self, kind: &'static str, name: &str) -> Address {
        Address::new(&self.scope.account_id, self.region, kind, name)
    }

    fn home(&self) -> bool {
        self.region == self.scope.home_region
    }
}

pub fn diff_region(
    desired: &Desired,
    scope: &Scope,
    spec: &ConfigSpec,
    region: &str,
    state: &RegionState,
    refs: &Refs<'_>,
) -> Plan {
    let r = Region { desired, scope, spec, region, state, trail: refs.trail };
    let mut plan = Plan::default();
    let recorder_at = diff_recorder(&r, refs, &mut plan);
    let channel_at = diff_channel(&r, &recorder_at, &mut plan);
    let recording_at = diff_recording(&r, &recorder_at, &channel_at, &mut plan);
    let rules = diff_rules(&r, &recording_at, &mut plan);
    if spec.notify_noncompliance {
        diff_event_rule(&r, &rules, refs.forwarder, &mut plan);
    }
    plan
}

fn recorder_fields(r: &Recorder) -> [(&'static str, String); 5] {
    let excluded = if r.excluded.is_empty() { "(none)".to_string() } else { r.excluded.join(", ") };
    [
        ("role_arn", r.role_arn.clone()),
        ("all_supported", r.all_supported.to_string()),
        ("include_global_resource_types", r.include_global.to_string()),
        ("excluded_resource_types", excluded),
        ("recording_frequency", r.frequency.clone()),
    ]
}

/// The recorder: created when missing, repaired when baseline keeps it, otherwise reported. Returns its address
/// (its name is the existing recorder's).
fn diff_recorder(r: &Region<'_>, refs: &Refs<'_>, plan: &mut Plan) -> Address {
    let want = Recorder {
        name: r.state.recorder.as_ref().map_or_else(|| r.spec.recorder_name.clone(), |have| have.name.clone()),
        role_arn: refs.role_arn.to_string(),
        all_supported: true,
        include_global: r.home(),
        excluded: Vec::new(),
        frequency: CONTINUOUS.to_string(),
    };
    let at = r.at(RECORDER, &want.name);
    let put = || Operation::Config(Op::PutRecorder(want.clone()));
    plan.changes.push(match &r.state.recorder {
        None => {
            let [role, all, global, ..] = recorder_fields(&want);
            ResourceChange::new(at.clone(), Action::Create, "no configuration recorder", put())
                .with_attributes(super::new_fields([role, all, global]))
                .after(refs.slr)
        }
        Some(have) => {
            // IAM role names are case-insensitive: the same role may be spelled differently.
            let attrs =
                super::changed_fields_by(recorder_fields(have), recorder_fields(&want), str::eq_ignore_ascii_case);
            match keeper(&have.name, r.spec) {
                Keeper::Baseline if attrs.is_empty() => ResourceChange::no_op(at.clone(), "recorder matches"),
                Keeper::Baseline => ResourceChange::new(at.clone(), Action::Update, "recorder differs", put())
                    .with_attributes(attrs)
                    .after(refs.slr),
                keeper => {
                    plan.notices.push(adopted_notice(keeper, "recorder", &at, &attrs, r.spec));
                    ResourceChange::no_op(at.clone(), "adopted: left as it is")
                }
            }
        }
    });
    at
}

/// An Info notice for a recorder or channel left as it is, naming each field that differs from the baseline.
fn adopted_notice(
    keeper: Keeper,
    what: &str,
    at: &Address,
    differences: &[AttributeChange],
    spec: &ConfigSpec,
) -> Notice {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    let how = if differences.is_empty() {
        "it matches the baseline".to_string()
    } else {
        let fields: Vec<String> = differences
            .iter()
            .map(|a| format!("{} {} (baseline: {})", a.name, show(&a.before), show(&a.after)))
            .collect();
        format!("differs from the baseline in {}", fields.join(", "))
    };
    Notice {
        level: NoticeLevel::Info,
        address: at.clone(),
        message: format!("{}; {how}", keeper.left_alone(what, spec)),
    }
}

fn channel_fields(c: &Channel) -> [(&'static str, String); 4] {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    [
        ("s3_bucket_name", c.bucket.clone()),
        ("s3_key_prefix", show(&c.prefix)),
        ("sns_topic_arn", show(&c.topic)),
        ("delivery_frequency", show(&c.frequency)),
    ]
}

/// The delivery channel: to the central bucket, and to the security topic only with `stream_changes_to_topic`
/// (it carries every configuration change; non-compliance reaches the topic through EventBridge).
fn diff_channel(r: &Region<'_>, recorder_at: &Address, plan: &mut Plan) -> Address {
    let (desired, scope, spec) = (r.desired, r.scope, r.spec);
    let bucket = desired.log_archive.as_ref().map(|a| wiring::location(a, scope));
    let topic = desired.notifications.security.as_ref().filter(|_| spec.stream_changes_to_topic);
    let want = Channel {
        name: r.state.channel.as_ref().map_or_else(|| spec.recorder_name.clone(), |c| c.name.clone()),
        bucket: bucket.as_ref().map(|b| b.name.clone()).unwrap_or_default(),
        prefix: spec.delivery_prefix.clone(),
        topic: topic.map(|t| topic_arn(scope, &t.name)),
        frequency: Some(spec.delivery_frequency.clone()),
    };
    let at = r.at(DELIVERY_CHANNEL, &want.name);
    let mut change = match &r.state.channel {
        None => ResourceChange::new(
            at.clone(),
            Action::Create,
            "no delivery channel",
            Operation::Config(Op::PutChannel(want.clone())),
        )
        .with_attributes(super::new_fields(channel_fields(&want))),
        Some(have) => {
            let attrs = super::changed_fields(channel_fields(have), channel_fields(&want));
            match keeper(&have.name, spec) {
                Keeper::Baseline if attrs.is_empty() => ResourceChange::no_op(at.clone(), "delivery channel matches"),
                Keeper::Baseline => channel_update(&at, have, &want, r.state).with_attributes(attrs),
                keeper => {
                    plan.notices.push(adopted_notice(keeper, "delivery channel", &at, &attrs, spec));
                    ResourceChange::no_op(at.clone(), "adopted: left as it is")
                }
            }
        }
    };
    if change.is_pending() {
        change = change.after(recorder_at);
        if let Some(b) = &bucket {
            change = change.after(&b.policy_address());
        }
        if let Some(t) = topic {
            change = change.after(&Address::new(&scope.account_id, &scope.home_region, TOPIC, &t.name));
        }
    }
    plan.changes.push(change);
    at
}

/// PutDeliveryChannel keeps a field the request leaves out ("this action will keep the existing value for the
/// parameter that is not changed", AWS Config API Reference, PutDeliveryChannel) and rejects an empty one
/// (InvalidSNSTopicARNException, InvalidS3KeyPrefixException). So a topic or prefix the baseline drops is
/// cleared by deleting the channel and putting it again; DeleteDeliveryChannel needs the recorder stopped, so a
/// recording recorder is stopped meanwhile and started again.
fn channel_update(at: &Address, have: &Channel, want: &Channel, state: &RegionState) -> ResourceChange {
    let clears = (have.prefix.is_some() && want.prefix.is_none()) || (have.topic.is_some() && want.topic.is_none());
    if !clears {
        return ResourceChange::new(
            at.clone(),
            Action::Update,
            "delivery channel differs",
            Operation::Config(Op::PutChannel(want.clone())),
        );
    }
    let pause = state.recorder.as_ref().filter(|_| state.recording).map(|r| r.name.clone());
    ResourceChange::new(
        at.clone(),
        Action::Update,
        "delivery channel differs; a field is cleared only by deleting and re-creating the channel (recording \
         pauses meanwhile)",
        Operation::Config(Op::ReplaceChannel { channel: want.clone(), pause }),
    )
}

/// Recording on: started when baseline keeps the recorder; a stopped recorder baseline does not keep is
/// reported, not started.
fn diff_recording(r: &Region<'_>, recorder_at: &Address, channel_at: &Address, plan: &mut Plan) -> Address {
    let name = recorder_at.name.as_str();
    let at = r.at(RECORDING, name);
    let kept = r.state.recorder.as_ref().map(|have| keeper(&have.name, r.spec));
    plan.changes.push(match kept {
        _ if r.state.recording => ResourceChange::no_op(at.clone(), "recording"),
        Some(keeper) if keeper != Keeper::Baseline => {
            plan.notices.push(Notice {
                level: NoticeLevel::Warning,
                address: at.clone(),
                message: format!(
                    "recording is stopped, and the Config rules evaluate nothing until it records: {}",
                    keeper.left_alone("recorder", r.spec)
                ),
            });
            ResourceChange::no_op(at.clone(), "stopped; left as it is")
        }
        _ => ResourceChange::new(
            at.clone(),
            if kept.is_some() { Action::Update } else { Action::Create },
            if kept.is_some() { "recording is stopped" } else { "a new recorder does not record until started" },
            Operation::Config(Op::StartRecording { recorder: name.to_string() }),
        )
        .with_attributes(vec![AttributeChange::new("recording", kept.map(|_| "false".into()), Some("true".into()))])
        .after(channel_at)
        .after(recorder_at),
    });
    at
}

/// The managed rules of this region (rules about global resources run in the home region only).
fn diff_rules(r: &Region<'_>, recording_at: &Address, plan: &mut Plan) -> Vec<Rule> {
    let rules: Vec<Rule> = desired_rules(r.desired, r.scope, r.spec, r.trail)
        .into_iter()
        .zip(&r.spec.rules)
        .filter(|(_, spec)| r.home() || !spec.home_only)
        .map(|(rule, _)| rule)
        .collect();
    let show = |rule: &Rule| {
        [
            ("source_identifier", rule.identifier.clone()),
            ("input_parameters", serde_json::to_string(&rule.parameters).unwrap_or_default()),
        ]
    };
    for rule in &rules {
        let at = r.at(RULE, &rule.name);
        let put = || Operation::Config(Op::PutRule(rule.clone()));
        let have = r.state.rules.iter().find(|have| have.name == rule.name);
        let drift = have.map(|have| have.drift(rule));
        plan.changes.push(match drift {
            None => ResourceChange::new(at, Action::Create, "rule missing", put())
                .with_attributes(super::new_fields(show(rule)))
                .after(recording_at),
            Some(drift) if drift.is_empty() => ResourceChange::no_op(at, "rule matches"),
            Some(drift) => ResourceChange::new(at, Action::Update, "rule differs", put())
                .with_attributes(drift)
                .after(recording_at),
        });
    }
    rules
}

/// Non-compliance notification: home region → the security topic; elsewhere → the home region's bus.
fn diff_event_rule(r: &Region<'_>, rules: &[Rule], forwarder: &Address, plan: &mut Plan) {
    let Some(security) = &r.desired.notifications.security else { return };
    let leg = event_route::Leg { scope: r.scope, region: r.region, topic: &security.name, forwarder };
    let have = r.state.event_rule.as_ref();
    plan.changes.extend(event_route::diff_region(&ROUTE, &leg, have, &event_pattern(rules), route_op));
}

/// The clients of the change's region.
fn clients<'a>(target: &'a Target, address: &Address) -> Result<&'a RegionClients, AwsError> {
    target.region(&address.region, "config:PutConfigurationRecorder")
}

pub async fn execute(target: &Target, op: &Op, address: &Address, events: &dyn EventSink) -> Result<(), AwsError> {
    match op {
        Op::CreateServiceLinkedRole => {
            match target
                .iam
                .create_service_linked_role()
                .aws_service_name("config.amazonaws.com")
                .send()
                .await
                .map_err(aws::err("iam:CreateServiceLinkedRole"))
            {
                Ok(_) => Ok(()),
                // AWS answers InvalidInput ("... has been taken"); the emulator EntityAlreadyExists.
                Err(e) if e.message.contains("has been taken") || e.is_code("InvalidInput") => Ok(()),
                Err(e) => super::already_there("EntityAlreadyExists")(e),
            }
        }
        Op::Route(op) => event_route::run(target, op, address).await,
        Op::PutRecorder(r) => put_recorder(clients(target, address)?, r, address, events).await,
        Op::PutChannel(ch) => put_channel(clients(target, address)?, ch, address, events).await,
        Op::ReplaceChannel { channel, pause } => {
            replace_channel(clients(target, address)?, channel, pause.as_deref(), address, events).await
        }
        Op::StartRecording { recorder } => start_recording(clients(target, address)?, recorder).await,
        Op::PutRule(rule) => put_rule(clients(target, address)?, rule).await,
    }
}

async fn put_recorder(
    c: &RegionClients,
    r: &Recorder,
    address: &Address,
    events: &dyn EventSink,
) -> Result<(), AwsError> {
    let group = RecordingGroup::builder()
        .all_supported(r.all_supported)
        .include_global_resource_types(r.include_global)
        .build();
    let mode = RecordingMode::builder()
        .recording_frequency(RecordingFrequency::from(r.frequency.as_str()))
        .build()
        .map_err(aws::build_error("config:PutConfigurationRecorder"))?;
    let recorder = ConfigurationRecorder::builder()
        .name(&r.name)
        .role_arn(&r.role_arn)
        .recording_group(group)
        .recording_mode(mode)
        .build();
    with_retry(address, events, PROPAGATION_ERRORS, || async {
        c.config
            .put_configuration_recorder()
            .configuration_recorder(recorder.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(aws::err("config:PutConfigurationRecorder"))
    })
    .await
}

/// Puts the whole channel. A field left out is kept by AWS, not cleared (see [`channel_update`]).
async fn put_channel(
    c: &RegionClients,
    ch: &Channel,
    address: &Address,
    events: &dyn EventSink,
) -> Result<(), AwsError> {
    let mut channel = DeliveryChannel::builder()
        .name(&ch.name)
        .s3_bucket_name(&ch.bucket)
        .set_s3_key_prefix(ch.prefix.clone())
        .set_sns_topic_arn(ch.topic.clone());
    if let Some(f) = &ch.frequency {
        channel = channel.config_snapshot_delivery_properties(
            ConfigSnapshotDeliveryProperties::builder()
                .delivery_frequency(MaximumExecutionFrequency::from(f.as_str()))
                .build(),
        );
    }
    let channel = channel.build();
    with_retry(address, events, PROPAGATION_ERRORS, || async {
        c.config
            .put_delivery_channel()
            .delivery_channel(channel.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(aws::err("config:PutDeliveryChannel"))
    })
    .await
}

/// Deletes the channel and puts it again (see [`channel_update`]), with recording stopped meanwhile when `pause`
/// names the recorder.
async fn replace_channel(
    c: &RegionClients,
    channel: &Channel,
    pause: Option<&str>,
    address: &Address,
    events: &dyn EventSink,
) -> Result<(), AwsError> {
    if let Some(recorder) = pause {
        c.config
            .stop_configuration_recorder()
            .configuration_recorder_name(recorder)
            .send()
            .await
            .map_err(aws::err("config:StopConfigurationRecorder"))?;
    }
    let deleted = c
        .config
        .delete_delivery_channel()
        .delivery_channel_name(&channel.name)
        .send()
        .await
        .map(|_| ())
        .map_err(aws::err("config:DeleteDeliveryChannel"));
    // Gone already: an earlier attempt whose answer was lost.
    deleted.or_else(super::already_there("NoSuchDeliveryChannelException"))?;
    put_channel(c, channel, address, events).await?;
    match pause {
        Some(recorder) => start_recording(c, recorder).await,
        None => Ok(()),
    }
}

async fn put_rule(c: &RegionClients, rule: &Rule) -> Result<(), AwsError> {
    let source = Source::builder()
        .owner(Owner::Aws)
        .source_identifier(&rule.identifier)
        .build()
        .map_err(aws::build_error("config:PutConfigRule"))?;
    let params = (!rule.parameters.is_empty()).then(|| serde_json::to_string(&rule.parameters).unwrap_or_default());
    let scope = (!rule.scope.resource_types.is_empty())
        .then(|| ConfigScope::builder().set_compliance_resource_types(Some(rule.scope.resource_types.clone())).build());
    let config_rule = ConfigRule::builder()
        .config_rule_name(&rule.name)
        .source(source)
        .set_input_parameters(params)
        .set_scope(scope)
        .build();
    c.config.put_config_rule().config_rule(config_rule).send().await.map_err(aws::err("config:PutConfigRule"))?;
    Ok(())
}

async fn start_recording(c: &RegionClients, recorder: &str) -> Result<(), AwsError> {
    c.config
        .start_configuration_recorder()
        .configuration_recorder_name(recorder)
        .send()
        .await
        .map_err(aws::err("config:StartConfigurationRecorder"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::resources::cloudtrail;
    use crate::resources::wiring::BUCKET_POLICY;

    fn desired() -> Desired {
        let text = "[notifications.security]\ntopic = \"sec\"\nemails = [\"s@example.com\"]\n\
                    [log_archive]\nbucket = \"logs-{account_id}\"\n[cloudtrail]\n[config]\n\
                    [[config.rules]]\nidentifier = \"CLOUD_TRAIL_ENABLED\"\n\
                    [[config.rules]]\nidentifier = \"IAM_PASSWORD_POLICY\"\n";
        parse(std::path::Path::new("baseline.toml"), text).unwrap().desired
    }

    fn scope() -> Scope {
        Scope { account_id: "111111111111".into(), partition: "aws".into(), home_region: "eu-west-1".into() }
    }

    fn refs_for<'a>(slr: &'a Address, fwd: &'a Address, arn: &'a str) -> Refs<'a> {
        Refs { role_arn: arn, slr, forwarder: fwd, trail: None }
    }

    fn kinds(plan: &Plan) -> Vec<String> {
        plan.pending().map(|c| format!("{}/{}", c.address.kind, c.address.name)).collect()
    }

    #[test]
    fn cloud_trail_rule_is_pinned_to_the_baseline_trail() {
        let d = desired();
        let rules = desired_rules(&d, &scope(), d.config.as_ref().unwrap(), None);
        assert_eq!(rules[0].parameters["s3BucketName"], "logs-111111111111");
        assert_eq!(
            rules[0].parameters["cloudWatchLogsLogGroupArn"],
            "arn:aws:logs:eu-west-1:111111111111:log-group:baseline-cloudtrail"
        );
        assert!(d.config.as_ref().unwrap().rules[1].home_only, "IAM rules run in the home region only");
    }

    #[test]
    fn cloud_trail_rule_is_pinned_to_the_trail_the_account_relies_on() {
        let d = desired();
        let spec = d.cloudtrail.as_ref().unwrap();
        let organization_trail = cloudtrail::Observed {
            trail: None,
            compliant_other: Some(cloudtrail::OtherTrail {
                arn: "arn:aws:cloudtrail:eu-west-1:999999999999:trail/aws-controltower-BaselineCloudTrail".into(),
                log_group_arn: Some("arn:aws:logs:eu-west-1:999999999999:log-group:aws-controltower/Logs:*".into()),
                s3_bucket_name: "aws-controltower-logs-999999999999-eu-west-1".into(),
                owner: Some("999999999999".into()),
            }),
            log_group: None,
            trust_policy: None,
            role_policy: None,
        };
        let in_use = cloudtrail::trail_in_use(&d, &scope(), spec, &organization_trail);
        let rules = desired_rules(&d, &scope(), d.config.as_ref().unwrap(), Some(&in_use));
        assert_eq!(rules[0].parameters["s3BucketName"], "aws-controltower-logs-999999999999-eu-west-1");
        assert_eq!(
            rules[0].parameters["cloudWatchLogsLogGroupArn"],
            "arn:aws:logs:eu-west-1:999999999999:log-group:aws-controltower/Logs"
        );
        // With baseline's own trail, the same as before.
        let own = cloudtrail::Observed { compliant_other: None, ..organization_trail };
        let in_use = cloudtrail::trail_in_use(&d, &scope(), spec, &own);
        let ours = desired_rules(&d, &scope(), d.config.as_ref().unwrap(), Some(&in_use));
        assert_eq!(ours, desired_rules(&d, &scope(), d.config.as_ref().unwrap(), None));
    }

    #[test]
    fn empty_region_plans_in_dependency_order_and_iam_rules_only_at_home() {
        let d = desired();
        let spec = d.config.as_ref().unwrap();
        let (slr, fwd) = (
            Address::new("111111111111", GLOBAL, SERVICE_LINKED_ROLE, SLR_NAME),
            Address::new("111111111111", GLOBAL, FORWARDER_ROLE, FORWARDER_ROLE_NAME),
        );
        let arn = service_linked_role_arn(&scope());
        let home = diff_region(&d, &scope(), spec, "eu-west-1", &RegionState::default(), &refs_for(&slr, &fwd, &arn));
        assert_eq!(
            kinds(&home),
            vec![
                "config.recorder/default",
                "config.delivery_channel/default",
                "config.recording/default",
                "config.rule/baseline-cloud-trail-enabled",
                "config.rule/baseline-iam-password-policy",
                "events.rule/baseline-config-noncompliant",
                "events.target/baseline-config-noncompliant/baseline-security",
            ]
        );
        let channel = &home.changes[1];
        let deps: Vec<&str> = channel.depends_on.iter().map(|a| a.kind).collect();
        assert_eq!(deps, vec![RECORDER, BUCKET_POLICY], "no topic on the channel by default: it waits for none");
        assert!(channel.attributes.iter().any(|a| a.name == "sns_topic_arn" && a.after.as_deref() == Some("(none)")));
        let other = diff_region(&d, &scope(), spec, "us-west-2", &RegionState::default(), &refs_for(&slr, &fwd, &arn));
        assert!(!kinds(&other).iter().any(|k| k.contains("iam-password")));
        let target = other.changes.iter().find(|c| c.address.kind == EVENT_TARGET).unwrap();
        let Some(Operation::Config(Op::Route(event_route::Op::PutTarget { arn, role_arn, .. }))) = &target.operation
        else {
            panic!()
        };
        assert_eq!(arn, "arn:aws:events:eu-west-1:111111111111:event-bus/default", "forwarded to the home region");
        assert!(role_arn.as_deref().unwrap().ends_with(FORWARDER_ROLE_NAME));
        let recorder = other.changes.iter().find(|c| c.address.kind == RECORDER).unwrap();
        assert!(
            recorder
                .attributes
                .iter()
                .any(|a| a.name == "include_global_resource_types" && a.after.as_deref() == Some("false"))
        );
    }

    #[test]
    fn service_linked_recorders_are_not_adopted_and_role_names_compare_without_case() {
        let d = desired();
        let spec = d.config.as_ref().unwrap();
        let (slr, fwd) =
            (Address::new("1", GLOBAL, SERVICE_LINKED_ROLE, SLR_NAME), Address::new("1", GLOBAL, FORWARDER_ROLE, "f"));
        let arn = service_linked_role_arn(&scope());
        let state = RegionState {
            recorder: Some(Recorder { role_arn: arn.to_ascii_lowercase(), ..recorder("mine") }),
            ..RegionState::default()
        };
        for existing_recorder in [ExistingRecorder::Adopt, ExistingRecorder::Own] {
            let spec = ConfigSpec { existing_recorder, ..spec.clone() };
            let plan = diff_region(&d, &scope(), &spec, "eu-west-1", &state, &refs_for(&slr, &fwd, &arn));
            assert_eq!(plan.changes[0].action, Action::NoOp);
            assert_eq!(plan.changes[0].address.name, "mine", "adopted under its own name");
        }
    }

    /// The baseline's recorder in the home region.
    fn recorder(name: &str) -> Recorder {
        Recorder {
            name: name.into(),
            role_arn: service_linked_role_arn(&scope()),
            all_supported: true,
            include_global: true,
            excluded: Vec::new(),
            frequency: CONTINUOUS.into(),
        }
    }

    fn channel(name: &str) -> Channel {
        Channel {
            name: name.into(),
            bucket: "logs-111111111111".into(),
            prefix: Some("config".into()),
            topic: None,
            frequency: Some("TwentyFour_Hours".into()),
        }
    }

    #[test]
    fn a_rule_scoped_to_one_resource_or_a_tag_is_drift_and_its_own_types_are_not() {
        let want = Rule {
            name: "r".into(),
            identifier: "RESTRICTED_INCOMING_TRAFFIC".into(),
            parameters: BTreeMap::new(),
            owner: "AWS".into(),
            scope: managed_rule_scope("RESTRICTED_INCOMING_TRAFFIC"),
        };
        assert!(want.drift(&want).is_empty());
        let unscoped = Rule { scope: RuleScope::default(), ..want.clone() };
        assert!(unscoped.drift(&want).is_empty(), "no scope evaluates every type the rule applies to");
        let one = Rule { scope: RuleScope { resource_id: Some("sg-1".into()), ..want.scope.clone() }, ..want.clone() };
        let tagged =
            Rule { scope: RuleScope { tag_key: Some("audit".into()), ..RuleScope::default() }, ..want.clone() };
        let other_type = Rule {
            scope: RuleScope { resource_types: vec!["AWS::S3::Bucket".into()], ..RuleScope::default() },
            ..want.clone()
        };
        for narrowed in [one, tagged, other_type] {
            let drift = narrowed.drift(&want);
            assert_eq!(drift.len(), 1, "{narrowed:?}");
            assert_eq!(drift[0].name, "scope");
        }
        let custom = Rule { owner: "CUSTOM_LAMBDA".into(), ..want.clone() };
        assert_eq!(custom.drift(&want)[0].name, "source_owner");
    }

    fn spec_with(d: &Desired, existing_recorder: ExistingRecorder) -> ConfigSpec {
        ConfigSpec { existing_recorder, delivery_prefix: Some("config".into()), ..d.config.clone().unwrap() }
    }

    fn diff(spec: &ConfigSpec, state: &RegionState) -> Plan {
        let d = desired();
        let (slr, fwd) = (
            Address::new("111111111111", GLOBAL, SERVICE_LINKED_ROLE, SLR_NAME),
            Address::new("111111111111", GLOBAL, FORWARDER_ROLE, FORWARDER_ROLE_NAME),
        );
        let arn = service_linked_role_arn(&scope());
        diff_region(&d, &scope(), spec, "eu-west-1", state, &refs_for(&slr, &fwd, &arn))
    }

    fn change<'a>(plan: &'a Plan, kind: &str) -> &'a ResourceChange {
        plan.changes.iter().find(|c| c.address.kind == kind).unwrap()
    }

    /// A recorder someone else set up: another role, some types excluded, stopped; its channel to another
    /// bucket with a topic.
    fn foreign(name: &str, channel_name: &str) -> RegionState {
        RegionState {
            recorder: Some(Recorder {
                role_arn: "arn:aws:iam::111111111111:role/landing-zone-config".into(),
                all_supported: false,
                excluded: vec!["AWS::IAM::User".into()],
                ..recorder(name)
            }),
            recording: false,
            channel: Some(Channel {
                bucket: "org-log-archive".into(),
                topic: Some("arn:aws:sns:eu-west-1:222222222222:all-config".into()),
                ..channel(channel_name)
            }),
            ..RegionState::default()
        }
    }

    #[test]
    fn adopt_reports_a_foreign_recorder_and_channel_and_own_repairs_them() {
        let d = desired();
        let state = foreign("landing-zone", "landing-zone");
        let adopt = diff(&spec_with(&d, ExistingRecorder::Adopt), &state);
        for kind in [RECORDER, DELIVERY_CHANNEL, RECORDING] {
            assert_eq!(change(&adopt, kind).action, Action::NoOp, "{kind} is left as it is");
        }
        let pending: Vec<&str> = adopt.pending().map(|c| c.address.kind).collect();
        assert!(pending.iter().all(|k| [RULE, EVENT_RULE, EVENT_TARGET].contains(k)), "{pending:?}");
        let notice = |kind: &str| adopt.notices.iter().find(|n| n.address.kind == kind).unwrap();
        let recorder = notice(RECORDER);
        assert_eq!(recorder.level, NoticeLevel::Info);
        for field in ["role_arn", "all_supported", "excluded_resource_types AWS::IAM::User (baseline: (none))"] {
            assert!(recorder.message.contains(field), "{field}: {}", recorder.message);
        }
        assert!(!recorder.message.contains("recording_frequency"), "only what differs: {}", recorder.message);
        let channel = notice(DELIVERY_CHANNEL);
        for field in ["s3_bucket_name org-log-archive (baseline: logs-111111111111)", "sns_topic_arn"] {
            assert!(channel.message.contains(field), "{field}: {}", channel.message);
        }
        let stopped = notice(RECORDING);
        assert_eq!(stopped.level, NoticeLevel::Warning);
        assert!(stopped.message.contains("recording is stopped"), "{}", stopped.message);

        let own = diff(&spec_with(&d, ExistingRecorder::Own), &state);
        assert!(own.notices.is_empty(), "{:?}", own.notices);
        for kind in [RECORDER, DELIVERY_CHANNEL, RECORDING] {
            assert_eq!(change(&own, kind).action, Action::Update, "{kind} is repaired");
        }
        let names: Vec<&str> = change(&own, RECORDER).attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["role_arn", "all_supported", "excluded_resource_types"]);
    }

    #[test]
    fn control_tower_recorders_are_never_written_even_when_owned() {
        let d = desired();
        let state =
            foreign("aws-controltower-BaselineConfigRecorder", "aws-controltower-BaselineConfigDeliveryChannel");
        let plan = diff(&spec_with(&d, ExistingRecorder::Own), &state);
        for kind in [RECORDER, DELIVERY_CHANNEL, RECORDING] {
            assert_eq!(change(&plan, kind).action, Action::NoOp, "{kind}");
        }
        let recorder = plan.notices.iter().find(|n| n.address.kind == RECORDER).unwrap();
        assert!(recorder.message.contains("AWS Control Tower"), "{}", recorder.message);
        assert!(recorder.message.contains("even with existing_recorder = \"own\""), "{}", recorder.message);
        assert!(recorder.message.contains("service control policy"), "{}", recorder.message);
    }

    #[test]
    fn the_baselines_own_recorder_is_repaired_under_adopt() {
        let d = desired();
        let mut state = foreign("default", "default");
        state.recorder.as_mut().unwrap().frequency = "DAILY".into();
        let plan = diff(&spec_with(&d, ExistingRecorder::Adopt), &state);
        assert!(plan.notices.is_empty(), "{:?}", plan.notices);
        let recorder = change(&plan, RECORDER);
        assert_eq!(recorder.action, Action::Update);
        assert!(recorder.attributes.iter().any(|a| a.name == "recording_frequency"
            && a.before.as_deref() == Some("DAILY")
            && a.after.as_deref() == Some(CONTINUOUS)));
        let Some(Operation::Config(Op::StartRecording { recorder })) = &change(&plan, RECORDING).operation else {
            panic!("a stopped recorder of the baseline's is started")
        };
        assert_eq!(recorder, "default");
    }

    #[test]
    fn a_topic_the_baseline_drops_is_cleared_by_re_creating_the_channel() {
        let d = desired();
        let spec = spec_with(&d, ExistingRecorder::Adopt);
        let topic = topic_arn(&scope(), "sec");
        let state = RegionState {
            recorder: Some(recorder("default")),
            recording: true,
            channel: Some(Channel { topic: Some(topic.clone()), ..channel("default") }),
            ..RegionState::default()
        };
        let plan = diff(&spec, &state);
        let update = change(&plan, DELIVERY_CHANNEL);
        assert_eq!(update.action, Action::Update);
        assert_eq!(
            update.attributes,
            vec![AttributeChange::new("sns_topic_arn", Some(topic.clone()), Some("(none)".into()))]
        );
        let Some(Operation::Config(Op::ReplaceChannel { channel: want, pause })) = &update.operation else {
            panic!("PutDeliveryChannel alone would keep the topic: {:?}", update.operation)
        };
        assert_eq!((want.topic.as_deref(), pause.as_deref()), (None, Some("default")));

        // With `stream_changes_to_topic` the same channel matches; a channel without the topic gains it by a put.
        let streaming = ConfigSpec { stream_changes_to_topic: true, ..spec };
        assert_eq!(change(&diff(&streaming, &state), DELIVERY_CHANNEL).action, Action::NoOp);
        let bare = RegionState { channel: Some(channel("default")), ..state };
        let plan = diff(&streaming, &bare);
        let put = change(&plan, DELIVERY_CHANNEL);
        assert!(
            matches!(&put.operation, Some(Operation::Config(Op::PutChannel(c))) if c.topic.as_deref() == Some(topic.as_str()))
        );
        assert!(put.depends_on.iter().any(|a| a.kind == TOPIC), "the topic exists first");
    }
}
