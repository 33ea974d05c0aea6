//! `plan` and `apply` over several accounts ([accounts] in baseline.toml, or `--accounts` / `--shard`).
//! Each account's result is printed as soon as it is known (a block, or one JSON line), a progress line is
//! kept on a terminal's stderr, and a summary table closes the run.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;

use baseline::aws::ApiGuard;
use baseline::config::Loaded;
use baseline::engine::{Plan, Stop};
use baseline::fleet::{
    self, AccountOutcome, AccountReport, Discovery, Filters, Fleet, FleetSink, Member, Planned, ShardSpec, Stage,
};
use baseline::render::fleet::{self as render, AccountRow, Status};
use baseline::render::plural;

use super::{Output, confirm, report_target_error, session};
use crate::cli::{ApplyArgs, Cli, PlanArgs, RunArgs};
use crate::exit_code::ExitCode;

/// Accounts worked on at once for a request bound: each account keeps several requests busy.
fn accounts_in_flight(run: &RunArgs) -> usize {
    usize::from(run.parallelism).div_ceil(4)
}

/// A run's accounts, or the exit code after the problem was printed.
async fn prepare(cli: &Cli, loaded: &Loaded, run: &RunArgs, out: &Output) -> Result<Prepared, ExitCode> {
    // `--shard NAME/N`: this worker's index, from the environment its batch engine set.
    let env = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    let shard = match run.shard.as_ref().map(|spec| spec.resolve(env)).transpose() {
        Ok(shard) => shard,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(ExitCode::Error);
        }
    };
    let session = session(cli, run).await;
    let discovery = match fleet::discover(&session, &loaded.desired).await {
        Ok(d) => d,
        Err(fleet::DiscoveryError::Target(e)) => {
            report_target_error(cli, &e);
            return Err(ExitCode::Error);
        }
        Err(e @ fleet::DiscoveryError::Organization(_)) => {
            eprintln!("error: {e}");
            if let fleet::DiscoveryError::Organization(aws) = &e {
                eprintln!("  hint: {}", aws.hint());
            }
            return Err(ExitCode::Error);
        }
    };
    if !out.quiet {
        for notice in &discovery.notices {
            eprintln!("warning: {notice}");
        }
        for (member, state) in &discovery.inactive {
            eprintln!("note: account {} is {state}: not baselined", member.id);
        }
    }
    if discovery.members.is_empty() {
        eprintln!(
            "error: baseline.toml covers no account: [accounts] selects none (check `include_ous`, `exclude_ous` \
             and `exclude`)"
        );
        return Err(ExitCode::Error);
    }
    let filters =
        Filters { accounts: run.accounts.clone(), regions: run.regions.clone(), targets: run.targets.clone(), shard };
    let members = match fleet::select(&discovery.members, &filters) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(ExitCode::Error);
        }
    };
    Ok(Prepared { session, discovery, filters, members })
}

struct Prepared {
    session: baseline::aws::Session,
    discovery: Discovery,
    filters: Filters,
    members: Vec<Member>,
}

impl Prepared {
    fn describe(&self, run: &RunArgs) -> String {
        let mut text = format!(
            "{} of {} account{}",
            self.members.len(),
            self.discovery.members.len(),
            if self.discovery.members.len() == 1 { "" } else { "s" }
        );
        match (self.filters.shard, &run.shard) {
            (Some(shard), Some(ShardSpec::FromEnv { var, .. })) => {
                text.push_str(&format!(" (shard {shard}, from {var})"))
            }
            (Some(shard), _) => text.push_str(&format!(" (shard {shard})")),
            (None, _) => {}
        }
        text
    }
}

