//! The Terraform-like text form of plans, apply progress and apply reports.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{Palette, json_value, plural};
use crate::aws::{AwsError, CallCounts};
use crate::engine::{Action, ApplyReport, AttributeChange, Event, GLOBAL, NoticeLevel};
use crate::resources::{Plan, ResourceChange};

/// Past this width an attribute's before and after go on lines of their own.
const INLINE_WIDTH: usize = 100;

/// What the human plan is about, and how much of it to show.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub account: &'a str,
    pub home_region: &'a str,
    /// Every change of every region; otherwise regions beyond the home region are summarised when many.
    pub full: bool,
}

/// Past this many other regions with changes, each gets a one-line summary instead of its blocks.
const DETAILED_OTHER_REGIONS: usize = 2;

pub fn plan(out: &mut dyn Write, plan: &Plan, view: &View<'_>, p: &Palette) -> io::Result<()> {
    let pending: Vec<&ResourceChange> = plan.changes.iter().filter(|c| c.action != Action::NoOp).collect();
    let mut others: BTreeMap<&str, Vec<&ResourceChange>> = BTreeMap::new();
    for c in &pending {
        if c.address.region != GLOBAL && c.address.region != view.home_region {
            others.entry(c.address.region.as_str()).or_default().push(c);
        }
    }
    let summarise = !view.full && others.len() > DETAILED_OTHER_REGIONS;
    if !pending.is_empty() {
        writeln!(out, "Differences from the baseline in account {}:", view.account)?;
        writeln!(out)?;
    }
    for change in &pending {
        if summarise && others.contains_key(change.address.region.as_str()) {
            continue;
        }
        resource_change(out, change, p)?;
        writeln!(out)?;
    }
    if summarise {
        for (region, changes) in &others {
            region_summary(out, view.account, region, changes, p)?;
        }
        writeln!(
            out,
            "  {}",
            p.dim(&format!("({} regions summarised; -v or --json lists every change)", others.len()))
        )?;
        writeln!(out)?;
    }
    notices(out, plan, p)?;
    errors(out, plan, p)?;
    summary(out, plan, p)
}

/// `+ 123456789012/eu-west-1: 8 to create (config.recorder, config.rule ×2, …)`
fn region_summary(
    out: &mut dyn Write,
    account: &str,
    region: &str,
    changes: &[&ResourceChange],
    p: &Palette,
) -> io::Result<()> {
    let create = changes.iter().filter(|c| c.action == Action::Create).count();
    let update = changes.iter().filter(|c| c.action == Action::Update).count();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for c in changes {
        *kinds.entry(c.address.kind).or_default() += 1;
    }
    let kinds: Vec<String> =
        kinds.iter().map(|(k, n)| if *n > 1 { format!("{k} ×{n}") } else { k.to_string() }).collect();
    let symbol = if update == 0 { p.green("+") } else { p.yellow("~") };
    let mut counts = Vec::new();
    if create > 0 {
        counts.push(format!("{create} to create"));
    }
    if update > 0 {
        counts.push(format!("{update} to update"));
    }
    writeln!(out, "  {symbol} {}: {} ({})", p.bold(&format!("{account}/{region}")), counts.join(", "), kinds.join(", "))
}

/// The short form (`--quiet`): what could not be read, and the summary line.
pub fn plan_brief(out: &mut dyn Write, plan: &Plan, p: &Palette) -> io::Result<()> {
    errors(out, plan, p)?;
    summary(out, plan, p)
}

fn resource_change(out: &mut dyn Write, change: &ResourceChange, p: &Palette) -> io::Result<()> {
    let symbol = change.action.symbol().to_string();
    let colored = match change.action {
        Action::Create => p.green(&symbol),
        Action::Update => p.yellow(&symbol),
        Action::Manual => p.magenta(&symbol),
        Action::NoOp => symbol,
    };
    writeln!(out, "  {colored} {}", p.bold(&change.address.to_string()))?;
    let label = match change.action {
        Action::Manual => "manual action",
        _ => "because",
    };
    writeln!(out, "      {} {}", p.dim(&format!("# {label}:")), change.reason)?;
    for attribute in &change.attributes {
        attribute_line(out, attribute, change.action, p)?;
    }
    Ok(())
}

