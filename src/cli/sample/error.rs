//! Why `ceh sample` printed nothing: each a usage error (exit 2), in one line.

/// Why a sample could not be printed as asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(super) enum SampleError {
    /// No sample has this name; `known` are the samples of the same source.
    #[error("no sample named {name}{}; ceh sample lists them all", of_source(.known))]
    Unknown {
        name: String,
        known: Vec<&'static str>,
    },
    /// An override flag given for a sample it does not apply to.
    #[error("{flag} does not apply to {sample}: it is for {applies_to} (ceh sample lists each sample's flags)")]
    NotApplicable {
        flag: &'static str,
        sample: &'static str,
        applies_to: &'static str,
    },
    /// An override's value that no event of the source could carry.
    #[error("{flag} {reason}")]
    BadValue { flag: &'static str, reason: String },
    /// The sample lacks a field its shape promises (a fault of the catalog).
    #[error("sample {sample} has no {field} to override")]
    Missing { sample: &'static str, field: String },
    /// The sample is not JSON (a fault of the catalog).
    #[error("sample {sample} is not valid JSON: {reason}")]
    NotJson {
        sample: &'static str,
        reason: String,
    },
}

/// ` (s3 has s3/put)`, or nothing when the source has no samples.
fn of_source(known: &[&str]) -> String {
    match known.first().and_then(|name| name.split_once('/')) {
        Some((source, _)) => format!(" ({source} has {})", known.join(", ")),
        None => String::new(),
    }
}
