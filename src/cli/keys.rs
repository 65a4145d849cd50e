//! `gatehouse keys`: list and rotate a pool's signing keys.

use clap::Subcommand;
use gatehouse::auth::Services;
use serde_json::json;

use super::CliError;

#[derive(Subcommand)]
pub(super) enum KeysCommand {
    /// List a pool's signing keys and their states.
    List {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        #[arg(long)]
        json: bool,
    },
    /// Publish new keys now; they sign after GATEHOUSE_KEY_ACTIVATION_DELAY_SECONDS and the
    /// old keys stay published until their tokens have expired.
    Rotate {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn keys(services: &Services, command: KeysCommand) -> Result<(), CliError> {
    let (pool, json, rotate) = match command {
        KeysCommand::List { pool, json } => (pool, json, false),
        KeysCommand::Rotate { pool, json } => (pool, json, true),
    };
    let pool = services.pool_named(&pool).await?;
    if rotate {
        let pending = services.keys.rotate(&pool.id).await?;
        if !json {
            for key in &pending {
                println!(
                    "published {} key {}; it signs from {}",
                    key.purpose.as_str(),
                    key.kid,
                    timestamp(key.activates_at)
                );
            }
        }
    }
    let keys = services.keys.list(&pool.id).await?;
    let rows: Vec<_> = keys
        .iter()
        .map(|k| {
            json!({
                "Kid": k.kid,
                "Purpose": k.purpose.as_str(),
                "State": k.state.as_str(),
                "Algorithm": k.alg,
                "CreatedAt": k.created_at,
                "ActivatesAt": k.activates_at,
                "RetiredAt": k.retired_at,
            })
        })
        .collect();
    if json {
        println!("{}", serde_json::Value::Array(rows));
    } else if !rotate {
        for k in &keys {
            println!(
                "{}\t{}\t{}\tcreated {}\tsigns from {}{}",
                k.kid,
                k.purpose.as_str(),
                k.state.as_str(),
                timestamp(k.created_at),
                timestamp(k.activates_at),
                k.retired_at
                    .map(|at| format!("\tretired {}", timestamp(at)))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

fn timestamp(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0).map_or_else(
        || seconds.to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}
