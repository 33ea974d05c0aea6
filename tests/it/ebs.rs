//! EBS encryption by default: a regional family on its own (no `[config]`) still plans every managed region;
//! apply turns the setting on, the next plan is clean, a second apply writes nothing, and turning it off by
//! hand in one region is planned there alone and repaired.

use crate::harness::*;

const OTHER_REGION: &str = "eu-west-1";
const KIND: &str = "ec2.ebs_encryption_by_default";

const BASELINE: &str = two_regions_with!(
    r#"
[ebs]
encryption_by_default = true
"#
);

fn encrypted_by_default(moto: &Moto, region: &str) -> bool {
    let (status, body) = ec2_query(&moto.endpoint, region, "GetEbsEncryptionByDefault");
    assert_eq!(status, 200, "{body}");
    body.contains("<ebsEncryptionByDefault>true</ebsEncryptionByDefault>")
}

#[test]
fn turned_on_in_every_region_kept_on_and_repaired_where_turned_off() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), BASELINE).unwrap();
    let run = |args: &[&str]| moto.cli(dir.path(), args);

    let plan = run(&["plan"]);
    let text = stdout(&plan);
    for region in [REGION, OTHER_REGION] {
        assert!(text.contains(&format!("{ACCOUNT}/{region}/{KIND}/default")), "{text}");
        assert!(!encrypted_by_default(&moto, region), "plan must not write");
    }
    assert!(text.contains("Plan: 0 to create, 2 to update"), "{text}");
    assert!(text.contains("ebs_encryption_by_default"), "{text}");

    let apply = run(&["apply", "--auto-approve"]);
    assert!(apply.status.success(), "{}\n{}", stdout(&apply), stderr(&apply));
    assert!(encrypted_by_default(&moto, REGION) && encrypted_by_default(&moto, OTHER_REGION));
    let clean = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let again = run(&["apply", "--auto-approve", "--json"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let report: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(report["api_calls"]["writes"], 0, "{report:#}");

    // Turned off by hand in one region: planned there alone, and repaired.
    let (status, body) = ec2_query(&moto.endpoint, OTHER_REGION, "DisableEbsEncryptionByDefault");
    assert_eq!(status, 200, "{body}");
    let drift = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(drift.status.code(), Some(2), "{}", stdout(&drift));
    let text = stdout(&drift);
    assert!(text.contains(&format!("{ACCOUNT}/{OTHER_REGION}/{KIND}/default")), "{text}");
    assert!(!text.contains(&format!("{ACCOUNT}/{REGION}/{KIND}/default")), "{text}");
    assert!(run(&["apply", "--auto-approve"]).status.success());
    assert!(encrypted_by_default(&moto, OTHER_REGION));
    assert_eq!(run(&["plan", "--detailed-exitcode"]).status.code(), Some(0));
}

/// A region baseline.toml lists that the account does not have enabled (here: another partition's) is skipped
/// with one warning, also when no `[config]` section would report it.
#[test]
fn a_region_that_is_not_enabled_is_named_once() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let config =
        BASELINE.replace(r#"regions = ["us-east-1", "eu-west-1"]"#, r#"regions = ["us-east-1", "cn-north-1"]"#);
    std::fs::write(dir.path().join("baseline.toml"), config).unwrap();
    let plan = moto.cli(dir.path(), &["plan"]);
    let text = stdout(&plan);
    assert!(plan.status.success(), "{text}{}", stderr(&plan));
    let warning = format!("{ACCOUNT}/cn-north-1/region/*: region cn-north-1 is not enabled for this account");
    assert_eq!(text.matches(&warning).count(), 1, "{text}");
    assert!(text.contains("Plan: 0 to create, 1 to update"), "{text}");
}
