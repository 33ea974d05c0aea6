//! Account contacts: the Billing, Operations and Security alternate contacts and the primary contact.

use aws_sdk_account::types::{AlternateContactType as SdkType, ContactInformation};
use futures::future::join_all;

use super::{Operation, report_unreadable};
use super::{Plan, ResourceChange};
use crate::aws::{self, AwsError, ErrorKind};
use crate::config::{AlternateContact, AlternateContactType, Desired, PrimaryContact};
use crate::engine::{Action, Address, AttributeChange, EventSink, GLOBAL};
use crate::target::{Scope, Target};

pub const ALTERNATE: &str = "account.alternate_contact";
pub const PRIMARY: &str = "account.primary_contact";

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    PutAlternate {
        kind: AlternateContactType,
        contact: AlternateContact,
    },
    /// The whole contact is written; optional fields the baseline leaves unset keep their current values.
    PutPrimary(Box<PrimaryContact>),
}

fn sdk_type(kind: AlternateContactType) -> SdkType {
    match kind {
        AlternateContactType::Billing => SdkType::Billing,
        AlternateContactType::Operations => SdkType::Operations,
        AlternateContactType::Security => SdkType::Security,
    }
}

pub fn alternate_address(scope: &Scope, kind: AlternateContactType) -> Address {
    Address::new(&scope.account_id, GLOBAL, ALTERNATE, kind.as_str())
}

pub fn primary_address(scope: &Scope) -> Address {
    Address::new(&scope.account_id, GLOBAL, PRIMARY, "primary")
}

/// The calls of this family, on the account itself; in an organization run also on member accounts, which
/// the management account (or delegated administrator) reaches through `AccountId`.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    let mut actions = Vec::new();
    if desired.contacts.alternates().next().is_some() {
        actions.extend(["account:GetAlternateContact", "account:PutAlternateContact"]);
    }
    if desired.contacts.primary.is_some() {
        actions.extend(["account:GetContactInformation", "account:PutContactInformation"]);
    }
    if actions.is_empty() {
        return;
    }
    let mut accounts = vec![needs.arn("account", "", "account")];
    if desired.accounts.is_fleet() {
        accounts.push(format!("arn:{}:account::*:account/o-*/*", needs.scope().partition));
    }
    needs.on(&actions, accounts);
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let alternates: Vec<_> = desired.contacts.alternates().collect();
    let primary = async {
        match &desired.contacts.primary {
            Some(_) => Some(observe_primary(target).await),
            None => None,
        }
    };
    let (observed, primary_observed) =
        tokio::join!(join_all(alternates.iter().map(|(kind, _)| observe_alternate(target, *kind))), primary);

    let mut plan = Plan::default();
    for ((kind, want), have) in alternates.into_iter().zip(observed) {
        let address = alternate_address(&target.scope, kind);
        if let Some(have) = report_unreadable(have, &address, &mut plan) {
            plan.changes.push(diff_alternate(address, kind, want, have.as_ref()));
        }
    }
    if let (Some(want), Some(have)) = (&desired.contacts.primary, primary_observed) {
        let address = primary_address(&target.scope);
        if let Some(have) = report_unreadable(have, &address, &mut plan) {
            plan.changes.push(diff_primary(address, want, have.as_ref()));
        }
    }
    plan
}

/// `None` when the contact is not set (the API answers ResourceNotFoundException).
pub async fn observe_alternate(
    target: &Target,
    kind: AlternateContactType,
) -> Result<Option<AlternateContact>, AwsError> {
    let result = target
        .account
        .get_alternate_contact()
        .set_account_id(target.contacts_account.clone())
        .alternate_contact_type(sdk_type(kind))
        .send()
        .await;
    match result {
        Ok(out) => Ok(out.alternate_contact().map(|c| AlternateContact {
            name: c.name().unwrap_or_default().to_string(),
            title: c.title().unwrap_or_default().to_string(),
            email: c.email_address().unwrap_or_default().to_string(),
            phone: c.phone_number().unwrap_or_default().to_string(),
        })),
        Err(e) => {
            let e = AwsError::from_sdk("account:GetAlternateContact", e);
            if e.kind == ErrorKind::NotFound { Ok(None) } else { Err(e) }
        }
    }
}

