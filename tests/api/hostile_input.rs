//! The bad-input catalogue (docs/security.md, "Hostile input") against both
//! APIs: one table of endpoints (the login API, the public Cognito operations and signed
//! admin operations) × one table of hostile bodies. Every case must get a clear 400 (415 for
//! a wrong content type on the login API) in bounded time, never echo what it was sent, and
//! reach neither the hasher (the `/metrics` hashing counter stands still) nor the lockout
//! counters. Transport-level abuse (oversized and injected headers, slow clients) and the
//! Unicode and SQL rows have their own tests below.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_KEY_ID, ADMIN_SECRET, Options, PASSWORD, TestApp, field};
use crate::on_both_backends;
use crate::support::Db;

const INVALID: &str = "InvalidParameterException";
/// A wrong-typed value that must never be repeated back.
const ECHO_PROBE: i64 = 987_654_321;
/// Every request must be answered well within this.
const BOUND: Duration = Duration::from_secs(10);

on_both_backends!(
    every_endpoint_refuses_every_hostile_body_before_any_work,
    oversized_headers_are_431,
    injected_and_smuggled_headers_are_refused_and_nothing_is_reflected,
    slow_clients_get_408_in_bounded_time,
    usernames_are_normalised_and_passwords_are_not,
    sql_metacharacters_are_data_on_the_cognito_api,
    a_json_array_is_not_a_request_even_in_field_order,
);

/// Calls a public Cognito operation.
pub async fn cognito(app: &TestApp, operation: &str, body: &Value) -> reqwest::Response {
    send(
        app,
        &Via::Cognito(operation.to_owned()),
        "application/x-amz-json-1.1",
        body.to_string().into_bytes(),
        None,
        false,
    )
    .await
}

/// Calls an admin operation, SigV4-signed with the test admin key.
pub async fn admin(app: &TestApp, operation: &str, body: &Value) -> reqwest::Response {
    send(
        app,
        &Via::Admin(operation.to_owned()),
        "application/x-amz-json-1.1",
        body.to_string().into_bytes(),
        None,
        false,
    )
    .await
}

/// Argon2 runs so far, as `/metrics` reports them.
pub async fn hashing_operations(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("gatehouse_password_hashing_operations_total "))
        .unwrap_or_else(|| panic!("no hashing counter in {text}"))
        .trim()
        .parse()
        .unwrap()
}

