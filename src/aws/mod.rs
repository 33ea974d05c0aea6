//! Client construction (credentials, region, endpoint from the standard AWS chain), the read-only guard and
//! error classification.

mod assume;
mod dns;
pub mod ec2;
mod error;
mod form;
pub mod guard;
mod limit;

pub use assume::AssumedRole;

pub use error::{AwsError, CredentialsFailure, ErrorKind};
pub use guard::{ApiGuard, CallCounts};

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Maps an SDK error of the call needing IAM permission `action`: `.map_err(aws::err("sns:Subscribe"))`.
pub fn err<E>(action: &'static str) -> impl FnOnce(SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    move |e| AwsError::from_sdk(action, e)
}

/// Maps an SDK builder error (a required field left unset) for the call needing IAM permission `action`.
pub fn build_error(action: &'static str) -> impl Fn(aws_smithy_types::error::operation::BuildError) -> AwsError {
    move |e| AwsError::new(action, ErrorKind::Service, None, e.to_string(), None)
}

/// How to reach AWS; anything unset comes from the standard chain (environment, profiles, SSO, IMDS),
/// including `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// At most this many AWS requests in flight at once, across every account and region of the run.
    pub max_requests: usize,
}

/// Default bound on requests in flight (`--parallelism`).
pub const DEFAULT_MAX_REQUESTS: usize = 32;

/// Attempts per call: throttling, 5xx answers, timeouts and dropped connections are retried with exponential
/// backoff and full jitter (at most 20 s between attempts), and the adaptive mode slows the client down when
/// AWS throttles. Retry behavior 2.1: the adaptive rate limiter takes one send token per attempt instead of
/// adding a 5-10 token wait to every retry's backoff, which at this tool's request rates stretched a single
/// throttled retry to the 20 s maximum (a fresh apply through 20% injected faults: 26-78 s before, 9-13 s now). Eight attempts ride out a 20% failure rate (one call in 390,000 fails all eight); the
/// standard `AWS_MAX_ATTEMPTS` variable overrides it.
const MAX_ATTEMPTS: u32 = 8;

/// [`MAX_ATTEMPTS`], or `AWS_MAX_ATTEMPTS` when it holds a positive number.
fn max_attempts() -> u32 {
    std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(MAX_ATTEMPTS)
}

/// `sdk_client!(aws_sdk_x, session, region)`: a client of any SDK crate for one region, built like every other
/// (the session's settings and connection pool, the read-only guard, the form-encoding fix, the emulator's
/// not-implemented classifier). A family that brings its own service builds its client with it (through
/// [`crate::target::RegionClients::service`]), so adding a service needs no line here.
macro_rules! sdk_client {
    ($krate:ident, $session:expr, $region:expr) => {{
        let session: &$crate::aws::Session = $session;
        let conf = $krate::config::Builder::from(session.sdk_config())
            .region(aws_config::Region::new($region.to_string()))
            .interceptor(session.guard.clone())
            .interceptor(session.form_interceptor())
            .retry_classifier(session.retry_classifier())
            .build();
        $krate::Client::from_conf(conf)
    }};
}
pub(crate) use sdk_client;

/// `fn $name(&self, region) -> $krate::Client`: a client for one region, carrying the session's guard.
macro_rules! regional_client {
    ($name:ident, $krate:ident) => {
        pub fn $name(&self, region: &str) -> $krate::Client {
            let conf = $krate::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_string()))
                .interceptor(self.guard.clone())
                .interceptor(self.plus_for_space())
                .retry_classifier(self.not_implemented())
                .build();
            $krate::Client::from_conf(conf)
        }
    };
}

/// The HTTP client of every AWS call: rustls (with ring) and the platform's root certificates, with a resolver
/// that answers names under a local endpoint itself (see `dns`). The SDK's own default client is left out of
/// the build: its crate features would add a second TLS stack (aws-lc) and a legacy hyper 0.14 one.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_with_resolver(dns::LoopbackNames)
}

/// Shared AWS configuration plus the guard every client carries.
#[derive(Debug, Clone)]
pub struct Session {
    sdk: SdkConfig,
    pub guard: ApiGuard,
    /// Calls go to an endpoint other than AWS's own; read once, used by every client built.
    custom_endpoint: bool,
}

