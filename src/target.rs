//! The account a run works on: who we are (STS), where (home region), and the clients to reach it.

use std::sync::Arc;

use crate::aws::{self, AwsError, Session};
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
pub fn permissions(_desired: &Desired, needs: &mut crate::permissions::Needs) {
    use crate::permissions::NO_RESOURCE_TYPE;
    // GetCallerIdentity needs no permission in AWS; it is listed so the policy names every call made.
    needs.any(&["sts:GetCallerIdentity", "ec2:DescribeRegions"], NO_RESOURCE_TYPE);
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
    fn other_partitions_are_not_regions_of_this_account() {
        assert!(in_partition("us-east-1", "aws"));
        assert!(!in_partition("us-gov-west-1", "aws"));
        assert!(!in_partition("cn-north-1", "aws"));
        assert!(in_partition("cn-north-1", "aws-cn"));
        assert!(in_partition("us-gov-east-1", "aws-us-gov"));
    }
}
