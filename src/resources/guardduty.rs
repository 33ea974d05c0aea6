//! Amazon GuardDuty in every managed region (`[guardduty]`): a detector enabled, publishing findings at the
//! chosen frequency; findings of the chosen severity and above sent to the security topic through EventBridge
//! (GuardDuty sends every finding to EventBridge as a `GuardDuty Finding` event, "Processing GuardDuty findings
//! with Amazon EventBridge"). In organization runs the management account delegates GuardDuty administration
//! to `delegated_admin` in each region, and that account enables GuardDuty for the members itself
//! (`AutoEnableOrganizationMembers`, "Managing GuardDuty accounts with AWS Organizations"), with the protection
//! plans of `features` auto-enabled for them the same way.
//!
//! A detector that exists is adopted whatever its origin (an account has at most one per region); a suspended
//! one is enabled again; the protection plans `features` names are turned on, and only those are sent
//! (UpdateDetector changes the features it is given, "UpdateDetector", GuardDuty API Reference: "Features:
//! Provides the features that will be updated for the detector"): a plan turned on by someone else stays on,
//! and none is ever turned off. Nothing is ever deleted. A member whose detector an administrator manages
//! publishes at the administrator's frequency and has its protection plans, so its own are reported, not
//! written. A region a service control policy denies whole (a region deny) is skipped with a warning.

use std::collections::BTreeMap;

use aws_sdk_guardduty::types::{
    AutoEnableMembers, DetectorFeature, DetectorFeatureConfiguration, DetectorStatus, FeatureStatus,
    FindingPublishingFrequency, OrgFeature, OrgFeatureStatus, OrganizationFeatureConfiguration,
};
use futures::future::join_all;
use serde_json::{Value, json};

use super::event_route::{self, EventRule, Route};
use super::{Operation, Plan, ResourceChange, coverage, region_read, report_unreadable};
use crate::aws::{self, AwsError, ErrorKind};
use crate::config::Desired;
use crate::config::guardduty::GuardDutySpec;
use crate::engine::{Action, Address, AttributeChange, EventSink, Notice, NoticeLevel};
use crate::target::{RegionClients, Scope, Target};

pub const DETECTOR: &str = "guardduty.detector";
pub const ORGANIZATION_ADMIN: &str = "guardduty.organization_admin";
pub const ORGANIZATION_CONFIGURATION: &str = "guardduty.organization_configuration";
/// A region has one detector and one organization configuration: they have no name of their own.
const NAME: &str = "default";

/// Findings to the security topic.
pub const ROUTE: Route = Route {
    rule_name: "baseline-guardduty-findings",
    rule_description: "GuardDuty findings of the baseline's severity to the security topic, managed by baseline",
    forwarder_role: "baseline-guardduty-events-forwarder",
    forwarder_description: "Forwards GuardDuty findings to the home region, managed by baseline",
    what: "findings",
};

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    CreateDetector {
        frequency: String,
        tags: BTreeMap<String, String>,
        /// Protection plans turned on.
        features: Vec<String>,
    },
    /// Enables the region's detector, sets its frequency (`None`: left as it is) and turns `features` on.
    UpdateDetector {
        detector_id: String,
        frequency: Option<String>,
        features: Vec<String>,
    },
    EnableAdmin {
        account: String,
    },
    /// `detector_id`: the administrator's detector as the plan read it; `None` when the same apply creates it.
    /// `features`: the protection plans members get, each auto-enabled like the members.
    AutoEnable {
        detector_id: Option<String>,
        members: String,
        features: Vec<String>,
    },
    Route(event_route::Op),
}

fn route_op(op: event_route::Op) -> Operation {
    Operation::GuardDuty(Op::Route(op))
}

/// A detector as read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Detector {
    pub id: String,
    pub enabled: bool,
    pub frequency: String,
    /// Protection plans by feature name, with their status (`ENABLED`, `DISABLED`); one not listed is off.
    pub features: BTreeMap<String, String>,
    /// The account whose administrator manages this detector, read only when the frequency or a protection
    /// plan differs.
    pub administrator: Option<String>,
}

