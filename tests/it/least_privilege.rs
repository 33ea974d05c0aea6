//! `baseline policy` grants exactly what the runs need: with the emulator enforcing IAM, a user holding only
//! the generated `--plan` policy plans (fresh and converged account) and cannot write; a user holding only the
//! `--apply` policy applies to convergence; without one sampled action, the run fails naming that action and
//! the resource address.

use std::path::Path;

use serde_json::Value;

use crate::harness::*;

/// `baseline policy <command> --for-emulator --json` for the baseline in `dir`.
fn generated(moto: &Moto, dir: &Path, command: &str) -> Value {
    let out = moto.cli(dir, &["policy", command, "--for-emulator", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// The policy document with `action` taken out of every statement.
fn without(policy: &Value, action: &str) -> Value {
    let mut policy = policy.clone();
    for statement in policy["Statement"].as_array_mut().unwrap() {
        statement["Action"].as_array_mut().unwrap().retain(|a| a != action);
    }
    policy["Statement"].as_array_mut().unwrap().retain(|s| !s["Action"].as_array().unwrap().is_empty());
    policy
}

/// Creates a user holding exactly `policy` (before enforcement is on) and returns its keys.
async fn user(moto: &Moto, name: &str, policy: &Value) -> (String, String) {
    let iam = aws_sdk_iam::Client::new(&moto.sdk_config("test", "test").await);
    iam.create_user().user_name(name).send().await.unwrap();
    iam.put_user_policy()
        .user_name(name)
        .policy_name("baseline")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    let key = iam.create_access_key().user_name(name).send().await.unwrap();
    let key = key.access_key().unwrap();
    (key.access_key_id().to_string(), key.secret_access_key().to_string())
}

/// The emulator enforcing IAM rejects the signature of every GET on a REST-JSON service (GuardDuty's
/// ListDetectors, Security Hub's DescribeHub: SignatureDoesNotMatch; it signs the parsed parameters as the
/// body), and has no Access Analyzer, so these families cannot be enforced here. Their permissions are checked
/// against their calls by the permissions unit test (`each_family_lists_the_actions_of_its_calls`); this runs
/// the rest of the shipped baseline.
const NOT_ENFORCEABLE: &[&str] = &["[guardduty]", "[security_hub]", "[access_analyzer]"];

/// A fresh emulator and the two-region baseline without the sections the emulator cannot enforce.
fn enforceable_setup() -> (Moto, tempfile::TempDir) {
    let (moto, dir) = two_region_setup();
    let mut config = two_region_config();
    for header in NOT_ENFORCEABLE {
        config = without_table(&config, header);
    }
    std::fs::write(dir.path().join("baseline.toml"), config).unwrap();
    (moto, dir)
}

fn run(moto: &Moto, dir: &Path, (key, secret): &(String, String), args: &[&str]) -> std::process::Output {
    cli_as(dir, &moto.endpoint, (key, secret), args)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_generated_policies_are_enough_and_plan_cannot_write() {
    let (moto, dir) = enforceable_setup();
    let plan_policy = generated(&moto, dir.path(), "--plan");
    let apply_policy = generated(&moto, dir.path(), "--apply");
    assert_eq!(plan_policy["writes"], 0);
    let planner = user(&moto, "planner", &plan_policy["policy"]).await;
    let applier = user(&moto, "applier", &apply_policy["policy"]).await;
    moto_api(&moto.endpoint, "/moto-api/reset-auth", "0");

    // A fresh account: the plan-only user sees every change...
    let out = run(&moto, dir.path(), &planner, &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "plan works with the --plan policy: {}{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains("could not be read"), "every resource is read: {}", stdout(&out));
    // ...and cannot change anything: every write is refused by IAM.
    let out = run(&moto, dir.path(), &planner, &["apply", "--auto-approve", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let results = report["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let applied: Vec<&Value> =
        results.iter().filter(|r| r["status"] == "created" || r["status"] == "updated").collect();
    assert!(applied.is_empty(), "nothing is written with the --plan policy: {applied:?}");
    let denied = results.iter().filter(|r| r["error"]["kind"] == "access-denied").count();
    assert!(denied > 0, "{report}");

    // The apply user converges the account; then nothing is pending for either user.
    let out = run(&moto, dir.path(), &applier, &["apply", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(0), "apply works with the --apply policy: {}{}", stdout(&out), stderr(&out));
    for who in [&applier, &planner] {
        let out = run(&moto, dir.path(), who, &["plan", "--detailed-exitcode"]);
        assert_eq!(out.status.code(), Some(0), "converged: {}{}", stdout(&out), stderr(&out));
    }
    let out = run(&moto, dir.path(), &applier, &["apply", "--auto-approve", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["api_calls"]["writes"], 0, "{report}");
}

/// Without one action, the run fails on the resources that need it, naming the action and the address; the
/// others still converge.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_action_is_named_with_the_resource_address() {
    // Actions the emulator checks under their AWS names (see `permissions::for_emulator`).
    let samples = [
        ("--apply", "sns:Subscribe", "sns.subscription"),
        ("--apply", "cloudtrail:CreateTrail", "cloudtrail.trail"),
        ("--apply", "s3:PutBucketPolicy", "s3.bucket_policy"),
        ("--apply", "iam:CreateGroup", "iam.group"),
        ("--apply", "logs:PutMetricFilter", "logs.metric_filter"),
        ("--apply", "config:PutConfigRule", "config.rule"),
        ("--plan", "iam:GetAccountPasswordPolicy", "iam.password_policy"),
        ("--plan", "config:DescribeConfigurationRecorders", "config.recorder"),
        ("--plan", "sns:GetTopicAttributes", "sns.topic"),
    ];
    for (command, action, kind) in samples {
        let (moto, dir) = enforceable_setup();
        let policy = without(&generated(&moto, dir.path(), command)["policy"], action);
        let runner = user(&moto, "runner", &policy).await;
        moto_api(&moto.endpoint, "/moto-api/reset-auth", "0");
        let args: &[&str] =
            if command == "--plan" { &["plan", "--json"] } else { &["apply", "--auto-approve", "--json"] };
        let out = run(&moto, dir.path(), &runner, args);
        assert_eq!(out.status.code(), Some(1), "without {action}: {}", stderr(&out));
        let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
        // Failed reads are plan errors (the error's fields inline); failed writes are results with an error.
        let failures: Vec<&Value> = if command == "--plan" {
            report["errors"].as_array().unwrap().iter().collect()
        } else {
            report["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["status"] == "failed")
                .map(|r| &r["error"])
                .collect()
        };
        let failed_at = |f: &Value| report_address(&report, f);
        let named = failures.iter().find(|f| f["action"] == action && failed_at(f).contains(&format!("/{kind}/")));
        let named = named.unwrap_or_else(|| panic!("without {action}: no failure at a {kind} naming it: {report}"));
        assert_eq!(named["kind"], "access-denied", "{named}");
        assert!(named["hint"].as_str().unwrap().contains(action), "{named}");
        if command == "--apply" {
            let results = report["results"].as_array().unwrap();
            let applied = results.iter().filter(|r| r["status"] == "created" || r["status"] == "updated").count();
            assert!(applied > 10, "without {action}, the independent changes are still applied: {applied}");
        }
    }
}

/// The address a failure is reported at: a plan error carries it, an apply result's error sits under it.
fn report_address(report: &Value, error: &Value) -> String {
    if let Some(address) = error["address"].as_str() {
        return address.to_string();
    }
    let results = report["results"].as_array().unwrap();
    let result = results.iter().find(|r| std::ptr::eq(&r["error"], error)).unwrap();
    result["address"].as_str().unwrap().to_string()
}
