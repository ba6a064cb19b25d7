//! What a request to the app is sent again from, once, after the pooled
//! connection it went out on turned out stale ([`super::pool::is_stale`]).
//!
//! It is kept for every request sent on the pool and used for almost none,
//! so it is made as cheaply as it can be read back: the headers written into
//! one buffer, the body shared. A copy of the head would allocate the header
//! map's two tables, and once more for each header value shared for the
//! first time, and free all of it again after the answer.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Extensions, Method, Request, Uri};
use http_body_util::Full;

/// A request's head and body, kept to send it again.
#[derive(Debug)]
pub(super) struct Resend {
    method: Method,
    /// Each header as `name:value\n`, in the order the request's map holds
    /// them: no name has a `:`, and no value a line break.
    headers: Vec<u8>,
    /// Empty but for an HTTP event's request.
    extensions: Extensions,
    body: Full<Bytes>,
}

impl Resend {
    /// What sends `request` again; the request itself is not touched.
    pub(super) fn of(request: &Request<Full<Bytes>>) -> Self {
        let size = request
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 2)
            .sum();
        let mut headers = Vec::with_capacity(size);
        for (name, value) in request.headers() {
            headers.extend_from_slice(name.as_str().as_bytes());
            headers.push(b':');
            headers.extend_from_slice(value.as_bytes());
            headers.push(b'\n');
        }
        Self {
            method: request.method().clone(),
            headers,
            extensions: request.extensions().clone(),
            body: request.body().clone(),
        }
    }

    /// The request again, to `uri` over HTTP/1.1 as the first was sent;
    /// `None` if a header cannot be read back (a value with a line break,
    /// which no header ceh sends has).
    pub(super) fn request(self, uri: Uri) -> Option<Request<Full<Bytes>>> {
        let mut request = Request::new(self.body);
        *request.method_mut() = self.method;
        *request.uri_mut() = uri;
        *request.version_mut() = http::Version::HTTP_11;
        *request.extensions_mut() = self.extensions;
        let headers = request.headers_mut();
        for line in self.headers.split(|b| *b == b'\n') {
            if line.is_empty() {
                continue;
            }
            let colon = line.iter().position(|b| *b == b':')?;
            let name = HeaderName::from_bytes(&line[..colon]).ok()?;
            let value = HeaderValue::from_bytes(&line[colon + 1..]).ok()?;
            headers.append(name, value);
        }
        Some(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[derive(Clone, Debug, PartialEq)]
    struct Mark(u8);

    #[tokio::test]
    async fn the_request_comes_back_as_it_was_sent() {
        let mut request = Request::post("http://127.0.0.1:8080/aws.s3?x=1")
            .header("content-type", "application/json")
            .header("ceh-request-id", "r-1")
            .header("x-many", "a")
            .header("x-many", "b: with a colon")
            .header("x-empty", "")
            .header("x-obs", HeaderValue::from_bytes(b"caf\xc3\xa9\tx").unwrap())
            .body(Full::new(Bytes::from_static(b"{\"a\": 1}")))
            .unwrap();
        *request.version_mut() = http::Version::HTTP_11;
        request.extensions_mut().insert(Mark(7));
        let resend = Resend::of(&request);
        let again = resend.request(request.uri().clone()).unwrap();
        assert_eq!(again.method(), request.method());
        assert_eq!(again.uri(), request.uri());
        assert_eq!(again.version(), http::Version::HTTP_11);
        assert_eq!(again.extensions().get::<Mark>(), Some(&Mark(7)));
        let pairs = |r: &Request<Full<Bytes>>| {
            r.headers()
                .iter()
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs(&again), pairs(&request));
        let body = again.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, Bytes::from_static(b"{\"a\": 1}"));
    }

    #[test]
    fn a_request_without_headers_comes_back_without_any() {
        let request = Request::get("http://127.0.0.1:8080/")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let again = Resend::of(&request).request(request.uri().clone()).unwrap();
        assert!(again.headers().is_empty());
        assert_eq!(again.method(), Method::GET);
    }
}
