//! The few EC2 calls baseline makes, spoken in the EC2 Query protocol through the SDK's own orchestrator: the
//! same SigV4 signing, credentials, retries, timeouts, guard and connection pool as every SDK client, without
//! the EC2 SDK crate, whose ~600 operations cost a quarter of a cold release build for these few.
//!
//! EC2 Query: `POST /` with a form body `Action=...&Version=2016-11-15&...`; answers are XML, errors
//! `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`
//! (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html>,
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html>).

use std::borrow::Cow;

use aws_config::SdkConfig;
use aws_runtime::auth::SigV4OperationSigningConfig;
use aws_runtime::auth::sigv4::{SCHEME_ID, SigV4AuthScheme};
use aws_runtime::retries::classifiers::AwsErrorCodeClassifier;
use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime::client::retries::classifiers::{HttpStatusCodeClassifier, TransientErrorClassifier};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::auth::static_resolver::StaticAuthSchemeOptionResolver;
use aws_smithy_runtime_api::client::auth::{
    AuthSchemeOptionResolverParams, SharedAuthScheme, SharedAuthSchemeOptionResolver,
};
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::identity::SharedIdentityResolver;
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, OrchestratorError};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::retries::classifiers::SharedRetryClassifier;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
use aws_smithy_runtime_api::client::runtime_plugin::StaticRuntimePlugin;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::Layer;
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_xml::decode::{Document, ScopedDecoder, try_data};
use aws_types::SigningName;
use aws_types::region::SigningRegion;

/// The API version every request names.
const VERSION: &str = "2016-11-15";

/// An EC2 error answer (or an answer that could not be read), with the metadata the SDK's errors carry.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.meta.message().unwrap_or("EC2 error"))]
pub struct Ec2Error {
    meta: ErrorMetadata,
}

impl ProvideErrorMetadata for Ec2Error {
    fn meta(&self) -> &ErrorMetadata {
        &self.meta
    }
}

/// One region of `DescribeRegions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionInfo {
    pub name: String,
    /// `opt-in-not-required`, `opted-in` or `not-opted-in`.
    pub opt_in_status: Option<String>,
}

/// EC2 in one region, with the session's settings and interceptors.
#[derive(Debug, Clone)]
pub struct Client {
    sdk: SdkConfig,
    region: String,
    interceptors: Vec<SharedInterceptor>,
    classifier: SharedRetryClassifier,
}

impl Client {
    pub(crate) fn new(
        sdk: &SdkConfig,
        region: &str,
        interceptors: Vec<SharedInterceptor>,
        classifier: SharedRetryClassifier,
    ) -> Self {
        Self { sdk: sdk.clone(), region: region.to_string(), interceptors, classifier }
    }

    /// Every region of the partition, with its opt-in status (`DescribeRegions`, `AllRegions=true`).
    pub async fn describe_regions(&self) -> Result<Vec<RegionInfo>, SdkError<Ec2Error, HttpResponse>> {
        self.call("DescribeRegions", &[("AllRegions", "true")], parse_regions).await
    }

    /// Whether new EBS volumes in this region are encrypted by default (`GetEbsEncryptionByDefault`).
    pub async fn ebs_encryption_by_default(&self) -> Result<bool, SdkError<Ec2Error, HttpResponse>> {
        self.call("GetEbsEncryptionByDefault", &[], |body| parse_flag(body, "ebsEncryptionByDefault")).await
    }

    /// Turns EBS encryption by default on in this region (`EnableEbsEncryptionByDefault`); answers the new
    /// state.
    pub async fn enable_ebs_encryption_by_default(&self) -> Result<bool, SdkError<Ec2Error, HttpResponse>> {
        self.call("EnableEbsEncryptionByDefault", &[], |body| parse_flag(body, "ebsEncryptionByDefault")).await
    }

    /// Sends one signed Query request; a 2xx answer is read by `parse`, an error answer becomes the SDK's
    /// error (callers map it with [`crate::aws::err`] and the IAM action, as for every SDK client).
    async fn call<O>(
        &self,
        action: &'static str,
        params: &[(&str, &str)],
        parse: fn(&str) -> Result<O, String>,
    ) -> Result<O, SdkError<Ec2Error, HttpResponse>>
    where
        O: std::fmt::Debug + Send + Sync + 'static,
    {
        self.operation(action, parse).invoke(form_body(action, params)).await
    }

