//! IAM hygiene and budgets against the emulator: created, drift made by hand is repaired, undeclared
//! attachments are reported but kept, and root MFA is a manual action.

use aws_sdk_budgets::types::{ComparisonOperator, Notification, NotificationType, ThresholdType};
use baseline::engine::Action;
use baseline::resources::{Plan, ResourceChange};

use crate::drift::{apply, plan};
use crate::harness::*;

fn change<'a>(plan: &'a Plan, address: &str) -> &'a ResourceChange {
    plan.changes
        .iter()
        .find(|c| c.address.to_string() == format!("123456789012/global/{address}"))
        .unwrap_or_else(|| panic!("no change for {address}"))
}

#[tokio::test]
async fn hygiene_and_budget_drift_is_repaired() {
    let moto = Moto::start();
    let desired = desired(&shipped_config());
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let sdk = moto.sdk_config("test", "test").await;
    let iam = aws_sdk_iam::Client::new(&sdk);
    let budgets = aws_sdk_budgets::Client::new(&sdk);

    // Checked independently.
    let policy = iam.get_account_password_policy().send().await.unwrap();
    let policy = policy.password_policy().unwrap();
    assert_eq!(policy.minimum_password_length(), Some(14));
    assert_eq!(policy.password_reuse_prevention(), Some(24));
    assert_eq!(policy.max_password_age(), Some(90));
    assert!(policy.require_symbols() && policy.require_numbers());
    let attached = iam.list_attached_role_policies().role_name("baseline-support").send().await.unwrap();
    assert_eq!(attached.attached_policies()[0].policy_name(), Some("AWSSupportAccess"));
    let notifications = budgets
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("monthly-total-cost")
        .send()
        .await
        .unwrap();
    assert_eq!(notifications.notifications().len(), 3, "forecasted 100, actual 80 and 100");

    let (converged, _) = plan(&moto, &desired).await;
    assert!(!converged.has_pending());
    assert_eq!(change(&converged, "iam.root_user/mfa").action, Action::Manual, "the emulated root has no MFA");

    // Drift by hand: password policy weakened, a declared policy detached, a foreign policy attached, a budget
    // notification deleted.
    iam.update_account_password_policy().minimum_password_length(8).send().await.unwrap();
    iam.detach_group_policy()
        .group_name("security-auditors")
        .policy_arn("arn:aws:iam::aws:policy/SecurityAudit")
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name("billing-admins")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let actual_80 = Notification::builder()
        .notification_type(NotificationType::Actual)
        .comparison_operator(ComparisonOperator::GreaterThan)
        .threshold(80.0)
        .threshold_type(ThresholdType::Percentage)
        .build()
        .unwrap();
    budgets
        .delete_notification()
        .account_id(ACCOUNT)
        .budget_name("monthly-total-cost")
        .notification(actual_80)
        .send()
        .await
        .unwrap();

    let (drifted, _) = plan(&moto, &desired).await;
    let password = change(&drifted, "iam.password_policy/account");
    assert_eq!(password.action, Action::Update);
    assert!(password.attributes.iter().any(|a| a.name == "minimum_password_length"
        && a.before.as_deref() == Some("8")
        && a.after.as_deref() == Some("14")));
    let auditors = change(&drifted, "iam.group_policy_attachments/security-auditors");
    assert_eq!(auditors.action, Action::Update);
    assert_eq!(auditors.attributes[0].after.as_deref(), Some("arn:aws:iam::aws:policy/SecurityAudit"));
    assert_eq!(change(&drifted, "budgets.notification/monthly-total-cost/actual-80").action, Action::Create);
    let foreign = drifted
        .notices
        .iter()
        .find(|n| n.address.to_string() == "123456789012/global/iam.group_policy_attachments/billing-admins")
        .expect("undeclared attachment reported");
    assert!(foreign.message.contains("arn:aws:iam::aws:policy/ReadOnlyAccess"));
    assert_eq!(
        drifted.pending().count(),
        3,
        "{:?}",
        drifted.pending().map(|c| c.address.to_string()).collect::<Vec<_>>()
    );

    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (repaired, counts) = plan(&moto, &desired).await;
    assert!(!repaired.has_pending());
    assert_eq!(counts.writes, 0);
    let kept = iam.list_attached_group_policies().group_name("billing-admins").send().await.unwrap();
    assert_eq!(kept.attached_policies().len(), 2, "not exclusive: the foreign attachment stays");
}

