//! A pool's attribute schema, as Cognito has it: every standard attribute with its fixed type
//! (whose `Mutable`, `Required` and length or value constraints a pool may set), plus up to
//! 50 custom attributes (`custom:<name>`) of type `String`, `Number`, `DateTime` or
//! `Boolean`. `CreateUserPool` declares it, `AddCustomAttributes` extends it, and every write
//! of a user's attributes is checked against it ([`Schema::conform`]), with Cognito's
//! messages ("Attributes did not conform to the schema: ...").
//!
//! The schema is stored in the pool's settings in Cognito's own shape (`SchemaAttributes` of
//! `DescribeUserPool`). A pool made by the CLI or a seed file without a `Schema`, and any pool
//! stored before schemas existed, has an *open* schema: the standard attributes as Cognito
//! defines them, and any well-formed `custom:` attribute as a mutable string, so existing
//! deployments keep working (docs/cognito-compatibility.md).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::attributes::UserAttributes;

/// Cognito's limit on custom attributes per pool.
pub const MAX_CUSTOM_ATTRIBUTES: usize = 50;
/// Cognito's limit on a schema attribute's name (without `custom:`).
pub const MAX_SCHEMA_NAME_CHARS: usize = 20;
/// Cognito's limit on any string attribute's length.
pub const MAX_STRING_LENGTH: u64 = 2048;
/// The prefix of a custom attribute's name.
pub const CUSTOM_PREFIX: &str = "custom:";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttributeDataType {
    String,
    Number,
    DateTime,
    Boolean,
}

impl AttributeDataType {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "String" => Some(Self::String),
            "Number" => Some(Self::Number),
            "DateTime" => Some(Self::DateTime),
            "Boolean" => Some(Self::Boolean),
            _ => None,
        }
    }
}

/// `StringAttributeConstraints`: lengths in characters; Cognito sends them as strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StringConstraints {
    #[serde(default, with = "decimal", skip_serializing_if = "Option::is_none")]
    pub min_length: Option<i64>,
    #[serde(default, with = "decimal", skip_serializing_if = "Option::is_none")]
    pub max_length: Option<i64>,
}

/// `NumberAttributeConstraints`: bounds of an integer; Cognito sends them as strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NumberConstraints {
    #[serde(default, with = "decimal", skip_serializing_if = "Option::is_none")]
    pub min_value: Option<i64>,
    #[serde(default, with = "decimal", skip_serializing_if = "Option::is_none")]
    pub max_value: Option<i64>,
}

/// Numbers written as decimal strings, as Cognito's wire format has them.
mod decimal {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(n) => s.serialize_str(&n.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let raw: Option<String> = Option::deserialize(d)?;
        raw.map(|s| s.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// One attribute of a pool, in the shape of Cognito's `SchemaAttributeType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SchemaAttribute {
    /// The full name: `email`, `custom:team`.
    pub name: String,
    pub attribute_data_type: AttributeDataType,
    pub developer_only_attribute: bool,
    pub mutable: bool,
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_attribute_constraints: Option<NumberConstraints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_attribute_constraints: Option<StringConstraints>,
}

impl SchemaAttribute {
    pub fn is_custom(&self) -> bool {
        self.name.starts_with(CUSTOM_PREFIX)
    }
}

/// A schema attribute as a request (or a seed file) gives it: every member optional, checked
/// by [`Schema::declare`] and [`Schema::custom_attributes`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SchemaAttributeSpec {
    pub name: Option<String>,
    pub attribute_data_type: Option<String>,
    pub developer_only_attribute: Option<bool>,
    pub mutable: Option<bool>,
    pub required: Option<bool>,
    pub number_attribute_constraints: Option<ConstraintsSpec>,
    pub string_attribute_constraints: Option<ConstraintsSpec>,
}

/// Either constraints member as given: strings that should hold whole numbers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ConstraintsSpec {
    pub min_length: Option<String>,
    pub max_length: Option<String>,
    pub min_value: Option<String>,
    pub max_value: Option<String>,
}

