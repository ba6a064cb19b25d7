//! What the user hands a command: the configuration file, and an event to read.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[cfg(feature = "cli")]
use clap::Args;

use super::failure::Failure;
use cloud_events_handler::operator_file;
use cloud_events_handler::vars::CONFIG_VAR;
use cloud_events_handler::Config;
use cloud_events_handler::DEFAULT_MAX_EVENT_BYTES;

/// The configuration file option shared by the commands.
#[derive(Default)]
#[cfg_attr(feature = "cli", derive(Args))]
pub(super) struct ConfigArg {
    /// Configuration file (user rules, fallback, environment); built-in rules only when unset.
    #[cfg_attr(feature = "cli", arg(long, short = 'c', value_name = "FILE", env = CONFIG_VAR))]
    config: Option<PathBuf>,
}

impl ConfigArg {
    /// The configuration named by `CEH_CONFIG`, as clap would read it.
    pub(super) fn from_env() -> Self {
        Self {
            config: std::env::var_os(CONFIG_VAR).map(PathBuf::from),
        }
    }

    pub(super) fn load(&self) -> Result<Config, Failure> {
        Config::load_or_default(self.config.as_ref()).map_err(Failure::usage)
    }
}

/// Reads a file the operator names (a key set), as the library reads its
/// configuration: a regular file, at most `limit` bytes.
pub(super) fn read_operator_file(path: &Path, limit: u64) -> Result<Vec<u8>, Failure> {
    operator_file::read(path, limit).map_err(Failure::usage)
}

/// Past the event limit nothing more is kept, but this much more is still
/// counted, so that an error can say how large the event was; `/dev/zero`
/// is given up on after it.
pub(super) const COUNTED_PAST_LIMIT: u64 = 4 * DEFAULT_MAX_EVENT_BYTES as u64;

/// Reads a whole event: a file, or standard input for `-`, without a UTF-8
/// byte-order mark at its start ([`WithoutBom`]); at most one byte more than
/// an event may have is kept.
pub(super) fn read_input(input: &Path) -> Result<Vec<u8>, Failure> {
    let cannot = |e: std::io::Error| {
        Failure::usage(format!(
            "{}: cannot read the event: {}",
            name(input),
            io_reason(&e)
        ))
    };
    let limit = DEFAULT_MAX_EVENT_BYTES as u64;
    // A file's length, where it has one, sizes the buffer at once: grown by
    // doubling, a 6 MiB event would be read into 10 MiB.
    let mut expected = 0;
    let mut reader = WithoutBom::new(if input == Path::new("-") {
        Box::new(std::io::stdin().lock()) as Box<dyn Read>
    } else {
        let file = std::fs::File::open(input).map_err(cannot)?;
        expected = file.metadata().map_or(0, |meta| meta.len().min(limit + 1));
        Box::new(file)
    });
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    (&mut reader)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        let rest = std::io::copy(&mut reader.take(COUNTED_PAST_LIMIT), &mut std::io::sink())
            .map_err(cannot)?;
        return Err(Failure::event(format!(
            "{}: the event is {}, over the limit of {limit} bytes",
            name(input),
            size(bytes.len() as u64 + rest, rest == COUNTED_PAST_LIMIT)
        )));
    }
    Ok(bytes)
}

/// The UTF-8 encoding of U+FEFF, the byte-order mark.
const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// A reader of a file or standard input the user hands the CLI, without the
/// UTF-8 byte-order mark some editors and .NET tools write at the start of a
/// JSON file: RFC 8259 §8.1 lets a parser ignore it. Every other byte is
/// passed on as read, so the event's bytes stay as they are. Events that
/// Lambda or HTTP deliver are not read through it: no sender puts a mark
/// there, and one is refused as invalid JSON.
pub(super) struct WithoutBom<R> {
    inner: R,
    /// The input's first bytes, kept until it is known whether they are a mark.
    head: [u8; 3],
    /// How many bytes of `head` were read, and how many of them were passed on.
    read: usize,
    passed: usize,
    /// Whether the start was looked at: before it, nothing is passed on.
    checked: bool,
}

impl<R: Read> WithoutBom<R> {
    /// Reads `inner`, leaving out a byte-order mark at its start.
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            head: [0; 3],
            read: 0,
            passed: 0,
            checked: false,
        }
    }

    /// Reads the first bytes until they are a whole mark, or cannot be one
    /// (a pipe may hand them over one at a time).
    fn check_start(&mut self) -> std::io::Result<()> {
        while self.read < BOM.len() && self.head[..self.read] == BOM[..self.read] {
            match self.inner.read(&mut self.head[self.read..]) {
                Ok(0) => break,
                Ok(n) => self.read += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.head[..self.read] == BOM[..] {
            self.passed = self.read;
        }
        self.checked = true;
        Ok(())
    }
}

impl<R: Read> Read for WithoutBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.checked {
            self.check_start()?;
        }
        if self.passed < self.read {
            let kept = &self.head[self.passed..self.read];
            let n = kept.len().min(buf.len());
            buf[..n].copy_from_slice(&kept[..n]);
            self.passed += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

/// `N bytes`, or `more than N bytes` when counting stopped.
pub(super) fn size(counted: u64, stopped: bool) -> String {
    match stopped {
        true => format!("more than {counted} bytes"),
        false => format!("{counted} bytes"),
    }
}

/// Writes `text` to standard output: a closed or full stdout (`| true`,
/// `> /dev/full`) is a failure with one line, exit 1, never a panic.
pub(super) fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::event(format!("cannot write the output: {}", io_reason(&e))))
}

/// How a file is named in messages.
pub(super) fn name(input: &Path) -> String {
    if input == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        input.display().to_string()
    }
}

/// An I/O error's reason without the "(os error N)" suffix.
pub(super) fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_lowercase(),
        None => text.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands over one byte a read, as a slow pipe may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((byte, rest)), Some(slot)) => {
                    *slot = *byte;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn read_all(input: &[u8], trickle: bool) -> Vec<u8> {
        let mut out = Vec::new();
        match trickle {
            true => WithoutBom::new(Trickle(input)).read_to_end(&mut out),
            false => WithoutBom::new(input).read_to_end(&mut out),
        }
        .unwrap();
        out
    }

    #[test]
    fn a_mark_at_the_start_is_left_out_and_every_other_byte_kept() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"\xEF\xBB\xBF{}", b"{}"),
            (b"\xEF\xBB\xBF", b""),
            (b"{}", b"{}"),
            (b"", b""),
            (b"\xEF\xBB", b"\xEF\xBB"),
            (b"\xEF\xBB{}", b"\xEF\xBB{}"),
            (b"\xEF{}", b"\xEF{}"),
            (b"\xEF\xBB\xBF\xEF\xBB\xBF{}", b"\xEF\xBB\xBF{}"),
            (b" \xEF\xBB\xBF{}", b" \xEF\xBB\xBF{}"),
        ];
        for (input, expected) in cases {
            for trickle in [false, true] {
                assert_eq!(
                    &read_all(input, trickle),
                    expected,
                    "{input:?}, trickle {trickle}"
                );
            }
        }
    }

    #[test]
    fn small_reads_get_the_kept_start_a_byte_at_a_time() {
        let mut reader = WithoutBom::new(&b"\xEF\xBBx"[..]);
        let mut one = [0u8; 1];
        let mut got = Vec::new();
        while reader.read(&mut one).unwrap() == 1 {
            got.push(one[0]);
        }
        assert_eq!(got, b"\xEF\xBBx");
    }
}
