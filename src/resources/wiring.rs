//! What families need to know of each other, as pure functions of the baseline and the account: the ARNs and
//! addresses one family's resources are referred to by in another's (the topics alarms and event rules notify,
//! the trail a key policy and bucket policy name, the roles targets pass), the tags every created resource
//! carries, and where the log archive lives. Families import these from here, not from each other.

use std::collections::BTreeMap;

use crate::config::{Desired, LogArchive, MANAGED_BY_KEY, MANAGED_BY_VALUE};
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
