//! The whole user journey through the binary: plan → apply → plan on an empty account, checked with plain
//! SDK clients that bypass baseline.

use std::net::TcpListener;

use serde_json::Value;

use crate::harness::*;

const TOPICS: [&str; 2] = ["baseline-security-notifications", "baseline-billing-notifications"];

#[tokio::test]
async fn empty_account_plan_apply_plan_then_second_apply_makes_no_write() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), shipped_config()).unwrap();

    // 1. plan: every resource is a create, exit 2 (-v: every region's changes in full).
    let out = moto.cli(dir.path(), &["-v", "plan", "--detailed-exitcode"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}{}", stderr(&out));
    for address in [
        "+ 123456789012/global/account.alternate_contact/billing",
        "+ 123456789012/global/account.alternate_contact/operations",
        "+ 123456789012/global/account.alternate_contact/security",
        "+ 123456789012/us-east-1/sns.topic/baseline-security-notifications",
        "+ 123456789012/us-east-1/sns.topic_policy/baseline-security-notifications",
        "+ 123456789012/us-east-1/sns.subscription/baseline-security-notifications/aws-security@example.com",
        "+ 123456789012/us-east-1/sns.topic/baseline-billing-notifications",
        "+ 123456789012/us-east-1/sns.topic_policy/baseline-billing-notifications",
        "+ 123456789012/us-east-1/sns.subscription/baseline-billing-notifications/aws-billing@example.com",
        "+ 123456789012/us-east-1/s3.bucket/baseline-logs-123456789012-us-east-1",
        "+ 123456789012/us-east-1/s3.bucket_policy/baseline-logs-123456789012-us-east-1",
        "+ 123456789012/us-east-1/s3.bucket_public_access_block/baseline-logs-123456789012-us-east-1",
        "+ 123456789012/us-east-1/s3.bucket_encryption/baseline-logs-123456789012-us-east-1",
        "+ 123456789012/us-east-1/s3.bucket_versioning/baseline-logs-123456789012-us-east-1",
        "+ 123456789012/us-east-1/s3.bucket_lifecycle/baseline-logs-123456789012-us-east-1",
        "+ 123456789012/us-east-1/s3.bucket_ownership/baseline-logs-123456789012-us-east-1",
        "+ 123456789012/us-east-1/logs.log_group/baseline-cloudtrail",
        "+ 123456789012/global/iam.role/baseline-cloudtrail-to-cloudwatch-logs",
        "+ 123456789012/global/iam.role_policy/baseline-cloudtrail-to-cloudwatch-logs/baseline-cloudtrail-to-cloudwatch-logs",
        "+ 123456789012/us-east-1/cloudtrail.trail/baseline-trail",
        "+ 123456789012/us-east-1/cloudtrail.event_selectors/baseline-trail",
        "+ 123456789012/us-east-1/cloudtrail.logging/baseline-trail",
        "+ 123456789012/us-east-1/logs.metric_filter/baseline-cloudtrail/baseline-root-usage",
        "+ 123456789012/us-east-1/cloudwatch.alarm/baseline-root-usage",
        "+ 123456789012/us-east-1/cloudwatch.alarm/baseline-organizations-changes",
        "+ 123456789012/global/iam.password_policy/account",
        "+ 123456789012/global/iam.group/security-auditors",
        "+ 123456789012/global/iam.group_policy_attachments/security-auditors",
        "+ 123456789012/global/iam.role/baseline-support",
        "+ 123456789012/global/budgets.budget/monthly-total-cost",
        "! 123456789012/global/iam.root_user/mfa",
        "+ 123456789012/global/iam.service_linked_role/AWSServiceRoleForConfig",
        "+ 123456789012/us-east-1/config.recorder/default",
        "+ 123456789012/us-east-1/config.rule/baseline-restricted-incoming-traffic",
        "+ 123456789012/us-east-1/events.target/baseline-config-noncompliant/baseline-security",
        "+ 123456789012/us-east-1/guardduty.detector/default",
        "+ 123456789012/us-east-1/events.rule/baseline-guardduty-findings",
        "+ 123456789012/global/iam.role/baseline-guardduty-events-forwarder",
        "+ 123456789012/eu-west-1/securityhub.hub/default",
    ] {
        assert!(text.contains(address), "missing {address} in:\n{text}");
    }
    assert!(text.contains("Plan: 293 to create, 21 to update, 1 manual."), "{text}");
    // The emulator lacks the primary-contact and CUR APIs: warnings naming the address.
    for address in [
        "global/account.primary_contact/primary",
        "global/cur.report_definition/baseline-cost-and-usage",
        "us-east-1/accessanalyzer.analyzer/baseline-access-analyzer",
    ] {
        assert!(text.contains(&format!("123456789012/{address}: not supported by this endpoint")), "{text}");
    }

    // 2. apply without a terminal and without --auto-approve refuses and changes nothing.
    let out = moto.cli(dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("refusing to apply without confirmation"), "{}", stderr(&out));
    let sns = moto.sns().await;
    assert!(sns.list_topics().send().await.unwrap().topics().is_empty(), "a refused apply must not write");

    // 3. apply creates everything.
    let out = moto.cli(dir.path(), &["apply", "--auto-approve"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("Apply complete: 293 created, 21 updated, 0 failed."), "{text}");

    // Checked independently.
    for topic in TOPICS {
        let arn = topic_arn(topic);
        let tags = sns.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
        assert!(tags.tags().iter().any(|t| t.key() == "managed-by" && t.value() == "baseline"));
        assert!(tags.tags().iter().any(|t| t.key() == "owner" && t.value() == "platform-security"));
        let subs = sns.list_subscriptions_by_topic().topic_arn(&arn).send().await.unwrap();
        assert_eq!(subs.subscriptions().len(), 1);
        assert_eq!(subs.subscriptions()[0].protocol(), Some("email"));
    }
    let attrs = sns.get_topic_attributes().topic_arn(topic_arn(TOPICS[0])).send().await.unwrap();
    let policy: Value = serde_json::from_str(&attrs.attributes().unwrap()["Policy"]).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    let ours = statements.iter().find(|s| s["Sid"] == "BaselineCloudWatchAlarmsPublish").expect("owned statement");
    assert_eq!(ours["Principal"]["Service"], "cloudwatch.amazonaws.com");
    assert_eq!(ours["Condition"]["StringEquals"]["aws:SourceAccount"], ACCOUNT);
    assert!(statements.iter().any(|s| s["Sid"] == "__default_statement_ID"), "AWS's default statement is kept");
    let account = moto.account().await;
    let security = account
        .get_alternate_contact()
        .alternate_contact_type(aws_sdk_account::types::AlternateContactType::Security)
        .send()
        .await
        .unwrap();
    assert_eq!(security.alternate_contact().unwrap().email_address(), Some("aws-security@example.com"));

    // 4. plan right after apply: nothing to create or update, exit 0; the emulated root user has no MFA, which
    // only a person can fix: a manual action, which counts only with --fail-on-manual.
    let out = moto.cli(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("Plan: 0 to create, 0 to update, 1 manual."), "{}", stdout(&out));
    assert!(stdout(&out).contains("! 123456789012/global/iam.root_user/mfa"));
    let out = moto.cli(dir.path(), &["plan", "--detailed-exitcode", "--fail-on-manual"]);
    assert_eq!(out.status.code(), Some(2));

    // 5. a second apply makes zero write calls. One account is an organization of one: the Markdown summary
    // of a scheduled job has its row too.
    let out = moto.cli(dir.path(), &["apply", "--auto-approve", "--json", "--markdown-summary", "summary.md"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["api_calls"]["writes"], 0, "{report:#}");
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(summary.starts_with("### baseline apply\n"), "{summary}");
    assert!(summary.contains("| 123456789012 |  | in sync | 0 | 0 | 1 |  |"), "{summary}");
    assert!(summary.contains(" read, 0 write."), "{summary}");
    assert!(report["api_calls"]["reads"].as_u64().unwrap() > 0);
    assert_eq!(report["summary"]["created"], 0);
    assert_eq!(report["summary"]["updated"], 0);

    // 6. the JSON plan and --out.
    let out = moto.cli(dir.path(), &["plan", "--json", "--out", "saved.json"]);
    assert_eq!(out.status.code(), Some(0));
    let printed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("saved.json")).unwrap()).unwrap();
    assert_eq!(printed, saved);
    assert_eq!(printed["format_version"], "1.0");
    assert_eq!(printed["summary"]["create"], 0);
    assert_eq!(printed["summary"]["update"], 0);
    assert_eq!(printed["summary"]["manual"], 1);
    assert_eq!(printed["summary"]["unchanged"], 319);
    assert_eq!(printed["notices"][0]["level"], "warning");
}

