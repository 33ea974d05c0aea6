//! IAM Access Analyzer in every managed region (`[access_analyzer]`): an external access analyzer of the account
//! ("Using AWS Identity and Access Management Access Analyzer", IAM User Guide; CIS AWS Foundations 1.20, Security
//! Hub IAM.28), and in organization runs an organization analyzer in `organization_analyzer_account` (the
//! management account or Access Analyzer's delegated administrator). Its active findings, resources shared
//! outside the zone of trust, are counted in the plan's status section.
//!
//! Any active analyzer of the same type already in the region is adopted (an account needs one; the names are
//! its owner's); baseline creates one under its own name only where there is none, and never deletes one. An
//! analyzer of baseline's name that failed is reported with the reason Access Analyzer gives.

use aws_sdk_accessanalyzer::types::{AnalyzerStatus, Criterion, Type};
use futures::future::join_all;

use super::{Operation, Plan, ResourceChange, coverage, region_read};
use crate::aws::{self, AwsError, ErrorKind};
use crate::config::Desired;
use crate::config::access_analyzer::AccessAnalyzerSpec;
use crate::engine::{Action, Address, EventSink, Notice, NoticeLevel};
use crate::target::{RegionClients, Scope, Target};

pub const ANALYZER: &str = "accessanalyzer.analyzer";

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Create { name: String, organization: bool, tags: std::collections::BTreeMap<String, String> },
}

/// One analyzer as ListAnalyzers answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analyzer {
    pub name: String,
    pub arn: String,
    pub organization: bool,
    /// `ACTIVE`, `CREATING`, `DISABLED` or `FAILED`.
    pub status: String,
    pub status_reason: Option<String>,
}

/// A region as read: its external access analyzers, and the active findings of the one in use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegionState {
    pub analyzers: Vec<Analyzer>,
    /// Active findings of each analyzer in use, by its ARN.
    pub active_findings: Vec<(String, usize)>,
}

/// The analyzers this account keeps: its own, and the organization's where it holds that one.
fn wanted(spec: &AccessAnalyzerSpec, target: &Target) -> Vec<bool> {
    let organization = target.management_account.is_some()
        && spec.organization_analyzer_account.as_deref() == Some(target.scope.account_id.as_str());
    if organization { vec![false, true] } else { vec![false] }
}

/// ListAnalyzers and ListFindingsV2 take the analyzer ARN (any name: an adopted analyzer is someone else's);
/// CreateAnalyzer the baseline's own, and the service-linked role Access Analyzer creates on first use
/// ("Using service-linked roles for AWS IAM Access Analyzer").
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    let Some(spec) = &desired.families.access_analyzer else { return };
    let any = needs.arn("access-analyzer", "*", "analyzer/*");
    needs.on(&["access-analyzer:ListAnalyzers", "access-analyzer:ListFindingsV2"], [any]);
    let own = needs.arn("access-analyzer", "*", &format!("analyzer/{}", spec.name));
    needs.on(&["access-analyzer:CreateAnalyzer", "access-analyzer:TagResource"], [own]);
    needs.service_linked_role("access-analyzer.amazonaws.com", "AWSServiceRoleForAccessAnalyzer");
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let Some(spec) = &desired.families.access_analyzer else { return Plan::default() };
    let scope = &target.scope;
    let kinds = wanted(spec, target);
    let reads = join_all(target.regions.iter().map(|r| observe(r, &kinds))).await;
    let mut plan = Plan::default();
    let mut unsupported = Vec::new();
    for (clients, read) in target.regions.iter().zip(reads) {
        let at = address(scope, &clients.region, &spec.name);
        let read = match read {
            Err(e) if e.kind == ErrorKind::NotSupported => {
                unsupported.push((clients.region.clone(), e));
                continue;
            }
            read => read,
        };
        if let Some(state) = region_read(read, &at, &scope.home_region, "IAM Access Analyzer", &mut plan) {
            plan.extend(diff_region(desired, scope, &clients.region, spec, &kinds, &state));
        }
    }
    // An endpoint without the API (the emulator) is said once, not once per region.
    if let Some((region, error)) = unsupported.first() {
        let at = address(scope, region, &spec.name);
        let n = unsupported.len();
        plan.notices
            .push(warning(at, format!("not supported by this endpoint in {n} region(s) ({error}); not checked")));
    }
    plan
}

fn warning(address: Address, message: String) -> Notice {
    Notice { level: NoticeLevel::Warning, address, message }
}

pub fn address(scope: &Scope, region: &str, name: &str) -> Address {
    Address::new(&scope.account_id, region, ANALYZER, name)
}

async fn observe(clients: &RegionClients, kinds: &[bool]) -> Result<RegionState, AwsError> {
    let aa = &client(clients);
    // The account's and the organization's analyzers are listed at once.
    let lists = join_all(kinds.iter().map(|&organization| list_analyzers(aa, organization))).await;
    let mut analyzers = Vec::new();
    for list in lists {
        analyzers.extend(list?);
    }
    let in_use: Vec<&Analyzer> = kinds
        .iter()
        .filter_map(|&organization| {
            analyzers.iter().find(|a| a.organization == organization && a.status == AnalyzerStatus::Active.as_str())
        })
        .collect();
    let counts = join_all(in_use.iter().map(|a| active_findings(aa, &a.arn))).await;
    let mut active_findings = Vec::new();
    for (analyzer, count) in in_use.iter().zip(counts) {
        active_findings.push((analyzer.arn.clone(), count?));
    }
    Ok(RegionState { analyzers, active_findings })
}

