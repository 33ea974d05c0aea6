//! One error type for every AWS call: which IAM action failed, how, and what a person should do about it.

use std::error::Error as StdError;
use std::fmt;

use aws_credential_types::provider::error::{CredentialsError, TokenError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

use super::guard::WriteRefused;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    AccessDenied,
    InvalidCredentials,
    NotFound,
    /// The endpoint (an emulator, a partition) does not implement the operation.
    NotSupported,
    Throttled,
    /// The read-only guard refused a write.
    ReadOnly,
    /// A service quota would be exceeded.
    LimitExceeded,
    /// The endpoint could not be reached or did not answer in time.
    Network,
    Service,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The IAM action of the failed call, e.g. `sns:GetTopicAttributes`.
    pub action: String,
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub message: String,
    pub http_status: Option<u16>,
    /// Set when the SDK found no usable credentials before sending the call: how its credential chain failed.
    /// Boxed: every `Result<_, AwsError>` stays small.
    pub credentials: Option<Box<CredentialsFailure>>,
}

/// How the SDK's credential chain failed, as its error tells (see `target::diagnose` for the explanation a
/// person needs, which also reads the shared config files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsFailure {
    /// No source had credentials: environment, shared files, SSO, web identity, container, instance metadata.
    NotFound,
    /// STS refused the role a profile names (`role_arn`): its error code and message.
    AssumeRole { code: Option<String>, message: String },
    /// The SSO access token could not be loaded or refreshed (never logged in, or the session expired).
    SsoToken { message: String },
    /// Any other failure of a source (a broken profile, a failing `credential_process`, SSO refusing a token).
    Source { message: String },
}

impl CredentialsFailure {
    /// Reads the SDK's error. Pure: no I/O.
    pub fn of(err: &CredentialsError) -> Self {
        if let CredentialsError::CredentialsNotLoaded(_) = err {
            return Self::NotFound;
        }
        if let Some(sts) = find_source::<SdkError<AssumeRoleError, HttpResponse>>(err) {
            let message = sts.message().map(str::to_string).unwrap_or_else(|| chain(sts));
            return Self::AssumeRole { code: sts.code().map(str::to_string), message };
        }
        if let Some(token) = find_source::<TokenError>(err) {
            return Self::SsoToken { message: chain(token) };
        }
        Self::Source { message: chain(err) }
    }

    /// One line for the error's message.
    fn describe(&self) -> String {
        match self {
            Self::NotFound => "no AWS credentials found".into(),
            Self::AssumeRole { code: Some(code), message } => {
                format!("cannot assume the profile's role: {code}: {message}")
            }
            Self::AssumeRole { code: None, message } => format!("cannot assume the profile's role: {message}"),
            Self::SsoToken { message } | Self::Source { message } => message.clone(),
        }
    }
}

impl AwsError {
    pub fn is_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// Denied by a service control policy of the organization: AWS says so in the message ("... is not
    /// authorized to perform: ... with an explicit deny in a service control policy", IAM User Guide,
    /// "Troubleshoot access denied error messages"). No permission of the caller can fix it; in a region
    /// Control Tower's region deny covers, every call fails so.
    pub fn is_denied_by_scp(&self) -> bool {
        self.kind == ErrorKind::AccessDenied
            && self.message.to_ascii_lowercase().contains("explicit deny in a service control policy")
    }

    /// The error code, or the HTTP status when there is none.
    pub fn answer(&self) -> String {
        match (&self.code, self.http_status) {
            (Some(code), _) => code.clone(),
            (None, Some(status)) => format!("HTTP {status}"),
            (None, None) => "no answer".into(),
        }
    }

    /// What a person can do about it.
    pub fn hint(&self) -> String {
        match self.kind {
            ErrorKind::AccessDenied => format!(
                "the caller lacks the IAM permission `{}`: grant it to the role or user running baseline \
                 (README, \"IAM permissions\"), or check service control policies",
                self.action
            ),
            ErrorKind::InvalidCredentials => {
                "no valid AWS credentials: set them up (environment variables, --profile, `aws sso login`) or \
                 refresh expired ones"
                    .into()
            }
            ErrorKind::NotFound => "the resource does not exist (any more): run `baseline plan` again".into(),
            ErrorKind::NotSupported => {
                format!("this endpoint does not implement `{}`; run against AWS to manage this resource", self.action)
            }
            ErrorKind::Throttled => "AWS throttled the calls even after retries: run again in a minute".into(),
            ErrorKind::ReadOnly => "this is a bug in baseline: a write was attempted while planning".into(),
            ErrorKind::LimitExceeded => {
                "delete resources you no longer use, disable some under baseline.toml, or ask AWS for a higher quota"
                    .into()
            }
            ErrorKind::Network => {
                "could not reach the AWS endpoint: check the network, --region and --endpoint-url".into()
            }
            ErrorKind::Service => "see the AWS error above; run again, or `-v` for the request details".into(),
        }
    }

