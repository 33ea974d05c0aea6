//! The Cost and Usage Report, through the CUR API (see README.md for why not BCM Data Exports), delivered to
//! the log archive bucket (whose policy then lets `billingreports.amazonaws.com` write) or a billing bucket.
//!
//! AWS rules this module follows ("Using Cost and Usage Reports for AWS Organizations", Data Exports user
//! guide): the account that creates a report must own the bucket it is delivered to, and a management
//! account's report covers the usage of every member account. So in an organization run the report is
//! planned in the management account only, members get a notice, and a report whose bucket belongs to
//! another account is never planned. The CUR API lives in us-east-1; the report's `S3Region` is the bucket's.

use aws_sdk_costandusagereport::types::{
    AdditionalArtifact, AwsRegion, CompressionFormat, ReportDefinition, ReportFormat, ReportVersioning, SchemaElement,
    TimeUnit,
};

use super::wiring;
use super::{Operation, report_unreadable};
use super::{Plan, ResourceChange};
use crate::aws::{self, AwsError, ErrorKind};
use crate::config::{BillingReports, Desired};
use crate::engine::{Action, Address, AttributeChange, EventSink, GLOBAL, Notice, NoticeLevel};
use crate::target::Target;

pub const REPORT: &str = "cur.report_definition";

/// The report as the baseline wants it (or as found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub name: String,
    pub time_unit: String,
    pub format: String,
    pub compression: String,
    pub schema_elements: Vec<String>,
    pub bucket: String,
    pub prefix: String,
    pub region: String,
    pub artifacts: Vec<String>,
    pub refresh_closed_reports: bool,
    pub versioning: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Put(Report),
    Modify(Report),
}

/// Where this account's report can go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A bucket this account owns, in `region`.
    Owned { bucket: String, region: String },
    /// No report can be delivered from this account; why, and what to do.
    Refused(String),
}

const OWNER_RULE: &str = "a Cost and Usage Report can only be delivered to a bucket owned by the account that \
                          creates it";

/// Where the report is delivered: the configured bucket (GetBucketLocation with `ExpectedBucketOwner` = this
/// account gives its region and proves this account owns it) or the log archive (owner and region from
/// baseline.toml).
pub async fn destination(desired: &Desired, target: &Target, spec: &BillingReports) -> Result<Delivery, AwsError> {
    let account = &target.scope.account_id;
    let archive = match (&spec.bucket, &desired.log_archive) {
        (Some(bucket), _) => return owned_bucket(target, bucket).await,
        (None, Some(archive)) => wiring::location(archive, &target.scope),
        (None, None) => return Ok(Delivery::Refused("no bucket: set [billing_reports] bucket".into())),
    };
    if archive.owner == *account {
        return Ok(Delivery::Owned { bucket: archive.name, region: archive.region });
    }
    Ok(Delivery::Refused(format!(
        "not created: the log archive bucket {} belongs to account {}, and {OWNER_RULE}; set [billing_reports] \
         bucket to a bucket of this account",
        archive.name, archive.owner
    )))
}

/// The configured bucket's region, when this account owns it.
async fn owned_bucket(target: &Target, bucket: &str) -> Result<Delivery, AwsError> {
    let location =
        target.s3.get_bucket_location().bucket(bucket).expected_bucket_owner(&target.scope.account_id).send().await;
    let e = match location {
        Ok(out) => {
            let region = match out.location_constraint().map(|c| c.as_str()) {
                None | Some("") => "us-east-1".to_string(),
                Some("EU") => "eu-west-1".to_string(),
                Some(r) => r.to_string(),
            };
            return Ok(Delivery::Owned { bucket: bucket.to_string(), region });
        }
        Err(e) => AwsError::from_sdk("s3:GetBucketLocation", e),
    };
    if e.is_code("NoSuchBucket") {
        return Ok(Delivery::Refused(format!(
            "not created: the bucket {bucket} does not exist; create it in this account with a policy letting \
             billingreports.amazonaws.com write, or change [billing_reports] bucket"
        )));
    }
    if e.kind == ErrorKind::AccessDenied {
        // "If the bucket is owned by a different account, the request fails with the HTTP status code 403
        // Forbidden (access denied)" (S3 API reference, GetBucketLocation, ExpectedBucketOwner).
        let message = format!("{} (the bucket may belong to another account: {OWNER_RULE})", e.message);
        return Err(AwsError { message, ..e });
    }
    Err(e)
}

