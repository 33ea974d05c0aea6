//! The account a run works on: who we are (STS), where (home region), and the clients to reach it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::aws::{self, AwsError, ErrorKind, Session};
use crate::config::{Desired, RegionSelection};

/// Clients for one baselined region.
#[derive(Debug, Clone)]
pub struct RegionClients {
    pub region: String,
    pub config: aws_sdk_config::Client,
    pub events: aws_sdk_eventbridge::Client,
}

/// Identity of the target account, enough to build addresses and ARNs. Pure data, for diff functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account_id: String,
    pub partition: String,
    pub home_region: String,
}

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
        if desired.config.is_some() {
            let enabled = enabled_regions(session, &target.scope).await.map_err(TargetError::Regions)?;
            let (regions, unavailable) = select_regions(desired, &target.scope, &enabled);
            target.regions = regions
                .into_iter()
                .map(|region| RegionClients {
                    config: session.config(&region),
                    events: session.events(&region),
                    region,
                })
                .collect();
            target.unavailable_regions = unavailable;
        }
        Ok(target)
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

type KeyLookup = Arc<OnceCell<Result<String, AwsError>>>;

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
        let lookup =
            self.described.lock().unwrap_or_else(|e| e.into_inner()).entry(key.to_string()).or_default().clone();
        lookup.get_or_init(|| describe_key(&self.client, key)).await.clone()
    }

    /// Forgets what was looked up: each plan reads the aliases afresh (an alias can be pointed at another key).
    pub fn forget(&self) {
        self.described.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

async fn describe_key(client: &aws_sdk_kms::Client, key: &str) -> Result<String, AwsError> {
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
    out.key_metadata().and_then(|m| m.arn()).map(str::to_string).ok_or_else(|| {
        let message = format!("KMS key {key}: the answer names no key ARN");
        AwsError::new("kms:DescribeKey", ErrorKind::Service, None, message, None)
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
pub fn key_grant(key: &str) -> (String, Option<crate::permissions::Condition>) {
    let parts: Vec<&str> = key.splitn(6, ':').collect();
    match parts.as_slice() {
        [arn, partition, service, region, account, alias] if is_alias(key) => (
            format!("{arn}:{partition}:{service}:{region}:{account}:key/*"),
            Some(crate::permissions::Condition {
                operator: "ForAnyValue:StringEquals",
                key: "kms:ResourceAliases",
                values: [alias.to_string()].into(),
            }),
        ),
        _ => (key.to_string(), None),
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
pub fn permissions(desired: &Desired, needs: &mut crate::permissions::Needs) {
    use crate::permissions::NO_RESOURCE_TYPE;
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
    let out = session
        .ec2(&scope.home_region)
        .describe_regions()
        .all_regions(true)
        .send()
        .await
        .map_err(aws::err("ec2:DescribeRegions"))?;
    Ok(out
        .regions()
        .iter()
        .filter(|r| r.opt_in_status().is_none_or(|s| s != "not-opted-in"))
        .filter_map(|r| r.region_name().map(str::to_string))
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