pub async fn observe_primary(target: &Target) -> Result<Option<PrimaryContact>, AwsError> {
    let out = target
        .account
        .get_contact_information()
        .set_account_id(target.contacts_account.clone())
        .send()
        .await
        .map_err(aws::err("account:GetContactInformation"))?;
    Ok(out.contact_information().map(|c| PrimaryContact {
        full_name: c.full_name().to_string(),
        company_name: c.company_name().map(str::to_string),
        address_line1: c.address_line1().to_string(),
        address_line2: c.address_line2().map(str::to_string),
        address_line3: c.address_line3().map(str::to_string),
        city: c.city().to_string(),
        state_or_region: c.state_or_region().map(str::to_string),
        district_or_county: c.district_or_county().map(str::to_string),
        postal_code: c.postal_code().to_string(),
        country_code: c.country_code().to_string(),
        phone: c.phone_number().to_string(),
        website_url: c.website_url().map(str::to_string),
    }))
}

/// Collects `before → after` for fields that differ. `same` decides equality (e-mail ignores case).
struct FieldDiff(Vec<AttributeChange>);

impl FieldDiff {
    fn field(&mut self, name: &str, before: Option<&str>, after: Option<&str>) {
        let same = match (before, after) {
            (_, None) => true, // not managed by the baseline
            (Some(b), Some(a)) if name == "email_address" => b.trim().eq_ignore_ascii_case(a.trim()),
            (Some(b), Some(a)) => b.trim() == a.trim(),
            (None, Some(_)) => false,
        };
        if !same {
            self.0.push(AttributeChange::new(name, before.map(str::to_string), after.map(str::to_string)));
        }
    }
}

pub fn diff_alternate(
    address: Address,
    kind: AlternateContactType,
    want: &AlternateContact,
    have: Option<&AlternateContact>,
) -> ResourceChange {
    let mut d = FieldDiff(Vec::new());
    let get = |f: fn(&AlternateContact) -> &str| have.map(f);
    d.field("name", get(|c| &c.name), Some(&want.name));
    d.field("title", get(|c| &c.title), Some(&want.title));
    d.field("email_address", get(|c| &c.email), Some(&want.email));
    d.field("phone_number", get(|c| &c.phone), Some(&want.phone));
    if d.0.is_empty() {
        return ResourceChange::no_op(address, "contact matches");
    }
    let (action, reason) = match have {
        None => (Action::Create, format!("no {kind} contact is set")),
        Some(_) => (Action::Update, format!("{kind} contact differs")),
    };
    let op = Op::PutAlternate { kind, contact: want.clone() };
    ResourceChange::new(address, action, reason, Operation::Contacts(op)).with_attributes(d.0)
}

