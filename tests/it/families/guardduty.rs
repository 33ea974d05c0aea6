//! GuardDuty: against the emulator, a detector in every managed region with its findings routed to the
//! security topic (the home region directly, other regions through the forwarding role), a suspended detector
//! of someone else's adopted and enabled again, protection plans turned on and repaired, convergence and no
//! write on a second apply. With mocked
//! clients, what the emulator lacks: the organization's delegated administrator and members' auto-enable, and a
//! member whose administrator sets the frequency.

use aws_sdk_guardduty::operation::describe_organization_configuration::{
    DescribeOrganizationConfigurationError, DescribeOrganizationConfigurationOutput,
};
use aws_sdk_guardduty::operation::enable_organization_admin_account::EnableOrganizationAdminAccountOutput;
use aws_sdk_guardduty::operation::get_administrator_account::GetAdministratorAccountOutput;
use aws_sdk_guardduty::operation::get_detector::GetDetectorOutput;
use aws_sdk_guardduty::operation::list_detectors::ListDetectorsOutput;
use aws_sdk_guardduty::operation::list_organization_admin_accounts::ListOrganizationAdminAccountsOutput;
use aws_sdk_guardduty::operation::update_organization_configuration::UpdateOrganizationConfigurationOutput;
use aws_sdk_guardduty::types::error::BadRequestException;
use aws_sdk_guardduty::types::{
    AdminAccount, AdminStatus, Administrator, AutoEnableMembers, DetectorFeature, DetectorFeatureConfiguration,
    DetectorFeatureConfigurationResult, DetectorFeatureResult, DetectorStatus, FeatureStatus,
    FindingPublishingFrequency, OrgFeature, OrgFeatureStatus, OrganizationFeatureConfiguration,
    OrganizationFeatureConfigurationResult,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;
use baseline::engine::{Action, NoticeLevel, NullSink};
use baseline::resources::{Operation, guardduty};

use crate::harness::*;

const OTHER_REGION: &str = "eu-west-1";

const BASELINE: &str = two_regions_with!(
    r#"
[notifications.security]
topic = "baseline-security-notifications"
emails = ["security@example.com"]

[guardduty]
finding_publishing_frequency = "FIFTEEN_MINUTES"
notify_severity = "medium"
features = ["S3_DATA_EVENTS", "RDS_LOGIN_EVENTS"]
"#
);

fn guardduty_client(sdk: &aws_config::SdkConfig, region: &str) -> aws_sdk_guardduty::Client {
    aws_sdk_guardduty::Client::from_conf(
        aws_sdk_guardduty::config::Builder::from(sdk).region(aws_config::Region::new(region.to_string())).build(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_detector_in_every_region_findings_routed_and_a_suspended_one_enabled_again() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), BASELINE).unwrap();
    let sdk = moto.sdk_config("test", "test").await;
    // Someone else's detector, suspended, in the other region: adopted, not duplicated.
    let other = guardduty_client(&sdk, OTHER_REGION);
    let theirs = other
        .create_detector()
        .enable(false)
        .finding_publishing_frequency(FindingPublishingFrequency::OneHour)
        .send()
        .await
        .unwrap()
        .detector_id()
        .unwrap()
        .to_string();
    let run = |args: &[&str]| moto.cli(dir.path(), args);

    let text = stdout(&run(&["plan", "-v"]));
    for line in [
        format!("+ {ACCOUNT}/{REGION}/guardduty.detector/default"),
        format!("~ {ACCOUNT}/{OTHER_REGION}/guardduty.detector/default"),
        format!("+ {ACCOUNT}/{REGION}/events.rule/baseline-guardduty-findings"),
        format!("+ {ACCOUNT}/{OTHER_REGION}/events.target/baseline-guardduty-findings/baseline-security"),
        format!("+ {ACCOUNT}/global/iam.role/baseline-guardduty-events-forwarder"),
    ] {
        assert!(text.contains(&line), "{line}: {text}");
    }
    assert!(text.contains("detector is suspended: no finding is produced"), "{text}");
    assert!(text.contains("\"numeric\""), "the severity floor is in the pattern: {text}");

    let apply = run(&["apply", "--auto-approve"]);
    assert!(apply.status.success(), "{}\n{}", stdout(&apply), stderr(&apply));
    let clean = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let again = run(&["apply", "--auto-approve", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(report["api_calls"]["writes"], 0, "{report:#}");

    // The adopted detector is the only one there, enabled, at the baseline's frequency.
    let ids = other.list_detectors().send().await.unwrap().detector_ids().to_vec();
    assert_eq!(ids, std::slice::from_ref(&theirs));
    let detector = other.get_detector().detector_id(&theirs).send().await.unwrap();
    assert_eq!(detector.status(), Some(&DetectorStatus::Enabled));
    assert_eq!(detector.finding_publishing_frequency(), Some(&FindingPublishingFrequency::FifteenMinutes));
    let home = guardduty_client(&sdk, REGION);
    let home_id = home.list_detectors().send().await.unwrap().detector_ids()[0].clone();
    let home_detector = home.get_detector().detector_id(&home_id).send().await.unwrap();
    assert_eq!(home_detector.tags().and_then(|t| t.get("managed-by")).map(String::as_str), Some("baseline"));
    for id in [&theirs, &home_id] {
        let client = if *id == theirs { &other } else { &home };
        let features = plans_on(&client.get_detector().detector_id(id).send().await.unwrap());
        assert_eq!(features, ["RDS_LOGIN_EVENTS", "S3_DATA_EVENTS"], "both plans on in both regions");
    }

    // The findings rule: medium (4.0) and above, to the topic at home and to the home bus elsewhere.
    let events = aws_sdk_eventbridge::Client::from_conf(
        aws_sdk_eventbridge::config::Builder::from(&sdk).region(aws_config::Region::new(OTHER_REGION)).build(),
    );
    let rule = events.describe_rule().name("baseline-guardduty-findings").send().await.unwrap();
    let pattern: serde_json::Value = serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
    assert_eq!(pattern["detail"]["severity"], serde_json::json!([{ "numeric": [">=", 4] }]));
    let targets = events.list_targets_by_rule().rule("baseline-guardduty-findings").send().await.unwrap();
    assert_eq!(targets.targets()[0].arn(), format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"));
}

/// The protection plans a detector has on, by name.
fn plans_on(detector: &GetDetectorOutput) -> Vec<String> {
    let mut on: Vec<String> = detector
        .features()
        .iter()
        .filter(|f| f.status() == Some(&FeatureStatus::Enabled))
        .filter_map(|f| f.name().map(|n| n.as_str().to_string()))
        .collect();
    on.sort();
    on
}

fn plan(name: &str, status: FeatureStatus) -> DetectorFeatureConfiguration {
    DetectorFeatureConfiguration::builder().name(DetectorFeature::from(name)).status(status).build()
}

/// A protection plan turned off by hand is turned on again by one update that names only the baseline's plans,
/// each ENABLED: GuardDuty changes only the features an update names ("UpdateDetector", GuardDuty API
/// Reference), so a plan someone else turned on stays on. The emulator replaces the whole list instead, so what
/// the update leaves alone is checked on the wire.
#[tokio::test(flavor = "multi_thread")]
async fn a_protection_plan_turned_off_is_turned_on_and_no_other_plan_is_named() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), BASELINE).unwrap();
    let converged = moto.cli(dir.path(), &["apply", "--auto-approve"]);
    assert!(converged.status.success(), "{}", stderr(&converged));
    let home = guardduty_client(&moto.sdk_config("test", "test").await, REGION);
    let id = home.list_detectors().send().await.unwrap().detector_ids()[0].clone();
    home.update_detector()
        .detector_id(&id)
        .features(plan("S3_DATA_EVENTS", FeatureStatus::Disabled))
        .features(plan("RDS_LOGIN_EVENTS", FeatureStatus::Enabled))
        .features(plan("LAMBDA_NETWORK_LOGS", FeatureStatus::Enabled))
        .send()
        .await
        .unwrap();

    let proxy = crate::fault_proxy::FaultProxy::start(&moto.endpoint, crate::fault_proxy::Faults::none(), None);
    let run = |args: &[&str]| cli_with_endpoint(dir.path(), &proxy.endpoint, args);
    let planned = run(&["plan", "--json", "--detailed-exitcode"]);
    assert_eq!(planned.status.code(), Some(2), "{}", stderr(&planned));
    let planned: serde_json::Value = serde_json::from_str(&stdout(&planned)).unwrap();
    let at = format!("{ACCOUNT}/{REGION}/guardduty.detector/default");
    let change = planned["changes"].as_array().unwrap().iter().find(|c| c["address"] == at.as_str()).unwrap();
    assert_eq!(change["action"], "update", "{change:#}");
    assert_eq!(
        change["attributes"],
        serde_json::json!([{ "name": "features.S3_DATA_EVENTS", "before": "DISABLED", "after": "ENABLED" }]),
        "{change:#}"
    );
    assert!(run(&["apply", "--auto-approve"]).status.success());
    let updates: Vec<serde_json::Value> = proxy
        .passed()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(&format!("/detector/{id}")))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(updates.len(), 1, "one UpdateDetector: {updates:?}");
    assert_eq!(
        updates[0]["features"],
        serde_json::json!([
            { "name": "S3_DATA_EVENTS", "status": "ENABLED" },
            { "name": "RDS_LOGIN_EVENTS", "status": "ENABLED" }
        ]),
        "only the baseline's plans are named, none turned off"
    );
    let clean = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
}

