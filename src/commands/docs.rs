//! `completions` and `man`: generated from the clap definitions, so they never disagree with `--help`. They
//! read no baseline.toml and make no AWS call.

use std::io::{self, Write};

use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::exit_code::ExitCode;

/// Prints the script or page when `command` is one of these; `None` for the other commands.
pub fn run(command: &Command) -> Option<ExitCode> {
    let stdout = &mut io::stdout().lock();
    let written = match command {
        Command::Completions { shell } => completions(stdout, *shell),
        Command::Man { subcommand } => match man(stdout, subcommand.as_deref()) {
            Ok(written) => written,
            Err(unknown) => {
                eprintln!("error: {unknown}");
                return Some(ExitCode::Error);
            }
        },
        Command::Validate | Command::Plan(_) | Command::Apply(_) | Command::Policy(_) | Command::Init(_) => {
            return None;
        }
    };
    Some(match written {
        Ok(()) => ExitCode::Success,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            ExitCode::Error
        }
    })
}

fn completions(out: &mut dyn Write, shell: clap_complete::Shell) -> io::Result<()> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "baseline", out);
    out.flush()
}

/// baseline(1), or baseline-SUBCOMMAND(1); `Err` names an unknown subcommand.
fn man(out: &mut dyn Write, subcommand: Option<&str>) -> Result<io::Result<()>, String> {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let page = match subcommand {
        None => command,
        Some(name) => command.find_subcommand(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
            format!("`{name}` is not a subcommand of baseline: one of {}", names.join(", "))
        })?,
    };
    Ok(clap_mangen::Man::new(page).render(out))
}
