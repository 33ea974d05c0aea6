//! The account a run works on: who we are (STS), where (home region), and the clients to reach it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::aws::{self, AwsError, CredentialsFailure, ErrorKind, Session};
use crate::config::{Desired, RegionSelection};

/// Clients for one baselined region.
#[derive(Debug, Clone)]
pub struct RegionClients {
    pub region: String,
    pub config: aws_sdk_config::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub ec2: crate::aws::ec2::Client,
    /// The clients of the services a family brings itself, built on first use (see [`RegionClients::service`]).
    pub services: ServiceClients,
}

/// Clients by type, shared by the clones of a [`RegionClients`]: a family asks for its service's client and it
/// is built once per region, so a new service needs no field here. Tests put mocked clients in with
/// [`RegionClients::with`].
#[derive(Clone)]
pub struct ServiceClients {
    session: Session,
    built: Arc<Mutex<HashMap<std::any::TypeId, Box<dyn std::any::Any + Send + Sync>>>>,
}

impl ServiceClients {
    pub fn new(session: &Session) -> Self {
        Self { session: session.clone(), built: Arc::default() }
    }
}

impl fmt::Debug for ServiceClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let built = self.built.lock().map(|b| b.len()).unwrap_or_default();
        write!(f, "ServiceClients({built} built)")
    }
}

impl RegionClients {
    /// The region's client of type `C`, built with `build(session, region)` the first time it is asked for
    /// (`aws::sdk_client!`).
    pub fn service<C: Clone + Send + Sync + 'static>(&self, build: impl FnOnce(&Session, &str) -> C) -> C {
        let mut built = self.services.built.lock().unwrap_or_else(|e| e.into_inner());
        let entry = built
            .entry(std::any::TypeId::of::<C>())
            .or_insert_with(|| Box::new(build(&self.services.session, &self.region)));
        entry.downcast_ref::<C>().expect("a client is stored under its own type").clone()
    }

    /// These clients, with `client` as the region's client of its type (a mocked client in tests).
    pub fn with<C: Clone + Send + Sync + 'static>(self, client: C) -> Self {
        let mut built = self.services.built.lock().unwrap_or_else(|e| e.into_inner());
        built.insert(std::any::TypeId::of::<C>(), Box::new(client));
        drop(built);
        self
    }
}

pub use crate::scope::Scope;

/// A target account with its clients. Every client carries the session's read-only guard.
#[derive(Debug, Clone)]
pub struct Target {
    pub scope: Scope,
    /// SNS in the home region.
    pub sns: aws_sdk_sns::Client,
    /// Account Management (global).
    pub account: aws_sdk_account::Client,
    /// S3 in the log archive bucket's region.
    pub s3: aws_sdk_s3::Client,
    /// S3 Control (account-level Block Public Access), home region.
    pub s3control: aws_sdk_s3control::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub iam: aws_sdk_iam::Client,
    pub budgets: aws_sdk_budgets::Client,
    /// Cost and Usage Reports (us-east-1).
    pub cur: aws_sdk_costandusagereport::Client,
    /// Organizations, as this account (the log archive reads its organization's id).
    pub organizations: aws_sdk_organizations::Client,
    /// KMS in the log archive bucket's region, for the keys baseline.toml names.
    pub kms: Kms,
    /// Calls go to a custom endpoint (an emulator): some AWS-only routing is reported as not supported.
    pub custom_endpoint: bool,
    /// The regions regional resources (AWS Config) are managed in, with their clients.
    pub regions: Vec<RegionClients>,
    /// Regions baseline.toml asks for that are not enabled for the account: skipped with a warning.
    pub unavailable_regions: Vec<String>,
    /// `Some(id)`: `account` is the management account's client and contacts are set for member `id` through
    /// the Account API's `AccountId` parameter.
    pub contacts_account: Option<String>,
    /// Organization runs: every account whose trail and Config deliver to the log archive, for its bucket
    /// policy. `None`: only this account.
    pub log_writers: Option<Arc<[String]>>,
    /// Organization runs: the organization's management account, when discovery looked it up (contacts, the
    /// Cost and Usage Report). `None` in single-account runs.
    pub management_account: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error(
        "no region: set `home_region` in [baseline] of baseline.toml, pass --region, or set AWS_REGION / a profile region"
    )]
    NoRegion,
    #[error("cannot identify the caller: {0}")]
    Identity(#[source] AwsError),
    #[error("cannot list the account's regions: {0}")]
    Regions(#[source] AwsError),
    #[error(
        "the credentials belong to account {actual}, which `allowed_account_ids` does not list ({allowed}); \
         use credentials for an allowed account or add this one to baseline.toml"
    )]
    AccountNotAllowed { actual: String, allowed: String },
}

impl TargetError {
    /// The credential or region problem behind this error, explained against the shared config files the SDK
    /// read (`profile`: --profile; `config`: the baseline.toml in use). `None`: not such a problem.
    pub fn credential_problem(&self, profile: Option<&str>, config: &Path) -> Option<CredentialProblem> {
        let failure = match self {
            TargetError::NoRegion => Failure::NoRegion { config: config.display().to_string() },
            TargetError::Identity(e) if e.kind == ErrorKind::InvalidCredentials => match &e.credentials {
                Some(failure) => Failure::Credentials(failure.as_ref().clone()),
                None => Failure::Rejected(e.to_string()),
            },
            _ => return None,
        };
        Some(diagnose(&SharedConfig::read(profile), failure))
    }
}