/// A detector as GetDetector answers it.
fn detector(frequency: FindingPublishingFrequency) -> Rule {
    detector_with(frequency, &[])
}

/// A detector with these protection plans on.
fn detector_with(frequency: FindingPublishingFrequency, plans: &'static [DetectorFeatureResult]) -> Rule {
    mock!(aws_sdk_guardduty::Client::get_detector).then_output(move || {
        let on = |p: &DetectorFeatureResult| {
            DetectorFeatureConfigurationResult::builder().name(p.clone()).status(FeatureStatus::Enabled).build()
        };
        GetDetectorOutput::builder()
            .status(DetectorStatus::Enabled)
            .finding_publishing_frequency(frequency.clone())
            .set_features(Some(plans.iter().map(on).collect()))
            .service_role("arn:aws:iam::123456789012:role/aws-service-role/guardduty.amazonaws.com/x")
            .build()
    })
}

fn one_detector() -> Rule {
    mock!(aws_sdk_guardduty::Client::list_detectors)
        .then_output(|| ListDetectorsOutput::builder().detector_ids("d1").build())
}

/// The mocked account in `REGION`, with `management` as the organization's management account.
fn target(rules: &[&Rule], management: &str) -> baseline::Target {
    let guardduty = mock_client!(aws_sdk_guardduty, RuleMode::MatchAny, rules);
    let region = crate::mocked::idle_region(REGION).with(guardduty);
    baseline::Target {
        regions: vec![region],
        management_account: Some(management.into()),
        ..crate::mocked::idle_target()
    }
}

