//! The plan: what differs between the baseline and the account, change by change.

use std::fmt;

use serde::Serialize;

use crate::aws::AwsError;

/// `account/region/kind/name`, e.g. `123456789012/us-east-1/sns.topic/security-notifications`.
/// Account-wide resources use the region `global`. The name may itself contain `/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub account: String,
    pub region: String,
    pub kind: &'static str,
    pub name: String,
}

pub const GLOBAL: &str = "global";

impl Address {
    pub fn new(account: &str, region: &str, kind: &'static str, name: impl Into<String>) -> Self {
        Self { account: account.to_string(), region: region.to_string(), kind, name: name.into() }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}/{}", self.account, self.region, self.kind, self.name)
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What apply will do to one resource. There is no delete: the baseline adds and repairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    NoOp,
    /// Only a person can do it (root MFA, support plan): reported, never applied.
    Manual,
}

impl Action {
    pub fn symbol(self) -> char {
        match self {
            Action::Create => '+',
            Action::Update => '~',
            Action::NoOp => ' ',
            Action::Manual => '!',
        }
    }
}

/// One attribute's `before → after`; `None` means absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AttributeChange {
    pub name: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AttributeChange {
    pub fn new(name: impl Into<String>, before: Option<String>, after: Option<String>) -> Self {
        Self { name: name.into(), before, after }
    }
}

/// One resource's change. `O` is what apply runs for it (the resource families' operation type): the engine
/// orders and runs changes without knowing what they do.
#[derive(Debug, Clone, Serialize)]
#[serde(bound = "")]
pub struct ResourceChange<O> {
    pub address: Address,
    pub action: Action,
    /// Why, for display only.
    pub reason: String,
    pub attributes: Vec<AttributeChange>,
    /// Changes that must succeed before this one runs.
    pub depends_on: Vec<Address>,
    /// What apply calls. `None` for no-op and manual changes.
    #[serde(skip)]
    pub operation: Option<O>,
}

impl<O> ResourceChange<O> {
    pub fn no_op(address: Address, reason: impl Into<String>) -> Self {
        Self {
            address,
            action: Action::NoOp,
            reason: reason.into(),
            attributes: Vec::new(),
            depends_on: Vec::new(),
            operation: None,
        }
    }

    pub fn new(address: Address, action: Action, reason: impl Into<String>, operation: O) -> Self {
        Self {
            address,
            action,
            reason: reason.into(),
            attributes: Vec::new(),
            depends_on: Vec::new(),
            operation: Some(operation),
        }
    }

    pub fn manual(address: Address, reason: impl Into<String>, steps: Vec<String>) -> Self {
        let attributes = steps
            .into_iter()
            .enumerate()
            .map(|(i, step)| AttributeChange::new(format!("step {}", i + 1), None, Some(step)))
            .collect();
        Self {
            address,
            action: Action::Manual,
            reason: reason.into(),
            attributes,
            depends_on: Vec::new(),
            operation: None,
        }
    }

    pub fn with_attributes(mut self, attributes: Vec<AttributeChange>) -> Self {
        self.attributes = attributes;
        self
    }

    pub fn after(mut self, dependency: &Address) -> Self {
        self.depends_on.push(dependency.clone());
        self
    }

