//! `[config]`: AWS Config recorder, channel and rules.

use super::*;

impl Validator<'_> {
    pub(super) fn config(&mut self, raw: RawConfig) -> ConfigSpec {
        const FREQUENCIES: &[&str] = &["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"];
        let delivery_frequency = match raw.delivery_frequency {
            None => "TwentyFour_Hours".to_string(),
            Some(f) if FREQUENCIES.contains(&f.get_ref().as_str()) => f.into_inner(),
            Some(f) => {
                self.error(
                    f.span(),
                    format!("invalid delivery_frequency \"{}\"", f.get_ref()),
                    "not a Config frequency",
                    Some(format!("use one of {}", FREQUENCIES.join(", "))),
                );
                "TwentyFour_Hours".to_string()
            }
        };
        let delivery_prefix = raw.delivery_prefix.map(|p| {
            let help = "Config adds AWSLogs/<account>/Config itself: use a plain prefix such as \"config\", without \
                        slashes at either end";
            let result = check_s3_prefix(p.get_ref(), 256).and_then(|()| {
                if p.get_ref().contains("AWSLogs") { Err("Config adds AWSLogs/ itself".to_string()) } else { Ok(()) }
            });
            self.check(&p, result, "delivery_prefix", help);
            p.into_inner()
        });
        let recorder_name = raw.recorder_name.map_or_else(
            || "default".to_string(),
            |n| {
                let help = "1 to 256 characters on one line, such as \"default\"";
                self.check(&n, check_config_name(n.get_ref(), 256), "recorder_name", help);
                n.into_inner()
            },
        );
        ConfigSpec {
            recorder_name,
            delivery_prefix,
            delivery_frequency,
            notify_noncompliance: raw.notify_noncompliance.unwrap_or(true),
            existing_recorder: self.existing_recorder(raw.existing_recorder),
            stream_changes_to_topic: raw.stream_changes_to_topic.unwrap_or(false),
            rules: self.config_rules(raw.rules),
        }
    }

    pub(super) fn existing_recorder(&mut self, raw: Option<Spanned<String>>) -> ExistingRecorder {
        match raw {
            None => ExistingRecorder::Adopt,
            Some(v) => match v.get_ref().as_str() {
                "adopt" => ExistingRecorder::Adopt,
                "own" => ExistingRecorder::Own,
                other => {
                    self.error(
                        v.span(),
                        format!("invalid existing_recorder \"{other}\""),
                        "not a choice",
                        Some(
                            "use \"adopt\" (leave a recorder and channel baseline did not create as they are) or \
                             \"own\" (repair them to the baseline)"
                                .into(),
                        ),
                    );
                    ExistingRecorder::Adopt
                }
            },
        }
    }

    pub(super) fn config_rules(&mut self, raw: Option<Vec<RawConfigRule>>) -> Vec<ConfigRuleSpec> {
        let Some(list) = raw else { return default_config_rules() };
        let mut seen = HashMap::new();
        let mut rules = Vec::new();
        for rule in list {
            let id = rule.identifier.get_ref();
            if !(1..=256).contains(&id.len())
                || !id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                self.error(
                    rule.identifier.span(),
                    format!("invalid managed rule identifier \"{id}\""),
                    "not a managed rule identifier",
                    Some("use the AWS managed rule identifier, such as \"CLOUD_TRAIL_ENABLED\"".into()),
                );
            }
            if let Some(n) = &rule.name {
                let help = "1 to 128 characters on one line, such as \"baseline-cloud-trail-enabled\"";
                self.check(n, check_config_name(n.get_ref(), 128), "Config rule name", help);
            }
            let name = rule.name.clone().unwrap_or_else(|| Spanned::new(rule.identifier.span(), rule_name(id)));
            if !self.unique(&mut seen, &name, "Config rule name") {
                continue;
            }
            let home_only = match rule.regions.as_ref().map(|r| r.get_ref().as_str()) {
                None => is_global_rule(id),
                Some("home") => true,
                Some("all") => false,
                Some(other) => {
                    let span = rule.regions.as_ref().map_or(0..0, |r| r.span());
                    self.error(
                        span,
                        format!("invalid rule regions \"{other}\""),
                        "not a region choice",
                        Some("use \"home\" or \"all\"".into()),
                    );
                    false
                }
            };
            let parameters = rule
                .parameters
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        toml::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, v)
                })
                .collect();
            rules.push(ConfigRuleSpec { name: name.into_inner(), identifier: id.clone(), parameters, home_only });
        }
        rules
    }
}

/// `CLOUD_TRAIL_ENABLED` → `baseline-cloud-trail-enabled`.
pub(super) fn rule_name(identifier: &str) -> String {
    format!("baseline-{}", identifier.to_ascii_lowercase().replace('_', "-"))
}

/// Rules about global resources (IAM, the root user) run in the home region only.
pub(super) fn is_global_rule(identifier: &str) -> bool {
    identifier.starts_with("IAM_") || identifier.starts_with("ROOT_") || identifier.contains("_IAM_")
}

/// CLOUD_TRAIL_ENABLED (pinned to the baseline's trail when planned) and RESTRICTED_INCOMING_TRAFFIC with 22
/// among the blocked ports: its own defaults (20, 21, 3389, 3306, 4333) leave SSH out.
pub(super) fn default_config_rules() -> Vec<ConfigRuleSpec> {
    let ports = [
        ("blockedPort1", "20"),
        ("blockedPort2", "21"),
        ("blockedPort3", "22"),
        ("blockedPort4", "3389"),
        ("blockedPort5", "3306"),
    ];
    vec![
        ConfigRuleSpec {
            name: rule_name("CLOUD_TRAIL_ENABLED"),
            identifier: "CLOUD_TRAIL_ENABLED".into(),
            parameters: BTreeMap::new(),
            home_only: false,
        },
        ConfigRuleSpec {
            name: rule_name("RESTRICTED_INCOMING_TRAFFIC"),
            identifier: "RESTRICTED_INCOMING_TRAFFIC".into(),
            parameters: ports.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            home_only: false,
        },
    ]
}

/// AWS Config recorder, delivery channel and rule names: 1 to `max` characters, not blank, on one line.
pub(super) fn check_config_name(name: &str, max: usize) -> Result<(), String> {
    check_text(name, max)?;
    if name.trim().is_empty() {
        return Err("must not be blank".into());
    }
    Ok(())
}
