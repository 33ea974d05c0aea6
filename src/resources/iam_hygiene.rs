//! IAM account hygiene: the password policy, groups that mirror organisational roles, the AWS Support role,
//! and the root user checks that only a person can fix (manual actions).

use aws_sdk_iam::types::SummaryKeyType;
use futures::future::join_all;
use serde_json::json;

use super::{Operation, iam_role, report_unreadable};
use super::{Plan, ResourceChange};
use crate::aws::{self, AwsError};
use crate::config::{Desired, GroupSpec, IamSpec, PasswordPolicy, SupportRole};
use crate::engine::{Action, Address, AttributeChange, EventSink, GLOBAL, Notice, NoticeLevel};
use crate::policy::PolicyDocument;
use crate::target::{Scope, Target};

pub const PASSWORD_POLICY: &str = "iam.password_policy";
pub const GROUP: &str = "iam.group";
pub const GROUP_POLICIES: &str = "iam.group_policy_attachments";
pub const SUPPORT_ROLE: &str = "iam.role";
pub const ROOT_USER: &str = "iam.root_user";
pub const SUPPORT_PLAN: &str = "support.plan";
pub const IDENTITY_PROVIDER: &str = "iam.identity_provider";

/// IAM Identity Center creates its permission sets' roles in each account under this path.
const IDENTITY_CENTER_ROLES: &str = "/aws-reserved/sso.amazonaws.com/";

/// The AWS managed policy that lets a role manage AWS Support cases.
pub const SUPPORT_POLICY: &str = "policy/AWSSupportAccess";

/// The support role's description, written on creation and kept.
pub const SUPPORT_ROLE_DESCRIPTION: &str = "Manages AWS Support cases, managed by baseline";

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    PutPasswordPolicy(PasswordPolicy),
    CreateGroup {
        name: String,
        path: String,
    },
    /// Moves an existing group back to its declared path.
    UpdateGroupPath {
        name: String,
        path: String,
    },
    AttachGroupPolicies {
        group: String,
        attach: Vec<String>,
        detach: Vec<String>,
    },
    CreateSupportRole {
        name: String,
        trust_policy: String,
        policy_arn: String,
    },
    /// Repairs whatever differs on the support role, all in one change (`None`: that setting matches).
    UpdateSupportRole {
        name: String,
        trust_policy: Option<String>,
        policy_arn: Option<String>,
        description: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleState {
    pub trust_policy: PolicyDocument,
    pub attached: Vec<String>,
    pub description: String,
}

/// A declared group as the account has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupState {
    /// `None` when ListGroups did not show it (created between the two reads): not compared.
    pub path: Option<String>,
    /// The attached managed policy ARNs.
    pub attached: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observed {
    /// `None`: no password policy is set.
    pub password_policy: Option<PasswordPolicy>,
    /// Per declared group: `None` when it does not exist.
    pub groups: Vec<Option<GroupState>>,
    pub support_role: Option<RoleState>,
    /// `(root MFA enabled, root access keys present)`.
    pub root: Option<(bool, bool)>,
    /// How people sign in, read with the root checks.
    pub federation: Option<Federation>,
}

/// The account's sign-in federation: SAML providers, and roles IAM Identity Center made here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Federation {
    pub saml_providers: usize,
    pub identity_center: bool,
}

fn address(scope: &Scope, kind: &'static str, name: &str) -> Address {
    Address::new(&scope.account_id, GLOBAL, kind, name)
}

pub fn support_policy_arn(scope: &Scope) -> String {
    format!("arn:{}:iam::aws:{SUPPORT_POLICY}", scope.partition)
}

pub fn support_trust_policy(scope: &Scope, role: &SupportRole) -> PolicyDocument {
    let principal = role
        .trusted_principal
        .clone()
        .unwrap_or_else(|| format!("arn:{}:iam::{}:root", scope.partition, scope.account_id));
    PolicyDocument {
        version: Some("2012-10-17".into()),
        id: None,
        statements: vec![json!({
            "Sid": "BaselineSupportAssumeRole",
            "Effect": "Allow",
            "Principal": { "AWS": principal },
            "Action": "sts:AssumeRole"
        })],
    }
}

