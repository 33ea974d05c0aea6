//! `plan` and `apply`, for every run: a single account is an organization of one. The caller's account alone
//! is discovered, planned and applied by the same code as an organization's accounts; only the [`Layout`]
//! differs. One account is shown in full (its plan, its changes as they happen, the apply summary); several
//! accounts get a block (or one JSON line) each as soon as it finishes, a progress line on a terminal's stderr
//! and a closing summary table.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;

use baseline::aws::ApiGuard;
use baseline::config::Loaded;
use baseline::engine::saved::{SavedPlan, Stale};
use baseline::engine::{EventSink, NullSink, Stop};
use baseline::fleet::{
    self, AccountOutcome, AccountReport, Discovery, Filters, Fleet, FleetSink, Member, Planned, ShardSpec, Stage,
    Unreachable,
};
use baseline::render::fleet::{self as render, AccountRow, Status};
use baseline::render::{human, json, plural};
use baseline::resources::Plan;
use baseline::target::TargetError;

use super::{Output, PrintEvents, report_target_error, session};
use crate::cli::{ApplyArgs, Cli, PlanArgs, RunArgs};
use crate::exit_code::ExitCode;

/// How a run is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// The caller's account alone (no [accounts] selection, no `--accounts` or `--shard`): its plan in full,
    /// each change as it is applied, then the apply summary.
    One,
    /// Several accounts, or some chosen on the command line: a block per account and a summary table.
    Many,
}

impl Layout {
    fn of(loaded: &Loaded, run: &RunArgs) -> Self {
        if loaded.desired.accounts.is_fleet() || run.selects_accounts() { Layout::Many } else { Layout::One }
    }

    /// A saved plan of several accounts, or made from an organization's configuration, is shown as several.
    pub(crate) fn of_saved(loaded: &Loaded, plans: &[SavedPlan]) -> Self {
        if loaded.desired.accounts.is_fleet() || plans.len() > 1 { Layout::Many } else { Layout::One }
    }
}

/// One `plan` or `apply`: what it was given and how it is shown.
struct Job<'a> {
    cli: &'a Cli,
    loaded: &'a Loaded,
    run: &'a RunArgs,
    out: &'a Output,
    json: bool,
    layout: Layout,
}

/// Accounts worked on at once for a request bound: each account keeps several requests busy.
fn accounts_in_flight(run: &RunArgs) -> usize {
    usize::from(run.parallelism).div_ceil(4)
}

/// A run's accounts, or the exit code after the problem was printed.
/// `saved`: the accounts, regions and targets come from a saved plan instead of the command line.
async fn prepare(job: &Job<'_>, saved: Option<&[SavedPlan]>) -> Result<Prepared, ExitCode> {
    let run = job.run;
    // `--shard NAME/N`: this worker's index, from the environment its batch engine set.
    let env = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    let shard = match run.shard.as_ref().map(|spec| spec.resolve(env)).transpose() {
        Ok(shard) => shard,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(ExitCode::Error);
        }
    };
    let session = session(job.cli, run).await;
    let discovery = discover(job, &session).await?;
    let filters = match saved {
        Some(plans) => saved_filters(plans),
        None => Filters {
            accounts: run.accounts.clone(),
            regions: run.regions.clone(),
            targets: run.targets.clone(),
            shard,
        },
    };
    let members = match job.layout {
        // The caller's account is planned whatever `--target` names: the plan then shows nothing to do.
        Layout::One => discovery.members.clone(),
        Layout::Many => fleet::select(&discovery.members, &filters).map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::Error
        })?,
    };
    Ok(Prepared { session, discovery, filters, members })
}

