//! What a SigV4 signature must cover before an admin request is believed: the host, the date
//! and the operation (`X-Amz-Target`). A signature over less could be replayed with the rest
//! changed (a captured AdminGetUser sent again as AdminDisableUser), and a request without
//! a signed host used to reach a panic in the signing library.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_KEY_ID, ADMIN_SECRET, PASSWORD, TestApp};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    a_signature_must_cover_the_operation_it_authorises,
    a_signature_without_host_is_refused_and_the_server_lives,
);

const PREFIX: &str = "AWSCognitoIdentityProviderService.";

/// How the test signs a request.
struct Signing {
    /// Sign the `X-Amz-Target` header (SDKs always do).
    target: bool,
    /// Headers the signer must leave out of SignedHeaders (e.g. `host`).
    excluded: &'static [&'static str],
}

const LIKE_AN_SDK: Signing = Signing {
    target: true,
    excluded: &[],
};

/// The headers of an admin request for `operation`, signed as `signing` says. The target
/// header is always sent; whether it is covered by the signature is what varies.
fn signed_headers(
    app: &TestApp,
    operation: &str,
    body: &[u8],
    signing: &Signing,
) -> Vec<(String, String)> {
    let url = format!("{}/", app.address);
    let host = app.address.trim_start_matches("http://").to_owned();
    let target = format!("{PREFIX}{operation}");
    let identity: Identity =
        Credentials::new(ADMIN_KEY_ID, ADMIN_SECRET, None, None, "sigv4-test").into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = Some(signing.excluded.iter().map(|h| (*h).into()).collect());
    let time = UNIX_EPOCH + Duration::from_secs(u64::try_from(app.clock_now()).unwrap());
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("cognito-idp")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let mut covered = vec![
        ("host", host.as_str()),
        ("content-type", "application/x-amz-json-1.1"),
    ];
    if signing.target {
        covered.push(("x-amz-target", target.as_str()));
    }
    let signable = SignableRequest::new(
        "POST",
        url.as_str(),
        covered.into_iter(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut headers: Vec<(String, String)> = instructions
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    headers.push(("x-amz-target".into(), target));
    headers
}

async fn send(app: &TestApp, headers: &[(String, String)], body: &[u8]) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/", app.address))
        .header("Content-Type", "application/x-amz-json-1.1");
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    request.body(body.to_vec()).send().await.unwrap()
}

/// Swaps the operation a set of signed headers names, keeping the signature.
fn retargeted(headers: &[(String, String)], operation: &str) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            if name.eq_ignore_ascii_case("x-amz-target") {
                (name.clone(), format!("{PREFIX}{operation}"))
            } else {
                (name.clone(), value.clone())
            }
        })
        .collect()
}

async fn assert_refused(response: reqwest::Response, type_: &str) {
    assert_eq!(response.status(), 403);
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], type_, "{body}");
    assert!(body["message"].is_string(), "{body}");
}

async fn a_signature_must_cover_the_operation_it_authorises(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let body = json!({"UserPoolId": pool.id.to_string(), "Username": "alice"})
        .to_string()
        .into_bytes();

    // A request signed the way SDKs sign it works, and cannot be retargeted.
    let captured = signed_headers(&app, "AdminGetUser", &body, &LIKE_AN_SDK);
    assert_eq!(send(&app, &captured, &body).await.status(), 200);
    let replayed = retargeted(&captured, "AdminDisableUser");
    assert_refused(
        send(&app, &replayed, &body).await,
        "InvalidSignatureException",
    )
    .await;

    // A signature that leaves the target out is refused whatever the target says, even
    // when it is the right one: AdminGetUser and AdminDisableUser take the same body.
    let uncovered = signed_headers(
        &app,
        "AdminGetUser",
        &body,
        &Signing {
            target: false,
            excluded: &[],
        },
    );
    assert_refused(
        send(&app, &uncovered, &body).await,
        "InvalidSignatureException",
    )
    .await;
    // A burst of the replay, all at once: none gets through.
    let burst = (0..50).map(|_| {
        let headers = retargeted(&uncovered, "AdminDisableUser");
        let (app, body) = (&app, &body);
        async move { send(app, &headers, body).await.status().as_u16() }
    });
    let statuses = futures_util::future::join_all(burst).await;
    assert!(statuses.iter().all(|s| *s == 403), "{statuses:?}");

    // Alice was never disabled.
    let info = send(&app, &captured, &body).await;
    assert_eq!(info.status(), 200);
    let user: Value = info.json().await.unwrap();
    assert_eq!(user["Enabled"], true, "{user}");
    app.sign_in("acme", "alice", PASSWORD).await;
    app.stop().await;
}

async fn a_signature_without_host_is_refused_and_the_server_lives(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let body = json!({"UserPoolId": pool.id.to_string(), "Username": "alice"})
        .to_string()
        .into_bytes();
    for excluded in [&["host"][..], &["x-amz-date"][..]] {
        let headers = signed_headers(
            &app,
            "AdminGetUser",
            &body,
            &Signing {
                target: true,
                excluded,
            },
        );
        // Many at once: each used to panic a worker and drop its connection.
        let burst = (0..50).map(|_| {
            let (app, headers, body) = (&app, &headers, &body);
            async move { send(app, headers, body).await }
        });
        for response in futures_util::future::join_all(burst).await {
            assert_refused(response, "InvalidSignatureException").await;
        }
    }
    // Still serving, and a properly signed request still works.
    let headers = signed_headers(&app, "AdminGetUser", &body, &LIKE_AN_SDK);
    assert_eq!(send(&app, &headers, &body).await.status(), 200);
    app.stop().await;
}
