//! AWS Config in accounts a landing zone already governs. The emulator knows no service control policies, so
//! the test proxy answers as AWS does under them: AWS Control Tower's recorder and delivery channel are adopted
//! as they are and never written (its guardrail denies every write), and a region a service control policy
//! denies is skipped with a warning while the rest of the run converges.

use std::path::Path;

use aws_sdk_config::types::{
    ConfigurationRecorder, DeliveryChannel, ExclusionByResourceTypes, RecordingGroup, RecordingStrategy,
    RecordingStrategyType, ResourceType,
};
use serde_json::Value;

use crate::fault_proxy::{FaultProxy, Faults, Match, Rule};
use crate::harness::*;

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const CT_RECORDER: &str = "aws-controltower-BaselineConfigRecorder";
const CT_CHANNEL: &str = "aws-controltower-BaselineConfigDeliveryChannel";
const CT_ROLE: &str = "arn:aws:iam::123456789012:role/aws-controltower-ConfigRecorderRole";
/// The Log Archive account's bucket, and the Audit account's topic.
const CT_BUCKET: &str = "aws-controltower-logs-222222222222-us-east-1";
const CT_TOPIC: &str = "arn:aws:sns:us-east-1:333333333333:aws-controltower-AllConfigNotifications";

/// What AWS answers a call that a service control policy denies: AccessDeniedException whose message ends
/// "with an explicit deny in a service control policy" (IAM User Guide, "Troubleshoot access denied error
/// messages", https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
fn denied_by_scp(when: Match, action: &str) -> Rule {
    Rule {
        when,
        status: 400,
        code: Some("AccessDeniedException".into()),
        message: format!(
            "User: arn:aws:iam::{ACCOUNT}:user/test is not authorized to perform: {action} with an explicit deny in \
             a service control policy"
        ),
    }
}

/// The AWS Config writes Control Tower's SCPs deny on its recorder and channel.
pub(crate) const CONTROL_TOWER_GUARDED: [&str; 6] = [
    "PutConfigurationRecorder",
    "PutDeliveryChannel",
    "StartConfigurationRecorder",
    "StopConfigurationRecorder",
    "DeleteConfigurationRecorder",
    "DeleteDeliveryChannel",
];

/// AWS Control Tower's mandatory control "Disallow Configuration Changes to AWS Config"
/// (AWS-GR_CONFIG_CHANGE_PROHIBITED; AWS Control Tower User Guide, "Mandatory controls",
/// https://docs.aws.amazon.com/controltower/latest/userguide/mandatory-controls.html): an SCP denying the writes
/// to the Config recorder and delivery channel to every principal but `AWSControlTowerExecution`. (It names no
/// resource; in a governed account Control Tower's are the only recorder and channel.) One proxy per denied
/// operation, chained in front of the emulator: the last one is the endpoint.
fn control_tower_guardrail(upstream: &str) -> Vec<FaultProxy> {
    let mut chain: Vec<FaultProxy> = Vec::new();
    for operation in CONTROL_TOWER_GUARDED {
        let when = Match::target(operation).with_body("\"aws-controltower-");
        let rule = denied_by_scp(when, &format!("config:{operation}"));
        let next = chain.last().map_or(upstream, |p| p.endpoint.as_str()).to_string();
        chain.push(FaultProxy::start(&next, Faults::none(), Some(rule)));
    }
    chain
}

async fn config_client(moto: &Moto, region: &str) -> aws_sdk_config::Client {
    let sdk = moto.sdk_config("test", "test").await;
    aws_sdk_config::Client::from_conf(
        aws_sdk_config::config::Builder::from(&sdk).region(aws_config::Region::new(region.to_string())).build(),
    )
}

/// Control Tower's recording group: everything but IAM users.
pub(crate) fn control_tower_recording_group() -> RecordingGroup {
    let excluded = ExclusionByResourceTypes::builder().resource_types(ResourceType::from("AWS::IAM::User")).build();
    let strategy = RecordingStrategy::builder().use_only(RecordingStrategyType::ExclusionByResourceTypes).build();
    RecordingGroup::builder()
        .all_supported(false)
        .include_global_resource_types(false)
        .exclusion_by_resource_types(excluded)
        .recording_strategy(strategy)
        .build()
}

