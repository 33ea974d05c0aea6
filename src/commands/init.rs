//! `baseline init`: a commented baseline.toml for a new user, written where asked and never over a file
//! unless `--force` says so. With `--from-account`, the names and addresses the account already has replace the
//! example values (read by [`baseline::discover`], read calls only).

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use baseline::aws::{ConnectOptions, Session};
use baseline::discover::{self, Found};

use crate::cli::{Cli, InitArgs};
use crate::commands::Output;
use crate::exit_code::ExitCode;

/// The baseline.toml shipped at the top of the repository, every key commented.
const SHIPPED: &str = include_str!("../../baseline.toml");

/// The starter file: the shipped baseline.toml without its `#:schema` line, whose relative path only holds in
/// this repository.
pub(crate) fn starter() -> &'static str {
    match SHIPPED.split_once('\n') {
        Some((first, rest)) if first.starts_with("#:schema") => rest,
        _ => SHIPPED,
    }
}

pub async fn run(cli: &Cli, args: &InitArgs, out: &Output) -> ExitCode {
    let path = args.path.as_deref().unwrap_or(&cli.config);
    let (text, kept) = if args.from_account {
        match from_account(cli).await {
            Some(filled) => filled,
            None => return ExitCode::Error,
        }
    } else {
        (starter().to_string(), Vec::new())
    };
    match write(path, &text, args.force) {
        Ok(()) => {
            if !out.quiet {
                let shown = path.display();
                println!("Wrote {shown}: a commented baseline to start from.");
                for line in &kept {
                    println!("  kept from the account: {line}");
                }
                println!("Next: replace the example addresses with your own lists, then run");
                println!("  baseline -c {shown} validate");
                println!("  baseline -c {shown} plan");
                println!("Every key is described in README.md, \"baseline.toml reference\".");
            }
            ExitCode::Success
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            eprintln!("error: {} already exists; nothing was written", path.display());
            eprintln!("  hint: pass --force to overwrite it, or --path FILE to write another file");
            ExitCode::Error
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            ExitCode::Error
        }
    }
}

/// The starter with what the account has, and a line per value kept; `None` once the problem is printed.
async fn from_account(cli: &Cli) -> Option<(String, Vec<String>)> {
    let options = ConnectOptions {
        profile: cli.profile.clone(),
        region: cli.region.clone(),
        endpoint_url: cli.endpoint_url.clone(),
        max_requests: 0,
    };
    let session = Session::connect(&options).await;
    let home_region = session.default_region().unwrap_or_else(|| "us-east-1".to_string());
    match discover::read(&session, &home_region).await {
        Ok(found) => Some(filled(starter(), &found)),
        Err(e) => {
            eprintln!("error: cannot read the account: {e}");
            eprintln!("  hint: {}", e.hint());
            eprintln!("Nothing was written.");
            None
        }
    }
}

/// `starter` with the values of `found` in place of the examples, and what was kept, one line each.
pub(crate) fn filled(starter: &str, found: &Found) -> (String, Vec<String>) {
    let mut text = starter.to_string();
    let mut kept = Vec::new();
    let mut keep = |table: &str, key: &str, value: toml::Value| {
        if let Some(edited) = set(&text, table, key, &value) {
            kept.push(format!("[{table}] {key} = {value}"));
            text = edited;
        }
    };
    keep("baseline", "home_region", found.home_region.clone().into());
    for c in &found.contacts {
        let table = format!("contacts.{}", c.kind);
        for (key, value) in [("name", &c.name), ("title", &c.title), ("email", &c.email), ("phone", &c.phone)] {
            keep(&table, key, value.clone().into());
        }
    }
    for t in &found.topics {
        let table = format!("notifications.{}", t.role);
        keep(&table, "topic", t.name.clone().into());
        keep(&table, "emails", t.emails.iter().cloned().map(toml::Value::from).collect::<Vec<_>>().into());
    }
    if let Some(trail) = &found.trail {
        keep("cloudtrail", "trail", trail.name.clone().into());
        let optional = [
            ("cloudtrail", "log_group", &trail.log_group),
            ("cloudtrail", "role", &trail.role),
            ("cloudtrail", "s3_key_prefix", &trail.s3_key_prefix),
            ("log_archive", "bucket", &trail.bucket),
            ("log_archive", "access_log_bucket", &trail.access_log_bucket),
        ];
        for (table, key, value) in optional {
            if let Some(value) = value {
                keep(table, key, value.clone().into());
            }
        }
    }
    (text, kept)
}

