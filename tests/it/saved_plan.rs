//! `plan --out FILE` then `apply FILE`: the reviewed plan is applied exactly, or refused before any write when
//! the account, baseline.toml or the tool changed since it was made.

use serde_json::Value;

use crate::fault_proxy::{FaultProxy, Faults, Match, Rule};
use crate::harness::{ACCOUNT, REGION, cli_with_endpoint, stderr, stdout, two_region_setup};
use crate::organization::{baseline_toml, organization};

const SECURITY: &str = "baseline-security-notifications";

fn writes(out: &std::process::Output) -> u64 {
    let report: Value = serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)));
    report["api_calls"]["writes"].as_u64().unwrap()
}

#[test]
fn a_saved_plan_applied_untouched_converges_and_the_next_plan_is_clean() {
    let (moto, dir) = two_region_setup();
    let out = moto.cli(dir.path(), &["plan", "--detailed-exitcode", "--out", "plan.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stdout(&out).contains("Plan saved to plan.json."), "{}", stdout(&out));
    let text = std::fs::read_to_string(dir.path().join("plan.json")).unwrap();
    let saved: Value = serde_json::from_str(&text).unwrap();
    let pending = saved["summary"]["create"].as_u64().unwrap() + saved["summary"]["update"].as_u64().unwrap();
    assert!(pending > 50, "{}", saved["summary"]);
    assert_eq!(saved["saved_from"]["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(saved["saved_from"]["regions"], serde_json::json!(["us-east-1", "eu-west-1"]));
    // No credentials in the file: the applying run brings its own.
    assert!(!text.contains("AWS_ACCESS_KEY_ID") && !text.contains("\"test\""), "{text}");
    assert!(!text.to_ascii_lowercase().contains("secret"), "{text}");

    // Applied without a prompt (the plan was reviewed), as one JSON report: every saved change, nothing more.
    let out = moto.cli(dir.path(), &["apply", "plan.json", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let applied = report["summary"]["created"].as_u64().unwrap() + report["summary"]["updated"].as_u64().unwrap();
    assert_eq!(applied, pending, "{}", report["summary"]);
    assert_eq!(report["summary"]["failed"], 0);

    let out = moto.cli(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // The same file again: every resource now reads differently from the plan, so it is refused.
    let out = moto.cli(dir.path(), &["apply", "plan.json", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is out of date"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_is_refused_when_the_account_changed_by_hand_and_nothing_is_written() {
    let (moto, dir) = two_region_setup();
    let out = moto.cli(dir.path(), &["plan", "--out", "plan.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Someone creates the security topic by hand after the review.
    let sns = moto.sns().await;
    sns.create_topic().name(SECURITY).send().await.unwrap();
    let proxy = FaultProxy::start(&moto.endpoint, Faults::none(), None);
    let out = cli_with_endpoint(dir.path(), &proxy.endpoint, &["apply", "plan.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    let topic = format!("{ACCOUNT}/{REGION}/sns.topic/{SECURITY}: was planned as create, now ");
    assert!(err.contains("is out of date: "), "{err}");
    assert!(err.contains(&topic), "the changed resource is named: {err}");
    assert!(err.contains("Nothing was changed."), "{err}");
    let passed = proxy.passed();
    let written: Vec<_> = passed.iter().filter_map(crate::wire::write_of).collect();
    assert!(written.is_empty(), "a stale plan writes nothing: {written:?}");
    assert_eq!(sns.list_topics().send().await.unwrap().topics().len(), 1, "only the hand-made topic");
}

/// A saved plan is applied whole or not at all, for one account as for several: a plan with a resource that
/// cannot be read is not saved, and a saved plan whose account cannot be read again in full writes nothing.
#[test]
fn a_plan_that_cannot_be_read_whole_is_neither_saved_nor_applied() {
    let (moto, dir) = two_region_setup();
    let deny = Rule::error(Match::action("GetAccountPasswordPolicy"), 403, "AccessDenied", "not authorized");
    let proxy = FaultProxy::start(&moto.endpoint, Faults::none(), Some(deny));
    let out = cli_with_endpoint(dir.path(), &proxy.endpoint, &["plan", "--out", "plan.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("could not be read (above): the plan is not saved to plan.json"), "{}", stderr(&out));
    assert!(!dir.path().join("plan.json").exists());

    let out = moto.cli(dir.path(), &["plan", "--out", "plan.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = cli_with_endpoint(dir.path(), &proxy.endpoint, &["apply", "plan.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the account of the saved plan could not be read again in full (above); nothing was changed"),
        "{err}"
    );
    let written: Vec<_> = proxy.passed().iter().filter_map(crate::wire::write_of).collect();
    assert!(written.is_empty(), "nothing is written: {written:?}");
}

#[test]
fn a_saved_plan_needs_the_same_configuration_and_applies_only_where_it_was_made() {
    let (moto, dir) = two_region_setup();
    let target = format!("{ACCOUNT}/{REGION}/sns");
    let out = moto.cli(dir.path(), &["plan", "--target", &target, "--out", "topics.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Options that would change where it applies are refused.
    for flag in [&["--regions", "us-east-1"][..], &["--target", "x"], &["--shard", "1/2"]] {
        let mut args = vec!["apply", "topics.json"];
        args.extend_from_slice(flag);
        let out = moto.cli(dir.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{flag:?}");
        assert!(stderr(&out).contains(&format!("{} cannot be used with a saved plan", flag[0])), "{}", stderr(&out));
    }

    // baseline.toml edited since: refused, naming both digests.
    let config = dir.path().join("baseline.toml");
    let original = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{original}\n# edited\n")).unwrap();
    let out = moto.cli(dir.path(), &["apply", "topics.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("baseline.toml has changed since the plan was made"), "{}", stderr(&out));
    std::fs::write(&config, original).unwrap();

    // Untouched: only the targeted changes (and what they need) are applied; the rest stays pending.
    let out = moto.cli(dir.path(), &["apply", "topics.json", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(writes(&out) > 0);
    let out = moto.cli(dir.path(), &["plan", "--json"]);
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let pending: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "create" || c["action"] == "update")
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert!(!pending.is_empty() && pending.iter().all(|a| !a.starts_with(&target)), "{pending:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organization_plan_saved_and_applied_covers_every_account_it_listed() {
    let moto = crate::harness::Moto::start();
    let (_org, members) = organization(&moto, 2).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), baseline_toml(&members[0])).unwrap();

    let out = moto.cli(dir.path(), &["plan", "--out", "org.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("org.json")).unwrap();
    let accounts: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["account"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(accounts.len(), 3, "one line per account: {text}");

    let out = moto.cli(dir.path(), &["apply", "org.json", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let applied = stdout(&out).lines().filter(|l| l.contains("\"status\":\"applied\"")).count();
    assert_eq!(applied, 3, "{}", stdout(&out));
    let out = moto.cli(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}
