//! Organization runs against the emulator: an organization with member accounts reached by assuming
//! `OrganizationAccountAccessRole`, a central log archive account, shards, and an account that cannot be
//! reached.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use aws_sdk_sts::config::Credentials;
use serde_json::Value;

use crate::fault_proxy::{FaultProxy, Faults, Match, Rule};
use crate::harness::{ACCOUNT, Moto, REGION, desired, moto_api, stderr};

/// Creates the organization (the emulator's default account is the management account) and `n` members.
pub(crate) async fn organization(moto: &Moto, n: usize) -> (aws_sdk_organizations::Client, Vec<String>) {
    let org = aws_sdk_organizations::Client::new(&moto.sdk_config("test", "test").await);
    org.create_organization().send().await.unwrap();
    let mut members = Vec::new();
    for i in 0..n {
        members.push(add_account(&org, &format!("member-{i}")).await);
    }
    (org, members)
}

async fn add_account(org: &aws_sdk_organizations::Client, name: &str) -> String {
    let out = org.create_account().account_name(name).email(format!("{name}@example.com")).send().await.unwrap();
    out.create_account_status().unwrap().account_id().unwrap().to_string()
}

/// SDK configuration acting in a member account, the way an administrator would check it by hand.
pub(crate) async fn member_config(moto: &Moto, account: &str) -> aws_config::SdkConfig {
    member_config_at(moto, account, &moto.endpoint).await
}

/// The same, sending its requests to `endpoint` (a proxy in front of the emulator).
async fn member_config_at(moto: &Moto, account: &str, endpoint: &str) -> aws_config::SdkConfig {
    let sts = aws_sdk_sts::Client::new(&moto.sdk_config("test", "test").await);
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole"))
        .role_session_name("test")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "test",
        ))
        .http_client(baseline::aws::http_client())
        .load()
        .await
}

pub(crate) fn baseline_toml(archive: &str) -> String {
    format!(
        r#"
[baseline]
home_region = "us-east-1"
regions = ["us-east-1", "eu-west-1"]

[accounts]
organization = true

[contacts.security]
name = "Security team"
title = "Security distribution list"
email = "aws-security@example.com"
phone = "+1 206 555 0103"

[notifications.security]
topic = "security-notifications"
emails = ["aws-security@example.com"]

[log_archive]
bucket = "org-logs-{{account_id}}"
account_id = "{archive}"

[cloudtrail]

[config]
"#
    )
}

/// The JSON lines of an organization run: account records by id, and the closing summary.
fn records(out: &Output) -> (Vec<Value>, Value) {
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}\n{}", stderr(out))))
        .collect();
    let (summary, accounts): (Vec<Value>, Vec<Value>) = lines.into_iter().partition(|v| v["type"] == "summary");
    assert_eq!(summary.len(), 1, "one summary line");
    (accounts, summary.into_iter().next().unwrap())
}

fn status_of(accounts: &[Value]) -> Vec<(String, String)> {
    let mut s: Vec<(String, String)> = accounts
        .iter()
        .map(|a| (a["account"].as_str().unwrap().to_string(), a["status"].as_str().unwrap().to_string()))
        .collect();
    s.sort();
    s
}

fn ids(accounts: &[Value]) -> BTreeSet<String> {
    accounts.iter().map(|a| a["account"].as_str().unwrap().to_string()).collect()
}

fn run(moto: &Moto, dir: &Path, args: &[&str]) -> (Vec<Value>, Value, Output) {
    let out = moto.cli(dir, args);
    let (accounts, summary) = records(&out);
    (accounts, summary, out)
}

