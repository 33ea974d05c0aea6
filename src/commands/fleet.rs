//! `plan` and `apply` over several accounts ([accounts] in baseline.toml, or `--accounts` / `--shard`).
//! Each account's result is printed as soon as it is known (a block, or one JSON line), a progress line is
//! kept on a terminal's stderr, and a summary table closes the run.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;

use baseline::aws::ApiGuard;
use baseline::config::Loaded;
use baseline::engine::Stop;
use baseline::engine::saved::{SavedPlan, Stale};
use baseline::fleet::{
    self, AccountOutcome, AccountReport, Discovery, Filters, Fleet, FleetSink, Member, Planned, ShardSpec, Stage,
};
use baseline::render::fleet::{self as render, AccountRow, Status};
use baseline::render::json;
use baseline::render::plural;
use baseline::resources::Plan;

use super::{Output, report_target_error, session};
use crate::cli::{ApplyArgs, Cli, PlanArgs, RunArgs};
use crate::exit_code::ExitCode;

/// Accounts worked on at once for a request bound: each account keeps several requests busy.
fn accounts_in_flight(run: &RunArgs) -> usize {
    usize::from(run.parallelism).div_ceil(4)
}

/// A run's accounts, or the exit code after the problem was printed.
/// `saved`: the accounts, regions and targets come from a saved plan instead of the command line.
async fn prepare(
    cli: &Cli,
    loaded: &Loaded,
    run: &RunArgs,
    out: &Output,
    saved: Option<&[SavedPlan]>,
) -> Result<Prepared, ExitCode> {
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
    let filters = match saved {
        Some(plans) => saved_filters(plans),
        None => Filters {
            accounts: run.accounts.clone(),
            regions: run.regions.clone(),
            targets: run.targets.clone(),
            shard,
        },
    };
    let members = match fleet::select(&discovery.members, &filters) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(ExitCode::Error);
        }
    };
    Ok(Prepared { session, discovery, filters, members })
}

/// The accounts a saved plan lists, the regions any of them was planned in, and its targets.
fn saved_filters(plans: &[SavedPlan]) -> Filters {
    let from = || plans.iter().map(|p| &p.saved_from);
    let mut regions: Vec<String> = from().flat_map(|f| f.regions.iter().cloned()).collect();
    regions.sort();
    regions.dedup();
    let targets = from().next().map(|f| f.targets.clone()).unwrap_or_default();
    Filters { accounts: plans.iter().map(|p| p.account.clone()).collect(), regions, targets, shard: None }
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
    let p = match prepare(cli, loaded, &args.run, out, None).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let fleet = Fleet::new(&p.session, &loaded.desired, &p.discovery, &p.filters, accounts_in_flight(&args.run));
    let printer = Printer { collect: args.out.is_some(), ..Printer::new(out, args.json, &p, p.members.len(), false) };
    printer.start(&p.describe(&args.run), "Planning");
    fleet.plan(&p.members, &printer).await;
    let state = printer.finish();
    close(out, args.json, &args.run, "baseline plan", &state.rows, &p.session.guard);
    if let Some(path) = &args.out
        && let Err(message) = save(path, loaded, args, &p, &state)
    {
        eprintln!("error: {message}");
        return ExitCode::Error;
    }
    let failed = state.rows.iter().any(|r| r.status == Status::Failed);
    let pending = state.rows.iter().any(|r| r.status == Status::Changes);
    super::plan_exit_code(failed, pending, state.manual, args)
}

pub async fn apply(cli: &Cli, loaded: &Loaded, args: &ApplyArgs, out: &Output) -> ExitCode {
    let p = match prepare(cli, loaded, &args.run, out, None).await {
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
        if let Some(refused) = super::refuse_without_terminal() {
            return refused;
        }
        let printer = Printer::new(out, args.json, &p, p.members.len(), true);
        printer.start(&p.describe(&args.run), "Planning");
        fleet.plan(&p.members, &printer).await;
        let planned = printer.finish();
        let pending: usize = planned.rows.iter().map(|r| r.create + r.update).sum();
        if pending == 0 {
            close(out, args.json, &args.run, "baseline apply", &planned.rows, &p.session.guard);
            return super::apply_exit_code(false, planned.rows.iter().any(|r| r.status == Status::Failed));
        }
        let accounts = planned.planned.iter().filter(|p| p.plan.has_pending()).count();
        eprintln!("\n{pending} change{} in {accounts} account{}.", plural(pending), plural(accounts));
        if !super::approved() {
            return ExitCode::Error;
        }
        apply_accepted(&fleet, &p, args.json, out, planned, &stop).await
    };
    finish_apply(out, args, &p, &state, &stop)
}

