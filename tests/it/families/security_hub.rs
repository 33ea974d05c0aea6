//! Security Hub. The emulator enables and describes a hub but has no standards or finding aggregator API (the
//! shipped baseline converges there with one "not supported" warning, see `cli`); these paths are tested with
//! mocked clients answering as the Security Hub API Reference documents: InvalidAccessException to every call
//! of an account that has not enabled Security Hub.

use aws_sdk_securityhub::operation::batch_enable_standards::BatchEnableStandardsOutput;
use aws_sdk_securityhub::operation::create_finding_aggregator::CreateFindingAggregatorOutput;
use aws_sdk_securityhub::operation::describe_hub::{DescribeHubError, DescribeHubOutput};
use aws_sdk_securityhub::operation::enable_security_hub::EnableSecurityHubOutput;
use aws_sdk_securityhub::operation::get_enabled_standards::{GetEnabledStandardsError, GetEnabledStandardsOutput};
use aws_sdk_securityhub::operation::get_finding_aggregator::GetFindingAggregatorOutput;
use aws_sdk_securityhub::operation::list_finding_aggregators::{
    ListFindingAggregatorsError, ListFindingAggregatorsOutput,
};
use aws_sdk_securityhub::operation::update_finding_aggregator::UpdateFindingAggregatorOutput;
use aws_sdk_securityhub::types::error::InvalidAccessException;
use aws_sdk_securityhub::types::{ControlFindingGenerator, FindingAggregator, StandardsStatus, StandardsSubscription};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;
use baseline::engine::{Action, NullSink};
use baseline::resources::{Operation, Plan, security_hub};

use crate::harness::*;

const BASELINE: &str = "[baseline]\nhome_region = \"us-east-1\"\n[s3]\naccount_public_access_block = false\n\
                        [security_hub]\n";
const FSBP: &str = "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0";
const CIS: &str = "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0";
const AGGREGATOR: &str = "arn:aws:securityhub:us-east-1:123456789012:finding-aggregator/abc";

fn not_subscribed() -> InvalidAccessException {
    InvalidAccessException::builder()
        .message("Account 123456789012 is not subscribed to AWS Security Hub")
        .meta(ErrorMetadata::builder().code("InvalidAccessException").build())
        .build()
}

fn target(rules: &[&Rule]) -> baseline::Target {
    let securityhub = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, rules);
    let region = crate::mocked::idle_region(REGION).with(securityhub);
    baseline::Target { regions: vec![region], ..crate::mocked::idle_target() }
}

fn pending(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| (format!("{}/{}", c.address.kind, c.address.name), c.action))
        .collect()
}

async fn apply(plan: &Plan, target: &baseline::Target) {
    for change in plan.pending() {
        let Some(Operation::SecurityHub(op)) = &change.operation else { panic!("{change:?}") };
        security_hub::execute(target, op, &change.address, &NullSink).await.unwrap();
    }
}

#[tokio::test]
async fn an_account_without_security_hub_gets_the_hub_its_standards_and_the_aggregator() {
    let hub = mock!(aws_sdk_securityhub::Client::describe_hub)
        .then_error(|| DescribeHubError::InvalidAccessException(not_subscribed()));
    let standards = mock!(aws_sdk_securityhub::Client::get_enabled_standards)
        .then_error(|| GetEnabledStandardsError::InvalidAccessException(not_subscribed()));
    let aggregators = mock!(aws_sdk_securityhub::Client::list_finding_aggregators)
        .then_error(|| ListFindingAggregatorsError::InvalidAccessException(not_subscribed()));
    let enable = mock!(aws_sdk_securityhub::Client::enable_security_hub)
        .match_requests(|r| {
            r.enable_default_standards() == Some(false)
                && r.control_finding_generator() == Some(&ControlFindingGenerator::SecurityControl)
                && r.tags().and_then(|t| t.get("managed-by")).map(String::as_str) == Some("baseline")
        })
        .then_output(|| EnableSecurityHubOutput::builder().build());
    let batch = mock!(aws_sdk_securityhub::Client::batch_enable_standards)
        .match_requests(|r| {
            let arn = r.standards_subscription_requests()[0].standards_arn();
            arn == Some(FSBP) || arn == Some(CIS)
        })
        .then_output(|| BatchEnableStandardsOutput::builder().build());
    let create = mock!(aws_sdk_securityhub::Client::create_finding_aggregator)
        .match_requests(|r| r.region_linking_mode() == Some("ALL_REGIONS"))
        .then_output(|| CreateFindingAggregatorOutput::builder().build());
    let target = target(&[&hub, &standards, &aggregators, &enable, &batch, &create]);
    let plan = security_hub::plan(&desired(BASELINE), &target).await;
    assert!(plan.errors.is_empty() && plan.notices.is_empty(), "{:?} {:?}", plan.errors, plan.notices);
    assert_eq!(
        pending(&plan),
        [
            ("securityhub.hub/default".to_string(), Action::Create),
            ("securityhub.standard/aws-foundational-security-best-practices/v/1.0.0".to_string(), Action::Create),
            ("securityhub.standard/cis-aws-foundations-benchmark/v/3.0.0".to_string(), Action::Create),
            ("securityhub.finding_aggregator/default".to_string(), Action::Create),
        ]
    );
    let hub_at = &plan.changes[0].address;
    assert!(plan.changes[1..].iter().all(|c| c.depends_on.contains(hub_at)), "after the hub");
    apply(&plan, &target).await;
    assert_eq!((enable.num_calls(), batch.num_calls(), create.num_calls()), (1, 2, 1), "matched above");
}

