//! Property tests of the configuration loader and validator against hostile input.
//!
//! Whatever the text, `config::parse` must not panic, and when it refuses the file every finding must say where
//! (file, line and column from 1) and what (a message that is not empty, free of raw control characters). Two
//! sources of text: random edits of the shipped baselines (characters inserted, deleted or replaced; lines
//! duplicated, deleted or swapped; truncation), and documents built from the real tables and keys with random and
//! hostile values.
//!
//! `PROPTEST_CASES` sets the number of cases of each test (default [`DEFAULT_CASES`]); each test prints the cases
//! run and the time taken. Failures are not persisted: a failing case is printed, shrunk, in the test output.

use std::cell::Cell;
use std::path::Path;
use std::time::Instant;

use baseline::config::{self, Diagnostic};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Cases per test when `PROPTEST_CASES` is not set: a few seconds each in a debug build.
const DEFAULT_CASES: u32 = 2000;

const SHIPPED: &str = include_str!("../baseline.toml");
const MINIMAL: &str = include_str!("../examples/minimal.toml");

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

/// Runs `test` over `strategy` and reports the number of cases and the time taken.
fn run<S: Strategy<Value = String>>(name: &str, strategy: S) {
    let mut runner = runner();
    let cases = runner.config().cases;
    let (accepted, refused) = (Cell::new(0u32), Cell::new(0u32));
    let started = Instant::now();
    let result = runner.run(&strategy, |text| {
        let ok = check(&text)?;
        let count = if ok { &accepted } else { &refused };
        count.set(count.get() + 1);
        Ok(())
    });
    eprintln!(
        "{name}: {cases} cases in {:.2?} ({} accepted, {} refused with located errors)",
        started.elapsed(),
        accepted.get(),
        refused.get()
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// The property: no panic (the runner catches one and reports it), and every finding is located and worded.
/// `Ok(true)`: the text was accepted.
fn check(text: &str) -> Result<bool, TestCaseError> {
    match config::parse(Path::new("baseline.toml"), text) {
        Ok(loaded) => loaded.warnings.iter().try_for_each(|w| located(w, text)).map(|()| true),
        Err(errors) => {
            prop_assert!(!errors.errors.is_empty(), "refused without an error");
            errors.errors.iter().chain(&errors.warnings).try_for_each(|d| located(d, text)).map(|()| false)
        }
    }
}

fn located(d: &Diagnostic, text: &str) -> Result<(), TestCaseError> {
    let lines = text.split('\n').count();
    prop_assert_eq!(d.path.as_path(), Path::new("baseline.toml"), "{:?}", d);
    prop_assert!(d.line >= 1 && d.line <= lines, "line {} of {}: {:?}", d.line, lines, d);
    let line_chars = text.split('\n').nth(d.line - 1).map_or(0, |l| l.chars().count());
    prop_assert!(d.column >= 1 && d.column <= line_chars + 1, "column {} of {}: {:?}", d.column, line_chars, d);
    prop_assert!(!d.message.trim().is_empty(), "empty message: {:?}", d);
    for part in [&d.message, &d.label] {
        prop_assert!(!part.chars().any(char::is_control), "raw control character in {:?}", part);
    }
    prop_assert!(d.help.as_deref().is_none_or(|h| !h.chars().any(char::is_control)), "control character in help");
    let rendered = d.render(false);
    prop_assert!(rendered.contains(&d.message) || !d.message.is_ascii(), "{rendered}");
    let location = format!("baseline.toml:{}:{}: ", d.line, d.column);
    prop_assert!(d.to_string().starts_with(&location), "{} does not start with {}", d, location);
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// (a) Edits of the shipped files

#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, String),
    Delete(Index, usize),
    Replace(Index, char),
    DuplicateLine(Index),
    DeleteLine(Index),
    SwapLines(Index, Index),
    Truncate(Index),
}

/// Characters that matter to TOML or to the validator, control and invisible characters, and anything else.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        select(vec![
            '"', '\'', '[', ']', '{', '}', '=', '.', ',', '#', '\\', '\n', '\r', '\t', ' ', '@', '*', '/', ':'
        ]),
        select(vec!['\0', '\u{1b}', '\u{7f}', '\u{85}', '\u{200b}', '\u{202e}', '\u{feff}', 'é', '😀', '\u{10ffff}']),
        any::<char>(),
        proptest::char::range('a', 'z'),
        proptest::char::range('0', '9'),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<Index>(), prop::collection::vec(hostile_char(), 1..4))
            .prop_map(|(i, s)| Edit::Insert(i, s.into_iter().collect())),
        1 => (any::<Index>(), hostile_string()).prop_map(|(i, s)| Edit::Insert(i, s)),
        2 => (any::<Index>(), 1..8usize).prop_map(|(i, n)| Edit::Delete(i, n)),
        3 => (any::<Index>(), hostile_char()).prop_map(|(i, c)| Edit::Replace(i, c)),
        1 => any::<Index>().prop_map(Edit::DuplicateLine),
        1 => any::<Index>().prop_map(Edit::DeleteLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ]
}

