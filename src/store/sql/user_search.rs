//! `ListUsers`: a pool's users in pages, optionally filtered. Every query is one bounded
//! range of an index of schema version 10 (`users_search_*`), read in index order and cut
//! at the page size, so a page costs the same in a pool of ten users or of millions.
//!
//! The attribute expressions below must stay exactly those the migrations index, or the
//! database falls back to reading the whole pool.

use sqlx::AssertSqlSafe;

use super::users::{USER_COLUMNS, user_from};
use super::{Columns, SqlStore, Statement, get};
use crate::domain::ids::UserPoolId;
use crate::domain::user::User;
use crate::domain::user_filter::{Match, SearchField, UserFilter, prefix_upper_bound};
use crate::store::{Backend, StoreError, UserPageKey};

/// The SQL of a searchable field's value, as its index spells it.
fn field_expression(backend: Backend, field: SearchField) -> String {
    let column = |name: &str| match backend {
        Backend::Postgres => format!("{name} COLLATE \"C\""),
        Backend::Sqlite => name.to_owned(),
    };
    match field {
        SearchField::Username => column("username"),
        SearchField::Sub => column("sub"),
        SearchField::UserStatus => column("status"),
        // The names come from the fixed list of searchable attributes, never from input.
        SearchField::Attribute(name) => match backend {
            Backend::Postgres => format!("(attributes::jsonb ->> '{name}') COLLATE \"C\""),
            Backend::Sqlite => format!("json_extract(attributes, '$.{name}')"),
        },
    }
}

/// A search statement: its text, and its parameters after the pool id (`$1`).
struct Search {
    sql: String,
    texts: Vec<String>,
    enabled: Option<bool>,
}

impl Search {
    /// Adds a text parameter and returns its placeholder.
    fn parameter(&mut self, value: String) -> String {
        self.texts.push(value);
        format!("${}", self.texts.len() + 1)
    }

    /// The statement for `filter` after `after`, or None when no user can match.
    fn build(
        backend: Backend,
        filter: Option<&UserFilter>,
        after: Option<&UserPageKey>,
    ) -> Option<Self> {
        let mut search = Self {
            sql: String::new(),
            texts: Vec::new(),
            enabled: None,
        };
        let mut conditions = Vec::new();
        // The value the listing is ordered by before the username key, if any.
        let mut sort = None;
        match filter {
            None => {}
            Some(UserFilter::Nobody) => return None,
            Some(UserFilter::Enabled(flag)) => search.enabled = Some(*flag),
            Some(UserFilter::Field(field, matching)) => {
                let expression = field_expression(backend, *field);
                match matching {
                    Match::Exact(value) => {
                        let p = search.parameter(value.clone());
                        conditions.push(format!("{expression} = {p}"));
                    }
                    Match::Prefix(prefix) => {
                        let low = search.parameter(prefix.clone());
                        conditions.push(format!("{expression} >= {low}"));
                        if let Some(high) = prefix_upper_bound(prefix) {
                            let high = search.parameter(high);
                            conditions.push(format!("{expression} < {high}"));
                        }
                    }
                }
                sort = Some(expression);
            }
        }
        match (after, &sort) {
            (None, _) => {}
            (
                Some(UserPageKey {
                    value,
                    username_key,
                }),
                Some(expression),
            ) => {
                let value = search.parameter(value.clone().unwrap_or_default());
                let key = search.parameter(username_key.as_str().to_owned());
                conditions.push(format!("({expression}, username_key) > ({value}, {key})"));
            }
            (Some(UserPageKey { username_key, .. }), None) => {
                let key = search.parameter(username_key.as_str().to_owned());
                conditions.push(format!("username_key > {key}"));
            }
        }
        let mut next = search.texts.len() + 2;
        if search.enabled.is_some() {
            conditions.push(format!("enabled = ${next}"));
            next += 1;
        }
        let order = match &sort {
            Some(expression) => format!("{expression}, username_key"),
            None => "username_key".to_owned(),
        };
        let conditions: String = conditions.iter().map(|c| format!(" AND {c}")).collect();
        search.sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE pool_id = $1{conditions} \
             ORDER BY {order} LIMIT ${next}"
        );
        Some(search)
    }

    fn bind(&self, statement: Statement, pool: &UserPoolId, limit: u32) -> Statement {
        let mut statement = statement.bind(pool.as_str().to_owned());
        for text in &self.texts {
            statement = statement.bind(text.clone());
        }
        if let Some(flag) = self.enabled {
            statement = statement.bind(flag);
        }
        statement.bind(i64::from(limit))
    }
}

impl SqlStore {
    pub(super) async fn search_users_page(
        &self,
        pool: &UserPoolId,
        filter: Option<&UserFilter>,
        after: Option<&UserPageKey>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError> {
        let Some(search) = Search::build(self.backend, filter, after) else {
            return Ok(Vec::new());
        };
        self.fetch_all(
            "search_users",
            AssertSqlSafe(search.sql.clone()),
            |q| search.bind(q, pool, limit),
            |row| user_from(Columns::plain(row)),
        )
        .await
    }

    /// The database's plan for the first page of `filter`, one line per step.
    pub(super) async fn explain_search(
        &self,
        pool: &UserPoolId,
        filter: &UserFilter,
    ) -> Result<String, StoreError> {
        let Some(search) = Search::build(self.backend, Some(filter), None) else {
            return Ok(String::new());
        };
        let (explain, column) = match self.backend {
            Backend::Postgres => ("EXPLAIN", "QUERY PLAN"),
            Backend::Sqlite => ("EXPLAIN QUERY PLAN", "detail"),
        };
        let lines: Vec<String> = self
            .fetch_all(
                "explain_search",
                AssertSqlSafe(format!("{explain} {}", search.sql)),
                |q| search.bind(q, pool, 60),
                |row| get(row, column),
            )
            .await?;
        Ok(lines.join("\n"))
    }
}
