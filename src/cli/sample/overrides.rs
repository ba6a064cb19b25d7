//! The fields people change most in a sample, as flags, and where each lands
//! for each source: in every record of a batch, and in the copies an event
//! keeps of it (an S3 bucket's ARN, a REST API's `requestContext.path`).

use clap::Args;
use serde_json::Value;

use super::catalog::{Sample, Shape};
use super::edit;
use super::error::SampleError;

/// The override flags of `ceh sample`; each applies to the samples of some sources.
#[derive(Args, Default)]
#[command(
    next_help_heading = "Overrides (the FLAGS column of ceh sample: which apply to each sample)"
)]
pub(super) struct Overrides {
    /// S3: the bucket of every record (its name and ARN).
    #[arg(long, value_name = "NAME", requires = "name")]
    bucket: Option<String>,
    /// S3: the object key of every record; written URL-encoded, as S3 sends it (a space as +).
    #[arg(long, value_name = "KEY", requires = "name")]
    key: Option<String>,
    /// SQS, SNS: the message body of every record.
    #[arg(long, value_name = "TEXT", requires = "name")]
    body: Option<String>,
    /// EventBridge: the event's source, which is its route (/SOURCE).
    #[arg(long, value_name = "SOURCE", requires = "name")]
    source: Option<String>,
    /// EventBridge: the event's detail-type.
    #[arg(long, value_name = "TYPE", requires = "name")]
    detail_type: Option<String>,
    /// HTTP events (API Gateway, ALB, function URL, VPC Lattice): the request's path.
    #[arg(long, value_name = "PATH", requires = "name")]
    path: Option<String>,
    /// HTTP events: the request's method (sent in capitals).
    #[arg(long, value_name = "METHOD", requires = "name")]
    method: Option<String>,
}

/// One override flag.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flag {
    Bucket,
    Key,
    Body,
    Source,
    DetailType,
    Path,
    Method,
}

impl Flag {
    const ALL: [Flag; 7] = [
        Flag::Bucket,
        Flag::Key,
        Flag::Body,
        Flag::Source,
        Flag::DetailType,
        Flag::Path,
        Flag::Method,
    ];

    fn name(self) -> &'static str {
        match self {
            Flag::Bucket => "--bucket",
            Flag::Key => "--key",
            Flag::Body => "--body",
            Flag::Source => "--source",
            Flag::DetailType => "--detail-type",
            Flag::Path => "--path",
            Flag::Method => "--method",
        }
    }

    fn applies(self, shape: Shape) -> bool {
        use Shape::{Alb, EventBridge, HttpApi, LatticeV1, LatticeV2, RestApi, Sns, Sqs, S3};
        match self {
            Flag::Bucket | Flag::Key => shape == S3,
            Flag::Body => matches!(shape, Sqs | Sns),
            Flag::Source | Flag::DetailType => shape == EventBridge,
            Flag::Path | Flag::Method => {
                matches!(shape, RestApi | HttpApi | Alb | LatticeV1 | LatticeV2)
            }
        }
    }

    fn applies_to(self) -> &'static str {
        match self {
            Flag::Bucket | Flag::Key => "S3 samples",
            Flag::Body => "SQS and SNS samples",
            Flag::Source | Flag::DetailType => "EventBridge samples",
            Flag::Path | Flag::Method => {
                "HTTP samples (API Gateway, ALB, function URL, VPC Lattice)"
            }
        }
    }
}

/// The flags that apply to a sample of `shape`, as `ceh sample` lists them.
pub(super) fn flags_for(shape: Shape) -> Vec<&'static str> {
    Flag::ALL
        .into_iter()
        .filter(|flag| flag.applies(shape))
        .map(Flag::name)
        .collect()
}

impl Overrides {
    fn given(&self) -> impl Iterator<Item = (Flag, &str)> {
        let values = [
            &self.bucket,
            &self.key,
            &self.body,
            &self.source,
            &self.detail_type,
            &self.path,
            &self.method,
        ];
        Flag::ALL
            .into_iter()
            .zip(values)
            .filter_map(|(flag, value)| value.as_deref().map(|value| (flag, value)))
    }

    /// The sample with the overrides applied, pretty-printed; `None` when
    /// none was given, so that the fixture's own bytes are printed.
    pub(super) fn apply(&self, sample: &Sample) -> Result<Option<String>, SampleError> {
        if self.given().next().is_none() {
            return Ok(None);
        }
        if let Some((flag, _)) = self.given().find(|(flag, _)| !flag.applies(sample.shape)) {
            return Err(SampleError::NotApplicable {
                flag: flag.name(),
                sample: sample.name,
                applies_to: flag.applies_to(),
            });
        }
        let mut event: Value =
            serde_json::from_str(sample.json).map_err(|e| SampleError::NotJson {
                sample: sample.name,
                reason: e.to_string(),
            })?;
        for (flag, value) in self.given() {
            edit(&mut event, sample, flag, value)?;
        }
        let mut text = serde_json::to_string_pretty(&event).map_err(|e| SampleError::NotJson {
            sample: sample.name,
            reason: e.to_string(),
        })?;
        text.push('\n');
        Ok(Some(text))
    }
}

/// Writes one override's `value` where `flag` lands in a `sample`'s `event`.
fn edit(event: &mut Value, sample: &Sample, flag: Flag, value: &str) -> Result<(), SampleError> {
    let name = sample.name;
    if value.is_empty() && flag != Flag::Body {
        return Err(bad(flag, "needs a value"));
    }
    match flag {
        Flag::Bucket => edit::bucket(event, name, value),
        Flag::Key => edit::key(event, name, value),
        Flag::Body => edit::body(event, name, sample.shape, value),
        Flag::Source => edit::top(event, name, "source", value),
        Flag::DetailType => edit::top(event, name, "detail-type", value),
        Flag::Path => edit::path(event, name, sample.shape, &checked_path(value)?),
        Flag::Method => edit::method(event, name, sample.shape, &checked_method(value)?),
    }
}

fn bad(flag: Flag, reason: &str) -> SampleError {
    SampleError::BadValue {
        flag: flag.name(),
        reason: reason.to_owned(),
    }
}

fn checked_path(path: &str) -> Result<String, SampleError> {
    if !path.starts_with('/') || path.contains(['?', '#']) {
        return Err(bad(
            Flag::Path,
            "must start with / and carry no query or fragment, e.g. /orders/7",
        ));
    }
    Ok(path.to_owned())
}

fn checked_method(method: &str) -> Result<String, SampleError> {
    let method = method.to_ascii_uppercase();
    match http::Method::from_bytes(method.as_bytes()) {
        Ok(_) => Ok(method),
        Err(_) => Err(bad(Flag::Method, "is not an HTTP method, e.g. GET or POST")),
    }
}
