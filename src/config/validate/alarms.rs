//! `[alarms]`: the catalog sets, custom alarms and tuning.

use super::*;

impl Validator<'_> {
    pub(super) fn alarms(&mut self, raw: RawAlarms) -> AlarmsSpec {
        use crate::alarm_catalog::{self, CATALOG};
        let sets = self.alarm_sets(raw.set.as_ref());
        let standard = self.alarm_standard(raw.standard.as_ref());
        let namespace = match raw.namespace {
            Some(ns) => {
                let help =
                    "1 to 255 printable ASCII characters, not starting with `:` or `AWS/`, such as \"CISBenchmark\"";
                if self.check(&ns, check_namespace(ns.get_ref()), "metric namespace", help) {
                    ns.into_inner()
                } else {
                    DEFAULT_ALARM_NAMESPACE.to_string()
                }
            }
            None => DEFAULT_ALARM_NAMESPACE.to_string(),
        };
        let mut alarms: Vec<AlarmSpec> = CATALOG
            .iter()
            .filter(|a| sets.contains(&a.set))
            .map(|a| AlarmSpec {
                id: a.id.into(),
                metric_name: a.metric_name.into(),
                filters: alarm_catalog::filters(a, standard)
                    .into_iter()
                    .map(|(id, pattern)| AlarmFilter { id, pattern: pattern.into() })
                    .collect(),
                description: a.description.into(),
                threshold: a.threshold,
                period: 300,
                evaluation_periods: 1,
            })
            .collect();
        let mut seen = HashMap::new();
        for custom in raw.custom {
            alarms.extend(self.custom_alarm(custom, &mut seen));
        }
        let known: Vec<String> =
            CATALOG.iter().map(|a| a.id.to_string()).chain(alarms.iter().map(|a| a.id.clone())).collect();
        let mut disabled = Vec::new();
        for id in &raw.disabled {
            if self.alarm_id(id, &known) {
                alarms.retain(|a| &a.id != id.get_ref());
                disabled.push(id.get_ref().clone());
            }
        }
        for (id, tune) in raw.tune {
            if self.alarm_id(&id, &known) {
                match alarms.iter_mut().find(|a| &a.id == id.get_ref()) {
                    Some(alarm) => self.tune_catalog_alarm(alarm, tune),
                    None => self.warn(
                        id.span(),
                        format!("alarm \"{}\" is tuned but not enabled", id.get_ref()),
                        "not in the chosen set",
                        Some("choose set = \"all\", or remove this table".into()),
                    ),
                }
            }
        }
        AlarmsSpec { namespace, standard, alarms, disabled }
    }

    pub(super) fn alarm_sets(&mut self, set: Option<&Spanned<String>>) -> &'static [crate::alarm_catalog::Set] {
        use crate::alarm_catalog::Set;
        match set.map(|s| s.get_ref().as_str()) {
            None | Some("cis") => &[Set::Cis],
            Some("all") => &[Set::Cis, Set::Extra],
            Some("none") => &[],
            Some(other) => {
                self.error(
                    set.map_or(0..0, Spanned::span),
                    format!("unknown alarm set \"{other}\""),
                    "not an alarm set",
                    Some(
                        "use \"cis\" (the CIS / Security Hub alarms), \"all\" (plus two EC2 alarms) or \"none\"".into(),
                    ),
                );
                &[Set::Cis]
            }
        }
    }

    pub(super) fn alarm_standard(&mut self, standard: Option<&Spanned<String>>) -> AlarmStandard {
        match standard.map(|s| s.get_ref().as_str()) {
            None | Some("both") => AlarmStandard::Both,
            Some("security-hub") => AlarmStandard::SecurityHub,
            Some("cis-v3") => AlarmStandard::CisV3,
            Some(other) => {
                self.error(
                    standard.map_or(0..0, Spanned::span),
                    format!("unknown alarm standard \"{other}\""),
                    "not an alarm standard",
                    Some(
                        "use \"both\" (Security Hub's exact strings and the current CIS benchmark's clauses), \
                         \"security-hub\" or \"cis-v3\""
                            .into(),
                    ),
                );
                AlarmStandard::Both
            }
        }
    }

    /// A `[[alarms.custom]]` entry, or `None` when its id repeats an earlier one.
    pub(super) fn custom_alarm(
        &mut self,
        custom: RawCustomAlarm,
        seen: &mut HashMap<String, Range<usize>>,
    ) -> Option<AlarmSpec> {
        use crate::alarm_catalog::{CATALOG, CIS_V3_SUFFIX, pattern_problem};
        let id = custom.id.get_ref();
        let id_ok = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            self.error(
                custom.id.span(),
                format!("invalid alarm id \"{id}\""),
                "not an alarm id",
                Some("use 1 to 64 lowercase letters, digits and hyphens".into()),
            );
        } else if CATALOG.iter().any(|a| a.id == id) {
            self.error(
                custom.id.span(),
                format!("custom alarm id \"{id}\" is a built-in alarm"),
                "already in the catalog",
                Some("pick another id; tune built-in alarms under [alarms.tune.<id>]".into()),
            );
        } else if id.ends_with(CIS_V3_SUFFIX) {
            // The built-in alarms' second filters are named `baseline-<id>-cis-v3`.
            self.error(
                custom.id.span(),
                format!("custom alarm id \"{id}\" ends with \"{CIS_V3_SUFFIX}\""),
                "reserved for the built-in alarms' second filters",
                Some("pick another id".into()),
            );
        } else if !self.unique(seen, &custom.id, "custom alarm id") {
            return None;
        }
        if let Some(problem) = pattern_problem(custom.pattern.get_ref()) {
            self.error(
                custom.pattern.span(),
                format!("invalid filter pattern for alarm \"{id}\": {problem}"),
                "malformed pattern",
                Some(
                    "see the CloudWatch Logs filter pattern syntax; patterns look like { ($.eventName = CreateUser) }"
                        .into(),
                ),
            );
        }
        if let Some(m) = &custom.metric_name {
            let help = "1 to 255 printable ASCII characters, such as \"BreakGlassRoleUsed\"";
            self.check(m, check_metric_text(m.get_ref()), "metric name", help);
        }
        if let Some(d) = &custom.description {
            let help = format!("at most {ALARM_DESCRIPTION_MAX} characters on one line");
            self.check(d, check_text(d.get_ref(), ALARM_DESCRIPTION_MAX), "alarm description", &help);
        }
        let metric_name = custom.metric_name.map_or_else(|| camel_case(id), Spanned::into_inner);
        let mut alarm = AlarmSpec {
            id: id.clone(),
            metric_name,
            filters: vec![AlarmFilter { id: id.clone(), pattern: custom.pattern.get_ref().clone() }],
            description: custom.description.map_or_else(|| format!("Custom alarm {id}"), Spanned::into_inner),
            threshold: 1,
            period: 300,
            evaluation_periods: 1,
        };
        self.tune_alarm(&mut alarm, custom.threshold, custom.period, custom.evaluation_periods);
        Some(alarm)
    }

    /// `[alarms.tune.<id>]`. An alarm fed by two filters (standard "both") counts an event both match twice,
    /// which a threshold above 1 would notice.
    pub(super) fn tune_catalog_alarm(&mut self, alarm: &mut AlarmSpec, tune: RawTune) {
        let threshold_span = tune.threshold.as_ref().map(Spanned::span);
        self.tune_alarm(alarm, tune.threshold, tune.period, tune.evaluation_periods);
        if let (Some(span), [first, second]) = (threshold_span, alarm.filters.as_slice())
            && alarm.threshold > 1
        {
            self.warn(
                span,
                format!(
                    "alarm \"{}\" has two filters (standard = \"both\"): an event both match counts twice \
                     toward threshold {}",
                    alarm.id, alarm.threshold
                ),
                "events may count twice",
                Some(format!(
                    "baseline-{} and baseline-{} both feed its metric; choose standard = \"security-hub\" or \
                     \"cis-v3\" (one filter) to count each event once",
                    first.id, second.id
                )),
            );
        }
    }

    pub(super) fn alarm_id(&mut self, id: &Spanned<String>, known: &[String]) -> bool {
        if known.iter().any(|k| k == id.get_ref()) {
            return true;
        }
        let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
        let help = match nearest(id.get_ref(), &candidates) {
            Some(n) => format!("did you mean \"{n}\"? Known alarms: {}", known.join(", ")),
            None => format!("known alarms: {}", known.join(", ")),
        };
        self.error(
            id.span(),
            format!("unknown alarm id \"{}\"", id.get_ref()),
            "not an alarm of the catalog",
            Some(help),
        );
        false
    }

    pub(super) fn tune_alarm(
        &mut self,
        alarm: &mut AlarmSpec,
        threshold: Option<Spanned<i64>>,
        period: Option<Spanned<i64>>,
        evaluation_periods: Option<Spanned<i64>>,
    ) {
        if let Some(t) = threshold {
            match u32::try_from(*t.get_ref()) {
                Ok(v) if v >= 1 => alarm.threshold = v,
                _ => self.error(t.span(), format!("invalid threshold {}", t.get_ref()), "must be at least 1", None),
            }
        }
        if let Some(p) = period {
            match u32::try_from(*p.get_ref()) {
                Ok(v) if v == 10 || v == 30 || (v >= 60 && v % 60 == 0 && v <= 86_400) => alarm.period = v,
                _ => self.error(
                    p.span(),
                    format!("invalid period {}", p.get_ref()),
                    "not an alarm period",
                    Some("use 10, 30, or a multiple of 60 seconds up to 86400".into()),
                ),
            }
        }
        if let Some(e) = evaluation_periods {
            match u32::try_from(*e.get_ref()) {
                Ok(v) if (1..=100).contains(&v) => alarm.evaluation_periods = v,
                _ => self.error(
                    e.span(),
                    format!("invalid evaluation_periods {}", e.get_ref()),
                    "must be 1 to 100",
                    None,
                ),
            }
        }
    }
}

/// `break-glass-use` → `BreakGlassUse`.
pub(super) fn camel_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// CloudWatch namespaces and metric names: printable ASCII, 1 to 255 characters, not blank.
pub(super) fn check_metric_text(value: &str) -> Result<(), String> {
    hidden_problem(value)?;
    if value.trim().is_empty() || value.len() > 255 {
        return Err("must be 1 to 255 characters, not blank".into());
    }
    if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err("only printable ASCII characters are allowed".into());
    }
    Ok(())
}

/// A CloudWatch metric namespace: a metric name that does not start with `:` nor with `AWS/` (reserved).
pub(super) fn check_namespace(value: &str) -> Result<(), String> {
    check_metric_text(value)?;
    if value.starts_with(':') {
        return Err("must not start with `:`".into());
    }
    if value.starts_with("AWS/") {
        return Err("the prefix `AWS/` is reserved for AWS services".into());
    }
    Ok(())
}

/// CloudWatch takes alarm descriptions of up to 1024 characters; the alarm adds " (managed by baseline)".
pub(super) const ALARM_DESCRIPTION_MAX: usize = 1024 - " (managed by baseline)".len();