pub fn desired_report(spec: &BillingReports, bucket: &str, region: &str) -> Report {
    // Parquet with the Athena artifact needs report versioning OVERWRITE_REPORT.
    let parquet = spec.format == "Parquet";
    Report {
        name: spec.report.clone(),
        time_unit: spec.time_unit.clone(),
        format: spec.format.clone(),
        compression: if parquet { "Parquet".into() } else { "GZIP".into() },
        schema_elements: vec!["RESOURCES".into()],
        bucket: bucket.to_string(),
        prefix: spec.prefix.clone(),
        region: region.to_string(),
        artifacts: if parquet { vec!["ATHENA".into()] } else { Vec::new() },
        refresh_closed_reports: true,
        versioning: if parquet { "OVERWRITE_REPORT".into() } else { "CREATE_NEW_REPORT".into() },
    }
}

/// The calls of this family: report definitions are listed (no resource-level permission), the baseline's
/// report is created and changed by its ARN (the API lives in us-east-1); a configured bucket's location is
/// read.
pub fn permissions(desired: &Desired, needs: &mut crate::needs::Needs) {
    let Some(spec) = &desired.billing_reports else { return };
    needs.any(&["cur:DescribeReportDefinitions"], crate::needs::NO_RESOURCE_TYPE);
    let report = needs.arn("cur", "us-east-1", &format!("definition/{}", spec.report));
    needs.on(&["cur:PutReportDefinition", "cur:ModifyReportDefinition"], [report]);
    if let Some(bucket) = &spec.bucket {
        needs.on(&["s3:GetBucketLocation"], [needs.bucket_arn(bucket)]);
    }
}

pub async fn plan(desired: &Desired, target: &Target) -> Plan {
    let Some(spec) = &desired.billing_reports else { return Plan::default() };
    let scope = &target.scope;
    let at = Address::new(&scope.account_id, GLOBAL, REPORT, &spec.report);
    let mut plan = Plan::default();
    if let Some(management) = target.management_account.as_deref().filter(|m| *m != scope.account_id) {
        plan.notices.push(Notice {
            level: NoticeLevel::Info,
            address: at,
            message: format!(
                "no report in this member account: the management account {management}'s Cost and Usage Report \
                 covers the usage of every account of the organization; baseline manages it there"
            ),
        });
        return plan;
    }
    let (observed, delivery) = tokio::join!(observe(target, &spec.report), destination(desired, target, spec));
    let Some(observed) = report_unreadable(observed, &at, &mut plan) else { return plan };
    let (bucket, region) = match report_unreadable(delivery, &at, &mut plan) {
        Some(Delivery::Owned { bucket, region }) => (bucket, region),
        Some(Delivery::Refused(message)) => {
            plan.notices.push(Notice { level: NoticeLevel::Warning, address: at, message });
            return plan;
        }
        None => return plan,
    };
    if spec.bucket.is_some() {
        plan.notices.push(Notice {
            level: NoticeLevel::Info,
            address: at.clone(),
            message:
                "delivered to a bucket baseline does not manage: its policy must let billingreports.amazonaws.com \
                      call s3:GetBucketAcl, s3:GetBucketPolicy and s3:PutObject"
                    .into(),
        });
    }
    let mut change = diff(at, &desired_report(spec, &bucket, &region), observed.as_ref());
    if spec.bucket.is_none()
        && let Some(archive) = &desired.log_archive
    {
        change = change.after(&wiring::location(archive, scope).policy_address());
    }
    plan.changes.push(change);
    plan
}

