//! Raw file → [`Desired`]: every check that can be made without AWS. Collects all findings instead of
//! stopping at the first, so one run of `validate` lists everything to fix.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use toml::Spanned;

use super::diagnostic::{Diagnostic, Severity, Source, is_hidden};
use super::model::*;
use super::raw::*;

/// Region codes this release knows about. An unknown code is rejected with the nearest known one.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// CloudWatch takes alarm descriptions of up to 1024 characters; the alarm adds " (managed by baseline)".
const ALARM_DESCRIPTION_MAX: usize = 1024 - " (managed by baseline)".len();

/// The raw sections of the security services, in the order of [`Validator::services`].
type RawServices = (
    Option<Spanned<super::guardduty::RawGuardDuty>>,
    Option<super::security_hub::RawSecurityHub>,
    Option<super::access_analyzer::RawAccessAnalyzer>,
);

pub(crate) struct Validator<'a> {
    source: &'a Source,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl<'a> Validator<'a> {
    pub fn new(source: &'a Source) -> Self {
        Self { source, errors: Vec::new(), warnings: Vec::new() }
    }

    pub fn error(&mut self, span: Range<usize>, message: String, label: &str, help: Option<String>) {
        self.errors.push(Diagnostic::new(Severity::Error, self.source, span, message, label, help));
    }

    pub fn warn(&mut self, span: Range<usize>, message: String, label: &str, help: Option<String>) {
        self.warnings.push(Diagnostic::new(Severity::Warning, self.source, span, message, label, help));
    }

    pub fn desired(&mut self, raw: RawFile) -> Desired {
        let settings = self.settings(raw.baseline);
        let contacts = self.contacts(raw.contacts);
        let notifications = self.notifications(raw.notifications);
        let keys = key_arns(raw.log_archive.as_ref(), raw.cloudtrail.as_ref());
        let log_archive = raw.log_archive.map(|la| self.log_archive(la.into_inner()));
        let bucket_region = log_archive.as_ref().and_then(|a| a.region.as_deref()).or(settings.home_region.as_deref());
        self.keys_in_bucket_region(&keys, bucket_region);
        let (archive, security) = (log_archive.is_some(), notifications.security.is_some());
        let cloudtrail = raw.cloudtrail.map(|ct| {
            self.needs(
                !archive,
                ct.span(),
                "[cloudtrail] needs a [log_archive] section: the trail delivers to the central log bucket",
                "no bucket to deliver to",
                "add [log_archive] with bucket = \"<name template>\", see README.md",
            );
            self.cloudtrail(ct.into_inner())
        });
        let alarms = raw.alarms.map(|a| {
            self.needs(
                cloudtrail.is_none() || !security,
                a.span(),
                "[alarms] needs [cloudtrail] and [notifications.security]: the alarms watch the trail's log group \
                 and notify the security topic",
                "nothing to watch or notify",
                "add the missing sections, see README.md",
            );
            self.alarms(a.into_inner())
        });
        let covered = covered_accounts(&settings.allowed_account_ids, raw.accounts.as_ref().map(Spanned::get_ref));
        let iam = raw.iam.map(|i| self.iam(i, covered.as_deref()));
        let budgets = self.budgets(raw.budgets, notifications.billing.is_some(), "[[budgets]] needs");
        let billing_reports = raw.billing_reports.map(|r| {
            let span = r.span();
            let r = r.into_inner();
            if r.bucket.is_none() && !archive {
                self.error(
                    span,
                    "[billing_reports] needs a bucket: set `bucket`, or add [log_archive] to deliver there".into(),
                    "no bucket",
                    None,
                );
            }
            self.billing_reports(r)
        });
        let config = raw.config.map(|c| {
            self.needs(
                !archive || !security,
                c.span(),
                "[config] needs [log_archive] and [notifications.security]: Config delivers to the central bucket \
                 and notifies the security topic",
                "nothing to deliver to",
                "add the missing sections, see README.md",
            );
            self.config(c.into_inner())
        });
        self.billing_list(&contacts, &notifications);
        let accounts_span = raw.accounts.as_ref().map(|a| a.span());
        let accounts = raw.accounts.map(|a| self.accounts(a, notifications.billing.is_some())).unwrap_or_default();
        self.central_archive(accounts_span, &accounts, log_archive.as_ref());
        let services = (raw.guardduty, raw.security_hub, raw.access_analyzer);
        let desired = Desired {
            accounts,
            contacts,
            notifications,
            log_archive,
            cloudtrail,
            alarms,
            iam,
            budgets,
            billing_reports,
            config,
            account_public_access_block: raw.s3.account_public_access_block.unwrap_or(true),
            ebs_encryption_by_default: raw.ebs.encryption_by_default.unwrap_or(false),
            ..settings
        };
        self.services(desired, services)
    }

    /// The security services' sections (`[guardduty]`, `[security_hub]`, `[access_analyzer]`), each checked by
    /// its own module against what the rest of the file set up.
    fn services(&mut self, mut desired: Desired, raw: RawServices) -> Desired {
        let (guardduty, security_hub, access_analyzer) = raw;
        let security = desired.notifications.security.is_some();
        let organization = matches!(desired.accounts.selection, AccountSelection::Organization { .. });
        desired.guardduty = guardduty.map(|g| self.guardduty(g, security, organization));
        desired.security_hub = security_hub.map(|s| self.security_hub(s));
        desired.access_analyzer = access_analyzer.map(|a| self.access_analyzer(a, organization));
        desired
    }

    /// A section that needs others: an error at its header when `missing`.
    fn needs(&mut self, missing: bool, span: Range<usize>, message: &str, label: &str, help: &str) {
        if missing {
            self.error(span, message.into(), label, Some(help.into()));
        }
    }

    /// Budgets (`[[budgets]]`, or an override's), each name once; they need the billing topic. `what` starts
    /// the error's message.
    fn budgets(&mut self, raw: Vec<Spanned<RawBudget>>, billing_topic: bool, what: &str) -> Vec<BudgetSpec> {
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

    /// A warning when no billing list is set anywhere.
    fn billing_list(&mut self, contacts: &Contacts, notifications: &Notifications) {
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

    /// A warning when several accounts would each get a bucket of their own.
    fn central_archive(&mut self, span: Option<Range<usize>>, accounts: &Accounts, archive: Option<&LogArchive>) {
        if let (Some(span), Some(archive)) = (span, archive)
            && accounts.is_fleet()
            && archive.account_id.is_none()
        {
            self.warn(
                span,
                "[accounts] covers several accounts but [log_archive] names no `account_id`".into(),
                "each account gets a bucket of its own",
                Some(
                    "set `account_id` in [log_archive] to the log archive account, so every trail and Config \
                      channel delivers to one central bucket"
                        .into(),
                ),
            );
        }
    }

    fn settings(&mut self, raw: RawSettings) -> Desired {
        let home_region = raw.home_region.map(|r| self.region(&r, "home_region"));
        let regions = match raw.regions {
            None => RegionSelection::AllEnabled,
            Some(value) => self.region_selection(&value),
        };
        let exclude_regions = raw.exclude_regions.iter().map(|r| self.region(r, "exclude_regions")).collect();
        let mut seen = HashMap::new();
        let mut allowed_account_ids = Vec::new();
        for id in &raw.allowed_account_ids {
            if self.account_id(id) && self.unique(&mut seen, id, "account id") {
                allowed_account_ids.push(id.get_ref().clone());
            }
        }
        let mut tags = BTreeMap::new();
        for (key, value) in raw.tags {
            self.tag(&key, &value);
            tags.insert(key.into_inner(), value.into_inner());
        }
        Desired {
            home_region,
            regions,
            exclude_regions,
            allowed_account_ids,
            tags,
            contacts: Contacts::default(),
            notifications: Notifications::default(),
            log_archive: None,
            cloudtrail: None,
            account_public_access_block: true,
            ebs_encryption_by_default: false,
            alarms: None,
            iam: None,
            budgets: Vec::new(),
            billing_reports: None,
            config: None,
            guardduty: None,
            security_hub: None,
            access_analyzer: None,
            accounts: Accounts::default(),
        }
    }

    fn region_selection(&mut self, value: &Spanned<toml::Value>) -> RegionSelection {
        let help = Some(
            "write `regions = \"all-enabled\"` or a list such as `regions = [\"us-east-1\", \"eu-west-1\"]`"
                .to_string(),
        );
        match value.get_ref() {
            toml::Value::String(s) if s == "all-enabled" => RegionSelection::AllEnabled,
            toml::Value::Array(items) => {
                let mut regions = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(code) => {
                            let spanned = Spanned::new(value.span(), code.to_string());
                            regions.push(self.region(&spanned, "regions"));
                        }
                        None => self.error(
                            value.span(),
                            format!("invalid `regions` entry {item}: expected a region code string"),
                            "not a region code",
                            help.clone(),
                        ),
                    }
                }
                if items.is_empty() {
                    self.error(value.span(), "`regions` is an empty list".into(), "no region to baseline", help);
                }
                RegionSelection::List(regions)
            }
            other => {
                self.error(
                    value.span(),
                    format!("invalid `regions` value {other}"),
                    "expected \"all-enabled\" or a list of region codes",
                    help,
                );
                RegionSelection::AllEnabled
            }
        }
    }

    fn region(&mut self, region: &Spanned<String>, key: &str) -> String {
        let code = region.get_ref();
        if !KNOWN_REGIONS.contains(&code.as_str()) {
            let nearest = nearest(code, KNOWN_REGIONS);
            let help = match nearest {
                Some(n) => format!("did you mean \"{n}\"? A region code looks like us-east-1 or eu-west-2"),
                None => "a region code looks like us-east-1 or eu-west-2".to_string(),
            };
            self.error(
                region.span(),
                format!("unknown region \"{code}\" in `{key}`"),
                "not an AWS region code",
                Some(help),
            );
        }
        code.clone()
    }

    pub(super) fn account_id(&mut self, id: &Spanned<String>) -> bool {
        let value = id.get_ref();
        let ok = value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            self.error(
                id.span(),
                format!("invalid AWS account id \"{value}\""),
                "not a 12-digit account id",
                Some("an account id is exactly 12 digits, written as a string: \"123456789012\"".into()),
            );
        }
        ok
    }

    fn tag(&mut self, key: &Spanned<String>, value: &Spanned<String>) {
        let k = key.get_ref();
        let help = "tag keys are 1 to 128 and values up to 256 letters, digits, spaces or any of +-=._:/@";
        if self.check(key, check_tag_text(k, 1, 128), "tag key", help) {
            if k.to_ascii_lowercase().starts_with("aws:") {
                self.error(
                    key.span(),
                    format!("tag key \"{k}\" uses the reserved prefix `aws:`"),
                    "reserved by AWS",
                    None,
                );
            } else if k == MANAGED_BY_KEY {
                self.error(
                    key.span(),
                    format!("tag key \"{k}\" is reserved by baseline"),
                    "set by baseline itself",
                    Some(format!(
                        "baseline tags everything it creates with {MANAGED_BY_KEY} = \"{MANAGED_BY_VALUE}\"; remove this entry"
                    )),
                );
            }
        }
        self.check(value, check_tag_text(value.get_ref(), 0, 256), &format!("value for tag \"{k}\""), help);
    }

    fn accounts(&mut self, raw: Spanned<RawAccounts>, billing_topic: bool) -> Accounts {
        let span = raw.span();
        let raw = raw.into_inner();
        let mut seen = HashMap::new();
        let account_ids = |v: &mut Self, list: &[Spanned<String>], seen: &mut HashMap<String, Range<usize>>| {
            list.iter()
                .filter(|id| v.account_id(id) && v.unique(seen, id, "account id"))
                .map(|id| id.get_ref().clone())
                .collect::<Vec<_>>()
        };
        let organization = raw.organization.as_ref().is_some_and(|o| *o.get_ref());
        let selection = match (&raw.ids, organization) {
            (Some(ids), true) => {
                self.error(
                    ids.span(),
                    "[accounts] sets both `ids` and `organization = true`".into(),
                    "choose one",
                    Some(
                        "remove `ids` to baseline the whole organization, or `organization` to baseline a list".into(),
                    ),
                );
                account_ids(self, ids.get_ref(), &mut seen);
                AccountSelection::Caller
            }
            (Some(ids), false) => {
                if ids.get_ref().is_empty() {
                    self.error(ids.span(), "`ids` is an empty list".into(), "no account to baseline", None);
                }
                AccountSelection::Ids(account_ids(self, ids.get_ref(), &mut seen))
            }
            (None, true) => AccountSelection::Organization {
                include_ous: raw.include_ous.iter().filter(|o| self.ou_id(o)).map(|o| o.get_ref().clone()).collect(),
                exclude_ous: raw.exclude_ous.iter().filter(|o| self.ou_id(o)).map(|o| o.get_ref().clone()).collect(),
            },
            (None, false) => AccountSelection::Caller,
        };
        if !organization && let Some(ou) = raw.include_ous.first().or(raw.exclude_ous.first()) {
            self.error(
                ou.span(),
                "organizational units are only used with `organization = true`".into(),
                "no organization to look in",
                Some("add `organization = true` to [accounts], or remove `include_ous` / `exclude_ous`".into()),
            );
        }
        let exclude = account_ids(self, &raw.exclude, &mut HashMap::new());
        let role = self.member_role(raw.role);
        let external_id = raw.external_id.map(|id| {
            let v = id.get_ref();
            if !name_ok(v, 2, 1224, "+=,.@:/_-") {
                self.error(id.span(), "invalid `external_id`".into(), "2 to 1224 letters, digits and +=,.@:/_-", None);
            }
            id.into_inner()
        });
        let session_name = self.session_name(raw.session_name);
        let overrides = self.overrides(raw.overrides, &selection, &exclude, billing_topic);
        if matches!(selection, AccountSelection::Caller) && !organization && raw.ids.is_none() {
            self.warn(
                span,
                "[accounts] names no accounts: only the caller's account is baselined".into(),
                "no `ids` and no `organization = true`",
                Some("set `organization = true` or `ids = [\"123456789012\", ...]`".into()),
            );
        }
        Accounts { selection, exclude, role, external_id, session_name, overrides }
    }

    /// `[accounts.overrides.<id>]`: contacts and budgets of one account; a warning for an account the run
    /// does not target.
    fn overrides(
        &mut self,
        raw: BTreeMap<Spanned<String>, RawOverride>,
        selection: &AccountSelection,
        exclude: &[String],
        billing_topic: bool,
    ) -> BTreeMap<String, AccountOverride> {
        let mut overrides = BTreeMap::new();
        for (id, o) in raw {
            if !self.account_id(&id) {
                continue;
            }
            let targeted = match selection {
                AccountSelection::Ids(ids) => ids.contains(id.get_ref()),
                _ => true,
            };
            if !targeted || exclude.contains(id.get_ref()) {
                self.warn(
                    id.span(),
                    format!("override for account {} that this baseline does not target", id.get_ref()),
                    "never used",
                    Some("add the account to `ids`, or remove the override".into()),
                );
            }
            let contacts = self.contacts(o.contacts);
            let budgets = o.budgets.map(|list| self.budgets(list, billing_topic, "budgets need"));
            overrides.insert(id.into_inner(), AccountOverride { contacts, budgets });
        }
        overrides
    }

    /// The role assumed in member accounts (default: [`DEFAULT_MEMBER_ROLE`]).
    fn member_role(&mut self, raw: Option<Spanned<String>>) -> String {
        match raw {
            Some(role) => {
                let ok = role.get_ref().split('/').all(|part| name_ok(part, 1, 512, "+=,.@_-"));
                let name_len = role.get_ref().rsplit('/').next().map_or(0, str::len);
                if !ok || name_len > 64 {
                    self.error(
                        role.span(),
                        format!("invalid role name \"{}\"", role.get_ref()),
                        "not an IAM role name",
                        Some("a role name of up to 64 letters, digits and +=,.@_- (optionally after a path such as \"ops/\"), not an ARN".into()),
                    );
                }
                role.into_inner()
            }
            None => DEFAULT_MEMBER_ROLE.to_string(),
        }
    }

    /// The session name member accounts' CloudTrail shows (default: [`DEFAULT_SESSION_NAME`]).
    fn session_name(&mut self, raw: Option<Spanned<String>>) -> String {
        match raw {
            Some(name) => {
                let v = name.get_ref();
                if !name_ok(v, 2, 64, "+=,.@_-") {
                    self.error(
                        name.span(),
                        format!("invalid `session_name` \"{v}\""),
                        "2 to 64 letters, digits and +=,.@_-",
                        Some(
                            "the session name shows in the member accounts' CloudTrail; the default is \"baseline\""
                                .into(),
                        ),
                    );
                }
                name.into_inner()
            }
            None => DEFAULT_SESSION_NAME.to_string(),
        }
    }

    /// `ou-xxxx-yyyyyyyy` (or a root, `r-xxxx`).
    fn ou_id(&mut self, id: &Spanned<String>) -> bool {
        let v = id.get_ref();
        let part = |s: &str, min: usize| {
            s.len() >= min && s.len() <= 32 && s.chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        };
        let ok = match v.split('-').collect::<Vec<_>>().as_slice() {
            ["ou", root, ou] => part(root, 4) && part(ou, 8),
            ["r", root] => part(root, 4),
            _ => false,
        };
        if !ok {
            self.error(
                id.span(),
                format!("invalid organizational unit id \"{v}\""),
                "not an OU id",
                Some("an OU id looks like \"ou-ab12-cd34ef56\" (the root: \"r-ab12\"); names are not accepted".into()),
            );
        }
        ok
    }

    fn contacts(&mut self, raw: RawContacts) -> Contacts {
        self.distinct_alternates(&raw);
        let primary = raw.primary.map(|p| self.primary(p.into_inner()));
        let billing = raw.billing.map(|c| self.alternate(c.into_inner()));
        let operations = raw.operations.map(|c| self.alternate(c.into_inner()));
        let security = raw.security.map(|c| self.alternate(c.into_inner()));
        Contacts { primary, billing, operations, security }
    }

    /// Many checkers require the billing, operations and security contacts to differ from each other.
    fn distinct_alternates(&mut self, raw: &RawContacts) {
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

    fn alternate(&mut self, raw: RawAlternateContact) -> AlternateContact {
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

    fn primary(&mut self, raw: RawPrimaryContact) -> PrimaryContact {
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

    fn notifications(&mut self, raw: RawNotifications) -> Notifications {
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

    fn topic(&mut self, role: TopicRole, raw: Spanned<RawTopic>) -> TopicSpec {
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

    fn log_archive(&mut self, raw: RawLogArchive) -> LogArchive {
        self.bucket_template(&raw.bucket);
        let region = raw.region.map(|r| self.region(&r, "region"));
        let account_id = raw.account_id.filter(|id| self.account_id(id)).map(Spanned::into_inner);
        let kms_key_arn = raw.kms_key_arn.map(|k| self.kms_key(k));
        let defaults = Lifecycle::default();
        let mut days = |v: Option<Spanned<i64>>, key: &str, default: u32| match v {
            None => default,
            Some(v) => match u32::try_from(*v.get_ref()) {
                Ok(d) if d <= 36_500 => d,
                _ => {
                    self.error(
                        v.span(),
                        format!("invalid `{key}`: {}", v.get_ref()),
                        "not a number of days",
                        Some("use 0 to disable, or a number of days up to 36500".into()),
                    );
                    default
                }
            },
        };
        let lifecycle = Lifecycle {
            transition_days: days(raw.transition_days, "transition_days", defaults.transition_days),
            expiration_days: days(raw.expiration_days.clone(), "expiration_days", defaults.expiration_days),
            noncurrent_expiration_days: days(
                raw.noncurrent_expiration_days,
                "noncurrent_expiration_days",
                defaults.noncurrent_expiration_days,
            ),
        };
        if lifecycle.transition_days > 0
            && lifecycle.expiration_days > 0
            && lifecycle.expiration_days <= lifecycle.transition_days
        {
            let span = raw.expiration_days.map_or(0..0, |e| e.span());
            self.error(
                span,
                format!(
                    "`expiration_days` ({}) must be later than `transition_days` ({})",
                    lifecycle.expiration_days, lifecycle.transition_days
                ),
                "expires before the transition",
                Some("raise expiration_days, or set transition_days = 0".into()),
            );
        }
        let mfa_delete = self.mfa_delete(raw.mfa_delete, &lifecycle);
        let access_log_bucket = raw.access_log_bucket.map(|t| self.access_log_bucket(t, &raw.bucket));
        LogArchive {
            bucket: raw.bucket.into_inner(),
            region,
            account_id,
            kms_key_arn,
            lifecycle,
            mfa_delete,
            access_log_bucket,
        }
    }

    /// S3 server access logs go to another bucket: "logging to the same bucket creates an infinite loop of logs"
    /// (Amazon S3 user guide, "Enabling Amazon S3 server access logging").
    fn access_log_bucket(&mut self, template: Spanned<String>, archive: &Spanned<String>) -> String {
        self.bucket_template(&template);
        if template.get_ref() == archive.get_ref() {
            self.error(
                template.span(),
                "`access_log_bucket` is the archive bucket itself".into(),
                "the same bucket",
                Some(
                    "name another bucket, such as \"baseline-access-logs-{account_id}-{region}\": a bucket logging \
                     into itself logs its own log deliveries forever"
                        .into(),
                ),
            );
        }
        template.into_inner()
    }

    /// MFA delete excludes lifecycle rules: "Lifecycle configuration on MFA-enabled buckets is not supported"
    /// (Amazon S3 user guide, "Lifecycle and other bucket configurations").
    fn mfa_delete(&mut self, raw: Option<Spanned<bool>>, lifecycle: &Lifecycle) -> bool {
        let Some(raw) = raw else { return false };
        let on = *raw.get_ref();
        let days = [lifecycle.transition_days, lifecycle.expiration_days, lifecycle.noncurrent_expiration_days];
        if on && days.iter().any(|d| *d > 0) {
            self.error(
                raw.span(),
                "`mfa_delete = true` with lifecycle rules: S3 does not support lifecycle configuration on a bucket \
                 with MFA delete"
                    .into(),
                "excludes the retention rule",
                Some(
                    "set transition_days = 0, expiration_days = 0 and noncurrent_expiration_days = 0 (logs are then \
                     kept until deleted by hand), or leave mfa_delete out"
                        .into(),
                ),
            );
        }
        on
    }

    /// The template must give a valid bucket name for every account and region.
    fn bucket_template(&mut self, template: &Spanned<String>) {
        let t = template.get_ref();
        let mut rest = t.as_str();
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map(|c| open + c);
            let placeholder = close.map_or(&rest[open..], |c| &rest[open..=c]);
            if !matches!(placeholder, "{account_id}" | "{region}") {
                self.error(
                    template.span(),
                    format!("unknown placeholder `{placeholder}` in bucket name \"{t}\""),
                    "unknown placeholder",
                    Some("the placeholders are {account_id} and {region}".into()),
                );
                return;
            }
            rest = &rest[close.map_or(rest.len(), |c| c + 1)..];
        }
        let longest = t.replace("{account_id}", "123456789012").replace("{region}", "ap-southeast-7");
        if let Err(why) = check_bucket_name(&longest) {
            self.error(
                template.span(),
                format!("invalid bucket name \"{t}\": {why}"),
                "not a valid S3 bucket name",
                Some("3 to 63 lowercase letters, digits, hyphens or dots, starting and ending with a letter or digit, such as \"baseline-logs-{account_id}-{region}\"".into()),
            );
        }
    }

    fn kms_key(&mut self, key: Spanned<String>) -> String {
        self.check(
            &key,
            check_kms_key_arn(key.get_ref()),
            "KMS key",
            "give the full key ARN, such as \"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\", \
             or an alias ARN such as \"arn:aws:kms:us-east-1:123456789012:alias/logs\"",
        );
        key.into_inner()
    }

    /// S3 default encryption takes only a key of the bucket's region, and CloudTrail wants "a KMS key that is in
    /// the same region as the S3 bucket that receives your log files". Unknown before a run when neither
    /// `[log_archive] region` nor `home_region` is set.
    fn keys_in_bucket_region(&mut self, keys: &[Spanned<String>], bucket_region: Option<&str>) {
        let Some(bucket_region) = bucket_region else { return };
        for key in keys.iter().filter(|k| check_kms_key_arn(k.get_ref()).is_ok()) {
            let region = key.get_ref().split(':').nth(3).unwrap_or_default();
            if region != bucket_region {
                self.error(
                    key.span(),
                    format!("KMS key \"{}\" is in {region}, but the log archive bucket is in {bucket_region}", key.get_ref()),
                    "not in the bucket's region",
                    Some(format!(
                        "use a key in {bucket_region} (a multi-Region key has a replica there): S3 encrypts the bucket, \
                         and CloudTrail its log files, only with a key of the bucket's region"
                    )),
                );
            }
        }
    }

    fn cloudtrail(&mut self, raw: RawCloudTrail) -> CloudTrailSpec {
        let name =
            |v: Option<Spanned<String>>, default: &str| v.map_or_else(|| default.to_string(), Spanned::into_inner);
        if let Some(v) = &raw.trail {
            let help = "3 to 128 letters, digits, dots, underscores or hyphens, starting and ending with a letter or \
                        digit, such as \"baseline-trail\"";
            self.check(v, check_trail_name(v.get_ref()), "trail name", help);
        }
        if let Some(v) = &raw.log_group {
            let help =
                "1 to 512 letters, digits or any of ._-/#, not starting with aws/, such as \"baseline-cloudtrail\"";
            self.check(v, check_log_group_name(v.get_ref()), "log group name", help);
        }
        if let Some(v) = &raw.role {
            let help = "a role name of 1 to 64 letters, digits or any of +=,.@_-, not an ARN, such as \
                        \"baseline-cloudtrail-to-cloudwatch-logs\"";
            self.check(v, check_iam_name(v.get_ref(), 64), "role name", help);
        }
        if let Some(v) = &raw.s3_key_prefix {
            let help = "up to 200 letters, digits or any of !-_.*'() in parts separated by /, such as \"cloudtrail\"";
            self.check(v, check_s3_prefix(v.get_ref(), 200), "s3_key_prefix", help);
        }
        let kms_key_arn = raw.kms_key_arn.map(|k| self.kms_key(k));
        let kms_key_alias = raw.kms_key_alias.map(|a| self.key_alias(a, kms_key_arn.is_some()));
        let retention_days = raw.retention_days.map(|r| match u32::try_from(*r.get_ref()) {
            Ok(d) if LOG_RETENTION_DAYS.contains(&d) => d,
            _ => {
                let allowed: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
                self.error(
                    r.span(),
                    format!("invalid `retention_days`: {}", r.get_ref()),
                    "not a retention CloudWatch Logs accepts",
                    Some(format!("use one of {}", allowed.join(", "))),
                );
                DEFAULT_RETENTION_DAYS
            }
        });
        CloudTrailSpec {
            trail: name(raw.trail, "baseline-trail"),
            s3_key_prefix: raw.s3_key_prefix.map(Spanned::into_inner),
            kms_key_arn,
            kms_key_alias,
            log_group: name(raw.log_group, "baseline-cloudtrail"),
            retention_days,
            role: name(raw.role, "baseline-cloudtrail-to-cloudwatch-logs"),
            require_own_trail: raw.require_own_trail.unwrap_or(false),
            s3_data_events: raw.s3_data_events.unwrap_or(false),
        }
    }

    /// The alias of the trail's key, without `alias/`; `with_key_arn`: `kms_key_arn` is set too.
    fn key_alias(&mut self, alias: Spanned<String>, with_key_arn: bool) -> String {
        let help = "1 to 250 letters, digits or any of /_-, without `alias/aws/` (AWS managed keys), such as \
                    \"baseline-cloudtrail\"";
        self.check(&alias, check_key_alias(alias.get_ref()), "KMS key alias", help);
        if with_key_arn {
            self.error(
                alias.span(),
                "`kms_key_alias` and `kms_key_arn` both set".into(),
                "one key or the other",
                Some(
                    "keep kms_key_arn to use a key managed elsewhere, or kms_key_alias to have baseline create and \
                     keep the key"
                        .into(),
                ),
            );
        }
        let alias = alias.into_inner();
        alias.strip_prefix("alias/").map(str::to_string).unwrap_or(alias)
    }

    fn alarms(&mut self, raw: RawAlarms) -> AlarmsSpec {
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

    fn alarm_sets(&mut self, set: Option<&Spanned<String>>) -> &'static [crate::alarm_catalog::Set] {
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

    fn alarm_standard(&mut self, standard: Option<&Spanned<String>>) -> AlarmStandard {
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
    fn custom_alarm(&mut self, custom: RawCustomAlarm, seen: &mut HashMap<String, Range<usize>>) -> Option<AlarmSpec> {
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
    fn tune_catalog_alarm(&mut self, alarm: &mut AlarmSpec, tune: RawTune) {
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

    fn iam(&mut self, raw: RawIam, covered: Option<&[String]>) -> IamSpec {
        let password_policy = raw.password_policy.map(|p| {
            let d = PasswordPolicy::default();
            let mut number = |v: Option<Spanned<i64>>, key: &str, min: i64, max: i64, default: u32| match v {
                None => default,
                Some(v) if (min..=max).contains(v.get_ref()) => *v.get_ref() as u32,
                Some(v) => {
                    self.error(
                        v.span(),
                        format!("invalid `{key}`: {}", v.get_ref()),
                        "out of range",
                        Some(format!("use {min} to {max}")),
                    );
                    default
                }
            };
            PasswordPolicy {
                minimum_length: number(p.minimum_length, "minimum_length", 6, 128, d.minimum_length),
                reuse_prevention: number(p.reuse_prevention, "reuse_prevention", 0, 24, d.reuse_prevention),
                max_age_days: number(p.max_age_days, "max_age_days", 0, 1095, d.max_age_days),
                require_uppercase: p.require_uppercase.unwrap_or(d.require_uppercase),
                require_lowercase: p.require_lowercase.unwrap_or(d.require_lowercase),
                require_numbers: p.require_numbers.unwrap_or(d.require_numbers),
                require_symbols: p.require_symbols.unwrap_or(d.require_symbols),
                allow_users_to_change: p.allow_users_to_change.unwrap_or(d.allow_users_to_change),
                hard_expiry: p.hard_expiry.unwrap_or(d.hard_expiry),
            }
        });
        let mut seen = HashMap::new();
        let mut groups = Vec::new();
        for g in raw.groups {
            self.check(
                &g.name,
                check_iam_name(g.name.get_ref(), 128),
                "group name",
                "use 1 to 128 letters, digits or any of +=,.@_-, such as \"security-auditors\"",
            );
            if !self.unique(&mut seen, &g.name, "group name") {
                continue;
            }
            let path = g.path.map_or_else(
                || "/".to_string(),
                |p| {
                    let help = "a path starts and ends with / and holds up to 512 printable ASCII characters without \
                                spaces or wildcards, such as \"/teams/\"";
                    self.check(&p, check_iam_path(p.get_ref()), "group path", help);
                    p.into_inner()
                },
            );
            let mut policies = Vec::new();
            let mut seen_policies = HashMap::new();
            for policy in g.policies {
                if self.policy_arn(&policy, covered) && self.unique(&mut seen_policies, &policy, "policy") {
                    policies.push(policy.into_inner());
                }
            }
            groups.push(GroupSpec { name: g.name.into_inner(), path, policies, exclusive: g.exclusive });
        }
        let support_role = raw.support_role.map(|r| SupportRole {
            name: r.name.map_or_else(
                || "baseline-support".to_string(),
                |n| {
                    let help = "a role name of 1 to 64 letters, digits or any of +=,.@_-, such as \"baseline-support\"";
                    self.check(&n, check_iam_name(n.get_ref(), 64), "role name", help);
                    n.into_inner()
                },
            ),
            trusted_principal: r.trusted_principal.map(|p| {
                let help = "name one principal: an account (\"arn:aws:iam::123456789012:root\"), a role \
                            (\"arn:aws:iam::123456789012:role/SupportTeam\") or a user; leave it out to trust this account";
                self.check(&p, check_principal_arn(p.get_ref()), "principal", help);
                p.into_inner()
            }),
        });
        IamSpec { root_checks: raw.root_checks.unwrap_or(true), password_policy, groups, support_role }
    }

    /// A managed policy to attach: AWS managed, or customer managed in an account this baseline covers. IAM attaches
    /// only policies of the group's own account, so a policy of any other account is an error here, not at apply.
    fn policy_arn(&mut self, policy: &Spanned<String>, covered: Option<&[String]>) -> bool {
        let arn = policy.get_ref();
        let owner = match parse_policy_arn(arn) {
            Ok(owner) => owner,
            Err(why) => {
                self.error(
                    policy.span(),
                    format!("invalid managed policy ARN \"{arn}\""),
                    &why,
                    Some(
                        "use an ARN such as \"arn:aws:iam::aws:policy/SecurityAudit\" (AWS managed) or \
                          \"arn:aws:iam::123456789012:policy/Auditors\" (customer managed)"
                            .into(),
                    ),
                );
                return false;
            }
        };
        let PolicyOwner::Account(account) = owner else { return true };
        match covered {
            // Which account a run reaches is known only at run time: IAM itself refuses a policy of another
            // account, and the warning says how to make the check here.
            None => {
                self.warn(
                    policy.span(),
                    format!("managed policy ARN \"{arn}\" names account {account}, which this baseline does not list"),
                    "account not listed",
                    Some(format!(
                        "a customer managed policy can be attached only in its own account: add \
                         allowed_account_ids = [\"{account}\"] to [baseline] so no other account is touched, \
                         or use an AWS managed policy"
                    )),
                );
                true
            }
            Some(list) if !list.contains(&account) => {
                let listed = if list.is_empty() { "none".to_string() } else { list.join(", ") };
                self.error(
                    policy.span(),
                    format!("managed policy ARN \"{arn}\" points at another account ({account})"),
                    "not an account this baseline covers",
                    Some(format!(
                        "a group can have only policies of its own account attached; the accounts covered are \
                         {listed}: use a policy of that account, or an AWS managed policy"
                    )),
                );
                false
            }
            Some(list) => {
                if list.len() > 1 {
                    self.warn(
                        policy.span(),
                        format!("managed policy \"{arn}\" exists only in account {account}"),
                        "other covered accounts cannot attach it",
                        Some(format!(
                            "this baseline covers {} accounts; use an AWS managed policy, or limit \
                             allowed_account_ids to {account}",
                            list.len()
                        )),
                    );
                }
                true
            }
        }
    }

    fn budget(&mut self, raw: RawBudget) -> BudgetSpec {
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
    fn thresholds(&mut self, list: Vec<Spanned<f64>>) -> Vec<f64> {
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
    fn cost_filters(&mut self, filters: RawBudgetFilters) -> BTreeMap<String, Vec<String>> {
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

    fn billing_reports(&mut self, raw: RawBillingReports) -> BillingReports {
        let pick = |this: &mut Self, v: Option<Spanned<String>>, key: &str, allowed: &[&str], default: &str| match v {
            None => default.to_string(),
            Some(v) if allowed.contains(&v.get_ref().as_str()) => v.into_inner(),
            Some(v) => {
                this.error(
                    v.span(),
                    format!("invalid `{key}` \"{}\"", v.get_ref()),
                    "not allowed here",
                    Some(format!("use one of {}", allowed.join(", "))),
                );
                default.to_string()
            }
        };
        let report = raw.report.map_or_else(
            || "baseline-cost-and-usage".to_string(),
            |r| {
                if !name_ok(r.get_ref(), 1, 256, "!-_.*'()") {
                    self.error(
                        r.span(),
                        format!("invalid report name \"{}\"", r.get_ref()),
                        "not a report name",
                        Some("letters, digits and !-_.*'() only".into()),
                    );
                }
                r.into_inner()
            },
        );
        if let Some(b) = &raw.bucket
            && let Err(why) = check_bucket_name(b.get_ref())
        {
            self.error(
                b.span(),
                format!("invalid bucket name \"{}\": {why}", b.get_ref()),
                "not a valid S3 bucket name",
                Some(
                    "3 to 63 lowercase letters, digits, hyphens or dots, starting and ending with a letter or digit, \
                      such as \"example-cost-reports\""
                        .into(),
                ),
            );
        }
        BillingReports {
            report,
            bucket: raw.bucket.map(Spanned::into_inner),
            prefix: raw.prefix.map_or_else(
                || "cost-and-usage".to_string(),
                |p| {
                    let help = "up to 256 letters, digits or any of !-_.*'() in parts separated by /, such as \
                                \"cost-and-usage\"";
                    self.check(&p, check_s3_prefix(p.get_ref(), 256), "report prefix", help);
                    p.into_inner()
                },
            ),
            time_unit: pick(self, raw.time_unit, "time_unit", &["HOURLY", "DAILY", "MONTHLY"], "DAILY"),
            format: pick(self, raw.format, "format", &["Parquet", "textORcsv"], "Parquet"),
        }
    }

    fn config(&mut self, raw: RawConfig) -> ConfigSpec {
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

    fn existing_recorder(&mut self, raw: Option<Spanned<String>>) -> ExistingRecorder {
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

    fn config_rules(&mut self, raw: Option<Vec<RawConfigRule>>) -> Vec<ConfigRuleSpec> {
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

    fn alarm_id(&mut self, id: &Spanned<String>, known: &[String]) -> bool {
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

    fn tune_alarm(
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

    /// Reports `value` when `result` is an error: `invalid <what> "<value>"`, with the reason under the value and
    /// `help` saying what would be valid.
    /// A key whose value is one of a few words: `choices` maps each word to its value; `default` when absent.
    pub(super) fn choice<T: Copy>(
        &mut self,
        raw: Option<&Spanned<String>>,
        key: &str,
        choices: &[(&str, T)],
        default: T,
    ) -> T {
        let Some(raw) = raw else { return default };
        if let Some((_, value)) = choices.iter().find(|(word, _)| word == raw.get_ref()) {
            return *value;
        }
        let words: Vec<String> = choices.iter().map(|(word, _)| format!("\"{word}\"")).collect();
        self.error(
            raw.span(),
            format!("invalid {key} \"{}\"", raw.get_ref()),
            "not a choice",
            Some(format!("use one of {}", words.join(", "))),
        );
        default
    }

    fn check(&mut self, value: &Spanned<String>, result: Result<(), String>, what: &str, help: &str) -> bool {
        match result {
            Ok(()) => true,
            Err(why) => {
                self.error(value.span(), format!("invalid {what} \"{}\"", value.get_ref()), &why, Some(help.into()));
                false
            }
        }
    }

    fn unique(&mut self, seen: &mut HashMap<String, Range<usize>>, value: &Spanned<String>, what: &str) -> bool {
        let key = value.get_ref().to_ascii_lowercase();
        if let Some(first) = seen.get(&key) {
            let (line, _) = super::diagnostic::line_column(&self.source.text, first.start);
            self.error(
                value.span(),
                format!("duplicate {what} \"{}\"", value.get_ref()),
                "listed twice",
                Some(format!("it is already listed on line {line}; remove one of them")),
            );
            return false;
        }
        seen.insert(key, value.span());
        true
    }

    fn length(&mut self, value: &Spanned<String>, key: &str, min: usize, max: usize) {
        if let Err(why) = hidden_problem(value.get_ref()) {
            let help = "write the value on one line, without tabs or invisible characters";
            self.error(value.span(), format!("invalid `{key}`: {why}"), "hidden character", Some(help.into()));
            return;
        }
        let n = value.get_ref().trim().chars().count();
        if n < min || value.get_ref().chars().count() > max {
            let label = if n < min { "empty".to_string() } else { format!("{n} characters") };
            self.error(value.span(), format!("invalid `{key}`: must be {min} to {max} characters"), &label, None);
        }
    }

    fn email(&mut self, value: &Spanned<String>) -> bool {
        let problem = email_problem(value.get_ref());
        if let Some(why) = problem {
            self.error(
                value.span(),
                format!("invalid e-mail address \"{}\"", value.get_ref()),
                why,
                Some("use a distribution list address such as \"aws-security@example.com\"".into()),
            );
        }
        problem.is_none()
    }

    /// Alternate contacts accept digits, spaces, `+`, `-`, `(` and `)`, 1 to 25 characters.
    fn alternate_phone(&mut self, value: &Spanned<String>) {
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
    fn primary_phone(&mut self, value: &Spanned<String>) {
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

/// The accounts a run of this file may touch, when the file says: `[accounts] ids` (less `exclude`), limited to
/// `allowed_account_ids` when that is set too. `None`: decided at run time (the caller, or the organization).
fn covered_accounts(allowed: &[String], accounts: Option<&RawAccounts>) -> Option<Vec<String>> {
    let ids = accounts.filter(|a| !a.organization.as_ref().is_some_and(|o| *o.get_ref())).and_then(|a| {
        let ids = a.ids.as_ref()?;
        let excluded = |id: &String| a.exclude.iter().any(|e| e.get_ref() == id);
        Some(ids.get_ref().iter().map(|i| i.get_ref().clone()).filter(|i| is_account_id(i) && !excluded(i)).collect())
    });
    match ids {
        None if allowed.is_empty() => None,
        None => Some(allowed.to_vec()),
        Some(ids) if allowed.is_empty() => Some(ids),
        Some(ids) => Some(ids.into_iter().filter(|i: &String| allowed.contains(i)).collect()),
    }
}

/// `CLOUD_TRAIL_ENABLED` → `baseline-cloud-trail-enabled`.
fn rule_name(identifier: &str) -> String {
    format!("baseline-{}", identifier.to_ascii_lowercase().replace('_', "-"))
}

/// Rules about global resources (IAM, the root user) run in the home region only.
fn is_global_rule(identifier: &str) -> bool {
    identifier.starts_with("IAM_") || identifier.starts_with("ROOT_") || identifier.contains("_IAM_")
}

/// CLOUD_TRAIL_ENABLED (pinned to the baseline's trail when planned) and RESTRICTED_INCOMING_TRAFFIC with 22
/// among the blocked ports: its own defaults (20, 21, 3389, 3306, 4333) leave SSH out.
fn default_config_rules() -> Vec<ConfigRuleSpec> {
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

/// `break-glass-use` → `BreakGlassUse`.
fn camel_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// S3's bucket naming rules (general purpose buckets).
/// `min..=max` bytes of ASCII letters, digits and the `extra` characters: the shape of most AWS names.
fn name_ok(value: &str, min: usize, max: usize, extra: &str) -> bool {
    (min..=max).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

pub fn check_bucket_name(name: &str) -> Result<(), &'static str> {
    if !(3..=63).contains(&name.len()) {
        return Err("must be 3 to 63 characters long");
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.') {
        return Err("only lowercase letters, digits, hyphens and dots are allowed");
    }
    let edge_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !edge_ok(name.as_bytes()[0]) || !edge_ok(name.as_bytes()[name.len() - 1]) {
        return Err("must start and end with a letter or digit");
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Err("dots may not be doubled or next to a hyphen");
    }
    const RESERVED_PREFIXES: &[&str] = &["xn--", "sthree-", "amzn-s3-demo-"];
    const RESERVED_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    if RESERVED_PREFIXES.iter().any(|p| name.starts_with(p)) || RESERVED_SUFFIXES.iter().any(|p| name.ends_with(p)) {
        return Err("uses a reserved prefix or suffix");
    }
    if looks_like_ip(name) {
        return Err("must not look like an IP address");
    }
    Ok(())
}

/// `192.168.5.4`: four dot-separated numbers of at most three digits.
fn looks_like_ip(name: &str) -> bool {
    name.split('.').count() == 4
        && name.split('.').all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The partitions an ARN may name.
const PARTITIONS: &[&str] =
    &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];

/// A reason when `s` holds a control or invisible character, naming it as `U+000A`.
fn hidden_problem(s: &str) -> Result<(), String> {
    match s.chars().find(|&c| is_hidden(c)) {
        Some(c) => Err(format!("contains the hidden character U+{:04X}", u32::from(c))),
        None => Ok(()),
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits `arn:<partition>:<service>:<region>:<account>:<resource>`, checking the partition and the service.
fn split_arn<'a>(arn: &'a str, service: &str) -> Result<(&'a str, &'a str, &'a str), String> {
    hidden_problem(arn)?;
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, svc, region, account, resource] = parts.as_slice() else {
        return Err("not an ARN: expected arn:<partition>:<service>:<region>:<account>:<resource>".into());
    };
    if *prefix != "arn" {
        return Err("an ARN starts with `arn:`".into());
    }
    if !PARTITIONS.contains(partition) {
        return Err(format!("unknown partition \"{partition}\" (expected one of {})", PARTITIONS.join(", ")));
    }
    if *svc != service {
        return Err(format!("not a `{service}` ARN"));
    }
    Ok((region, account, resource))
}

/// SNS: 1 to 256 letters, digits, hyphens and underscores.
fn check_topic_name(name: &str) -> Result<(), String> {
    hidden_problem(name)?;
    if !name_ok(name, 1, 256, "-_") {
        return Err("must be 1 to 256 letters, digits, hyphens or underscores".into());
    }
    Ok(())
}

/// CloudTrail: 3 to 128 letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit, no two of
/// `.`, `_`, `-` in a row, not shaped like an IP address.
fn check_trail_name(name: &str) -> Result<(), String> {
    hidden_problem(name)?;
    if !name_ok(name, 3, 128, "._-") {
        return Err("must be 3 to 128 letters, digits, dots, underscores or hyphens".into());
    }
    let bytes = name.as_bytes();
    if !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return Err("must start and end with a letter or digit".into());
    }
    if bytes.windows(2).any(|w| !w[0].is_ascii_alphanumeric() && !w[1].is_ascii_alphanumeric()) {
        return Err("must not have two of `.`, `_`, `-` in a row".into());
    }
    if looks_like_ip(name) {
        return Err("must not look like an IP address".into());
    }
    Ok(())
}

/// CloudWatch Logs: 1 to 512 letters, digits and `._-/#`; `aws/` is reserved for AWS services.
fn check_log_group_name(name: &str) -> Result<(), String> {
    hidden_problem(name)?;
    if !name_ok(name, 1, 512, "._-/#") {
        return Err("must be 1 to 512 letters, digits or any of ._-/#".into());
    }
    if name.to_ascii_lowercase().starts_with("aws/") {
        return Err("the prefix `aws/` is reserved for AWS services".into());
    }
    Ok(())
}

/// IAM user, group and role names: 1 to `max` letters, digits and `+=,.@_-`.
fn check_iam_name(name: &str, max: usize) -> Result<(), String> {
    hidden_problem(name)?;
    if !name_ok(name, 1, max, "+=,.@_-") {
        return Err(format!("must be 1 to {max} letters, digits or any of +=,.@_-"));
    }
    Ok(())
}

/// IAM paths: `/`, or `/` + printable ASCII without spaces + `/`, at most 512 characters.
fn check_iam_path(path: &str) -> Result<(), String> {
    hidden_problem(path)?;
    if path.is_empty() || path.len() > 512 {
        return Err("must be 1 to 512 characters".into());
    }
    if !(path.starts_with('/') && path.ends_with('/')) {
        return Err("must start and end with /".into());
    }
    if !path.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err("only printable ASCII characters without spaces are allowed".into());
    }
    if path.contains('*') || path.contains('?') {
        return Err("wildcards are not allowed in a path".into());
    }
    Ok(())
}

/// Who owns a managed policy.
#[derive(Debug, PartialEq, Eq)]
enum PolicyOwner {
    Aws,
    Account(String),
}

/// `arn:<partition>:iam::aws:policy/<path/>Name` or `arn:<partition>:iam::<account>:policy/<path/>Name`.
fn parse_policy_arn(arn: &str) -> Result<PolicyOwner, String> {
    let (region, account, resource) = split_arn(arn, "iam")?;
    if !region.is_empty() {
        return Err("IAM is global: the region field of the ARN must be empty".into());
    }
    let Some(path_and_name) = resource.strip_prefix("policy/") else {
        return Err("not a policy: the resource must start with `policy/`".into());
    };
    if path_and_name.contains('*') || path_and_name.contains('?') {
        return Err("wildcards are not allowed in a policy ARN".into());
    }
    let mut segments: Vec<&str> = path_and_name.split('/').collect();
    let name = segments.pop().unwrap_or_default();
    if !name_ok(name, 1, 128, "+=,.@_-") {
        return Err("the policy name must be 1 to 128 letters, digits or any of +=,.@_-".into());
    }
    if path_and_name.len() > 512 + 128 || !segments.iter().all(|s| name_ok(s, 1, 512, "+=,.@_-")) {
        return Err("the policy path must be names separated by single slashes".into());
    }
    match account {
        "aws" => Ok(PolicyOwner::Aws),
        a if is_account_id(a) => Ok(PolicyOwner::Account(a.to_string())),
        _ => Err("the account must be `aws` (an AWS managed policy) or a 12-digit account id".into()),
    }
}

/// An IAM principal a trust policy may name: an account root, a role, a user or an assumed-role session. Never a
/// wildcard: `*` would let any AWS principal assume the role.
fn check_principal_arn(arn: &str) -> Result<(), String> {
    if arn.contains('*') || arn.contains('?') {
        return Err("wildcards are not allowed: the role would trust principals nobody chose".into());
    }
    let service = if arn.split(':').nth(2) == Some("sts") { "sts" } else { "iam" };
    let (region, account, resource) = split_arn(arn, service)?;
    if !region.is_empty() {
        return Err("IAM is global: the region field of the ARN must be empty".into());
    }
    if !is_account_id(account) {
        return Err("the account must be a 12-digit account id".into());
    }
    let path_ok = |rest: &str| {
        let mut segments: Vec<&str> = rest.split('/').collect();
        let name = segments.pop().unwrap_or_default();
        name_ok(name, 1, 64, "+=,.@_-") && segments.iter().all(|s| name_ok(s, 1, 512, "+=,.@_-"))
    };
    let ok = match (service, resource.split_once('/')) {
        ("iam", None) => resource == "root",
        ("iam", Some(("role" | "user", rest))) => path_ok(rest),
        ("sts", Some(("assumed-role", rest))) => {
            rest.split_once('/').is_some_and(|(role, session)| path_ok(role) && name_ok(session, 2, 64, "+=,.@_-"))
        }
        _ => false,
    };
    if !ok {
        return Err("expected arn:<partition>:iam::<account>:root, :role/<name> or :user/<name>".into());
    }
    Ok(())
}

/// A KMS alias name, with or without `alias/`: "The alias name can contain only alphanumeric characters,
/// forward slashes (/), underscores (_), and dashes (-). The alias name cannot begin with aws/" (AWS KMS API
/// Reference, CreateAlias), 1 to 256 characters with the `alias/` prefix.
fn check_key_alias(alias: &str) -> Result<(), String> {
    let name = alias.strip_prefix("alias/").unwrap_or(alias);
    if name.is_empty() || name.len() > 250 {
        return Err("must be 1 to 250 characters after `alias/`".into());
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || "/_-".contains(*c))) {
        return Err(format!("`{c}` is not allowed"));
    }
    if name.to_ascii_lowercase().starts_with("aws/") {
        return Err("aliases under aws/ belong to AWS managed keys".into());
    }
    Ok(())
}

/// A KMS key for encryption: `arn:<partition>:kms:<region>:<account>:key/<id>` or `...:alias/<name>`, never an AWS
/// managed key (`alias/aws/...`), which cannot be shared with CloudTrail or other accounts.
fn check_kms_key_arn(arn: &str) -> Result<(), String> {
    let (region, account, resource) = split_arn(arn, "kms")?;
    if !KNOWN_REGIONS.contains(&region) {
        return Err(format!("unknown region \"{region}\" in the key ARN"));
    }
    if !is_account_id(account) {
        return Err("the account must be a 12-digit account id".into());
    }
    match resource.split_once('/') {
        Some(("key", id)) if name_ok(id, 1, 128, "-") => Ok(()),
        Some(("alias", name)) if name.starts_with("aws/") => {
            Err("an AWS managed key cannot be used here; create a customer managed key".into())
        }
        Some(("alias", name)) if name_ok(name, 1, 250, "/_-") => Ok(()),
        _ => Err("the resource must be key/<key id> or alias/<alias name>".into()),
    }
}

/// AWS Config recorder, delivery channel and rule names: 1 to `max` characters, not blank, on one line.
fn check_config_name(name: &str, max: usize) -> Result<(), String> {
    check_text(name, max)?;
    if name.trim().is_empty() {
        return Err("must not be blank".into());
    }
    Ok(())
}

/// Budgets: 1 to 100 characters without `:` and `\`.
fn check_budget_name(name: &str) -> Result<(), String> {
    hidden_problem(name)?;
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err("must be 1 to 100 characters".into());
    }
    if name.contains(':') || name.contains('\\') {
        return Err("must not contain : or \\".into());
    }
    Ok(())
}

/// CloudWatch namespaces and metric names: printable ASCII, 1 to 255 characters, not blank.
fn check_metric_text(value: &str) -> Result<(), String> {
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
fn check_namespace(value: &str) -> Result<(), String> {
    check_metric_text(value)?;
    if value.starts_with(':') {
        return Err("must not start with `:`".into());
    }
    if value.starts_with("AWS/") {
        return Err("the prefix `AWS/` is reserved for AWS services".into());
    }
    Ok(())
}

/// An S3 key prefix: letters, digits and `!-_.*'()/`, names separated by single slashes, no `.` or `..` part.
fn check_s3_prefix(prefix: &str, max: usize) -> Result<(), String> {
    hidden_problem(prefix)?;
    if !name_ok(prefix, 1, max, "!-_.*'()/") {
        return Err(format!("must be 1 to {max} letters, digits or any of !-_.*'()/"));
    }
    if prefix.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return Err("parts must be separated by single slashes, with none at either end and no `.` or `..`".into());
    }
    Ok(())
}

/// Free text (contact names, addresses, descriptions): at most `max` characters, no control character.
fn check_text(value: &str, max: usize) -> Result<(), String> {
    hidden_problem(value)?;
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(())
}

/// Tag keys and values: letters, digits, spaces and `+-=._:/@` (AWS's common tagging rule).
fn check_tag_text(value: &str, min: usize, max: usize) -> Result<(), String> {
    hidden_problem(value)?;
    let n = value.chars().count();
    if n < min || n > max {
        return Err(format!("must be {min} to {max} characters"));
    }
    if let Some(c) = value.chars().find(|&c| !(c.is_alphanumeric() || c == ' ' || "+-=._:/@".contains(c))) {
        return Err(format!("`{c}` is not allowed: use letters, digits, spaces and +-=._:/@"));
    }
    Ok(())
}

/// The address pattern AWS Account Management accepts for contacts, and SNS and Budgets for subscribers.
pub fn is_email(s: &str) -> bool {
    email_problem(s).is_none()
}

/// Why `s` is not an e-mail address AWS accepts; `None` when it is one. The characters that would let a value
/// smuggle extra recipients or headers (spaces, line breaks, commas, semicolons, angle brackets, quotes) are refused.
fn email_problem(s: &str) -> Option<&'static str> {
    if s.chars().any(|c| c.is_whitespace() || is_hidden(c)) {
        return Some("contains a space, line break or control character");
    }
    if s.chars().any(|c| ",;<>\"'()[]\\`".contains(c)) {
        return Some("contains , ; < > quotes, brackets or a backslash");
    }
    if s.len() > 254 {
        return Some("longer than 254 characters");
    }
    let Some((local, domain)) = s.split_once('@') else { return Some("not an e-mail address") };
    if domain.contains('@') {
        return Some("more than one @");
    }
    let local_ok = (1..=64).contains(&local.len())
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "_+=.#|!&-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    if !local_ok {
        return Some("not an e-mail address");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let tld_ok = labels.last().is_some_and(|t| t.len() >= 2 && !t.bytes().all(|b| b.is_ascii_digit()));
    if labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
        return Some("the domain must be a host name with a dot, such as example.com");
    }
    None
}

fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates.iter().map(|c| (edit_distance(word, c), *c)).filter(|(d, _)| *d <= 3).min().map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != b[j])).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The KMS keys baseline.toml names (the archive's and the trail's), to check their region.
fn key_arns(
    log_archive: Option<&Spanned<RawLogArchive>>,
    cloudtrail: Option<&Spanned<RawCloudTrail>>,
) -> Vec<Spanned<String>> {
    [
        log_archive.and_then(|a| a.get_ref().kms_key_arn.clone()),
        cloudtrail.and_then(|c| c.get_ref().kms_key_arn.clone()),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first error's message and label for `text`, or `None` when it loads.
    fn first_error(text: &str) -> Option<(String, String)> {
        let errors = crate::config::parse(std::path::Path::new("baseline.toml"), text).err()?;
        let e = &errors.errors[0];
        assert!(e.line >= 1 && e.column >= 1 && e.help.is_some(), "{e:?}");
        Some((e.message.clone(), e.label.clone()))
    }

    const ALARMS: &str = "[notifications.security]\ntopic = \"sec\"\nemails = [\"s@example.com\"]\n\
                          [log_archive]\nbucket = \"logs-{account_id}\"\n[cloudtrail]\n[alarms]\n";

    #[test]
    fn alarm_standard() {
        let filters = |settings: &str| {
            let loaded = crate::config::parse(std::path::Path::new("baseline.toml"), &format!("{ALARMS}{settings}"));
            let alarms = loaded.unwrap().desired.alarms.unwrap();
            let route = alarms.alarms.into_iter().find(|a| a.id == "route-table-changes").unwrap();
            (alarms.standard, route.filters.into_iter().map(|f| f.id).collect::<Vec<_>>())
        };
        let both = vec!["route-table-changes".to_string(), "route-table-changes-cis-v3".into()];
        assert_eq!(filters(""), (AlarmStandard::Both, both));
        assert_eq!(
            filters("standard = \"security-hub\""),
            (AlarmStandard::SecurityHub, vec!["route-table-changes".into()])
        );
        assert_eq!(filters("standard = \"cis-v3\""), (AlarmStandard::CisV3, vec!["route-table-changes".into()]));
        assert_eq!(
            first_error(&format!("{ALARMS}standard = \"cis-v4\"")),
            Some(("unknown alarm standard \"cis-v4\"".into(), "not an alarm standard".into()))
        );
        let reserved = format!("{ALARMS}[[alarms.custom]]\nid = \"mine-cis-v3\"\npattern = \"{{ $.a = 1 }}\"\n");
        assert_eq!(
            first_error(&reserved),
            Some((
                "custom alarm id \"mine-cis-v3\" ends with \"-cis-v3\"".into(),
                "reserved for the built-in alarms' second filters".into()
            ))
        );
    }

    /// A threshold above 1 on an alarm fed by two filters is warned about; one filter, or threshold 1, is not.
    #[test]
    fn tuning_an_alarm_with_two_filters_warns() {
        let warnings = |settings: &str| {
            let text = format!("{ALARMS}{settings}");
            let loaded = crate::config::parse(std::path::Path::new("baseline.toml"), &text).unwrap();
            loaded.warnings.into_iter().map(|w| w.message).filter(|m| m.starts_with("alarm")).collect::<Vec<_>>()
        };
        assert_eq!(
            warnings("[alarms.tune.route-table-changes]\nthreshold = 3\n"),
            ["alarm \"route-table-changes\" has two filters (standard = \"both\"): an event both match counts twice \
              toward threshold 3"]
        );
        assert!(warnings("[alarms.tune.route-table-changes]\nthreshold = 1\n").is_empty());
        assert!(warnings("[alarms.tune.vpc-changes]\nthreshold = 3\n").is_empty());
        assert!(warnings("standard = \"cis-v3\"\n[alarms.tune.route-table-changes]\nthreshold = 3\n").is_empty());
    }

    #[test]
    fn existing_recorder_is_adopt_or_own() {
        let config = |line: &str| {
            format!(
                "[notifications.security]\ntopic = \"sec\"\nemails = [\"s@example.com\"]\n\
                 [log_archive]\nbucket = \"logs-{{account_id}}\"\n[config]\n{line}\n"
            )
        };
        let spec = |line: &str| crate::config::parse(std::path::Path::new("b.toml"), &config(line)).unwrap().desired;
        let default = spec("").config.unwrap();
        assert_eq!((default.existing_recorder, default.stream_changes_to_topic), (ExistingRecorder::Adopt, false));
        let own = spec("existing_recorder = \"own\"\nstream_changes_to_topic = true").config.unwrap();
        assert_eq!((own.existing_recorder, own.stream_changes_to_topic), (ExistingRecorder::Own, true));
        let (message, label) = first_error(&config("existing_recorder = \"replace\"")).unwrap();
        assert_eq!((message.as_str(), label.as_str()), ("invalid existing_recorder \"replace\"", "not a choice"));
    }

    #[test]
    fn email_pattern() {
        for ok in [
            "a@b.co",
            "aws-security+alerts@example.com",
            "first.last@mail.example.org",
            "ops#1|x!&=@sub-domain.example.xn--p1ai",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        let too_long = format!("a@{}.com", vec!["b".repeat(63); 4].join("."));
        for bad in [
            "",
            "bob",
            "bob@",
            "@example.com",
            "bob@example",
            "bob@@example.com",
            "bob@ex@ample.com",
            "bob smith@example.com",
            "bob@.com",
            "bob@a..com",
            "bob@-a.com",
            "bob@a-.com",
            "bob@example.c",
            "bob@1.2.3.4",
            "bob@example_x.com",
            ".bob@example.com",
            "bob.@example.com",
            "b..ob@example.com",
            "bob@example.com\n",
            "bob@example.com\nBcc: eve@example.org",
            "bob\t@example.com",
            "bob@example.com,eve@example.org",
            "bob@example.com;eve@example.org",
            "Bob <bob@example.com>",
            "\"bob\"@example.com",
            "bob'@example.com",
            "bób@example.com",
            "bob@exämple.com",
            "bob\u{202e}@example.com",
            &long_local,
            &too_long,
        ] {
            assert!(!is_email(bad), "{bad:?}");
        }
        assert_eq!(email_problem("a b@example.com"), Some("contains a space, line break or control character"));
        assert_eq!(email_problem("a@b@example.com"), Some("more than one @"));
        assert_eq!(email_problem("<a@example.com>"), Some("contains , ; < > quotes, brackets or a backslash"));
    }

    #[test]
    fn bucket_names() {
        for ok in ["baseline-logs-123456789012-us-east-1", "abc", "a.b.c", "1.2.3", "192.168.1.1.5", "my-xn--bucket"] {
            assert!(check_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "Upper-case",
            "under_score",
            "-leading",
            "trailing-",
            ".dot",
            "a..b",
            "a.-b",
            "a-.b",
            "192.168.1.1",
            "10.0.0.255",
            "xn--punycode",
            "sthree-bucket",
            "sthree-configurator",
            "amzn-s3-demo-bucket",
            "logs-s3alias",
            "logs--ol-s3",
            "logs.mrap",
            "logs--x-s3",
            "logs--table-s3",
            "with space",
            "new\nline",
            "tab\tbed",
            "uni\u{e9}code",
            &"a".repeat(64),
        ] {
            assert!(check_bucket_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_bucket_name("192.168.1.1"), Err("must not look like an IP address"));
        assert_eq!(check_bucket_name("sthree-x"), Err("uses a reserved prefix or suffix"));
    }

    #[test]
    fn hidden_characters_are_named() {
        assert_eq!(hidden_problem("a\nb"), Err("contains the hidden character U+000A".into()));
        assert_eq!(hidden_problem("a\u{1b}[2J"), Err("contains the hidden character U+001B".into()));
        assert_eq!(hidden_problem("a\u{202e}b"), Err("contains the hidden character U+202E".into()));
        assert_eq!(hidden_problem("a\u{200b}b"), Err("contains the hidden character U+200B".into()));
        assert_eq!(hidden_problem("Zoë & co, 2nd floor"), Ok(()));
    }

    #[test]
    fn topic_names() {
        for ok in ["a", "security-notifications", "billing_alerts_2", &"t".repeat(256)] {
            assert!(check_topic_name(ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "security alerts", "topic.fifo", "a/b", "*", "topic\n", "töpic", "arn:aws:sns:x", &"t".repeat(257)]
        {
            assert!(check_topic_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn trail_names() {
        for ok in ["baseline-trail", "abc", "My.Trail_1", &"t".repeat(128)] {
            assert!(check_trail_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "-trail",
            "trail-",
            "_trail",
            "my--trail",
            "my-_trail",
            "my._trail",
            "192.168.5.4",
            "my trail",
            "trail\n",
            "../trail",
            "tr*il",
            &"t".repeat(129),
        ] {
            assert!(check_trail_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn log_group_names() {
        for ok in ["baseline-cloudtrail", "/org/cloudtrail#1", "a", "my.group_x", &"g".repeat(512)] {
            assert!(check_log_group_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "aws/cloudtrail", "AWS/x", "log group", "group\n", "gr*up", "grüppe", &"g".repeat(513)] {
            assert!(check_log_group_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn iam_names_and_paths() {
        for ok in ["security-auditors", "a", "Team+Ops=1,x.y@z_w", &"n".repeat(64)] {
            assert!(check_iam_name(ok, 64).is_ok(), "{ok}");
        }
        assert!(check_iam_name(&"n".repeat(128), 128).is_ok());
        for bad in ["", "my group", "group/x", "gr*up", "role\n", "arn:aws:iam::111111111111:role/x", &"n".repeat(65)] {
            assert!(check_iam_name(bad, 64).is_err(), "{bad:?}");
        }
        for ok in ["/", "/baseline/", "/teams/security/", "/a-b_c.d/"] {
            assert!(check_iam_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "baseline",
            "/baseline",
            "baseline/",
            "/a b/",
            "/a\n/",
            "/*/",
            "/tëam/",
            &format!("/{}/", "p".repeat(511)),
        ] {
            assert!(check_iam_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn policy_arns() {
        assert_eq!(parse_policy_arn("arn:aws:iam::aws:policy/SecurityAudit"), Ok(PolicyOwner::Aws));
        assert_eq!(parse_policy_arn("arn:aws:iam::aws:policy/job-function/Billing"), Ok(PolicyOwner::Aws));
        assert_eq!(parse_policy_arn("arn:aws-us-gov:iam::aws:policy/service-role/AWSConfigRole"), Ok(PolicyOwner::Aws));
        assert_eq!(
            parse_policy_arn("arn:aws:iam::111111111111:policy/teams/Auditors"),
            Ok(PolicyOwner::Account("111111111111".into()))
        );
        for bad in [
            "SecurityAudit",
            "arn:aws:iam::aws:role/SecurityAudit",
            "arn:aws:iam::aws:policy/",
            "arn:aws:iam::aws:policy/*",
            "arn:aws:iam::aws:policy/Admin*",
            "arn:aws:iam::aws:policy//x",
            "arn:aws:iam::aws:policy/a b",
            "arn:aws:iam::aws:policy/x\n",
            "arn:aws:iam::*:policy/x",
            "arn:aws:iam::12345:policy/x",
            "arn:aws:iam:us-east-1:aws:policy/x",
            "arn:mars:iam::aws:policy/x",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::aws",
        ] {
            assert!(parse_policy_arn(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn principal_arns() {
        for ok in [
            "arn:aws:iam::123456789012:root",
            "arn:aws:iam::123456789012:role/SupportTeam",
            "arn:aws:iam::123456789012:role/teams/SupportTeam",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws-cn:iam::123456789012:role/x",
            "arn:aws:sts::123456789012:assumed-role/Support/alice",
        ] {
            assert!(check_principal_arn(ok).is_ok(), "{ok}");
        }
        for bad in [
            "*",
            "arn:aws:iam::*:root",
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:iam::123456789012:role/Sup?",
            "arn:aws:iam::123456789012:group/admins",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:root/x",
            "arn:aws:iam::12345678901:root",
            "arn:aws:iam:us-east-1:123456789012:root",
            "arn:aws:iam::123456789012:role/a b",
            "arn:aws:iam::123456789012:role/x\n",
            "arn:aws:s3:::bucket",
            "123456789012",
            "cloudtrail.amazonaws.com",
            "arn:aws:sts::123456789012:assumed-role/Support",
        ] {
            assert!(check_principal_arn(bad).is_err(), "{bad:?}");
        }
        assert!(check_principal_arn("arn:aws:iam::*:root").unwrap_err().contains("wildcards"));
    }

    #[test]
    fn kms_keys_must_be_in_the_bucket_region() {
        let base = "[baseline]\nhome_region = \"us-east-1\"\n[log_archive]\nbucket = \"logs-{account_id}\"\n";
        let key = |region: &str| format!("arn:aws:kms:{region}:123456789012:alias/logs");
        let (message, label) =
            first_error(&format!("{base}kms_key_arn = \"{}\"\n", key("eu-west-1"))).expect("key elsewhere");
        assert_eq!(
            message,
            format!("KMS key \"{}\" is in eu-west-1, but the log archive bucket is in us-east-1", key("eu-west-1"))
        );
        assert_eq!(label, "not in the bucket's region");
        let trail = format!(
            "{base}kms_key_arn = \"{}\"\n[cloudtrail]\nkms_key_arn = \"{}\"\n",
            key("us-east-1"),
            key("eu-west-1")
        );
        assert!(first_error(&trail).is_some_and(|(m, _)| m.contains("is in eu-west-1")), "the trail's key too");
        // The bucket's own region decides; without any region the check waits for the run.
        let elsewhere = base.replace("[log_archive]\n", "[log_archive]\nregion = \"eu-west-1\"\n");
        assert_eq!(first_error(&format!("{elsewhere}kms_key_arn = \"{}\"\n", key("eu-west-1"))), None);
        let unknown = "[log_archive]\nbucket = \"logs-{account_id}\"\n";
        assert_eq!(first_error(&format!("{unknown}kms_key_arn = \"{}\"\n", key("eu-west-1"))), None);
    }

    #[test]
    fn trail_key_alias_and_access_log_bucket() {
        let base = "[log_archive]\nbucket = \"logs-{account_id}\"\n";
        let parsed = |text: &str| crate::config::parse(std::path::Path::new("baseline.toml"), text).unwrap().desired;
        let d = parsed(&format!(
            "{base}access_log_bucket = \"access-{{account_id}}\"\n[cloudtrail]\nkms_key_alias = \"alias/ct\"\n"
        ));
        assert_eq!(d.cloudtrail.unwrap().kms_key_alias.as_deref(), Some("ct"), "stored without alias/");
        let archive = d.log_archive.unwrap();
        assert_eq!(archive.access_log_bucket_name("111111111111", "eu-west-1").as_deref(), Some("access-111111111111"));
        let d = parsed(&format!("{base}[cloudtrail]\nkms_key_alias = \"team/ct_1\"\n"));
        assert_eq!(d.cloudtrail.unwrap().kms_key_alias.as_deref(), Some("team/ct_1"));

        for (settings, message, label) in [
            (
                "kms_key_alias = \"aws/cloudtrail\"",
                "invalid KMS key alias \"aws/cloudtrail\"",
                "aliases under aws/ belong to AWS managed keys",
            ),
            ("kms_key_alias = \"ct key\"", "invalid KMS key alias \"ct key\"", "` ` is not allowed"),
            (
                "kms_key_alias = \"alias/\"",
                "invalid KMS key alias \"alias/\"",
                "must be 1 to 250 characters after `alias/`",
            ),
            (
                "kms_key_alias = \"ct\"\nkms_key_arn = \"arn:aws:kms:us-east-1:123456789012:alias/logs\"",
                "`kms_key_alias` and `kms_key_arn` both set",
                "one key or the other",
            ),
        ] {
            let error = first_error(&format!("{base}[cloudtrail]\n{settings}\n")).expect(settings);
            assert_eq!(error, (message.to_string(), label.to_string()), "{settings}");
        }
        let error = first_error(&format!("{base}access_log_bucket = \"logs-{{account_id}}\"\n")).unwrap();
        assert_eq!(error, ("`access_log_bucket` is the archive bucket itself".into(), "the same bucket".into()));
        let error = first_error(&format!("{base}access_log_bucket = \"Access_{{x}}\"\n")).unwrap();
        assert_eq!(error.1, "unknown placeholder");
    }

    #[test]
    fn kms_key_arns() {
        for ok in [
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
            "arn:aws:kms:us-east-1:123456789012:alias/logs",
            "arn:aws:kms:us-east-1:123456789012:alias/team/logs_1",
        ] {
            assert!(check_kms_key_arn(ok).is_ok(), "{ok}");
        }
        for bad in [
            "alias/logs",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:123456789012:alias/aws/s3",
            "arn:aws:kms:us-east-1:123456789012:key/",
            "arn:aws:kms:us-east-1:123456789012:key/*",
            "arn:aws:kms:us-east-1:*:key/abc",
            "arn:aws:kms:*:123456789012:key/abc",
            "arn:aws:kms::123456789012:key/abc",
            "arn:aws:kms:us-east-1:123456789012:abc",
            "arn:aws:kms:us-east-1:123456789012:key/abc\n",
            "arn:aws:s3:us-east-1:123456789012:key/abc",
            "arn:aws:kms:us-east-1:123456789012",
        ] {
            assert!(check_kms_key_arn(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn budget_names() {
        for ok in ["monthly-total-cost", "Monthly cost (EUR)", "a", &"b".repeat(100)] {
            assert!(check_budget_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "  ", "a:b", "a\\b", "line\nbreak", "nul\0", &"b".repeat(101)] {
            assert!(check_budget_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn metric_namespaces_and_names() {
        for ok in ["CISBenchmark", "Org/Security", "a b"] {
            assert!(check_namespace(ok).is_ok(), "{ok}");
            assert!(check_metric_text(ok).is_ok(), "{ok}");
        }
        for bad in ["", " ", ":ns", "AWS/Logs", "ns\n", "nämespace", &"n".repeat(256)] {
            assert!(check_namespace(bad).is_err(), "{bad:?}");
        }
        assert!(check_metric_text("Metric\tName").is_err());
    }

    #[test]
    fn s3_prefixes() {
        for ok in ["cloudtrail", "org/cloudtrail", "a!-_.*'()b"] {
            assert!(check_s3_prefix(ok, 200).is_ok(), "{ok}");
        }
        for bad in ["", "/trail", "trail/", "a//b", "../etc", "a/./b", "a/..", "a b", "a\nb", "ü", &"p".repeat(201)] {
            assert!(check_s3_prefix(bad, 200).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tag_text() {
        for ok in ["owner", "cost-center", "team: platform/security@x+y=z", "Zoë"] {
            assert!(check_tag_text(ok, 1, 128).is_ok(), "{ok}");
        }
        assert!(check_tag_text("", 0, 256).is_ok());
        for bad in ["", "a$b", "a*", "a\nb", "<script>", "a,b", &"k".repeat(129)] {
            assert!(check_tag_text(bad, 1, 128).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_and_config_names() {
        assert!(check_text("100 Main Street, Suite 5", 60).is_ok());
        assert!(check_text("line\nbreak", 60).is_err());
        assert!(check_text(&"x".repeat(61), 60).is_err());
        assert!(check_config_name("default", 256).is_ok());
        for bad in ["", " ", "rec\norder", &"r".repeat(257)] {
            assert!(check_config_name(bad, 256).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn customer_policies_must_belong_to_a_covered_account() {
        let group = |arn: &str| format!("[[iam.groups]]\nname = \"auditors\"\npolicies = [\"{arn}\"]\n");
        let mine = "arn:aws:iam::111111111111:policy/Auditors";
        // AWS managed: always fine.
        assert_eq!(first_error(&group("arn:aws:iam::aws:policy/SecurityAudit")), None);
        // No account listed: cannot tell whose account the run touches; accepted with a warning.
        assert_eq!(first_error(&group(mine)), None);
        let loaded = crate::config::parse(std::path::Path::new("baseline.toml"), &group(mine)).unwrap();
        assert!(loaded.warnings.iter().any(|w| w.message.contains("which this baseline does not list")));
        // Listed in allowed_account_ids, or in [accounts] ids: fine.
        let allowed = "[baseline]\nallowed_account_ids = [\"111111111111\"]\n";
        assert_eq!(first_error(&format!("{allowed}{}", group(mine))), None);
        let ids = "[accounts]\nids = [\"111111111111\"]\n";
        assert_eq!(first_error(&format!("{}{ids}", group(mine))), None);
        // Another account: rejected.
        let other = "arn:aws:iam::999999999999:policy/Auditors";
        let (message, _) = first_error(&format!("{allowed}{}", group(other))).unwrap();
        assert_eq!(message, format!("managed policy ARN \"{other}\" points at another account (999999999999)"));
        let (message, _) = first_error(&format!("{}{ids}", group(other))).unwrap();
        assert!(message.contains("points at another account"), "{message}");
        // Excluded from the list: not covered.
        let excluded = "[accounts]\nids = [\"111111111111\", \"222222222222\"]\nexclude = [\"111111111111\"]\n";
        assert!(first_error(&format!("{}{excluded}", group(mine))).is_some());
        // Organization without allowed_account_ids: unknown, accepted with the same warning.
        let org = "[accounts]\norganization = true\n";
        assert_eq!(first_error(&format!("{}{org}", group(mine))), None);
        // Covered among several: allowed, with a warning.
        let two = "[accounts]\nids = [\"111111111111\", \"222222222222\"]\n";
        let loaded =
            crate::config::parse(std::path::Path::new("baseline.toml"), &format!("{}{two}", group(mine))).unwrap();
        assert!(loaded.warnings.iter().any(|w| w.message.contains("exists only in account 111111111111")));
    }

    #[test]
    fn hostile_values_are_rejected_with_a_location() {
        let contact = "[contacts.security]\nname = \"Sec\\u001b[2J\"\ntitle = \"T\"\nemail = \"s@example.com\"\nphone = \"+1 206 555 0100\"\n";
        let (message, label) = first_error(contact).unwrap();
        assert_eq!(message, "invalid `name`: contains the hidden character U+001B");
        assert_eq!(label, "hidden character");
        let cases = [
            ("[notifications.security]\ntopic = \"a\\nb\"\n", "invalid SNS topic name \"a\\u{a}b\""),
            (
                "[log_archive]\nbucket = \"sthree-logs\"\n",
                "invalid bucket name \"sthree-logs\": uses a reserved prefix or suffix",
            ),
            (
                "[log_archive]\nbucket = \"10.0.0.1\"\n",
                "invalid bucket name \"10.0.0.1\": must not look like an IP address",
            ),
            (
                "[log_archive]\nbucket = \"logs-{account_id}\"\n[cloudtrail]\ntrail = \"my--trail\"\n",
                "invalid trail name \"my--trail\"",
            ),
            (
                "[log_archive]\nbucket = \"logs-{account_id}\"\n[cloudtrail]\nlog_group = \"aws/trail\"\n",
                "invalid log group name \"aws/trail\"",
            ),
            (
                "[log_archive]\nbucket = \"logs-{account_id}\"\n[cloudtrail]\ns3_key_prefix = \"../x\"\n",
                "invalid s3_key_prefix \"../x\"",
            ),
            (
                "[iam.support_role]\ntrusted_principal = \"arn:aws:iam::*:root\"\n",
                "invalid principal \"arn:aws:iam::*:root\"",
            ),
            ("[iam.support_role]\nname = \"support team\"\n", "invalid role name \"support team\""),
            ("[[iam.groups]]\nname = \"g\"\npath = \"/a\\tb/\"\n", "invalid group path \"/a\\u{9}b/\""),
            ("[baseline]\ntags = { owner = \"a\\nb\" }\n", "invalid value for tag \"owner\" \"a\\u{a}b\""),
            (
                "[notifications.billing]\ntopic = \"b\"\n[[budgets]]\nname = \"a\\nb\"\nlimit = 1.0\n",
                "invalid budget name \"a\\u{a}b\"",
            ),
            (
                "[notifications.billing]\ntopic = \"b\"\n[[budgets]]\nname = \"m\"\nlimit = 1.0\n[budgets.filters]\ntags = { \"k$\" = [\"v\"] }\n",
                "invalid tag key in the budget filter \"k$\"",
            ),
            ("[billing_reports]\nbucket = \"reports-bucket\"\nprefix = \"/cur\"\n", "invalid report prefix \"/cur\""),
        ];
        for (text, expected) in cases {
            let (message, _) = first_error(text).unwrap_or_else(|| panic!("accepted: {text}"));
            assert_eq!(message, expected, "{text}");
        }
    }

    #[test]
    fn nearest_region_suggestion() {
        assert_eq!(nearest("us-esat-1", KNOWN_REGIONS), Some("us-east-1"));
        assert_eq!(nearest("eu-west-9", KNOWN_REGIONS), Some("eu-west-1"));
        assert_eq!(nearest("mars-1", KNOWN_REGIONS), None);
    }
}
