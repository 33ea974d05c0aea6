//! Account-level S3 Block Public Access: all four settings on, for every bucket of the account, through S3
//! Control (`GetPublicAccessBlock` / `PutPublicAccessBlock` with the account id; IAM calls them
//! `s3:GetAccountPublicAccessBlock` / `s3:PutAccountPublicAccessBlock`). A setting turned off by hand is turned
//! back on; nothing is ever turned off.

use super::{Operation, report_unreadable};
use super::{Plan, ResourceChange};
use crate::aws::{self, AwsError, ErrorKind};
use crate::config::Desired;
use crate::engine::{Action, Address, EventSink, GLOBAL};
use crate::target::Target;

pub const SETTING: &str = "s3.account_public_access_block";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Block { account_id: String },
}

/// Both calls act on the account, which has no resource type.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    if desired.account_public_access_block {
        needs
            .any(&["s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock"], crate::needs::NO_RESOURCE_TYPE);
    }
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let mut plan = Plan::default();
    if !desired.account_public_access_block {
        return plan;
    }
    let account = &target.scope.account_id;
    let address = Address::new(account, GLOBAL, SETTING, "account");
    let observed = observe(target).await.map_err(|e| endpoint_cannot_route(e, target.custom_endpoint));
    if let Some(observed) = report_unreadable(observed, &address, &mut plan) {
        plan.changes.push(diff(address, account, observed));
    }
    plan
}

/// The four settings, `None` when the account has no configuration.
async fn observe(target: &Target) -> Result<Option<[bool; 4]>, AwsError> {
    let result = target
        .s3control
        .get_public_access_block()
        .account_id(&target.scope.account_id)
        .send()
        .await
        .map_err(aws::err("s3:GetAccountPublicAccessBlock"));
    let configuration = match result {
        Ok(out) => out.public_access_block_configuration().cloned(),
        Err(e) if e.is_code("NoSuchPublicAccessBlockConfiguration") => None,
        Err(e) => return Err(e),
    };
    Ok(configuration.map(|c| {
        [
            c.block_public_acls().unwrap_or(false),
            c.ignore_public_acls().unwrap_or(false),
            c.block_public_policy().unwrap_or(false),
            c.restrict_public_buckets().unwrap_or(false),
        ]
    }))
}

/// S3 Control puts the account id in front of the endpoint host (`<account>.<host>`). The client resolves such
/// names under a loopback host itself; a custom endpoint elsewhere (`http://emulator:4566`) may have no name for
/// it: through a custom endpoint, failing to connect means "not supported here".
fn endpoint_cannot_route(e: AwsError, custom_endpoint: bool) -> AwsError {
    if custom_endpoint && e.kind == ErrorKind::Network {
        let message = "the endpoint cannot serve S3 Control's account-prefixed host name".to_string();
        AwsError { kind: ErrorKind::NotSupported, message, ..e }
    } else {
        e
    }
}

pub fn diff(address: Address, account_id: &str, current: Option<[bool; 4]>) -> ResourceChange {
    let attributes = super::public_access_block_attributes(current);
    if attributes.is_empty() {
        return ResourceChange::no_op(address, "all four settings on");
    }
    let op = Operation::AccountBpa(Op::Block { account_id: account_id.to_string() });
    let reason = if current.is_none() { "not configured" } else { "some settings are off" };
    ResourceChange::new(address, Action::Update, reason, op).with_attributes(attributes)
}

pub async fn execute(target: &Target, op: &Op, _at: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    let Op::Block { account_id } = op;
    let c = aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    target
        .s3control
        .put_public_access_block()
        .account_id(account_id)
        .public_access_block_configuration(c)
        .send()
        .await
        .map_err(aws::err("s3:PutAccountPublicAccessBlock"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::AttributeChange;

    #[test]
    fn only_the_settings_that_are_off_are_turned_on() {
        let addr = Address::new("111111111111", GLOBAL, SETTING, "account");
        assert_eq!(diff(addr.clone(), "111111111111", Some([true; 4])).action, Action::NoOp);
        let change = diff(addr.clone(), "111111111111", Some([true, false, true, true]));
        assert_eq!(
            change.attributes,
            vec![AttributeChange::new("ignore_public_acls", Some("false".into()), Some("true".into()))]
        );
        assert_eq!(diff(addr, "111111111111", None).attributes.len(), 4);
    }
}
