//! `[config_aggregator]`: an AWS Config aggregator in the home region, the one place where the configuration
//! and compliance data of every region (and, in organization runs, every account) can be queried. The
//! section's raw shape, validated form, checks, schema and summary.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::sections::{Around, FamilySection};
use super::validate::Validator;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfigAggregator {
    pub name: Option<Spanned<String>>,
    pub organization_account: Option<Spanned<String>>,
    pub organization_role: Option<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigAggregatorSpec {
    /// Name of the aggregator (`PutConfigurationAggregator` creates or updates it by name).
    pub name: String,
    /// Organization runs: the account holding an organization aggregator (the management account or Config's
    /// delegated administrator). `None`: each account aggregates its own regions.
    pub organization_account: Option<String>,
    /// The role an organization aggregator uses to read the organization (baseline creates it if absent).
    pub organization_role: String,
}

pub const DEFAULT_NAME: &str = "baseline-config-aggregator";
pub const DEFAULT_ROLE: &str = "baseline-config-aggregator";

/// The section's contract (see `config::FamilySection`).
pub type Spec = ConfigAggregatorSpec;

impl FamilySection for ConfigAggregatorSpec {
    type Raw = RawConfigAggregator;
    const REGIONAL: bool = true;
    const EXAMPLE: &'static str = r#"organization_account = "123456789012"
"#;
    const SCHEMA: &'static str = r##"{
  "type": "object",
  "description": "An AWS Config aggregator in the home region: every region's configuration and compliance data in one place (an account aggregator of the account's own regions; in organization runs, an organization aggregator in organization_account). Created or updated by name, never deleted; other aggregators are left alone.",
  "additionalProperties": false,
  "properties": {
    "name": {
      "type": "string",
      "description": "Name of the aggregator.",
      "pattern": "^[A-Za-z0-9_-]{1,256}$",
      "default": "baseline-config-aggregator"
    },
    "organization_account": {
      "type": "string",
      "description": "Organization runs: the account that holds an organization aggregator (the management account or Config's delegated administrator); the other accounts get none.",
      "pattern": "^[0-9]{12}$",
      "examples": [
        "222222222222"
      ]
    },
    "organization_role": {
      "type": "string",
      "description": "The IAM role the organization aggregator reads the organization with; baseline creates it (trusting AWS Config, with the AWS managed policy AWSConfigRoleForOrganizations) if absent.",
      "pattern": "^[A-Za-z0-9_+=,.@-]{1,64}$",
      "default": "baseline-config-aggregator"
    }
  }
}"##;

    fn check(raw: Spanned<RawConfigAggregator>, v: &mut Validator, around: &Around) -> Self {
        let raw = raw.into_inner();
        // PutConfigurationAggregator: ConfigurationAggregatorName matches [\w\-]+, 1 to 256 characters;
        // CreateRole: RoleName matches [\w+=,.@-]+, 1 to 64.
        let name = checked_name(v, raw.name, DEFAULT_NAME, 256, "-", "letters, digits, `_` or `-`; at most 256 characters");
        let role = checked_name(v, raw.organization_role, DEFAULT_ROLE, 64, "+=,.@-", "letters, digits and +=,.@_-; at most 64");
        let account = v.organization_account(raw.organization_account, "organization_account", around.organization);
        ConfigAggregatorSpec {
            name,
            organization_account: account,
            organization_role: role,
        }
    }

    fn summary(&self) -> String {
        match &self.organization_account {
            Some(id) => format!(
                "an organization aggregator ({}) in {id}'s home region, role {}; other accounts none",
                self.name, self.organization_role
            ),
            None => format!("an aggregator ({}) of every region in the home region", self.name),
        }
    }
}

/// A name given in the file, checked against the API's pattern (`extra`: characters allowed besides letters,
/// digits and `_`), or the default.
fn checked_name(v: &mut Validator, given: Option<Spanned<String>>, default: &str, max: usize, extra: &str, rule: &str) -> String {
    let Some(given) = given else { return default.to_string() };
    let value = given.get_ref();
    let ok = !value.is_empty()
        && value.len() <= max
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(c));
    if !ok {
        v.error(given.span(), format!("invalid name \"{value}\""), "not allowed here", Some(rule.into()));
    }
    given.into_inner()
}
