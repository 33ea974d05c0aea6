//! What the emulator lacks (the primary contact API, the subscriber APIs of Budgets, Cost and Usage Reports,
//! Organizations answers in several pages), tested with mocked SDK clients.

use aws_sdk_account::operation::get_contact_information::{GetContactInformationError, GetContactInformationOutput};
use aws_sdk_account::operation::put_contact_information::PutContactInformationOutput;
use aws_sdk_account::types::ContactInformation;
use aws_sdk_account::types::error::AccessDeniedException;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;
use baseline::aws::{ApiGuard, ErrorKind};
use baseline::engine::{Action, Address, AttributeChange, NoticeLevel, NullSink};
use baseline::resources::{Plan, ResourceChange};
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
        organizations: idle!(aws_sdk_organizations),
        kms: baseline::target::Kms::new(idle!(aws_sdk_kms)),
        custom_endpoint: false,
        regions: Vec::new(),
        unavailable_regions: Vec::new(),
        contacts_account: None,
        log_writers: None,
        management_account: None,
    }
}

/// An EC2 client with no credentials: any call it made would fail.
pub fn idle_ec2(region: &str) -> baseline::aws::ec2::Client {
    idle_session().ec2(region)
}

/// A session pointing nowhere: a client a test forgot to mock fails instead of reaching AWS.
fn idle_session() -> baseline::aws::Session {
    let sdk = aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build();
    baseline::aws::Session::from_sdk_config(sdk)
}

