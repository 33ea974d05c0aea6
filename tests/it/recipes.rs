//! The scheduled drift recipes of examples/drift/ and what they rely on: each recipe is valid YAML or JSON and
//! calls `baseline` only with subcommands and options that exist (checked against the clap definitions the
//! binary is built from); its shard count agrees with its engine's; `--shard NAME/N` reads the engine's 0-based
//! index; and `plan --detailed-exitcode` keeps its contract (exit codes, JSON lines, Markdown summary) in an
//! organization run. Also the generated shell completions and man page.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command as Process, Output, Stdio};

use clap::Parser;
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

use crate::fault_proxy::{FaultProxy, Faults, Match, Rule};
use crate::harness::{ACCOUNT, Moto, command, stderr, stdout};
use crate::organization::{baseline_toml, organization};

/// The command line the binary parses, compiled here too so that a recipe is checked exactly as `baseline`
/// would read it.
#[allow(dead_code)]
#[path = "../../src/cli.rs"]
mod cli;

use cli::{Cli, Command};

/// Uses in the recipes of features not built yet, exactly as written there (the arguments after `baseline`).
/// Each must be found in a recipe and must still be refused; when its feature lands, remove it from here.
const FUTURE: &[&str] = &[];

fn recipe(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/drift").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(name: &str) -> Vec<Yaml> {
    YamlLoader::load_from_str(&recipe(name)).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"))
}

fn strings(node: &Yaml) -> Vec<String> {
    node.as_vec().map(|v| v.iter().map(|s| s.as_str().expect("a string").to_string()).collect()).unwrap_or_default()
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    /// A control operator or redirection (`;`, `&&`, `|`, `>`, a newline...): it ends a command's arguments.
    Op,
}

/// A shell script as words and operators: quotes removed, comments and line continuations dropped. A GitHub
/// expression (`${{ matrix.shard }}`) stands for `1`. Enough for the scripts of the recipes.
fn tokens(script: &str) -> Vec<Token> {
    let mut text = script.replace("\\\n", " ");
    while let Some(start) = text.find("${{") {
        let end = start + text[start..].find("}}").expect("a closed ${{ expression }}") + 2;
        text.replace_range(start..end, "1");
    }
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => word.get_or_insert_with(String::new).extend(chars.by_ref().take_while(|&c| c != '\'')),
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '#' if word.is_none() => while chars.next_if(|&c| c != '\n').is_some() {},
            ';' | '&' | '|' | '<' | '>' | '(' | ')' | '\n' => {
                out.extend(word.take().map(Token::Word));
                out.push(Token::Op);
            }
            c if c.is_whitespace() => out.extend(word.take().map(Token::Word)),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(word.take().map(Token::Word));
    out
}

/// The arguments of each `baseline` command of a shell script (`baseline` where a command starts).
fn shell_invocations(script: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut at_command = true;
    let mut tokens = tokens(script).into_iter();
    while let Some(token) = tokens.next() {
        match token {
            Token::Op => at_command = true,
            Token::Word(w) if at_command && w == "baseline" => {
                found
                    .push(tokens.by_ref().map_while(|t| if let Token::Word(w) = t { Some(w) } else { None }).collect());
            }
            Token::Word(w) => {
                at_command = at_command && ["if", "then", "do", "else", "elif", "!", "time"].contains(&&*w)
            }
        }
    }
    found
}

/// Every `baseline` invocation of every recipe, with the recipe's name.
fn invocations() -> Vec<(&'static str, Vec<String>)> {
    let mut all = Vec::new();
    let workflow = &yaml("github-actions.yml")[0];
    for (_, job) in workflow["jobs"].as_hash().expect("jobs") {
        for step in job["steps"].as_vec().expect("steps") {
            for args in step["run"].as_str().map(shell_invocations).unwrap_or_default() {
                all.push(("github-actions.yml", args));
            }
        }
    }
    for doc in yaml("kubernetes-cronjob.yaml") {
        for container in
            doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"].as_vec().into_iter().flatten()
        {
            let command = strings(&container["command"]);
            if command.first().is_some_and(|c| c == "baseline") {
                all.push(("kubernetes-cronjob.yaml", [&command[1..], &strings(&container["args"])[..]].concat()));
            }
        }
    }
    let batch = batch_recipe();
    let command: Vec<String> =
        serde_json::from_value(batch["registerJobDefinition"]["containerProperties"]["command"].clone())
            .expect("the job definition's command");
    assert_eq!(command[0], "baseline");
    all.push(("aws-batch-array-job.json", command[1..].to_vec()));
    all
}

