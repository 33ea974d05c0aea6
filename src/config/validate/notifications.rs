//! `[notifications]`: the security and billing topics.

use super::*;

impl Validator<'_> {
    pub(super) fn notifications(&mut self, raw: RawNotifications) -> Notifications {
        if let (Some(sec), Some(bill)) = (&raw.security, &raw.billing) {
            let name = bill.get_ref().topic.get_ref();
            if name == sec.get_ref().topic.get_ref() {
                self.error(
                    bill.get_ref().topic.span(),
                    format!("duplicate topic name \"{name}\": the security and billing topics must differ"),
                    "also the security topic",
                    Some(
                        "give the billing notifications a topic of their own, such as \"billing-notifications\"".into(),
                    ),
                );
            }
        }
        let security = raw.security.map(|t| self.topic(TopicRole::Security, t));
        let billing = raw.billing.map(|t| self.topic(TopicRole::Billing, t));
        Notifications { security, billing }
    }

    pub(super) fn topic(&mut self, role: TopicRole, raw: Spanned<RawTopic>) -> TopicSpec {
        let span = raw.span();
        let raw = raw.into_inner();
        self.check(
            &raw.topic,
            check_topic_name(raw.topic.get_ref()),
            "SNS topic name",
            "use 1 to 256 letters, digits, hyphens or underscores, such as \"security-notifications\"",
        );
        let mut seen = HashMap::new();
        let mut emails = Vec::new();
        for email in &raw.emails {
            if self.email(email) && self.unique(&mut seen, email, "e-mail address") {
                emails.push(email.get_ref().clone());
            }
        }
        if raw.emails.is_empty() {
            let which = match role {
                TopicRole::Security => "security",
                TopicRole::Billing => "billing",
            };
            self.warn(
                span,
                format!("no e-mail address subscribed to the {which} topic"),
                "`emails` is empty",
                Some(format!("list the {which} distribution list, such as emails = [\"aws-{which}@example.com\"]")),
            );
        }
        TopicSpec { role, name: raw.topic.into_inner(), emails }
    }
}

/// SNS: 1 to 256 letters, digits, hyphens and underscores.
pub(super) fn check_topic_name(name: &str) -> Result<(), String> {
    hidden_problem(name)?;
    if !name_ok(name, 1, 256, "-_") {
        return Err("must be 1 to 256 letters, digits, hyphens or underscores".into());
    }
    Ok(())
}