fn organization(admin: &str) -> baseline::config::Desired {
    desired(&format!(
        "[baseline]\nhome_region = \"us-east-1\"\n[s3]\naccount_public_access_block = false\n\
         [guardduty]\nnotify_severity = \"none\"\ndelegated_admin = \"{admin}\"\n[accounts]\norganization = true\n"
    ))
}

/// Every change that is not a no-op (pending writes and manual actions).
fn pending(plan: &baseline::resources::Plan) -> Vec<(String, Action)> {
    plan.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| (c.address.to_string(), c.action)).collect()
}

#[tokio::test]
async fn the_management_account_delegates_and_the_administrator_auto_enables_members() {
    // The management account (the mocked account itself): no administrator yet.
    let admins = mock!(aws_sdk_guardduty::Client::list_organization_admin_accounts)
        .then_output(|| ListOrganizationAdminAccountsOutput::builder().build());
    let enable = mock!(aws_sdk_guardduty::Client::enable_organization_admin_account)
        .match_requests(|r| r.admin_account_id() == Some("222222222222"))
        .then_output(|| EnableOrganizationAdminAccountOutput::builder().build());
    let freq = detector(FindingPublishingFrequency::FifteenMinutes);
    let target = target(&[&one_detector(), &freq, &admins, &enable], ACCOUNT);
    let desired = organization("222222222222");
    let plan = guardduty::plan(&desired, &target).await;
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    let address = format!("{ACCOUNT}/{REGION}/guardduty.organization_admin/default");
    assert_eq!(pending(&plan), [(address.clone(), Action::Create)]);
    let change = plan.pending().next().unwrap();
    let Some(Operation::GuardDuty(op)) = &change.operation else { panic!("{change:?}") };
    assert_eq!(enable.num_calls(), 0, "plan does not write");
    guardduty::execute(&target, op, &change.address, &NullSink).await.unwrap();
    assert_eq!(enable.num_calls(), 1, "delegated to 222222222222 (matched above)");

    // Another account already holds the delegation: reported, never replaced.
    let taken = mock!(aws_sdk_guardduty::Client::list_organization_admin_accounts).then_output(|| {
        ListOrganizationAdminAccountsOutput::builder()
            .admin_accounts(
                AdminAccount::builder().admin_account_id("333333333333").admin_status(AdminStatus::Enabled).build(),
            )
            .build()
    });
    let target = self::target(&[&one_detector(), &freq, &taken], ACCOUNT);
    let plan = guardduty::plan(&desired, &target).await;
    assert_eq!(pending(&plan), [(address, Action::Manual)]);
    let manual = plan.changes.iter().find(|c| c.action == Action::Manual).unwrap();
    assert!(manual.reason.contains("delegated to 333333333333"), "{}", manual.reason);

    // The delegated administrator (the mocked account): members enabled for new accounts only → all, and S3
    // Protection, which the baseline turns on, auto-enabled for members the same way; RDS Protection, which it
    // does not name, keeps its setting (not in the update).
    let described = mock!(aws_sdk_guardduty::Client::describe_organization_configuration).then_output(|| {
        let plan = |name: OrgFeature, auto: OrgFeatureStatus| {
            OrganizationFeatureConfigurationResult::builder().name(name).auto_enable(auto).build()
        };
        DescribeOrganizationConfigurationOutput::builder()
            .auto_enable_organization_members(AutoEnableMembers::New)
            .features(plan(OrgFeature::S3DataEvents, OrgFeatureStatus::None))
            .features(plan(OrgFeature::RdsLoginEvents, OrgFeatureStatus::New))
            .build()
    });
    let update = mock!(aws_sdk_guardduty::Client::update_organization_configuration)
        .match_requests(|r| {
            let s3 = OrganizationFeatureConfiguration::builder()
                .name(OrgFeature::S3DataEvents)
                .auto_enable(OrgFeatureStatus::All)
                .build();
            r.detector_id() == Some("d1")
                && r.auto_enable_organization_members() == Some(&AutoEnableMembers::All)
                && r.features() == [s3]
        })
        .then_output(|| UpdateOrganizationConfigurationOutput::builder().build());
    let s3_on = detector_with(FindingPublishingFrequency::FifteenMinutes, &[DetectorFeatureResult::S3DataEvents]);
    let target = self::target(&[&one_detector(), &s3_on, &described, &update], "111111111111");
    let with_s3 = crate::harness::desired(&format!(
        "[baseline]\nhome_region = \"us-east-1\"\n[s3]\naccount_public_access_block = false\n\
         [guardduty]\nnotify_severity = \"none\"\ndelegated_admin = \"{ACCOUNT}\"\nfeatures = [\"S3_DATA_EVENTS\"]\n\
         [accounts]\norganization = true\n"
    ));
    let plan = guardduty::plan(&with_s3, &target).await;
    let address = format!("{ACCOUNT}/{REGION}/guardduty.organization_configuration/default");
    assert_eq!(pending(&plan), [(address, Action::Update)]);
    let change = plan.pending().next().unwrap();
    let attributes: Vec<(&str, Option<&str>, Option<&str>)> =
        change.attributes.iter().map(|a| (a.name.as_str(), a.before.as_deref(), a.after.as_deref())).collect();
    assert_eq!(
        attributes,
        [
            ("auto_enable_organization_members", Some("NEW"), Some("ALL")),
            ("features.S3_DATA_EVENTS.auto_enable", Some("NONE"), Some("ALL")),
        ]
    );
    let Some(Operation::GuardDuty(op)) = &change.operation else { panic!("{change:?}") };
    guardduty::execute(&target, op, &change.address, &NullSink).await.unwrap();
    assert_eq!(update.num_calls(), 1, "ALL for detector d1 and S3 Protection only (matched above)");
}