    fn operation<O>(&self, action: &'static str, parse: fn(&str) -> Result<O, String>) -> Operation<String, O, Ec2Error>
    where
        O: std::fmt::Debug + Send + Sync + 'static,
    {
        let mut builder = Operation::builder()
            .service_name("EC2")
            .operation_name(action)
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&endpoint(&self.sdk, &self.region))
            .standard_retry(
                &self.sdk.retry_config().cloned().unwrap_or_else(aws_smithy_types::retry::RetryConfig::standard),
            )
            .timeout_config(
                self.sdk.timeout_config().cloned().unwrap_or_else(aws_smithy_types::timeout::TimeoutConfig::disabled),
            )
            .retry_classifier(AwsErrorCodeClassifier::<Ec2Error>::new())
            .retry_classifier(TransientErrorClassifier::<Ec2Error>::new())
            .retry_classifier(HttpStatusCodeClassifier::default())
            .retry_classifier(self.classifier.clone())
            .runtime_plugin(self.signing())
            .serializer(|form: String| {
                let mut request = HttpRequest::new(SdkBody::from(form.clone()));
                request.set_method("POST").map_err(BoxError::from)?;
                request.set_uri("/").map_err(BoxError::from)?;
                request.headers_mut().insert("content-type", "application/x-www-form-urlencoded");
                request.headers_mut().insert("content-length", form.len().to_string());
                Ok(request)
            })
            .deserializer(move |response: &HttpResponse| deserialize(response, parse));
        if let Some(http) = self.sdk.http_client() {
            builder = builder.http_client(http);
        }
        if let Some(sleep) = self.sdk.sleep_impl() {
            builder = builder.sleep_impl(sleep);
        }
        if let Some(time) = self.sdk.time_source() {
            builder = builder.time_source(time);
        }
        for interceptor in &self.interceptors {
            builder = builder.interceptor(interceptor.clone());
        }
        builder.build()
    }

    /// SigV4 for `ec2` in the client's region, with the session's credentials and identity cache.
    fn signing(&self) -> StaticRuntimePlugin {
        let mut config = Layer::new("ec2-signing");
        config.store_put(AuthSchemeOptionResolverParams::new(()));
        config.store_put(SigV4OperationSigningConfig {
            region: Some(SigningRegion::from(aws_config::Region::new(self.region.clone()))),
            name: Some(SigningName::from_static("ec2")),
            ..Default::default()
        });
        let mut components = RuntimeComponentsBuilder::new("ec2-signing")
            .with_auth_scheme_option_resolver(Some(SharedAuthSchemeOptionResolver::new(
                StaticAuthSchemeOptionResolver::new(vec![SCHEME_ID]),
            )))
            .with_auth_scheme(SharedAuthScheme::new(SigV4AuthScheme::new()));
        if let Some(credentials) = self.sdk.credentials_provider() {
            components = components.with_identity_resolver(SCHEME_ID, SharedIdentityResolver::new(credentials));
        }
        if let Some(cache) = self.sdk.identity_cache() {
            components = components.with_identity_cache(Some(cache));
        }
        StaticRuntimePlugin::new().with_config(config.freeze()).with_runtime_components(components)
    }
}

/// `Action=...&Version=...&k=v...`; the values here are plain words, nothing to escape.
fn form_body(action: &str, params: &[(&str, &str)]) -> String {
    let mut body = format!("Action={action}&Version={VERSION}");
    for (k, v) in params {
        body.push_str(&format!("&{k}={v}"));
    }
    body
}

/// The endpoint: `AWS_ENDPOINT_URL_EC2`, else the session's endpoint URL (`--endpoint-url`, `AWS_ENDPOINT_URL`),
/// else EC2's regional endpoint (FIPS and dual-stack when the configuration asks for them).
fn endpoint(sdk: &SdkConfig, region: &str) -> String {
    if let Some(url) = std::env::var("AWS_ENDPOINT_URL_EC2").ok().filter(|u| !u.trim().is_empty()) {
        return url;
    }
    if let Some(url) = sdk.endpoint_url() {
        return url.to_string();
    }
    regional_endpoint(region, sdk.use_fips().unwrap_or(false), sdk.use_dual_stack().unwrap_or(false))
}

/// EC2's endpoints (<https://docs.aws.amazon.com/general/latest/gr/ec2-service.html>).
fn regional_endpoint(region: &str, fips: bool, dual_stack: bool) -> String {
    let china = region.starts_with("cn-");
    let host = match (fips, dual_stack) {
        (_, true) if !china => format!("ec2{}.{region}.api.aws", if fips { "-fips" } else { "" }),
        (true, _) if !china => format!("ec2-fips.{region}.amazonaws.com"),
        _ => format!("ec2.{region}.amazonaws.com{}", if china { ".cn" } else { "" }),
    };
    format!("https://{host}")
}

/// A 2xx answer read by `parse`, or the EC2 error an error answer carries.
fn deserialize<O>(
    response: &HttpResponse,
    parse: fn(&str) -> Result<O, String>,
) -> Result<O, OrchestratorError<Ec2Error>> {
    let body = response.body().bytes().map(String::from_utf8_lossy).unwrap_or(Cow::Borrowed(""));
    if response.status().is_success() {
        return parse(&body)
            .map_err(|reason| OrchestratorError::response(format!("unreadable EC2 answer: {reason}").into()));
    }
    let meta = parse_error(&body).unwrap_or_else(|| ErrorMetadata::builder().build());
    Err(OrchestratorError::operation(Ec2Error { meta }))
}

