//! Notification topics: the security and billing SNS topics, their e-mail subscriptions, their tags and the
//! baseline-owned statements of their topic policies.

use std::collections::BTreeMap;

use futures::future::join_all;
use serde_json::{Value, json};

use super::{Operation, report_unreadable};
use super::{Plan, ResourceChange};
use crate::aws::{self, AwsError};
use crate::config::{Desired, TopicRole, TopicSpec};
use crate::engine::{Action, Address, AttributeChange, EventSink, Notice, NoticeLevel};
use crate::policy::{self, PolicyDocument};
use crate::target::{Scope, Target};

pub use super::wiring::{TOPIC, TOPIC_POLICY, desired_tags, topic_arn};
pub const SUBSCRIPTION: &str = "sns.subscription";

/// What SNS reports while an e-mail subscription waits for its recipient to click the link.
const PENDING: &str = "PendingConfirmation";

#[derive(Debug, Clone, PartialEq)]
pub struct TopicState {
    pub policy: Option<PolicyDocument>,
    /// The topic has a policy baseline cannot parse (see [`super::unreadable_policy`]).
    pub unreadable_policy: Option<String>,
    /// `KmsMasterKeyId`: the key encrypting the topic, if any.
    pub kms_key: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub subscriptions: Vec<Subscription>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub protocol: String,
    pub endpoint: String,
    /// `PendingConfirmation` until confirmed.
    pub arn: String,
    /// The subscription's `FilterPolicy`, read for the baseline's confirmed subscriptions only: a filter lets
    /// through only the messages it matches (one that matches nothing silences the list).
    pub filter_policy: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    CreateTopic {
        name: String,
        tags: BTreeMap<String, String>,
    },
    TagTopic {
        arn: String,
        tags: BTreeMap<String, String>,
    },
    /// Merge these owned statements into the topic's current policy (re-read just before writing).
    PutPolicy {
        arn: String,
        statements: Vec<Value>,
    },
    SubscribeEmail {
        arn: String,
        email: String,
    },
    /// Removes a subscription's filter policy: SNS documents overwriting it with an empty JSON body.
    ClearFilterPolicy {
        subscription_arn: String,
    },
}

/// The statements the baseline owns in a topic's policy: the AWS services that publish to it. `events`: AWS
/// Config non-compliance arrives through EventBridge (security topic).
pub fn owned_statements(scope: &Scope, spec: &TopicSpec, events: bool) -> Vec<Value> {
    let arn = topic_arn(scope, &spec.name);
    let publish = |sid: &str, service: &str| {
        json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sns:Publish",
            "Resource": arn,
            "Condition": { "StringEquals": { "aws:SourceAccount": scope.account_id } }
        })
    };
    match spec.role {
        TopicRole::Security if events => vec![
            publish("BaselineCloudWatchAlarmsPublish", "cloudwatch.amazonaws.com"),
            publish("BaselineEventBridgePublish", "events.amazonaws.com"),
        ],
        TopicRole::Security => vec![publish("BaselineCloudWatchAlarmsPublish", "cloudwatch.amazonaws.com")],
        TopicRole::Billing => vec![publish("BaselineBudgetsPublish", "budgets.amazonaws.com")],
    }
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let topics: Vec<&TopicSpec> = desired.notifications.topics().collect();
    let arns: Vec<String> = topics.iter().map(|spec| topic_arn(&target.scope, &spec.name)).collect();
    let observed = join_all(topics.iter().zip(&arns).map(|(spec, arn)| observe(target, arn, &spec.emails))).await;
    let tags = desired_tags(desired);
    let events = desired.config.as_ref().is_some_and(|c| c.notify_noncompliance);
    let mut plan = Plan::default();
    for (spec, state) in topics.into_iter().zip(observed) {
        let address = Address::new(&target.scope.account_id, &target.scope.home_region, TOPIC, &spec.name);
        if let Some(state) = report_unreadable(state, &address, &mut plan) {
            plan.extend(diff(&target.scope, spec, &tags, events, state.as_ref()));
        }
    }
    plan
}