/// Before the management account's run has delegated administration, GuardDuty answers the administrator's
/// DescribeOrganizationConfiguration with BadRequestException: planned, not an unreadable resource.
#[tokio::test]
async fn an_administrator_not_yet_delegated_plans_auto_enable_instead_of_failing() {
    let refused = mock!(aws_sdk_guardduty::Client::describe_organization_configuration).then_error(|| {
        DescribeOrganizationConfigurationError::BadRequestException(
            BadRequestException::builder()
                .message("The request is rejected because the current account is not the delegated administrator")
                .meta(ErrorMetadata::builder().code("BadRequestException").build())
                .build(),
        )
    });
    let freq = detector(FindingPublishingFrequency::FifteenMinutes);
    let target = target(&[&one_detector(), &freq, &refused], "111111111111");
    let plan = guardduty::plan(&organization(ACCOUNT), &target).await;
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    let change = plan.pending().next().unwrap();
    assert_eq!(change.action, Action::Create);
    assert!(change.reason.contains("not yet GuardDuty's delegated administrator"), "{}", change.reason);
}

/// GetAdministratorAccount of a member whose detector `account` administers.
fn administrator(account: &'static str) -> Rule {
    mock!(aws_sdk_guardduty::Client::get_administrator_account).then_output(move || {
        GetAdministratorAccountOutput::builder().administrator(Administrator::builder().account_id(account).build()).build()
    })
}

