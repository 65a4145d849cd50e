//! `ListUsers`'s `Filter`: Cognito's grammar, `attribute = "value"` (exact) or
//! `attribute ^= "prefix"` (starts with), on the ten fields Cognito searches.
//!
//! The value is in double quotes; inside them `\"` is a quote and `\\` a backslash, and any
//! other character stands for itself. Blanks may surround the name, the operator and the
//! value. An empty (or blank) filter lists everyone.

use super::user::User;

/// A field `ListUsers` can search, as the store indexes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchField {
    /// `username`: the name as stored (case-sensitive, as Cognito documents).
    Username,
    Sub,
    /// `cognito:user_status` (case-insensitive: compared in upper case, as stored).
    UserStatus,
    /// One of the standard attributes Cognito searches.
    Attribute(&'static str),
}

impl SearchField {
    /// The user's value of the field, as the store compares it.
    pub fn value_of(self, user: &User) -> Option<String> {
        match self {
            Self::Username => Some(user.username.clone()),
            Self::Sub => Some(user.sub.to_string()),
            Self::UserStatus => Some(user.status.as_str().to_owned()),
            Self::Attribute(name) => user.attributes.get(name).map(str::to_owned),
        }
    }
}

/// The standard attributes Cognito searches (custom attributes are not searchable).
pub const SEARCHABLE_ATTRIBUTES: &[&str] = &[
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Exact(String),
    Prefix(String),
}

impl Match {
    pub fn value(&self) -> &str {
        match self {
            Self::Exact(v) | Self::Prefix(v) => v,
        }
    }

    fn matches(&self, actual: &str) -> bool {
        match self {
            Self::Exact(v) => actual == v,
            Self::Prefix(p) => actual.starts_with(p.as_str()),
        }
    }

    fn map(self, f: impl FnOnce(String) -> String) -> Self {
        match self {
            Self::Exact(v) => Self::Exact(f(v)),
            Self::Prefix(v) => Self::Prefix(f(v)),
        }
    }
}

/// A parsed filter, as the store runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFilter {
    /// Users whose field matches.
    Field(SearchField, Match),
    /// `status`: users enabled (`"Enabled"`) or disabled (`"Disabled"`).
    Enabled(bool),
    /// A `status` filter that neither `Enabled` nor `Disabled` matches: nobody.
    Nobody,
}

/// Why a filter was refused, in Cognito's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("Error while parsing filter.")]
    Malformed,
    #[error("Invalid search attribute: {0}")]
    NotSearchable(String),
}

impl UserFilter {
    /// None for an empty filter (everyone).
    pub fn parse(raw: &str) -> Result<Option<Self>, FilterError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        // No stored value holds a NUL, and Postgres refuses one in any text it is given.
        if raw.contains('\0') {
            return Err(FilterError::Malformed);
        }
        let name_end = raw
            .find(|c: char| c.is_whitespace() || c == '=' || c == '^')
            .ok_or(FilterError::Malformed)?;
        let (name, rest) = raw.split_at(name_end);
        let rest = rest.trim_start();
        let (prefix, rest) = if let Some(rest) = rest.strip_prefix("^=") {
            (true, rest)
        } else if let Some(rest) = rest.strip_prefix('=') {
            (false, rest)
        } else {
            return Err(FilterError::Malformed);
        };
        let value = quoted(rest.trim())?;
        if name.is_empty() {
            return Err(FilterError::Malformed);
        }
        let matching = if prefix {
            Match::Prefix(value)
        } else {
            Match::Exact(value)
        };
        let field = match name {
            "username" => SearchField::Username,
            "sub" => SearchField::Sub,
            "cognito:user_status" => {
                return Ok(Some(Self::Field(
                    SearchField::UserStatus,
                    matching.map(|v| v.to_uppercase()),
                )));
            }
            "status" => {
                let enabled = matching.matches("Enabled");
                let disabled = matching.matches("Disabled");
                return Ok(match (enabled, disabled) {
                    (true, true) => None,
                    (true, false) => Some(Self::Enabled(true)),
                    (false, true) => Some(Self::Enabled(false)),
                    (false, false) => Some(Self::Nobody),
                });
            }
            other => SEARCHABLE_ATTRIBUTES
                .iter()
                .find(|a| **a == other)
                .map(|a| SearchField::Attribute(a))
                .ok_or_else(|| FilterError::NotSearchable(other.to_owned()))?,
        };
        Ok(Some(Self::Field(field, matching)))
    }

    /// A canonical spelling, which a page token is bound to: a token continues only the
    /// listing it came from.
    pub fn canonical(filter: Option<&Self>) -> String {
        match filter {
            None => String::new(),
            Some(Self::Field(field, matching)) => {
                let operator = match matching {
                    Match::Exact(_) => "=",
                    Match::Prefix(_) => "^=",
                };
                format!("{field:?} {operator} {:?}", matching.value())
            }
            Some(other) => format!("{other:?}"),
        }
    }
}

