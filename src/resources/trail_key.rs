//! The trail's customer managed KMS key (CIS "Ensure CloudTrail logs are encrypted at rest using KMS CMKs";
//! Prowler `cloudtrail_kms_encryption_enabled`), when `[cloudtrail] kms_key_alias` asks for one: created (or
//! adopted) under its alias in the log archive bucket's region, as CloudTrail requires, with key rotation on and
//! a key policy that lets this account's trail encrypt and the account and the log archive's owner decrypt.
//! Statements of the key policy the baseline does not own are kept.

use std::collections::BTreeMap;

use aws_sdk_kms::types::Tag;
use serde_json::{Value, json};

use super::{Operation, report_unreadable};
use super::{Plan, ResourceChange};
use crate::aws::{self, AwsError, ErrorKind};
use crate::config::Desired;
use crate::engine::{Action, Address, AttributeChange, EventSink};
use crate::policy::{self, PolicyDocument};
use crate::target::{KeyInfo, Target};

pub use super::wiring::{KEY, KEY_POLICY, KeyPlace, dependencies, place, trail_key};
pub const KEY_ROTATION: &str = "kms.key_rotation";



#[derive(Debug, Clone, PartialEq)]
pub struct KeyState {
    pub info: KeyInfo,
    pub rotation: bool,
    pub policy: Option<PolicyDocument>,
    /// The key has a policy baseline cannot parse.
    pub unreadable_policy: Option<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// CreateKey with the policy and tags, then CreateAlias and EnableKeyRotation.
    Create {
        alias: String,
        description: String,
        statements: Vec<Value>,
        tags: BTreeMap<String, String>,
    },
    /// CancelKeyDeletion when the key is pending deletion, EnableKey when it is not enabled, TagResource with the
    /// tags that differ (when any).
    Repair {
        key_id: String,
        cancel_deletion: bool,
        enable: bool,
        tags: BTreeMap<String, String>,
    },
    EnableRotation {
        key_id: String,
    },
    PutPolicy {
        key_id: String,
        statements: Vec<Value>,
    },
}

/// The statements the baseline owns in the key policy, as CloudTrail's guide gives them ("Configure AWS KMS key
/// policies for CloudTrail"): the account administers the key through IAM (the default key policy's statement,
/// which also keeps the key manageable), the trail encrypts its log files and describes the key, and the
/// account and the log archive's owner decrypt log files (through their IAM policies).
pub fn owned_statements(partition: &str, place: &KeyPlace, trail_arn: &str) -> Vec<Value> {
    let root = |account: &str| format!("arn:{partition}:iam::{account}:root");
    let mut readers = vec![root(&place.account)];
    if place.archive_owner != place.account {
        readers.push(root(&place.archive_owner));
    }
    let context = format!("arn:{partition}:cloudtrail:*:{}:trail/*", place.account);
    vec![
        json!({
            "Sid": "BaselineKeyAdministration",
            "Effect": "Allow",
            "Principal": { "AWS": root(&place.account) },
            "Action": "kms:*",
            "Resource": "*"
        }),
        json!({
            "Sid": "BaselineCloudTrailEncrypt",
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringEquals": { "aws:SourceArn": trail_arn },
                "StringLike": { "kms:EncryptionContext:aws:cloudtrail:arn": context }
            }
        }),
        json!({
            "Sid": "BaselineCloudTrailDescribeKey",
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "kms:DescribeKey",
            "Resource": "*",
            "Condition": { "StringEquals": { "aws:SourceArn": trail_arn } }
        }),
        json!({
            "Sid": "BaselineCloudTrailLogDecrypt",
            "Effect": "Allow",
            "Principal": { "AWS": readers },
            "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
            "Resource": "*",
            "Condition": { "StringLike": { "kms:EncryptionContext:aws:cloudtrail:arn": context } }
        }),
    ]
}

