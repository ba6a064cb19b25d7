//! `Statuses`: a set of HTTP statuses written as codes, classes and ranges,
//! for `[http] failure_status` and Lambda Web Adapter's
//! `AWS_LWA_ERROR_STATUS_CODES` (`500,502-504`).

use std::ops::RangeInclusive;

/// HTTP statuses, written as codes (`500`), classes (`"5xx"`) and ranges
/// (`"502-504"`).
///
/// ```
/// use cloud_events_handler::Statuses;
///
/// let statuses = Statuses::parse("500, 502-504")?;
/// assert!(statuses.contains(503) && !statuses.contains(501));
/// assert!(Statuses::parse("5xx")?.contains(599));
/// assert!(Statuses::parse("5O0").is_err());
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statuses(Vec<RangeInclusive<u16>>);

impl Statuses {
    /// Reads a comma-separated list (Lambda Web Adapter's form); the error
    /// names the part at fault and says what to write.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(item)
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Reads the items of a list, each a code, a class or a range.
    pub(crate) fn from_items<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        items
            .into_iter()
            .map(item)
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// The statuses from `range`'s start to its end.
    ///
    /// ```
    /// use cloud_events_handler::Statuses;
    ///
    /// assert_eq!(Statuses::from_range(100..=499), Statuses::parse("100-499")?);
    /// # Ok::<(), String>(())
    /// ```
    pub fn from_range(range: RangeInclusive<u16>) -> Self {
        Self(vec![range])
    }

    /// Whether `status` is one of them.
    pub fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|range| range.contains(&status))
    }
}

/// One code, class or range.
fn item(text: &str) -> Result<RangeInclusive<u16>, String> {
    let text = text.trim();
    let code = |t: &str| {
        t.trim()
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
    };
    let range = match (text.as_bytes(), text.split_once('-')) {
        ([class @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'], _) => {
            let first = u16::from(class - b'0') * 100;
            Some(first..=first + 99)
        }
        (_, Some((from, to))) => code(from).zip(code(to)).map(|(a, b)| a..=b),
        (_, None) => code(text).map(|c| c..=c),
    };
    range.filter(|r| !r.is_empty()).ok_or_else(|| {
        format!("{text:?} is not a status; write a code (500), a class (\"5xx\") or a range (\"502-504\")")
    })
}