/// The delegated administrator's organization configuration in a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrganizationConfiguration {
    /// `AutoEnableOrganizationMembers` as read, and each protection plan's auto-enable for members.
    AutoEnable { members: String, features: BTreeMap<String, String> },
    /// The account is not (yet) GuardDuty's delegated administrator there.
    NotAdministrator,
}

/// One region as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegionState {
    pub detector: Option<Detector>,
    pub event_rule: Option<EventRule>,
    /// Management account only: the accounts GuardDuty administration is delegated to, with their status.
    pub admins: Option<Vec<(String, String)>>,
    /// Delegated administrator only.
    pub organization: Option<OrganizationConfiguration>,
}

/// The role this account plays in an organization's GuardDuty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganizationRole {
    None,
    Management,
    Administrator,
}

pub fn organization_role(spec: &GuardDutySpec, target: &Target) -> OrganizationRole {
    let Some(admin) = &spec.delegated_admin else { return OrganizationRole::None };
    match &target.management_account {
        Some(m) if *m == target.scope.account_id && *admin != target.scope.account_id => OrganizationRole::Management,
        Some(_) if *admin == target.scope.account_id => OrganizationRole::Administrator,
        _ => OrganizationRole::None,
    }
}

/// Detectors, findings publishing, the administrator delegation and the route have no resource type to scope
/// to but the detector ARN, which carries a generated id ("Actions, resources, and condition keys for Amazon
/// GuardDuty"). EnableOrganizationAdminAccount also needs the Organizations calls that register the
/// delegated administrator and enable trusted access for GuardDuty.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    use crate::needs::NO_RESOURCE_TYPE;
    let Some(spec) = &desired.families.guardduty else { return };
    needs.any(&["guardduty:ListDetectors", "guardduty:CreateDetector"], NO_RESOURCE_TYPE);
    let detectors = needs.arn("guardduty", "*", "detector/*");
    needs.on(
        &["guardduty:GetDetector", "guardduty:UpdateDetector", "guardduty:GetAdministratorAccount"],
        [detectors.clone()],
    );
    if spec.delegated_admin.is_some() && desired.accounts.is_fleet() {
        needs.any(
            &[
                "guardduty:ListOrganizationAdminAccounts",
                "guardduty:EnableOrganizationAdminAccount",
                "organizations:EnableAWSServiceAccess",
                "organizations:RegisterDelegatedAdministrator",
                "organizations:ListDelegatedAdministrators",
            ],
            NO_RESOURCE_TYPE,
        );
        needs.on(
            &["guardduty:DescribeOrganizationConfiguration", "guardduty:UpdateOrganizationConfiguration"],
            [detectors],
        );
    }
    if spec.notify_severity.is_some() {
        event_route::permissions(&ROUTE, needs);
    }
}

/// The event pattern of the findings the baseline notifies: GuardDuty findings of `floor` severity and above.
pub fn event_pattern(floor: u8) -> Value {
    json!({
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": { "severity": [{ "numeric": [">=", floor] }] }
    })
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let Some(spec) = &desired.families.guardduty else { return Plan::default() };
    let scope = &target.scope;
    let role = organization_role(spec, target);
    let notify = spec.notify_severity.filter(|_| desired.notifications.security.is_some());
    let forwarding = notify.is_some() && target.regions.iter().any(|r| r.region != scope.home_region);
    let (forwarder, reads) = tokio::join!(
        async { if forwarding { Some(event_route::observe_forwarder(target, &ROUTE).await) } else { None } },
        join_all(target.regions.iter().map(|r| observe_region(r, spec, role, notify.is_some()))),
    );
    let mut plan = Plan::default();
    let mut regions = Vec::new();
    for (clients, read) in target.regions.iter().zip(reads) {
        let at = address(scope, &clients.region, DETECTOR);
        if let Some(state) = region_read(read, &at, &scope.home_region, "GuardDuty", &mut plan) {
            regions.push((clients.region.as_str(), state));
        }
    }
    let forwarder_at = event_route::forwarder_address(scope, &ROUTE);
    if let Some(role) = forwarder.filter(|_| regions.iter().any(|(r, _)| *r != scope.home_region))
        && let Some(role) = report_unreadable(role, &forwarder_at, &mut plan)
    {
        plan.changes.push(event_route::forwarder_change(scope, &ROUTE, &forwarder_at, role.as_ref(), route_op));
    }
    for (region, state) in regions {
        let plans = offered(&spec.features, region);
        let want = Want { desired, spec, region, forwarder: &forwarder_at, notify: notify.map(|s| s.floor()), plans };
        plan.extend(diff_region(scope, &want, &state));
    }
    plan
}