impl Target {
    /// Resolves the caller's account (one STS call) and builds the clients.
    pub async fn discover(session: &Session, desired: &Desired) -> Result<Self, TargetError> {
        let scope = identify(session, desired).await?;
        if !desired.allows(&scope.account_id) {
            return Err(TargetError::AccountNotAllowed {
                actual: scope.account_id,
                allowed: desired.allowed_account_ids.join(", "),
            });
        }
        Self::connect(session, scope, desired).await
    }

    /// Builds the clients for a known account and lists its enabled regions when regional resources are
    /// managed (one EC2 call).
    pub async fn connect(session: &Session, scope: Scope, desired: &Desired) -> Result<Self, TargetError> {
        let mut target = Self::new(session, scope, desired);
        if desired.regional() {
            let enabled = enabled_regions(session, &target.scope).await.map_err(TargetError::Regions)?;
            let (regions, unavailable) = select_regions(desired, &target.scope, &enabled);
            target.regions = regions
                .into_iter()
                .map(|region| RegionClients {
                    config: session.config(&region),
                    events: session.events(&region),
                    ec2: session.ec2(&region),
                    services: ServiceClients::new(session),
                    region,
                })
                .collect();
            target.unavailable_regions = unavailable;
        }
        Ok(target)
    }

    /// The clients of a managed region, for a write planned there (`action` names the call in the error).
    pub fn region(&self, region: &str, action: &str) -> Result<&RegionClients, AwsError> {
        self.regions.iter().find(|r| r.region == region).ok_or_else(|| {
            AwsError::new(action, crate::aws::ErrorKind::Service, None, format!("no clients for region {region}"), None)
        })
    }

    /// Keeps regional resources to `regions` (`--regions`); an empty list keeps them all.
    pub fn retain_regions(&mut self, regions: &[String]) {
        if !regions.is_empty() {
            self.regions.retain(|r| regions.contains(&r.region));
        }
    }

    pub fn new(session: &Session, scope: Scope, desired: &Desired) -> Self {
        let home = scope.home_region.as_str();
        let bucket_region = desired.log_archive.as_ref().and_then(|a| a.region.as_deref()).unwrap_or(home);
        Self {
            sns: session.sns(home),
            account: session.account(&scope.partition),
            s3: session.s3(bucket_region),
            s3control: session.s3control(home),
            cloudtrail: session.cloudtrail(home),
            logs: session.logs(home),
            cloudwatch: session.cloudwatch(home),
            iam: session.iam(&scope.partition),
            budgets: session.budgets(&scope.partition),
            cur: session.cur(),
            organizations: session.organizations(&scope.partition),
            kms: Kms::new(session.kms(bucket_region)),
            custom_endpoint: session.custom_endpoint(),
            regions: Vec::new(),
            unavailable_regions: Vec::new(),
            contacts_account: None,
            log_writers: None,
            management_account: None,
            scope,
        }
    }
}

/// KMS in the log archive bucket's region, and the keys baseline.toml names by alias, resolved during a plan.
/// Both keys must be in the bucket's region: S3 default encryption takes a key of the bucket's region only, and
/// CloudTrail wants "a KMS key that is in the same region as the S3 bucket that receives your log files".
#[derive(Debug, Clone)]
pub struct Kms {
    pub client: aws_sdk_kms::Client,
    /// One lookup per alias and plan: families asking for the same alias at the same time share the answer.
    described: Arc<Mutex<HashMap<String, KeyLookup>>>,
}

type KeyLookup = Arc<OnceCell<Result<KeyInfo, AwsError>>>;

/// What `kms:DescribeKey` says of a key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyInfo {
    pub arn: String,
    pub key_id: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, ...
    pub state: String,
    /// `CUSTOMER` or `AWS`.
    pub manager: String,
    /// `SYMMETRIC_DEFAULT` for the keys CloudTrail and S3 encrypt with.
    pub spec: String,
}

impl Kms {
    pub fn new(client: aws_sdk_kms::Client) -> Self {
        Self { client, described: Arc::default() }
    }

    /// The key ARN `key` stands for: a key ARN as it is, an alias ARN through `kms:DescribeKey` (once per alias,
    /// however many resources use it). AWS reports the key ARN even where an alias was sent (DescribeTrails,
    /// GetBucketEncryption), so comparisons go through it.
    pub async fn key_arn(&self, key: &str) -> Result<String, AwsError> {
        if !is_alias(key) {
            return Ok(key.to_string());
        }
        self.describe(key).await.map(|info| info.arn)
    }

    /// `kms:DescribeKey` of `key`, once per key and plan: families asking at the same time share the answer.
    pub async fn describe(&self, key: &str) -> Result<KeyInfo, AwsError> {
        let lookup =
            self.described.lock().unwrap_or_else(|e| e.into_inner()).entry(key.to_string()).or_default().clone();
        lookup.get_or_init(|| describe_key(&self.client, key)).await.clone()
    }

