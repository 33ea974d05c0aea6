//! Broken baseline.toml files: each gives the exact message at the exact line:column.

use std::path::Path;

use baseline::config::{self, Severity};

/// What [alarms] needs, in 12 lines.
const ALARM_BASE: &str = "[notifications.security]\ntopic = \"sec\"\nemails = [\"s@example.com\"]\n\
[log_archive]\nbucket = \"logs-{account_id}\"\n[cloudtrail]\n\n\n\n\n\n\n";

const ALTERNATE: &str = "name = \"Security team\"\ntitle = \"Security list\"\n";

/// serde's message for an unknown table: every table the file may hold, the families' own (from the registry)
/// before `[accounts]`.
fn unknown_table_message(table: &str) -> &'static str {
    let fixed = ["baseline", "contacts", "notifications", "log_archive", "cloudtrail", "s3", "ebs", "alarms", "iam"];
    let tables: Vec<String> = fixed
        .iter()
        .chain(&["budgets", "billing_reports", "config"])
        .chain(config::FAMILY_TABLES)
        .chain(&["accounts"])
        .map(|t| format!("`{t}`"))
        .collect();
    Box::leak(format!("unknown field `{table}`, expected one of {}", tables.join(", ")).into_boxed_str())
}

/// (what, file, expected message, line, column, a fragment of the help or label)
fn cases() -> Vec<(&'static str, String, &'static str, usize, usize, &'static str)> {
    vec![
        (
            "bad e-mail",
            format!("[contacts.security]\n{ALTERNATE}email = \"security-at-example.com\"\nphone = \"+1 206 555 0100\"\n"),
            "invalid e-mail address \"security-at-example.com\"",
            4,
            9,
            "aws-security@example.com",
        ),
        (
            "bad phone",
            format!("[contacts.security]\n{ALTERNATE}email = \"sec@example.com\"\nphone = \"call me\"\n"),
            "invalid phone number \"call me\"",
            5,
            9,
            "+1 206 555 0100",
        ),
        (
            "primary phone without country code",
            "[contacts.primary]\nfull_name = \"Corp\"\naddress_line1 = \"1 Main St\"\ncity = \"Seattle\"\n\
             postal_code = \"98101\"\ncountry_code = \"US\"\nphone = \"206 555 0100\"\n"
                .to_string(),
            "invalid phone number \"206 555 0100\" for the primary contact",
            7,
            9,
            "start with +",
        ),
        (
            "bad country code",
            "[contacts.primary]\nfull_name = \"Corp\"\naddress_line1 = \"1 Main St\"\ncity = \"Seattle\"\n\
             postal_code = \"98101\"\ncountry_code = \"usa\"\nphone = \"+1 206 555 0100\"\n"
                .to_string(),
            "invalid country code \"usa\"",
            6,
            16,
            "two capital letters",
        ),
        (
            "bad region",
            "[baseline]\nhome_region = \"us-esat-1\"\n".to_string(),
            "unknown region \"us-esat-1\" in `home_region`",
            2,
            15,
            "did you mean \"us-east-1\"?",
        ),
        (
            "bad excluded region",
            "[baseline]\nexclude_regions = [\"eu-west-1\", \"mars-north-1\"]\n".to_string(),
            "unknown region \"mars-north-1\" in `exclude_regions`",
            2,
            33,
            "us-east-1 or eu-west-2",
        ),
        (
            "bad regions value",
            "[baseline]\nregions = \"all\"\n".to_string(),
            "invalid `regions` value \"all\"",
            2,
            11,
            "all-enabled",
        ),
        (
            "bad account id",
            "[baseline]\nallowed_account_ids = [\"12345\"]\n".to_string(),
            "invalid AWS account id \"12345\"",
            2,
            24,
            "exactly 12 digits",
        ),
        (
            "missing required field",
            format!("[contacts.billing]\n{ALTERNATE}phone = \"+1 206 555 0100\"\n"),
            "missing field `email`",
            1,
            1,
            "add the missing key",
        ),
        (
            "wrong type",
            "[notifications.security]\ntopic = \"sec\"\nemails = \"sec@example.com\"\n".to_string(),
            "invalid type: string \"sec@example.com\", expected a sequence",
            3,
            10,
            "with its type",
        ),
        (
            "unknown key",
            "[notifications.security]\ntopic = \"sec\"\nemial = [\"sec@example.com\"]\n".to_string(),
            "unknown field `emial`, expected `topic` or `emails`",
            3,
            1,
            "check the spelling",
        ),
        (
            "unknown section",
            "[cloudtrial]\nname = \"x\"\n".to_string(),
            unknown_table_message("cloudtrial"),
            1,
            2,
            "check the spelling",
        ),
        (
            "guardduty frequency not a choice",
            "[guardduty]\nnotify_severity = \"none\"\nfinding_publishing_frequency = \"HOURLY\"\n".to_string(),
            "invalid finding_publishing_frequency \"HOURLY\"",
            3,
            32,
            "use one of \"FIFTEEN_MINUTES\", \"ONE_HOUR\", \"SIX_HOURS\"",
        ),
        (
            "guardduty notifies without a security topic",
            "[guardduty]\nnotify_severity = \"high\"\n".to_string(),
            "[guardduty] notifies the security topic, and there is no [notifications.security]",
            2,
            19,
            "notify_severity = \"none\"",
        ),
        (
            "duplicate topic names",
            "[notifications.security]\ntopic = \"alerts\"\nemails = [\"s@example.com\"]\n\
             [notifications.billing]\ntopic = \"alerts\"\nemails = [\"b@example.com\"]\n"
                .to_string(),
            "duplicate topic name \"alerts\": the security and billing topics must differ",
            5,
            9,
            "a topic of their own",
        ),
        (
            "duplicate e-mail",
            "[notifications.security]\ntopic = \"sec\"\nemails = [\"s@example.com\", \"S@example.com\"]\n".to_string(),
            "duplicate e-mail address \"S@example.com\"",
            3,
            28,
            "already listed on line 3",
        ),
        (
            "invalid topic name",
            "[notifications.security]\ntopic = \"security alerts\"\nemails = [\"s@example.com\"]\n".to_string(),
            "invalid SNS topic name \"security alerts\"",
            2,
            9,
            "letters, digits, hyphens or underscores",
        ),
        (
            "reserved tag",
            "[baseline]\ntags = { managed-by = \"me\" }\n".to_string(),
            "tag key \"managed-by\" is reserved by baseline",
            2,
            10,
            "remove this entry",
        ),
        (
            "bad bucket name template",
            "[log_archive]\nbucket = \"Logs_{account_id}\"\n".to_string(),
            "invalid bucket name \"Logs_{account_id}\": only lowercase letters, digits, hyphens and dots are allowed",
            2,
            10,
            "baseline-logs-{account_id}-{region}",
        ),
        (
            "unknown bucket placeholder",
            "[log_archive]\nbucket = \"logs-{acct}\"\n".to_string(),
            "unknown placeholder `{acct}` in bucket name \"logs-{acct}\"",
            2,
            10,
            "{account_id} and {region}",
        ),
        (
            "expiration before transition",
            "[log_archive]\nbucket = \"logs-{account_id}\"\ntransition_days = 90\nexpiration_days = 30\n".to_string(),
            "`expiration_days` (30) must be later than `transition_days` (90)",
            4,
            19,
            "raise expiration_days",
        ),
        (
            "MFA delete with the default retention rule",
            "[log_archive]\nbucket = \"logs-{account_id}\"\nmfa_delete = true\n".to_string(),
            "`mfa_delete = true` with lifecycle rules: S3 does not support lifecycle configuration on a bucket with \
             MFA delete",
            3,
            14,
            "expiration_days = 0",
        ),
        (
            "retention CloudWatch Logs does not accept",
            "[log_archive]\nbucket = \"logs-{account_id}\"\n[cloudtrail]\nretention_days = 42\n".to_string(),
            "invalid `retention_days`: 42",
            4,
            18,
            "365, 400",
        ),
        (
            "trail without a log archive",
            "[cloudtrail]\ntrail = \"main\"\n".to_string(),
            "[cloudtrail] needs a [log_archive] section: the trail delivers to the central log bucket",
            1,
            1,
            "add [log_archive]",
        ),
        (
            "bad KMS key",
            "[log_archive]\nbucket = \"logs-{account_id}\"\nkms_key_arn = \"alias/logs\"\n".to_string(),
            "invalid KMS key \"alias/logs\"",
            3,
            15,
            "key ARN",
        ),
        (
            "unknown alarm id",
            format!("{ALARM_BASE}[alarms]\ndisabled = [\"root-usag\"]\n"),
            "unknown alarm id \"root-usag\"",
            14,
            13,
            "did you mean \"root-usage\"?",
        ),
        (
            "empty custom pattern",
            format!("{ALARM_BASE}[alarms]\n[[alarms.custom]]\nid = \"mine\"\npattern = \" \"\n"),
            "invalid filter pattern for alarm \"mine\": the pattern is empty",
            16,
            11,
            "filter pattern syntax",
        ),
        (
            "unbalanced custom pattern",
            format!("{ALARM_BASE}[alarms]\n[[alarms.custom]]\nid = \"mine\"\npattern = \"{{ ($.eventName = X) \"\n"),
            "invalid filter pattern for alarm \"mine\": `{` at character 1 is never closed",
            16,
            11,
            "filter pattern syntax",
        ),
        (
            "unknown alarm set",
            format!("{ALARM_BASE}[alarms]\nset = \"strict\"\n"),
            "unknown alarm set \"strict\"",
            14,
            7,
            "\"cis\"",
        ),
        (
            "alarms without a trail",
            "[alarms]\n".to_string(),
            "[alarms] needs [cloudtrail] and [notifications.security]: the alarms watch the trail's log group and notify the security topic",
            1,
            1,
            "add the missing sections",
        ),
        ("not TOML", "[baseline\nhome_region = 1\n".to_string(), "unclosed table, expected `]`", 1, 10, "valid TOML"),
        (
            "empty alternate name",
            "[contacts.operations]\nname = \"\"\ntitle = \"Ops\"\nemail = \"ops@example.com\"\nphone = \"+1 206 555 0100\"\n"
                .to_string(),
            "invalid `name`: must be 1 to 64 characters",
            2,
            8,
            "",
        ),
        (
            "accounts: both a list and the organization",
            "[accounts]\norganization = true\nids = [\"111111111111\"]\n".to_string(),
            "[accounts] sets both `ids` and `organization = true`",
            3,
            7,
            "remove `ids` to baseline the whole organization",
        ),
        (
            "accounts: an OU name instead of its id",
            "[accounts]\norganization = true\ninclude_ous = [\"Production\"]\n".to_string(),
            "invalid organizational unit id \"Production\"",
            3,
            16,
            "ou-ab12-cd34ef56",
        ),
        (
            "accounts: OUs without the organization",
            "[accounts]\nids = [\"111111111111\"]\nexclude_ous = [\"ou-ab12-cd34ef56\"]\n".to_string(),
            "organizational units are only used with `organization = true`",
            3,
            16,
            "add `organization = true`",
        ),
        (
            "accounts: a role ARN instead of its name",
            "[accounts]\norganization = true\nrole = \"arn:aws:iam::111111111111:role/Admin\"\n".to_string(),
            "invalid role name \"arn:aws:iam::111111111111:role/Admin\"",
            3,
            8,
            "not an ARN",
        ),
        (
            "accounts: an override for a malformed account id",
            "[accounts]\norganization = true\n[accounts.overrides.12345.contacts.security]\nname = \"S\"\ntitle = \"S\"\nemail = \"s@example.com\"\nphone = \"+1 206 555 0100\"\n".to_string(),
            "invalid AWS account id \"12345\"",
            3,
            21,
            "exactly 12 digits",
        ),
        (
            "e-mail smuggling a second recipient",
            "[notifications.security]\ntopic = \"sec\"\nemails = [\"sec@example.com,eve@example.org\"]\n".to_string(),
            "invalid e-mail address \"sec@example.com,eve@example.org\"",
            3,
            11,
            "contains , ; < > quotes, brackets or a backslash",
        ),
        (
            "e-mail with a line break",
            "[notifications.security]\ntopic = \"sec\"\nemails = [\"sec@example.com\\nBcc: eve@example.org\"]\n"
                .to_string(),
            "invalid e-mail address \"sec@example.com\\u{a}Bcc: eve@example.org\"",
            3,
            11,
            "line break",
        ),
        (
            "bucket with a reserved prefix",
            "[log_archive]\nbucket = \"sthree-{account_id}\"\n".to_string(),
            "invalid bucket name \"sthree-{account_id}\": uses a reserved prefix or suffix",
            2,
            10,
            "baseline-logs-{account_id}-{region}",
        ),
        (
            "bucket shaped like an IP address",
            "[billing_reports]\nbucket = \"192.168.1.1\"\n".to_string(),
            "invalid bucket name \"192.168.1.1\": must not look like an IP address",
            2,
            10,
            "example-cost-reports",
        ),
        (
            "policy of an account the baseline does not cover",
            "[baseline]\nallowed_account_ids = [\"111111111111\"]\n[[iam.groups]]\nname = \"auditors\"\n\
             policies = [\"arn:aws:iam::999999999999:policy/Auditors\"]\n"
                .to_string(),
            "managed policy ARN \"arn:aws:iam::999999999999:policy/Auditors\" points at another account (999999999999)",
            5,
            13,
            "use a policy of that account",
        ),
        (
            "wildcard trusted principal",
            "[iam.support_role]\ntrusted_principal = \"arn:aws:iam::*:root\"\n".to_string(),
            "invalid principal \"arn:aws:iam::*:root\"",
            2,
            21,
            "wildcards are not allowed",
        ),
        (
            "AWS managed KMS key",
            "[log_archive]\nbucket = \"logs-{account_id}\"\nkms_key_arn = \"arn:aws:kms:us-east-1:123456789012:alias/aws/s3\"\n"
                .to_string(),
            "invalid KMS key \"arn:aws:kms:us-east-1:123456789012:alias/aws/s3\"",
            3,
            15,
            "create a customer managed key",
        ),
        (
            "trail name with a hidden character",
            "[log_archive]\nbucket = \"logs-{account_id}\"\n[cloudtrail]\ntrail = \"main\\u202Etrail\"\n".to_string(),
            "invalid trail name \"main\\u{202e}trail\"",
            4,
            9,
            "contains the hidden character U+202E",
        ),
    ]
}

