//! The validated baseline: what the account should look like. Built only by [`super::load`] /
//! [`super::parse`], so every value here has already been checked.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

pub use crate::alarm_catalog::AlarmStandard;

/// The tag every resource the baseline creates carries, and that marks it as owned.
pub const MANAGED_BY_KEY: &str = "managed-by";
pub const MANAGED_BY_VALUE: &str = "baseline";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Desired {
    /// Region for single-region resources (topics). `None`: the region of the AWS configuration.
    pub home_region: Option<String>,
    pub regions: RegionSelection,
    pub exclude_regions: Vec<String>,
    /// When non-empty, the run refuses any other account (guards against the wrong credentials).
    pub allowed_account_ids: Vec<String>,
    /// Extra tags for everything the baseline creates, besides `managed-by = baseline`.
    pub tags: BTreeMap<String, String>,
    pub contacts: Contacts,
    pub notifications: Notifications,
    pub log_archive: Option<LogArchive>,
    pub cloudtrail: Option<CloudTrailSpec>,
    /// Account-level S3 Block Public Access (all four settings on).
    pub account_public_access_block: bool,
    /// EBS encryption by default in every managed region (`[ebs] encryption_by_default`).
    pub ebs_encryption_by_default: bool,
    pub alarms: Option<AlarmsSpec>,
    pub iam: Option<IamSpec>,
    pub budgets: Vec<BudgetSpec>,
    pub billing_reports: Option<BillingReports>,
    pub config: Option<ConfigSpec>,
    /// The tables of the families that own one (`[guardduty]`, `[security_hub]`, ...), from the registry.
    #[serde(flatten)]
    pub families: super::FamilySections,
    /// Which accounts a run covers and how it reaches them.
    pub accounts: Accounts,
}

impl Desired {
    /// Whether `allowed_account_ids` lets the baseline touch this account (an empty list allows any).
    pub fn allows(&self, account_id: &str) -> bool {
        self.allowed_account_ids.is_empty() || self.allowed_account_ids.iter().any(|a| a == account_id)
    }

    /// Whether any family manages resources region by region, so the account's enabled regions are listed.
    pub fn regional(&self) -> bool {
        self.config.is_some() || self.ebs_encryption_by_default || self.families.regional()
    }

    /// The baseline for one account: the file's, with that account's `[accounts.overrides]` applied.
    pub fn for_account(&self, account_id: &str) -> Cow<'_, Desired> {
        let Some(o) = self.accounts.overrides.get(account_id) else { return Cow::Borrowed(self) };
        let mut desired = self.clone();
        let c = &mut desired.contacts;
        for (slot, given) in [
            (&mut c.billing, &o.contacts.billing),
            (&mut c.operations, &o.contacts.operations),
            (&mut c.security, &o.contacts.security),
        ] {
            if given.is_some() {
                slot.clone_from(given);
            }
        }
        if o.contacts.primary.is_some() {
            c.primary.clone_from(&o.contacts.primary);
        }
        if let Some(budgets) = &o.budgets {
            desired.budgets.clone_from(budgets);
        }
        Cow::Owned(desired)
    }
}

/// One table of baseline.toml as validated: what `baseline validate` reports for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The table's header in baseline.toml, e.g. `[cloudtrail]` or `[[budgets]]`.
    pub header: &'static str,
    /// The [`Desired`] fields the table fills.
    pub fields: &'static [&'static str],
    /// What the table sets, with its counts; `None`: the table is absent and nothing of it is managed.
    pub summary: Option<String>,
}

impl Section {
    /// The table's name, e.g. `budgets` for `[[budgets]]`.
    pub fn table(&self) -> &'static str {
        self.header.trim_matches(|c| c == '[' || c == ']')
    }
}

/// `"1 topic"`, `"2 topics"`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// `" (a, b)"`, or nothing for an empty list.
fn listed<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() { String::new() } else { format!(" ({})", names.join(", ")) }
}

