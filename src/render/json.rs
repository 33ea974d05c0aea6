//! The machine-readable form of plans and apply reports. `format_version` changes when fields change
//! meaning or disappear; new fields may be added within a version.

use serde::Serialize;

use crate::aws::CallCounts;
use crate::engine::saved::Provenance;
use crate::engine::{ApplyReport, Notice, PlanError, Summary};
use crate::resources::{Plan, ResourceChange};

pub const FORMAT_VERSION: &str = "1.0";

#[derive(Serialize)]
pub struct PlanJson<'a> {
    format_version: &'static str,
    account: &'a str,
    /// False when some resources could not be read.
    complete: bool,
    summary: Summary,
    changes: &'a [ResourceChange],
    notices: &'a [Notice],
    errors: &'a [PlanError],
    /// Where the plan came from (tool version, configuration digest, regions): what `apply FILE` checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    saved_from: Option<&'a Provenance>,
}

impl<'a> PlanJson<'a> {
    pub fn saved_from(mut self, provenance: &'a Provenance) -> Self {
        self.saved_from = Some(provenance);
        self
    }
}

pub fn plan<'a>(plan: &'a Plan, account: &'a str) -> PlanJson<'a> {
    PlanJson {
        format_version: FORMAT_VERSION,
        account,
        complete: plan.errors.is_empty(),
        summary: plan.summary(),
        changes: &plan.changes,
        notices: &plan.notices,
        errors: &plan.errors,
        saved_from: None,
    }
}

#[derive(Serialize)]
struct ApplySummary {
    created: usize,
    updated: usize,
    failed: usize,
    skipped: usize,
    /// Interrupted (Ctrl-C) before they started: still pending.
    not_started: usize,
}

#[derive(Serialize)]
pub struct ApplyJson<'a> {
    format_version: &'static str,
    plan: PlanJson<'a>,
    results: &'a [crate::engine::ChangeResult],
    summary: ApplySummary,
    api_calls: CallCounts,
}

pub fn apply<'a>(planned: &'a Plan, account: &'a str, report: &'a ApplyReport, calls: CallCounts) -> ApplyJson<'a> {
    ApplyJson {
        format_version: FORMAT_VERSION,
        plan: plan(planned, account),
        results: &report.results,
        summary: ApplySummary {
            created: report.created(),
            updated: report.updated(),
            failed: report.failed(),
            skipped: report.skipped(),
            not_started: report.not_started(),
        },
        api_calls: calls,
    }
}

/// Pretty JSON text with a trailing newline.
pub fn to_string<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("plan JSON is always serialisable");
    text.push('\n');
    text
}
