pub mod domain;
pub mod store;
pub mod crypto;
pub mod auth;
pub mod manage;
pub mod config;
pub mod app;
pub mod http;
