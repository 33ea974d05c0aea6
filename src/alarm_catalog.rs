//! The built-in security alarms: metric-filter patterns written byte for byte as CIS / Security Hub
//! (CloudWatch.1–14, CIS 4.15) and the CloudTrail user guide's sample publish them. Checkers compare the text,
//! so these strings must not be reformatted.
//!
//! Two generations of checkers read these filters. Security Hub's CloudWatch.x controls (CIS 1.2 / 1.4) want
//! the exact strings of [`CatalogAlarm::pattern`]. Checkers of the current CIS benchmark (v3 and later, as
//! Prowler 5.x implements them) look for clauses instead, in any order and spacing, and want more for two
//! alarms: route-table changes need `$.eventSource = ec2.amazonaws.com`, Organizations changes need also
//! `CancelHandshake`, `CreateOrganization` and `EnableAllFeatures`. Those two carry a second pattern,
//! [`CatalogAlarm::cis_v3`]; [`filters`] chooses what to write for the `standard` of `[alarms]`.

use serde::Serialize;

/// Which generation of checkers the catalog's filters are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlarmStandard {
    /// Security Hub's exact strings, plus a second filter feeding the same metric where the current CIS
    /// benchmark wants more clauses.
    Both,
    /// Security Hub's exact strings (CIS 1.2 / 1.4) only.
    SecurityHub,
    /// The current CIS benchmark's clauses (v3 and later) only.
    CisV3,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    /// The CIS / Security Hub set.
    Cis,
    /// The CloudTrail sample's extra EC2 alarms.
    Extra,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogAlarm {
    pub id: &'static str,
    pub metric_name: &'static str,
    /// Security Hub's exact string (CIS 1.2 / 1.4), or the CloudTrail sample's.
    pub pattern: &'static str,
    /// What checkers of the current CIS benchmark need when [`Self::pattern`] does not satisfy them: the same
    /// clauses plus the missing ones, written in the style of `pattern` (no checker compares this text).
    pub cis_v3: Option<&'static str>,
    pub threshold: u32,
    pub set: Set,
    pub description: &'static str,
}

const fn cis(
    id: &'static str,
    metric_name: &'static str,
    description: &'static str,
    pattern: &'static str,
) -> CatalogAlarm {
    CatalogAlarm { id, metric_name, pattern, cis_v3: None, threshold: 1, set: Set::Cis, description }
}

const fn with_cis_v3(alarm: CatalogAlarm, pattern: &'static str) -> CatalogAlarm {
    CatalogAlarm { cis_v3: Some(pattern), ..alarm }
}

/// The second filter of an alarm (standard "both") is named after the alarm with this suffix. Custom alarm
/// ids may not end with it.
pub const CIS_V3_SUFFIX: &str = "-cis-v3";

pub const CATALOG: &[CatalogAlarm] = &[
    cis(
        "root-usage",
        "RootAccountUsage",
        "Root user activity (CloudWatch.1, CIS 4.3)",
        r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#,
    ),
    cis(
        "unauthorized-api-calls",
        "UnauthorizedAPICalls",
        "Unauthorized API calls (CloudWatch.2, CIS 4.1)",
        r#"{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}"#,
    ),
    cis(
        "console-signin-without-mfa",
        "ConsoleSigninWithoutMFA",
        "Console sign-in without MFA (CloudWatch.3, CIS 4.2)",
        r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#,
    ),
    cis(
        "iam-policy-changes",
        "IAMPolicyChanges",
        "IAM policy changes (CloudWatch.4, CIS 4.4)",
        r#"{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}"#,
    ),
    cis(
        "cloudtrail-changes",
        "CloudTrailChanges",
        "CloudTrail configuration changes (CloudWatch.5, CIS 4.5)",
        r#"{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}"#,
    ),
    cis(
        "console-auth-failures",
        "ConsoleAuthenticationFailures",
        "Console authentication failures (CloudWatch.6, CIS 4.6)",
        r#"{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}"#,
    ),
    cis(
        "kms-cmk-disable-or-deletion",
        "KMSKeyDisableOrDeletion",
        "Customer managed keys disabled or scheduled for deletion (CloudWatch.7, CIS 4.7)",
        r#"{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}"#,
    ),
    cis(
        "s3-bucket-policy-changes",
        "S3BucketPolicyChanges",
        "S3 bucket policy changes (CloudWatch.8, CIS 4.8)",
        r#"{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}"#,
    ),
    cis(
        "config-changes",
        "AWSConfigChanges",
        "AWS Config configuration changes (CloudWatch.9, CIS 4.9)",
        r#"{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}"#,
    ),
    cis(
        "security-group-changes",
        "SecurityGroupChanges",
        "Security group changes (CloudWatch.10, CIS 4.10)",
        r#"{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}"#,
    ),
    cis(
        "nacl-changes",
        "NACLChanges",
        "Network ACL changes (CloudWatch.11, CIS 4.11)",
        r#"{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}"#,
    ),
    cis(
        "network-gateway-changes",
        "NetworkGatewayChanges",
        "Network gateway changes (CloudWatch.12, CIS 4.12)",
        r#"{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}"#,
    ),
    with_cis_v3(
        cis(
            "route-table-changes",
            "RouteTableChanges",
            "Route table changes (CloudWatch.13, CIS 4.13)",
            r#"{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}"#,
        ),
        r#"{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }"#,
    ),
    cis(
        "vpc-changes",
        "VPCChanges",
        "VPC changes (CloudWatch.14, CIS 4.14)",
        r#"{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}"#,
    ),
    with_cis_v3(
        cis(
            "organizations-changes",
            "OrganizationsChanges",
            "AWS Organizations changes (CIS 4.15)",
            r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#,
        ),
        r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CancelHandshake") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganization") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnableAllFeatures") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#,
    ),
    CatalogAlarm {
        id: "ec2-instance-changes",
        metric_name: "EC2InstanceEventCount",
        pattern: r#"{ ($.eventName = RunInstances) || ($.eventName = RebootInstances) || ($.eventName = StartInstances) || ($.eventName = StopInstances) || ($.eventName = TerminateInstances) }"#,
        cis_v3: None,
        threshold: 1,
        set: Set::Extra,
        description: "EC2 instances started, stopped, rebooted or terminated (CloudTrail sample)",
    },
    CatalogAlarm {
        id: "ec2-large-instance-changes",
        metric_name: "EC2LargeInstanceEventCount",
        pattern: r#"{ ($.eventName = RunInstances) && (($.requestParameters.instanceType = *.8xlarge) || ($.requestParameters.instanceType = *.4xlarge)) }"#,
        cis_v3: None,
        threshold: 1,
        set: Set::Extra,
        description: "4xlarge or 8xlarge EC2 instances launched (CloudTrail sample)",
    },
];