    /// Forgets what was looked up: each plan reads the aliases afresh (an alias can be pointed at another key).
    pub fn forget(&self) {
        self.described.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

async fn describe_key(client: &aws_sdk_kms::Client, key: &str) -> Result<KeyInfo, AwsError> {
    let here = client.config().region().map(|r| r.to_string());
    if let (Some(here), Some(region)) = (here, key.split(':').nth(3))
        && region != here
    {
        let message = format!(
            "KMS key {key} is in {region}, but the log archive bucket is in {here}: S3 and CloudTrail only use a key \
             of the bucket's region"
        );
        return Err(AwsError::new("kms:DescribeKey", ErrorKind::Service, None, message, None));
    }
    let out = client.describe_key().key_id(key).send().await.map_err(aws::err("kms:DescribeKey"));
    let out = out.map_err(|e| AwsError { message: format!("KMS key {key}: {}", e.message), ..e })?;
    let metadata = out.key_metadata().filter(|m| m.arn().is_some()).ok_or_else(|| {
        let message = format!("KMS key {key}: the answer names no key ARN");
        AwsError::new("kms:DescribeKey", ErrorKind::Service, None, message, None)
    })?;
    Ok(KeyInfo {
        arn: metadata.arn().unwrap_or_default().to_string(),
        key_id: metadata.key_id().to_string(),
        state: metadata.key_state().map(|s| s.as_str().to_string()).unwrap_or_default(),
        manager: metadata.key_manager().map(|m| m.as_str().to_string()).unwrap_or_default(),
        spec: metadata.key_spec().map(|s| s.as_str().to_string()).unwrap_or_default(),
    })
}

/// `arn:<partition>:kms:<region>:<account>:alias/<name>`.
pub fn is_alias(key: &str) -> bool {
    key.split(':').nth(5).is_some_and(|resource| resource.starts_with("alias/"))
}

/// Whether `reported` (what AWS answers for a resource's key: usually the key ARN, sometimes what was sent)
/// names the configured key, given the key ARN the configured key stands for.
pub fn same_key(reported: &str, configured: &str, key_arn: &str) -> bool {
    let key_id = |k: &str| match k.split_once(":key/") {
        Some((_, id)) => Some(id.to_string()),
        None if !k.starts_with("arn:") && !k.starts_with("alias/") => Some(k.to_string()),
        None => None,
    };
    reported == configured || reported == key_arn || key_id(reported).is_some_and(|id| key_id(key_arn) == Some(id))
}

/// What a policy grants on a configured key: the key ARN itself, or for an alias every key of its account
/// and region that carries the alias (`kms:ResourceAliases`; IAM authorizes a call by alias on the key).
pub fn key_grant(key: &str) -> (String, Option<crate::needs::Condition>) {
    let parts: Vec<&str> = key.splitn(6, ':').collect();
    match parts.as_slice() {
        [arn, partition, service, region, account, alias] if is_alias(key) => (
            format!("{arn}:{partition}:{service}:{region}:{account}:key/*"),
            Some(crate::needs::Condition {
                operator: "ForAnyValue:StringEquals",
                key: "kms:ResourceAliases",
                values: [alias.to_string()].into(),
            }),
        ),
        _ => (key.to_string(), None),
    }
}

/// Where the name of the profile in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileChoice {
    /// `--profile`.
    Flag,
    /// `AWS_PROFILE`.
    Env,
    /// Neither: `default`.
    Default,
}

/// A shared file the SDK reads profiles from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFile {
    pub path: String,
    pub found: bool,
}

/// The AWS shared config and credentials files as the SDK reads them, and the profile in use. Read only to
/// explain a credential or region failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedConfig {
    pub profile: String,
    pub choice: ProfileChoice,
    /// The config file, then the credentials file.
    pub files: Vec<SharedFile>,
    /// Every profile of both files with its settings (the credentials file's win, as in the SDK).
    pub profiles: BTreeMap<String, BTreeMap<String, String>>,
    /// `AWS_ACCESS_KEY_ID` is set: the SDK takes the environment's keys before any profile.
    pub env_keys: bool,
}

impl SharedConfig {
    /// Reads what the SDK reads: `AWS_PROFILE`, `AWS_CONFIG_FILE` (default `~/.aws/config`),
    /// `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`), `HOME`. `flag`: --profile.
    pub fn read(flag: Option<&str>) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let (profile, choice) = match (flag, var("AWS_PROFILE")) {
            (Some(name), _) => (name.to_string(), ProfileChoice::Flag),
            (None, Some(name)) => (name, ProfileChoice::Env),
            (None, None) => ("default".to_string(), ProfileChoice::Default),
        };
        let home = var("HOME").or_else(|| var("USERPROFILE"));
        let path = |variable: &str, default: &str| {
            let path = var(variable).unwrap_or_else(|| default.to_string());
            match (path.strip_prefix("~/"), &home) {
                (Some(rest), Some(home)) => Path::new(home).join(rest).display().to_string(),
                _ => path,
            }
        };
        let mut files = Vec::new();
        let mut profiles: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (path, config_file) in [
            (path("AWS_CONFIG_FILE", "~/.aws/config"), true),
            (path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"), false),
        ] {
            let text = std::fs::read_to_string(&path).ok();
            for (name, settings) in text.as_deref().map(|t| parse_profiles(t, config_file)).unwrap_or_default() {
                profiles.entry(name).or_default().extend(settings);
            }
            files.push(SharedFile { path, found: text.is_some() });
        }
        Self { profile, choice, files, profiles, env_keys: var("AWS_ACCESS_KEY_ID").is_some() }
    }