/// The accounts baseline.toml covers, with what is worth telling about the organization.
async fn discover(job: &Job<'_>, session: &baseline::aws::Session) -> Result<Discovery, ExitCode> {
    let discovery = match fleet::discover(session, &job.loaded.desired).await {
        Ok(d) => d,
        Err(fleet::DiscoveryError::Target(e)) => {
            report_target_error(job.cli, &e);
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
    if !job.out.quiet {
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
    Ok(discovery)
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

    fn fleet<'a>(&'a self, job: &'a Job<'_>, stop: &Stop) -> Fleet<'a> {
        Fleet::new(&self.session, &job.loaded.desired, &self.discovery, &self.filters, accounts_in_flight(job.run))
            .with_stop(stop.clone())
    }
}

pub async fn plan(cli: &Cli, loaded: &Loaded, args: &PlanArgs, out: &Output) -> ExitCode {
    let job = Job { cli, loaded, run: &args.run, out, json: args.json, layout: Layout::of(loaded, &args.run) };
    let p = match prepare(&job, None).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let printer = Printer { collect: args.out.is_some(), ..Printer::new(&job, &p, p.members.len(), Role::Plan) };
    printer.start(&p.describe(&args.run), "Planning");
    p.fleet(&job, &Stop::default()).plan(&p.members, &printer).await;
    let state = printer.finish();
    if let Some(e) = &state.write_error {
        eprintln!("error: cannot write the plan: {e}");
        return ExitCode::Error;
    }
    close(&job, "baseline plan", &state.rows, &p.session.guard);
    if job.layout == Layout::One && state.unreachable {
        // Said on stderr as the account failed; there is no plan to save.
        return ExitCode::Error;
    }
    if let Some(path) = &args.out
        && let Err(message) = save(path, &job, &p, &state)
    {
        eprintln!("error: {message}");
        return ExitCode::Error;
    }
    let failed = state.rows.iter().any(|r| r.status == Status::Failed);
    let pending = state.rows.iter().any(|r| r.status == Status::Changes);
    super::plan_exit_code(failed, pending, state.manual, args)
}

pub async fn apply(cli: &Cli, loaded: &Loaded, args: &ApplyArgs, out: &Output) -> ExitCode {
    let job = Job { cli, loaded, run: &args.run, out, json: args.json, layout: Layout::of(loaded, &args.run) };
    let p = match prepare(&job, None).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let stop = Stop::default();
    let fleet = p.fleet(&job, &stop);
    if args.auto_approve && job.layout == Layout::Many {
        // Each account is planned and applied in one go: nothing waits for the rest of the fleet.
        p.session.guard.allow_writes();
        super::stop_on_ctrl_c(&stop);
        let printer = Printer::new(&job, &p, p.members.len(), Role::Apply);
        printer.start(&p.describe(&args.run), "Applying to");
        fleet.apply(&p.members, &printer).await;
        return finish_apply(&job, &p, &printer.finish(), &stop);
    }
    let printer = Printer::new(&job, &p, p.members.len(), Role::Review);
    printer.start(&p.describe(&args.run), "Planning");
    fleet.plan(&p.members, &printer).await;
    let planned = printer.finish();
    let pending: usize = planned.rows.iter().map(|r| r.create + r.update).sum();
    // Several accounts: those reached go on. One account: nothing to go on with when it was not reached.
    let settled = match job.layout {
        Layout::One => planned.unreachable,
        Layout::Many => pending == 0,
    };
    if settled {
        close(&job, "baseline apply", &planned.rows, &p.session.guard);
        return super::apply_exit_code(false, planned.rows.iter().any(|r| r.status == Status::Failed));
    }
    if pending > 0 && !args.auto_approve {
        if let Some(refused) = super::refuse_without_terminal() {
            return refused;
        }
        if job.layout == Layout::Many {
            let accounts = planned.planned.iter().filter(|p| p.plan.has_pending()).count();
            eprintln!("\n{pending} change{} in {accounts} account{}.", plural(pending), plural(accounts));
        }
        if !super::approved() {
            return ExitCode::Error;
        }
    }
    let state = apply_accepted(&fleet, &job, &p, planned, &stop).await;
    finish_apply(&job, &p, &state, &stop)
}

/// The closing summary and exit code of an apply.
fn finish_apply(job: &Job<'_>, p: &Prepared, state: &State, stop: &Stop) -> ExitCode {
    close(job, "baseline apply", &state.rows, &p.session.guard);
    let interrupted = match job.layout {
        Layout::One => state.not_started,
        Layout::Many => stop.requested(),
    };
    super::apply_exit_code(interrupted, state.rows.iter().any(|r| r.status == Status::Failed))
}

/// Applies plans already shown and accepted (or saved and verified): the accounts with pending changes (the
/// one account of a single-account run always, for its summary), the others keeping their row.
async fn apply_accepted(fleet: &Fleet<'_>, job: &Job<'_>, p: &Prepared, planned: State, stop: &Stop) -> State {
    let (to_apply, settled): (Vec<Planned>, Vec<Planned>) =
        planned.planned.into_iter().partition(|p| job.layout == Layout::One || p.plan.has_pending());
    let accounts = to_apply.len();
    p.session.guard.allow_writes();
    super::stop_on_ctrl_c(stop);
    let printer = Printer::new(job, p, accounts, Role::ApplyAccepted);
    if !job.json {
        match job.layout {
            Layout::Many => eprintln!("Applying to {accounts} account{}.", plural(accounts)),
            Layout::One if to_apply.iter().any(|p| p.plan.has_pending()) && !job.out.quiet => println!(),
            Layout::One => {}
        }
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

/// `apply PLANFILE`: every account the plan lists is planned again, each must read as saved (or nothing is
/// written anywhere), then exactly the saved changes are applied.
pub async fn apply_saved(
    cli: &Cli,
    loaded: &Loaded,
    args: &ApplyArgs,
    out: &Output,
    saved: &[SavedPlan],
    layout: Layout,
) -> ExitCode {
    let path = args.plan_file.as_deref().expect("dispatched with a plan file");
    let job = Job { cli, loaded, run: &args.run, out, json: args.json, layout };
    let p = match prepare(&job, Some(saved)).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    if let (Layout::One, [plan], [caller]) = (layout, saved, p.members.as_slice())
        && plan.account != caller.id
    {
        eprintln!(
            "error: {} is a plan for account {}, and these credentials are for account {}: nothing was changed",
            path.display(),
            plan.account,
            caller.id
        );
        return ExitCode::Error;
    }
    let stop = Stop::default();
    let fleet = p.fleet(&job, &stop);
    let printer = Printer::new(&job, &p, p.members.len(), Role::Check);
    printer.start(&format!("the {} of the saved plan", p.describe(&args.run)), "Checking");
    fleet.plan(&p.members, &printer).await;
    let mut planned = printer.finish();
    if planned.rows.iter().any(|r| r.status == Status::Failed) {
        match layout {
            // Unreachable: said on stderr as it happened.
            Layout::One if planned.unreachable => {}
            Layout::One => eprintln!(
                "error: the account of the saved plan could not be read again in full (above); nothing was changed"
            ),
            Layout::Many => {
                eprintln!("error: some accounts of the saved plan could not be read again (above); nothing was changed")
            }
        }
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
    if layout == Layout::One && !args.json {
        for fresh in &planned.planned {
            let _ = out.plan(&mut io::stdout().lock(), &fresh.plan, &fresh.target);
        }
    }
    let state = apply_accepted(&fleet, &job, &p, planned, &stop).await;
    finish_apply(&job, &p, &state, &stop)
}

/// Writes the plan for `apply FILE`: one account's plan document, or one JSON line per account. Refused when
/// an account could not be planned: a saved plan is applied whole or not at all.
fn save(path: &std::path::Path, job: &Job<'_>, p: &Prepared, state: &State) -> Result<(), String> {
    let failed = state.rows.iter().filter(|r| r.status == Status::Failed).count();
    match job.layout {
        _ if failed == 0 => {}
        Layout::One => {
            return Err(format!(
                "some resources could not be read (above): the plan is not saved to {}",
                path.display()
            ));
        }
        Layout::Many => {
            return Err(format!(
                "{failed} account(s) could not be planned: the plan is not saved to {}",
                path.display()
            ));
        }
    }
    let shard = p.filters.shard.map(|s| s.to_string());
    // One account's plan document; one line per account for several.
    let document = |planned: &Planned, pretty: bool| {
        let provenance = super::provenance(job.loaded, &planned.target, job.run, shard.clone());
        let document = json::plan(&planned.plan, &planned.member.id).saved_from(&provenance);
        if pretty {
            json::to_string(&document)
        } else {
            serde_json::to_string(&document).expect("plan JSON is always serialisable") + "\n"
        }
    };
    let text = match (job.layout, state.planned.as_slice()) {
        (Layout::One, [one]) => document(one, true),
        _ => state.planned.iter().map(|planned| document(planned, false)).collect(),
    };
    std::fs::write(path, text).map_err(|e| format!("cannot save the plan to {}: {e}", path.display()))?;
    match job.layout {
        _ if job.json => {}
        Layout::One if job.out.quiet => {}
        Layout::One => println!("Plan saved to {}.", path.display()),
        Layout::Many => eprintln!(
            "Plan of {} account{} saved to {}.",
            state.planned.len(),
            plural(state.planned.len()),
            path.display()
        ),
    }
    Ok(())
}

/// The summary of several accounts: a table (or a JSON line) on stdout. Markdown is appended to a file when
/// asked, for one account too.
fn close(job: &Job<'_>, title: &str, rows: &[AccountRow], guard: &ApiGuard) {
    let calls = guard.counts();
    if job.layout == Layout::Many {
        let stdout = &mut io::stdout().lock();
        let _ = if job.json {
            stdout.write_all(render::json_summary(rows, &guard.by_operation()).as_bytes())
        } else {
            render::summary_table(stdout, rows, calls, &job.out.palette())
        };
    }
    if let Some(path) = &job.run.markdown_summary {
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
    /// An account could not be reached.
    unreachable: bool,
    /// A change or an account was not started: the run was interrupted.
    not_started: bool,
    /// One account's plan could not be written to stdout.
    write_error: Option<String>,
    rows: Vec<AccountRow>,
    planned: Vec<Planned>,
}

/// What a printer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// `plan`: each account's plan.
    Plan,
    /// `apply` before confirmation: each plan is shown and kept to be applied.
    Review,
    /// `apply FILE`: the saved plan's accounts read again, kept to be compared with it.
    Check,
    /// `apply --auto-approve` over several accounts: each account planned and applied.
    Apply,
    /// Applying plans already shown: results, not the plans again.
    ApplyAccepted,
}

impl Role {
    fn keeps_plans(self) -> bool {
        matches!(self, Role::Review | Role::Check)
    }
}

/// Prints each account as it finishes, keeps the progress line, collects the summary rows.
struct Printer<'a> {
    job: &'a Job<'a>,
    role: Role,
    /// A live progress line on stderr (several accounts, a terminal, not quiet).
    progress: bool,
    home_region: String,
    total: usize,
    /// Keep the plans to save them (`plan --out`).
    collect: bool,
    /// One account's changes as they are applied.
    events: PrintEvents,
    guard: &'a ApiGuard,
    state: Mutex<State>,
}

impl<'a> Printer<'a> {
    /// `total`: the accounts this printer will see.
    fn new(job: &'a Job<'a>, p: &'a Prepared, total: usize, role: Role) -> Self {
        let out = job.out;
        Self {
            job,
            role,
            progress: job.layout == Layout::Many && io::stderr().is_terminal() && !out.quiet,
            home_region: p.discovery.caller.home_region.clone(),
            total,
            collect: false,
            events: PrintEvents { palette: out.palette(), quiet: out.quiet },
            guard: &p.session.guard,
            state: Mutex::new(State::default()),
        }
    }

    fn start(&self, what: &str, verb: &str) {
        if self.job.layout == Layout::Many && !self.job.out.quiet && !self.job.json {
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

    /// An account among several: its block, or its JSON line.
    fn block(&self, stdout: &mut dyn Write, report: &AccountReport, row: &AccountRow) -> io::Result<()> {
        let out = self.job.out;
        if self.job.json {
            let kind = if self.role.keeps_plans() { "plan" } else { "account" };
            stdout.write_all(render::json_line(report, row, kind).as_bytes())
        } else if !out.quiet || row.status == Status::Failed {
            let detail = match (out.quiet || self.role == Role::ApplyAccepted, out.verbose) {
                (true, _) => render::Detail::Brief,
                (false, true) => render::Detail::Full,
                (false, false) => render::Detail::Normal,
            };
            render::account_block(stdout, report, &self.home_region, detail, &out.palette())
        } else {
            Ok(())
        }
    }

    /// The one account of a single-account run: its plan in full (or as one JSON document), then the apply
    /// summary; why it could not be reached on stderr.
    fn single(&self, stdout: &mut dyn Write, report: &AccountReport) -> io::Result<()> {
        let (job, account) = (self.job, report.member.id.as_str());
        match &report.outcome {
            AccountOutcome::Planned { plan, target } => match self.role {
                Role::Plan if job.json => {
                    let provenance = super::provenance(job.loaded, target, job.run, None);
                    stdout.write_all(json::to_string(&json::plan(plan, account).saved_from(&provenance)).as_bytes())
                }
                Role::Plan | Role::Review if !job.json => job.out.plan(stdout, plan, target),
                _ => Ok(()),
            },
            AccountOutcome::Applied { plan, report } if job.json => {
                stdout.write_all(json::to_string(&json::apply(plan, account, report, self.guard.counts())).as_bytes())
            }
            AccountOutcome::Applied { plan, report } => {
                if plan.has_pending() && !job.out.quiet {
                    writeln!(stdout)?;
                }
                human::apply_summary(stdout, report, self.guard.counts(), &job.out.palette())
            }
            AccountOutcome::Unreachable(why) => {
                self.unreachable(why);
                Ok(())
            }
            AccountOutcome::NotStarted => Ok(()),
        }
    }

    /// Why the caller's own account cannot be worked on, as when the run starts.
    fn unreachable(&self, why: &Unreachable) {
        match why {
            Unreachable::Target(e) => report_target_error(self.job.cli, e),
            Unreachable::NotAllowed(account) => {
                let allowed = self.job.loaded.desired.allowed_account_ids.join(", ");
                report_target_error(self.job.cli, &TargetError::AccountNotAllowed { actual: account.clone(), allowed })
            }
            Unreachable::AssumeRole { .. } => eprintln!("error: {why}\n  hint: {}", why.hint()),
        }
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
        state.unreachable |= matches!(report.outcome, AccountOutcome::Unreachable(_));
        state.not_started |= match &report.outcome {
            AccountOutcome::NotStarted => true,
            AccountOutcome::Applied { report, .. } => report.not_started() > 0,
            _ => false,
        };
        self.clear();
        let stdout = &mut io::stdout().lock();
        let written = match self.job.layout {
            Layout::One => self.single(stdout, &report),
            Layout::Many => self.block(stdout, &report, &row),
        };
        if let (Layout::One, Role::Plan, Err(e)) = (self.job.layout, self.role, written) {
            state.write_error = Some(e.to_string());
        }
        let _ = stdout.flush();
        state.rows.push(row);
        if (self.role.keeps_plans() || self.collect)
            && let AccountOutcome::Planned { plan, target } = report.outcome
        {
            state.planned.push(Planned { member: report.member, target: *target, plan });
        }
        self.draw(&state);
    }

    fn events(&self) -> &dyn EventSink {
        match (self.job.layout, self.role) {
            (Layout::One, Role::ApplyAccepted) if !self.job.json => &self.events,
            _ => &NullSink,
        }
    }
}