pub fn find(id: &str) -> Option<&'static CatalogAlarm> {
    CATALOG.iter().find(|a| a.id == id)
}

/// The filters an alarm of the catalog gets under `standard`, as `(filter id, pattern)`; the first one is named
/// after the alarm (`baseline-<id>`), so accounts converged before the choice existed keep their filters.
/// - `SecurityHub`: the exact strings only.
/// - `CisV3`: the current-generation pattern in place of the exact string where they differ.
/// - `Both`: the exact string, plus a second filter `<id>-cis-v3` with the current-generation pattern feeding the
///   same metric, so that both the exact-string check and the clause check find a filter whose metric is alarmed.
pub fn filters(alarm: &CatalogAlarm, standard: AlarmStandard) -> Vec<(String, &'static str)> {
    let first = |pattern| (alarm.id.to_string(), pattern);
    match (standard, alarm.cis_v3) {
        (AlarmStandard::SecurityHub, _) | (_, None) => vec![first(alarm.pattern)],
        (AlarmStandard::CisV3, Some(v3)) => vec![first(v3)],
        (AlarmStandard::Both, Some(v3)) => vec![first(alarm.pattern), (format!("{}{CIS_V3_SUFFIX}", alarm.id), v3)],
    }
}

/// Why a filter pattern is malformed, if it is: empty, or brackets and quotes that do not balance.
pub fn pattern_problem(pattern: &str) -> Option<String> {
    if pattern.trim().is_empty() {
        return Some("the pattern is empty".into());
    }
    let mut stack = Vec::new();
    let mut in_quotes = false;
    for (i, c) in pattern.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            _ if in_quotes => {}
            '{' | '(' | '[' => stack.push((c, i)),
            '}' | ')' | ']' => {
                let open = match c {
                    '}' => '{',
                    ')' => '(',
                    _ => '[',
                };
                match stack.pop() {
                    Some((o, _)) if o == open => {}
                    _ => return Some(format!("unbalanced `{c}` at character {}", i + 1)),
                }
            }
            _ => {}
        }
    }
    if in_quotes {
        return Some("a quoted string is not closed".into());
    }
    stack.pop().map(|(c, i)| format!("`{c}` at character {} is never closed", i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_ids_and_metrics_are_unique_and_patterns_balanced() {
        for (i, a) in CATALOG.iter().enumerate() {
            assert!(CATALOG[i + 1..].iter().all(|b| b.id != a.id && b.metric_name != a.metric_name), "{}", a.id);
            assert_eq!(pattern_problem(a.pattern), None, "{}", a.id);
        }
        assert_eq!(CATALOG.iter().filter(|a| a.set == Set::Cis).count(), 15);
    }

    /// The published text of every pattern, copied from its source: Security Hub's CloudWatch.1–14 controls and
    /// CIS 4.15 (table A of the reference), then the CloudTrail user guide's sample (its two EC2 alarms; its
    /// other alarms duplicate table A with other spacing and are not in the catalog).
    const PUBLISHED: &[(&str, &str)] = &[
        (
            "root-usage",
            r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#,
        ),
        ("unauthorized-api-calls", r#"{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}"#),
        (
            "console-signin-without-mfa",
            r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#,
        ),
        (
            "iam-policy-changes",
            r#"{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}"#,
        ),
        (
            "cloudtrail-changes",
            r#"{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}"#,
        ),
        ("console-auth-failures", r#"{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}"#),
        (
            "kms-cmk-disable-or-deletion",
            r#"{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}"#,
        ),
        (
            "s3-bucket-policy-changes",
            r#"{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}"#,
        ),
        (
            "config-changes",
            r#"{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}"#,
        ),
        (
            "security-group-changes",
            r#"{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}"#,
        ),
        (
            "nacl-changes",
            r#"{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}"#,
        ),
        (
            "network-gateway-changes",
            r#"{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}"#,
        ),
        (
            "route-table-changes",
            r#"{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}"#,
        ),
        (
            "vpc-changes",
            r#"{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}"#,
        ),
        (
            "organizations-changes",
            r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#,
        ),
        (
            "ec2-instance-changes",
            r#"{ ($.eventName = RunInstances) || ($.eventName = RebootInstances) || ($.eventName = StartInstances) || ($.eventName = StopInstances) || ($.eventName = TerminateInstances) }"#,
        ),
        (
            "ec2-large-instance-changes",
            r#"{ ($.eventName = RunInstances) && (($.requestParameters.instanceType = *.8xlarge) || ($.requestParameters.instanceType = *.4xlarge)) }"#,
        ),
    ];

    #[test]
    fn every_pattern_is_its_published_text_byte_for_byte() {
        assert_eq!(CATALOG.len(), PUBLISHED.len());
        for (id, text) in PUBLISHED {
            let alarm = find(id).unwrap_or_else(|| panic!("{id} is not in the catalog"));
            assert_eq!(alarm.pattern, *text, "{id}");
        }
        // The trap: CIS 4.1 transcribed with `||` everywhere matches nearly every event.
        assert!(!find("unauthorized-api-calls").unwrap().pattern.contains("sourceIPAddress"));
    }

    /// The current-generation patterns keep every clause of the exact string and add what CIS v3 wants.
    #[test]
    fn cis_v3_patterns_extend_the_exact_strings() {
        let with_v3: Vec<&str> = CATALOG.iter().filter(|a| a.cis_v3.is_some()).map(|a| a.id).collect();
        assert_eq!(with_v3, ["route-table-changes", "organizations-changes"]);
        let route = find("route-table-changes").unwrap().cis_v3.unwrap();
        assert!(route.starts_with("{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || "));
        let org = find("organizations-changes").unwrap().cis_v3.unwrap();
        assert_eq!(org.matches("($.eventName = \"").count(), 21);
        for name in ["CancelHandshake", "CreateOrganization", "EnableAllFeatures"] {
            assert!(org.contains(&format!("($.eventName = \"{name}\")")), "{name}");
        }
        for alarm in CATALOG {
            for pattern in [Some(alarm.pattern), alarm.cis_v3].into_iter().flatten() {
                assert_eq!(pattern_problem(pattern), None, "{}", alarm.id);
                // CloudWatch Logs takes filter patterns of up to 1024 characters.
                assert!(pattern.len() <= 1024, "{} is {} characters", alarm.id, pattern.len());
            }
        }
    }

    #[test]
    fn each_standard_chooses_its_filters() {
        let route = find("route-table-changes").unwrap();
        let v3 = route.cis_v3.unwrap();
        assert_eq!(filters(route, AlarmStandard::SecurityHub), [("route-table-changes".to_string(), route.pattern)]);
        assert_eq!(filters(route, AlarmStandard::CisV3), [("route-table-changes".to_string(), v3)]);
        assert_eq!(
            filters(route, AlarmStandard::Both),
            [("route-table-changes".to_string(), route.pattern), ("route-table-changes-cis-v3".to_string(), v3)]
        );
        let root = find("root-usage").unwrap();
        for standard in [AlarmStandard::Both, AlarmStandard::SecurityHub, AlarmStandard::CisV3] {
            assert_eq!(filters(root, standard), [("root-usage".to_string(), root.pattern)]);
        }
    }

    #[test]
    fn malformed_patterns() {
        assert_eq!(pattern_problem("  "), Some("the pattern is empty".into()));
        assert_eq!(pattern_problem("{ ($.a = 1) "), Some("`{` at character 1 is never closed".into()));
        assert_eq!(pattern_problem("{ $.a = 1) }"), Some("unbalanced `)` at character 10".into()));
        assert_eq!(pattern_problem("{ $.a = \"x }"), Some("a quoted string is not closed".into()));
        assert_eq!(pattern_problem("{ $.a = \"(\" }"), None, "brackets inside quotes do not count");
    }
}