/// The calls of this family: account-wide settings (no resource), the baseline's groups and support role
/// on their ARNs; only the managed policies the baseline names may be attached.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    use crate::needs::{Condition, NO_RESOURCE_TYPE};
    let Some(spec) = &desired.iam else { return };
    if spec.root_checks {
        needs.any(&["iam:GetAccountSummary", "iam:ListSAMLProviders"], NO_RESOURCE_TYPE);
        needs.any(&["iam:ListRoles"], crate::needs::LISTS_ALL);
    }
    if spec.password_policy.is_some() {
        needs.any(&["iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy"], NO_RESOURCE_TYPE);
    }
    let attachable = |arns: Vec<String>| Condition {
        operator: "ArnEquals",
        key: "iam:PolicyARN",
        values: arns.into_iter().collect(),
    };
    if !spec.groups.is_empty() {
        let groups: Vec<String> =
            spec.groups.iter().map(|g| needs.iam_arn("group", &format!("{}{}", g.path, g.name))).collect();
        needs.on(&["iam:CreateGroup"], groups.clone());
        // One list shows every group's path.
        needs.any(&["iam:ListGroups"], crate::needs::LISTS_ALL);
        // A group moved to another path has another ARN: the group of that name under any path (group names
        // are unique in an account, whatever the path) is read and moved back.
        let any_path: Vec<String> = spec
            .groups
            .iter()
            .flat_map(|g| [needs.iam_arn("group", &g.name), needs.iam_arn("group", &format!("*/{}", g.name))])
            .collect();
        needs.on(&["iam:ListAttachedGroupPolicies", "iam:UpdateGroup"], any_path);
        // Each group may get only its own listed policies.
        for (group, arn) in spec.groups.iter().zip(groups) {
            needs.on_if("iam:AttachGroupPolicy", [arn], attachable(group.policies.clone()));
        }
        let exclusive: Vec<String> = spec
            .groups
            .iter()
            .filter(|g| g.exclusive)
            .map(|g| needs.iam_arn("group", &format!("{}{}", g.path, g.name)))
            .collect();
        if !exclusive.is_empty() {
            needs.on(&["iam:DetachGroupPolicy"], exclusive);
        }
    }
    if let Some(role) = &spec.support_role {
        let arn = needs.iam_arn("role", &role.name);
        needs.on(
            &[
                "iam:GetRole",
                "iam:ListAttachedRolePolicies",
                "iam:CreateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
            ],
            [arn.clone()],
        );
        let policy = format!("arn:{}:iam::aws:{SUPPORT_POLICY}", needs.scope().partition);
        needs.on_if("iam:AttachRolePolicy", [arn], attachable(vec![policy]));
    }
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let Some(spec) = &desired.iam else { return Plan::default() };
    let scope = &target.scope;
    let mut plan = Plan::default();
    let (password, groups, role, root) = tokio::join!(
        async {
            match spec.password_policy {
                Some(_) => Some(observe_password_policy(target).await),
                None => None,
            }
        },
        observe_groups(target, &spec.groups),
        async {
            match &spec.support_role {
                Some(r) => Some(observe_role(target, &r.name).await),
                None => None,
            }
        },
        async {
            if spec.root_checks { Some(tokio::join!(observe_root(target), observe_federation(target))) } else { None }
        },
    );
    let mut observed = Observed::default();
    if let Some(result) = password {
        let at = address(scope, PASSWORD_POLICY, "account");
        match report_unreadable(result, &at, &mut plan) {
            Some(policy) => observed.password_policy = policy,
            None => return plan,
        }
    }
    for (group, result) in spec.groups.iter().zip(groups) {
        let at = address(scope, GROUP, &group.name);
        match report_unreadable(result, &at, &mut plan) {
            Some(state) => observed.groups.push(state),
            None => return plan,
        }
    }
    if let Some(result) = role {
        let name = spec.support_role.as_ref().map(|r| r.name.as_str()).unwrap_or_default();
        match report_unreadable(result, &address(scope, SUPPORT_ROLE, name), &mut plan) {
            Some(state) => observed.support_role = state,
            None => return plan,
        }
    }
    if let Some((root, federation)) = root {
        observed.root = report_unreadable(root, &address(scope, ROOT_USER, "account"), &mut plan);
        observed.federation = report_unreadable(federation, &address(scope, IDENTITY_PROVIDER, "account"), &mut plan);
    }
    plan.extend(diff(scope, spec, &observed));
    plan
}