/// Why a schema declaration is refused. `Member` is a request-shape error (the member path
/// and the rule, for the HTTP layer's "1 validation error detected" wording); `Invalid` is
/// Cognito's own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaError {
    Member { member: String, rule: String },
    Invalid(String),
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Member { member, rule } => write!(f, "{member}: {rule}"),
            Self::Invalid(message) => f.write_str(message),
        }
    }
}

/// When attributes are written: while the user is created (and while the new-password
/// challenge completes it, which only fills attributes with no value yet), or afterwards,
/// when immutable attributes can no longer change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    Creation,
    Update,
}

/// A pool's schema: the standard attributes first, in Cognito's order, then the custom ones
/// in the order they were added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Schema {
    attributes: Vec<SchemaAttribute>,
    /// Open: undeclared `custom:` attributes are accepted as mutable strings (pools without
    /// a declared schema). Never stored: a stored schema is a declared one.
    #[serde(skip)]
    open: bool,
}

/// Cognito's standard attributes in the order `DescribeUserPool` lists them: name, type,
/// mutable, required, and (for strings) minimum and maximum length.
/// A standard attribute: name, type, mutable, required, and for strings (min, max) length.
type StandardAttribute = (
    &'static str,
    AttributeDataType,
    bool,
    bool,
    Option<(i64, i64)>,
);

const STANDARD: &[StandardAttribute] = {
    use AttributeDataType::{Boolean, Number, String};
    const TEXT: Option<(i64, i64)> = Some((0, 2048));
    &[
        ("sub", String, false, true, Some((1, 2048))),
        ("name", String, true, false, TEXT),
        ("given_name", String, true, false, TEXT),
        ("family_name", String, true, false, TEXT),
        ("middle_name", String, true, false, TEXT),
        ("nickname", String, true, false, TEXT),
        ("preferred_username", String, true, false, TEXT),
        ("profile", String, true, false, TEXT),
        ("picture", String, true, false, TEXT),
        ("website", String, true, false, TEXT),
        ("email", String, true, false, TEXT),
        ("email_verified", Boolean, true, false, None),
        ("gender", String, true, false, TEXT),
        ("birthdate", String, true, false, Some((10, 10))),
        ("zoneinfo", String, true, false, TEXT),
        ("locale", String, true, false, TEXT),
        ("phone_number", String, true, false, TEXT),
        ("phone_number_verified", Boolean, true, false, None),
        ("address", String, true, false, TEXT),
        ("updated_at", Number, true, false, None),
    ]
};

/// Standard attributes a `Schema` entry cannot name: Cognito keeps them as they are and
/// reads such an entry as a custom attribute of that name.
const NOT_CONFIGURABLE: &[&str] = &["email_verified", "phone_number_verified"];

fn standard_attribute(index: usize) -> SchemaAttribute {
    let (name, data_type, mutable, required, lengths) = STANDARD[index];
    SchemaAttribute {
        name: name.to_owned(),
        attribute_data_type: data_type,
        developer_only_attribute: false,
        mutable,
        required,
        number_attribute_constraints: (data_type == AttributeDataType::Number).then_some(
            NumberConstraints {
                min_value: Some(0),
                max_value: None,
            },
        ),
        string_attribute_constraints: lengths.map(|(min, max)| StringConstraints {
            min_length: Some(min),
            max_length: Some(max),
        }),
    }
}

/// Whether `name` is a standard attribute a schema entry may configure.
fn configurable_standard(name: &str) -> bool {
    STANDARD.iter().any(|(n, ..)| *n == name) && !NOT_CONFIGURABLE.contains(&name)
}

impl Default for Schema {
    /// The open schema (see the module documentation).
    fn default() -> Self {
        Self::open()
    }
}

impl Schema {
    /// The standard attributes with Cognito's defaults and no custom attribute: the schema of
    /// a `CreateUserPool` that declares none.
    pub fn standard() -> Self {
        Self {
            attributes: (0..STANDARD.len()).map(standard_attribute).collect(),
            open: false,
        }
    }

    /// The schema of a pool that declared none through Cognito's API.
    pub fn open() -> Self {
        Self {
            open: true,
            ..Self::standard()
        }
    }

