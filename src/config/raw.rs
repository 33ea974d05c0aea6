//! The shape of `baseline.toml` exactly as written: serde structs that reject unknown keys and keep the
//! position of every value that validation may need to point at.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The whole file. Its tables are the fixed ones and, from the registry, one per family that owns one
/// (`config/<family>.rs`), before `[accounts]`.
macro_rules! raw_file {
    (
        independent { $($_own:ident: $_own_variant:ident),* $(,)? }
        sections { $($s:ident: $_variant:ident),* $(,)? }
        after_trail { $($_chained:ident: $_chained_variant:ident),* $(,)? }
    ) => {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct RawFile {
            #[serde(default)]
            pub baseline: RawSettings,
            #[serde(default)]
            pub contacts: RawContacts,
            #[serde(default)]
            pub notifications: RawNotifications,
            pub log_archive: Option<Spanned<RawLogArchive>>,
            pub cloudtrail: Option<Spanned<RawCloudTrail>>,
            #[serde(default)]
            pub s3: RawS3,
            #[serde(default)]
            pub ebs: RawEbs,
            pub alarms: Option<Spanned<RawAlarms>>,
            pub iam: Option<RawIam>,
            #[serde(default)]
            pub budgets: Vec<Spanned<RawBudget>>,
            pub billing_reports: Option<Spanned<RawBillingReports>>,
            pub config: Option<Spanned<RawConfig>>,
            $(pub $s: Option<Spanned<<super::$s::Spec as super::FamilySection>::Raw>>,)*
            pub accounts: Option<Spanned<RawAccounts>>,
        }

        impl RawFile {
            /// The families' own tables, taken out for their checks.
            pub fn family_sections(&mut self) -> super::RawSections {
                super::RawSections { $($s: self.$s.take(),)* }
            }
        }
    };
}

