//! `[security_hub]`: AWS Security Hub CSPM in every managed region with the chosen standards, and control
//! findings aggregated to the home region. The section's raw shape, validated form, checks and summary.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::sections::{Around, FamilySection};
use super::validate::Validator;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSecurityHub {
    pub standards: Option<Vec<Spanned<String>>>,
    pub aggregate_findings: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityHubSpec {
    /// Standards enabled in every managed region, by their ARN's path (`cis-aws-foundations-benchmark/v/3.0.0`).
    pub standards: Vec<String>,
    /// A finding aggregator in the home region linking every region.
    pub aggregate_findings: bool,
}

/// The standards Security Hub offers (DescribeStandards; "Standards reference", Security Hub User Guide), by
/// the path of their ARN. CIS 1.2.0 is the one whose ARN is a global `ruleset/` one.
pub const KNOWN_STANDARDS: &[&str] = &[
    "aws-foundational-security-best-practices/v/1.0.0",
    "aws-resource-tagging-standard/v/1.0.0",
    "cis-aws-foundations-benchmark/v/1.2.0",
    "cis-aws-foundations-benchmark/v/1.4.0",
    "cis-aws-foundations-benchmark/v/3.0.0",
    "cis-aws-foundations-benchmark/v/5.0.0",
    "nist-800-53/v/5.0.0",
    "nist-800-171/v/2.0.0",
    "pci-dss/v/3.2.1",
    "pci-dss/v/4.0.1",
];

/// The default standards: AWS Foundational Security Best Practices and CIS AWS Foundations Benchmark v3.0.0.
pub const DEFAULT_STANDARDS: &[&str] =
    &["aws-foundational-security-best-practices/v/1.0.0", "cis-aws-foundations-benchmark/v/3.0.0"];

/// The ARN of a standard in a region.
pub fn standard_arn(partition: &str, region: &str, standard: &str) -> String {
    if standard == "cis-aws-foundations-benchmark/v/1.2.0" {
        format!("arn:{partition}:securityhub:::ruleset/{standard}")
    } else {
        format!("arn:{partition}:securityhub:{region}::standards/{standard}")
    }
}

/// The section's contract (see `config::FamilySection`).
pub type Spec = SecurityHubSpec;

impl FamilySection for SecurityHubSpec {
    type Raw = RawSecurityHub;
    const REGIONAL: bool = true;
    const EXAMPLE: &'static str = r#"standards = ["aws-foundational-security-best-practices/v/1.0.0"]
aggregate_findings = true
"#;
    const SCHEMA: &'static str = r##"{
  "type": "object",
  "description": "AWS Security Hub CSPM in every managed region with the chosen standards (an existing hub is adopted; standards are never disabled), and a finding aggregator in the home region linking every region.",
  "additionalProperties": false,
  "properties": {
    "standards": {
      "type": "array",
      "description": "Standards enabled in every managed region, by the path of their ARN.",
      "items": {
        "type": "string",
        "enum": [
          "aws-foundational-security-best-practices/v/1.0.0",
          "aws-resource-tagging-standard/v/1.0.0",
          "cis-aws-foundations-benchmark/v/1.2.0",
          "cis-aws-foundations-benchmark/v/1.4.0",
          "cis-aws-foundations-benchmark/v/3.0.0",
          "cis-aws-foundations-benchmark/v/5.0.0",
          "nist-800-53/v/5.0.0",
          "nist-800-171/v/2.0.0",
          "pci-dss/v/3.2.1",
          "pci-dss/v/4.0.1"
        ]
      },
      "default": [
        "aws-foundational-security-best-practices/v/1.0.0",
        "cis-aws-foundations-benchmark/v/3.0.0"
      ]
    },
    "aggregate_findings": {
      "type": "boolean",
      "description": "A finding aggregator in the home region linking every region (RegionLinkingMode ALL_REGIONS).",
      "default": true
    }
  }
}"##;

    fn check(raw: Spanned<RawSecurityHub>, v: &mut Validator, _: &Around) -> Self {
        let raw = raw.into_inner();
        let standards = match raw.standards {
            None => DEFAULT_STANDARDS.iter().map(|s| s.to_string()).collect(),
            Some(list) => {
                v.known_words(list, KNOWN_STANDARDS, "Security Hub standard", "not a standard Security Hub offers")
            }
        };
        SecurityHubSpec { standards, aggregate_findings: raw.aggregate_findings.unwrap_or(true) }
    }

    fn summary(&self) -> String {
        let aggregate = if self.aggregate_findings { "; findings aggregated to the home region" } else { "" };
        format!(
            "enabled in every managed region with {} standard(s) ({}){aggregate}",
            self.standards.len(),
            self.standards.join(", ")
        )
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    /// The schema offers exactly the standards the loader accepts, and defaults to the same ones.
    #[test]
    fn the_schema_names_the_known_and_default_standards() {
        let schema: serde_json::Value = serde_json::from_str(SecurityHubSpec::SCHEMA).unwrap();
        let standards = &schema["properties"]["standards"];
        assert_eq!(standards["items"]["enum"], serde_json::json!(KNOWN_STANDARDS));
        assert_eq!(standards["default"], serde_json::json!(DEFAULT_STANDARDS));
    }

    /// CIS 1.2.0 is the one global `ruleset/` ARN; every later CIS version, 5.0.0 included, is a regional
    /// `standards/` ARN ("Standards reference", Security Hub User Guide).
    #[test]
    fn only_cis_1_2_0_has_a_global_ruleset_arn() {
        for standard in KNOWN_STANDARDS {
            let arn = standard_arn("aws", "eu-west-1", standard);
            let expected = if *standard == "cis-aws-foundations-benchmark/v/1.2.0" {
                format!("arn:aws:securityhub:::ruleset/{standard}")
            } else {
                format!("arn:aws:securityhub:eu-west-1::standards/{standard}")
            };
            assert_eq!(arn, expected);
        }
        assert!(KNOWN_STANDARDS.contains(&"cis-aws-foundations-benchmark/v/5.0.0"));
    }
}
