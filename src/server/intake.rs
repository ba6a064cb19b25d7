//! A request body read into memory within its size and time limits, and,
//! for `ceh serve`, within a budget of bytes shared by every request: what
//! it holds of bodies stays under about `max_in_flight × max_body` however
//! many clients send at once, and a client slow to send holds only what it
//! has sent, not a slot.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use tokio::sync::Semaphore;

use super::options::ServerOptions;
use super::plain::{busy, refuse};

/// Bytes of the budget held by a body read, given back when it is dropped.
#[derive(Debug)]
pub(crate) struct Held<'b> {
    budget: &'b Semaphore,
    bytes: usize,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.budget.add_permits(self.bytes);
    }
}

/// Why a body was not read whole.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unread {
    /// Over `max_body`, or the client broke off.
    TooLarge,
    /// Not all there within the time allowed.
    TooSlow,
    /// The budget is held by the bodies of other requests.
    OverBudget,
}

/// A budget of `bytes` (at most what a semaphore counts).
pub(crate) fn budget(bytes: usize) -> Semaphore {
    Semaphore::new(bytes.min(Semaphore::MAX_PERMITS))
}

/// Reads `body` whole, at most `max_body` bytes within `timeout`, taking
/// each chunk's bytes from `budget` as it arrives.
pub(super) async fn read<'b, B>(
    body: B,
    max_body: usize,
    timeout: std::time::Duration,
    budget: &'b Semaphore,
) -> Result<(Bytes, Held<'b>), Unread>
where
    B: Body<Data = Bytes> + Unpin,
{
    let mut held = Held { budget, bytes: 0 };
    let mut chunks: Vec<Bytes> = Vec::new();
    let read = async {
        let mut body = body;
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame.map_err(|_| Unread::TooLarge)?.into_data() else {
                continue;
            };
            if held.bytes + data.len() > max_body {
                return Err(Unread::TooLarge);
            }
            let count = u32::try_from(data.len()).map_err(|_| Unread::TooLarge)?;
            budget
                .try_acquire_many(count)
                .map_err(|_| Unread::OverBudget)?
                .forget();
            held.bytes += data.len();
            chunks.push(data);
        }
        Ok(())
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| Unread::TooSlow)??;
    // One chunk, as most bodies arrive, is taken as it is; several are joined once.
    let bytes = match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.pop().unwrap_or_default(),
        _ => {
            let mut joined = BytesMut::with_capacity(held.bytes);
            chunks.iter().for_each(|c| joined.extend_from_slice(c));
            joined.freeze()
        }
    };
    Ok((bytes, held))
}

/// A request's body, read whole within `options`' size and time limits and
/// the bytes `budget` has left, or the answer that refuses it (413 over the
/// limit, 408 too slow, 503 over the budget), logged as `front`'s.
pub(crate) async fn read_within<'b>(
    front: &str,
    headers: &HeaderMap,
    body: Incoming,
    options: &ServerOptions,
    budget: &'b Semaphore,
) -> Result<(Bytes, Held<'b>), Response<Full<Bytes>>> {
    if declared_too_large(headers, options.max_body) {
        return Err(too_large(front, options.max_body));
    }
    read(body, options.max_body, options.body_timeout, budget)
        .await
        .map_err(|unread| match unread {
            Unread::TooLarge => too_large(front, options.max_body),
            Unread::TooSlow => too_slow(front, options),
            Unread::OverBudget => busy(
                front,
                &format!(
                    "ceh is holding {} bytes of request bodies already, its limit; retry shortly\n",
                    options.max_in_flight.saturating_mul(options.max_body)
                ),
            ),
        })
}

/// A request's body, read whole within `options`' size and time limits, or
/// the answer that refuses it (413 over the limit, 408 too slow), logged as
/// `front`'s.
pub(crate) async fn read_body(
    front: &str,
    headers: &HeaderMap,
    body: Incoming,
    options: &ServerOptions,
) -> Result<Bytes, Response<Full<Bytes>>> {
    if declared_too_large(headers, options.max_body) {
        return Err(too_large(front, options.max_body));
    }
    let read = tokio::time::timeout(
        options.body_timeout,
        Limited::new(body, options.max_body).collect(),
    );
    match read.await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(_)) => Err(too_large(front, options.max_body)),
        Err(_) => Err(too_slow(front, options)),
    }
}

/// Whether a request's declared `Content-Length` is over `max_body`: a body
/// that can never be taken is not read.
fn declared_too_large(headers: &HeaderMap, max_body: usize) -> bool {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
        .is_some_and(|len| len > max_body as u64)
}

/// The answer to a body that did not arrive in time.
fn too_slow(front: &str, options: &ServerOptions) -> Response<Full<Bytes>> {
    let message = format!(
        "the request body did not arrive within {} ms\n",
        options.body_timeout.as_millis()
    );
    refuse(front, StatusCode::REQUEST_TIMEOUT, &message)
}

/// The answer to a body over the limit.
fn too_large(front: &str, max_body: usize) -> Response<Full<Bytes>> {
    let message = format!("the request body is over the limit of {max_body} bytes, or broke off\n");
    refuse(front, StatusCode::PAYLOAD_TOO_LARGE, &message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use http_body::Frame;
    use http_body_util::StreamBody;
    use std::convert::Infallible;
    use std::time::Duration;

    type Chunk = Result<Frame<Bytes>, Infallible>;
    type Chunks = StreamBody<futures_util::stream::Iter<std::vec::IntoIter<Chunk>>>;

    fn chunks(sizes: &[usize]) -> Vec<Chunk> {
        sizes
            .iter()
            .map(|n| Ok(Frame::data(Bytes::from(vec![b'x'; *n]))))
            .collect()
    }

    fn body(sizes: &[usize]) -> Chunks {
        StreamBody::new(futures_util::stream::iter(chunks(sizes)))
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn bodies_hold_their_bytes_until_dropped() {
        runtime().block_on(async {
            let budget = budget(100);
            let second = Duration::from_secs(1);
            let (first, held) = read(body(&[30, 30]), 100, second, &budget).await.unwrap();
            assert_eq!(first.len(), 60);
            assert_eq!(budget.available_permits(), 40);
            let over = read(body(&[50]), 100, second, &budget).await;
            assert_eq!(over.map(|_| ()), Err(Unread::OverBudget));
            assert_eq!(
                budget.available_permits(),
                40,
                "a refused body gives back what it took"
            );
            drop(held);
            let (again, _held) = read(body(&[50]), 100, second, &budget).await.unwrap();
            assert_eq!(again.len(), 50);
            assert_eq!(
                read(body(&[40, 70]), 100, second, &budget)
                    .await
                    .map(|_| ()),
                Err(Unread::TooLarge)
            );
        });
    }

    #[test]
    fn a_slow_sender_holds_only_what_it_sent() {
        runtime().block_on(async {
            let budget = budget(100);
            let stalled = StreamBody::new(
                futures_util::stream::iter(chunks(&[10])).chain(futures_util::stream::pending()),
            );
            let slow = read(stalled, 100, Duration::from_millis(50), &budget);
            let fast = async {
                tokio::task::yield_now().await;
                read(body(&[90]), 100, Duration::from_secs(1), &budget).await
            };
            let (slow, fast) = tokio::join!(slow, fast);
            assert_eq!(slow.map(|_| ()), Err(Unread::TooSlow));
            assert_eq!(fast.map(|(b, _)| b.len()), Ok(90));
            assert_eq!(budget.available_permits(), 100);
        });
    }
}
