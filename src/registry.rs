//! The registry of resource families: the one list the rest is derived from. It is a macro that hands the list
//! to another macro (`registry!(callback)`), so that `resources` (the module declarations, the operation type,
//! apply's dispatch, the permissions, the plan fan-out) and `config` (the section modules, the raw file's tables,
//! their checks, the validated model's fields, `baseline validate`'s lines, region discovery) each derive their
//! part without importing one another.
//!
//! - `independent`: planned concurrently, each on its own reads;
//! - `sections`: the same, and the family owns a table of baseline.toml, `[<name>]`, whose shape, checks and
//!   summary are in `config/<name>.rs` (see `config::FamilySection`). A new family goes here: its file under
//!   `resources/`, its section under `config/`, and this one line;
//! - `after_trail`: planned once the trail's read is known (the alarms go where the trail delivers, Config's
//!   CLOUD_TRAIL_ENABLED is pinned to the trail that satisfies it).
//!
//! Each entry is `module: Variant`: the module's file name and the family's [`crate::resources::Operation`]
//! variant.

macro_rules! registry {
    ($callback:ident) => {
        $callback! {
            independent {
                sns: Sns,
                contacts: Contacts,
                log_bucket: LogBucket,
                iam_hygiene: IamHygiene,
                budgets: Budgets,
                billing_reports: BillingReports,
                trail_key: TrailKey,
                ebs_encryption: EbsEncryption,
                account_bpa: AccountBpa,
            }
            sections {
                guardduty: GuardDuty,
                security_hub: SecurityHub,
                access_analyzer: AccessAnalyzer,
                config_aggregator: ConfigAggregator,
            }
            after_trail {
                cloudtrail: CloudTrail,
                alarms: Alarms,
                config_service: Config,
            }
        }
    };
}
