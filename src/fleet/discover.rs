//! Which accounts a run covers: the caller's, an explicit list, or the ACTIVE accounts of the organization
//! (optionally under some OUs only), minus exclusions. Also the organization's management account and whether
//! member contacts can be set from here.

use futures::stream::{FuturesUnordered, StreamExt};

use crate::aws::{self, AwsError, Session};
use crate::config::{AccountSelection, Desired};
use crate::target::{self, Scope, TargetError};

/// The Account Management service principal, for trusted access and delegated administration.
const ACCOUNT_SERVICE: &str = "account.amazonaws.com";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    /// The account's name in the organization, when known.
    pub name: Option<String>,
}

impl Member {
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into(), name: None }
    }
}

#[derive(Debug, Clone)]
pub struct Discovery {
    /// Who runs baseline (the management account, a delegated administrator, or a standalone account).
    pub caller: Scope,
    /// Every account the baseline covers, sorted by id, before any command-line filter: the log archive's
    /// bucket policy lets exactly these write.
    pub members: Vec<Member>,
    /// Accounts of the organization that are not ACTIVE (suspended, closing), with their state: not baselined.
    pub inactive: Vec<(Member, String)>,
    /// The organization's management account (DescribeOrganization), read when the run covers other accounts
    /// and manages contacts or the Cost and Usage Report; `None` outside an organization or when not allowed
    /// to look.
    pub management_account: Option<String>,
    /// The caller may set member accounts' contacts through the Account API's `AccountId` (it is the
    /// management account with trusted access, or the delegated administrator for Account Management): see
    /// [`Discovery::contacts_through_caller`].
    pub contacts_from_caller: bool,
    /// Worth telling the user (trusted access for Account Management not enabled, ...).
    pub notices: Vec<String>,
}