impl Desired {
    /// Every table of baseline.toml, in the file's order, with what it sets. Destructures the whole model, so
    /// a new field does not compile until it is reported here.
    pub fn sections(&self) -> Vec<Section> {
        let Desired {
            home_region,
            regions,
            exclude_regions,
            allowed_account_ids,
            tags,
            contacts,
            notifications,
            log_archive,
            cloudtrail,
            account_public_access_block,
            ebs_encryption_by_default,
            alarms,
            iam,
            budgets,
            billing_reports,
            config,
            families,
            accounts,
        } = self;
        let section = |header, fields, summary| Section { header, fields, summary };
        let mut sections = vec![
            section(
                "[baseline]",
                &["home_region", "regions", "exclude_regions", "allowed_account_ids", "tags"],
                Some(settings_summary(home_region.as_deref(), regions, exclude_regions, allowed_account_ids, tags)),
            ),
            section("[contacts]", &["contacts"], contacts_summary(contacts)),
            section("[notifications]", &["notifications"], notifications_summary(notifications)),
            section("[log_archive]", &["log_archive"], log_archive.as_ref().map(log_archive_summary)),
            section("[cloudtrail]", &["cloudtrail"], cloudtrail.as_ref().map(cloudtrail_summary)),
            section(
                "[s3]",
                &["account_public_access_block"],
                account_public_access_block.then(|| "account-wide Block Public Access, 4 settings on".to_string()),
            ),
            section(
                "[ebs]",
                &["ebs_encryption_by_default"],
                ebs_encryption_by_default.then(|| "EBS encryption by default in every managed region".to_string()),
            ),
            section("[alarms]", &["alarms"], alarms.as_ref().map(alarms_summary)),
            section("[iam]", &["iam"], iam.as_ref().map(iam_summary)),
            section(
                "[[budgets]]",
                &["budgets"],
                (!budgets.is_empty())
                    .then(|| count(budgets.len(), "budget") + &listed(budgets.iter().map(|b| b.name.as_str()))),
            ),
            section(
                "[billing_reports]",
                &["billing_reports"],
                billing_reports.as_ref().map(|r| format!("1 report ({}), {} in {}", r.report, r.time_unit, r.format)),
            ),
            section("[config]", &["config"], config.as_ref().map(config_summary)),
        ];
        sections.extend(families.sections());
        sections.push(section("[accounts]", &["accounts"], Some(accounts_summary(accounts))));
        sections
    }
}

fn settings_summary(
    home_region: Option<&str>,
    regions: &RegionSelection,
    exclude_regions: &[String],
    allowed_account_ids: &[String],
    tags: &BTreeMap<String, String>,
) -> String {
    let home = match home_region {
        Some(region) => format!("home region {region}"),
        None => "home region from the AWS configuration".to_string(),
    };
    let regions = match regions {
        RegionSelection::AllEnabled => "all enabled regions".to_string(),
        RegionSelection::List(list) => count(list.len(), "region"),
    };
    let accounts = match allowed_account_ids.len() {
        0 => "any account".to_string(),
        n => count(n, "allowed account"),
    };
    format!("{home}; {regions}, {} excluded; {}; {accounts}", exclude_regions.len(), count(tags.len(), "tag"))
}

fn contacts_summary(contacts: &Contacts) -> Option<String> {
    let alternates: Vec<&str> = contacts.alternates().map(|(kind, _)| kind.as_str()).collect();
    if alternates.is_empty() && contacts.primary.is_none() {
        return None;
    }
    let primary = if contacts.primary.is_some() { "the primary contact" } else { "no primary contact" };
    Some(format!("{}{}, {primary}", count(alternates.len(), "alternate contact"), listed(alternates)))
}

fn notifications_summary(notifications: &Notifications) -> Option<String> {
    let topics: Vec<&TopicSpec> = notifications.topics().collect();
    if topics.is_empty() {
        return None;
    }
    let emails = topics.iter().map(|t| t.emails.len()).sum();
    Some(format!(
        "{}{}, {}",
        count(topics.len(), "topic"),
        listed(topics.iter().map(|t| t.name.as_str())),
        count(emails, "e-mail subscription")
    ))
}

fn log_archive_summary(archive: &LogArchive) -> String {
    let encryption = if archive.kms_key_arn.is_some() { "SSE-KMS" } else { "SSE-S3" };
    let expiry = match archive.lifecycle.expiration_days {
        0 => "objects kept forever".to_string(),
        days => format!("objects expire after {days} days"),
    };
    let owner = archive.account_id.as_ref().map(|id| format!(" in account {id}")).unwrap_or_default();
    let mfa = if archive.mfa_delete { ", MFA delete" } else { "" };
    let access = archive.access_log_bucket.as_ref().map(|b| format!(", access logs to {b}")).unwrap_or_default();
    format!("1 bucket ({}){owner}, {encryption}, {expiry}{mfa}{access}", archive.bucket)
}