/// The calls above and in `execute`, on the baseline's topics.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    let arns: Vec<String> = desired.notifications.topics().map(|t| needs.home_arn("sns", &t.name)).collect();
    if arns.is_empty() {
        return;
    }
    needs.on(
        &[
            "sns:GetTopicAttributes",
            "sns:ListTagsForResource",
            "sns:ListSubscriptionsByTopic",
            "sns:CreateTopic",
            "sns:SetTopicAttributes",
            "sns:Subscribe",
            "sns:TagResource",
        ],
        arns,
    );
    // The service authorization reference lists no resource type for the subscription calls.
    needs.any(&["sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes"], crate::needs::NO_RESOURCE_TYPE);
}

/// The owned statements of a topic's policy: a no-op, or a merge of them into the current document.
fn policy_change(
    exists: bool,
    topic_address: &Address,
    address: Address,
    arn: &str,
    statements: Vec<Value>,
    drift: &[policy::StatementDrift],
) -> ResourceChange {
    if exists && drift.is_empty() {
        return ResourceChange::no_op(address, "baseline statements present");
    }
    let (action, reason) =
        if exists { (Action::Update, super::describe_drift(drift)) } else { (Action::Create, "new topic".to_string()) };
    let op = Op::PutPolicy { arn: arn.to_string(), statements };
    ResourceChange::new(address, action, reason, Operation::Sns(op))
        .with_attributes(drift.iter().map(super::statement_attribute).collect())
        .after(topic_address)
}

/// Reads a topic: `None` when it does not exist. Tags and subscriptions are read concurrently, and the filter
/// policy of each confirmed subscription of the `emails`.
pub async fn observe(target: &Target, arn: &str, emails: &[String]) -> Result<Option<TopicState>, AwsError> {
    let attributes = match target.sns.get_topic_attributes().topic_arn(arn).send().await {
        Ok(out) => out.attributes.unwrap_or_default(),
        Err(e) => {
            let e = AwsError::from_sdk("sns:GetTopicAttributes", e);
            return if e.is_code("NotFound") { Ok(None) } else { Err(e) };
        }
    };
    let (tags, subscriptions) = tokio::join!(read_tags(target, arn), read_subscriptions(target, arn, emails));
    let (policy, unreadable_policy) = match attributes.get("Policy").map(|p| PolicyDocument::parse(p)).transpose() {
        Ok(policy) => (policy, None),
        Err(e) => (None, Some(e.to_string())),
    };
    let kms_key = attributes.get("KmsMasterKeyId").filter(|k| !k.is_empty()).cloned();
    Ok(Some(TopicState { policy, unreadable_policy, kms_key, tags: tags?, subscriptions: subscriptions? }))
}

async fn read_tags(target: &Target, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let out = target
        .sns
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(aws::err("sns:ListTagsForResource"))?;
    Ok(out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
}

async fn read_subscriptions(target: &Target, arn: &str, emails: &[String]) -> Result<Vec<Subscription>, AwsError> {
    let mut pages = target.sns.list_subscriptions_by_topic().topic_arn(arn).into_paginator().send();
    let mut subscriptions = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws::err("sns:ListSubscriptionsByTopic"))?;
        subscriptions.extend(page.subscriptions().iter().map(|s| Subscription {
            protocol: s.protocol().unwrap_or_default().to_string(),
            endpoint: s.endpoint().unwrap_or_default().to_string(),
            arn: s.subscription_arn().unwrap_or_default().to_string(),
            filter_policy: None,
        }));
    }
    let owned = |s: &Subscription| {
        s.arn != PENDING
            && s.protocol.eq_ignore_ascii_case("email")
            && emails.iter().any(|e| e.eq_ignore_ascii_case(&s.endpoint))
    };
    let policies = join_all(subscriptions.iter().filter(|s| owned(s)).map(|s| filter_policy(target, &s.arn))).await;
    let mut policies = policies.into_iter();
    for sub in subscriptions.iter_mut().filter(|s| owned(s)) {
        sub.filter_policy = policies.next().transpose()?.flatten();
    }
    Ok(subscriptions)
}