/// Byte offsets of the character boundaries of `text`, end included.
fn boundaries(text: &str) -> Vec<usize> {
    text.char_indices().map(|(i, _)| i).chain([text.len()]).collect()
}

fn apply(mut text: String, edit: &Edit) -> String {
    let at = |text: &str, i: &Index| {
        let b = boundaries(text);
        b[i.index(b.len())]
    };
    let lines = |text: &str| text.split_inclusive('\n').map(str::to_string).collect::<Vec<_>>();
    match edit {
        Edit::Insert(i, s) => {
            let p = at(&text, i);
            text.insert_str(p, s);
        }
        Edit::Delete(i, n) => {
            let b = boundaries(&text);
            let start = i.index(b.len());
            let end = (start + n).min(b.len() - 1);
            text.replace_range(b[start]..b[end], "");
        }
        Edit::Replace(i, c) => {
            let b = boundaries(&text);
            if b.len() > 1 {
                let k = i.index(b.len() - 1);
                text.replace_range(b[k]..b[k + 1], c.encode_utf8(&mut [0; 4]));
            }
        }
        Edit::DuplicateLine(i) => {
            let mut l = lines(&text);
            if !l.is_empty() {
                let k = i.index(l.len());
                l.insert(k, l[k].clone());
            }
            text = l.concat();
        }
        Edit::DeleteLine(i) => {
            let mut l = lines(&text);
            if !l.is_empty() {
                l.remove(i.index(l.len()));
            }
            text = l.concat();
        }
        Edit::SwapLines(a, b) => {
            let mut l = lines(&text);
            if !l.is_empty() {
                let (a, b) = (a.index(l.len()), b.index(l.len()));
                l.swap(a, b);
            }
            text = l.concat();
        }
        Edit::Truncate(i) => {
            let p = at(&text, i);
            text.truncate(p);
        }
    }
    text
}

fn edited(seed: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(edit(), 1..8).prop_map(move |edits| edits.iter().fold(seed.to_string(), apply))
}

#[test]
fn edited_shipped_baselines_never_panic_and_every_error_is_located() {
    run("edited baseline.toml and examples/minimal.toml", prop_oneof![3 => edited(SHIPPED), 1 => edited(MINIMAL)]);
}

// ---------------------------------------------------------------------------------------------------------------
// (b) Documents built from the real tables and keys

/// Values an attacker or a careless edit would try: overlong, invisible, control characters, wildcards, paths,
/// ARNs of other accounts, reserved and IP-shaped bucket names, e-mails with extra recipients.
const HOSTILE: &[&str] = &[
    "",
    " ",
    "*",
    "?",
    "../",
    "../../etc/passwd",
    "/",
    "//",
    "{",
    "}",
    "{acct}",
    "{account_id}",
    "{region}",
    "\"",
    "'",
    "\\",
    "\n",
    "\r\n",
    "\t",
    "\0",
    "\u{1b}[2J\u{1b}[H",
    "\u{7f}",
    "\u{85}",
    "a\u{202e}b",
    "\u{200b}",
    "\u{feff}",
    "😀",
    "ｅｘａｍｐｌｅ",
    "arn:aws:iam::999999999999:policy/AdministratorAccess",
    "arn:aws:iam::*:root",
    "arn:aws:iam::999999999999:root",
    "arn:aws:iam::aws:policy/*",
    "arn:aws:kms:us-east-1:999999999999:alias/aws/s3",
    "arn:aws:kms:*:*:key/*",
    "arn:aws:sts::999999999999:assumed-role/x/y",
    "192.168.1.1",
    "10.0.0.1",
    "xn--bucket",
    "sthree-bucket",
    "bucket-s3alias",
    "bucket--ol-s3",
    "a..b",
    "UPPER-case",
    "under_score",
    "aws/logs",
    "AWS/Logs",
    "alias/logs",
    "a@b.co\nBcc: eve@example.org",
    "a@b.co,eve@example.org",
    "Bob <bob@example.com>",
    "bob@example",
    "@",
    "ou-ab12-cd34ef56",
    "r-ab12",
    "111111111111",
    "999999999999",
    "12345",
    "-1",
    "NaN",
    "1e309",
];