fn cloudtrail_summary(trail: &CloudTrailSpec) -> String {
    let key = match (&trail.kms_key_alias, &trail.kms_key_arn) {
        (Some(alias), _) => format!(", KMS key alias/{alias}"),
        (None, Some(_)) => ", a KMS key".to_string(),
        (None, None) => String::new(),
    };
    let data = if trail.s3_data_events { ", S3 data events" } else { "" };
    format!("1 trail ({}), log group {}, role {}{key}{data}", trail.trail, trail.log_group, trail.role)
}

fn alarms_summary(alarms: &AlarmsSpec) -> String {
    let filters = alarms.alarms.iter().map(|a| a.filters.len()).sum();
    format!(
        "{}, {} in namespace {}, {} disabled",
        count(alarms.alarms.len(), "alarm"),
        count(filters, "metric filter"),
        alarms.namespace,
        alarms.disabled.len()
    )
}

fn iam_summary(iam: &IamSpec) -> String {
    let mut parts = vec![
        if iam.password_policy.is_some() { "the password policy" } else { "no password policy" }.to_string(),
        count(iam.groups.len(), "group") + &listed(iam.groups.iter().map(|g| g.name.as_str())),
    ];
    parts.push(match &iam.support_role {
        Some(role) => format!("1 support role ({})", role.name),
        None => "no support role".to_string(),
    });
    if iam.root_checks {
        parts.push("2 root user checks".to_string());
    }
    parts.join(", ")
}

fn config_summary(config: &ConfigSpec) -> String {
    let rules = count(config.rules.len(), "rule") + &listed(config.rules.iter().map(|r| r.identifier.as_str()));
    let notify = if config.notify_noncompliance { ", non-compliance sent to the security topic" } else { "" };
    format!("1 recorder per region ({}), {rules}{notify}", config.recorder_name)
}

fn accounts_summary(accounts: &Accounts) -> String {
    let selected = match &accounts.selection {
        AccountSelection::Caller => "1 account: the one the credentials belong to".to_string(),
        AccountSelection::Ids(ids) => count(ids.len(), "account"),
        AccountSelection::Organization { include_ous, exclude_ous } => format!(
            "every active account of the organization ({} included, {} excluded)",
            count(include_ous.len(), "OU"),
            count(exclude_ous.len(), "OU")
        ),
    };
    if !accounts.is_fleet() && accounts.overrides.is_empty() {
        return selected;
    }
    format!(
        "{selected}, {} excluded, role {}, {}",
        accounts.exclude.len(),
        accounts.role,
        count(accounts.overrides.len(), "override")
    )
}

/// The role assumed in member accounts when `[accounts]` sets none.
pub const DEFAULT_MEMBER_ROLE: &str = "OrganizationAccountAccessRole";
pub const DEFAULT_SESSION_NAME: &str = "baseline";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accounts {
    pub selection: AccountSelection,
    /// Never baselined, whatever the selection says.
    pub exclude: Vec<String>,
    /// Role name (optionally with a path) assumed in every account other than the caller's.
    pub role: String,
    pub external_id: Option<String>,
    pub session_name: String,
    pub overrides: BTreeMap<String, AccountOverride>,
}

impl Default for Accounts {
    fn default() -> Self {
        Self {
            selection: AccountSelection::Caller,
            exclude: Vec::new(),
            role: DEFAULT_MEMBER_ROLE.to_string(),
            external_id: None,
            session_name: DEFAULT_SESSION_NAME.to_string(),
            overrides: BTreeMap::new(),
        }
    }
}

