//! What the engine reports while it works. The engine emits events; only the CLI turns them into output.

use std::time::Duration;

use super::plan::{Action, Address};
use crate::aws::AwsError;

#[derive(Debug)]
pub enum Event<'a> {
    Started {
        address: &'a Address,
        action: Action,
    },
    Done {
        address: &'a Address,
        action: Action,
        elapsed: Duration,
    },
    Failed {
        address: &'a Address,
        error: &'a AwsError,
    },
    Skipped {
        address: &'a Address,
        because: &'a Address,
    },
    /// A bounded retry while a documented propagation delay passes.
    Retrying {
        address: &'a Address,
        attempt: u32,
        reason: &'a str,
    },
}

pub trait EventSink: Sync {
    fn emit(&self, event: Event<'_>);
}

/// Discards events (library callers that only want the report).
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&self, _: Event<'_>) {}
}