/// A subscription's filter policy; an empty one (`{}`) is none.
async fn filter_policy(target: &Target, subscription_arn: &str) -> Result<Option<String>, AwsError> {
    let out = target
        .sns
        .get_subscription_attributes()
        .subscription_arn(subscription_arn)
        .send()
        .await
        .map_err(aws::err("sns:GetSubscriptionAttributes"))?;
    let policy = out.attributes().and_then(|a| a.get("FilterPolicy")).map(|p| p.trim().to_string());
    Ok(policy.filter(|p| !p.is_empty() && serde_json::from_str::<Value>(p).ok() != Some(serde_json::json!({}))))
}

/// The changes that bring one topic to the baseline. `observed` is `None` when the topic does not exist.
pub fn diff(
    scope: &Scope,
    spec: &TopicSpec,
    tags: &BTreeMap<String, String>,
    events: bool,
    observed: Option<&TopicState>,
) -> Plan {
    let arn = topic_arn(scope, &spec.name);
    let at = |kind, name: String| Address::new(&scope.account_id, &scope.home_region, kind, name);
    let topic_address = at(TOPIC, spec.name.clone());
    let mut plan = Plan::default();

    // The topic and its tags.
    let topic_change = match observed {
        None => {
            let mut attributes = vec![AttributeChange::new("name", None, Some(spec.name.clone()))];
            attributes.extend(super::new_tags(tags));
            let op = Op::CreateTopic { name: spec.name.clone(), tags: tags.clone() };
            ResourceChange::new(topic_address.clone(), Action::Create, "topic does not exist", Operation::Sns(op))
                .with_attributes(attributes)
        }
        Some(state) => {
            let (drift, attributes) = super::tag_drift(tags, &state.tags);
            if drift.is_empty() {
                ResourceChange::no_op(topic_address.clone(), "topic exists with the baseline tags")
            } else {
                let op = Op::TagTopic { arn: arn.clone(), tags: drift };
                ResourceChange::new(topic_address.clone(), Action::Update, "tags differ", Operation::Sns(op))
                    .with_attributes(attributes)
            }
        }
    };
    plan.changes.push(topic_change);
    if spec.role == TopicRole::Security
        && let Some(key) = observed.and_then(|s| s.kms_key.as_deref())
        && (key == "alias/aws/sns" || key.ends_with(":alias/aws/sns"))
    {
        plan.notices.push(Notice {
            level: NoticeLevel::Warning,
            address: topic_address.clone(),
            message: "encrypted with the AWS managed key alias/aws/sns: CloudWatch alarms cannot publish to it; use a \
                      customer managed key whose policy lets cloudwatch.amazonaws.com use it"
                .into(),
        });
    }

    // The owned statements of the topic policy.
    let statements = owned_statements(scope, spec, events);
    let policy_address = at(TOPIC_POLICY, spec.name.clone());
    let current = observed.and_then(|s| s.policy.as_ref());
    let drift = policy::owned_drift(current, &statements);
    if let Some(reason) = observed.and_then(|s| s.unreadable_policy.as_deref()) {
        let error = super::unreadable_policy("sns:GetTopicAttributes", reason);
        plan.errors.push(crate::engine::PlanError { address: policy_address, error });
    } else {
        plan.notices.extend(denied_publishers(current, &statements, &arn, &policy_address));
        let exists = observed.is_some();
        plan.changes.push(policy_change(exists, &topic_address, policy_address, &arn, statements, &drift));
    }

    // One e-mail subscription per listed address; other subscriptions are kept as they are.
    for email in &spec.emails {
        let address = at(SUBSCRIPTION, format!("{}/{}", spec.name, email));
        let existing = observed.and_then(|s| {
            s.subscriptions
                .iter()
                .find(|sub| sub.protocol.eq_ignore_ascii_case("email") && sub.endpoint.eq_ignore_ascii_case(email))
        });
        plan.changes.push(subscription_change(address, existing, &arn, email, &topic_address, &mut plan.notices));
    }
    plan
}

/// A statement baseline does not own that denies a publishing service outright silences it whatever the
/// baseline's Allow says: a warning (such statements are never changed).
fn denied_publishers(current: Option<&PolicyDocument>, owned: &[Value], arn: &str, address: &Address) -> Vec<Notice> {
    let Some(current) = current else { return Vec::new() };
    let services = owned.iter().filter_map(|s| s["Principal"]["Service"].as_str());
    services
        .flat_map(|service| {
            policy::denies(current, "sns:Publish", service, arn).into_iter().map(move |sid| Notice {
                level: NoticeLevel::Warning,
                address: address.clone(),
                message: format!(
                    "statement {sid} denies sns:Publish to {service}: its notifications never reach the topic; \
                     remove or narrow that statement (baseline leaves statements it does not own alone)"
                ),
            })
        })
        .collect()
}

