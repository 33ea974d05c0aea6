//! What the emulator lacks (the primary contact API), tested with mocked SDK clients.

use aws_sdk_account::operation::get_contact_information::{GetContactInformationError, GetContactInformationOutput};
use aws_sdk_account::operation::put_contact_information::PutContactInformationOutput;
use aws_sdk_account::types::ContactInformation;
use aws_sdk_account::types::error::AccessDeniedException;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;
use baseline::aws::{ApiGuard, ErrorKind};
use baseline::engine::{Action, Address, AttributeChange, NoticeLevel, NullSink, Plan, ResourceChange};
use baseline::{Scope, Target};

use crate::harness::desired;

const PRIMARY: &str = r#"
[s3]
account_public_access_block = false

[contacts.primary]
full_name = "Example Corp Cloud Platform"
company_name = "Example Corp"
address_line1 = "100 Main Street"
city = "Seattle"
postal_code = "98101"
country_code = "US"
phone = "+1 206 555 0100"
"#;

fn current(city: &str) -> ContactInformation {
    ContactInformation::builder()
        .full_name("Example Corp Cloud Platform")
        .company_name("Example Corp")
        .address_line1("100 Main Street")
        .address_line2("Floor 3")
        .city(city)
        .postal_code("98101")
        .country_code("US")
        .phone_number("+1 206 555 0100")
        .build()
        .unwrap()
}

/// A client for a service these tests never call.
macro_rules! idle {
    ($krate:ident) => {
        $krate::Client::from_conf(
            $krate::Config::builder()
                .behavior_version(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new("us-east-1"))
                .build(),
        )
    };
}

/// A target whose clients all point nowhere; tests replace the ones they mock.
pub fn idle_target() -> Target {
    let scope = Scope { account_id: "123456789012".into(), partition: "aws".into(), home_region: "us-east-1".into() };
    Target {
        scope,
        account: idle!(aws_sdk_account),
        s3control: idle!(aws_sdk_s3control),
        sns: idle!(aws_sdk_sns),
        s3: idle!(aws_sdk_s3),
        cloudtrail: idle!(aws_sdk_cloudtrail),
        logs: idle!(aws_sdk_cloudwatchlogs),
        cloudwatch: idle!(aws_sdk_cloudwatch),
        iam: idle!(aws_sdk_iam),
        budgets: idle!(aws_sdk_budgets),
        cur: idle!(aws_sdk_costandusagereport),
        kms: baseline::target::Kms::new(idle!(aws_sdk_kms)),
        custom_endpoint: false,
        regions: Vec::new(),
        unavailable_regions: Vec::new(),
        contacts_account: None,
        log_writers: None,
    }
}

fn target_with(account: aws_sdk_account::Client, s3control: aws_sdk_s3control::Client) -> Target {
    Target { account, s3control, ..idle_target() }
}

fn target_with_s3(
    account: aws_sdk_account::Client,
    s3control: aws_sdk_s3control::Client,
    s3: aws_sdk_s3::Client,
) -> Target {
    Target { account, s3control, s3, ..idle_target() }
}

fn target(rules: &[&Rule], guard: &ApiGuard) -> Target {
    let guard = guard.clone();
    let account = mock_client!(aws_sdk_account, RuleMode::MatchAny, rules, |b| b.interceptor(guard.clone()));
    target_with(account, idle!(aws_sdk_s3control))
}

#[tokio::test]
async fn primary_contact_drift_is_repaired_keeping_unmanaged_fields() {
    let get = mock!(aws_sdk_account::Client::get_contact_information)
        .then_output(|| GetContactInformationOutput::builder().contact_information(current("Portland")).build());
    let put = mock!(aws_sdk_account::Client::put_contact_information)
        .match_requests(|req| {
            let c = req.contact_information().unwrap();
            c.city() == "Seattle" && c.address_line2() == Some("Floor 3") && c.company_name() == Some("Example Corp")
        })
        .then_output(|| PutContactInformationOutput::builder().build());
    let guard = ApiGuard::read_only();
    let target = target(&[&get, &put], &guard);
    let desired = desired(PRIMARY);

    let plan = baseline::plan(&desired, &target).await;
    assert_eq!(plan.changes.len(), 1);
    let change = &plan.changes[0];
    assert_eq!(change.address.to_string(), "123456789012/global/account.primary_contact/primary");
    assert_eq!(change.action, Action::Update);
    assert_eq!(change.attributes, vec![AttributeChange::new("city", Some("Portland".into()), Some("Seattle".into()))]);
    assert_eq!(put.num_calls(), 0, "plan does not write");

    guard.allow_writes();
    let report = baseline::apply(&plan, &target, &NullSink).await;
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(report.updated(), 1);
    assert_eq!(put.num_calls(), 1, "one write, with the unmanaged fields kept (matched above)");
}