async fn observe_password_policy(target: &Target) -> Result<Option<PasswordPolicy>, AwsError> {
    match target.iam.get_account_password_policy().send().await.map_err(aws::err("iam:GetAccountPasswordPolicy")) {
        Ok(out) => Ok(out.password_policy().map(|p| PasswordPolicy {
            minimum_length: p.minimum_password_length().and_then(|v| u32::try_from(v).ok()).unwrap_or(0),
            require_uppercase: p.require_uppercase_characters(),
            require_lowercase: p.require_lowercase_characters(),
            require_numbers: p.require_numbers(),
            require_symbols: p.require_symbols(),
            allow_users_to_change: p.allow_users_to_change_password(),
            reuse_prevention: p.password_reuse_prevention().and_then(|v| u32::try_from(v).ok()).unwrap_or(0),
            max_age_days: p.max_password_age().and_then(|v| u32::try_from(v).ok()).unwrap_or(0),
            hard_expiry: p.hard_expiry().unwrap_or(false),
        })),
        Err(e) if e.is_code("NoSuchEntity") => Ok(None),
        Err(e) => Err(e),
    }
}

/// Each declared group (`None`: it does not exist); the paths of all of them come from one listing.
async fn observe_groups(target: &Target, groups: &[GroupSpec]) -> Vec<Result<Option<GroupState>, AwsError>> {
    if groups.is_empty() {
        return Vec::new();
    }
    let (paths, attached) =
        tokio::join!(group_paths(target), join_all(groups.iter().map(|g| observe_group(target, &g.name))));
    attached
        .into_iter()
        .zip(groups)
        .map(|(attached, group)| {
            let paths = paths.as_ref().map_err(Clone::clone)?;
            Ok(attached?.map(|attached| GroupState { path: paths.get(&group.name).cloned(), attached }))
        })
        .collect()
}

/// Every group's path, by name.
async fn group_paths(target: &Target) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
    let mut pages = target.iam.list_groups().into_paginator().send();
    let mut paths = std::collections::BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws::err("iam:ListGroups"))?;
        paths.extend(page.groups().iter().map(|g| (g.group_name().to_string(), g.path().to_string())));
    }
    Ok(paths)
}

async fn observe_group(target: &Target, name: &str) -> Result<Option<Vec<String>>, AwsError> {
    let mut pages = target.iam.list_attached_group_policies().group_name(name).into_paginator().send();
    let mut attached = Vec::new();
    while let Some(page) = pages.next().await {
        match page.map_err(aws::err("iam:ListAttachedGroupPolicies")) {
            Ok(page) => {
                attached.extend(page.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)))
            }
            Err(e) if e.is_code("NoSuchEntity") => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(Some(attached))
}

async fn observe_role(target: &Target, name: &str) -> Result<Option<RoleState>, AwsError> {
    let (role, attached) = tokio::join!(
        iam_role::read(&target.iam, name),
        target.iam.list_attached_role_policies().role_name(name).send(),
    );
    let Some(role) = role? else { return Ok(None) };
    let attached = attached.map_err(aws::err("iam:ListAttachedRolePolicies"))?;
    Ok(Some(RoleState {
        trust_policy: role.trust_policy,
        attached: attached.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)).collect(),
        description: role.description,
    }))
}

/// SAML providers (one listing) and whether IAM Identity Center has roles here (one role is enough).
async fn observe_federation(target: &Target) -> Result<Federation, AwsError> {
    let iam = &target.iam;
    let (saml, sso) = tokio::join!(
        iam.list_saml_providers().send(),
        iam.list_roles().path_prefix(IDENTITY_CENTER_ROLES).max_items(1).send(),
    );
    let saml = saml.map_err(aws::err("iam:ListSAMLProviders"))?;
    let sso = sso.map_err(aws::err("iam:ListRoles"))?;
    Ok(Federation { saml_providers: saml.saml_provider_list().len(), identity_center: !sso.roles().is_empty() })
}

