//! AWS Config across regions against the emulator: created and converged in three regions, an existing
//! recorder adopted or repaired, each drift repaired, and an excluded region left untouched; the delivery
//! channel streams configuration changes to the security topic only when asked, and a topic the baseline drops
//! is removed (with AWS's PutDeliveryChannel semantics reproduced by a mocked client).

use std::sync::{Arc, Mutex};

use aws_sdk_config::operation::delete_delivery_channel::{DeleteDeliveryChannelError, DeleteDeliveryChannelOutput};
use aws_sdk_config::operation::put_delivery_channel::{PutDeliveryChannelError, PutDeliveryChannelOutput};
use aws_sdk_config::operation::start_configuration_recorder::StartConfigurationRecorderOutput;
use aws_sdk_config::operation::stop_configuration_recorder::StopConfigurationRecorderOutput;
use aws_sdk_config::types::error::{InvalidSnsTopicArnException, LastDeliveryChannelDeleteFailedException};
use aws_sdk_config::types::{ConfigurationRecorder, DeliveryChannel, RecordingGroup};
use aws_smithy_mocks::{MockResponse, RuleMode, mock, mock_client};
use baseline::engine::{Action, Address, GLOBAL, NullSink};
use baseline::resources::Operation;
use baseline::resources::Plan;
use baseline::resources::config_service::{self as config_service, Channel, Recorder, Refs, RegionState};
use baseline::target::RegionClients;

use crate::config_landing_zone::shipped_config_with;
use crate::drift::{apply, plan};
use crate::harness::*;

const REGIONS: &str = r#"regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"]
exclude_regions = ["sa-east-1"]"#;

fn config() -> String {
    shipped_config().replacen("regions = \"all-enabled\"\nexclude_regions = []", REGIONS, 1)
}

fn pending(plan: &Plan) -> Vec<(String, Action)> {
    plan.pending().map(|c| (c.address.to_string().replace("123456789012/", ""), c.action)).collect()
}

async fn client(moto: &Moto, region: &str) -> aws_sdk_config::Client {
    let sdk = moto.sdk_config("test", "test").await;
    aws_sdk_config::Client::from_conf(
        aws_sdk_config::config::Builder::from(&sdk).region(aws_config::Region::new(region.to_string())).build(),
    )
}

