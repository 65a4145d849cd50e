//! Which user attributes an app client may read and write (Cognito's `ReadAttributes` and
//! `WriteAttributes`), and the one rule every path that changes a user's attributes goes
//! through ([`apply_write`]).
//!
//! Cognito's defaults when a client names no list: a client reads every attribute, and
//! writes every standard attribute except the verification flags (`email_verified`,
//! `phone_number_verified`); a custom attribute is writable only when listed. Users never
//! vouch for their own contact details: a changed e-mail address or phone number is
//! unverified again unless the same (administrator's) call says otherwise.

use super::app_client::ClientSettings;
use super::attributes::{BOOLEAN_ATTRIBUTES, STANDARD, UserAttributes, validate_name};
use super::schema::{Moment, Schema};

/// Cognito's message when a user writes an attribute their client may not write.
pub const UNAUTHORIZED_WRITE: &str = "A client attempted to write unauthorized attribute";

/// Contact attributes and the flag that says whether they were verified.
const VERIFIED_BY: &[(&str, &str)] = &[
    ("email", "email_verified"),
    ("phone_number", "phone_number_verified"),
];

impl ClientSettings {
    /// Whether the client's users may see `name` (GetUser, ID token).
    pub fn may_read(&self, name: &str) -> bool {
        match &self.read_attributes {
            Some(list) => list.iter().any(|n| n == name),
            None => true,
        }
    }

    /// Whether the client's users may set `name` on themselves.
    pub fn may_write(&self, name: &str) -> bool {
        match &self.write_attributes {
            Some(list) => list.iter().any(|n| n == name),
            None => STANDARD.contains(&name) && !BOOLEAN_ATTRIBUTES.contains(&name),
        }
    }

    /// What of `attributes` this client's users may see.
    pub fn readable(&self, attributes: &UserAttributes) -> UserAttributes {
        attributes.filtered(|name| self.may_read(name))
    }
}

/// Which of the two lists of a Create/UpdateUserPoolClient request is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidAttributeList {
    Read,
    Write,
}

/// A client's two lists; None is Cognito's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributeLists {
    pub read: Option<Vec<String>>,
    pub write: Option<Vec<String>>,
}