/// CIS (Prowler `iam_check_saml_providers_sts`): people sign in through a central identity provider and get
/// temporary credentials from STS, rather than as IAM users. A status, since only a person can set that up.
fn federation_notice(scope: &Scope, federation: Federation) -> Notice {
    let message = match federation {
        Federation { identity_center: true, .. } => {
            "people sign in through IAM Identity Center (its roles are in this account)".to_string()
        }
        Federation { saml_providers: n, .. } if n > 0 => {
            format!("people sign in through {n} SAML provider(s), with temporary credentials from STS")
        }
        _ => "no SAML provider and no IAM Identity Center role: give people access through IAM Identity Center \
              (or a SAML 2.0 provider and roles assumed with STS) instead of IAM users with passwords and keys"
            .to_string(),
    };
    Notice { level: NoticeLevel::Info, address: address(scope, IDENTITY_PROVIDER, "account"), message }
}

async fn observe_root(target: &Target) -> Result<(bool, bool), AwsError> {
    let out = target.iam.get_account_summary().send().await.map_err(aws::err("iam:GetAccountSummary"))?;
    let get = |k: SummaryKeyType| out.summary_map().and_then(|m| m.get(&k)).copied().unwrap_or(0);
    Ok((get(SummaryKeyType::AccountMfaEnabled) == 1, get(SummaryKeyType::AccountAccessKeysPresent) > 0))
}

