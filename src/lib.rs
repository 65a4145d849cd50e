pub mod app;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod domain;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod mail;
pub mod manage;
pub mod memory_release;
pub mod store;
pub mod triggers;