#[tokio::test]
async fn matching_primary_contact_is_a_no_op() {
    let get = mock!(aws_sdk_account::Client::get_contact_information)
        .then_output(|| GetContactInformationOutput::builder().contact_information(current("Seattle")).build());
    let guard = ApiGuard::read_only();
    let plan = baseline::plan(&desired(PRIMARY), &target(&[&get], &guard)).await;
    assert!(!plan.has_pending());
    assert_eq!(guard.counts().writes, 0);
}

#[tokio::test]
async fn endpoint_without_the_api_is_a_warning_not_a_failure() {
    let get = mock!(aws_sdk_account::Client::get_contact_information).then_http_response(|| {
        Response::new(StatusCode::try_from(404).unwrap(), SdkBody::from("<!doctype html><title>404 Not Found</title>"))
    });
    let plan = baseline::plan(&desired(PRIMARY), &target(&[&get], &ApiGuard::read_only())).await;
    assert!(plan.errors.is_empty());
    assert!(plan.changes.is_empty());
    assert_eq!(plan.notices.len(), 1);
    assert_eq!(plan.notices[0].level, NoticeLevel::Warning);
    assert_eq!(
        plan.notices[0].message,
        "not supported by this endpoint (account:GetContactInformation failed: HTTP 404: the endpoint does not implement this operation); not checked"
    );
}

#[tokio::test]
async fn access_denied_names_the_missing_permission() {
    let get = mock!(aws_sdk_account::Client::get_contact_information).then_error(|| {
        GetContactInformationError::AccessDeniedException(
            AccessDeniedException::builder()
                .message("User is not authorized to perform GetContactInformation")
                // As deserialised from a real response: the code travels in the metadata.
                .meta(ErrorMetadata::builder().code("AccessDeniedException").build())
                .build()
                .unwrap(),
        )
    });
    let plan = baseline::plan(&desired(PRIMARY), &target(&[&get], &ApiGuard::read_only())).await;
    assert_eq!(plan.errors.len(), 1);
    let e = &plan.errors[0];
    assert_eq!(e.address.to_string(), "123456789012/global/account.primary_contact/primary");
    assert_eq!(e.error.kind, ErrorKind::AccessDenied);
    assert!(e.error.hint().contains("`account:GetContactInformation`"), "{}", e.error.hint());
}

mod account_public_access_block {
    use aws_sdk_s3control::operation::get_public_access_block::{
        GetPublicAccessBlockError, GetPublicAccessBlockOutput,
    };
    use aws_sdk_s3control::operation::put_public_access_block::PutPublicAccessBlockOutput;
    use aws_sdk_s3control::types::PublicAccessBlockConfiguration;
    use aws_sdk_s3control::types::error::NoSuchPublicAccessBlockConfiguration;

    use super::*;

    fn plan_with(get: &Rule, put: &Rule, guard: &ApiGuard) -> Target {
        let g = guard.clone();
        let s3control = mock_client!(aws_sdk_s3control, RuleMode::MatchAny, &[get, put], |b| b.interceptor(g.clone()));
        target_with(idle!(aws_sdk_account), s3control)
    }

    fn put_rule() -> Rule {
        mock!(aws_sdk_s3control::Client::put_public_access_block)
            .match_requests(|req| {
                let c = req.public_access_block_configuration().unwrap();
                req.account_id() == Some("123456789012")
                    && [
                        c.block_public_acls(),
                        c.ignore_public_acls(),
                        c.block_public_policy(),
                        c.restrict_public_buckets(),
                    ]
                    .iter()
                    .all(|v| *v == Some(true))
            })
            .then_output(|| PutPublicAccessBlockOutput::builder().build())
    }

