//! `gatehouse user`: create, change and list a pool's users.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Subcommand;
use gatehouse::auth::Services;
use gatehouse::domain::attributes::UserAttributes;
use gatehouse::domain::secret::{ExposeSecret, SecretString, secret};
use gatehouse::domain::totp_uri::qr_png;
use gatehouse::domain::username::Username;
use gatehouse::manage::users::NewUser;
use serde_json::json;

use super::CliError;

#[derive(Subcommand)]
pub(super) enum UserCommand {
    /// Create a user; the password is read from standard input, never from arguments.
    Create {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        username: String,
        #[arg(long)]
        email: Option<String>,
        /// Extra attributes as NAME=VALUE (repeatable), e.g. custom:team=blue.
        #[arg(long = "attribute", value_name = "NAME=VALUE")]
        attributes: Vec<String>,
        /// The password is temporary: the first sign-in must choose a new one.
        #[arg(long)]
        temporary: bool,
        /// Create the user disabled.
        #[arg(long)]
        disabled: bool,
    },
    /// Set a user's password (read from standard input); revokes their sessions.
    SetPassword {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        username: String,
        #[arg(long)]
        temporary: bool,
    },
    /// Disable a user; revokes their sessions.
    Disable {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        username: String,
    },
    /// Enable a user.
    Enable {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        username: String,
    },
    /// Require the user to reset their password before signing in again.
    RequireReset {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        username: String,
    },
    /// Print a signed-up user's pending confirmation code.
    ConfirmationCode {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        username: String,
    },
    /// Delete a user and their sessions.
    Delete {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        username: String,
    },
    /// A user's second factors: enrol an authenticator app for them, or reset them all.
    #[command(subcommand)]
    Mfa(UserMfaCommand),
    /// List the users of a pool.
    List {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(super) enum UserMfaCommand {
    /// Enrol a TOTP authenticator app for the user: prints a new secret and its otpauth://
    /// URI (and writes the QR code with --qr). The app is verified and enabled at once;
    /// any earlier one stops working.
    Associate {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        username: String,
        /// Write the URI's QR code to this PNG file (created or replaced).
        #[arg(long, value_name = "FILE.png")]
        qr: Option<PathBuf>,
        /// The service name the app shows; the pool's name when left out.
        #[arg(long, value_name = "NAME")]
        issuer: Option<String>,
    },
    /// Forget all of the user's second factors (a lost phone): in an OPTIONAL pool they then
    /// sign in with the password alone, in an ON pool they set up a new app at sign-in.
    Reset {
        #[arg(long, visible_alias = "tenant", value_name = "NAME")]
        pool: String,
        username: String,
    },
}

fn parse_username(raw: &str) -> Result<Username, CliError> {
    Username::parse(raw).map_err(CliError::Usage)
}

/// Reads one line from standard input: passwords never travel in argv, where `ps` and shell
/// history would show them.
fn read_password() -> Result<SecretString, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err(CliError::Usage(
            "expected the password on standard input, e.g. printf '%s' \"$PASSWORD\" | gatehouse user create …".into(),
        ));
    }
    Ok(secret(password))
}

