//! `[log_archive]`: the central bucket, its keys, lifecycle and access logs.

use super::*;

impl Validator<'_> {
    pub(super) fn log_archive(&mut self, raw: RawLogArchive) -> LogArchive {
        self.bucket_template(&raw.bucket);
        let region = raw.region.map(|r| self.region(&r, "region"));
        let account_id = raw.account_id.filter(|id| self.account_id(id)).map(Spanned::into_inner);
        let kms_key_arn = raw.kms_key_arn.map(|k| self.kms_key(k));
        let defaults = Lifecycle::default();
        let mut days = |v: Option<Spanned<i64>>, key: &str, default: u32| match v {
            None => default,
            Some(v) => match u32::try_from(*v.get_ref()) {
                Ok(d) if d <= 36_500 => d,
                _ => {
                    self.error(
                        v.span(),
                        format!("invalid `{key}`: {}", v.get_ref()),
                        "not a number of days",
                        Some("use 0 to disable, or a number of days up to 36500".into()),
                    );
                    default
                }
            },
        };
        let lifecycle = Lifecycle {
            transition_days: days(raw.transition_days, "transition_days", defaults.transition_days),
            expiration_days: days(raw.expiration_days.clone(), "expiration_days", defaults.expiration_days),
            noncurrent_expiration_days: days(
                raw.noncurrent_expiration_days,
                "noncurrent_expiration_days",
                defaults.noncurrent_expiration_days,
            ),
        };
        if lifecycle.transition_days > 0
            && lifecycle.expiration_days > 0
            && lifecycle.expiration_days <= lifecycle.transition_days
        {
            let span = raw.expiration_days.map_or(0..0, |e| e.span());
            self.error(
                span,
                format!(
                    "`expiration_days` ({}) must be later than `transition_days` ({})",
                    lifecycle.expiration_days, lifecycle.transition_days
                ),
                "expires before the transition",
                Some("raise expiration_days, or set transition_days = 0".into()),
            );
        }
        let mfa_delete = self.mfa_delete(raw.mfa_delete, &lifecycle);
        let access_log_bucket = raw.access_log_bucket.map(|t| self.access_log_bucket(t, &raw.bucket));
        LogArchive {
            bucket: raw.bucket.into_inner(),
            region,
            account_id,
            kms_key_arn,
            lifecycle,
            mfa_delete,
            access_log_bucket,
        }
    }

    /// S3 server access logs go to another bucket: "logging to the same bucket creates an infinite loop of logs"
    /// (Amazon S3 user guide, "Enabling Amazon S3 server access logging").
    pub(super) fn access_log_bucket(&mut self, template: Spanned<String>, archive: &Spanned<String>) -> String {
        self.bucket_template(&template);
        if template.get_ref() == archive.get_ref() {
            self.error(
                template.span(),
                "`access_log_bucket` is the archive bucket itself".into(),
                "the same bucket",
                Some(
                    "name another bucket, such as \"baseline-access-logs-{account_id}-{region}\": a bucket logging \
                     into itself logs its own log deliveries forever"
                        .into(),
                ),
            );
        }
        template.into_inner()
    }

    /// MFA delete excludes lifecycle rules: "Lifecycle configuration on MFA-enabled buckets is not supported"
    /// (Amazon S3 user guide, "Lifecycle and other bucket configurations").
    pub(super) fn mfa_delete(&mut self, raw: Option<Spanned<bool>>, lifecycle: &Lifecycle) -> bool {
        let Some(raw) = raw else { return false };
        let on = *raw.get_ref();
        let days = [lifecycle.transition_days, lifecycle.expiration_days, lifecycle.noncurrent_expiration_days];
        if on && days.iter().any(|d| *d > 0) {
            self.error(
                raw.span(),
                "`mfa_delete = true` with lifecycle rules: S3 does not support lifecycle configuration on a bucket \
                 with MFA delete"
                    .into(),
                "excludes the retention rule",
                Some(
                    "set transition_days = 0, expiration_days = 0 and noncurrent_expiration_days = 0 (logs are then \
                     kept until deleted by hand), or leave mfa_delete out"
                        .into(),
                ),
            );
        }
        on
    }

    /// The template must give a valid bucket name for every account and region.
    pub(super) fn bucket_template(&mut self, template: &Spanned<String>) {
        let t = template.get_ref();
        let mut rest = t.as_str();
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map(|c| open + c);
            let placeholder = close.map_or(&rest[open..], |c| &rest[open..=c]);
            if !matches!(placeholder, "{account_id}" | "{region}") {
                self.error(
                    template.span(),
                    format!("unknown placeholder `{placeholder}` in bucket name \"{t}\""),
                    "unknown placeholder",
                    Some("the placeholders are {account_id} and {region}".into()),
                );
                return;
            }
            rest = &rest[close.map_or(rest.len(), |c| c + 1)..];
        }
        let longest = t.replace("{account_id}", "123456789012").replace("{region}", "ap-southeast-7");
        if let Err(why) = check_bucket_name(&longest) {
            self.error(
                template.span(),
                format!("invalid bucket name \"{t}\": {why}"),
                "not a valid S3 bucket name",
                Some("3 to 63 lowercase letters, digits, hyphens or dots, starting and ending with a letter or digit, such as \"baseline-logs-{account_id}-{region}\"".into()),
            );
        }
    }

    pub(super) fn kms_key(&mut self, key: Spanned<String>) -> String {
        self.check(
            &key,
            check_kms_key_arn(key.get_ref()),
            "KMS key",
            "give the full key ARN, such as \"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\", \
             or an alias ARN such as \"arn:aws:kms:us-east-1:123456789012:alias/logs\"",
        );
        key.into_inner()
    }

    /// S3 default encryption takes only a key of the bucket's region, and CloudTrail wants "a KMS key that is in
    /// the same region as the S3 bucket that receives your log files". Unknown before a run when neither
    /// `[log_archive] region` nor `home_region` is set.
    pub(super) fn keys_in_bucket_region(&mut self, keys: &[Spanned<String>], bucket_region: Option<&str>) {
        let Some(bucket_region) = bucket_region else { return };
        for key in keys.iter().filter(|k| check_kms_key_arn(k.get_ref()).is_ok()) {
            let region = key.get_ref().split(':').nth(3).unwrap_or_default();
            if region != bucket_region {
                self.error(
                    key.span(),
                    format!("KMS key \"{}\" is in {region}, but the log archive bucket is in {bucket_region}", key.get_ref()),
                    "not in the bucket's region",
                    Some(format!(
                        "use a key in {bucket_region} (a multi-Region key has a replica there): S3 encrypts the bucket, \
                         and CloudTrail its log files, only with a key of the bucket's region"
                    )),
                );
            }
        }
    }
}

