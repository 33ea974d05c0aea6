//! IAM roles that several families own (CloudTrail's delivery role, Config's event forwarder, the support
//! role): the reads and writes on a role, written once.

use std::collections::BTreeMap;

use crate::aws::{self, AwsError};
use crate::policy::PolicyDocument;

/// What GetRole answers about a role that baseline writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// A document that cannot be parsed reads as empty, so the baseline's statements show as missing and are
    /// put back.
    pub trust_policy: PolicyDocument,
    /// Empty when the role has none.
    pub description: String,
    pub tags: BTreeMap<String, String>,
}

/// The role; `None` when it does not exist.
pub async fn read(iam: &aws_sdk_iam::Client, name: &str) -> Result<Option<Role>, AwsError> {
    match iam.get_role().role_name(name).send().await.map_err(aws::err("iam:GetRole")) {
        Ok(out) => {
            let role = out.role();
            Ok(Some(Role {
                trust_policy: role
                    .and_then(|r| r.assume_role_policy_document())
                    .and_then(|d| PolicyDocument::parse(d).ok())
                    .unwrap_or_else(PolicyDocument::empty),
                description: role.and_then(|r| r.description()).unwrap_or_default().to_string(),
                tags: role
                    .map(|r| r.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
                    .unwrap_or_default(),
            }))
        }
        Err(e) if e.is_code("NoSuchEntity") => Ok(None),
        Err(e) => Err(e),
    }
}

/// The role's trust policy; `None` when the role does not exist.
pub async fn trust_policy(iam: &aws_sdk_iam::Client, name: &str) -> Result<Option<PolicyDocument>, AwsError> {
    Ok(read(iam, name).await?.map(|role| role.trust_policy))
}

/// One inline policy of a role; `None` when the role or the policy does not exist.
pub async fn inline_policy(
    iam: &aws_sdk_iam::Client,
    role: &str,
    policy_name: &str,
) -> Result<Option<PolicyDocument>, AwsError> {
    let result = iam.get_role_policy().role_name(role).policy_name(policy_name).send().await;
    match result.map_err(aws::err("iam:GetRolePolicy")) {
        Ok(out) => Ok(Some(PolicyDocument::parse(out.policy_document()).unwrap_or_else(|_| PolicyDocument::empty()))),
        Err(e) if e.is_code("NoSuchEntity") => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn create(
    iam: &aws_sdk_iam::Client,
    name: &str,
    trust_policy: &str,
    description: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let tags = tags
        .iter()
        .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(aws::build_error("iam:CreateRole"))?;
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(trust_policy)
        .description(description)
        .set_tags((!tags.is_empty()).then_some(tags))
        .send()
        .await
        .map(|_| ())
        .map_err(aws::err("iam:CreateRole"))
        .or_else(super::already_there("EntityAlreadyExists"))
}

pub async fn update_trust(iam: &aws_sdk_iam::Client, name: &str, trust_policy: &str) -> Result<(), AwsError> {
    iam.update_assume_role_policy()
        .role_name(name)
        .policy_document(trust_policy)
        .send()
        .await
        .map_err(aws::err("iam:UpdateAssumeRolePolicy"))?;
    Ok(())
}

/// UpdateRole with only a description changes only the description (the maximum session duration is kept).
pub async fn update_description(iam: &aws_sdk_iam::Client, name: &str, description: &str) -> Result<(), AwsError> {
    iam.update_role().role_name(name).description(description).send().await.map_err(aws::err("iam:UpdateRole"))?;
    Ok(())
}

/// Adds or overwrites these tags; the role's other tags are kept.
pub async fn tag(iam: &aws_sdk_iam::Client, name: &str, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    if tags.is_empty() {
        return Ok(());
    }
    let tags = tags
        .iter()
        .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(aws::build_error("iam:TagRole"))?;
    iam.tag_role().role_name(name).set_tags(Some(tags)).send().await.map_err(aws::err("iam:TagRole"))?;
    Ok(())
}

pub async fn put_inline_policy(
    iam: &aws_sdk_iam::Client,
    role: &str,
    policy_name: &str,
    document: &str,
) -> Result<(), AwsError> {
    iam.put_role_policy()
        .role_name(role)
        .policy_name(policy_name)
        .policy_document(document)
        .send()
        .await
        .map_err(aws::err("iam:PutRolePolicy"))?;
    Ok(())
}

pub async fn attach_managed(iam: &aws_sdk_iam::Client, role: &str, policy_arn: &str) -> Result<(), AwsError> {
    iam.attach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn)
        .send()
        .await
        .map_err(aws::err("iam:AttachRolePolicy"))?;
    Ok(())
}