/// One listed address: subscribed when missing, its filter policy removed; a pending confirmation is a status.
fn subscription_change(
    address: Address,
    existing: Option<&Subscription>,
    topic_arn: &str,
    email: &str,
    topic_address: &Address,
    notices: &mut Vec<Notice>,
) -> ResourceChange {
    match existing {
        Some(sub) if sub.arn == PENDING => {
            notices.push(Notice {
                level: NoticeLevel::Info,
                address: address.clone(),
                message: format!(
                    "pending confirmation: {email} must click the link in the \"AWS Notification - Subscription \
                     Confirmation\" e-mail (links expire after 3 days)"
                ),
            });
            ResourceChange::no_op(address, "subscribed, pending confirmation")
        }
        Some(sub) if sub.filter_policy.is_some() => {
            let op = Op::ClearFilterPolicy { subscription_arn: sub.arn.clone() };
            let reason = "a filter policy lets through only the messages it matches";
            ResourceChange::new(address, Action::Update, reason, Operation::Sns(op)).with_attributes(vec![
                AttributeChange::new("filter_policy", sub.filter_policy.clone(), Some("(none)".into())),
            ])
        }
        Some(_) => ResourceChange::no_op(address, "subscribed and confirmed"),
        None => {
            let op = Op::SubscribeEmail { arn: topic_arn.to_string(), email: email.to_string() };
            ResourceChange::new(address, Action::Create, "not subscribed", Operation::Sns(op))
                .with_attributes(vec![
                    AttributeChange::new("protocol", None, Some("email".into())),
                    AttributeChange::new("endpoint", None, Some(email.to_string())),
                ])
                .after(topic_address)
        }
    }
}

pub async fn execute(target: &Target, op: &Op, _at: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    let sns = &target.sns;
    match op {
        Op::CreateTopic { name, tags } => {
            // Create with the name only (CreateTopic fails when attributes or tags differ), then tag.
            let out = sns.create_topic().name(name).send().await.map_err(aws::err("sns:CreateTopic"))?;
            let arn = out.topic_arn().unwrap_or_default().to_string();
            tag(target, &arn, tags).await
        }
        Op::TagTopic { arn, tags } => tag(target, arn, tags).await,
        Op::PutPolicy { arn, statements } => {
            // Re-read so a statement added since the plan was made is not clobbered.
            let out =
                sns.get_topic_attributes().topic_arn(arn).send().await.map_err(aws::err("sns:GetTopicAttributes"))?;
            let current = out
                .attributes()
                .and_then(|a| a.get("Policy"))
                .map(|p| PolicyDocument::parse(p))
                .transpose()
                .map_err(|e| super::unreadable_policy("sns:SetTopicAttributes", &e))?;
            let merged = policy::merge_owned(current.as_ref(), statements);
            if current.as_ref().is_some_and(|c| c.equivalent(&merged)) {
                return Ok(());
            }
            sns.set_topic_attributes()
                .topic_arn(arn)
                .attribute_name("Policy")
                .attribute_value(merged.to_json())
                .send()
                .await
                .map_err(aws::err("sns:SetTopicAttributes"))?;
            Ok(())
        }
        Op::SubscribeEmail { arn, email } => {
            sns.subscribe()
                .topic_arn(arn)
                .protocol("email")
                .endpoint(email)
                .return_subscription_arn(true)
                .send()
                .await
                .map_err(aws::err("sns:Subscribe"))?;
            Ok(())
        }
        Op::ClearFilterPolicy { subscription_arn } => {
            sns.set_subscription_attributes()
                .subscription_arn(subscription_arn)
                .attribute_name("FilterPolicy")
                .attribute_value("{}")
                .send()
                .await
                .map_err(aws::err("sns:SetSubscriptionAttributes"))?;
            Ok(())
        }
    }
}

