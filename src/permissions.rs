//! The IAM permissions a run needs with a given baseline (`baseline policy`).
//!
//! Each resource family lists, beside the calls it makes, the actions those calls need and the resources
//! they touch (`permissions` in each module under `resources/`, plus discovery and account access here).
//! A test checks that every action named at a call site is listed by its family, and the emulator tests run
//! `plan` and `apply` with exactly the generated policy, so the list cannot drift from the code.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Value, json};

use crate::aws::guard::is_read_operation;
use crate::config::Desired;
use crate::scope::Scope;

/// Which command the policy is for: `plan` needs the reads, `apply` the reads and the writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Plan,
    Apply,
}

pub use crate::needs::{Condition, LISTS_ALL, NO_RESOURCE_TYPE, Need, Needs, Resources};

/// The account, partition and home region the policy is written for: concrete where baseline.toml (or the
/// command line) says, `*` where the policy must fit any account or region.
pub fn scope_for(desired: &Desired, region: Option<&str>) -> Scope {
    let home_region = desired.home_region.as_deref().or(region).unwrap_or("*").to_string();
    let partition = match home_region.as_str() {
        r if r.starts_with("cn-") => "aws-cn",
        r if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    };
    let single = match &desired.accounts.selection {
        crate::config::AccountSelection::Ids(ids) if ids.len() == 1 => Some(ids[0].clone()),
        crate::config::AccountSelection::Caller if desired.allowed_account_ids.len() == 1 => {
            Some(desired.allowed_account_ids[0].clone())
        }
        _ => None,
    };
    Scope { account_id: single.unwrap_or_else(|| "*".into()), partition: partition.into(), home_region }
}

/// Every permission `command` needs with this baseline, merged per action.
pub fn required(desired: &Desired, scope: Scope, command: Command) -> Vec<Need> {
    let mut needs = Needs::new(scope);
    crate::target::permissions(desired, &mut needs);
    crate::fleet::permissions(desired, &mut needs);
    // Per-account overrides (budgets, contacts) name resources of their own.
    let mut variants = vec![desired.clone()];
    variants.extend(desired.accounts.overrides.keys().map(|id| desired.for_account(id).into_owned()));
    for d in &variants {
        crate::resources::permissions(d, &mut needs);
    }
    merge(needs.list, command)
}