/// Parses `ReadAttributes` and `WriteAttributes` as Cognito validates them: every name an
/// attribute of the pool's `schema` (a standard attribute, or a `custom:` attribute the
/// schema declares, or any well-formed `custom:` name where the schema is open), and nothing
/// writable that the client could not read. Absent lists stay absent (Cognito's defaults).
pub fn parse_attribute_lists(
    schema: &Schema,
    read: Option<&[String]>,
    write: Option<&[String]>,
) -> Result<AttributeLists, InvalidAttributeList> {
    let parse = |raw: &[String]| -> Option<Vec<String>> {
        let mut names: Vec<String> = Vec::with_capacity(raw.len());
        for name in raw {
            validate_name(name).ok()?;
            if schema.get(name).is_none() && !schema.is_open() {
                return None;
            }
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        Some(names)
    };
    let read = read
        .map(|raw| parse(raw).ok_or(InvalidAttributeList::Read))
        .transpose()?;
    let write = write
        .map(|raw| parse(raw).ok_or(InvalidAttributeList::Write))
        .transpose()?;
    if let (Some(read), Some(write)) = (&read, &write)
        && write.iter().any(|name| !read.contains(name))
    {
        return Err(InvalidAttributeList::Write);
    }
    Ok(AttributeLists { read, write })
}

/// Who is changing a user's attributes.
#[derive(Debug, Clone, Copy)]
pub enum Writer<'a> {
    /// The user themselves through an app client (SignUp, UpdateUserAttributes,
    /// DeleteUserAttributes): the client's `WriteAttributes` apply.
    User(&'a ClientSettings),
    /// The user answering `NEW_PASSWORD_REQUIRED`: the client's `WriteAttributes` apply, and
    /// only attributes that have no value yet may be given.
    NewPasswordChallenge(&'a ClientSettings),
    /// An administrator (SigV4, CLI, seed file): any attribute.
    Administrator,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteRefused {
    /// The client may not write this attribute (`NotAuthorizedException`).
    Unauthorized,
    /// The challenge tried to change an attribute that already has a value
    /// (`NotAuthorizedException`, as Cognito answers).
    AlreadyProvided(String),
    /// The attributes do not conform to the pool's schema (`InvalidParameterException`),
    /// with Cognito's message.
    Schema(String),
}

impl WriteRefused {
    pub fn message(&self) -> String {
        match self {
            Self::Unauthorized => UNAUTHORIZED_WRITE.to_owned(),
            Self::AlreadyProvided(name) => format!("Cannot modify an already provided {name}"),
            Self::Schema(message) => message.clone(),
        }
    }
}

impl Writer<'_> {
    fn may_write(&self, name: &str) -> bool {
        match self {
            Self::User(client) | Self::NewPasswordChallenge(client) => client.may_write(name),
            Self::Administrator => true,
        }
    }
}

/// The user's attributes after `writer` sets `changes` on `current` at `moment`, or why not.
/// Nothing is applied unless every change is allowed by the writer's permissions and
/// conforms to the pool's `schema` (declared, typed, mutable after creation, required ones
/// present at creation); values are stored in the schema's canonical form. A contact
/// attribute whose value changes loses its verification unless the same call sets the flag
/// (which only a client listing the flag in `WriteAttributes`, or an administrator, can do).
pub fn apply_write(
    writer: Writer<'_>,
    schema: &Schema,
    moment: Moment,
    current: &UserAttributes,
    changes: &UserAttributes,
) -> Result<UserAttributes, WriteRefused> {
    if changes.names().any(|name| !writer.may_write(name)) {
        return Err(WriteRefused::Unauthorized);
    }
    if let Writer::NewPasswordChallenge(_) = writer
        && let Some(name) = changes.names().find(|name| current.get(name).is_some())
    {
        return Err(WriteRefused::AlreadyProvided(name.to_owned()));
    }
    let changes = schema
        .conform(moment, current, changes)
        .map_err(WriteRefused::Schema)?;
    let mut next = current.clone();
    for (name, value) in changes.as_map() {
        next.set(name, value);
    }
    for (contact, flag) in VERIFIED_BY {
        let changed = changes
            .get(contact)
            .is_some_and(|value| current.get(contact) != Some(value));
        if changed && changes.get(flag).is_none() && next.get(flag).is_some() {
            next.set(flag, "false");
        }
    }
    Ok(next)
}

/// The user's attributes after `writer` deletes `names`, or why not: required and
/// immutable attributes of the pool's `schema` stay.
pub fn apply_delete(
    writer: Writer<'_>,
    schema: &Schema,
    current: &UserAttributes,
    names: &[String],
) -> Result<UserAttributes, WriteRefused> {
    if names.iter().any(|name| !writer.may_write(name)) {
        return Err(WriteRefused::Unauthorized);
    }
    schema.conform_delete(names).map_err(WriteRefused::Schema)?;
    let mut next = current.clone();
    for name in names {
        next.remove(name);
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> UserAttributes {
        UserAttributes::parse(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
        .unwrap()
    }

    fn open() -> Schema {
        Schema::open()
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| (*n).to_owned()).collect()
    }

    fn client(read: Option<&[&str]>, write: Option<&[&str]>) -> ClientSettings {
        ClientSettings {
            read_attributes: read.map(names),
            write_attributes: write.map(names),
            ..ClientSettings::default()
        }
    }

    #[test]
    fn defaults_write_standard_attributes_but_not_flags_or_custom_ones() {
        let defaults = ClientSettings::default();
        assert!(defaults.may_write("email"));
        assert!(defaults.may_write("given_name"));
        assert!(!defaults.may_write("email_verified"));
        assert!(!defaults.may_write("phone_number_verified"));
        assert!(!defaults.may_write("custom:role"));
        assert!(defaults.may_read("custom:role"));
        assert!(defaults.may_read("email_verified"));
    }

    #[test]
    fn listed_attributes_are_the_only_ones() {
        let listed = client(Some(&["email", "custom:team"]), Some(&["custom:team"]));
        assert!(listed.may_write("custom:team"));
        assert!(!listed.may_write("email"));
        assert!(listed.may_read("email"));
        assert!(!listed.may_read("given_name"));
        let shown = listed.readable(&attrs(&[("email", "a@b.c"), ("given_name", "A")]));
        assert_eq!(shown, attrs(&[("email", "a@b.c")]));
    }

    #[test]
    fn users_cannot_vouch_for_themselves_or_write_unlisted_custom_attributes() {
        let defaults = ClientSettings::default();
        let current = attrs(&[
            ("email", "admin-set@example.com"),
            ("email_verified", "true"),
        ]);
        for forged in [
            attrs(&[("email_verified", "true")]),
            attrs(&[("custom:role", "admin")]),
            attrs(&[("given_name", "Eve"), ("phone_number_verified", "true")]),
        ] {
            assert_eq!(
                apply_write(
                    Writer::User(&defaults),
                    &open(),
                    Moment::Update,
                    &current,
                    &forged
                ),
                Err(WriteRefused::Unauthorized),
                "{forged:?}"
            );
        }
    }

    #[test]
    fn the_challenge_only_fills_empty_attributes() {
        let defaults = ClientSettings::default();
        let current = attrs(&[("email", "admin-set@example.com")]);
        let challenge = Writer::NewPasswordChallenge(&defaults);
        assert_eq!(
            apply_write(
                challenge,
                &open(),
                Moment::Creation,
                &current,
                &attrs(&[("email", "eve@example.com")])
            ),
            Err(WriteRefused::AlreadyProvided("email".into()))
        );
        // Unauthorized wins over already-provided, as the permission is checked first.
        assert_eq!(
            apply_write(
                challenge,
                &open(),
                Moment::Creation,
                &current,
                &attrs(&[("email_verified", "true")])
            ),
            Err(WriteRefused::Unauthorized)
        );
        let next = apply_write(
            challenge,
            &open(),
            Moment::Creation,
            &current,
            &attrs(&[("given_name", "Bob")]),
        )
        .unwrap();
        assert_eq!(next.get("given_name"), Some("Bob"));
        assert_eq!(next.get("email"), Some("admin-set@example.com"));
    }

    #[test]
    fn a_changed_contact_is_unverified_unless_the_same_call_says_otherwise() {
        let current = attrs(&[("email", "old@example.com"), ("email_verified", "true")]);
        let user = ClientSettings::default();
        let next = apply_write(
            Writer::User(&user),
            &open(),
            Moment::Update,
            &current,
            &attrs(&[("email", "new@example.com")]),
        )
        .unwrap();
        assert_eq!(next.get("email_verified"), Some("false"));
        let same = apply_write(
            Writer::User(&user),
            &open(),
            Moment::Update,
            &current,
            &attrs(&[("email", "old@example.com")]),
        )
        .unwrap();
        assert_eq!(same.get("email_verified"), Some("true"));
        let admin = apply_write(
            Writer::Administrator,
            &open(),
            Moment::Update,
            &current,
            &attrs(&[("email", "new@example.com"), ("email_verified", "true")]),
        )
        .unwrap();
        assert_eq!(admin.get("email_verified"), Some("true"));
        let admin_alone = apply_write(
            Writer::Administrator,
            &open(),
            Moment::Update,
            &current,
            &attrs(&[("email", "new@example.com")]),
        )
        .unwrap();
        assert_eq!(admin_alone.get("email_verified"), Some("false"));
    }

    #[test]
    fn deletes_need_write_permission() {
        let current = attrs(&[("given_name", "A"), ("custom:role", "admin")]);
        let user = ClientSettings::default();
        assert_eq!(
            apply_delete(
                Writer::User(&user),
                &open(),
                &current,
                &names(&["custom:role"])
            ),
            Err(WriteRefused::Unauthorized)
        );
        let next = apply_delete(
            Writer::User(&user),
            &open(),
            &current,
            &names(&["given_name"]),
        )
        .unwrap();
        assert_eq!(next, attrs(&[("custom:role", "admin")]));
    }

    #[test]
    fn attribute_lists_are_validated_like_cognito() {
        assert_eq!(
            parse_attribute_lists(&open(), None, None),
            Ok(AttributeLists::default())
        );
        let read = names(&["email", "custom:team", "email"]);
        let write = names(&["custom:team"]);
        assert_eq!(
            parse_attribute_lists(&open(), Some(read.as_slice()), Some(write.as_slice())),
            Ok(AttributeLists {
                read: Some(names(&["email", "custom:team"])),
                write: Some(write.clone())
            })
        );
        assert_eq!(
            parse_attribute_lists(&open(), Some(names(&["colour"]).as_slice()), None),
            Err(InvalidAttributeList::Read)
        );
        assert_eq!(
            parse_attribute_lists(&open(), None, Some(names(&["sub"]).as_slice())),
            Err(InvalidAttributeList::Write)
        );
        assert_eq!(
            parse_attribute_lists(
                &open(),
                Some(names(&["email"]).as_slice()),
                Some(names(&["given_name"]).as_slice())
            ),
            Err(InvalidAttributeList::Write)
        );
    }

    #[test]
    fn attribute_lists_name_only_what_a_declared_schema_has() {
        use crate::domain::schema::SchemaAttributeSpec;
        let declared = Schema::declare(&[SchemaAttributeSpec {
            name: Some("team".into()),
            attribute_data_type: Some("String".into()),
            ..SchemaAttributeSpec::default()
        }])
        .unwrap();
        let team = names(&["custom:team", "email"]);
        assert!(parse_attribute_lists(&declared, Some(team.as_slice()), None).is_ok());
        assert_eq!(
            parse_attribute_lists(&declared, Some(names(&["custom:colour"]).as_slice()), None),
            Err(InvalidAttributeList::Read)
        );
        assert_eq!(
            parse_attribute_lists(&declared, None, Some(names(&["custom:colour"]).as_slice())),
            Err(InvalidAttributeList::Write)
        );
        // Where the schema is open, any well-formed custom name will do.
        assert!(
            parse_attribute_lists(&open(), Some(names(&["custom:colour"]).as_slice()), None)
                .is_ok()
        );
    }
}