    /// Converts an SDK error from the call that needs IAM permission `action`.
    pub fn from_sdk<E>(action: &str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let http_status = err.raw_response().map(|r| r.status().as_u16());
        if let Some(refused) = find_source::<WriteRefused>(&err) {
            return Self::new(action, ErrorKind::ReadOnly, None, refused.to_string(), None);
        }
        if let Some(missing) = find_source::<CredentialsError>(&err) {
            let failure = CredentialsFailure::of(missing);
            let error = Self::new(action, ErrorKind::InvalidCredentials, None, failure.describe(), None);
            return Self { credentials: Some(Box::new(failure)), ..error };
        }
        let code = err.code().map(str::to_string);
        let kind = match &err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => ErrorKind::Network,
            // An emulator's error page for a service it lacks: HTML instead of an AWS error document.
            _ if code.is_none() && http_status.is_some_and(|s| s >= 500) && html_body(&err) => ErrorKind::NotSupported,
            _ => classify(code.as_deref(), http_status),
        };
        let message = match err.message() {
            Some(m) => m.to_string(),
            // An emulator's "no such route" page is not worth quoting.
            None if kind == ErrorKind::NotSupported => "the endpoint does not implement this operation".into(),
            None if kind == ErrorKind::AccessDenied => "access denied".into(),
            None => describe(&err),
        };
        Self::new(action, kind, code, message, http_status)
    }

    pub fn new(action: &str, kind: ErrorKind, code: Option<String>, message: String, http_status: Option<u16>) -> Self {
        Self { action: action.to_string(), kind, code, message, http_status, credentials: None }
    }

    #[cfg(test)]
    pub fn test(code: &str) -> Self {
        Self::new("test:Op", ErrorKind::Service, Some(code.into()), "test failure".into(), Some(400))
    }
}

fn classify(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    match code {
        Some(
            "AccessDenied"
            | "AccessDeniedException"
            | "AuthorizationError"
            | "UnauthorizedOperation"
            | "AuthorizationErrorException"
            | "Forbidden",
        ) => ErrorKind::AccessDenied,
        Some(
            "ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "SignatureDoesNotMatch"
            | "InvalidAccessKeyId",
        ) => ErrorKind::InvalidCredentials,
        Some("NotImplemented" | "InvalidAction" | "UnknownOperationException" | "UnknownOperation") => {
            ErrorKind::NotSupported
        }
        Some("LimitExceededException" | "LimitExceeded") => ErrorKind::LimitExceeded,
        Some("Throttling" | "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded") => {
            ErrorKind::Throttled
        }
        Some("NotFound" | "NotFoundException" | "ResourceNotFoundException") => ErrorKind::NotFound,
        // An unknown route on an emulator: a bare 404 (no AWS error code) or 501.
        None if matches!(status, Some(404 | 501)) => ErrorKind::NotSupported,
        Some(_) if status == Some(501) => ErrorKind::NotSupported,
        _ if status == Some(403) => ErrorKind::AccessDenied,
        _ => ErrorKind::Service,
    }
}

fn html_body<E>(err: &SdkError<E, HttpResponse>) -> bool {
    let body = err.raw_response().and_then(|r| r.body().bytes()).unwrap_or_default();
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    text.contains("<html") || text.contains("<!doctype html") || text.trim_start().starts_with("<p>")
}

fn find_source<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// Every message of an error chain, outermost first, joined by `: `; the credential and token providers'
/// generic wrappers ("an error occurred while loading credentials") are left out.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let wrapper = e.downcast_ref::<CredentialsError>().is_some() || e.downcast_ref::<TokenError>().is_some();
        let text = e.to_string();
        if (!wrapper || e.source().is_none()) && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// The innermost message of an error chain, for errors that carry no AWS message.
