//! `[access_analyzer]`: an IAM Access Analyzer external access analyzer in every managed region, its active
//! findings counted in the plan; in organization runs, an organization analyzer in the account that administers
//! Access Analyzer for the organization. The section's raw shape, validated form, checks and summary.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::sections::{Around, FamilySection};
use super::validate::Validator;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccessAnalyzer {
    pub name: Option<Spanned<String>>,
    pub organization_analyzer_account: Option<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessAnalyzerSpec {
    /// Name of the analyzers baseline creates (an account's and, in organization runs, the organization's).
    pub name: String,
    /// Organization runs: the account holding the organization analyzer (the management account or Access
    /// Analyzer's delegated administrator). `None`: no organization analyzer.
    pub organization_analyzer_account: Option<String>,
}

pub const DEFAULT_NAME: &str = "baseline-access-analyzer";

/// The section's contract (see `config::FamilySection`).
pub type Spec = AccessAnalyzerSpec;

impl FamilySection for AccessAnalyzerSpec {
    type Raw = RawAccessAnalyzer;
    const REGIONAL: bool = true;
    const EXAMPLE: &'static str = r#"organization_analyzer_account = "123456789012"
"#;
    const SCHEMA: &'static str = r##"{
  "type": "object",
  "description": "IAM Access Analyzer in every managed region: an external access analyzer of the account (an existing active one is adopted, whatever its name); active findings are counted in the plan's status section.",
  "additionalProperties": false,
  "properties": {
    "name": {
      "type": "string",
      "description": "Name of the analyzer baseline creates where none is active (the organization analyzer adds -organization).",
      "pattern": "^[A-Za-z][A-Za-z0-9_.-]{0,254}$",
      "default": "baseline-access-analyzer"
    },
    "organization_analyzer_account": {
      "type": "string",
      "description": "Organization runs: the account that holds an organization analyzer in every managed region (the management account or Access Analyzer's delegated administrator).",
      "pattern": "^[0-9]{12}$",
      "examples": [
        "222222222222"
      ]
    }
  }
}"##;

    fn check(raw: Spanned<RawAccessAnalyzer>, v: &mut Validator, around: &Around) -> Self {
        let (raw, organization) = (raw.into_inner(), around.organization);
        let name = match raw.name {
            Some(name) => {
                // CreateAnalyzer: analyzerName matches [A-Za-z][A-Za-z0-9_.-]*, 1 to 255 characters.
                let value = name.get_ref();
                let ok = value.len() <= 255
                    && value.starts_with(|c: char| c.is_ascii_alphabetic())
                    && value.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
                if !ok {
                    v.error(
                        name.span(),
                        format!("invalid analyzer name \"{value}\""),
                        "not an analyzer name",
                        Some("a letter, then letters, digits, `_`, `.` or `-`; at most 255 characters".into()),
                    );
                }
                name.into_inner()
            }
            None => DEFAULT_NAME.to_string(),
        };
        let account =
            v.organization_account(raw.organization_analyzer_account, "organization_analyzer_account", organization);
        AccessAnalyzerSpec { name, organization_analyzer_account: account }
    }

    fn summary(&self) -> String {
        let organization = match &self.organization_analyzer_account {
            Some(id) => format!("; an organization analyzer in {id}"),
            None => String::new(),
        };
        format!("an account analyzer ({}) in every managed region{organization}; active findings counted", self.name)
    }
}