fn attribute_line(out: &mut dyn Write, a: &AttributeChange, action: Action, p: &Palette) -> io::Result<()> {
    if action != Action::Manual && json_attribute(out, a, p)? {
        return Ok(());
    }
    let q = |v: &str| format!("{v:?}");
    match (&a.before, &a.after) {
        (_, Some(after)) if action == Action::Manual => writeln!(out, "      {}: {after}", a.name),
        (None, Some(after)) => writeln!(out, "      {} {} = {}", p.green("+"), a.name, q(after)),
        (Some(before), None) => writeln!(out, "      {} {} = {}", p.red("-"), a.name, q(before)),
        (Some(before), Some(after)) if a.name.len() + before.len() + after.len() > INLINE_WIDTH => {
            writeln!(out, "      {} {}:", p.yellow("~"), a.name)?;
            writeln!(out, "          {} {}", p.red("-"), before)?;
            writeln!(out, "          {} {}", p.green("+"), after)
        }
        (Some(before), Some(after)) => {
            writeln!(out, "      {} {}: {} → {}", p.yellow("~"), a.name, q(before), q(after))
        }
        (None, None) => Ok(()),
    }
}

/// A document value (a policy, a statement) indented, one element per line; `false` when the values are not
/// JSON documents.
fn json_attribute(out: &mut dyn Write, a: &AttributeChange, p: &Palette) -> io::Result<bool> {
    let parse = |v: &Option<String>| v.as_deref().and_then(json_value::parse);
    let (before, after) = (parse(&a.before), parse(&a.after));
    let (symbol, lines) = match (&a.before, &a.after, before, after) {
        (None, Some(_), _, Some(after)) => (p.green("+"), json_value::whole('+', &after)),
        (Some(_), None, Some(before), _) => (p.red("-"), json_value::whole('-', &before)),
        (Some(_), Some(_), Some(before), Some(after)) => (p.yellow("~"), json_value::change(&before, &after)),
        _ => return Ok(false),
    };
    writeln!(out, "      {symbol} {}:", a.name)?;
    for (sign, line) in lines {
        let sign = match sign {
            '+' => p.green("+"),
            '-' => p.red("-"),
            _ => " ".to_string(),
        };
        let line = if line.trim_start().starts_with("# (") { p.dim(&line) } else { line };
        writeln!(out, "          {sign} {line}")?;
    }
    Ok(true)
}

