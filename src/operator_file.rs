//! A file the operator names at start (the configuration, a key set,
//! host.json, function.json): refused when ceh could hang on it or read it
//! without end (a FIFO, a device, a directory), and read whole but never past
//! a bound, even if it grows while it is read (`/dev/zero` behind a link, a
//! log written to).

use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file the operator named was not read.
///
/// ```
/// use cloud_events_handler::operator_file::{read, OperatorFileError};
///
/// let dir = tempfile::tempdir()?;
/// let err = read(dir.path(), 1024).unwrap_err();
/// assert!(matches!(err, OperatorFileError::NotRegular { .. }));
/// assert!(err.to_string().ends_with(": not a regular file (a FIFO, a device or a directory); name a file"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OperatorFileError {
    /// A FIFO, a device or a directory.
    #[error("{}: not a regular file (a FIFO, a device or a directory); name a file", .path.display())]
    NotRegular {
        /// The file as named.
        path: PathBuf,
    },
    /// More bytes than the file may hold.
    #[error("{}: {}over the limit of {limit} bytes for this file", .path.display(), .size.map(|n| format!("{n} bytes, ")).unwrap_or_default())]
    TooLarge {
        /// The file as named.
        path: PathBuf,
        /// Its size, when it was that large before it was read.
        size: Option<u64>,
        /// The most bytes it may hold.
        limit: u64,
    },
    /// It could not be read.
    #[error("{}: cannot read: {}", .path.display(), reason(.source))]
    Read {
        /// The file as named.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
}

/// An I/O error as a lowercase reason, without the OS's error number.
fn reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    text.find(" (os error")
        .map_or(text.as_str(), |at| &text[..at])
        .to_lowercase()
}

/// The bytes of the file at `path`, refused as [`OperatorFileError`] says;
/// at most `limit + 1` bytes are ever read.
///
/// ```
/// let file = tempfile::NamedTempFile::new()?;
/// std::fs::write(file.path(), "[fallback]\n")?;
/// assert_eq!(cloud_events_handler::operator_file::read(file.path(), 64)?, b"[fallback]\n");
/// assert!(cloud_events_handler::operator_file::read(file.path(), 4).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, OperatorFileError> {
    let cannot = |source| OperatorFileError::Read {
        path: path.to_owned(),
        source,
    };
    let too_large = |size| OperatorFileError::TooLarge {
        path: path.to_owned(),
        size,
        limit,
    };
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(OperatorFileError::NotRegular {
            path: path.to_owned(),
        });
    }
    if meta.len() > limit {
        return Err(too_large(Some(meta.len())));
    }
    read_at_most(path, limit)
        .map_err(cannot)?
        .ok_or_else(|| too_large(None))
}

/// The bytes of the file at `path`, or `Ok(None)` when it holds more than
/// `limit` bytes; at most `limit + 1` bytes are ever read.
pub(crate) fn read_at_most(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}