/// An action, and its condition if it has one.
type MergeKey = (&'static str, Option<Condition>);

/// One entry per action and condition: resources unioned, `*` winning; writes dropped for `plan`. Grants under
/// different conditions stay apart, so a role passable to one service is not passable to another.
fn merge(list: Vec<Need>, command: Command) -> Vec<Need> {
    let mut merged: BTreeMap<MergeKey, Need> = BTreeMap::new();
    for need in list {
        if command == Command::Plan && !is_read(need.action) {
            continue;
        }
        let key = (need.action, need.condition.clone());
        match merged.get_mut(&key) {
            None => {
                merged.insert(key, need);
            }
            Some(have) => {
                have.resources = match (std::mem::replace(&mut have.resources, Resources::Any("")), need.resources) {
                    (Resources::Any(why), _) | (_, Resources::Any(why)) => Resources::Any(why),
                    (Resources::Arns(mut a), Resources::Arns(b)) => {
                        a.extend(b);
                        Resources::Arns(a)
                    }
                };
            }
        }
    }
    // An unconditional grant on the same resources (or on `*`) makes a conditional one redundant.
    let unconditional: BTreeMap<&'static str, Resources> =
        merged.values().filter(|n| n.condition.is_none()).map(|n| (n.action, n.resources.clone())).collect();
    let covered = |n: &Need| match (unconditional.get(n.action), &n.resources) {
        (Some(Resources::Any(_)), _) => true,
        (Some(Resources::Arns(all)), Resources::Arns(these)) => these.is_subset(all),
        _ => false,
    };
    merged.into_values().filter(|n| n.condition.is_none() || !covered(n)).collect()
}

/// Whether `service:Action` only reads.
pub fn is_read(action: &str) -> bool {
    is_read_operation(action.split_once(':').map_or(action, |(_, name)| name))
}

/// The policy document: one statement per set of resources (and condition), actions sorted.
pub fn document(needs: &[Need]) -> Value {
    let mut groups: BTreeMap<(&Resources, &Option<Condition>), BTreeSet<&str>> = BTreeMap::new();
    for need in needs {
        groups.entry((&need.resources, &need.condition)).or_default().insert(need.action);
    }
    // No Sids: a managed policy holds 6,144 characters, and the statements read well without them.
    let statements: Vec<Value> = groups
        .into_iter()
        .map(|((resources, condition), actions)| {
            let resource = match resources {
                Resources::Any(_) => json!("*"),
                Resources::Arns(arns) if arns.len() == 1 => json!(arns.iter().next()),
                Resources::Arns(arns) => json!(arns),
            };
            let mut statement = json!({ "Effect": "Allow", "Action": actions, "Resource": resource });
            if let Some(c) = condition {
                statement["Condition"] = json!({ c.operator: { c.key: c.values } });
            }
            statement
        })
        .collect();
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// The document as managed policies of at most [`MANAGED_POLICY_MAX`] characters each, for a baseline whose
/// policy outgrows one: whole statements packed largest first into the first part with room, each part's
/// statements in the document's order. One part when the document fits.
pub fn parts(needs: &[Need]) -> Vec<Value> {
    let whole = document(needs);
    if size(&whole) <= MANAGED_POLICY_MAX {
        return vec![whole];
    }
    let statements = whole["Statement"].as_array().cloned().unwrap_or_default();
    let room = MANAGED_POLICY_MAX - size(&json!({ "Version": "2012-10-17", "Statement": [] }));
    let mut order: Vec<usize> = (0..statements.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(size(&statements[*i])));
    // (characters used, statement indexes); a comma between statements.
    let mut bins: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in order {
        let n = size(&statements[i]);
        match bins.iter_mut().find(|(used, members)| used + n + usize::from(!members.is_empty()) <= room) {
            Some((used, members)) => {
                *used += n + usize::from(!members.is_empty());
                members.push(i);
            }
            None => bins.push((n, vec![i])),
        }
    }
    bins.into_iter()
        .map(|(_, mut members)| {
            members.sort_unstable();
            let part: Vec<Value> = members.into_iter().map(|i| statements[i].clone()).collect();
            json!({ "Version": "2012-10-17", "Statement": part })
        })
        .collect()
}

/// The emulator the tests run against (moto) checks most requests against the resource `*` and some S3
/// requests under other action names; this rewrites a policy so the emulator can enforce it, keeping the
/// action list. S3 bucket ARNs and the roles passed to `sts:AssumeRole`, which it does check, stay scoped.
pub fn for_emulator(needs: Vec<Need>) -> Vec<Need> {
    let mut out = Vec::new();
    for mut need in needs {
        let s3 = need.action.starts_with("s3:") && !need.action.contains("AccountPublicAccessBlock");
        if !(s3 || need.action == "sts:AssumeRole") {
            need.resources = Resources::Any("the emulator checks this action against `*`");
        }
        need.condition = None;
        for alias in emulator_aliases(need.action) {
            out.push(Need { action: alias, ..need.clone() });
        }
        out.push(need);
    }
    // Nothing is dropped: the aliases of reads are reads.
    merge(out, Command::Apply)
}

/// The action names the emulator checks where they differ from AWS's: it names an action after the signing
/// name and the API operation (CloudWatch signs as `monitoring`; Budgets' operations are not mapped to
/// `ViewBudget`/`ModifyBudget`), and falls back to the bucket's default actions for S3 sub-resources missing
/// from its table.
fn emulator_aliases(action: &str) -> &'static [&'static str] {
    match action {
        "s3:GetEncryptionConfiguration" | "s3:GetBucketOwnershipControls" | "s3:GetBucketPublicAccessBlock" => {
            &["s3:ListBucket"]
        }
        "s3:PutEncryptionConfiguration" | "s3:PutBucketOwnershipControls" | "s3:PutBucketPublicAccessBlock" => {
            &["s3:CreateBucket"]
        }
        "s3:GetAccountPublicAccessBlock" => &["s3:GetPublicAccessBlock"],
        "s3:PutAccountPublicAccessBlock" => &["s3:PutPublicAccessBlock"],
        "cloudwatch:DescribeAlarms" => &["monitoring:DescribeAlarms"],
        "cloudwatch:PutMetricAlarm" => &["monitoring:PutMetricAlarm"],
        "cloudwatch:TagResource" => &["monitoring:TagResource"],
        "cloudwatch:ListTagsForResource" => &["monitoring:ListTagsForResource"],
        "budgets:ViewBudget" => &[
            "budgets:DescribeBudgets",
            "budgets:DescribeNotificationsForBudget",
            "budgets:DescribeSubscribersForNotification",
        ],
        "budgets:ModifyBudget" => &[
            "budgets:CreateBudget",
            "budgets:UpdateBudget",
            "budgets:CreateNotification",
            "budgets:UpdateNotification",
            "budgets:DeleteNotification",
            "budgets:CreateSubscriber",
            "budgets:DeleteSubscriber",
        ],
        _ => &[],
    }
}

/// The most characters (whitespace aside) IAM accepts in a managed policy, and in a role's inline policies.
pub const MANAGED_POLICY_MAX: usize = 6_144;
pub const INLINE_ROLE_POLICIES_MAX: usize = 10_240;

/// The document's size as IAM counts it: characters other than whitespace.
pub fn size(document: &Value) -> usize {
    document.to_string().chars().filter(|c| !c.is_whitespace()).count()
}

/// How many distinct actions the needs grant (an action granted under two conditions counts once).
pub fn action_count(needs: &[Need]) -> usize {
    needs.iter().map(|n| n.action).collect::<BTreeSet<_>>().len()
}

/// The actions granted on `*`, with the reason: for the commentary beside the policy.
pub fn unscoped(needs: &[Need]) -> Vec<(&'static str, &'static str)> {
    needs
        .iter()
        .filter_map(|n| match n.resources {
            Resources::Any(why) => Some((n.action, why)),
            Resources::Arns(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::parse;

    fn shipped(extra: &str) -> Desired {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("baseline.toml")).unwrap() + extra;
        parse(Path::new("baseline.toml"), &text).unwrap().desired
    }

    const ORGANIZATION: &str = "\n[accounts]\norganization = true\n";

    fn actions(needs: &[Need]) -> BTreeSet<&'static str> {
        needs.iter().map(|n| n.action).collect()
    }

    /// Every `service:Action` named at a call site in `file` (the error mapping names the permission).
    fn called_in(file: &str) -> BTreeSet<String> {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(file)).unwrap();
        let mut found = BTreeSet::new();
        for marker in ["err(\"", "from_sdk(\"", "build_error(\""] {
            for piece in text.split(marker).skip(1) {
                let action = &piece[..piece.find('"').unwrap()];
                if action.contains(':') && !action.starts_with("test:") {
                    found.insert(action.to_string());
                }
            }
        }
        found
    }

    /// The family's own list covers every call its module makes: the policy cannot drift from the code.
    #[test]
    fn each_family_lists_the_actions_of_its_calls() {
        // Everything the code can call: an organization, a group whose foreign policies are detached, and a
        // billing bucket of its own (its location is read).
        // Families the shipped file leaves off are turned on with their fullest example.
        let off: String = crate::config::FAMILY_EXAMPLES
            .iter()
            .filter(|(table, _)| !include_str!("../baseline.toml").contains(&format!("\n[{table}]\n")))
            .map(|(table, example)| format!("[{table}]\n{example}"))
            .collect();
        let mut desired = shipped(&format!(
            "{ORGANIZATION}\n[[iam.groups]]\nname = \"admins\"\npolicies = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\nexclusive = true\n{off}"
        ));
        if let Some(reports) = desired.billing_reports.as_mut() {
            reports.bucket = Some("example-cost-reports".into());
        }
        // GuardDuty's organization calls: a delegated administrator.
        desired.families.guardduty.as_mut().unwrap().delegated_admin = Some("222222222222".into());
        // KMS keys named by alias: looked up, and the log archive key's policy read.
        let alias = Some("arn:aws:kms:us-east-1:123456789012:alias/logs".to_string());
        desired.log_archive.as_mut().unwrap().kms_key_arn = alias.clone();
        desired.cloudtrail.as_mut().unwrap().kms_key_arn = alias;
        type Family = fn(&Desired, &mut Needs);
        // Every family of the registry, plus account discovery and access.
        let others: [(&str, Family); 3] = [
            ("target.rs", crate::target::permissions),
            ("fleet/discover.rs", crate::fleet::permissions),
            ("aws/assume.rs", crate::fleet::permissions),
        ];
        let families = crate::resources::PERMISSIONS.iter().copied().chain(others);
        for (file, family) in families {
            let mut needs = Needs::new(scope_for(&desired, None));
            family(&desired, &mut needs);
            let listed = actions(&needs.list);
            let missing: Vec<String> = called_in(file).into_iter().filter(|a| !listed.contains(a.as_str())).collect();
            assert!(missing.is_empty(), "{file} calls {missing:?}, which its permissions do not list");
        }
        // The shared helpers: IAM roles (the trail's role, the forwarders, the support role) and the EventBridge
        // route of the families that alert through it.
        let all = actions(&required(&desired, scope_for(&desired, None), Command::Apply));
        let shared = ["resources/iam_role.rs", "resources/event_route.rs", "aws/mod.rs"];
        for action in shared.into_iter().flat_map(called_in) {
            assert!(all.contains(action.as_str()), "{action} missing from the apply policy");
        }
    }

    #[test]
    fn the_plan_policy_only_reads_and_apply_adds_the_writes() {
        let desired = shipped(ORGANIZATION);
        let plan = required(&desired, scope_for(&desired, None), Command::Plan);
        let apply = required(&desired, scope_for(&desired, None), Command::Apply);
        assert!(plan.iter().all(|n| is_read(n.action)), "{plan:?}");
        assert!(actions(&plan).is_subset(&actions(&apply)));
        let writes: Vec<_> = apply.iter().filter(|n| !is_read(n.action)).map(|n| n.action).collect();
        for w in ["sns:CreateTopic", "s3:PutBucketPolicy", "cloudtrail:CreateTrail", "iam:PassRole"] {
            assert!(writes.contains(&w), "{w} in {writes:?}");
        }
        // Organization runs read the organization and assume the member role.
        assert!(actions(&plan).contains("organizations:ListAccounts") && actions(&plan).contains("sts:AssumeRole"));
        // Without [accounts], neither.
        let single = shipped("");
        let plan = actions(&required(&single, scope_for(&single, None), Command::Plan));
        assert!(!plan.iter().any(|a| a.starts_with("organizations:") || *a == "sts:AssumeRole"), "{plan:?}");
    }

    #[test]
    fn resources_are_the_baselines_own_where_the_service_allows() {
        let desired = shipped("");
        let apply = required(&desired, scope_for(&desired, Some("eu-west-1")), Command::Apply);
        let on = |action: &str| apply.iter().find(|n| n.action == action).unwrap_or_else(|| panic!("{action}"));
        let arns = |action: &str| match &on(action).resources {
            Resources::Arns(arns) => arns.iter().cloned().collect::<Vec<_>>(),
            Resources::Any(why) => panic!("{action} on * ({why})"),
        };
        assert_eq!(
            arns("sns:Subscribe"),
            [
                "arn:aws:sns:us-east-1:*:baseline-billing-notifications",
                "arn:aws:sns:us-east-1:*:baseline-security-notifications"
            ]
        );
        assert_eq!(
            arns("s3:PutBucketPolicy"),
            ["arn:aws:s3:::baseline-access-logs-*-us-east-1", "arn:aws:s3:::baseline-logs-*-us-east-1"]
        );
        assert_eq!(arns("s3:PutBucketLogging"), ["arn:aws:s3:::baseline-logs-*-us-east-1"]);
        // The trail's key: every key of the account and region that carries the alias, but CreateAlias, which
        // names the new key before it has the alias.
        let alias = on("kms:PutKeyPolicy").condition.as_ref().unwrap();
        assert_eq!(
            (alias.key, alias.values.iter().next().unwrap().as_str()),
            ("kms:ResourceAliases", "alias/baseline-cloudtrail")
        );
        assert_eq!(arns("kms:PutKeyPolicy"), ["arn:aws:kms:us-east-1:*:key/*"]);
        assert_eq!(arns("cloudtrail:CreateTrail"), ["arn:aws:cloudtrail:us-east-1:*:trail/baseline-trail"]);
        assert_eq!(arns("budgets:ModifyBudget"), ["arn:aws:budgets::*:budget/monthly-total-cost"]);
        assert_eq!(
            arns("iam:CreateGroup"),
            ["arn:aws:iam::*:group/baseline/billing-admins", "arn:aws:iam::*:group/baseline/security-auditors"]
        );
        // Each group may get only the managed policies baseline.toml lists for it.
        let attach: Vec<(Vec<String>, Vec<String>)> = apply
            .iter()
            .filter(|n| n.action == "iam:AttachGroupPolicy")
            .map(|n| match (&n.resources, &n.condition) {
                (Resources::Arns(groups), Some(c)) if c.key == "iam:PolicyARN" => {
                    (groups.iter().cloned().collect(), c.values.iter().cloned().collect())
                }
                other => panic!("{other:?}"),
            })
            .collect();
        let mut attach = attach;
        attach.sort();
        assert_eq!(
            attach,
            [
                (
                    vec!["arn:aws:iam::*:group/baseline/billing-admins".to_string()],
                    vec!["arn:aws:iam::aws:policy/job-function/Billing".to_string()]
                ),
                (
                    vec!["arn:aws:iam::*:group/baseline/security-auditors".to_string()],
                    vec!["arn:aws:iam::aws:policy/SecurityAudit".to_string()]
                ),
            ]
        );
        // A role may be passed only to its own service.
        let passes: Vec<_> = apply.iter().filter(|n| n.action == "iam:PassRole").collect();
        assert_eq!(passes.len(), 3, "{passes:?}");
        assert!(passes.iter().all(|n| matches!(&n.resources, Resources::Arns(_))));
        assert!(passes.iter().all(|n| n.condition.as_ref().is_some_and(|c| c.values.len() == 1)), "{passes:?}");
        // Every `*` says why.
        for (action, why) in unscoped(&apply) {
            assert!(!why.is_empty(), "{action}");
        }
        let any: Vec<&str> = unscoped(&apply).into_iter().map(|(a, _)| a).collect();
        // SNS's subscription calls take no resource type; every topic call is scoped.
        let topic_calls = |a: &&str| a.starts_with("sns:") && !a.ends_with("SubscriptionAttributes");
        assert!(any.iter().all(|a| !topic_calls(a) && !a.starts_with("budgets:")), "{any:?}");
        // One account named in baseline.toml: its id replaces the `*`.
        let one = shipped("\n[accounts]\nids = [\"111122223333\"]\n");
        let needs = required(&one, scope_for(&one, None), Command::Plan);
        let topic = needs.iter().find(|n| n.action == "sns:GetTopicAttributes").unwrap();
        assert!(matches!(&topic.resources, Resources::Arns(a) if a.iter().all(|a| a.contains(":111122223333:"))));
    }

    #[test]
    fn a_policy_over_the_managed_limit_splits_into_parts_that_each_fit() {
        let desired = shipped("");
        let needs = required(&desired, scope_for(&desired, None), Command::Apply);
        let whole = document(&needs);
        let parts = parts(&needs);
        assert!(size(&whole) > MANAGED_POLICY_MAX, "the shipped apply policy needs parts: {}", size(&whole));
        assert_eq!(parts.len(), 2);
        assert!(
            parts.iter().all(|p| size(p) <= MANAGED_POLICY_MAX),
            "{:?}",
            parts.iter().map(size).collect::<Vec<_>>()
        );
        // Together the parts grant exactly the document's statements, each once.
        let mut split: Vec<String> =
            parts.iter().flat_map(|p| p["Statement"].as_array().unwrap().iter().map(Value::to_string)).collect();
        let mut all: Vec<String> = whole["Statement"].as_array().unwrap().iter().map(Value::to_string).collect();
        split.sort();
        all.sort();
        assert_eq!(split, all);
        // The plan policy fits one managed policy: one part, the document itself.
        let plan = required(&desired, scope_for(&desired, None), Command::Plan);
        assert_eq!(self::parts(&plan), vec![document(&plan)]);
    }

    #[test]
    fn the_document_groups_actions_by_resources() {
        let desired = shipped("");
        let needs = required(&desired, scope_for(&desired, None), Command::Apply);
        let doc = document(&needs);
        let statements = doc["Statement"].as_array().unwrap();
        let granted: usize = statements.iter().map(|s| s["Action"].as_array().unwrap().len()).sum();
        let entries = needs.iter().map(|n| (n.action, &n.condition)).collect::<BTreeSet<_>>().len();
        assert_eq!(granted, entries, "each action once per condition");
        assert!(
            size(&doc) <= INLINE_ROLE_POLICIES_MAX,
            "the shipped baseline's policy fits a role's inline policies: {}",
            size(&doc)
        );
        assert!(statements.iter().any(|s| s["Condition"]["ArnEquals"]["iam:PolicyARN"].is_array()));
    }

    #[test]
    fn the_emulator_variant_keeps_every_action_and_reads_stay_reads() {
        let desired = shipped("");
        let plan = required(&desired, scope_for(&desired, None), Command::Plan);
        let emulated = for_emulator(plan.clone());
        assert!(actions(&plan).is_subset(&actions(&emulated)));
        assert!(emulated.iter().all(|n| is_read(n.action) && n.condition.is_none()));
        assert!(actions(&emulated).contains("s3:ListBucket"));
    }
}
