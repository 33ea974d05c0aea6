//! An AWS Config aggregator in the home region (`[config_aggregator]`): the configuration and compliance data of
//! every region of the account, or in organization runs of every account, queried in one place ("Multi-Account
//! Multi-Region Data Aggregation", AWS Config Developer Guide).
//!
//! The aggregator is baseline's by its name: `PutConfigurationAggregator` creates or updates it, and a source that
//! differs (other accounts, a list of regions instead of all of them, another role) is put back. Other aggregators
//! are left alone and nothing is deleted. Tags are set at creation only: the API ignores tags on an update
//! ("Tags are added at creation and cannot be updated with this operation", API Reference), so an update sends
//! none. An organization aggregator reads the organization with a role trusting AWS Config and holding the AWS
//! managed policy `AWSConfigRoleForOrganizations`; baseline creates it if absent, adopts it if present, and
//! attaches the policy if it is missing.

use std::collections::BTreeMap;

use aws_sdk_config::types::{AccountAggregationSource, OrganizationAggregationSource};

use super::{Operation, Plan, ResourceChange, coverage, iam_role, report_unreadable, wiring};
use crate::aws::{self, AwsError};
use crate::config::Desired;
use crate::config::config_aggregator::ConfigAggregatorSpec;
use crate::engine::{Action, Address, AttributeChange, EventSink, GLOBAL};
use crate::target::{RegionClients, Scope, Target};

pub const AGGREGATOR: &str = "config.aggregator";
pub const ROLE: &str = "iam.role";
/// The AWS managed policy an organization aggregator's role needs.
pub const ORGANIZATION_POLICY: &str = "policy/service-role/AWSConfigRoleForOrganizations";

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// PutConfigurationAggregator: all regions of `source`; tags only when creating.
    Put { name: String, source: Source, tags: Option<BTreeMap<String, String>> },
    /// The organization aggregator's role: created (trusting AWS Config) if `create`, the managed policy attached.
    Role { name: String, create: bool, tags: BTreeMap<String, String> },
}

/// Where an aggregator collects from, every region of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// These accounts (sorted).
    Accounts(Vec<String>),
    /// The organization, read with this role.
    Organization { role_arn: String },
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Accounts(ids) => format!("accounts {}", ids.join(", ")),
            Source::Organization { role_arn } => format!("the organization, role {role_arn}"),
        }
    }
}

/// The aggregator as DescribeConfigurationAggregators answers: its source, and whether it covers all regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregator {
    pub source: Option<Source>,
    pub all_regions: bool,
}

/// The organization aggregator's role as read: whether it exists, and whether the managed policy is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleState {
    pub exists: bool,
    pub policy_attached: bool,
}

/// What this account keeps: `None`, no aggregator (an organization run, another account holds it).
fn wanted(spec: &ConfigAggregatorSpec, target: &Target) -> Option<Source> {
    let scope = &target.scope;
    match &spec.organization_account {
        Some(holder) if target.management_account.is_some() => (holder == &scope.account_id)
            .then(|| Source::Organization { role_arn: wiring::role_arn(scope, &spec.organization_role) }),
        _ => Some(Source::Accounts(vec![scope.account_id.clone()])),
    }
}

/// The aggregator's calls take its ARN (a generated id after the name: any `config-aggregator/*`); an
/// organization source also passes the role to AWS Config, which enables its access to the organization
/// (management account) or checks the caller is its delegated administrator (PutConfigurationAggregator, API
/// Reference).
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    use crate::needs::{Condition, NO_RESOURCE_TYPE};
    let Some(spec) = &desired.families.config_aggregator else { return };
    let aggregators = needs.arn("config", "*", "config-aggregator/*");
    needs.on(
        &["config:DescribeConfigurationAggregators", "config:PutConfigurationAggregator", "config:TagResource"],
        [aggregators],
    );
    if spec.organization_account.is_some() && desired.accounts.is_fleet() {
        let role = needs.iam_arn("role", &spec.organization_role);
        needs.on(&["iam:GetRole", "iam:ListAttachedRolePolicies", "iam:CreateRole", "iam:AttachRolePolicy"], [
            role.clone(),
        ]);
        let passed = Condition {
            operator: "StringEquals",
            key: "iam:PassedToService",
            values: ["config.amazonaws.com".into()].into(),
        };
        needs.on_if("iam:PassRole", [role], passed);
        needs.any(&["organizations:EnableAWSServiceAccess", "organizations:ListDelegatedAdministrators"], NO_RESOURCE_TYPE);
    }
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let Some(spec) = &desired.families.config_aggregator else { return Plan::default() };
    let Some(source) = wanted(spec, target) else { return Plan::default() };
    let scope = &target.scope;
    let home = target.regions.iter().find(|r| r.region == scope.home_region);
    let Some(clients) = home else { return Plan::default() };
    let at = address(scope, &scope.home_region, &spec.name);
    let role = match &source {
        Source::Organization { .. } => Some(observe_role(&target.iam, &spec.organization_role)),
        Source::Accounts(_) => None,
    };
    let (aggregator, role) = tokio::join!(observe(clients, &spec.name), async {
        match role {
            Some(read) => Some(read.await),
            None => None,
        }
    });
    let mut plan = Plan::default();
    let role = match role {
        Some(read) => match report_unreadable(read, &role_address(scope, &spec.organization_role), &mut plan) {
            Some(state) => Some(state),
            None => return plan,
        },
        None => None,
    };
    if let Some(aggregator) = report_unreadable(aggregator, &at, &mut plan) {
        plan.extend(diff(desired, scope, spec, &source, aggregator.as_ref(), role.as_ref()));
    }
    plan
}