/// A broken baseline.toml stops before any AWS call: the endpoint below records every connection.
#[test]
fn invalid_config_makes_no_aws_call() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let broken = shipped_config().replace("aws-security@example.com\"\nphone", "security-at-example\"\nphone");
    std::fs::write(dir.path().join("baseline.toml"), &broken).unwrap();
    for command in [&["validate"][..], &["plan"], &["apply", "--auto-approve"]] {
        let out = cli_with_endpoint(dir.path(), &endpoint, command);
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        let err = stderr(&out);
        assert!(err.contains("error: invalid e-mail address \"security-at-example\""), "{err}");
        let line = broken.lines().position(|l| l.contains("security-at-example")).unwrap() + 1;
        assert!(err.contains(&format!("--> baseline.toml:{line}:9")), "{err}");
        assert!(err.contains("Nothing was changed and no AWS call was made."), "{err}");
        assert!(stdout(&out).is_empty());
    }
    assert!(listener.accept().is_err(), "no connection may reach the endpoint");
}

#[test]
fn validate_needs_no_credentials() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), shipped_config()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baseline"))
        .current_dir(dir.path())
        .arg("validate")
        .env_clear()
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sections = desired(&shipped_config()).sections();
    let set = sections.iter().filter(|s| s.summary.is_some()).count();
    let first = format!("baseline.toml is valid: {set} of {} sections set, 0 warnings.\n", sections.len());
    assert!(stdout(&out).starts_with(&first), "{}", stdout(&out));
}

#[test]
fn missing_config_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli_with_endpoint(dir.path(), "http://127.0.0.1:9", &["-c", "nope.toml", "plan"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read the baseline configuration nope.toml"), "{}", stderr(&out));
}