pub(super) async fn user(services: &Services, command: UserCommand) -> Result<(), CliError> {
    match command {
        UserCommand::Create {
            pool,
            username,
            email,
            attributes,
            temporary,
            disabled,
        } => {
            let pool = services.pool_named(&pool).await?;
            let mut map = BTreeMap::new();
            if let Some(email) = email {
                map.insert("email".to_owned(), email);
            }
            for pair in attributes {
                let (name, value) = pair.split_once('=').ok_or_else(|| {
                    CliError::Usage(format!("--attribute {pair:?} must be NAME=VALUE"))
                })?;
                map.insert(name.to_owned(), value.to_owned());
            }
            let attributes = UserAttributes::parse(map).map_err(CliError::Usage)?;
            let username = parse_username(&username)?;
            let password = read_password()?;
            let user = services
                .create_user(
                    &pool,
                    NewUser {
                        username,
                        password,
                        temporary,
                        attributes,
                        enabled: !disabled,
                    },
                )
                .await?;
            println!(
                "created {} (sub {}, status {})",
                user.username,
                user.sub,
                user.status.as_str()
            );
        }
        UserCommand::SetPassword {
            pool,
            username,
            temporary,
        } => {
            let pool = services.pool_named(&pool).await?;
            let username = parse_username(&username)?;
            let password = read_password()?;
            services
                .set_user_password(&pool, &username, &password, temporary)
                .await?;
            println!(
                "password set for {}; their sessions were revoked",
                username.as_str()
            );
        }
        UserCommand::Disable { pool, username } => {
            let pool = services.pool_named(&pool).await?;
            let username = parse_username(&username)?;
            services.set_user_enabled(&pool, &username, false).await?;
            println!(
                "disabled {}; their sessions were revoked",
                username.as_str()
            );
        }
        UserCommand::Enable { pool, username } => {
            let pool = services.pool_named(&pool).await?;
            let username = parse_username(&username)?;
            services.set_user_enabled(&pool, &username, true).await?;
            println!("enabled {}", username.as_str());
        }
        UserCommand::RequireReset { pool, username } => {
            let pool = services.pool_named(&pool).await?;
            let username = parse_username(&username)?;
            services.require_password_reset(&pool, &username).await?;
            println!("{} must reset their password", username.as_str());
        }
        UserCommand::ConfirmationCode { pool, username } => {
            let pool = services.pool_named(&pool).await?;
            let username = parse_username(&username)?;
            match services.pending_confirmation_code(&pool, &username).await? {
                Some(code) => println!("{}", code.expose_secret()),
                None => {
                    return Err(CliError::Usage(format!(
                        "{} has no pending confirmation code",
                        username.as_str()
                    )));
                }
            }
        }
        UserCommand::Delete { pool, username } => {
            let pool = services.pool_named(&pool).await?;
            let username = parse_username(&username)?;
            services.delete_user(&pool, &username).await?;
            println!("deleted {}", username.as_str());
        }
        UserCommand::Mfa(command) => user_mfa(services, command).await?,
        UserCommand::List { pool, json } => {
            let pool = services.pool_named(&pool).await?;
            let users = services.list_users(&pool).await?;
            let rows: Vec<_> = users
                .iter()
                .map(|u| {
                    json!({
                        "Username": u.username,
                        "Sub": u.sub.to_string(),
                        "UserStatus": u.status.as_str(),
                        "Enabled": u.enabled,
                        "Attributes": u.attributes.as_map(),
                    })
                })
                .collect();
            if json {
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for u in &users {
                    println!(
                        "{}\t{}\t{}\t{}",
                        u.username,
                        u.sub,
                        u.status.as_str(),
                        if u.enabled { "enabled" } else { "disabled" }
                    );
                }
            }
        }
    }
    Ok(())
}

async fn user_mfa(services: &Services, command: UserMfaCommand) -> Result<(), CliError> {
    match command {
        UserMfaCommand::Associate {
            pool,
            username,
            qr,
            issuer,
        } => {
            let pool = services.pool_named(&pool).await?;
            let username = parse_username(&username)?;
            let enrolment = services
                .enrol_software_token(&pool, &username, issuer.as_deref())
                .await?;
            let uri = enrolment.uri.expose_secret();
            if let Some(path) = &qr {
                let png = qr_png(uri).map_err(|e| CliError::Usage(e.to_string()))?;
                std::fs::write(path, png)?;
            }
            // The secret goes to standard output only, for the operator to hand over.
            println!("secret: {}", enrolment.secret_code.expose_secret());
            println!("uri:    {uri}");
            if let Some(path) = qr {
                println!("qr:     {}", path.display());
            }
            eprintln!(
                "enrolled a TOTP app for {}; any earlier one no longer works",
                username.as_str()
            );
        }
        UserMfaCommand::Reset { pool, username } => {
            let pool = services.pool_named(&pool).await?;
            let username = parse_username(&username)?;
            let had = services.reset_mfa(&pool, &username).await?;
            if had {
                println!("reset the second factors of {}", username.as_str());
            } else {
                println!(
                    "{} had no second factor; nothing to reset",
                    username.as_str()
                );
            }
        }
    }
    Ok(())
}
