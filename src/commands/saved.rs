//! `apply PLANFILE`: applies a saved plan, exactly, after checking it is still true.

use std::io::{self, Write};
use std::path::Path;

use baseline::config::Loaded;
use baseline::engine::saved::{self, SavedPlan, Stale};
use baseline::resources::Plan;

use super::Output;
use crate::cli::{ApplyArgs, Cli};
use crate::exit_code::ExitCode;

pub async fn apply(cli: &Cli, loaded: &Loaded, args: &ApplyArgs, out: &Output) -> ExitCode {
    let path = args.plan_file.as_deref().expect("dispatched with a plan file");
    let plans = match read(cli, loaded, args, path) {
        Ok(plans) => plans,
        Err(message) => {
            eprintln!("error: {message}");
            eprintln!("Nothing was changed.");
            return ExitCode::Error;
        }
    };
    let layout = super::fleet::Layout::of_saved(loaded, &plans);
    super::fleet::apply_saved(cli, loaded, args, out, &plans, layout).await
}

/// Reads the file and checks where it came from; the message says what is wrong and what to do.
fn read(cli: &Cli, loaded: &Loaded, args: &ApplyArgs, path: &Path) -> Result<Vec<SavedPlan>, String> {
    let run = &args.run;
    let given = [
        (!run.accounts.is_empty(), "--accounts"),
        (!run.regions.is_empty(), "--regions"),
        (!run.targets.is_empty(), "--target"),
        (run.shard.is_some(), "--shard"),
    ];
    if let Some((_, flag)) = given.iter().find(|(set, _)| *set) {
        return Err(format!(
            "{flag} cannot be used with a saved plan: it applies to the accounts, regions and targets it was made \
             for (plan again with {flag} and --out to narrow it)"
        ));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read the saved plan {}: {e}", path.display()))?;
    let plans = saved::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    saved::check_origin(&plans, &cli.config.display().to_string(), &loaded.sha256)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(plans)
}

/// Compares a saved plan with the fresh plan of its account and keeps only the saved changes; the resources
/// that changed since come back. Pending changes the saved plan does not list are left out, with a note.
pub(crate) fn verify(saved: &SavedPlan, fresh: &mut Plan, out: &Output) -> Vec<Stale> {
    let stale = saved::compare(saved, fresh);
    let dropped = saved::keep_saved(fresh, saved);
    if stale.is_empty() && !dropped.is_empty() && !out.quiet {
        eprintln!(
            "note: {} change{} found since the plan was made {} not in it and will not be applied \
             (plan again to review {}): {}",
            dropped.len(),
            if dropped.len() == 1 { "" } else { "s" },
            if dropped.len() == 1 { "is" } else { "are" },
            if dropped.len() == 1 { "it" } else { "them" },
            dropped.join(", ")
        );
    }
    stale
}

/// When anything changed since the plan was made, lists it and refuses (exit 1) before any write.
pub(crate) fn refuse_stale(path: &Path, stale: &[Stale]) -> Result<(), ExitCode> {
    if stale.is_empty() {
        return Ok(());
    }
    let stderr = &mut io::stderr().lock();
    let n = stale.len();
    let _ = writeln!(
        stderr,
        "error: the saved plan {} is out of date: {n} resource{} changed since it was made:",
        path.display(),
        if n == 1 { "" } else { "s" }
    );
    for s in stale {
        let _ = writeln!(stderr, "  {s}");
    }
    let _ =
        writeln!(stderr, "Nothing was changed. Plan again (`baseline plan --out FILE`), review it, and apply that.");
    Err(ExitCode::Error)
}