/// The value between double quotes, unescaped; nothing may follow the closing quote.
fn quoted(raw: &str) -> Result<String, FilterError> {
    let mut chars = raw.strip_prefix('"').ok_or(FilterError::Malformed)?.chars();
    let mut value = String::new();
    while let Some(c) = chars.next() {
        match c {
            '\\' => value.push(chars.next().ok_or(FilterError::Malformed)?),
            '"' => {
                return if chars.as_str().is_empty() {
                    Ok(value)
                } else {
                    Err(FilterError::Malformed)
                };
            }
            c => value.push(c),
        }
    }
    Err(FilterError::Malformed)
}

/// The least string greater than every string that starts with `prefix`, in code point
/// (= UTF-8 byte) order: the exclusive upper end of a prefix's index range. None when
/// there is none (the prefix is empty or all U+10FFFF).
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=0x10FFFF).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(raw: &str) -> (SearchField, Match) {
        match UserFilter::parse(raw).unwrap().unwrap() {
            UserFilter::Field(f, m) => (f, m),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cognito_filters_parse() {
        assert_eq!(UserFilter::parse("  ").unwrap(), None);
        assert_eq!(
            field("email = \"a@b.c\""),
            (
                SearchField::Attribute("email"),
                Match::Exact("a@b.c".into())
            )
        );
        assert_eq!(
            field("given_name^=\"Jo\""),
            (
                SearchField::Attribute("given_name"),
                Match::Prefix("Jo".into())
            )
        );
        assert_eq!(
            field(r#"family_name = "O\"Brien \\ Co""#),
            (
                SearchField::Attribute("family_name"),
                Match::Exact("O\"Brien \\ Co".into())
            )
        );
        assert_eq!(
            field("cognito:user_status = \"confirmed\""),
            (SearchField::UserStatus, Match::Exact("CONFIRMED".into()))
        );
        assert_eq!(
            UserFilter::parse("status = \"Enabled\"").unwrap(),
            Some(UserFilter::Enabled(true))
        );
        assert_eq!(
            UserFilter::parse("status ^= \"Dis\"").unwrap(),
            Some(UserFilter::Enabled(false))
        );
        assert_eq!(UserFilter::parse("status ^= \"\"").unwrap(), None);
        assert_eq!(
            UserFilter::parse("status = \"enabled\"").unwrap(),
            Some(UserFilter::Nobody)
        );
    }

    #[test]
    fn bad_filters_are_refused_in_cognitos_words() {
        for bad in [
            "email",
            "email = a@b.c",
            "email = \"a@b.c",
            "email = \"a\" extra",
            "= \"x\"",
            "email == \"x\"",
            "email ~= \"x\"",
            "email = \"x\\",
            "email = \"a\0b\"",
        ] {
            assert_eq!(UserFilter::parse(bad), Err(FilterError::Malformed), "{bad}");
        }
        assert_eq!(
            UserFilter::parse("custom:team = \"x\"")
                .unwrap_err()
                .to_string(),
            "Invalid search attribute: custom:team"
        );
        assert_eq!(
            UserFilter::parse("Email = \"x\""),
            Err(FilterError::NotSearchable("Email".into()))
        );
    }

    #[test]
    fn prefix_ranges_end_after_every_extension() {
        assert_eq!(prefix_upper_bound("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_upper_bound(""), None);
        assert_eq!(
            prefix_upper_bound("a\u{10FFFF}").as_deref(),
            Some("b"),
            "the last code point carries"
        );
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
    }
}