/// Values that pass, so generated documents get past the first checks and reach the later ones.
const PLAUSIBLE: &[&str] = &[
    "us-east-1",
    "eu-west-1",
    "all-enabled",
    "baseline-logs-{account_id}-{region}",
    "example-cost-reports",
    "aws-security@example.com",
    "aws-billing@example.com",
    "+1 206 555 0100",
    "US",
    "Security team",
    "security-notifications",
    "billing-notifications",
    "baseline-trail",
    "baseline-cloudtrail",
    "cloudtrail",
    "arn:aws:iam::aws:policy/SecurityAudit",
    "arn:aws:iam::111111111111:policy/Auditors",
    "arn:aws:iam::111111111111:role/SupportTeam",
    "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "/baseline/",
    "cis",
    "all",
    "none",
    "root-usage",
    "{ ($.eventName = CreateUser) }",
    "CLOUD_TRAIL_ENABLED",
    "IAM_PASSWORD_POLICY",
    "home",
    "DAILY",
    "MONTHLY",
    "USD",
    "Parquet",
    "TwentyFour_Hours",
    "OrganizationAccountAccessRole",
];

fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        select(HOSTILE).prop_map(str::to_string),
        (select(HOSTILE), select(PLAUSIBLE), select(HOSTILE)).prop_map(|(a, b, c)| format!("{a}{b}{c}")),
        (select(vec!["a", "é", "😀", "-", "\u{202e}", "0"]), 200..5000usize).prop_map(|(s, n)| s.repeat(n)),
        any::<String>(),
        "[ -~]{0,40}",
    ]
}

fn string_value() -> impl Strategy<Value = String> {
    prop_oneof![2 => select(PLAUSIBLE).prop_map(str::to_string), 3 => hostile_string()]
}

/// The tables of baseline.toml and their keys (arrays of tables are written `[[...]]`).
const TABLES: &[(&str, &[&str])] = &[
    ("[baseline]", &["home_region", "regions", "exclude_regions", "allowed_account_ids", "tags"]),
    (
        "[contacts.primary]",
        &[
            "full_name",
            "company_name",
            "address_line1",
            "address_line2",
            "address_line3",
            "city",
            "state_or_region",
            "district_or_county",
            "postal_code",
            "country_code",
            "phone",
            "website_url",
        ],
    ),
    ("[contacts.billing]", &["name", "title", "email", "phone"]),
    ("[contacts.operations]", &["name", "title", "email", "phone"]),
    ("[contacts.security]", &["name", "title", "email", "phone"]),
    ("[notifications.security]", &["topic", "emails"]),
    ("[notifications.billing]", &["topic", "emails"]),
    (
        "[log_archive]",
        &[
            "bucket",
            "region",
            "account_id",
            "kms_key_arn",
            "transition_days",
            "expiration_days",
            "noncurrent_expiration_days",
        ],
    ),
    (
        "[cloudtrail]",
        &["trail", "s3_key_prefix", "kms_key_arn", "log_group", "retention_days", "role", "require_own_trail"],
    ),
    ("[s3]", &["account_public_access_block"]),
    ("[ebs]", &["encryption_by_default"]),
    ("[alarms]", &["set", "namespace", "disabled"]),
    ("[alarms.tune.root-usage]", &["threshold", "period", "evaluation_periods"]),
    (
        "[[alarms.custom]]",
        &["id", "pattern", "metric_name", "description", "threshold", "period", "evaluation_periods"],
    ),
    ("[iam]", &["root_checks"]),
    (
        "[iam.password_policy]",
        &[
            "minimum_length",
            "require_uppercase",
            "require_lowercase",
            "require_numbers",
            "require_symbols",
            "allow_users_to_change",
            "reuse_prevention",
            "max_age_days",
            "hard_expiry",
        ],
    ),
    ("[[iam.groups]]", &["name", "path", "policies", "exclusive"]),
    ("[iam.support_role]", &["name", "trusted_principal"]),
    (
        "[[budgets]]",
        &["name", "limit", "currency", "time_unit", "forecasted_thresholds", "actual_thresholds", "emails"],
    ),
    ("[budgets.filters]", &["services", "linked_accounts", "tags"]),
    ("[billing_reports]", &["report", "bucket", "prefix", "time_unit", "format"]),
    ("[config]", &["recorder_name", "delivery_prefix", "delivery_frequency", "notify_noncompliance"]),
    ("[[config.rules]]", &["identifier", "name", "parameters", "regions"]),
    (
        "[accounts]",
        &["organization", "ids", "include_ous", "exclude_ous", "exclude", "role", "external_id", "session_name"],
    ),
    ("[accounts.overrides.111111111111.contacts.security]", &["name", "title", "email", "phone"]),
    ("[[accounts.overrides.111111111111.budgets]]", &["name", "limit", "emails"]),
];

