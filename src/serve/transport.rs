//! What an HTTP endpoint anyone may reach can legitimately carry: the events
//! a broker or a webhook delivers (CloudEvents, Pub/Sub push, Event Grid,
//! S3 or EventBridge JSON…), not the invocations only a cloud makes itself.
//!
//! Two kinds of rule are refused, whoever wrote them, by what their route is:
//! - an HTTP event (`kind = "http"`: API Gateway, ALB, VPC Lattice, function
//!   URL, WebSocket): its request context (authorizer claims, source IP)
//!   becomes `ceh-request-context` and `X-Forwarded-For`, which only its
//!   source vouches for, on Lambda; behind `ceh serve` a client writes it;
//! - a CloudFormation custom resource (`reply = "cloudformation"`): its result
//!   is sent to the `ResponseURL` the event names, so a client could make ceh
//!   send requests anywhere.
//!
//! And a subscription handshake (`reply = "answer"`, Event Grid's validation
//! event) with events after it is refused: ceh answers the handshake itself,
//! and the events after it would be acknowledged without reaching the app.

use crate::event::Event;
use crate::plan::{items_after_the_first, Classified};
use crate::rule::{EventReply, Route};

/// Why `ceh serve` does not take the event classified, naming the rule it
/// matched; `None` when it does (or when it matches no rule: the way to the
/// app says so). The rule is the one the event is handled under, found once.
pub(super) fn refusal(classified: &Classified<'_, '_>) -> Option<String> {
    let rule = classified.rule()?;
    let event: &Event = classified.event();
    let why = match rule.route() {
        Route::Http(format) => format!(
            "a {format} event's request context (authorizer claims, source IP) is vouched for only by its source invoking a Lambda function, and here any client writes it; send the HTTP request itself to the app"
        ),
        Route::Event {
            reply: EventReply::CloudFormation,
            ..
        } => "a CloudFormation custom resource's result goes to the ResponseURL the event names, which only CloudFormation invoking a Lambda function may choose".to_owned(),
        Route::Event {
            reply: EventReply::Answer(_),
            ..
        } => {
            let more = items_after_the_first(event)?;
            format!("a subscription handshake comes alone, and this delivery has {more} more events after it, which ceh would acknowledge without the app seeing them; send them in a delivery of their own")
        }
        _ => return None,
    };
    Some(format!(
        "rule `{}`: ceh serve does not take this event: {why}",
        rule.name()
    ))
}
