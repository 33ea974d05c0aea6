//! Output of organization runs: one block (or one JSON line) per account as it finishes, a live progress
//! line, and a closing summary table (also as Markdown for CI job summaries).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{Palette, human, json, plural};
use crate::aws::CallCounts;
use crate::fleet::{AccountOutcome, AccountReport, Stage};

/// What an interruption (Ctrl-C) left undone says.
const NOT_STARTED: &str = "not started: the run was interrupted (Ctrl-C)";

/// One account's line in the summary: small, kept for every account until the end of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRow {
    pub account: String,
    pub name: Option<String>,
    pub status: Status,
    pub create: usize,
    pub update: usize,
    pub manual: usize,
    /// Why the account failed: the first problem, and how many there were.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    InSync,
    Changes,
    Applied,
    Failed,
}

impl AccountRow {
    pub fn of(report: &AccountReport) -> Self {
        let mut row = Self {
            account: report.member.id.clone(),
            name: report.member.name.clone(),
            status: Status::InSync,
            create: 0,
            update: 0,
            manual: 0,
            error: None,
        };
        if let Some(plan) = report.plan() {
            let s = plan.summary();
            (row.create, row.update, row.manual) = (s.create, s.update, s.manual);
            row.status = if s.create + s.update == 0 { Status::InSync } else { Status::Changes };
            if let Some(first) = plan.errors.first() {
                row.error = Some(count_more(format!("{}: {}", first.address, first.error), plan.errors.len()));
            }
        }
        match &report.outcome {
            AccountOutcome::Unreachable(e) => row.error = Some(e.to_string()),
            AccountOutcome::NotStarted => row.error = Some(NOT_STARTED.into()),
            AccountOutcome::Applied { report: applied, .. } => {
                let problems: Vec<String> = applied
                    .results
                    .iter()
                    .filter_map(|r| match &r.outcome {
                        crate::engine::Outcome::Failed { error } => Some(format!("{}: {error}", r.address)),
                        crate::engine::Outcome::Skipped { because } => {
                            Some(format!("{}: skipped, because {because} failed", r.address))
                        }
                        crate::engine::Outcome::NotStarted => Some(format!("{}: {NOT_STARTED}", r.address)),
                        _ => None,
                    })
                    .collect();
                if row.error.is_none()
                    && let Some(first) = problems.first()
                {
                    row.error = Some(count_more(first.clone(), problems.len()));
                }
                if applied.created() + applied.updated() > 0 {
                    row.status = Status::Applied;
                }
            }
            AccountOutcome::Planned { .. } => {}
        }
        if report.failed() {
            row.status = Status::Failed;
        }
        row
    }

    fn status_text(&self) -> String {
        match self.status {
            Status::InSync => "in sync".into(),
            Status::Changes => format!("{} change{}", self.create + self.update, plural(self.create + self.update)),
            Status::Applied => "applied".into(),
            Status::Failed => "failed".into(),
        }
    }
}

fn count_more(first: String, total: usize) -> String {
    if total > 1 { format!("{first} (and {} more)", total - 1) } else { first }
}

/// How much of an account's plan to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Problems and the summary line only (`-q`).
    Brief,
    /// Regions beyond the home region summarised when many.
    Normal,
    /// Every change of every region (`-v`).
    Full,
}

/// An account's plan (and apply results), under a header naming the account.
pub fn account_block(
    out: &mut dyn Write,
    report: &AccountReport,
    home_region: &str,
    detail: Detail,
    p: &Palette,
) -> io::Result<()> {
    let full = detail == Detail::Full;
    let show_plan = |out: &mut dyn Write, plan: &crate::resources::Plan, account: &str| {
        if detail == Detail::Brief {
            human::plan_brief(out, plan, p)
        } else {
            human::plan(out, plan, &human::View { account, home_region, full }, p)
        }
    };
    let id = &report.member.id;
    let title = match &report.member.name {
        Some(name) => format!("Account {id} ({name})"),
        None => format!("Account {id}"),
    };
    writeln!(out, "{}", p.bold(&format!("── {title} {}", "─".repeat(60usize.saturating_sub(title.len())))))?;
    match &report.outcome {
        AccountOutcome::Unreachable(e) => {
            writeln!(out, "  {} {e}", p.red("x"))?;
            writeln!(out, "      {} {}", p.dim("hint:"), e.hint())?;
        }
        AccountOutcome::NotStarted => writeln!(out, "  {} {NOT_STARTED}", p.yellow("~"))?,
        AccountOutcome::Planned { plan, .. } => show_plan(out, plan, id)?,
        AccountOutcome::Applied { plan, report } => {
            show_plan(out, plan, id)?;
            if !report.results.is_empty() {
                for r in &report.results {
                    match &r.outcome {
                        crate::engine::Outcome::Failed { error } => {
                            human::error_lines(out, &r.address.to_string(), error, p)?
                        }
                        crate::engine::Outcome::Skipped { because } => {
                            writeln!(out, "  {} {}: skipped, because {because} failed", p.yellow("-"), r.address)?
                        }
                        crate::engine::Outcome::NotStarted => {
                            writeln!(out, "  {} {}: {NOT_STARTED}", p.yellow("~"), r.address)?
                        }
                        _ => {}
                    }
                }
                let line = format!(
                    "Applied: {} created, {} updated, {} failed, {} skipped{}.",
                    report.created(),
                    report.updated(),
                    report.failed(),
                    report.skipped(),
                    match report.not_started() {
                        0 => String::new(),
                        n => format!(", {n} not started"),
                    }
                );
                writeln!(out, "{}", if report.succeeded() { p.green(&line) } else { p.red(&line) })?;
            }
        }
    }
    writeln!(out)
}

