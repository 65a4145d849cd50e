//! `ListUsers` with Cognito's filter grammar (`name = "value"` or `name ^= "prefix"` on
//! username, email, phone_number, name, given_name, family_name, preferred_username, sub,
//! cognito:user_status and status) and opaque pagination (`Limit` 0–60, default 60).

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserType};
use super::super::{constraint, failed, input, output};
use super::{page, pool};
use crate::auth::Services;
use crate::domain::user::User;
use crate::domain::username::UsernameKey;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    limit: Option<i64>,
    pagination_token: Option<String>,
    filter: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    users: Vec<UserType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pagination_token: Option<String>,
}

const FILTERABLE: &[&str] = &[
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "sub",
    "cognito:user_status",
    "status",
];

#[derive(Debug, PartialEq, Eq)]
struct Filter {
    attribute: String,
    prefix: bool,
    value: String,
}

fn parse_filter(raw: &str) -> Result<Option<Filter>, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        constraint(
            "filter",
            "Member must look like: attribute = \"value\" or attribute ^= \"prefix\"",
        )
    };
    let (attribute, rest, prefix) = match raw.split_once("^=") {
        Some((attribute, rest)) => (attribute, rest, true),
        None => {
            let (attribute, rest) = raw.split_once('=').ok_or_else(invalid)?;
            (attribute, rest, false)
        }
    };
    let attribute = attribute.trim();
    let value = rest
        .trim()
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(invalid)?;
    if !FILTERABLE.contains(&attribute) {
        return Err(constraint(
            "filter",
            &format!("{attribute:?} cannot be filtered on"),
        ));
    }
    Ok(Some(Filter {
        attribute: attribute.to_owned(),
        prefix,
        value: value.replace("\\\"", "\""),
    }))
}

fn field(user: &User, attribute: &str) -> Option<String> {
    match attribute {
        "username" => Some(user.username.clone()),
        "sub" => Some(user.sub.to_string()),
        "cognito:user_status" => Some(user.status.as_str().to_owned()),
        "status" => Some(if user.enabled { "Enabled" } else { "Disabled" }.to_owned()),
        other => user.attributes.get(other).map(str::to_owned),
    }
}

impl Filter {
    fn matches(&self, user: &User) -> bool {
        field(user, &self.attribute).is_some_and(|actual| {
            if self.prefix {
                actual.starts_with(&self.value)
            } else {
                actual == self.value
            }
        })
    }
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let limit = input.limit.unwrap_or(60);
    if !(0..=60).contains(&limit) {
        return Err(constraint(
            "limit",
            "Member must have value between 0 and 60",
        ));
    }
    let limit = usize::try_from(if limit == 0 { 60 } else { limit }).unwrap_or(60);
    let filter = parse_filter(input.filter.as_deref().unwrap_or_default())?;
    // The token is the last key of the previous page, as the store holds it.
    let mut after = page::decode("paginationToken", input.pagination_token.as_deref())?
        .map(UsernameKey::from_stored);
    // Walk the pool in key order, a batch at a time, until the page is full.
    let mut users = Vec::new();
    let mut more = false;
    'scan: loop {
        let batch = services
            .list_users_page(&pool, after.as_ref(), 200)
            .await
            .map_err(failed)?;
        let exhausted = batch.len() < 200;
        for user in batch {
            after = Some(user.username_key.clone());
            if filter.as_ref().is_none_or(|f| f.matches(&user)) {
                if users.len() == limit {
                    more = true;
                    break 'scan;
                }
                users.push(user);
            }
        }
        if exhausted {
            break;
        }
    }
    let pagination_token = more
        .then(|| users.last().map(|u| page::encode(u.username_key.as_str())))
        .flatten();
    Ok(output(&Output {
        users: users.iter().map(shapes::user).collect(),
        pagination_token,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse() {
        assert_eq!(parse_filter("").unwrap(), None);
        let exact = parse_filter("email = \"a@b.c\"").unwrap().unwrap();
        assert_eq!(
            (exact.attribute.as_str(), exact.prefix, exact.value.as_str()),
            ("email", false, "a@b.c")
        );
        let prefix = parse_filter("username ^= \"al\"").unwrap().unwrap();
        assert!(prefix.prefix);
        assert!(parse_filter("colour = \"red\"").is_err());
        assert!(parse_filter("email = a@b.c").is_err());
        assert!(parse_filter("nonsense").is_err());
    }
}
