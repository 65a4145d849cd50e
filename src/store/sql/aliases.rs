//! Sign-in names besides the username (`user_sign_in_aliases`): which user an e-mail
//! address, phone number or preferred username signs in. The rows follow the user's
//! attributes and the pool's `SignInNames`, and are written in the transaction that writes
//! the attributes, so a name never signs in anyone its attributes no longer give it to.

use sqlx::AnyConnection;

use super::corrupt;
use crate::domain::attributes::UserAttributes;
use crate::domain::ids::{Sub, UserPoolId};
use crate::domain::pool::PoolSettings;
use crate::domain::username::UsernameKey;
use crate::store::errors::before_commit;
use crate::store::{ALIAS_TAKEN, StoreError};

/// Brings the user's sign-in names in line with `after`, their attributes as now written.
/// Names `before` already gave them are not claimed again: one that was since moved to
/// another user (`ForceAliasCreation`) stays there until the attribute itself changes.
/// A name another user holds is a `Conflict` starting with `ALIAS_TAKEN`; the caller rolls back.
pub(super) async fn sync_aliases(
    conn: &mut AnyConnection,
    pool: &UserPoolId,
    sub: &Sub,
    before: Option<&UserAttributes>,
    after: &UserAttributes,
) -> Result<(), StoreError> {
    let settings: Option<(String,)> =
        sqlx::query_as("SELECT settings FROM user_pools WHERE id = $1")
            .bind(pool.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(before_commit)?;
    let Some((settings,)) = settings else {
        return Ok(());
    };
    let settings: PoolSettings =
        serde_json::from_str(&settings).map_err(|e| corrupt("pool settings", e))?;
    let names = &settings.sign_in_names;
    if names.username_attributes.is_empty() && names.alias_attributes.is_empty() {
        return Ok(());
    }
    let wanted = names.aliases(after);
    let had = before.map(|b| names.aliases(b)).unwrap_or_default();
    let held: Vec<(String,)> =
        sqlx::query_as("SELECT alias_key FROM user_sign_in_aliases WHERE user_sub = $1")
            .bind(sub.to_string())
            .fetch_all(&mut *conn)
            .await
            .map_err(before_commit)?;
    for (key,) in held {
        if !wanted.iter().any(|alias| alias.key.as_str() == key) {
            sqlx::query("DELETE FROM user_sign_in_aliases WHERE user_sub = $1 AND alias_key = $2")
                .bind(sub.to_string())
                .bind(&key)
                .execute(&mut *conn)
                .await
                .map_err(before_commit)?;
        }
    }
    for alias in wanted
        .iter()
        .filter(|a| !had.iter().any(|h| h.key == a.key))
    {
        // Of concurrent claims to one name exactly one inserts; the others find it taken
        // (on Postgres the insert waits for the winner's transaction to end).
        let inserted = sqlx::query(
            "INSERT INTO user_sign_in_aliases (pool_id, alias_key, attribute, user_sub) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (pool_id, alias_key) DO NOTHING",
        )
        .bind(pool.as_str())
        .bind(alias.key.as_str())
        .bind(alias.attribute.name())
        .bind(sub.to_string())
        .execute(&mut *conn)
        .await
        .map_err(before_commit)?
        .rows_affected();
        if inserted == 0 && holder(conn, pool, &alias.key).await?.as_ref() != Some(sub) {
            return Err(StoreError::Conflict(format!(
                "{ALIAS_TAKEN}{}",
                alias.attribute.name()
            )));
        }
    }
    Ok(())
}

async fn holder(
    conn: &mut AnyConnection,
    pool: &UserPoolId,
    key: &UsernameKey,
) -> Result<Option<Sub>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT user_sub FROM user_sign_in_aliases WHERE pool_id = $1 AND alias_key = $2",
    )
    .bind(pool.as_str())
    .bind(key.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(before_commit)?;
    row.map(|(sub,)| Sub::parse(&sub).map_err(|e| corrupt("alias user", e)))
        .transpose()
}
