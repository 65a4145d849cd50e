//! Administration use cases, one file per concern: pools, clients, users, groups,
//! declarative seed files and database health. The CLI and the Cognito admin operations call
//! these; neither names the store (tests/architecture.rs).

pub mod branding;
pub mod clients;
pub mod domains;
pub mod groups;
pub mod health;
pub mod invitations;
pub mod mfa_config;
pub mod paging;
pub mod pools;
pub mod resource_servers;
pub mod seed;
pub mod user_search;
pub mod users;