/// A member's detector publishes at its administrator's frequency ("Setting the frequency for updated
/// findings", GuardDuty User Guide: members inherit it): reported, not written.
#[tokio::test]
async fn a_members_frequency_set_by_its_administrator_is_reported_not_written() {
    let freq = detector(FindingPublishingFrequency::SixHours);
    let admin = administrator("222222222222");
    let target = target(&[&one_detector(), &freq, &admin], "111111111111");
    let desired = desired(
        "[baseline]\nhome_region = \"us-east-1\"\n[s3]\naccount_public_access_block = false\n\
         [guardduty]\nnotify_severity = \"none\"\n",
    );
    let plan = guardduty::plan(&desired, &target).await;
    assert!(pending(&plan).is_empty(), "{:?}", pending(&plan));
    let notice = plan.notices.iter().find(|n| n.address.kind == guardduty::DETECTOR).unwrap();
    assert_eq!(notice.level, NoticeLevel::Info);
    assert!(notice.message.contains("administrator account 222222222222"), "{}", notice.message);
}

/// A member's protection plans are its administrator's too: one the baseline wants that is off there is
/// reported, not written (the administrator's organization configuration sets members' plans).
#[tokio::test]
async fn a_members_protection_plan_set_by_its_administrator_is_reported_not_written() {
    let off = mock!(aws_sdk_guardduty::Client::get_detector).then_output(|| {
        let s3 = DetectorFeatureConfigurationResult::builder()
            .name(DetectorFeatureResult::S3DataEvents)
            .status(FeatureStatus::Disabled)
            .build();
        GetDetectorOutput::builder()
            .status(DetectorStatus::Enabled)
            .finding_publishing_frequency(FindingPublishingFrequency::FifteenMinutes)
            .features(s3)
            .service_role("arn:aws:iam::123456789012:role/aws-service-role/guardduty.amazonaws.com/x")
            .build()
    });
    let admin = administrator("222222222222");
    let target = target(&[&one_detector(), &off, &admin], "111111111111");
    let desired = desired(
        "[baseline]\nhome_region = \"us-east-1\"\n[s3]\naccount_public_access_block = false\n\
         [guardduty]\nnotify_severity = \"none\"\nfeatures = [\"S3_DATA_EVENTS\"]\n",
    );
    let plan = guardduty::plan(&desired, &target).await;
    assert!(pending(&plan).is_empty(), "{:?}", pending(&plan));
    let notice = plan.notices.iter().find(|n| n.address.kind == guardduty::DETECTOR).unwrap();
    assert!(
        notice.message.contains("protection plan S3_DATA_EVENTS is DISABLED as GuardDuty administrator account 222222222222"),
        "{}",
        notice.message
    );
}

/// RDS Protection is not offered in ap-east-2 ("Region-specific feature availability", GuardDuty User Guide):
/// a detector there is made without it, with a status line saying so; elsewhere the plan is turned on.
#[test]
fn a_protection_plan_a_region_does_not_offer_is_left_out_there() {
    let desired = crate::harness::desired(
        "[baseline]\nhome_region = \"us-east-1\"\n[s3]\naccount_public_access_block = false\n\
         [guardduty]\nnotify_severity = \"none\"\nfeatures = [\"S3_DATA_EVENTS\", \"RDS_LOGIN_EVENTS\"]\n",
    );
    let spec = desired.families.guardduty.as_ref().unwrap();
    let scope = baseline::Scope { account_id: ACCOUNT.into(), partition: "aws".into(), home_region: REGION.into() };
    let forwarder = baseline::engine::Address::new(ACCOUNT, "global", "iam.role", "unused");
    for (region, expected) in
        [("ap-east-2", &["S3_DATA_EVENTS"][..]), (OTHER_REGION, &["S3_DATA_EVENTS", "RDS_LOGIN_EVENTS"][..])]
    {
        let plans = guardduty::offered(&spec.features, region);
        let want = guardduty::Want { desired: &desired, spec, region, forwarder: &forwarder, notify: None, plans };
        let plan = guardduty::diff_region(&scope, &want, &guardduty::RegionState::default());
        let detector = plan.changes.iter().find(|c| c.address.kind == guardduty::DETECTOR).unwrap();
        let named: Vec<&str> = detector.attributes.iter().filter_map(|a| a.name.strip_prefix("features.")).collect();
        assert_eq!(named, expected, "{region}");
        let said = plan.notices.iter().any(|n| n.message.contains("RDS_LOGIN_EVENTS is not offered in ap-east-2"));
        assert_eq!(said, region == "ap-east-2", "{:?}", plan.notices);
    }
}