    #[tokio::test]
    async fn not_configured_is_turned_on() {
        let get = mock!(aws_sdk_s3control::Client::get_public_access_block).then_error(|| {
            GetPublicAccessBlockError::NoSuchPublicAccessBlockConfiguration(
                NoSuchPublicAccessBlockConfiguration::builder()
                    .meta(ErrorMetadata::builder().code("NoSuchPublicAccessBlockConfiguration").build())
                    .build(),
            )
        });
        let put = put_rule();
        let guard = ApiGuard::read_only();
        let target = plan_with(&get, &put, &guard);
        let plan = baseline::plan(&desired(""), &target).await;
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        let change = &plan.changes[0];
        assert_eq!(change.address.to_string(), "123456789012/global/s3.account_public_access_block/account");
        assert_eq!(change.action, Action::Update);
        assert_eq!(change.attributes.len(), 4);
        assert_eq!(
            change.attributes[0],
            AttributeChange::new("block_public_acls", Some("false".into()), Some("true".into()))
        );

        guard.allow_writes();
        let report = baseline::apply(&plan, &target, &NullSink).await;
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn loosened_setting_is_repaired_and_full_block_is_a_no_op() {
        let partly = mock!(aws_sdk_s3control::Client::get_public_access_block).then_output(|| {
            let c = PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(false)
                .restrict_public_buckets(true)
                .build();
            GetPublicAccessBlockOutput::builder().public_access_block_configuration(c).build()
        });
        let put = put_rule();
        let plan = baseline::plan(&desired(""), &plan_with(&partly, &put, &ApiGuard::read_only())).await;
        assert_eq!(
            plan.changes[0].attributes,
            vec![AttributeChange::new("block_public_policy", Some("false".into()), Some("true".into()))]
        );

        let full = mock!(aws_sdk_s3control::Client::get_public_access_block).then_output(|| {
            let c = PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build();
            GetPublicAccessBlockOutput::builder().public_access_block_configuration(c).build()
        });
        let plan = baseline::plan(&desired(""), &plan_with(&full, &put, &ApiGuard::read_only())).await;
        assert!(!plan.has_pending());
        assert_eq!(put.num_calls(), 0);
    }
}

mod bucket_creation {
    use aws_sdk_s3::operation::create_bucket::{CreateBucketError, CreateBucketOutput};
    use aws_sdk_s3::operation::put_bucket_tagging::PutBucketTaggingOutput;
    use aws_sdk_s3::types::error::{BucketAlreadyExists, BucketAlreadyOwnedByYou};
    use baseline::engine::Outcome;
    use baseline::resources::Operation;
    use baseline::resources::log_bucket::{self, Op};

    use super::*;

    fn create(region: &str) -> Plan {
        let change = ResourceChange::new(
            Address::new("123456789012", region, log_bucket::BUCKET, "logs"),
            Action::Create,
            "test",
            Operation::LogBucket(Op::CreateBucket {
                bucket: "logs".into(),
                region: region.into(),
                tags: [("managed-by".to_string(), "baseline".to_string())].into(),
            }),
        );
        Plan { changes: vec![change], ..Plan::default() }
    }

    async fn apply_with(rules: &[&Rule], region: &str) -> baseline::engine::ApplyReport {
        let guard = ApiGuard::read_only();
        guard.allow_writes();
        let g = guard.clone();
        let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, rules, |b| b.interceptor(g.clone()));
        let target = target_with_s3(idle!(aws_sdk_account), idle!(aws_sdk_s3control), s3);
        baseline::apply(&create(region), &target, &NullSink).await
    }

    fn tagging() -> Rule {
        mock!(aws_sdk_s3::Client::put_bucket_tagging).then_output(|| PutBucketTaggingOutput::builder().build())
    }

    fn no_tags() -> Rule {
        mock!(aws_sdk_s3::Client::get_bucket_tagging).then_error(|| {
            aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingError::generic(
                ErrorMetadata::builder().code("NoSuchTagSet").build(),
            )
        })
    }

    #[tokio::test]
    async fn location_constraint_is_omitted_only_in_us_east_1() {
        for (region, constraint) in [("us-east-1", None), ("eu-west-1", Some("eu-west-1"))] {
            let create = mock!(aws_sdk_s3::Client::create_bucket)
                .match_requests(move |req| {
                    req.create_bucket_configuration().and_then(|c| c.location_constraint()).map(|c| c.as_str())
                        == constraint
                        && req.object_ownership().map(|o| o.as_str()) == Some("BucketOwnerEnforced")
                })
                .then_output(|| CreateBucketOutput::builder().build());
            let (tagging, no_tags) = (tagging(), no_tags());
            let report = apply_with(&[&create, &no_tags, &tagging], region).await;
            assert!(report.succeeded(), "{region}: {report:?}");
            assert_eq!(create.num_calls(), 1, "{region}");
            assert_eq!(tagging.num_calls(), 1);
        }
    }