pub fn address(scope: &Scope, region: &str, name: &str) -> Address {
    Address::new(&scope.account_id, region, AGGREGATOR, name)
}

fn role_address(scope: &Scope, name: &str) -> Address {
    Address::new(&scope.account_id, GLOBAL, ROLE, name)
}

/// This family's Config client in a region (the one every Config family shares).
fn client(clients: &RegionClients) -> &aws_sdk_config::Client {
    &clients.config
}

/// The aggregator of this name; `None` when there is none.
async fn observe(clients: &RegionClients, name: &str) -> Result<Option<Aggregator>, AwsError> {
    let out = client(clients).describe_configuration_aggregators().configuration_aggregator_names(name).send().await;
    let out = match out.map_err(aws::err("config:DescribeConfigurationAggregators")) {
        Ok(out) => out,
        Err(e) if e.is_code("NoSuchConfigurationAggregatorException") => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(found) = out.configuration_aggregators().iter().find(|a| a.configuration_aggregator_name() == Some(name))
    else {
        return Ok(None);
    };
    let from_accounts = found.account_aggregation_sources().first().map(|a| {
        let mut ids = a.account_ids().to_vec();
        ids.sort();
        (Source::Accounts(ids), a.all_aws_regions() && a.aws_regions().is_empty())
    });
    let from_organization = found.organization_aggregation_source().map(|o| {
        let source = Source::Organization { role_arn: o.role_arn().to_string() };
        (source, o.all_aws_regions() && o.aws_regions().is_empty())
    });
    let (source, all_regions) = match from_accounts.or(from_organization) {
        Some((source, all)) => (Some(source), all),
        None => (None, false),
    };
    Ok(Some(Aggregator { source, all_regions }))
}

async fn observe_role(iam: &aws_sdk_iam::Client, name: &str) -> Result<RoleState, AwsError> {
    if iam_role::read(iam, name).await?.is_none() {
        return Ok(RoleState { exists: false, policy_attached: false });
    }
    let mut pages = iam.list_attached_role_policies().role_name(name).into_paginator().send();
    let mut policy_attached = false;
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws::err("iam:ListAttachedRolePolicies"))?;
        policy_attached |=
            page.attached_policies().iter().any(|p| p.policy_arn().is_some_and(|a| a.ends_with(ORGANIZATION_POLICY)));
    }
    Ok(RoleState { exists: true, policy_attached })
}

/// The aggregator (and an organization aggregator's role) against the source wanted. Pure.
pub fn diff(
    desired: &Desired,
    scope: &Scope,
    spec: &ConfigAggregatorSpec,
    source: &Source,
    have: Option<&Aggregator>,
    role: Option<&RoleState>,
) -> Plan {
    let mut plan = Plan::default();
    let tags = wiring::desired_tags(desired);
    let role_at = role_address(scope, &spec.organization_role);
    if let Some(role) = role {
        plan.changes.push(role_change(&role_at, &spec.organization_role, role, &tags));
    }
    let at = address(scope, &scope.home_region, &spec.name);
    let want = [("source", source.describe()), ("all_regions", "true".to_string())];
    let put = |tags| Operation::ConfigAggregator(Op::Put { name: spec.name.clone(), source: source.clone(), tags });
    let mut change = match have {
        None => {
            let mut attributes = super::new_fields(want);
            attributes.extend(super::new_tags(&tags));
            ResourceChange::new(at, Action::Create, "no aggregator of this name", put(Some(tags)))
                .with_attributes(attributes)
        }
        Some(have) => {
            let now = [
                ("source", have.source.as_ref().map(Source::describe).unwrap_or_default()),
                ("all_regions", have.all_regions.to_string()),
            ];
            let changed: Vec<AttributeChange> = super::changed_fields(now, want);
            if changed.is_empty() {
                ResourceChange::no_op(at, format!("aggregates {} in all regions", source.describe()))
            } else {
                ResourceChange::new(at, Action::Update, "the aggregator's source differs", put(None))
                    .with_attributes(changed)
            }
        }
    };
    if role.is_some_and(|r| !r.exists || !r.policy_attached) {
        change.depends_on.push(role_at);
    }
    plan.changes.push(change);
    plan
}

