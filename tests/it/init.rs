//! `baseline init`: a commented baseline.toml a new user can validate at once, never written over a file
//! without `--force`.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::harness::{Moto, shipped_config, stderr, stdout};

/// Runs the binary in `dir` with nothing from the developer's AWS setup: init and validate make no AWS call.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baseline"))
        .current_dir(dir)
        .args(["--color", "never"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .stdin(Stdio::null())
        .output()
        .expect("run baseline")
}

/// The shipped baseline.toml as init writes it: without a first `#:schema` line, which points into the repository.
fn shipped_without_schema_line() -> String {
    let shipped = shipped_config();
    match shipped.split_once('\n') {
        Some((first, rest)) if first.starts_with("#:schema") => rest.to_string(),
        _ => shipped,
    }
}

#[test]
fn init_writes_the_commented_baseline_and_it_validates() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Wrote baseline.toml"), "{}", stdout(&out));
    assert!(stdout(&out).contains("  baseline -c baseline.toml validate"), "says what to do next: {}", stdout(&out));
    let written = std::fs::read_to_string(dir.path().join("baseline.toml")).unwrap();
    assert_eq!(written, shipped_without_schema_line());
    assert!(written.lines().filter(|l| l.trim_start().starts_with('#')).count() > 20, "commented:\n{written}");

    let out = run(dir.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("baseline.toml is valid"), "{}", stdout(&out));
    assert!(stdout(&out).contains(", 0 warnings."), "{}", stdout(&out));
}

#[test]
fn init_never_overwrites_a_file_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baseline.toml");
    std::fs::write(&path, "# my own baseline\n").unwrap();

    let out = run(dir.path(), &["init"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("baseline.toml already exists; nothing was written"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# my own baseline\n", "left as it was");

    let out = run(dir.path(), &["init", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), shipped_without_schema_line());
}

#[test]
fn init_writes_where_path_or_config_says() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["init", "--path", "prod.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!dir.path().join("baseline.toml").exists());
    let out = run(dir.path(), &["-c", "prod.toml", "validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = run(dir.path(), &["-c", "staging.toml", "init"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("  baseline -c staging.toml validate"), "{}", stdout(&out));
    assert_eq!(std::fs::read_to_string(dir.path().join("staging.toml")).unwrap(), shipped_without_schema_line());

    let out = run(dir.path(), &["init", "--path", "missing-dir/baseline.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("error: cannot write missing-dir/baseline.toml"), "{}", stderr(&out));
}

/// `regions` is a choice init does not read from the account: both files use the two regions of the emulator
/// tests, so the plan reads the same regions.
fn in_two_regions(text: &str) -> String {
    text.replacen("regions = \"all-enabled\"", "regions = [\"us-east-1\", \"eu-west-1\"]", 1)
}

#[test]
fn init_from_account_keeps_the_names_the_account_has_and_plans_no_change() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let renamed = [
        ("topic = \"baseline-security-notifications\"", "topic = \"acme-security\""),
        ("topic = \"baseline-billing-notifications\"", "topic = \"acme-billing\""),
        ("emails = [\"aws-security@example.com\"]", "emails = [\"soc@acme.test\", \"ciso@acme.test\"]"),
        ("trail = \"baseline-trail\"", "trail = \"acme-trail\""),
        ("bucket = \"baseline-logs-{account_id}-{region}\"", "bucket = \"acme-logs-{account_id}-{region}\""),
        ("access_log_bucket = \"baseline-access-logs-", "access_log_bucket = \"acme-access-logs-"),
        ("log_group = \"baseline-cloudtrail\"", "log_group = \"acme-trail-logs\""),
        ("role = \"baseline-cloudtrail-to-cloudwatch-logs\"", "role = \"acme-trail-to-logs\""),
        ("email = \"aws-security@example.com\"", "email = \"soc@acme.test\""),
        ("name = \"Security team\"", "name = \"Acme SOC\""),
    ];
    let mut applied = in_two_regions(&shipped_config());
    for (from, to) in renamed {
        assert!(applied.contains(from), "{from}");
        applied = applied.replacen(from, to, 1);
    }
    std::fs::write(dir.path().join("applied.toml"), &applied).unwrap();
    let out = moto.cli(dir.path(), &["-c", "applied.toml", "apply", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));

    let out = moto.cli(dir.path(), &["init", "--from-account", "--path", "generated.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("kept from the account: [cloudtrail] trail = \"acme-trail\""), "{}", stdout(&out));
    let generated = std::fs::read_to_string(dir.path().join("generated.toml")).unwrap();
    for (_, kept) in renamed {
        let kept = kept.replace("\"soc@acme.test\", \"ciso@acme.test\"", "\"ciso@acme.test\", \"soc@acme.test\"");
        assert!(generated.contains(&kept), "{kept} in\n{generated}");
    }
    assert!(generated.lines().filter(|l| l.trim_start().starts_with('#')).count() > 20, "still commented");
    std::fs::write(dir.path().join("generated.toml"), in_two_regions(&generated)).unwrap();

    // Only what no file can settle is left: the root user's MFA, a manual action in both plans.
    let summary = |file: &str| {
        let out = moto.cli(dir.path(), &["-c", file, "plan"]);
        assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
        stdout(&out).lines().find(|l| l.starts_with("Plan: ")).map(str::to_string)
    };
    let generated = summary("generated.toml");
    assert_eq!(generated.as_deref(), Some("Plan: 0 to create, 0 to update, 1 manual."));
    assert_eq!(generated, summary("applied.toml"));
}