    #[tokio::test]
    async fn already_owned_by_you_is_success() {
        let create = mock!(aws_sdk_s3::Client::create_bucket).then_error(|| {
            CreateBucketError::BucketAlreadyOwnedByYou(
                BucketAlreadyOwnedByYou::builder()
                    .meta(ErrorMetadata::builder().code("BucketAlreadyOwnedByYou").build())
                    .build(),
            )
        });
        let (tagging, no_tags) = (tagging(), no_tags());
        let report = apply_with(&[&create, &no_tags, &tagging], "eu-west-1").await;
        assert!(report.succeeded(), "{report:?}");
    }

    #[tokio::test]
    async fn name_taken_by_another_account_is_a_clear_error() {
        let create = mock!(aws_sdk_s3::Client::create_bucket).then_error(|| {
            CreateBucketError::BucketAlreadyExists(
                BucketAlreadyExists::builder()
                    .meta(
                        ErrorMetadata::builder()
                            .code("BucketAlreadyExists")
                            .message("The requested bucket name is not available")
                            .build(),
                    )
                    .build(),
            )
        });
        let report = apply_with(&[&create], "eu-west-1").await;
        let Outcome::Failed { error } = &report.results[0].outcome else { panic!("{report:?}") };
        assert_eq!(error.code.as_deref(), Some("BucketAlreadyExists"));
        assert!(
            error.message.contains("the bucket name \"logs\" is taken by another AWS account"),
            "{}",
            error.message
        );
        assert!(error.message.contains("change [log_archive] bucket"));
    }
}

/// Budgets paths the emulator lacks: UpdateBudget, UpdateNotification, the subscriber APIs.
mod budgets {
    use aws_sdk_budgets::operation::create_subscriber::CreateSubscriberOutput;
    use aws_sdk_budgets::operation::describe_budgets::DescribeBudgetsOutput;
    use aws_sdk_budgets::operation::describe_notifications_for_budget::DescribeNotificationsForBudgetOutput;
    use aws_sdk_budgets::operation::describe_subscribers_for_notification::DescribeSubscribersForNotificationOutput;
    use aws_sdk_budgets::operation::update_budget::UpdateBudgetOutput;
    use aws_sdk_budgets::operation::update_notification::UpdateNotificationOutput;
    use aws_sdk_budgets::types::{
        Budget, BudgetType, ComparisonOperator, Notification, NotificationType, Spend, Subscriber, SubscriptionType,
        ThresholdType, TimeUnit,
    };

    use super::*;

    const CONFIG: &str = r#"
[notifications.billing]
topic = "billing"
emails = ["billing@example.com"]
[s3]
account_public_access_block = false
[[budgets]]
name = "monthly"
limit = 1000
forecasted_thresholds = [100]
actual_thresholds = [80]
emails = ["billing@example.com"]
"#;
    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:billing";

    fn budget(limit: &str) -> Budget {
        Budget::builder()
            .budget_name("monthly")
            .budget_limit(Spend::builder().amount(limit).unit("USD").build().unwrap())
            .time_unit(TimeUnit::Monthly)
            .budget_type(BudgetType::Cost)
            .build()
            .unwrap()
    }

    fn notification(forecasted: bool, threshold: f64) -> Notification {
        Notification::builder()
            .notification_type(if forecasted { NotificationType::Forecasted } else { NotificationType::Actual })
            .comparison_operator(ComparisonOperator::GreaterThan)
            .threshold(threshold)
            .threshold_type(ThresholdType::Percentage)
            .build()
            .unwrap()
    }

    fn sns_subscriber() -> Subscriber {
        Subscriber::builder().subscription_type(SubscriptionType::Sns).address(TOPIC).build().unwrap()
    }

