//! `[cloudtrail]`: the trail, its log group and key.

use super::*;

impl Validator<'_> {
    pub(super) fn cloudtrail(&mut self, raw: RawCloudTrail) -> CloudTrailSpec {
        let name =
            |v: Option<Spanned<String>>, default: &str| v.map_or_else(|| default.to_string(), Spanned::into_inner);
        if let Some(v) = &raw.trail {
            let help = "3 to 128 letters, digits, dots, underscores or hyphens, starting and ending with a letter or \
                        digit, such as \"baseline-trail\"";
            self.check(v, check_trail_name(v.get_ref()), "trail name", help);
        }
        if let Some(v) = &raw.log_group {
            let help =
                "1 to 512 letters, digits or any of ._-/#, not starting with aws/, such as \"baseline-cloudtrail\"";
            self.check(v, check_log_group_name(v.get_ref()), "log group name", help);
        }
        if let Some(v) = &raw.role {
            let help = "a role name of 1 to 64 letters, digits or any of +=,.@_-, not an ARN, such as \
                        \"baseline-cloudtrail-to-cloudwatch-logs\"";
            self.check(v, check_iam_name(v.get_ref(), 64), "role name", help);
        }
        if let Some(v) = &raw.s3_key_prefix {
            let help = "up to 200 letters, digits or any of !-_.*'() in parts separated by /, such as \"cloudtrail\"";
            self.check(v, check_s3_prefix(v.get_ref(), 200), "s3_key_prefix", help);
        }
        let kms_key_arn = raw.kms_key_arn.map(|k| self.kms_key(k));
        let kms_key_alias = raw.kms_key_alias.map(|a| self.key_alias(a, kms_key_arn.is_some()));
        let retention_days = raw.retention_days.map(|r| match u32::try_from(*r.get_ref()) {
            Ok(d) if LOG_RETENTION_DAYS.contains(&d) => d,
            _ => {
                let allowed: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
                self.error(
                    r.span(),
                    format!("invalid `retention_days`: {}", r.get_ref()),
                    "not a retention CloudWatch Logs accepts",
                    Some(format!("use one of {}", allowed.join(", "))),
                );
                DEFAULT_RETENTION_DAYS
            }
        });
        CloudTrailSpec {
            trail: name(raw.trail, "baseline-trail"),
            s3_key_prefix: raw.s3_key_prefix.map(Spanned::into_inner),
            kms_key_arn,
            kms_key_alias,
            log_group: name(raw.log_group, "baseline-cloudtrail"),
            retention_days,
            role: name(raw.role, "baseline-cloudtrail-to-cloudwatch-logs"),
            require_own_trail: raw.require_own_trail.unwrap_or(false),
            s3_data_events: raw.s3_data_events.unwrap_or(false),
        }
    }

    /// The alias of the trail's key, without `alias/`; `with_key_arn`: `kms_key_arn` is set too.
    pub(super) fn key_alias(&mut self, alias: Spanned<String>, with_key_arn: bool) -> String {
        let help = "1 to 250 letters, digits or any of /_-, without `alias/aws/` (AWS managed keys), such as \
                    \"baseline-cloudtrail\"";
        self.check(&alias, check_key_alias(alias.get_ref()), "KMS key alias", help);
        if with_key_arn {
            self.error(
                alias.span(),
                "`kms_key_alias` and `kms_key_arn` both set".into(),
                "one key or the other",
                Some(
                    "keep kms_key_arn to use a key managed elsewhere, or kms_key_alias to have baseline create and \
                     keep the key"
                        .into(),
                ),
            );
        }
        let alias = alias.into_inner();
        alias.strip_prefix("alias/").map(str::to_string).unwrap_or(alias)
    }
}

/// CloudTrail: 3 to 128 letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit, no two of
/// `.`, `_`, `-` in a row, not shaped like an IP address.
pub(super) fn check_trail_name(name: &str) -> Result<(), String> {
    hidden_problem(name)?;
    if !name_ok(name, 3, 128, "._-") {
        return Err("must be 3 to 128 letters, digits, dots, underscores or hyphens".into());
    }
    let bytes = name.as_bytes();
    if !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return Err("must start and end with a letter or digit".into());
    }
    if bytes.windows(2).any(|w| !w[0].is_ascii_alphanumeric() && !w[1].is_ascii_alphanumeric()) {
        return Err("must not have two of `.`, `_`, `-` in a row".into());
    }
    if looks_like_ip(name) {
        return Err("must not look like an IP address".into());
    }
    Ok(())
}

/// CloudWatch Logs: 1 to 512 letters, digits and `._-/#`; `aws/` is reserved for AWS services.
pub(super) fn check_log_group_name(name: &str) -> Result<(), String> {
    hidden_problem(name)?;
    if !name_ok(name, 1, 512, "._-/#") {
        return Err("must be 1 to 512 letters, digits or any of ._-/#".into());
    }
    if name.to_ascii_lowercase().starts_with("aws/") {
        return Err("the prefix `aws/` is reserved for AWS services".into());
    }
    Ok(())
}

/// A KMS alias name, with or without `alias/`: "The alias name can contain only alphanumeric characters,
/// forward slashes (/), underscores (_), and dashes (-). The alias name cannot begin with aws/" (AWS KMS API
/// Reference, CreateAlias), 1 to 256 characters with the `alias/` prefix.
pub(super) fn check_key_alias(alias: &str) -> Result<(), String> {
    let name = alias.strip_prefix("alias/").unwrap_or(alias);
    if name.is_empty() || name.len() > 250 {
        return Err("must be 1 to 250 characters after `alias/`".into());
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || "/_-".contains(*c))) {
        return Err(format!("`{c}` is not allowed"));
    }
    if name.to_ascii_lowercase().starts_with("aws/") {
        return Err("aliases under aws/ belong to AWS managed keys".into());
    }
    Ok(())
}