/// The region's external access analyzers of one type (the account's, or the organization's).
async fn list_analyzers(aa: &aws_sdk_accessanalyzer::Client, organization: bool) -> Result<Vec<Analyzer>, AwsError> {
    let kind = if organization { Type::Organization } else { Type::Account };
    let mut pages = aa.list_analyzers().r#type(kind).into_paginator().send();
    let mut analyzers = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws::err("access-analyzer:ListAnalyzers"))?;
        analyzers.extend(page.analyzers().iter().map(|a| Analyzer {
            name: a.name().to_string(),
            arn: a.arn().to_string(),
            organization,
            status: a.status().as_str().to_string(),
            status_reason: a.status_reason().map(|r| r.code().as_str().to_string()),
        }));
    }
    Ok(analyzers)
}

/// The analyzer's findings with status ACTIVE, counted page by page.
async fn active_findings(aa: &aws_sdk_accessanalyzer::Client, arn: &str) -> Result<usize, AwsError> {
    let active = Criterion::builder().eq("ACTIVE").build();
    let mut pages = aa.list_findings_v2().analyzer_arn(arn).filter("status", active).into_paginator().send();
    let mut n = 0;
    while let Some(page) = pages.next().await {
        n += page.map_err(aws::err("access-analyzer:ListFindingsV2"))?.findings().len();
    }
    Ok(n)
}

/// One region: for each analyzer type this account keeps, the active one there (adopted whatever its name), or
/// baseline's created; the active findings of each in the status section.
pub fn diff_region(
    desired: &Desired,
    scope: &Scope,
    region: &str,
    spec: &AccessAnalyzerSpec,
    kinds: &[bool],
    state: &RegionState,
) -> Plan {
    let mut plan = Plan::default();
    for &organization in kinds {
        let what = if organization { "organization analyzer" } else { "account analyzer" };
        let of_kind: Vec<&Analyzer> = state.analyzers.iter().filter(|a| a.organization == organization).collect();
        let active = of_kind.iter().find(|a| a.status == AnalyzerStatus::Active.as_str());
        if let Some(active) = active {
            let at = address(scope, region, &active.name);
            plan.changes.push(ResourceChange::no_op(at.clone(), format!("{what} {} active", active.name)));
            let count = state.active_findings.iter().find(|(arn, _)| *arn == active.arn).map_or(0, |(_, n)| *n);
            if count > 0 {
                plan.notices.push(Notice {
                    level: NoticeLevel::Info,
                    address: at,
                    message: format!(
                        "{count} active finding(s): resources shared outside the {}; review them in IAM Access Analyzer",
                        if organization { "organization" } else { "account" }
                    ),
                });
            }
            continue;
        }
        let name = if organization { format!("{}-organization", spec.name) } else { spec.name.clone() };
        let at = address(scope, region, &name);
        match of_kind.iter().find(|a| a.name == name) {
            Some(failed) => plan.changes.push(ResourceChange::manual(
                at,
                format!("{what} {name} is {}{}", failed.status, failed.status_reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()),
                vec![
                    "fix what the reason names (trusted access for Access Analyzer in the organization, the service-linked role)".into(),
                    format!("or delete analyzer {name} in {region}, then apply again"),
                ],
            )),
            None => {
                let tags = super::wiring::desired_tags(desired);
                let mut attributes = super::new_fields([("type", if organization { "ORGANIZATION" } else { "ACCOUNT" }.to_string())]);
                attributes.extend(super::new_tags(&tags));
                let op = Operation::AccessAnalyzer(Op::Create { name: name.clone(), organization, tags });
                plan.changes.push(ResourceChange::new(at, Action::Create, format!("no active {what} in this region"), op).with_attributes(attributes));
            }
        }
    }
    plan
}

/// This family's client in a region, built the first time it is asked for.
fn client(clients: &RegionClients) -> aws_sdk_accessanalyzer::Client {
    clients.service(|session, region| crate::aws::sdk_client!(aws_sdk_accessanalyzer, session, region))
}

pub async fn execute(target: &Target, op: &Op, address: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    let Op::Create { name, organization, tags } = op;
    let aa = &client(target.region(&address.region, "access-analyzer:CreateAnalyzer")?);
    let kind = if *organization { Type::Organization } else { Type::Account };
    let result = aa
        .create_analyzer()
        .analyzer_name(name)
        .r#type(kind)
        .set_tags(Some(tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(aws::err("access-analyzer:CreateAnalyzer"));
    // An earlier attempt whose answer was lost made it: ConflictException, "already exists".
    result.map(|_| ()).or_else(super::already_there("ConflictException"))
}

/// Drift coverage of what this family writes (see `coverage.rs`). IAM Access Analyzer: an analyzer per region is
/// created when none is active; an existing one is adopted.
pub const COVERAGE: &[coverage::Setting] = &[
    coverage::identity("accessanalyzer.analyzer", "name", &["CreateAnalyzer.analyzerName"]),
    coverage::identity("accessanalyzer.analyzer", "type", &["CreateAnalyzer.type"]),
    coverage::unmanaged(
        "accessanalyzer.analyzer",
        "tags.*",
        &["CreateAnalyzer.tags"],
        "set when baseline creates the analyzer; an adopted analyzer's tags are its owner's",
    ),
    coverage::unmanaged(
        "accessanalyzer.analyzer",
        "client_token",
        &["CreateAnalyzer.clientToken"],
        "an idempotency token the SDK makes for each request",
    ),
];