/// The closing summary and exit code of an apply over several accounts.
fn finish_apply(out: &Output, args: &ApplyArgs, p: &Prepared, state: &State, stop: &Stop) -> ExitCode {
    close(out, args.json, &args.run, "baseline apply", &state.rows, &p.session.guard);
    super::apply_exit_code(stop.requested(), state.rows.iter().any(|r| r.status == Status::Failed))
}

/// Applies plans already shown and accepted (or saved and verified): the accounts with pending changes, the
/// others keeping their row.
async fn apply_accepted(
    fleet: &Fleet<'_>,
    p: &Prepared,
    json: bool,
    out: &Output,
    planned: State,
    stop: &Stop,
) -> State {
    let (to_apply, settled): (Vec<Planned>, Vec<Planned>) =
        planned.planned.into_iter().partition(|p| p.plan.has_pending());
    let accounts = to_apply.len();
    p.session.guard.allow_writes();
    super::stop_on_ctrl_c(stop);
    let printer = Printer { results_only: true, ..Printer::new(out, json, p, accounts, false) };
    if !json {
        eprintln!("Applying to {accounts} account{}.", plural(accounts));
    }
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
}

/// `apply PLANFILE` over several accounts: every account the plan lists is planned again, each must read as
/// saved (or nothing is written anywhere), then exactly the saved changes are applied.
pub async fn apply_saved(cli: &Cli, loaded: &Loaded, args: &ApplyArgs, out: &Output, saved: &[SavedPlan]) -> ExitCode {
    let path = args.plan_file.as_deref().expect("dispatched with a plan file");
    let p = match prepare(cli, loaded, &args.run, out, Some(saved)).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let stop = Stop::default();
    let fleet = Fleet::new(&p.session, &loaded.desired, &p.discovery, &p.filters, accounts_in_flight(&args.run))
        .with_stop(stop.clone());
    let printer = Printer::new(out, args.json, &p, p.members.len(), true);
    printer.start(&format!("the {} of the saved plan", p.describe(&args.run)), "Checking");
    fleet.plan(&p.members, &printer).await;
    let mut planned = printer.finish();
    if planned.rows.iter().any(|r| r.status == Status::Failed) {
        eprintln!("error: some accounts of the saved plan could not be read again (above); nothing was changed");
        return ExitCode::Error;
    }
    let mut stale = Vec::new();
    for s in saved {
        match planned.planned.iter_mut().find(|p| p.member.id == s.account) {
            Some(fresh) => stale.extend(super::saved::verify(s, &mut fresh.plan, out)),
            None => stale.push(Stale { address: s.account.clone(), why: "the account is no longer covered".into() }),
        }
    }
    if let Err(code) = super::saved::refuse_stale(path, &stale) {
        return code;
    }
    let state = apply_accepted(&fleet, &p, args.json, out, planned, &stop).await;
    finish_apply(out, args, &p, &state, &stop)
}

/// Writes the plans of every account, one JSON line each, for `apply FILE`. Refused when an account could not
/// be planned: a saved plan is applied whole or not at all.
fn save(path: &std::path::Path, loaded: &Loaded, args: &PlanArgs, p: &Prepared, state: &State) -> Result<(), String> {
    let failed = state.rows.iter().filter(|r| r.status == Status::Failed).count();
    if failed > 0 {
        return Err(format!("{failed} account(s) could not be planned: the plan is not saved to {}", path.display()));
    }
    let shard = p.filters.shard.map(|s| s.to_string());
    let mut text = String::new();
    for planned in &state.planned {
        let provenance = super::provenance(loaded, &planned.target, &args.run, shard.clone());
        let document = json::plan(&planned.plan, &planned.member.id).saved_from(&provenance);
        text.push_str(&serde_json::to_string(&document).expect("plan JSON is always serialisable"));
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|e| format!("cannot save the plan to {}: {e}", path.display()))?;
    if !args.json {
        eprintln!(
            "Plan of {} account{} saved to {}.",
            state.planned.len(),
            plural(state.planned.len()),
            path.display()
        );
    }
    Ok(())
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
    /// Keep the plans to save them (`plan --out`).
    collect: bool,
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
            collect: false,
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
        if (self.keep_plans || self.collect)
            && let AccountOutcome::Planned { plan, target } = report.outcome
        {
            state.planned.push(Planned { member: report.member, target: *target, plan });
        }
        self.draw(&state);
    }
}
