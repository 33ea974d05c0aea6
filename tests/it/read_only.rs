//! Plan cannot write; a failure in one resource does not stop the others.

use baseline::aws::ErrorKind;
use baseline::engine::{NullSink, Outcome};

use crate::harness::*;

#[tokio::test]
async fn plan_is_incapable_of_writing() {
    let moto = Moto::start();
    let desired = desired(&shipped_config());
    let session = moto.session().await;
    let target = target(&session, &desired).await;

    let plan = baseline::plan(&desired, &target).await;
    assert_eq!(plan.summary().create, 293);
    let counts = session.guard.counts();
    assert_eq!((counts.writes, counts.refused), (0, 0), "planning only reads");

    // Even a direct write through the planning clients is refused before it is sent.
    let err = target.sns.create_topic().name("sneaky").send().await.unwrap_err();
    let err = baseline::aws::AwsError::from_sdk("sns:CreateTopic", err);
    assert_eq!(err.kind, ErrorKind::ReadOnly, "{err}");

    // And so is applying with a session that was never switched to writing.
    let report = baseline::apply(&plan, &target, &NullSink).await;
    assert!(report.results.iter().all(|r| match &r.outcome {
        Outcome::Failed { error } => error.kind == ErrorKind::ReadOnly,
        Outcome::Skipped { .. } => true,
        _ => false,
    }));
    assert_eq!(session.guard.counts().writes, 0);
    let topics = moto.sns().await.list_topics().send().await.unwrap();
    assert!(topics.topics().is_empty(), "nothing reached the emulator");
}

/// With IAM enforced by the emulator and `sns:Subscribe` denied, the subscriptions fail with a message naming
/// the address, the API error and the missing permission; everything independent of them is applied.
#[tokio::test]
async fn failed_change_does_not_stop_independent_ones() {
    // The first three requests (the IAM setup below) run unauthenticated; everything after is checked.
    let moto = Moto::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    let iam = aws_sdk_iam::Client::new(&moto.sdk_config("test", "test").await);
    iam.create_user().user_name("baseline-runner").send().await.unwrap();
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sns:Subscribe", "Resource": "*"}
        ]
    });
    iam.put_user_policy()
        .user_name("baseline-runner")
        .policy_name("all-but-subscribe")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    let key = iam.create_access_key().user_name("baseline-runner").send().await.unwrap();
    let key = key.access_key().unwrap();

    let dir = tempfile::tempdir().unwrap();
    // Topics and contacts only: the partial failure is about sns:Subscribe.
    let config = shipped_config();
    let topics_and_contacts = &config[..config.find("# The central log archive").unwrap()];
    std::fs::write(dir.path().join("baseline.toml"), topics_and_contacts).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baseline"))
        .current_dir(dir.path())
        .args(["--endpoint-url", &moto.endpoint, "--color", "never", "apply", "--auto-approve"])
        .env_clear()
        .env("HOME", dir.path())
        .env("AWS_ACCESS_KEY_ID", key.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", key.secret_access_key())
        .env("AWS_REGION", REGION)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    let failure = "x 123456789012/us-east-1/sns.subscription/baseline-security-notifications/aws-security@example.com: \
                   sns:Subscribe failed:";
    assert!(text.contains(failure), "{text}");
    assert!(text.contains("access denied") || text.contains("AccessDenied"), "{text}");
    assert!(text.contains("hint: the caller lacks the IAM permission `sns:Subscribe`"), "{text}");
    assert!(text.contains("Apply complete: 7 created, 1 updated, 2 failed."), "{text}");

    let sns = aws_sdk_sns::Client::new(&moto.sdk_config(key.access_key_id(), key.secret_access_key()).await);
    assert_eq!(sns.list_topics().send().await.unwrap().topics().len(), 2, "the topics were still created");
}
