//! A middleware that bounds each call of the app by the invocation's
//! deadline, as `tower::timeout` bounds a call by a duration: the answer
//! (its head, then its body) must have arrived by then, or the call fails
//! with [`Elapsed`]. The time left is measured when each request is sent, so
//! a batch's later records get what is left, not what there was.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use http::Response;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Sleep;
use tower::{Layer, Service};
// The same type as `app::BoxError`, named where it cannot be imported without a circle.
use tower::BoxError;

/// Bounds each call of the inner service by a deadline (none: unbounded).
#[derive(Clone, Debug)]
pub(crate) struct Deadline<S> {
    inner: S,
    deadline: Option<SystemTime>,
}

/// Wraps an app in [`Deadline`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct DeadlineLayer {
    deadline: Option<SystemTime>,
}

impl DeadlineLayer {
    /// A layer that gives every call until `deadline` (`None`: no limit).
    pub(crate) fn new(deadline: Option<SystemTime>) -> Self {
        Self { deadline }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline {
            inner,
            deadline: self.deadline,
        }
    }
}

/// The deadline came before the app's answer.
#[derive(Debug, thiserror::Error)]
#[error("the app did not answer within {} ms, the time left before the invocation's deadline", after.as_millis())]
pub(crate) struct Elapsed {
    /// How long the call was given.
    pub(crate) after: Duration,
}

impl<S, R, B> Service<R> for Deadline<S>
where
    S: Service<R, Response = Response<B>>,
    S::Error: Into<BoxError>,
{
    type Response = Response<DeadlineBody<B>>;
    type Error = BoxError;
    type Future = DeadlineFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let timer = self.deadline.map(|deadline| {
            let after = deadline
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
            Timer {
                sleep: Box::pin(tokio::time::sleep(after)),
                after,
            }
        });
        DeadlineFuture {
            inner: Box::pin(self.inner.call(request)),
            timer,
        }
    }
}

/// The deadline's clock, and how long it was set for.
#[derive(Debug)]
struct Timer {
    sleep: Pin<Box<Sleep>>,
    after: Duration,
}

impl Timer {
    /// `Elapsed` once the deadline has come.
    fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<Elapsed> {
        self.sleep
            .as_mut()
            .poll(cx)
            .map(|()| Elapsed { after: self.after })
    }
}

/// [`Deadline`]'s response future: the answer's head, within the deadline.
#[derive(Debug)]
pub(crate) struct DeadlineFuture<F> {
    inner: Pin<Box<F>>,
    timer: Option<Timer>,
}

impl<F, B, E> Future for DeadlineFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<DeadlineBody<B>>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Poll::Ready(answer) = this.inner.as_mut().poll(cx) {
            let timer = this.timer.take();
            return Poll::Ready(
                answer
                    .map(|response| {
                        response.map(|body| DeadlineBody {
                            inner: Box::pin(body),
                            timer,
                        })
                    })
                    .map_err(Into::into),
            );
        }
        match this.timer.as_mut().map(|timer| timer.poll_elapsed(cx)) {
            Some(Poll::Ready(elapsed)) => Poll::Ready(Err(elapsed.into())),
            _ => Poll::Pending,
        }
    }
}

/// The answer's body, within the same deadline as its head.
#[derive(Debug)]
pub(crate) struct DeadlineBody<B> {
    inner: Pin<Box<B>>,
    timer: Option<Timer>,
}

impl<B> DeadlineBody<B> {
    /// The body without the deadline: for a body streamed on, which its
    /// front end bounds by the deadline itself, ending it as its transport says.
    pub(crate) fn into_inner(self) -> Pin<Box<B>> {
        self.inner
    }
}

impl<B> Body for DeadlineBody<B>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = this.inner.as_mut().poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        match this.timer.as_mut().map(|timer| timer.poll_elapsed(cx)) {
            Some(Poll::Ready(elapsed)) => Poll::Ready(Some(Err(elapsed.into()))),
            _ => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full, StreamBody};
    use tower::ServiceExt;

    #[tokio::test]
    async fn an_answer_late_in_its_head_or_body_is_elapsed() {
        let deadline = SystemTime::now() + Duration::from_millis(50);
        let slow_head = tower::service_fn(|(): ()| async {
            tokio::time::sleep(Duration::from_secs(600)).await;
            Ok::<_, BoxError>(Response::new(Full::new(Bytes::new())))
        });
        let err = DeadlineLayer::new(Some(deadline))
            .layer(slow_head)
            .oneshot(())
            .await
            .unwrap_err();
        assert!(err.downcast_ref::<Elapsed>().is_some(), "{err}");

        let stalled_body = tower::service_fn(|(): ()| async {
            let frames = futures_util::stream::pending::<Result<Frame<Bytes>, BoxError>>();
            Ok::<_, BoxError>(Response::new(StreamBody::new(frames)))
        });
        let response = DeadlineLayer::new(Some(deadline))
            .layer(stalled_body)
            .oneshot(())
            .await
            .unwrap();
        let err = response.into_body().collect().await.unwrap_err();
        assert!(err.downcast_ref::<Elapsed>().is_some(), "{err}");

        let prompt = tower::service_fn(|(): ()| async {
            Ok::<_, BoxError>(Response::new(Full::new(Bytes::from_static(b"ok"))))
        });
        let response = DeadlineLayer::new(None).layer(prompt).oneshot(()).await;
        let body = response.unwrap().into_body().collect().await.unwrap();
        assert_eq!(body.to_bytes(), "ok");
    }
}
