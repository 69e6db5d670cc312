//! Cursor pagination shared by every list: `limit` (1 to [`MAX_LIMIT`], default
//! [`DEFAULT_LIMIT`]) and `cursor`, the `next_cursor` of the previous page. Lists are in a
//! stable order by a unique positive id (newest first), and the cursor is the last id of
//! the page before, so rows added meanwhile never shift a page.

use crate::ApiError;

/// Page size when `limit` is not given, and the most one page may hold.
pub const DEFAULT_LIMIT: i64 = 25;
pub const MAX_LIMIT: i64 = 100;

/// `limit` as given in a query: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
pub fn limit(text: Option<&str>) -> Result<i64, ApiError> {
    match text {
        None => Ok(DEFAULT_LIMIT),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "invalid_limit",
                    format!("`limit` must be a number from 1 to {MAX_LIMIT}, not `{text}`."),
                )
            }),
    }
}

/// `cursor` as given in a query: the last id of the previous page.
pub fn cursor(text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.map(|text| {
        text.parse::<i64>().ok().filter(|c| *c > 0).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_cursor",
                format!("`cursor` must be the `next_cursor` of a previous page, not `{text}`."),
            )
        })
    })
    .transpose()
}

/// The cursor of the page after `items` (fetched with `limit`): its last id, or `None`
/// when the page was not full (the last one).
pub fn next_cursor<T>(items: &[T], limit: i64, id: impl Fn(&T) -> i64) -> Option<String> {
    if items.len() as i64 == limit {
        items.last().map(|item| id(item).to_string())
    } else {
        None
    }
}

/// One page of `items` already in their stable order (ids descending): those below
/// `before`, at most `limit`, and the next cursor. For lists a service returns whole
/// (a guild's API keys).
pub fn slice<T>(
    items: Vec<T>,
    before: Option<i64>,
    limit: i64,
    id: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<String>) {
    let page: Vec<T> = items
        .into_iter()
        .filter(|item| before.is_none_or(|b| id(item) < b))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect();
    let next = next_cursor(&page, limit, &id);
    (page, next)
}