fn role_change(at: &Address, name: &str, role: &RoleState, tags: &BTreeMap<String, String>) -> ResourceChange {
    let op = |create| Operation::ConfigAggregator(Op::Role { name: name.into(), create, tags: tags.clone() });
    let policy = || AttributeChange::new("managed_policy", None, Some("AWSConfigRoleForOrganizations".into()));
    match role {
        RoleState { exists: false, .. } => {
            let mut attributes = super::new_fields([("trusted_service", "config.amazonaws.com".to_string())]);
            attributes.push(policy());
            attributes.extend(super::new_tags(tags));
            ResourceChange::new(at.clone(), Action::Create, "the organization aggregator's role does not exist", op(true))
                .with_attributes(attributes)
        }
        RoleState { policy_attached: false, .. } => ResourceChange::new(
            at.clone(),
            Action::Update,
            "the role lacks AWSConfigRoleForOrganizations",
            op(false),
        )
        .with_attributes(vec![policy()]),
        _ => ResourceChange::no_op(at.clone(), "role present with AWSConfigRoleForOrganizations"),
    }
}

/// The trust policy of an organization aggregator's role: AWS Config assumes it.
fn trust_policy() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "config.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

pub async fn execute(target: &Target, op: &Op, address: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    match op {
        Op::Role { name, create, tags } => {
            if *create {
                let description = "AWS Config reads the organization for baseline's organization aggregator";
                iam_role::create(&target.iam, name, &trust_policy(), description, tags).await?;
            }
            let policy = format!("arn:{}:iam::aws:{ORGANIZATION_POLICY}", target.scope.partition);
            iam_role::attach_managed(&target.iam, name, &policy).await
        }
        Op::Put { name, source, tags } => {
            let config = client(target.region(&address.region, "config:PutConfigurationAggregator")?);
            let request = config.put_configuration_aggregator().configuration_aggregator_name(name);
            let request = match source {
                Source::Accounts(ids) => request.account_aggregation_sources(
                    AccountAggregationSource::builder()
                        .set_account_ids(Some(ids.clone()))
                        .all_aws_regions(true)
                        .build()
                        .map_err(aws::build_error("config:PutConfigurationAggregator"))?,
                ),
                Source::Organization { role_arn } => request.organization_aggregation_source(
                    OrganizationAggregationSource::builder()
                        .role_arn(role_arn)
                        .all_aws_regions(true)
                        .build()
                        .map_err(aws::build_error("config:PutConfigurationAggregator"))?,
                ),
            };
            let tags: Vec<_> = tags
                .iter()
                .flatten()
                .map(|(k, v)| aws_sdk_config::types::Tag::builder().key(k).value(v).build())
                .collect();
            let request = if tags.is_empty() { request } else { request.set_tags(Some(tags)) };
            request.send().await.map(|_| ()).map_err(aws::err("config:PutConfigurationAggregator"))
        }
    }
}

// The shipped baseline leaves this family off, so the emulator's drift-coverage test does not reach it: its own
// test narrows the source by hand and checks one apply puts it back.
const DRIFT_TEST_FILE: &str = "tests/it/families/config_aggregator.rs";
const DRIFT_TEST: &str = "the_accounts_aggregator_is_made_kept_and_put_back_and_someone_elses_survives";

/// Drift coverage of what this family writes (see `coverage.rs`).
pub const COVERAGE: &[coverage::Setting] = &[
    coverage::identity(AGGREGATOR, "name", &["PutConfigurationAggregator.ConfigurationAggregatorName"]),
    coverage::repaired(
        AGGREGATOR,
        "source",
        "DescribeConfigurationAggregators",
        &[
            "PutConfigurationAggregator.AccountAggregationSources[].AccountIds",
            "PutConfigurationAggregator.OrganizationAggregationSource.RoleArn",
        ],
    )
    .shown_in(DRIFT_TEST_FILE, DRIFT_TEST),
    coverage::repaired(
        AGGREGATOR,
        "all_regions",
        "DescribeConfigurationAggregators",
        &[
            "PutConfigurationAggregator.AccountAggregationSources[].AllAwsRegions",
            "PutConfigurationAggregator.OrganizationAggregationSource.AllAwsRegions",
        ],
    )
    .shown_in(DRIFT_TEST_FILE, DRIFT_TEST),
    coverage::unmanaged(
        AGGREGATOR,
        "tags.*",
        &["PutConfigurationAggregator.Tags"],
        "set at creation; the API ignores tags on an update",
    ),
];