async fn tag(target: &Target, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    if tags.is_empty() {
        return Ok(());
    }
    let tags = tags.iter().map(|(k, v)| aws_sdk_sns::types::Tag::builder().key(k).value(v).build());
    let tags: Result<Vec<_>, _> = tags.collect();
    let tags = tags.map_err(aws::build_error("sns:TagResource"))?;
    target
        .sns
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(aws::err("sns:TagResource"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MANAGED_BY_KEY, MANAGED_BY_VALUE};

    fn scope() -> Scope {
        Scope { account_id: "111111111111".into(), partition: "aws".into(), home_region: "eu-west-1".into() }
    }

    fn spec() -> TopicSpec {
        TopicSpec { role: TopicRole::Security, name: "sec".into(), emails: vec!["sec@example.com".into()] }
    }

    fn tags() -> BTreeMap<String, String> {
        BTreeMap::from([(MANAGED_BY_KEY.to_string(), MANAGED_BY_VALUE.to_string())])
    }

    fn converged() -> TopicState {
        let statements = owned_statements(&scope(), &spec(), false);
        TopicState {
            policy: Some(policy::merge_owned(None, &statements)),
            unreadable_policy: None,
            kms_key: None,
            tags: tags(),
            subscriptions: vec![Subscription {
                protocol: "Email".into(),
                endpoint: "SEC@example.com".into(),
                arn: "arn:aws:sns:eu-west-1:111111111111:sec:abc".into(),
                filter_policy: None,
            }],
        }
    }

    fn actions(plan: &Plan) -> Vec<(String, Action)> {
        plan.changes.iter().map(|c| (c.address.to_string(), c.action)).collect()
    }

    #[test]
    fn missing_topic_plans_creates_in_dependency_order() {
        let plan = diff(&scope(), &spec(), &tags(), false, None);
        assert_eq!(
            actions(&plan),
            vec![
                ("111111111111/eu-west-1/sns.topic/sec".into(), Action::Create),
                ("111111111111/eu-west-1/sns.topic_policy/sec".into(), Action::Create),
                ("111111111111/eu-west-1/sns.subscription/sec/sec@example.com".into(), Action::Create),
            ]
        );
        assert_eq!(plan.changes[1].depends_on, vec![plan.changes[0].address.clone()]);
        assert_eq!(plan.changes[2].depends_on, vec![plan.changes[0].address.clone()]);
    }

    #[test]
    fn converged_topic_is_all_no_op_with_case_insensitive_protocol_and_endpoint() {
        let plan = diff(&scope(), &spec(), &tags(), false, Some(&converged()));
        assert!(plan.changes.iter().all(|c| c.action == Action::NoOp), "{:?}", actions(&plan));
        assert!(plan.notices.is_empty());
    }

    #[test]
    fn an_unreadable_topic_policy_is_a_plan_error_not_a_rewrite() {
        let mut state = converged();
        state.policy = None;
        state.unreadable_policy = Some("the policy document is not valid JSON: EOF".into());
        let plan = diff(&scope(), &spec(), &tags(), false, Some(&state));
        assert!(!plan.has_pending(), "{:?}", actions(&plan));
        assert!(plan.changes.iter().all(|c| c.address.kind != TOPIC_POLICY));
        assert_eq!(plan.errors.len(), 1);
        assert_eq!(plan.errors[0].address.to_string(), "111111111111/eu-west-1/sns.topic_policy/sec");
        assert!(plan.errors[0].error.message.contains("will not overwrite"));
    }

    #[test]
    fn pending_subscription_is_a_status_not_drift() {
        let mut state = converged();
        state.subscriptions[0].arn = PENDING.into();
        let plan = diff(&scope(), &spec(), &tags(), false, Some(&state));
        assert!(!plan.has_pending());
        assert_eq!(plan.notices.len(), 1);
        assert!(plan.notices[0].message.starts_with("pending confirmation"));
    }

    #[test]
    fn foreign_tags_and_subscriptions_are_not_drift() {
        let mut state = converged();
        state.tags.insert("cost-center".into(), "42".into());
        state.subscriptions.push(Subscription {
            protocol: "sqs".into(),
            endpoint: "arn:aws:sqs:eu-west-1:111111111111:q".into(),
            arn: "arn:aws:sns:eu-west-1:111111111111:sec:def".into(),
            filter_policy: Some(r#"{"a":["b"]}"#.into()),
        });
        assert!(!diff(&scope(), &spec(), &tags(), false, Some(&state)).has_pending());
    }

    #[test]
    fn a_filter_policy_on_the_baselines_subscription_is_drift_and_cleared() {
        let mut state = converged();
        state.subscriptions[0].filter_policy = Some(r#"{"severity":["none"]}"#.into());
        let plan = diff(&scope(), &spec(), &tags(), false, Some(&state));
        let change = plan.pending().next().expect("the subscription is repaired");
        assert_eq!(change.address.kind, SUBSCRIPTION);
        assert_eq!(change.attributes[0].name, "filter_policy");
        assert_eq!(
            change.operation,
            Some(Operation::Sns(Op::ClearFilterPolicy {
                subscription_arn: "arn:aws:sns:eu-west-1:111111111111:sec:abc".into()
            }))
        );
    }

    #[test]
    fn changed_tag_is_an_update_of_that_tag_only() {
        let mut state = converged();
        state.tags.insert(MANAGED_BY_KEY.into(), "terraform".into());
        let plan = diff(&scope(), &spec(), &tags(), false, Some(&state));
        let change = &plan.changes[0];
        assert_eq!(change.action, Action::Update);
        assert_eq!(
            change.attributes,
            vec![AttributeChange::new("tags.managed-by", Some("terraform".into()), Some("baseline".into()))]
        );
    }

    #[test]
    fn edited_owned_statement_is_an_update_showing_before_and_after() {
        let mut state = converged();
        let doc = state.policy.as_mut().unwrap();
        doc.statements[0]["Condition"]["StringEquals"]["aws:SourceAccount"] = json!("999999999999");
        let plan = diff(&scope(), &spec(), &tags(), false, Some(&state));
        let change = plan.changes.iter().find(|c| c.address.kind == TOPIC_POLICY).unwrap();
        assert_eq!(change.action, Action::Update);
        assert_eq!(change.reason, "statement BaselineCloudWatchAlarmsPublish edited outside baseline");
        assert!(change.attributes[0].before.as_deref().unwrap().contains("999999999999"));
        assert!(change.attributes[0].after.as_deref().unwrap().contains("111111111111"));
    }

    #[test]
    fn security_topic_with_the_aws_managed_key_is_a_warning() {
        let mut state = converged();
        state.kms_key = Some("alias/aws/sns".into());
        let plan = diff(&scope(), &spec(), &tags(), false, Some(&state));
        assert!(!plan.has_pending());
        assert!(plan.notices[0].message.starts_with("encrypted with the AWS managed key alias/aws/sns"));
        state.kms_key = Some("arn:aws:kms:eu-west-1:111111111111:key/abc".into());
        assert!(diff(&scope(), &spec(), &tags(), false, Some(&state)).notices.is_empty());
    }

    #[test]
    fn billing_topic_allows_budgets() {
        let spec = TopicSpec { role: TopicRole::Billing, name: "bill".into(), emails: vec![] };
        let statements = owned_statements(&scope(), &spec, false);
        assert_eq!(statements[0]["Principal"]["Service"], "budgets.amazonaws.com");
        assert_eq!(statements[0]["Resource"], "arn:aws:sns:eu-west-1:111111111111:bill");
    }

    #[test]
    fn a_foreign_deny_of_the_publishing_service_is_a_warning() {
        let mut state = converged();
        let mut doc = state.policy.clone().unwrap();
        doc.statements.push(serde_json::json!({
            "Sid": "Quiet", "Effect": "Deny", "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish", "Resource": "*"
        }));
        state.policy = Some(doc);
        let plan = diff(&scope(), &spec(), &tags(), false, Some(&state));
        assert!(!plan.has_pending(), "a statement baseline does not own is not changed");
        assert_eq!(plan.notices.len(), 1, "{:?}", plan.notices);
        assert_eq!(plan.notices[0].address.kind, TOPIC_POLICY);
        assert!(plan.notices[0].message.contains("statement Quiet denies sns:Publish to cloudwatch.amazonaws.com"));
    }
}