fn batch_recipe() -> Value {
    serde_json::from_str(&recipe("aws-batch-array-job.json")).expect("aws-batch-array-job.json is valid JSON")
}

fn parse(args: &[String]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("baseline").chain(args.iter().map(String::as_str)))
}

#[test]
fn the_drift_recipes_call_only_subcommands_and_options_that_exist() {
    let all = invocations();
    let mut future_seen = BTreeSet::new();
    for (recipe, args) in &all {
        let line = args.join(" ");
        if FUTURE.contains(&line.as_str()) {
            assert!(parse(args).is_err(), "`baseline {line}` ({recipe}) works now: remove it from FUTURE");
            future_seen.insert(line);
            continue;
        }
        if let Err(e) = parse(args) {
            panic!("{recipe}: `baseline {line}` is not a valid command line:\n{e}");
        }
    }
    assert_eq!(
        future_seen,
        FUTURE.iter().map(|f| f.to_string()).collect::<BTreeSet<_>>(),
        "every FUTURE use is in a recipe"
    );
    // Each recipe runs the drift check itself.
    for name in ["github-actions.yml", "kubernetes-cronjob.yaml", "aws-batch-array-job.json"] {
        let drift = all.iter().filter(|(r, _)| *r == name).filter_map(|(_, args)| parse(args).ok()).any(
            |cli| matches!(cli.command, Command::Plan(p) if p.detailed_exitcode && p.json && p.run.shard.is_some()),
        );
        assert!(drift, "{name} runs `plan --detailed-exitcode --json --shard`");
    }
    // The parser really refuses what does not exist.
    assert!(parse(&["plan".into(), "--detailed-exit-code".into()]).is_err());
    assert!(parse(&["plan".into(), "--shard".into(), "9/8".into()]).is_err());
}