/// How a request reaches an endpoint.
#[derive(Debug, Clone)]
enum Via {
    Login(&'static str),
    Cognito(String),
    /// SigV4-signed with the test admin key.
    Admin(String),
}

async fn send(
    app: &TestApp,
    via: &Via,
    content_type: &str,
    body: Vec<u8>,
    bearer: Option<&str>,
    streamed: bool,
) -> reqwest::Response {
    let url = match via {
        Via::Login(path) => format!("{}{path}", app.address),
        Via::Cognito(_) | Via::Admin(_) => format!("{}/", app.address),
    };
    let mut request = app
        .client
        .post(&url)
        .timeout(BOUND)
        .header("Content-Type", content_type);
    if let Some(token) = bearer {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    match via {
        Via::Login(_) => {}
        Via::Cognito(operation) => {
            request = request.header(
                "X-Amz-Target",
                format!("AWSCognitoIdentityProviderService.{operation}"),
            );
        }
        Via::Admin(operation) => {
            let target = format!("AWSCognitoIdentityProviderService.{operation}");
            let host = url
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned();
            let now =
                UNIX_EPOCH + Duration::from_secs(u64::try_from(app.services.clock.now()).unwrap());
            for (name, value) in sigv4_headers(&url, &host, content_type, &target, &body, now) {
                request = request.header(name, value);
            }
            request = request.header("X-Amz-Target", target);
        }
    }
    let body = if streamed {
        // Chunked, with no declared length: the limit must hold while streaming.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            body.chunks(1024).map(|c| Ok(c.to_vec())).collect();
        reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
    } else {
        reqwest::Body::from(body)
    };
    request
        .body(body)
        .send()
        .await
        .expect("answered in bounded time")
}

/// The headers an AWS SDK adds to sign an admin request.
pub(crate) fn sigv4_headers(
    url: &str,
    host: &str,
    content_type: &str,
    target: &str,
    body: &[u8],
    time: std::time::SystemTime,
) -> Vec<(String, String)> {
    let identity: Identity =
        Credentials::new(ADMIN_KEY_ID, ADMIN_SECRET, None, None, "hostile-input-test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("cognito-idp")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers = [
        ("host", host),
        ("content-type", content_type),
        ("x-amz-target", target),
    ];
    let signable =
        SignableRequest::new("POST", url, headers.into_iter(), SignableBody::Bytes(body)).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// One endpoint: a well-shaped body, which members must be present, which are strings, and
/// which carry credentials (length and control-character rules).
struct Endpoint {
    via: Via,
    bearer: Option<String>,
    template: Value,
    required: Vec<&'static str>,
    strings: Vec<&'static str>,
    usernames: Vec<&'static str>,
    passwords: Vec<&'static str>,
}

impl Endpoint {
    fn new(via: Via, template: Value) -> Self {
        Self {
            via,
            bearer: None,
            template,
            required: Vec::new(),
            strings: Vec::new(),
            usernames: Vec::new(),
            passwords: Vec::new(),
        }
    }

    fn required(mut self, members: &[&'static str]) -> Self {
        self.required.extend(members);
        self.strings.extend(members);
        self
    }

    fn strings(mut self, members: &[&'static str]) -> Self {
        self.strings.extend(members);
        self
    }

    fn usernames(mut self, members: &[&'static str]) -> Self {
        self.usernames.extend(members);
        self
    }

    fn passwords(mut self, members: &[&'static str]) -> Self {
        self.passwords.extend(members);
        self
    }

    fn bearer(mut self, token: &str) -> Self {
        self.bearer = Some(token.to_owned());
        self
    }

    fn content_type(&self) -> &'static str {
        match self.via {
            Via::Login(_) => "application/json",
            Via::Cognito(_) | Via::Admin(_) => "application/x-amz-json-1.1",
        }
    }

    /// The template with the member at `pointer` replaced (or removed, for None).
    fn with(&self, pointer: &str, value: Option<Value>) -> Value {
        let mut body = self.template.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let container = body.pointer_mut(parent).unwrap();
        match (container, value) {
            (Value::Object(map), Some(value)) => {
                map.insert(key.to_owned(), value);
            }
            (Value::Object(map), None) => {
                map.remove(key);
            }
            (Value::Array(list), Some(value)) => list[key.parse::<usize>().unwrap()] = value,
            (other, _) => panic!("{pointer} in {other}"),
        }
        body
    }

    fn string_at(&self, pointer: &str) -> String {
        self.template
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{pointer} is a string member"))
            .to_owned()
    }

    /// Every hostile body for this endpoint, with a label saying what is wrong with it.
    fn cases(&self) -> Vec<(String, String, Vec<u8>)> {
        let json = self.content_type();
        let text = self.template.to_string();
        let positional = Value::Array(
            self.template
                .as_object()
                .unwrap()
                .values()
                .cloned()
                .collect(),
        )
        .to_string();
        let mut cases: Vec<(String, String, Vec<u8>)> = Vec::new();
        let mut add = |label: String, content_type: &str, body: Vec<u8>| {
            cases.push((label, content_type.to_owned(), body));
        };
        // not JSON, truncated, trailing garbage, not an object, deep nesting.
        for (label, body) in [
            ("empty body", String::new()),
            ("not JSON", "UserName=alice&Password=x".to_owned()),
            ("truncated", text[..text.len() / 2].to_owned()),
            ("trailing garbage", format!("{text} {{}}")),
            ("array", format!("[{text}]")),
            // serde would fill a struct from an array field by field.
            ("positional array", positional.clone()),
            ("empty array", "[]".to_owned()),
            ("string", format!("{:?}", "alice")),
            ("true", "true".to_owned()),
            ("null", "null".to_owned()),
            ("number", "42".to_owned()),
            (
                "10 000 levels deep",
                format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
            ),
            (
                "10 000 levels deep inside a member",
                text.replacen(
                    '{',
                    &format!("{{\"Deep\":{}{},", "[".repeat(10_000), "]".repeat(10_000)),
                    1,
                ),
            ),
        ] {
            add(label.to_owned(), json, body.into_bytes());
        }
        // content types that are not JSON.
        for content_type in ["text/plain", "application/x-www-form-urlencoded", ""] {
            add(
                format!("content type {content_type:?}"),
                content_type,
                text.clone().into_bytes(),
            );
        }
        // bodies over 16 KiB, declared or streamed; a 1 MB password.
        add(
            "17 KiB body".into(),
            json,
            self.with(
                &format!("/{}", "Padding"),
                Some(json!("x".repeat(17 * 1024))),
            )
            .to_string()
            .into_bytes(),
        );
        for pointer in &self.passwords {
            add(
                format!("1 MB {pointer}"),
                json,
                self.with(pointer, Some(json!("P".repeat(1 << 20))))
                    .to_string()
                    .into_bytes(),
            );
        }
        let first = self.strings[0];
        for pointer in &self.strings {
            let original = self.string_at(pointer);
            // wrong types.
            for wrong in [
                json!(ECHO_PROBE),
                json!([original]),
                json!({"a": 1}),
                json!(true),
            ] {
                add(
                    format!("{pointer} = {wrong}"),
                    json,
                    self.with(pointer, Some(wrong)).to_string().into_bytes(),
                );
            }
            // NUL anywhere.
            add(
                format!("NUL in {pointer}"),
                json,
                self.with(pointer, Some(json!(format!("{original}\u{0}HOSTILE"))))
                    .to_string()
                    .into_bytes(),
            );
            // invalid UTF-8 and a lone surrogate.
            let marked = self
                .with(pointer, Some(json!("@@MARK@@")))
                .to_string()
                .into_bytes();
            add(
                format!("invalid UTF-8 in {pointer}"),
                json,
                replace(&marked, b"@@MARK@@", b"al\xffice\xc0\xaf"),
            );
            add(
                format!("lone surrogate in {pointer}"),
                json,
                replace(&marked, b"@@MARK@@", br"al\ud800ice"),
            );
        }
        // missing and empty members.
        for pointer in &self.required {
            add(
                format!("missing {pointer}"),
                json,
                self.with(pointer, None).to_string().into_bytes(),
            );
            add(
                format!("empty {pointer}"),
                json,
                self.with(pointer, Some(json!(""))).to_string().into_bytes(),
            );
        }
        // a duplicate key, first or last, at the top level and inside maps.
        let (parent, key) = first.rsplit_once('/').unwrap();
        let container = self.template.pointer(parent).unwrap().to_string();
        let doubled = container.replacen('{', &format!("{{\"{key}\":\"HOSTILE-dup\","), 1);
        let body = text.replacen(&container, &doubled, 1);
        assert_ne!(body, text, "duplicate inserted for {first}");
        add(format!("duplicate {first}"), json, body.into_bytes());
        // credentials too long, with control, bidi or zero-width characters.
        for pointer in &self.usernames {
            for bad in [
                "a".repeat(129),
                "ali\u{7}ce".into(),
                "alice\n".into(),
                "ali\u{202e}ce".into(),
                "ali\u{200b}ce".into(),
                "al ice".into(),
            ] {
                add(
                    format!("{pointer} = {bad:?}"),
                    json,
                    self.with(pointer, Some(json!(bad)))
                        .to_string()
                        .into_bytes(),
                );
            }
        }
        for pointer in &self.passwords {
            for bad in [
                format!("Aa1!{}", "x".repeat(253)),
                "x".repeat(15_000),
                "Correct\u{7}Horse-9".into(),
                "Correct-Horse-9\r\n".into(),
            ] {
                add(
                    format!("{pointer} of {} chars or with a control char", bad.len()),
                    json,
                    self.with(pointer, Some(json!(bad)))
                        .to_string()
                        .into_bytes(),
                );
            }
        }
        cases
    }
}

fn replace(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let at = haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    [&haystack[..at], with, &haystack[at + needle.len()..]].concat()
}

async fn every_endpoint_refuses_every_hostile_body_before_any_work(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let tokens = app.sign_in("acme", "alice", PASSWORD).await;
    let access = field(&tokens, "AccessToken");
    let refresh = field(&tokens, "RefreshToken");
    let pool_id = pool.id.to_string();
    let client_id = client.id.to_string();
    let session = "S".repeat(44);

    let endpoints = vec![
        Endpoint::new(
            Via::Login("/Login"),
            json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD}),
        )
        .required(&["/UserName", "/TenantName", "/Password"])
        .usernames(&["/UserName"])
        .passwords(&["/Password"]),
        Endpoint::new(
            Via::Login("/RespondToAuthChallenge"),
            json!({"TenantName": "acme", "UserName": "alice",
                   "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": session,
                   "ChallengeResponses": {"NEW_PASSWORD": "Brand-New-Horse-7"}}),
        )
        .required(&["/TenantName", "/ChallengeName", "/Session"])
        .strings(&["/UserName", "/ChallengeResponses/NEW_PASSWORD"])
        .usernames(&["/UserName"])
        .passwords(&["/ChallengeResponses/NEW_PASSWORD"]),
        Endpoint::new(
            Via::Login("/RefreshToken"),
            json!({"RefreshToken": refresh, "TenantName": "acme"}),
        )
        .required(&["/RefreshToken"])
        .strings(&["/TenantName"]),
        Endpoint::new(Via::Login("/Logout"), json!({"RefreshToken": refresh}))
            .required(&["/RefreshToken"]),
        Endpoint::new(
            Via::Login("/ChangePassword"),
            json!({"PreviousPassword": PASSWORD, "ProposedPassword": "Brand-New-Horse-7"}),
        )
        .bearer(&access)
        .required(&["/PreviousPassword", "/ProposedPassword"])
        .passwords(&["/PreviousPassword", "/ProposedPassword"]),
        Endpoint::new(
            Via::Cognito("InitiateAuth".into()),
            json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                   "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
        )
        .required(&[
            "/AuthFlow",
            "/ClientId",
            "/AuthParameters/USERNAME",
            "/AuthParameters/PASSWORD",
        ])
        .usernames(&["/AuthParameters/USERNAME"])
        .passwords(&["/AuthParameters/PASSWORD"]),
        Endpoint::new(
            Via::Cognito("InitiateAuth".into()),
            json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": client_id,
                   "AuthParameters": {"USERNAME": "alice", "SRP_A": "0a1b2c"}}),
        )
        .required(&[
            "/AuthFlow",
            "/ClientId",
            "/AuthParameters/USERNAME",
            "/AuthParameters/SRP_A",
        ])
        .usernames(&["/AuthParameters/USERNAME"]),
        Endpoint::new(
            Via::Cognito("RespondToAuthChallenge".into()),
            json!({"ClientId": client_id, "ChallengeName": "PASSWORD_VERIFIER",
                   "ChallengeResponses": {"USERNAME": "alice",
                       "PASSWORD_CLAIM_SECRET_BLOCK": "c2VjcmV0IGJsb2Nr",
                       "PASSWORD_CLAIM_SIGNATURE": "c2lnbmF0dXJl",
                       "TIMESTAMP": "Tue Sep 3 08:04:56 UTC 2019"}}),
        )
        .required(&[
            "/ClientId",
            "/ChallengeName",
            "/ChallengeResponses/USERNAME",
            "/ChallengeResponses/PASSWORD_CLAIM_SECRET_BLOCK",
            "/ChallengeResponses/PASSWORD_CLAIM_SIGNATURE",
            "/ChallengeResponses/TIMESTAMP",
        ])
        .usernames(&["/ChallengeResponses/USERNAME"]),
        Endpoint::new(
            Via::Cognito("InitiateAuth".into()),
            json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client_id,
                   "AuthParameters": {"REFRESH_TOKEN": refresh}}),
        )
        .required(&["/AuthFlow", "/ClientId", "/AuthParameters/REFRESH_TOKEN"]),
        Endpoint::new(
            Via::Cognito("RespondToAuthChallenge".into()),
            json!({"ClientId": client_id, "ChallengeName": "NEW_PASSWORD_REQUIRED",
                   "Session": session,
                   "ChallengeResponses": {"USERNAME": "alice", "NEW_PASSWORD": "Brand-New-Horse-7"}}),
        )
        .required(&["/ClientId", "/ChallengeName", "/Session"])
        .strings(&[
            "/ChallengeResponses/USERNAME",
            "/ChallengeResponses/NEW_PASSWORD",
        ])
        .usernames(&["/ChallengeResponses/USERNAME"])
        .passwords(&["/ChallengeResponses/NEW_PASSWORD"]),
        Endpoint::new(
            Via::Cognito("GetTokensFromRefreshToken".into()),
            json!({"RefreshToken": refresh, "ClientId": client_id}),
        )
        .required(&["/RefreshToken", "/ClientId"]),
        Endpoint::new(
            Via::Cognito("RevokeToken".into()),
            json!({"Token": refresh, "ClientId": client_id}),
        )
        .required(&["/Token", "/ClientId"]),
        Endpoint::new(
            Via::Cognito("SignUp".into()),
            json!({"ClientId": client_id, "Username": "newbie", "Password": PASSWORD,
                   "UserAttributes": [{"Name": "email", "Value": "newbie@example.com"}]}),
        )
        .required(&["/ClientId", "/Username", "/Password"])
        .strings(&["/UserAttributes/0/Value"])
        .usernames(&["/Username"])
        .passwords(&["/Password"]),
        Endpoint::new(
            Via::Cognito("ConfirmSignUp".into()),
            json!({"ClientId": client_id, "Username": "alice", "ConfirmationCode": "123456"}),
        )
        .required(&["/ClientId", "/Username", "/ConfirmationCode"])
        .usernames(&["/Username"]),
        Endpoint::new(
            Via::Cognito("GetUser".into()),
            json!({"AccessToken": access}),
        )
        .required(&["/AccessToken"]),
        Endpoint::new(
            Via::Cognito("GlobalSignOut".into()),
            json!({"AccessToken": access}),
        )
        .required(&["/AccessToken"]),
        Endpoint::new(
            Via::Cognito("ChangePassword".into()),
            json!({"AccessToken": access, "PreviousPassword": PASSWORD,
                   "ProposedPassword": "Brand-New-Horse-7"}),
        )
        .required(&["/AccessToken", "/PreviousPassword", "/ProposedPassword"])
        .passwords(&["/PreviousPassword", "/ProposedPassword"]),
        Endpoint::new(
            Via::Admin("AdminInitiateAuth".into()),
            json!({"UserPoolId": pool_id, "ClientId": client_id,
                   "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                   "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
        )
        .required(&[
            "/UserPoolId",
            "/ClientId",
            "/AuthFlow",
            "/AuthParameters/USERNAME",
            "/AuthParameters/PASSWORD",
        ])
        .usernames(&["/AuthParameters/USERNAME"])
        .passwords(&["/AuthParameters/PASSWORD"]),
        Endpoint::new(
            Via::Admin("AdminCreateUser".into()),
            json!({"UserPoolId": pool_id, "Username": "newbie",
                   "TemporaryPassword": "Temporary-Pass-1",
                   "UserAttributes": [{"Name": "email", "Value": "newbie@example.com"}]}),
        )
        .required(&["/UserPoolId", "/Username"])
        .strings(&["/TemporaryPassword", "/UserAttributes/0/Value"])
        .usernames(&["/Username"])
        .passwords(&["/TemporaryPassword"]),
        Endpoint::new(
            Via::Admin("AdminSetUserPassword".into()),
            json!({"UserPoolId": pool_id, "Username": "alice",
                   "Password": "Brand-New-Horse-7", "Permanent": true}),
        )
        .required(&["/UserPoolId", "/Username", "/Password"])
        .usernames(&["/Username"])
        .passwords(&["/Password"]),
        Endpoint::new(
            Via::Admin("AdminGetUser".into()),
            json!({"UserPoolId": pool_id, "Username": "alice"}),
        )
        .required(&["/UserPoolId", "/Username"])
        .usernames(&["/Username"]),
        Endpoint::new(
            Via::Admin("ListUsers".into()),
            json!({"UserPoolId": pool_id, "Filter": "username = \"alice\""}),
        )
        .required(&["/UserPoolId"])
        .strings(&["/Filter"]),
        Endpoint::new(
            Via::Cognito("UpdateUserAttributes".into()),
            json!({"AccessToken": access,
                   "UserAttributes": [{"Name": "given_name", "Value": "Alice"}]}),
        )
        .required(&["/AccessToken"])
        .strings(&["/UserAttributes/0/Name", "/UserAttributes/0/Value"]),
        Endpoint::new(
            Via::Cognito("DeleteUserAttributes".into()),
            json!({"AccessToken": access, "UserAttributeNames": ["given_name"]}),
        )
        .required(&["/AccessToken"])
        .strings(&["/UserAttributeNames/0"]),
        Endpoint::new(
            Via::Admin("AdminUpdateUserAttributes".into()),
            json!({"UserPoolId": pool_id, "Username": "alice",
                   "UserAttributes": [{"Name": "given_name", "Value": "Alice"}]}),
        )
        .required(&["/UserPoolId", "/Username"])
        .strings(&["/UserAttributes/0/Name", "/UserAttributes/0/Value"])
        .usernames(&["/Username"]),
        Endpoint::new(
            Via::Admin("AdminDeleteUserAttributes".into()),
            json!({"UserPoolId": pool_id, "Username": "alice",
                   "UserAttributeNames": ["given_name"]}),
        )
        .required(&["/UserPoolId", "/Username"])
        .strings(&["/UserAttributeNames/0"])
        .usernames(&["/Username"]),
    ];

    let hashed_before = hashing_operations(&app).await;
    let mut failures = Vec::new();
    let mut count = 0;
    for endpoint in &endpoints {
        let streamed = (
            "64 KiB streamed without a length".to_owned(),
            endpoint.content_type().to_owned(),
            endpoint
                .with("/Padding", Some(json!(" ".repeat(64 * 1024))))
                .to_string()
                .into_bytes(),
        );
        for (label, content_type, body) in endpoint.cases().into_iter().chain([streamed]) {
            count += 1;
            let started = Instant::now();
            let response = send(
                &app,
                &endpoint.via,
                &content_type,
                body,
                endpoint.bearer.as_deref(),
                label.contains("streamed"),
            )
            .await;
            let elapsed = started.elapsed();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let text = response.text().await.unwrap();
            let expected_status = match (&endpoint.via, label.starts_with("content type")) {
                (Via::Login(_), true) => 415,
                _ => 400,
            };
            let type_ = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["__type"].as_str().map(str::to_owned));
            let reflected = headers
                .iter()
                .any(|(_, v)| String::from_utf8_lossy(v.as_bytes()).contains("HOSTILE"));
            if status != expected_status
                || type_.as_deref() != Some(INVALID)
                || text.contains(&ECHO_PROBE.to_string())
                || text.contains("HOSTILE")
                || reflected
                || elapsed > BOUND
            {
                failures.push(format!(
                    "{:?} {label}: {status} in {elapsed:?} {text}",
                    endpoint.via
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} hostile requests were not refused cleanly:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count > 500, "the table ran ({count} cases)");
    // None of it reached the hasher, counted a failure, created a user or changed a password.
    assert_eq!(hashing_operations(&app).await, hashed_before);
    let scope = pool.id.to_string();
    for user in ["alice", "newbie", "al ice"] {
        assert!(
            app.services
                .store
                .failures(&scope, &crate::helpers::username_key(user))
                .await
                .unwrap()
                .is_none(),
            "{user}"
        );
    }
    assert!(
        app.services
            .store
            .user_by_key(&pool.id, &crate::helpers::username_key("newbie"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(app.login("acme", "alice", PASSWORD).await.status(), 200);
    app.stop().await;
}

/// Writes raw bytes to the server and reads what comes back until it closes (or `wait`).
fn raw_exchange(app: &TestApp, request: &[u8], wait: Duration) -> (String, Duration) {
    let address = app.address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    let started = Instant::now();
    // The server may answer and close before it has read everything we send.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

async fn oversized_headers_are_431(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let body = json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD});
    let post = |name: &str, value: String| {
        app.client
            .post(format!("{}/Login", app.address))
            .timeout(BOUND)
            .header("Content-Type", "application/json")
            .header(name, value)
            .body(body.to_string())
            .send()
    };
    // Over our 16 KiB limit: refused with the error envelope before any handler runs.
    for (name, size) in [("X-Padding", 17 * 1024), ("Authorization", 64 * 1024)] {
        let response = post(name, "a".repeat(size)).await.unwrap();
        assert_eq!(response.status(), 431, "{name} of {size} bytes");
        assert!(response.headers().contains_key("x-amzn-requestid"));
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["__type"], INVALID);
        assert_eq!(
            error["message"],
            "Request headers must total at most 16384 bytes"
        );
    }
    // Many small headers adding up past the limit.
    let mut request = app
        .client
        .post(format!("{}/Login", app.address))
        .timeout(BOUND)
        .header("Content-Type", "application/json");
    for i in 0..80 {
        request = request.header(format!("X-Filler-{i}"), "f".repeat(250));
    }
    assert_eq!(
        request
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .status(),
        431
    );
    // Too many headers, however small: the same envelope, request id and error type as too many
    // bytes (actix-http's own bare 431 past 96 headers is patched away: vendor/actix-http/PATCH.md).
    for extra in [95, 96, 100, 200, 2_000] {
        let mut request = app
            .client
            .post(format!("{}/Login", app.address))
            .timeout(BOUND)
            .header("Content-Type", "application/json");
        for i in 0..extra {
            request = request.header(format!("X-H{i}"), "v");
        }
        let response = request.body(body.to_string()).send().await.unwrap();
        assert_eq!(response.status(), 431, "{extra} extra headers");
        assert!(response.headers().contains_key("x-amzn-requestid"));
        let error_type = response.headers()["x-amzn-errortype"].to_str().unwrap();
        assert!(error_type.starts_with(INVALID), "{error_type}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["__type"], INVALID);
        assert_eq!(error["message"], "Requests may carry at most 96 headers");
    }
    // The boundary, counted exactly: 96 headers are served, 97 refused in the API's format.
    let login = body.to_string();
    for (headers, status) in [(96, "200"), (97, "431")] {
        // Host, Content-Type, Connection and Content-Length, then fillers up to `headers`.
        let fillers: String = (4..headers).map(|i| format!("X-H{i}: v\r\n")).collect();
        let request = format!(
            "POST /Login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n{fillers}Content-Length: {}\r\n\r\n{login}",
            login.len()
        );
        let (answer, elapsed) = raw_exchange(&app, request.as_bytes(), BOUND);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{headers} headers: {}",
            &answer[..answer.len().min(300)]
        );
        assert!(elapsed < BOUND);
        if status == "431" {
            assert!(answer.to_ascii_lowercase().contains("x-amzn-requestid:"));
            assert!(answer.contains("Requests may carry at most 96 headers"));
        }
    }
    // Past actix's buffer (a 200 KiB head): still 431 from the parser, which closes the
    // connection (docs/security.md, "Hostile input").
    let huge = format!("X-Huge: {}\r\n", "h".repeat(200 * 1024));
    let request = format!(
        "POST /Login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{huge}Content-Length: 2\r\n\r\n{{}}"
    );
    let (answer, elapsed) = raw_exchange(&app, request.as_bytes(), BOUND);
    assert!(
        answer.starts_with("HTTP/1.1 431"),
        "{}",
        &answer[..answer.len().min(200)]
    );
    assert!(elapsed < BOUND);
    // Just under the limit is fine.
    let response = post("X-Padding", "a".repeat(8 * 1024)).await.unwrap();
    assert_eq!(response.status(), 200);
    app.stop().await;
}

async fn injected_and_smuggled_headers_are_refused_and_nothing_is_reflected(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let body = json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD}).to_string();
    // CR, LF or NUL inside a header value, and a request with both Content-Length and
    // Transfer-Encoding (request smuggling): the HTTP parser refuses them with 400.
    for head in [
        "X-Amz-Target: Foo\rInjected: yes\r\n",
        "X-Note: a\0b\r\n",
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        "Content-Length: 5\r\nContent-Length: 6\r\n",
    ] {
        let request = format!(
            "POST /Login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{head}\r\n0\r\n\r\n"
        );
        let (answer, elapsed) = raw_exchange(&app, request.as_bytes(), BOUND);
        assert!(
            answer.starts_with("HTTP/1.1 400"),
            "{head:?}: {}",
            &answer[..answer.len().min(200)]
        );
        assert!(
            !answer.to_ascii_lowercase().contains("injected"),
            "{answer}"
        );
        assert!(elapsed < BOUND);
    }
    // Request values never come back in response headers (CORS's Origin aside, which is
    // echoed only as CORS requires, and which the parser has already checked).
    let marker = "HOSTILE%0d%0aSet-Cookie:%20x=1";
    let probes: Vec<reqwest::RequestBuilder> = vec![
        app.client
            .post(format!("{}/Login?{marker}", app.address))
            .header("Content-Type", "application/json")
            .header("X-Amzn-RequestId", marker)
            .header("X-Request-Id", marker)
            .body(body.clone()),
        app.client
            .post(format!("{}/", app.address))
            .header("Content-Type", "application/x-amz-json-1.1")
            .header(
                "X-Amz-Target",
                format!("AWSCognitoIdentityProviderService.{marker}"),
            )
            .body("{}"),
        app.client
            .get(format!("{}/{marker}/.well-known/jwks.json", app.address)),
        app.client
            .post(format!("{}/Login", app.address))
            .header("Content-Type", "application/json")
            .body(
                json!({"UserName": marker, "TenantName": marker, "Password": marker}).to_string(),
            ),
        app.client
            .get(format!("{}/oauth2/userInfo", app.address))
            .header("Authorization", format!("Bearer {marker}")),
    ];
    for probe in probes {
        let response = probe.timeout(BOUND).send().await.unwrap();
        assert!(
            !response.status().is_server_error(),
            "{}",
            response.status()
        );
        assert!(!response.headers().contains_key("set-cookie"));
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).to_ascii_lowercase();
            assert!(!value.contains("hostile"), "{name}: {value}");
        }
        // A request id is ours, never the client's.
        let id = response.headers()["x-amzn-requestid"].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    }
    app.stop().await;
}

async fn slow_clients_get_408_in_bounded_time(backend: Db) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            request_timeout_seconds: Some(1),
            ..Options::default()
        },
    )
    .await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let hashed_before = hashing_operations(&app).await;
    let wait = Duration::from_secs(6);
    let body = json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD}).to_string();
    let slow_requests = [
        // Headers that never finish (slowloris).
        "POST /Login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".to_owned(),
        // A body shorter than declared, on both APIs.
        format!(
            "POST /Login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
            body.len(),
            &body[..10]
        ),
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth\r\nContent-Length: 500\r\n\r\n{}",
            &body[..10]
        ),
        // A chunked body that never ends.
        "POST /Login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"Use\r\n".to_owned(),
    ];
    let exchanges: Vec<_> = slow_requests
        .into_iter()
        .map(|request| {
            let address = app.address.clone();
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(address.trim_start_matches("http://")).unwrap();
                stream.set_read_timeout(Some(wait)).unwrap();
                let started = Instant::now();
                stream.write_all(request.as_bytes()).unwrap();
                // Time to the response head; the server then lingers a little for the
                // client to close (the 5 s disconnect timeout).
                let mut answer = Vec::new();
                let mut chunk = [0u8; 1024];
                while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => answer.extend_from_slice(&chunk[..n]),
                    }
                }
                (
                    String::from_utf8_lossy(&answer).into_owned(),
                    started.elapsed(),
                )
            })
        })
        .collect();
    for exchange in exchanges {
        let (answer, elapsed) = tokio::task::spawn_blocking(move || exchange.join().unwrap())
            .await
            .unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "{}",
            &answer[..answer.len().min(300)]
        );
        // About one second of allowance (actix's timers tick coarsely), answered well
        // before our own read timeout.
        assert!(
            elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(5),
            "{elapsed:?}"
        );
    }
    // Nothing was hashed for requests that never completed, and the server still serves.
    assert_eq!(hashing_operations(&app).await, hashed_before);
    assert_eq!(app.login("acme", "alice", PASSWORD).await.status(), 200);
    app.stop().await;
}