    fn setting(&self, profile: &str, key: &str) -> Option<&str> {
        self.profiles.get(profile).and_then(|p| p.get(key)).map(String::as_str)
    }

    /// `profile` and the profiles it takes its credentials from (`source_profile`), nearest first.
    fn sources<'a>(&'a self, profile: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        std::iter::successors(Some(profile), |p| self.setting(p, "source_profile").filter(|s| s != p)).take(10)
    }

    /// The profile whose SSO sign-in the profile's credentials come from.
    fn sso_profile(&self, profile: &str) -> Option<String> {
        let sso = |p: &&str| self.setting(p, "sso_session").or_else(|| self.setting(p, "sso_start_url")).is_some();
        self.sources(profile).find(sso).map(str::to_string)
    }

    fn files_text(&self) -> String {
        let named: Vec<String> = self
            .files
            .iter()
            .map(|f| if f.found { f.path.clone() } else { format!("{} (not found)", f.path) })
            .collect();
        named.join(" and ")
    }
}

/// The profiles of a shared file: `[profile NAME]` and `[default]` in the config file, `[NAME]` in the
/// credentials file, with their `key = value` settings (nested settings and other sections left out).
pub fn parse_profiles(text: &str, config_file: bool) -> Vec<(String, BTreeMap<String, String>)> {
    let mut profiles: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut in_profile = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[') {
            let words: Vec<&str> = header.split(']').next().unwrap_or_default().split_whitespace().collect();
            let name = match words.as_slice() {
                ["profile", name] if config_file => Some(*name),
                [name] if !config_file || *name == "default" => Some(*name),
                _ => None,
            };
            in_profile = name.is_some();
            profiles.extend(name.map(|n| (n.to_string(), BTreeMap::new())));
        } else if let (true, false, Some((key, value)), Some(last)) =
            (in_profile, line.starts_with(char::is_whitespace), trimmed.split_once('='), profiles.last_mut())
        {
            last.1.insert(key.trim().to_string(), value.trim().to_string());
        }
    }
    profiles
}

/// What failed before AWS answered anything useful, as [`diagnose`] takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The SDK's credential chain failed.
    Credentials(CredentialsFailure),
    /// AWS refused the credentials it was sent (expired, unknown key, wrong secret): its answer.
    Rejected(String),
    /// No region anywhere: `config` is the baseline.toml in use.
    NoRegion { config: String },
}

/// A credential or region problem: the cause ([`fmt::Display`], one line) and the command that fixes it
/// ([`CredentialProblem::fix`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialProblem {
    /// No source of credentials at all.
    NoneFound {
        profile: String,
        files: String,
    },
    /// The profile asked for (--profile, AWS_PROFILE) is in neither shared file.
    UnknownProfile {
        profile: String,
        choice: ProfileChoice,
        files: String,
        found: Vec<String>,
    },
    /// The profile exists but holds nothing to get credentials with.
    EmptyProfile {
        profile: String,
        files: String,
    },
    /// The SSO sign-in the credentials come from has expired or never happened.
    SsoLogin {
        profile: String,
        sso_profile: String,
        detail: String,
    },
    /// STS refused the profile's role.
    AssumeRole {
        profile: String,
        role_arn: String,
        source: Option<String>,
        answer: String,
    },
    /// AWS refused the credentials: from the environment (`profile` `None`) or a profile.
    Rejected {
        profile: Option<String>,
        answer: String,
    },
    /// Any other failure loading the profile's credentials.
    ProfileFailed {
        profile: String,
        files: String,
        message: String,
    },
    /// Any other failure of a source outside the shared files (web identity, container credentials).
    SourceFailed {
        message: String,
    },
    NoRegion {
        config: String,
        profile: String,
    },
}