    /// An account with budget `limit`, notifications at `actual` (plus forecasted 100), each with `subscribers`.
    fn account(limit: &'static str, actual: f64, subscribers: fn() -> Vec<Subscriber>) -> Vec<Rule> {
        vec![
            mock!(aws_sdk_budgets::Client::describe_budgets)
                .then_output(move || DescribeBudgetsOutput::builder().budgets(budget(limit)).build()),
            mock!(aws_sdk_budgets::Client::describe_notifications_for_budget).then_output(move || {
                DescribeNotificationsForBudgetOutput::builder()
                    .notifications(notification(true, 100.0))
                    .notifications(notification(false, actual))
                    .build()
            }),
            mock!(aws_sdk_budgets::Client::describe_subscribers_for_notification).then_output(move || {
                DescribeSubscribersForNotificationOutput::builder().set_subscribers(Some(subscribers())).build()
            }),
        ]
    }

    fn both() -> Vec<Subscriber> {
        vec![
            sns_subscriber(),
            Subscriber::builder()
                .subscription_type(SubscriptionType::Email)
                .address("billing@example.com")
                .build()
                .unwrap(),
        ]
    }

    async fn plan_and_apply(rules: &[Rule]) -> (Plan, baseline::engine::ApplyReport) {
        let guard = ApiGuard::read_only();
        let g = guard.clone();
        let refs: Vec<&Rule> = rules.iter().collect();
        let client = mock_client!(aws_sdk_budgets, RuleMode::MatchAny, &refs, |b| b.interceptor(g.clone()));
        // The billing topic is not read here (its client points nowhere); only the budget changes are applied.
        let target = Target { budgets: client, ..idle_target() };
        let desired = desired(CONFIG);
        let plan = baseline::plan(&desired, &target).await;
        let budget_plan = Plan {
            changes: plan.changes.iter().filter(|c| c.address.kind.starts_with("budgets.")).cloned().collect(),
            ..Plan::default()
        };
        guard.allow_writes();
        let report = baseline::apply(&budget_plan, &target, &NullSink).await;
        (budget_plan, report)
    }

    fn pending(plan: &Plan) -> Vec<String> {
        plan.pending().map(|c| format!("{} {}", c.address.name, c.reason)).collect()
    }

    #[tokio::test]
    async fn matching_budget_is_a_no_op() {
        let (plan, report) = plan_and_apply(&account("1000", 80.0, both)).await;
        assert!(pending(&plan).is_empty(), "{:?}", pending(&plan));
        assert!(report.results.is_empty());
    }

    #[tokio::test]
    async fn changed_limit_is_updated_in_place() {
        let update = mock!(aws_sdk_budgets::Client::update_budget)
            .match_requests(|r| r.new_budget().and_then(|b| b.budget_limit()).map(|l| l.amount()) == Some("1000"))
            .then_output(|| UpdateBudgetOutput::builder().build());
        let mut rules = account("500", 80.0, both);
        rules.push(update.clone());
        let (plan, report) = plan_and_apply(&rules).await;
        assert_eq!(pending(&plan), vec!["monthly budget differs"]);
        assert_eq!(plan.pending().next().unwrap().attributes[0].before.as_deref(), Some("500 USD"));
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(update.num_calls(), 1);
    }

    #[tokio::test]
    async fn changed_threshold_updates_the_old_notification() {
        let update = mock!(aws_sdk_budgets::Client::update_notification)
            .match_requests(|r| {
                r.old_notification().map(|n| n.threshold()) == Some(90.0)
                    && r.new_notification().map(|n| n.threshold()) == Some(80.0)
            })
            .then_output(|| UpdateNotificationOutput::builder().build());
        let mut rules = account("1000", 90.0, both);
        rules.push(update.clone());
        let (plan, report) = plan_and_apply(&rules).await;
        assert_eq!(pending(&plan), vec!["monthly/actual-80 threshold changed"]);
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(update.num_calls(), 1);
    }

    #[tokio::test]
    async fn removed_subscriber_is_added_back() {
        let create = mock!(aws_sdk_budgets::Client::create_subscriber)
            .match_requests(|r| r.subscriber().map(|s| s.address()) == Some(TOPIC))
            .then_output(|| CreateSubscriberOutput::builder().build());
        let mut rules = account("1000", 80.0, || {
            vec![
                Subscriber::builder()
                    .subscription_type(SubscriptionType::Email)
                    .address("billing@example.com")
                    .build()
                    .unwrap(),
            ]
        });
        rules.push(create.clone());
        let (plan, report) = plan_and_apply(&rules).await;
        assert_eq!(
            pending(&plan),
            vec!["monthly/actual-80 subscribers differ", "monthly/forecasted-100 subscribers differ"]
        );
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(create.num_calls(), 2, "one per notification");
    }
}

