//! `[contacts]`: the alternate contacts and the primary contact.

use super::*;

impl Validator<'_> {
    /// A warning when no billing list is set anywhere.
    pub(super) fn billing_list(&mut self, contacts: &Contacts, notifications: &Notifications) {
        let billing_list =
            contacts.billing.is_some() || notifications.billing.as_ref().is_some_and(|b| !b.emails.is_empty());
        if !billing_list {
            self.warn(
                0..0,
                "no billing e-mail list is set anywhere".into(),
                "neither [contacts.billing] nor [notifications.billing] emails",
                Some("set [contacts.billing] and subscribe the billing list to [notifications.billing]".into()),
            );
        }
    }

    pub(super) fn contacts(&mut self, raw: RawContacts) -> Contacts {
        self.distinct_alternates(&raw);
        let primary = raw.primary.map(|p| self.primary(p.into_inner()));
        let billing = raw.billing.map(|c| self.alternate(c.into_inner()));
        let operations = raw.operations.map(|c| self.alternate(c.into_inner()));
        let security = raw.security.map(|c| self.alternate(c.into_inner()));
        Contacts { primary, billing, operations, security }
    }

    /// Many checkers require the billing, operations and security contacts to differ from each other.
    pub(super) fn distinct_alternates(&mut self, raw: &RawContacts) {
        let named: Vec<(&str, &RawAlternateContact)> =
            [("billing", &raw.billing), ("operations", &raw.operations), ("security", &raw.security)]
                .into_iter()
                .filter_map(|(n, c)| c.as_ref().map(|c| (n, c.get_ref())))
                .collect();
        for (i, (later, b)) in named.iter().enumerate() {
            for (earlier, a) in &named[..i] {
                let pairs = [("e-mail address", &a.email, &b.email), ("phone number", &a.phone, &b.phone)];
                for (what, x, y) in pairs {
                    if x.get_ref().trim().eq_ignore_ascii_case(y.get_ref().trim()) {
                        self.warn(
                            y.span(),
                            format!("the {later} and {earlier} contacts share the {what} \"{}\"", y.get_ref()),
                            "same as another alternate contact",
                            Some("security checkers expect a separate list per role; give each contact its own".into()),
                        );
                    }
                }
            }
        }
    }

    pub(super) fn alternate(&mut self, raw: RawAlternateContact) -> AlternateContact {
        self.length(&raw.name, "name", 1, 64);
        self.length(&raw.title, "title", 1, 50);
        self.email(&raw.email);
        self.alternate_phone(&raw.phone);
        AlternateContact {
            name: raw.name.into_inner(),
            title: raw.title.into_inner(),
            email: raw.email.into_inner(),
            phone: raw.phone.into_inner(),
        }
    }

    pub(super) fn primary(&mut self, raw: RawPrimaryContact) -> PrimaryContact {
        self.length(&raw.full_name, "full_name", 1, 50);
        self.length(&raw.address_line1, "address_line1", 1, 60);
        self.length(&raw.city, "city", 1, 50);
        self.length(&raw.postal_code, "postal_code", 1, 20);
        for (value, key, max) in [
            (&raw.company_name, "company_name", 50),
            (&raw.address_line2, "address_line2", 60),
            (&raw.address_line3, "address_line3", 60),
            (&raw.state_or_region, "state_or_region", 50),
            (&raw.district_or_county, "district_or_county", 50),
            (&raw.website_url, "website_url", 256),
        ] {
            if let Some(v) = value {
                self.length(v, key, 1, max);
            }
        }
        let country = raw.country_code.get_ref();
        if !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase())) {
            self.error(
                raw.country_code.span(),
                format!("invalid country code \"{country}\""),
                "not an ISO 3166-1 alpha-2 code",
                Some("use two capital letters, such as \"US\", \"DE\" or \"GB\"".into()),
            );
        }
        self.primary_phone(&raw.phone);
        let opt = |v: Option<Spanned<String>>| v.map(Spanned::into_inner);
        PrimaryContact {
            full_name: raw.full_name.into_inner(),
            company_name: opt(raw.company_name),
            address_line1: raw.address_line1.into_inner(),
            address_line2: opt(raw.address_line2),
            address_line3: opt(raw.address_line3),
            city: raw.city.into_inner(),
            state_or_region: opt(raw.state_or_region),
            district_or_county: opt(raw.district_or_county),
            postal_code: raw.postal_code.into_inner(),
            country_code: raw.country_code.into_inner(),
            phone: raw.phone.into_inner(),
            website_url: opt(raw.website_url),
        }
    }

    /// Alternate contacts accept digits, spaces, `+`, `-`, `(` and `)`, 1 to 25 characters.
    pub(super) fn alternate_phone(&mut self, value: &Spanned<String>) {
        let p = value.get_ref();
        let chars_ok = p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
        if !(chars_ok && p.chars().any(|c| c.is_ascii_digit()) && p.len() <= 25) {
            self.error(
                value.span(),
                format!("invalid phone number \"{p}\""),
                "not a phone number",
                Some("use digits, spaces, +, -, ( and ), at most 25 characters, such as \"+1 206 555 0100\"".into()),
            );
        }
    }

    /// The primary contact needs the international form: `+`, then digits, spaces, `-`, `(`, `)`; 7 to 20.
    pub(super) fn primary_phone(&mut self, value: &Spanned<String>) {
        let p = value.get_ref();
        let rest_ok = p.strip_prefix('+').is_some_and(|rest| {
            rest.chars().all(|c| c.is_ascii_digit() || " -()".contains(c)) && rest.chars().any(|c| c.is_ascii_digit())
        });
        if !(rest_ok && (7..=20).contains(&p.len())) {
            self.error(
                value.span(),
                format!("invalid phone number \"{p}\" for the primary contact"),
                "not an international phone number",
                Some("start with + and the country code, 7 to 20 characters, such as \"+1 206 555 0100\"".into()),
            );
        }
    }
}