pub fn address(scope: &Scope, region: &str, kind: &'static str) -> Address {
    Address::new(&scope.account_id, region, kind, NAME)
}

async fn observe_region(
    clients: &RegionClients,
    spec: &GuardDutySpec,
    role: OrganizationRole,
    notify: bool,
) -> Result<RegionState, AwsError> {
    let gd = &client(clients);
    let ids = gd.list_detectors().send().await.map_err(aws::err("guardduty:ListDetectors"))?;
    let id = ids.detector_ids().first().cloned();
    let (detector, event_rule, admins, organization) = tokio::join!(
        async {
            match &id {
                Some(id) => read_detector(gd, id, spec, &clients.region).await.map(Some),
                None => Ok(None),
            }
        },
        async { if notify { event_route::observe(&clients.events, &ROUTE).await } else { Ok(None) } },
        async { if role == OrganizationRole::Management { admin_accounts(gd).await.map(Some) } else { Ok(None) } },
        async {
            match (&id, role) {
                (Some(id), OrganizationRole::Administrator) => organization_configuration(gd, id).await.map(Some),
                _ => Ok(None),
            }
        },
    );
    Ok(RegionState { detector: detector?, event_rule: event_rule?, admins: admins?, organization: organization? })
}

async fn read_detector(
    gd: &aws_sdk_guardduty::Client,
    id: &str,
    spec: &GuardDutySpec,
    region: &str,
) -> Result<Detector, AwsError> {
    let out = gd.get_detector().detector_id(id).send().await.map_err(aws::err("guardduty:GetDetector"))?;
    let frequency = out.finding_publishing_frequency().map(|f| f.as_str().to_string()).unwrap_or_default();
    let features: BTreeMap<String, String> = out
        .features()
        .iter()
        .filter_map(|f| Some((f.name()?.as_str().to_string(), f.status()?.as_str().to_string())))
        .collect();
    let plans_off = offered(&spec.features, region).iter().any(|f| !plan_on(&features, f));
    let administrator = if frequency != spec.finding_publishing_frequency || plans_off {
        let admin = gd
            .get_administrator_account()
            .detector_id(id)
            .send()
            .await
            .map_err(aws::err("guardduty:GetAdministratorAccount"))?;
        admin.administrator().and_then(|a| a.account_id()).map(str::to_string)
    } else {
        None
    };
    let enabled = out.status() == Some(&DetectorStatus::Enabled);
    Ok(Detector { id: id.to_string(), enabled, frequency, features, administrator })
}

fn plan_on(features: &BTreeMap<String, String>, feature: &str) -> bool {
    features.get(feature).is_some_and(|status| status == "ENABLED")
}

async fn admin_accounts(gd: &aws_sdk_guardduty::Client) -> Result<Vec<(String, String)>, AwsError> {
    let mut admins = Vec::new();
    let mut pages = gd.list_organization_admin_accounts().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws::err("guardduty:ListOrganizationAdminAccounts"))?;
        admins.extend(page.admin_accounts().iter().map(|a| {
            let status = a.admin_status().map(|s| s.as_str().to_string()).unwrap_or_default();
            (a.admin_account_id().unwrap_or_default().to_string(), status)
        }));
    }
    Ok(admins)
}

