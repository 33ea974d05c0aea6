//! Faults between the tool and AWS, injected by [`FaultProxy`]: with a fifth of the requests throttled,
//! failing with a 500 or 503 or cut by a TCP reset, `apply` still converges, creates nothing twice, and
//! the following plan is clean; a resource whose creation always fails is reported by address while every
//! independent resource converges.

use std::path::Path;
use std::time::Instant;

use serde_json::Value;

use crate::fault_proxy::{FaultProxy, Faults, Match, Rule, Stats};
use crate::harness::*;

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const TRAIL: &str = "baseline-trail";

fn run(proxy: &FaultProxy, dir: &Path, args: &[&str]) -> std::process::Output {
    cli_with_endpoint(dir, &proxy.endpoint, args)
}

/// `apply --auto-approve` through the proxy; prints and returns the proxy's counts for it.
fn timed_apply(proxy: &FaultProxy, dir: &Path, what: &str) -> (std::process::Output, Stats) {
    let started = Instant::now();
    let out = run(proxy, dir, &["apply", "--auto-approve"]);
    let stats = proxy.stats();
    eprintln!("apply {what}: {stats}; {:.1} s", started.elapsed().as_secs_f64());
    (out, stats)
}

fn both(out: &std::process::Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

/// Checks directly against the emulator that every resource exists once: one trail, one recorder and
/// delivery channel per region, one subscription per (topic, e-mail), unique policy statement ids, one
/// metric filter per name.
async fn assert_nothing_duplicated(moto: &Moto, filters_may_repeat: bool) {
    let sdk = moto.sdk_config("test", "test").await;
    let regional = |region: &str| sdk.to_builder().region(aws_config::Region::new(region.to_string())).build();

    let cloudtrail = aws_sdk_cloudtrail::Client::new(&sdk);
    let trails = cloudtrail.describe_trails().include_shadow_trails(false).send().await.unwrap();
    let names: Vec<&str> = trails.trail_list().iter().filter_map(|t| t.name()).collect();
    assert_eq!(names.iter().filter(|n| **n == TRAIL).count(), 1, "one trail named {TRAIL}: {names:?}");
    let listed = cloudtrail.list_trails().send().await.unwrap();
    let listed: Vec<&str> = listed.trails().iter().filter_map(|t| t.name()).collect();
    assert_eq!(listed, [TRAIL], "the only trail");

    for region in REGIONS {
        let config = aws_sdk_config::Client::new(&regional(region));
        let recorders = config.describe_configuration_recorders().send().await.unwrap();
        assert_eq!(recorders.configuration_recorders().len(), 1, "one recorder in {region}: {recorders:?}");
        let channels = config.describe_delivery_channels().send().await.unwrap();
        assert_eq!(channels.delivery_channels().len(), 1, "one delivery channel in {region}: {channels:?}");
        let rules = config.describe_config_rules().send().await.unwrap();
        let names = rules.config_rules().iter().filter_map(|r| r.config_rule_name());
        assert_eq!(duplicates(names), [], "config rules in {region}");
    }

    let sns = moto.sns().await;
    let subscriptions = sns.list_subscriptions().send().await.unwrap();
    let pairs: Vec<(String, String)> = subscriptions
        .subscriptions()
        .iter()
        .map(|s| (s.topic_arn().unwrap_or_default().to_string(), s.endpoint().unwrap_or_default().to_string()))
        .collect();
    assert_eq!(pairs.len(), 2, "one subscription per list: {pairs:?}");
    assert_eq!(duplicates(pairs), [], "subscriptions");
    for topic in ["baseline-security-notifications", "baseline-billing-notifications"] {
        let attrs = sns.get_topic_attributes().topic_arn(topic_arn(topic)).send().await.unwrap();
        let policy: Value = serde_json::from_str(&attrs.attributes().unwrap()["Policy"]).unwrap();
        let sids = policy["Statement"].as_array().unwrap().iter().map(|s| s["Sid"].to_string());
        assert_eq!(duplicates(sids), [], "statement ids of {topic}'s policy: {policy}");
    }

    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    let bucket = format!("baseline-logs-{ACCOUNT}-{REGION}");
    let policy = s3.get_bucket_policy().bucket(&bucket).send().await.unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    assert!(!statements.is_empty());
    let sids = statements.iter().map(|s| s["Sid"].to_string());
    assert_eq!(duplicates(sids), [], "statement ids of the bucket policy: {policy}");

    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let filters = logs.describe_metric_filters().log_group_name("baseline-cloudtrail").send().await.unwrap();
    let names: Vec<&str> = filters.metric_filters().iter().filter_map(|f| f.filter_name()).collect();
    assert!(!names.is_empty(), "metric filters exist");
    // PutMetricFilter creates or replaces the filter of that name in AWS; the emulator appends a copy each
    // time, so when an answer was lost and the call retried it lists the filter twice.
    if !filters_may_repeat {
        assert_eq!(duplicates(names), [], "metric filters");
    }
    let groups = logs.describe_log_groups().send().await.unwrap();
    let names = groups.log_groups().iter().filter_map(|g| g.log_group_name());
    assert_eq!(duplicates(names), [], "log groups");
}

/// A fifth of the requests fail (throttled, 500, 503, reset, in equal parts) and each waits up to 30 ms:
/// apply converges with retries, the plan after it is clean, and nothing exists twice.
#[tokio::test(flavor = "multi_thread")]
async fn apply_converges_through_a_fifth_of_requests_failing() {
    let (moto, dir) = two_region_setup();
    let faults =
        Faults { throttle: 0.05, error500: 0.05, error503: 0.05, reset: 0.05, max_latency_ms: 30, ..Faults::none() };
    let proxy = FaultProxy::start(&moto.endpoint, faults, None);

    let (out, apply_stats) = timed_apply(&proxy, dir.path(), "through faults");
    assert_eq!(out.status.code(), Some(0), "apply rides out the faults: {}", both(&out));
    assert!(stdout(&out).contains(", 0 failed."), "{}", stdout(&out));

    let started = Instant::now();
    let out = run(&proxy, dir.path(), &["plan", "--detailed-exitcode"]);
    let plan_time = started.elapsed();
    let total = proxy.stats();
    eprintln!(
        "plan through faults: {} requests, {} faults; {:.1} s",
        total.requests - apply_stats.requests,
        total.faults() - apply_stats.faults(),
        plan_time.as_secs_f64()
    );
    eprintln!("both runs: {total}");
    assert_eq!(out.status.code(), Some(0), "converged: {}", both(&out));
    assert!(stdout(&out).contains("Plan: 0 to create, 0 to update,"), "{}", stdout(&out));

    // Faults were really injected, of every kind, at about the configured rate.
    assert_eq!(total.broken, 0, "{total}");
    assert!(total.faults() * 10 >= total.requests, "at least 10% faults: {total}");
    for (kind, n) in
        [("throttled", total.throttled), ("500", total.error500), ("503", total.error503), ("reset", total.reset)]
    {
        assert!(n > 0, "some {kind}: {total}");
    }
    assert_nothing_duplicated(&moto, false).await;
}

/// One answer in ten is lost after the emulator carried the call out (the connection resets before the
/// response): the retried creates find their resource already there, and apply still converges with nothing
/// created twice.
#[tokio::test(flavor = "multi_thread")]
async fn apply_converges_when_answers_are_lost_after_the_call_took_effect() {
    let (moto, dir) = two_region_setup();
    let proxy = FaultProxy::start(&moto.endpoint, Faults { lost: 0.1, ..Faults::none() }, None);
    let (out, stats) = timed_apply(&proxy, dir.path(), "with lost answers");
    assert_eq!(out.status.code(), Some(0), "apply rides out lost answers: {}", both(&out));
    assert!(stats.lost > 0, "{stats}");
    let out = run(&proxy, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "converged: {}", both(&out));
    assert_nothing_duplicated(&moto, true).await;
}

/// Every CloudTrail `CreateTrail` of the baseline's trail fails with a validation error, which no retry can
/// fix: apply asks once, fails naming the trail's address, skips what needs the trail, and applies everything
/// else; the next plan shows only the trail and its two dependents pending.
#[tokio::test(flavor = "multi_thread")]
async fn a_resource_that_always_fails_is_named_and_the_rest_converges() {
    let (moto, dir) = two_region_setup();
    let clean = FaultProxy::start(&moto.endpoint, Faults::none(), None);
    let out = run(&clean, dir.path(), &["plan", "--json"]);
    let fresh: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let to_create = fresh["summary"]["create"].as_u64().unwrap();

    // Only the request creating this trail: the rule can single out one resource.
    let rule = Rule::invalid(Match::target("CreateTrail").with_body(&format!("\"Name\":\"{TRAIL}\"")));
    let proxy = FaultProxy::start(&moto.endpoint, Faults::none(), Some(rule));
    let started = Instant::now();
    let out = run(&proxy, dir.path(), &["apply", "--auto-approve"]);
    let stats = proxy.stats();
    eprintln!("apply with CreateTrail failing: {stats}; {:.1} s", started.elapsed().as_secs_f64());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert_eq!(stats.permanent, 1, "a validation error is not retried: {stats}");

    let trail = format!("{ACCOUNT}/{REGION}/cloudtrail.trail/{TRAIL}");
    let failed =
        format!("  x {trail}: cloudtrail:CreateTrail failed: ValidationException: injected permanent failure\n");
    assert!(text.contains(&failed), "the failure names the address and the error: {text}");
    for dependent in ["cloudtrail.logging", "cloudtrail.event_selectors"] {
        let skipped = format!("  - {ACCOUNT}/{REGION}/{dependent}/{TRAIL}: skipped, because {trail} failed\n");
        assert!(text.contains(&skipped), "{skipped}: {text}");
    }
    let created = text.lines().filter(|l| l.starts_with("  + ") && l.contains(": created (")).count() as u64;
    assert_eq!(created, to_create - 3, "everything but the trail and its two dependents is created: {text}");
    let updated = fresh["summary"]["update"].as_u64().unwrap();
    let summary = format!(
        "Apply complete: {created} created, {updated} updated, 1 failed.\n2 skipped: a change they depend on failed.\n"
    );
    assert!(text.contains(&summary), "{summary}: {text}");

    // Only the trail and what needs it are still pending; the rest matches the baseline.
    let out = run(&clean, dir.path(), &["plan", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["errors"], serde_json::json!([]), "{plan}");
    let changes = plan["changes"].as_array().unwrap();
    let pending: Vec<(&str, &str)> = changes
        .iter()
        .filter(|c| c["action"] == "create" || c["action"] == "update")
        .map(|c| (c["action"].as_str().unwrap(), c["address"].as_str().unwrap()))
        .collect();
    let prefix = format!("{ACCOUNT}/{REGION}");
    let expected = [
        format!("{prefix}/cloudtrail.trail/{TRAIL}"),
        format!("{prefix}/cloudtrail.event_selectors/{TRAIL}"),
        format!("{prefix}/cloudtrail.logging/{TRAIL}"),
    ];
    assert_eq!(pending, expected.iter().map(|a| ("create", a.as_str())).collect::<Vec<_>>(), "{plan}");
    let action = |address: &str| {
        let change = changes.iter().find(|c| c["address"] == address);
        change.unwrap_or_else(|| panic!("{address} in the plan: {plan}"))["action"].as_str().unwrap().to_string()
    };
    let mut independent = vec![
        format!("{prefix}/sns.topic/baseline-security-notifications"),
        format!("{prefix}/sns.subscription/baseline-security-notifications/aws-security@example.com"),
        format!("{prefix}/s3.bucket/baseline-logs-{ACCOUNT}-{REGION}"),
        format!("{prefix}/s3.bucket_policy/baseline-logs-{ACCOUNT}-{REGION}"),
        format!("{prefix}/logs.log_group/baseline-cloudtrail"),
        format!("{prefix}/logs.metric_filter/baseline-cloudtrail/baseline-root-usage"),
        format!("{prefix}/cloudwatch.alarm/baseline-root-usage"),
        format!("{ACCOUNT}/global/iam.password_policy/account"),
        format!("{ACCOUNT}/global/iam.role/baseline-cloudtrail-to-cloudwatch-logs"),
    ];
    for region in REGIONS {
        independent.push(format!("{ACCOUNT}/{region}/config.recorder/default"));
        independent.push(format!("{ACCOUNT}/{region}/config.rule/baseline-cloud-trail-enabled"));
    }
    for address in &independent {
        assert_eq!(action(address), "no-op", "{address} converged");
    }
}

/// Two requests in five throttled: the adaptive retry mode slows down and still converges (about 70 s: 188
/// requests, 67 throttled).
#[tokio::test(flavor = "multi_thread")]
async fn heavy_throttling_slows_apply_down_but_it_converges() {
    let (moto, dir) = two_region_setup();
    let proxy = FaultProxy::start(&moto.endpoint, Faults { throttle: 0.4, ..Faults::none() }, None);
    let (out, stats) = timed_apply(&proxy, dir.path(), "with 40% throttled");
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(stats.throttled * 4 >= stats.requests, "at least a quarter throttled: {stats}");
}