/// A budget notification is identified by its type, comparison operator, threshold and threshold type (AWS
/// Budgets API reference, Notification). Someone else's ACTUAL notifications at 80 of other shapes (LESS_THAN
/// 80 %, GREATER_THAN 80 USD) are not the baseline's ACTUAL > 80 %: that one is created beside them, and they
/// are kept as they are.
#[tokio::test]
async fn foreign_notifications_of_the_same_number_survive_and_the_baselines_is_created() {
    use aws_sdk_budgets::types::{
        Budget, BudgetType, NotificationWithSubscribers, Spend, Subscriber, SubscriptionType, TimeUnit,
    };
    let moto = Moto::start();
    let budgets = aws_sdk_budgets::Client::new(&moto.sdk_config("test", "test").await);
    let notification = |kind: NotificationType, comparison: ComparisonOperator, threshold: f64, unit: ThresholdType| {
        Notification::builder()
            .notification_type(kind)
            .comparison_operator(comparison)
            .threshold(threshold)
            .threshold_type(unit)
            .build()
            .unwrap()
    };
    let ours =
        notification(NotificationType::Forecasted, ComparisonOperator::GreaterThan, 100.0, ThresholdType::Percentage);
    let below = notification(NotificationType::Actual, ComparisonOperator::LessThan, 80.0, ThresholdType::Percentage);
    let absolute =
        notification(NotificationType::Actual, ComparisonOperator::GreaterThan, 80.0, ThresholdType::AbsoluteValue);
    let ops =
        Subscriber::builder().subscription_type(SubscriptionType::Email).address("ops@example.com").build().unwrap();
    let with_ops = |n: &Notification| {
        NotificationWithSubscribers::builder().notification(n.clone()).subscribers(ops.clone()).build().unwrap()
    };
    budgets
        .create_budget()
        .account_id(ACCOUNT)
        .budget(
            Budget::builder()
                .budget_name("monthly")
                .budget_limit(Spend::builder().amount("1000").unit("USD").build().unwrap())
                .time_unit(TimeUnit::Monthly)
                .budget_type(BudgetType::Cost)
                .build()
                .unwrap(),
        )
        .notifications_with_subscribers(with_ops(&ours))
        .notifications_with_subscribers(with_ops(&below))
        .notifications_with_subscribers(with_ops(&absolute))
        .send()
        .await
        .unwrap();
    let desired = desired(
        r#"
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
"#,
    );

    let (planned, counts) = plan(&moto, &desired).await;
    assert_eq!(counts.writes, 0);
    let budget_changes: Vec<(String, Action)> = planned
        .pending()
        .filter(|c| c.address.kind.starts_with("budgets."))
        .map(|c| (c.address.to_string(), c.action))
        .collect();
    assert_eq!(
        budget_changes,
        vec![("123456789012/global/budgets.notification/monthly/actual-80".to_string(), Action::Create)]
    );

    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let listed =
        budgets.describe_notifications_for_budget().account_id(ACCOUNT).budget_name("monthly").send().await.unwrap();
    let listed = listed.notifications();
    let baselines =
        notification(NotificationType::Actual, ComparisonOperator::GreaterThan, 80.0, ThresholdType::Percentage);
    for n in [&ours, &below, &absolute, &baselines] {
        assert_eq!(listed.iter().filter(|l| *l == n).count(), 1, "{n:?} once in {listed:?}");
    }
    assert_eq!(listed.len(), 4, "{listed:?}");

    let (converged, _) = plan(&moto, &desired).await;
    assert!(!converged.has_pending(), "{:?}", converged.pending().map(|c| c.address.to_string()).collect::<Vec<_>>());
}

