//! Administration use cases: tenants, users, groups and declarative seed files. The CLI
//! calls these; the Cognito admin operations will too.

pub mod clients;
pub mod groups;
pub mod health;
pub mod pools;
pub mod seed;
pub mod tenants;
pub mod users;
