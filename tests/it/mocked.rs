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
use baseline::engine::{Action, AttributeChange, NoticeLevel, NullSink};
use baseline::{Scope, Target};

use crate::harness::desired;

const PRIMARY: &str = r#"
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

fn target(rules: &[&Rule], guard: &ApiGuard) -> Target {
    let guard = guard.clone();
    let account = mock_client!(aws_sdk_account, RuleMode::MatchAny, rules, |b| b.interceptor(guard.clone()));
    let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, &[]);
    let scope = Scope { account_id: "123456789012".into(), partition: "aws".into(), home_region: "us-east-1".into() };
    Target { scope, sns, account }
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
        "not supported by this endpoint (account:GetContactInformation answered HTTP 404); not checked"
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
