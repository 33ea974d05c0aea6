//! `[billing_reports]`: the Cost and Usage Report.

use super::*;

impl Validator<'_> {
    pub(super) fn billing_reports(&mut self, raw: RawBillingReports) -> BillingReports {
        let pick = |this: &mut Self, v: Option<Spanned<String>>, key: &str, allowed: &[&str], default: &str| match v {
            None => default.to_string(),
            Some(v) if allowed.contains(&v.get_ref().as_str()) => v.into_inner(),
            Some(v) => {
                this.error(
                    v.span(),
                    format!("invalid `{key}` \"{}\"", v.get_ref()),
                    "not allowed here",
                    Some(format!("use one of {}", allowed.join(", "))),
                );
                default.to_string()
            }
        };
        let report = raw.report.map_or_else(
            || "baseline-cost-and-usage".to_string(),
            |r| {
                if !name_ok(r.get_ref(), 1, 256, "!-_.*'()") {
                    self.error(
                        r.span(),
                        format!("invalid report name \"{}\"", r.get_ref()),
                        "not a report name",
                        Some("letters, digits and !-_.*'() only".into()),
                    );
                }
                r.into_inner()
            },
        );
        if let Some(b) = &raw.bucket
            && let Err(why) = check_bucket_name(b.get_ref())
        {
            self.error(
                b.span(),
                format!("invalid bucket name \"{}\": {why}", b.get_ref()),
                "not a valid S3 bucket name",
                Some(
                    "3 to 63 lowercase letters, digits, hyphens or dots, starting and ending with a letter or digit, \
                      such as \"example-cost-reports\""
                        .into(),
                ),
            );
        }
        BillingReports {
            report,
            bucket: raw.bucket.map(Spanned::into_inner),
            prefix: raw.prefix.map_or_else(
                || "cost-and-usage".to_string(),
                |p| {
                    let help = "up to 256 letters, digits or any of !-_.*'() in parts separated by /, such as \
                                \"cost-and-usage\"";
                    self.check(&p, check_s3_prefix(p.get_ref(), 256), "report prefix", help);
                    p.into_inner()
                },
            ),
            time_unit: pick(self, raw.time_unit, "time_unit", &["HOURLY", "DAILY", "MONTHLY"], "DAILY"),
            format: pick(self, raw.format, "format", &["Parquet", "textORcsv"], "Parquet"),
        }
    }
}
