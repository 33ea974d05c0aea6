//! IAM roles that several families own (CloudTrail's delivery role, Config's event forwarder, the support
//! role): the reads and writes on a role, written once.

use std::collections::BTreeMap;

use crate::aws::{self, AwsError};
use crate::policy::PolicyDocument;

/// The role's trust policy; `None` when the role does not exist. A document that cannot be parsed reads as
/// empty, so the baseline's statements show as missing and are put back.
pub async fn trust_policy(iam: &aws_sdk_iam::Client, name: &str) -> Result<Option<PolicyDocument>, AwsError> {
    match iam.get_role().role_name(name).send().await.map_err(aws::err("iam:GetRole")) {
        Ok(out) => Ok(Some(
            out.role()
                .and_then(|r| r.assume_role_policy_document())
                .and_then(|d| PolicyDocument::parse(d).ok())
                .unwrap_or_else(PolicyDocument::empty),
        )),
        Err(e) if e.is_code("NoSuchEntity") => Ok(None),
        Err(e) => Err(e),
    }
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
