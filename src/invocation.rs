//! One invocation's facts (request id, deadline, function ARN, trace id,
//! tenant, what brokers said), passed to the app as headers.

use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};

use crate::app::{DeadlineLayer, InvocationHeadersLayer};
use crate::escape::header_value;
use crate::headers::{
    DEADLINE_HEADER, DELIVERY_ATTEMPT_HEADER, FUNCTION_ARN_HEADER, FUNCTION_NAME_HEADER,
    LWA_LAMBDA_CONTEXT_HEADER, REQUEST_ID_HEADER, TENANT_ID_HEADER, TRACE_ID_HEADER,
};
use crate::trace::TraceContext;

mod brokers;
mod lambda_context;

pub use brokers::BrokerHeaders;
pub use lambda_context::{ClientApplication, ClientContext, CognitoIdentity};

/// What is known about the invocation an event arrived with.
///
/// Every field is optional: `ceh invoke` has none of them, a Lambda
/// invocation has all. The app sees each known field as a request header, and
/// the deadline bounds how long the app may take.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use cloud_events_handler::Invocation;
///
/// let invocation = Invocation::default()
///     .with_request_id("8f5a…")
///     .with_deadline(UNIX_EPOCH + Duration::from_millis(1_700_000_000_000));
/// let mut headers = http::HeaderMap::new();
/// invocation.add_headers(&mut headers);
/// assert_eq!(headers["ceh-request-id"], "8f5a…".replace('…', "%E2%80%A6"));
/// assert_eq!(headers["ceh-deadline-ms"], "1700000000000");
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Invocation {
    /// The Lambda request id.
    pub request_id: Option<String>,
    /// When the app's answer must have arrived (the Lambda deadline less a margin).
    pub deadline: Option<SystemTime>,
    /// The invoked function's ARN.
    pub function_arn: Option<String>,
    /// The X-Ray trace header value.
    pub trace_id: Option<String>,
    /// The Azure Functions function the invocation is for (`ceh functions`).
    pub function_name: Option<String>,
    /// How many times the source has delivered the invocation's events, 1 the
    /// first time, when the delivery says so (Event Grid to `ceh serve`); it
    /// replaces a rule's `ceh-delivery-attempt`.
    pub delivery_attempt: Option<NonZeroU64>,
    /// The most bytes of one answer of the app's that may be held
    /// ([`MAX_RESPONSE_BYTES`](crate::app::MAX_RESPONSE_BYTES) when `None`):
    /// `ceh serve` holds no more than its `--max-body` of each.
    pub max_answer_bytes: Option<usize>,
    /// The Lambda tenant id (`Lambda-Runtime-Aws-Tenant-Id`), sent as `x-amz-tenant-id`.
    pub tenant_id: Option<String>,
    /// The mobile app that invoked the function, as the AWS Mobile SDK
    /// describes it (`Lambda-Runtime-Client-Context`); sent only in
    /// `x-amzn-lambda-context`.
    pub client_context: Option<ClientContext>,
    /// The Amazon Cognito identity that invoked the function
    /// (`Lambda-Runtime-Cognito-Identity`); sent only in `x-amzn-lambda-context`.
    pub identity: Option<CognitoIdentity>,
    /// The function's name, memory, version and log stream and group, from
    /// the Lambda environment read once at start; sent only in
    /// `x-amzn-lambda-context`.
    pub env_config: Option<Arc<lambda_runtime::Config>>,
    /// What the broker said in the headers of a `ceh serve` delivery, passed on.
    pub brokers: BrokerHeaders,
}

impl Invocation {
    /// With the Lambda request id.
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// With the time by which the app's answer must have arrived.
    pub fn with_deadline(mut self, deadline: SystemTime) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// With the invoked function's ARN.
    pub fn with_function_arn(mut self, arn: impl Into<String>) -> Self {
        self.function_arn = Some(arn.into());
        self
    }

    /// With the X-Ray trace header value.
    pub fn with_trace_id(mut self, trace: impl Into<String>) -> Self {
        self.trace_id = Some(trace.into());
        self
    }

    /// With the Azure Functions function the invocation is for.
    pub fn with_function_name(mut self, name: impl Into<String>) -> Self {
        self.function_name = Some(name.into());
        self
    }

