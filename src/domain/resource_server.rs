//! OAuth 2.0 resource servers (`CreateResourceServer` and the rest): an identifier, a name,
//! and the custom scopes app clients may be allowed, each spelled `identifier/scope_name` in
//! `AllowedOAuthScopes`, in tokens and in the token endpoint's `scope` parameter. Checked
//! as Cognito checks them (docs/oauth2.md, "Resource servers and custom scopes").

use serde::{Deserialize, Serialize};

use super::clock::UnixSeconds;
use super::ids::UserPoolId;

/// Cognito's quotas: scopes per resource server, resource servers per pool.
pub const MAX_SCOPES: usize = 100;
pub const MAX_RESOURCE_SERVERS: usize = 25;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceServerScope {
    pub scope_name: String,
    pub scope_description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceServer {
    pub pool_id: UserPoolId,
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<ResourceServerScope>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

impl ResourceServer {
    /// The scopes as clients and tokens spell them: `identifier/scope_name`.
    pub fn full_scope_names(&self) -> impl Iterator<Item = String> + '_ {
        self.scopes
            .iter()
            .map(|s| format!("{}/{}", self.identifier, s.scope_name))
    }
}

fn constraint(member: &str, rule: &str) -> String {
    format!("1 validation error detected: Value at '{member}' failed to satisfy constraint: {rule}")
}

fn within(value: &str, max: usize) -> bool {
    (1..=max).contains(&value.chars().count())
}

/// `Identifier`: 1-256 of `[\x21\x23-\x5B\x5D-\x7E]` (printable ASCII but space, `"` and `\`).
pub fn check_identifier(identifier: &str) -> Result<(), String> {
    let ok = within(identifier, 256)
        && identifier
            .chars()
            .all(|c| matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E'));
    if ok {
        Ok(())
    } else {
        Err(constraint(
            "identifier",
            "Member must satisfy constraint: [Member must have length between 1 and 256, \
             Member must satisfy regular expression pattern: [\\x21\\x23-\\x5B\\x5D-\\x7E]+]",
        ))
    }
}

/// `Name`: 1-256 of `[\w\s+=,.@-]`.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = within(name, 256)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=,.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(constraint(
            "name",
            "Member must satisfy constraint: [Member must have length between 1 and 256, \
             Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+]",
        ))
    }
}

/// `Scopes`: at most [`MAX_SCOPES`], each name 1-256 of `[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]`
/// (no `/`, which separates it from the identifier), each description 1-256 characters,
/// no name twice.
pub fn check_scopes(scopes: &[ResourceServerScope]) -> Result<(), String> {
    if scopes.len() > MAX_SCOPES {
        return Err(constraint(
            "scopes",
            &format!("Member must have length less than or equal to {MAX_SCOPES}"),
        ));
    }
    for (index, scope) in scopes.iter().enumerate() {
        let name_ok = within(&scope.scope_name, 256)
            && scope
                .scope_name
                .chars()
                .all(|c| matches!(c, '\x21' | '\x23'..='\x2E' | '\x30'..='\x5B' | '\x5D'..='\x7E'));
        if !name_ok {
            return Err(constraint(
                &format!("scopes.{}.member.scopeName", index + 1),
                "Member must satisfy constraint: [Member must have length between 1 and 256, \
                 Member must satisfy regular expression pattern: \
                 [\\x21\\x23-\\x2E\\x30-\\x5B\\x5D-\\x7E]+]",
            ));
        }
        if !within(&scope.scope_description, 256) {
            return Err(constraint(
                &format!("scopes.{}.member.scopeDescription", index + 1),
                "Member must have length between 1 and 256",
            ));
        }
        if scopes[..index]
            .iter()
            .any(|s| s.scope_name == scope.scope_name)
        {
            return Err(format!(
                "Duplicate scope names are not allowed: {}",
                scope.scope_name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(name: &str, description: &str) -> ResourceServerScope {
        ResourceServerScope {
            scope_name: name.into(),
            scope_description: description.into(),
        }
    }

    #[test]
    fn identifiers_names_and_scopes_follow_cognitos_patterns() {
        assert!(check_identifier("https://api.example.com").is_ok());
        assert!(check_identifier("orders").is_ok());
        for bad in ["", "has space", "back\\slash", "quote\"", &"x".repeat(257)] {
            assert!(check_identifier(bad).is_err(), "{bad}");
        }
        assert!(check_name("Orders API, v2").is_ok());
        assert!(check_name("no/slash").is_err());
        assert!(check_name("").is_err());
        assert!(check_scopes(&[scope("read", "Read"), scope("write", "Write")]).is_ok());
        assert!(check_scopes(&[scope("a/b", "x")]).is_err());
        assert!(check_scopes(&[scope("read", "")]).is_err());
        assert!(check_scopes(&[scope("read", "x"), scope("read", "y")]).is_err());
        let many: Vec<_> = (0..101).map(|i| scope(&format!("s{i}"), "d")).collect();
        assert!(check_scopes(&many).is_err());
    }
}