/// `<Response><Errors><Error><Code/><Message/>…` into the SDK's error metadata.
fn parse_error(body: &str) -> Option<ErrorMetadata> {
    let mut doc = Document::new(body);
    let mut root = doc.root_element().ok()?;
    let mut meta = ErrorMetadata::builder();
    while let Some(mut tag) = root.next_tag() {
        if tag.start_el().matches("Errors") {
            while let Some(mut error) = tag.next_tag() {
                while let Some(mut field) = error.next_tag() {
                    let name = field.start_el().local().to_string();
                    let value = try_data(&mut field).ok()?.into_owned();
                    meta = match name.as_str() {
                        "Code" => meta.code(value),
                        "Message" => meta.message(value),
                        _ => meta,
                    };
                }
            }
        } else if tag.start_el().matches("RequestID") {
            meta = meta.custom("aws_request_id", try_data(&mut tag).ok()?.into_owned());
        }
    }
    Some(meta.build())
}

/// `DescribeRegionsResponse/regionInfo/item/{regionName, optInStatus}`.
fn parse_regions(body: &str) -> Result<Vec<RegionInfo>, String> {
    let mut doc = Document::new(body);
    let mut root = doc.root_element().map_err(|e| e.to_string())?;
    let mut regions = Vec::new();
    while let Some(mut tag) = root.next_tag() {
        if !tag.start_el().matches("regionInfo") {
            continue;
        }
        while let Some(mut item) = tag.next_tag() {
            regions.push(parse_region(&mut item)?);
        }
    }
    Ok(regions)
}

fn parse_region(item: &mut ScopedDecoder) -> Result<RegionInfo, String> {
    let (mut name, mut opt_in_status) = (None, None);
    while let Some(mut field) = item.next_tag() {
        let key = field.start_el().local().to_string();
        let value = try_data(&mut field).map_err(|e| e.to_string())?.into_owned();
        match key.as_str() {
            "regionName" => name = Some(value),
            "optInStatus" => opt_in_status = Some(value),
            _ => {}
        }
    }
    Ok(RegionInfo { name: name.ok_or("a region without regionName")?, opt_in_status })
}

/// A top-level boolean element of an answer (`<ebsEncryptionByDefault>true</…>`).
fn parse_flag(body: &str, element: &str) -> Result<bool, String> {
    let mut doc = Document::new(body);
    let mut root = doc.root_element().map_err(|e| e.to_string())?;
    while let Some(mut tag) = root.next_tag() {
        if tag.start_el().matches(element) {
            let value = try_data(&mut tag).map_err(|e| e.to_string())?;
            return match value.trim() {
                "true" => Ok(true),
                "false" => Ok(false),
                other => Err(format!("{element} is {other:?}, not a boolean")),
            };
        }
    }
    Err(format!("the answer has no {element}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regions_with_opt_in_status() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
   <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
   <regionInfo>
      <item><regionName>us-east-1</regionName><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>
      <item><regionName>af-south-1</regionName><regionEndpoint>ec2.af-south-1.amazonaws.com</regionEndpoint><optInStatus>not-opted-in</optInStatus></item>
      <item><regionName>eu-west-1</regionName></item>
   </regionInfo>
</DescribeRegionsResponse>"#;
        let regions = parse_regions(body).unwrap();
        assert_eq!(
            regions,
            vec![
                RegionInfo { name: "us-east-1".into(), opt_in_status: Some("opt-in-not-required".into()) },
                RegionInfo { name: "af-south-1".into(), opt_in_status: Some("not-opted-in".into()) },
                RegionInfo { name: "eu-west-1".into(), opt_in_status: None },
            ]
        );
        assert!(parse_regions("<DescribeRegionsResponse><regionInfo><item><optInStatus>x</optInStatus></item></regionInfo></DescribeRegionsResponse>").is_err());
    }

    #[test]
    fn reads_flags_and_errors() {
        let on = r#"<GetEbsEncryptionByDefaultResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><ebsEncryptionByDefault>true</ebsEncryptionByDefault></GetEbsEncryptionByDefaultResponse>"#;
        assert_eq!(parse_flag(on, "ebsEncryptionByDefault"), Ok(true));
        assert!(parse_flag("<X><requestId>r</requestId></X>", "ebsEncryptionByDefault").is_err());
        let error = "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to \
                     perform this operation.</Message></Error></Errors><RequestID>abc</RequestID></Response>";
        let meta = parse_error(error).unwrap();
        assert_eq!(meta.code(), Some("UnauthorizedOperation"));
        assert_eq!(meta.message(), Some("You are not authorized to perform this operation."));
    }

    #[test]
    fn endpoints_follow_partition_fips_and_dual_stack() {
        assert_eq!(regional_endpoint("eu-west-1", false, false), "https://ec2.eu-west-1.amazonaws.com");
        assert_eq!(regional_endpoint("cn-north-1", false, false), "https://ec2.cn-north-1.amazonaws.com.cn");
        assert_eq!(regional_endpoint("us-east-1", true, false), "https://ec2-fips.us-east-1.amazonaws.com");
        assert_eq!(regional_endpoint("us-east-1", false, true), "https://ec2.us-east-1.api.aws");
        assert_eq!(
            form_body("DescribeRegions", &[("AllRegions", "true")]),
            "Action=DescribeRegions&Version=2016-11-15&AllRegions=true"
        );
    }
}
