//! `ceh sample`: the sample events ceh carries, one for every built-in rule
//! and more, to pipe into `ceh explain -` or `ceh invoke -`. Without a name
//! it lists them; with one it prints that fixture byte for byte, or with the
//! overrides given (`--bucket`, `--body`, `--path`…) applied.

mod catalog;
mod edit;
mod error;
mod overrides;

use clap::Args;

use super::failure::Failure;
use super::input::print;
use catalog::SAMPLES;
use error::SampleError;
use overrides::Overrides;

#[derive(Args)]
pub(super) struct SampleArgs {
    /// The sample, as SOURCE/VARIANT (s3/put, sqs/basic, apigw-v2/get…); without it, the list.
    #[arg(value_name = "NAME")]
    name: Option<String>,
    #[command(flatten)]
    overrides: Overrides,
}

pub(super) fn run(args: SampleArgs) -> Result<(), Failure> {
    let Some(name) = args.name else {
        return print(&listing());
    };
    let sample = catalog::find(&name).ok_or_else(|| {
        let source = name
            .split_once('/')
            .map_or(name.as_str(), |(source, _)| source);
        let known = catalog::of_source(source).map(|s| s.name).collect();
        SampleError::Unknown {
            name: name.clone(),
            known,
        }
    });
    let sample = sample.map_err(Failure::usage)?;
    match args.overrides.apply(sample).map_err(Failure::usage)? {
        Some(edited) => print(&edited),
        None => print(sample.json),
    }
}

/// `NAME  FLAGS  DESCRIPTION`, one sample a line.
fn listing() -> String {
    let width = SAMPLES.iter().map(|s| s.name.len()).max().unwrap_or(0) + 2;
    let flags: Vec<String> = SAMPLES
        .iter()
        .map(|s| overrides::flags_for(s.shape).join(" "))
        .collect();
    let flag_width = flags.iter().map(String::len).max().unwrap_or(0).max(5) + 2;
    let mut text = format!("{:<width$}{:<flag_width$}DESCRIPTION\n", "NAME", "FLAGS");
    for (sample, flags) in SAMPLES.iter().zip(&flags) {
        text.push_str(&format!(
            "{:<width$}{flags:<flag_width$}{}\n",
            sample.name, sample.description
        ));
    }
    text
}
