//! `[iam]`: the password policy, groups, the support role.

use super::*;

impl Validator<'_> {
    pub(super) fn iam(&mut self, raw: RawIam, covered: Option<&[String]>) -> IamSpec {
        let password_policy = raw.password_policy.map(|p| {
            let d = PasswordPolicy::default();
            let mut number = |v: Option<Spanned<i64>>, key: &str, min: i64, max: i64, default: u32| match v {
                None => default,
                Some(v) if (min..=max).contains(v.get_ref()) => *v.get_ref() as u32,
                Some(v) => {
                    self.error(
                        v.span(),
                        format!("invalid `{key}`: {}", v.get_ref()),
                        "out of range",
                        Some(format!("use {min} to {max}")),
                    );
                    default
                }
            };
            PasswordPolicy {
                minimum_length: number(p.minimum_length, "minimum_length", 6, 128, d.minimum_length),
                reuse_prevention: number(p.reuse_prevention, "reuse_prevention", 0, 24, d.reuse_prevention),
                max_age_days: number(p.max_age_days, "max_age_days", 0, 1095, d.max_age_days),
                require_uppercase: p.require_uppercase.unwrap_or(d.require_uppercase),
                require_lowercase: p.require_lowercase.unwrap_or(d.require_lowercase),
                require_numbers: p.require_numbers.unwrap_or(d.require_numbers),
                require_symbols: p.require_symbols.unwrap_or(d.require_symbols),
                allow_users_to_change: p.allow_users_to_change.unwrap_or(d.allow_users_to_change),
                hard_expiry: p.hard_expiry.unwrap_or(d.hard_expiry),
            }
        });
        let mut seen = HashMap::new();
        let mut groups = Vec::new();
        for g in raw.groups {
            self.check(
                &g.name,
                check_iam_name(g.name.get_ref(), 128),
                "group name",
                "use 1 to 128 letters, digits or any of +=,.@_-, such as \"security-auditors\"",
            );
            if !self.unique(&mut seen, &g.name, "group name") {
                continue;
            }
            let path = g.path.map_or_else(
                || "/".to_string(),
                |p| {
                    let help = "a path starts and ends with / and holds up to 512 printable ASCII characters without \
                                spaces or wildcards, such as \"/teams/\"";
                    self.check(&p, check_iam_path(p.get_ref()), "group path", help);
                    p.into_inner()
                },
            );
            let mut policies = Vec::new();
            let mut seen_policies = HashMap::new();
            for policy in g.policies {
                if self.policy_arn(&policy, covered) && self.unique(&mut seen_policies, &policy, "policy") {
                    policies.push(policy.into_inner());
                }
            }
            groups.push(GroupSpec { name: g.name.into_inner(), path, policies, exclusive: g.exclusive });
        }
        let support_role = raw.support_role.map(|r| SupportRole {
            name: r.name.map_or_else(
                || "baseline-support".to_string(),
                |n| {
                    let help = "a role name of 1 to 64 letters, digits or any of +=,.@_-, such as \"baseline-support\"";
                    self.check(&n, check_iam_name(n.get_ref(), 64), "role name", help);
                    n.into_inner()
                },
            ),
            trusted_principal: r.trusted_principal.map(|p| {
                let help = "name one principal: an account (\"arn:aws:iam::123456789012:root\"), a role \
                            (\"arn:aws:iam::123456789012:role/SupportTeam\") or a user; leave it out to trust this account";
                self.check(&p, check_principal_arn(p.get_ref()), "principal", help);
                p.into_inner()
            }),
        });
        IamSpec { root_checks: raw.root_checks.unwrap_or(true), password_policy, groups, support_role }
    }

    /// A managed policy to attach: AWS managed, or customer managed in an account this baseline covers. IAM attaches
    /// only policies of the group's own account, so a policy of any other account is an error here, not at apply.
    pub(super) fn policy_arn(&mut self, policy: &Spanned<String>, covered: Option<&[String]>) -> bool {
        let arn = policy.get_ref();
        let owner = match parse_policy_arn(arn) {
            Ok(owner) => owner,
            Err(why) => {
                self.error(
                    policy.span(),
                    format!("invalid managed policy ARN \"{arn}\""),
                    &why,
                    Some(
                        "use an ARN such as \"arn:aws:iam::aws:policy/SecurityAudit\" (AWS managed) or \
                          \"arn:aws:iam::123456789012:policy/Auditors\" (customer managed)"
                            .into(),
                    ),
                );
                return false;
            }
        };
        let PolicyOwner::Account(account) = owner else { return true };
        match covered {
            // Which account a run reaches is known only at run time: IAM itself refuses a policy of another
            // account, and the warning says how to make the check here.
            None => {
                self.warn(
                    policy.span(),
                    format!("managed policy ARN \"{arn}\" names account {account}, which this baseline does not list"),
                    "account not listed",
                    Some(format!(
                        "a customer managed policy can be attached only in its own account: add \
                         allowed_account_ids = [\"{account}\"] to [baseline] so no other account is touched, \
                         or use an AWS managed policy"
                    )),
                );
                true
            }
            Some(list) if !list.contains(&account) => {
                let listed = if list.is_empty() { "none".to_string() } else { list.join(", ") };
                self.error(
                    policy.span(),
                    format!("managed policy ARN \"{arn}\" points at another account ({account})"),
                    "not an account this baseline covers",
                    Some(format!(
                        "a group can have only policies of its own account attached; the accounts covered are \
                         {listed}: use a policy of that account, or an AWS managed policy"
                    )),
                );
                false
            }
            Some(list) => {
                if list.len() > 1 {
                    self.warn(
                        policy.span(),
                        format!("managed policy \"{arn}\" exists only in account {account}"),
                        "other covered accounts cannot attach it",
                        Some(format!(
                            "this baseline covers {} accounts; use an AWS managed policy, or limit \
                             allowed_account_ids to {account}",
                            list.len()
                        )),
                    );
                }
                true
            }
        }
    }
}