/// Totals over the rows.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Totals {
    pub accounts: usize,
    pub in_sync: usize,
    pub changes: usize,
    pub applied: usize,
    pub failed: usize,
}

pub fn totals(rows: &[AccountRow]) -> Totals {
    let mut t = Totals { accounts: rows.len(), ..Totals::default() };
    for r in rows {
        match r.status {
            Status::InSync => t.in_sync += 1,
            Status::Changes => t.changes += 1,
            Status::Applied => t.applied += 1,
            Status::Failed => t.failed += 1,
        }
    }
    t
}

fn totals_line(t: &Totals) -> String {
    let mut parts = vec![format!("{} in sync", t.in_sync)];
    if t.changes > 0 {
        parts.push(format!("{} with changes", t.changes));
    }
    if t.applied > 0 {
        parts.push(format!("{} applied", t.applied));
    }
    parts.push(format!("{} failed", t.failed));
    format!("{} account{}: {}.", t.accounts, plural(t.accounts), parts.join(", "))
}

/// The closing table, sorted by account id.
pub fn summary_table(out: &mut dyn Write, rows: &[AccountRow], calls: CallCounts, p: &Palette) -> io::Result<()> {
    let name_width = rows.iter().filter_map(|r| r.name.as_ref().map(|n| n.chars().count())).max().unwrap_or(0).max(4);
    let header = format!(
        "{:<12}  {:<name_width$}  {:<10}  {:>6}  {:>6}  {:>6}  NOTE",
        "ACCOUNT", "NAME", "STATUS", "CREATE", "UPDATE", "MANUAL"
    );
    writeln!(out, "{}", p.bold(&header))?;
    for r in rows {
        let status = format!("{:<10}", r.status_text());
        let status = match r.status {
            Status::InSync | Status::Applied => p.green(&status),
            Status::Changes => p.yellow(&status),
            Status::Failed => p.red(&status),
        };
        writeln!(
            out,
            "{:<12}  {:<name_width$}  {status}  {:>6}  {:>6}  {:>6}  {}",
            r.account,
            r.name.as_deref().unwrap_or("-"),
            r.create,
            r.update,
            r.manual,
            r.error.as_deref().unwrap_or(""),
        )?;
    }
    let t = totals(rows);
    let line = totals_line(&t);
    writeln!(out, "{}", if t.failed > 0 { p.red(&line) } else { p.bold(&line) })?;
    writeln!(out, "{}", p.dim(&format!("AWS API calls: {} read, {} write.", calls.reads, calls.writes)))
}

/// The summary as a Markdown section (for `$GITHUB_STEP_SUMMARY` and similar).
pub fn markdown(out: &mut dyn Write, title: &str, rows: &[AccountRow], calls: CallCounts) -> io::Result<()> {
    let t = totals(rows);
    writeln!(out, "### {title}\n")?;
    writeln!(out, "{}\n", totals_line(&t))?;
    writeln!(out, "| Account | Name | Status | Create | Update | Manual | Note |")?;
    writeln!(out, "|---|---|---|---:|---:|---:|---|")?;
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    for r in rows {
        let status = match r.status {
            Status::Failed => format!("**{}**", r.status_text()),
            _ => r.status_text(),
        };
        writeln!(
            out,
            "| {} | {} | {status} | {} | {} | {} | {} |",
            r.account,
            cell(r.name.as_deref().unwrap_or("")),
            r.create,
            r.update,
            r.manual,
            cell(r.error.as_deref().unwrap_or(""))
        )?;
    }
    writeln!(out, "\nAWS API calls: {} read, {} write.\n", calls.reads, calls.writes)
}

#[derive(Serialize)]
struct AccountJson<'a> {
    format_version: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    account: &'a str,
    name: Option<&'a str>,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<json::PlanJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<&'a [crate::engine::ChangeResult]>,
}

