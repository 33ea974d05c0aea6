//! Using baseline as a library: load a baseline, plan it against the account of the standard AWS
//! configuration, and print one line per pending change. Read-only, like `baseline plan`.
//!
//!     cargo run --example plan_summary -- baseline.toml [ENDPOINT_URL]

use std::path::PathBuf;

use baseline::aws::{ConnectOptions, Session};
use baseline::{Target, config};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().unwrap_or_else(|| "baseline.toml".into()));
    let endpoint_url = args.next();

    let loaded = config::load(&path)?;
    let session = Session::connect(&ConnectOptions { endpoint_url, ..ConnectOptions::default() }).await;
    let target = Target::discover(&session, &loaded.desired).await?;
    let plan = baseline::plan(&loaded.desired, &target).await;

    for change in plan.pending() {
        println!("{} {} ({})", change.action.symbol(), change.address, change.reason);
    }
    for error in &plan.errors {
        println!("x {}: {}", error.address, error.error);
    }
    let s = plan.summary();
    println!(
        "{} to create, {} to update, {} unchanged, {} API calls",
        s.create,
        s.update,
        s.unchanged,
        session.guard.counts().reads
    );
    Ok(())
}
