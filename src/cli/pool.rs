//! `gatehouse pool` (alias `tenant`): create, update, list and show user pools. A pool made
//! here has its name as its login name, the `TenantName` of the login API (the JSON output
//! keeps that key), and a default client. Commands that name a pool take its login name or
//! its pool id (pools made by `CreateUserPool` may have no login name).

use clap::Subcommand;
use gatehouse::auth::Services;
use gatehouse::domain::lockout::{LockoutChanges, LockoutPolicy};
use gatehouse::domain::pool::{
    AdminCreateUserConfig, PoolName, PoolSettings, SoftwareTokenMfaConfiguration,
};
use gatehouse::domain::pool_config::MfaConfiguration;
use gatehouse::manage::mfa_config::PoolMfaConfig;
use gatehouse::manage::pools::FixedIds;
use serde_json::json;

use super::CliError;

#[derive(Subcommand)]
pub(super) enum PoolCommand {
    /// Create a pool for the login API (NAME is its TenantName); prints its id and its
    /// default client id.
    Create {
        name: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        lockout: LockoutArgs,
        /// true (the default): only operators create users and SignUp is refused; false:
        /// anyone may sign up through the Cognito API's SignUp.
        #[arg(long, value_name = "BOOL")]
        allow_admin_create_user_only: Option<bool>,
    },
    /// Change a pool's settings (lockout thresholds, self-registration); prints the
    /// resulting settings.
    Update {
        name: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        lockout: LockoutArgs,
        /// true: only operators create users and SignUp is refused; false: anyone may sign
        /// up. Left out, the pool keeps its setting.
        #[arg(long, value_name = "BOOL")]
        allow_admin_create_user_only: Option<bool>,
    },
    /// Set whether sign-ins ask for a second factor (SetUserPoolMfaConfig): OFF, OPTIONAL
    /// (users who enrolled an app) or ON (everyone; users without an app set one up at
    /// sign-in). OPTIONAL and ON enable TOTP apps, the factor they ask for.
    Mfa {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        #[arg(long, value_name = "OFF|OPTIONAL|ON", value_parser = parse_mfa_mode)]
        mode: MfaConfiguration,
        #[arg(long)]
        json: bool,
    },
    /// List pools.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one pool with its clients.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
}

fn parse_mfa_mode(raw: &str) -> Result<MfaConfiguration, String> {
    MfaConfiguration::parse(raw).ok_or_else(|| format!("{raw:?} is not one of OFF, OPTIONAL, ON"))
}

/// Per-pool lockout thresholds; options left out keep their current value (Cognito's
/// defaults for a new pool).
#[derive(clap::Args)]
pub(super) struct LockoutArgs {
    /// Failed sign-ins allowed before the first lockout, 1-100 (default 5).
    #[arg(long, value_name = "COUNT")]
    lockout_free_failures: Option<u32>,
    /// Longest lockout: 2^(n-free) seconds grow up to this, 1-86400 (default 900).
    #[arg(long, value_name = "SECONDS")]
    lockout_max_seconds: Option<i64>,
    /// Quiet seconds after which failures are forgotten, from the maximum lockout up to
    /// 86400 (default 900).
    #[arg(long, value_name = "SECONDS")]
    lockout_reset_seconds: Option<i64>,
}

impl LockoutArgs {
    fn changes(&self) -> LockoutChanges {
        LockoutChanges {
            free_failures: self.lockout_free_failures,
            max_lockout_seconds: self.lockout_max_seconds,
            reset_after_seconds: self.lockout_reset_seconds,
        }
    }
}

pub(super) async fn pool(services: &Services, command: PoolCommand) -> Result<(), CliError> {
    match command {
        PoolCommand::Create {
            name,
            json,
            lockout,
            allow_admin_create_user_only,
        } => {
            let name = PoolName::parse(&name).map_err(CliError::Usage)?;
            let settings = PoolSettings {
                lockout: lockout
                    .changes()
                    .apply_to(&LockoutPolicy::default())
                    .map_err(CliError::Usage)?,
                admin_create_user_config: AdminCreateUserConfig {
                    allow_admin_create_user_only: allow_admin_create_user_only.unwrap_or(true),
                    ..AdminCreateUserConfig::default()
                },
                ..PoolSettings::default()
            };
            let (pool, client) = services
                .create_pool(&name, settings, FixedIds::default())
                .await?;
            if json {
                println!(
                    "{}",
                    json!({"TenantName": pool.login_name, "UserPoolId": pool.id.to_string(), "ClientId": client.id.to_string()})
                );
            } else {
                println!(
                    "tenant:    {}\npool id:   {}\nclient id: {}",
                    pool.name, pool.id, client.id
                );
            }
        }
        PoolCommand::Update {
            name,
            json,
            lockout,
            allow_admin_create_user_only,
        } => {
            let pool = services
                .update_pool(&name, &lockout.changes(), allow_admin_create_user_only)
                .await?;
            let value = json!({"TenantName": pool.login_name, "PoolName": pool.name, "Settings": pool.settings});
            if json {
                println!("{value}");
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                );
            }
        }
        PoolCommand::Mfa { pool, mode, json } => {
            let pool = services.pool_named(&pool).await?;
            let current = PoolMfaConfig::of(&pool);
            // TOTP is the factor OPTIONAL and ON ask for; OFF leaves the factors as they are.
            let software_token = if mode == MfaConfiguration::Off {
                current.software_token
            } else {
                SoftwareTokenMfaConfiguration { enabled: true }
            };
            let stored = services
                .set_pool_mfa_config(
                    &pool,
                    PoolMfaConfig {
                        mfa_configuration: mode,
                        software_token,
                        ..current
                    },
                )
                .await?;
            let value = json!({
                "TenantName": pool.login_name,
                "MfaConfiguration": stored.mfa_configuration.as_str(),
                "SoftwareTokenMfaConfiguration": stored.software_token,
            });
            if json {
                println!("{value}");
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                );
            }
        }
        PoolCommand::List { json } => {
            let pools = services.list_pools().await?;
            let mut rows = Vec::new();
            for pool in pools {
                let client = services.default_client(&pool).await?;
                rows.push(json!({
                    "TenantName": pool.login_name,
                    "PoolName": pool.name,
                    "UserPoolId": pool.id.to_string(),
                    "ClientId": client.map(|c| c.id.to_string()),
                }));
            }
            if json {
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for row in rows {
                    println!(
                        "{}\t{}\t{}",
                        // A pool made by CreateUserPool may have no login name.
                        row["TenantName"].as_str().unwrap_or("-"),
                        row["UserPoolId"].as_str().unwrap_or_default(),
                        row["ClientId"].as_str().unwrap_or_default()
                    );
                }
            }
        }
        PoolCommand::Show { name, json } => {
            let pool = services.pool_named(&name).await?;
            let clients = services.list_clients(&pool).await?;
            let value = json!({
                "TenantName": pool.login_name,
                "PoolName": pool.name,
                "UserPoolId": pool.id.to_string(),
                "Issuer": services.issuer.issuer(&pool.id),
                "Settings": pool.settings,
                "Clients": clients.iter().map(|c| json!({
                    "ClientId": c.id.to_string(),
                    "ClientName": c.name,
                    "Default": c.is_default,
                    "IdTokenValiditySeconds": c.validity.id_token_seconds,
                    "AccessTokenValiditySeconds": c.validity.access_token_seconds,
                    "RefreshTokenValiditySeconds": c.validity.refresh_token_seconds,
                })).collect::<Vec<_>>(),
            });
            if json {
                println!("{value}");
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}