    /// Whether undeclared custom attributes are accepted (a pool without a declared schema).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Every attribute, as `DescribeUserPool` lists them.
    pub fn attributes(&self) -> &[SchemaAttribute] {
        &self.attributes
    }

    /// The attribute called `name` (`email`, `custom:team`), if the pool has it.
    pub fn get(&self, name: &str) -> Option<&SchemaAttribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Whether users must have a value for `name` (at sign-up and creation).
    pub fn is_required(&self, name: &str) -> bool {
        self.get(name).is_some_and(|a| a.required)
    }

    fn custom_count(&self) -> usize {
        self.attributes.iter().filter(|a| a.is_custom()).count()
    }

    /// The schema `CreateUserPool` (or a seed file) declares with `Schema`: the standard
    /// attributes, changed where an entry names one, and the custom attributes it adds.
    pub fn declare(entries: &[SchemaAttributeSpec]) -> Result<Self, SchemaError> {
        if entries.len() > MAX_CUSTOM_ATTRIBUTES {
            return Err(SchemaError::Member {
                member: "schema".into(),
                rule: format!(
                    "Member must have length less than or equal to {MAX_CUSTOM_ATTRIBUTES}"
                ),
            });
        }
        if entries.is_empty() {
            return Err(SchemaError::Member {
                member: "schema".into(),
                rule: "Member must have length greater than or equal to 1".into(),
            });
        }
        let mut schema = Self::standard();
        let mut configured: Vec<String> = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let member = format!("schema.{}.member", index + 1);
            let name = checked_name(&member, entry.name.as_deref())?;
            let standard = schema
                .attributes
                .iter()
                .position(|a| a.name == name && configurable_standard(name));
            if let Some(position) = standard {
                if configured.iter().any(|n| n == name) {
                    return Err(already_named(name));
                }
                let changed = configure_standard(&member, &schema.attributes[position], entry)?;
                schema.attributes[position] = changed;
                configured.push(name.to_owned());
            } else {
                schema.push_custom(&member, entry)?;
            }
        }
        Ok(schema)
    }

    /// The custom attributes an `AddCustomAttributes` request gives (1 to 25), each checked
    /// on its own; [`Schema::add`] then checks them against the pool's.
    pub fn custom_attributes(
        entries: &[SchemaAttributeSpec],
    ) -> Result<Vec<SchemaAttribute>, SchemaError> {
        if entries.is_empty() || entries.len() > 25 {
            return Err(SchemaError::Member {
                member: "customAttributes".into(),
                rule: "Member must have length between 1 and 25".into(),
            });
        }
        let mut attributes: Vec<SchemaAttribute> = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let member = format!("customAttributes.{}.member", index + 1);
            checked_name(&member, entry.name.as_deref())?;
            let attribute = custom_attribute(&member, entry)?;
            if attributes.iter().any(|a| a.name == attribute.name) {
                return Err(already_named(&attribute.name));
            }
            attributes.push(attribute);
        }
        Ok(attributes)
    }

    /// Appends custom attributes (`AddCustomAttributes`): an existing name, or more than 50
    /// custom attributes in all, refuses them all. The schema is declared from then on.
    pub fn add(&mut self, attributes: Vec<SchemaAttribute>) -> Result<(), SchemaError> {
        let mut next = self.clone();
        next.open = false;
        for attribute in attributes {
            next.push(attribute)?;
        }
        *self = next;
        Ok(())
    }

    fn push_custom(
        &mut self,
        member: &str,
        entry: &SchemaAttributeSpec,
    ) -> Result<(), SchemaError> {
        self.push(custom_attribute(member, entry)?)
    }

    fn push(&mut self, attribute: SchemaAttribute) -> Result<(), SchemaError> {
        if self.get(&attribute.name).is_some() {
            return Err(already_named(&attribute.name));
        }
        if self.custom_count() >= MAX_CUSTOM_ATTRIBUTES {
            return Err(SchemaError::Invalid(format!(
                "A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes."
            )));
        }
        self.attributes.push(attribute);
        Ok(())
    }

    /// Checks a write of `changes` over `current` at `moment`: every attribute declared (or,
    /// in an open schema, a custom one), of its type and within its constraints, no immutable
    /// attribute changed after creation, and at creation every required attribute given.
    /// Returns the changes in canonical form (`TRUE` becomes `true`), or Cognito's message.
    pub fn conform(
        &self,
        moment: Moment,
        current: &UserAttributes,
        changes: &UserAttributes,
    ) -> Result<UserAttributes, String> {
        let mut problems: Vec<String> = Vec::new();
        let mut canonical = UserAttributes::default();
        for (name, value) in changes.as_map() {
            let fallback;
            let attribute = match self.get(name) {
                Some(attribute) => attribute,
                None if self.open && name.starts_with(CUSTOM_PREFIX) => {
                    fallback = open_custom(name);
                    &fallback
                }
                None => {
                    problems.push(format!("{name}: Attribute does not exist in the schema."));
                    continue;
                }
            };
            if moment == Moment::Update && !attribute.mutable {
                problems.push(format!("{name}: Attribute cannot be updated."));
                continue;
            }
            if attribute.required && value.is_empty() {
                problems.push(format!("{name}: The attribute is required"));
                continue;
            }
            match check_value(attribute, value) {
                Ok(value) => canonical.set(name, &value),
                Err(problem) => problems.push(format!("{name}: {problem}")),
            }
        }
        if moment == Moment::Creation {
            for attribute in self
                .attributes
                .iter()
                .filter(|a| a.required && a.name != "sub")
            {
                let given = changes
                    .get(&attribute.name)
                    .or(current.get(&attribute.name));
                if given.is_none() {
                    problems.push(format!("{}: The attribute is required", attribute.name));
                }
            }
        }
        if problems.is_empty() {
            Ok(canonical)
        } else {
            Err(nonconforming(&problems))
        }
    }

    /// Checks that `names` may be deleted after creation: neither required nor immutable.
    pub fn conform_delete(&self, names: &[String]) -> Result<(), String> {
        let mut problems = Vec::new();
        for name in names {
            let Some(attribute) = self.get(name) else {
                if !(self.open && name.starts_with(CUSTOM_PREFIX)) {
                    problems.push(format!("{name}: Attribute does not exist in the schema."));
                }
                continue;
            };
            if !attribute.mutable {
                problems.push(format!("{name}: Attribute cannot be updated."));
            } else if attribute.required {
                problems.push(format!("{name}: The attribute is required"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(nonconforming(&problems))
        }
    }
}

/// Cognito's message: one line per problem, each ending in a newline.
fn nonconforming(problems: &[String]) -> String {
    let mut message = String::from("Attributes did not conform to the schema: ");
    for problem in problems {
        message.push_str(problem);
        message.push('\n');
    }
    message
}

fn already_named(name: &str) -> SchemaError {
    SchemaError::Invalid(format!("Existing attribute already has name {name}."))
}

/// A custom attribute of an open schema: a mutable string of Cognito's longest length.
fn open_custom(name: &str) -> SchemaAttribute {
    SchemaAttribute {
        name: name.to_owned(),
        attribute_data_type: AttributeDataType::String,
        developer_only_attribute: false,
        mutable: true,
        required: false,
        number_attribute_constraints: None,
        string_attribute_constraints: None,
    }
}

/// Checks a value against its attribute's type and constraints; returns it canonical.
fn check_value(attribute: &SchemaAttribute, value: &str) -> Result<String, String> {
    match attribute.attribute_data_type {
        AttributeDataType::String | AttributeDataType::DateTime => {
            let length = i64::try_from(value.chars().count()).unwrap_or(i64::MAX);
            let constraints = attribute.string_attribute_constraints.as_ref();
            let max = constraints
                .and_then(|c| c.max_length)
                .unwrap_or(MAX_STRING_LENGTH as i64);
            let min = constraints.and_then(|c| c.min_length).unwrap_or(0);
            if length > max {
                return Err(format!("String must be no longer than {max} characters"));
            }
            if length < min {
                return Err(format!("String must be no shorter than {min} characters"));
            }
            Ok(value.to_owned())
        }
        AttributeDataType::Number => {
            let number: i64 = parse_integer(value).ok_or("Number is not a valid integer")?;
            let constraints = attribute.number_attribute_constraints.as_ref();
            if let Some(min) = constraints.and_then(|c| c.min_value)
                && number < min
            {
                return Err(format!("Number must be no less than {min}"));
            }
            if let Some(max) = constraints.and_then(|c| c.max_value)
                && number > max
            {
                return Err(format!("Number must be no greater than {max}"));
            }
            Ok(value.to_owned())
        }
        AttributeDataType::Boolean => canonical_boolean(value)
            .map(str::to_owned)
            .ok_or_else(|| "Value must be true or false".to_owned()),
    }
}

/// `true` or `false` in any case, as Cognito accepts them, in the form they are stored.
pub fn canonical_boolean(value: &str) -> Option<&'static str> {
    if value.eq_ignore_ascii_case("true") {
        Some("true")
    } else if value.eq_ignore_ascii_case("false") {
        Some("false")
    } else {
        None
    }
}

/// A whole number with an optional sign, nothing else (no spaces, no exponent).
fn parse_integer(value: &str) -> Option<i64> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// A schema entry's name as Cognito's `CustomAttributeNameType` allows it: 1-20 letters,
/// marks, symbols, digits or punctuation (no whitespace, no control characters).
fn checked_name<'a>(member: &str, name: Option<&'a str>) -> Result<&'a str, SchemaError> {
    let member = format!("{member}.name");
    let Some(name) = name else {
        return Err(SchemaError::Member {
            member,
            rule: "Member must not be null".into(),
        });
    };
    let chars = name.chars().count();
    if chars == 0 {
        return Err(SchemaError::Member {
            member,
            rule: "Member must have length greater than or equal to 1".into(),
        });
    }
    if chars > MAX_SCHEMA_NAME_CHARS {
        return Err(SchemaError::Member {
            member,
            rule: format!("Member must have length less than or equal to {MAX_SCHEMA_NAME_CHARS}"),
        });
    }
    if !name.chars().all(name_char) {
        return Err(SchemaError::Member {
            member,
            rule: r"Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+"
                .into(),
        });
    }
    Ok(name)
}