/// Explains `failure` against the shared config files. Pure: `shared` was read before.
pub fn diagnose(shared: &SharedConfig, failure: Failure) -> CredentialProblem {
    use CredentialProblem as P;
    let profile = shared.profile.clone();
    let files = shared.files_text();
    let exists = shared.profiles.contains_key(&profile);
    let env_used = shared.env_keys && matches!(failure, Failure::Rejected(_));
    if !exists && shared.choice != ProfileChoice::Default && !env_used {
        let found = shared.profiles.keys().cloned().collect();
        return P::UnknownProfile { profile, choice: shared.choice, files, found };
    }
    let sso = shared.sso_profile(&profile);
    match failure {
        Failure::NoRegion { config } => P::NoRegion { config, profile },
        Failure::Rejected(answer) if shared.env_keys => P::Rejected { profile: None, answer },
        Failure::Rejected(detail) => match sso {
            Some(sso_profile) => P::SsoLogin { profile, sso_profile, detail },
            None => P::Rejected { profile: Some(profile), answer: detail },
        },
        Failure::Credentials(CredentialsFailure::NotFound) if exists => P::EmptyProfile { profile, files },
        Failure::Credentials(CredentialsFailure::NotFound) => P::NoneFound { profile, files },
        Failure::Credentials(CredentialsFailure::AssumeRole { code, message }) => {
            let role_arn = shared.sources(&profile).find_map(|p| shared.setting(p, "role_arn"));
            let source = shared.setting(&profile, "source_profile").map(str::to_string);
            let answer = code.map(|c| format!("{c}: {message}")).unwrap_or(message);
            P::AssumeRole { role_arn: role_arn.unwrap_or("(unknown)").to_string(), profile, source, answer }
        }
        Failure::Credentials(CredentialsFailure::SsoToken { message: detail }) => {
            P::SsoLogin { sso_profile: sso.unwrap_or_else(|| profile.clone()), profile, detail }
        }
        Failure::Credentials(CredentialsFailure::Source { message }) => match sso {
            Some(sso_profile) if sso_session_ended(&message) => P::SsoLogin { profile, sso_profile, detail: message },
            _ if !exists => P::SourceFailed { message },
            _ => P::ProfileFailed { profile, files, message },
        },
    }
}

/// Whether a failure of an SSO profile means "sign in again": no cached token (the SDK reads it from
/// `~/.aws/sso/cache/`), an expired one, or IAM Identity Center answering `UnauthorizedException` to an expired
/// or revoked access token (SSO Portal API, GetRoleCredentials).
fn sso_session_ended(message: &str) -> bool {
    let message = message.to_ascii_lowercase().replace('\\', "/");
    ["unauthorized", "expired", "token", "/sso/cache/"].iter().any(|word| message.contains(word))
}

/// Past this many, the profiles found are counted instead of listed.
const LISTED_PROFILES: usize = 8;

impl fmt::Display for CredentialProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoneFound { profile, files } => write!(
                f,
                "no AWS credentials found: no AWS_ACCESS_KEY_ID in the environment, no profile `{profile}` in \
                 {files}, and no container or instance role"
            ),
            Self::UnknownProfile { profile, choice, files, found } => {
                let named = if *choice == ProfileChoice::Env { "AWS_PROFILE names profile" } else { "no profile" };
                let found = match found.len() {
                    0 => "no profile found".to_string(),
                    n if n > LISTED_PROFILES => format!("{n} profiles found"),
                    _ => format!("profiles found: {}", found.join(", ")),
                };
                let missing = if *choice == ProfileChoice::Env { ", which is not" } else { "" };
                write!(f, "{named} `{profile}`{missing} in the shared config files {files}; {found}")
            }
            Self::EmptyProfile { profile, files } => write!(
                f,
                "profile `{profile}` in {files} holds no credentials: no access keys, SSO settings, `role_arn` or \
                 `credential_process`"
            ),
            Self::SsoLogin { profile, sso_profile, detail } if profile == sso_profile => {
                write!(f, "the SSO session of profile `{profile}` has expired or was never started ({detail})")
            }
            Self::SsoLogin { profile, sso_profile, detail } => write!(
                f,
                "profile `{profile}` gets its credentials through SSO profile `{sso_profile}`, whose session has \
                 expired or was never started ({detail})"
            ),
            Self::AssumeRole { profile, role_arn, answer, .. } => {
                write!(f, "profile `{profile}` cannot assume role {role_arn}: {answer}")
            }
            Self::Rejected { profile: None, answer } => {
                write!(f, "AWS refused the access key in AWS_ACCESS_KEY_ID: {answer}")
            }
            Self::Rejected { profile: Some(profile), answer } => {
                write!(f, "AWS refused the credentials of profile `{profile}`: {answer}")
            }
            Self::ProfileFailed { profile, message, .. } => {
                write!(f, "cannot load the credentials of profile `{profile}`: {message}")
            }
            Self::SourceFailed { message } => write!(f, "cannot load AWS credentials: {message}"),
            Self::NoRegion { config, profile } => write!(
                f,
                "no AWS region: {config} sets no `home_region`, and neither --region, AWS_REGION nor profile \
                 `{profile}` names one"
            ),
        }
    }
}

impl std::error::Error for CredentialProblem {}