/// The calls of this family, on the keys carrying the alias (`kms:ResourceAliases`); CreateKey has no
/// resource, and CreateAlias needs the new key (which has no alias yet) and the alias.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    let Some(place) = place(desired, needs.scope()) else { return };
    let alias_arn = place.alias_arn(&needs.scope().partition);
    let (keys, condition) = crate::target::key_grant(&alias_arn);
    for action in [
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:ListResourceTags",
        "kms:PutKeyPolicy",
        "kms:EnableKeyRotation",
        "kms:EnableKey",
        "kms:CancelKeyDeletion",
    ] {
        match &condition {
            Some(condition) => needs.on_if(action, [keys.clone()], condition.clone()),
            None => needs.on(&[action], [keys.clone()]),
        }
    }
    // CreateKey with tags needs TagResource too, before the key exists.
    needs.any(&["kms:CreateKey", "kms:TagResource"], crate::needs::NO_RESOURCE_TYPE);
    needs.on(&["kms:CreateAlias"], [alias_arn, keys]);
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let (Some(place), Some(spec)) = (place(desired, &target.scope), desired.cloudtrail.as_ref()) else {
        return Plan::default();
    };
    let scope = &target.scope;
    let mut plan = Plan::default();
    let observed = observe(target, &place.alias_arn(&scope.partition)).await;
    let Some(observed) = report_unreadable(observed, &place.address(KEY), &mut plan) else { return plan };
    let trail_arn = super::wiring::trail_arn(scope, &spec.trail);
    let statements = owned_statements(&scope.partition, &place, &trail_arn);
    plan.extend(diff(&place, &spec.trail, statements, &super::wiring::desired_tags(desired), observed.as_ref()));
    plan
}

/// The key behind the alias with its rotation, policy and tags; `None` when the alias does not exist.
pub async fn observe(target: &Target, alias_arn: &str) -> Result<Option<KeyState>, AwsError> {
    let info = match target.kms.describe(alias_arn).await {
        Ok(info) => info,
        Err(e) if e.is_code("NotFoundException") => return Ok(None),
        Err(e) => return Err(e),
    };
    let kms = &target.kms.client;
    let key = info.key_id.as_str();
    let (rotation, policy, tags) = tokio::join!(
        kms.get_key_rotation_status().key_id(key).send(),
        kms.get_key_policy().key_id(key).policy_name("default").send(),
        kms.list_resource_tags().key_id(key).send(),
    );
    let rotation = rotation.map_err(aws::err("kms:GetKeyRotationStatus"))?.key_rotation_enabled();
    let policy = policy.map_err(aws::err("kms:GetKeyPolicy"))?;
    let (policy, unreadable_policy) = match policy.policy().map(PolicyDocument::parse) {
        None => (None, None),
        Some(Ok(policy)) => (Some(policy), None),
        Some(Err(e)) => (None, Some(e.to_string())),
    };
    let tags = tags
        .map_err(aws::err("kms:ListResourceTags"))?
        .tags()
        .iter()
        .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
        .collect();
    Ok(Some(KeyState { info, rotation, policy, unreadable_policy, tags }))
}

/// The key's changes: created whole when the alias does not exist; else its state, tags, rotation and policy
/// repaired one by one.
pub fn diff(
    place: &KeyPlace,
    trail: &str,
    statements: Vec<Value>,
    tags: &BTreeMap<String, String>,
    observed: Option<&KeyState>,
) -> Plan {
    let mut plan = Plan::default();
    let key_address = place.address(KEY);
    let Some(state) = observed else {
        let mut attributes = super::new_fields([
            ("alias", format!("alias/{}", place.alias)),
            ("key_spec", "SYMMETRIC_DEFAULT".to_string()),
            ("key_rotation_enabled", "true".to_string()),
        ]);
        attributes.extend(statements.iter().map(|s| {
            AttributeChange::new(
                format!("statement[{}]", policy::statement_sid(s).unwrap_or("")),
                None,
                Some(s.to_string()),
            )
        }));
        attributes.extend(super::new_tags(tags));
        let op = Op::Create {
            alias: place.alias.clone(),
            description: format!("baseline: encrypts the log files of the CloudTrail trail {trail}"),
            statements,
            tags: tags.clone(),
        };
        plan.changes.push(
            ResourceChange::new(key_address, Action::Create, "key does not exist", Operation::TrailKey(op))
                .with_attributes(attributes),
        );
        return plan;
    };
    if let Some(error) = unusable(state) {
        plan.errors.push(crate::engine::PlanError { address: key_address, error });
        return plan;
    }
    let key_id = state.info.key_id.clone();
    plan.changes.push(key_change(key_address, state, tags));
    plan.changes.push(if state.rotation {
        ResourceChange::no_op(place.address(KEY_ROTATION), "automatic key rotation is on")
    } else {
        ResourceChange::new(
            place.address(KEY_ROTATION),
            Action::Update,
            "automatic key rotation is off",
            Operation::TrailKey(Op::EnableRotation { key_id: key_id.clone() }),
        )
        .with_attributes(vec![AttributeChange::new(
            "key_rotation_enabled",
            Some("false".into()),
            Some("true".into()),
        )])
    });
    let policy_address = place.address(KEY_POLICY);
    if let Some(reason) = &state.unreadable_policy {
        let error = super::unreadable_policy("kms:GetKeyPolicy", reason);
        plan.errors.push(crate::engine::PlanError { address: policy_address, error });
        return plan;
    }
    let drift = policy::owned_drift(state.policy.as_ref(), &statements);
    plan.changes.push(if drift.is_empty() {
        ResourceChange::no_op(policy_address, "the baseline's key policy statements are in place")
    } else {
        let attributes = drift.iter().map(super::statement_attribute).collect();
        let op = Op::PutPolicy { key_id, statements };
        ResourceChange::new(policy_address, Action::Update, super::describe_drift(&drift), Operation::TrailKey(op))
            .with_attributes(attributes)
    });
    plan
}