#[tokio::test]
async fn config_is_recorded_in_every_region_and_drift_is_repaired() {
    let moto = Moto::start();
    assert!(config().contains("exclude_regions = [\"sa-east-1\"]"));
    let eu = client(&moto, "eu-west-1").await;
    // A recorder someone created before baseline, with another name.
    let group = RecordingGroup::builder().all_supported(true).include_global_resource_types(true).build();
    let existing = ConfigurationRecorder::builder()
        .name("my-recorder")
        .role_arn("arn:aws:iam::123456789012:role/custom-config")
        .recording_group(group)
        .build();
    eu.put_configuration_recorder().configuration_recorder(existing).send().await.unwrap();

    // `existing_recorder = "own"`: the recorder someone else created is repaired (the default adopts it).
    let desired = desired(&shipped_config_with(&config(), "existing_recorder = \"own\""));
    let (before, _) = plan(&moto, &desired).await;
    let recorders: Vec<(String, Action)> =
        pending(&before).into_iter().filter(|(a, _)| a.contains("config.recorder/")).collect();
    assert_eq!(
        recorders,
        vec![
            ("ap-southeast-2/config.recorder/default".to_string(), Action::Create),
            ("eu-west-1/config.recorder/my-recorder".to_string(), Action::Update),
            ("us-east-1/config.recorder/default".to_string(), Action::Create),
        ],
        "the existing recorder is adopted, not duplicated"
    );
    assert!(before.changes.iter().all(|c| c.address.region != "sa-east-1"), "excluded region untouched");

    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (after, _) = plan(&moto, &desired).await;
    assert!(!after.has_pending(), "{:?}", pending(&after));
    let (again, counts) = apply(&moto, &desired).await;
    assert!(again.results.is_empty());
    assert_eq!(counts.writes, 0);

    // Independently: one recorder per region, recording, rules with 22 blocked, global types only at home.
    for region in ["us-east-1", "eu-west-1", "ap-southeast-2"] {
        let c = client(&moto, region).await;
        let recorders = c.describe_configuration_recorders().send().await.unwrap();
        assert_eq!(recorders.configuration_recorders().len(), 1, "{region}");
        let global = recorders.configuration_recorders()[0].recording_group().unwrap().include_global_resource_types();
        assert_eq!(global, region == "us-east-1", "{region}");
        let status = c.describe_configuration_recorder_status().send().await.unwrap();
        assert!(status.configuration_recorders_status()[0].recording(), "{region}");
        let rules = c.describe_config_rules().send().await.unwrap();
        let restricted = rules
            .config_rules()
            .iter()
            .find(|r| r.config_rule_name() == Some("baseline-restricted-incoming-traffic"))
            .unwrap();
        assert!(restricted.input_parameters().unwrap().contains("\"22\""), "{region}");
    }
    let sa = client(&moto, "sa-east-1").await;
    assert!(sa.describe_configuration_recorders().send().await.unwrap().configuration_recorders().is_empty());

    // Drift: recording stopped, delivery channel pointed elsewhere, a rule deleted, a rule's ports changed,
    // the EventBridge target removed.
    eu.stop_configuration_recorder().configuration_recorder_name("my-recorder").send().await.unwrap();
    let elsewhere = DeliveryChannel::builder().name("default").s3_bucket_name("someone-elses-bucket").build();
    eu.put_delivery_channel().delivery_channel(elsewhere).send().await.unwrap();
    let us = client(&moto, "us-east-1").await;
    us.delete_config_rule().config_rule_name("baseline-cloud-trail-enabled").send().await.unwrap();
    let rule = aws_sdk_config::types::ConfigRule::builder()
        .config_rule_name("baseline-restricted-incoming-traffic")
        .source(
            aws_sdk_config::types::Source::builder()
                .owner(aws_sdk_config::types::Owner::Aws)
                .source_identifier("RESTRICTED_INCOMING_TRAFFIC")
                .build()
                .unwrap(),
        )
        .input_parameters(r#"{"blockedPort1":"20","blockedPort2":"21","blockedPort3":"3389"}"#)
        .build();
    us.put_config_rule().config_rule(rule).send().await.unwrap();
    let sdk = moto.sdk_config("test", "test").await;
    let events = aws_sdk_eventbridge::Client::from_conf(
        aws_sdk_eventbridge::config::Builder::from(&sdk).region(aws_config::Region::new("ap-southeast-2")).build(),
    );
    events.remove_targets().rule("baseline-config-noncompliant").ids("baseline-security").send().await.unwrap();

    let (drifted, _) = plan(&moto, &desired).await;
    let mut found = pending(&drifted);
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let channel = drifted.pending().find(|c| c.address.kind == "config.delivery_channel").expect("channel drift");
    assert!(
        channel
            .attributes
            .iter()
            .any(|a| a.name == "s3_bucket_name" && a.before.as_deref() == Some("someone-elses-bucket"))
    );
    assert_eq!(
        found,
        vec![
            ("ap-southeast-2/events.target/baseline-config-noncompliant/baseline-security".to_string(), Action::Update),
            ("eu-west-1/config.delivery_channel/default".to_string(), Action::Update),
            ("eu-west-1/config.recording/my-recorder".to_string(), Action::Update),
            ("us-east-1/config.rule/baseline-cloud-trail-enabled".to_string(), Action::Create),
            ("us-east-1/config.rule/baseline-restricted-incoming-traffic".to_string(), Action::Update),
        ]
    );
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (repaired, _) = plan(&moto, &desired).await;
    assert!(!repaired.has_pending(), "{:?}", pending(&repaired));
}

async fn channel_topics(moto: &Moto) -> Vec<Option<String>> {
    let mut topics = Vec::new();
    for region in ["us-east-1", "eu-west-1"] {
        let channels = client(moto, region).await.describe_delivery_channels().send().await.unwrap();
        topics.push(channels.delivery_channels()[0].sns_topic_arn().map(str::to_string));
    }
    topics
}

/// With `stream_changes_to_topic = true` the channel streams every configuration change to the security topic;
/// dropping the option removes the topic from the channel (the plan shows it), and the next plan is clean.
#[tokio::test]
async fn the_channel_streams_to_the_topic_only_when_asked_and_a_dropped_topic_is_removed() {
    let moto = Moto::start();
    let streaming = desired(&shipped_config_with(&two_region_config(), "stream_changes_to_topic = true"));
    let (report, _) = apply(&moto, &streaming).await;
    assert!(report.succeeded(), "{report:?}");
    let topic = topic_arn("baseline-security-notifications");
    assert_eq!(channel_topics(&moto).await, [Some(topic.clone()), Some(topic.clone())]);
    let (after, _) = plan(&moto, &streaming).await;
    assert!(!after.has_pending(), "{:?}", pending(&after));

    let default = desired(&two_region_config());
    let (dropped, _) = plan(&moto, &default).await;
    assert_eq!(
        pending(&dropped),
        [
            ("eu-west-1/config.delivery_channel/default".to_string(), Action::Update),
            ("us-east-1/config.delivery_channel/default".to_string(), Action::Update),
        ]
    );
    for change in dropped.pending() {
        let attributes: Vec<(&str, Option<&str>, Option<&str>)> =
            change.attributes.iter().map(|a| (a.name.as_str(), a.before.as_deref(), a.after.as_deref())).collect();
        assert_eq!(attributes, [("sns_topic_arn", Some(topic.as_str()), Some("(none)"))]);
    }
    let (report, _) = apply(&moto, &default).await;
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(channel_topics(&moto).await, [None, None]);
    let (clean, counts) = plan(&moto, &default).await;
    assert!(!clean.has_pending(), "{:?}", pending(&clean));
    assert_eq!(counts.writes, 0);
    for region in ["us-east-1", "eu-west-1"] {
        let status = client(&moto, region).await.describe_configuration_recorder_status().send().await.unwrap();
        assert!(status.configuration_recorders_status()[0].recording(), "recording again in {region}");
    }
}

/// AWS Config's side of a delivery channel, as its API reference documents it (the emulator replaces the whole
/// channel instead): PutDeliveryChannel "will keep the existing value for the parameter that is not changed" and
/// rejects an empty topic (InvalidSNSTopicARNException); DeleteDeliveryChannel fails while the recorder records
/// ("Before you can delete the delivery channel, you must stop the configuration recorder",
/// https://docs.aws.amazon.com/config/latest/APIReference/API_PutDeliveryChannel.html and
/// API_DeleteDeliveryChannel.html).
#[derive(Debug, Default)]
struct AwsConfigChannel {
    channel: Option<Channel>,
    recording: bool,
}

fn aws_config_channel(state: Arc<Mutex<AwsConfigChannel>>) -> aws_sdk_config::Client {
    let s = state.clone();
    let put = mock!(aws_sdk_config::Client::put_delivery_channel).then_compute_response(move |req| {
        let asked = req.delivery_channel().unwrap();
        if asked.sns_topic_arn() == Some("") {
            let e = InvalidSnsTopicArnException::builder().message("The sns topic arn '' is not valid.").build();
            return MockResponse::Error(PutDeliveryChannelError::InvalidSnsTopicArnException(e));
        }
        let mut aws = s.lock().unwrap();
        let kept = aws.channel.take();
        let keep = |asked: Option<&str>, had: Option<String>| asked.map(str::to_string).or(had);
        aws.channel = Some(Channel {
            name: asked.name().unwrap().to_string(),
            bucket: asked.s3_bucket_name().unwrap().to_string(),
            prefix: keep(asked.s3_key_prefix(), kept.as_ref().and_then(|c| c.prefix.clone())),
            topic: keep(asked.sns_topic_arn(), kept.as_ref().and_then(|c| c.topic.clone())),
            frequency: asked
                .config_snapshot_delivery_properties()
                .and_then(|p| p.delivery_frequency())
                .map(|f| f.as_str().to_string()),
        });
        MockResponse::Output(PutDeliveryChannelOutput::builder().build())
    });
    let s = state.clone();
    let delete = mock!(aws_sdk_config::Client::delete_delivery_channel).then_compute_response(move |_| {
        let mut aws = s.lock().unwrap();
        if aws.recording {
            let e = LastDeliveryChannelDeleteFailedException::builder().message("recorder is running").build();
            return MockResponse::Error(DeleteDeliveryChannelError::LastDeliveryChannelDeleteFailedException(e));
        }
        aws.channel = None;
        MockResponse::Output(DeleteDeliveryChannelOutput::builder().build())
    });
    let s = state.clone();
    let stop = mock!(aws_sdk_config::Client::stop_configuration_recorder).then_compute_output(move |_| {
        s.lock().unwrap().recording = false;
        StopConfigurationRecorderOutput::builder().build()
    });
    let s = state;
    let start = mock!(aws_sdk_config::Client::start_configuration_recorder).then_compute_output(move |_| {
        let mut aws = s.lock().unwrap();
        aws.recording = aws.channel.is_some();
        StartConfigurationRecorderOutput::builder().build()
    });
    mock_client!(aws_sdk_config, RuleMode::MatchAny, &[&put, &delete, &stop, &start])
}

/// The baseline drops the topic of its own channel: against AWS's semantics the change clears it (a
/// PutDeliveryChannel without the topic would keep it, and the plan would never converge), and recording is on
/// again afterwards.
#[tokio::test]
async fn a_dropped_topic_is_cleared_although_put_delivery_channel_keeps_what_it_is_not_sent() {
    let desired = desired(&two_region_config());
    let spec = desired.config.as_ref().unwrap();
    let target = crate::mocked::idle_target();
    let scope = target.scope.clone();
    let channel = Channel {
        name: "default".into(),
        bucket: format!("baseline-logs-{ACCOUNT}-{REGION}"),
        prefix: Some("config".into()),
        topic: Some(topic_arn("baseline-security-notifications")),
        frequency: Some("TwentyFour_Hours".into()),
    };
    let aws = Arc::new(Mutex::new(AwsConfigChannel { channel: Some(channel.clone()), recording: true }));
    let clients = RegionClients { config: aws_config_channel(aws.clone()), ..crate::mocked::idle_region(REGION) };
    let target = baseline::Target { regions: vec![clients], ..target };
    let recorder = Recorder {
        name: "default".into(),
        role_arn: config_service::service_linked_role_arn(&scope),
        all_supported: true,
        include_global: true,
        excluded: Vec::new(),
        frequency: "CONTINUOUS".into(),
    };
    let (slr, forwarder) =
        (Address::new(ACCOUNT, GLOBAL, "iam.service_linked_role", "r"), Address::new(ACCOUNT, GLOBAL, "iam.role", "f"));
    let refs = Refs { role_arn: &recorder.role_arn, slr: &slr, forwarder: &forwarder, trail: None };
    let state = |aws: &AwsConfigChannel| RegionState {
        recorder: Some(recorder.clone()),
        recording: aws.recording,
        channel: aws.channel.clone(),
        ..RegionState::default()
    };
    let diff = |aws: &AwsConfigChannel| config_service::diff_region(&desired, &scope, spec, REGION, &state(aws), &refs);
    let channel_change =
        |plan: &Plan| plan.changes.iter().find(|c| c.address.kind == "config.delivery_channel").cloned().unwrap();

    let before = channel_change(&diff(&aws.lock().unwrap()));
    assert_eq!(before.action, Action::Update);
    let Some(Operation::Config(op)) = &before.operation else { panic!("{before:?}") };
    config_service::execute(&target, op, &before.address, &NullSink).await.unwrap();

    let now = aws.lock().unwrap();
    assert_eq!(now.channel, Some(Channel { topic: None, ..channel }), "the topic is gone, the rest as it was");
    assert!(now.recording, "recording again");
    let after = channel_change(&diff(&now));
    assert_eq!(after.action, Action::NoOp, "converged: {after:?}");
}
