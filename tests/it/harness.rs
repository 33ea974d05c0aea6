//! Test harness: a real AWS emulator (moto_server from PyPI `moto[server]`) on a free loopback port, one per
//! test, plus helpers to build sessions and run the `baseline` binary against it.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sts::config::Credentials;
use baseline::aws::Session;
use baseline::config::{self, Desired};
use baseline::target::Target;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

/// `MOTO_SERVER`, then the project's `.venv`, then PATH.
fn moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    if venv.exists() {
        return venv;
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("moto_server"))
        .find(|p| p.exists());
    on_path.unwrap_or_else(|| {
        panic!(
            "moto_server not found. The integration tests need the AWS emulator from PyPI: run \
             `scripts/setup-emulator` (creates .venv with moto[server]), put moto_server on PATH, or set MOTO_SERVER."
        )
    })
}

/// `scripts/warm-emulator`, with the Python beside moto_server: one request per REST service before the test's
/// concurrent ones (moto builds each service's router unlocked on its first request; see the script).
fn warm(moto_server: &Path, endpoint: &str) {
    let beside = moto_server.with_file_name("python3");
    let python = if beside.exists() { beside } else { PathBuf::from("python3") };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/warm-emulator");
    let status = Command::new(&python).arg(script).arg(endpoint).status();
    assert!(status.as_ref().is_ok_and(|s| s.success()), "scripts/warm-emulator failed: {status:?}");
}

impl Moto {
    pub fn start() -> Self {
        Self::start_with_env(&[])
    }

    /// Starts the emulator with extra environment (e.g. `INITIAL_NO_AUTH_ACTION_COUNT` to enforce IAM).
    pub fn start_with_env(env: &[(&str, &str)]) -> Self {
        let exe = moto_server();
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut child = Command::new(&exe)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                // AWS managed policies (SecurityAudit, AWSSupportAccess, ...) exist in every real account.
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
                    // Warm-up requests would count against an IAM-enforcing emulator's unauthenticated ones.
                    if !env.iter().any(|(k, _)| *k == "INITIAL_NO_AUTH_ACTION_COUNT") {
                        warm(&exe, &moto.endpoint);
                    }
                    return moto;
                }
                if child.try_wait().unwrap().is_some() {
                    break; // the port was taken meanwhile: try another
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("moto_server did not start on a loopback port");
    }

    pub async fn sdk_config(&self, key: &str, secret: &str) -> aws_config::SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(key, secret, None, None, "test"))
            .http_client(baseline::aws::http_client())
            .load()
            .await
    }

    /// A baseline session (read-only guard) with the emulator's default credentials.
    pub async fn session(&self) -> Session {
        Session::from_sdk_config(self.sdk_config("test", "test").await)
    }

    /// Plain SDK clients that bypass baseline, to set up drift and to check results independently.
    pub async fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.sdk_config("test", "test").await)
    }

    pub async fn account(&self) -> aws_sdk_account::Client {
        aws_sdk_account::Client::new(&self.sdk_config("test", "test").await)
    }

    /// Runs the `baseline` binary against the emulator.
    pub fn cli(&self, dir: &Path, args: &[&str]) -> Output {
        cli_with_endpoint(dir, &self.endpoint, args)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary in `dir` with test credentials and nothing from the developer's AWS setup.
pub fn cli_with_endpoint(dir: &Path, endpoint: &str, args: &[&str]) -> Output {
    cli_as(dir, endpoint, ("test", "test"), args)
}

/// Runs the binary in `dir` with these access keys.
pub fn cli_as(dir: &Path, endpoint: &str, credentials: (&str, &str), args: &[&str]) -> Output {
    command(dir, endpoint, credentials, args).output().expect("run baseline")
}

/// The `baseline` command [`cli_as`] runs, to spawn it instead (and stop it midway).
pub fn command(dir: &Path, endpoint: &str, (key, secret): (&str, &str), args: &[&str]) -> Command {
    let mut all = vec!["--endpoint-url", endpoint, "--color", "never"];
    all.extend_from_slice(args);
    let mut command = Command::new(env!("CARGO_BIN_EXE_baseline"));
    command
        .current_dir(dir)
        .args(all)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
    command
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A small baseline.toml for one family's test: us-east-1 (home) and eu-west-1, the account-level Block Public
/// Access left out, then `$tables`.
macro_rules! two_regions_with {
    ($tables:literal) => {
        concat!(
            "\n[baseline]\nhome_region = \"us-east-1\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n\n",
            "[s3]\naccount_public_access_block = false\n",
            $tables
        )
    };
}
pub(crate) use two_regions_with;

/// The shipped baseline.toml, as a new user would start.
pub fn shipped_config() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline.toml")).unwrap()
}

/// The shipped baseline.toml over two regions (us-east-1 and eu-west-1): what a new user runs, at a size the
/// emulator applies in about a second.
pub fn two_region_config() -> String {
    shipped_config().replacen("regions = \"all-enabled\"", "regions = [\"us-east-1\", \"eu-west-1\"]", 1)
}

/// `config` without the table under `header` (its header and keys, up to the next table or blank line).
pub fn without_table(config: &str, header: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in config.lines() {
        if line.trim() == header {
            skipping = true;
            continue;
        }
        if skipping && (line.trim().is_empty() || line.starts_with('[')) {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(out.len() < config.len(), "{header} not in the config");
    out
}

/// A fresh emulator and a directory holding [`two_region_config`] as baseline.toml.
pub fn two_region_setup() -> (Moto, tempfile::TempDir) {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.toml"), two_region_config()).unwrap();
    (moto, dir)
}

/// The n-th output of SplitMix64 from `seed`: deterministic draws, so a failing run can be replayed from its
/// seed.
pub fn splitmix64(seed: u64, n: u64) -> u64 {
    let mut z = seed.wrapping_add(n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub fn desired(toml: &str) -> Desired {
    config::parse(Path::new("baseline.toml"), toml).expect("valid test config").desired
}

pub async fn target(session: &Session, desired: &Desired) -> Target {
    Target::discover(session, desired).await.expect("discover target")
}

pub fn topic_arn(name: &str) -> String {
    format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}")
}

/// Posts to the emulator's control API (no AWS signature needed).
pub fn moto_api(endpoint: &str, path: &str, body: &str) {
    let address = endpoint.trim_start_matches("http://");
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// `(value, count)` of every value seen more than once.
pub fn duplicates<T: Ord>(values: impl IntoIterator<Item = T>) -> Vec<(T, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for v in values {
        *counts.entry(v).or_insert(0) += 1;
    }
    counts.into_iter().filter(|(_, n)| *n > 1).collect()
}

/// One EC2 Query call straight to the emulator, for the settings the tests change by hand (baseline's EC2
/// client makes only the calls baseline needs). The region goes in the credential scope, where the emulator
/// reads it; the emulator does not check the signature. Answers the status code and body.
pub fn ec2_query(endpoint: &str, region: &str, action: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let body = format!("Action={action}&Version=2016-11-15");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: \
         AWS4-HMAC-SHA256 Credential=test/20260101/{region}/ec2/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(host).expect("connect to the emulator");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}