/// GuardDuty answers BadRequestException to an account that is not the delegated administrator.
async fn organization_configuration(
    gd: &aws_sdk_guardduty::Client,
    id: &str,
) -> Result<OrganizationConfiguration, AwsError> {
    let result = gd.describe_organization_configuration().detector_id(id).send().await;
    match result.map_err(aws::err("guardduty:DescribeOrganizationConfiguration")) {
        Ok(out) => Ok(OrganizationConfiguration::AutoEnable {
            members: out.auto_enable_organization_members().map(|m| m.as_str().to_string()).unwrap_or_default(),
            features: out
                .features()
                .iter()
                .filter_map(|f| Some((f.name()?.as_str().to_string(), f.auto_enable()?.as_str().to_string())))
                .collect(),
        }),
        Err(e) if e.is_code("BadRequestException") => Ok(OrganizationConfiguration::NotAdministrator),
        Err(e) => Err(e),
    }
}

/// What one region is diffed against.
pub struct Want<'a> {
    pub desired: &'a Desired,
    pub spec: &'a GuardDutySpec,
    pub region: &'a str,
    pub forwarder: &'a Address,
    /// The lowest severity notified; `None`: no route.
    pub notify: Option<u8>,
    /// The protection plans of `features` GuardDuty offers in this region ([`offered`]).
    pub plans: Vec<String>,
}

/// Protection plans GuardDuty does not offer in a region ("Region-specific feature availability", GuardDuty
/// User Guide: "RDS Protection is not supported in Asia Pacific (Taipei) (ap-east-2) Region").
const NOT_OFFERED: &[(&str, &str)] = &[("RDS_LOGIN_EVENTS", "ap-east-2")];

/// The protection plans of `features` GuardDuty offers in `region`.
pub fn offered(features: &[String], region: &str) -> Vec<String> {
    features.iter().filter(|f| !NOT_OFFERED.contains(&(f.as_str(), region))).cloned().collect()
}

/// One region: the detector, the organization's delegation or configuration, the route of its findings.
pub fn diff_region(scope: &Scope, want: &Want<'_>, state: &RegionState) -> Plan {
    let mut plan = Plan::default();
    let detector_at = address(scope, want.region, DETECTOR);
    for feature in want.spec.features.iter().filter(|f| !want.plans.contains(f)) {
        plan.notices.push(Notice {
            level: NoticeLevel::Info,
            address: detector_at.clone(),
            message: format!("protection plan {feature} is not offered in {}: left out there", want.region),
        });
    }
    plan.changes.push(detector_change(&detector_at, want, state.detector.as_ref(), &mut plan.notices));
    if let (Some(admins), Some(admin)) = (&state.admins, &want.spec.delegated_admin) {
        plan.changes.push(admin_change(address(scope, want.region, ORGANIZATION_ADMIN), admin, admins));
    }
    if let Some(organization) = &state.organization {
        let at = address(scope, want.region, ORGANIZATION_CONFIGURATION);
        let id = state.detector.as_ref().map(|d| d.id.as_str());
        plan.changes.push(auto_enable_change(at, want, organization, id));
    } else if state.detector.is_none() && want.spec.delegated_admin.as_deref() == Some(scope.account_id.as_str()) {
        // The administrator's detector is created first; its configuration is read on the next plan.
        let at = address(scope, want.region, ORGANIZATION_CONFIGURATION);
        let unset = OrganizationConfiguration::AutoEnable { members: String::new(), features: BTreeMap::new() };
        let change = auto_enable_change(at, want, &unset, None);
        plan.changes.push(change.after(&detector_at));
    }
    if let (Some(floor), Some(security)) = (want.notify, &want.desired.notifications.security) {
        let leg = event_route::Leg { scope, region: want.region, topic: &security.name, forwarder: want.forwarder };
        let [rule, target] =
            event_route::diff_region(&ROUTE, &leg, state.event_rule.as_ref(), &event_pattern(floor), route_op);
        plan.changes.push(rule.after(&detector_at));
        plan.changes.push(target);
    }
    plan
}

