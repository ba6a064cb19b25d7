//! Azure Functions HTTP triggers in the invocation payload a custom handler
//! receives: `{"Data": {"req": {Url, Method, Query, Headers, Params, Body,
//! Identities}}, "Metadata": {…}}`, the trigger's binding under the name
//! function.json gives it.

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};
use serde_json::{Map, Value};

use super::build::EventRequest;
use super::error::PassThroughError;
use super::format::HttpFormat;
use super::headers;
use super::query;
use crate::escape;

const FORMAT: HttpFormat = HttpFormat::AzureFunctions;

/// Reads the request of the first `Data` member that has a `Url` and a `Method`.
pub(super) fn azure_functions(json: &Value) -> Result<EventRequest<'_>, PassThroughError> {
    let (binding, req) = trigger(json).ok_or_else(|| PassThroughError::Shape {
        format: FORMAT,
        reason: "no member of `Data` has a `Url` and a `Method`".to_owned(),
    })?;
    let field = |name: &str| format!("Data.{binding}.{name}");
    let text = |name: &str| -> Result<&str, PassThroughError> {
        req.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| PassThroughError::field(FORMAT, field(name), "a string"))
    };
    let method = text("Method")?;
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| PassThroughError::Method {
        format: FORMAT,
        field: "Data.<binding>.Method",
        value: method.to_owned(),
    })?;
    // The URL as the client sent it may hold what a URI cannot (a space): escaped as raw text is.
    let (url, query) = match text("Url")?.split_once('?') {
        Some((url, query)) => (url, Some(query)),
        None => (text("Url")?, None),
    };
    let uri: Uri = escape::raw(url, escape::PATH)
        .parse()
        .map_err(|_| PassThroughError::field(FORMAT, field("Url"), "an absolute URL"))?;
    let mut headers = HeaderMap::new();
    if let Some(sent) = req.get("Headers") {
        let wrapped = Value::Object(Map::from_iter([("Headers".to_owned(), sent.clone())]));
        headers = headers::object(&wrapped, "Headers", FORMAT)?;
    }
    let body = match req.get("Body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) => Bytes::from(text.clone().into_bytes()),
        // The host parsed a JSON body; it goes on as JSON.
        Some(other) => Bytes::from(other.to_string().into_bytes()),
    };
    Ok(EventRequest {
        method,
        path: uri.path().to_owned(),
        stage: None,
        query: query.map(query::raw_string).unwrap_or_default(),
        headers,
        body,
        domain_name: uri.authority().map(|a| a.as_str().to_owned()),
        source_ip: None,
        https_only: uri.scheme_str() == Some("https"),
        context: None,
        stage_variables: None,
    })
}

/// The trigger's binding name and request object.
fn trigger(json: &Value) -> Option<(&str, &Map<String, Value>)> {
    json.get("Data")?
        .as_object()?
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.as_object()?)))
        .find(|(_, req)| req.contains_key("Url") && req.contains_key("Method"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_request_is_read_from_the_trigger_binding() {
        let event = json!({"Data": {"other": 1, "req": {"Url": "http://localhost:7071/api/orders?id=7&x=a b",
            "Method": "PUT", "Headers": {"Content-Type": ["text/plain"]}, "Body": "hi"}}, "Metadata": {}});
        let described = azure_functions(&event).unwrap();
        assert_eq!(described.method, Method::PUT);
        assert_eq!(described.path, "/api/orders");
        assert_eq!(described.query, "id=7&x=a%20b");
        assert_eq!(described.headers["content-type"], "text/plain");
        assert_eq!(described.body, "hi");
        assert_eq!(described.domain_name.as_deref(), Some("localhost:7071"));
        let broken = json!({"Data": {"req": {"Url": "http://h/", "Method": "GE T"}}});
        assert!(matches!(
            azure_functions(&broken),
            Err(PassThroughError::Method { .. })
        ));
        assert!(matches!(
            azure_functions(&json!({"Data": {}})),
            Err(PassThroughError::Shape { .. })
        ));
    }
}
