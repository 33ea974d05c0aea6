//! The built-in security alarms: metric-filter patterns written byte for byte as CIS / Security Hub
//! (CloudWatch.1–14, CIS 4.15) and the CloudTrail user guide's sample publish them. Checkers compare the text,
//! so these strings must not be reformatted.

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
    pub pattern: &'static str,
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
    CatalogAlarm { id, metric_name, pattern, threshold: 1, set: Set::Cis, description }
}

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
    cis(
        "route-table-changes",
        "RouteTableChanges",
        "Route table changes (CloudWatch.13, CIS 4.13)",
        r#"{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}"#,
    ),
    cis(
        "vpc-changes",
        "VPCChanges",
        "VPC changes (CloudWatch.14, CIS 4.14)",
        r#"{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}"#,
    ),
    cis(
        "organizations-changes",
        "OrganizationsChanges",
        "AWS Organizations changes (CIS 4.15)",
        r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#,
    ),
    CatalogAlarm {
        id: "ec2-instance-changes",
        metric_name: "EC2InstanceEventCount",
        pattern: r#"{ ($.eventName = RunInstances) || ($.eventName = RebootInstances) || ($.eventName = StartInstances) || ($.eventName = StopInstances) || ($.eventName = TerminateInstances) }"#,
        threshold: 1,
        set: Set::Extra,
        description: "EC2 instances started, stopped, rebooted or terminated (CloudTrail sample)",
    },
    CatalogAlarm {
        id: "ec2-large-instance-changes",
        metric_name: "EC2LargeInstanceEventCount",
        pattern: r#"{ ($.eventName = RunInstances) && (($.requestParameters.instanceType = *.8xlarge) || ($.requestParameters.instanceType = *.4xlarge)) }"#,
        threshold: 1,
        set: Set::Extra,
        description: "4xlarge or 8xlarge EC2 instances launched (CloudTrail sample)",
    },
];

pub fn find(id: &str) -> Option<&'static CatalogAlarm> {
    CATALOG.iter().find(|a| a.id == id)
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

    /// Byte-exact spot checks against the published text (the spacing differs between sources on purpose).
    #[test]
    fn patterns_are_byte_exact() {
        assert_eq!(
            find("root-usage").unwrap().pattern,
            "{$.userIdentity.type=\"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !=\"AwsServiceEvent\"}"
        );
        assert_eq!(
            find("unauthorized-api-calls").unwrap().pattern,
            "{($.errorCode=\"*UnauthorizedOperation\") || ($.errorCode=\"AccessDenied*\")}"
        );
        assert!(
            find("console-signin-without-mfa").unwrap().pattern.starts_with("{ ($.eventName = \"ConsoleLogin\") && ")
        );
        assert!(
            find("organizations-changes").unwrap().pattern.ends_with("($.eventName = \"UpdateOrganizationalUnit\")) }")
        );
        // The trap: CIS 4.1 transcribed with `||` everywhere matches nearly every event.
        assert!(!find("unauthorized-api-calls").unwrap().pattern.contains("sourceIPAddress"));
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