impl Discovery {
    /// Whether `account`'s contacts are set from the caller's account with `AccountId = account`. Only for
    /// member accounts other than the caller: "The management account can't specify its own AccountId; it
    /// must call the operation in standalone context by not including the AccountId parameter" (Account
    /// Management API reference, AccountId), and a delegated administrator cannot name it either (AccountId
    /// "must be a member account"). The management account's contacts are then set through its own role, the
    /// caller's through its own credentials, both without `AccountId`.
    pub fn contacts_through_caller(&self, account: &str) -> bool {
        self.contacts_from_caller
            && account != self.caller.account_id
            && self.management_account.as_deref().is_some_and(|m| m != account)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("cannot list the organization's accounts: {0}")]
    Organization(#[source] AwsError),
}

/// Resolves the accounts of the run: one STS call, plus Organizations reads when the organization is asked
/// for, or when the run covers other accounts and manages contacts or the Cost and Usage Report.
pub async fn discover(session: &Session, desired: &Desired) -> Result<Discovery, DiscoveryError> {
    let caller = target::identify(session, desired).await?;
    let accounts = &desired.accounts;
    let org = session.organizations(&caller.partition);
    let manages_contacts = manages_contacts(desired);
    let others = match &accounts.selection {
        AccountSelection::Caller => false,
        AccountSelection::Ids(ids) => ids.iter().any(|id| *id != caller.account_id && !accounts.exclude.contains(id)),
        AccountSelection::Organization { .. } => true,
    };
    let needs_management = others && (manages_contacts || desired.billing_reports.is_some());
    // The account list and the organization's facts are independent reads: made at the same time.
    let (listed, (management_account, contacts_from_caller, notices)) = tokio::join!(
        async {
            match &accounts.selection {
                AccountSelection::Caller => Ok((vec![Member::new(&caller.account_id)], Vec::new())),
                AccountSelection::Ids(ids) => Ok((ids.iter().map(Member::new).collect(), Vec::new())),
                AccountSelection::Organization { include_ous, exclude_ous } => {
                    organization_accounts(&org, include_ous, exclude_ous).await
                }
            }
        },
        async {
            if !needs_management {
                return (None, false, Vec::new());
            }
            let mut notices = Vec::new();
            let management = match management_account(&org).await {
                Ok(management) => management,
                // Not allowed to look: member contacts go through each account's role.
                Err(e) => {
                    tracing::info!("{e}; member contacts are set through each account's role");
                    if desired.billing_reports.is_some() {
                        notices.push(format!(
                            "{e}; without the management account's id, each account's Cost and Usage Report is \
                             planned in that account"
                        ));
                    }
                    None
                }
            };
            let (from_caller, notice) = match (&management, manages_contacts) {
                (Some(m), true) => account_api_access(&org, &caller.account_id, m).await,
                _ => (false, None),
            };
            notices.extend(notice);
            (management, from_caller, notices)
        },
    );
    let (mut members, inactive) = listed.map_err(DiscoveryError::Organization)?;
    members.retain(|m| !accounts.exclude.contains(&m.id));
    members.sort_by(|a, b| a.id.cmp(&b.id));
    members.dedup_by(|a, b| a.id == b.id);
    Ok(Discovery { caller, members, inactive, management_account, contacts_from_caller, notices })
}

/// ACTIVE accounts (under `include_ous` when given, not under `exclude_ous`) and the others with their state.
async fn organization_accounts(
    org: &aws_sdk_organizations::Client,
    include_ous: &[String],
    exclude_ous: &[String],
) -> Result<(Vec<Member>, Vec<(Member, String)>), AwsError> {
    let all = async {
        let mut all = Vec::new();
        let mut pages = org.list_accounts().into_paginator().send();
        while let Some(page) = pages.next().await {
            all.extend(page.map_err(aws::err("organizations:ListAccounts"))?.accounts().iter().cloned());
        }
        Ok::<_, AwsError>(all)
    };
    let (all, included, excluded) = tokio::join!(
        all,
        async { if include_ous.is_empty() { Ok(None) } else { accounts_under(org, include_ous).await.map(Some) } },
        async { if exclude_ous.is_empty() { Ok(Vec::new()) } else { accounts_under(org, exclude_ous).await } },
    );
    let (all, included, excluded) = (all?, included?, excluded?);
    let mut active = Vec::new();
    let mut inactive = Vec::new();
    for account in all {
        let id = account.id().unwrap_or_default().to_string();
        if included.as_ref().is_some_and(|ids| !ids.contains(&id)) || excluded.contains(&id) {
            continue;
        }
        let member = Member { id, name: account.name().map(str::to_string) };
        // `State` replaces the deprecated `Status`; older endpoints send only the latter.
        #[allow(deprecated)]
        let state = account
            .state()
            .map(|s| s.as_str().to_string())
            .or_else(|| account.status().map(|s| s.as_str().to_string()))
            .unwrap_or_default();
        if state == "ACTIVE" {
            active.push(member);
        } else {
            inactive.push((member, state));
        }
    }
    Ok((active, inactive))
}

/// Account ids under the given OUs or roots, nested OUs included. Each level is listed concurrently.
async fn accounts_under(org: &aws_sdk_organizations::Client, parents: &[String]) -> Result<Vec<String>, AwsError> {
    let mut ids = Vec::new();
    let mut queue: FuturesUnordered<_> = parents.iter().map(|p| children(org, p.clone())).collect();
    while let Some(found) = queue.next().await {
        let (accounts, ous) = found?;
        ids.extend(accounts);
        queue.extend(ous.into_iter().map(|ou| children(org, ou)));
    }
    Ok(ids)
}

/// The accounts and OUs directly under one parent.
async fn children(org: &aws_sdk_organizations::Client, parent: String) -> Result<(Vec<String>, Vec<String>), AwsError> {
    let accounts = async {
        let mut ids = Vec::new();
        let mut pages = org.list_accounts_for_parent().parent_id(&parent).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(aws::err("organizations:ListAccountsForParent"))?;
            ids.extend(page.accounts().iter().filter_map(|a| a.id().map(str::to_string)));
        }
        Ok::<_, AwsError>(ids)
    };
    let ous = async {
        let mut ids = Vec::new();
        let mut pages = org.list_organizational_units_for_parent().parent_id(&parent).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(aws::err("organizations:ListOrganizationalUnitsForParent"))?;
            ids.extend(page.organizational_units().iter().filter_map(|o| o.id().map(str::to_string)));
        }
        Ok::<_, AwsError>(ids)
    };
    let (accounts, ous) = tokio::join!(accounts, ous);
    Ok((accounts?, ous?))
}

