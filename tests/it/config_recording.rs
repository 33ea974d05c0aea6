//! AWS Config across regions against the emulator: created and converged in three regions, an existing
//! recorder adopted, each drift repaired, and an excluded region left untouched.

use aws_sdk_config::types::{ConfigurationRecorder, DeliveryChannel, RecordingGroup};
use baseline::engine::{Action, Plan};

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

    let desired = desired(&config());
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