/// `--shard` of the recipe's drift check, as `(what it reads, N)`.
fn drift_shard(name: &str) -> (String, u32) {
    let shards: Vec<String> = invocations()
        .into_iter()
        .filter(|(r, _)| *r == name)
        .filter_map(|(_, args)| match parse(&args).ok()?.command {
            Command::Plan(p) if p.detailed_exitcode => p.run.shard.map(|s| s.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(shards.len(), 1, "{name}: one drift check");
    let (index, count) = shards[0].split_once('/').unwrap();
    (index.to_string(), count.parse().unwrap())
}

#[test]
fn each_recipe_has_as_many_workers_as_shards() {
    // GitHub Actions: a matrix of 1..=N, the 1-based form; the Markdown summary on the job page.
    let workflow = &yaml("github-actions.yml")[0];
    let drift = &workflow["jobs"]["drift"];
    let matrix: Vec<i64> =
        drift["strategy"]["matrix"]["shard"].as_vec().unwrap().iter().filter_map(Yaml::as_i64).collect();
    let (_, n) = drift_shard("github-actions.yml");
    assert_eq!(matrix, (1..=i64::from(n)).collect::<Vec<_>>());
    let run = drift["steps"].as_vec().unwrap().iter().filter_map(|s| s["run"].as_str()).collect::<String>();
    assert!(run.contains("--markdown-summary \"$GITHUB_STEP_SUMMARY\""), "{run}");
    assert!(!workflow["jobs"]["apply"]["environment"].is_badvalue(), "apply waits for an environment's approval");
    assert!(workflow["on"]["schedule"][0]["cron"].as_str().is_some(), "scheduled");

    // Kubernetes: an Indexed Job of N pods, each reading its 0-based index.
    let cronjob = yaml("kubernetes-cronjob.yaml").into_iter().find(|d| d["kind"].as_str() == Some("CronJob")).unwrap();
    let job = &cronjob["spec"]["jobTemplate"]["spec"];
    assert_eq!(job["completionMode"].as_str(), Some("Indexed"));
    let (var, n) = drift_shard("kubernetes-cronjob.yaml");
    assert_eq!(var, "JOB_COMPLETION_INDEX");
    assert_eq!(job["completions"].as_i64(), Some(i64::from(n)));
    assert_eq!(job["parallelism"].as_i64(), Some(i64::from(n)));
    assert_eq!(job["template"]["spec"]["restartPolicy"].as_str(), Some("Never"));

    // AWS Batch: an array job of N children, submitted by hand or on schedule.
    let batch = batch_recipe();
    let (var, n) = drift_shard("aws-batch-array-job.json");
    assert_eq!(var, "AWS_BATCH_JOB_ARRAY_INDEX");
    assert_eq!(batch["submitJob"]["arrayProperties"]["size"], n);
    assert_eq!(batch["scheduleTargets"]["Targets"][0]["BatchParameters"]["ArrayProperties"]["Size"], n);
    assert_eq!(batch["submitJob"]["jobDefinition"], batch["registerJobDefinition"]["jobDefinitionName"]);
}

/// Runs the binary with no AWS setup, in `dir`.
fn baseline(dir: &Path, args: &[&str]) -> Output {
    Process::new(env!("CARGO_BIN_EXE_baseline"))
        .current_dir(dir)
        .args(args)
        .env_clear()
        .env("HOME", dir)
        .stdin(Stdio::null())
        .output()
        .expect("run baseline")
}

const SUBCOMMANDS: [&str; 6] = ["validate", "plan", "apply", "policy", "completions", "man"];

#[test]
fn completions_for_each_shell_name_the_subcommands_and_options() {
    // No baseline.toml here: the scripts need none.
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef baseline"),
        ("fish", "complete -c baseline"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = baseline(dir.path(), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: {script}");
        for word in SUBCOMMANDS.iter().chain(&["--detailed-exitcode", "--shard", "--markdown-summary"]) {
            assert!(script.contains(word.trim_start_matches('-')), "{shell} completes {word}");
        }
    }
    // The bash script is valid bash.
    let script = dir.path().join("baseline.bash");
    std::fs::write(&script, stdout(&baseline(dir.path(), &["completions", "bash"]))).unwrap();
    let check = Process::new("bash").arg("-n").arg(&script).output().expect("bash");
    assert!(check.status.success(), "{}", stderr(&check));
    // A shell it does not know is a usage error: exit 1, as every usage error (2 means "changes pending").
    let out = baseline(dir.path(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("invalid value 'tcsh'"), "{}", stderr(&out));
}

/// The page as a reader sees it: roff rendered to plain text, in lines long enough that no word is hyphenated.
fn render_man(roff: &str) -> String {
    let mut groff = Process::new("groff")
        .args(["-man", "-Tascii", "-P-cbou", "-rLL=2000n"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("groff (Debian: groff-base) renders the man page");
    std::io::Write::write_all(&mut groff.stdin.take().unwrap(), roff.as_bytes()).unwrap();
    let out = groff.wait_with_output().unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "groff: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn the_man_pages_render_and_name_the_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let out = baseline(dir.path(), &["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let roff = stdout(&out);
    assert!(roff.contains(".TH baseline 1"), "{roff}");
    let page = render_man(&roff);
    for section in ["NAME", "SYNOPSIS", "OPTIONS", "SUBCOMMANDS"] {
        assert!(page.contains(section), "{section} in:\n{page}");
    }
    for sub in SUBCOMMANDS {
        assert!(page.contains(&format!("baseline-{sub}(1)")), "{sub} in:\n{page}");
    }
    // A subcommand's page: its options with their help, the --shard forms included.
    let out = baseline(dir.path(), &["man", "plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = render_man(&stdout(&out));
    for text in ["--detailed-exitcode", "--shard", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX", "--json"] {
        assert!(page.contains(text), "{text} in:\n{page}");
    }
    let out = baseline(dir.path(), &["man", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("`nope` is not a subcommand of baseline"), "{}", stderr(&out));
}

/// `--shard NAME/N` with NAME unset, not a number, or N or more: exit 1 with the reason, before any AWS call.
/// So is any command line clap refuses (its own code, 2, would read as "changes pending").
#[test]
fn a_shard_index_missing_or_wrong_in_the_environment_stops_before_any_aws_call() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), baseline_toml("222222222222")).unwrap();
    let args = ["plan", "--detailed-exitcode", "--json", "--shard", "JOB_COMPLETION_INDEX/3"];
    for (value, reason) in [
        (None, "the environment variable JOB_COMPLETION_INDEX is not set"),
        (Some("two"), "JOB_COMPLETION_INDEX=\"two\" is not a 0-based index (a whole number from 0 to 2)"),
        (Some("3"), "JOB_COMPLETION_INDEX=3 is out of range: a 0-based index must be below 3"),
    ] {
        let mut run = command(dir.path(), &endpoint, ("test", "test"), &args);
        if let Some(value) = value {
            run.env("JOB_COMPLETION_INDEX", value);
        }
        let out = run.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{value:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(&format!("error: --shard JOB_COMPLETION_INDEX/3: {reason}")), "{}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    for (bad, reason) in [
        (&["plan", "--shard", "0/3"][..], "`0/3` is not a shard"),
        (&["plan", "--shard", "JOB_COMPLETION_INDEX"], "write NAME/N with N >= 1"),
        (&["plan", "--detailed-exit-code"], "unexpected argument '--detailed-exit-code'"),
    ] {
        let out = command(dir.path(), &endpoint, ("test", "test"), bad).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{bad:?}");
        assert!(stderr(&out).contains(reason), "{bad:?}: {}", stderr(&out));
    }
    assert!(listener.accept().is_err(), "no connection may reach the endpoint");
    let help = baseline(dir.path(), &["plan", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("JOB_COMPLETION_INDEX/8"), "{}", stdout(&help));
}

/// A baseline quick to plan and apply across an organization.
const SMALL_ORGANIZATION: &str = r#"
[baseline]
home_region = "us-east-1"
regions = ["us-east-1"]

[accounts]
organization = true

[notifications.security]
topic = "security-notifications"
emails = ["aws-security@example.com"]
"#;

/// The JSON lines of a run: account lines, then the summary line.
fn lines(out: &Output) -> (Vec<Value>, Value) {
    let mut all: Vec<Value> = stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}\n{}", stderr(out))))
        .collect();
    let summary = all.pop().expect("a summary line");
    assert_eq!(summary["type"], "summary", "the summary line comes last");
    (all, summary)
}

fn ids(accounts: &[Value]) -> BTreeSet<String> {
    accounts.iter().map(|a| a["account"].as_str().unwrap().to_string()).collect()
}

/// An account line carries what a recipe's consumers read: the account, its status, and its plan (or, for an
/// account that could not be planned, the error).
fn assert_account_line(a: &Value) {
    for key in ["format_version", "type", "account", "name", "status"] {
        assert!(a.get(key).is_some(), "{key} in {a}");
    }
    assert_eq!(a["format_version"], "1.0");
    assert_eq!(a["type"], "account");
    if a["status"] == "failed" {
        assert!(a["error"].is_string() && a.get("plan").is_none(), "{a}");
        return;
    }
    assert_eq!(a["plan"]["account"], a["account"]);
    for key in ["summary", "changes", "notices", "errors", "complete"] {
        assert!(a["plan"].get(key).is_some(), "plan.{key} in {a}");
    }
    for change in a["plan"]["changes"].as_array().unwrap() {
        assert!(change["address"].as_str().unwrap().starts_with(a["account"].as_str().unwrap()), "{change}");
        assert!(change["action"].is_string(), "{change}");
    }
}

/// The closing line: totals over the `accounts` lines, the failed accounts, the API calls.
fn assert_summary_line(summary: &Value, accounts: &[Value]) {
    for key in ["format_version", "accounts", "in_sync", "changes", "applied", "failed", "failed_accounts", "api_calls"]
    {
        assert!(summary.get(key).is_some(), "{key} in {summary}");
    }
    assert_eq!(summary["accounts"], accounts.len());
    let failed: Vec<&Value> = accounts.iter().filter(|a| a["status"] == "failed").map(|a| &a["account"]).collect();
    let listed: Vec<&Value> = summary["failed_accounts"].as_array().unwrap().iter().map(|f| &f["account"]).collect();
    assert_eq!(listed, failed);
    for a in accounts {
        assert_account_line(a);
    }
}

/// The Markdown sections in `file`: each title and its account rows as `(account, status)`.
fn markdown(file: &Path) -> Vec<(String, Vec<(String, String)>)> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("### ") {
            sections.push((title.to_string(), Vec::new()));
        } else if line.starts_with("| Account ") {
            assert_eq!(line, "| Account | Name | Status | Create | Update | Manual | Note |");
        } else if let Some(row) = line.strip_prefix("| ").filter(|r| r.starts_with(|c: char| c.is_ascii_digit())) {
            let cells: Vec<&str> = row.split(" | ").collect();
            sections.last_mut().expect("a title first").1.push((cells[0].to_string(), cells[2].to_string()));
        }
    }
    sections
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sharded_drift_check_reads_its_index_from_the_environment_and_keeps_its_contract() {
    let moto = Moto::start();
    let (_org, members) = organization(&moto, 3).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), SMALL_ORGANIZATION).unwrap();
    let run = |endpoint: &str, args: &[&str], env: &[(&str, &str)]| {
        let mut command = command(dir.path(), endpoint, ("test", "test"), args);
        command.envs(env.iter().copied());
        command.output().unwrap()
    };
    let everyone: BTreeSet<String> = members.iter().cloned().chain([ACCOUNT.to_string()]).collect();

    // Index K of an engine's workers plans the same accounts as shard K+1; the shards cover every account once.
    let mut shards: Vec<BTreeSet<String>> = Vec::new();
    for k in 0..2 {
        let (by_number, _) = lines(&run(&moto.endpoint, &["plan", "--json", "--shard", &format!("{}/2", k + 1)], &[]));
        for var in ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"] {
            let shard = format!("{var}/2");
            let out = run(&moto.endpoint, &["plan", "--json", "--shard", &shard], &[(var, &k.to_string())]);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            assert_eq!(ids(&lines(&out).0), ids(&by_number), "{var}={k} is shard {}/2", k + 1);
        }
        shards.push(ids(&by_number));
    }
    // The run says which shard it is and where the index came from.
    let out = run(&moto.endpoint, &["plan", "--shard", "JOB_COMPLETION_INDEX/2"], &[("JOB_COMPLETION_INDEX", "1")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let described = format!("Planning {} of 4 accounts (shard 2/2, from JOB_COMPLETION_INDEX).", shards[1].len());
    assert!(stderr(&out).contains(&described), "{}", stderr(&out));
    assert_eq!(shards.iter().flatten().cloned().collect::<BTreeSet<_>>(), everyone);
    assert_eq!(shards.iter().map(BTreeSet::len).sum::<usize>(), everyone.len(), "no account in two shards");
    // The shard with a member account in it (members are reached through an assumed role).
    let k = shards.iter().position(|s| members.iter().any(|m| s.contains(m))).unwrap();
    let shard = &shards[k];
    let member = members.iter().find(|m| shard.contains(*m)).unwrap().clone();
    let index = k.to_string();
    let env = [("JOB_COMPLETION_INDEX", index.as_str())];
    let check = [
        "plan",
        "--detailed-exitcode",
        "--json",
        "--shard",
        "JOB_COMPLETION_INDEX/2",
        "--markdown-summary",
        "summary.md",
    ];

    // Drift: exit 2, one JSON line per account of the shard then a summary, a Markdown row per account.
    let out = run(&moto.endpoint, &check, &env);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let (accounts, summary) = lines(&out);
    assert_eq!(ids(&accounts), *shard);
    assert_summary_line(&summary, &accounts);
    assert!(accounts.iter().all(|a| a["status"] == "changes"), "{accounts:?}");
    assert_eq!(summary["changes"], shard.len());
    assert_eq!(summary["api_calls"]["writes"], 0);
    let sections = markdown(&dir.path().join("summary.md"));
    assert_eq!(sections.len(), 1);
    assert_eq!(sections[0].0, "baseline plan");
    let rows: BTreeSet<String> = sections[0].1.iter().map(|(account, _)| account.clone()).collect();
    assert_eq!(rows, *shard);
    assert!(
        sections[0].1.iter().all(|(_, status)| status.ends_with(" change") || status.ends_with(" changes")),
        "{sections:?}"
    );

    // An error wins over drift: one account of the shard cannot be reached, exit 1; the others still report.
    let deny = Rule::error(Match::action("AssumeRole").with_body(&member), 403, "AccessDenied", "not authorized");
    let proxy = FaultProxy::start(&moto.endpoint, Faults::none(), Some(deny));
    let out = run(&proxy.endpoint, &check, &env);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let (accounts, summary) = lines(&out);
    assert_summary_line(&summary, &accounts);
    let failed = accounts.iter().find(|a| a["account"] == member.as_str()).unwrap();
    assert_eq!(failed["status"], "failed");
    assert!(failed["error"].as_str().unwrap().contains("cannot assume"), "{failed}");
    assert_eq!(summary["failed_accounts"][0]["account"], member.as_str());
    // The Markdown summary is appended to, as a job summary file is: a second section, the failure marked.
    let sections = markdown(&dir.path().join("summary.md"));
    assert_eq!(sections.len(), 2);
    assert!(sections[1].1.contains(&(member.clone(), "**failed**".to_string())), "{sections:?}");

    // In sync after apply: exit 0, every line `in-sync`.
    let out = run(&moto.endpoint, &["apply", "--auto-approve", "--json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&moto.endpoint, &check, &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (accounts, summary) = lines(&out);
    assert_summary_line(&summary, &accounts);
    assert!(accounts.iter().all(|a| a["status"] == "in-sync"), "{accounts:?}");
    assert_eq!(summary["in_sync"], shard.len());
}