fn detector_change(
    at: &Address,
    want: &Want<'_>,
    have: Option<&Detector>,
    notices: &mut Vec<Notice>,
) -> ResourceChange {
    let frequency = want.spec.finding_publishing_frequency;
    let Some(have) = have else { return new_detector(at, want) };
    let mut attributes = Vec::new();
    if !have.enabled {
        attributes.push(AttributeChange::new("status", Some("DISABLED".into()), Some("ENABLED".into())));
    }
    // A member's detector is its administrator's to configure: what differs is reported, not written.
    let mut managed = |what: String| match &have.administrator {
        Some(admin) => {
            notices.push(Notice {
                level: NoticeLevel::Info,
                address: at.clone(),
                message: format!("{what} as GuardDuty administrator account {admin} sets it for its members"),
            });
            true
        }
        None => false,
    };
    let mut write_frequency = None;
    if have.frequency != frequency && !managed(format!("findings are published every {}", have.frequency)) {
        attributes.push(AttributeChange::new(
            "finding_publishing_frequency",
            Some(have.frequency.clone()),
            Some(frequency.into()),
        ));
        write_frequency = Some(frequency.to_string());
    }
    // The update names every plan the baseline turns on, the ones already on too, and no other: GuardDuty changes
    // only the features it is given, where the emulator replaces the list with them.
    let mut turn_on = false;
    for feature in want.plans.iter().filter(|f| !plan_on(&have.features, f)) {
        let status = have.features.get(feature).cloned();
        if !managed(format!("protection plan {feature} is {}", status.as_deref().unwrap_or("off"))) {
            attributes.push(AttributeChange::new(format!("features.{feature}"), status, Some("ENABLED".into())));
            turn_on = true;
        }
    }
    let features = if turn_on { want.plans.clone() } else { Vec::new() };
    if attributes.is_empty() {
        return ResourceChange::no_op(at.clone(), "GuardDuty detector enabled");
    }
    let reason = if !have.enabled {
        "detector is suspended: no finding is produced"
    } else if write_frequency.is_some() {
        "detector publishes findings at another frequency"
    } else {
        "protection plans the baseline turns on are off"
    };
    let op = Op::UpdateDetector { detector_id: have.id.clone(), frequency: write_frequency, features };
    ResourceChange::new(at.clone(), Action::Update, reason, Operation::GuardDuty(op)).with_attributes(attributes)
}

fn new_detector(at: &Address, want: &Want<'_>) -> ResourceChange {
    let frequency = want.spec.finding_publishing_frequency;
    let tags = super::wiring::desired_tags(want.desired);
    let mut attributes = super::new_fields([
        ("status", "ENABLED".to_string()),
        ("finding_publishing_frequency", frequency.to_string()),
    ]);
    let features = want.plans.clone();
    let on = |f: &String| AttributeChange::new(format!("features.{f}"), None, Some("ENABLED".into()));
    attributes.extend(features.iter().map(on));
    attributes.extend(super::new_tags(&tags));
    let op = Op::CreateDetector { frequency: frequency.to_string(), tags, features };
    ResourceChange::new(at.clone(), Action::Create, "no GuardDuty detector in this region", Operation::GuardDuty(op))
        .with_attributes(attributes)
}

/// Protection plans to turn on, as UpdateDetector and CreateDetector take them; `None` for none.
fn turned_on(features: &[String]) -> Option<Vec<DetectorFeatureConfiguration>> {
    let on = |f: &String| {
        let name = DetectorFeature::from(f.as_str());
        DetectorFeatureConfiguration::builder().name(name).status(FeatureStatus::Enabled).build()
    };
    (!features.is_empty()).then(|| features.iter().map(on).collect())
}

/// The management account delegates GuardDuty administration to `admin`. An organization has one delegated
/// administrator for GuardDuty: another one already in place is reported, never replaced.
fn admin_change(at: Address, admin: &str, admins: &[(String, String)]) -> ResourceChange {
    if admins.iter().any(|(id, status)| id == admin && status == "ENABLED") {
        return ResourceChange::no_op(at, format!("GuardDuty administration delegated to {admin}"));
    }
    if let Some((other, _)) = admins.iter().find(|(id, _)| id != admin) {
        return ResourceChange::manual(
            at,
            format!("GuardDuty administration is delegated to {other}, not {admin}"),
            vec![
                format!("keep {other}: set `delegated_admin = \"{other}\"` in [guardduty]"),
                format!("or move it: DisableOrganizationAdminAccount for {other} in this region, then apply again"),
            ],
        );
    }
    let op = Operation::GuardDuty(Op::EnableAdmin { account: admin.to_string() });
    ResourceChange::new(at, Action::Create, "GuardDuty administration is not delegated", op)
        .with_attributes(vec![AttributeChange::new("admin_account_id", None, Some(admin.to_string()))])
}

