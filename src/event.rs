//! An incoming event: its original bytes and its parsed JSON, kept together.

use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;

/// The largest event accepted by default: Lambda's limit for a synchronous
/// invocation payload (6 MB, counted as 6 × 1024 × 1024 bytes).
///
/// ```
/// use cloud_events_handler::{Event, EventError, DEFAULT_MAX_EVENT_BYTES};
///
/// assert_eq!(DEFAULT_MAX_EVENT_BYTES, 6 * 1024 * 1024);
/// let too_big = vec![b' '; DEFAULT_MAX_EVENT_BYTES + 1];
/// assert!(matches!(Event::from_slice(&too_big), Err(EventError::TooLarge { .. })));
/// ```
pub const DEFAULT_MAX_EVENT_BYTES: usize = 6 * 1024 * 1024;

/// An event as it arrived: the raw bytes and the JSON parsed from them.
///
/// The bytes are what the app receives as the request body, byte for byte;
/// the JSON is what rules look at.
///
/// ```
/// use cloud_events_handler::Event;
///
/// let event = Event::from_slice(br#"{"source": "com.example"}"#)?;
/// assert_eq!(event.json()["source"], "com.example");
/// assert_eq!(event.bytes().as_ref(), br#"{"source": "com.example"}"#);
/// # Ok::<(), cloud_events_handler::EventError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Event {
    bytes: Bytes,
    json: Value,
    /// For a CloudEvent that arrived in binary mode: its `ce-*` headers and
    /// content type, so it leaves in binary mode too.
    binary: Option<Box<HeaderMap>>,
}

impl Event {
    /// Parses an event, with the default size limit ([`DEFAULT_MAX_EVENT_BYTES`]).
    ///
    /// ```
    /// use cloud_events_handler::Event;
    ///
    /// let event = Event::from_slice(b" [1, 2]\n")?;
    /// assert_eq!(event.json()[1], 2);
    /// assert_eq!(event.bytes().as_ref(), b" [1, 2]\n", "whitespace and all");
    /// # Ok::<(), cloud_events_handler::EventError>(())
    /// ```
    pub fn from_slice(bytes: &[u8]) -> Result<Self, EventError> {
        Self::from_bytes(Bytes::copy_from_slice(bytes))
    }

    /// Parses an event that is already in a [`Bytes`] buffer, without copying it.
    ///
    /// ```
    /// use cloud_events_handler::Event;
    ///
    /// let body = bytes::Bytes::from_static(br#"{"id": 1}"#);
    /// let event = Event::from_bytes(body.clone())?;
    /// assert_eq!(event.bytes().as_ptr(), body.as_ptr(), "the same buffer, not a copy");
    /// # Ok::<(), cloud_events_handler::EventError>(())
    /// ```
    pub fn from_bytes(bytes: Bytes) -> Result<Self, EventError> {
        Self::from_bytes_limited(bytes, DEFAULT_MAX_EVENT_BYTES)
    }

    /// Parses an event, refusing one larger than `max_bytes`.
    ///
    /// ```
    /// use cloud_events_handler::{Event, EventError};
    ///
    /// let err = Event::from_bytes_limited(bytes::Bytes::from_static(b"[1, 2, 3]"), 4).unwrap_err();
    /// assert_eq!(err, EventError::TooLarge { len: 9, max: 4 });
    /// assert_eq!(err.to_string(), "the event is 9 bytes, over the limit of 4 bytes");
    /// ```
    pub fn from_bytes_limited(bytes: Bytes, max_bytes: usize) -> Result<Self, EventError> {
        if bytes.len() > max_bytes {
            return Err(EventError::TooLarge {
                len: bytes.len(),
                max: max_bytes,
            });
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(EventError::Empty);
        }
        let json = serde_json::from_slice(&bytes).map_err(EventError::from_json)?;
        Ok(Self {
            bytes,
            json,
            binary: None,
        })
    }

    /// Builds an event from a JSON value, serializing it for the body.
    ///
    /// ```
    /// use cloud_events_handler::Event;
    ///
    /// let event = Event::from_json(serde_json::json!({"source": "com.example"}));
    /// assert_eq!(event.bytes().as_ref(), br#"{"source":"com.example"}"#);
    /// ```
    pub fn from_json(json: Value) -> Self {
        // Serializing a `Value` cannot fail: its map keys are always strings.
        let bytes = Bytes::from(serde_json::to_vec(&json).unwrap_or_default());
        Self {
            bytes,
            json,
            binary: None,
        }
    }

    /// A CloudEvent that arrived in binary mode: `json` its structured form,
    /// which the rules read; `data` the body as it came, which the app gets
    /// byte for byte; `attributes` its `ce-*` headers and content type, which
    /// the app gets as they came.
    pub(crate) fn binary_cloudevent(json: Value, data: Bytes, attributes: HeaderMap) -> Self {
        Self {
            bytes: data,
            json,
            binary: Some(Box::new(attributes)),
        }
    }

    /// The `ce-*` headers and content type of a CloudEvent that arrived in binary mode.
    pub(crate) fn binary_attributes(&self) -> Option<&HeaderMap> {
        self.binary.as_deref()
    }

    /// The original bytes, forwarded unchanged as the request body.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The parsed JSON the rules are matched against.
    pub fn json(&self) -> &Value {
        &self.json
    }
}

/// Why bytes could not be read as an event.
///
/// ```
/// use cloud_events_handler::{Event, EventError};
///
/// assert_eq!(Event::from_slice(b"").unwrap_err(), EventError::Empty);
/// let err = Event::from_slice(b"{").unwrap_err();
/// assert_eq!(err.to_string(), "the event is not valid JSON: EOF while parsing an object at line 1 column 1");
/// ```
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventError {
    /// Nothing but whitespace.
    #[error("the event is empty: expected one JSON value")]
    Empty,
    /// Larger than the configured limit.
    #[error("the event is {len} bytes, over the limit of {max} bytes")]
    TooLarge {
        /// The event's size in bytes.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// Nested deeper than the JSON parser allows.
    #[error("the event nests deeper than 128 levels at line {line} column {column}")]
    TooDeep {
        /// 1-based line of the offending bracket.
        line: usize,
        /// 1-based column of the offending bracket.
        column: usize,
    },
    /// Not valid JSON (or not UTF-8).
    #[error("the event is not valid JSON: {reason} at line {line} column {column}")]
    NotJson {
        /// What the parser expected or found.
        reason: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
}

impl EventError {
    fn from_json(err: serde_json::Error) -> Self {
        let (line, column) = (err.line(), err.column());
        let text = err.to_string();
        if text.starts_with("recursion limit exceeded") {
            return Self::TooDeep { line, column };
        }
        // serde_json appends " at line L column C"; keep the reason only.
        let reason = match text.rfind(" at line ") {
            Some(at) => text[..at].to_owned(),
            None => text,
        };
        Self::NotJson {
            reason,
            line,
            column,
        }
    }
}
