//! Reading request bodies strictly and cheaply: the content type is checked before a byte is
//! read, the body is capped while streaming (a 1 GB upload costs 16 KiB), and JSON is
//! decoded into exact types, so wrong types, duplicate keys, invalid UTF-8 and anything but
//! a JSON object are refused before any database query or hash.

use std::collections::BTreeMap;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::{self, BytesMut};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::error::{ApiError, Surface, Transport};
use super::limits::RequestLimits;

/// The body limit on authentication endpoints.
pub const AUTH_BODY_LIMIT: usize = 16 * 1024;

/// Reads and decodes a JSON body of at most `limit` bytes.
pub async fn read_json<T: DeserializeOwned>(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    surface: Surface,
) -> Result<T, ApiError> {
    let body = read_body(request, payload, limit, surface).await?;
    decode(&body, surface)
}

/// Reads a JSON body of at most `limit` bytes without decoding it (for dispatchers that
/// pick the shape after reading).
pub async fn read_body(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    surface: Surface,
) -> Result<BytesMut, ApiError> {
    check_content_type(request, surface)?;
    let body = read_capped(request, payload, limit, surface).await?;
    require_object(&body, surface)?;
    Ok(body)
}

/// Reads a body of any content type, at most `limit` bytes, within the body deadline (for
/// the form-encoded OAuth endpoints, which check their own content type).
pub async fn read_capped(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    surface: Surface,
) -> Result<BytesMut, ApiError> {
    let too_large = || {
        ApiError::invalid_parameter(
            format!("Request body must be at most {limit} bytes"),
            surface,
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(1024).min(limit));
    let read = async {
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| {
                ApiError::invalid_parameter("The request body could not be read", surface)
            })?;
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(())
    };
    // A client trickling its body (or declaring more than it sends) would otherwise hold a
    // connection and a handler for as long as it likes.
    let deadline = request
        .app_data::<web::Data<RequestLimits>>()
        .map_or(DEFAULT_BODY_TIMEOUT, |limits| limits.body_timeout);
    match tokio::time::timeout(deadline, read).await {
        Ok(result) => {
            result?;
            Ok(body)
        }
        Err(_) => Err(ApiError::new(
            Transport::RequestTimeout,
            "The request body did not arrive in time",
            surface,
        )),
    }
}

/// Used when the server did not configure [`RequestLimits`] (handlers under unit test): the
/// setting's default.
const DEFAULT_BODY_TIMEOUT: Duration =
    Duration::from_secs(crate::config::limits::DEFAULT_REQUEST_BODY_TIMEOUT_SECONDS);

fn check_content_type(request: &HttpRequest, surface: Surface) -> Result<(), ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence == "application/x-amz-json-1.1" {
        Ok(())
    } else {
        Err(ApiError::new(
            Transport::UnsupportedMediaType,
            "Content-Type must be application/json",
            surface,
        ))
    }
}

/// Deserializes a JSON object into a map, refusing a key that appears twice: serde's own
/// maps keep the last value, and two parsers that disagree on which one counts are how
/// `{"USERNAME":"alice","USERNAME":"admin"}` slips past a check.
pub fn unique_keys<'de, D, V>(deserializer: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: serde::Deserialize<'de>,
{
    struct UniqueKeys<V>(std::marker::PhantomData<V>);

    impl<'de, V: serde::Deserialize<'de>> serde::de::Visitor<'de> for UniqueKeys<V> {
        type Value = BTreeMap<String, V>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map of strings")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut values = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if values.contains_key(&key) {
                    return Err(serde::de::Error::custom(format_args!(
                        "duplicate field `{}`",
                        key.chars().take(64).collect::<String>()
                    )));
                }
                let value = map.next_value()?;
                values.insert(key, value);
            }
            Ok(values)
        }
    }

    deserializer.deserialize_map(UniqueKeys(std::marker::PhantomData))
}