/// What Control Tower sets up in a governed region: its recorder with its own role, IAM users left out, and a
/// channel to the Log Archive account's bucket and the Audit account's topic; recording.
async fn control_tower_config(moto: &Moto, region: &str) {
    let config = config_client(moto, region).await;
    let group = control_tower_recording_group();
    let recorder = ConfigurationRecorder::builder().name(CT_RECORDER).role_arn(CT_ROLE).recording_group(group).build();
    config.put_configuration_recorder().configuration_recorder(recorder).send().await.unwrap();
    let channel = DeliveryChannel::builder()
        .name(CT_CHANNEL)
        .s3_bucket_name(CT_BUCKET)
        .s3_key_prefix("o-exampleorg1")
        .sns_topic_arn(CT_TOPIC)
        .build();
    config.put_delivery_channel().delivery_channel(channel).send().await.unwrap();
    config.start_configuration_recorder().configuration_recorder_name(CT_RECORDER).send().await.unwrap();
}

/// Every region's recorders, their status and channels, as the emulator has them.
async fn config_state(moto: &Moto) -> Vec<String> {
    let mut state = Vec::new();
    for region in REGIONS {
        let config = config_client(moto, region).await;
        let recorders = config.describe_configuration_recorders().send().await.unwrap();
        let status = config.describe_configuration_recorder_status().send().await.unwrap();
        let recording: Vec<(Option<&str>, bool)> =
            status.configuration_recorders_status().iter().map(|s| (s.name(), s.recording())).collect();
        let channels = config.describe_delivery_channels().send().await.unwrap();
        let (recorders, channels) = (recorders.configuration_recorders(), channels.delivery_channels());
        state.push(format!("{region}: {recorders:?} {recording:?} {channels:?}"));
    }
    state
}

fn json_plan(endpoint: &str, dir: &Path) -> (Option<i32>, Value) {
    let out = cli_with_endpoint(dir, endpoint, &["plan", "--detailed-exitcode", "--json"]);
    let plan = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code(), plan)
}

fn pending_addresses(plan: &Value) -> Vec<String> {
    let changes = plan["changes"].as_array().unwrap();
    let pending = changes.iter().filter(|c| c["action"] == "create" || c["action"] == "update");
    pending.map(|c| c["address"].as_str().unwrap().to_string()).collect()
}

fn notice<'a>(plan: &'a Value, address: &str) -> &'a Value {
    let notices = plan["notices"].as_array().unwrap();
    notices.iter().find(|n| n["address"] == address).unwrap_or_else(|| panic!("a notice at {address}: {plan}"))
}