/// Members' auto-enable, and the same auto-enable for each protection plan the baseline turns on (none when
/// members are not auto-enabled). Plans the baseline does not name keep their setting.
fn auto_enable_change(
    at: Address,
    wanted: &Want<'_>,
    have: &OrganizationConfiguration,
    detector_id: Option<&str>,
) -> ResourceChange {
    let want = wanted.spec.auto_enable;
    let features = if want == "NONE" { Vec::new() } else { wanted.plans.clone() };
    let (members, plans) = match have {
        OrganizationConfiguration::AutoEnable { members, features } => (Some(members.as_str()), Some(features)),
        OrganizationConfiguration::NotAdministrator => (None, None),
    };
    let before = members.filter(|m| !m.is_empty()).map(str::to_string);
    let mut attributes = Vec::new();
    if before.as_deref() != Some(want) {
        attributes.push(AttributeChange::new("auto_enable_organization_members", before.clone(), Some(want.into())));
    }
    for feature in &features {
        let had = plans.and_then(|p| p.get(feature)).cloned();
        if had.as_deref() != Some(want) {
            attributes.push(AttributeChange::new(format!("features.{feature}.auto_enable"), had, Some(want.into())));
        }
    }
    if attributes.is_empty() {
        return ResourceChange::no_op(at, format!("members auto-enabled: {want}"));
    }
    let op = Operation::GuardDuty(Op::AutoEnable {
        detector_id: detector_id.map(str::to_string),
        members: want.to_string(),
        features,
    });
    let (action, reason) = match (members, before) {
        (None, _) => (
            Action::Create,
            "not yet GuardDuty's delegated administrator here: the management account's run delegates it (apply again if this fails)",
        ),
        (Some(_), None) => (Action::Create, "members are not enabled as the baseline wants"),
        (Some(_), Some(_)) => (Action::Update, "members are not enabled as the baseline wants"),
    };
    ResourceChange::new(at, action, reason, op).with_attributes(attributes)
}

/// The protection plans members get, each auto-enabled as `members` (ALL, NEW); `None` for none.
fn members_plans(features: &[String], members: &str) -> Option<Vec<OrganizationFeatureConfiguration>> {
    let plan = |f: &String| {
        OrganizationFeatureConfiguration::builder()
            .name(OrgFeature::from(f.as_str()))
            .auto_enable(OrgFeatureStatus::from(members))
            .build()
    };
    (!features.is_empty()).then(|| features.iter().map(plan).collect())
}

/// The region's detector id, read again after a create in the same apply.
async fn detector_id(gd: &aws_sdk_guardduty::Client) -> Result<String, AwsError> {
    let out = gd.list_detectors().send().await.map_err(aws::err("guardduty:ListDetectors"))?;
    out.detector_ids().first().cloned().ok_or_else(|| {
        AwsError::new("guardduty:GetDetector", ErrorKind::NotFound, None, "no detector in this region".into(), None)
    })
}

/// This family's client in a region, built the first time it is asked for.
fn client(clients: &RegionClients) -> aws_sdk_guardduty::Client {
    clients.service(|session, region| crate::aws::sdk_client!(aws_sdk_guardduty, session, region))
}