/// Refuses a body whose top-level value is not a JSON object. serde maps a JSON array onto
/// a struct field by field, so without this `["alice","acme","<password>"]` would be read as
/// a `/Login` body; every operation's input is an object, so nothing else is ever meant.
/// Whitespace only is left to the decoder, which calls it what it is: not JSON.
fn require_object(body: &[u8], surface: Surface) -> Result<(), ApiError> {
    let first = body
        .iter()
        .find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'));
    if matches!(first, Some(b'{') | None) {
        return Ok(());
    }
    let message = if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
        "Request body must be a JSON object"
    } else {
        "Request body is not valid JSON"
    };
    Err(ApiError::invalid_parameter(message, surface))
}

/// Decodes a JSON object; the error names the offending member but never echoes its value.
pub fn decode<T: DeserializeOwned>(body: &[u8], surface: Surface) -> Result<T, ApiError> {
    require_object(body, surface)?;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        describe(&path, error.into_inner(), surface)
    })?;
    // Trailing garbage after the object is as malformed as a truncated one.
    deserializer
        .end()
        .map_err(|error| describe(".", error, surface))?;
    Ok(value)
}

/// Decodes members already read as JSON (part of a request an operation reads in two
/// steps), with the same errors as [`decode`]; paths are relative to `value`.
pub fn decode_value<T: DeserializeOwned>(
    value: serde_json::Value,
    surface: Surface,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        describe(&path, error.into_inner(), surface)
    })
}

fn describe(path: &str, inner: serde_json::Error, surface: Surface) -> ApiError {
    let message = match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            "Request body is not valid JSON".to_owned()
        }
        serde_json::error::Category::Io => "The request body could not be read".to_owned(),
        serde_json::error::Category::Data => describe_data_error(path, &inner.to_string()),
    };
    ApiError::invalid_parameter(message, surface)
}