impl CredentialProblem {
    /// The command (or the one change) that fixes it.
    pub fn fix(&self) -> String {
        let configure = |p: &str| {
            let flag = if p == "default" { String::new() } else { format!(" --profile {p}") };
            format!("`aws configure{flag}` (access keys) or `aws configure sso{flag}` (IAM Identity Center)")
        };
        match self {
            Self::NoneFound { .. } => format!("run {}, or pass --profile NAME", configure("default")),
            Self::UnknownProfile { profile, choice: ProfileChoice::Env, .. } => {
                format!("create it with {}, or unset AWS_PROFILE", configure(profile))
            }
            Self::UnknownProfile { profile, .. } => {
                format!("create it with {}, or pass an existing profile to --profile", configure(profile))
            }
            Self::EmptyProfile { profile, .. } => format!("run {}", configure(profile)),
            Self::SsoLogin { sso_profile, .. } => format!("run `aws sso login --profile {sso_profile}`"),
            Self::AssumeRole { role_arn, source, .. } => {
                let caller = source.as_ref().map(|s| format!(" --profile {s}")).unwrap_or_default();
                format!(
                    "let the caller assume the role (its trust policy, and `sts:AssumeRole` for the caller); \
                     `aws sts assume-role --role-arn {role_arn} --role-session-name check{caller}` shows the same \
                     answer"
                )
            }
            Self::Rejected { profile: None, .. } => "set current keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                 (and AWS_SESSION_TOKEN for temporary ones), or unset them to use a profile"
                .into(),
            Self::Rejected { profile: Some(profile), .. } => format!("store current keys with {}", configure(profile)),
            Self::ProfileFailed { profile, files, .. } => format!(
                "correct profile `{profile}` in {files}; `aws sts get-caller-identity --profile {profile}` shows \
                 whether the AWS CLI can use it"
            ),
            Self::SourceFailed { .. } => "`aws sts get-caller-identity` shows whether the AWS CLI finds credentials \
                 here; `baseline -v plan` shows each source the SDK tried"
                .into(),
            Self::NoRegion { config, .. } => format!(
                "add `home_region = \"us-east-1\"` (your region) under [baseline] in {config}, or pass --region \
                 REGION (or set AWS_REGION)"
            ),
        }
    }
}

/// The caller's account and partition (one STS call), with the home region.
pub async fn identify(session: &Session, desired: &Desired) -> Result<Scope, TargetError> {
    let home_region = desired.home_region.clone().or_else(|| session.default_region()).ok_or(TargetError::NoRegion)?;
    let identity = session
        .sts(&home_region)
        .get_caller_identity()
        .send()
        .await
        .map_err(aws::err("sts:GetCallerIdentity"))
        .map_err(TargetError::Identity)?;
    let account_id = identity.account().unwrap_or_default().to_string();
    let partition = identity.arn().and_then(aws::partition_of).unwrap_or("aws").to_string();
    Ok(Scope { account_id, partition, home_region })
}

/// What identifying the account and listing its regions need.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    use crate::needs::NO_RESOURCE_TYPE;
    // GetCallerIdentity needs no permission in AWS; it is listed so the policy names every call made.
    needs.any(&["sts:GetCallerIdentity", "ec2:DescribeRegions"], NO_RESOURCE_TYPE);
    // Keys named by alias are resolved to compare them with the key ARN AWS reports.
    let keys = [
        desired.log_archive.as_ref().and_then(|a| a.kms_key_arn.as_deref()),
        desired.cloudtrail.as_ref().and_then(|c| c.kms_key_arn.as_deref()),
    ];
    for key in keys.into_iter().flatten().filter(|k| is_alias(k)) {
        match key_grant(key) {
            (resource, Some(condition)) => needs.on_if("kms:DescribeKey", [resource], condition),
            (resource, None) => needs.on(&["kms:DescribeKey"], [resource]),
        }
    }
}

/// The regions enabled for the account (EC2 DescribeRegions with opt-in status), in the caller's partition.
async fn enabled_regions(session: &Session, scope: &Scope) -> Result<Vec<String>, AwsError> {
    let regions = session.ec2(&scope.home_region).describe_regions().await.map_err(aws::err("ec2:DescribeRegions"))?;
    Ok(regions
        .into_iter()
        .filter(|r| r.opt_in_status.as_deref().is_none_or(|s| s != "not-opted-in"))
        .map(|r| r.name)
        .filter(|r| in_partition(r, &scope.partition))
        .collect())
}

/// Emulators list every partition's regions as enabled; a real account only sees its own partition's.
fn in_partition(region: &str, partition: &str) -> bool {
    match partition {
        "aws-cn" => region.starts_with("cn-"),
        "aws-us-gov" => region.starts_with("us-gov-"),
        _ => !region.starts_with("cn-") && !region.starts_with("us-gov-"),
    }
}