fn notices(out: &mut dyn Write, plan: &Plan, p: &Palette) -> io::Result<()> {
    for level in [NoticeLevel::Warning, NoticeLevel::Info] {
        let items: Vec<_> = plan.notices.iter().filter(|n| n.level == level).collect();
        if items.is_empty() {
            continue;
        }
        let heading = match level {
            NoticeLevel::Warning => p.yellow("Warnings:"),
            NoticeLevel::Info => p.bold("Status:"),
        };
        writeln!(out, "{heading}")?;
        for n in items {
            writeln!(out, "  - {}: {}", n.address, n.message)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn errors(out: &mut dyn Write, plan: &Plan, p: &Palette) -> io::Result<()> {
    if plan.errors.is_empty() {
        return Ok(());
    }
    writeln!(out, "{}", p.red("Errors (these resources could not be read, so they are not planned):"))?;
    for e in &plan.errors {
        error_lines(out, &e.address.to_string(), &e.error, p)?;
    }
    writeln!(out)
}

pub fn error_lines(out: &mut dyn Write, address: &str, error: &AwsError, p: &Palette) -> io::Result<()> {
    writeln!(out, "  {} {address}: {error}", p.red("x"))?;
    writeln!(out, "      {} {}", p.dim("hint:"), error.hint())
}

fn summary(out: &mut dyn Write, plan: &Plan, p: &Palette) -> io::Result<()> {
    let s = plan.summary();
    if !plan.errors.is_empty() {
        let n = plan.errors.len();
        writeln!(out, "{}", p.red(&format!("Plan incomplete: {n} resource{} could not be read.", plural(n))))?;
    }
    if s.create + s.update + s.manual == 0 && plan.errors.is_empty() {
        return writeln!(out, "{}", p.green("No changes. The account matches the baseline."));
    }
    writeln!(out, "{}", p.bold(&format!("Plan: {} to create, {} to update, {} manual.", s.create, s.update, s.manual)))
}

/// One line of apply progress.
pub fn event(out: &mut dyn Write, event: &Event<'_>, p: &Palette) -> io::Result<()> {
    match event {
        Event::Started { address, action } => {
            let verb = if *action == Action::Create { "creating" } else { "updating" };
            writeln!(out, "  {} {address}: {verb}…", p.dim("·"))
        }
        Event::Done { address, action, elapsed } => {
            let (symbol, verb) = if *action == Action::Create { ("+", "created") } else { ("~", "updated") };
            writeln!(out, "  {} {address}: {verb} ({:.1}s)", p.green(symbol), elapsed.as_secs_f64())
        }
        Event::Failed { address, error } => error_lines(out, &address.to_string(), error, p),
        Event::Retrying { address, attempt, reason } => {
            writeln!(out, "  {} {address}: retry {attempt}: {reason}", p.dim("↻"))
        }
        Event::Skipped { address, because } => {
            writeln!(out, "  {} {address}: skipped, because {because} failed", p.yellow("-"))
        }
    }
}

pub fn apply_summary(out: &mut dyn Write, report: &ApplyReport, calls: CallCounts, p: &Palette) -> io::Result<()> {
    let unstarted = report.not_started();
    let line = format!(
        "Apply {}: {} created, {} updated, {} failed{}.",
        if unstarted > 0 { "interrupted" } else { "complete" },
        report.created(),
        report.updated(),
        report.failed(),
        if unstarted > 0 { format!(", {unstarted} not started") } else { String::new() }
    );
    let line = if report.failed() > 0 || unstarted > 0 { p.red(&line) } else { p.green(&line) };
    writeln!(out, "{line}")?;
    if report.skipped() > 0 {
        let n = report.skipped();
        writeln!(out, "{n} skipped: a change they depend on failed.")?;
    }
    if unstarted > 0 {
        writeln!(out, "Not applied (interrupted before they started; run `baseline apply` again to finish):")?;
        for address in report.unstarted() {
            writeln!(out, "  {} {address}", p.yellow("~"))?;
        }
    }
    writeln!(out, "{}", p.dim(&format!("AWS API calls: {} read, {} write.", calls.reads, calls.writes)))
}

/// `baseline validate`'s report: each table of baseline.toml with what it sets, or that it is not set.
pub fn validated(
    out: &mut dyn Write,
    path: &str,
    sections: &[crate::config::model::Section],
    warnings: usize,
    p: &Palette,
) -> io::Result<()> {
    let set = sections.iter().filter(|s| s.summary.is_some()).count();
    let line =
        format!("{path} is valid: {set} of {} sections set, {warnings} warning{}.", sections.len(), plural(warnings));
    writeln!(out, "{}", p.green(&line))?;
    let width = sections.iter().map(|s| s.header.len()).max().unwrap_or(0);
    for s in sections {
        match &s.summary {
            Some(summary) => writeln!(out, "  {:width$}  {summary}", s.header)?,
            None => writeln!(out, "  {:width$}  {}", s.header, p.dim("not set: nothing managed"))?,
        }
    }
    Ok(())
}