/// The support role's trust policy, its AWSSupportAccess attachment and its description changed together: one
/// change names all three and one apply repairs them. A group moved to another path is named with its path.
#[tokio::test]
async fn support_role_drift_is_repaired_by_one_apply_and_a_moved_group_is_reported() {
    use baseline::resources::iam_hygiene::SUPPORT_ROLE_DESCRIPTION;
    let moto = Moto::start();
    let desired = desired(&shipped_config());
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let iam = aws_sdk_iam::Client::new(&moto.sdk_config("test", "test").await);

    let other = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"sts:AssumeRole"}]}"#;
    let role = "baseline-support";
    iam.update_assume_role_policy().role_name(role).policy_document(other).send().await.unwrap();
    let support = "arn:aws:iam::aws:policy/AWSSupportAccess";
    iam.detach_role_policy().role_name(role).policy_arn(support).send().await.unwrap();
    iam.update_role().role_name(role).description("edited").send().await.unwrap();

    let (drifted, _) = plan(&moto, &desired).await;
    let repair = change(&drifted, &format!("iam.role/{role}"));
    let names: Vec<&str> = repair.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["assume_role_policy", "managed_policies", "description"]);
    assert_eq!(drifted.pending().count(), 1);
    let (report, _) = apply(&moto, &desired).await;
    assert!(report.succeeded(), "{report:?}");
    let (repaired, counts) = plan(&moto, &desired).await;
    assert!(!repaired.has_pending(), "{:?}", repaired.pending().map(|c| c.address.to_string()).collect::<Vec<_>>());
    assert_eq!(counts.writes, 0);
    let got = iam.get_role().role_name(role).send().await.unwrap();
    assert_eq!(got.role().unwrap().description(), Some(SUPPORT_ROLE_DESCRIPTION));

    // The emulator moves a group only together with a rename (its UpdateGroup ignores NewPath alone), so the
    // group is moved by renaming it there and back; the repair itself is pinned with a mocked client below.
    let group = "security-auditors";
    iam.update_group().group_name(group).new_group_name("tmp").new_path("/elsewhere/").send().await.unwrap();
    iam.update_group().group_name("tmp").new_group_name(group).send().await.unwrap();
    let (moved, _) = plan(&moto, &desired).await;
    let moved_group = change(&moved, &format!("iam.group/{group}"));
    assert_eq!(moved_group.action, Action::Update);
    let path = &moved_group.attributes[0];
    assert_eq!(
        (path.name.as_str(), path.before.as_deref(), path.after.as_deref()),
        ("path", Some("/elsewhere/"), Some("/baseline/"))
    );
    assert_eq!(moved.pending().count(), 1, "its policies are still read by name");
}

