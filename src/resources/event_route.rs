//! The path an AWS service's events take to the security topic, for every family that alerts through
//! EventBridge (Config non-compliance, GuardDuty findings): in each region a rule matching the events; in the
//! home region its target is the topic, elsewhere the home region's default event bus, reached through a
//! forwarding role of the family's (EventBridge delivers to an SNS topic of the rule's own region only; an event
//! bus of another region is a target it supports, with a role). Events forwarded to the home bus keep their
//! source and detail type, so the home region's rule matches them too and sends them on to the topic.
//!
//! The observe, the pure diffs and the writes, written once; each family names its rule and role in a [`Route`]
//! and wraps the [`Op`]s in its own operation.

use std::collections::BTreeMap;

use aws_sdk_eventbridge::types::Target as EventTarget;
use serde_json::{Value, json};

use super::iam_role;
use super::wiring::{TOPIC_POLICY, topic_arn};
use super::{Operation, ResourceChange};
use crate::aws::{self, AwsError, ErrorKind};
use crate::engine::{Action, Address, AttributeChange, GLOBAL};
use crate::policy::PolicyDocument;
use crate::target::{Scope, Target};

pub const EVENT_RULE: &str = "events.rule";
pub const EVENT_TARGET: &str = "events.target";
pub const FORWARDER_ROLE: &str = "iam.role";
const FORWARDER_POLICY_NAME: &str = "baseline-put-events-to-home-region";
pub const TARGET_ID: &str = "baseline-security";
/// EventBridge's state of a rule that matches events (`ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` matches
/// them too, and more).
const ENABLED: &str = "ENABLED";

/// One family's route: the names it owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub rule_name: &'static str,
    pub rule_description: &'static str,
    pub forwarder_role: &'static str,
    pub forwarder_description: &'static str,
    /// What the events are, for the reasons shown in the plan ("non-compliance", "findings").
    pub what: &'static str,
}

/// The EventBridge rule as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventRule {
    pub pattern: Value,
    /// `ENABLED`, `DISABLED` or `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
    pub state: String,
    pub description: Option<String>,
    pub targets: Vec<EventRuleTarget>,
}

/// One target of the EventBridge rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventRuleTarget {
    pub id: String,
    pub arn: String,
    pub role_arn: Option<String>,
    /// How the target rewrites the event before delivery (`Input`, `InputPath` or `InputTransformer`), if it
    /// does: a rewritten event no longer carries the finding.
    pub input: Option<String>,
}

/// The forwarding role as read: its trust policy and the baseline's inline policy (`None` when missing).
#[derive(Debug, Clone, PartialEq)]
pub struct ForwarderRole {
    pub trust_policy: PolicyDocument,
    pub policy: Option<PolicyDocument>,
    pub description: String,
}

/// The writes of a route.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    PutRule {
        route: Route,
        pattern: String,
    },
    PutTarget {
        route: Route,
        arn: String,
        role_arn: Option<String>,
    },
    CreateForwarder {
        route: Route,
        trust_policy: String,
        policy: String,
    },
    /// Puts back what differs of the forwarding role: its trust policy, its inline policy, its description.
    RepairForwarder {
        route: Route,
        trust_policy: Option<String>,
        policy: Option<String>,
        description: Option<String>,
    },
}

pub fn home_bus(scope: &Scope) -> String {
    format!("arn:{}:events:{}:{}:event-bus/default", scope.partition, scope.home_region, scope.account_id)
}

fn role_arn(scope: &Scope, name: &str) -> String {
    format!("arn:{}:iam::{}:role/{name}", scope.partition, scope.account_id)
}

