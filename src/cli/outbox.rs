//! `gatehouse outbox list`: the messages Gatehouse has sent or holds (codes, invitations),
//! with their bodies. Without an SMTP server this is how an operator, or a test, reads them.

use clap::Subcommand;
use gatehouse::auth::Services;
use gatehouse::domain::ids::UserPoolId;
use gatehouse::domain::message::OutboxFilter;
use serde_json::json;

use super::CliError;

#[derive(Subcommand)]
pub(super) enum OutboxCommand {
    /// List messages, newest first.
    List {
        /// Only this pool's messages, by name (the login API's TenantName).
        #[arg(
            long,
            visible_alias = "tenant",
            value_name = "NAME",
            conflicts_with = "pool_id"
        )]
        pool: Option<String>,
        /// Only this pool's messages, by pool id.
        #[arg(long, value_name = "ID")]
        pool_id: Option<String>,
        /// Only messages to this address or phone number.
        #[arg(long)]
        to: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn outbox(services: &Services, command: OutboxCommand) -> Result<(), CliError> {
    let OutboxCommand::List {
        pool,
        pool_id,
        to,
        limit,
        json,
    } = command;
    let pool = match (pool_id, pool) {
        (Some(id), _) => {
            let id = UserPoolId::parse(&id).map_err(CliError::Usage)?;
            let found = services.pool_by_id(&id).await?;
            Some(
                found
                    .ok_or_else(|| CliError::Usage(format!("User pool {id} does not exist.")))?
                    .id,
            )
        }
        (None, Some(name)) => Some(services.pool_named(&name).await?.id),
        (None, None) => None,
    };
    let messages = services
        .outbox(&OutboxFilter {
            pool,
            destination: to,
            limit: limit.max(1),
        })
        .await?;
    if json {
        let rows: Vec<_> = messages
            .iter()
            .map(|m| {
                json!({
                    "Id": m.id,
                    "PoolId": m.pool_id.to_string(),
                    "Destination": m.destination,
                    "DeliveryMedium": m.medium,
                    "Template": m.template,
                    "State": m.state.as_str(),
                    "Attempts": m.attempts,
                    "LastError": m.last_error,
                    "CreatedAt": m.created_at,
                    "SentAt": m.sent_at,
                    "Subject": m.content.subject,
                    "Text": m.content.text,
                    "Html": m.content.html,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    for m in &messages {
        println!(
            "{}  {}  {} {}  {}  {}: {}",
            m.created_at,
            m.state.as_str(),
            m.medium,
            m.destination,
            m.template,
            m.content.subject,
            m.content.text
        );
    }
    Ok(())
}