/// Control Tower's recorder and channel differ from the baseline in role, recorded types, bucket, prefix and
/// topic: the plan names each difference and plans only the rules and their notification; apply succeeds without
/// a single denied write; the next plan is clean; the recorder and channel are as Control Tower left them. Even
/// `existing_recorder = "own"` leaves them alone.
#[tokio::test(flavor = "multi_thread")]
async fn control_tower_config_is_adopted_and_never_written() {
    let (moto, dir) = two_region_setup();
    for region in REGIONS {
        control_tower_config(&moto, region).await;
    }
    let before = config_state(&moto).await;
    let chain = control_tower_guardrail(&moto.endpoint);
    let endpoint = chain.last().unwrap().endpoint.clone();

    let (code, plan) = json_plan(&endpoint, dir.path());
    assert_eq!(code, Some(2), "{plan}");
    assert_eq!(plan["errors"], serde_json::json!([]), "{plan}");
    let config_family = ["config.", "events.", "iam.role/baseline-config", "iam.service_linked_role"];
    for address in pending_addresses(&plan) {
        let kind = address.splitn(3, '/').nth(2).unwrap();
        if config_family.iter().any(|k| kind.starts_with(k)) {
            let allowed =
                ["config.rule/", "events.rule/", "events.target/", "iam.role/baseline-config-events-forwarder"];
            assert!(allowed.iter().any(|k| kind.starts_with(k)), "only rules and their notification: {address}");
        }
    }
    for region in REGIONS {
        let recorder = notice(&plan, &format!("{ACCOUNT}/{region}/config.recorder/{CT_RECORDER}"));
        let message = recorder["message"].as_str().unwrap();
        assert_eq!(recorder["level"], "info", "{message}");
        for part in
            ["AWS Control Tower", "service control policy", "role_arn", "excluded_resource_types AWS::IAM::User"]
        {
            assert!(message.contains(part), "{part}: {message}");
        }
        let channel = notice(&plan, &format!("{ACCOUNT}/{region}/config.delivery_channel/{CT_CHANNEL}"));
        let message = channel["message"].as_str().unwrap();
        for part in [CT_BUCKET, "s3_key_prefix o-exampleorg1", CT_TOPIC] {
            assert!(message.contains(part), "{part}: {message}");
        }
    }

    let out = cli_with_endpoint(dir.path(), &endpoint, &["apply", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let (code, plan) = json_plan(&endpoint, dir.path());
    assert_eq!(code, Some(0), "converged: {:?}", pending_addresses(&plan));
    let denied: u64 = chain.iter().map(|p| p.stats().permanent).sum();
    assert_eq!(denied, 0, "no write to Control Tower's recorder or channel was even tried");
    assert_eq!(config_state(&moto).await, before, "recorder and channel as Control Tower left them");

    let owned = shipped_config_with(&two_region_config(), "existing_recorder = \"own\"");
    std::fs::write(dir.path().join("baseline.toml"), owned).unwrap();
    let (code, plan) = json_plan(&endpoint, dir.path());
    assert_eq!(code, Some(0), "still nothing to do: {:?}", pending_addresses(&plan));
    let recorder = notice(&plan, &format!("{ACCOUNT}/us-east-1/config.recorder/{CT_RECORDER}"));
    assert!(recorder["message"].as_str().unwrap().contains("even with existing_recorder = \"own\""), "{recorder}");
}

/// `[config]` of `config` with `line` added.
pub fn shipped_config_with(config: &str, line: &str) -> String {
    assert!(config.contains("\n[config]\n"));
    config.replacen("\n[config]\n", &format!("\n[config]\n{line}\n"), 1)
}

/// Control Tower's Region deny control (AWS-GR_REGION_DENY; AWS Control Tower User Guide, "Configure the Region
/// deny control", https://docs.aws.amazon.com/controltower/latest/userguide/region-deny.html) is a service
/// control policy denying every call in the regions it covers (AWS Organizations User Guide, "Example SCPs: Deny
/// access to AWS based on the requested AWS Region"), while DescribeRegions still lists them as enabled. Here every
/// request signed for eu-west-1 is denied so: the plan warns that the region is skipped, naming the SCP, and goes
/// on; apply converges; the next plan is clean. Each run makes one denied call there per regional family (its
/// first reads): AWS Config (one), EBS encryption by default (one), GuardDuty (one), Security Hub (two, the hub
/// and its standards read at once) and IAM Access Analyzer (one), each skipped there the same way (the last three
/// answer on REST-JSON: the denial comes in that protocol).
#[tokio::test(flavor = "multi_thread")]
async fn a_region_denied_by_a_service_control_policy_is_skipped_with_a_warning() {
    let (moto, dir) = two_region_setup();
    let region_deny = Match { region: Some("eu-west-1".into()), ..Match::default() };
    let proxy = FaultProxy::start(&moto.endpoint, Faults::none(), Some(denied_by_scp(region_deny, "config:*")));

    let out = cli_with_endpoint(dir.path(), &proxy.endpoint, &["plan", "--detailed-exitcode"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}{}", stderr(&out));
    let warning =
        format!("  - {ACCOUNT}/eu-west-1/config.recorder/*: region eu-west-1 skipped: a service control policy");
    let line = text.lines().find(|l| l.starts_with(&warning)).unwrap_or_else(|| panic!("{warning}: {text}"));
    assert!(line.contains("with an explicit deny in a service control policy"), "names the SCP error: {line}");
    assert!(!text.contains("Errors"), "{text}");
    assert!(!text.contains("baseline-config-events-forwarder"), "nothing to forward from a skipped region: {text}");
    assert!(text.contains(&format!("{ACCOUNT}/us-east-1/config.recorder/default")), "{text}");
    let ebs = format!("  - {ACCOUNT}/eu-west-1/ec2.ebs_encryption_by_default/default: region eu-west-1 skipped");
    assert!(text.lines().any(|l| l.starts_with(&ebs)), "{ebs}: {text}");
    let guardduty = format!("  - {ACCOUNT}/eu-west-1/guardduty.detector/default: region eu-west-1 skipped");
    assert!(text.lines().any(|l| l.starts_with(&guardduty)), "{guardduty}: {text}");
    assert!(!text.contains("baseline-guardduty-events-forwarder"), "nothing to forward: {text}");
    for kind in ["securityhub.hub/default", "accessanalyzer.analyzer/baseline-access-analyzer"] {
        let skipped = format!("  - {ACCOUNT}/eu-west-1/{kind}: region eu-west-1 skipped");
        assert!(text.lines().any(|l| l.starts_with(&skipped)), "{skipped}: {text}");
    }

    let out = cli_with_endpoint(dir.path(), &proxy.endpoint, &["apply", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("region eu-west-1 skipped"), "{}", stdout(&out));
    let out = cli_with_endpoint(dir.path(), &proxy.endpoint, &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("region eu-west-1 skipped"), "{}", stdout(&out));
    assert_eq!(proxy.stats().permanent, 18, "the first reads of each family, each run: {}", proxy.stats());

    let eu = config_client(&moto, "eu-west-1").await;
    assert!(eu.describe_configuration_recorders().send().await.unwrap().configuration_recorders().is_empty());
}