/// serde's data errors quote the offending value between backticks after "invalid type" or
/// "invalid value"; keep only what was expected, so a password sent as a number is never
/// repeated back or logged.
fn describe_data_error(path: &str, detail: &str) -> String {
    let detail = detail.split(" at line ").next().unwrap_or(detail);
    let location = if path == "." || path.is_empty() {
        "the request".to_owned()
    } else {
        format!("'{path}'")
    };
    // A member the operation does not have: named (names are never secrets), not dropped.
    if let Some(rest) = detail.strip_prefix("unknown field `") {
        let name: String = rest
            .split('`')
            .next()
            .unwrap_or_default()
            .chars()
            .take(64)
            .collect();
        return format!(
            "1 validation error detected: {}",
            unknown_member(path, &name)
        );
    }
    // A value outside an enum: AWS's wording, with the allowed values (not the one sent).
    if detail.starts_with("unknown variant")
        && let Some(expected) = detail.split(", expected ").nth(1)
    {
        let allowed: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return format!(
            "1 validation error detected: Value at {location} failed to satisfy constraint: \
             Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        );
    }
    if let Some(expected) = detail.split(", expected ").nth(1) {
        return format!("1 validation error detected: Value at {location} must be {expected}");
    }
    if detail.starts_with("missing field") || detail.starts_with("duplicate field") {
        return format!("1 validation error detected: {detail}");
    }
    format!("1 validation error detected: Value at {location} is invalid")
}

/// The message for a request member the operation does not define, at `path` (the
/// enclosing member, or the member itself).
pub fn unknown_member(path: &str, name: &str) -> String {
    let at = if path == "." || path.is_empty() || path == name {
        name.to_owned()
    } else if path.ends_with(&format!(".{name}")) {
        path.to_owned()
    } else {
        format!("{path}.{name}")
    };
    format!("Unknown parameter in input: \"{at}\"")
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code, reason = "fields exist to be decoded")]
    struct Sample {
        user_name: String,
        password: String,
    }

    fn message(body: &str) -> String {
        decode::<Sample>(body.as_bytes(), Surface::LoginApi)
            .unwrap_err()
            .message
    }

    #[test]
    fn valid_json_decodes() {
        assert!(
            decode::<Sample>(
                br#"{"UserName":"a","Password":"b","Extra":1}"#,
                Surface::LoginApi
            )
            .is_ok()
        );
    }

    #[test]
    fn duplicate_keys_are_refused() {
        assert!(
            message(r#"{"UserName":"a","UserName":"b","Password":"c"}"#)
                .contains("duplicate field")
        );
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "fields exist to be decoded")]
    struct WithMap {
        #[serde(rename = "Map", default, deserialize_with = "unique_keys")]
        map: BTreeMap<String, Option<String>>,
    }

    #[test]
    fn duplicate_keys_inside_maps_are_refused() {
        let ok = decode::<WithMap>(br#"{"Map":{"A":"1","B":null}}"#, Surface::LoginApi).unwrap();
        assert_eq!(ok.map.len(), 2);
        assert!(
            decode::<WithMap>(br#"{}"#, Surface::LoginApi)
                .unwrap()
                .map
                .is_empty()
        );
        let error = decode::<WithMap>(br#"{"Map":{"A":"1","A":"2"}}"#, Surface::LoginApi)
            .unwrap_err()
            .message;
        assert!(error.contains("duplicate field `A`"), "{error}");
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    #[allow(dead_code, reason = "fields exist to be decoded")]
    struct Strict {
        inner: Option<StrictInner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    #[allow(dead_code, reason = "fields exist to be decoded")]
    struct StrictInner {
        known: Option<bool>,
    }

    #[test]
    fn unknown_members_are_named() {
        let top = decode::<Strict>(br#"{"Bogus":1}"#, Surface::CognitoJson).unwrap_err();
        assert_eq!(
            top.message,
            "1 validation error detected: Unknown parameter in input: \"Bogus\""
        );
        let nested = decode::<Strict>(
            br#"{"Inner":{"Known":true,"Extra":"x"}}"#,
            Surface::CognitoJson,
        )
        .unwrap_err();
        assert_eq!(
            nested.message,
            "1 validation error detected: Unknown parameter in input: \"Inner.Extra\""
        );
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "fields exist to be decoded")]
    enum Switch {
        #[serde(rename = "ON")]
        On,
        #[serde(rename = "OFF")]
        Off,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code, reason = "fields exist to be decoded")]
    struct WithEnum {
        switch: Switch,
    }

    #[test]
    fn enum_values_are_listed_not_echoed() {
        let error = decode::<WithEnum>(br#"{"Switch":"SIDEWAYS"}"#, Surface::CognitoJson)
            .unwrap_err()
            .message;
        assert_eq!(
            error,
            "1 validation error detected: Value at 'Switch' failed to satisfy constraint: \
             Member must satisfy enum value set: [ON, OFF]"
        );
    }

    #[test]
    fn missing_fields_are_named() {
        assert!(message(r#"{"UserName":"a"}"#).contains("missing field `Password`"));
    }

    #[test]
    fn wrong_types_never_echo_the_value() {
        let text = message(r#"{"UserName":"a","Password":987654321}"#);
        assert!(!text.contains("987654321"), "{text}");
        assert!(
            text.contains("'Password'") && text.contains("a string"),
            "{text}"
        );
    }

    #[test]
    fn syntax_errors_and_trailing_garbage_are_refused() {
        for body in [
            r#"{"UserName":"a","#,
            "not json",
            r#"{"UserName":"a","Password":"b"} x"#,
            "",
        ] {
            assert_eq!(message(body), "Request body is not valid JSON", "{body}");
        }
    }

    #[test]
    fn only_objects_are_bodies() {
        // A positional array would otherwise fill the struct field by field.
        for body in [
            r#"["a","b"]"#,
            r#" ["a","b"]"#,
            r#""a""#,
            "42",
            "null",
            "true",
        ] {
            assert_eq!(
                message(body),
                "Request body must be a JSON object",
                "{body}"
            );
        }
        assert!(
            decode::<Sample>(
                b" \n{\"UserName\":\"a\",\"Password\":\"b\"}",
                Surface::LoginApi
            )
            .is_ok()
        );
    }

    #[test]
    fn invalid_utf8_is_refused() {
        let body = b"{\"UserName\":\"\xff\xfe\",\"Password\":\"b\"}";
        assert!(decode::<Sample>(body, Surface::LoginApi).is_err());
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(decode::<Sample>(body.as_bytes(), Surface::LoginApi).is_err());
    }
}
