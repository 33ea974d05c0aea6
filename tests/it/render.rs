//! Snapshots of the rendered plan, apply progress and summaries (human and JSON).

use std::time::Duration;

use baseline::aws::{AwsError, CallCounts, ErrorKind};
use baseline::engine::{
    Action, Address, ApplyReport, AttributeChange, ChangeResult, Event, Notice, NoticeLevel, Outcome, PlanError,
};
use baseline::render::{Palette, human, json};
use baseline::resources::{Plan, ResourceChange};

const ACCOUNT: &str = "123456789012";
const VIEW: human::View<'static> = human::View { account: ACCOUNT, home_region: "us-east-1", full: false };

fn address(region: &str, kind: &'static str, name: &str) -> Address {
    Address::new(ACCOUNT, region, kind, name)
}

fn change(address: Address, action: Action, reason: &str, attributes: Vec<AttributeChange>) -> ResourceChange {
    ResourceChange { address, action, reason: reason.into(), attributes, depends_on: Vec::new(), operation: None }
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

fn sample_plan() -> Plan {
    let topic = address("us-east-1", "sns.topic", "security-notifications");
    let mut subscription = change(
        address("us-east-1", "sns.subscription", "security-notifications/aws-security@example.com"),
        Action::Create,
        "not subscribed",
        vec![
            AttributeChange::new("protocol", None, some("email")),
            AttributeChange::new("endpoint", None, some("aws-security@example.com")),
        ],
    );
    subscription.depends_on.push(topic.clone());
    Plan {
        changes: vec![
            change(
                topic,
                Action::Create,
                "topic does not exist",
                vec![
                    AttributeChange::new("name", None, some("security-notifications")),
                    AttributeChange::new("tags.managed-by", None, some("baseline")),
                ],
            ),
            subscription,
            change(
                address("us-east-1", "sns.topic_policy", "billing-notifications"),
                Action::Update,
                "statement BaselineBudgetsPublish edited outside baseline",
                vec![AttributeChange::new(
                    "statement[BaselineBudgetsPublish]",
                    some(
                        r#"{"Sid":"BaselineBudgetsPublish","Effect":"Allow","Principal":{"Service":"*"},"Action":"sns:Publish"}"#,
                    ),
                    some(
                        r#"{"Sid":"BaselineBudgetsPublish","Effect":"Allow","Principal":{"Service":"budgets.amazonaws.com"},"Action":"sns:Publish"}"#,
                    ),
                )],
            ),
            change(
                address("global", "account.alternate_contact", "billing"),
                Action::Update,
                "billing contact differs",
                vec![AttributeChange::new(
                    "email_address",
                    some("jane.doe@example.com"),
                    some("aws-billing@example.com"),
                )],
            ),
            ResourceChange::manual(
                address("global", "iam.root_user", "mfa"),
                "the root user has no MFA device",
                vec!["Sign in as the root user".into(), "Assign a hardware MFA device".into()],
            ),
            ResourceChange::no_op(address("global", "account.alternate_contact", "security"), "contact matches"),
        ],
        notices: vec![
            Notice {
                level: NoticeLevel::Warning,
                address: address("global", "account.primary_contact", "primary"),
                message:
                    "not supported by this endpoint (account:GetContactInformation answered HTTP 404); not checked"
                        .into(),
            },
            Notice {
                level: NoticeLevel::Info,
                address: address("us-east-1", "sns.subscription", "billing-notifications/aws-billing@example.com"),
                message: "pending confirmation: aws-billing@example.com must click the link".into(),
            },
        ],
        errors: vec![PlanError {
            address: address("global", "account.alternate_contact", "operations"),
            error: denied(),
        }],
    }
}

fn denied() -> AwsError {
    AwsError::new(
        "account:GetAlternateContact",
        ErrorKind::AccessDenied,
        Some("AccessDeniedException".into()),
        "User: arn:aws:iam::123456789012:user/ci is not authorized".into(),
        Some(403),
    )
}

fn text(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    f(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn human_plan() {
    let plan = sample_plan();
    insta::assert_snapshot!(text(|out| human::plan(out, &plan, &VIEW, &Palette::PLAIN)));
}

#[test]
fn human_plan_without_changes() {
    let plan = Plan {
        changes: vec![ResourceChange::no_op(address("us-east-1", "sns.topic", "t"), "exists")],
        ..Plan::default()
    };
    insta::assert_snapshot!(text(|out| human::plan(out, &plan, &VIEW, &Palette::PLAIN)));
}

#[test]
fn colored_plan_uses_ansi_only_when_asked() {
    let plan = sample_plan();
    let colored = text(|out| human::plan(out, &plan, &VIEW, &Palette { color: true }));
    let plain = text(|out| human::plan(out, &plan, &VIEW, &Palette::PLAIN));
    assert!(colored.contains("\x1b[32m+\x1b[0m"));
    assert!(!plain.contains('\x1b'));
}

#[test]
fn json_plan() {
    let plan = sample_plan();
    insta::assert_snapshot!(json::to_string(&json::plan(&plan, ACCOUNT)));
}

#[test]
fn apply_progress_and_summary() {
    let plan = sample_plan();
    let topic = &plan.changes[0].address;
    let sub = &plan.changes[1].address;
    let contact = &plan.changes[3].address;
    let error = denied();
    let report = ApplyReport {
        results: vec![
            ChangeResult {
                address: topic.clone(),
                outcome: Outcome::Failed { error: error.clone() },
                elapsed: Duration::from_millis(120),
            },
            ChangeResult {
                address: sub.clone(),
                outcome: Outcome::Skipped { because: topic.clone() },
                elapsed: Duration::ZERO,
            },
            ChangeResult { address: contact.clone(), outcome: Outcome::Updated, elapsed: Duration::from_millis(250) },
        ],
    };
    let output = text(|out| {
        human::event(out, &Event::Failed { address: topic, error: &error }, &Palette::PLAIN)?;
        human::event(out, &Event::Skipped { address: sub, because: topic }, &Palette::PLAIN)?;
        human::event(
            out,
            &Event::Done { address: contact, action: Action::Update, elapsed: Duration::from_millis(250) },
            &Palette::PLAIN,
        )?;
        human::apply_summary(out, &report, CallCounts { reads: 12, writes: 1, refused: 0 }, &Palette::PLAIN)
    });
    insta::assert_snapshot!(output);
    insta::assert_snapshot!(json::to_string(&json::apply(
        &plan,
        ACCOUNT,
        &report,
        CallCounts { reads: 12, writes: 1, refused: 0 }
    )));
}

#[test]
fn many_regions_are_summarised_one_line_each() {
    let mut changes = Vec::new();
    for region in ["us-east-1", "eu-west-1", "eu-west-2", "ap-south-1"] {
        for (kind, name) in [("config.recorder", "default"), ("config.rule", "a"), ("config.rule", "b")] {
            changes.push(change(address(region, kind, name), Action::Create, "missing", vec![]));
        }
    }
    changes.push(change(address("eu-west-1", "config.recording", "default"), Action::Update, "stopped", vec![]));
    let plan = Plan { changes, ..Plan::default() };
    insta::assert_snapshot!(text(|out| human::plan(out, &plan, &VIEW, &Palette::PLAIN)));
    let full = human::View { full: true, ..VIEW };
    let every = text(|out| human::plan(out, &plan, &full, &Palette::PLAIN));
    assert_eq!(every.matches("config.rule/").count(), 8);
}
