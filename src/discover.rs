//! What a live account already has that a baseline.toml can name, for `baseline init --from-account`: the
//! alternate contacts, the notification topics (recognised by the statements baseline's topic policy owns) with
//! their e-mail subscriptions, and the multi-region trail with its bucket, log group and role. Only read calls:
//! the session's guard stays read-only.

use aws_sdk_account::types::AlternateContactType;

use crate::aws::{self, AwsError, Session};

/// An alternate contact as the account holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundContact {
    /// `billing`, `operations` or `security`: its table under `[contacts]`.
    pub kind: &'static str,
    pub name: String,
    pub title: String,
    pub email: String,
    pub phone: String,
}

/// A topic baseline keeps, and the e-mail addresses subscribed to it (confirmed or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundTopic {
    /// `security` or `billing`: its table under `[notifications]`.
    pub role: &'static str,
    pub name: String,
    pub emails: Vec<String>,
}

/// The multi-region trail of the home region, and what it delivers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundTrail {
    pub name: String,
    /// The archive bucket's name, the account id and home region turned back into `{account_id}` and `{region}`.
    pub bucket: Option<String>,
    pub s3_key_prefix: Option<String>,
    pub log_group: Option<String>,
    pub role: Option<String>,
    /// Where the archive's server access logs go, as a template like `bucket`.
    pub access_log_bucket: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub account_id: String,
    pub home_region: String,
    pub contacts: Vec<FoundContact>,
    pub topics: Vec<FoundTopic>,
    pub trail: Option<FoundTrail>,
}

/// Reads the account the session acts in. Read calls only.
pub async fn read(session: &Session, home_region: &str) -> Result<Found, AwsError> {
    let identity =
        session.sts(home_region).get_caller_identity().send().await.map_err(aws::err("sts:GetCallerIdentity"))?;
    let account_id = identity.account().unwrap_or_default().to_string();
    let partition = identity.arn().and_then(|a| a.split(':').nth(1)).unwrap_or("aws").to_string();
    let template = |name: &str| name.replace(&account_id, "{account_id}").replace(home_region, "{region}");
    let contacts = contacts(session, &partition).await?;
    let topics = topics(session, home_region).await?;
    let mut trail = trail(session, home_region).await?;
    if let Some(trail) = trail.as_mut() {
        if let Some(bucket) = &trail.bucket {
            trail.access_log_bucket = access_log_bucket(session, home_region, bucket).await?.map(|b| template(&b));
        }
        trail.bucket = trail.bucket.as_deref().map(template);
    }
    Ok(Found { account_id, home_region: home_region.to_string(), contacts, topics, trail })
}

async fn contacts(session: &Session, partition: &str) -> Result<Vec<FoundContact>, AwsError> {
    let client = session.account(partition);
    let kinds = [
        ("billing", AlternateContactType::Billing),
        ("operations", AlternateContactType::Operations),
        ("security", AlternateContactType::Security),
    ];
    let mut found = Vec::new();
    for (kind, sdk) in kinds {
        match client.get_alternate_contact().alternate_contact_type(sdk).send().await {
            Ok(answer) => {
                let Some(c) = answer.alternate_contact() else { continue };
                let text = |v: Option<&str>| v.unwrap_or_default().to_string();
                found.push(FoundContact {
                    kind,
                    name: text(c.name()),
                    title: text(c.title()),
                    email: text(c.email_address()),
                    phone: text(c.phone_number()),
                });
            }
            Err(e) => {
                let e = AwsError::from_sdk("account:GetAlternateContact", e);
                if !e.is_code("ResourceNotFoundException") {
                    return Err(e);
                }
            }
        }
    }
    Ok(found)
}

/// The role of a topic from the statements baseline's policy gives it, if baseline keeps it.
fn topic_role(policy: &str) -> Option<&'static str> {
    if policy.contains("\"BaselineCloudWatchAlarmsPublish\"") {
        Some("security")
    } else if policy.contains("\"BaselineBudgetsPublish\"") {
        Some("billing")
    } else {
        None
    }
}