#[test]
fn broken_files_give_exact_messages_and_positions() {
    let mut mismatches = Vec::new();
    for (what, text, message, line, column, hint) in cases() {
        let errors = config::parse(Path::new("baseline.toml"), &text).expect_err(what);
        let first = &errors.errors[0];
        let rendered = first.render(false);
        let ok = first.message == message
            && (first.line, first.column) == (line, column)
            && rendered.contains(hint)
            && rendered.contains(&format!("baseline.toml:{line}:{column}"));
        if !ok {
            mismatches.push(format!("{what}: got {:?} at {}:{}\n{rendered}", first.message, first.line, first.column));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn all_errors_are_reported_at_once() {
    let text = "[baseline]\nhome_region = \"nowhere\"\nallowed_account_ids = [\"1\"]\n";
    let errors = config::parse(Path::new("baseline.toml"), text).unwrap_err();
    assert_eq!(errors.errors.len(), 2);
}

#[test]
fn rendered_error_shows_the_line() {
    let text = format!("[contacts.security]\n{ALTERNATE}email = \"nobody\"\nphone = \"+1 206 555 0100\"\n");
    let errors = config::parse(Path::new("baseline.toml"), &text).unwrap_err();
    insta::assert_snapshot!(errors.errors[0].render(false));
}

#[test]
fn shared_alternate_contact_details_are_warnings() {
    let text = "[contacts.billing]\nname = \"Ops\"\ntitle = \"List\"\nemail = \"ops@example.com\"\nphone = \"+1 206 555 0100\"\n\
                [contacts.operations]\nname = \"Ops\"\ntitle = \"List\"\nemail = \"OPS@example.com\"\nphone = \"+1 206 555 0101\"\n";
    let loaded = config::parse(Path::new("baseline.toml"), text).unwrap();
    assert_eq!(loaded.warnings.len(), 1);
    let w = &loaded.warnings[0];
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!(w.message, "the operations and billing contacts share the e-mail address \"OPS@example.com\"");
    assert_eq!((w.line, w.column), (9, 9));
}

#[test]
fn topic_without_emails_is_a_warning() {
    let loaded = config::parse(Path::new("baseline.toml"), "[notifications.billing]\ntopic = \"bill\"\n").unwrap();
    assert_eq!(loaded.warnings[0].message, "no e-mail address subscribed to the billing topic");
}

#[test]
fn shipped_and_example_baselines_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("baseline.toml")];
    for entry in std::fs::read_dir(root.join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
    assert!(files.len() >= 2, "examples/ should hold example baselines");
    for file in files {
        let loaded = config::load(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(loaded.warnings.is_empty(), "{}: {:?}", file.display(), loaded.warnings);
    }
}
