//! An SDK interceptor on every client baseline builds. It records each API call, and while the session is
//! read-only it refuses any operation that is not a read, before a request is even signed. This is what makes
//! `plan` incapable of writing, whatever a resource module does.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;

/// Operations that read but whose names do not say so.
const READS_BY_NAME: &[&str] = &["AssumeRole", "AssumeRoleWithWebIdentity"];

/// Whether an API operation only reads. Anything else counts as a write.
pub fn is_read_operation(operation: &str) -> bool {
    const READ_PREFIXES: &[&str] = &["Get", "List", "Describe", "Head", "Lookup", "Search", "View"];
    READ_PREFIXES.iter().any(|p| {
        operation
            .strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase()))
    }) || READS_BY_NAME.contains(&operation)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    pub reads: usize,
    pub writes: usize,
    pub refused: usize,
}

impl<'a> std::iter::Sum<&'a CallCounts> for CallCounts {
    fn sum<I: Iterator<Item = &'a CallCounts>>(counts: I) -> Self {
        counts.fold(CallCounts::default(), |t, c| CallCounts {
            reads: t.reads + c.reads,
            writes: t.writes + c.writes,
            refused: t.refused + c.refused,
        })
    }
}

/// The error an operation fails with when it would write during a read-only phase.
#[derive(Debug, thiserror::Error)]
#[error("refused {service}.{operation}: this phase is read-only (plan never writes)")]
pub struct WriteRefused {
    pub service: String,
    pub operation: String,
}

#[derive(Debug, Default)]
struct Inner {
    writes_allowed: AtomicBool,
    /// Calls per `Service.Operation`: memory stays constant however many accounts a run covers.
    calls: Mutex<BTreeMap<String, CallCounts>>,
}

/// Shared by every client of a session; clones share state.
#[derive(Debug, Clone, Default)]
pub struct ApiGuard {
    inner: Arc<Inner>,
}

impl ApiGuard {
    /// A guard that refuses writes until [`ApiGuard::allow_writes`] is called.
    pub fn read_only() -> Self {
        Self::default()
    }

    /// Lets writes through from now on (the apply phase, after the plan was accepted).
    pub fn allow_writes(&self) {
        self.inner.writes_allowed.store(true, Ordering::SeqCst);
    }

    pub fn writes_allowed(&self) -> bool {
        self.inner.writes_allowed.load(Ordering::SeqCst)
    }

    /// Calls made so far, per `Service.Operation`.
    pub fn by_operation(&self) -> BTreeMap<String, CallCounts> {
        self.inner.calls.lock().expect("call log poisoned").clone()
    }

    pub fn counts(&self) -> CallCounts {
        self.inner.calls.lock().expect("call log poisoned").values().sum()
    }

    fn record(&self, service: &str, operation: &str) -> Result<(), WriteRefused> {
        let write = !is_read_operation(operation);
        let refused = write && !self.writes_allowed();
        tracing::debug!(service, operation, write, refused, "AWS call");
        {
            let mut calls = self.inner.calls.lock().expect("call log poisoned");
            let count = calls.entry(format!("{service}.{operation}")).or_default();
            match (refused, write) {
                (true, _) => count.refused += 1,
                (false, true) => count.writes += 1,
                (false, false) => count.reads += 1,
            }
        }
        if refused {
            return Err(WriteRefused { service: service.to_string(), operation: operation.to_string() });
        }
        Ok(())
    }
}

impl Intercept for ApiGuard {
    fn name(&self) -> &'static str {
        "BaselineApiGuard"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<Metadata>() {
            Some(meta) => self.record(meta.service(), meta.name()).map_err(Into::into),
            // Without operation metadata the call cannot be classified: refuse rather than guess.
            None if !self.writes_allowed() => {
                Err(WriteRefused { service: "unknown".into(), operation: "unknown".into() }.into())
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_operations() {
        for read in [
            "GetTopicAttributes",
            "ListSubscriptionsByTopic",
            "DescribeTrails",
            "HeadBucket",
            "GetCallerIdentity",
            "AssumeRole",
            "LookupEvents",
            "Get",
        ] {
            assert!(is_read_operation(read), "{read} should be a read");
        }
        for write in [
            "CreateTopic",
            "SetTopicAttributes",
            "Subscribe",
            "TagResource",
            "PutAlternateContact",
            "DeleteTopic",
            "StartLogging",
            "Getaway", // a prefix alone is not enough: the next letter starts a new word
            "Listen",
            "UpdateTrail",
        ] {
            assert!(!is_read_operation(write), "{write} should be a write");
        }
    }

    #[test]
    fn read_only_guard_refuses_writes_and_counts() {
        let guard = ApiGuard::read_only();
        assert!(guard.record("SNS", "GetTopicAttributes").is_ok());
        let err = guard.record("SNS", "CreateTopic").unwrap_err();
        assert_eq!(err.operation, "CreateTopic");
        assert_eq!(guard.counts(), CallCounts { reads: 1, writes: 0, refused: 1 });
        guard.allow_writes();
        assert!(guard.record("SNS", "CreateTopic").is_ok());
        assert_eq!(guard.counts(), CallCounts { reads: 1, writes: 1, refused: 1 });
    }
}
