//! Pure types and rules: no HTTP, no SQL, no I/O beyond drawing random ids.
//!
//! Everything here is parsed once at the edge ("parse, don't validate") so the layers above
//! can trust what they hold.

pub mod app_client;
pub mod attribute_access;
pub mod attributes;
pub mod authorization_request;
pub mod claims;
pub mod client_declaration;
pub mod client_oauth;
pub mod clock;
pub mod contact_verification;
pub mod error_chain;
pub mod group;
pub mod ids;
pub mod lockout;
pub mod message;
pub mod message_template;
pub mod password_policy;
pub mod pool;
pub mod pool_config;
pub mod pool_declaration;
pub mod pool_domain;
pub mod resource_server;
pub mod schema;
pub mod secret;
pub mod sign_in_names;
pub mod telemetry;
pub mod totp_uri;
pub mod ui_customization;
pub mod user;
pub mod user_filter;
pub mod username;