impl Session {
    /// Loads credentials and settings. Makes no AWS call; the guard starts read-only.
    pub async fn connect(options: &ConnectOptions) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        // Bounded, so an unreachable endpoint or a silent region fails with a message instead of hanging.
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(30))
            .operation_timeout(Duration::from_secs(120))
            .build();
        let http = http_client();
        let max_requests = if options.max_requests == 0 { DEFAULT_MAX_REQUESTS } else { options.max_requests };
        let sdk = loader
            .timeout_config(timeouts)
            .retry_config(
                aws_config::retry::RetryConfig::adaptive()
                    .with_max_attempts(max_attempts())
                    .with_retry_spec(aws_smithy_types::retry::RetrySpec::v2_1()),
            )
            // One connection pool for every client of every account, behind one bound.
            .http_client(limit::Limited::new(http, max_requests))
            .load()
            .await;
        Self::from_sdk_config(sdk)
    }

    /// The same settings, guard and connection pool, acting with other credentials (a member account's role).
    pub fn with_credentials(
        &self,
        credentials: impl aws_credential_types::provider::ProvideCredentials + 'static,
    ) -> Self {
        let sdk = self
            .sdk
            .to_builder()
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(credentials))
            .build();
        Self { sdk, guard: self.guard.clone(), custom_endpoint: self.custom_endpoint }
    }

    /// A session on settings loaded elsewhere (a program using the library, the tests). Without an HTTP client
    /// of its own (the SDK's default client is not compiled in), it gets [`http_client`].
    pub fn from_sdk_config(sdk: SdkConfig) -> Self {
        let sdk = if sdk.http_client().is_none() { sdk.into_builder().http_client(http_client()).build() } else { sdk };
        let custom_endpoint = sdk.endpoint_url().is_some()
            || std::env::vars_os().any(|(k, _)| k.to_str().is_some_and(|k| k.starts_with("AWS_ENDPOINT_URL")));
        Self { sdk, guard: ApiGuard::read_only(), custom_endpoint }
    }

    /// The region of the AWS configuration (`--region`, `AWS_REGION`, profile), if any.
    pub fn default_region(&self) -> Option<String> {
        self.sdk.region().map(|r| r.to_string())
    }

    regional_client!(sts, aws_sdk_sts);
    regional_client!(sns, aws_sdk_sns);
    regional_client!(cloudtrail, aws_sdk_cloudtrail);
    regional_client!(cloudwatch, aws_sdk_cloudwatch);
    regional_client!(config, aws_sdk_config);
    regional_client!(events, aws_sdk_eventbridge);
    regional_client!(logs, aws_sdk_cloudwatchlogs);
    regional_client!(kms, aws_sdk_kms);

    /// EC2 in a region: the few calls baseline makes, without the EC2 SDK crate (see [`ec2`]).
    pub fn ec2(&self, region: &str) -> ec2::Client {
        use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
        let interceptors =
            vec![SharedInterceptor::new(self.guard.clone()), SharedInterceptor::new(self.plus_for_space())];
        let classifier =
            aws_smithy_runtime_api::client::retries::classifiers::SharedRetryClassifier::new(self.not_implemented());
        ec2::Client::new(&self.sdk, region, interceptors, classifier)
    }

    /// S3 Control in a region. It prefixes the endpoint host with the account id, also through a custom
    /// endpoint: the client's resolver answers such names under a loopback host locally (see `dns`).
    pub fn s3control(&self, region: &str) -> aws_sdk_s3control::Client {
        let conf = aws_sdk_s3control::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_string()))
            .interceptor(self.guard.clone())
            .retry_classifier(self.not_implemented())
            .build();
        aws_sdk_s3control::Client::from_conf(conf)
    }

    /// S3 in a region; path-style addressing when a custom endpoint is in use (local hosts have no DNS for
    /// `<bucket>.<host>`).
    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_string()))
            .force_path_style(self.custom_endpoint())
            .interceptor(self.guard.clone())
            .retry_classifier(self.not_implemented())
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// AWS Budgets: one endpoint per partition.
    pub fn budgets(&self, partition: &str) -> aws_sdk_budgets::Client {
        let conf = aws_sdk_budgets::config::Builder::from(&self.sdk)
            .region(Region::new(control_plane_region(partition)))
            .interceptor(self.guard.clone())
            .retry_classifier(self.not_implemented())
            .build();
        aws_sdk_budgets::Client::from_conf(conf)
    }

    /// Cost and Usage Reports: served from us-east-1 only.
    pub fn cur(&self) -> aws_sdk_costandusagereport::Client {
        let conf = aws_sdk_costandusagereport::config::Builder::from(&self.sdk)
            .region(Region::new("us-east-1"))
            .interceptor(self.guard.clone())
            .retry_classifier(self.not_implemented())
            .build();
        aws_sdk_costandusagereport::Client::from_conf(conf)
    }

    /// IAM is global, served from one region per partition.
    pub fn iam(&self, partition: &str) -> aws_sdk_iam::Client {
        let conf = aws_sdk_iam::config::Builder::from(&self.sdk)
            .region(Region::new(control_plane_region(partition)))
            .interceptor(self.guard.clone())
            .interceptor(self.plus_for_space())
            .retry_classifier(self.not_implemented())
            .build();
        aws_sdk_iam::Client::from_conf(conf)
    }

    /// Query-protocol clients write spaces in form bodies as `+` through a custom endpoint: see
    /// [`form::PlusForSpace`].
    fn plus_for_space(&self) -> form::PlusForSpace {
        form::PlusForSpace { custom_endpoint: self.custom_endpoint() }
    }

    /// The retry classifier every client carries: see [`NotImplementedHere`].
    fn not_implemented(&self) -> NotImplementedHere {
        NotImplementedHere { custom_endpoint: self.custom_endpoint() }
    }

    /// The shared settings every client is built from (see [`sdk_client`]).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    /// The request interceptor of [`form::PlusForSpace`], for [`sdk_client`].
    pub fn form_interceptor(&self) -> impl aws_smithy_runtime_api::client::interceptors::Intercept + 'static {
        self.plus_for_space()
    }

    /// The retry classifier every client carries, for [`sdk_client`].
    pub fn retry_classifier(&self) -> impl ClassifyRetry + 'static {
        self.not_implemented()
    }

    /// Whether calls go to an endpoint other than AWS's own (`--endpoint-url`, `AWS_ENDPOINT_URL[_<SERVICE>]`).
    pub fn custom_endpoint(&self) -> bool {
        self.custom_endpoint
    }

    /// AWS Organizations: one endpoint per partition.
    pub fn organizations(&self, partition: &str) -> aws_sdk_organizations::Client {
        let conf = aws_sdk_organizations::config::Builder::from(&self.sdk)
            .region(Region::new(control_plane_region(partition)))
            .interceptor(self.guard.clone())
            .retry_classifier(self.not_implemented())
            .build();
        aws_sdk_organizations::Client::from_conf(conf)
    }

    /// Account Management is a global service with one endpoint region per partition.
    pub fn account(&self, partition: &str) -> aws_sdk_account::Client {
        let conf = aws_sdk_account::config::Builder::from(&self.sdk)
            .region(Region::new(control_plane_region(partition)))
            .interceptor(self.guard.clone())
            .retry_classifier(self.not_implemented())
            .build();
        aws_sdk_account::Client::from_conf(conf)
    }
}

