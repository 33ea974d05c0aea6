//! EBS encryption by default, in every managed region: new EBS volumes, and the snapshots made from them, are
//! encrypted ("Amazon EBS encryption", EBS User Guide; CIS AWS Foundations 2.2.1 / 5.1.1, Security Hub
//! EC2.7). It is a per-region account setting, on or off: baseline turns it on and never off. The key stays
//! the account's EBS default key (the AWS managed `aws/ebs` unless someone changed it, which is left alone).
//!
//! A region a service control policy denies whole (a region deny) is skipped with a warning, as for AWS
//! Config; the home region stays an error.

use futures::future::join_all;

use super::{Operation, region_read};
use super::{Plan, ResourceChange};
use crate::aws::{self, AwsError};
use crate::config::Desired;
use crate::engine::{Action, Address, AttributeChange, EventSink};
use crate::target::{Scope, Target};

pub const SETTING: &str = "ec2.ebs_encryption_by_default";
/// The setting has no name of its own: one per region.
const NAME: &str = "default";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Enable { region: String },
}

/// The two calls of this family. Neither has a resource type ("Actions, resources, and condition keys for
/// Amazon EC2": GetEbsEncryptionByDefault and EnableEbsEncryptionByDefault list none).
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    if desired.ebs_encryption_by_default {
        needs.any(
            &["ec2:GetEbsEncryptionByDefault", "ec2:EnableEbsEncryptionByDefault"],
            crate::needs::NO_RESOURCE_TYPE,
        );
    }
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    if !desired.ebs_encryption_by_default {
        return Plan::default();
    }
    let scope = &target.scope;
    let mut plan = Plan::default();
    let reads =
        join_all(target.regions.iter().map(|r| async {
            r.ec2.ebs_encryption_by_default().await.map_err(aws::err("ec2:GetEbsEncryptionByDefault"))
        }))
        .await;
    for (clients, read) in target.regions.iter().zip(reads) {
        let at = address(scope, &clients.region);
        if let Some(enabled) = region_read(read, &at, &scope.home_region, "EC2", &mut plan) {
            plan.changes.push(diff(at, &clients.region, enabled));
        }
    }
    plan
}

pub fn address(scope: &Scope, region: &str) -> Address {
    Address::new(&scope.account_id, region, SETTING, NAME)
}

/// On: nothing to do. Off: turn it on.
pub fn diff(at: Address, region: &str, enabled: bool) -> ResourceChange {
    if enabled {
        return ResourceChange::no_op(at, "EBS encryption by default is on");
    }
    let op = Operation::EbsEncryption(Op::Enable { region: region.to_string() });
    ResourceChange::new(at, Action::Update, "EBS encryption by default is off", op).with_attributes(vec![
        AttributeChange::new("ebs_encryption_by_default", Some("false".into()), Some("true".into())),
    ])
}

pub async fn execute(target: &Target, op: &Op, _at: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    let Op::Enable { region } = op;
    let clients = target.region(region, "ec2:EnableEbsEncryptionByDefault")?;
    let on =
        clients.ec2.enable_ebs_encryption_by_default().await.map_err(aws::err("ec2:EnableEbsEncryptionByDefault"))?;
    if on {
        Ok(())
    } else {
        Err(AwsError::new(
            "ec2:EnableEbsEncryptionByDefault",
            crate::aws::ErrorKind::Service,
            None,
            format!("EBS encryption by default still reads off in {region} after it was enabled"),
            None,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Address {
        Address::new("123456789012", "eu-west-1", SETTING, NAME)
    }

    #[test]
    fn off_is_turned_on_and_on_is_left_alone() {
        let change = diff(at(), "eu-west-1", false);
        assert_eq!(change.action, Action::Update);
        assert_eq!(change.operation, Some(Operation::EbsEncryption(Op::Enable { region: "eu-west-1".into() })));
        assert_eq!(change.attributes[0].before.as_deref(), Some("false"));
        assert_eq!(diff(at(), "eu-west-1", true).action, Action::NoOp);
    }
}
