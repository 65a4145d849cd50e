//! `gatehouse client`: list and change a pool's app clients.

use clap::Subcommand;
use gatehouse::auth::Services;
use serde_json::json;

use super::CliError;

#[derive(Subcommand)]
pub(super) enum ClientCommand {
    /// List a pool's app clients with their lifetimes.
    List {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        #[arg(long)]
        json: bool,
    },
    /// Change a client's lifetimes or grace window (default: the pool's default client).
    Update {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        #[arg(long)]
        client_id: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// ID token lifetime, 300-86400 seconds.
        #[arg(long, value_name = "SECONDS")]
        id_token_validity: Option<i64>,
        /// Access token lifetime, 300-86400 seconds.
        #[arg(long, value_name = "SECONDS")]
        access_token_validity: Option<i64>,
        /// Refresh token (session) lifetime, 3600 seconds to 3650 days, counted from sign-in.
        #[arg(long, value_name = "SECONDS")]
        refresh_token_validity: Option<i64>,
        /// How long a rotated refresh token's predecessor may be exchanged once more, 0-60.
        #[arg(long, value_name = "SECONDS")]
        refresh_grace: Option<i64>,
        /// ReadAttributes: the attributes the client's users see (GetUser, ID token),
        /// comma-separated; "" for none.
        #[arg(long, value_name = "NAMES", value_delimiter = ',')]
        read_attributes: Option<Vec<String>>,
        /// WriteAttributes: the attributes the client's users may set on themselves,
        /// comma-separated; "" for none. Must be readable too.
        #[arg(long, value_name = "NAMES", value_delimiter = ',')]
        write_attributes: Option<Vec<String>>,
    },
}

fn client_json(client: &gatehouse::domain::app_client::AppClient) -> serde_json::Value {
    json!({
        "ClientId": client.id.to_string(),
        "ClientName": client.name,
        "Default": client.is_default,
        "IdTokenValiditySeconds": client.validity.id_token_seconds,
        "AccessTokenValiditySeconds": client.validity.access_token_seconds,
        "RefreshTokenValiditySeconds": client.validity.refresh_token_seconds,
        "RefreshTokenGraceSeconds": client.refresh_grace_seconds,
        "ReadAttributes": client.settings.read_attributes,
        "WriteAttributes": client.settings.write_attributes,
    })
}

pub(super) async fn client(services: &Services, command: ClientCommand) -> Result<(), CliError> {
    match command {
        ClientCommand::List { pool, json } => {
            let pool = services.pool_named(&pool).await?;
            let clients = services.list_clients(&pool).await?;
            if json {
                println!(
                    "{}",
                    serde_json::Value::Array(clients.iter().map(client_json).collect())
                );
            } else {
                for c in &clients {
                    println!(
                        "{}\t{}\tid {}s\taccess {}s\trefresh {}s\tgrace {}s{}",
                        c.id,
                        c.name,
                        c.validity.id_token_seconds,
                        c.validity.access_token_seconds,
                        c.validity.refresh_token_seconds,
                        c.refresh_grace_seconds,
                        if c.is_default { "\t(default)" } else { "" }
                    );
                }
            }
        }
        ClientCommand::Update {
            pool,
            client_id,
            name,
            id_token_validity,
            access_token_validity,
            refresh_token_validity,
            refresh_grace,
            read_attributes,
            write_attributes,
        } => {
            let names = |list: Option<Vec<String>>| {
                list.map(|l| l.into_iter().filter(|n| !n.is_empty()).collect::<Vec<_>>())
            };
            let pool = services.pool_named(&pool).await?;
            let id = client_id
                .as_deref()
                .map(gatehouse::domain::ids::ClientId::parse)
                .transpose()
                .map_err(CliError::Usage)?;
            let current = services.client_of(&pool, id.as_ref()).await?;
            let updated = services
                .update_client(
                    &current,
                    &gatehouse::manage::clients::ClientChanges {
                        name,
                        id_token_seconds: id_token_validity,
                        access_token_seconds: access_token_validity,
                        refresh_token_seconds: refresh_token_validity,
                        refresh_grace_seconds: refresh_grace,
                        read_attributes: names(read_attributes),
                        write_attributes: names(write_attributes),
                    },
                )
                .await?;
            println!("{}", client_json(&updated));
        }
    }
    Ok(())
}
