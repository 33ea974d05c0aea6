//! Form bodies (the AWS Query protocol of IAM, STS, SNS, CloudWatch, EC2) with spaces written as `+`.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

/// The SDK writes a space in a form value as `%20`; the AWS CLI and boto3 write `+`, and AWS accepts both.
/// The emulator (moto), when it checks signatures (IAM enforcement on), re-encodes the body with `+` before
/// verifying, so any value with a space (a role's description, an alarm's) fails with
/// SignatureDoesNotMatch. Through a custom endpoint, bodies are rewritten to `+` before signing. `%20` in a
/// form body can only stand for a space: a literal `%` is `%25` and `+` is `%2B`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlusForSpace {
    pub custom_endpoint: bool,
}

impl Intercept for PlusForSpace {
    fn name(&self) -> &'static str {
        "PlusForSpace"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !self.custom_endpoint {
            return Ok(());
        }
        let request = context.request_mut();
        let form =
            request.headers().get("content-type").is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let Some(body) = request.body().bytes().filter(|_| form) else { return Ok(()) };
        if let Some(rewritten) = plus_for_space(body) {
            request.headers_mut().insert("content-length", rewritten.len().to_string());
            *request.body_mut() = SdkBody::from(rewritten);
        }
        Ok(())
    }
}

/// `None` when there is no `%20` to rewrite.
fn plus_for_space(body: &[u8]) -> Option<Vec<u8>> {
    if !body.windows(3).any(|w| w == b"%20") {
        return None;
    }
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while !rest.is_empty() {
        if rest.starts_with(b"%20") {
            out.push(b'+');
            rest = &rest[3..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::plus_for_space;

    #[test]
    fn only_encoded_spaces_change() {
        assert_eq!(plus_for_space(b"Action=X&D=a%20b%2520c%2Bd").unwrap(), b"Action=X&D=a+b%2520c%2Bd");
        assert_eq!(plus_for_space(b"Action=X&D=a%2Cb"), None);
    }
}