    /// With the Lambda tenant id.
    pub fn with_tenant_id(mut self, tenant: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant.into());
        self
    }

    /// With the mobile app's client context.
    pub fn with_client_context(mut self, context: ClientContext) -> Self {
        self.client_context = Some(context);
        self
    }

    /// With the Cognito identity that invoked the function.
    pub fn with_identity(mut self, identity: CognitoIdentity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// With the function's configuration from the Lambda environment.
    pub fn with_env_config(mut self, config: Arc<lambda_runtime::Config>) -> Self {
        self.env_config = Some(config);
        self
    }

    /// With the broker headers of a delivery.
    pub fn with_brokers(mut self, brokers: BrokerHeaders) -> Self {
        self.brokers = brokers;
        self
    }

    /// With how many times the source has delivered the invocation's events.
    ///
    /// ```
    /// use std::num::NonZeroU64;
    /// use cloud_events_handler::{Invocation, headers::DELIVERY_ATTEMPT_HEADER};
    ///
    /// let mut headers = http::HeaderMap::new();
    /// Invocation::default().with_delivery_attempt(NonZeroU64::MIN).add_headers(&mut headers);
    /// assert_eq!(headers[DELIVERY_ATTEMPT_HEADER], "1");
    /// ```
    pub fn with_delivery_attempt(mut self, attempt: NonZeroU64) -> Self {
        self.delivery_attempt = Some(attempt);
        self
    }

    /// With the most bytes of one answer of the app's that may be held.
    pub fn with_max_answer_bytes(mut self, limit: usize) -> Self {
        self.max_answer_bytes = Some(limit);
        self
    }

    /// How many bytes of one answer of the app's may be held.
    pub(crate) fn answer_limit(&self) -> usize {
        self.max_answer_bytes
            .unwrap_or(crate::app::MAX_RESPONSE_BYTES)
    }

    /// The layer that stamps every request to the app with the known facts
    /// (and with `lwa_context`, Lambda Web Adapter's `x-amzn-lambda-context`),
    /// rendered and escaped once for all of the invocation's requests, and
    /// gives the delivery's trace context to each request without its own.
    pub(crate) fn headers_layer(&self, lwa_context: bool) -> InvocationHeadersLayer {
        let mut headers = HeaderMap::new();
        self.add_facts(&mut headers);
        if lwa_context {
            self.add_lwa_context(&mut headers);
        }
        InvocationHeadersLayer::new(headers, self.trace_context())
    }

    /// The delivery's W3C trace context: the one a broker sent `ceh serve`,
    /// else Lambda's X-Ray trace id converted
    /// ([`TraceContext::from_xray`]); a request whose record carries its
    /// own keeps that instead.
    ///
    /// ```
    /// use cloud_events_handler::Invocation;
    ///
    /// let lambda = Invocation::default()
    ///     .with_trace_id("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
    /// let context = lambda.trace_context().ok_or("a full X-Ray header")?;
    /// assert_eq!(context.traceparent(), "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01");
    /// assert!(Invocation::default().trace_context().is_none());
    /// # Ok::<(), &str>(())
    /// ```
    pub fn trace_context(&self) -> Option<TraceContext> {
        self.brokers
            .trace()
            .cloned()
            .or_else(|| self.trace_id.as_deref().and_then(TraceContext::from_xray))
    }

    /// The layer that bounds every call of the app by the deadline.
    pub(crate) fn deadline_layer(&self) -> DeadlineLayer {
        DeadlineLayer::new(self.deadline)
    }

    /// Adds the known facts as headers, replacing any of the same name; the
    /// delivery's trace context ([`trace_context`](Self::trace_context))
    /// replaces any `traceparent` and `tracestate`.
    pub fn add_headers(&self, headers: &mut HeaderMap) {
        self.add_facts(headers);
        if let Some(trace) = self.trace_context() {
            trace.add_to(headers);
        }
    }

    /// Adds the known facts other than the trace context.
    fn add_facts(&self, headers: &mut HeaderMap) {
        let text = [
            (REQUEST_ID_HEADER, self.request_id.as_deref()),
            (FUNCTION_ARN_HEADER, self.function_arn.as_deref()),
            (TRACE_ID_HEADER, self.trace_id.as_deref()),
            (FUNCTION_NAME_HEADER, self.function_name.as_deref()),
            (TENANT_ID_HEADER, self.tenant_id.as_deref()),
        ];
        for (name, value) in text {
            if let Some(value) = value {
                headers.insert(name, header_value(value));
            }
        }
        if let Some(ms) = self
            .deadline
            .and_then(|d| d.duration_since(UNIX_EPOCH).ok())
        {
            headers.insert(DEADLINE_HEADER, HeaderValue::from(ms.as_millis() as u64));
        }
        self.brokers.add_to(headers);
        if let Some(attempt) = self.delivery_attempt {
            headers.insert(DELIVERY_ATTEMPT_HEADER, HeaderValue::from(attempt.get()));
        }
    }

    /// `x-amzn-lambda-context`'s value: the invocation as Lambda Web Adapter's
    /// apps read it, lambda_runtime's `Context` as JSON (`request_id`,
    /// `deadline`, `invoked_function_arn`, `xray_trace_id`, `client_context`,
    /// `identity`, `tenant_id`, `env_config`; `null` for what is not known,
    /// `deadline` in milliseconds since the epoch, 0 when there is none).
    pub(crate) fn lwa_context(&self) -> Option<HeaderValue> {
        let deadline = self
            .deadline
            .and_then(|d| d.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |ms| ms.as_millis() as u64);
        lambda_context::LambdaContext {
            request_id: self.request_id.as_deref(),
            deadline,
            invoked_function_arn: self.function_arn.as_deref(),
            xray_trace_id: self.trace_id.as_deref(),
            client_context: self.client_context.as_ref(),
            identity: self.identity.as_ref(),
            tenant_id: self.tenant_id.as_deref(),
            env_config: self.env_config.as_deref(),
        }
        .header_value()
    }

    /// Adds [`lwa_context`](Self::lwa_context) as `x-amzn-lambda-context`.
    fn add_lwa_context(&self, headers: &mut HeaderMap) {
        if let Some(value) = self.lwa_context() {
            headers.insert(LWA_LAMBDA_CONTEXT_HEADER, value);
        }
    }

    /// How long the app has left, if there is a deadline (zero once it has passed).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use cloud_events_handler::Invocation;
    ///
    /// assert_eq!(Invocation::default().remaining(), None);
    /// let past = Invocation::default().with_deadline(SystemTime::now() - Duration::from_secs(1));
    /// assert_eq!(past.remaining(), Some(Duration::ZERO));
    /// let soon = Invocation::default().with_deadline(SystemTime::now() + Duration::from_secs(60));
    /// assert!(soon.remaining() > Some(Duration::from_secs(50)));
    /// ```
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline.map(|d| {
            d.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        })
    }
}