/// One account as one line of JSON (JSON Lines): printed as soon as the account is done. `kind` is
/// `"account"` for a result, `"plan"` for a plan shown before asking to apply it.
pub fn json_line(report: &AccountReport, row: &AccountRow, kind: &'static str) -> String {
    let id = report.member.id.as_str();
    let (plan, results, error) = match &report.outcome {
        AccountOutcome::Unreachable(e) => (None, None, Some(format!("{e}; hint: {}", e.hint()))),
        AccountOutcome::NotStarted => (None, None, Some(NOT_STARTED.into())),
        AccountOutcome::Planned { plan, .. } => (Some(json::plan(plan, id)), None, None),
        AccountOutcome::Applied { plan, report } => (Some(json::plan(plan, id)), Some(report.results.as_slice()), None),
    };
    let record = AccountJson {
        format_version: json::FORMAT_VERSION,
        kind,
        account: id,
        name: report.member.name.as_deref(),
        status: row.status,
        error,
        plan,
        results,
    };
    let mut line = serde_json::to_string(&record).expect("account JSON is always serialisable");
    line.push('\n');
    line
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    format_version: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    totals: Totals,
    failed_accounts: Vec<&'a AccountRow>,
    api_calls: CallCounts,
    /// Per `Service.Operation`, over the whole run.
    api_calls_by_operation: &'a BTreeMap<String, CallCounts>,
}

/// The closing JSON line.
pub fn json_summary(rows: &[AccountRow], by_operation: &BTreeMap<String, CallCounts>) -> String {
    let calls = by_operation.values().sum();
    let summary = SummaryJson {
        format_version: json::FORMAT_VERSION,
        kind: "summary",
        totals: totals(rows),
        failed_accounts: rows.iter().filter(|r| r.status == Status::Failed).collect(),
        api_calls: calls,
        api_calls_by_operation: by_operation,
    };
    let mut line = serde_json::to_string(&summary).expect("summary JSON is always serialisable");
    line.push('\n');
    line
}

/// The live progress line: `[ 37/200] 2 failed · 111111111111 planning, 222222222222 applying, +6 more`.
pub fn progress_line(total: usize, done: usize, failed: usize, active: &BTreeMap<String, Stage>) -> String {
    let width = total.to_string().len();
    let mut line = format!("[{done:>width$}/{total}] accounts done");
    if failed > 0 {
        line.push_str(&format!(", {failed} failed"));
    }
    let shown: Vec<String> = active.iter().take(3).map(|(a, s)| format!("{a} {}", s.as_str())).collect();
    if !shown.is_empty() {
        line.push_str(" · ");
        line.push_str(&shown.join(", "));
        if active.len() > 3 {
            line.push_str(&format!(", +{} more", active.len() - 3));
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<AccountRow> {
        let row = |account: &str, name: Option<&str>, status, create, error: Option<&str>| AccountRow {
            account: account.into(),
            name: name.map(str::to_string),
            status,
            create,
            update: 0,
            manual: 1,
            error: error.map(str::to_string),
        };
        vec![
            row("111111111111", Some("management"), Status::InSync, 0, None),
            row("222222222222", Some("log-archive"), Status::Changes, 3, None),
            row("333333333333", None, Status::Failed, 0, Some("cannot assume arn:aws:iam::333333333333:role/x | y")),
        ]
    }

    #[test]
    fn summary_table_lists_every_account_and_the_totals() {
        let mut out = Vec::new();
        summary_table(&mut out, &rows(), CallCounts { reads: 120, writes: 0, refused: 0 }, &Palette::PLAIN).unwrap();
        let text = String::from_utf8(out).unwrap();
        let expected = "\
ACCOUNT       NAME         STATUS      CREATE  UPDATE  MANUAL  NOTE
111111111111  management   in sync          0       0       1  
222222222222  log-archive  3 changes        3       0       1  
333333333333  -            failed           0       0       1  cannot assume arn:aws:iam::333333333333:role/x | y
3 accounts: 1 in sync, 1 with changes, 1 failed.
AWS API calls: 120 read, 0 write.
";
        assert_eq!(text, expected);
    }

    #[test]
    fn markdown_escapes_table_cells() {
        let mut out = Vec::new();
        markdown(&mut out, "baseline plan", &rows(), CallCounts::default()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("### baseline plan\n\n3 accounts: 1 in sync, 1 with changes, 1 failed.\n"));
        assert!(text.contains(
            "| 333333333333 |  | **failed** | 0 | 0 | 1 | cannot assume arn:aws:iam::333333333333:role/x \\| y |"
        ));
    }

    #[test]
    fn progress_line_shows_counts_and_a_few_active_accounts() {
        let active: BTreeMap<String, Stage> = [
            ("111111111111", Stage::Planning),
            ("222222222222", Stage::Applying),
            ("333333333333", Stage::Connecting),
            ("444444444444", Stage::Planning),
        ]
        .into_iter()
        .map(|(a, s)| (a.to_string(), s))
        .collect();
        assert_eq!(
            progress_line(200, 37, 2, &active),
            "[ 37/200] accounts done, 2 failed · 111111111111 planning, 222222222222 applying, 333333333333 connecting, +1 more"
        );
        assert_eq!(progress_line(5, 5, 0, &BTreeMap::new()), "[5/5] accounts done");
    }
}
