//! A file the operator names at start (the configuration, a key set,
//! host.json, function.json): read whole, but never past a bound, even if it
//! grows while it is read (`/dev/zero` behind a link, a log written to).

use std::io::Read;
use std::path::Path;

/// The bytes of the file at `path`, or `Ok(None)` when it holds more than
/// `limit` bytes; at most `limit + 1` bytes are ever read.
pub(crate) fn read_at_most(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}