pub async fn plan(cli: &Cli, loaded: &Loaded, args: &PlanArgs, out: &Output) -> ExitCode {
    if args.out.is_some() {
        eprintln!("error: --out saves one account's plan; for several accounts use --json (one line per account)");
        return ExitCode::Error;
    }
    let p = match prepare(cli, loaded, &args.run, out).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let fleet = Fleet::new(&p.session, &loaded.desired, &p.discovery, &p.filters, accounts_in_flight(&args.run));
    let printer = Printer::new(out, args.json, &p, p.members.len(), false);
    printer.start(&p.describe(&args.run), "Planning");
    fleet.plan(&p.members, &printer).await;
    let state = printer.finish();
    close(out, args.json, &args.run, "baseline plan", &state.rows, &p.session.guard);
    if state.rows.iter().any(|r| r.status == Status::Failed) {
        ExitCode::Error
    } else if args.detailed_exitcode
        && (state.rows.iter().any(|r| r.status == Status::Changes) || (args.fail_on_manual && state.manual))
    {
        ExitCode::Changes
    } else {
        ExitCode::Success
    }
}

pub async fn apply(cli: &Cli, loaded: &Loaded, args: &ApplyArgs, out: &Output) -> ExitCode {
    let p = match prepare(cli, loaded, &args.run, out).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let stop = Stop::default();
    let fleet = Fleet::new(&p.session, &loaded.desired, &p.discovery, &p.filters, accounts_in_flight(&args.run))
        .with_stop(stop.clone());
    let state = if args.auto_approve {
        // Each account is planned and applied in one go: nothing waits for the rest of the fleet.
        p.session.guard.allow_writes();
        super::stop_on_ctrl_c(&stop);
        let printer = Printer::new(out, args.json, &p, p.members.len(), false);
        printer.start(&p.describe(&args.run), "Applying to");
        fleet.apply(&p.members, &printer).await;
        printer.finish()
    } else {
        if !io::stdin().is_terminal() {
            eprintln!(
                "error: refusing to apply without confirmation: there is no terminal to ask on. \
                 Review the plan with `baseline plan`, then run `baseline apply --auto-approve`."
            );
            return ExitCode::Error;
        }
        let printer = Printer::new(out, args.json, &p, p.members.len(), true);
        printer.start(&p.describe(&args.run), "Planning");
        fleet.plan(&p.members, &printer).await;
        let planned = printer.finish();
        let pending: usize = planned.rows.iter().map(|r| r.create + r.update).sum();
        if pending == 0 {
            close(out, args.json, &args.run, "baseline apply", &planned.rows, &p.session.guard);
            return if planned.rows.iter().any(|r| r.status == Status::Failed) {
                ExitCode::Error
            } else {
                ExitCode::Success
            };
        }
        let (to_apply, settled): (Vec<Planned>, Vec<Planned>) =
            planned.planned.into_iter().partition(|p| p.plan.has_pending());
        let accounts = to_apply.len();
        eprintln!("\n{pending} change{} in {accounts} account{}.", plural(pending), plural(accounts));
        if !confirm() {
            eprintln!("Apply cancelled: nothing was changed.");
            return ExitCode::Error;
        }
        p.session.guard.allow_writes();
        super::stop_on_ctrl_c(&stop);
        let printer = Printer { results_only: true, ..Printer::new(out, args.json, &p, accounts, false) };
        eprintln!("Applying to {accounts} account{}.", plural(accounts));
        // Accounts with nothing to apply keep their row; unreachable ones stay failed, without a new attempt.
        let applying: HashSet<String> = to_apply.iter().map(|p| p.member.id.clone()).collect();
        let in_sync: HashSet<&str> = settled.iter().map(|p| p.member.id.as_str()).collect();
        let unreachable: Vec<String> = planned
            .rows
            .iter()
            .filter(|r| !applying.contains(&r.account) && !in_sync.contains(r.account.as_str()))
            .map(|r| r.account.clone())
            .collect();
        let kept: Vec<AccountRow> = planned.rows.into_iter().filter(|r| !applying.contains(&r.account)).collect();
        fleet.apply_planned(to_apply, &unreachable, &printer).await;
        let mut state = printer.finish();
        state.rows.extend(kept);
        state.rows.sort_by(|a, b| a.account.cmp(&b.account));
        state
    };
    close(out, args.json, &args.run, "baseline apply", &state.rows, &p.session.guard);
    if stop.requested() {
        ExitCode::Interrupted
    } else if state.rows.iter().any(|r| r.status == Status::Failed) {
        ExitCode::Error
    } else {
        ExitCode::Success
    }
}

