//! IAM Access Analyzer, which the emulator lacks (against it the family says "not supported by this endpoint"
//! once, see `cli`), with mocked clients answering as the Access Analyzer API Reference documents: an account
//! without an analyzer gets baseline's; an active analyzer of someone else's is adopted and its active findings
//! are counted in the status section; one of baseline's name that failed is reported with its reason; the
//! organization analyzer in organization runs.

use aws_sdk_accessanalyzer::operation::create_analyzer::CreateAnalyzerOutput;
use aws_sdk_accessanalyzer::operation::list_analyzers::ListAnalyzersOutput;
use aws_sdk_accessanalyzer::operation::list_findings_v2::ListFindingsV2Output;
use aws_sdk_accessanalyzer::types::{
    AnalyzerStatus, AnalyzerSummary, FindingStatus, FindingSummaryV2, ReasonCode, StatusReason, Type,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use baseline::engine::{Action, NoticeLevel, NullSink};
use baseline::resources::{Operation, access_analyzer};

use crate::harness::*;

const BASELINE: &str = "[baseline]\nhome_region = \"us-east-1\"\n[s3]\naccount_public_access_block = false\n\
                        [access_analyzer]\n";

fn analyzer(name: &str, kind: Type, status: AnalyzerStatus) -> AnalyzerSummary {
    AnalyzerSummary::builder()
        .arn(format!("arn:aws:access-analyzer:{REGION}:{ACCOUNT}:analyzer/{name}"))
        .name(name)
        .r#type(kind)
        .created_at(DateTime::from_secs(0))
        .status(status)
        .build()
        .unwrap()
}

/// ListAnalyzers answering `analyzers` for `kind`.
fn list(kind: Type, analyzers: Vec<AnalyzerSummary>) -> Rule {
    let wanted = kind.clone();
    mock!(aws_sdk_accessanalyzer::Client::list_analyzers)
        .match_requests(move |r| r.r#type() == Some(&wanted))
        .then_output(move || ListAnalyzersOutput::builder().set_analyzers(Some(analyzers.clone())).build().unwrap())
}

fn finding(id: &str) -> FindingSummaryV2 {
    FindingSummaryV2::builder()
        .id(id)
        .analyzed_at(DateTime::from_secs(0))
        .created_at(DateTime::from_secs(0))
        .updated_at(DateTime::from_secs(0))
        .resource_type("AWS::S3::Bucket".parse().unwrap())
        .resource_owner_account(ACCOUNT)
        .status(FindingStatus::Active)
        .build()
        .unwrap()
}

fn target(rules: &[&Rule], management: Option<&str>) -> baseline::Target {
    let accessanalyzer = mock_client!(aws_sdk_accessanalyzer, RuleMode::MatchAny, rules);
    let region = crate::mocked::idle_region(REGION).with(accessanalyzer);
    baseline::Target {
        regions: vec![region],
        management_account: management.map(str::to_string),
        ..crate::mocked::idle_target()
    }
}

#[tokio::test]
async fn an_account_without_an_analyzer_gets_one_and_an_active_one_is_adopted_with_its_findings_counted() {
    let none = list(Type::Account, Vec::new());
    let create = mock!(aws_sdk_accessanalyzer::Client::create_analyzer)
        .match_requests(|r| {
            r.analyzer_name() == Some("baseline-access-analyzer")
                && r.r#type() == Some(&Type::Account)
                && r.tags().and_then(|t| t.get("managed-by")).map(String::as_str) == Some("baseline")
        })
        .then_output(|| CreateAnalyzerOutput::builder().arn("arn").build());
    let target = target(&[&none, &create], None);
    let desired = desired(BASELINE);
    let plan = access_analyzer::plan(&desired, &target).await;
    let change = plan.pending().next().expect("a create");
    assert_eq!(
        change.address.to_string(),
        format!("{ACCOUNT}/{REGION}/accessanalyzer.analyzer/baseline-access-analyzer")
    );
    assert_eq!(change.action, Action::Create);
    let Some(Operation::AccessAnalyzer(op)) = &change.operation else { panic!("{change:?}") };
    assert_eq!(create.num_calls(), 0, "plan does not write");
    access_analyzer::execute(&target, op, &change.address, &NullSink).await.unwrap();
    assert_eq!(create.num_calls(), 1, "an ACCOUNT analyzer of baseline's name, tagged (matched above)");

    // The console's analyzer, active, with three active findings over two pages: adopted and counted.
    let console = list(Type::Account, vec![analyzer("ConsoleAnalyzer-1", Type::Account, AnalyzerStatus::Active)]);
    let first = mock!(aws_sdk_accessanalyzer::Client::list_findings_v2)
        .match_requests(|r| {
            r.next_token().is_none() && r.analyzer_arn().is_some_and(|a| a.ends_with("/ConsoleAnalyzer-1"))
        })
        .then_output(|| {
            ListFindingsV2Output::builder()
                .findings(finding("a"))
                .findings(finding("b"))
                .next_token("2")
                .build()
                .unwrap()
        });
    let second = mock!(aws_sdk_accessanalyzer::Client::list_findings_v2)
        .match_requests(|r| r.next_token() == Some("2"))
        .then_output(|| ListFindingsV2Output::builder().findings(finding("c")).build().unwrap());
    let target = self::target(&[&console, &first, &second], None);
    let plan = access_analyzer::plan(&desired, &target).await;
    assert_eq!(plan.pending().count(), 0, "adopted");
    let notice = plan.notices.iter().find(|n| n.address.kind == access_analyzer::ANALYZER).unwrap();
    assert_eq!(notice.level, NoticeLevel::Info);
    assert!(notice.message.starts_with("3 active finding(s)"), "{}", notice.message);
    assert_eq!(notice.address.name, "ConsoleAnalyzer-1");
}

#[tokio::test]
async fn a_failed_analyzer_of_baselines_name_is_reported_with_its_reason() {
    let failed = AnalyzerSummary::builder()
        .arn(format!("arn:aws:access-analyzer:{REGION}:{ACCOUNT}:analyzer/baseline-access-analyzer"))
        .name("baseline-access-analyzer")
        .r#type(Type::Account)
        .created_at(DateTime::from_secs(0))
        .status(AnalyzerStatus::Failed)
        .status_reason(StatusReason::builder().code(ReasonCode::ServiceLinkedRoleCreationFailed).build().unwrap())
        .build()
        .unwrap();
    let listed = list(Type::Account, vec![failed]);
    let plan = access_analyzer::plan(&desired(BASELINE), &target(&[&listed], None)).await;
    let change = plan.changes.iter().find(|c| c.action == Action::Manual).expect("a manual action");
    assert!(change.reason.contains("FAILED (SERVICE_LINKED_ROLE_CREATION_FAILED)"), "{}", change.reason);
}

/// In an organization run the account named `organization_analyzer_account` keeps an organization analyzer
/// besides its own; other accounts keep their own only.
#[tokio::test]
async fn the_organization_analyzer_lives_in_the_account_named_for_it() {
    let own = list(Type::Account, vec![analyzer("mine", Type::Account, AnalyzerStatus::Active)]);
    let organization = list(Type::Organization, Vec::new());
    let findings = mock!(aws_sdk_accessanalyzer::Client::list_findings_v2)
        .then_output(|| ListFindingsV2Output::builder().set_findings(Some(Vec::new())).build().unwrap());
    let config = format!("{BASELINE}organization_analyzer_account = \"{ACCOUNT}\"\n[accounts]\norganization = true\n");
    let desired = desired(&config);
    let plan = access_analyzer::plan(&desired, &target(&[&own, &organization, &findings], Some("111111111111"))).await;
    let pending: Vec<String> = plan.pending().map(|c| c.address.name.clone()).collect();
    assert_eq!(pending, ["baseline-access-analyzer-organization"]);
    let change = plan.pending().next().unwrap();
    assert!(change.attributes.iter().any(|a| a.name == "type" && a.after.as_deref() == Some("ORGANIZATION")));
    assert!(plan.notices.iter().all(|n| n.level != NoticeLevel::Info), "no finding, nothing to count");

    // A member account: its own analyzer only.
    let other = desired.clone();
    let member = target(&[&own, &findings], Some("111111111111"));
    let member = baseline::Target {
        scope: baseline::Scope { account_id: "444444444444".into(), ..member.scope.clone() },
        ..member
    };
    assert_eq!(access_analyzer::plan(&other, &member).await.pending().count(), 0);
}
