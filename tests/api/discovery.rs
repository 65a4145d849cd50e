//! JWKS, OpenID discovery and health endpoints.

use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, assert_error, jwt_part};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    jwks_publishes_one_key_per_purpose_and_is_cacheable,
    jwks_served_from_memory_follows_rotation_and_retirement,
    openid_configuration_matches_the_tokens,
    unknown_pools_are_404,
    health_endpoints_report_live_and_ready,
    metrics_count_requests_and_sign_ins_by_fixed_labels,
);

/// The rendered JWKS is reused for at most a second, but a rotation in this process shows at
/// once and a retired key leaves when its publication ends by the clock.
async fn jwks_served_from_memory_follows_rotation_and_retirement(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let kids = async || -> Vec<String> {
        let response = app.client.get(app.jwks_url(&pool)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let jwks: Value = response.json().await.unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = kids().await;
    assert_eq!(before.len(), 2);
    assert_eq!(kids().await, before, "served again unchanged");

    let pending = app.services.keys.rotate(&pool.id).await.unwrap();
    let during = kids().await;
    assert_eq!(during.len(), 4, "the new keys are published at once");
    for key in &pending {
        assert!(during.contains(&key.kid));
    }

    // Past the activation delay the new keys sign (the old ones retire); past the
    // publication window of a retired key it leaves the JWKS.
    app.clock.advance(601);
    app.sign_in("acme", "alice", PASSWORD).await;
    assert_eq!(
        kids().await.len(),
        4,
        "retired keys stay published for a day"
    );
    app.clock.advance(86_400 + 31);
    let after = kids().await;
    assert_eq!(after.len(), 2);
    for kid in &before {
        assert!(
            !after.contains(kid),
            "the retired key {kid} is no longer published"
        );
    }
}

async fn jwks_publishes_one_key_per_purpose_and_is_cacheable(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let response = app
        .get(&format!("/{}/.well-known/jwks.json", pool.id))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let jwks: Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    for key in keys {
        let mut members: Vec<&str> = key
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        members.sort_unstable();
        assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"]);
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["use"], "sig");
    }
    // Tokens name keys that are published.
    let result = app.sign_in("acme", "alice", PASSWORD).await;
    let kids: Vec<&Value> = keys.iter().map(|k| &k["kid"]).collect();
    for token in ["IdToken", "AccessToken"] {
        let header = jwt_part(result[token].as_str().unwrap(), 0);
        assert!(kids.contains(&&header["kid"]), "{token} kid is in the JWKS");
    }
    // Conditional requests.
    let response = app
        .client
        .get(app.jwks_url(&pool))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
    // The private halves are in the database only as ciphertext.
    for record in app.services.store.signing_keys(&pool.id).await.unwrap() {
        assert!(record.private_key_encrypted.starts_with("v2."));
        assert!(!record.private_key_encrypted.contains("PRIVATE"));
    }
    app.stop().await;
}

async fn openid_configuration_matches_the_tokens(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let discovery: Value = app
        .get(&format!("/{}/.well-known/openid-configuration", pool.id))
        .await
        .json()
        .await
        .unwrap();
    let result = app.sign_in("acme", "alice", PASSWORD).await;
    let claims = jwt_part(result["IdToken"].as_str().unwrap(), 1);
    assert_eq!(discovery["issuer"], claims["iss"]);
    assert_eq!(discovery["jwks_uri"], app.jwks_url(&pool));
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"][0],
        "RS256"
    );
    // The JWKS is where discovery says.
    let jwks = app
        .client
        .get(discovery["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);
    app.stop().await;
}

async fn unknown_pools_are_404(backend: Db) {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/us-east-1_NoSuchPol/.well-known/jwks.json",
        "/not-a-pool-id/.well-known/jwks.json",
        "/us-east-1_NoSuchPol/.well-known/openid-configuration",
        "/..%2F..%2Fetc%2Fpasswd/.well-known/jwks.json",
    ] {
        assert_error(app.get(path).await, 404, "ResourceNotFoundException", "").await;
    }
    app.stop().await;
}

async fn health_endpoints_report_live_and_ready(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let live = app.get("/health/live").await;
    assert_eq!(live.status(), 200);
    assert!(live.headers().contains_key("x-amzn-requestid"));
    assert_eq!(live.headers()["x-content-type-options"], "nosniff");
    let ready: Value = app.get("/health/ready").await.json().await.unwrap();
    assert_eq!(ready["status"], "ok");
    // The newest migration's version (versions are claimed, not contiguous).
    let newest = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            name[1..name.find("__").unwrap()].parse::<i64>().unwrap()
        })
        .max()
        .unwrap();
    assert_eq!(ready["schema_version"], newest);
    app.stop().await;
}

async fn metrics_count_requests_and_sign_ins_by_fixed_labels(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    app.sign_in("acme", "alice", PASSWORD).await;
    assert_eq!(
        app.login("acme", "alice", "Wrong-Horse-9").await.status(),
        401
    );
    assert_eq!(
        app.get(&format!("/{}/.well-known/jwks.json", pool.id))
            .await
            .status(),
        200
    );
    assert_eq!(app.get("/some/junk/path").await.status(), 404);

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for expected in [
        r#"gatehouse_sign_ins_total{outcome="signed_in"} 1"#,
        r#"gatehouse_sign_ins_total{outcome="incorrect_credentials"} 1"#,
        r#"gatehouse_http_requests_total{method="POST",route="/Login",operation="none",status="200"} 1"#,
        r#"gatehouse_http_requests_total{method="POST",route="/Login",operation="none",status="401"} 1"#,
        r#"route="/{pool_id}/.well-known/jwks.json",operation="none",status="200"} 1"#,
        r#"route="unmatched",operation="none",status="404"} 1"#,
        "gatehouse_password_hashing_capacity",
        "gatehouse_http_request_duration_seconds_bucket",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
    assert!(!text.contains(pool.id.as_str()), "pool ids are not labels");
    assert!(!text.contains("junk"), "paths are not labels");
    app.stop().await;
}
