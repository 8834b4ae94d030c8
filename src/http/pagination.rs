//! List parameters shared by every list endpoint: `limit` (default 50, max 500) and an
//! opaque `cursor`; answers are `{"items":[…],"next_cursor":…}`.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// `?limit=&cursor=`; any other parameter is a 400, as on every list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// Page size, 1 to 500 (default 50); 400 otherwise.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    /// The limit to use, or a 400 for one outside 1..=500.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::new(ErrorCode::BadRequest, "limit must be between 1 and 500")),
        }
    }

    /// The limit and the cursor, for lists keyed by ids of one shape: a cursor that
    /// `is_key` rejects was never given out by the list, so it is a 400.
    pub fn checked(self, is_key: impl Fn(&str) -> bool) -> Result<(i64, Option<String>), ApiError> {
        let limit = self.limit()?;
        if self.cursor.as_deref().is_some_and(|c| !is_key(c)) {
            return Err(ApiError::new(ErrorCode::BadRequest, "cursor is not valid"));
        }
        Ok((limit, self.cursor))
    }
}

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page from up to `limit + 1` fetched rows: the extra row only says more exist.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: i64,
        cursor_of: impl Fn(&R) -> String,
        view: impl Fn(R) -> T,
    ) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(&cursor_of) } else { None };
        Self { items: rows.into_iter().map(view).collect(), next_cursor }
    }
}
