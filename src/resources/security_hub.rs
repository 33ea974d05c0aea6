//! AWS Security Hub CSPM in every managed region (`[security_hub]`): the hub enabled (consolidated control
//! findings, no default standards: the baseline names its own), the chosen standards enabled, and in the home
//! region a finding aggregator linking every region ("Cross-Region aggregation", Security Hub User Guide), so
//! control findings of all regions are seen in one.
//!
//! A hub that exists is adopted; standards enabled by someone else stay enabled (baseline never disables one);
//! an aggregator in another region than the home region is reported, since an account has one.

use aws_sdk_securityhub::types::{ControlFindingGenerator, StandardsStatus, StandardsSubscriptionRequest};
use futures::future::join_all;

use super::{Operation, Plan, ResourceChange, coverage, region_read};
use crate::aws::{self, AwsError, ErrorKind};
use crate::config::Desired;
use crate::config::security_hub::{SecurityHubSpec, standard_arn};
use crate::engine::{Action, Address, AttributeChange, EventSink, Notice, NoticeLevel};
use crate::target::{RegionClients, Scope, Target};

pub const HUB: &str = "securityhub.hub";
pub const STANDARD: &str = "securityhub.standard";
pub const AGGREGATOR: &str = "securityhub.finding_aggregator";
const NAME: &str = "default";
const ALL_REGIONS: &str = "ALL_REGIONS";

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    EnableHub { tags: std::collections::BTreeMap<String, String> },
    EnableStandard { arn: String },
    CreateAggregator,
    UpdateAggregator { arn: String },
}

/// A region as read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegionState {
    pub enabled: bool,
    /// Enabled standards: ARN and status. `None`: not read (the hub is off, or the endpoint lacks the call).
    pub standards: Option<Vec<(String, String)>>,
    /// Home region only: the account's finding aggregator (ARN, aggregation region, region linking mode), if
    /// any. `None`: not read.
    pub aggregator: Option<Option<(String, String, String)>>,
}

/// The hub's calls take the hub ARN (`hub/default`); the aggregator's its own ARN (a generated id);
/// ListFindingAggregators none ("Actions, resources, and condition keys for AWS Security Hub"). Enabling the
/// hub creates its service-linked role.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    let Some(spec) = &desired.families.security_hub else { return };
    let hub = needs.arn("securityhub", "*", "hub/default");
    needs.on(
        &[
            "securityhub:DescribeHub",
            "securityhub:EnableSecurityHub",
            "securityhub:GetEnabledStandards",
            "securityhub:BatchEnableStandards",
            "securityhub:TagResource",
        ],
        [hub],
    );
    if spec.aggregate_findings {
        needs.any(
            &["securityhub:ListFindingAggregators", "securityhub:CreateFindingAggregator"],
            crate::needs::NO_RESOURCE_TYPE,
        );
        let aggregators = needs.arn("securityhub", "*", "finding-aggregator/*");
        needs.on(&["securityhub:GetFindingAggregator", "securityhub:UpdateFindingAggregator"], [aggregators]);
    }
    needs.service_linked_role("securityhub.amazonaws.com", "AWSServiceRoleForSecurityHub");
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let Some(spec) = &desired.families.security_hub else { return Plan::default() };
    let scope = &target.scope;
    let reads = join_all(target.regions.iter().map(|r| observe(r, spec, r.region == scope.home_region))).await;
    let mut plan = Plan::default();
    let mut unsupported: Vec<(Address, AwsError)> = Vec::new();
    for (clients, read) in target.regions.iter().zip(reads) {
        let at = address(scope, &clients.region, HUB, NAME);
        let Some(read) = region_read(read, &at, &scope.home_region, "Security Hub", &mut plan) else { continue };
        if let Some(error) = read.unsupported {
            unsupported.push((at.clone(), error));
        }
        plan.extend(diff_region(desired, scope, &clients.region, spec, &read.state));
    }
    // An endpoint that lacks some of the API (the emulator) is said once, not once per region.
    if let Some((at, error)) = unsupported.first() {
        let n = unsupported.len();
        let message =
            format!("standards and aggregation not supported by this endpoint in {n} region(s) ({error}); not checked");
        plan.notices.push(Notice { level: NoticeLevel::Warning, address: at.clone(), message });
    }
    plan
}

pub fn address(scope: &Scope, region: &str, kind: &'static str, name: &str) -> Address {
    Address::new(&scope.account_id, region, kind, name)
}

struct Read {
    state: RegionState,
    /// The standards or aggregator reads are not implemented by the endpoint: the hub alone is planned.
    unsupported: Option<AwsError>,
}

