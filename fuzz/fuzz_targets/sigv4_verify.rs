//! The SigV4 verifier of the admin API (`http/sigv4.rs`: `AdminAuth::verify_parts`): the
//! `Authorization` parsing, the SignedHeaders checks, the date and skew checks, and the
//! request reconstruction handed to `aws-sigv4`, which panics on some inputs (a SignedHeaders
//! without `host`, a request target without a path): no input may reach such a panic.
//!
//! Input: the first byte picks a mode, the rest is a request as text: a first line
//! `METHOD PATH?QUERY`, header lines `name: value`, an empty line, then the body.
//! - 0: verified as given (the fuzzer writes its own `Authorization`);
//! - 1: the request is first signed with the configured key, as an SDK would, over the
//!   headers it carries (names made lower-case tokens, values printable), then verified.
//!
//! Invariants: never a panic; in mode 0 nothing verifies (the fuzzer does not know the
//! secret); in mode 1 a request verifies only if its signature covers `host`, `x-amz-date`
//! and `x-amz-target`, each sent once, and one changed character in any covered header
//! value or in the body makes it fail.

#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use gatehouse::http::sigv4::{AdminAuth, SignedRequest};
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;

const KEY_ID: &str = "AKIDFUZZ";
const SECRET: &str = "fuzz/secret/key";
/// The server's clock: 2026-11-30T12:00:00Z.
const NOW: i64 = 1_796_040_000;
const REQUIRED: [&str; 3] = ["host", "x-amz-date", "x-amz-target"];

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

fn parse(data: &[u8]) -> Request {
    let mut lines = data.split(|&b| b == b'\n');
    let first = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let (method, path) = first.split_once(' ').unwrap_or((first.as_str(), "/"));
    let mut headers = Vec::new();
    let mut consumed = first.len() + 1;
    for line in lines.by_ref() {
        consumed += line.len() + 1;
        if line.is_empty() {
            break;
        }
        let at = line.iter().position(|&b| b == b':').unwrap_or(line.len());
        let name = String::from_utf8_lossy(&line[..at]).to_ascii_lowercase();
        let value = line.get(at + 1..).unwrap_or_default().trim_ascii().to_vec();
        headers.push((name, value));
    }
    Request {
        method: method.to_owned(),
        path: path.to_owned(),
        headers,
        body: data.get(consumed..).unwrap_or_default().to_vec(),
    }
}

fn auth() -> AdminAuth {
    AdminAuth::from_settings(Some(KEY_ID), Some(&SecretString::from(SECRET.to_owned())))
        .expect("a one-key table")
}

fn verifies(request: &Request) -> bool {
    let headers: Vec<(&str, &[u8])> = request
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    auth()
        .verify_parts(
            &SignedRequest {
                method: &request.method,
                path_and_query: &request.path,
                headers: &headers,
            },
            &request.body,
            NOW,
        )
        .is_ok()
}

/// Makes the request signable the way an SDK builds one: a plain method and path, token
/// header names, printable values, and a host (SDKs always have one).
fn tidy(request: &mut Request) {
    request.method =
        if request.method.is_empty() || !request.method.bytes().all(|b| b.is_ascii_uppercase()) {
            "POST".into()
        } else {
            request.method.clone()
        };
    if !request.path.starts_with('/')
        || !request
            .path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~?=&".contains(&b))
    {
        request.path = "/".into();
    }
    request.headers.retain(|(name, value)| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && ![
                "authorization",
                "x-amz-date",
                "x-amz-content-sha256",
                "x-amz-security-token",
            ]
            .contains(&name.as_str())
            && value.iter().all(|&b| (0x21..0x7f).contains(&b))
    });
}

/// Signs over every header the request carries (minus those named in `x-fuzz-unsigned`, to
/// leave some out the way a careless client would), then adds what the signer produced.
fn sign_request(request: &mut Request, unsigned: &[String]) {
    let identity: Identity = Credentials::new(KEY_ID, SECRET, None, None, "fuzz").into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = Some(unsigned.iter().map(|h| h.clone().into()).collect());
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("cognito-idp")
        .time(UNIX_EPOCH + Duration::from_secs(NOW as u64))
        .settings(settings)
        .build()
        .expect("signing parameters")
        .into();
    let values: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    let url = format!("https://gatehouse.fuzz{}", request.path);
    let Ok(signable) = SignableRequest::new(
        &request.method,
        url,
        values.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(&request.body),
    ) else {
        return;
    };
    let Ok(signed) = sign(signable, &params) else {
        return;
    };
    let (instructions, _) = signed.into_parts();
    for (name, value) in instructions.headers() {
        request
            .headers
            .push((name.to_ascii_lowercase(), value.as_bytes().to_vec()));
    }
}

fn signed_header_names(request: &Request) -> Vec<String> {
    request
        .headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
        .and_then(|v| v.split("SignedHeaders=").nth(1))
        .map(|rest| rest.split(',').next().unwrap_or_default())
        .map(|list| list.split(';').map(str::to_owned).collect())
        .unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut request = parse(rest);
    match mode % 2 {
        0 => assert!(!verifies(&request), "verified without the secret"),
        _ => {
            tidy(&mut request);
            if !request.headers.iter().any(|(n, _)| n == "host") {
                request
                    .headers
                    .insert(0, ("host".into(), b"gatehouse.fuzz".to_vec()));
            }
            let unsigned: Vec<String> = request
                .headers
                .iter()
                .filter(|(n, _)| n == "x-fuzz-unsigned")
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                .collect();
            sign_request(&mut request, &unsigned);
            if !verifies(&request) {
                return;
            }
            let covered = signed_header_names(&request);
            for required in REQUIRED {
                assert!(
                    covered.iter().any(|c| c == required),
                    "{required} not covered"
                );
                let sent = request
                    .headers
                    .iter()
                    .filter(|(n, _)| n == required)
                    .count();
                assert_eq!(sent, 1, "{required} sent {sent} times");
            }
            for name in &covered {
                let mut tampered = Request {
                    method: request.method.clone(),
                    path: request.path.clone(),
                    headers: request.headers.clone(),
                    body: request.body.clone(),
                };
                if let Some((_, value)) = tampered.headers.iter_mut().find(|(n, _)| n == name) {
                    value.push(b'x');
                }
                assert!(!verifies(&tampered), "{name} changed and still verified");
            }
            let mut tampered_body = Request {
                method: request.method.clone(),
                path: request.path.clone(),
                headers: request.headers.clone(),
                body: request.body.clone(),
            };
            tampered_body.body.push(b'x');
            assert!(
                !verifies(&tampered_body),
                "the body changed and still verified"
            );
        }
    }
});
