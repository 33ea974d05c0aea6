//! One module per resource family. Each has `plan` (observe concurrently, then a pure `diff`) and `execute`
//! (the writes for one planned operation).

pub mod contacts;
pub mod sns;

use crate::aws::{AwsError, ErrorKind};
use crate::config::Desired;
use crate::engine::{Address, Notice, NoticeLevel, Plan, PlanError};
use crate::target::Target;

/// What apply does for one change: a closed set, one variant per family.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    Sns(sns::Op),
    Contacts(contacts::Op),
}

/// Observes every family concurrently and returns the whole plan. Read-only.
pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let (topics, contacts) = tokio::join!(sns::plan(desired, target), contacts::plan(desired, target));
    let mut plan = Plan::default();
    plan.extend(topics);
    plan.extend(contacts);
    plan.sort();
    plan
}

pub async fn execute(target: &Target, operation: &Operation) -> Result<(), AwsError> {
    match operation {
        Operation::Sns(op) => sns::execute(target, op).await,
        Operation::Contacts(op) => contacts::execute(target, op).await,
    }
}

/// Turns a failed read into a plan error (or, when the endpoint lacks the API, a warning) so the other
/// resources are still planned; returns the observation when the read worked.
pub(crate) fn report_unreadable<T>(result: Result<T, AwsError>, address: &Address, plan: &mut Plan) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) if error.kind == ErrorKind::NotSupported => {
            plan.notices.push(Notice {
                level: NoticeLevel::Warning,
                address: address.clone(),
                message: format!(
                    "not supported by this endpoint ({} answered {}); not checked",
                    error.action,
                    error.answer()
                ),
            });
            None
        }
        Err(error) => {
            plan.errors.push(PlanError { address: address.clone(), error });
            None
        }
    }
}
