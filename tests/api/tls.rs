//! HTTPS: `GATEHOUSE_TLS_CERT` / `GATEHOUSE_TLS_KEY` with a certificate made in the test.

use serde_json::json;

use crate::helpers::{PASSWORD, test_settings};
use crate::on_both_backends;
use crate::support::{Db, TestDatabase};

on_both_backends!(the_server_speaks_https_with_hsts);

async fn the_server_speaks_https_with_hsts(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();

    let mut settings = test_settings(&database.url);
    settings.server.tls_cert = Some(cert);
    settings.server.tls_key = Some(key);
    settings.server.public_url = Some("https://localhost".into());
    let app = gatehouse::app::App::build(settings).await.unwrap();
    let port = app.port();
    let services = app.services().clone();
    let handle = app.handle();
    tokio::spawn(app.run_until_handle_stops());

    let (pool, _) = services
        .create_pool(
            &gatehouse::domain::pool::PoolName::parse("acme").unwrap(),
            Default::default(),
            Default::default(),
        )
        .await
        .unwrap();
    let root = reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(root)
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let live = client
        .get(format!("https://localhost:{port}/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(
        live.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    assert_eq!(live.headers()["x-content-type-options"], "nosniff");

    let refused = client
        .post(format!("https://localhost:{port}/Login"))
        .json(&json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["cache-control"], "no-store");
    // Over TLS too, too many headers get the API's error format, not the parser's bare 431
    // (vendor/actix-http/PATCH.md).
    let mut crowded = client
        .post(format!("https://localhost:{port}/Login"))
        .json(&json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD}));
    for i in 0..100 {
        crowded = crowded.header(format!("X-H{i}"), "v");
    }
    let crowded = crowded.send().await.unwrap();
    assert_eq!(crowded.status(), 431);
    assert!(crowded.headers().contains_key("x-amzn-requestid"));
    let error: serde_json::Value = crowded.json().await.unwrap();
    assert_eq!(error["__type"], "InvalidParameterException");
    assert_eq!(error["message"], "Requests may carry at most 96 headers");
    let jwks = client
        .get(format!(
            "https://localhost:{port}/{}/.well-known/openid-configuration",
            pool.id
        ))
        .send()
        .await
        .unwrap();
    let discovery: serde_json::Value = jwks.json().await.unwrap();
    assert_eq!(
        discovery["issuer"],
        format!("https://localhost/{}", pool.id)
    );

    // Plain HTTP to the TLS port gets no answer, and an untrusting client refuses the certificate.
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/health/live")).await;
    assert!(
        !plain.is_ok_and(|r| r.status().is_success()),
        "plain HTTP is not served"
    );
    let untrusting = reqwest::Client::builder()
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("https://localhost:{port}/health/live"))
            .send()
            .await
            .is_err()
    );
    handle.stop(true).await;
}