/// One region's clients, all pointing nowhere; tests replace the ones they mock.
pub fn idle_region(region: &str) -> baseline::target::RegionClients {
    baseline::target::RegionClients {
        region: region.into(),
        config: idle!(aws_sdk_config),
        events: idle!(aws_sdk_eventbridge),
        ec2: idle_ec2(region),
        services: baseline::target::ServiceClients::new(&idle_session()),
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

/// [`PRIMARY`] with every optional field set (the table continues at the end of the file).
fn primary_full() -> String {
    format!(
        "{PRIMARY}address_line2 = \"Floor 3\"\naddress_line3 = \"Suite 300\"\nstate_or_region = \"WA\"\n\
         district_or_county = \"King\"\nwebsite_url = \"https://example.com\"\n"
    )
}

fn full() -> ContactInformation {
    let mut contact = current("Seattle");
    contact.address_line3 = Some("Suite 300".into());
    contact.state_or_region = Some("WA".into());
    contact.district_or_county = Some("King".into());
    contact.website_url = Some("https://example.com".into());
    contact
}

/// Every field of the primary contact, changed alone: planned by its name, put back.
#[tokio::test]
async fn each_primary_contact_field_changed_alone_is_planned_by_name_and_put_back() {
    type Edit = fn(&mut ContactInformation);
    let edits: [(&str, Edit); 12] = [
        ("full_name", |c| c.full_name = "Jane Doe".into()),
        ("company_name", |c| c.company_name = Some("Other Corp".into())),
        ("address_line1", |c| c.address_line1 = "1 Elsewhere".into()),
        ("address_line2", |c| c.address_line2 = Some("Basement".into())),
        ("address_line3", |c| c.address_line3 = None),
        ("city", |c| c.city = "Portland".into()),
        ("state_or_region", |c| c.state_or_region = Some("OR".into())),
        ("district_or_county", |c| c.district_or_county = Some("Multnomah".into())),
        ("postal_code", |c| c.postal_code = "97201".into()),
        ("country_code", |c| c.country_code = "CA".into()),
        ("phone_number", |c| c.phone_number = "+1 503 555 0100".into()),
        ("website_url", |c| c.website_url = Some("https://example.org".into())),
    ];
    crate::coverage::assert_drifted_alone("account.primary_contact", &edits.map(|(name, _)| name));
    for (name, edit) in edits {
        let mut drifted = full();
        edit(&mut drifted);
        let get = mock!(aws_sdk_account::Client::get_contact_information)
            .then_output(move || GetContactInformationOutput::builder().contact_information(drifted.clone()).build());
        let put = mock!(aws_sdk_account::Client::put_contact_information)
            .match_requests(|req| req.contact_information() == Some(&full()))
            .then_output(|| PutContactInformationOutput::builder().build());
        let guard = ApiGuard::read_only();
        let target = target(&[&get, &put], &guard);
        let plan = baseline::plan(&desired(&primary_full()), &target).await;
        let named: Vec<&str> = plan.pending().flat_map(|c| c.attributes.iter().map(|a| a.name.as_str())).collect();
        assert_eq!(named, [name]);
        guard.allow_writes();
        let report = baseline::apply(&plan, &target, &NullSink).await;
        assert!(report.succeeded(), "{name}: {report:?}");
        assert_eq!(put.num_calls(), 1, "{name}: put back as baseline.toml has it");
    }
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

    /// Every compared setting of the budget itself, changed alone: planned by its name, updated in place.
    #[tokio::test]
    #[allow(deprecated)] // CostFilters: what baseline.toml's `filters` map to
    async fn each_budget_setting_changed_alone_is_planned_by_name_and_updated() {
        type Edit = fn(&mut Budget);
        let edits: [(&str, Edit); 3] = [
            ("limit", |b| b.budget_limit = Some(Spend::builder().amount("5").unit("USD").build().unwrap())),
            ("time_unit", |b| b.time_unit = TimeUnit::Quarterly),
            ("cost_filters", |b| {
                b.cost_filters = Some([("Service".to_string(), vec!["Amazon Route 53".to_string()])].into())
            }),
        ];
        crate::coverage::assert_drifted_alone("budgets.budget", &edits.map(|(name, _)| name));
        for (name, edit) in edits {
            let mut drifted = budget("1000");
            edit(&mut drifted);
            let mut rules = account("1000", 80.0, both);
            rules[0] = mock!(aws_sdk_budgets::Client::describe_budgets)
                .then_output(move || DescribeBudgetsOutput::builder().budgets(drifted.clone()).build());
            let update = mock!(aws_sdk_budgets::Client::update_budget)
                .match_requests(|r| {
                    r.new_budget().is_some_and(|b| {
                        b.budget_limit().map(|l| l.amount()) == Some("1000")
                            && b.time_unit() == &TimeUnit::Monthly
                            && b.cost_filters().is_none_or(|f| f.is_empty())
                    })
                })
                .then_output(|| UpdateBudgetOutput::builder().build());
            rules.push(update.clone());
            let (plan, report) = plan_and_apply(&rules).await;
            let named: Vec<&str> = plan.pending().flat_map(|c| c.attributes.iter().map(|a| a.name.as_str())).collect();
            assert_eq!(named, [name]);
            assert!(report.succeeded(), "{name}: {report:?}");
            assert_eq!(update.num_calls(), 1, "{name}");
        }
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

    fn shaped(comparison: ComparisonOperator, threshold_type: ThresholdType) -> Notification {
        Notification::builder()
            .notification_type(NotificationType::Actual)
            .comparison_operator(comparison)
            .threshold(80.0)
            .threshold_type(threshold_type)
            .build()
            .unwrap()
    }

    fn baselines(n: &Notification) -> bool {
        n.comparison_operator() == &ComparisonOperator::GreaterThan
            && n.threshold_type() == Some(&ThresholdType::Percentage)
    }

    /// Someone added ACTUAL notifications at 80 of other shapes (LESS_THAN a percentage, GREATER_THAN an
    /// absolute 80 USD), listed before the baseline's own ACTUAL > 80%. A notification is identified by type,
    /// operator, threshold and threshold type (Budgets API reference, Notification), so only the baseline's
    /// own is compared and repaired, and the subscriber calls name exactly it.
    #[tokio::test]
    async fn foreign_notifications_of_the_same_number_are_neither_matched_nor_touched() {
        let foreign_email = || {
            vec![
                Subscriber::builder()
                    .subscription_type(SubscriptionType::Email)
                    .address("ops@example.com")
                    .build()
                    .unwrap(),
            ]
        };
        let rules = |baseline_subscribers: fn() -> Vec<Subscriber>| {
            vec![
                mock!(aws_sdk_budgets::Client::describe_budgets)
                    .then_output(|| DescribeBudgetsOutput::builder().budgets(budget("1000")).build()),
                mock!(aws_sdk_budgets::Client::describe_notifications_for_budget).then_output(|| {
                    DescribeNotificationsForBudgetOutput::builder()
                        .notifications(notification(true, 100.0))
                        .notifications(shaped(ComparisonOperator::LessThan, ThresholdType::Percentage))
                        .notifications(shaped(ComparisonOperator::GreaterThan, ThresholdType::AbsoluteValue))
                        .notifications(notification(false, 80.0))
                        .build()
                }),
                mock!(aws_sdk_budgets::Client::describe_subscribers_for_notification)
                    .match_requests(|r| r.notification().is_some_and(|n| !baselines(n)))
                    .then_output(move || {
                        DescribeSubscribersForNotificationOutput::builder()
                            .set_subscribers(Some(foreign_email()))
                            .build()
                    }),
                mock!(aws_sdk_budgets::Client::describe_subscribers_for_notification)
                    .match_requests(|r| {
                        r.notification()
                            .is_some_and(|n| baselines(n) && n.notification_type() == &NotificationType::Actual)
                    })
                    .then_output(move || {
                        DescribeSubscribersForNotificationOutput::builder()
                            .set_subscribers(Some(baseline_subscribers()))
                            .build()
                    }),
                mock!(aws_sdk_budgets::Client::describe_subscribers_for_notification).then_output(|| {
                    DescribeSubscribersForNotificationOutput::builder().set_subscribers(Some(both())).build()
                }),
            ]
        };
        // Converged: the foreign notifications' subscribers are not the baseline's business.
        let (plan, report) = plan_and_apply(&rules(both)).await;
        assert!(pending(&plan).is_empty(), "{:?}", pending(&plan));
        assert!(report.results.is_empty());

        // The baseline's own lost its topic subscriber: added back to exactly that notification.
        let create = mock!(aws_sdk_budgets::Client::create_subscriber)
            .match_requests(|r| {
                r.notification().is_some_and(|n| baselines(n) && n.threshold() == 80.0)
                    && r.subscriber().map(|s| s.address()) == Some(TOPIC)
            })
            .then_output(|| CreateSubscriberOutput::builder().build());
        let delete = mock!(aws_sdk_budgets::Client::delete_subscriber)
            .then_output(|| aws_sdk_budgets::operation::delete_subscriber::DeleteSubscriberOutput::builder().build());
        let delete_notification = mock!(aws_sdk_budgets::Client::delete_notification).then_output(|| {
            aws_sdk_budgets::operation::delete_notification::DeleteNotificationOutput::builder().build()
        });
        let mut rules = rules(|| {
            vec![
                Subscriber::builder()
                    .subscription_type(SubscriptionType::Email)
                    .address("billing@example.com")
                    .build()
                    .unwrap(),
            ]
        });
        rules.extend([create.clone(), delete.clone(), delete_notification.clone()]);
        let (plan, report) = plan_and_apply(&rules).await;
        assert_eq!(pending(&plan), vec!["monthly/actual-80 subscribers differ"]);
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(create.num_calls(), 1);
        assert_eq!((delete.num_calls(), delete_notification.num_calls()), (0, 0), "nothing foreign is removed");
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

    /// Every compared setting of the coverage list, changed alone: planned by its name, modified back.
    #[tokio::test]
    async fn each_setting_changed_alone_is_planned_by_name_and_modified_back() {
        type Edit = fn(&mut ReportDefinition);
        let edits: [(&str, Edit); 10] = [
            ("time_unit", |d| d.time_unit = TimeUnit::Hourly),
            ("format", |d| d.format = ReportFormat::Csv),
            ("compression", |d| d.compression = CompressionFormat::Gzip),
            ("additional_schema_elements", |d| d.additional_schema_elements = Vec::new()),
            ("s3_bucket", |d| d.s3_bucket = "elsewhere".into()),
            ("s3_prefix", |d| d.s3_prefix = "elsewhere".into()),
            ("s3_region", |d| d.s3_region = AwsRegion::from("eu-west-1")),
            ("additional_artifacts", |d| d.additional_artifacts = Some(vec![AdditionalArtifact::Redshift])),
            ("refresh_closed_reports", |d| d.refresh_closed_reports = Some(false)),
            ("report_versioning", |d| d.report_versioning = Some(ReportVersioning::CreateNewReport)),
        ];
        crate::coverage::assert_drifted_alone("cur.report_definition", &edits.map(|(name, _)| name));
        for (name, edit) in edits {
            let mut drifted = existing(TimeUnit::Daily);
            edit(&mut drifted);
            let describe =
                mock!(aws_sdk_costandusagereport::Client::describe_report_definitions).then_output(move || {
                    DescribeReportDefinitionsOutput::builder().report_definitions(drifted.clone()).build()
                });
            let modify = mock!(aws_sdk_costandusagereport::Client::modify_report_definition)
                .match_requests(|r| r.report_definition() == Some(&existing(TimeUnit::Daily)))
                .then_output(|| ModifyReportDefinitionOutput::builder().build());
            let (plan, report) = cycle(describe, &modify).await;
            let named: Vec<&str> = plan.changes[0].attributes.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(named, [name]);
            assert!(report.succeeded(), "{name}: {report:?}");
            assert_eq!(modify.num_calls(), 1, "{name}: modified back to the baseline's definition");
        }
    }

    fn none() -> Rule {
        mock!(aws_sdk_costandusagereport::Client::describe_report_definitions)
            .then_output(|| DescribeReportDefinitionsOutput::builder().build())
    }

    fn put(bucket: &'static str, region: &'static str) -> Rule {
        mock!(aws_sdk_costandusagereport::Client::put_report_definition)
            .match_requests(move |r| {
                r.report_definition().is_some_and(|d| d.s3_bucket() == bucket && d.s3_region().as_str() == region)
            })
            .then_output(|| PutReportDefinitionOutput::builder().build())
    }

    fn only_reports(plan: &Plan) -> Plan {
        Plan { changes: report_changes(plan).into_iter().cloned().collect(), ..Plan::default() }
    }

    fn report_changes(plan: &Plan) -> Vec<&ResourceChange> {
        plan.changes.iter().filter(|c| c.address.kind == "cur.report_definition").collect()
    }

    /// A target (account 123456789012) with mocked CUR and S3 clients, in an organization whose management
    /// account is `management` (`None`: a single-account run).
    fn target_for(rules: &[&Rule], s3: &[&Rule], management: Option<&str>, guard: &ApiGuard) -> Target {
        let g = guard.clone();
        let cur = mock_client!(aws_sdk_costandusagereport, RuleMode::MatchAny, rules, |b| b.interceptor(g.clone()));
        // Without S3 rules the log archive's own reads (another family) go nowhere, as in `idle_target`.
        let g = guard.clone();
        let s3 = if s3.is_empty() {
            idle!(aws_sdk_s3)
        } else {
            mock_client!(aws_sdk_s3, RuleMode::MatchAny, s3, |b| b.interceptor(g.clone()))
        };
        Target { cur, s3, management_account: management.map(str::to_string), ..idle_target() }
    }

    /// "A management account's report covers the usage of every member account" and the bucket must be the
    /// creating account's ("Using Cost and Usage Reports for AWS Organizations", Data Exports user guide): in
    /// an organization run only the management account plans the report; members are told why, without a
    /// single CUR call.
    #[tokio::test]
    async fn member_accounts_plan_no_report_and_are_told_why() {
        let (describe, write) = (none(), put("logs-123456789012", "us-east-1"));
        let guard = ApiGuard::read_only();
        let member = target_for(&[&describe, &write], &[], Some("111111111111"), &guard);
        let plan = baseline::plan(&desired(CONFIG), &member).await;
        assert!(report_changes(&plan).is_empty(), "{:?}", report_changes(&plan));
        let notice = plan.notices.iter().find(|n| n.address.kind == "cur.report_definition").expect("a notice");
        assert_eq!(notice.level, NoticeLevel::Info);
        assert_eq!(notice.address.to_string(), "123456789012/global/cur.report_definition/baseline-cost-and-usage");
        assert!(
            notice.message.contains("management account 111111111111's Cost and Usage Report covers"),
            "{}",
            notice.message
        );
        assert_eq!(describe.num_calls(), 0, "members do not even read report definitions");

        // The management account itself (here owning its log archive bucket) plans and creates it.
        let management = target_for(&[&describe, &write], &[], Some("123456789012"), &guard);
        let plan = baseline::plan(&desired(CONFIG), &management).await;
        assert_eq!(report_changes(&plan)[0].action, Action::Create);
        guard.allow_writes();
        let report = baseline::apply(&only_reports(&plan), &management, &NullSink).await;
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(write.num_calls(), 1);
    }

    /// The CUR API is in us-east-1, but the report's S3Region is the bucket's own region.
    #[tokio::test]
    async fn report_region_is_the_buckets_region() {
        const OWN_BUCKET: &str = r#"
[s3]
account_public_access_block = false
[billing_reports]
bucket = "example-cost-reports"
"#;
        let location = mock!(aws_sdk_s3::Client::get_bucket_location)
            .match_requests(|r| {
                r.bucket() == Some("example-cost-reports") && r.expected_bucket_owner() == Some("123456789012")
            })
            .then_output(|| {
                aws_sdk_s3::operation::get_bucket_location::GetBucketLocationOutput::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from("eu-central-1"))
                    .build()
            });
        let (describe, write) = (none(), put("example-cost-reports", "eu-central-1"));
        let guard = ApiGuard::read_only();
        let target = target_for(&[&describe, &write], &[&location], None, &guard);
        let plan = baseline::plan(&desired(OWN_BUCKET), &target).await;
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        let change = report_changes(&plan)[0];
        assert_eq!(change.action, Action::Create);
        assert!(change.attributes.contains(&AttributeChange::new("s3_region", None, Some("eu-central-1".into()))));
        guard.allow_writes();
        let report = baseline::apply(&only_reports(&plan), &target, &NullSink).await;
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(write.num_calls(), 1);

        // Delivered to the log archive: the archive's region, whatever the home region.
        let archive =
            CONFIG.replace("bucket = \"logs-{account_id}\"", "bucket = \"logs-{account_id}\"\nregion = \"eu-west-1\"");
        let (describe, write) = (none(), put("logs-123456789012", "eu-west-1"));
        let target = target_for(&[&describe, &write], &[], None, &guard);
        let plan = baseline::plan(&desired(&archive), &target).await;
        let report = baseline::apply(&only_reports(&plan), &target, &NullSink).await;
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(write.num_calls(), 1);
    }

    /// "You cannot configure a Cost and Usage Report to deliver to an Amazon S3 bucket owned by another
    /// account" (Data Exports user guide): such a report is never planned.
    #[tokio::test]
    async fn bucket_of_another_account_is_refused() {
        // The log archive belongs to another account: known from baseline.toml, a warning and no change.
        let foreign_archive = CONFIG
            .replace("bucket = \"logs-{account_id}\"", "bucket = \"logs-{account_id}\"\naccount_id = \"999999999999\"");
        let (describe, write) = (none(), put("logs-999999999999", "us-east-1"));
        let guard = ApiGuard::read_only();
        let target = target_for(&[&describe, &write], &[], None, &guard);
        let plan = baseline::plan(&desired(&foreign_archive), &target).await;
        assert!(report_changes(&plan).is_empty(), "{:?}", report_changes(&plan));
        let notice = plan.notices.iter().find(|n| n.address.kind == "cur.report_definition").expect("a notice");
        assert_eq!(notice.level, NoticeLevel::Warning);
        assert!(notice.message.contains("belongs to account 999999999999"), "{}", notice.message);

        // A configured bucket of another account: S3 answers 403 to ExpectedBucketOwner (S3 API reference,
        // GetBucketLocation: "If the bucket is owned by a different account, the request fails with the HTTP
        // status code 403 Forbidden (access denied)"): a plan error for the report, no change.
        const OTHER_BUCKET: &str = r#"
[s3]
account_public_access_block = false
[billing_reports]
bucket = "someone-elses-reports"
"#;
        let refused = mock!(aws_sdk_s3::Client::get_bucket_location)
            .match_requests(|r| r.expected_bucket_owner() == Some("123456789012"))
            .then_error(|| {
                aws_sdk_s3::operation::get_bucket_location::GetBucketLocationError::generic(
                    ErrorMetadata::builder().code("AccessDenied").message("Access Denied").build(),
                )
            });
        let target = target_for(&[&describe, &write], &[&refused], None, &guard);
        let plan = baseline::plan(&desired(OTHER_BUCKET), &target).await;
        assert!(report_changes(&plan).is_empty());
        assert_eq!(plan.errors.len(), 1, "{:?}", plan.errors);
        let error = &plan.errors[0];
        assert_eq!(error.address.to_string(), "123456789012/global/cur.report_definition/baseline-cost-and-usage");
        assert_eq!(error.error.kind, ErrorKind::AccessDenied);
        assert!(error.error.message.contains("may belong to another account"), "{}", error.error.message);
        assert_eq!(write.num_calls(), 0);
    }
}

/// Organizations answers in pages (20 per page for ListAWSServiceAccessForOrganization): the entry that
/// matters can be on a later page, and every page must be read.
mod organization_pages {
    use aws_sdk_organizations::operation::list_aws_service_access_for_organization::ListAwsServiceAccessForOrganizationOutput;
    use aws_sdk_organizations::operation::list_delegated_administrators::ListDelegatedAdministratorsOutput;
    use aws_sdk_organizations::types::{DelegatedAdministrator, EnabledServicePrincipal};

    use super::*;

    const MANAGEMENT: &str = "111111111111";
    const ADMIN: &str = "222222222222";

    fn organizations(rules: &[&Rule]) -> aws_sdk_organizations::Client {
        mock_client!(aws_sdk_organizations, RuleMode::MatchAny, rules)
    }

    #[tokio::test]
    async fn trusted_access_on_the_second_page_is_found() {
        let page1 = mock!(aws_sdk_organizations::Client::list_aws_service_access_for_organization)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| {
                let service = |p: &str| EnabledServicePrincipal::builder().service_principal(p).build();
                ListAwsServiceAccessForOrganizationOutput::builder()
                    .enabled_service_principals(service("config.amazonaws.com"))
                    .enabled_service_principals(service("sso.amazonaws.com"))
                    .next_token("page-2")
                    .build()
            });
        let page2 = mock!(aws_sdk_organizations::Client::list_aws_service_access_for_organization)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(|| {
                ListAwsServiceAccessForOrganizationOutput::builder()
                    .enabled_service_principals(
                        EnabledServicePrincipal::builder().service_principal("account.amazonaws.com").build(),
                    )
                    .build()
            });
        let org = organizations(&[&page1, &page2]);
        let (from_caller, notice) = baseline::fleet::account_api_access(&org, MANAGEMENT, MANAGEMENT).await;
        assert!(from_caller, "{notice:?}");
        assert_eq!(notice, None);
        assert_eq!((page1.num_calls(), page2.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn delegated_administrator_on_the_second_page_is_found() {
        let admin = |id: &str| DelegatedAdministrator::builder().id(id).build();
        let page1 = mock!(aws_sdk_organizations::Client::list_delegated_administrators)
            .match_requests(|r| r.next_token().is_none() && r.service_principal() == Some("account.amazonaws.com"))
            .then_output(move || {
                ListDelegatedAdministratorsOutput::builder()
                    .delegated_administrators(admin("333333333333"))
                    .next_token("page-2")
                    .build()
            });
        let page2 = mock!(aws_sdk_organizations::Client::list_delegated_administrators)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(move || {
                ListDelegatedAdministratorsOutput::builder().delegated_administrators(admin(ADMIN)).build()
            });
        let org = organizations(&[&page1, &page2]);
        let (from_caller, notice) = baseline::fleet::account_api_access(&org, ADMIN, MANAGEMENT).await;
        assert!(from_caller);
        assert_eq!(notice, None);
        assert_eq!(page2.num_calls(), 1);
        // Another member account is not the delegated administrator: its members' contacts go through roles.
        let (from_caller, _) = baseline::fleet::account_api_access(&org, "444444444444", MANAGEMENT).await;
        assert!(!from_caller);
    }
}
