//! AWS Config in every baselined region: the recorder (an existing customer recorder is adopted), the delivery
//! channel to the central bucket and the security topic, recording started, the managed rules, and an EventBridge
//! rule that sends NON_COMPLIANT results of those rules to the security topic.

use std::collections::BTreeMap;

use aws_sdk_config::types::{
    ConfigRule, ConfigSnapshotDeliveryProperties, ConfigurationRecorder, DeliveryChannel, MaximumExecutionFrequency,
    Owner, RecordingGroup, Source,
};
use aws_sdk_eventbridge::types::Target as EventTarget;
use futures::future::join_all;
use serde_json::{Value, json};

use super::cloudtrail::{self, with_retry};
use super::sns::{TOPIC, TOPIC_POLICY, topic_arn};
use super::{Operation, report_unreadable};
use super::{iam_role, log_bucket};
use crate::aws::{self, AwsError, ErrorKind};
use crate::config::{ConfigRuleSpec, ConfigSpec, Desired};
use crate::engine::{Action, Address, AttributeChange, EventSink, GLOBAL, Notice, NoticeLevel, Plan, ResourceChange};
use crate::policy::PolicyDocument;
use crate::target::{RegionClients, Scope, Target};

pub const SERVICE_LINKED_ROLE: &str = "iam.service_linked_role";
pub const RECORDER: &str = "config.recorder";
pub const DELIVERY_CHANNEL: &str = "config.delivery_channel";
pub const RECORDING: &str = "config.recording";
pub const RULE: &str = "config.rule";
pub const EVENT_RULE: &str = "events.rule";
pub const EVENT_TARGET: &str = "events.target";
pub const FORWARDER_ROLE: &str = "iam.role";

pub const SLR_NAME: &str = "AWSServiceRoleForConfig";
pub const EVENT_RULE_NAME: &str = "baseline-config-noncompliant";
pub const FORWARDER_ROLE_NAME: &str = "baseline-config-events-forwarder";
const FORWARDER_POLICY_NAME: &str = "baseline-put-events-to-home-region";
const TARGET_ID: &str = "baseline-security";