/// A character of Cognito's name pattern (letters, marks, symbols, numbers, punctuation):
/// everything but whitespace, control and format characters.
pub fn name_char(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{feff}')
}

fn data_type(member: &str, raw: &str) -> Result<AttributeDataType, SchemaError> {
    AttributeDataType::parse(raw).ok_or_else(|| SchemaError::Member {
        member: format!("{member}.attributeDataType"),
        rule: "Member must satisfy enum value set: [Boolean, Number, String, DateTime]".into(),
    })
}

/// A standard attribute with what an entry changes: `Mutable`, `Required` and constraints.
/// Its type cannot change and it cannot become developer-only.
fn configure_standard(
    member: &str,
    standard: &SchemaAttribute,
    entry: &SchemaAttributeSpec,
) -> Result<SchemaAttribute, SchemaError> {
    let name = &standard.name;
    let fixed = || {
        SchemaError::Invalid(format!(
            "You can not change AttributeDataType or set developerOnlyAttribute for standard \
             schema attribute {name}"
        ))
    };
    if let Some(raw) = &entry.attribute_data_type
        && data_type(member, raw)? != standard.attribute_data_type
    {
        return Err(fixed());
    }
    if entry.developer_only_attribute == Some(true) {
        return Err(fixed());
    }
    let mut attribute = standard.clone();
    attribute.mutable = entry.mutable.unwrap_or(standard.mutable);
    attribute.required = entry.required.unwrap_or(standard.required);
    if name == "sub" && (attribute.mutable || !attribute.required) {
        return Err(SchemaError::Invalid(
            "The sub attribute is always required and immutable.".into(),
        ));
    }
    apply_constraints(&mut attribute, entry)?;
    Ok(attribute)
}