/// [`TABLES`], and each table a resource family owns (`config::FAMILY_TABLES`, from the registry) with the keys
/// the schema documents for it: a new family's table is fuzzed without being listed here.
fn tables() -> &'static [(&'static str, &'static [&'static str])] {
    static ALL: std::sync::LazyLock<Vec<(&'static str, &'static [&'static str])>> = std::sync::LazyLock::new(|| {
        let schema: serde_json::Value = serde_json::from_str(include_str!("../schema/baseline.schema.json")).unwrap();
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let mut all = TABLES.to_vec();
        for table in config::FAMILY_TABLES {
            let properties = schema["properties"][table]["properties"].as_object();
            let keys: Vec<&'static str> = properties
                .unwrap_or_else(|| panic!("the schema documents [{table}]"))
                .keys()
                .cloned()
                .map(leak)
                .collect();
            all.push((leak(format!("[{table}]")), Box::leak(keys.into_boxed_slice())));
        }
        all
    });
    &ALL
}

fn all_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = tables().iter().flat_map(|(_, keys)| keys.iter().copied()).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// A TOML value, encoded by the `toml` crate so that most documents parse and reach the validator.
fn value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        4 => string_value().prop_map(toml::Value::String),
        2 => prop_oneof![any::<i64>(), -5..5000i64].prop_map(toml::Value::Integer),
        1 => any::<f64>().prop_map(toml::Value::Float),
        1 => any::<bool>().prop_map(toml::Value::Boolean),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(toml::Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|entries| toml::Value::Table(entries.into_iter().collect())),
        ]
    })
}

/// Mostly a real key, sometimes a hostile one (quoted by the encoder).
fn key() -> impl Strategy<Value = String> {
    prop_oneof![6 => select(all_keys()).prop_map(str::to_string), 1 => hostile_string()]
}

/// One line `key = value`: usually well encoded, sometimes the raw hostile text so the parser sees it too.
fn entry(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    let real_key = select(keys).prop_map(str::to_string);
    let any_key = prop_oneof![8 => real_key, 1 => key()];
    let encoded = (any_key.clone(), value()).prop_map(|(k, v)| {
        let mut table = toml::Table::new();
        table.insert(k, v);
        toml::to_string(&table).unwrap_or_default()
    });
    let raw = (any_key, hostile_string()).prop_map(|(k, v)| format!("{k} = {v}\n"));
    prop_oneof![9 => encoded, 1 => raw]
}

fn table() -> impl Strategy<Value = String> {
    (0..tables().len()).prop_flat_map(|i| {
        let (header, keys) = tables()[i];
        prop::collection::vec(entry(keys), 0..6).prop_map(move |entries| format!("{header}\n{}", entries.concat()))
    })
}

fn document() -> impl Strategy<Value = String> {
    prop::collection::vec(table(), 0..10).prop_map(|tables| tables.join("\n"))
}

#[test]
fn generated_documents_never_panic_and_every_error_is_located() {
    run("generated documents", document());
}

/// A few inputs that need no randomness: empty, huge, deeply nested.
#[test]
fn extreme_documents() {
    let deep =
        |open: &str, close: &str, n: usize| format!("[baseline]\nregions = {}{}\n", open.repeat(n), close.repeat(n));
    for text in [
        String::new(),
        "\u{feff}".to_string(),
        "\0".repeat(1000),
        format!("[notifications.security]\ntopic = \"{}\"\n", "t".repeat(1_000_000)),
        deep("[", "]", 5_000),
        deep("{a=", "}", 5_000),
        format!("{}\n", "[[iam.groups]]\nname = \"g\"\n".repeat(2_000)),
    ] {
        check(&text).unwrap_or_else(|e| panic!("{e}"));
    }
}