impl Accounts {
    /// More than the caller's own account may be targeted: runs report per account.
    pub fn is_fleet(&self) -> bool {
        self.selection != AccountSelection::Caller
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountSelection {
    /// The account the credentials belong to.
    Caller,
    Ids(Vec<String>),
    /// Every ACTIVE account of the organization, optionally only under `include_ous` and not under
    /// `exclude_ous` (nested OUs included).
    Organization {
        include_ous: Vec<String>,
        exclude_ous: Vec<String>,
    },
}

/// Per-account differences. Contacts given replace the baseline's of the same kind; budgets replace the list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccountOverride {
    pub contacts: Contacts,
    pub budgets: Option<Vec<BudgetSpec>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegionSelection {
    AllEnabled,
    List(Vec<String>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Contacts {
    pub primary: Option<PrimaryContact>,
    pub billing: Option<AlternateContact>,
    pub operations: Option<AlternateContact>,
    pub security: Option<AlternateContact>,
}

impl Contacts {
    /// The configured alternate contacts, in a fixed order.
    pub fn alternates(&self) -> impl Iterator<Item = (AlternateContactType, &AlternateContact)> {
        [
            (AlternateContactType::Billing, &self.billing),
            (AlternateContactType::Operations, &self.operations),
            (AlternateContactType::Security, &self.security),
        ]
        .into_iter()
        .filter_map(|(kind, c)| c.as_ref().map(|c| (kind, c)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlternateContactType {
    Billing,
    Operations,
    Security,
}

impl AlternateContactType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Billing => "billing",
            Self::Operations => "operations",
            Self::Security => "security",
        }
    }
}

impl fmt::Display for AlternateContactType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlternateContact {
    pub name: String,
    pub title: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrimaryContact {
    pub full_name: String,
    pub company_name: Option<String>,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub address_line3: Option<String>,
    pub city: String,
    pub state_or_region: Option<String>,
    pub district_or_county: Option<String>,
    pub postal_code: String,
    pub country_code: String,
    pub phone: String,
    pub website_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Notifications {
    pub security: Option<TopicSpec>,
    pub billing: Option<TopicSpec>,
}

impl Notifications {
    pub fn topics(&self) -> impl Iterator<Item = &TopicSpec> {
        self.security.iter().chain(self.billing.iter())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TopicRole {
    Security,
    Billing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicSpec {
    pub role: TopicRole,
    pub name: String,
    pub emails: Vec<String>,
}

/// The central log bucket. `bucket` is a template with `{account_id}` and `{region}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogArchive {
    pub bucket: String,
    /// `None`: the home region.
    pub region: Option<String>,
    /// The account that owns the bucket; `None`: the target account itself.
    pub account_id: Option<String>,
    /// SSE-KMS with this key; `None`: SSE-S3.
    pub kms_key_arn: Option<String>,
    pub lifecycle: Lifecycle,
    /// MFA delete on the bucket: only the root user with its MFA device can turn it on, so it is a manual action.
    /// S3 does not support lifecycle configuration on such a bucket: the lifecycle days are then all 0.
    pub mfa_delete: bool,
    /// Server access logging of the archive into this bucket (a template like `bucket`), created and hardened
    /// like the archive in the same account and region (S3 wants both there).
    pub access_log_bucket: Option<String>,
}

impl LogArchive {
    /// The bucket name for an account and region.
    pub fn bucket_name(&self, account_id: &str, region: &str) -> String {
        fill_bucket_template(&self.bucket, account_id, region)
    }

    /// The access-log bucket's name for an account and region, when there is one.
    pub fn access_log_bucket_name(&self, account_id: &str, region: &str) -> Option<String> {
        self.access_log_bucket.as_deref().map(|t| fill_bucket_template(t, account_id, region))
    }
}

fn fill_bucket_template(template: &str, account_id: &str, region: &str) -> String {
    template.replace("{account_id}", account_id).replace("{region}", region)
}

/// Days are 0 when the step is disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    pub transition_days: u32,
    pub expiration_days: u32,
    pub noncurrent_expiration_days: u32,
}

impl Default for Lifecycle {
    /// Glacier after 90 days, deleted after 7 years (2557 days, a common audit retention), old versions after 90.
    fn default() -> Self {
        Self { transition_days: 90, expiration_days: 2557, noncurrent_expiration_days: 90 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloudTrailSpec {
    pub trail: String,
    pub s3_key_prefix: Option<String>,
    pub kms_key_arn: Option<String>,
    /// A customer managed key the baseline creates (or adopts) under `alias/<this>` in the log archive's region,
    /// for the trail's log files; exclusive with `kms_key_arn`.
    pub kms_key_alias: Option<String>,
    pub log_group: String,
    /// `None`: 365 days, but never shorten a longer retention the account already has.
    pub retention_days: Option<u32>,
    pub role: String,
    /// Create our own trail even when a compliant trail the baseline does not own exists.
    pub require_own_trail: bool,
    /// Log S3 object-level events (read and write) of every bucket (CIS; charged per event).
    pub s3_data_events: bool,
}

pub const DEFAULT_RETENTION_DAYS: u32 = 365;

/// Retention periods CloudWatch Logs accepts.
pub const LOG_RETENTION_DAYS: &[u32] =
    &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// The security alarms: a metric filter on the trail's log group and an alarm notifying the security topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlarmsSpec {
    pub namespace: String,
    pub standard: AlarmStandard,
    pub alarms: Vec<AlarmSpec>,
    /// Catalog ids turned off in baseline.toml: existing ones are reported, never deleted.
    pub disabled: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlarmSpec {
    pub id: String,
    pub metric_name: String,
    /// The metric filters feeding the metric: the first is named after the alarm (`baseline-<id>`), a second
    /// one (standard "both") `baseline-<id>-cis-v3`.
    pub filters: Vec<AlarmFilter>,
    pub description: String,
    pub threshold: u32,
    pub period: u32,
    pub evaluation_periods: u32,
}

/// One metric filter of an alarm, named `baseline-<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlarmFilter {
    pub id: String,
    pub pattern: String,
}

pub const DEFAULT_ALARM_NAMESPACE: &str = "CISBenchmark";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IamSpec {
    /// Root MFA and root access keys, reported as manual actions.
    pub root_checks: bool,
    pub password_policy: Option<PasswordPolicy>,
    pub groups: Vec<GroupSpec>,
    pub support_role: Option<SupportRole>,
}

/// Defaults meet CIS and Security Hub IAM.7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub allow_users_to_change: bool,
    pub reuse_prevention: u32,
    /// 0: passwords never expire.
    pub max_age_days: u32,
    pub hard_expiry: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            minimum_length: 14,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            allow_users_to_change: true,
            reuse_prevention: 24,
            max_age_days: 90,
            hard_expiry: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSpec {
    pub name: String,
    pub path: String,
    pub policies: Vec<String>,
    /// Detach managed policies that are not declared.
    pub exclusive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupportRole {
    pub name: String,
    /// `None`: the account itself (`arn:<partition>:iam::<account>:root`).
    pub trusted_principal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetSpec {
    pub name: String,
    pub limit: f64,
    pub currency: String,
    pub time_unit: String,
    /// Percentages of the limit.
    pub forecasted_thresholds: Vec<f64>,
    pub actual_thresholds: Vec<f64>,
    pub emails: Vec<String>,
    /// Cost filters as the Budgets API names them (`Service`, `LinkedAccount`, `TagKeyValue`).
    pub cost_filters: BTreeMap<String, Vec<String>>,
}

impl Eq for BudgetSpec {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillingReports {
    pub report: String,
    /// `None`: the log archive bucket.
    pub bucket: Option<String>,
    pub prefix: String,
    pub time_unit: String,
    pub format: String,
}

/// AWS Config in every baselined region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigSpec {
    /// Name for a new recorder and delivery channel; existing ones are adopted under their own names.
    pub recorder_name: String,
    pub delivery_prefix: Option<String>,
    pub delivery_frequency: String,
    /// An EventBridge rule per region sending NON_COMPLIANT results of the baseline's rules to the security topic.
    pub notify_noncompliance: bool,
    /// What happens to a recorder and delivery channel baseline did not create.
    pub existing_recorder: ExistingRecorder,
    /// The delivery channel also streams every configuration change to the security topic.
    pub stream_changes_to_topic: bool,
    pub rules: Vec<ConfigRuleSpec>,
}

/// A recorder (and delivery channel) under another name than `recorder_name`: someone else's, or baseline's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExistingRecorder {
    /// Left as it is; what differs from the baseline is reported. Only the rules and their notification are
    /// managed.
    Adopt,
    /// Repaired to the baseline like baseline's own (recorders of AWS Control Tower excepted).
    Own,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigRuleSpec {
    pub name: String,
    /// The AWS managed rule's source identifier, e.g. `CLOUD_TRAIL_ENABLED`.
    pub identifier: String,
    pub parameters: BTreeMap<String, String>,
    /// Only in the home region (rules about global resources such as IAM).
    pub home_only: bool,
}

#[cfg(test)]
mod tests {
    use crate::config::parse;

    fn desired(text: &str) -> super::Desired {
        parse(std::path::Path::new("baseline.toml"), text).unwrap().desired
    }

    #[test]
    fn the_sections_cover_every_field_of_the_model_once() {
        let shipped = desired(include_str!("../../baseline.toml"));
        let json = serde_json::to_value(&shipped).unwrap();
        let mut fields: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut covered: Vec<&str> = shipped.sections().iter().flat_map(|s| s.fields.iter().copied()).collect();
        fields.sort_unstable();
        covered.sort_unstable();
        assert_eq!(covered, fields, "each field of Desired belongs to exactly one section");
    }

    #[test]
    fn the_sections_are_the_tables_of_the_file() {
        // serde names every table the file may hold when it meets an unknown one.
        let err = toml::from_str::<crate::config::raw::RawFile>("[no_such_table]\n").unwrap_err().to_string();
        let expected = err.split("expected one of").nth(1).unwrap_or_else(|| panic!("{err}"));
        let mut tables: Vec<&str> = expected.split(',').map(|t| t.trim().trim_matches('`')).collect();
        let sections = desired("").sections();
        let mut named: Vec<&str> = sections.iter().map(|s| s.table()).collect();
        tables.sort_unstable();
        named.sort_unstable();
        assert_eq!(named, tables);
    }

    #[test]
    fn a_section_left_out_is_reported_as_absent_and_one_set_with_its_counts() {
        let empty = desired("");
        let absent: Vec<&str> = empty.sections().iter().filter(|s| s.summary.is_none()).map(|s| s.table()).collect();
        let every_optional =
            ["contacts", "notifications", "log_archive", "cloudtrail", "alarms", "iam", "budgets", "billing_reports"];
        for table in every_optional.into_iter().chain(["config"]) {
            assert!(absent.contains(&table), "{table} is not set in an empty file: {absent:?}");
        }
        let shipped = desired(include_str!("../../baseline.toml"));
        let summary = |table: &str| {
            let sections = shipped.sections();
            sections.into_iter().find(|s| s.table() == table).and_then(|s| s.summary).unwrap()
        };
        assert_eq!(summary("notifications").split(" (").next(), Some("2 topics"));
        assert!(summary("budgets").starts_with("1 budget (monthly-total-cost)"), "{}", summary("budgets"));
        assert!(summary("config").contains("2 rules (CLOUD_TRAIL_ENABLED, RESTRICTED_INCOMING_TRAFFIC)"));
        assert!(summary("iam").contains("2 groups (security-auditors, billing-admins)"), "{}", summary("iam"));
    }

    #[test]
    fn an_override_replaces_only_what_it_names() {
        let text = r#"
[accounts]
ids = ["111111111111", "222222222222"]

[contacts.security]
name = "Security"
title = "Security list"
email = "security@example.com"
phone = "+1 206 555 0100"

[contacts.billing]
name = "Billing"
title = "Billing list"
email = "billing@example.com"
phone = "+1 206 555 0101"

[notifications.billing]
topic = "billing"
emails = ["billing@example.com"]

[[budgets]]
name = "monthly"
limit = 1000.0

[accounts.overrides.222222222222.contacts.security]
name = "Sandbox security"
title = "Sandbox list"
email = "sandbox-security@example.com"
phone = "+1 206 555 0199"

[[accounts.overrides.222222222222.budgets]]
name = "sandbox-monthly"
limit = 50.0
"#;
        let desired = parse(std::path::Path::new("baseline.toml"), text).unwrap().desired;
        let plain = desired.for_account("111111111111");
        assert_eq!(*plain, desired);
        let sandbox = desired.for_account("222222222222");
        assert_eq!(sandbox.contacts.security.as_ref().unwrap().email, "sandbox-security@example.com");
        assert_eq!(sandbox.contacts.billing, desired.contacts.billing, "not overridden: kept");
        assert_eq!(
            sandbox.budgets.iter().map(|b| (b.name.as_str(), b.limit)).collect::<Vec<_>>(),
            [("sandbox-monthly", 50.0)]
        );
    }
}
