//! AWS Config aggregator, against the emulator: the account's aggregator of every region created in the home
//! region, someone else's aggregator left alone, a source narrowed by hand (other accounts, one region) put back
//! by one apply, no write on a second apply; in an organization run, the organization aggregator and its role
//! made only in the account named to hold it.

use aws_sdk_config::types::AccountAggregationSource;
use baseline::engine::{Action, NullSink};

use crate::harness::*;

const KIND: &str = "config.aggregator";
const NAME: &str = "baseline-config-aggregator";
const FOREIGN: &str = "someone-elses-aggregator";

const BASELINE: &str = two_regions_with!(
    r#"
[config_aggregator]
"#
);

async fn config(moto: &Moto) -> aws_sdk_config::Client {
    aws_sdk_config::Client::new(&moto.sdk_config("test", "test").await)
}

/// Puts an aggregator as someone would by hand: these accounts, these regions (none: all regions).
async fn put(config: &aws_sdk_config::Client, name: &str, accounts: &[&str], regions: &[&str]) {
    let source = AccountAggregationSource::builder()
        .set_account_ids(Some(accounts.iter().map(|a| a.to_string()).collect()))
        .set_aws_regions((!regions.is_empty()).then(|| regions.iter().map(|r| r.to_string()).collect()))
        .all_aws_regions(regions.is_empty())
        .build()
        .unwrap();
    config
        .put_configuration_aggregator()
        .configuration_aggregator_name(name)
        .account_aggregation_sources(source)
        .send()
        .await
        .unwrap();
}

/// The aggregator's accounts, regions and whether it covers all regions.
async fn source(config: &aws_sdk_config::Client, name: &str) -> (Vec<String>, Vec<String>, bool) {
    let out = config.describe_configuration_aggregators().configuration_aggregator_names(name).send().await.unwrap();
    let aggregator = &out.configuration_aggregators()[0];
    let source = &aggregator.account_aggregation_sources()[0];
    (source.account_ids().to_vec(), source.aws_regions().to_vec(), source.all_aws_regions())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_accounts_aggregator_is_made_kept_and_put_back_and_someone_elses_survives() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), BASELINE).unwrap();
    let run = |args: &[&str]| moto.cli(dir.path(), args);
    let config = config(&moto).await;
    put(&config, FOREIGN, &["210987654321"], &["eu-west-1"]).await;

    let plan = run(&["plan"]);
    let text = stdout(&plan);
    assert!(text.contains(&format!("+ {ACCOUNT}/{REGION}/{KIND}/{NAME}")), "{text}");
    assert!(text.contains("Plan: 1 to create, 0 to update"), "{text}");
    assert!(!text.contains(FOREIGN), "someone else's aggregator is not baseline's business: {text}");

    let apply = run(&["apply", "--auto-approve"]);
    assert!(apply.status.success(), "{}\n{}", stdout(&apply), stderr(&apply));
    assert_eq!(source(&config, NAME).await, (vec![ACCOUNT.to_string()], vec![], true));
    let out = config.describe_configuration_aggregators().configuration_aggregator_names(NAME).send().await.unwrap();
    let arn = out.configuration_aggregators()[0].configuration_aggregator_arn().unwrap().to_string();
    let tags = config.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    assert!(tags.tags().iter().any(|t| t.key() == Some("managed-by") && t.value() == Some("baseline")), "{tags:?}");
    let clean = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let again = run(&["apply", "--auto-approve", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(report["api_calls"]["writes"], 0, "{report:#}");

    // Narrowed by hand: another account added, one region instead of all.
    put(&config, NAME, &[ACCOUNT, "210987654321"], &["us-east-1"]).await;
    let drift = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(drift.status.code(), Some(2), "{}", stdout(&drift));
    let text = stdout(&drift);
    assert!(text.contains(&format!("~ {ACCOUNT}/{REGION}/{KIND}/{NAME}")), "{text}");
    assert!(text.contains("source") && text.contains("all_regions"), "{text}");
    let repair = run(&["apply", "--auto-approve"]);
    assert!(repair.status.success(), "{}\n{}", stdout(&repair), stderr(&repair));
    assert_eq!(source(&config, NAME).await, (vec![ACCOUNT.to_string()], vec![], true));
    let clean = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let foreign = source(&config, FOREIGN).await;
    assert_eq!(foreign, (vec!["210987654321".to_string()], vec!["eu-west-1".to_string()], false));
}

/// An organization run: the account named in `organization_account` gets the role (trusting AWS Config, with
/// AWSConfigRoleForOrganizations) and an organization aggregator of all regions; any other account none.
#[tokio::test(flavor = "multi_thread")]
async fn in_an_organization_only_the_named_account_holds_the_organization_aggregator() {
    let moto = Moto::start();
    let session = moto.session().await;
    let holder = desired(&format!("{BASELINE}organization_account = \"{ACCOUNT}\"\n"));
    let mut target = target(&session, &holder).await;
    target.management_account = Some(ACCOUNT.into());

    let plan = baseline::plan(&holder, &target).await;
    let pending: Vec<(String, Action)> =
        plan.pending().map(|c| (format!("{}/{}", c.address.kind, c.address.name), c.action)).collect();
    let role = "iam.role/baseline-config-aggregator".to_string();
    assert_eq!(pending, [(role, Action::Create), (format!("{KIND}/{NAME}"), Action::Create)]);
    let aggregator = plan.pending().find(|c| c.address.kind == KIND).unwrap();
    assert!(aggregator.depends_on.iter().any(|d| d.kind == "iam.role"), "the aggregator waits for its role");
    session.guard.allow_writes();
    let report = baseline::apply(&plan, &target, &NullSink).await;
    assert!(report.succeeded(), "{report:?}");

    let iam = aws_sdk_iam::Client::new(&moto.sdk_config("test", "test").await);
    let attached = iam.list_attached_role_policies().role_name("baseline-config-aggregator").send().await.unwrap();
    let names: Vec<&str> = attached.attached_policies().iter().filter_map(|p| p.policy_name()).collect();
    assert_eq!(names, ["AWSConfigRoleForOrganizations"]);
    let config = config(&moto).await;
    let out = config.describe_configuration_aggregators().configuration_aggregator_names(NAME).send().await.unwrap();
    let organization = out.configuration_aggregators()[0].organization_aggregation_source().unwrap();
    assert_eq!(organization.role_arn(), format!("arn:aws:iam::{ACCOUNT}:role/baseline-config-aggregator"));
    assert!(organization.all_aws_regions());
    let again = baseline::plan(&holder, &target).await;
    assert!(!again.has_pending(), "{:?}", again.pending().map(|c| c.address.to_string()).collect::<Vec<_>>());

    // Another account of the organization: nothing of this family.
    let member = desired(&format!("{BASELINE}organization_account = \"222222222222\"\n"));
    let plan = baseline::plan(&member, &target).await;
    assert!(plan.changes.iter().all(|c| c.address.kind != KIND && c.address.kind != "iam.role"), "{plan:?}");
}