pub async fn execute(target: &Target, op: &Op, address: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    let gd = || target.region(&address.region, "guardduty:CreateDetector").map(client);
    match op {
        Op::Route(op) => event_route::run(target, op, address).await,
        Op::CreateDetector { frequency, tags, features } => {
            let gd = gd()?;
            let result = gd
                .create_detector()
                .enable(true)
                .finding_publishing_frequency(FindingPublishingFrequency::from(frequency.as_str()))
                .set_features(turned_on(features))
                .set_tags(Some(tags.clone().into_iter().collect()))
                .send()
                .await
                .map_err(aws::err("guardduty:CreateDetector"));
            // A detector made by an earlier attempt whose answer was lost: GuardDuty refuses a second one.
            match result {
                Ok(_) => Ok(()),
                Err(e) if e.message.contains("already has a detector") => Ok(()),
                Err(e) => Err(e),
            }
        }
        Op::UpdateDetector { detector_id, frequency, features } => {
            gd()?
                .update_detector()
                .detector_id(detector_id)
                .enable(true)
                .set_finding_publishing_frequency(frequency.as_deref().map(FindingPublishingFrequency::from))
                .set_features(turned_on(features))
                .send()
                .await
                .map_err(aws::err("guardduty:UpdateDetector"))?;
            Ok(())
        }
        Op::EnableAdmin { account } => {
            gd()?
                .enable_organization_admin_account()
                .admin_account_id(account)
                .send()
                .await
                .map_err(aws::err("guardduty:EnableOrganizationAdminAccount"))?;
            Ok(())
        }
        Op::AutoEnable { detector_id: planned, members, features } => {
            let gd = gd()?;
            let id = match planned {
                Some(id) => id.clone(),
                None => detector_id(&gd).await?,
            };
            gd.update_organization_configuration()
                .detector_id(id)
                .auto_enable_organization_members(AutoEnableMembers::from(members.as_str()))
                .set_features(members_plans(features, members))
                .send()
                .await
                .map_err(aws::err("guardduty:UpdateOrganizationConfiguration"))?;
            Ok(())
        }
    }
}

/// Drift coverage of what this family writes (see `coverage.rs`). GuardDuty: each region's detector, the
/// organization's delegation and members' auto-enable. Its findings
// The emulator has no GuardDuty organization configuration, and one account cannot be both the management account
// and the delegated administrator: mocked clients show these drifting.
const ORGANIZATION_TESTS: &str = "tests/it/families/guardduty.rs";
const ORGANIZATION_TEST: &str = "the_management_account_delegates_and_the_administrator_auto_enables_members";

pub const COVERAGE: &[coverage::Setting] = &[
    // route is an EventBridge rule and target like Config's (listed with Config's in `coverage.rs`).
    coverage::repaired("guardduty.detector", "status", "GetDetector", &["CreateDetector.enable", "UpdateDetector.enable"]),
    coverage::repaired(
        "guardduty.detector",
        "finding_publishing_frequency",
        "GetDetector",
        &["CreateDetector.findingPublishingFrequency", "UpdateDetector.findingPublishingFrequency"],
    ),
    coverage::repaired(
        "guardduty.detector",
        "features.*",
        "GetDetector",
        &[
            "CreateDetector.features[].name",
            "CreateDetector.features[].status",
            "UpdateDetector.features[].name",
            "UpdateDetector.features[].status",
        ],
    ),
    coverage::unmanaged(
        "guardduty.detector",
        "tags.*",
        &["CreateDetector.tags"],
        "set when baseline creates the detector; an adopted detector's tags are its owner's",
    ),
    coverage::unmanaged(
        "guardduty.detector",
        "client_token",
        &["CreateDetector.clientToken"],
        "an idempotency token the SDK makes for each request",
    ),
    coverage::repaired(
        "guardduty.organization_admin",
        "admin_account_id",
        "ListOrganizationAdminAccounts",
        &["EnableOrganizationAdminAccount.adminAccountId"],
    )
    .shown_in(ORGANIZATION_TESTS, ORGANIZATION_TEST),
    coverage::repaired(
        "guardduty.organization_configuration",
        "auto_enable_organization_members",
        "DescribeOrganizationConfiguration",
        &["UpdateOrganizationConfiguration.autoEnableOrganizationMembers"],
    )
    .shown_in(ORGANIZATION_TESTS, ORGANIZATION_TEST),
    coverage::repaired(
        "guardduty.organization_configuration",
        "features.*.auto_enable",
        "DescribeOrganizationConfiguration",
        &["UpdateOrganizationConfiguration.features[].name", "UpdateOrganizationConfiguration.features[].autoEnable"],
    )
    .shown_in(ORGANIZATION_TESTS, ORGANIZATION_TEST),
];
