//! Drift made by hand with plain SDK clients is detected and repaired; what the baseline does not own
//! survives every apply.

use aws_sdk_account::types::AlternateContactType;
use baseline::aws::CallCounts;
use baseline::config::Desired;
use baseline::engine::{Action, ApplyReport, NullSink};
use baseline::resources::Plan;
use serde_json::{Value, json};

use crate::harness::*;

const SECURITY: &str = "baseline-security-notifications";
const BILLING: &str = "baseline-billing-notifications";

/// Plans with a fresh read-only session, as `baseline plan` does.
pub async fn plan(moto: &Moto, desired: &Desired) -> (Plan, CallCounts) {
    let session = moto.session().await;
    let target = target(&session, desired).await;
    let plan = baseline::plan(desired, &target).await;
    (plan, session.guard.counts())
}

/// Plans and applies, as `baseline apply --auto-approve` does.
pub async fn apply(moto: &Moto, desired: &Desired) -> (ApplyReport, CallCounts) {
    let session = moto.session().await;
    let target = target(&session, desired).await;
    let plan = baseline::plan(desired, &target).await;
    session.guard.allow_writes();
    let report = baseline::apply(&plan, &target, &NullSink).await;
    (report, session.guard.counts())
}

fn pending(plan: &Plan) -> Vec<(String, Action)> {
    plan.pending().map(|c| (c.address.to_string(), c.action)).collect()
}

async fn policy(sns: &aws_sdk_sns::Client, topic: &str) -> Value {
    let attrs = sns.get_topic_attributes().topic_arn(topic_arn(topic)).send().await.unwrap();
    serde_json::from_str(&attrs.attributes().unwrap()["Policy"]).unwrap()
}

fn statement<'a>(policy: &'a Value, sid: &str) -> Option<&'a Value> {
    policy["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == sid)
}

#[tokio::test]
async fn drift_is_detected_and_repaired_and_foreign_things_survive() {
    let moto = Moto::start();
    let desired = desired(&shipped_config());
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let sns = moto.sns().await;
    let account = moto.account().await;

    // An alternate contact changed by hand.
    account
        .put_alternate_contact()
        .alternate_contact_type(AlternateContactType::Billing)
        .name("Jane Doe")
        .title("CFO")
        .email_address("jane.doe@example.com")
        .phone_number("+1 206 555 0199")
        .send()
        .await
        .unwrap();
    // The security list unsubscribed; a foreign subscription added.
    let subs = sns.list_subscriptions_by_topic().topic_arn(topic_arn(SECURITY)).send().await.unwrap();
    let ours = subs.subscriptions()[0].subscription_arn().unwrap().to_string();
    sns.unsubscribe().subscription_arn(ours).send().await.unwrap();
    sns.subscribe()
        .topic_arn(topic_arn(SECURITY))
        .protocol("email")
        .endpoint("oncall@example.com")
        .send()
        .await
        .unwrap();
    // The baseline statement removed from the security topic policy and a foreign one added;
    // the billing topic's baseline statement edited.
    let mut security_policy = policy(&sns, SECURITY).await;
    let statements = security_policy["Statement"].as_array_mut().unwrap();
    statements.retain(|s| s["Sid"] != "BaselineCloudWatchAlarmsPublish");
    let foreign = json!({
        "Sid": "AllowOpsAccountPublish",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
        "Action": "sns:Publish",
        "Resource": topic_arn(SECURITY)
    });
    statements.push(foreign.clone());
    set_policy(&sns, SECURITY, &security_policy).await;
    let mut billing_policy = policy(&sns, BILLING).await;
    for s in billing_policy["Statement"].as_array_mut().unwrap() {
        if s["Sid"] == "BaselineBudgetsPublish" {
            s["Principal"]["Service"] = json!("*");
        }
    }
    set_policy(&sns, BILLING, &billing_policy).await;
    // The managed-by tag changed; a foreign tag added.
    let tag = |k: &str, v: &str| aws_sdk_sns::types::Tag::builder().key(k).value(v).build().unwrap();
    sns.tag_resource()
        .resource_arn(topic_arn(SECURITY))
        .tags(tag("managed-by", "someone-else"))
        .tags(tag("cost-center", "4711"))
        .send()
        .await
        .unwrap();

    let (drifted, counts) = plan(&moto, &desired).await;
    assert_eq!(counts.writes, 0);
    assert!(drifted.errors.is_empty(), "{:?}", drifted.errors);
    assert_eq!(
        pending(&drifted),
        vec![
            ("123456789012/global/account.alternate_contact/billing".to_string(), Action::Update),
            (format!("123456789012/us-east-1/sns.topic/{SECURITY}"), Action::Update),
            (format!("123456789012/us-east-1/sns.subscription/{SECURITY}/aws-security@example.com"), Action::Create),
            (format!("123456789012/us-east-1/sns.topic_policy/{BILLING}"), Action::Update),
            (format!("123456789012/us-east-1/sns.topic_policy/{SECURITY}"), Action::Update),
        ]
    );
    let contact = drifted.pending().next().unwrap();
    let email = contact.attributes.iter().find(|a| a.name == "email_address").unwrap();
    assert_eq!(email.before.as_deref(), Some("jane.doe@example.com"));
    assert_eq!(email.after.as_deref(), Some("aws-billing@example.com"));
    let billing_policy_change =
        drifted.pending().find(|c| c.address.name == BILLING && c.address.kind == "sns.topic_policy").unwrap();
    assert_eq!(billing_policy_change.reason, "statement BaselineBudgetsPublish edited outside baseline");

    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    assert_eq!((report.created(), report.updated()), (1, 4));

    let (repaired, _) = plan(&moto, &desired).await;
    assert!(!repaired.has_pending(), "{:?}", pending(&repaired));

    // What the baseline does not own survived.
    let security_policy = policy(&sns, SECURITY).await;
    assert_eq!(statement(&security_policy, "AllowOpsAccountPublish"), Some(&foreign));
    assert!(statement(&security_policy, "BaselineCloudWatchAlarmsPublish").is_some());
    assert!(statement(&security_policy, "__default_statement_ID").is_some());
    let billing_policy = policy(&sns, BILLING).await;
    let budgets = statement(&billing_policy, "BaselineBudgetsPublish").unwrap();
    assert_eq!(budgets["Principal"]["Service"], "budgets.amazonaws.com");
    let tags = sns.list_tags_for_resource().resource_arn(topic_arn(SECURITY)).send().await.unwrap();
    let tags: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert!(tags.contains(&("cost-center", "4711")), "{tags:?}");
    assert!(tags.contains(&("managed-by", "baseline")), "{tags:?}");
    let subs = sns.list_subscriptions_by_topic().topic_arn(topic_arn(SECURITY)).send().await.unwrap();
    let endpoints: Vec<&str> = subs.subscriptions().iter().filter_map(|s| s.endpoint()).collect();
    assert!(endpoints.contains(&"oncall@example.com"), "{endpoints:?}");
    assert!(endpoints.contains(&"aws-security@example.com"), "{endpoints:?}");

    // And a further apply has nothing to write.
    let (report, counts) = apply(&moto, &desired).await;
    assert_eq!(report.results.len(), 0);
    assert_eq!(counts.writes, 0);
}

async fn set_policy(sns: &aws_sdk_sns::Client, topic: &str, policy: &Value) {
    sns.set_topic_attributes()
        .topic_arn(topic_arn(topic))
        .attribute_name("Policy")
        .attribute_value(policy.to_string())
        .send()
        .await
        .unwrap();
}