pub async fn observe(target: &Target, name: &str) -> Result<Option<Report>, AwsError> {
    let mut pages = target.cur.describe_report_definitions().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws::err("cur:DescribeReportDefinitions"))?;
        if let Some(r) = page.report_definitions().iter().find(|r| r.report_name() == name) {
            return Ok(Some(Report {
                name: r.report_name().to_string(),
                time_unit: r.time_unit().as_str().to_string(),
                format: r.format().as_str().to_string(),
                compression: r.compression().as_str().to_string(),
                schema_elements: r.additional_schema_elements().iter().map(|e| e.as_str().to_string()).collect(),
                bucket: r.s3_bucket().to_string(),
                prefix: r.s3_prefix().to_string(),
                region: r.s3_region().as_str().to_string(),
                artifacts: r.additional_artifacts().iter().map(|a| a.as_str().to_string()).collect(),
                refresh_closed_reports: r.refresh_closed_reports().unwrap_or(false),
                versioning: r.report_versioning().map(|v| v.as_str().to_string()).unwrap_or_default(),
            }));
        }
    }
    Ok(None)
}

fn fields(r: &Report) -> [(&'static str, String); 10] {
    [
        ("time_unit", r.time_unit.clone()),
        ("format", r.format.clone()),
        ("compression", r.compression.clone()),
        ("additional_schema_elements", r.schema_elements.join(", ")),
        ("s3_bucket", r.bucket.clone()),
        ("s3_prefix", r.prefix.clone()),
        ("s3_region", r.region.clone()),
        ("additional_artifacts", r.artifacts.join(", ")),
        ("refresh_closed_reports", r.refresh_closed_reports.to_string()),
        ("report_versioning", r.versioning.clone()),
    ]
}

pub fn diff(at: Address, want: &Report, have: Option<&Report>) -> ResourceChange {
    let op = Operation::BillingReports;
    match have {
        None => ResourceChange::new(at, Action::Create, "no cost and usage report", op(Op::Put(want.clone())))
            .with_attributes(super::new_fields(fields(want))),
        Some(have) => {
            let attributes: Vec<AttributeChange> = super::changed_fields(fields(have), fields(want));
            if attributes.is_empty() {
                ResourceChange::no_op(at, "report matches")
            } else {
                ResourceChange::new(at, Action::Update, "report differs", op(Op::Modify(want.clone())))
                    .with_attributes(attributes)
            }
        }
    }
}

fn definition(r: &Report) -> Result<ReportDefinition, AwsError> {
    ReportDefinition::builder()
        .report_name(&r.name)
        .time_unit(TimeUnit::from(r.time_unit.as_str()))
        .format(ReportFormat::from(r.format.as_str()))
        .compression(CompressionFormat::from(r.compression.as_str()))
        .set_additional_schema_elements(Some(
            r.schema_elements.iter().map(|e| SchemaElement::from(e.as_str())).collect(),
        ))
        .s3_bucket(&r.bucket)
        .s3_prefix(&r.prefix)
        .s3_region(AwsRegion::from(r.region.as_str()))
        .set_additional_artifacts(Some(r.artifacts.iter().map(|a| AdditionalArtifact::from(a.as_str())).collect()))
        .refresh_closed_reports(r.refresh_closed_reports)
        .report_versioning(ReportVersioning::from(r.versioning.as_str()))
        .build()
        .map_err(aws::build_error("cur:PutReportDefinition"))
}

pub async fn execute(target: &Target, op: &Op, _at: &Address, _events: &dyn EventSink) -> Result<(), AwsError> {
    match op {
        Op::Put(r) => {
            target
                .cur
                .put_report_definition()
                .report_definition(definition(r)?)
                .send()
                .await
                .map_err(aws::err("cur:PutReportDefinition"))?;
        }
        Op::Modify(r) => {
            target
                .cur
                .modify_report_definition()
                .report_name(&r.name)
                .report_definition(definition(r)?)
                .send()
                .await
                .map_err(aws::err("cur:ModifyReportDefinition"))?;
        }
    }
    Ok(())
}
