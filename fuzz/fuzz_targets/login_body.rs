//! `POST /Login`'s body: strict JSON decoding (`http/body.rs`) and the field rules
//! (`http/fields.rs`, `login_api`), everything the handler does before the database.
//!
//! Beyond "never panics": a refusal is always a 400 `InvalidParameterException` that repeats
//! none of the values it was sent; an accepted body satisfies every field rule, survives
//! re-encoding unchanged, and is still accepted with whitespace around it.

#![no_main]

use gatehouse::auth::custom_auth::CustomAuthStart;
use gatehouse::auth::sign_in::{PasswordSignIn, SignInTarget};
use gatehouse::domain::password_policy::MAX_PASSWORD_CHARS;
use gatehouse::domain::pool::MAX_POOL_NAME_CHARS;
use gatehouse::domain::username::MAX_USERNAME_CHARS;
use gatehouse::fuzzing::login_request;
use gatehouse::http::login_api::LoginStart;
use libfuzzer_sys::fuzz_target;
use secrecy::ExposeSecret;

fuzz_target!(|body: &[u8]| {
    match login_request(body) {
        Ok(LoginStart::Password(accepted)) => check_accepted(body, &accepted),
        Ok(LoginStart::Custom(start)) => check_custom(&start),
        Err(error) => {
            assert_eq!(error.type_name(), "InvalidParameterException", "{error}");
            assert_eq!(error.status().as_u16(), 400, "{error}");
            assert!(!error.message.is_empty());
            for value in string_members(body) {
                // Our messages are ASCII templates, so a value with a non-ASCII character
                // inside a message can only have been echoed.
                if !value.is_ascii() {
                    assert!(
                        !error.message.contains(&value),
                        "the error repeats a value it was sent: {}",
                        error.message
                    );
                }
            }
        }
    }
});

/// The TenantName and UserName rules, whichever flow was asked for.
fn check_names(target: &SignInTarget, username: &str) -> String {
    let SignInTarget::LoginName(tenant) = target else {
        panic!("/Login aims at a pool by its TenantName");
    };
    assert!((1..=MAX_POOL_NAME_CHARS).contains(&tenant.chars().count()));
    assert!(!tenant.chars().any(char::is_control));
    assert!((1..=MAX_USERNAME_CHARS).contains(&username.chars().count()));
    assert!(
        !username
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    );
    tenant.clone()
}

/// A `CUSTOM_AUTH` start obeys the same name rules.
fn check_custom(start: &CustomAuthStart) {
    check_names(&start.target, start.username.as_str());
}

/// A body without `AuthFlow` is a password sign-in.
fn password_sign_in(start: LoginStart) -> PasswordSignIn {
    match start {
        LoginStart::Password(sign_in) => sign_in,
        LoginStart::Custom(_) => panic!("a body without AuthFlow is a password sign-in"),
    }
}

fn check_accepted(body: &[u8], accepted: &PasswordSignIn) {
    let username = accepted.username.as_str();
    let tenant = check_names(&accepted.target, username);
    let password = accepted.password.expose_secret();
    assert!((1..=MAX_PASSWORD_CHARS).contains(&password.chars().count()));
    assert!(!password.chars().any(char::is_control));

    // Re-encoding what was accepted yields a body that decodes to the very same request.
    let again = serde_json::to_vec(&serde_json::json!({
        "UserName": username,
        "TenantName": tenant,
        "Password": password,
    }))
    .expect("strings always encode");
    let decoded = password_sign_in(
        login_request(&again).expect("accepted fields re-encode to an accepted body"),
    );
    assert_eq!(decoded.target, accepted.target);
    assert_eq!(decoded.username, accepted.username);
    assert_eq!(decoded.password.expose_secret(), password);

    // JSON allows whitespace around the value; strictness must not refuse it.
    let padded = [b" \n\t".as_slice(), body, b"\r\n "].concat();
    let decoded =
        password_sign_in(login_request(&padded).expect("whitespace around an accepted body"));
    assert_eq!(decoded.username, accepted.username);
}

/// Every string member of the top-level object (the last of duplicates, as serde_json keeps).
fn string_members(body: &[u8]) -> Vec<String> {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .map(|object| {
            object
                .into_iter()
                .filter_map(|(_, value)| value.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
