//! API tests: each starts the real server on port 0 over a fresh database, on SQLite and on
//! Postgres, and talks to it over HTTP.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

#[path = "../support/mod.rs"]
mod support;

mod helpers;

mod access_tokens;
mod account_recovery;
mod aliases;
mod amplify;
mod attribute_update_settings;
mod attributes;
mod audit;
mod challenge;
mod cli;
mod client_binding;
mod code_attempts;
mod code_requests;
mod cognito_api;
mod custom_auth;
mod db_outage;
mod delete_user;
mod deployment_safety;
mod discovery;
mod error_fidelity;
mod groups;
mod hashing;
mod hosted_branding;
mod hosted_signup;
mod hostile_input;
mod invitations;
mod key_rotation;
mod lockout;
mod login;
mod login_errors;
mod logs;
mod message_templates;
mod metrics;
mod mfa;
mod mfa_email;
mod mfa_operator;
mod oauth2_code;
mod oauth2_token;
mod outbox;
mod pepper_rotation;
mod pool_config;
mod pool_names;
mod progress;
mod rate_limit;
mod refresh;
mod replicas;
mod schema;
mod seed;
mod self_registration;
mod server_process;
mod shutdown;
mod sign_out;
mod sigv4;
mod srp;
mod tls;
mod tokens;
mod triggers;
mod user_fields;
mod verify_attribute;
