//! Lambda's invocation context as Lambda Web Adapter hands it to apps, in
//! `x-amzn-lambda-context`: the runtime API's facts, the mobile app's client
//! context and Cognito identity, and the function's configuration, in the
//! JSON of lambda_runtime's `Context`, so an app written for LWA reads it
//! unchanged.

use std::collections::BTreeMap;

use http::HeaderValue;
use serde::{Deserialize, Serialize};

use crate::escape::ascii_json;
use crate::headers::MAX_HEADER_VALUE_BYTES;

/// What the AWS Mobile SDK says about the app that invoked the function:
/// the runtime API's `Lambda-Runtime-Client-Context`, read as
/// lambda_runtime reads it (a missing part is empty; `env` is not read, as
/// lambda_runtime reads only `environment`).
///
/// ```
/// use cloud_events_handler::lambda::ClientContext;
///
/// let sent = r#"{"client": {"installation_id": "i-1", "app_title": "Shop",
///     "app_version_name": "2.1", "app_version_code": "21", "app_package_name": "com.shop"},
///     "custom": {"cart": "7"}}"#;
/// let context: ClientContext = serde_json::from_str(sent)?;
/// assert_eq!(context.client.app_title, "Shop");
/// assert_eq!(
///     serde_json::to_value(&context)?,
///     serde_json::json!({"client": {"installationId": "i-1", "appTitle": "Shop",
///         "appVersionName": "2.1", "appVersionCode": "21", "appPackageName": "com.shop"},
///         "custom": {"cart": "7"}, "environment": {}}),
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientContext {
    /// The app.
    #[serde(default)]
    pub client: ClientApplication,
    /// The values the app chose to send.
    #[serde(default)]
    pub custom: BTreeMap<String, String>,
    /// The app's environment (platform, locale…).
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
}

/// The app in a [`ClientContext`]: each field is required when `client` is
/// there, read in snake case or camel case, written in camel case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientApplication {
    /// The app's installation id.
    #[serde(alias = "installation_id")]
    pub installation_id: String,
    /// The app's title, as registered with AWS's mobile services.
    #[serde(alias = "app_title")]
    pub app_title: String,
    /// The app's version name.
    #[serde(alias = "app_version_name")]
    pub app_version_name: String,
    /// The app's version code.
    #[serde(alias = "app_version_code")]
    pub app_version_code: String,
    /// The app's package name.
    #[serde(alias = "app_package_name")]
    pub app_package_name: String,
}

/// The Amazon Cognito identity that invoked the function: the runtime API's
/// `Lambda-Runtime-Cognito-Identity`, read under any of the names runtimes
/// use (`cognitoIdentityId`, `identityId`, `identity_id`), written in camel
/// case.
///
/// ```
/// use cloud_events_handler::lambda::CognitoIdentity;
///
/// let sent = r#"{"cognitoIdentityId": "us-east-1:1", "cognitoIdentityPoolId": "us-east-1:p"}"#;
/// let identity: CognitoIdentity = serde_json::from_str(sent)?;
/// assert_eq!(
///     serde_json::to_string(&identity)?,
///     r#"{"identityId":"us-east-1:1","identityPoolId":"us-east-1:p"}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CognitoIdentity {
    /// The identity's id.
    #[serde(alias = "cognitoIdentityId", alias = "identity_id")]
    pub identity_id: String,
    /// The identity pool's id.
    #[serde(alias = "cognitoIdentityPoolId", alias = "identity_pool_id")]
    pub identity_pool_id: String,
}

/// `x-amzn-lambda-context`'s JSON: lambda_runtime's `Context`, field for
/// field and in its order, `null` for what the invocation does not know.
#[derive(Serialize)]
pub(super) struct LambdaContext<'a> {
    pub(super) request_id: Option<&'a str>,
    /// Milliseconds since the epoch, 0 when there is no deadline.
    pub(super) deadline: u64,
    pub(super) invoked_function_arn: Option<&'a str>,
    pub(super) xray_trace_id: Option<&'a str>,
    pub(super) client_context: Option<&'a ClientContext>,
    pub(super) identity: Option<&'a CognitoIdentity>,
    pub(super) tenant_id: Option<&'a str>,
    pub(super) env_config: Option<&'a lambda_runtime::Config>,
}

impl LambdaContext<'_> {
    /// The header's value, at most [`MAX_HEADER_VALUE_BYTES`]: past that, the
    /// facts the caller chose are left out, the client context first, then
    /// the identity, each with a warn line (Lambda bounds the rest).
    pub(super) fn header_value(mut self) -> Option<HeaderValue> {
        let mut value = ascii_json(&self).ok()?;
        if value.len() > MAX_HEADER_VALUE_BYTES && self.client_context.take().is_some() {
            tracing::warn!(
                "x-amzn-lambda-context would be {} bytes, over {MAX_HEADER_VALUE_BYTES}: sent without client_context",
                value.len()
            );
            value = ascii_json(&self).ok()?;
        }
        if value.len() > MAX_HEADER_VALUE_BYTES && self.identity.take().is_some() {
            tracing::warn!(
                "x-amzn-lambda-context would be {} bytes, over {MAX_HEADER_VALUE_BYTES}: sent without identity",
                value.len()
            );
            value = ascii_json(&self).ok()?;
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context<'a>(
        client: Option<&'a ClientContext>,
        identity: Option<&'a CognitoIdentity>,
    ) -> LambdaContext<'a> {
        LambdaContext {
            request_id: Some("r-1"),
            deadline: 1,
            invoked_function_arn: None,
            xray_trace_id: None,
            client_context: client,
            identity,
            tenant_id: None,
            env_config: None,
        }
    }

    fn read(value: HeaderValue) -> serde_json::Value {
        serde_json::from_slice(value.as_bytes()).unwrap()
    }

    #[test]
    fn nothing_known_is_null() {
        let value = read(context(None, None).header_value().unwrap());
        assert_eq!(
            value,
            serde_json::json!({"request_id": "r-1", "deadline": 1, "invoked_function_arn": null,
                "xray_trace_id": null, "client_context": null, "identity": null,
                "tenant_id": null, "env_config": null})
        );
    }

    #[test]
    fn past_the_budget_the_client_context_then_the_identity_is_left_out() {
        let big = |n| {
            let mut client = ClientContext::default();
            client.custom.insert("k".into(), "x".repeat(n));
            client
        };
        let identity = CognitoIdentity {
            identity_id: "i".repeat(MAX_HEADER_VALUE_BYTES),
            identity_pool_id: "p".into(),
        };
        let small = CognitoIdentity::default();

        let fits = big(MAX_HEADER_VALUE_BYTES - 500);
        let value = context(Some(&fits), Some(&small)).header_value().unwrap();
        assert!(value.len() <= MAX_HEADER_VALUE_BYTES);
        assert_eq!(
            read(value)["client_context"]["custom"]["k"]
                .as_str()
                .map(str::len),
            Some(MAX_HEADER_VALUE_BYTES - 500)
        );

        let over = big(MAX_HEADER_VALUE_BYTES);
        let value = read(context(Some(&over), Some(&small)).header_value().unwrap());
        assert_eq!(value["client_context"], serde_json::Value::Null);
        assert_eq!(value["identity"]["identityId"], "");

        let value = read(
            context(Some(&over), Some(&identity))
                .header_value()
                .unwrap(),
        );
        assert_eq!(value["client_context"], serde_json::Value::Null);
        assert_eq!(value["identity"], serde_json::Value::Null);
        assert_eq!(value["request_id"], "r-1");
    }
}