/// `text` with the line `key = ...` of `[table]` set to `value` (the starter's layout: one `key = value` per line,
/// nothing after the value), or that line added under the table's header; `None` when there is no such table.
fn set(text: &str, table: &str, key: &str, value: &toml::Value) -> Option<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header = |line: &str| {
        let line = line.trim();
        line.starts_with('[').then(|| line.trim_matches(|c| c == '[' || c == ']').trim().to_string())
    };
    let start = lines.iter().position(|l| header(l).as_deref() == Some(table))?;
    let end = lines[start + 1..].iter().position(|l| header(l).is_some()).map_or(lines.len(), |i| start + 1 + i);
    let is_key = |l: &String| l.split_once('=').is_some_and(|(k, _)| k.trim() == key);
    let line = format!("{key} = {value}");
    match lines[start + 1..end].iter().position(is_key) {
        Some(i) => lines[start + 1 + i] = line,
        None => lines.insert(start + 1, line),
    }
    Some(lines.join("\n") + "\n")
}

/// Writes `text` to `path`; without `force`, only if no file is there (checked and created in one step).
fn write(path: &Path, text: &str, force: bool) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn the_starter_is_the_shipped_file_and_valid() {
        let starter = starter();
        assert!(!starter.starts_with("#:schema"), "the repository-relative schema line is left out");
        assert!(SHIPPED.ends_with(starter));
        assert!(starter.lines().filter(|l| l.trim_start().starts_with('#')).count() > 20, "it is commented");
        let loaded = baseline::config::parse(Path::new("baseline.toml"), starter).expect("the starter is valid");
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }

    #[test]
    fn the_accounts_values_replace_the_examples_in_their_own_tables() {
        use baseline::discover::{FoundContact, FoundTopic, FoundTrail};
        let found = Found {
            account_id: "123456789012".into(),
            home_region: "eu-west-1".into(),
            contacts: vec![FoundContact {
                kind: "security",
                name: "SOC".into(),
                title: "Team".into(),
                email: "soc@acme.test".into(),
                phone: "+1 555".into(),
            }],
            topics: vec![FoundTopic { role: "billing", name: "bills".into(), emails: vec!["b@acme.test".into()] }],
            trail: Some(FoundTrail {
                name: "acme-trail".into(),
                bucket: Some("logs-{account_id}".into()),
                s3_key_prefix: Some("ct".into()),
                log_group: None,
                role: None,
                access_log_bucket: None,
            }),
        };
        let (text, kept) = filled(starter(), &found);
        let loaded = baseline::config::parse(Path::new("baseline.toml"), &text).expect("still valid");
        let toml: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(toml["baseline"]["home_region"].as_str(), Some("eu-west-1"));
        assert_eq!(toml["contacts"]["security"]["email"].as_str(), Some("soc@acme.test"));
        assert_eq!(toml["contacts"]["billing"]["email"].as_str(), Some("aws-billing@example.com"), "not found: kept");
        assert_eq!(toml["notifications"]["billing"]["topic"].as_str(), Some("bills"));
        assert_eq!(toml["notifications"]["security"]["topic"].as_str(), Some("baseline-security-notifications"));
        assert_eq!(toml["log_archive"]["bucket"].as_str(), Some("logs-{account_id}"));
        assert_eq!(toml["cloudtrail"]["s3_key_prefix"].as_str(), Some("ct"), "a key the starter lacks is added");
        assert_eq!(toml["cloudtrail"]["log_group"].as_str(), Some("baseline-cloudtrail"));
        assert!(kept.contains(&"[cloudtrail] trail = \"acme-trail\"".to_string()), "{kept:#?}");
        assert_eq!(kept.len(), 1 + 4 + 2 + 3, "{kept:#?}");
        assert!(loaded.warnings.is_empty());
        assert!(text.lines().filter(|l| l.trim_start().starts_with('#')).count() > 20, "comments kept");
    }

    #[test]
    fn write_refuses_an_existing_file_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.toml");
        std::fs::write(&path, "# mine\n").unwrap();
        let refused = write(&path, "new\n", false).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
        write(&path, "new\n", true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
    }
}