/// The summary: a table (or a JSON line) on stdout, and Markdown appended to a file when asked.
fn close(out: &Output, json: bool, run: &RunArgs, title: &str, rows: &[AccountRow], guard: &ApiGuard) {
    let calls = guard.counts();
    let stdout = &mut io::stdout().lock();
    let _ = if json {
        stdout.write_all(render::json_summary(rows, &guard.by_operation()).as_bytes())
    } else {
        render::summary_table(stdout, rows, calls, &out.palette())
    };
    if let Some(path) = &run.markdown_summary {
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| render::markdown(&mut f, title, rows, calls));
        if let Err(e) = written {
            eprintln!("error: cannot write the Markdown summary to {}: {e}", path.display());
        }
    }
}

/// What the printer keeps while accounts finish: one small row per account, and the plans only when they
/// are to be applied after confirmation.
#[derive(Default)]
struct State {
    active: BTreeMap<String, Stage>,
    done: usize,
    failed: usize,
    manual: bool,
    rows: Vec<AccountRow>,
    planned: Vec<Planned>,
}

/// Prints each account as it finishes, keeps the progress line, collects the summary rows.
struct Printer<'a> {
    out: &'a Output,
    json: bool,
    /// A live progress line on stderr (a terminal, not quiet).
    progress: bool,
    home_region: String,
    total: usize,
    keep_plans: bool,
    /// Applying plans already shown: print results, not the plans again.
    results_only: bool,
    state: Mutex<State>,
}

impl<'a> Printer<'a> {
    /// `total`: the accounts this printer will see.
    fn new(out: &'a Output, json: bool, p: &Prepared, total: usize, keep_plans: bool) -> Self {
        Self {
            out,
            json,
            progress: io::stderr().is_terminal() && !out.quiet,
            home_region: p.discovery.caller.home_region.clone(),
            total,
            keep_plans,
            results_only: false,
            state: Mutex::new(State::default()),
        }
    }

    fn start(&self, what: &str, verb: &str) {
        if !self.out.quiet && !self.json {
            eprintln!("{verb} {what}.");
        }
    }

    fn draw(&self, state: &State) {
        if self.progress {
            let line = render::progress_line(self.total, state.done, state.failed, &state.active);
            eprint!("\r\x1b[2K{line}");
            let _ = io::stderr().flush();
        }
    }

    fn clear(&self) {
        if self.progress {
            eprint!("\r\x1b[2K");
        }
    }

    fn finish(self) -> State {
        self.clear();
        let mut state = self.state.into_inner().expect("printer state poisoned");
        state.rows.sort_by(|a, b| a.account.cmp(&b.account));
        state
    }
}

impl FleetSink for Printer<'_> {
    fn stage(&self, account: &str, stage: Stage) {
        let mut state = self.state.lock().expect("printer state poisoned");
        state.active.insert(account.to_string(), stage);
        self.draw(&state);
    }

    fn done(&self, report: AccountReport) {
        let mut state = self.state.lock().expect("printer state poisoned");
        state.active.remove(&report.member.id);
        state.done += 1;
        let row = AccountRow::of(&report);
        if row.status == Status::Failed {
            state.failed += 1;
        }
        state.manual |= report.plan().is_some_and(Plan::has_manual);
        self.clear();
        let stdout = &mut io::stdout().lock();
        let _ = if self.json {
            let kind = if self.keep_plans { "plan" } else { "account" };
            stdout.write_all(render::json_line(&report, &row, kind).as_bytes())
        } else if !self.out.quiet || row.status == Status::Failed {
            let detail = match (self.out.quiet || self.results_only, self.out.verbose) {
                (true, _) => render::Detail::Brief,
                (false, true) => render::Detail::Full,
                (false, false) => render::Detail::Normal,
            };
            render::account_block(stdout, &report, &self.home_region, detail, &self.out.palette())
        } else {
            Ok(())
        };
        let _ = stdout.flush();
        state.rows.push(row);
        if self.keep_plans
            && let AccountOutcome::Planned { plan, target } = report.outcome
        {
            state.planned.push(Planned { member: report.member, target: *target, plan });
        }
        self.draw(&state);
    }
}
