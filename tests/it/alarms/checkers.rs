//! The two generations of checkers that read the security alarms, modelled for the tests.
//!
//! - Security Hub's CloudWatch.1–14 controls (CIS 1.2 / 1.4): a filter on the trail's log group whose pattern is
//!   exactly the published string, and an alarm with an action on the filter's metric. The published strings
//!   are the catalog's `pattern`s, which the catalog's unit test pins byte for byte to their sources. The CIS
//!   1.4 text of 4.15 (Organizations; no Security Hub control) is held to the same rule.
//! - Checkers of the current CIS benchmark (v3 and later), as Prowler 5.x implements them in
//!   prowler/providers/aws/services/cloudwatch/lib/metric_filters.py and the checks beside it: every required
//!   clause must appear in the pattern, in any order and spacing, as `$.eventName = Name` (the name word-bounded,
//!   optionally quoted), `$.eventSource = source`, `$.<field> = value` or `$.<field> != value`; and an alarm
//!   must watch the filter's metric (here also in the same namespace).

use baseline::alarm_catalog;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricFilter {
    pub name: String,
    pub pattern: String,
    pub metric: String,
    pub namespace: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricAlarm {
    pub metric: String,
    pub namespace: String,
    pub has_action: bool,
}

/// Security Hub's controls and the alarm of the catalog each one reads.
const SECURITY_HUB: &[(&str, &str)] = &[
    ("CloudWatch.1", "root-usage"),
    ("CloudWatch.2", "unauthorized-api-calls"),
    ("CloudWatch.3", "console-signin-without-mfa"),
    ("CloudWatch.4", "iam-policy-changes"),
    ("CloudWatch.5", "cloudtrail-changes"),
    ("CloudWatch.6", "console-auth-failures"),
    ("CloudWatch.7", "kms-cmk-disable-or-deletion"),
    ("CloudWatch.8", "s3-bucket-policy-changes"),
    ("CloudWatch.9", "config-changes"),
    ("CloudWatch.10", "security-group-changes"),
    ("CloudWatch.11", "nacl-changes"),
    ("CloudWatch.12", "network-gateway-changes"),
    ("CloudWatch.13", "route-table-changes"),
    ("CloudWatch.14", "vpc-changes"),
    ("CIS 1.4 4.15", "organizations-changes"),
];

/// One clause: `$.<field> <op> <value>`, the value optionally preceded by one character (a quote).
#[derive(Debug, Clone, Copy)]
pub struct Clause {
    pub field: &'static str,
    pub op: &'static str,
    pub value: &'static str,
    /// `\b` after the value: `CreateRoute` is not found in `CreateRouteTable`.
    pub word_bounded: bool,
}

const fn name(value: &'static str) -> Clause {
    Clause { field: "eventName", op: "=", value, word_bounded: true }
}

const fn source(value: &'static str) -> Clause {
    Clause { field: "eventSource", op: "=", value, word_bounded: false }
}

const fn field(field: &'static str, op: &'static str, value: &'static str) -> Clause {
    Clause { field, op, value, word_bounded: false }
}

/// A check of the current generation: its clauses in any order, or (`ordered`, the two checks Prowler writes
/// as one regular expression) in this order with something between them.
pub struct ClauseCheck {
    pub name: &'static str,
    pub ordered: bool,
    pub clauses: &'static [Clause],
    /// A literal that must appear between clauses of an ordered check (`$.userIdentity.invokedBy NOT EXISTS`).
    pub between: Option<&'static str>,
}

pub const CIS_V3: &[ClauseCheck] = &[
    ClauseCheck {
        name: "cloudwatch_log_metric_filter_root_usage",
        ordered: true,
        clauses: &[field("userIdentity.type", "=", "Root"), field("eventType", "!=", "AwsServiceEvent")],
        between: Some("$.userIdentity.invokedBy NOT EXISTS"),
    },
    ClauseCheck {
        name: "cloudwatch_log_metric_filter_unauthorized_api_calls",
        ordered: true,
        clauses: &[field("errorCode", "=", "*UnauthorizedOperation"), field("errorCode", "=", "AccessDenied*")],
        between: None,
    },
    unordered(
        "cloudwatch_log_metric_filter_sign_in_without_mfa",
        &[name("ConsoleLogin"), field("additionalEventData.MFAUsed", "!=", "Yes")],
    ),
    unordered(
        "cloudwatch_log_metric_filter_policy_changes",
        &[
            name("DeleteGroupPolicy"),
            name("DeleteRolePolicy"),
            name("DeleteUserPolicy"),
            name("PutGroupPolicy"),
            name("PutRolePolicy"),
            name("PutUserPolicy"),
            name("CreatePolicy"),
            name("DeletePolicy"),
            name("CreatePolicyVersion"),
            name("DeletePolicyVersion"),
            name("AttachRolePolicy"),
            name("DetachRolePolicy"),
            name("AttachUserPolicy"),
            name("DetachUserPolicy"),
            name("AttachGroupPolicy"),
            name("DetachGroupPolicy"),
        ],
    ),
    unordered(
        "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",
        &[name("CreateTrail"), name("UpdateTrail"), name("DeleteTrail"), name("StartLogging"), name("StopLogging")],
    ),
    unordered(
        "cloudwatch_log_metric_filter_authentication_failures",
        &[name("ConsoleLogin"), field("errorMessage", "=", "Failed authentication")],
    ),
    unordered(
        "cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk",
        &[source("kms.amazonaws.com"), name("DisableKey"), name("ScheduleKeyDeletion")],
    ),
    unordered(
        "cloudwatch_log_metric_filter_for_s3_bucket_policy_changes",
        &[
            source("s3.amazonaws.com"),
            name("PutBucketAcl"),
            name("PutBucketPolicy"),
            name("PutBucketCors"),
            name("PutBucketLifecycle"),
            name("PutBucketReplication"),
            name("DeleteBucketPolicy"),
            name("DeleteBucketCors"),
            name("DeleteBucketLifecycle"),
            name("DeleteBucketReplication"),
        ],
    ),
    unordered(
        "cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled",
        &[
            source("config.amazonaws.com"),
            name("StopConfigurationRecorder"),
            name("DeleteDeliveryChannel"),
            name("PutDeliveryChannel"),
            name("PutConfigurationRecorder"),
        ],
    ),
    unordered(
        "cloudwatch_log_metric_filter_security_group_changes",
        &[
            name("AuthorizeSecurityGroupIngress"),
            name("AuthorizeSecurityGroupEgress"),
            name("RevokeSecurityGroupIngress"),
            name("RevokeSecurityGroupEgress"),
            name("CreateSecurityGroup"),
            name("DeleteSecurityGroup"),
        ],
    ),
    unordered(
        "cloudwatch_changes_to_network_acls_alarm_configured",
        &[
            name("CreateNetworkAcl"),
            name("CreateNetworkAclEntry"),
            name("DeleteNetworkAcl"),
            name("DeleteNetworkAclEntry"),
            name("ReplaceNetworkAclEntry"),
            name("ReplaceNetworkAclAssociation"),
        ],
    ),
    unordered(
        "cloudwatch_changes_to_network_gateways_alarm_configured",
        &[
            name("CreateCustomerGateway"),
            name("DeleteCustomerGateway"),
            name("AttachInternetGateway"),
            name("CreateInternetGateway"),
            name("DeleteInternetGateway"),
            name("DetachInternetGateway"),
        ],
    ),
    unordered(
        "cloudwatch_changes_to_network_route_tables_alarm_configured",
        &[
            source("ec2.amazonaws.com"),
            name("CreateRoute"),
            name("CreateRouteTable"),
            name("ReplaceRoute"),
            name("ReplaceRouteTableAssociation"),
            name("DeleteRouteTable"),
            name("DeleteRoute"),
            name("DisassociateRouteTable"),
        ],
    ),
    unordered(
        "cloudwatch_changes_to_vpcs_alarm_configured",
        &[
            name("CreateVpc"),
            name("DeleteVpc"),
            name("ModifyVpcAttribute"),
            name("AcceptVpcPeeringConnection"),
            name("CreateVpcPeeringConnection"),
            name("DeleteVpcPeeringConnection"),
            name("RejectVpcPeeringConnection"),
            name("AttachClassicLinkVpc"),
            name("DetachClassicLinkVpc"),
            name("DisableVpcClassicLink"),
            name("EnableVpcClassicLink"),
        ],
    ),
    unordered(
        "cloudwatch_log_metric_filter_aws_organizations_changes",
        &[
            source("organizations.amazonaws.com"),
            name("AcceptHandshake"),
            name("AttachPolicy"),
            name("CancelHandshake"),
            name("CreateAccount"),
            name("CreateOrganization"),
            name("CreateOrganizationalUnit"),
            name("CreatePolicy"),
            name("DeclineHandshake"),
            name("DeleteOrganization"),
            name("DeleteOrganizationalUnit"),
            name("DeletePolicy"),
            name("EnableAllFeatures"),
            name("EnablePolicyType"),
            name("InviteAccountToOrganization"),
            name("LeaveOrganization"),
            name("DetachPolicy"),
            name("DisablePolicyType"),
            name("MoveAccount"),
            name("RemoveAccountFromOrganization"),
            name("UpdateOrganizationalUnit"),
            name("UpdatePolicy"),
        ],
    ),
];

const fn unordered(name: &'static str, clauses: &'static [Clause]) -> ClauseCheck {
    ClauseCheck { name, ordered: false, clauses, between: None }
}

/// The end of the clause's earliest-ending occurrence starting at or after `from`.
fn find_clause(pattern: &str, from: usize, clause: &Clause) -> Option<usize> {
    let head = format!("$.{}", clause.field);
    let bytes = pattern.as_bytes();
    let skip_space = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let is_word = |i: usize| i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_');
    let mut ends = (from..pattern.len()).filter(|&i| pattern[i..].starts_with(&head)).filter_map(|start| {
        let op = skip_space(start + head.len());
        if !pattern[op..].starts_with(clause.op) {
            return None;
        }
        let value = skip_space(op + clause.op.len());
        // `\s*.?value`: the value right after the spaces, or after one more character (a quote).
        [value, value + 1].into_iter().find_map(|at| {
            let end = at + clause.value.len();
            let found = pattern.get(at..end) == Some(clause.value);
            (found && !(clause.word_bounded && is_word(end))).then_some(end)
        })
    });
    ends.next()
}

/// Prowler's rule for one filter pattern.
pub fn satisfies(check: &ClauseCheck, pattern: &str) -> bool {
    if !check.ordered {
        return check.clauses.iter().all(|c| find_clause(pattern, 0, c).is_some());
    }
    // `clause.+between.+clause` (or `clause.+clause`): each part after the previous one and at least one
    // character past it.
    let mut at = 0;
    for (i, clause) in check.clauses.iter().enumerate() {
        if i > 0 {
            at += 1;
            if let Some(between) = check.between {
                match pattern.get(at..).and_then(|rest| rest.find(between)) {
                    Some(offset) => at += offset + between.len() + 1,
                    None => return false,
                }
            }
        }
        match find_clause(pattern, at.min(pattern.len()), clause) {
            Some(end) => at = end,
            None => return false,
        }
    }
    true
}

fn alarmed(filter: &MetricFilter, alarms: &[MetricAlarm]) -> bool {
    alarms.iter().any(|a| a.metric == filter.metric && a.namespace == filter.namespace)
}

/// The checks of the current generation that fail: no filter satisfies its clauses with an alarm on its metric.
pub fn cis_v3_failures(filters: &[MetricFilter], alarms: &[MetricAlarm]) -> Vec<&'static str> {
    CIS_V3
        .iter()
        .filter(|check| !filters.iter().any(|f| satisfies(check, &f.pattern) && alarmed(f, alarms)))
        .map(|check| check.name)
        .collect()
}

