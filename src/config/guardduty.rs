//! `[guardduty]`: an Amazon GuardDuty detector in every managed region, its findings of a chosen severity sent to
//! the security topic, and in organization runs a delegated administrator that enables members itself.
//! The section's raw shape, its validated form, its checks and its line in `baseline validate`, in one place.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::sections::{Around, FamilySection};
use super::validate::Validator;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGuardDuty {
    pub finding_publishing_frequency: Option<Spanned<String>>,
    pub notify_severity: Option<Spanned<String>>,
    pub delegated_admin: Option<Spanned<String>>,
    pub auto_enable: Option<Spanned<String>>,
    pub features: Option<Vec<Spanned<String>>>,
}

/// GuardDuty as the baseline wants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardDutySpec {
    /// `FIFTEEN_MINUTES`, `ONE_HOUR` or `SIX_HOURS`: how often updated findings are exported (to EventBridge).
    pub finding_publishing_frequency: &'static str,
    /// Findings at or above this severity reach the security topic; `None`: no notification.
    pub notify_severity: Option<FindingSeverity>,
    /// Organization runs: the account the management account delegates GuardDuty administration to.
    pub delegated_admin: Option<String>,
    /// `ALL`, `NEW` or `NONE`: which member accounts the delegated administrator enables GuardDuty for.
    pub auto_enable: &'static str,
    /// Protection plans turned on in every region's detector (`S3_DATA_EVENTS`, ...); the others are left as
    /// they are.
    pub features: Vec<String>,
}

/// The protection plans a detector can turn on, by their feature name in UpdateDetector ("DetectorFeature",
/// GuardDuty API Reference). EKS_RUNTIME_MONITORING is left out: RUNTIME_MONITORING replaced it and covers EKS.
pub const FEATURES: &[&str] = &[
    "S3_DATA_EVENTS",
    "EKS_AUDIT_LOGS",
    "EBS_MALWARE_PROTECTION",
    "RDS_LOGIN_EVENTS",
    "LAMBDA_NETWORK_LOGS",
    "RUNTIME_MONITORING",
];

/// GuardDuty's severity levels ("Severity levels of GuardDuty findings", GuardDuty User Guide): a finding's
/// severity is a number from 1.0 to 10.0; each level starts at the value [`FindingSeverity::floor`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingSeverity {
    Low,
    Medium,
    High,
    Critical,
}

impl FindingSeverity {
    /// The lowest severity number of the level: Low 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0.
    pub fn floor(self) -> u8 {
        match self {
            Self::Low => 1,
            Self::Medium => 4,
            Self::High => 7,
            Self::Critical => 9,
        }
    }
}

pub const FREQUENCIES: &[(&str, &str)] =
    &[("FIFTEEN_MINUTES", "FIFTEEN_MINUTES"), ("ONE_HOUR", "ONE_HOUR"), ("SIX_HOURS", "SIX_HOURS")];
const SEVERITIES: &[(&str, Option<FindingSeverity>)] = &[
    ("low", Some(FindingSeverity::Low)),
    ("medium", Some(FindingSeverity::Medium)),
    ("high", Some(FindingSeverity::High)),
    ("critical", Some(FindingSeverity::Critical)),
    ("none", None),
];
const AUTO_ENABLE: &[(&str, &str)] = &[("all", "ALL"), ("new", "NEW"), ("none", "NONE")];

/// The section's contract (see `config::FamilySection`).
pub type Spec = GuardDutySpec;