/// A key the trail cannot use and the baseline must not change: an AWS managed key, or one that does not
/// encrypt with a symmetric key.
fn unusable(state: &KeyState) -> Option<AwsError> {
    let problem = if state.info.manager == "AWS" {
        "is an AWS managed key, which CloudTrail cannot use and whose policy cannot be changed".to_string()
    } else if !state.info.spec.is_empty() && state.info.spec != "SYMMETRIC_DEFAULT" {
        format!("is a {} key; CloudTrail encrypts only with symmetric encryption keys", state.info.spec)
    } else if !["Enabled", "Disabled", "PendingDeletion"].contains(&state.info.state.as_str()) {
        format!("is in state {}, which baseline cannot repair", state.info.state)
    } else {
        return None;
    };
    let message = format!(
        "the alias points at key {}, which {problem}; point the alias at a symmetric customer managed key, or \
         choose another kms_key_alias",
        state.info.arn
    );
    Some(AwsError::new("kms:DescribeKey", ErrorKind::Service, Some("UnusableKey".into()), message, None))
}

/// The key itself: enabled (CloudTrail cannot encrypt with a disabled key or one pending deletion) and
/// carrying the baseline's tags.
fn key_change(address: Address, state: &KeyState, tags: &BTreeMap<String, String>) -> ResourceChange {
    let (tags, mut attributes) = super::tag_drift(tags, &state.tags);
    let enable = state.info.state != "Enabled";
    if !enable && tags.is_empty() {
        return ResourceChange::no_op(address, "key is enabled with the baseline tags");
    }
    let cancel_deletion = state.info.state == "PendingDeletion";
    let reason = if cancel_deletion {
        "key is pending deletion: CloudTrail cannot encrypt with it, and the logs it encrypted become unreadable"
    } else if enable {
        "key is disabled: CloudTrail cannot encrypt with it"
    } else {
        "tags differ"
    };
    if enable {
        attributes.insert(0, AttributeChange::new("key_state", Some(state.info.state.clone()), Some("Enabled".into())));
    }
    let op = Op::Repair { key_id: state.info.key_id.clone(), cancel_deletion, enable, tags };
    ResourceChange::new(address, Action::Update, reason, Operation::TrailKey(op)).with_attributes(attributes)
}

pub async fn execute(target: &Target, op: &Op, _at: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    let kms = &target.kms.client;
    match op {
        Op::Create { alias, description, statements, tags } => {
            create_key(kms, alias, description, statements, tags).await
        }
        Op::Repair { key_id, cancel_deletion, enable, tags } => {
            if *cancel_deletion {
                // A key no longer pending deletion is this very call's work with its answer lost; a key in a state
                // EnableKey cannot handle still fails there.
                kms.cancel_key_deletion()
                    .key_id(key_id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws::err("kms:CancelKeyDeletion"))
                    .or_else(super::already_there("KMSInvalidStateException"))?;
            }
            if *enable {
                kms.enable_key().key_id(key_id).send().await.map_err(aws::err("kms:EnableKey"))?;
            }
            if !tags.is_empty() {
                kms.tag_resource()
                    .key_id(key_id)
                    .set_tags(Some(kms_tags(tags)?))
                    .send()
                    .await
                    .map_err(aws::err("kms:TagResource"))?;
            }
            Ok(())
        }
        Op::EnableRotation { key_id } => {
            kms.enable_key_rotation().key_id(key_id).send().await.map_err(aws::err("kms:EnableKeyRotation"))?;
            Ok(())
        }
        Op::PutPolicy { key_id, statements } => {
            // Re-read and merge just before the write so statements added since the plan survive.
            let current = kms
                .get_key_policy()
                .key_id(key_id)
                .policy_name("default")
                .send()
                .await
                .map_err(aws::err("kms:GetKeyPolicy"))?
                .policy()
                .map(PolicyDocument::parse)
                .transpose()
                .map_err(|e| super::unreadable_policy("kms:PutKeyPolicy", e))?;
            let merged = policy::merge_owned(current.as_ref(), statements);
            if current.as_ref().is_some_and(|c| c.equivalent(&merged)) {
                return Ok(());
            }
            kms.put_key_policy()
                .key_id(key_id)
                .policy_name("default")
                .policy(merged.to_json())
                .send()
                .await
                .map_err(aws::err("kms:PutKeyPolicy"))?;
            Ok(())
        }
    }
}

