//! Credentials, session tokens and request signatures never reach the output, at any verbosity: the caller's
//! own keys, and the member accounts' assumed-role credentials.

use std::process::Command;

use crate::harness::{Moto, REGION};
use crate::organization::{baseline_toml, organization};

const KEY_ID: &str = "AKIDBASELINETEST0001";
const SECRET: &str = "caller-secret-never-printed-42";
const TOKEN: &str = "caller-session-token-never-printed-42";

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_in_output_at_the_highest_verbosity() {
    let moto = Moto::start();
    let (_org, members) = organization(&moto, 1).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), baseline_toml(&members[0])).unwrap();
    for command in [&["-vvv", "plan"][..], &["-vvv", "apply", "--auto-approve"], &["-vvv", "plan", "--json"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_baseline"))
            .current_dir(dir.path())
            .args(["--endpoint-url", &moto.endpoint, "--color", "never"])
            .args(command)
            .env_clear()
            .env("HOME", dir.path())
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_SESSION_TOKEN", TOKEN)
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{command:?}: {}", &text[text.len().saturating_sub(2000)..]);
        // The trace really shows requests and credentials handling, redacted.
        assert!(text.lines().count() > 500, "{command:?}: -vvv logs the requests");
        assert!(text.contains("x-amz-security-token\": ** redacted"), "{command:?}: tokens are sent, redacted");
        for secret in [SECRET, TOKEN, "<SecretAccessKey>", "<SessionToken>", "X-Amz-Signature=", "Signature="] {
            assert!(!text.contains(secret), "{command:?} printed {secret}");
        }
    }
}