registry!(raw_file);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub home_region: Option<Spanned<String>>,
    /// `"all-enabled"` or a list of region codes; interpreted during validation.
    pub regions: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub exclude_regions: Vec<Spanned<String>>,
    #[serde(default)]
    pub allowed_account_ids: Vec<Spanned<String>>,
    #[serde(default)]
    pub tags: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContacts {
    pub primary: Option<Spanned<RawPrimaryContact>>,
    pub billing: Option<Spanned<RawAlternateContact>>,
    pub operations: Option<Spanned<RawAlternateContact>>,
    pub security: Option<Spanned<RawAlternateContact>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlternateContact {
    pub name: Spanned<String>,
    pub title: Spanned<String>,
    pub email: Spanned<String>,
    pub phone: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrimaryContact {
    pub full_name: Spanned<String>,
    pub company_name: Option<Spanned<String>>,
    pub address_line1: Spanned<String>,
    pub address_line2: Option<Spanned<String>>,
    pub address_line3: Option<Spanned<String>>,
    pub city: Spanned<String>,
    pub state_or_region: Option<Spanned<String>>,
    pub district_or_county: Option<Spanned<String>>,
    pub postal_code: Spanned<String>,
    pub country_code: Spanned<String>,
    pub phone: Spanned<String>,
    pub website_url: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotifications {
    pub security: Option<Spanned<RawTopic>>,
    pub billing: Option<Spanned<RawTopic>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    pub topic: Spanned<String>,
    #[serde(default)]
    pub emails: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLogArchive {
    pub bucket: Spanned<String>,
    pub region: Option<Spanned<String>>,
    pub account_id: Option<Spanned<String>>,
    pub kms_key_arn: Option<Spanned<String>>,
    pub transition_days: Option<Spanned<i64>>,
    pub expiration_days: Option<Spanned<i64>>,
    pub noncurrent_expiration_days: Option<Spanned<i64>>,
    pub mfa_delete: Option<Spanned<bool>>,
    pub access_log_bucket: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCloudTrail {
    pub trail: Option<Spanned<String>>,
    pub s3_key_prefix: Option<Spanned<String>>,
    pub kms_key_arn: Option<Spanned<String>>,
    pub kms_key_alias: Option<Spanned<String>>,
    pub log_group: Option<Spanned<String>>,
    pub retention_days: Option<Spanned<i64>>,
    pub role: Option<Spanned<String>>,
    pub require_own_trail: Option<bool>,
    pub s3_data_events: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawS3 {
    pub account_public_access_block: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEbs {
    pub encryption_by_default: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlarms {
    pub set: Option<Spanned<String>>,
    pub standard: Option<Spanned<String>>,
    pub namespace: Option<Spanned<String>>,
    #[serde(default)]
    pub disabled: Vec<Spanned<String>>,
    #[serde(default)]
    pub tune: BTreeMap<Spanned<String>, RawTune>,
    #[serde(default)]
    pub custom: Vec<RawCustomAlarm>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTune {
    pub threshold: Option<Spanned<i64>>,
    pub period: Option<Spanned<i64>>,
    pub evaluation_periods: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustomAlarm {
    pub id: Spanned<String>,
    pub pattern: Spanned<String>,
    pub metric_name: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub threshold: Option<Spanned<i64>>,
    pub period: Option<Spanned<i64>>,
    pub evaluation_periods: Option<Spanned<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIam {
    pub root_checks: Option<bool>,
    pub password_policy: Option<RawPasswordPolicy>,
    #[serde(default)]
    pub groups: Vec<RawGroup>,
    pub support_role: Option<RawSupportRole>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPasswordPolicy {
    pub minimum_length: Option<Spanned<i64>>,
    pub require_uppercase: Option<bool>,
    pub require_lowercase: Option<bool>,
    pub require_numbers: Option<bool>,
    pub require_symbols: Option<bool>,
    pub allow_users_to_change: Option<bool>,
    pub reuse_prevention: Option<Spanned<i64>>,
    pub max_age_days: Option<Spanned<i64>>,
    pub hard_expiry: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub name: Spanned<String>,
    pub path: Option<Spanned<String>>,
    #[serde(default)]
    pub policies: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclusive: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSupportRole {
    pub name: Option<Spanned<String>>,
    pub trusted_principal: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBudget {
    pub name: Spanned<String>,
    pub limit: Spanned<f64>,
    pub currency: Option<Spanned<String>>,
    pub time_unit: Option<Spanned<String>>,
    pub forecasted_thresholds: Option<Vec<Spanned<f64>>>,
    #[serde(default)]
    pub actual_thresholds: Vec<Spanned<f64>>,
    #[serde(default)]
    pub emails: Vec<Spanned<String>>,
    #[serde(default)]
    pub filters: RawBudgetFilters,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBudgetFilters {
    #[serde(default)]
    pub services: Vec<Spanned<String>>,
    #[serde(default)]
    pub linked_accounts: Vec<Spanned<String>>,
    #[serde(default)]
    pub tags: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBillingReports {
    pub report: Option<Spanned<String>>,
    pub bucket: Option<Spanned<String>>,
    pub prefix: Option<Spanned<String>>,
    pub time_unit: Option<Spanned<String>>,
    pub format: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub recorder_name: Option<Spanned<String>>,
    pub delivery_prefix: Option<Spanned<String>>,
    pub delivery_frequency: Option<Spanned<String>>,
    pub notify_noncompliance: Option<bool>,
    pub existing_recorder: Option<Spanned<String>>,
    pub stream_changes_to_topic: Option<bool>,
    pub rules: Option<Vec<RawConfigRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfigRule {
    pub identifier: Spanned<String>,
    pub name: Option<Spanned<String>>,
    #[serde(default)]
    pub parameters: BTreeMap<String, toml::Value>,
    pub regions: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccounts {
    pub organization: Option<Spanned<bool>>,
    pub ids: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub include_ous: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclude_ous: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    pub role: Option<Spanned<String>>,
    pub external_id: Option<Spanned<String>>,
    pub session_name: Option<Spanned<String>>,
    #[serde(default)]
    pub overrides: BTreeMap<Spanned<String>, RawOverride>,
}

/// What one account does differently: each part given replaces the baseline's.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverride {
    #[serde(default)]
    pub contacts: RawContacts,
    pub budgets: Option<Vec<Spanned<RawBudget>>>,
}