pub fn forwarder_trust(scope: &Scope) -> PolicyDocument {
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

pub fn forwarder_policy(scope: &Scope) -> PolicyDocument {
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

/// The calls of a route: the rule by name in every region; the forwarding role by its ARN when other regions
/// forward.
pub fn permissions(route: &Route, needs: &mut crate::needs::Needs) {
    let rule = needs.arn("events", "*", &format!("rule/{}", route.rule_name));
    needs.on(&["events:DescribeRule", "events:ListTargetsByRule", "events:PutRule", "events:PutTargets"], [rule]);
    let role = needs.iam_arn("role", route.forwarder_role);
    needs.on(
        &[
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:CreateRole",
            "iam:PutRolePolicy",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
        ],
        [role.clone()],
    );
    needs.on_if(
        "iam:PassRole",
        [role],
        crate::needs::Condition {
            operator: "StringEquals",
            key: "iam:PassedToService",
            values: ["events.amazonaws.com".to_string()].into(),
        },
    );
}

/// The rule and its targets in one region; `None` when the rule does not exist.
pub async fn observe(events: &aws_sdk_eventbridge::Client, route: &Route) -> Result<Option<EventRule>, AwsError> {
    let rule = match events.describe_rule().name(route.rule_name).send().await {
        Ok(rule) => rule,
        Err(e) => {
            let e = AwsError::from_sdk("events:DescribeRule", e);
            return if e.kind == ErrorKind::NotFound { Ok(None) } else { Err(e) };
        }
    };
    let targets = events
        .list_targets_by_rule()
        .rule(route.rule_name)
        .send()
        .await
        .map_err(aws::err("events:ListTargetsByRule"))?;
    Ok(Some(EventRule {
        pattern: rule.event_pattern().and_then(|p| serde_json::from_str(p).ok()).unwrap_or(Value::Null),
        state: rule.state().map(|s| s.as_str().to_string()).unwrap_or_default(),
        description: rule.description().filter(|d| !d.is_empty()).map(str::to_string),
        targets: targets.targets().iter().map(target_of).collect(),
    }))
}

fn target_of(t: &EventTarget) -> EventRuleTarget {
    let transformer = t.input_transformer().map(|x| {
        let paths: BTreeMap<_, _> = x.input_paths_map().cloned().unwrap_or_default().into_iter().collect();
        json!({"InputPathsMap": paths, "InputTemplate": x.input_template()}).to_string()
    });
    let input = t
        .input()
        .map(|i| format!("Input {i}"))
        .or_else(|| t.input_path().map(|p| format!("InputPath {p}")))
        .or_else(|| transformer.map(|x| format!("InputTransformer {x}")));
    EventRuleTarget {
        id: t.id().to_string(),
        arn: t.arn().to_string(),
        role_arn: t.role_arn().filter(|r| !r.is_empty()).map(str::to_string),
        input,
    }
}

/// The forwarding role; `None` when it does not exist.
pub async fn observe_forwarder(target: &Target, route: &Route) -> Result<Option<ForwarderRole>, AwsError> {
    let (role, policy) = tokio::join!(
        iam_role::read(&target.iam, route.forwarder_role),
        iam_role::inline_policy(&target.iam, route.forwarder_role, FORWARDER_POLICY_NAME),
    );
    let policy = policy?;
    Ok(role?.map(|r| ForwarderRole { trust_policy: r.trust_policy, policy, description: r.description }))
}

/// The forwarding role's address.
pub fn forwarder_address(scope: &Scope, route: &Route) -> Address {
    Address::new(&scope.account_id, GLOBAL, FORWARDER_ROLE, route.forwarder_role)
}

/// The forwarding role: created with its trust and inline policy, both compared (by meaning) and put back
/// when they differ. Every region but the home region delivers its events through it.
pub fn forwarder_change(
    scope: &Scope,
    route: &Route,
    at: &Address,
    have: Option<&ForwarderRole>,
    wrap: fn(Op) -> Operation,
) -> ResourceChange {
    let trust = forwarder_trust(scope);
    let policy = forwarder_policy(scope);
    let Some(have) = have else {
        let (trust, policy) = (trust.to_json(), policy.to_json());
        let op = Op::CreateForwarder { route: *route, trust_policy: trust.clone(), policy: policy.clone() };
        let reason = "EventBridge needs a role to forward other regions' events to the home region";
        return ResourceChange::new(at.clone(), Action::Create, reason, wrap(op)).with_attributes(vec![
            AttributeChange::new("assume_role_policy", None, Some(trust)),
            AttributeChange::new("policy", None, Some(policy)),
        ]);
    };
    let trust_differs = !have.trust_policy.equivalent(&trust);
    let policy_differs = !have.policy.as_ref().is_some_and(|p| p.equivalent(&policy));
    let description_differs = have.description != route.forwarder_description;
    let mut attributes = Vec::new();
    if trust_differs {
        let (before, after) = (have.trust_policy.to_json(), trust.to_json());
        attributes.push(AttributeChange::new("assume_role_policy", Some(before), Some(after)));
    }
    if policy_differs {
        let before = have.policy.as_ref().map(PolicyDocument::to_json);
        attributes.push(AttributeChange::new("policy", before, Some(policy.to_json())));
    }
    if description_differs {
        let before = Some(have.description.clone()).filter(|d| !d.is_empty()).unwrap_or_else(|| "(none)".into());
        let after = Some(route.forwarder_description.to_string());
        attributes.push(AttributeChange::new("description", Some(before), after));
    }
    if attributes.is_empty() {
        return ResourceChange::no_op(at.clone(), "forwarding role and its policy match");
    }
    let op = Op::RepairForwarder {
        route: *route,
        trust_policy: trust_differs.then(|| trust.to_json()),
        policy: policy_differs.then(|| policy.to_json()),
        description: description_differs.then(|| route.forwarder_description.to_string()),
    };
    let reason = "forwarding role differs from the baseline's";
    ResourceChange::new(at.clone(), Action::Update, reason, wrap(op)).with_attributes(attributes)
}

/// Where one region's rule sends its events, and what the target must wait for.
pub struct Leg<'a> {
    pub scope: &'a Scope,
    pub region: &'a str,
    /// The security topic's name.
    pub topic: &'a str,
    pub forwarder: &'a Address,
}

/// One region's rule and target, after `pattern`: home region → the security topic; elsewhere → the home
/// region's bus through the forwarding role.
pub fn diff_region(
    route: &Route,
    leg: &Leg<'_>,
    have: Option<&EventRule>,
    pattern: &Value,
    wrap: fn(Op) -> Operation,
) -> [ResourceChange; 2] {
    let scope = leg.scope;
    let home = leg.region == scope.home_region;
    let rule_at = Address::new(&scope.account_id, leg.region, EVENT_RULE, route.rule_name);
    let rule = rule_change(route, &rule_at, have, pattern, wrap);
    let (arn, role_arn, after) = if home {
        (
            topic_arn(scope, leg.topic),
            None,
            Address::new(&scope.account_id, &scope.home_region, TOPIC_POLICY, leg.topic),
        )
    } else {
        (home_bus(scope), Some(role_arn(scope, route.forwarder_role)), leg.forwarder.clone())
    };
    let want = EventRuleTarget { id: TARGET_ID.into(), arn, role_arn, input: None };
    let target_at =
        Address::new(&scope.account_id, leg.region, EVENT_TARGET, format!("{}/{TARGET_ID}", route.rule_name));
    let target = target_change(route, &target_at, have, want, home, wrap);
    let target = if target.action == Action::NoOp { target } else { target.after(&rule_at).after(&after) };
    [rule, target]
}

fn rule_fields(pattern: String, state: &str, description: Option<&str>) -> [(&'static str, String); 3] {
    [
        ("event_pattern", pattern),
        ("state", state.to_string()),
        ("description", description.unwrap_or_default().to_string()),
    ]
}

/// The rule matches the baseline's pattern (compared as JSON), is enabled, and carries the baseline's
/// description. A disabled rule silences every event of the region.
fn rule_change(
    route: &Route,
    at: &Address,
    have: Option<&EventRule>,
    pattern: &Value,
    wrap: fn(Op) -> Operation,
) -> ResourceChange {
    let want = rule_fields(pattern.to_string(), ENABLED, Some(route.rule_description));
    let put = wrap(Op::PutRule { route: *route, pattern: pattern.to_string() });
    let Some(have) = have else {
        let reason = format!("no event rule for {}", route.what);
        return ResourceChange::new(at.clone(), Action::Create, reason, put).with_attributes(super::new_fields(want));
    };
    let have_pattern = if have.pattern == *pattern { pattern.to_string() } else { have.pattern.to_string() };
    let state = if have.state.starts_with(ENABLED) { ENABLED } else { have.state.as_str() };
    let changed = super::changed_fields(rule_fields(have_pattern, state, have.description.as_deref()), want);
    if changed.is_empty() {
        return ResourceChange::no_op(at.clone(), "event rule matches");
    }
    let reason = if state == ENABLED {
        "event rule differs".to_string()
    } else {
        format!("event rule is disabled: no {} is sent", route.what)
    };
    ResourceChange::new(at.clone(), Action::Update, reason, put).with_attributes(changed)
}

fn target_fields(t: &EventRuleTarget) -> [(&'static str, String); 3] {
    [
        ("target", t.arn.clone()),
        ("role_arn", t.role_arn.clone().unwrap_or_default()),
        ("input", t.input.clone().unwrap_or_default()),
    ]
}

/// The baseline's target (by its id) delivers the event as it is to the topic, or to the home region's bus
/// through the forwarding role. A target of someone else's that does the same is enough.
fn target_change(
    route: &Route,
    at: &Address,
    have: Option<&EventRule>,
    want: EventRuleTarget,
    home: bool,
    wrap: fn(Op) -> Operation,
) -> ResourceChange {
    let targets = have.map(|rule| rule.targets.as_slice()).unwrap_or_default();
    let same = |t: &&EventRuleTarget| target_fields(t) == target_fields(&want);
    if targets.iter().any(|t| t.id == TARGET_ID && same(&t)) {
        return ResourceChange::no_op(at.clone(), "target in place");
    }
    if let Some(other) = targets.iter().find(same) {
        return ResourceChange::no_op(at.clone(), format!("target {} delivers to the same place", other.id));
    }
    let ours = targets.iter().find(|t| t.id == TARGET_ID);
    let attributes = match ours {
        Some(t) => super::changed_fields(target_fields(t), target_fields(&want)),
        None => {
            super::new_fields(target_fields(&want)).into_iter().filter(|a| a.after != Some(String::new())).collect()
        }
    };
    let reason = match (ours, home) {
        (Some(_), _) => "target differs from the baseline's".to_string(),
        (None, true) => format!("{} must reach the security topic", route.what),
        (None, false) => "forward to the home region".to_string(),
    };
    let action = if have.is_some() { Action::Update } else { Action::Create };
    let op = wrap(Op::PutTarget { route: *route, arn: want.arn, role_arn: want.role_arn });
    ResourceChange::new(at.clone(), action, reason, op).with_attributes(attributes)
}

/// The writes of one route operation, in the region of `address` (the role is global).
pub async fn run(target: &Target, op: &Op, address: &Address) -> Result<(), AwsError> {
    match op {
        Op::CreateForwarder { route, trust_policy, policy } => {
            let (name, description) = (route.forwarder_role, route.forwarder_description);
            iam_role::create(&target.iam, name, trust_policy, description, &BTreeMap::new()).await?;
            iam_role::put_inline_policy(&target.iam, name, FORWARDER_POLICY_NAME, policy).await
        }
        Op::RepairForwarder { route, trust_policy, policy, description } => {
            let name = route.forwarder_role;
            if let Some(trust) = trust_policy {
                iam_role::update_trust(&target.iam, name, trust).await?;
            }
            if let Some(description) = description {
                iam_role::update_description(&target.iam, name, description).await?;
            }
            match policy {
                Some(policy) => iam_role::put_inline_policy(&target.iam, name, FORWARDER_POLICY_NAME, policy).await,
                None => Ok(()),
            }
        }
        Op::PutRule { route, pattern } => {
            let c = target.region(&address.region, "events:PutRule")?;
            c.events
                .put_rule()
                .name(route.rule_name)
                .event_pattern(pattern)
                .state(aws_sdk_eventbridge::types::RuleState::Enabled)
                .description(route.rule_description)
                .send()
                .await
                .map_err(aws::err("events:PutRule"))?;
            Ok(())
        }
        Op::PutTarget { route, arn, role_arn } => {
            let c = target.region(&address.region, "events:PutTargets")?;
            put_target(&c.events, route, arn, role_arn.clone()).await
        }
    }
}

async fn put_target(
    events: &aws_sdk_eventbridge::Client,
    route: &Route,
    arn: &str,
    role_arn: Option<String>,
) -> Result<(), AwsError> {
    let t = EventTarget::builder()
        .id(TARGET_ID)
        .arn(arn)
        .set_role_arn(role_arn)
        .build()
        .map_err(aws::build_error("events:PutTargets"))?;
    let out =
        events.put_targets().rule(route.rule_name).targets(t).send().await.map_err(aws::err("events:PutTargets"))?;
    if out.failed_entry_count() > 0 {
        let why = out.failed_entries().first().and_then(|f| f.error_message()).unwrap_or("unknown").to_string();
        return Err(AwsError::new("events:PutTargets", ErrorKind::Service, None, why, None));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: Route = Route {
        rule_name: "baseline-test-events",
        rule_description: "test events, managed by baseline",
        forwarder_role: "baseline-test-forwarder",
        forwarder_description: "forwards test events, managed by baseline",
        what: "test events",
    };

    fn wrap(op: Op) -> Operation {
        Operation::Config(crate::resources::config_service::Op::Route(op))
    }

    fn scope() -> Scope {
        Scope { account_id: "111111111111".into(), partition: "aws".into(), home_region: "eu-west-1".into() }
    }

    #[test]
    fn a_disabled_event_rule_and_a_rewritten_target_are_drift() {
        let at = Address::new("111111111111", "eu-west-1", EVENT_RULE, ROUTE.rule_name);
        let pattern = json!({"source": ["aws.config"]});
        let ours = EventRule {
            pattern: pattern.clone(),
            state: ENABLED.into(),
            description: Some(ROUTE.rule_description.into()),
            targets: vec![EventRuleTarget { id: TARGET_ID.into(), arn: "arn:topic".into(), ..Default::default() }],
        };
        assert_eq!(rule_change(&ROUTE, &at, Some(&ours), &pattern, wrap).action, Action::NoOp);
        let disabled = EventRule { state: "DISABLED".into(), ..ours.clone() };
        let change = rule_change(&ROUTE, &at, Some(&disabled), &pattern, wrap);
        assert_eq!(change.action, Action::Update);
        assert_eq!(change.attributes.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["state"]);
        assert_eq!(change.reason, "event rule is disabled: no test events is sent");

        let want = EventRuleTarget { id: TARGET_ID.into(), arn: "arn:topic".into(), ..Default::default() };
        let target_at = Address::new("111111111111", "eu-west-1", EVENT_TARGET, "r/t");
        assert_eq!(target_change(&ROUTE, &target_at, Some(&ours), want.clone(), true, wrap).action, Action::NoOp);
        let mut rewritten = ours.clone();
        rewritten.targets[0].input = Some("Input {}".into());
        let change = target_change(&ROUTE, &target_at, Some(&rewritten), want.clone(), true, wrap);
        assert_eq!(change.action, Action::Update);
        assert_eq!(change.attributes[0].name, "input");
        // Someone else's target that delivers the event as it is to the same topic is enough.
        let mut foreign = ours.clone();
        foreign.targets[0].id = "ops".into();
        assert_eq!(target_change(&ROUTE, &target_at, Some(&foreign), want, true, wrap).action, Action::NoOp);
    }

    #[test]
    fn other_regions_forward_to_the_home_bus_through_the_role() {
        let forwarder = forwarder_address(&scope(), &ROUTE);
        let leg = Leg { scope: &scope(), region: "us-west-2", topic: "security", forwarder: &forwarder };
        let [rule, target] = diff_region(&ROUTE, &leg, None, &json!({"source": ["aws.guardduty"]}), wrap);
        assert_eq!(rule.action, Action::Create);
        let Some(Operation::Config(crate::resources::config_service::Op::Route(Op::PutTarget {
            arn, role_arn, ..
        }))) = &target.operation
        else {
            panic!("{target:?}")
        };
        assert_eq!(arn, "arn:aws:events:eu-west-1:111111111111:event-bus/default");
        assert_eq!(role_arn.as_deref(), Some("arn:aws:iam::111111111111:role/baseline-test-forwarder"));
        assert!(target.depends_on.contains(&forwarder) && target.depends_on.contains(&rule.address));
        let home = Leg { region: "eu-west-1", ..leg };
        let [_, target] = diff_region(&ROUTE, &home, None, &json!({}), wrap);
        assert!(
            target.attributes.iter().any(|a| a.after.as_deref() == Some("arn:aws:sns:eu-west-1:111111111111:security"))
        );
    }

    #[test]
    fn the_forwarding_roles_trust_and_policy_are_compared_and_put_back() {
        let at = forwarder_address(&scope(), &ROUTE);
        let good = ForwarderRole {
            trust_policy: forwarder_trust(&scope()),
            policy: Some(forwarder_policy(&scope())),
            description: ROUTE.forwarder_description.into(),
        };
        assert_eq!(forwarder_change(&scope(), &ROUTE, &at, Some(&good), wrap).action, Action::NoOp);
        let gutted = ForwarderRole { trust_policy: PolicyDocument::empty(), policy: None, description: String::new() };
        let change = forwarder_change(&scope(), &ROUTE, &at, Some(&gutted), wrap);
        assert_eq!(change.action, Action::Update);
        let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["assume_role_policy", "policy", "description"]);
        let Some(Operation::Config(crate::resources::config_service::Op::Route(Op::RepairForwarder {
            trust_policy,
            policy,
            description,
            ..
        }))) = &change.operation
        else {
            panic!("{change:?}")
        };
        assert!(trust_policy.is_some() && policy.is_some() && description.is_some());
    }
}
