//! An incoming event: its original bytes, checked to be JSON, and the parts
//! of its JSON that the rules read, built when they are first read.

use std::sync::OnceLock;

use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;

use crate::read::{check, ViewKey, ViewSlot, Views};

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

/// An event as it arrived: the raw bytes, checked to be one JSON value.
///
/// The bytes are what the app receives as the request body, byte for byte.
/// Routing reads only the parts of the JSON its rules name, built from the
/// bytes when first needed; [`Event::json`] builds all of it, once.
///
/// ```
/// use cloud_events_handler::Event;
///
/// let event = Event::from_slice(br#"{"source": "com.example"}"#)?;
/// assert_eq!(event.json()["source"], "com.example");
/// assert_eq!(event.bytes().as_ref(), br#"{"source": "com.example"}"#);
/// # Ok::<(), cloud_events_handler::EventError>(())
/// ```
#[derive(Debug)]
pub struct Event {
    bytes: Bytes,
    /// All of the JSON, built on first use.
    json: OnceLock<Value>,
    /// Whether the JSON was given rather than read from the bytes, which are
    /// then not (or not only) that JSON: only `json` describes the event.
    given: bool,
    /// What a rule table reads of the JSON: while classifying, and once a rule
    /// that reads more has matched. Each is built at most once per event.
    views: Views,
    /// For a CloudEvent that arrived in binary mode: its `ce-*` headers and
    /// content type, so it leaves in binary mode too.
    binary: Option<Box<HeaderMap>>,
    /// All of the JSON as a rule changes it before it reads it (a batch
    /// rule's `json_text`: strings read as the JSON they hold), with the
    /// change's name; built once, for the first change asked for.
    changed: OnceLock<(Box<str>, Value)>,
}

/// A copy shares the event's bytes. The JSON built from them is not copied:
/// the copy builds it again if it is asked for, from the same checked bytes,
/// so copying an event (as the [`RawEvent`](crate::passthrough::RawEvent)
/// extension of every passed-through request does) costs no deep copy. JSON
/// that was given, which the bytes do not describe, is copied.
///
/// ```
/// use cloud_events_handler::Event;
///
/// let event = Event::from_slice(br#"{"a": [1, 2]}"#)?;
/// assert_eq!(event.json()["a"][1], 2);
/// let copy = event.clone();
/// assert_eq!(copy.bytes().as_ptr(), event.bytes().as_ptr(), "the same buffer");
/// assert_eq!(copy.json(), event.json());
/// let given = Event::from_json(serde_json::json!({"b": true}));
/// assert_eq!(given.clone().json(), given.json());
/// # Ok::<(), cloud_events_handler::EventError>(())
/// ```
impl Clone for Event {
    fn clone(&self) -> Self {
        let json = OnceLock::new();
        if self.given {
            if let Some(value) = self.json.get() {
                let _ = json.set(value.clone());
            }
        }
        Self {
            bytes: self.bytes.clone(),
            json,
            given: self.given,
            views: Default::default(),
            binary: self.binary.clone(),
            changed: OnceLock::new(),
        }
    }
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
        if let Some(refused) = Self::refused(&bytes, max_bytes) {
            return Err(refused);
        }
        check(&bytes).map_err(EventError::from_json)?;
        Ok(Self {
            bytes,
            json: OnceLock::new(),
            given: false,
            views: Default::default(),
            binary: None,
            changed: OnceLock::new(),
        })
    }

    /// An event whose bytes `classify` has already read in full, checking
    /// them as [`Event::from_bytes`] would: what a rule table's
    /// classification reads of them is `view`, for the table `key` names.
    pub(crate) fn read(bytes: Bytes, key: ViewKey, view: Value) -> Self {
        Self {
            bytes,
            json: OnceLock::new(),
            given: false,
            views: Views::with(ViewSlot::Classify, key, view),
            binary: None,
            changed: OnceLock::new(),
        }
    }

    /// Whether bytes of this length are refused before they are read: over
    /// `max_bytes`, or nothing but whitespace.
    pub(crate) fn refused(bytes: &[u8], max_bytes: usize) -> Option<EventError> {
        if bytes.len() > max_bytes {
            return Some(EventError::TooLarge {
                len: bytes.len(),
                max: max_bytes,
            });
        }
        bytes
            .iter()
            .all(u8::is_ascii_whitespace)
            .then_some(EventError::Empty)
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
        Self::given(bytes, json, None)
    }

    fn given(bytes: Bytes, json: Value, binary: Option<Box<HeaderMap>>) -> Self {
        Self {
            bytes,
            json: OnceLock::from(json),
            given: true,
            views: Default::default(),
            binary,
            changed: OnceLock::new(),
        }
    }

    /// A CloudEvent that arrived in binary mode: `json` its structured form,
    /// which the rules read; `data` the body as it came, which the app gets
    /// byte for byte; `attributes` its `ce-*` headers and content type, which
    /// the app gets as they came.
    pub(crate) fn binary_cloudevent(json: Value, data: Bytes, attributes: HeaderMap) -> Self {
        Self::given(data, json, Some(Box::new(attributes)))
    }

    /// The `ce-*` headers and content type of a CloudEvent that arrived in binary mode.
    pub(crate) fn binary_attributes(&self) -> Option<&HeaderMap> {
        self.binary.as_deref()
    }

    /// The original bytes, forwarded unchanged as the request body.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// All of the event's JSON, built from the bytes on the first call.
    /// Routing does not need it: it reads only what its rules name.
    pub fn json(&self) -> &Value {
        self.json.get_or_init(|| {
            // The bytes were checked to parse as one JSON value when the event was made.
            serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
        })
    }

    /// All of the event's JSON as `change` makes it, for the change named
    /// `name`, built the first time it is asked for (from the bytes, so
    /// that the unchanged JSON is not kept as well); `None` when a change of
    /// another name was built first.
    pub(crate) fn changed(&self, name: &str, change: impl FnOnce(&mut Value)) -> Option<&Value> {
        let (built, json) = self.changed.get_or_init(|| {
            let mut json = match self.json.get() {
                Some(json) => json.clone(),
                // The bytes were checked to parse as one JSON value when the event was made.
                None => serde_json::from_slice(&self.bytes).unwrap_or(Value::Null),
            };
            change(&mut json);
            (name.into(), json)
        });
        (**built == *name).then_some(json)
    }

    /// What a rule table reads of the JSON, built by `build` from the bytes
    /// the first time this `slot` is asked for; `key` names the table and
    /// the rule. Another key, or an event whose JSON was given, gets all of it.
    pub(crate) fn view(
        &self,
        slot: ViewSlot,
        key: ViewKey,
        build: impl FnOnce(&[u8]) -> Option<Value>,
    ) -> &Value {
        if self.given {
            return self.json();
        }
        match self.views.get(slot, key, &self.bytes, build) {
            Some(view) => view,
            None => self.json(),
        }
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
