//! What the Functions host can legitimately send a custom handler: its
//! invocation payloads (`{"Data", "Metadata"}`), which the Azure Functions
//! rules read, an HTTP trigger's request among them.
//!
//! A payload carries data the host was given (a queue message, a blob), so a
//! rule could still match what no Functions trigger is, and two kinds are
//! refused, by what their route is: an HTTP event of another cloud's shape
//! (API Gateway, ALB…: its request context is vouched for by that cloud only),
//! and a CloudFormation custom resource (its result goes to a URL the event
//! names).

use crate::passthrough::HttpFormat;
use crate::plan::Classified;
use crate::rule::{EventReply, Route};

/// Why `ceh functions` does not take the event classified, naming the rule
/// it matched; `None` when it does (or when it matches no rule: the way to
/// the app says so). The rule is the one the event is handled under.
pub(super) fn refusal(classified: &Classified<'_, '_>) -> Option<String> {
    let rule = classified.rule()?;
    let why = match rule.route() {
        Route::Http(HttpFormat::AzureFunctions) => return None,
        Route::Http(format) => format!(
            "a {format} event's request context is vouched for only by its source invoking a Lambda function, not by the Functions host"
        ),
        Route::Event {
            reply: EventReply::CloudFormation,
            ..
        } => "a CloudFormation custom resource's result goes to the ResponseURL the event names, which only CloudFormation invoking a Lambda function may choose".to_owned(),
        _ => return None,
    };
    Some(format!(
        "rule `{}`: ceh functions does not take this event: {why}",
        rule.name()
    ))
}
