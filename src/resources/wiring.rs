//! What families need to know of each other, as pure functions of the baseline and the account: the ARNs and
//! addresses one family's resources are referred to by in another's (the topics alarms and event rules notify,
//! the trail a key policy and bucket policy name, the roles targets pass), the tags every created resource
//! carries, and where the log archive lives. Families import these from here, not from each other.

use std::collections::BTreeMap;

use crate::config::{CloudTrailSpec, Desired, LogArchive, MANAGED_BY_KEY, MANAGED_BY_VALUE};
use crate::engine::Address;
use crate::scope::Scope;

/// The notification topics' kinds: alarms, event targets and Config channels wait for them.
pub const TOPIC: &str = "sns.topic";
pub const TOPIC_POLICY: &str = "sns.topic_policy";
/// The log archive bucket's policy: every trail and channel delivering there waits for it.
pub const BUCKET_POLICY: &str = "s3.bucket_policy";

/// The tags of everything the baseline creates: baseline.toml's, and `managed-by = baseline`.
pub fn desired_tags(desired: &Desired) -> BTreeMap<String, String> {
    let mut tags = desired.tags.clone();
    tags.insert(MANAGED_BY_KEY.into(), MANAGED_BY_VALUE.into());
    tags
}

/// A topic of the baseline's, in the home region.
pub fn topic_arn(scope: &Scope, name: &str) -> String {
    format!("arn:{}:sns:{}:{}:{}", scope.partition, scope.home_region, scope.account_id, name)
}

/// The baseline's trail, in the home region.
pub fn trail_arn(scope: &Scope, name: &str) -> String {
    format!("arn:{}:cloudtrail:{}:{}:trail/{}", scope.partition, scope.home_region, scope.account_id, name)
}

/// A role of the account (no path).
pub fn role_arn(scope: &Scope, name: &str) -> String {
    format!("arn:{}:iam::{}:role/{}", scope.partition, scope.account_id, name)
}

/// Where the log archive lives for a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketLocation {
    pub name: String,
    pub region: String,
    pub owner: String,
}

impl BucketLocation {
    /// The bucket policy's address, in the owning account: trails and Config channels of every account
    /// that delivers here wait for it.
    pub fn policy_address(&self) -> Address {
        Address::new(&self.owner, &self.region, BUCKET_POLICY, &self.name)
    }
}

/// The log archive bucket of `archive` for the account of `scope`: its name, region and owning account.
pub fn location(archive: &LogArchive, scope: &Scope) -> BucketLocation {
    let region = archive.region.clone().unwrap_or_else(|| scope.home_region.clone());
    let owner = archive.account_id.clone().unwrap_or_else(|| scope.account_id.clone());
    BucketLocation { name: archive.bucket_name(&owner, &region), region, owner }
}

/// The trail's key kinds: the trail waits for the key and its policy.
pub const KEY: &str = "kms.key";
pub const KEY_POLICY: &str = "kms.key_policy";

/// Where the trail's key lives: the log archive bucket's region (CloudTrail wants "a KMS key that is in the same
/// region as the S3 bucket that receives your log files"), in the trail's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPlace {
    pub alias: String,
    pub region: String,
    pub account: String,
    /// The owner of the log archive, who reads the log files too.
    pub archive_owner: String,
}

impl KeyPlace {
    /// `arn:<partition>:kms:<region>:<account>:alias/<alias>`: what the trail is configured with.
    pub fn alias_arn(&self, partition: &str) -> String {
        format!("arn:{partition}:kms:{}:{}:alias/{}", self.region, self.account, self.alias)
    }

    pub fn address(&self, kind: &'static str) -> Address {
        Address::new(&self.account, &self.region, kind, format!("alias/{}", self.alias))
    }
}

/// The key the baseline keeps for the trail, when `kms_key_alias` asks for one.
pub fn place(desired: &Desired, scope: &Scope) -> Option<KeyPlace> {
    let alias = desired.cloudtrail.as_ref()?.kms_key_alias.clone()?;
    let (region, archive_owner) = match &desired.log_archive {
        Some(archive) => {
            let at = location(archive, scope);
            (at.region, at.owner)
        }
        None => (scope.home_region.clone(), scope.account_id.clone()),
    };
    Some(KeyPlace { alias, region, account: scope.account_id.clone(), archive_owner })
}

/// The key the trail encrypts with, as the trail is configured: `kms_key_arn`, or the alias ARN of the key the
/// baseline keeps.
pub fn trail_key(desired: &Desired, scope: &Scope, spec: &CloudTrailSpec) -> Option<String> {
    spec.kms_key_arn.clone().or_else(|| place(desired, scope).map(|p| p.alias_arn(&scope.partition)))
}

/// What the changes to the trail wait for: the key and its policy (CloudTrail refuses a key whose policy does
/// not let it encrypt).
pub fn dependencies(desired: &Desired, scope: &Scope) -> Vec<Address> {
    place(desired, scope).map(|p| vec![p.address(KEY), p.address(KEY_POLICY)]).unwrap_or_default()
}

/// Where the trail the account relies on delivers to CloudWatch Logs: where the security alarms belong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogGroupPlacement {
    /// The baseline's own group in the home region (created or repaired by this plan).
    Ours { name: String, address: Address },
    /// The group of a trail the baseline does not own, in this account and the home region.
    Existing { name: String, trail: String },
    /// Alarms cannot be placed by this run; why.
    Elsewhere(String),
}

/// Where the trail the account relies on delivers: what AWS Config's CLOUD_TRAIL_ENABLED is pinned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailInUse {
    pub s3_bucket_name: String,
    /// With `:*`, as CloudTrail returns it.
    pub log_group_arn: Option<String>,
}

/// The log group ARN the way CloudTrail wants and returns it (with `:*`).
pub fn log_group_arn(scope: &Scope, name: &str) -> String {
    format!("arn:{}:logs:{}:{}:log-group:{}:*", scope.partition, scope.home_region, scope.account_id, name)
}