/// Through a custom endpoint (an emulator), a server error answered with an HTML page means the operation is
/// not implemented there: retrying cannot help, so it is not retried (AWS answers API errors in the
/// protocol's own format, so against AWS this never applies).
#[derive(Debug, Clone, Copy)]
struct NotImplementedHere {
    custom_endpoint: bool,
}

impl ClassifyRetry for NotImplementedHere {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let html_error = ctx.response().is_some_and(|r| {
            r.status().is_server_error() && r.headers().get("content-type").is_some_and(|t| t.starts_with("text/html"))
        });
        if self.custom_endpoint && html_error { RetryAction::RetryForbidden } else { RetryAction::NoActionIndicated }
    }

    fn name(&self) -> &'static str {
        "BaselineNotImplementedHere"
    }
}

/// The region that serves a partition's global control-plane APIs.
pub fn control_plane_region(partition: &str) -> &'static str {
    match partition {
        "aws-us-gov" => "us-gov-west-1",
        "aws-cn" => "cn-northwest-1",
        _ => "us-east-1",
    }
}

/// The partition of an ARN (`arn:aws:...` → `aws`).
pub fn partition_of(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next() == Some("arn")).then(|| parts.next()).flatten().filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(partition_of("arn:aws:sts::123456789012:assumed-role/x/y"), Some("aws"));
        assert_eq!(partition_of("arn:aws-us-gov:iam::123456789012:user/u"), Some("aws-us-gov"));
        assert_eq!(partition_of("not-an-arn"), None);
        assert_eq!(control_plane_region("aws-cn"), "cn-northwest-1");
        assert_eq!(control_plane_region("aws"), "us-east-1");
    }
}