/// While a new service-linked role propagates, Config rejects it.
const PROPAGATION_ERRORS: &[&str] = &["InvalidRoleException", "InsufficientDeliveryPolicyException"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorder {
    pub name: String,
    pub role_arn: String,
    pub all_supported: bool,
    pub include_global: bool,
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
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegionState {
    /// Customer recorders only (service-linked ones are ignored).
    pub recorder: Option<Recorder>,
    pub recording: bool,
    pub channel: Option<Channel>,
    pub rules: Vec<Rule>,
    /// The event pattern and the targets' ARNs of the EventBridge rule, if it exists.
    pub event_rule: Option<(Value, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    CreateServiceLinkedRole,
    PutRecorder(Recorder),
    PutChannel(Channel),
    StartRecording { recorder: String },
    PutRule(Rule),
    PutEventRule { pattern: String },
    PutEventTarget { arn: String, role_arn: Option<String> },
    CreateForwarderRole { trust_policy: String, policy: String },
}

pub fn service_linked_role_arn(scope: &Scope) -> String {
    format!("arn:{}:iam::{}:role/aws-service-role/config.amazonaws.com/{SLR_NAME}", scope.partition, scope.account_id)
}

fn home_bus(scope: &Scope) -> String {
    format!("arn:{}:events:{}:{}:event-bus/default", scope.partition, scope.home_region, scope.account_id)
}

/// Rules with their planned parameters: CLOUD_TRAIL_ENABLED is pinned to the baseline's bucket and log group.
pub fn desired_rules(desired: &Desired, scope: &Scope, spec: &ConfigSpec) -> Vec<Rule> {
    spec.rules
        .iter()
        .map(|r: &ConfigRuleSpec| {
            let mut parameters = r.parameters.clone();
            if r.identifier == "CLOUD_TRAIL_ENABLED" {
                if let Some(archive) = &desired.log_archive {
                    parameters
                        .entry("s3BucketName".into())
                        .or_insert_with(|| log_bucket::location(archive, scope).name);
                }
                if let Some(trail) = &desired.cloudtrail {
                    let arn = cloudtrail::log_group_arn(scope, &trail.log_group);
                    parameters
                        .entry("cloudWatchLogsLogGroupArn".into())
                        .or_insert(arn.trim_end_matches(":*").to_string());
                }
            }
            Rule { name: r.name.clone(), identifier: r.identifier.clone(), parameters }
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

fn forwarder_trust(scope: &Scope) -> PolicyDocument {
    PolicyDocument {
        version: Some("2012-10-17".into()),
        id: None,
        statements: vec![json!({
            "Sid": "BaselineEventBridgeAssumeRole",
            "Effect": "Allow",
            "Principal": { "Service": "events.amazonaws.com" },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": scope.account_id } }
        })],
    }
}

fn forwarder_policy(scope: &Scope) -> PolicyDocument {
    PolicyDocument {
        version: Some("2012-10-17".into()),
        id: None,
        statements: vec![json!({
            "Sid": "BaselinePutEventsToHomeRegion",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": home_bus(scope)
        })],
    }
}

/// The calls of this family: Config's recorder, channel and recording have no resource-level permissions;
/// rules and the EventBridge rule are scoped to the account (rule ARNs carry generated ids) or by name; the
/// service-linked role and the forwarder role by their ARNs.
pub fn permissions(desired: &Desired, needs: &mut crate::permissions::Needs) {
    use crate::permissions::{Condition, LISTS_ALL, NO_RESOURCE_TYPE};
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
        ],
        NO_RESOURCE_TYPE,
    );
    needs.any(&["config:DescribeConfigRules"], LISTS_ALL);
    if !spec.rules.is_empty() {
        let rules = needs.arn("config", "*", "config-rule/*");
        needs.on(&["config:PutConfigRule"], [rules]);
    }
    if spec.notify_noncompliance {
        let rule = needs.arn("events", "*", &format!("rule/{EVENT_RULE_NAME}"));
        needs.on(&["events:DescribeRule", "events:ListTargetsByRule", "events:PutRule", "events:PutTargets"], [rule]);
        // Regions other than the home region forward through a role of the baseline's.
        let role = needs.iam_arn("role", FORWARDER_ROLE_NAME);
        needs.on(&["iam:GetRole", "iam:CreateRole", "iam:PutRolePolicy"], [role.clone()]);
        needs.on_if("iam:PassRole", [role], service("events.amazonaws.com"));
    }
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let Some(spec) = &desired.config else { return Plan::default() };
    let scope = &target.scope;
    let mut plan = Plan::default();
    for region in &target.unavailable_regions {
        plan.notices.push(Notice {
            level: NoticeLevel::Warning,
            address: Address::new(&scope.account_id, region, RECORDER, "*"),
            message: format!("region {region} is not enabled for this account: skipped"),
        });
    }
    let forwarding = spec.notify_noncompliance && target.regions.iter().any(|r| r.region != scope.home_region);
    let (slr, forwarder, regions) = tokio::join!(
        service_linked_role(target),
        async {
            if forwarding {
                Some(iam_role::trust_policy(&target.iam, FORWARDER_ROLE_NAME).await.map(|r| r.is_some()))
            } else {
                None
            }
        },
        join_all(target.regions.iter().map(|r| observe_region(r, spec))),
    );
    let slr_at = Address::new(&scope.account_id, GLOBAL, SERVICE_LINKED_ROLE, SLR_NAME);
    let Some(slr) = report_unreadable(slr, &slr_at, &mut plan) else { return plan };
    let role_arn = slr.clone().unwrap_or_else(|| service_linked_role_arn(scope));
    plan.changes.push(if slr.is_some() {
        ResourceChange::no_op(slr_at.clone(), "service-linked role exists")
    } else {
        ResourceChange::new(
            slr_at.clone(),
            Action::Create,
            "Config's service-linked role does not exist",
            Operation::Config(Op::CreateServiceLinkedRole),
        )
        .with_attributes(vec![AttributeChange::new(
            "aws_service_name",
            None,
            Some("config.amazonaws.com".into()),
        )])
    });
    let forwarder_at = Address::new(&scope.account_id, GLOBAL, FORWARDER_ROLE, FORWARDER_ROLE_NAME);
    if let Some(exists) = forwarder {
        let Some(exists) = report_unreadable(exists, &forwarder_at, &mut plan) else { return plan };
        plan.changes.push(if exists {
            ResourceChange::no_op(forwarder_at.clone(), "forwarding role exists")
        } else {
            let trust = forwarder_trust(scope).to_json();
            let policy = forwarder_policy(scope).to_json();
            ResourceChange::new(
                forwarder_at.clone(),
                Action::Create,
                "EventBridge needs a role to forward other regions' events to the home region",
                Operation::Config(Op::CreateForwarderRole { trust_policy: trust.clone(), policy: policy.clone() }),
            )
            .with_attributes(vec![
                AttributeChange::new("assume_role_policy", None, Some(trust)),
                AttributeChange::new("policy", None, Some(policy)),
            ])
        });
    }
    for (clients, state) in target.regions.iter().zip(regions) {
        let at = Address::new(&scope.account_id, &clients.region, RECORDER, "*");
        if let Some(state) = report_unreadable(state, &at, &mut plan) {
            let refs = Refs { role_arn: &role_arn, slr: &slr_at, forwarder: &forwarder_at };
            plan.extend(diff_region(desired, scope, spec, &clients.region, &state, &refs));
        }
    }
    plan
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

async fn observe_region(clients: &RegionClients, spec: &ConfigSpec) -> Result<RegionState, AwsError> {
    let config = &clients.config;
    let (recorders, status, channels, rules, event_rule) = tokio::join!(
        config.describe_configuration_recorders().send(),
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
        .map_err(aws::err("config:DescribeConfigurationRecorders"))?
        .configuration_recorders()
        .iter()
        .find(|r| {
            r.name().is_some_and(|n| !n.starts_with("AWSConfigurationRecorderFor")) && r.service_principal().is_none()
        })
        .map(|r: &ConfigurationRecorder| Recorder {
            name: r.name().unwrap_or_default().to_string(),
            role_arn: r.role_arn().unwrap_or_default().to_string(),
            all_supported: r.recording_group().is_some_and(|g| g.all_supported()),
            include_global: r.recording_group().is_some_and(|g| g.include_global_resource_types()),
        });
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
    let rules = rules?
        .iter()
        .map(|r: &ConfigRule| Rule {
            name: r.config_rule_name().unwrap_or_default().to_string(),
            identifier: r.source().and_then(|s| s.source_identifier()).unwrap_or_default().to_string(),
            parameters: r
                .input_parameters()
                .and_then(|p| serde_json::from_str::<BTreeMap<String, Value>>(p).ok())
                .map(|m| {
                    m.into_iter().map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Ok(RegionState { recorder, recording, channel, rules, event_rule: event_rule? })
}

async fn observe_event_rule(
    clients: &RegionClients,
    spec: &ConfigSpec,
) -> Result<Option<(Value, Vec<String>)>, AwsError> {
    if !spec.notify_noncompliance {
        return Ok(None);
    }
    let rule = match clients.events.describe_rule().name(EVENT_RULE_NAME).send().await {
        Ok(rule) => rule,
        Err(e) => {
            let e = AwsError::from_sdk("events:DescribeRule", e);
            return if e.kind == ErrorKind::NotFound { Ok(None) } else { Err(e) };
        }
    };
    let targets = clients
        .events
        .list_targets_by_rule()
        .rule(EVENT_RULE_NAME)
        .send()
        .await
        .map_err(aws::err("events:ListTargetsByRule"))?;
    let pattern = rule.event_pattern().and_then(|p| serde_json::from_str(p).ok()).unwrap_or(Value::Null);
    Ok(Some((pattern, targets.targets().iter().map(|t| t.arn().to_string()).collect())))
}

/// What every region's changes refer to: the recorder's role and the global changes they depend on.
pub struct Refs<'a> {
    pub role_arn: &'a str,
    pub slr: &'a Address,
    pub forwarder: &'a Address,
}

pub fn diff_region(
    desired: &Desired,
    scope: &Scope,
    spec: &ConfigSpec,
    region: &str,
    state: &RegionState,
    refs: &Refs<'_>,
) -> Plan {
    let (slr_at, forwarder_at) = (refs.slr, refs.forwarder);
    let mut plan = Plan::default();
    let at = |kind, name: &str| Address::new(&scope.account_id, region, kind, name);
    let op = Operation::Config;
    let home = region == scope.home_region;

    // Recorder: adopt the existing customer recorder under its own name.
    let want = Recorder {
        name: state.recorder.as_ref().map_or_else(|| spec.recorder_name.clone(), |r| r.name.clone()),
        role_arn: refs.role_arn.to_string(),
        all_supported: true,
        include_global: home,
    };
    let recorder_at = at(RECORDER, &want.name);
    let fields = |r: &Recorder| {
        [
            ("role_arn", r.role_arn.clone()),
            ("all_supported", r.all_supported.to_string()),
            ("include_global_resource_types", r.include_global.to_string()),
        ]
    };
    plan.changes.push(match &state.recorder {
        None => ResourceChange::new(
            recorder_at.clone(),
            Action::Create,
            "no configuration recorder",
            op(Op::PutRecorder(want.clone())),
        )
        .with_attributes(super::new_fields(fields(&want)))
        .after(slr_at),
        Some(have) => {
            // IAM role names are case-insensitive: the same role may be spelled differently.
            let attrs = super::changed_fields_by(fields(have), fields(&want), str::eq_ignore_ascii_case);
            if attrs.is_empty() {
                ResourceChange::no_op(recorder_at.clone(), "recorder matches (adopted)")
            } else {
                ResourceChange::new(
                    recorder_at.clone(),
                    Action::Update,
                    "recorder differs",
                    op(Op::PutRecorder(want.clone())),
                )
                .with_attributes(attrs)
                .after(slr_at)
            }
        }
    });

    // Delivery channel: to the central bucket and the security topic.
    let bucket = desired.log_archive.as_ref().map(|a| log_bucket::location(a, scope));
    let topic = desired.notifications.security.as_ref().map(|t| topic_arn(scope, &t.name));
    let want_channel = Channel {
        name: state.channel.as_ref().map_or_else(|| spec.recorder_name.clone(), |c| c.name.clone()),
        bucket: bucket.as_ref().map(|b| b.name.clone()).unwrap_or_default(),
        prefix: spec.delivery_prefix.clone(),
        topic: topic.clone(),
        frequency: Some(spec.delivery_frequency.clone()),
    };
    let channel_at = at(DELIVERY_CHANNEL, &want_channel.name);
    let channel_fields = |c: &Channel| {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        [
            ("s3_bucket_name", c.bucket.clone()),
            ("s3_key_prefix", show(&c.prefix)),
            ("sns_topic_arn", show(&c.topic)),
            ("delivery_frequency", show(&c.frequency)),
        ]
    };
    let mut channel_change = match &state.channel {
        None => ResourceChange::new(
            channel_at.clone(),
            Action::Create,
            "no delivery channel",
            op(Op::PutChannel(want_channel.clone())),
        )
        .with_attributes(super::new_fields(channel_fields(&want_channel))),
        Some(have) => {
            let attrs = super::changed_fields(channel_fields(have), channel_fields(&want_channel));
            if attrs.is_empty() {
                ResourceChange::no_op(channel_at.clone(), "delivery channel matches")
            } else {
                ResourceChange::new(
                    channel_at.clone(),
                    Action::Update,
                    "delivery channel differs",
                    op(Op::PutChannel(want_channel.clone())),
                )
                .with_attributes(attrs)
            }
        }
    };
    if channel_change.is_pending() {
        channel_change = channel_change.after(&recorder_at);
        if let Some(b) = &bucket {
            channel_change = channel_change.after(&b.policy_address());
        }
        if let Some(t) = &desired.notifications.security {
            channel_change = channel_change.after(&Address::new(&scope.account_id, &scope.home_region, TOPIC, &t.name));
        }
    }
    plan.changes.push(channel_change);

    // Recording on.
    let recording_at = at(RECORDING, &want.name);
    plan.changes.push(if state.recording {
        ResourceChange::no_op(recording_at.clone(), "recording")
    } else {
        ResourceChange::new(
            recording_at.clone(),
            if state.recorder.is_some() { Action::Update } else { Action::Create },
            if state.recorder.is_some() {
                "recording is stopped"
            } else {
                "a new recorder does not record until started"
            },
            op(Op::StartRecording { recorder: want.name.clone() }),
        )
        .with_attributes(vec![AttributeChange::new(
            "recording",
            state.recorder.as_ref().map(|_| "false".into()),
            Some("true".into()),
        )])
        .after(&channel_at)
        .after(&recorder_at)
    });

    // Managed rules.
    let rules: Vec<Rule> = desired_rules(desired, scope, spec)
        .into_iter()
        .zip(&spec.rules)
        .filter(|(_, r)| home || !r.home_only)
        .map(|(rule, _)| rule)
        .collect();
    for rule in &rules {
        let rule_at = at(RULE, &rule.name);
        let have = state.rules.iter().find(|r| r.name == rule.name);
        let show = |r: &Rule| {
            [
                ("source_identifier", r.identifier.clone()),
                ("input_parameters", serde_json::to_string(&r.parameters).unwrap_or_default()),
            ]
        };
        plan.changes.push(match have {
            None => ResourceChange::new(rule_at, Action::Create, "rule missing", op(Op::PutRule(rule.clone())))
                .with_attributes(super::new_fields(show(rule)))
                .after(&recording_at),
            Some(have) if have == rule => ResourceChange::no_op(rule_at, "rule matches"),
            Some(have) => ResourceChange::new(rule_at, Action::Update, "rule differs", op(Op::PutRule(rule.clone())))
                .with_attributes(super::changed_fields(show(have), show(rule)))
                .after(&recording_at),
        });
    }

    // Non-compliance notification: home region → the security topic; elsewhere → the home region's bus.
    if spec.notify_noncompliance
        && let Some(topic) = &topic
    {
        let pattern = event_pattern(&rules);
        let rule_at = at(EVENT_RULE, EVENT_RULE_NAME);
        let (have_pattern, have_targets) = match &state.event_rule {
            Some((p, t)) => (Some(p), t.clone()),
            None => (None, Vec::new()),
        };
        plan.changes.push(match have_pattern {
            Some(p) if *p == pattern => ResourceChange::no_op(rule_at.clone(), "event rule matches"),
            p => ResourceChange::new(
                rule_at.clone(),
                if p.is_some() { Action::Update } else { Action::Create },
                if p.is_some() { "event pattern differs" } else { "no event rule for non-compliance" },
                op(Op::PutEventRule { pattern: pattern.to_string() }),
            )
            .with_attributes(vec![AttributeChange::new(
                "event_pattern",
                p.map(Value::to_string),
                Some(pattern.to_string()),
            )]),
        });
        let (target_arn, role_arn) = if home {
            (topic.clone(), None)
        } else {
            (home_bus(scope), Some(cloudtrail::role_arn(scope, FORWARDER_ROLE_NAME)))
        };
        let target_at = at(EVENT_TARGET, &format!("{EVENT_RULE_NAME}/{TARGET_ID}"));
        if have_targets.contains(&target_arn) {
            plan.changes.push(ResourceChange::no_op(target_at, "target in place"));
        } else {
            let mut change = ResourceChange::new(
                target_at,
                if state.event_rule.is_some() { Action::Update } else { Action::Create },
                if home { "non-compliance must reach the security topic" } else { "forward to the home region" },
                op(Op::PutEventTarget { arn: target_arn.clone(), role_arn: role_arn.clone() }),
            )
            .with_attributes(vec![AttributeChange::new(
                "target",
                (!have_targets.is_empty()).then(|| have_targets.join(", ")),
                Some(target_arn),
            )])
            .after(&rule_at);
            change = if home {
                change.after(&Address::new(
                    &scope.account_id,
                    &scope.home_region,
                    TOPIC_POLICY,
                    desired.notifications.security.as_ref().map_or("", |t| t.name.as_str()),
                ))
            } else {
                change.after(forwarder_at)
            };
            plan.changes.push(change);
        }
    }
    plan
}

/// The clients of the change's region.
fn clients<'a>(target: &'a Target, address: &Address) -> Result<&'a RegionClients, AwsError> {
    target.regions.iter().find(|r| r.region == address.region).ok_or_else(|| {
        AwsError::new(
            "config:PutConfigurationRecorder",
            ErrorKind::Service,
            None,
            format!("no clients for region {}", address.region),
            None,
        )
    })
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
        Op::CreateForwarderRole { trust_policy, policy } => {
            let description = "Forwards AWS Config non-compliance events to the home region, managed by baseline";
            iam_role::create(&target.iam, FORWARDER_ROLE_NAME, trust_policy, description, &BTreeMap::new()).await?;
            iam_role::put_inline_policy(&target.iam, FORWARDER_ROLE_NAME, FORWARDER_POLICY_NAME, policy).await
        }
        Op::PutRecorder(r) => {
            let c = clients(target, address)?;
            let group = RecordingGroup::builder()
                .all_supported(r.all_supported)
                .include_global_resource_types(r.include_global)
                .build();
            let recorder =
                ConfigurationRecorder::builder().name(&r.name).role_arn(&r.role_arn).recording_group(group).build();
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
        Op::PutChannel(ch) => {
            let c = clients(target, address)?;
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
        Op::StartRecording { recorder } => {
            let c = clients(target, address)?;
            c.config
                .start_configuration_recorder()
                .configuration_recorder_name(recorder)
                .send()
                .await
                .map_err(aws::err("config:StartConfigurationRecorder"))?;
            Ok(())
        }
        Op::PutRule(rule) => {
            let c = clients(target, address)?;
            let source = Source::builder()
                .owner(Owner::Aws)
                .source_identifier(&rule.identifier)
                .build()
                .map_err(aws::build_error("config:PutConfigRule"))?;
            let params =
                (!rule.parameters.is_empty()).then(|| serde_json::to_string(&rule.parameters).unwrap_or_default());
            let config_rule =
                ConfigRule::builder().config_rule_name(&rule.name).source(source).set_input_parameters(params).build();
            c.config
                .put_config_rule()
                .config_rule(config_rule)
                .send()
                .await
                .map_err(aws::err("config:PutConfigRule"))?;
            Ok(())
        }
        Op::PutEventRule { pattern } => {
            let c = clients(target, address)?;
            c.events
                .put_rule()
                .name(EVENT_RULE_NAME)
                .event_pattern(pattern)
                .description("AWS Config rules of the baseline turning NON_COMPLIANT, managed by baseline")
                .send()
                .await
                .map_err(aws::err("events:PutRule"))?;
            Ok(())
        }
        Op::PutEventTarget { arn, role_arn } => {
            let c = clients(target, address)?;
            let t = EventTarget::builder()
                .id(TARGET_ID)
                .arn(arn)
                .set_role_arn(role_arn.clone())
                .build()
                .map_err(aws::build_error("events:PutTargets"))?;
            let out = c
                .events
                .put_targets()
                .rule(EVENT_RULE_NAME)
                .targets(t)
                .send()
                .await
                .map_err(aws::err("events:PutTargets"))?;
            if out.failed_entry_count() > 0 {
                let why = out.failed_entries().first().and_then(|f| f.error_message()).unwrap_or("unknown").to_string();
                return Err(AwsError::new("events:PutTargets", ErrorKind::Service, None, why, None));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::resources::log_bucket::BUCKET_POLICY;

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
        Refs { role_arn: arn, slr, forwarder: fwd }
    }

    fn kinds(plan: &Plan) -> Vec<String> {
        plan.pending().map(|c| format!("{}/{}", c.address.kind, c.address.name)).collect()
    }

    #[test]
    fn cloud_trail_rule_is_pinned_to_the_baseline_trail() {
        let d = desired();
        let rules = desired_rules(&d, &scope(), d.config.as_ref().unwrap());
        assert_eq!(rules[0].parameters["s3BucketName"], "logs-111111111111");
        assert_eq!(
            rules[0].parameters["cloudWatchLogsLogGroupArn"],
            "arn:aws:logs:eu-west-1:111111111111:log-group:baseline-cloudtrail"
        );
        assert!(d.config.as_ref().unwrap().rules[1].home_only, "IAM rules run in the home region only");
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
        assert_eq!(deps, vec![RECORDER, BUCKET_POLICY, TOPIC]);
        let other = diff_region(&d, &scope(), spec, "us-west-2", &RegionState::default(), &refs_for(&slr, &fwd, &arn));
        assert!(!kinds(&other).iter().any(|k| k.contains("iam-password")));
        let target = other.changes.iter().find(|c| c.address.kind == EVENT_TARGET).unwrap();
        let Some(Operation::Config(Op::PutEventTarget { arn, role_arn })) = &target.operation else { panic!() };
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
            recorder: Some(Recorder {
                name: "mine".into(),
                role_arn: arn.to_ascii_lowercase(),
                all_supported: true,
                include_global: true,
            }),
            ..RegionState::default()
        };
        let plan = diff_region(&d, &scope(), spec, "eu-west-1", &state, &refs_for(&slr, &fwd, &arn));
        assert_eq!(plan.changes[0].action, Action::NoOp);
        assert_eq!(plan.changes[0].address.name, "mine", "adopted under its own name");
    }
}
