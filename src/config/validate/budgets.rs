//! `[[budgets]]`: budgets, thresholds, cost filters.

use super::*;

impl Validator<'_> {
    /// Budgets (`[[budgets]]`, or an override's), each name once; they need the billing topic. `what` starts
    /// the error's message.
    pub(super) fn budgets(&mut self, raw: Vec<Spanned<RawBudget>>, billing_topic: bool, what: &str) -> Vec<BudgetSpec> {
        if let Some(first) = raw.first().filter(|_| !billing_topic) {
            self.error(
                first.span(),
                format!("{what} [notifications.billing]: budget alerts are sent to the billing topic"),
                "no billing topic",
                Some("add [notifications.billing] with topic and emails".into()),
            );
        }
        let mut seen = HashMap::new();
        raw.into_iter()
            .filter_map(|b| {
                let b = b.into_inner();
                self.unique(&mut seen, &b.name, "budget name").then(|| self.budget(b))
            })
            .collect()
    }

    pub(super) fn budget(&mut self, raw: RawBudget) -> BudgetSpec {
        self.check(
            &raw.name,
            check_budget_name(raw.name.get_ref()),
            "budget name",
            "1 to 100 characters on one line, without : or \\, such as \"monthly-total-cost\"",
        );
        if !(raw.limit.get_ref().is_finite() && *raw.limit.get_ref() > 0.0) {
            self.error(
                raw.limit.span(),
                format!("invalid budget limit {}", raw.limit.get_ref()),
                "must be a positive amount",
                None,
            );
        }
        let currency = raw.currency.map_or_else(
            || "USD".to_string(),
            |c| {
                if !(c.get_ref().len() == 3 && c.get_ref().bytes().all(|b| b.is_ascii_uppercase())) {
                    self.error(
                        c.span(),
                        format!("invalid currency \"{}\"", c.get_ref()),
                        "not a currency code",
                        Some("use a three-letter code such as \"USD\"".into()),
                    );
                }
                c.into_inner()
            },
        );
        let time_unit = raw.time_unit.map_or_else(
            || "MONTHLY".to_string(),
            |t| {
                if !["DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY"].contains(&t.get_ref().as_str()) {
                    self.error(
                        t.span(),
                        format!("invalid time unit \"{}\"", t.get_ref()),
                        "not a budget period",
                        Some("use DAILY, MONTHLY, QUARTERLY or ANNUALLY".into()),
                    );
                }
                t.into_inner()
            },
        );
        let forecasted_thresholds = raw.forecasted_thresholds.map_or_else(|| vec![100.0], |t| self.thresholds(t));
        let actual_thresholds = self.thresholds(raw.actual_thresholds);
        let mut seen = HashMap::new();
        let emails = raw
            .emails
            .iter()
            .filter(|e| self.email(e) && self.unique(&mut seen, e, "e-mail address"))
            .map(|e| e.get_ref().clone())
            .collect();
        let cost_filters = self.cost_filters(raw.filters);
        BudgetSpec {
            name: raw.name.into_inner(),
            limit: *raw.limit.get_ref(),
            currency,
            time_unit,
            forecasted_thresholds,
            actual_thresholds,
            emails,
            cost_filters,
        }
    }

    /// Percentages of the limit, each once.
    pub(super) fn thresholds(&mut self, list: Vec<Spanned<f64>>) -> Vec<f64> {
        let mut out = Vec::new();
        for t in list {
            let v = *t.get_ref();
            if !(v.is_finite() && v > 0.0 && v <= 1000.0) {
                self.error(
                    t.span(),
                    format!("invalid threshold {v}"),
                    "not a percentage",
                    Some("a percentage of the limit, above 0 and at most 1000".into()),
                );
            } else if out.contains(&v) {
                self.error(t.span(), format!("duplicate threshold {v}"), "listed twice", None);
            } else {
                out.push(v);
            }
        }
        out
    }

    /// The budget's cost filters by dimension: services, linked accounts, tags (`user:<key>$<value>`).
    pub(super) fn cost_filters(&mut self, filters: RawBudgetFilters) -> BTreeMap<String, Vec<String>> {
        let mut cost_filters = BTreeMap::new();
        let mut services = Vec::new();
        for service in filters.services {
            let help = "the service name as Cost Explorer shows it, such as \"Amazon Elastic Compute Cloud - Compute\"";
            let result = check_text(service.get_ref(), 256)
                .and_then(|()| if service.get_ref().trim().is_empty() { Err("empty".to_string()) } else { Ok(()) });
            if self.check(&service, result, "service filter", help) {
                services.push(service.into_inner());
            }
        }
        if !services.is_empty() {
            cost_filters.insert("Service".to_string(), services);
        }
        let accounts: Vec<String> =
            filters.linked_accounts.iter().filter(|a| self.account_id(a)).map(|a| a.get_ref().clone()).collect();
        if !accounts.is_empty() {
            cost_filters.insert("LinkedAccount".to_string(), accounts);
        }
        let mut tags = Vec::new();
        let help = "tag keys are 1 to 128 and values up to 256 letters, digits, spaces or any of +-=._:/@";
        for (key, values) in &filters.tags {
            if !self.check(key, check_tag_text(key.get_ref(), 1, 128), "tag key in the budget filter", help) {
                continue;
            }
            for value in values {
                if self.check(value, check_tag_text(value.get_ref(), 0, 256), "tag value in the budget filter", help) {
                    tags.push(format!("user:{}${}", key.get_ref(), value.get_ref()));
                }
            }
        }
        if !tags.is_empty() {
            cost_filters.insert("TagKeyValue".to_string(), tags);
        }
        cost_filters
    }
}

/// Budgets: 1 to 100 characters without `:` and `\`.
pub(super) fn check_budget_name(name: &str) -> Result<(), String> {
    hidden_problem(name)?;
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err("must be 1 to 100 characters".into());
    }
    if name.contains(':') || name.contains('\\') {
        return Err("must not contain : or \\".into());
    }
    Ok(())
}