/// The Security Hub controls (and CIS 1.4's 4.15 text) that fail: no filter with the exact published string and
/// an alarm with an action on its metric.
pub fn security_hub_failures(filters: &[MetricFilter], alarms: &[MetricAlarm]) -> Vec<&'static str> {
    SECURITY_HUB
        .iter()
        .filter(|(_, id)| {
            let exact = alarm_catalog::find(id).unwrap().pattern;
            !filters.iter().any(|f| {
                f.pattern == exact
                    && alarms.iter().any(|a| a.metric == f.metric && a.namespace == f.namespace && a.has_action)
            })
        })
        .map(|(control, _)| *control)
        .collect()
}

fn check(name: &str) -> &'static ClauseCheck {
    CIS_V3.iter().find(|c| c.name == name).unwrap()
}

/// The model follows Prowler's regular expressions on the cases that matter: spacing, order, optional quotes,
/// word boundaries, `!=` versus `=`, and the order of the two hand-written expressions.
#[test]
fn the_clause_rule_matches_like_prowler() {
    let kms = check("cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk");
    for pattern in [
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
        "{ ($.eventName = \"ScheduleKeyDeletion\") || ($.eventName   =   DisableKey) && $.eventSource = \"kms.amazonaws.com\" }",
    ] {
        assert!(satisfies(kms, pattern), "{pattern}");
    }
    for pattern in [
        "{($.eventSource=kms.amazonaws.com) && ($.eventName=DisableKey)}",
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKeyX) || ($.eventName=ScheduleKeyDeletion))}",
        "{($.eventSource=kms.amazonaws.com) && (($.eventName!=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
        "{($.eventSource=kms.amazonaws.com) && (($.eventName = ''DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
    ] {
        assert!(!satisfies(kms, pattern), "{pattern}");
    }
    let routes = check("cloudwatch_changes_to_network_route_tables_alarm_configured");
    let without_create_route = "{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRouteTable) || \
                                ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || \
                                ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || \
                                ($.eventName = DisassociateRouteTable)) }";
    assert!(!satisfies(routes, without_create_route), "CreateRouteTable does not stand for CreateRoute");
    let root = check("cloudwatch_log_metric_filter_root_usage");
    let in_order =
        "{$.userIdentity.type=\"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !=\"AwsServiceEvent\"}";
    let reordered =
        "{$.eventType != \"AwsServiceEvent\" && $.userIdentity.invokedBy NOT EXISTS && $.userIdentity.type = Root}";
    assert!(satisfies(root, in_order));
    assert!(!satisfies(root, reordered), "Prowler's root expression is ordered");
    let mfa = check("cloudwatch_log_metric_filter_sign_in_without_mfa");
    assert!(!satisfies(mfa, "{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed = \"Yes\") }"));
}
