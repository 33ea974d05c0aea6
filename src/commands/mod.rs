//! The commands. This is the only layer that prints: plans and results to stdout, problems to stderr.
//! `plan` and `apply` are in [`fleet`], for one account as for many.

mod docs;
mod fleet;
mod init;
mod saved;

use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::Mutex;

use baseline::aws::{ConnectOptions, Session};
use baseline::config::{self, LoadError, Loaded};
use baseline::engine::saved::Provenance;
use baseline::engine::{Event, EventSink, Stop};
use baseline::render::{Palette, human};
use baseline::target::{Target, TargetError};

use crate::cli::{Cli, Command, PlanArgs, PolicyArgs, RunArgs};
use crate::exit_code::ExitCode;

pub struct Output {
    /// Colors on stdout (plans, results) and on stderr (configuration diagnostics).
    pub color: bool,
    pub color_stderr: bool,
    pub quiet: bool,
    /// `-v`: every change of every region.
    pub verbose: bool,
}

impl Output {
    pub(crate) fn palette(&self) -> Palette {
        Palette { color: self.color }
    }

    fn plan(&self, out: &mut dyn Write, plan: &baseline::resources::Plan, target: &Target) -> io::Result<()> {
        if self.quiet {
            human::plan_brief(out, plan, &self.palette())
        } else {
            let view = human::View {
                account: &target.scope.account_id,
                home_region: &target.scope.home_region,
                full: self.verbose,
            };
            human::plan(out, plan, &view, &self.palette())
        }
    }
}

pub async fn run(cli: &Cli, out: &Output) -> ExitCode {
    if let Some(code) = docs::run(&cli.command) {
        return code;
    }
    // The one command that needs no baseline.toml besides those: it writes one.
    if let Command::Init(args) = &cli.command {
        return init::run(cli, args, out).await;
    }
    let Some(loaded) = load(cli, out) else { return ExitCode::Error };
    match &cli.command {
        Command::Completions { .. } | Command::Man { .. } => unreachable!("printed by docs::run"),
        Command::Init(_) => unreachable!("written by init::run"),
        Command::Validate => validate(cli, &loaded, out),
        Command::Policy(args) => policy(cli, &loaded, args),
        Command::Apply(args) if args.plan_file.is_some() => saved::apply(cli, &loaded, args, out).await,
        Command::Plan(args) => fleet::plan(cli, &loaded, args, out).await,
        Command::Apply(args) => fleet::apply(cli, &loaded, args, out).await,
    }
}

/// The AWS session for a run: credentials, region and endpoint from the command line or the standard chain.
async fn session(cli: &Cli, run: &RunArgs) -> Session {
    let options = ConnectOptions {
        profile: cli.profile.clone(),
        region: cli.region.clone(),
        endpoint_url: cli.endpoint_url.clone(),
        max_requests: usize::from(run.parallelism),
    };
    Session::connect(&options).await
}

/// Loads and validates baseline.toml, printing every problem. `None` means: stop, exit 1, no AWS call.
fn load(cli: &Cli, out: &Output) -> Option<Loaded> {
    let stderr = &mut io::stderr().lock();
    match config::load(&cli.config) {
        Ok(loaded) => {
            if !out.quiet {
                for w in &loaded.warnings {
                    let _ = writeln!(stderr, "{}", w.render(out.color_stderr));
                }
            }
            Some(loaded)
        }
        Err(LoadError::Read { path, source }) => {
            let _ = writeln!(stderr, "error: cannot read the baseline configuration {path}: {source}");
            let _ = writeln!(stderr, "  help: pass the file with -c/--config PATH (default ./baseline.toml)");
            None
        }
        Err(LoadError::Invalid(errors)) => {
            for d in errors.warnings.iter().chain(&errors.errors) {
                let _ = writeln!(stderr, "{}", d.render(out.color_stderr));
            }
            let n = errors.errors.len();
            let _ = writeln!(
                stderr,
                "{} is invalid: {n} error{}. Nothing was changed and no AWS call was made.",
                cli.config.display(),
                if n == 1 { "" } else { "s" }
            );
            None
        }
    }
}

fn validate(cli: &Cli, loaded: &Loaded, out: &Output) -> ExitCode {
    if out.quiet {
        return ExitCode::Success;
    }
    let path = cli.config.display().to_string();
    let sections = loaded.desired.sections();
    match human::validated(&mut io::stdout().lock(), &path, &sections, loaded.warnings.len(), &out.palette()) {
        Ok(()) => ExitCode::Success,
        Err(_) => ExitCode::Error,
    }
}

/// `baseline policy`: the IAM policy document on stdout; what is on `*` and why on stderr (or all as JSON).
fn policy(cli: &Cli, loaded: &Loaded, args: &PolicyArgs) -> ExitCode {
    use baseline::permissions::{self, Command as For};
    let command = if args.apply { For::Apply } else { For::Plan };
    let region = cli.region.clone().or_else(|| std::env::var("AWS_REGION").ok());
    let scope = permissions::scope_for(&loaded.desired, region.as_deref());
    let mut needs = permissions::required(&loaded.desired, scope, command);
    if args.for_emulator {
        needs = permissions::for_emulator(needs);
    }
    let stdout = &mut io::stdout().lock();
    let part = args.part.map(usize::from);
    let parts = permissions::parts(&needs).len();
    if let Some(k) = part.filter(|k| *k > parts) {
        let flag = if args.apply { "--apply" } else { "--plan" };
        eprintln!("error: --part {k}: the {flag} policy is {parts} part{}", if parts == 1 { "" } else { "s" });
        return ExitCode::Error;
    }
    let written = if args.json {
        baseline::render::permissions::json(stdout, &needs, command)
    } else {
        baseline::render::permissions::human(stdout, &mut io::stderr().lock(), &needs, command, part)
    };
    match written {
        Ok(()) => ExitCode::Success,
        Err(_) => ExitCode::Error,
    }
}