fn subscription(arn: &str, status: StandardsStatus) -> StandardsSubscription {
    StandardsSubscription::builder()
        .standards_subscription_arn(format!("{arn}/subscription"))
        .standards_arn(arn)
        .standards_status(status)
        .build()
}

fn aggregator(region: &'static str, mode: &'static str) -> [Rule; 2] {
    let list = mock!(aws_sdk_securityhub::Client::list_finding_aggregators).then_output(|| {
        ListFindingAggregatorsOutput::builder()
            .finding_aggregators(FindingAggregator::builder().finding_aggregator_arn(AGGREGATOR).build())
            .build()
    });
    let get = mock!(aws_sdk_securityhub::Client::get_finding_aggregator).then_output(move || {
        GetFindingAggregatorOutput::builder()
            .finding_aggregator_arn(AGGREGATOR)
            .finding_aggregation_region(region)
            .region_linking_mode(mode)
            .build()
    });
    [list, get]
}

#[tokio::test]
async fn a_hub_of_someone_elses_is_adopted_a_missing_standard_enabled_and_the_aggregator_linked() {
    let hub = mock!(aws_sdk_securityhub::Client::describe_hub).then_output(|| {
        DescribeHubOutput::builder().hub_arn("arn:aws:securityhub:us-east-1:123456789012:hub/default").build()
    });
    // FSBP enabled; CIS being deleted (to enable again); PCI enabled by someone else (left as it is).
    let standards = mock!(aws_sdk_securityhub::Client::get_enabled_standards).then_output(|| {
        GetEnabledStandardsOutput::builder()
            .standards_subscriptions(subscription(FSBP, StandardsStatus::Ready))
            .standards_subscriptions(subscription(CIS, StandardsStatus::Deleting))
            .standards_subscriptions(subscription(
                "arn:aws:securityhub:us-east-1::standards/pci-dss/v/4.0.1",
                StandardsStatus::Ready,
            ))
            .build()
    });
    let [list, get] = aggregator("us-east-1", "SPECIFIED_REGIONS");
    let update = mock!(aws_sdk_securityhub::Client::update_finding_aggregator)
        .match_requests(|r| {
            r.finding_aggregator_arn() == Some(AGGREGATOR) && r.region_linking_mode() == Some("ALL_REGIONS")
        })
        .then_output(|| UpdateFindingAggregatorOutput::builder().build());
    let batch = mock!(aws_sdk_securityhub::Client::batch_enable_standards)
        .match_requests(|r| r.standards_subscription_requests()[0].standards_arn() == Some(CIS))
        .then_output(|| BatchEnableStandardsOutput::builder().build());
    let target = target(&[&hub, &standards, &list, &get, &update, &batch]);
    let plan = security_hub::plan(&desired(BASELINE), &target).await;
    assert_eq!(
        pending(&plan),
        [
            ("securityhub.standard/cis-aws-foundations-benchmark/v/3.0.0".to_string(), Action::Create),
            ("securityhub.finding_aggregator/default".to_string(), Action::Update),
        ]
    );
    let cis = plan.pending().next().unwrap();
    assert_eq!(cis.attributes[0].name, "standards_status");
    assert_eq!(cis.attributes[0].before.as_deref(), Some("DELETING"));
    let linking = plan.pending().nth(1).unwrap();
    assert_eq!(linking.attributes[0].name, "region_linking_mode");
    assert_eq!(linking.attributes[0].before.as_deref(), Some("SPECIFIED_REGIONS"));
    apply(&plan, &target).await;
    assert_eq!((batch.num_calls(), update.num_calls()), (1, 1), "matched above");

    // The account's aggregator lives in another region: reported, not moved.
    let [list, get] = aggregator("eu-west-1", "ALL_REGIONS");
    let target = self::target(&[&hub, &standards, &list, &get]);
    let plan = security_hub::plan(&desired(BASELINE), &target).await;
    let manual = plan.changes.iter().find(|c| c.action == Action::Manual).expect("reported");
    assert!(manual.reason.contains("aggregated to eu-west-1, not to the home region us-east-1"), "{}", manual.reason);
}
