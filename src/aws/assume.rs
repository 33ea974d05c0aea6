//! Credentials for a member account: `sts:AssumeRole` through the caller's own (guarded, counted) STS
//! client, assumed once up front so an unreachable account is reported at once, then refreshed shortly
//! before they expire.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, future};

use super::AwsError;

/// Refresh this long before expiry, so no call is signed with credentials about to lapse.
const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

#[derive(Debug)]
pub struct AssumedRole {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    session_name: String,
    external_id: Option<String>,
    current: tokio::sync::Mutex<Credentials>,
}

impl AssumedRole {
    /// Assumes the role once. The error names the role and the likely cause.
    pub async fn assume(
        sts: aws_sdk_sts::Client,
        role_arn: String,
        session_name: String,
        external_id: Option<String>,
    ) -> Result<Self, AwsError> {
        let first = call(&sts, &role_arn, &session_name, external_id.as_deref()).await?;
        Ok(Self { sts, role_arn, session_name, external_id, current: tokio::sync::Mutex::new(first) })
    }
}

async fn call(
    sts: &aws_sdk_sts::Client,
    role_arn: &str,
    session_name: &str,
    external_id: Option<&str>,
) -> Result<Credentials, AwsError> {
    let out = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(session_name)
        .set_external_id(external_id.map(str::to_string))
        .send()
        .await
        .map_err(super::err("sts:AssumeRole"))?;
    let c = out.credentials().ok_or_else(|| {
        AwsError::new("sts:AssumeRole", super::ErrorKind::Service, None, "no credentials in the answer".into(), None)
    })?;
    // Handed out as expiring REFRESH_BEFORE the real expiry, so every cache above renews them in time.
    let expiry = SystemTime::try_from(*c.expiration()).ok().map(|e| e - REFRESH_BEFORE);
    Ok(Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        expiry,
        "baseline-assume-role",
    ))
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let mut current = self.current.lock().await;
            let fresh = current.expiry().is_none_or(|e| e > SystemTime::now());
            if !fresh {
                *current = call(&self.sts, &self.role_arn, &self.session_name, self.external_id.as_deref())
                    .await
                    .map_err(provider::error::CredentialsError::provider_error)?;
            }
            Ok(current.clone())
        })
    }
}
