//! What a resource family's calls need in IAM: actions on the baseline's own resources (ARNs), or on `*` for a
//! stated reason, with conditions. The families fill a [`Needs`]; `permissions` merges them into a policy.

use std::collections::BTreeSet;

use crate::scope::Scope;

/// The resources an action is granted on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resources {
    /// The baseline's own resources, as ARNs (`*` only inside a segment the baseline cannot know, such as
    /// the account of an organization member).
    Arns(BTreeSet<String>),
    /// `"*"`: the action has no resource-level permissions, or lists resources of every name; the reason is
    /// shown beside the policy and in the README's table.
    Any(&'static str),
}

/// A condition narrowing a grant, such as which managed policies may be attached.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Condition {
    pub operator: &'static str,
    pub key: &'static str,
    pub values: BTreeSet<String>,
}

/// One action on its resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub action: &'static str,
    pub resources: Resources,
    pub condition: Option<Condition>,
}

/// Why `*` is used for an action whose service has no resource-level permissions for it.
pub const NO_RESOURCE_TYPE: &str = "the action has no resource-level permissions";
/// Why `*` is used for a call that lists or describes resources of every name.
pub const LISTS_ALL: &str = "lists every resource of its kind; the baseline's own are picked from the answer";

/// What the families add to: the needs, plus the ARN shapes of the account being described.
#[derive(Debug)]
pub struct Needs {
    scope: Scope,
    pub(crate) list: Vec<Need>,
}

impl Needs {
    pub fn new(scope: Scope) -> Self {
        Self { scope, list: Vec::new() }
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// `arn:<partition>:<service>:<region>:<account>:<resource>`; `region` empty for global services.
    pub fn arn(&self, service: &str, region: &str, resource: &str) -> String {
        format!("arn:{}:{service}:{region}:{}:{resource}", self.scope.partition, self.scope.account_id)
    }

    /// An ARN in the home region.
    pub fn home_arn(&self, service: &str, resource: &str) -> String {
        self.arn(service, &self.scope.home_region, resource)
    }

    /// `arn:<partition>:iam::<account>:<kind>/<path+name>`.
    pub fn iam_arn(&self, kind: &str, path_and_name: &str) -> String {
        self.arn("iam", "", &format!("{kind}/{}", path_and_name.trim_start_matches('/')))
    }

    /// `arn:<partition>:s3:::<bucket>`.
    pub fn bucket_arn(&self, bucket: &str) -> String {
        format!("arn:{}:s3:::{bucket}", self.scope.partition)
    }

    /// `actions` on these resources.
    pub fn on(&mut self, actions: &[&'static str], arns: impl IntoIterator<Item = String>) {
        let arns: BTreeSet<String> = arns.into_iter().collect();
        for action in actions {
            self.list.push(Need { action, resources: Resources::Arns(arns.clone()), condition: None });
        }
    }

    /// `actions` on `*`, for the reason given.
    pub fn any(&mut self, actions: &[&'static str], why: &'static str) {
        for action in actions {
            self.list.push(Need { action, resources: Resources::Any(why), condition: None });
        }
    }

    /// `action` on these resources when the condition holds.
    /// `iam:CreateServiceLinkedRole` for one service's role (`role` under `aws-service-role/<service>/`), only
    /// for that service: enabling the service creates its role on first use.
    pub fn service_linked_role(&mut self, service: &str, role: &str) {
        let arn = self.iam_arn("role", &format!("aws-service-role/{service}/{role}"));
        let condition =
            Condition { operator: "StringEquals", key: "iam:AWSServiceName", values: [service.to_string()].into() };
        self.on_if("iam:CreateServiceLinkedRole", [arn], condition);
    }

    pub fn on_if(&mut self, action: &'static str, arns: impl IntoIterator<Item = String>, condition: Condition) {
        let resources = Resources::Arns(arns.into_iter().collect());
        self.list.push(Need { action, resources, condition: Some(condition) });
    }
}
