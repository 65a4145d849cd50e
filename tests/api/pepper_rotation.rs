//! Rotating the pepper: a new pepper with the old one retired keeps every password working,
//! and each sign-in moves that user's hash to the new pepper.

use gatehouse::domain::secret::secret;

use crate::helpers::{PASSWORD, TestApp, test_settings};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(a_retired_pepper_verifies_until_the_next_sign_in_rehashes);

/// Starts a server over `url` with the given pepper settings and returns its address.
async fn start(
    url: &str,
    pepper_id: &str,
    pepper: &str,
    retired: Option<&str>,
) -> (String, actix_web::dev::ServerHandle) {
    let mut settings = test_settings(url);
    settings.crypto.pepper_id = pepper_id.into();
    settings.crypto.pepper = Some(secret(pepper));
    settings.crypto.retired_peppers = retired.map(secret);
    let app = gatehouse::app::App::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_handle_stops());
    (address, handle)
}

async fn login(address: &str) -> u16 {
    crate::helpers::http_client()
        .post(format!("{address}/Login"))
        .json(&serde_json::json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn a_retired_pepper_verifies_until_the_next_sign_in_rehashes(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let url = app.database_url();
    let original = crate::helpers::TEST_PEPPER;
    let pepper_of = |app: &TestApp| {
        let services = app.services.clone();
        let pool = pool.id.clone();
        async move {
            services
                .store
                .user_by_key(&pool, &crate::helpers::username_key("alice"))
                .await
                .unwrap()
                .unwrap()
                .password
                .unwrap()
                .pepper_id
        }
    };
    assert_eq!(pepper_of(&app).await.as_deref(), Some("1"));

    // New pepper "2" without the old one: the stored hash cannot be checked.
    let (address, handle) = start(&url, "2", "a-brand-new-pepper", None).await;
    assert_eq!(login(&address).await, 500);
    handle.stop(true).await;

    // With the old pepper retired, sign-in works and moves the hash to pepper "2".
    let retired = format!("1:{original}");
    let (address, handle) = start(&url, "2", "a-brand-new-pepper", Some(&retired)).await;
    assert_eq!(login(&address).await, 200);
    assert_eq!(pepper_of(&app).await.as_deref(), Some("2"));
    handle.stop(true).await;

    // Now the old pepper can go.
    let (address, handle) = start(&url, "2", "a-brand-new-pepper", None).await;
    assert_eq!(login(&address).await, 200);
    handle.stop(true).await;

    // Malformed retired-pepper lists are refused at start-up.
    for bad in ["no-colon", "2:same-id-as-current", ":empty-id", "1:"] {
        let mut settings = test_settings(&url);
        settings.crypto.pepper_id = "2".into();
        settings.crypto.pepper = Some(secret("a-brand-new-pepper"));
        settings.crypto.retired_peppers = Some(secret(bad));
        assert!(gatehouse::app::App::build(settings).await.is_err(), "{bad}");
    }
    app.stop().await;
}