/// The regions to manage (home region first), and the requested ones that are not enabled.
pub fn select_regions(desired: &Desired, scope: &Scope, enabled: &[String]) -> (Vec<String>, Vec<String>) {
    let requested: Vec<String> = match &desired.regions {
        RegionSelection::AllEnabled => enabled.to_vec(),
        RegionSelection::List(list) => list.clone(),
    };
    let mut chosen = vec![scope.home_region.clone()];
    let mut unavailable = Vec::new();
    for region in requested {
        if desired.exclude_regions.contains(&region) || chosen.contains(&region) {
            continue;
        }
        if enabled.contains(&region) {
            chosen.push(region);
        } else {
            unavailable.push(region);
        }
    }
    chosen[1..].sort();
    (chosen, unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    fn scope() -> Scope {
        Scope { account_id: "111111111111".into(), partition: "aws".into(), home_region: "eu-west-1".into() }
    }

    fn desired(baseline: &str) -> Desired {
        parse(std::path::Path::new("baseline.toml"), &format!("[baseline]\n{baseline}\n")).unwrap().desired
    }

    const CONFIG: &str = "\
# comment
[default]
region = eu-west-1

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start

[profile admin]
role_arn = arn:aws:iam::111111111111:role/Admin
source_profile = base
s3 =
  max_concurrent_requests = 20

[profile via-sso]
role_arn = arn:aws:iam::222222222222:role/Audit
source_profile = dev

[ignored]
region = us-east-1
";

    const CREDENTIALS: &str = "[base]\naws_access_key_id = AKIAEXAMPLE\n[profile wrong]\nx = y\n";

    fn shared(profile: &str, choice: ProfileChoice) -> SharedConfig {
        let mut profiles: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (name, settings) in parse_profiles(CONFIG, true).into_iter().chain(parse_profiles(CREDENTIALS, false)) {
            profiles.entry(name).or_default().extend(settings);
        }
        SharedConfig {
            profile: profile.into(),
            choice,
            files: vec![
                SharedFile { path: "/home/u/.aws/config".into(), found: true },
                SharedFile { path: "/home/u/.aws/credentials".into(), found: false },
            ],
            profiles,
            env_keys: false,
        }
    }

    #[test]
    fn profiles_are_read_as_the_sdk_reads_them() {
        let config = parse_profiles(CONFIG, true);
        let names: Vec<&str> = config.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["default", "dev", "admin", "via-sso"], "no sso-session, no unprefixed name in config");
        assert_eq!(config[2].1.get("source_profile").map(String::as_str), Some("base"));
        assert!(!config[2].1.contains_key("max_concurrent_requests"), "nested settings are not the profile's");
        let credentials = parse_profiles(CREDENTIALS, false);
        let names: Vec<&str> = credentials.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["base"], "`[profile x]` is not a profile in the credentials file");
    }

    #[test]
    fn an_unknown_profile_names_the_files_read_and_the_profiles_found() {
        let nope = shared("nope", ProfileChoice::Flag);
        let problem = diagnose(&nope, Failure::Credentials(CredentialsFailure::NotFound));
        assert_eq!(
            problem.to_string(),
            "no profile `nope` in the shared config files /home/u/.aws/config and /home/u/.aws/credentials (not \
             found); profiles found: admin, base, default, dev, via-sso"
        );
        assert!(problem.fix().contains("`aws configure --profile nope`"), "{}", problem.fix());
        let env = diagnose(&shared("nope", ProfileChoice::Env), Failure::NoRegion { config: "b.toml".into() });
        assert!(env.to_string().starts_with("AWS_PROFILE names profile `nope`, which is not in"), "{env}");
        assert!(env.fix().contains("unset AWS_PROFILE"));
        let mut many = nope.clone();
        many.profiles.extend((0..9).map(|i| (format!("p{i}"), BTreeMap::new())));
        assert!(
            diagnose(&many, Failure::Credentials(CredentialsFailure::NotFound))
                .to_string()
                .ends_with("14 profiles found")
        );
    }

    #[test]
    fn no_credentials_at_all_or_an_empty_profile() {
        let mut none = shared("default", ProfileChoice::Default);
        none.profiles.clear();
        let problem = diagnose(&none, Failure::Credentials(CredentialsFailure::NotFound));
        assert!(matches!(problem, CredentialProblem::NoneFound { .. }), "{problem}");
        assert!(problem.to_string().contains("no profile `default` in /home/u/.aws/config and"), "{problem}");
        assert_eq!(
            problem.fix(),
            "run `aws configure` (access keys) or `aws configure sso` (IAM Identity Center), or pass --profile NAME"
        );
        let problem =
            diagnose(&shared("default", ProfileChoice::Default), Failure::Credentials(CredentialsFailure::NotFound));
        assert!(matches!(problem, CredentialProblem::EmptyProfile { .. }), "`[default]` sets only a region: {problem}");
    }

    #[test]
    fn an_expired_sso_session_is_fixed_by_signing_in_to_the_sso_profile() {
        let token = Failure::Credentials(CredentialsFailure::SsoToken { message: "the SSO token has expired".into() });
        let problem = diagnose(&shared("dev", ProfileChoice::Flag), token.clone());
        assert_eq!(problem.fix(), "run `aws sso login --profile dev`");
        assert!(problem.to_string().starts_with("the SSO session of profile `dev` has expired"), "{problem}");
        // A role profile whose source is the SSO profile: the sign-in is the source's.
        let problem = diagnose(&shared("via-sso", ProfileChoice::Flag), token);
        assert_eq!(problem.fix(), "run `aws sso login --profile dev`");
        // The Portal's answer to an expired token, and AWS refusing the credentials SSO gave.
        let unauthorized =
            CredentialsFailure::Source { message: "UnauthorizedException: Session token not found or invalid".into() };
        assert!(matches!(
            diagnose(&shared("dev", ProfileChoice::Flag), Failure::Credentials(unauthorized)),
            CredentialProblem::SsoLogin { .. }
        ));
        let rejected = Failure::Rejected("sts:GetCallerIdentity failed: ExpiredToken: expired".into());
        assert!(matches!(diagnose(&shared("dev", ProfileChoice::Flag), rejected), CredentialProblem::SsoLogin { .. }));
        // Not every failure of an SSO profile is a sign-in.
        let broken = CredentialsFailure::Source {
            message: "ProfileFile provider could not be built: `sso_region` was missing".into(),
        };
        assert!(matches!(
            diagnose(&shared("dev", ProfileChoice::Flag), Failure::Credentials(broken)),
            CredentialProblem::ProfileFailed { .. }
        ));
    }

    #[test]
    fn a_role_that_cannot_be_assumed_is_named_with_the_sts_answer() {
        let denied = CredentialsFailure::AssumeRole {
            code: Some("AccessDenied".into()),
            message: "User: arn:aws:iam::111111111111:user/me is not authorized to perform: sts:AssumeRole".into(),
        };
        let problem = diagnose(&shared("admin", ProfileChoice::Flag), Failure::Credentials(denied));
        assert_eq!(
            problem.to_string(),
            "profile `admin` cannot assume role arn:aws:iam::111111111111:role/Admin: AccessDenied: User: \
             arn:aws:iam::111111111111:user/me is not authorized to perform: sts:AssumeRole"
        );
        assert!(problem.fix().contains("aws sts assume-role --role-arn arn:aws:iam::111111111111:role/Admin"));
        assert!(problem.fix().ends_with("--profile base` shows the same answer"), "{}", problem.fix());
    }

    #[test]
    fn refused_keys_and_a_missing_region() {
        let mut env = shared("default", ProfileChoice::Default);
        env.env_keys = true;
        let rejected = || Failure::Rejected("sts:GetCallerIdentity failed: InvalidClientTokenId: invalid".into());
        let problem = diagnose(&env, rejected());
        assert!(problem.to_string().starts_with("AWS refused the access key in AWS_ACCESS_KEY_ID"), "{problem}");
        env.env_keys = false;
        assert!(diagnose(&env, rejected()).fix().starts_with("store current keys with `aws configure`"));
        let web_identity = CredentialsFailure::Source { message: "failed to read the web identity token file".into() };
        let mut bare = env.clone();
        bare.profiles.clear();
        let problem = diagnose(&bare, Failure::Credentials(web_identity));
        assert_eq!(problem.to_string(), "cannot load AWS credentials: failed to read the web identity token file");
        let problem = diagnose(&env, Failure::NoRegion { config: "baseline.toml".into() });
        assert_eq!(
            problem.to_string(),
            "no AWS region: baseline.toml sets no `home_region`, and neither --region, AWS_REGION nor profile \
             `default` names one"
        );
        assert!(problem.fix().contains("`home_region = \"us-east-1\"`") && problem.fix().contains("--region"));
    }

    #[test]
    fn all_enabled_minus_excluded_with_home_first() {
        let enabled: Vec<String> = ["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"].map(String::from).to_vec();
        let (chosen, unavailable) = select_regions(&desired("exclude_regions = [\"sa-east-1\"]"), &scope(), &enabled);
        assert_eq!(chosen, vec!["eu-west-1", "ap-south-1", "us-east-1"]);
        assert!(unavailable.is_empty());
    }

    #[test]
    fn listed_region_that_is_not_enabled_is_skipped() {
        let enabled: Vec<String> = ["us-east-1", "eu-west-1"].map(String::from).to_vec();
        let (chosen, unavailable) =
            select_regions(&desired("regions = [\"us-east-1\", \"ap-east-1\"]"), &scope(), &enabled);
        assert_eq!(chosen, vec!["eu-west-1", "us-east-1"]);
        assert_eq!(unavailable, vec!["ap-east-1"]);
    }

    #[test]
    fn a_key_is_the_same_by_key_arn_key_id_or_as_configured() {
        let key = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let alias = "arn:aws:kms:eu-west-1:111111111111:alias/logs";
        assert!(same_key(key, alias, key), "AWS reports the key ARN of the configured alias");
        assert!(same_key(alias, alias, key), "or echoes what was sent");
        assert!(same_key("1234abcd-12ab-34cd-56ef-1234567890ab", alias, key), "or the key id");
        assert!(!same_key("arn:aws:kms:eu-west-1:111111111111:key/other", alias, key));
        assert!(!same_key("arn:aws:kms:eu-west-1:111111111111:alias/other", alias, key));
        assert!(is_alias(alias) && !is_alias(key));
    }

    #[test]
    fn an_alias_is_granted_through_its_keys_aliases() {
        let (resource, condition) = key_grant("arn:aws:kms:eu-west-1:111111111111:alias/team/logs");
        assert_eq!(resource, "arn:aws:kms:eu-west-1:111111111111:key/*");
        let condition = condition.unwrap();
        assert_eq!((condition.operator, condition.key), ("ForAnyValue:StringEquals", "kms:ResourceAliases"));
        assert_eq!(condition.values, ["alias/team/logs".to_string()].into());
        let key = "arn:aws:kms:eu-west-1:111111111111:key/k";
        assert_eq!(key_grant(key), (key.to_string(), None));
    }

    #[test]
    fn other_partitions_are_not_regions_of_this_account() {
        assert!(in_partition("us-east-1", "aws"));
        assert!(!in_partition("us-gov-west-1", "aws"));
        assert!(!in_partition("cn-north-1", "aws"));
        assert!(in_partition("cn-north-1", "aws-cn"));
        assert!(in_partition("us-gov-east-1", "aws-us-gov"));
    }
}