async fn observe(clients: &RegionClients, spec: &SecurityHubSpec, home: bool) -> Result<Read, AwsError> {
    let sh = &client(clients);
    // The three reads at once. Security Hub answers InvalidAccessException to each of them in an account that
    // has not enabled it: no standard, no aggregator. An endpoint without the standards or aggregator API
    // answers NotSupported even then, and nothing is planned for what it lacks.
    let (hub, standards, aggregator) = tokio::join!(sh.describe_hub().send(), enabled_standards(sh), async {
        if home && spec.aggregate_findings { aggregator(sh).await } else { Ok(None) }
    },);
    let off = |e: &AwsError| e.is_code("InvalidAccessException");
    let enabled = match hub.map_err(aws::err("securityhub:DescribeHub")) {
        Ok(_) => true,
        Err(e) if off(&e) => false,
        Err(e) => return Err(e),
    };
    let standards = standards.or_else(|e| if off(&e) { Ok(Vec::new()) } else { Err(e) });
    let aggregator = aggregator.or_else(|e| if off(&e) { Ok(None) } else { Err(e) });
    let mut unsupported = None;
    let standards = readable(standards, &mut unsupported)?;
    let aggregator = if home && spec.aggregate_findings { readable(aggregator, &mut unsupported)? } else { None };
    Ok(Read { state: RegionState { enabled, standards, aggregator }, unsupported })
}

/// A read the endpoint does not implement is `None` (noted in `unsupported`): nothing is planned for it.
fn readable<T>(result: Result<T, AwsError>, unsupported: &mut Option<AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.kind == ErrorKind::NotSupported => {
            *unsupported = Some(e);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

async fn enabled_standards(sh: &aws_sdk_securityhub::Client) -> Result<Vec<(String, String)>, AwsError> {
    let mut pages = sh.get_enabled_standards().into_paginator().send();
    let mut standards = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws::err("securityhub:GetEnabledStandards"))?;
        standards.extend(page.standards_subscriptions().iter().map(|s| {
            let status = s.standards_status().map(|s| s.as_str().to_string()).unwrap_or_default();
            (s.standards_arn().unwrap_or_default().to_string(), status)
        }));
    }
    Ok(standards)
}

async fn aggregator(sh: &aws_sdk_securityhub::Client) -> Result<Option<(String, String, String)>, AwsError> {
    let list = sh.list_finding_aggregators().send().await.map_err(aws::err("securityhub:ListFindingAggregators"))?;
    let Some(arn) = list.finding_aggregators().first().and_then(|a| a.finding_aggregator_arn()) else {
        return Ok(None);
    };
    let out = sh
        .get_finding_aggregator()
        .finding_aggregator_arn(arn)
        .send()
        .await
        .map_err(aws::err("securityhub:GetFindingAggregator"))?;
    let region = out.finding_aggregation_region().unwrap_or_default().to_string();
    Ok(Some((arn.to_string(), region, out.region_linking_mode().unwrap_or_default().to_string())))
}

/// A standard counts as enabled unless Security Hub is removing it or failed to enable it.
fn standard_enabled(status: &str) -> bool {
    [StandardsStatus::Ready, StandardsStatus::Pending, StandardsStatus::Incomplete].iter().any(|s| s.as_str() == status)
}

/// One region: the hub, each standard (after the hub), and in the home region the aggregator.
pub fn diff_region(
    desired: &Desired,
    scope: &Scope,
    region: &str,
    spec: &SecurityHubSpec,
    state: &RegionState,
) -> Plan {
    let mut plan = Plan::default();
    let hub_at = address(scope, region, HUB, NAME);
    if state.enabled {
        plan.changes.push(ResourceChange::no_op(hub_at.clone(), "Security Hub enabled"));
    } else {
        let tags = super::wiring::desired_tags(desired);
        let mut attributes = super::new_fields([("control_finding_generator", "SECURITY_CONTROL".to_string())]);
        attributes.extend(super::new_tags(&tags));
        let op = Operation::SecurityHub(Op::EnableHub { tags });
        plan.changes.push(
            ResourceChange::new(hub_at.clone(), Action::Create, "Security Hub is not enabled in this region", op)
                .with_attributes(attributes),
        );
    }
    // Standards that could not be read: nothing is planned for them.
    let Some(standards) = &state.standards else {
        return plan_without_unread(plan, scope, region, spec, state, &hub_at);
    };
    for standard in &spec.standards {
        let arn = standard_arn(&scope.partition, region, standard);
        let at = address(scope, region, STANDARD, standard);
        let found = standards.iter().find(|(a, _)| *a == arn);
        match found {
            Some((_, status)) if standard_enabled(status) => {
                plan.changes.push(ResourceChange::no_op(at, "standard enabled"))
            }
            other => {
                let before = other.map(|(_, s)| s.clone());
                let op = Operation::SecurityHub(Op::EnableStandard { arn: arn.clone() });
                let change = ResourceChange::new(at, Action::Create, "standard not enabled", op)
                    .with_attributes(vec![AttributeChange::new("standards_status", before, Some("READY".into()))]);
                plan.changes.push(change.after(&hub_at));
            }
        }
    }
    plan_without_unread(plan, scope, region, spec, state, &hub_at)
}