async fn usernames_are_normalised_and_passwords_are_not(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (acme, client) = app.create_pool("acme").await;
    let acme = app.allow_self_sign_up(&acme).await;
    let (globex, _) = app.create_pool("globex").await;
    // Created in one spelling; found in any case, width or composition.
    let password = "P\u{e4}ssword-Horse-9";
    app.create_user_with(&acme, "Jos\u{e9}", password, false, &[])
        .await;
    app.create_user(&globex, "jose\u{301}", false).await;
    let initiate = |username: &str, password: &str| {
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
               "AuthParameters": {"USERNAME": username, "PASSWORD": password}})
    };
    for spelling in [
        "Jos\u{e9}",
        "jos\u{e9}",
        "JOS\u{c9}",
        "jose\u{301}",
        "\u{ff2a}\u{ff2f}\u{ff33}\u{c9}",
    ] {
        let result = app.sign_in("acme", spelling, password).await;
        let claims = crate::helpers::jwt_part(&field(&result, "IdToken"), 1);
        assert_eq!(claims["cognito:username"], "Jos\u{e9}", "{spelling}");
        let response = cognito(&app, "InitiateAuth", &initiate(spelling, password)).await;
        assert_eq!(response.status(), 200, "{spelling}");
    }
    // The password is compared exactly as received: no case folding, width mapping or
    // normalisation.
    for wrong in [
        "Pa\u{308}ssword-Horse-9",
        "p\u{e4}ssword-horse-9",
        "P\u{e4}SSWORD-HORSE-9",
        "\u{ff30}\u{e4}ssword-Horse-9",
    ] {
        assert_eq!(
            app.login("acme", "Jos\u{e9}", wrong).await.status(),
            401,
            "{wrong}"
        );
        let response = cognito(&app, "InitiateAuth", &initiate("jos\u{e9}", wrong)).await;
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["__type"], "NotAuthorizedException", "{wrong}");
    }
    // Two users can never differ only by normalisation, within a pool; pools are apart.
    let response = cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client.id.to_string(), "Username": "JOSE\u{301}", "Password": PASSWORD}),
    )
    .await;
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["__type"], "UsernameExistsException");
    assert_eq!(
        app.login("globex", "JOS\u{c9}", PASSWORD).await.status(),
        200
    );
    assert_eq!(app.login("acme", "JOS\u{c9}", PASSWORD).await.status(), 401);
    app.stop().await;
}

