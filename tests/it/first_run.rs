//! What a new user sees on the first run, on a machine without AWS set up: the whole stderr of `plan` without
//! credentials, with an unknown profile, against an unreachable endpoint, and of `validate`. Only the tool's own
//! lines at the default verbosity; `-v` and `BASELINE_LOG` still show the SDK's.
//!
//! Hermetic: HOME and the shared config files point into a temporary directory, no AWS variable comes from the
//! developer's environment, and the instance metadata service (IMDS) is a closed loopback port. IMDS stays
//! enabled, so the SDK still tries it and logs its failure: the snapshots prove that noise is kept off stderr.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::fault_proxy::{FaultProxy, Match, Rule};
use crate::harness::*;

/// A loopback port nothing listens on: connections to it are refused at once.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A new user's machine: an empty home directory holding the shipped baseline.toml.
struct Machine {
    home: tempfile::TempDir,
    imds_port: u16,
}

impl Machine {
    fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("baseline.toml"), shipped_config()).unwrap();
        Self { home, imds_port: closed_port() }
    }

    fn path(&self) -> &Path {
        self.home.path()
    }

    /// Writes `~/.aws/<name>`.
    fn aws_file(&self, name: &str, text: &str) {
        std::fs::create_dir_all(self.path().join(".aws")).unwrap();
        std::fs::write(self.path().join(".aws").join(name), text).unwrap();
    }

    /// The `baseline` command with nothing from the developer's environment but PATH.
    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let aws = self.path().join(".aws");
        let mut command = Command::new(env!("CARGO_BIN_EXE_baseline"));
        command
            .current_dir(self.path())
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("AWS_CONFIG_FILE", aws.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", aws.join("credentials"))
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", format!("http://127.0.0.1:{}", self.imds_port))
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(args, env).output().expect("run baseline")
    }

    /// The exit code and the whole stderr, with the temporary home, the ports and OS error numbers redacted.
    fn record(&self, out: &Output, ports: &[u16]) -> String {
        let mut text = format!("exit code: {:?}\n--- stderr ---\n{}", out.status.code(), stderr(out));
        text = text.replace(&self.path().display().to_string(), "[HOME]");
        for port in ports.iter().chain([&self.imds_port]) {
            text = text.replace(&format!("127.0.0.1:{port}"), "127.0.0.1:[PORT]");
        }
        redact_os_errors(&text)
    }
}