/// Why the run could not start on the caller's account: the cause in one line, then what fixes it. Credential
/// and region problems are explained against the shared config files the SDK read.
pub(crate) fn report_target_error(cli: &Cli, e: &TargetError) {
    let stderr = &mut io::stderr().lock();
    if let Some(problem) = e.credential_problem(cli.profile.as_deref(), &cli.config) {
        let _ = writeln!(stderr, "error: {problem}");
        let _ = writeln!(stderr, "  hint: {}", problem.fix());
        return;
    }
    let _ = writeln!(stderr, "error: {e}");
    if let TargetError::Identity(aws) | TargetError::Regions(aws) = e {
        let _ = match (aws.kind, endpoint(cli)) {
            (baseline::aws::ErrorKind::Network, Some((url, from))) => {
                writeln!(stderr, "  hint: nothing answered at {url} ({from}): start it, or correct the URL")
            }
            _ => writeln!(stderr, "  hint: {}", aws.hint()),
        };
    }
}

/// The custom endpoint every call goes to, and where it was set.
fn endpoint(cli: &Cli) -> Option<(String, &'static str)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    cli.endpoint_url
        .clone()
        .map(|url| (url, "--endpoint-url"))
        .or_else(|| var("AWS_ENDPOINT_URL").map(|url| (url, "AWS_ENDPOINT_URL")))
}

/// The exit code of `plan`, for one account or many: an unreadable resource is an error; with
/// `--detailed-exitcode`, pending changes (and with `--fail-on-manual` manual actions) exit 2.
pub(crate) fn plan_exit_code(failed: bool, pending: bool, manual: bool, args: &PlanArgs) -> ExitCode {
    if failed {
        ExitCode::Error
    } else if args.detailed_exitcode && (pending || (args.fail_on_manual && manual)) {
        ExitCode::Changes
    } else {
        ExitCode::Success
    }
}

/// The exit code of `apply`, for one account or many.
pub(crate) fn apply_exit_code(interrupted: bool, failed: bool) -> ExitCode {
    if interrupted {
        ExitCode::Interrupted
    } else if failed {
        ExitCode::Error
    } else {
        ExitCode::Success
    }
}

/// `apply` without `--auto-approve` asks on the terminal: without one it refuses (and says how to go on).
pub(crate) fn refuse_without_terminal() -> Option<ExitCode> {
    if io::stdin().is_terminal() {
        return None;
    }
    eprintln!(
        "error: refusing to apply without confirmation: there is no terminal to ask on. \
         Review the plan with `baseline plan`, then run `baseline apply --auto-approve`."
    );
    Some(ExitCode::Error)
}

/// Asks whether to apply; says so when the answer is no.
pub(crate) fn approved() -> bool {
    let yes = confirm();
    if !yes {
        eprintln!("Apply cancelled: nothing was changed.");
    }
    yes
}

/// What a plan of `target` records about where it came from.
pub(crate) fn provenance(loaded: &Loaded, target: &Target, run: &RunArgs, shard: Option<String>) -> Provenance {
    let regions = target.regions.iter().map(|r| r.region.clone()).collect();
    Provenance::new(&loaded.sha256, regions, run.targets.clone(), shard)
}

/// From now on, Ctrl-C (SIGINT) asks the apply to stop: the changes in flight finish and are reported, no
/// new one starts. A second Ctrl-C quits at once. Before this, Ctrl-C ends the process as usual (planning
/// only reads).
pub(crate) fn stop_on_ctrl_c(stop: &Stop) {
    let handle = stop.clone();
    // The handler is installed here, before this returns, not when the task first runs.
    #[cfg(unix)]
    let Ok(mut interrupts) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) else {
        return;
    };
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut interrupted = async || interrupts.recv().await.is_some();
        #[cfg(not(unix))]
        let mut interrupted = async || tokio::signal::ctrl_c().await.is_ok();
        if interrupted().await {
            handle.request();
            eprintln!(
                "\nInterrupted: waiting for the changes in flight to finish; no new change starts. \
                 Press Ctrl-C again to quit at once."
            );
            if interrupted().await {
                std::process::exit(ExitCode::Interrupted as i32);
            }
        }
    });
}

/// Asks on the terminal; only `yes` proceeds.
fn confirm() -> bool {
    eprint!("\nDo you want to apply these changes? Only 'yes' will be accepted: ");
    let _ = io::stderr().flush();
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer).is_ok() && answer.trim() == "yes"
}

/// Prints apply progress as it happens.
pub(crate) struct PrintEvents {
    pub(crate) palette: Palette,
    /// Only failures and skips.
    pub(crate) quiet: bool,
}

static STDOUT_LINES: Mutex<()> = Mutex::new(());

impl EventSink for PrintEvents {
    fn emit(&self, event: Event<'_>) {
        let progress = matches!(event, Event::Started { .. } | Event::Done { .. });
        if matches!(event, Event::Started { .. }) || (self.quiet && progress) {
            return;
        }
        let _guard = STDOUT_LINES.lock();
        let _ = human::event(&mut io::stdout().lock(), &event, &self.palette);
    }
}
