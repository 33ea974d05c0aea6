//! The `baseline` binary: parse arguments, set up output, run one command, map the outcome to an exit code.

mod cli;
mod commands;
mod exit_code;

use std::io::IsTerminal;

use clap::Parser;

use cli::{Cli, ColorChoice};
use commands::Output;
use exit_code::ExitCode;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let color = |terminal: bool| match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && terminal,
    };
    let output = Output {
        color: color(std::io::stdout().is_terminal()),
        color_stderr: color(std::io::stderr().is_terminal()),
        quiet: cli.quiet,
        verbose: cli.verbose > 0,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let code: ExitCode = runtime.block_on(commands::run(&cli, &output));
    code.into()
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BASELINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}