/// The aggregator, in the home region, unless it could not be read.
fn plan_without_unread(
    mut plan: Plan,
    scope: &Scope,
    region: &str,
    spec: &SecurityHubSpec,
    state: &RegionState,
    hub_at: &Address,
) -> Plan {
    if region != scope.home_region || !spec.aggregate_findings {
        return plan;
    }
    let at = address(scope, region, AGGREGATOR, NAME);
    if let Some(aggregator) = &state.aggregator {
        plan.changes.push(aggregator_change(at, region, aggregator.as_ref()).after(hub_at));
    }
    plan
}

fn aggregator_change(at: Address, home: &str, aggregator: Option<&(String, String, String)>) -> ResourceChange {
    let Some((arn, region, mode)) = aggregator else {
        let op = Operation::SecurityHub(Op::CreateAggregator);
        return ResourceChange::new(at, Action::Create, "findings of other regions are not aggregated here", op)
            .with_attributes(vec![AttributeChange::new("region_linking_mode", None, Some(ALL_REGIONS.into()))]);
    };
    if region != home {
        return ResourceChange::manual(
            at,
            format!("findings are aggregated to {region}, not to the home region {home}"),
            vec![
                format!("keep {region}: set home_region = \"{region}\""),
                format!("or delete aggregator {arn}, then apply again"),
            ],
        );
    }
    if mode == ALL_REGIONS {
        return ResourceChange::no_op(at, "every region aggregated to the home region");
    }
    let op = Operation::SecurityHub(Op::UpdateAggregator { arn: arn.clone() });
    ResourceChange::new(at, Action::Update, "not every region is aggregated", op).with_attributes(vec![
        AttributeChange::new("region_linking_mode", Some(mode.clone()), Some(ALL_REGIONS.into())),
    ])
}

/// This family's client in a region, built the first time it is asked for.
fn client(clients: &RegionClients) -> aws_sdk_securityhub::Client {
    clients.service(|session, region| crate::aws::sdk_client!(aws_sdk_securityhub, session, region))
}

pub async fn execute(target: &Target, op: &Op, address: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    let sh = &client(target.region(&address.region, "securityhub:EnableSecurityHub")?);
    match op {
        Op::EnableHub { tags } => {
            let result = sh
                .enable_security_hub()
                .enable_default_standards(false)
                .control_finding_generator(ControlFindingGenerator::SecurityControl)
                .set_tags(Some(tags.clone().into_iter().collect()))
                .send()
                .await
                .map_err(aws::err("securityhub:EnableSecurityHub"));
            // Enabled by an earlier attempt whose answer was lost: ResourceConflictException.
            result.map(|_| ()).or_else(super::already_there("ResourceConflictException"))
        }
        Op::EnableStandard { arn } => {
            let request = StandardsSubscriptionRequest::builder().standards_arn(arn).build();
            sh.batch_enable_standards()
                .standards_subscription_requests(request)
                .send()
                .await
                .map_err(aws::err("securityhub:BatchEnableStandards"))?;
            Ok(())
        }
        Op::CreateAggregator => {
            sh.create_finding_aggregator()
                .region_linking_mode(ALL_REGIONS)
                .send()
                .await
                .map_err(aws::err("securityhub:CreateFindingAggregator"))?;
            Ok(())
        }
        Op::UpdateAggregator { arn } => {
            sh.update_finding_aggregator()
                .finding_aggregator_arn(arn)
                .region_linking_mode(ALL_REGIONS)
                .send()
                .await
                .map_err(aws::err("securityhub:UpdateFindingAggregator"))?;
            Ok(())
        }
    }
}

/// Drift coverage of what this family writes (see `coverage.rs`). Security Hub: the hub of each region, its
/// standards, the home region's finding aggregator.
// The emulator has no standards or finding aggregator API: mocked clients show these drifting.
const MOCKED_TESTS: &str = "tests/it/families/security_hub.rs";
const MOCKED_TEST: &str = "a_hub_of_someone_elses_is_adopted_a_missing_standard_enabled_and_the_aggregator_linked";

pub const COVERAGE: &[coverage::Setting] = &[
    coverage::unmanaged(
        "securityhub.hub",
        "control_finding_generator",
        &["EnableSecurityHub.ControlFindingGenerator", "EnableSecurityHub.EnableDefaultStandards"],
        "options of enabling the hub; an adopted hub keeps its own",
    ),
    coverage::unmanaged(
        "securityhub.hub",
        "tags.*",
        &["EnableSecurityHub.Tags"],
        "set when baseline enables the hub; an adopted hub's tags are its owner's",
    ),
    coverage::repaired(
        "securityhub.standard",
        "standards_status",
        "GetEnabledStandards",
        &["BatchEnableStandards.StandardsSubscriptionRequests[].StandardsArn"],
    )
    .shown_in(MOCKED_TESTS, MOCKED_TEST),
    coverage::repaired(
        "securityhub.finding_aggregator",
        "region_linking_mode",
        "GetFindingAggregator",
        &[
            "CreateFindingAggregator.RegionLinkingMode",
            "UpdateFindingAggregator.RegionLinkingMode",
            "UpdateFindingAggregator.FindingAggregatorArn",
        ],
    )
    .shown_in(MOCKED_TESTS, MOCKED_TEST),
];