async fn sql_metacharacters_are_data_on_the_cognito_api(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let odd = "o'brien;--%_\\\"x";
    app.create_user(&pool, odd, false).await;
    for (username, password) in [
        ("'OR'1'='1", "' OR '1'='1"),
        ("alice'--", PASSWORD),
        ("%", PASSWORD),
        ("_", PASSWORD),
        ("alice\";DROP", "x' OR 1=1 --"),
    ] {
        let response = cognito(
            &app,
            "InitiateAuth",
            &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                    "AuthParameters": {"USERNAME": username, "PASSWORD": password}}),
        )
        .await;
        assert_eq!(response.status(), 400);
        let error: Value = response.json().await.unwrap();
        assert_eq!(
            error,
            json!({"__type": "NotAuthorizedException", "message": "Incorrect username or password."}),
            "{username}"
        );
    }
    // Stored and found literally: the odd name signs in, and `%`/`_` match nothing else.
    let result = app.sign_in("acme", odd, PASSWORD).await;
    let claims = crate::helpers::jwt_part(&field(&result, "IdToken"), 1);
    assert_eq!(claims["cognito:username"], odd);
    for (filter, expected) in [
        ("username ^= \"o'brien;--%_\"".to_owned(), 1),
        ("username ^= \"%\"".to_owned(), 0),
        ("username ^= \"_\"".to_owned(), 0),
        ("username = \"' OR '1'='1\"".to_owned(), 0),
    ] {
        let body = json!({"UserPoolId": pool.id.to_string(), "Filter": filter}).to_string();
        let response = send(
            &app,
            &Via::Admin("ListUsers".into()),
            "application/x-amz-json-1.1",
            body.into_bytes(),
            None,
            false,
        )
        .await;
        assert_eq!(response.status(), 200, "{filter}");
        let listed: Value = response.json().await.unwrap();
        assert_eq!(
            listed["Users"].as_array().unwrap().len(),
            expected,
            "{filter}"
        );
    }
    assert_eq!(app.login("acme", "alice", PASSWORD).await.status(), 200);
    app.stop().await;
}