impl FamilySection for GuardDutySpec {
    type Raw = RawGuardDuty;
    const REGIONAL: bool = true;
    const EXAMPLE: &'static str = r#"notify_severity = "high"
delegated_admin = "222222222222"
features = ["S3_DATA_EVENTS", "EBS_MALWARE_PROTECTION"]
"#;
    const SCHEMA: &'static str = r##"{
  "type": "object",
  "description": "Amazon GuardDuty in every managed region: a detector enabled (an existing one adopted, a suspended one enabled again); findings of notify_severity and above to the security topic through EventBridge; in organization runs, a delegated administrator that auto-enables members.",
  "additionalProperties": false,
  "properties": {
    "finding_publishing_frequency": {
      "type": "string",
      "description": "How often updated findings are exported to EventBridge.",
      "enum": [
        "FIFTEEN_MINUTES",
        "ONE_HOUR",
        "SIX_HOURS"
      ],
      "default": "FIFTEEN_MINUTES"
    },
    "notify_severity": {
      "type": "string",
      "description": "Findings of this severity and above reach the security topic (Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0); \"none\": no notification. Anything but \"none\" needs [notifications.security].",
      "enum": [
        "low",
        "medium",
        "high",
        "critical",
        "none"
      ],
      "default": "high"
    },
    "delegated_admin": {
      "type": "string",
      "description": "Organization runs: the account the management account delegates GuardDuty administration to, in every managed region.",
      "pattern": "^[0-9]{12}$",
      "examples": [
        "222222222222"
      ]
    },
    "auto_enable": {
      "type": "string",
      "description": "Organization runs: which member accounts the delegated administrator enables GuardDuty for.",
      "enum": [
        "all",
        "new",
        "none"
      ],
      "default": "all"
    },
    "features": {
      "type": "array",
      "description": "Protection plans turned on in every managed region's detector (billed by use); the others are left as they are.",
      "items": {
        "type": "string",
        "enum": [
          "S3_DATA_EVENTS",
          "EKS_AUDIT_LOGS",
          "EBS_MALWARE_PROTECTION",
          "RDS_LOGIN_EVENTS",
          "LAMBDA_NETWORK_LOGS",
          "RUNTIME_MONITORING"
        ]
      },
      "default": []
    }
  }
}"##;

    fn check(raw: Spanned<RawGuardDuty>, v: &mut Validator, around: &Around) -> Self {
        let Around { security_topic, organization } = *around;
        let span = raw.span();
        let raw = raw.into_inner();
        let finding_publishing_frequency = v.choice(
            raw.finding_publishing_frequency.as_ref(),
            "finding_publishing_frequency",
            FREQUENCIES,
            "FIFTEEN_MINUTES",
        );
        let notify_severity =
            v.choice(raw.notify_severity.as_ref(), "notify_severity", SEVERITIES, Some(FindingSeverity::High));
        if notify_severity.is_some() && !security_topic {
            v.error(
                raw.notify_severity.as_ref().map_or(span, Spanned::span),
                "[guardduty] notifies the security topic, and there is no [notifications.security]".into(),
                "no security topic",
                Some("add [notifications.security], or set `notify_severity = \"none\"`".into()),
            );
        }
        let delegated_admin = v.organization_account(raw.delegated_admin, "delegated_admin", organization);
        GuardDutySpec {
            finding_publishing_frequency,
            notify_severity,
            delegated_admin,
            auto_enable: v.choice(raw.auto_enable.as_ref(), "auto_enable", AUTO_ENABLE, "ALL"),
            features: v.known_words(
                raw.features.unwrap_or_default(),
                FEATURES,
                "GuardDuty protection plan",
                "not a protection plan a detector turns on",
            ),
        }
    }

    fn summary(&self) -> String {
        let notify = match self.notify_severity {
            Some(level) => format!(
                "findings of {} severity and above to the security topic",
                serde_json::json!(level).as_str().unwrap_or("")
            ),
            None => "no notification".to_string(),
        };
        let admin = match &self.delegated_admin {
            Some(id) => format!("; delegated administrator {id}, auto-enable {}", self.auto_enable.to_ascii_lowercase()),
            None => String::new(),
        };
        let plans = match self.features.as_slice() {
            [] => String::new(),
            plans => format!("; protection plans {}", plans.join(", ")),
        };
        format!(
            "a detector in every managed region, published every {}{plans}; {notify}{admin}",
            self.finding_publishing_frequency.to_ascii_lowercase().replace('_', " ")
        )
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    /// The schema offers exactly the words the loader accepts for each choice.
    #[test]
    fn the_schema_names_the_choices_the_loader_accepts() {
        let schema: serde_json::Value = serde_json::from_str(GuardDutySpec::SCHEMA).unwrap();
        let words = |key: &str| schema["properties"][key]["enum"].clone();
        fn keys<T>(choices: &[(&str, T)]) -> serde_json::Value {
            serde_json::json!(choices.iter().map(|(word, _)| *word).collect::<Vec<_>>())
        }
        assert_eq!(words("finding_publishing_frequency"), keys(FREQUENCIES));
        assert_eq!(words("notify_severity"), keys(SEVERITIES));
        assert_eq!(words("auto_enable"), keys(AUTO_ENABLE));
        assert_eq!(schema["properties"]["features"]["items"]["enum"], serde_json::json!(FEATURES));
    }
}