/// A primary-contact field: its name in the plan and how to read it.
type PrimaryField = (&'static str, fn(&PrimaryContact) -> Option<&str>);

pub fn diff_primary(address: Address, want: &PrimaryContact, have: Option<&PrimaryContact>) -> ResourceChange {
    let mut d = FieldDiff(Vec::new());
    let fields: [PrimaryField; 12] = [
        ("full_name", |c| Some(&c.full_name)),
        ("company_name", |c| c.company_name.as_deref()),
        ("address_line1", |c| Some(&c.address_line1)),
        ("address_line2", |c| c.address_line2.as_deref()),
        ("address_line3", |c| c.address_line3.as_deref()),
        ("city", |c| Some(&c.city)),
        ("state_or_region", |c| c.state_or_region.as_deref()),
        ("district_or_county", |c| c.district_or_county.as_deref()),
        ("postal_code", |c| Some(&c.postal_code)),
        ("country_code", |c| Some(&c.country_code)),
        ("phone_number", |c| Some(&c.phone)),
        ("website_url", |c| c.website_url.as_deref()),
    ];
    for (name, get) in fields {
        d.field(name, have.and_then(get), get(want));
    }
    if d.0.is_empty() {
        return ResourceChange::no_op(address, "primary contact matches");
    }
    // Optional fields the baseline does not set keep what the account has.
    let mut merged = want.clone();
    if let Some(have) = have {
        let keep = |w: &mut Option<String>, h: &Option<String>| {
            if w.is_none() {
                w.clone_from(h);
            }
        };
        keep(&mut merged.company_name, &have.company_name);
        keep(&mut merged.address_line2, &have.address_line2);
        keep(&mut merged.address_line3, &have.address_line3);
        keep(&mut merged.state_or_region, &have.state_or_region);
        keep(&mut merged.district_or_county, &have.district_or_county);
        keep(&mut merged.website_url, &have.website_url);
    }
    let (action, reason) = match have {
        None => (Action::Create, "no primary contact is set"),
        Some(_) => (Action::Update, "primary contact differs"),
    };
    ResourceChange::new(address, action, reason, Operation::Contacts(Op::PutPrimary(Box::new(merged))))
        .with_attributes(d.0)
}

pub async fn execute(target: &Target, op: &Op, _at: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    match op {
        Op::PutAlternate { kind, contact } => {
            target
                .account
                .put_alternate_contact()
                .set_account_id(target.contacts_account.clone())
                .alternate_contact_type(sdk_type(*kind))
                .name(&contact.name)
                .title(&contact.title)
                .email_address(&contact.email)
                .phone_number(&contact.phone)
                .send()
                .await
                .map_err(aws::err("account:PutAlternateContact"))?;
        }
        Op::PutPrimary(c) => {
            let info = ContactInformation::builder()
                .full_name(&c.full_name)
                .set_company_name(c.company_name.clone())
                .address_line1(&c.address_line1)
                .set_address_line2(c.address_line2.clone())
                .set_address_line3(c.address_line3.clone())
                .city(&c.city)
                .set_state_or_region(c.state_or_region.clone())
                .set_district_or_county(c.district_or_county.clone())
                .postal_code(&c.postal_code)
                .country_code(&c.country_code)
                .phone_number(&c.phone)
                .set_website_url(c.website_url.clone())
                .build()
                .map_err(aws::build_error("account:PutContactInformation"))?;
            target
                .account
                .put_contact_information()
                .set_account_id(target.contacts_account.clone())
                .contact_information(info)
                .send()
                .await
                .map_err(aws::err("account:PutContactInformation"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope { account_id: "111111111111".into(), partition: "aws".into(), home_region: "us-east-1".into() }
    }

    fn contact(email: &str) -> AlternateContact {
        AlternateContact { name: "Sec".into(), title: "List".into(), email: email.into(), phone: "+1 555 0100".into() }
    }

    #[test]
    fn missing_contact_is_a_create() {
        let kind = AlternateContactType::Security;
        let change = diff_alternate(alternate_address(&scope(), kind), kind, &contact("s@example.com"), None);
        assert_eq!(change.action, Action::Create);
        assert_eq!(change.address.to_string(), "111111111111/global/account.alternate_contact/security");
        assert_eq!(change.attributes.len(), 4);
    }

    #[test]
    fn only_differing_fields_are_listed_and_email_case_is_ignored() {
        let kind = AlternateContactType::Billing;
        let want = contact("billing@example.com");
        let same_but_case = contact("Billing@Example.com");
        let addr = alternate_address(&scope(), kind);
        assert_eq!(diff_alternate(addr.clone(), kind, &want, Some(&same_but_case)).action, Action::NoOp);

        let mut have = want.clone();
        have.phone = "+1 555 9999".into();
        let change = diff_alternate(addr, kind, &want, Some(&have));
        assert_eq!(change.action, Action::Update);
        assert_eq!(
            change.attributes,
            vec![AttributeChange::new("phone_number", Some("+1 555 9999".into()), Some("+1 555 0100".into()))]
        );
    }

    #[test]
    fn primary_keeps_unmanaged_optional_fields() {
        let want = PrimaryContact {
            full_name: "Example Corp Cloud Team".into(),
            address_line1: "1 Main St".into(),
            city: "Seattle".into(),
            postal_code: "98101".into(),
            country_code: "US".into(),
            phone: "+1 206 555 0100".into(),
            ..PrimaryContact::default()
        };
        let mut have = want.clone();
        have.address_line2 = Some("Floor 3".into());
        assert_eq!(diff_primary(primary_address(&scope()), &want, Some(&have)).action, Action::NoOp);

        have.city = "Portland".into();
        let change = diff_primary(primary_address(&scope()), &want, Some(&have));
        assert_eq!(change.action, Action::Update);
        assert_eq!(
            change.attributes,
            vec![AttributeChange::new("city", Some("Portland".into()), Some("Seattle".into()))]
        );
        let Some(Operation::Contacts(Op::PutPrimary(written))) = change.operation else { panic!() };
        assert_eq!(written.address_line2.as_deref(), Some("Floor 3"));
    }
}
