//! A middleware that stamps every request to the app with the invocation's
//! facts (`ceh-request-id`, `ceh-deadline-ms`…), rendered and escaped once
//! per invocation, so no caller has to remember to add them, and settles
//! each request's trace context (its own, else the delivery's).

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderMap, Request};
use tower::{Layer, Service};

use crate::trace::TraceContext;

/// Stamps each request with a set of headers, replacing any of the same
/// name, and gives it the delivery's trace context unless it carries a
/// well-formed one of its own ([`TraceContext::settle`]).
#[derive(Clone, Debug)]
pub(crate) struct InvocationHeaders<S> {
    inner: S,
    stamp: Arc<Stamp>,
}

/// What every request of an invocation gets.
#[derive(Debug)]
struct Stamp {
    headers: HeaderMap,
    trace: Option<TraceContext>,
}

/// Wraps an app in [`InvocationHeaders`].
#[derive(Clone, Debug)]
pub(crate) struct InvocationHeadersLayer {
    stamp: Arc<Stamp>,
}

impl InvocationHeadersLayer {
    /// A layer that puts `headers` (the invocation's) on every request, and
    /// `trace` (the delivery's) on each without a context of its own.
    pub(crate) fn new(headers: HeaderMap, trace: Option<TraceContext>) -> Self {
        Self {
            stamp: Arc::new(Stamp { headers, trace }),
        }
    }
}

impl<S> Layer<S> for InvocationHeadersLayer {
    type Service = InvocationHeaders<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InvocationHeaders {
            inner,
            stamp: Arc::clone(&self.stamp),
        }
    }
}

impl<S, B> Service<Request<B>> for InvocationHeaders<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let headers = request.headers_mut();
        for (name, value) in self.stamp.headers.iter() {
            headers.insert(name.clone(), value.clone());
        }
        TraceContext::settle(headers, self.stamp.trace.as_ref());
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use tower::ServiceExt;

    #[tokio::test]
    async fn every_request_is_stamped_over_what_it_carried() {
        let mut headers = HeaderMap::new();
        headers.insert("ceh-request-id", HeaderValue::from_static("r-1"));
        let app = tower::service_fn(|request: Request<()>| async move {
            Ok::<_, std::convert::Infallible>(request.headers().clone())
        });
        let app = InvocationHeadersLayer::new(headers, None).layer(app);
        for _ in 0..2 {
            let request = Request::builder()
                .header("ceh-request-id", "a client's own")
                .header("x-other", "kept")
                .body(())
                .unwrap();
            let seen = app.clone().oneshot(request).await.unwrap();
            assert_eq!(seen["ceh-request-id"], "r-1");
            assert_eq!(seen.get_all("ceh-request-id").iter().count(), 1);
            assert_eq!(seen["x-other"], "kept");
        }
    }
}