/// The key with its policy and tags, its alias, and rotation on.
async fn create_key(
    kms: &aws_sdk_kms::Client,
    alias: &str,
    description: &str,
    statements: &[Value],
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let document = PolicyDocument { statements: statements.to_vec(), ..PolicyDocument::empty() };
    let out = kms
        .create_key()
        .description(description)
        .policy(document.to_json())
        .set_tags(Some(kms_tags(tags)?))
        .send()
        .await
        .map_err(aws::err("kms:CreateKey"))?;
    let key_id = out.key_metadata().map(|m| m.key_id().to_string()).unwrap_or_default();
    // An alias already there is this very call's, taken effect with its answer lost (a reset connection;
    // the SDK then retries): the next plan compares the key behind it like any other.
    kms.create_alias()
        .alias_name(format!("alias/{alias}"))
        .target_key_id(&key_id)
        .send()
        .await
        .map(|_| ())
        .map_err(aws::err("kms:CreateAlias"))
        .or_else(super::already_there("AlreadyExistsException"))?;
    kms.enable_key_rotation().key_id(&key_id).send().await.map_err(aws::err("kms:EnableKeyRotation"))?;
    Ok(())
}

fn kms_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(aws::build_error("kms:TagResource"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place() -> KeyPlace {
        KeyPlace {
            alias: "baseline-cloudtrail".into(),
            region: "eu-west-1".into(),
            account: "111111111111".into(),
            archive_owner: "222222222222".into(),
        }
    }

    const TRAIL: &str = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/baseline-trail";

    fn tags() -> BTreeMap<String, String> {
        [("managed-by".to_string(), "baseline".to_string())].into()
    }

    fn state(statements: Vec<Value>) -> KeyState {
        KeyState {
            info: KeyInfo {
                arn: "arn:aws:kms:eu-west-1:111111111111:key/k1".into(),
                key_id: "k1".into(),
                state: "Enabled".into(),
                manager: "CUSTOMER".into(),
                spec: "SYMMETRIC_DEFAULT".into(),
            },
            rotation: true,
            policy: Some(PolicyDocument { statements, ..PolicyDocument::empty() }),
            unreadable_policy: None,
            tags: tags(),
        }
    }

    fn pending(plan: &Plan) -> Vec<(&'static str, Vec<String>)> {
        plan.changes
            .iter()
            .filter(|c| c.is_pending())
            .map(|c| (c.address.kind, c.attributes.iter().map(|a| a.name.clone()).collect()))
            .collect()
    }

    #[test]
    fn a_missing_key_is_created_whole_with_rotation_and_policy() {
        let statements = owned_statements("aws", &place(), TRAIL);
        let plan = diff(&place(), "baseline-trail", statements.clone(), &tags(), None);
        assert_eq!(plan.changes.len(), 1);
        let change = &plan.changes[0];
        assert_eq!(change.address.to_string(), "111111111111/eu-west-1/kms.key/alias/baseline-cloudtrail");
        assert_eq!(change.action, Action::Create);
        let Some(Operation::TrailKey(Op::Create { alias, statements: written, .. })) = &change.operation else {
            panic!("{change:?}")
        };
        assert_eq!((alias.as_str(), written), ("baseline-cloudtrail", &statements));
        let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
        assert!(names.contains(&"key_rotation_enabled") && names.contains(&"statement[BaselineCloudTrailEncrypt]"));
    }

    #[test]
    fn the_key_policy_lets_the_trail_encrypt_and_both_accounts_decrypt() {
        let statements = owned_statements("aws", &place(), TRAIL);
        let doc = PolicyDocument { statements: statements.clone(), ..PolicyDocument::empty() };
        let key = "arn:aws:kms:eu-west-1:111111111111:key/k1";
        let encrypt = &statements[1];
        assert_eq!(encrypt["Condition"]["StringEquals"]["aws:SourceArn"], TRAIL);
        assert_eq!(
            encrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"],
            "arn:aws:cloudtrail:*:111111111111:trail/*"
        );
        assert_eq!(
            statements[3]["Principal"]["AWS"],
            json!(["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"])
        );
        // The trail may describe the key and encrypt with it, for itself only.
        let describe = json!({
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": ["kms:DescribeKey", "kms:GenerateDataKey"],
            "Resource": key,
            "Condition": {
                "StringEquals": { "aws:SourceArn": TRAIL },
                "StringLike": { "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111111111111:trail/*" }
            }
        });
        assert!(policy::grants(&doc, &describe, key));
        let other_trail = json!({
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "kms:GenerateDataKey",
            "Resource": key,
            "Condition": { "StringEquals": { "aws:SourceArn": "arn:aws:cloudtrail:eu-west-1:999999999999:trail/x" } }
        });
        assert!(!policy::grants(&doc, &other_trail, key), "another account's trail may not encrypt");
        // The archive in this very account: one reader.
        let own = KeyPlace { archive_owner: "111111111111".into(), ..place() };
        assert_eq!(
            owned_statements("aws", &own, TRAIL)[3]["Principal"]["AWS"],
            json!(["arn:aws:iam::111111111111:root"])
        );
    }

    #[test]
    fn a_converged_key_plans_nothing_and_foreign_statements_are_kept() {
        let mut statements = owned_statements("aws", &place(), TRAIL);
        let foreign = json!({ "Sid": "SecurityTeamAudit", "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::333333333333:root" }, "Action": "kms:DescribeKey", "Resource": "*" });
        let mut with_foreign = statements.clone();
        with_foreign.push(foreign);
        let plan = diff(&place(), "t", statements.clone(), &tags(), Some(&state(with_foreign.clone())));
        assert!(pending(&plan).is_empty(), "{plan:?}");

        // The encrypt statement edited by hand, rotation off, the key disabled, a tag changed: each repaired.
        statements[1]["Condition"]["StringEquals"]["aws:SourceArn"] = json!("arn:aws:cloudtrail:eu-west-1:1:trail/x");
        let mut drifted = state(statements);
        drifted.rotation = false;
        drifted.info.state = "Disabled".into();
        drifted.tags.clear();
        let want = owned_statements("aws", &place(), TRAIL);
        let plan = diff(&place(), "t", want.clone(), &tags(), Some(&drifted));
        assert_eq!(
            pending(&plan),
            vec![
                (KEY, vec!["key_state".to_string(), "tags.managed-by".to_string()]),
                (KEY_ROTATION, vec!["key_rotation_enabled".to_string()]),
                (KEY_POLICY, vec!["statement[BaselineCloudTrailEncrypt]".to_string()]),
            ]
        );
        let mut retagged = state(want.clone());
        retagged.tags.insert("managed-by".into(), "someone".into());
        let plan = diff(&place(), "t", want, &tags(), Some(&retagged));
        assert_eq!(pending(&plan), vec![(KEY, vec!["tags.managed-by".to_string()])]);
    }

    #[test]
    fn keys_the_trail_cannot_use_are_errors_not_changes() {
        let want = owned_statements("aws", &place(), TRAIL);
        for (field, value, expected) in [
            ("manager", "AWS", "AWS managed key"),
            ("spec", "RSA_2048", "is a RSA_2048 key"),
            ("state", "PendingImport", "in state PendingImport"),
        ] {
            let mut s = state(want.clone());
            match field {
                "manager" => s.info.manager = value.into(),
                "spec" => s.info.spec = value.into(),
                _ => s.info.state = value.into(),
            }
            let plan = diff(&place(), "t", want.clone(), &tags(), Some(&s));
            assert!(plan.changes.is_empty(), "{field}");
            assert!(plan.errors[0].error.message.contains(expected), "{}", plan.errors[0].error.message);
        }
        let mut pending_deletion = state(want.clone());
        pending_deletion.info.state = "PendingDeletion".into();
        let plan = diff(&place(), "t", want, &tags(), Some(&pending_deletion));
        assert!(matches!(
            plan.changes[0].operation,
            Some(Operation::TrailKey(Op::Repair { cancel_deletion: true, enable: true, .. }))
        ));
    }
}
