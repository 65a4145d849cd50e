//! Cognito groups: what a group may be named and carry, and what a user's groups put in
//! their tokens (`cognito:groups`, `cognito:roles`, `cognito:preferred_role`).

/// Where a group without a precedence ranks: after every group with one.
pub const UNRANKED: i64 = i64::MAX;

/// A group as a user's tokens see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct MemberGroup {
    pub name: String,
    pub precedence: Option<i64>,
    pub role_arn: Option<String>,
}

/// What a user's groups put in their ID token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupClaims {
    /// `cognito:groups`: every group, lowest precedence value first, groups without one
    /// last, ties by name.
    pub groups: Vec<String>,
    /// `cognito:roles`: every distinct role of those groups, in the same order.
    pub roles: Vec<String>,
    /// `cognito:preferred_role`: the role of the group that takes precedence, when one does.
    pub preferred_role: Option<String>,
}

impl GroupClaims {
    /// Cognito's rules (docs/cognito-compatibility.md, "Groups"): the preferred role is that
    /// of the group with the lowest precedence value among the groups that have a role.
    /// Groups that share that value take precedence together: if their roles differ, none
    /// is preferred. A group without a precedence ranks after every group with one.
    pub fn of(groups: &[MemberGroup]) -> Self {
        let mut ranked: Vec<&MemberGroup> = groups.iter().collect();
        ranked.sort_by(|a, b| {
            (a.precedence.unwrap_or(UNRANKED), &a.name)
                .cmp(&(b.precedence.unwrap_or(UNRANKED), &b.name))
        });
        let mut roles: Vec<String> = Vec::new();
        for role in ranked.iter().filter_map(|g| g.role_arn.as_ref()) {
            if !roles.contains(role) {
                roles.push(role.clone());
            }
        }
        let with_roles: Vec<&&MemberGroup> =
            ranked.iter().filter(|g| g.role_arn.is_some()).collect();
        let preferred_role = with_roles.first().and_then(|first| {
            let top = first.precedence;
            let mut tied = with_roles
                .iter()
                .filter(|g| g.precedence == top)
                .filter_map(|g| g.role_arn.as_ref());
            let role = tied.next()?;
            tied.all(|other| other == role).then(|| role.clone())
        });
        Self {
            groups: ranked.iter().map(|g| g.name.clone()).collect(),
            roles,
            preferred_role,
        }
    }
}

/// Cognito's `GroupNameType`: 1–128 letters, marks, symbols, numbers or punctuation.
pub fn check_group_name(name: &str) -> Result<(), &'static str> {
    let length = name.chars().count();
    let allowed = name.chars().all(|c| {
        !c.is_whitespace() && !c.is_control() && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{feff}')
    });
    if (1..=128).contains(&length) && allowed {
        Ok(())
    } else {
        Err(
            "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+ and have length 1-128",
        )
    }
}

/// Cognito's `DescriptionType`: at most 2048 characters. A NUL, which no database stores
/// as text, is refused too.
pub fn check_description(description: &str) -> Result<(), &'static str> {
    if description.contains('\0') {
        Err("Member must not contain NUL characters")
    } else if description.chars().count() <= 2048 {
        Ok(())
    } else {
        Err("Member must have length less than or equal to 2048")
    }
}

/// Cognito's `PrecedenceType`: 0 to 2^31 - 1.
pub fn check_precedence(precedence: i64) -> Result<(), &'static str> {
    if (0..=i64::from(i32::MAX)).contains(&precedence) {
        Ok(())
    } else {
        Err("Member must have value greater than or equal to 0")
    }
}

/// Cognito's `ArnType`: 20–2048 characters of `arn:partition:service:region:account:resource`
/// (the resource may have two more `:`-separated parts), each part of `[\w+=/,.@-]`.
pub fn check_role_arn(arn: &str) -> Result<(), &'static str> {
    let part_char = |c: char| c.is_ascii_alphanumeric() || "_+=/,.@-".contains(c);
    let parts: Vec<&str> = arn.split(':').collect();
    let well_formed = (20..=2048).contains(&arn.len())
        && (6..=8).contains(&parts.len())
        && parts[0] == "arn"
        && parts[1..].iter().all(|p| p.chars().all(part_char))
        && parts
            .iter()
            .enumerate()
            .all(|(i, p)| i == 3 || !p.is_empty())
        && parts[4].chars().all(|c| c.is_ascii_digit());
    if well_formed {
        Ok(())
    } else {
        Err(
            "Member must satisfy regular expression pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, precedence: Option<i64>, role: Option<&str>) -> MemberGroup {
        MemberGroup {
            name: name.into(),
            precedence,
            role_arn: role.map(str::to_owned),
        }
    }

    #[test]
    fn the_lowest_precedence_value_with_a_role_is_preferred() {
        let claims = GroupClaims::of(&[
            group("readers", None, Some("arn:aws:iam::1:role/read")),
            group("admins", Some(1), Some("arn:aws:iam::1:role/admin")),
            group("staff", Some(0), None),
        ]);
        assert_eq!(claims.groups, ["staff", "admins", "readers"]);
        assert_eq!(
            claims.roles,
            ["arn:aws:iam::1:role/admin", "arn:aws:iam::1:role/read"]
        );
        assert_eq!(
            claims.preferred_role.as_deref(),
            Some("arn:aws:iam::1:role/admin")
        );
    }

    #[test]
    fn tied_groups_with_different_roles_prefer_none() {
        let tied = GroupClaims::of(&[
            group("a", Some(2), Some("arn:aws:iam::1:role/a")),
            group("b", Some(2), Some("arn:aws:iam::1:role/b")),
            group("c", Some(3), Some("arn:aws:iam::1:role/c")),
        ]);
        assert_eq!(tied.preferred_role, None);
        assert_eq!(tied.roles.len(), 3);
        let same = GroupClaims::of(&[
            group("a", Some(2), Some("arn:aws:iam::1:role/a")),
            group("b", Some(2), Some("arn:aws:iam::1:role/a")),
        ]);
        assert_eq!(
            same.preferred_role.as_deref(),
            Some("arn:aws:iam::1:role/a")
        );
        assert_eq!(same.roles, ["arn:aws:iam::1:role/a"]);
        let unranked = GroupClaims::of(&[
            group("a", None, Some("arn:aws:iam::1:role/a")),
            group("b", None, Some("arn:aws:iam::1:role/b")),
        ]);
        assert_eq!(unranked.preferred_role, None);
        assert_eq!(GroupClaims::of(&[]), GroupClaims::default());
    }

    #[test]
    fn role_arns_and_names_are_checked_as_cognito_does() {
        assert!(check_role_arn("arn:aws:iam::123456789012:role/Admins").is_ok());
        assert!(check_role_arn("arn:aws:iam::123456789012:role/a:b:c").is_ok());
        assert!(check_role_arn("not-an-arn-at-all-really").is_err());
        assert!(check_role_arn("arn:aws:iam::12ab:role/x").is_err());
        assert!(check_role_arn("arn:a:b::1:c").is_err(), "shorter than 20");
        assert!(check_group_name("admins").is_ok());
        assert!(check_group_name("").is_err());
        assert!(check_group_name("two words").is_err());
        assert!(check_group_name(&"x".repeat(129)).is_err());
        assert!(check_precedence(-1).is_err());
        assert!(check_precedence(0).is_ok());
        assert!(check_precedence(1 << 31).is_err());
    }
}
