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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
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

/// A command line clap rejects exits 1 (clap's own code, 2, means "changes pending" to scripts running
/// `plan --detailed-exitcode`); `--help` and `--version` print and exit 0.
fn usage(e: &clap::Error) -> std::process::ExitCode {
    let _ = e.print();
    if e.use_stderr() { ExitCode::Error.into() } else { ExitCode::Success.into() }
}

/// Logs on stderr. `BASELINE_LOG` (an `EnvFilter`) wins; otherwise `-v` raises the level for every crate,
/// including the AWS SDK's. At the default verbosity only baseline's own warnings show: the SDK logs at WARN
/// what the tool reports itself in one clear line (no credentials, no instance metadata service off EC2, an
/// unreachable endpoint), with debug dumps a first-time user cannot act on.
fn init_logging(verbose: u8) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BASELINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(log_filter(verbose)));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}

/// The log filter for a verbosity, when `BASELINE_LOG` sets none.
fn log_filter(verbose: u8) -> &'static str {
    match verbose {
        0 => "baseline=warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    }
}

#[cfg(test)]
mod tests {
    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt;

    use super::log_filter;

    /// Whether an event of `target` at `level` gets through the filter of `verbose`.
    fn shown(verbose: u8, target_is_sdk: bool, level: Level) -> bool {
        let subscriber = tracing_subscriber::registry().with(tracing_subscriber::EnvFilter::new(log_filter(verbose)));
        tracing::subscriber::with_default(subscriber, || match (target_is_sdk, level) {
            (true, Level::WARN) => tracing::event_enabled!(target: "aws_config::imds::region", Level::WARN),
            (true, _) => tracing::event_enabled!(target: "aws_config::imds::region", Level::INFO),
            (false, Level::WARN) => tracing::event_enabled!(target: "baseline::fleet::discover", Level::WARN),
            (false, _) => tracing::event_enabled!(target: "baseline::fleet::discover", Level::INFO),
        })
    }

    #[test]
    fn the_default_verbosity_shows_only_baselines_own_warnings() {
        assert!(!shown(0, true, Level::WARN), "the SDK's warnings are off by default");
        assert!(shown(0, false, Level::WARN), "baseline's own warnings show");
        assert!(!shown(0, false, Level::INFO));
        assert!(shown(1, true, Level::WARN) && shown(1, true, Level::INFO), "-v shows the SDK's logs");
        assert!(shown(1, false, Level::INFO));
    }
}