#[tokio::test(flavor = "multi_thread")]
async fn organization_converges_with_one_archive_and_picks_up_new_accounts() {
    let moto = Moto::start();
    let (org, members) = organization(&moto, 5).await;
    // Trusted access for Account Management: member contacts are set from the management account.
    org.enable_aws_service_access().service_principal("account.amazonaws.com").send().await.unwrap();
    let archive = members[0].clone();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), baseline_toml(&archive)).unwrap();
    let mut everyone: BTreeSet<String> = members.iter().cloned().collect();
    everyone.insert(ACCOUNT.to_string());

    // Plan: every account of the organization, each with changes; nothing written.
    let (accounts, summary, out) = run(&moto, dir.path(), &["plan", "--json", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(ids(&accounts), everyone);
    assert!(accounts.iter().all(|a| a["status"] == "changes"));
    assert_eq!(summary["api_calls"]["writes"], 0);
    // Accounts × regions: Config is planned in both regions of every account.
    for a in &accounts {
        let addresses: Vec<&str> =
            a["plan"]["changes"].as_array().unwrap().iter().map(|c| c["address"].as_str().unwrap()).collect();
        for region in ["us-east-1", "eu-west-1"] {
            let recorder = format!("{}/{region}/config.recorder/default", a["account"].as_str().unwrap());
            assert!(addresses.contains(&recorder.as_str()), "{recorder} planned");
        }
    }

    // Apply, then nothing is left to do and a second apply writes nothing.
    let (accounts, summary, out) = run(&moto, dir.path(), &["apply", "--auto-approve", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(accounts.iter().all(|a| a["status"] == "applied"), "{:?}", status_of(&accounts));
    assert!(summary["api_calls"]["writes"].as_u64().unwrap() > 0);
    let (accounts, _, out) = run(&moto, dir.path(), &["plan", "--json", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", status_of(&accounts));
    let (_, summary, out) = run(&moto, dir.path(), &["apply", "--auto-approve", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(summary["api_calls"]["writes"], 0, "a converged organization needs no write");
    // Without a terminal to confirm on, an apply with nothing to change needs no confirmation.
    let out = moto.cli(dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // The archive bucket lives in the archive account; its policy names exactly the organization's accounts.
    let bucket = format!("org-logs-{archive}");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&member_config(&moto, &archive).await).force_path_style(true).build(),
    );
    let policy = s3.get_bucket_policy().bucket(&bucket).send().await.unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statement = |sid: &str| {
        policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("{sid}"))
            .clone()
    };
    // It names the organization, not each account, so its size does not grow with the organization.
    let organization = org.describe_organization().send().await.unwrap();
    let organization_id = organization.organization().unwrap().id().unwrap().to_string();
    let write = statement("BaselineCloudTrailWrite");
    assert_eq!(write["Condition"]["StringEquals"]["aws:SourceOrgID"], organization_id.as_str());
    let trails = format!("arn:aws:cloudtrail:{REGION}:*:trail/baseline-trail");
    assert_eq!(write["Condition"]["ArnLike"]["aws:SourceArn"], serde_json::json!([trails]));
    assert_eq!(write["Resource"], serde_json::json!([format!("arn:aws:s3:::{bucket}/AWSLogs/*")]));
    let config = statement("BaselineConfigWrite");
    assert_eq!(config["Condition"]["StringEquals"]["aws:SourceOrgID"], organization_id.as_str());
    assert_eq!(config["Resource"], serde_json::json!([format!("arn:aws:s3:::{bucket}/AWSLogs/*/Config/*")]));
    assert!(!policy.to_string().contains(&members[1]), "no account is listed");

    // Each account's trail and Config channels deliver to the archive; contacts are set in every account.
    let management_account = aws_sdk_account::Client::new(&moto.sdk_config("test", "test").await);
    for account in &everyone {
        let conf = if account == ACCOUNT {
            moto.sdk_config("test", "test").await
        } else {
            member_config(&moto, account).await
        };
        let trails = aws_sdk_cloudtrail::Client::new(&conf).describe_trails().send().await.unwrap();
        let trails: Vec<_> = trails.trail_list().iter().filter(|t| t.home_region() == Some(REGION)).collect();
        assert_eq!(trails.len(), 1, "one trail in {account}");
        assert_eq!(trails[0].s3_bucket_name(), Some(bucket.as_str()));
        for region in ["us-east-1", "eu-west-1"] {
            let config = aws_sdk_config::Client::from_conf(
                aws_sdk_config::config::Builder::from(&conf).region(aws_config::Region::new(region)).build(),
            );
            let channels = config.describe_delivery_channels().send().await.unwrap();
            assert_eq!(channels.delivery_channels()[0].s3_bucket_name(), Some(bucket.as_str()), "{account} {region}");
        }
        let mut get = management_account
            .get_alternate_contact()
            .alternate_contact_type(aws_sdk_account::types::AlternateContactType::Security);
        if account != ACCOUNT {
            get = get.account_id(account);
        }
        let contact = get.send().await.unwrap();
        assert_eq!(contact.alternate_contact().unwrap().email_address(), Some("aws-security@example.com"));
    }

    // A new account joins: the next plan covers it; the archive's policy, which names the organization, stays.
    let newcomer = add_account(&org, "newcomer").await;
    let (accounts, _, out) = run(&moto, dir.path(), &["plan", "--json", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2));
    let changed: BTreeSet<String> = accounts
        .iter()
        .filter(|a| a["status"] == "changes")
        .map(|a| a["account"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(changed, BTreeSet::from([newcomer.clone()]));
    // With something to change, an apply without a terminal shows what it would do, then refuses to write.
    let out = moto.cli(dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("refusing to apply without confirmation"), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&newcomer), "the newcomer's plan is shown");
    let (accounts, _, _) = run(&moto, dir.path(), &["plan", "--json"]);
    assert_eq!(status_of(&accounts).iter().filter(|(_, s)| s == "changes").count(), 1, "nothing was written");
    let out = moto.cli(dir.path(), &["apply", "--auto-approve", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let (_, _, out) = run(&moto, dir.path(), &["plan", "--json", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "converged again with the newcomer");
    everyone.insert(newcomer);

    // Shards split the organization: every account in exactly one of them.
    let mut seen = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let (accounts, _, out) = run(&moto, dir.path(), &["plan", "--json", "--shard", &shard]);
        assert_eq!(out.status.code(), Some(0));
        seen.extend(ids(&accounts));
    }
    seen.sort();
    assert_eq!(seen, everyone.iter().cloned().collect::<Vec<_>>(), "each account in exactly one shard");

    // --accounts and --target narrow a run.
    let target = format!("{}/us-east-1/cloudtrail", members[2]);
    let (accounts, _, _) = run(&moto, dir.path(), &["plan", "--json", "--target", &target]);
    assert_eq!(ids(&accounts), BTreeSet::from([members[2].clone()]));
    let changes = accounts[0]["plan"]["changes"].as_array().unwrap();
    assert!(!changes.is_empty() && changes.iter().all(|c| c["address"].as_str().unwrap().starts_with(&target)));
    let out = moto.cli(dir.path(), &["plan", "--accounts", "999999999999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("999999999999"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_without_the_role_fails_alone() {
    let moto = Moto::start();
    let (_org, members) = organization(&moto, 5).await;
    let admin = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    })
    .to_string();
    // The emulator creates OrganizationAccountAccessRole (without permissions) in the accounts it creates: the
    // role gets administrator rights in every member but the last, whose role is deleted.
    let (with_role, without_role) = members.split_at(4);
    for account in with_role {
        let iam = aws_sdk_iam::Client::new(&member_config(&moto, account).await);
        iam.put_role_policy()
            .role_name("OrganizationAccountAccessRole")
            .policy_name("admin")
            .policy_document(&admin)
            .send()
            .await
            .unwrap();
    }
    let iam = aws_sdk_iam::Client::new(&member_config(&moto, &without_role[0]).await);
    iam.delete_role().role_name("OrganizationAccountAccessRole").send().await.unwrap();
    let iam = aws_sdk_iam::Client::new(&moto.sdk_config("test", "test").await);
    iam.create_user().user_name("baseline-runner").send().await.unwrap();
    // The runner may not assume the role of member 3 (as when its trust policy does not name the caller).
    let runner = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sts:AssumeRole",
             "Resource": format!("arn:aws:iam::{}:role/OrganizationAccountAccessRole", members[3])}
        ]
    })
    .to_string();
    iam.put_user_policy()
        .user_name("baseline-runner")
        .policy_name("runner")
        .policy_document(&runner)
        .send()
        .await
        .unwrap();
    let key = iam.create_access_key().user_name("baseline-runner").send().await.unwrap();
    let key = key.access_key().unwrap();
    // From now on the emulator checks every request against IAM, as AWS does.
    moto_api(&moto.endpoint, "/moto-api/reset-auth", "0");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), baseline_toml(&members[0])).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baseline"))
        .current_dir(dir.path())
        .args(["--endpoint-url", &moto.endpoint, "--color", "never", "plan", "--json"])
        .env_clear()
        .env("HOME", dir.path())
        .env("AWS_ACCESS_KEY_ID", key.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", key.secret_access_key())
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the run reports the failure: {}", stderr(&out));
    let (accounts, summary) = records(&out);
    assert_eq!(accounts.len(), 6, "every account is reported");
    for a in &accounts {
        let id = a["account"].as_str().unwrap();
        let error = a["error"].as_str().unwrap_or_default();
        if id == members[3] {
            // Refused AssumeRole: the role is named, with what to do.
            assert_eq!(a["status"], "failed");
            assert!(
                error.contains(&format!("cannot assume arn:aws:iam::{id}:role/OrganizationAccountAccessRole")),
                "{a}"
            );
            assert!(error.contains("sts:AssumeRole") && error.contains("hint: the role is missing"), "{a}");
        } else if id == without_role[0] {
            // AWS refuses AssumeRole for a missing role; the emulator grants it and fails the account's first
            // call instead. Either way the account fails on its own.
            assert_eq!(a["status"], "failed");
            assert!(!error.is_empty(), "{a}");
        } else {
            assert_eq!(a["status"], "changes", "{id} completes: {a}");
        }
    }
    let failed: BTreeSet<&str> =
        summary["failed_accounts"].as_array().unwrap().iter().map(|f| f["account"].as_str().unwrap()).collect();
    assert_eq!(failed, BTreeSet::from([members[3].as_str(), without_role[0].as_str()]));
}

/// Keeps every account's report.
#[derive(Default)]
struct Collect(std::sync::Mutex<Vec<baseline::fleet::AccountReport>>);

impl baseline::fleet::FleetSink for Collect {
    fn stage(&self, _account: &str, _stage: baseline::fleet::Stage) {}
    fn done(&self, report: baseline::fleet::AccountReport) {
        self.0.lock().unwrap().push(report);
    }
}

/// Run from the delegated administrator for Account Management: members' contacts go through `AccountId`,
/// but AWS refuses `AccountId` naming the management account, so the management account's contacts are set
/// through its own role, without `AccountId`.
#[tokio::test(flavor = "multi_thread")]
async fn a_delegated_administrator_sets_the_management_accounts_contacts_through_its_role() {
    let moto = Moto::start();
    let (org, members) = organization(&moto, 2).await;
    org.enable_aws_service_access().service_principal("account.amazonaws.com").send().await.unwrap();
    let admin = members[0].clone();
    // The emulator creates OrganizationAccountAccessRole only in the accounts it creates: the management
    // account gets one trusting the administrator's account.
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{admin}:root")}, "Action": "sts:AssumeRole"}]
    });
    let iam = aws_sdk_iam::Client::new(&moto.sdk_config("test", "test").await);
    iam.create_role()
        .role_name("OrganizationAccountAccessRole")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap();
    // Strict layer: "The management account can't specify its own AccountId; it must call the operation in
    // standalone context by not including the AccountId parameter", and AccountId "must be a member account"
    // (AWS Account Management API reference, GetAlternateContact / PutAlternateContact, AccountId). The
    // emulator accepts any AccountId; the proxy refuses one naming the management account, as AWS does.
    let rule = Rule {
        when: Match {
            path_contains: Some("AlternateContact".into()),
            body_contains: vec![format!("\"AccountId\":\"{ACCOUNT}\"")],
            ..Match::default()
        },
        status: 403,
        code: Some("AccessDeniedException".into()),
        message: "AccountId must name a member account of the organization".into(),
    };
    let proxy = FaultProxy::start(&moto.endpoint, Faults::none(), Some(rule));
    let session = baseline::aws::Session::from_sdk_config(member_config_at(&moto, &admin, &proxy.endpoint).await);
    let desired = desired(&format!(
        r#"
[baseline]
home_region = "us-east-1"
[accounts]
ids = ["{ACCOUNT}", "{admin}", "{member}"]
[contacts.security]
name = "Security team"
title = "Security distribution list"
email = "aws-security@example.com"
phone = "+1 206 555 0103"
[s3]
account_public_access_block = false
"#,
        member = members[1]
    ));
    let mut discovery = baseline::fleet::discover(&session, &desired).await.unwrap();
    assert_eq!(discovery.caller.account_id, admin);
    assert_eq!(discovery.management_account.as_deref(), Some(ACCOUNT));
    // AWS lists the caller as Account Management's delegated administrator (ListDelegatedAdministrators, read
    // to its last page: see mocked.rs); the emulator cannot register one for account.amazonaws.com.
    discovery.contacts_from_caller = true;
    let filters = baseline::fleet::Filters::default();
    let fleet = baseline::fleet::Fleet::new(&session, &desired, &discovery, &filters, 3);

    let planned = Collect::default();
    fleet.plan(&discovery.members, &planned).await;
    for report in planned.0.lock().unwrap().iter() {
        let plan = report.plan().unwrap_or_else(|| panic!("{} unreachable: {:?}", report.member.id, report.outcome));
        assert!(plan.errors.is_empty(), "{}: {:?}", report.member.id, plan.errors);
        let contact = format!("{}/global/account.alternate_contact/security", report.member.id);
        let change = plan.changes.iter().find(|c| c.address.to_string() == contact).expect("the contact is planned");
        assert_eq!(change.action, baseline::engine::Action::Create);
    }
    session.guard.allow_writes();
    let applied = Collect::default();
    fleet.apply(&discovery.members, &applied).await;
    let applied = applied.0.into_inner().unwrap();
    assert_eq!(applied.len(), 3);
    assert!(applied.iter().all(|r| !r.failed()), "{applied:?}");
    assert_eq!(proxy.stats().permanent, 0, "no request named the management account in AccountId");

    // Each account's own contact is set: the management account's read by itself, the others' through it.
    let account = aws_sdk_account::Client::new(&moto.sdk_config("test", "test").await);
    for id in [ACCOUNT, admin.as_str(), members[1].as_str()] {
        let get = account
            .get_alternate_contact()
            .alternate_contact_type(aws_sdk_account::types::AlternateContactType::Security);
        let get = if id == ACCOUNT { get } else { get.account_id(id) };
        let contact = get.send().await.unwrap_or_else(|e| panic!("{id}: {e:?}"));
        assert_eq!(contact.alternate_contact().unwrap().email_address(), Some("aws-security@example.com"), "{id}");
    }
}