/// A custom attribute from its entry: a type, never required, mutable unless it says not.
fn custom_attribute(
    member: &str,
    entry: &SchemaAttributeSpec,
) -> Result<SchemaAttribute, SchemaError> {
    let bare = entry.name.as_deref().unwrap_or_default();
    let Some(raw_type) = &entry.attribute_data_type else {
        return Err(SchemaError::Invalid(
            "Invalid AttributeDataType input, consider using the provided AttributeDataType enum."
                .into(),
        ));
    };
    let data_type = data_type(member, raw_type)?;
    if entry.required == Some(true) {
        return Err(SchemaError::Invalid(
            "Required custom attributes are not supported currently.".into(),
        ));
    }
    if entry.developer_only_attribute == Some(true) {
        return Err(SchemaError::Invalid(
            "Developer-only attributes are not supported by Gatehouse; use the app clients' \
             WriteAttributes to keep an attribute from users."
                .into(),
        ));
    }
    let mut attribute = SchemaAttribute {
        name: format!("{CUSTOM_PREFIX}{bare}"),
        attribute_data_type: data_type,
        developer_only_attribute: false,
        mutable: entry.mutable.unwrap_or(true),
        required: false,
        // Cognito answers an empty object for a string or number left unconstrained.
        number_attribute_constraints: (data_type == AttributeDataType::Number)
            .then(NumberConstraints::default),
        string_attribute_constraints: (data_type == AttributeDataType::String)
            .then(StringConstraints::default),
    };
    apply_constraints(&mut attribute, entry)?;
    Ok(attribute)
}

