//! Command-line definitions only (clap). Turned into settings in `main.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "baseline", version, about = "Bring AWS accounts to a security baseline and keep them there")]
pub struct Cli {
    /// The baseline to apply.
    #[arg(short, long, global = true, default_value = "baseline.toml", value_name = "PATH")]
    pub config: PathBuf,

    /// AWS shared-config profile (default: the standard AWS credential chain).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Region to use when baseline.toml sets no `home_region` (overrides AWS_REGION and the profile's).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Send every AWS call to this endpoint, e.g. a local emulator (also: AWS_ENDPOINT_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print only problems and the summary lines, not each change.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// When to use colors (NO_COLOR is honoured with `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check baseline.toml. Needs no credentials and makes no AWS call.
    Validate,
    /// Show what differs between the account and the baseline. Never writes.
    Plan(PlanArgs),
    /// Create or repair what differs, after confirmation.
    Apply(ApplyArgs),
    /// Print the IAM policy `plan` or `apply` needs with this baseline.toml. Makes no AWS call.
    Policy(PolicyArgs),
    /// Print a shell completion script on stdout. Needs no baseline.toml.
    #[command(
        after_help = "Install, e.g.: baseline completions bash > ~/.local/share/bash-completion/completions/baseline"
    )]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout. Needs no baseline.toml.
    #[command(after_help = "Read it with: baseline man | man -l -")]
    Man {
        /// The page of this subcommand (baseline-plan(1), ...) instead of baseline(1).
        #[arg(value_name = "SUBCOMMAND")]
        subcommand: Option<String>,
    },
    /// Write a commented baseline.toml to start from. Makes no AWS call, unless --from-account (read-only).
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write it (default: the file -c/--config names, ./baseline.toml).
    #[arg(long, value_name = "FILE")]
    pub path: Option<PathBuf>,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Keep what the account already has (contacts, topic names and subscribers, the trail, its bucket, log
    /// group and role) instead of the example values. Makes only read calls.
    #[arg(long)]
    pub from_account: bool,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The policy for `plan`: read-only actions (the default).
    #[arg(long, conflicts_with = "apply")]
    pub plan: bool,
    /// The policy for `apply`: the reads of `plan` plus the writes.
    #[arg(long)]
    pub apply: bool,
    /// Print the policy with its action count and the reason for each `*` resource, as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Only the K-th (1-based) of the managed policies a policy over IAM's 6,144-character limit splits into.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u16).range(1..))]
    pub part: Option<u16>,
    /// A variant the local emulator (moto) can enforce: it checks most actions against the resource `*` and
    /// some S3 sub-resources under other action names. For tests against the emulator only.
    #[arg(long)]
    pub for_emulator: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Exit 2 when changes are pending, 0 when the account matches, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// With --detailed-exitcode, also exit 2 when manual actions (root MFA, root keys) remain.
    #[arg(long, requires = "detailed_exitcode")]
    pub fail_on_manual: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also save the plan, as JSON, to this file, for `apply FILE` (an organization run saves one JSON line per
    /// account).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `plan --out FILE`: apply exactly its changes, after checking that baseline.toml, the
    /// tool version and every resource it lists are as they were when it was made (refuses, exit 1, before any
    /// write otherwise). Applies where the plan was made: no --accounts, --regions, --target or --shard.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    /// Apply without asking for confirmation (required when there is no terminal). A saved plan was reviewed
    /// already: it is applied without asking.
    #[arg(long)]
    pub auto_approve: bool,
    /// Print the plan and the results as one JSON document (organization runs: one JSON line per account).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Which part of the baseline a run covers, and how hard it works. Shared by `plan` and `apply`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Only these accounts (comma-separated ids), among those baseline.toml covers.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub accounts: Vec<String>,
    /// Regional resources (AWS Config) only in these regions (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "REGIONS")]
    pub regions: Vec<String>,
    /// Only changes whose address starts with this prefix, and what they depend on (repeatable),
    /// e.g. `123456789012/us-east-1/cloudtrail`.
    #[arg(long = "target", value_name = "ADDRESS-PREFIX")]
    pub targets: Vec<String>,
    /// Only the I-th of N deterministic parts of the account list (1-based), e.g. `--shard 2/8`. `NAME/N` reads
    /// a 0-based index from the environment variable NAME, as batch engines set it: `--shard
    /// JOB_COMPLETION_INDEX/8` (Kubernetes Indexed Job) or `--shard AWS_BATCH_JOB_ARRAY_INDEX/8` (AWS Batch
    /// array job); index K runs shard K+1 of N. An unset variable, a value that is not a number and an index
    /// of N or more are errors (exit 1).
    #[arg(long, value_name = "I/N|NAME/N")]
    pub shard: Option<baseline::fleet::ShardSpec>,
    /// At most N AWS requests in flight at once, across all accounts and regions; accounts are worked on
    /// N/4 at a time.
    #[arg(long, value_name = "N", default_value_t = baseline::aws::DEFAULT_MAX_REQUESTS as u16,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
    /// Append a Markdown summary of the run to this file (e.g. "$GITHUB_STEP_SUMMARY").
    #[arg(long, value_name = "FILE")]
    pub markdown_summary: Option<PathBuf>,
}

impl RunArgs {
    /// Options that only make sense for a run over several accounts.
    pub fn selects_accounts(&self) -> bool {
        !self.accounts.is_empty() || self.shard.is_some()
    }
}