    pub fn is_pending(&self) -> bool {
        matches!(self.action, Action::Create | Action::Update)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeLevel {
    /// A state worth knowing that is not drift (e-mail subscription pending confirmation).
    Info,
    /// Something was not checked or may not work (not supported by this endpoint).
    Warning,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub level: NoticeLevel,
    pub address: Address,
    pub message: String,
}

/// A resource that could not be read: the plan for it is unknown, the run will exit non-zero.
#[derive(Debug, Clone, Serialize)]
pub struct PlanError {
    pub address: Address,
    #[serde(flatten)]
    pub error: AwsError,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub manual: usize,
    pub unchanged: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(bound = "")]
pub struct Plan<O> {
    pub changes: Vec<ResourceChange<O>>,
    pub notices: Vec<Notice>,
    pub errors: Vec<PlanError>,
}

impl<O> Default for Plan<O> {
    fn default() -> Self {
        Self { changes: Vec::new(), notices: Vec::new(), errors: Vec::new() }
    }
}

impl<O> Plan<O> {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Manual => s.manual += 1,
                Action::NoOp => s.unchanged += 1,
            }
        }
        s
    }

    /// Changes that apply would make (create or update).
    pub fn pending(&self) -> impl Iterator<Item = &ResourceChange<O>> {
        self.changes.iter().filter(|c| c.is_pending())
    }

    pub fn has_pending(&self) -> bool {
        self.pending().next().is_some()
    }

    pub fn has_manual(&self) -> bool {
        self.changes.iter().any(|c| c.action == Action::Manual)
    }

    /// Adds the changes, notices and errors of another part of the plan (a resource family).
    pub fn extend(&mut self, other: Plan<O>) {
        self.changes.extend(other.changes);
        self.notices.extend(other.notices);
        self.errors.extend(other.errors);
    }

    /// Keeps only what `--target` asks for: the changes whose address starts with one of `prefixes`, and the
    /// pending changes they depend on (transitively), so apply can still run them in order.
    pub fn retain_targets(&mut self, prefixes: &[String]) {
        if prefixes.is_empty() {
            return;
        }
        let matches = |a: &Address| {
            let text = a.to_string();
            prefixes.iter().any(|p| text.starts_with(p.as_str()))
        };
        let mut keep: Vec<bool> = self.changes.iter().map(|c| matches(&c.address)).collect();
        let mut stack: Vec<usize> = (0..keep.len()).filter(|&i| keep[i]).collect();
        while let Some(i) = stack.pop() {
            for dep in &self.changes[i].depends_on {
                if let Some(d) = self.changes.iter().position(|c| &c.address == dep && c.is_pending())
                    && !keep[d]
                {
                    keep[d] = true;
                    stack.push(d);
                }
            }
        }
        let mut keep = keep.into_iter();
        self.changes.retain(|_| keep.next().unwrap_or(false));
        // A dependency that could not be read has no change, only an error: it must stay visible.
        let needed: std::collections::HashSet<&Address> = self.changes.iter().flat_map(|c| &c.depends_on).collect();
        self.notices.retain(|n| matches(&n.address));
        self.errors.retain(|e| matches(&e.address) || needed.contains(&e.address));
    }

    /// Orders changes by address, then moves each change after the changes it depends on, so output is
    /// stable whatever order the reads finished in and reads in the order apply will work.
    pub fn sort(&mut self) {
        self.changes.sort_by(|a, b| a.address.cmp(&b.address));
        self.notices.sort_by(|a, b| a.address.cmp(&b.address));
        self.errors.sort_by(|a, b| a.address.cmp(&b.address));
        let mut placed = vec![false; self.changes.len()];
        let mut order = Vec::with_capacity(self.changes.len());
        for i in 0..self.changes.len() {
            self.place(i, &mut placed, &mut order);
        }
        let mut slots: Vec<Option<ResourceChange<O>>> =
            std::mem::take(&mut self.changes).into_iter().map(Some).collect();
        self.changes = order.into_iter().filter_map(|i| slots[i].take()).collect();
    }

    fn place(&self, i: usize, placed: &mut [bool], order: &mut Vec<usize>) {
        if placed[i] {
            return;
        }
        placed[i] = true; // marked before recursing, so a cycle cannot loop
        for dep in &self.changes[i].depends_on {
            if let Some(d) = self.changes.iter().position(|c| &c.address == dep) {
                self.place(d, placed, order);
            }
        }
        order.push(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(account: &str, kind: &'static str, name: &str, deps: &[&Address]) -> ResourceChange<()> {
        let mut c = ResourceChange::manual(Address::new(account, "us-east-1", kind, name), "test", Vec::new());
        c.action = Action::Create;
        c.depends_on = deps.iter().map(|d| (*d).clone()).collect();
        c
    }

    #[test]
    fn targets_keep_matching_changes_and_what_they_wait_for() {
        let policy = Address::new("222222222222", "us-east-1", "s3.bucket_policy", "logs");
        let role = Address::new("111111111111", "global", "iam.role", "trail-role");
        let mut plan = Plan {
            changes: vec![
                change("222222222222", "s3.bucket_policy", "logs", &[]),
                change("111111111111", "global", "trail-role", &[]),
                change("111111111111", "cloudtrail.trail", "baseline", &[&policy, &role]),
                change("111111111111", "sns.topic", "security", &[]),
            ],
            ..Plan::<()>::default()
        };
        plan.changes[1].address = role.clone();
        plan.retain_targets(&["111111111111/us-east-1/cloudtrail".to_string()]);
        let kept: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
        assert_eq!(
            kept,
            [
                "222222222222/us-east-1/s3.bucket_policy/logs",
                "111111111111/global/iam.role/trail-role",
                "111111111111/us-east-1/cloudtrail.trail/baseline"
            ]
        );
    }

    #[test]
    fn targets_keep_the_read_errors_of_what_kept_changes_wait_for() {
        let unread = Address::new("222222222222", "us-east-1", "s3.bucket_policy", "logs");
        let elsewhere = Address::new("111111111111", "us-east-1", "sns.topic", "security");
        let mut plan = Plan {
            changes: vec![change("111111111111", "cloudtrail.trail", "baseline", &[&unread])],
            errors: [&unread, &elsewhere]
                .map(|a| PlanError { address: a.clone(), error: AwsError::test("AccessDenied") })
                .into(),
            ..Plan::<()>::default()
        };
        plan.retain_targets(&["111111111111/us-east-1/cloudtrail".to_string()]);
        assert_eq!(plan.errors.iter().map(|e| &e.address).collect::<Vec<_>>(), [&unread]);
    }
}