/// IAM user, group and role names: 1 to `max` letters, digits and `+=,.@_-`.
pub(super) fn check_iam_name(name: &str, max: usize) -> Result<(), String> {
    hidden_problem(name)?;
    if !name_ok(name, 1, max, "+=,.@_-") {
        return Err(format!("must be 1 to {max} letters, digits or any of +=,.@_-"));
    }
    Ok(())
}

/// IAM paths: `/`, or `/` + printable ASCII without spaces + `/`, at most 512 characters.
pub(super) fn check_iam_path(path: &str) -> Result<(), String> {
    hidden_problem(path)?;
    if path.is_empty() || path.len() > 512 {
        return Err("must be 1 to 512 characters".into());
    }
    if !(path.starts_with('/') && path.ends_with('/')) {
        return Err("must start and end with /".into());
    }
    if !path.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err("only printable ASCII characters without spaces are allowed".into());
    }
    if path.contains('*') || path.contains('?') {
        return Err("wildcards are not allowed in a path".into());
    }
    Ok(())
}

/// Who owns a managed policy.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum PolicyOwner {
    Aws,
    Account(String),
}

/// `arn:<partition>:iam::aws:policy/<path/>Name` or `arn:<partition>:iam::<account>:policy/<path/>Name`.
pub(super) fn parse_policy_arn(arn: &str) -> Result<PolicyOwner, String> {
    let (region, account, resource) = split_arn(arn, "iam")?;
    if !region.is_empty() {
        return Err("IAM is global: the region field of the ARN must be empty".into());
    }
    let Some(path_and_name) = resource.strip_prefix("policy/") else {
        return Err("not a policy: the resource must start with `policy/`".into());
    };
    if path_and_name.contains('*') || path_and_name.contains('?') {
        return Err("wildcards are not allowed in a policy ARN".into());
    }
    let mut segments: Vec<&str> = path_and_name.split('/').collect();
    let name = segments.pop().unwrap_or_default();
    if !name_ok(name, 1, 128, "+=,.@_-") {
        return Err("the policy name must be 1 to 128 letters, digits or any of +=,.@_-".into());
    }
    if path_and_name.len() > 512 + 128 || !segments.iter().all(|s| name_ok(s, 1, 512, "+=,.@_-")) {
        return Err("the policy path must be names separated by single slashes".into());
    }
    match account {
        "aws" => Ok(PolicyOwner::Aws),
        a if is_account_id(a) => Ok(PolicyOwner::Account(a.to_string())),
        _ => Err("the account must be `aws` (an AWS managed policy) or a 12-digit account id".into()),
    }
}

/// An IAM principal a trust policy may name: an account root, a role, a user or an assumed-role session. Never a
/// wildcard: `*` would let any AWS principal assume the role.
pub(super) fn check_principal_arn(arn: &str) -> Result<(), String> {
    if arn.contains('*') || arn.contains('?') {
        return Err("wildcards are not allowed: the role would trust principals nobody chose".into());
    }
    let service = if arn.split(':').nth(2) == Some("sts") { "sts" } else { "iam" };
    let (region, account, resource) = split_arn(arn, service)?;
    if !region.is_empty() {
        return Err("IAM is global: the region field of the ARN must be empty".into());
    }
    if !is_account_id(account) {
        return Err("the account must be a 12-digit account id".into());
    }
    let path_ok = |rest: &str| {
        let mut segments: Vec<&str> = rest.split('/').collect();
        let name = segments.pop().unwrap_or_default();
        name_ok(name, 1, 64, "+=,.@_-") && segments.iter().all(|s| name_ok(s, 1, 512, "+=,.@_-"))
    };
    let ok = match (service, resource.split_once('/')) {
        ("iam", None) => resource == "root",
        ("iam", Some(("role" | "user", rest))) => path_ok(rest),
        ("sts", Some(("assumed-role", rest))) => {
            rest.split_once('/').is_some_and(|(role, session)| path_ok(role) && name_ok(session, 2, 64, "+=,.@_-"))
        }
        _ => false,
    };
    if !ok {
        return Err("expected arn:<partition>:iam::<account>:root, :role/<name> or :user/<name>".into());
    }
    Ok(())
}