/// A group moved to another path is moved back with UpdateGroup `NewPath` ("Updates the name and/or the path
/// of the specified IAM group", IAM API reference, UpdateGroup), which the emulator ignores without a new name:
/// here IAM is a mocked client answering as AWS does.
#[tokio::test]
async fn a_moved_group_is_moved_back_with_update_group() {
    use aws_sdk_iam::operation::list_attached_group_policies::ListAttachedGroupPoliciesOutput;
    use aws_sdk_iam::operation::list_groups::ListGroupsOutput;
    use aws_sdk_iam::operation::update_group::UpdateGroupOutput;
    use aws_sdk_iam::types::{AttachedPolicy, Group};
    use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, mock};
    use baseline::aws::ApiGuard;
    use baseline::engine::NullSink;

    let listed = |path: &'static str| {
        mock!(aws_sdk_iam::Client::list_groups).then_output(move || {
            let group = Group::builder()
                .path(path)
                .group_name("auditors")
                .group_id("AGPAEXAMPLE")
                .arn(format!("arn:aws:iam::123456789012:group{path}auditors"))
                .create_date(aws_smithy_types::DateTime::from_secs(0))
                .build()
                .unwrap();
            ListGroupsOutput::builder().groups(group).build().unwrap()
        })
    };
    let attached = mock!(aws_sdk_iam::Client::list_attached_group_policies).then_output(|| {
        let audit = AttachedPolicy::builder().policy_arn("arn:aws:iam::aws:policy/SecurityAudit").build();
        ListAttachedGroupPoliciesOutput::builder().attached_policies(audit).build()
    });
    let update = mock!(aws_sdk_iam::Client::update_group)
        .match_requests(|r| {
            r.group_name() == Some("auditors") && r.new_path() == Some("/baseline/") && r.new_group_name().is_none()
        })
        .then_output(|| UpdateGroupOutput::builder().build());
    let desired = desired(
        "[s3]\naccount_public_access_block = false\n[iam]\nroot_checks = false\n[[iam.groups]]\nname = \"auditors\"\n\
         path = \"/baseline/\"\npolicies = [\"arn:aws:iam::aws:policy/SecurityAudit\"]\n",
    );
    // `mock_client!` needs the SDK's test-util feature, which aws-sdk-iam is built without: the same client,
    // assembled by hand.
    let mocked = |rules: &[&Rule], guard: &ApiGuard| {
        let interceptor =
            rules.iter().fold(MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny), |i, r| i.with_rule(r));
        let conf = aws_sdk_iam::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_iam::config::Credentials::new("test", "test", None, None, "test"))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(interceptor)
            .interceptor(guard.clone())
            .build();
        baseline::Target { iam: aws_sdk_iam::Client::from_conf(conf), ..crate::mocked::idle_target() }
    };
    let guard = ApiGuard::read_only();
    let moved = listed("/elsewhere/");
    let target = mocked(&[&moved, &attached, &update], &guard);

    let planned = baseline::plan(&desired, &target).await;
    let pending: Vec<&ResourceChange> = planned.pending().collect();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].address.to_string(), "123456789012/global/iam.group/auditors");
    guard.allow_writes();
    let report = baseline::apply(&planned, &target, &NullSink).await;
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(update.num_calls(), 1, "UpdateGroup with NewPath only (matched above)");

    let back = listed("/baseline/");
    let target = mocked(&[&back, &attached], &ApiGuard::read_only());
    assert!(!baseline::plan(&desired, &target).await.has_pending());
}

/// CIS asks that people sign in through a central identity provider: the plan says which one the account has
/// (read from IAM: SAML providers, IAM Identity Center's roles), or what to do when it has none.
#[tokio::test]
async fn how_people_sign_in_is_a_status_line() {
    let moto = Moto::start();
    let desired = desired(&shipped_config());
    let status = |plan: &baseline::resources::Plan| {
        let notice = plan.notices.iter().find(|n| n.address.kind == "iam.identity_provider").expect("a status line");
        notice.message.clone()
    };
    let (none, counts) = plan(&moto, &desired).await;
    assert_eq!(counts.writes, 0);
    assert!(status(&none).starts_with("no SAML provider and no IAM Identity Center role"), "{}", status(&none));

    let iam = aws_sdk_iam::Client::new(&moto.sdk_config("test", "test").await);
    let metadata =
        format!("<EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"{}\"/>", "x".repeat(8));
    iam.create_saml_provider().name("corporate-idp").saml_metadata_document(metadata).send().await.unwrap();
    let (saml, _) = plan(&moto, &desired).await;
    assert!(status(&saml).contains("1 SAML provider(s)"), "{}", status(&saml));

    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/AWSSSO_x_DO_NOT_DELETE"},"Action":"sts:AssumeRoleWithSAML"}]}"#;
    iam.create_role()
        .role_name("AWSReservedSSO_AdministratorAccess_0123456789abcdef")
        .path("/aws-reserved/sso.amazonaws.com/")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let (sso, _) = plan(&moto, &desired).await;
    assert!(status(&sso).contains("IAM Identity Center"), "{}", status(&sso));
}
