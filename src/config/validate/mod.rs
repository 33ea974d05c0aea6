//! Raw file → [`Desired`]: every check that can be made without AWS. Collects all findings instead of
//! stopping at the first, so one run of `validate` lists everything to fix.
//!
//! This module holds the validator, the order the sections are checked in, and the checkers they share (names,
//! account ids, regions, tags, e-mail addresses, one-of-a-few-words choices); each section's own checks are in
//! the file named after it (a family's own table in `config/<family>.rs`, see `config::FamilySection`).

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use toml::Spanned;

use super::diagnostic::{Diagnostic, Severity, Source, is_hidden};
use super::model::*;
use super::raw::*;

mod accounts;
mod alarms;
mod billing_reports;
mod budgets;
mod cloudtrail;
mod config_section;
mod contacts;
mod iam;
mod log_archive;
mod notifications;
mod settings;

use {accounts::*, iam::*, log_archive::*};

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

    pub fn desired(&mut self, mut raw: RawFile) -> Desired {
        let families = raw.family_sections();
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
        let families = super::FamilySections::check(families, self, &super::Around::of(&notifications, &accounts));
        Desired {
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
            families,
            ..settings
        }
    }

    /// A section that needs others: an error at its header when `missing`.
    fn needs(&mut self, missing: bool, span: Range<usize>, message: &str, label: &str, help: &str) {
        if missing {
            self.error(span, message.into(), label, Some(help.into()));
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

    /// An account id that only acts in organization runs (a delegated administrator, the account holding an
    /// organization-wide resource): checked, and a warning at `key` when runs cover no organization.
    pub(super) fn organization_account(
        &mut self,
        id: Option<Spanned<String>>,
        key: &str,
        organization: bool,
    ) -> Option<String> {
        let id = id.filter(|id| self.account_id(id))?;
        if !organization {
            self.warn(
                id.span(),
                format!("`{key}` only acts in organization runs"),
                "no organization",
                Some(format!("add [accounts] with `organization = true`, or remove `{key}`")),
            );
        }
        Some(id.into_inner())
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

    /// Reports `value` when `result` is an error: `invalid <what> "<value>"`, with the reason under the value and
    /// `help` saying what would be valid.
    /// A key whose value is one of a few words: `choices` maps each word to its value; `default` when absent.
    /// A list of words each of which must be one of `known` (`what`: "Security Hub standard", `label`: what
    /// the error points at); an unknown one is an error naming the known ones, a repeated one counts once.
    pub(super) fn known_words(
        &mut self,
        list: Vec<Spanned<String>>,
        known: &[&str],
        what: &str,
        label: &str,
    ) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        for word in list {
            if !known.contains(&word.get_ref().as_str()) {
                self.error(
                    word.span(),
                    format!("unknown {what} \"{}\"", word.get_ref()),
                    label,
                    Some(format!("use one of {}", known.join(", "))),
                );
            } else if !words.contains(word.get_ref()) {
                words.push(word.into_inner());
            }
        }
        words
    }

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
}

/// S3's bucket naming rules (general purpose buckets).
/// `min..=max` bytes of ASCII letters, digits and the `extra` characters: the shape of most AWS names.
fn name_ok(value: &str, min: usize, max: usize, extra: &str) -> bool {
    (min..=max).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
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

#[cfg(test)]
mod tests {
    use super::*;
    use super::{alarms::*, budgets::*, cloudtrail::*, config_section::*, notifications::*};

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