/// serde maps a JSON array onto a struct field by field, so `["alice","acme","<password>"]`
/// used to sign alice in. Every endpoint refuses a body that is not an object, before work.
async fn a_json_array_is_not_a_request_even_in_field_order(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let tokens = app.sign_in("acme", "alice", PASSWORD).await;
    let refresh = field(&tokens, "RefreshToken");
    let hashed_before = hashing_operations(&app).await;
    let cases: Vec<(Via, Value)> = vec![
        (Via::Login("/Login"), json!(["alice", "acme", PASSWORD])),
        (Via::Login("/RefreshToken"), json!([refresh])),
        (Via::Login("/Logout"), json!([refresh])),
        (
            Via::Cognito("InitiateAuth".into()),
            json!(["USER_PASSWORD_AUTH", client.id.to_string(),
                   {"USERNAME": "alice", "PASSWORD": PASSWORD}]),
        ),
        (
            Via::Cognito("GetTokensFromRefreshToken".into()),
            json!([refresh, client.id.to_string()]),
        ),
        (
            Via::Admin("AdminGetUser".into()),
            json!([pool.id.to_string(), "alice"]),
        ),
        (Via::Admin("ListUserPools".into()), json!([60])),
    ];
    // A burst of each, in parallel, all refused.
    for (via, body) in &cases {
        let content_type = match via {
            Via::Login(_) => "application/json",
            _ => "application/x-amz-json-1.1",
        };
        let burst = (0..50).map(|_| {
            send(
                &app,
                via,
                content_type,
                body.to_string().into_bytes(),
                None,
                false,
            )
        });
        for response in futures_util::future::join_all(burst).await {
            let status = response.status().as_u16();
            let error: Value = response.json().await.unwrap();
            assert_eq!(
                (status, &error),
                (
                    400,
                    &json!({"__type": INVALID, "message": "Request body must be a JSON object"})
                ),
                "{via:?}"
            );
        }
    }
    // Nothing was hashed, the refresh token was neither rotated nor revoked.
    assert_eq!(hashing_operations(&app).await, hashed_before);
    assert_eq!(app.refresh(&refresh).await.status(), 200);
    app.stop().await;
}