fn describe(err: &(dyn StdError + 'static)) -> String {
    let mut last = err.to_string();
    let mut current = err.source();
    while let Some(e) = current {
        last = e.to_string();
        current = e.source();
    }
    last
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.action)?;
        if self.code.is_some() || self.http_status.is_some() {
            write!(f, ": {}", self.answer())?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl StdError for AwsError {}

impl Serialize for AwsError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("AwsError", 6)?;
        out.serialize_field("action", &self.action)?;
        out.serialize_field("kind", &self.kind)?;
        out.serialize_field("code", &self.code)?;
        out.serialize_field("message", &self.message)?;
        out.serialize_field("http_status", &self.http_status)?;
        out.serialize_field("hint", &self.hint())?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        let cases = [
            (Some("AccessDenied"), Some(403), ErrorKind::AccessDenied),
            (Some("AuthorizationError"), Some(403), ErrorKind::AccessDenied),
            (None, Some(403), ErrorKind::AccessDenied),
            (Some("ExpiredToken"), Some(400), ErrorKind::InvalidCredentials),
            (Some("UnrecognizedClientException"), Some(400), ErrorKind::InvalidCredentials),
            (None, Some(404), ErrorKind::NotSupported),
            (None, Some(501), ErrorKind::NotSupported),
            (Some("InvalidAction"), Some(400), ErrorKind::NotSupported),
            (Some("NotFound"), Some(404), ErrorKind::NotFound),
            (Some("ResourceNotFoundException"), Some(404), ErrorKind::NotFound),
            (Some("NoSuchBucket"), Some(404), ErrorKind::Service),
            (Some("ThrottlingException"), Some(400), ErrorKind::Throttled),
            (Some("InternalFailure"), Some(500), ErrorKind::Service),
        ];
        for (code, status, kind) in cases {
            assert_eq!(classify(code, status), kind, "{code:?} {status:?}");
        }
    }

    #[test]
    fn the_credential_chains_failure_is_read_from_its_error() {
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;

        assert_eq!(CredentialsFailure::of(&CredentialsError::not_loaded("no source")), CredentialsFailure::NotFound);
        let denied =
            AssumeRoleError::generic(ErrorMetadata::builder().code("AccessDenied").message("not authorized").build());
        let response = HttpResponse::new(403.try_into().unwrap(), SdkBody::empty());
        let sts: SdkError<AssumeRoleError, HttpResponse> = SdkError::service_error(denied, response);
        assert_eq!(
            CredentialsFailure::of(&CredentialsError::provider_error(sts)),
            CredentialsFailure::AssumeRole { code: Some("AccessDenied".into()), message: "not authorized".into() }
        );
        let token = TokenError::provider_error("the SSO token has expired and cannot be refreshed");
        assert_eq!(
            CredentialsFailure::of(&CredentialsError::provider_error(token)),
            CredentialsFailure::SsoToken { message: "the SSO token has expired and cannot be refreshed".into() }
        );
        let other = CredentialsError::invalid_configuration(
            "ProfileFile provider could not be built: `sso_region` was missing",
        );
        assert_eq!(
            CredentialsFailure::of(&other),
            CredentialsFailure::Source {
                message: "ProfileFile provider could not be built: `sso_region` was missing".into()
            }
        );
    }

    #[test]
    fn access_denied_hint_names_the_permission() {
        let e = AwsError::new(
            "account:GetAlternateContact",
            ErrorKind::AccessDenied,
            Some("AccessDeniedException".into()),
            "User is not authorized".into(),
            Some(403),
        );
        assert!(e.hint().contains("`account:GetAlternateContact`"));
        assert!(!e.is_denied_by_scp(), "an implicit deny: a permission can fix it");
        let scp = AwsError::new(
            "config:DescribeConfigRules",
            ErrorKind::AccessDenied,
            Some("AccessDeniedException".into()),
            "User: arn:aws:sts::123456789012:assumed-role/Admin/me is not authorized to perform: \
             config:DescribeConfigRules with an explicit deny in a service control policy"
                .into(),
            Some(400),
        );
        assert!(scp.is_denied_by_scp());
        assert_eq!(e.to_string(), "account:GetAlternateContact failed: AccessDeniedException: User is not authorized");
    }
}
