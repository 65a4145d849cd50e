//! Amplify JS v6 (`aws-amplify`, pinned in tests/clients/js/package.json), configured with
//! `userPoolEndpoint` aimed at Gatehouse, runs its auth flows unchanged under Node:
//! sign-up confirmed with the code from the dev outbox, SRP sign-in, attributes, sign-out, a
//! password reset and an e-mail change verified with the mailed code
//! (tests/clients/js/amplify_flows.mjs).

use serde_json::json;

use crate::helpers::{Options, TestApp};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(amplify_js_v6_signs_up_signs_in_and_resets_a_password);

const NEW_PASSWORD: &str = "Brand-New-Horse-7";

async fn amplify_js_v6_signs_up_signs_in_and_resets_a_password(backend: Db) {
    let Some(dir) = crate::cognito_api::js_clients() else {
        return;
    };
    let app = TestApp::spawn_with(
        backend,
        Options {
            dev_outbox: true,
            ..Options::default()
        },
    )
    .await;
    // The pool's default client, as an app's Amplify configuration names it: SRP allowed.
    let (pool, client) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    let args = [
        app.address.clone(),
        pool.id.to_string(),
        client.id.to_string(),
    ];
    let mut node = std::process::Command::new("node");
    node.arg("amplify_flows.mjs").args(args).current_dir(dir);
    crate::helpers::run_client(node, "amplify: all checks passed").await;

    // What Amplify did is what the server holds: carol is confirmed, her attributes are the
    // ones Amplify wrote, and the password it reset is the one that signs in.
    let signed_in = cognito(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                "AuthParameters": {"USERNAME": "carol", "PASSWORD": NEW_PASSWORD}}),
    )
    .await;
    assert_eq!(signed_in.status(), 200);
    let user = admin(
        &app,
        "AdminGetUser",
        &json!({"UserPoolId": pool.id.to_string(), "Username": "carol"}),
    )
    .await;
    let user: serde_json::Value = user.json().await.unwrap();
    assert_eq!(user["UserStatus"], "CONFIRMED", "{user}");
    let attributes: std::collections::HashMap<String, String> = user["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["Name"].as_str().unwrap().to_owned(),
                a["Value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // The address Amplify changed and verified with the mailed code.
    assert_eq!(attributes["email"], "carol.danvers@example.com");
    assert_eq!(attributes["email_verified"], "true");
    assert_eq!(attributes["name"], "Carol Danvers");
    assert_eq!(attributes["locale"], "en-GB");
    app.stop().await;
}