/// The organization's management account; `Ok(None)` when the caller's account is in no organization.
async fn management_account(org: &aws_sdk_organizations::Client) -> Result<Option<String>, AwsError> {
    match org.describe_organization().send().await.map_err(aws::err("organizations:DescribeOrganization")) {
        Ok(out) => Ok(out.organization().and_then(|o| o.master_account_id()).map(str::to_string)),
        Err(e) if e.is_code("AWSOrganizationsNotInUseException") => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether `caller` may set member accounts' contacts through the Account API: it is the organization's
/// `management` account with trusted access for Account Management enabled, or that service's delegated
/// administrator. Otherwise each account's contacts are set with its own assumed role, and the notice says
/// why. Both lists are read to their last page (AWS pages ListAWSServiceAccessForOrganization at 20).
pub async fn account_api_access(
    org: &aws_sdk_organizations::Client,
    caller: &str,
    management: &str,
) -> (bool, Option<String>) {
    let through_roles = "member contacts are set through each account's role";
    if management != caller {
        let mut pages = org.list_delegated_administrators().service_principal(ACCOUNT_SERVICE).into_paginator().send();
        while let Some(page) = pages.next().await {
            match page.map_err(aws::err("organizations:ListDelegatedAdministrators")) {
                Ok(page) if page.delegated_administrators().iter().any(|a| a.id() == Some(caller)) => {
                    return (true, None);
                }
                Ok(_) => {}
                // Not a delegated administrator of any service, or not allowed to look.
                Err(e) => {
                    tracing::info!("{e}; {through_roles}");
                    break;
                }
            }
        }
        return (false, None);
    }
    let mut enabled = Ok(false);
    let mut pages = org.list_aws_service_access_for_organization().into_paginator().send();
    while let Some(page) = pages.next().await {
        match page.map_err(aws::err("organizations:ListAWSServiceAccessForOrganization")) {
            Ok(page)
                if page.enabled_service_principals().iter().any(|p| p.service_principal() == Some(ACCOUNT_SERVICE)) =>
            {
                enabled = Ok(true);
                break;
            }
            Ok(_) => {}
            Err(e) => {
                enabled = Err(e);
                break;
            }
        }
    }
    match enabled {
        Ok(true) => (true, None),
        Ok(false) => (
            false,
            Some(format!(
                "trusted access for AWS Account Management is not enabled in the organization, so {through_roles}; \
                 to set them from the management account instead, run \
                 `aws organizations enable-aws-service-access --service-principal {ACCOUNT_SERVICE}`"
            )),
        ),
        Err(e) => (false, Some(format!("{e}; {through_roles}"))),
    }
}

/// What discovery and reaching the accounts need: Organizations reads for an organization run or for member
/// contacts, and `sts:AssumeRole` into each member's role.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    use crate::needs::{LISTS_ALL, NO_RESOURCE_TYPE};
    let accounts = &desired.accounts;
    if !accounts.is_fleet() {
        return;
    }
    if matches!(accounts.selection, AccountSelection::Organization { .. }) {
        needs.any(
            &[
                "organizations:ListAccounts",
                "organizations:ListAccountsForParent",
                "organizations:ListOrganizationalUnitsForParent",
            ],
            LISTS_ALL,
        );
    }
    // The management account is looked up for members' contacts and the Cost and Usage Report; the contacts
    // route (member contacts through the Account API's AccountId) is checked when contacts are managed.
    if manages_contacts(desired) || desired.billing_reports.is_some() {
        needs.any(&["organizations:DescribeOrganization"], NO_RESOURCE_TYPE);
    }
    if manages_contacts(desired) {
        needs.any(
            &["organizations:ListAWSServiceAccessForOrganization", "organizations:ListDelegatedAdministrators"],
            NO_RESOURCE_TYPE,
        );
    }
    let role = format!("arn:{}:iam::*:role/{}", needs.scope().partition, accounts.role.trim_start_matches('/'));
    needs.on(&["sts:AssumeRole"], [role]);
}

/// Whether the baseline sets any account's contacts (its own or an override's).
fn manages_contacts(desired: &Desired) -> bool {
    let has_contacts = |c: &crate::config::Contacts| c.alternates().next().is_some() || c.primary.is_some();
    has_contacts(&desired.contacts) || desired.accounts.overrides.values().any(|o| has_contacts(&o.contacts))
}