/// `(os error 111)` → `(os error [N])`: the number differs between systems.
fn redact_os_errors(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("(os error ") {
        let (before, after) = rest.split_at(at + "(os error ".len());
        out.push_str(before);
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        out.push_str(if digits > 0 { "[N]" } else { "" });
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

#[test]
fn plan_without_credentials_says_how_to_get_some() {
    let machine = Machine::new();
    let out = machine.run(&["plan"], &[]);
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    insta::assert_snapshot!(machine.record(&out, &[]));
}

#[test]
fn plan_with_an_unknown_profile_names_the_files_read_and_the_profiles_found() {
    let machine = Machine::new();
    machine.aws_file("config", "[default]\nregion = eu-west-1\n\n[profile dev]\nregion = eu-west-1\n");
    machine.aws_file("credentials", "[ci]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n");
    let out = machine.run(&["--profile", "nope", "plan"], &[]);
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    insta::assert_snapshot!(machine.record(&out, &[]));
}

#[test]
fn plan_against_an_unreachable_endpoint_says_so_in_two_lines() {
    let machine = Machine::new();
    let endpoint = closed_port();
    let url = format!("http://127.0.0.1:{endpoint}");
    let keys = [("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", "secret")];
    let out = machine.run(&["--endpoint-url", &url, "plan"], &keys);
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    insta::assert_snapshot!(machine.record(&out, &[endpoint]));
}

/// `validate` names every section of the shipped file with what it manages. A family's table the shipped file
/// leaves out is checked here against the registry rather than kept in the snapshot, and the snapshot does not
/// keep the column width: adding a family that is off by default leaves it as it is.
#[test]
fn validate_names_every_section_of_the_shipped_file() {
    let machine = Machine::new();
    let out = machine.run(&["validate"], &[]);
    let text = stdout(&out);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let sections: Vec<(&str, &str)> = lines
        .map(|l| {
            let l = l.trim_start();
            let end = l.find("] ").unwrap_or_else(|| panic!("a section line: {l}")) + 1;
            (&l[..end], l[end..].trim_start())
        })
        .collect();
    // The summaries start in one column.
    let columns: std::collections::BTreeSet<usize> =
        text.lines().skip(1).zip(&sections).map(|(l, (_, summary))| l.len() - summary.len()).collect();
    assert_eq!(columns.len(), 1, "{text}");
    let unset = |summary: &str| summary == "not set: nothing managed";
    for table in baseline::config::FAMILY_TABLES {
        let named = sections.iter().filter(|(t, _)| t.trim_matches(['[', ']']) == *table).count();
        assert_eq!(named, 1, "[{table}] is named once:\n{text}");
    }
    let (set, all) = (sections.iter().filter(|(_, s)| !unset(s)).count(), sections.len());
    let counts = format!("{set} of {all} sections set");
    assert!(header.contains(&counts), "{header}: expected {counts}");
    let family_unset =
        |t: &str, s: &str| unset(s) && baseline::config::FAMILY_TABLES.contains(&t.trim_matches(['[', ']']));
    let kept: Vec<String> =
        sections.iter().filter(|(t, s)| !family_unset(t, s)).map(|(t, s)| format!("  {t} {s}")).collect();
    let header = header.replace(&counts, "[set] of [all] sections set");
    let record = format!("{}--- stdout ---\n{header}\n{}\n", machine.record(&out, &[]), kept.join("\n"));
    insta::assert_snapshot!(record);
}

/// The SDK's own lines are there for who asks: `-v`, or a `BASELINE_LOG` filter.
#[test]
fn verbose_and_baseline_log_show_the_sdks_lines() {
    let machine = Machine::new();
    let quiet = stderr(&machine.run(&["plan"], &[]));
    assert!(!quiet.contains("IMDS"), "{quiet}");
    for (args, env) in [(&["-v", "plan"][..], &[][..]), (&["plan"], &[("BASELINE_LOG", "warn")])] {
        let err = stderr(&machine.run(args, env));
        assert!(err.contains("failed to load region from IMDS"), "{args:?} {env:?}:\n{err}");
        assert!(err.contains("error: no AWS credentials found"), "the tool's own lines stay: {err}");
    }
}

/// Without AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, the files read are those under HOME, and the
/// error names them.
#[test]
fn the_default_shared_files_are_those_under_home() {
    let machine = Machine::new();
    let mut command = machine.command(&["--profile", "nope", "plan"], &[]);
    command.env_remove("AWS_CONFIG_FILE").env_remove("AWS_SHARED_CREDENTIALS_FILE");
    let err = stderr(&command.output().unwrap()).replace(&machine.path().display().to_string(), "[HOME]");
    assert!(
        err.starts_with(
            "error: no profile `nope` in the shared config files [HOME]/.aws/config (not found) and \
             [HOME]/.aws/credentials (not found); no profile found\n"
        ),
        "{err}"
    );
}

#[test]
fn an_expired_sso_session_asks_for_sso_login() {
    let machine = Machine::new();
    // Signed in once (`aws configure sso`), never logged in since: no token under ~/.aws/sso/cache.
    machine.aws_file(
        "config",
        "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n\
         region = us-east-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\
         sso_region = us-east-1\n",
    );
    let out = machine.run(&["--profile", "dev", "plan"], &[]);
    insta::assert_snapshot!(machine.record(&out, &[]));
}

#[test]
fn a_missing_region_says_where_to_set_one() {
    let machine = Machine::new();
    let without = shipped_config().replacen("home_region = \"us-east-1\"\n", "", 1);
    std::fs::write(machine.path().join("baseline.toml"), without).unwrap();
    let keys = [("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", "secret")];
    let out = machine.run(&["plan"], &keys);
    insta::assert_snapshot!(machine.record(&out, &[]));
}

/// A profile whose role STS refuses: AWS answers AssumeRole with `AccessDenied` "User: ... is not authorized
/// to perform: sts:AssumeRole on resource: <role>" when the role's trust policy does not let the caller in
/// (IAM User Guide, "Troubleshoot IAM roles", https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_roles.html).
/// The emulator lets anyone assume any role, so the proxy answers as AWS does.
#[test]
fn a_role_that_cannot_be_assumed_is_named_with_stss_answer() {
    let moto = Moto::start();
    let role = "arn:aws:iam::123456789012:role/Admin";
    let denied = format!(
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole on resource: {role}"
    );
    let proxy = FaultProxy::strict(
        &moto.endpoint,
        vec![Rule::error(Match::action("AssumeRole"), 403, "AccessDenied", &denied)],
        vec![],
    );
    let machine = Machine::new();
    machine
        .aws_file("config", &format!("[profile admin]\nrole_arn = {role}\nsource_profile = ci\nregion = us-east-1\n"));
    machine.aws_file("credentials", "[ci]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n");
    let out = machine.run(&["--profile", "admin", "plan"], &[("AWS_ENDPOINT_URL", &proxy.endpoint)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1));
    let mut lines = err.lines();
    assert_eq!(
        lines.next(),
        Some(format!("error: profile `admin` cannot assume role {role}: AccessDenied: {denied}").as_str()),
        "{err}"
    );
    let hint = lines.next().unwrap_or_default();
    assert!(hint.starts_with("  hint: let the caller assume the role"), "{err}");
    assert!(
        hint.contains(&format!("`aws sts assume-role --role-arn {role} --role-session-name check --profile ci`")),
        "{err}"
    );
    assert_eq!(lines.next(), None, "nothing but the tool's two lines:\n{err}");
}

/// Keys AWS does not know: STS answers GetCallerIdentity with 403 `InvalidClientTokenId` "The security token
/// included in the request is invalid." (AWS STS API Reference, "Common Errors",
/// https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html). The emulator takes any key, so the
/// proxy answers as AWS does.
#[test]
fn keys_aws_refuses_are_named_with_the_fix() {
    let moto = Moto::start();
    let invalid = "The security token included in the request is invalid.";
    let rule = Rule::error(Match::action("GetCallerIdentity"), 403, "InvalidClientTokenId", invalid);
    let proxy = FaultProxy::strict(&moto.endpoint, vec![rule], vec![]);
    let machine = Machine::new();
    let keys = [("AWS_ACCESS_KEY_ID", "AKIADELETED"), ("AWS_SECRET_ACCESS_KEY", "secret")];
    let out = machine.run(&["--endpoint-url", &proxy.endpoint, "plan"], &keys);
    let err = stderr(&out);
    assert_eq!(
        err,
        format!(
            "error: AWS refused the access key in AWS_ACCESS_KEY_ID: sts:GetCallerIdentity failed: \
             InvalidClientTokenId: {invalid}\n  hint: set current keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
             (and AWS_SESSION_TOKEN for temporary ones), or unset them to use a profile\n"
        )
    );
}