fn policy_fields(p: &PasswordPolicy) -> [(&'static str, String); 9] {
    [
        ("minimum_password_length", p.minimum_length.to_string()),
        ("require_uppercase_characters", p.require_uppercase.to_string()),
        ("require_lowercase_characters", p.require_lowercase.to_string()),
        ("require_numbers", p.require_numbers.to_string()),
        ("require_symbols", p.require_symbols.to_string()),
        ("allow_users_to_change_password", p.allow_users_to_change.to_string()),
        ("password_reuse_prevention", p.reuse_prevention.to_string()),
        ("max_password_age", if p.max_age_days == 0 { "never expires".into() } else { p.max_age_days.to_string() }),
        ("hard_expiry", p.hard_expiry.to_string()),
    ]
}

pub fn diff(scope: &Scope, spec: &IamSpec, observed: &Observed) -> Plan {
    let mut plan = Plan::default();
    let op = Operation::IamHygiene;

    if let Some(want) = spec.password_policy {
        let at = address(scope, PASSWORD_POLICY, "account");
        let have = observed.password_policy;
        let attributes: Vec<AttributeChange> = match have {
            None => super::new_fields(policy_fields(&want)),
            Some(have) => super::changed_fields(policy_fields(&have), policy_fields(&want)),
        };
        plan.changes.push(if attributes.is_empty() {
            ResourceChange::no_op(at, "password policy matches")
        } else {
            let (action, reason) = if have.is_some() {
                (Action::Update, "password policy is weaker or differs")
            } else {
                (Action::Create, "no password policy")
            };
            ResourceChange::new(at, action, reason, op(Op::PutPasswordPolicy(want))).with_attributes(attributes)
        });
    }

    for (group, have) in spec.groups.iter().zip(&observed.groups) {
        plan.extend(diff_group(scope, group, have.as_ref()));
    }

    if let Some(role) = &spec.support_role {
        plan.changes.push(support_role_change(scope, role, observed.support_role.as_ref()));
    }

    if let Some((mfa, keys)) = observed.root {
        if !mfa {
            plan.changes.push(ResourceChange::manual(
                address(scope, ROOT_USER, "mfa"),
                "the root user has no MFA device (CIS; Prowler iam_root_mfa_enabled, iam_root_hardware_mfa_enabled)",
                vec![
                    "Sign in to the AWS Management Console as the root user (the account's e-mail address).".into(),
                    "Open the account menu, then Security credentials.".into(),
                    "Under Multi-factor authentication (MFA), choose Assign MFA device and register a hardware key or passkey.".into(),
                    "Keep the device with the account's break-glass procedure.".into(),
                ],
            ));
        }
        if keys {
            plan.changes.push(ResourceChange::manual(
                address(scope, ROOT_USER, "access_keys"),
                "the root user has access keys (CIS; Prowler iam_no_root_access_key)",
                vec![
                    "Move anything that uses the root access keys to an IAM role.".into(),
                    "Sign in as the root user, open Security credentials, Access keys.".into(),
                    "Deactivate each root access key, confirm nothing breaks, then delete it.".into(),
                ],
            ));
        }
        if let Some(federation) = observed.federation {
            plan.notices.push(federation_notice(scope, federation));
        }
        plan.notices.push(Notice {
            level: NoticeLevel::Info,
            address: address(scope, SUPPORT_PLAN, "account"),
            message: "no API reports the support plan: check Support Center, Support plans; Business or Enterprise \
                      is recommended for production accounts"
                .into(),
        });
    }
    plan
}

/// The support role: created with its trust policy, AWSSupportAccess and description, or everything that
/// differs repaired by one change.
fn support_role_change(scope: &Scope, role: &SupportRole, have: Option<&RoleState>) -> ResourceChange {
    let at = address(scope, SUPPORT_ROLE, &role.name);
    let trust = support_trust_policy(scope, role);
    let policy_arn = support_policy_arn(scope);
    let op = Operation::IamHygiene;
    let Some(state) = have else {
        return ResourceChange::new(
            at,
            Action::Create,
            "no role may manage AWS Support cases",
            op(Op::CreateSupportRole {
                name: role.name.clone(),
                trust_policy: trust.to_json(),
                policy_arn: policy_arn.clone(),
            }),
        )
        .with_attributes(vec![
            AttributeChange::new("assume_role_policy", None, Some(trust.to_json())),
            AttributeChange::new("managed_policies", None, Some(policy_arn)),
            AttributeChange::new("description", None, Some(SUPPORT_ROLE_DESCRIPTION.into())),
        ]);
    };
    let mut attributes = Vec::new();
    let mut reasons = Vec::new();
    let trust_differs = !state.trust_policy.equivalent(&trust);
    if trust_differs {
        reasons.push("trust policy differs");
        attributes.push(AttributeChange::new(
            "assume_role_policy",
            Some(state.trust_policy.to_json()),
            Some(trust.to_json()),
        ));
    }
    let detached = !state.attached.contains(&policy_arn);
    if detached {
        reasons.push("AWSSupportAccess is not attached");
        attributes.push(AttributeChange::new(
            "managed_policies",
            Some(state.attached.join(", ")),
            Some(policy_arn.clone()),
        ));
    }
    let description_differs = state.description != SUPPORT_ROLE_DESCRIPTION;
    if description_differs {
        reasons.push("description differs");
        let before = if state.description.is_empty() { "(none)".to_string() } else { state.description.clone() };
        attributes.push(AttributeChange::new("description", Some(before), Some(SUPPORT_ROLE_DESCRIPTION.into())));
    }
    if attributes.is_empty() {
        return ResourceChange::no_op(at, "support role in place");
    }
    let repair = Op::UpdateSupportRole {
        name: role.name.clone(),
        trust_policy: trust_differs.then(|| trust.to_json()),
        policy_arn: detached.then_some(policy_arn),
        description: description_differs.then(|| SUPPORT_ROLE_DESCRIPTION.to_string()),
    };
    ResourceChange::new(at, Action::Update, reasons.join("; "), op(repair)).with_attributes(attributes)
}

fn diff_group(scope: &Scope, group: &GroupSpec, have: Option<&GroupState>) -> Plan {
    let mut plan = Plan::default();
    let op = Operation::IamHygiene;
    let group_at = address(scope, GROUP, &group.name);
    if have.is_none() {
        plan.changes.push(
            ResourceChange::new(
                group_at.clone(),
                Action::Create,
                "group does not exist",
                op(Op::CreateGroup { name: group.name.clone(), path: group.path.clone() }),
            )
            .with_attributes(vec![
                AttributeChange::new("name", None, Some(group.name.clone())),
                AttributeChange::new("path", None, Some(group.path.clone())),
            ]),
        );
    } else if let Some(path) = have.and_then(|h| h.path.as_ref()).filter(|p| **p != group.path) {
        plan.changes.push(
            ResourceChange::new(
                group_at.clone(),
                Action::Update,
                "group is under another path",
                op(Op::UpdateGroupPath { name: group.name.clone(), path: group.path.clone() }),
            )
            .with_attributes(vec![AttributeChange::new(
                "path",
                Some(path.clone()),
                Some(group.path.clone()),
            )]),
        );
    } else {
        plan.changes.push(ResourceChange::no_op(group_at.clone(), "group exists"));
    }
    let attached = have.map(|h| h.attached.clone()).unwrap_or_default();
    let attach: Vec<String> = group.policies.iter().filter(|p| !attached.contains(p)).cloned().collect();
    let extra: Vec<String> = attached.iter().filter(|p| !group.policies.contains(p)).cloned().collect();
    let detach = if group.exclusive { extra.clone() } else { Vec::new() };
    let policies_at = address(scope, GROUP_POLICIES, &group.name);
    if !group.exclusive && !extra.is_empty() {
        plan.notices.push(Notice {
            level: NoticeLevel::Info,
            address: policies_at.clone(),
            message: format!("attached but not declared: {} (kept; set exclusive = true to detach)", extra.join(", ")),
        });
    }
    if attach.is_empty() && detach.is_empty() {
        plan.changes.push(ResourceChange::no_op(policies_at, "declared policies attached"));
    } else {
        let mut attributes: Vec<AttributeChange> =
            attach.iter().map(|p| AttributeChange::new("attached", None, Some(p.clone()))).collect();
        attributes.extend(detach.iter().map(|p| AttributeChange::new("attached", Some(p.clone()), None)));
        let action = if have.is_some() { Action::Update } else { Action::Create };
        let reason = if have.is_none() {
            "new group"
        } else if detach.is_empty() {
            "declared policies not attached"
        } else {
            "attachments differ (exclusive)"
        };
        plan.changes.push(
            ResourceChange::new(
                policies_at,
                action,
                reason,
                op(Op::AttachGroupPolicies { group: group.name.clone(), attach, detach }),
            )
            .with_attributes(attributes)
            .after(&group_at),
        );
    }
    plan
}

pub async fn execute(target: &Target, op: &Op, _at: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    let iam = &target.iam;
    let to_i32 = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    match op {
        Op::PutPasswordPolicy(p) => {
            let mut call = iam
                .update_account_password_policy()
                .minimum_password_length(to_i32(p.minimum_length))
                .require_uppercase_characters(p.require_uppercase)
                .require_lowercase_characters(p.require_lowercase)
                .require_numbers(p.require_numbers)
                .require_symbols(p.require_symbols)
                .allow_users_to_change_password(p.allow_users_to_change)
                .hard_expiry(p.hard_expiry);
            if p.reuse_prevention > 0 {
                call = call.password_reuse_prevention(to_i32(p.reuse_prevention));
            }
            if p.max_age_days > 0 {
                call = call.max_password_age(to_i32(p.max_age_days));
            }
            call.send().await.map_err(aws::err("iam:UpdateAccountPasswordPolicy"))?;
        }
        Op::CreateGroup { name, path } => {
            let created = iam.create_group().group_name(name).path(path).send().await;
            created
                .map(|_| ())
                .map_err(aws::err("iam:CreateGroup"))
                .or_else(super::already_there("EntityAlreadyExists"))?;
        }
        Op::AttachGroupPolicies { group, attach, detach } => {
            for arn in attach {
                iam.attach_group_policy()
                    .group_name(group)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(aws::err("iam:AttachGroupPolicy"))?;
            }
            for arn in detach {
                iam.detach_group_policy()
                    .group_name(group)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(aws::err("iam:DetachGroupPolicy"))?;
            }
        }
        Op::UpdateGroupPath { name, path } => {
            iam.update_group().group_name(name).new_path(path).send().await.map_err(aws::err("iam:UpdateGroup"))?;
        }
        Op::CreateSupportRole { name, trust_policy, policy_arn } => {
            iam_role::create(iam, name, trust_policy, SUPPORT_ROLE_DESCRIPTION, &Default::default()).await?;
            iam_role::attach_managed(iam, name, policy_arn).await?;
        }
        Op::UpdateSupportRole { name, trust_policy, policy_arn, description } => {
            if let Some(trust_policy) = trust_policy {
                iam_role::update_trust(iam, name, trust_policy).await?;
            }
            if let Some(policy_arn) = policy_arn {
                iam_role::attach_managed(iam, name, policy_arn).await?;
            }
            if let Some(description) = description {
                iam_role::update_description(iam, name, description).await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope { account_id: "111111111111".into(), partition: "aws".into(), home_region: "us-east-1".into() }
    }

    fn spec() -> IamSpec {
        IamSpec {
            root_checks: true,
            password_policy: Some(PasswordPolicy::default()),
            groups: vec![GroupSpec {
                name: "auditors".into(),
                path: "/".into(),
                policies: vec!["arn:aws:iam::aws:policy/SecurityAudit".into()],
                exclusive: false,
            }],
            support_role: Some(SupportRole { name: "support".into(), trusted_principal: None }),
        }
    }

    fn converged() -> Observed {
        Observed {
            password_policy: Some(PasswordPolicy::default()),
            groups: vec![Some(GroupState {
                path: Some("/".into()),
                attached: vec!["arn:aws:iam::aws:policy/SecurityAudit".into()],
            })],
            support_role: Some(RoleState {
                trust_policy: support_trust_policy(&scope(), spec().support_role.as_ref().unwrap()),
                attached: vec![support_policy_arn(&scope())],
                description: SUPPORT_ROLE_DESCRIPTION.into(),
            }),
            root: Some((true, false)),
            federation: Some(Federation { saml_providers: 0, identity_center: true }),
        }
    }

    fn kinds(plan: &Plan) -> Vec<String> {
        plan.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| c.address.to_string()).collect()
    }

    #[test]
    fn converged_account_has_only_status_lines() {
        let plan = diff(&scope(), &spec(), &converged());
        assert!(kinds(&plan).is_empty(), "{:?}", kinds(&plan));
        let status: Vec<&str> = plan.notices.iter().map(|n| n.address.kind).collect();
        assert_eq!(status, [IDENTITY_PROVIDER, SUPPORT_PLAN]);
    }

    #[test]
    fn weaker_password_policy_lists_each_weakened_setting() {
        let mut observed = converged();
        observed.password_policy = Some(PasswordPolicy {
            minimum_length: 8,
            require_symbols: false,
            max_age_days: 0,
            ..PasswordPolicy::default()
        });
        let plan = diff(&scope(), &spec(), &observed);
        let change = plan.pending().next().unwrap();
        assert_eq!(change.action, Action::Update);
        let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["minimum_password_length", "require_symbols", "max_password_age"]);
        assert_eq!(change.attributes[2].before.as_deref(), Some("never expires"));
    }

    #[test]
    fn root_problems_are_manual_actions_with_steps() {
        let mut observed = converged();
        observed.root = Some((false, true));
        let plan = diff(&scope(), &spec(), &observed);
        let manual: Vec<&ResourceChange> = plan.changes.iter().filter(|c| c.action == Action::Manual).collect();
        assert_eq!(manual.len(), 2);
        assert_eq!(manual[0].address.to_string(), "111111111111/global/iam.root_user/mfa");
        assert!(manual[0].attributes.len() >= 3, "steps for a person");
        assert_eq!(manual[1].address.name, "access_keys");
        assert!(!plan.has_pending(), "manual actions are not pending changes");
    }

    #[test]
    fn exclusive_groups_detach_undeclared_policies_others_report_them() {
        let mut observed = converged();
        observed.groups[0].as_mut().unwrap().attached.push("arn:aws:iam::aws:policy/AdministratorAccess".into());
        let plan = diff(&scope(), &spec(), &observed);
        assert!(!plan.has_pending());
        assert!(plan.notices.iter().any(|n| n.message.contains("AdministratorAccess")));

        let mut exclusive = spec();
        exclusive.groups[0].exclusive = true;
        let plan = diff(&scope(), &exclusive, &observed);
        let change = plan.pending().next().unwrap();
        let Some(Operation::IamHygiene(Op::AttachGroupPolicies { attach, detach, .. })) = &change.operation else {
            panic!()
        };
        assert!(attach.is_empty());
        assert_eq!(detach, &vec!["arn:aws:iam::aws:policy/AdministratorAccess".to_string()]);
    }

    #[test]
    fn support_role_trust_and_attachment() {
        let mut observed = converged();
        observed.support_role.as_mut().unwrap().attached.clear();
        let plan = diff(&scope(), &spec(), &observed);
        assert_eq!(plan.pending().next().unwrap().reason, "AWSSupportAccess is not attached");
        let trust = support_trust_policy(&scope(), spec().support_role.as_ref().unwrap());
        assert_eq!(trust.statements[0]["Principal"]["AWS"], "arn:aws:iam::111111111111:root");
    }

    #[test]
    fn support_role_trust_attachment_and_description_are_repaired_by_one_change() {
        let mut observed = converged();
        let state = observed.support_role.as_mut().unwrap();
        state.attached.clear();
        state.trust_policy = PolicyDocument::empty();
        state.description = "someone else's".into();
        let plan = diff(&scope(), &spec(), &observed);
        let pending: Vec<&ResourceChange> = plan.pending().collect();
        assert_eq!(pending.len(), 1);
        let names: Vec<&str> = pending[0].attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["assume_role_policy", "managed_policies", "description"]);
        let trust = support_trust_policy(&scope(), spec().support_role.as_ref().unwrap());
        assert_eq!(
            pending[0].operation,
            Some(Operation::IamHygiene(Op::UpdateSupportRole {
                name: "support".into(),
                trust_policy: Some(trust.to_json()),
                policy_arn: Some(support_policy_arn(&scope())),
                description: Some(SUPPORT_ROLE_DESCRIPTION.into()),
            }))
        );

        // Only the description: only it is written.
        let mut observed = converged();
        observed.support_role.as_mut().unwrap().description.clear();
        let plan = diff(&scope(), &spec(), &observed);
        let change = plan.pending().next().unwrap();
        assert_eq!(
            change.attributes,
            vec![AttributeChange::new("description", Some("(none)".into()), Some(SUPPORT_ROLE_DESCRIPTION.into()))]
        );
        let Some(Operation::IamHygiene(Op::UpdateSupportRole { trust_policy, policy_arn, description, .. })) =
            &change.operation
        else {
            panic!("{:?}", change.operation)
        };
        assert_eq!((trust_policy, policy_arn), (&None, &None));
        assert!(description.is_some());
    }

    #[test]
    fn a_group_moved_to_another_path_is_moved_back() {
        let mut observed = converged();
        observed.groups[0].as_mut().unwrap().path = Some("/elsewhere/".into());
        let plan = diff(&scope(), &spec(), &observed);
        let change = plan.pending().next().unwrap();
        assert_eq!(change.address.to_string(), "111111111111/global/iam.group/auditors");
        assert_eq!(change.attributes, vec![AttributeChange::new("path", Some("/elsewhere/".into()), Some("/".into()))]);
        assert_eq!(
            change.operation,
            Some(Operation::IamHygiene(Op::UpdateGroupPath { name: "auditors".into(), path: "/".into() }))
        );
        // A path ListGroups did not report is not compared.
        observed.groups[0].as_mut().unwrap().path = None;
        assert!(!diff(&scope(), &spec(), &observed).has_pending());
    }

    #[test]
    fn federation_is_a_status_naming_what_people_sign_in_with() {
        let scope =
            Scope { account_id: "111111111111".into(), partition: "aws".into(), home_region: "eu-west-1".into() };
        let message = |federation| federation_notice(&scope, federation).message;
        assert!(message(Federation::default()).starts_with("no SAML provider and no IAM Identity Center role"));
        assert!(message(Federation { saml_providers: 2, identity_center: false }).contains("2 SAML provider(s)"));
        assert!(message(Federation { saml_providers: 1, identity_center: true }).contains("IAM Identity Center"));
        assert_eq!(federation_notice(&scope, Federation::default()).level, NoticeLevel::Info);
    }
}
