//! A middleware that bounds each call of the app by the invocation's
//! deadline, as `tower::timeout` bounds a call by a duration: the answer
//! (its head, then its body) must have arrived by then, or the call fails
//! with [`Elapsed`]. The time left is measured when each request is sent, so
//! a batch's later records get what is left, not what there was.
//!
//! A call costs two allocations: the app's future with its timer in one box
//! (tokio's `Timeout`), and the answer's body in another. The body's timer is
//! set only if the body has to be waited for: a body that is all there when
//! its head arrives never arms one.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use http::Response;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep, Timeout};
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
        let answer = self.inner.call(request);
        let head = match self.deadline {
            Some(deadline) => {
                let after = deadline
                    .duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO);
                let timer = Timer {
                    at: instant_after(after),
                    after,
                };
                Head::Bounded(Box::pin(tokio::time::timeout_at(timer.at, answer)), timer)
            }
            None => Head::Unbounded(Box::pin(answer)),
        };
        DeadlineFuture { head }
    }
}

/// `after` from now; one too far away for the clock is 30 years away, as
/// tokio's own `sleep` takes it.
fn instant_after(after: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(after)
        .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400))
}

/// When the deadline comes, and how long the call was given.
#[derive(Clone, Copy, Debug)]
struct Timer {
    at: Instant,
    after: Duration,
}

/// The app's future, with the deadline's clock when there is one.
#[derive(Debug)]
enum Head<F> {
    Bounded(Pin<Box<Timeout<F>>>, Timer),
    Unbounded(Pin<Box<F>>),
}

/// [`Deadline`]'s response future: the answer's head, within the deadline.
#[derive(Debug)]
pub(crate) struct DeadlineFuture<F> {
    head: Head<F>,
}

impl<F, B, E> Future for DeadlineFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<DeadlineBody<B>>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (answer, timer) = match &mut self.get_mut().head {
            Head::Bounded(head, timer) => match head.as_mut().poll(cx) {
                Poll::Ready(Ok(answer)) => (answer, Some(*timer)),
                Poll::Ready(Err(_)) => {
                    return Poll::Ready(Err(Elapsed { after: timer.after }.into()))
                }
                Poll::Pending => return Poll::Pending,
            },
            Head::Unbounded(head) => match head.as_mut().poll(cx) {
                Poll::Ready(answer) => (answer, None),
                Poll::Pending => return Poll::Pending,
            },
        };
        Poll::Ready(
            answer
                .map(|response| {
                    response.map(|body| DeadlineBody {
                        inner: Box::pin(body),
                        timer,
                        sleep: None,
                    })
                })
                .map_err(Into::into),
        )
    }
}

/// The answer's body, within the same deadline as its head.
#[derive(Debug)]
pub(crate) struct DeadlineBody<B> {
    inner: Pin<Box<B>>,
    timer: Option<Timer>,
    /// The clock, set the first time the body is waited for.
    sleep: Option<Pin<Box<Sleep>>>,
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
        let Some(timer) = this.timer else {
            return Poll::Pending;
        };
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(timer.at)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Elapsed { after: timer.after }.into()))),
            Poll::Pending => Poll::Pending,
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

    #[tokio::test]
    async fn a_deadline_beyond_the_clock_or_past_still_lets_a_prompt_answer_through() {
        let prompt = || {
            tower::service_fn(|(): ()| async {
                Ok::<_, BoxError>(Response::new(Full::new(Bytes::from_static(b"ok"))))
            })
        };
        let far = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(1 << 60));
        let past = SystemTime::now() - Duration::from_secs(1);
        for deadline in [far.unwrap(), past] {
            let layer = DeadlineLayer::new(Some(deadline));
            let response = layer.layer(prompt()).oneshot(()).await.unwrap();
            let body = response.into_body().collect().await.unwrap();
            assert_eq!(body.to_bytes(), "ok", "{deadline:?}");
        }
    }
}