pub(super) fn check_bucket_name(name: &str) -> Result<(), &'static str> {
    if !(3..=63).contains(&name.len()) {
        return Err("must be 3 to 63 characters long");
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.') {
        return Err("only lowercase letters, digits, hyphens and dots are allowed");
    }
    let edge_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !edge_ok(name.as_bytes()[0]) || !edge_ok(name.as_bytes()[name.len() - 1]) {
        return Err("must start and end with a letter or digit");
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Err("dots may not be doubled or next to a hyphen");
    }
    const RESERVED_PREFIXES: &[&str] = &["xn--", "sthree-", "amzn-s3-demo-"];
    const RESERVED_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    if RESERVED_PREFIXES.iter().any(|p| name.starts_with(p)) || RESERVED_SUFFIXES.iter().any(|p| name.ends_with(p)) {
        return Err("uses a reserved prefix or suffix");
    }
    if looks_like_ip(name) {
        return Err("must not look like an IP address");
    }
    Ok(())
}

/// `192.168.5.4`: four dot-separated numbers of at most three digits.
pub(super) fn looks_like_ip(name: &str) -> bool {
    name.split('.').count() == 4
        && name.split('.').all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A KMS key for encryption: `arn:<partition>:kms:<region>:<account>:key/<id>` or `...:alias/<name>`, never an AWS
/// managed key (`alias/aws/...`), which cannot be shared with CloudTrail or other accounts.
pub(super) fn check_kms_key_arn(arn: &str) -> Result<(), String> {
    let (region, account, resource) = split_arn(arn, "kms")?;
    if !KNOWN_REGIONS.contains(&region) {
        return Err(format!("unknown region \"{region}\" in the key ARN"));
    }
    if !is_account_id(account) {
        return Err("the account must be a 12-digit account id".into());
    }
    match resource.split_once('/') {
        Some(("key", id)) if name_ok(id, 1, 128, "-") => Ok(()),
        Some(("alias", name)) if name.starts_with("aws/") => {
            Err("an AWS managed key cannot be used here; create a customer managed key".into())
        }
        Some(("alias", name)) if name_ok(name, 1, 250, "/_-") => Ok(()),
        _ => Err("the resource must be key/<key id> or alias/<alias name>".into()),
    }
}

/// An S3 key prefix: letters, digits and `!-_.*'()/`, names separated by single slashes, no `.` or `..` part.
pub(super) fn check_s3_prefix(prefix: &str, max: usize) -> Result<(), String> {
    hidden_problem(prefix)?;
    if !name_ok(prefix, 1, max, "!-_.*'()/") {
        return Err(format!("must be 1 to {max} letters, digits or any of !-_.*'()/"));
    }
    if prefix.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return Err("parts must be separated by single slashes, with none at either end and no `.` or `..`".into());
    }
    Ok(())
}

/// The KMS keys baseline.toml names (the archive's and the trail's), to check their region.
pub(super) fn key_arns(
    log_archive: Option<&Spanned<RawLogArchive>>,
    cloudtrail: Option<&Spanned<RawCloudTrail>>,
) -> Vec<Spanned<String>> {
    [
        log_archive.and_then(|a| a.get_ref().kms_key_arn.clone()),
        cloudtrail.and_then(|c| c.get_ref().kms_key_arn.clone()),
    ]
    .into_iter()
    .flatten()
    .collect()
}