/// Sets the constraints an entry gives for its attribute's type (others do not apply and
/// are not kept), checked as Cognito checks them.
fn apply_constraints(
    attribute: &mut SchemaAttribute,
    entry: &SchemaAttributeSpec,
) -> Result<(), SchemaError> {
    let name = attribute.name.clone();
    let limit = |raw: &Option<String>, kind: &str| -> Result<Option<i64>, SchemaError> {
        raw.as_deref()
            .map(|raw| {
                parse_integer(raw).filter(|n| *n >= 0).ok_or_else(|| {
                    SchemaError::Invalid(format!("Invalid {kind} for schema attribute {name}"))
                })
            })
            .transpose()
    };
    match attribute.attribute_data_type {
        AttributeDataType::String => {
            let Some(given) = &entry.string_attribute_constraints else {
                return Ok(());
            };
            let kind = "StringAttributeConstraints";
            let min = limit(&given.min_length, kind)?;
            let max = limit(&given.max_length, kind)?;
            if min.or(max).is_some_and(|_| {
                min.unwrap_or(0) > MAX_STRING_LENGTH as i64
                    || max.unwrap_or(0) > MAX_STRING_LENGTH as i64
            }) {
                return Err(SchemaError::Invalid(format!(
                    "user.{name}: String attributes cannot have a length of more than {MAX_STRING_LENGTH}"
                )));
            }
            if let (Some(min), Some(max)) = (min, max)
                && min > max
            {
                return Err(SchemaError::Invalid(format!(
                    "user.{name}: Max length cannot be less than min length."
                )));
            }
            let current = attribute
                .string_attribute_constraints
                .take()
                .unwrap_or_default();
            attribute.string_attribute_constraints = Some(StringConstraints {
                min_length: min.or(current.min_length),
                max_length: max.or(current.max_length),
            });
        }
        AttributeDataType::Number => {
            let Some(given) = &entry.number_attribute_constraints else {
                return Ok(());
            };
            let kind = "NumberAttributeConstraints";
            let min = limit(&given.min_value, kind)?;
            let max = limit(&given.max_value, kind)?;
            if let (Some(min), Some(max)) = (min, max)
                && min > max
            {
                return Err(SchemaError::Invalid(format!(
                    "user.{name}: Max value cannot be less than min value."
                )));
            }
            let current = attribute
                .number_attribute_constraints
                .take()
                .unwrap_or_default();
            attribute.number_attribute_constraints = Some(NumberConstraints {
                min_value: min.or(current.min_value),
                max_value: max.or(current.max_value),
            });
        }
        AttributeDataType::DateTime | AttributeDataType::Boolean => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> SchemaAttributeSpec {
        serde_json::from_value(json).unwrap()
    }

    fn attrs(pairs: &[(&str, &str)]) -> UserAttributes {
        UserAttributes::from_pairs(pairs)
    }

    #[test]
    fn the_standard_schema_is_cognitos() {
        let schema = Schema::standard();
        let names: Vec<&str> = schema
            .attributes()
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names.first(), Some(&"sub"));
        assert_eq!(names.last(), Some(&"updated_at"));
        assert_eq!(names.len(), 20);
        let json = serde_json::to_value(schema.get("birthdate").unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"Name": "birthdate", "AttributeDataType": "String",
                "DeveloperOnlyAttribute": false, "Mutable": true, "Required": false,
                "StringAttributeConstraints": {"MinLength": "10", "MaxLength": "10"}})
        );
        let flag = serde_json::to_value(schema.get("email_verified").unwrap()).unwrap();
        assert!(flag.get("StringAttributeConstraints").is_none());
        let stored: Schema =
            serde_json::from_value(serde_json::to_value(&schema).unwrap()).unwrap();
        assert_eq!(stored, schema);
    }

    #[test]
    fn declarations_change_standard_attributes_and_add_custom_ones() {
        let schema = Schema::declare(&[
            spec(serde_json::json!({"Name": "email", "AttributeDataType": "String", "Required": true})),
            spec(serde_json::json!({"Name": "team", "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "5"}})),
            spec(serde_json::json!({"Name": "age", "AttributeDataType": "Number", "Mutable": false})),
        ])
        .unwrap();
        assert!(schema.is_required("email"));
        let team = schema.get("custom:team").unwrap();
        assert!(team.mutable && !team.required);
        assert_eq!(
            team.string_attribute_constraints,
            Some(StringConstraints {
                min_length: Some(1),
                max_length: Some(5)
            })
        );
        assert_eq!(
            serde_json::to_value(schema.get("custom:age").unwrap()).unwrap()["NumberAttributeConstraints"],
            serde_json::json!({})
        );
    }

    #[test]
    fn declarations_are_refused_as_cognito_refuses_them() {
        let refused = |json: serde_json::Value| Schema::declare(&[spec(json)]).unwrap_err();
        assert_eq!(
            refused(
                serde_json::json!({"Name": "role", "AttributeDataType": "String", "Required": true})
            ),
            SchemaError::Invalid("Required custom attributes are not supported currently.".into())
        );
        assert!(matches!(
            refused(serde_json::json!({"Name": "email", "AttributeDataType": "Number"})),
            SchemaError::Invalid(m) if m.contains("standard schema attribute email")
        ));
        assert!(matches!(
            refused(serde_json::json!({"Name": "x".repeat(21), "AttributeDataType": "String"})),
            SchemaError::Member { rule, .. } if rule.contains("less than or equal to 20")
        ));
        assert!(matches!(
            refused(serde_json::json!({"Name": "a b", "AttributeDataType": "String"})),
            SchemaError::Member { .. }
        ));
        assert!(matches!(
            refused(serde_json::json!({"Name": "t", "AttributeDataType": "Text"})),
            SchemaError::Member { rule, .. } if rule.contains("enum value set")
        ));
        assert!(matches!(
            refused(serde_json::json!({"Name": "t", "AttributeDataType": "String",
                "StringAttributeConstraints": {"MaxLength": "2049"}})),
            SchemaError::Invalid(m) if m.contains("more than 2048")
        ));
        assert!(matches!(
            refused(serde_json::json!({"Name": "t", "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "5", "MaxLength": "4"}})),
            SchemaError::Invalid(m) if m.contains("Max length cannot be less than min length")
        ));
        assert!(matches!(
            refused(serde_json::json!({"Name": "n", "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "ten"}})),
            SchemaError::Invalid(m) if m == "Invalid NumberAttributeConstraints for schema attribute custom:n"
        ));
        let twice = Schema::declare(&[
            spec(serde_json::json!({"Name": "t", "AttributeDataType": "String"})),
            spec(serde_json::json!({"Name": "t", "AttributeDataType": "Number"})),
        ]);
        assert_eq!(
            twice,
            Err(SchemaError::Invalid(
                "Existing attribute already has name custom:t.".into()
            ))
        );
    }

    #[test]
    fn at_most_fifty_custom_attributes() {
        let entries: Vec<_> = (0..50)
            .map(|i| {
                spec(serde_json::json!({"Name": format!("c{i}"), "AttributeDataType": "String"}))
            })
            .collect();
        let mut schema = Schema::declare(&entries).unwrap();
        let more = Schema::custom_attributes(&[spec(
            serde_json::json!({"Name": "one_more", "AttributeDataType": "String"}),
        )])
        .unwrap();
        assert!(matches!(schema.add(more), Err(SchemaError::Invalid(_))));
        assert!(schema.get("custom:one_more").is_none());
    }

    #[test]
    fn writes_conform_to_the_schema() {
        let schema = Schema::declare(&[
            spec(serde_json::json!({"Name": "email", "Required": true})),
            spec(serde_json::json!({"Name": "team", "AttributeDataType": "String",
                "StringAttributeConstraints": {"MaxLength": "4"}})),
            spec(serde_json::json!({"Name": "account", "AttributeDataType": "String", "Mutable": false})),
            spec(serde_json::json!({"Name": "age", "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "18", "MaxValue": "130"}})),
            spec(serde_json::json!({"Name": "vip", "AttributeDataType": "Boolean"})),
        ])
        .unwrap();
        let none = UserAttributes::default();
        let ok = schema
            .conform(
                Moment::Creation,
                &none,
                &attrs(&[
                    ("email", "a@b.c"),
                    ("custom:vip", "TRUE"),
                    ("custom:account", "acme"),
                ]),
            )
            .unwrap();
        assert_eq!(ok.get("custom:vip"), Some("true"));
        assert_eq!(
            schema.conform(Moment::Creation, &none, &attrs(&[("custom:team", "red")])),
            Err(
                "Attributes did not conform to the schema: email: The attribute is required\n"
                    .into()
            )
        );
        let problems = schema
            .conform(
                Moment::Update,
                &none,
                &attrs(&[
                    ("custom:nope", "x"),
                    ("custom:team", "toolong"),
                    ("custom:account", "other"),
                    ("custom:age", "12"),
                    ("custom:vip", "yes"),
                ]),
            )
            .unwrap_err();
        for expected in [
            "custom:nope: Attribute does not exist in the schema.\n",
            "custom:team: String must be no longer than 4 characters\n",
            "custom:account: Attribute cannot be updated.\n",
            "custom:age: Number must be no less than 18\n",
            "custom:vip: Value must be true or false\n",
        ] {
            assert!(problems.contains(expected), "{problems}");
        }
        assert!(
            schema
                .conform(Moment::Update, &none, &attrs(&[("custom:age", "1.5")]))
                .is_err()
        );
        assert!(
            schema
                .conform(Moment::Update, &none, &attrs(&[("email", "")]))
                .is_err()
        );
        assert!(schema.conform_delete(&["email".into()]).is_err());
        assert!(schema.conform_delete(&["custom:team".into()]).is_ok());
    }

    #[test]
    fn open_schemas_take_any_custom_attribute_as_a_string() {
        let open = Schema::open();
        let none = UserAttributes::default();
        assert!(
            open.conform(Moment::Update, &none, &attrs(&[("custom:any", "x")]))
                .is_ok()
        );
        assert!(
            Schema::standard()
                .conform(Moment::Update, &none, &attrs(&[("custom:any", "x")]))
                .is_err()
        );
        assert!(
            open.conform(Moment::Update, &none, &attrs(&[("birthdate", "1990")]))
                .is_err()
        );
        assert!(
            open.conform(Moment::Update, &none, &attrs(&[("updated_at", "soon")]))
                .is_err()
        );
    }
}