async fn topics(session: &Session, region: &str) -> Result<Vec<FoundTopic>, AwsError> {
    let client = session.sns(region);
    let mut arns = Vec::new();
    let mut pages = client.list_topics().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws::err("sns:ListTopics"))?;
        arns.extend(page.topics().iter().filter_map(|t| t.topic_arn().map(str::to_string)));
    }
    let mut found = Vec::new();
    for arn in arns {
        let attributes = client.get_topic_attributes().topic_arn(&arn).send().await;
        let attributes = attributes.map_err(aws::err("sns:GetTopicAttributes"))?;
        let policy = attributes.attributes().and_then(|a| a.get("Policy")).map(String::as_str).unwrap_or_default();
        let Some(role) = topic_role(policy) else { continue };
        if found.iter().any(|t: &FoundTopic| t.role == role) {
            continue;
        }
        let mut emails = Vec::new();
        let mut pages = client.list_subscriptions_by_topic().topic_arn(&arn).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(aws::err("sns:ListSubscriptionsByTopic"))?;
            let email = page.subscriptions().iter().filter(|s| s.protocol() == Some("email"));
            emails.extend(email.filter_map(|s| s.endpoint().map(str::to_string)));
        }
        emails.sort();
        emails.dedup();
        let name = arn.rsplit(':').next().unwrap_or_default().to_string();
        found.push(FoundTopic { role, name, emails });
    }
    Ok(found)
}

async fn trail(session: &Session, region: &str) -> Result<Option<FoundTrail>, AwsError> {
    let answer = session.cloudtrail(region).describe_trails().include_shadow_trails(false).send().await;
    let answer = answer.map_err(aws::err("cloudtrail:DescribeTrails"))?;
    // A multi-region trail of this region; the one with CloudWatch Logs wiring first, as baseline's has.
    let mut trails: Vec<_> = answer
        .trail_list()
        .iter()
        .filter(|t| t.is_multi_region_trail() == Some(true) && t.home_region().is_none_or(|r| r == region))
        .collect();
    trails.sort_by_key(|t| t.cloud_watch_logs_log_group_arn().is_none());
    let Some(t) = trails.first() else { return Ok(None) };
    // arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*  and  arn:aws:iam::ACCOUNT:role/PATH/NAME
    let log_group = t.cloud_watch_logs_log_group_arn().and_then(|a| a.split(':').nth(6)).map(str::to_string);
    let role = t.cloud_watch_logs_role_arn().and_then(|a| a.rsplit('/').next()).map(str::to_string);
    Ok(Some(FoundTrail {
        name: t.name().unwrap_or_default().to_string(),
        bucket: t.s3_bucket_name().map(str::to_string),
        s3_key_prefix: t.s3_key_prefix().map(str::to_string),
        log_group,
        role,
        access_log_bucket: None,
    }))
}

async fn access_log_bucket(session: &Session, region: &str, bucket: &str) -> Result<Option<String>, AwsError> {
    match session.s3(region).get_bucket_logging().bucket(bucket).send().await {
        Ok(answer) => Ok(answer.logging_enabled().map(|l| l.target_bucket().to_string())),
        Err(e) => {
            let e = AwsError::from_sdk("s3:GetBucketLogging", e);
            if e.is_code("NoSuchBucket") { Ok(None) } else { Err(e) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_is_recognised_by_baselines_own_statements() {
        assert_eq!(topic_role(r#"{"Statement":[{"Sid":"BaselineCloudWatchAlarmsPublish"}]}"#), Some("security"));
        assert_eq!(topic_role(r#"{"Statement":[{"Sid":"BaselineBudgetsPublish"}]}"#), Some("billing"));
        assert_eq!(topic_role(r#"{"Statement":[{"Sid":"__default_statement_ID"}]}"#), None);
    }
}