/// The Cost and Usage Report API is absent from the emulator.
mod billing_reports {
    use aws_sdk_costandusagereport::operation::describe_report_definitions::DescribeReportDefinitionsOutput;
    use aws_sdk_costandusagereport::operation::modify_report_definition::ModifyReportDefinitionOutput;
    use aws_sdk_costandusagereport::operation::put_report_definition::PutReportDefinitionOutput;
    use aws_sdk_costandusagereport::types::{
        AdditionalArtifact, AwsRegion, CompressionFormat, ReportDefinition, ReportFormat, ReportVersioning,
        SchemaElement, TimeUnit,
    };

    use super::*;

    const CONFIG: &str = r#"
[s3]
account_public_access_block = false
[log_archive]
bucket = "logs-{account_id}"
[billing_reports]
"#;

    fn existing(time_unit: TimeUnit) -> ReportDefinition {
        ReportDefinition::builder()
            .report_name("baseline-cost-and-usage")
            .time_unit(time_unit)
            .format(ReportFormat::Parquet)
            .compression(CompressionFormat::Parquet)
            .additional_schema_elements(SchemaElement::Resources)
            .s3_bucket("logs-123456789012")
            .s3_prefix("cost-and-usage")
            .s3_region(AwsRegion::from("us-east-1"))
            .additional_artifacts(AdditionalArtifact::Athena)
            .refresh_closed_reports(true)
            .report_versioning(ReportVersioning::OverwriteReport)
            .build()
            .unwrap()
    }

    async fn cycle(describe: Rule, write: &Rule) -> (Plan, baseline::engine::ApplyReport) {
        let guard = ApiGuard::read_only();
        let g = guard.clone();
        let cur = mock_client!(aws_sdk_costandusagereport, RuleMode::MatchAny, &[&describe, write], |b| b
            .interceptor(g.clone()));
        let target = Target { cur, ..idle_target() };
        let plan = baseline::plan(&desired(CONFIG), &target).await;
        let report_plan = Plan {
            changes: plan.changes.iter().filter(|c| c.address.kind == "cur.report_definition").cloned().collect(),
            ..Plan::default()
        };
        guard.allow_writes();
        let report = baseline::apply(&report_plan, &target, &NullSink).await;
        (report_plan, report)
    }

    #[tokio::test]
    async fn create_then_no_op_then_update() {
        let put = mock!(aws_sdk_costandusagereport::Client::put_report_definition)
            .match_requests(|r| {
                r.report_definition().is_some_and(|d| {
                    d.s3_bucket() == "logs-123456789012"
                        && d.time_unit() == &TimeUnit::Daily
                        && d.format() == &ReportFormat::Parquet
                })
            })
            .then_output(|| PutReportDefinitionOutput::builder().build());
        let none = mock!(aws_sdk_costandusagereport::Client::describe_report_definitions)
            .then_output(|| DescribeReportDefinitionsOutput::builder().build());
        let (plan, report) = cycle(none, &put).await;
        assert_eq!(plan.changes[0].action, Action::Create);
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(put.num_calls(), 1);

        let same = mock!(aws_sdk_costandusagereport::Client::describe_report_definitions).then_output(|| {
            DescribeReportDefinitionsOutput::builder().report_definitions(existing(TimeUnit::Daily)).build()
        });
        let (plan, report) = cycle(same, &put).await;
        assert_eq!(plan.changes[0].action, Action::NoOp);
        assert!(report.results.is_empty());

        let modify = mock!(aws_sdk_costandusagereport::Client::modify_report_definition)
            .match_requests(|r| r.report_definition().is_some_and(|d| d.time_unit() == &TimeUnit::Daily))
            .then_output(|| ModifyReportDefinitionOutput::builder().build());
        let hourly = mock!(aws_sdk_costandusagereport::Client::describe_report_definitions).then_output(|| {
            DescribeReportDefinitionsOutput::builder().report_definitions(existing(TimeUnit::Hourly)).build()
        });
        let (plan, report) = cycle(hourly, &modify).await;
        assert_eq!(plan.changes[0].action, Action::Update);
        assert_eq!(plan.changes[0].attributes[0].name, "time_unit");
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(modify.num_calls(), 1);
    }
}
