//! An error with every cause behind it, on one line, for logs and the command line.
//!
//! Errors here keep their cause as `source()` instead of pasting it into their own message,
//! so the message of each level says only what that level knows ("service unavailable",
//! "database unavailable", then the driver's own words). [`ErrorChain`] prints them all,
//! separated by `: `, the way an operator reads them.

use std::error::Error;
use std::fmt;

/// Displays an error followed by each of its sources: `outer: middle: innermost`.
///
/// Some libraries (the database driver among them) repeat their source's message in their own and report
/// it as the source as well; a source whose message the previous one already ends with is
/// skipped, so nothing is printed twice.
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.to_string();
        f.write_str(&shown)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            let text = cause.to_string();
            if !text.is_empty() && !shown.ends_with(&text) {
                write!(f, ": {text}")?;
            }
            shown = text;
            next = cause.source();
        }
        Ok(())
    }
}

/// An error that says what was being done when its source stopped it ("cannot create the
/// database file …"), for causes whose own message would not say.
#[derive(Debug, thiserror::Error)]
#[error("{doing}")]
pub struct Context {
    doing: String,
    #[source]
    source: Box<dyn Error + Send + Sync + 'static>,
}

impl Context {
    pub fn new(doing: impl Into<String>, source: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        Self {
            doing: doing.into(),
            source: source.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("service unavailable")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("database unavailable")]
    struct Middle(#[source] Repeating);

    /// Like the database driver: its message ends with its source's, which it also reports as the source.
    #[derive(Debug, thiserror::Error)]
    #[error("error communicating with database: {0}")]
    struct Repeating(#[source] std::io::Error);

    #[test]
    fn every_cause_once_outermost_first() {
        let error = Outer(Middle(Repeating(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused",
        ))));
        assert_eq!(
            ErrorChain(&error).to_string(),
            "service unavailable: database unavailable: error communicating with database: \
             Connection refused"
        );
    }

    #[test]
    fn an_error_without_a_source_is_its_message() {
        let error = std::io::Error::other("disk full");
        assert_eq!(ErrorChain(&error).to_string(), "disk full");
    }
}
