//! The store contract: every behaviour of the `Store` trait, run unchanged on SQLite and on
//! Postgres, each case on a fresh database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use gatehouse::domain::app_client::{AppClient, ClientSettings, TokenValidity};
use gatehouse::domain::attributes::UserAttributes;
use gatehouse::domain::ids::{ClientId, Region, SessionId, Sub, TokenHash, UserPoolId};
use gatehouse::domain::lockout::{FailureRecord, LockoutPolicy};
use gatehouse::domain::pool::{PoolSettings, UserPool};
use gatehouse::domain::secret::{ExposeSecret, secret};
use gatehouse::domain::user::{StoredPasswordHash, User, UserStatus};
use gatehouse::domain::username::UsernameKey;
use gatehouse::store::sql::{ConnectOptions, MigrateError};
use gatehouse::store::{
    AuthorizationCodeRecord, AuthorizationStore, HostedSessionRecord, MfaStore, OtpFactor,
};
use gatehouse::store::{BrandingStore, UiCustomizationRecord};
use gatehouse::store::{
    ChallengeRecord, CodeAttempt, CodePurpose, CodeSpend, ConfirmationCodeRecord, GroupRecord,
    GroupStore, HousekeepingStore, KeyPurpose, KeyState, KeyStore, LockoutStore, NewSession,
    OutboxFilter, OutboxRecord, OutboxState, OutboxStore, PoolStore, Reservation, Revocation,
    Rotation, SessionStore, SigningKeyRecord, SqlStore, SrpChallengeRecord, SrpChallengeStore,
    Store, StoreError, UserStore,
};
use gatehouse::store::{CustomAuthRecord, CustomAuthStore};
use support::{Db, TestDatabase};

const NOW: i64 = 1_800_000_000;

async fn store(backend: Db) -> (Arc<SqlStore>, TestDatabase) {
    let database = TestDatabase::create(backend).await.unwrap();
    let store = SqlStore::connect(&database.url, 5).await.unwrap();
    store.migrate().await.unwrap();
    (Arc::new(store), database)
}

fn pool(name: &str) -> (UserPool, AppClient) {
    let pool = UserPool {
        id: UserPoolId::generate(&Region::parse("eu-west-1").unwrap()),
        name: name.into(),
        login_name: Some(name.into()),
        settings: PoolSettings::default(),
        created_at: NOW,
        updated_at: NOW,
    };
    let client = AppClient {
        id: ClientId::generate(),
        pool_id: pool.id.clone(),
        name: format!("{name} default"),
        is_default: true,
        validity: TokenValidity::default(),
        refresh_grace_seconds: 0,
        settings: ClientSettings::default(),
        secret_encrypted: None,
        created_at: NOW,
        updated_at: NOW,
    };
    (pool, client)
}

fn hash(value: &str) -> StoredPasswordHash {
    StoredPasswordHash {
        phc: secret(value),
        pepper_id: Some("1".into()),
        srp_verifier: Some(secret(format!("v2.sealed-verifier-of-{value}"))),
    }
}

/// A username key as the store holds it.
fn username_key(name: &str) -> UsernameKey {
    UsernameKey::from_stored(name.to_owned())
}

fn user(pool: &UserPool, username: &str) -> User {
    User {
        sub: Sub::generate(),
        pool_id: pool.id.clone(),
        username: username.into(),
        username_key: username_key(&username.to_lowercase()),
        password: Some(hash("$argon2id$original")),
        status: UserStatus::Confirmed,
        enabled: true,
        attributes: UserAttributes::parse(BTreeMap::from([(
            "email".into(),
            "a@example.com".into(),
        )]))
        .unwrap(),
        tokens_valid_after: 0,
        temporary_password_expires_at: None,
        created_at: NOW,
        updated_at: NOW,
    }
}

/// A token hash for a test: any string stands for one.
fn h(hash: &str) -> TokenHash {
    TokenHash::new(hash)
}

fn new_session(user: &User, client: &AppClient, token_hash: &str) -> NewSession {
    NewSession {
        id: SessionId::generate(),
        pool_id: user.pool_id.clone(),
        client_id: client.id.clone(),
        user_sub: user.sub,
        auth_time: NOW,
        expires_at: NOW + 86_400,
        refresh_token_hash: h(token_hash),
        scope: None,
    }
}

/// A store with one pool, its default client, and one user.
async fn populated(backend: Db) -> (Arc<SqlStore>, TestDatabase, UserPool, AppClient, User) {
    let (store, database) = store(backend).await;
    let (pool, client) = pool("acme");
    store.create_pool(&pool, Some(&client)).await.unwrap();
    let alice = user(&pool, "alice");
    store.create_user(&alice).await.unwrap();
    (store, database, pool, client, alice)
}

on_both_backends!(
    totp_secrets_are_activated_once_and_each_step_is_taken_once,
    an_operator_puts_a_verified_totp_secret_and_removes_every_factor,
    sent_codes_replace_each_other_and_are_spent_once,
    srp_challenges_are_taken_exactly_once_and_only_in_time,
    custom_auth_sessions_are_taken_exactly_once_and_go_with_the_pool,
    migrations_apply_once_and_the_schema_is_current,
    concurrent_migrations_apply_each_version_once,
    a_newer_schema_is_refused,
    pools_and_clients_round_trip_and_login_names_are_unique,
    pools_from_before_login_names_keep_their_name_as_login_name,
    users_round_trip_and_usernames_are_unique_per_pool,
    disabling_and_password_changes_revoke_sessions,
    password_rehash_is_compare_and_set,
    attribute_replacement_is_compare_and_set,
    deleting_a_user_removes_their_sessions,
    groups_are_upserted_and_listed_in_precedence_order,
    groups_are_read_updated_deleted_and_paged,
    user_searches_are_filtered_ordered_and_paged,
    sessions_start_with_a_hashed_refresh_token_and_clear_failures,
    completing_a_new_password_updates_the_user_and_starts_a_session,
    challenges_are_taken_exactly_once,
    expired_challenges_are_not_returned,
    concurrent_failures_each_count_and_lock,
    failures_are_forgotten_after_a_quiet_period,
    concurrent_reservations_pass_the_lock_no_more_than_the_free_failures,
    reservations_respect_the_quiet_window_and_are_cleared,
    concurrent_code_attempts_see_the_code_at_most_five_times,
    concurrent_code_requests_count_exactly_the_cap,
    spending_a_code_with_an_attribute_write_is_all_or_nothing,
    codes_of_different_purposes_are_separate_and_a_reset_spends_its_code,
    concurrent_claims_lease_each_message_to_one_worker,
    only_one_active_key_per_pool_and_purpose,
    pool_settings_update,
    pool_settings_compare_and_set,
    concurrent_rotations_of_one_token_have_one_winner,
    a_consumed_token_is_regranted_once_and_only_while_its_successor_is_live,
    refresh_tokens_of_revoked_or_expired_sessions_do_not_rotate,
    password_change_can_keep_the_current_session,
    pending_keys_are_promoted_atomically,
    housekeeping_purges_in_bounded_batches,
    housekeeping_purges_expired_codes_and_hosted_sessions,
    clients_can_be_updated,
    resealing_a_key_is_compare_and_set,
    idle_connections_are_closed_after_the_idle_timeout,
    a_refresh_context_is_the_token_with_its_session_user_client_pool_and_groups,
    sign_in_aliases_follow_attributes_and_belong_to_one_user,
    ui_customizations_are_kept_per_key_replaced_whole_and_gone_with_the_pool,
);

/// Waits (up to `within`) for the pool to have closed every connection; false if it has not.
async fn all_connections_closed(store: &SqlStore, within: std::time::Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if store.connections().open == 0 {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    store.connections().open == 0
}

/// Unused connections are closed once idle for the configured timeout (issue 18: their
/// caches are memory the process gives back), and the store reconnects on the next use.
async fn idle_connections_are_closed_after_the_idle_timeout(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let options = ConnectOptions {
        max_connections: 5,
        acquire_timeout: ConnectOptions::DEFAULT_ACQUIRE_TIMEOUT,
        idle_timeout: Some(std::time::Duration::from_secs(1)),
    };
    let store = SqlStore::connect_with(&database.url, options)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let statuses = futures_util::future::join_all((0..5).map(|_| store.schema_status())).await;
    assert!(statuses.iter().all(Result::is_ok));
    assert!(
        store.connections().open >= 1,
        "the connections used stay open a while"
    );
    assert!(
        all_connections_closed(&store, std::time::Duration::from_secs(10)).await,
        "idle connections still open: {:?}",
        store.connections()
    );
    store.schema_status().await.unwrap();
    assert!(store.connections().open >= 1, "the next use reconnects");
}

/// SQLite closes unused connections by default soon enough for the process to be back to
/// its idle memory within 10 s of a busy spell (issue 18).
#[tokio::test]
async fn sqlite_closes_idle_connections_by_default_within_ten_seconds() {
    let database = TestDatabase::create(Db::Sqlite).await.unwrap();
    let store = SqlStore::connect(&database.url, 5).await.unwrap();
    store.migrate().await.unwrap();
    let statuses = futures_util::future::join_all((0..5).map(|_| store.schema_status())).await;
    assert!(statuses.iter().all(Result::is_ok));
    assert!(store.connections().open >= 1);
    assert!(
        all_connections_closed(&store, std::time::Duration::from_secs(10)).await,
        "idle connections still open: {:?}",
        store.connections()
    );
}

/// Re-sealing a key (a newer envelope for the same private key) replaces it only if it is
/// still what the caller read: of many racing re-seals, one wins.
async fn resealing_a_key_is_compare_and_set(backend: Db) {
    let (store, _db, acme, _, _) = populated(backend).await;
    let old = key(&acme, "k1", KeyPurpose::Id, KeyState::Active);
    store.insert_signing_key(&old).await.unwrap();
    let racers = (0..20).map(|i| {
        let (store, expected) = (store.clone(), old.private_key_encrypted.clone());
        tokio::spawn(async move {
            store
                .reseal_signing_key("k1", &expected, &format!("v2.sealed-{i}"))
                .await
                .unwrap()
        })
    });
    let won: Vec<bool> = futures_util::future::join_all(racers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(won.iter().filter(|w| **w).count(), 1);
    let stored = &store.signing_keys(&acme.id).await.unwrap()[0];
    assert!(stored.private_key_encrypted.starts_with("v2.sealed-"));
    assert!(
        !store
            .reseal_signing_key("k1", "v1.ciphertext", "v2.other")
            .await
            .unwrap()
    );
    assert!(
        !store
            .reseal_signing_key("missing", &stored.private_key_encrypted, "v2.x")
            .await
            .unwrap()
    );
}

/// The migrations this binary carries, in order (`V3__srp`, …), read from the tree so the
/// cases below need no edit when one is added.
fn migration_names() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
    let mut names: Vec<(u32, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let name = name.trim_end_matches(".sql").to_owned();
            let version = name[1..name.find("__").unwrap()].parse().unwrap();
            (version, name)
        })
        .collect();
    names.sort();
    names.into_iter().map(|(_, name)| name).collect()
}

/// The newest version carried (not the count: versions numbered in parallel may leave gaps).
fn newest_migration() -> i64 {
    let names = migration_names();
    let newest = names.last().unwrap();
    newest[1..newest.find("__").unwrap()].parse().unwrap()
}

async fn migrations_apply_once_and_the_schema_is_current(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let store = SqlStore::connect(&database.url, 2).await.unwrap();
    let before = store.schema_status().await.unwrap();
    assert_eq!(before.database_version, None);
    let first = store.migrate().await.unwrap();
    assert_eq!(first.applied, migration_names());
    let second = store.migrate().await.unwrap();
    assert!(second.applied.is_empty());
    let status = store.schema_status().await.unwrap();
    assert!(status.is_current());
    assert_eq!(status.database_version, Some(newest_migration()));
    store.ping().await.unwrap();
}

async fn concurrent_migrations_apply_each_version_once(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let replicas: Vec<SqlStore> =
        futures_util::future::join_all((0..4).map(|_| SqlStore::connect(&database.url, 2)))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
    let reports = futures_util::future::join_all(replicas.iter().map(SqlStore::migrate)).await;
    let applied: usize = reports
        .into_iter()
        .map(|r| r.expect("every replica starts").applied.len())
        .sum();
    assert_eq!(
        applied,
        migration_names().len(),
        "each version applied by exactly one replica"
    );
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&database.url).await.unwrap();
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM refinery_schema_history")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, i64::try_from(migration_names().len()).unwrap());
    pool.close().await;
}

async fn a_newer_schema_is_refused(backend: Db) {
    let (store, database) = store(backend).await;
    store.close().await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&database.url).await.unwrap();
    sqlx::query(
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) \
         VALUES (99, 'later', '2030-01-01T00:00:00Z', '1')",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let store = SqlStore::connect(&database.url, 2).await.unwrap();
    match store.migrate().await {
        Err(MigrateError::NewerSchema { database, binary }) => {
            let carried = newest_migration();
            assert_eq!((database, binary), (99, carried));
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let status = store.schema_status().await.unwrap();
    assert!(status.is_newer_than_binary() && !status.is_current());
}

/// A database from before pool names stopped being unique (schema version 4, the last before
/// the versions assigned with V7) holding a pool, its default client, a user and a session.
/// Migrating keeps every row, gives the pool its name as login name, and leaves the other
/// tables' foreign keys pointing at the rebuilt pools table (SQLite rebuilds it): deleting
/// the pool still takes everything in it.
async fn pools_from_before_login_names_keep_their_name_as_login_name(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let store = SqlStore::connect(&database.url, 2).await.unwrap();
    let dir = match backend {
        Db::Sqlite => concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"),
        Db::Postgres => concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"),
    };
    let raw = sqlx::AnyPool::connect(&database.url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE refinery_schema_history (version INT4 PRIMARY KEY, name VARCHAR(255), \
         applied_on VARCHAR(255), checksum VARCHAR(255))",
    )
    .execute(&raw)
    .await
    .unwrap();
    for name in migration_names() {
        let version: i32 = name[1..name.find("__").unwrap()].parse().unwrap();
        if version > 4 {
            continue;
        }
        let sql = std::fs::read_to_string(format!("{dir}/{name}.sql")).unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&raw)
            .await
            .unwrap();
        // Recorded as refinery records it, so the runner takes these as applied.
        let migration = refinery::Migration::unapplied(&name, &sql).unwrap();
        sqlx::query(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) \
             VALUES ($1, $2, '2026-01-01T00:00:00Z', $3)",
        )
        .bind(version)
        .bind(migration.name().to_owned())
        .bind(migration.checksum().to_string())
        .execute(&raw)
        .await
        .unwrap();
    }
    let pool_id = UserPoolId::generate(&Region::parse("eu-west-1").unwrap());
    let client_id = ClientId::generate();
    let sub = Sub::generate();
    let session_id = SessionId::generate();
    for (sql, binds) in [
        (
            "INSERT INTO user_pools (id, name, settings, created_at, updated_at) \
             VALUES ($1, 'acme', '{}', 1, 1)",
            vec![pool_id.to_string()],
        ),
        (
            "INSERT INTO app_clients (id, pool_id, name, is_default, id_token_seconds, \
             access_token_seconds, refresh_token_seconds, refresh_grace_seconds, settings, \
             created_at, updated_at) VALUES ($1, $2, 'acme default client', TRUE, 3600, 3600, \
             86400, 0, '{}', 1, 1)",
            vec![client_id.to_string(), pool_id.to_string()],
        ),
        (
            "INSERT INTO users (sub, pool_id, username, username_key, status, enabled, \
             attributes, tokens_valid_after, created_at, updated_at) \
             VALUES ($1, $2, 'alice', 'alice', 'CONFIRMED', TRUE, '{}', 0, 1, 1)",
            vec![sub.to_string(), pool_id.to_string()],
        ),
        (
            "INSERT INTO sessions (id, pool_id, client_id, user_sub, auth_time, expires_at, \
             created_at) VALUES ($1, $2, $3, $4, 1, 4102444800, 1)",
            vec![
                session_id.to_string(),
                pool_id.to_string(),
                client_id.to_string(),
                sub.to_string(),
            ],
        ),
    ] {
        let mut query = sqlx::query(sql);
        for value in binds {
            query = query.bind(value);
        }
        query.execute(&raw).await.unwrap();
    }
    raw.close().await;

    let report = store.migrate().await.unwrap();
    assert!(
        report
            .applied
            .iter()
            .any(|m| m.contains("pool_login_names")),
        "{report:?}"
    );
    let migrated = store.pool_by_login_name("acme").await.unwrap().unwrap();
    assert_eq!(
        (
            migrated.id.clone(),
            migrated.name.as_str(),
            migrated.login_name.as_deref()
        ),
        (pool_id.clone(), "acme", Some("acme"))
    );
    assert_eq!(
        store.default_client(&pool_id).await.unwrap().unwrap().id,
        client_id
    );
    assert!(store.user_by_sub(&sub).await.unwrap().is_some());
    assert!(store.session(&session_id).await.unwrap().is_some());
    // The name is no longer unique; the login name still is.
    let (twin, _) = pool("acme");
    let twin = UserPool {
        login_name: None,
        ..twin
    };
    store.create_pool(&twin, None).await.unwrap();
    assert_eq!(
        store.pool_by_login_name("acme").await.unwrap().unwrap().id,
        pool_id
    );
    // Everything in the pool still hangs off the pools table.
    assert!(store.delete_pool(&pool_id).await.unwrap());
    assert!(store.client_by_id(&client_id).await.unwrap().is_none());
    assert!(store.user_by_sub(&sub).await.unwrap().is_none());
    assert!(store.session(&session_id).await.unwrap().is_none());
    assert!(store.pool_by_id(&twin.id).await.unwrap().is_some());
}

async fn pools_and_clients_round_trip_and_login_names_are_unique(backend: Db) {
    let (store, _db) = store(backend).await;
    let (acme, acme_client) = pool("acme");
    store.create_pool(&acme, Some(&acme_client)).await.unwrap();
    assert_eq!(
        store.pool_by_login_name("acme").await.unwrap().unwrap(),
        acme
    );
    assert_eq!(store.pool_by_id(&acme.id).await.unwrap().unwrap(), acme);
    assert!(
        store.pool_by_login_name("ACME").await.unwrap().is_none(),
        "names are exact"
    );
    assert_eq!(
        store.default_client(&acme.id).await.unwrap().unwrap(),
        acme_client
    );
    assert_eq!(
        store.client_by_id(&acme_client.id).await.unwrap().unwrap(),
        acme_client
    );

    let (duplicate, duplicate_client) = pool("acme");
    assert!(matches!(
        store.create_pool(&duplicate, Some(&duplicate_client)).await,
        Err(StoreError::Conflict(_))
    ));
    // The same pool name without a login name is allowed (Cognito's names are not unique),
    // and so is a pool without a client; neither is found by login name.
    let same_name = UserPool {
        login_name: None,
        ..pool("acme").0
    };
    store.create_pool(&same_name, None).await.unwrap();
    assert_eq!(
        store.pool_by_id(&same_name.id).await.unwrap().unwrap(),
        same_name
    );
    assert!(store.default_client(&same_name.id).await.unwrap().is_none());
    assert!(store.list_clients(&same_name.id).await.unwrap().is_empty());
    assert_eq!(
        store.pool_by_login_name("acme").await.unwrap().unwrap(),
        acme
    );
    // A login name moves only to a pool that nobody else's name is.
    assert!(matches!(
        store
            .set_pool_login_name(&same_name.id, Some("acme"), NOW)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .set_pool_login_name(&same_name.id, Some("acme-two"), NOW)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .pool_by_login_name("acme-two")
            .await
            .unwrap()
            .unwrap()
            .id,
        same_name.id
    );
    assert!(
        store
            .set_pool_login_name(&same_name.id, None, NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .pool_by_login_name("acme-two")
            .await
            .unwrap()
            .is_none()
    );
    // The failed creation left nothing behind.
    assert!(
        store
            .client_by_id(&duplicate_client.id)
            .await
            .unwrap()
            .is_none()
    );

    let extra = AppClient {
        id: ClientId::generate(),
        is_default: false,
        name: "mobile".into(),
        validity: TokenValidity {
            id_token_seconds: 300,
            access_token_seconds: 600,
            refresh_token_seconds: 7_200,
        },
        ..acme_client.clone()
    };
    store.create_client(&extra).await.unwrap();
    let second_default = AppClient {
        id: ClientId::generate(),
        ..acme_client.clone()
    };
    assert!(matches!(
        store.create_client(&second_default).await,
        Err(StoreError::Conflict(_))
    ));
    let clients = store.list_clients(&acme.id).await.unwrap();
    assert_eq!(clients.len(), 2);
    assert!(clients.contains(&extra));

    let (globex, globex_client) = pool("globex");
    store
        .create_pool(&globex, Some(&globex_client))
        .await
        .unwrap();
    let names: Vec<String> = store
        .list_pools()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["acme", "acme", "globex"], "by name");
}

async fn users_round_trip_and_usernames_are_unique_per_pool(backend: Db) {
    let (store, _db, acme, _, alice) = populated(backend).await;
    let found = store
        .user_by_key(&acme.id, &username_key("alice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.sub, alice.sub);
    assert_eq!(found.attributes, alice.attributes);
    assert_eq!(
        found.password.as_ref().unwrap().pepper_id.as_deref(),
        Some("1")
    );
    assert!(found.enabled);
    assert_eq!(
        store
            .user_by_sub(&alice.sub)
            .await
            .unwrap()
            .unwrap()
            .username,
        "alice"
    );
    assert!(
        store
            .user_by_key(&acme.id, &username_key("bob"))
            .await
            .unwrap()
            .is_none()
    );

    let twin = user(&acme, "alice");
    assert!(matches!(
        store.create_user(&twin).await,
        Err(StoreError::Conflict(_))
    ));
    let (globex, globex_client) = pool("globex");
    store
        .create_pool(&globex, Some(&globex_client))
        .await
        .unwrap();
    store.create_user(&user(&globex, "alice")).await.unwrap();

    assert!(
        store
            .set_status(&alice.sub, UserStatus::ResetRequired, NOW + 1)
            .await
            .unwrap()
    );
    let mut attributes = alice.attributes.clone();
    attributes.merge(
        UserAttributes::parse(BTreeMap::from([("custom:team".into(), "red".into())])).unwrap(),
    );
    assert!(
        store
            .set_attributes(&alice.sub, &attributes, NOW + 2)
            .await
            .unwrap()
    );
    let updated = store.user_by_sub(&alice.sub).await.unwrap().unwrap();
    assert_eq!(updated.status, UserStatus::ResetRequired);
    assert_eq!(updated.attributes.get("custom:team"), Some("red"));
    assert_eq!(updated.updated_at, NOW + 2);
    assert_eq!(store.list_users(&acme.id).await.unwrap().len(), 1);
    assert_eq!(store.count_users(&acme.id).await.unwrap(), 1);
    assert!(
        !store
            .set_status(&Sub::generate(), UserStatus::Confirmed, NOW)
            .await
            .unwrap()
    );
}

async fn disabling_and_password_changes_revoke_sessions(backend: Db) {
    let (store, _db, _, client, alice) = populated(backend).await;
    let first = new_session(&alice, &client, "hash-1");
    store
        .start_session(&first, "scope", &username_key("alice"))
        .await
        .unwrap();
    assert!(
        store
            .set_enabled(&alice.sub, false, NOW + 10)
            .await
            .unwrap()
    );
    let revoked = store.session(&first.id).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(NOW + 10));
    let disabled = store.user_by_sub(&alice.sub).await.unwrap().unwrap();
    assert!(!disabled.enabled);
    assert_eq!(disabled.tokens_valid_after, NOW + 10);
    assert!(store.set_enabled(&alice.sub, true, NOW + 11).await.unwrap());

    let second = new_session(&alice, &client, "hash-2");
    store
        .start_session(&second, "scope", &username_key("alice"))
        .await
        .unwrap();
    assert!(
        store
            .set_password(
                &alice.sub,
                &hash("$argon2id$new"),
                UserStatus::Confirmed,
                None,
                Revocation::All,
                NOW + 20
            )
            .await
            .unwrap()
    );
    assert_eq!(
        store.session(&second.id).await.unwrap().unwrap().revoked_at,
        Some(NOW + 20)
    );
    let changed = store.user_by_sub(&alice.sub).await.unwrap().unwrap();
    assert_eq!(changed.tokens_valid_after, NOW + 20);
    use secrecy::ExposeSecret;
    assert_eq!(
        changed.password.unwrap().phc.expose_secret(),
        "$argon2id$new"
    );

    // Without revocation, sessions stay (used for temporary passwords set by seed files).
    let third = new_session(&alice, &client, "hash-3");
    store
        .start_session(&third, "scope", &username_key("alice"))
        .await
        .unwrap();
    store
        .set_password(
            &alice.sub,
            &hash("$argon2id$newer"),
            UserStatus::ForceChangePassword,
            Some(NOW + 99),
            Revocation::None,
            NOW + 30,
        )
        .await
        .unwrap();
    let after = store.user_by_sub(&alice.sub).await.unwrap().unwrap();
    assert_eq!(after.status, UserStatus::ForceChangePassword);
    assert_eq!(after.temporary_password_expires_at, Some(NOW + 99));
    assert_eq!(
        store.session(&third.id).await.unwrap().unwrap().revoked_at,
        None
    );
}

async fn password_rehash_is_compare_and_set(backend: Db) {
    let (store, _db, _, _, alice) = populated(backend).await;
    let original = alice.password.clone().unwrap();
    assert!(
        store
            .replace_password_hash(&alice.sub, &original, &hash("$argon2id$stronger"))
            .await
            .unwrap()
    );
    // A second rehash from the stale hash must not overwrite the new one.
    assert!(
        !store
            .replace_password_hash(&alice.sub, &original, &hash("$argon2id$stale"))
            .await
            .unwrap()
    );
    use secrecy::ExposeSecret;
    let stored = store
        .user_by_sub(&alice.sub)
        .await
        .unwrap()
        .unwrap()
        .password
        .unwrap();
    assert_eq!(stored.phc.expose_secret(), "$argon2id$stronger");
    // The verifier is replaced with the hash, never left behind by it.
    assert_eq!(
        stored.srp_verifier.unwrap().expose_secret(),
        "v2.sealed-verifier-of-$argon2id$stronger"
    );
}

async fn attribute_replacement_is_compare_and_set(backend: Db) {
    let (store, _db, _, _, alice) = populated(backend).await;
    let original = alice.attributes.clone();
    let with = |name: &str, value: &str| {
        let mut next = original.clone();
        next.merge(
            UserAttributes::parse(BTreeMap::from([(name.to_owned(), value.to_owned())])).unwrap(),
        );
        next
    };
    let first = with("custom:team", "red");
    assert!(
        store
            .replace_attributes(&alice.sub, &original, &first, NOW + 1)
            .await
            .unwrap()
    );
    // A change decided on the stale attributes must not undo the first one.
    assert!(
        !store
            .replace_attributes(&alice.sub, &original, &with("given_name", "A"), NOW + 2)
            .await
            .unwrap()
    );
    let stored = store.user_by_sub(&alice.sub).await.unwrap().unwrap();
    assert_eq!(stored.attributes, first);
    assert_eq!(stored.updated_at, NOW + 1);
    assert!(
        !store
            .replace_attributes(&Sub::generate(), &original, &first, NOW)
            .await
            .unwrap()
    );
}

async fn deleting_a_user_removes_their_sessions(backend: Db) {
    let (store, _db, _, client, alice) = populated(backend).await;
    let session = new_session(&alice, &client, "hash-del");
    store
        .start_session(&session, "scope", &username_key("alice"))
        .await
        .unwrap();
    assert!(store.delete_user(&alice.sub).await.unwrap());
    assert!(store.user_by_sub(&alice.sub).await.unwrap().is_none());
    assert!(store.session(&session.id).await.unwrap().is_none());
    assert!(store.refresh_token(&h("hash-del")).await.unwrap().is_none());
    assert!(!store.delete_user(&alice.sub).await.unwrap());
}

async fn groups_are_read_updated_deleted_and_paged(backend: Db) {
    let (store, _db, acme, _, alice) = populated(backend).await;
    let bob = user(&acme, "bob");
    store.create_user(&bob).await.unwrap();
    let group = |name: &str, precedence: Option<i64>| GroupRecord {
        pool_id: acme.id.clone(),
        name: name.into(),
        description: None,
        precedence,
        role_arn: Some(format!("arn:aws:iam::123456789012:role/{name}")),
        created_at: NOW,
        updated_at: NOW,
    };
    for (name, precedence) in [("c", Some(2)), ("a", None), ("b", Some(2)), ("d", Some(0))] {
        store.create_group(&group(name, precedence)).await.unwrap();
        for member in [&alice, &bob] {
            store
                .add_user_to_group(&acme.id, &member.sub, name)
                .await
                .unwrap();
        }
    }
    assert!(matches!(
        store.create_group(&group("a", None)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.group(&acme.id, "c").await.unwrap(),
        Some(group("c", Some(2)))
    );
    assert_eq!(store.group(&acme.id, "zzz").await.unwrap(), None);

    let mut changed = group("c", Some(1));
    changed.description = Some("changed".into());
    changed.role_arn = None;
    changed.updated_at = NOW + 5;
    assert!(store.update_group(&changed).await.unwrap());
    assert_eq!(
        store.group(&acme.id, "c").await.unwrap(),
        Some(changed.clone())
    );
    assert!(!store.update_group(&group("zzz", None)).await.unwrap());

    // Pages by name, and a user's groups by (precedence, name).
    let page = store.groups_page(&acme.id, None, 2).await.unwrap();
    assert_eq!(
        page.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let page = store.groups_page(&acme.id, Some("b"), 2).await.unwrap();
    assert_eq!(
        page.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["c", "d"]
    );
    let first = store
        .groups_of_user_page(&alice.sub, None, 2)
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["d", "c"]
    );
    let rest = store
        .groups_of_user_page(&alice.sub, Some((1, "c")), 5)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["b", "a"]
    );
    let after_ranked = store
        .groups_of_user_page(&alice.sub, Some((2, "b")), 5)
        .await
        .unwrap();
    assert_eq!(
        after_ranked
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>(),
        ["a"]
    );

    // Members by sub.
    let mut subs = [alice.sub, bob.sub];
    subs.sort_by_key(ToString::to_string);
    let members = store
        .users_in_group_page(&acme.id, "a", None, 1)
        .await
        .unwrap();
    assert_eq!(members.iter().map(|u| u.sub).collect::<Vec<_>>(), [subs[0]]);
    let members = store
        .users_in_group_page(&acme.id, "a", Some(&subs[0]), 5)
        .await
        .unwrap();
    assert_eq!(members.iter().map(|u| u.sub).collect::<Vec<_>>(), [subs[1]]);

    // Deleting takes the memberships along.
    assert!(store.delete_group(&acme.id, "d").await.unwrap());
    assert!(!store.delete_group(&acme.id, "d").await.unwrap());
    assert_eq!(
        names(&store.groups_of_user(&alice.sub).await.unwrap()),
        ["c", "b", "a"]
    );
    assert!(
        store
            .users_in_group_page(&acme.id, "d", None, 5)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn user_searches_are_filtered_ordered_and_paged(backend: Db) {
    use gatehouse::domain::user_filter::UserFilter;
    use gatehouse::store::UserPageKey;
    let (store, _db, acme, _, _alice) = populated(backend).await;
    for (name, email) in [
        ("zed", "a2@x"),
        ("amy", "a1@x"),
        ("bea", "b@x"),
        ("cal", "a1@x"),
    ] {
        let mut u = user(&acme, name);
        u.attributes =
            UserAttributes::parse([("email".to_owned(), email.to_owned())].into()).unwrap();
        store.create_user(&u).await.unwrap();
    }
    let (other, other_client) = pool("other");
    store
        .create_pool(&other, Some(&other_client))
        .await
        .unwrap();
    let mut stranger = user(&other, "amy");
    stranger.attributes =
        UserAttributes::parse([("email".to_owned(), "a1@x".to_owned())].into()).unwrap();
    store.create_user(&stranger).await.unwrap();
    let search = |filter: &str, after: Option<UserPageKey>, limit: u32| {
        let store = store.clone();
        let pool = acme.id.clone();
        let filter = UserFilter::parse(filter).unwrap();
        async move {
            store
                .search_users(&pool, filter.as_ref(), after.as_ref(), limit)
                .await
                .unwrap()
                .into_iter()
                .map(|u| u.username)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        search("", None, 10).await,
        ["alice", "amy", "bea", "cal", "zed"]
    );
    // Ordered by the value, then the username key.
    // alice's address is a@example.com: '@' sorts after the digits.
    assert_eq!(
        search("email ^= \"a\"", None, 10).await,
        ["amy", "cal", "zed", "alice"]
    );
    assert_eq!(search("email = \"a1@x\"", None, 10).await, ["amy", "cal"]);
    let after = UserPageKey {
        value: Some("a1@x".into()),
        username_key: username_key("cal"),
    };
    assert_eq!(
        search("email ^= \"a\"", Some(after), 10).await,
        ["zed", "alice"]
    );
    let after = UserPageKey {
        value: None,
        username_key: username_key("bea"),
    };
    assert_eq!(search("", Some(after), 2).await, ["cal", "zed"]);
    assert_eq!(search("username ^= \"a\"", None, 1).await, ["alice"]);
    assert!(search("status = \"Disabled\"", None, 10).await.is_empty());
    assert_eq!(
        search("status = \"Enabled\"", None, 2).await,
        ["alice", "amy"]
    );
    assert!(search("status = \"enabled\"", None, 10).await.is_empty());
    assert_eq!(
        search("cognito:user_status = \"confirmed\"", None, 10)
            .await
            .len(),
        5
    );
}

/// The names of a user's groups, in their order.
fn names(groups: &[gatehouse::domain::group::MemberGroup]) -> Vec<&str> {
    groups.iter().map(|g| g.name.as_str()).collect()
}

async fn groups_are_upserted_and_listed_in_precedence_order(backend: Db) {
    let (store, _db, acme, _, alice) = populated(backend).await;
    let group = |name: &str, precedence: Option<i64>| GroupRecord {
        pool_id: acme.id.clone(),
        name: name.into(),
        description: Some(format!("{name} group")),
        precedence,
        role_arn: None,
        created_at: NOW,
        updated_at: NOW,
    };
    store.put_group(&group("zeta", Some(1)), NOW).await.unwrap();
    store.put_group(&group("alpha", None), NOW).await.unwrap();
    store.put_group(&group("beta", Some(5)), NOW).await.unwrap();
    store.put_group(&group("beta", Some(0)), NOW).await.unwrap();
    let listed = store.list_groups(&acme.id).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[1], group("beta", Some(0)));
    for name in ["alpha", "beta", "zeta", "beta"] {
        store
            .add_user_to_group(&acme.id, &alice.sub, name)
            .await
            .unwrap();
    }
    assert_eq!(
        names(&store.groups_of_user(&alice.sub).await.unwrap()),
        ["beta", "zeta", "alpha"]
    );
    assert!(
        store
            .add_user_to_group(&acme.id, &alice.sub, "undeclared")
            .await
            .is_err()
    );
}

async fn sessions_start_with_a_hashed_refresh_token_and_clear_failures(backend: Db) {
    let (store, _db, acme, client, alice) = populated(backend).await;
    let policy = LockoutPolicy::default();
    store
        .record_failure(acme.id.as_str(), &username_key("alice"), &policy, NOW)
        .await
        .unwrap();
    let session = new_session(&alice, &client, "token-hash");
    store
        .start_session(&session, acme.id.as_str(), &username_key("alice"))
        .await
        .unwrap();
    let record = store.session(&session.id).await.unwrap().unwrap();
    assert_eq!(record.user_sub, alice.sub);
    assert_eq!(record.client_id, client.id);
    assert_eq!(
        (record.auth_time, record.expires_at, record.revoked_at),
        (NOW, NOW + 86_400, None)
    );
    assert_eq!(
        record.scope, None,
        "the Cognito API's sessions carry the admin scope"
    );
    // An OAuth 2.0 grant's session keeps the scopes it was granted, for its refreshes.
    let granted = NewSession {
        scope: Some("openid email".into()),
        ..new_session(&alice, &client, "granted-hash")
    };
    store
        .start_session(&granted, acme.id.as_str(), &username_key("alice"))
        .await
        .unwrap();
    let granted_record = store.session(&granted.id).await.unwrap().unwrap();
    assert_eq!(granted_record.scope.as_deref(), Some("openid email"));
    let token = store
        .refresh_token(&h("token-hash"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.session_id, session.id);
    assert_eq!((token.issued_at, token.consumed_at), (NOW, None));
    assert!(
        store
            .failures(acme.id.as_str(), &username_key("alice"))
            .await
            .unwrap()
            .is_none()
    );
    // A refresh-token hash is unique.
    let clash = new_session(&alice, &client, "token-hash");
    assert!(matches!(
        store
            .start_session(&clash, "scope", &username_key("alice"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store.session(&clash.id).await.unwrap().is_none(),
        "nothing half-written"
    );
}

async fn completing_a_new_password_updates_the_user_and_starts_a_session(backend: Db) {
    let (store, _db, _, client, alice) = populated(backend).await;
    store
        .set_password(
            &alice.sub,
            &hash("$argon2id$temp"),
            UserStatus::ForceChangePassword,
            Some(NOW + 100),
            Revocation::None,
            NOW,
        )
        .await
        .unwrap();
    let mut attributes = alice.attributes.clone();
    attributes.merge(
        UserAttributes::parse(BTreeMap::from([("given_name".into(), "Alice".into())])).unwrap(),
    );
    // Decided on attributes that changed since: nothing is written and no session starts.
    let stale = UserAttributes::parse(BTreeMap::from([("email".into(), "x@y.z".into())])).unwrap();
    let lost = new_session(&alice, &client, "np-stale");
    assert!(
        !store
            .complete_new_password(
                &hash("$argon2id$chosen"),
                &stale,
                &attributes,
                &lost,
                NOW + 4
            )
            .await
            .unwrap()
    );
    let untouched = store.user_by_sub(&alice.sub).await.unwrap().unwrap();
    assert_eq!(untouched.status, UserStatus::ForceChangePassword);
    assert_eq!(untouched.attributes, alice.attributes);
    assert!(store.session(&lost.id).await.unwrap().is_none());

    let session = new_session(&alice, &client, "np-hash");
    assert!(
        store
            .complete_new_password(
                &hash("$argon2id$chosen"),
                &alice.attributes,
                &attributes,
                &session,
                NOW + 5
            )
            .await
            .unwrap()
    );
    let updated = store.user_by_sub(&alice.sub).await.unwrap().unwrap();
    assert_eq!(updated.status, UserStatus::Confirmed);
    assert_eq!(updated.temporary_password_expires_at, None);
    assert_eq!(updated.attributes.get("given_name"), Some("Alice"));
    assert!(store.session(&session.id).await.unwrap().is_some());
    assert!(store.refresh_token(&h("np-hash")).await.unwrap().is_some());
}

fn challenge(
    pool: &UserPool,
    client: &AppClient,
    user: &User,
    hash: &str,
    expires_at: i64,
) -> ChallengeRecord {
    ChallengeRecord {
        session_hash: h(hash),
        pool_id: pool.id.clone(),
        client_id: client.id.clone(),
        user_sub: user.sub,
        challenge_name: "NEW_PASSWORD_REQUIRED".into(),
        expires_at,
    }
}

async fn challenges_are_taken_exactly_once(backend: Db) {
    let (store, _db, acme, client, alice) = populated(backend).await;
    let record = challenge(&acme, &client, &alice, "ch-1", NOW + 180);
    store.create_challenge(&record, NOW).await.unwrap();
    assert_eq!(store.challenge(&h("ch-1")).await.unwrap().unwrap(), record);
    let takers = (0..10).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.take_challenge(&h("ch-1"), NOW + 1).await.unwrap() })
    });
    let taken: Vec<_> = futures_util::future::join_all(takers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .filter(Option::is_some)
        .collect();
    assert_eq!(taken.len(), 1, "exactly one answer gets the challenge");
    assert!(store.challenge(&h("ch-1")).await.unwrap().is_none());
}

fn srp_challenge(pool: &UserPool, client: &AppClient, hash: &str) -> SrpChallengeRecord {
    SrpChallengeRecord {
        secret_block_hash: hash.into(),
        pool_id: pool.id.clone(),
        client_id: client.id.clone(),
        username: "Alice".into(),
        username_key: username_key("alice"),
        client_public: "0a".into(),
        server_secret: "v2.sealed".into(),
        expires_at: NOW + 180,
    }
}

async fn srp_challenges_are_taken_exactly_once_and_only_in_time(backend: Db) {
    // Unknown users get challenges too: no user row is needed.
    let (store, _db) = store(backend).await;
    let (pool, client) = pool("acme");
    store.create_pool(&pool, Some(&client)).await.unwrap();
    let record = srp_challenge(&pool, &client, "block-1");
    store.create_srp_challenge(&record, NOW).await.unwrap();
    let takers = (0..50).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.take_srp_challenge("block-1", NOW + 1).await.unwrap() })
    });
    let taken: Vec<_> = futures_util::future::join_all(takers)
        .await
        .into_iter()
        .filter_map(|r| r.unwrap())
        .collect();
    assert_eq!(taken, vec![record]);
    let late = srp_challenge(&pool, &client, "block-2");
    store.create_srp_challenge(&late, NOW).await.unwrap();
    assert_eq!(
        store
            .take_srp_challenge("block-2", NOW + 180)
            .await
            .unwrap(),
        None
    );
    // …and the expired row is gone with that attempt.
    assert_eq!(
        store.take_srp_challenge("block-2", NOW + 1).await.unwrap(),
        None
    );
}

fn custom_auth(pool: &UserPool, client: &AppClient, session: &str) -> CustomAuthRecord {
    CustomAuthRecord {
        session_hash: h(session),
        pool_id: pool.id.clone(),
        client_id: client.id.clone(),
        username: "Alice".into(),
        username_key: username_key("alice"),
        challenge_name: "CUSTOM_CHALLENGE".into(),
        state: "v2.sealed".into(),
        expires_at: NOW + 180,
    }
}

async fn custom_auth_sessions_are_taken_exactly_once_and_go_with_the_pool(backend: Db) {
    // A name no user has gets a session too: no user row is needed.
    let (store, _db) = store(backend).await;
    let (pool, client) = pool("acme");
    store.create_pool(&pool, Some(&client)).await.unwrap();
    let record = custom_auth(&pool, &client, "custom-1");
    store.create_custom_auth(&record, NOW).await.unwrap();
    let takers = (0..50).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .take_custom_auth(&h("custom-1"), NOW + 1)
                .await
                .unwrap()
        })
    });
    let taken: Vec<_> = futures_util::future::join_all(takers)
        .await
        .into_iter()
        .filter_map(|r| r.unwrap())
        .collect();
    assert_eq!(taken, vec![record]);
    // Expired: refused, and gone with that attempt.
    store
        .create_custom_auth(&custom_auth(&pool, &client, "custom-2"), NOW)
        .await
        .unwrap();
    assert_eq!(
        store
            .take_custom_auth(&h("custom-2"), NOW + 180)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .take_custom_auth(&h("custom-2"), NOW + 1)
            .await
            .unwrap(),
        None
    );
    // Housekeeping purges expired sessions; deleting the pool deletes the open ones.
    store
        .create_custom_auth(&custom_auth(&pool, &client, "custom-3"), NOW)
        .await
        .unwrap();
    let open = CustomAuthRecord {
        expires_at: NOW + 10_000,
        ..custom_auth(&pool, &client, "custom-4")
    };
    store.create_custom_auth(&open, NOW).await.unwrap();
    let purged = store.purge(NOW + 200, NOW, NOW, NOW, 100).await.unwrap();
    assert_eq!(purged.challenges, 1);
    assert!(store.delete_pool(&pool.id).await.unwrap());
    assert_eq!(
        store
            .take_custom_auth(&h("custom-4"), NOW + 1001)
            .await
            .unwrap(),
        None
    );
}

async fn expired_challenges_are_not_returned(backend: Db) {
    let (store, _db, acme, client, alice) = populated(backend).await;
    store
        .create_challenge(&challenge(&acme, &client, &alice, "ch-old", NOW + 180), NOW)
        .await
        .unwrap();
    assert!(
        store
            .take_challenge(&h("ch-old"), NOW + 180)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store.challenge(&h("ch-old")).await.unwrap().is_none(),
        "and it is gone"
    );
}

async fn concurrent_failures_each_count_and_lock(backend: Db) {
    let (store, _db) = store(backend).await;
    let policy = LockoutPolicy::default();
    let attempts = (0..20).map(|_| {
        let store = store.clone();
        let policy = policy.clone();
        tokio::spawn(async move {
            store
                .record_failure("pool", &username_key("mallory"), &policy, NOW)
                .await
                .unwrap()
        })
    });
    let results: Vec<_> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut counts: Vec<i64> = results.iter().map(|r| r.count).collect();
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=20).collect::<Vec<_>>(),
        "no failure lost, none double-counted"
    );
    let record = store
        .failures("pool", &username_key("mallory"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.count, 20);
    assert_eq!(
        record.locked_until,
        Some(NOW + 900),
        "2^15 s capped at 15 minutes"
    );
    assert!(
        store
            .failures("pool", &username_key("other"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn concurrent_reservations_pass_the_lock_no_more_than_the_free_failures(backend: Db) {
    let (store, _db) = store(backend).await;
    let policy = LockoutPolicy::default();
    let attempts = (0..50).map(|_| {
        let store = store.clone();
        let policy = policy.clone();
        tokio::spawn(async move {
            store
                .reserve_attempt("pool", &username_key("mallory"), &policy, NOW)
                .await
                .unwrap()
        })
    });
    let results: Vec<Reservation> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut granted: Vec<i64> = results
        .iter()
        .filter_map(|r| match r {
            Reservation::Granted(record) => Some(record.count),
            Reservation::Locked => None,
        })
        .collect();
    granted.sort_unstable();
    assert_eq!(granted, [1, 2, 3, 4, 5], "only the free failures pass");
    let record = store
        .failures("pool", &username_key("mallory"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((record.count, record.locked_until), (5, Some(NOW + 1)));
    // When the lock runs out, one more attempt passes and locks for twice as long.
    assert_eq!(
        store
            .reserve_attempt("pool", &username_key("mallory"), &policy, NOW + 1)
            .await
            .unwrap(),
        Reservation::Granted(FailureRecord {
            count: 6,
            locked_until: Some(NOW + 3),
            last_failure_at: NOW + 1,
        })
    );
    assert_eq!(
        store
            .reserve_attempt("pool", &username_key("mallory"), &policy, NOW + 2)
            .await
            .unwrap(),
        Reservation::Locked
    );
}

async fn reservations_respect_the_quiet_window_and_are_cleared(backend: Db) {
    let (store, _db) = store(backend).await;
    let policy = LockoutPolicy::default();
    for i in 0..4 {
        store
            .reserve_attempt("pool", &username_key("bob"), &policy, NOW + i)
            .await
            .unwrap();
    }
    // Quiet for the reset window: the next attempt is the first again.
    let Reservation::Granted(fresh) = store
        .reserve_attempt("pool", &username_key("bob"), &policy, NOW + 3 + 900)
        .await
        .unwrap()
    else {
        panic!("not locked");
    };
    assert_eq!((fresh.count, fresh.locked_until), (1, None));
    store
        .clear_failures("pool", &username_key("bob"))
        .await
        .unwrap();
    assert!(
        store
            .failures("pool", &username_key("bob"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn concurrent_code_attempts_see_the_code_at_most_five_times(backend: Db) {
    let (store, _db, _, _, alice) = populated(backend).await;
    let code = ConfirmationCodeRecord {
        user_sub: alice.sub,
        purpose: CodePurpose::SignUp,
        code_encrypted: "sealed".into(),
        expires_at: NOW + 100,
        failed_attempts: 0,
        pending_value: None,
    };
    store.put_confirmation_code(&code, NOW).await.unwrap();
    let sub = alice.sub;
    let attempts = (0..50).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .take_code_attempt(&sub, CodePurpose::SignUp, 5, NOW)
                .await
                .unwrap()
        })
    });
    let results: Vec<CodeAttempt> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut seen: Vec<i64> = results
        .iter()
        .filter_map(|r| match r {
            CodeAttempt::Granted(record) => {
                assert_eq!(record.code_encrypted, "sealed");
                Some(record.failed_attempts)
            }
            CodeAttempt::Exhausted => None,
            CodeAttempt::Missing => panic!("the code exists"),
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, [1, 2, 3, 4, 5]);
    assert_eq!(
        store
            .take_code_attempt(&alice.sub, CodePurpose::SignUp, 5, NOW)
            .await
            .unwrap(),
        CodeAttempt::Exhausted
    );
    // A new code starts its attempts afresh; an expired one is missing.
    store.put_confirmation_code(&code, NOW).await.unwrap();
    assert!(matches!(
        store
            .take_code_attempt(&alice.sub, CodePurpose::SignUp, 5, NOW)
            .await
            .unwrap(),
        CodeAttempt::Granted(_)
    ));
    assert_eq!(
        store
            .take_code_attempt(&alice.sub, CodePurpose::SignUp, 5, NOW + 100)
            .await
            .unwrap(),
        CodeAttempt::Missing
    );
    assert!(store.confirm_user(&alice.sub, NOW).await.unwrap());
    assert_eq!(
        store
            .take_code_attempt(&alice.sub, CodePurpose::SignUp, 5, NOW)
            .await
            .unwrap(),
        CodeAttempt::Missing
    );
}

async fn codes_of_different_purposes_are_separate_and_a_reset_spends_its_code(backend: Db) {
    let (store, _db, _, client, alice) = populated(backend).await;
    let code = |purpose, sealed: &str| ConfirmationCodeRecord {
        user_sub: alice.sub,
        purpose,
        code_encrypted: sealed.into(),
        expires_at: NOW + 100,
        failed_attempts: 0,
        pending_value: None,
    };
    store
        .put_confirmation_code(&code(CodePurpose::SignUp, "sign-up"), NOW)
        .await
        .unwrap();
    store
        .put_confirmation_code(&code(CodePurpose::ResetPassword, "reset"), NOW)
        .await
        .unwrap();
    for _ in 0..5 {
        store
            .take_code_attempt(&alice.sub, CodePurpose::ResetPassword, 5, NOW)
            .await
            .unwrap();
    }
    // Five guesses at the reset code leave the sign-up code untouched.
    assert_eq!(
        store
            .take_code_attempt(&alice.sub, CodePurpose::ResetPassword, 5, NOW)
            .await
            .unwrap(),
        CodeAttempt::Exhausted
    );
    let CodeAttempt::Granted(sign_up) = store
        .take_code_attempt(&alice.sub, CodePurpose::SignUp, 5, NOW)
        .await
        .unwrap()
    else {
        panic!("the sign-up code is live");
    };
    assert_eq!(
        (sign_up.code_encrypted.as_str(), sign_up.failed_attempts),
        ("sign-up", 1)
    );
    // The reset spends its own code only, sets the password and ends every session.
    let session = new_session(&alice, &client, "h-reset");
    store
        .start_session(&session, "acme", &username_key("alice"))
        .await
        .unwrap();
    let hash = StoredPasswordHash {
        phc: secret("$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"),
        pepper_id: None,
        srp_verifier: Some(secret("sealed-verifier")),
    };
    assert!(
        store
            .reset_password_with_code(&alice.sub, &hash, NOW)
            .await
            .unwrap()
    );
    assert!(
        !store
            .reset_password_with_code(&alice.sub, &hash, NOW)
            .await
            .unwrap(),
        "a spent reset code resets nothing"
    );
    let stored = store.user_by_sub(&alice.sub).await.unwrap().unwrap();
    assert_eq!(stored.status, UserStatus::Confirmed);
    // The hash and the SRP verifier are replaced together.
    let credential = stored.password.unwrap();
    assert_eq!(credential.phc.expose_secret(), hash.phc.expose_secret());
    assert_eq!(
        credential.srp_verifier.unwrap().expose_secret(),
        "sealed-verifier"
    );
    assert!(
        store
            .session(&session.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
    assert!(
        store
            .confirmation_code(&alice.sub, CodePurpose::SignUp)
            .await
            .unwrap()
            .is_some()
    );
}

async fn concurrent_claims_lease_each_message_to_one_worker(backend: Db) {
    const MESSAGES: usize = 10;
    let (store, _db, pool, _, _) = populated(backend).await;
    for n in 0..MESSAGES {
        store
            .enqueue_message(&OutboxRecord {
                id: format!("m{n:02}"),
                pool_id: pool.id.clone(),
                destination: format!("user{n}@example.com"),
                medium: "EMAIL".into(),
                template: "SIGN_UP_CODE".into(),
                sender: None,
                content_sealed: "sealed".into(),
                state: OutboxState::Pending,
                attempts: 0,
                next_attempt_at: NOW,
                last_error: None,
                sent_at: None,
                created_at: NOW,
            })
            .await
            .unwrap();
    }
    // Sixty workers claim at once, one message each at most.
    let claims = (0..60).map(|worker| {
        let store = store.clone();
        tokio::spawn(async move {
            let owner = format!("w{worker}");
            let claimed = store
                .claim_due_messages(&owner, NOW, NOW + 120, 1)
                .await
                .unwrap();
            claimed
                .into_iter()
                .map(|m| (owner.clone(), m.id))
                .collect::<Vec<_>>()
        })
    });
    let mut leased: Vec<(String, String)> = futures_util::future::join_all(claims)
        .await
        .into_iter()
        .flat_map(Result::unwrap)
        .collect();
    leased.sort_by(|a, b| a.1.cmp(&b.1));
    let ids: Vec<&str> = leased.iter().map(|(_, id)| id.as_str()).collect();
    let mut distinct = ids.clone();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        ids.len(),
        "a message was leased twice: {leased:?}"
    );
    assert!(ids.len() <= MESSAGES);
    // Whatever the race left unclaimed is still there to claim; leased ones are not.
    let rest = store
        .claim_due_messages("late", NOW, NOW + 120, 100)
        .await
        .unwrap();
    assert_eq!(rest.len() + ids.len(), MESSAGES);
    let (owner, id) = &leased[0];
    // Only the lease holder marks a message sent.
    assert!(
        !store
            .mark_message_sent(id, "someone-else", NOW)
            .await
            .unwrap()
    );
    assert!(store.mark_message_sent(id, owner, NOW).await.unwrap());
    assert!(!store.mark_message_sent(id, owner, NOW).await.unwrap());
    // A failure releases the lease and sets the next attempt; it is due again only then.
    let (owner, id) = &leased[1];
    assert!(
        store
            .mark_message_failed(id, owner, "refused", NOW + 30, false)
            .await
            .unwrap()
    );
    let due_now = store
        .claim_due_messages("x", NOW + 29, NOW + 149, 100)
        .await
        .unwrap();
    assert!(due_now.iter().all(|m| &m.id != id));
    let due_later = store
        .claim_due_messages("x", NOW + 30, NOW + 150, 100)
        .await
        .unwrap();
    assert!(due_later.iter().any(|m| &m.id == id && m.attempts == 1));
    // A lease that ran out (its worker died) is taken over.
    let taken_over = store
        .claim_due_messages("y", NOW + 200, NOW + 320, 100)
        .await
        .unwrap();
    assert_eq!(taken_over.len(), MESSAGES - 1, "all but the sent one");
    // Listing filters by pool and destination; purging keeps pending messages.
    let listed = store
        .list_messages(&OutboxFilter {
            pool: Some(pool.id.clone()),
            destination: Some("user0@example.com".into()),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(store.purge_messages(NOW + 1, 100).await.unwrap(), 1);
    assert_eq!(
        store
            .list_messages(&OutboxFilter {
                limit: 100,
                ..OutboxFilter::default()
            })
            .await
            .unwrap()
            .len(),
        MESSAGES - 1
    );
}

async fn failures_are_forgotten_after_a_quiet_period(backend: Db) {
    let (store, _db) = store(backend).await;
    let policy = LockoutPolicy::default();
    for i in 0..5 {
        store
            .record_failure("pool", &username_key("bob"), &policy, NOW + i)
            .await
            .unwrap();
    }
    let locked = store
        .failures("pool", &username_key("bob"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((locked.count, locked.locked_until), (5, Some(NOW + 4 + 1)));
    let fresh = store
        .record_failure("pool", &username_key("bob"), &policy, NOW + 4 + 900)
        .await
        .unwrap();
    assert_eq!((fresh.count, fresh.locked_until), (1, None));
}

fn key(pool: &UserPool, kid: &str, purpose: KeyPurpose, state: KeyState) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.into(),
        pool_id: pool.id.clone(),
        purpose,
        alg: "RS256".into(),
        private_key_encrypted: "v1.ciphertext".into(),
        public_jwk: "{}".into(),
        state,
        created_at: NOW,
        activates_at: NOW,
        retired_at: None,
    }
}

async fn only_one_active_key_per_pool_and_purpose(backend: Db) {
    let (store, _db, acme, _, _) = populated(backend).await;
    assert!(
        store
            .insert_signing_key(&key(&acme, "k1", KeyPurpose::Id, KeyState::Active))
            .await
            .unwrap()
    );
    assert!(
        !store
            .insert_signing_key(&key(&acme, "k2", KeyPurpose::Id, KeyState::Active))
            .await
            .unwrap()
    );
    assert!(
        store
            .insert_signing_key(&key(&acme, "k3", KeyPurpose::Access, KeyState::Active))
            .await
            .unwrap()
    );
    assert!(
        store
            .insert_signing_key(&key(&acme, "k4", KeyPurpose::Id, KeyState::Pending))
            .await
            .unwrap()
    );
    assert!(
        !store
            .insert_signing_key(&key(&acme, "k1", KeyPurpose::Access, KeyState::Retired))
            .await
            .unwrap()
    );
    let kids: Vec<(String, KeyState)> = store
        .signing_keys(&acme.id)
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.kid, k.state))
        .collect();
    assert_eq!(
        kids,
        [
            ("k1".into(), KeyState::Active),
            ("k3".into(), KeyState::Active),
            ("k4".into(), KeyState::Pending)
        ]
    );
}

async fn pool_settings_update(backend: Db) {
    let (store, _db, acme, _, _) = populated(backend).await;
    let mut settings = acme.settings.clone();
    settings.password_policy.minimum_length = 12;
    settings.lockout.free_failures = 3;
    assert!(
        store
            .update_pool_settings(&acme.id, &settings, NOW + 1)
            .await
            .unwrap()
    );
    let stored = store.pool_by_id(&acme.id).await.unwrap().unwrap();
    assert_eq!(stored.settings, settings);
    assert_eq!(stored.created_at, NOW);
    assert_eq!(stored.updated_at, NOW + 1, "the change is dated");
}

async fn pool_settings_compare_and_set(backend: Db) {
    let (store, _db, acme, _, _) = populated(backend).await;
    let before = acme.settings.clone();
    let mut first = before.clone();
    first.schema = Some(gatehouse::domain::schema::Schema::standard());
    let mut second = before.clone();
    second.password_policy.minimum_length = 12;
    assert!(
        store
            .replace_pool_settings(&acme.id, &before, &first, NOW + 1)
            .await
            .unwrap()
    );
    // The second writer decided on settings that are no longer stored: refused, not lost.
    assert!(
        !store
            .replace_pool_settings(&acme.id, &before, &second, NOW + 2)
            .await
            .unwrap()
    );
    assert_eq!(
        store.pool_by_id(&acme.id).await.unwrap().unwrap().settings,
        first
    );
}

#[test]
fn both_migration_trees_have_the_same_versions_and_names() {
    let names = |dir: &str| {
        let mut names: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect();
        names.sort();
        names
    };
    let postgres = names("postgres");
    assert!(!postgres.is_empty());
    assert_eq!(postgres, names("sqlite"));
}

async fn concurrent_rotations_of_one_token_have_one_winner(backend: Db) {
    let (store, _db, _, client, alice) = populated(backend).await;
    let session = new_session(&alice, &client, "root");
    store
        .start_session(&session, "scope", &username_key("alice"))
        .await
        .unwrap();
    let attempts = (0..20).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .rotate_refresh_token(&h("root"), &h(&format!("child-{i}")), (NOW + 1) * 1000)
                .await
                .unwrap()
        })
    });
    let outcomes: Vec<Rotation> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == Rotation::Rotated).count(),
        1
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Rotation::Rotated | Rotation::AlreadyConsumed(_)))
    );
    let root = store.refresh_token(&h("root")).await.unwrap().unwrap();
    let child = root.replaced_by.clone().unwrap();
    let live = store.refresh_token(&child).await.unwrap().unwrap();
    assert_eq!(
        (
            live.parent_hash.as_ref().map(TokenHash::as_str),
            live.consumed_at
        ),
        (Some("root"), None)
    );
    assert_eq!(live.session_id, session.id);
    // Exactly one successor exists.
    for i in 0..20 {
        let name = format!("child-{i}");
        assert_eq!(
            store.refresh_token(&h(&name)).await.unwrap().is_some(),
            name == child.as_str()
        );
    }
    assert_eq!(
        store
            .rotate_refresh_token(&h("nope"), &h("x"), NOW * 1000)
            .await
            .unwrap(),
        Rotation::Invalid
    );
}

/// Milliseconds after `NOW`.
fn at_ms(offset: i64) -> i64 {
    NOW * 1000 + offset
}

async fn a_consumed_token_is_regranted_once_and_only_while_its_successor_is_live(backend: Db) {
    let (store, _db, _, client, alice) = populated(backend).await;
    store
        .start_session(
            &new_session(&alice, &client, "t0"),
            "scope",
            &username_key("alice"),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .rotate_refresh_token(&h("t0"), &h("t1"), at_ms(10_250))
            .await
            .unwrap(),
        Rotation::Rotated
    );
    let t0 = store.refresh_token(&h("t0")).await.unwrap().unwrap();
    assert_eq!(
        (t0.consumed_at, t0.consumed_at_ms),
        (Some(NOW + 10), Some(at_ms(10_250))),
        "consumption is kept to the millisecond"
    );
    // Consumed before the window start (one millisecond is enough): no.
    assert!(
        !store
            .regrant_refresh_token(&h("t0"), &h("t1"), &h("t2"), 1_000, at_ms(11_251))
            .await
            .unwrap()
    );
    // Inside the window: once.
    assert!(
        store
            .regrant_refresh_token(&h("t0"), &h("t1"), &h("t2"), 1_000, at_ms(11_250))
            .await
            .unwrap()
    );
    assert!(
        !store
            .regrant_refresh_token(&h("t0"), &h("t2"), &h("t3"), 1_000, at_ms(11_250))
            .await
            .unwrap()
    );
    let t1 = store.refresh_token(&h("t1")).await.unwrap().unwrap();
    assert_eq!(t1.replaced_by.as_ref().map(TokenHash::as_str), Some("t2"));
    assert_eq!(t1.consumed_at_ms, Some(at_ms(11_250)));
    let t2 = store.refresh_token(&h("t2")).await.unwrap().unwrap();
    assert_eq!(
        (
            t2.parent_hash.as_ref().map(TokenHash::as_str),
            t2.consumed_at
        ),
        (Some("t1"), None)
    );
    // t1 is consumed now, but the session has had its re-exchange for this window: two
    // holders cannot take turns re-exchanging each other's predecessors.
    assert!(
        !store
            .regrant_refresh_token(&h("t1"), &h("t2"), &h("t3"), 1_000, at_ms(11_500))
            .await
            .unwrap()
    );
    assert!(store.refresh_token(&h("t3")).await.unwrap().is_none());
    assert_eq!(
        store
            .refresh_token(&h("t2"))
            .await
            .unwrap()
            .unwrap()
            .consumed_at,
        None,
        "a refused re-exchange changes nothing"
    );
    // Once the window has passed since the session's last re-exchange, t2's predecessor may
    // have one (t1 was consumed inside that window).
    assert!(
        store
            .regrant_refresh_token(&h("t1"), &h("t2"), &h("t3"), 2_000, at_ms(13_250))
            .await
            .unwrap()
    );
    assert!(store.refresh_token(&h("t3")).await.unwrap().is_some());
}

async fn refresh_tokens_of_revoked_or_expired_sessions_do_not_rotate(backend: Db) {
    let (store, _db, _, client, alice) = populated(backend).await;
    let session = new_session(&alice, &client, "a0");
    store
        .start_session(&session, "scope", &username_key("alice"))
        .await
        .unwrap();
    assert!(store.revoke_session(&session.id, NOW + 1).await.unwrap());
    assert!(
        !store.revoke_session(&session.id, NOW + 2).await.unwrap(),
        "idempotent"
    );
    assert_eq!(
        store
            .rotate_refresh_token(&h("a0"), &h("a1"), (NOW + 3) * 1000)
            .await
            .unwrap(),
        Rotation::Invalid
    );
    let expiring = new_session(&alice, &client, "b0");
    store
        .start_session(&expiring, "scope", &username_key("alice"))
        .await
        .unwrap();
    assert_eq!(
        store
            .rotate_refresh_token(&h("b0"), &h("b1"), expiring.expires_at * 1000)
            .await
            .unwrap(),
        Rotation::Invalid
    );
    store
        .revoke_user_sessions(&alice.sub, NOW + 4)
        .await
        .unwrap();
    assert!(
        store
            .session(&expiring.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
    assert_eq!(
        store
            .user_by_sub(&alice.sub)
            .await
            .unwrap()
            .unwrap()
            .tokens_valid_after,
        NOW + 4
    );
}

async fn password_change_can_keep_the_current_session(backend: Db) {
    let (store, _db, _, client, alice) = populated(backend).await;
    let current = new_session(&alice, &client, "c0");
    let other = new_session(&alice, &client, "o0");
    store
        .start_session(&current, "scope", &username_key("alice"))
        .await
        .unwrap();
    store
        .start_session(&other, "scope", &username_key("alice"))
        .await
        .unwrap();
    store
        .set_password(
            &alice.sub,
            &hash("$argon2id$changed"),
            UserStatus::Confirmed,
            None,
            Revocation::AllExcept(current.id),
            NOW + 5,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .session(&current.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        None
    );
    assert_eq!(
        store.session(&other.id).await.unwrap().unwrap().revoked_at,
        Some(NOW + 5)
    );
    assert_eq!(
        store
            .user_by_sub(&alice.sub)
            .await
            .unwrap()
            .unwrap()
            .tokens_valid_after,
        0
    );
}

async fn pending_keys_are_promoted_atomically(backend: Db) {
    let (store, _db, acme, _, _) = populated(backend).await;
    store
        .insert_signing_key(&key(&acme, "old", KeyPurpose::Id, KeyState::Active))
        .await
        .unwrap();
    assert!(
        store
            .insert_signing_key(&key(&acme, "new", KeyPurpose::Id, KeyState::Pending))
            .await
            .unwrap()
    );
    assert!(
        !store
            .insert_signing_key(&key(&acme, "newer", KeyPurpose::Id, KeyState::Pending))
            .await
            .unwrap()
    );
    let racers = (0..5).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .promote_signing_key("new", Some("old"), NOW + 1)
                .await
                .unwrap()
        })
    });
    let won: Vec<bool> = futures_util::future::join_all(racers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(won.iter().filter(|w| **w).count(), 1);
    let keys = store.signing_keys(&acme.id).await.unwrap();
    let state = |kid: &str| {
        keys.iter()
            .find(|k| k.kid == kid)
            .map(|k| (k.state, k.retired_at))
    };
    assert_eq!(state("old"), Some((KeyState::Retired, Some(NOW + 1))));
    assert_eq!(state("new"), Some((KeyState::Active, None)));
}

/// Expired hosted sessions go at once; a code stays past its expiry as long as revoked
/// sessions are kept (so a late replay still revokes what it issued), then goes.
async fn housekeeping_purges_expired_codes_and_hosted_sessions(backend: Db) {
    let (store, _db, acme, client, alice) = populated(backend).await;
    store
        .create_authorization_code(
            &AuthorizationCodeRecord {
                code_hash: h("code"),
                pool_id: acme.id.clone(),
                client_id: client.id.clone(),
                user_sub: alice.sub,
                redirect_uri: "https://app.example/callback".into(),
                scopes: "openid".into(),
                nonce: None,
                code_challenge: None,
                auth_time: NOW,
                expires_at: NOW + 300,
            },
            NOW,
        )
        .await
        .unwrap();
    let hosted = |hash: &str, expires_at| HostedSessionRecord {
        id_hash: h(hash),
        pool_id: acme.id.clone(),
        user_sub: alice.sub,
        session_id: SessionId::generate(),
        auth_time: NOW,
        expires_at,
    };
    for record in [hosted("expired", NOW + 10), hosted("live", NOW + 5_000)] {
        store.create_hosted_session(&record, NOW).await.unwrap();
    }

    let now = NOW + 1_000;
    let first = store
        .purge(now, now - 86_400, now - 900, NOW + 1, 10)
        .await
        .unwrap();
    assert_eq!((first.sessions, first.challenges), (1, 0));
    assert_eq!(store.end_hosted_session(&h("expired")).await.unwrap(), None);
    let later = NOW + 300 + 86_400;
    let second = store
        .purge(later, later - 86_400, later - 900, NOW + 1, 10)
        .await
        .unwrap();
    assert_eq!((second.sessions, second.challenges), (1, 1));
    assert!(!store.authorization_code_replayed(&h("code")).await.unwrap());
}

async fn housekeeping_purges_in_bounded_batches(backend: Db) {
    let (store, _db, acme, client, alice) = populated(backend).await;
    for i in 0..5 {
        let mut session = new_session(&alice, &client, &format!("h{i}"));
        session.expires_at = NOW + 10;
        store
            .start_session(&session, "scope", &username_key("alice"))
            .await
            .unwrap();
    }
    let live = new_session(&alice, &client, "live");
    store
        .start_session(&live, "scope", &username_key("alice"))
        .await
        .unwrap();
    store
        .create_challenge(&challenge(&acme, &client, &alice, "old-ch", NOW + 5), NOW)
        .await
        .unwrap();
    let policy = LockoutPolicy::default();
    store
        .record_failure("pool", &username_key("quiet"), &policy, NOW)
        .await
        .unwrap();
    store
        .record_failure("pool", &username_key("recent"), &policy, NOW + 950)
        .await
        .unwrap();
    store
        .insert_signing_key(&key(&acme, "gone", KeyPurpose::Id, KeyState::Active))
        .await
        .unwrap();
    store
        .insert_signing_key(&key(&acme, "next", KeyPurpose::Id, KeyState::Pending))
        .await
        .unwrap();
    store
        .promote_signing_key("next", Some("gone"), NOW)
        .await
        .unwrap();

    let now = NOW + 1_000;
    let first = store
        .purge(now, now - 86_400, now - 900, NOW + 1, 3)
        .await
        .unwrap();
    assert_eq!(
        (first.sessions, first.challenges, first.failures, first.keys),
        (3, 1, 1, 1)
    );
    let second = store
        .purge(now, now - 86_400, now - 900, NOW + 1, 3)
        .await
        .unwrap();
    assert_eq!(second.sessions, 2);
    let third = store
        .purge(now, now - 86_400, now - 900, NOW + 1, 3)
        .await
        .unwrap();
    assert_eq!(
        third,
        gatehouse::store::Purged::default(),
        "nothing left to purge"
    );
    assert!(store.session(&live.id).await.unwrap().is_some());
    assert!(
        store.refresh_token(&h("h0")).await.unwrap().is_none(),
        "tokens go with their session"
    );
    assert!(
        store
            .failures("pool", &username_key("recent"))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.signing_keys(&acme.id).await.unwrap().len(), 1);
}

async fn clients_can_be_updated(backend: Db) {
    let (store, _db, _, client, _) = populated(backend).await;
    let updated = AppClient {
        name: "renamed".into(),
        validity: TokenValidity {
            id_token_seconds: 600,
            access_token_seconds: 900,
            refresh_token_seconds: 7_200,
        },
        refresh_grace_seconds: 30,
        updated_at: NOW + 1,
        ..client.clone()
    };
    assert!(store.update_client(&updated, NOW + 1).await.unwrap());
    assert_eq!(
        store.client_by_id(&client.id).await.unwrap().unwrap(),
        updated
    );
}

/// `refresh_context` reads, with the token, everything a refresh decides on, as the
/// separate reads would find it, and filters nothing: judging is the caller's.
async fn a_refresh_context_is_the_token_with_its_session_user_client_pool_and_groups(backend: Db) {
    let (store, _db, acme, client, alice) = populated(backend).await;
    assert!(store.refresh_context(&h("a0")).await.unwrap().is_none());
    let session = new_session(&alice, &client, "a0");
    store
        .start_session(&session, "scope", &username_key("alice"))
        .await
        .unwrap();
    let context = store.refresh_context(&h("a0")).await.unwrap().unwrap();
    assert_eq!(
        context.token,
        store.refresh_token(&h("a0")).await.unwrap().unwrap()
    );
    assert_eq!(
        context.session,
        store.session(&session.id).await.unwrap().unwrap()
    );
    assert_eq!(context.pool_login_name.as_deref(), Some("acme"));
    assert_eq!(context.pool_triggers, acme.settings.lambda_config);
    assert_eq!(context.client, client);
    assert_eq!(
        (
            context.user.sub,
            &context.user.username,
            context.user.enabled
        ),
        (alice.sub, &alice.username, true)
    );
    assert_eq!(context.user.attributes, alice.attributes);
    assert!(context.groups.is_empty());

    // Groups in precedence order, then by name, as `groups_of_user` lists them.
    for (name, precedence) in [("zeta", Some(1)), ("alpha", None), ("beta", Some(0))] {
        let group = GroupRecord {
            pool_id: acme.id.clone(),
            name: name.into(),
            description: None,
            precedence,
            role_arn: None,
            created_at: NOW,
            updated_at: NOW,
        };
        store.put_group(&group, NOW).await.unwrap();
        store
            .add_user_to_group(&acme.id, &alice.sub, name)
            .await
            .unwrap();
    }
    let context = store.refresh_context(&h("a0")).await.unwrap().unwrap();
    assert_eq!(names(&context.groups), ["beta", "zeta", "alpha"]);

    // The pool's triggers, as they are now (a refresh calls its PreTokenGeneration).
    let mut triggered = acme.settings.clone();
    triggered.lambda_config.pre_token_generation =
        Some("arn:aws:lambda:us-east-1:123456789012:function:tokens".into());
    assert!(
        store
            .update_pool_settings(&acme.id, &triggered, NOW)
            .await
            .unwrap()
    );
    let context = store.refresh_context(&h("a0")).await.unwrap().unwrap();
    assert_eq!(context.pool_triggers, triggered.lambda_config);
    assert_eq!(
        context.groups,
        store.groups_of_user(&alice.sub).await.unwrap()
    );

    // A client changed is read as it is now.
    let updated = AppClient {
        validity: TokenValidity {
            id_token_seconds: 600,
            access_token_seconds: 300,
            refresh_token_seconds: 7_200,
        },
        updated_at: NOW + 1,
        ..client.clone()
    };
    assert!(store.update_client(&updated, NOW + 1).await.unwrap());
    let context = store.refresh_context(&h("a0")).await.unwrap().unwrap();
    assert_eq!(context.client, updated);

    // Consumed, revoked and disabled are reported, not hidden.
    assert_eq!(
        store
            .rotate_refresh_token(&h("a0"), &h("a1"), (NOW + 2) * 1000)
            .await
            .unwrap(),
        Rotation::Rotated
    );
    let consumed = store.refresh_context(&h("a0")).await.unwrap().unwrap();
    assert_eq!(
        consumed.token.replaced_by.as_ref().map(TokenHash::as_str),
        Some("a1")
    );
    assert_eq!(consumed.token.consumed_at_ms, Some((NOW + 2) * 1000));
    let successor = store.refresh_context(&h("a1")).await.unwrap().unwrap();
    assert_eq!(
        successor.token.parent_hash.as_ref().map(TokenHash::as_str),
        Some("a0")
    );
    assert_eq!(successor.session.id, session.id);
    assert!(store.set_enabled(&alice.sub, false, NOW + 3).await.unwrap());
    let disabled = store.refresh_context(&h("a1")).await.unwrap().unwrap();
    assert!(!disabled.user.enabled);
    assert_eq!(disabled.session.revoked_at, Some(NOW + 3));

    // Gone with the user: no context at all.
    assert!(store.delete_user(&alice.sub).await.unwrap());
    assert!(store.refresh_context(&h("a1")).await.unwrap().is_none());
}

async fn concurrent_code_requests_count_exactly_the_cap(backend: Db) {
    let (store, _db, _, _, alice) = populated(backend).await;
    let sub = alice.sub;
    let requests = (0..50).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .count_code_request(&sub, CodePurpose::ResetPassword, 5, 3_600, NOW)
                .await
                .unwrap()
        })
    });
    let admitted = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .filter(|admitted| *admitted)
        .count();
    assert_eq!(admitted, 5);
    // Another purpose has its own count; the window's end starts the count again.
    assert!(
        store
            .count_code_request(&sub, CodePurpose::SignUp, 5, 3_600, NOW)
            .await
            .unwrap()
    );
    assert!(
        !store
            .count_code_request(&sub, CodePurpose::ResetPassword, 5, 3_600, NOW + 3_599)
            .await
            .unwrap()
    );
    assert!(
        store
            .count_code_request(&sub, CodePurpose::ResetPassword, 5, 3_600, NOW + 3_600)
            .await
            .unwrap()
    );
}

async fn spending_a_code_with_an_attribute_write_is_all_or_nothing(backend: Db) {
    let (store, _db, _, _, alice) = populated(backend).await;
    let code = ConfirmationCodeRecord {
        user_sub: alice.sub,
        purpose: CodePurpose::VerifyEmail,
        code_encrypted: "sealed".into(),
        expires_at: NOW + 100,
        failed_attempts: 0,
        pending_value: Some("new@example.com".into()),
    };
    store.put_confirmation_code(&code, NOW).await.unwrap();
    assert_eq!(
        store
            .confirmation_code(&alice.sub, CodePurpose::VerifyEmail)
            .await
            .unwrap()
            .unwrap()
            .pending_value
            .as_deref(),
        Some("new@example.com")
    );
    let original = alice.attributes.clone();
    let mut verified = original.clone();
    verified.merge(
        UserAttributes::parse(BTreeMap::from([
            ("email".to_owned(), "new@example.com".to_owned()),
            ("email_verified".to_owned(), "true".to_owned()),
        ]))
        .unwrap(),
    );
    // Decided on stale attributes: nothing written, and the code is kept.
    assert_eq!(
        store
            .spend_code_and_replace_attributes(
                &alice.sub,
                CodePurpose::VerifyEmail,
                &verified,
                &verified,
                NOW
            )
            .await
            .unwrap(),
        CodeSpend::AttributesChanged
    );
    assert!(
        store
            .confirmation_code(&alice.sub, CodePurpose::VerifyEmail)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .spend_code_and_replace_attributes(
                &alice.sub,
                CodePurpose::VerifyEmail,
                &original,
                &verified,
                NOW + 1
            )
            .await
            .unwrap(),
        CodeSpend::Done
    );
    let stored = store.user_by_sub(&alice.sub).await.unwrap().unwrap();
    assert_eq!(stored.attributes, verified);
    assert!(
        store
            .confirmation_code(&alice.sub, CodePurpose::VerifyEmail)
            .await
            .unwrap()
            .is_none()
    );
    // Spent: a second use finds no code and writes nothing.
    assert_eq!(
        store
            .spend_code_and_replace_attributes(
                &alice.sub,
                CodePurpose::VerifyEmail,
                &verified,
                &original,
                NOW + 2
            )
            .await
            .unwrap(),
        CodeSpend::CodeGone
    );
    assert_eq!(
        store
            .user_by_sub(&alice.sub)
            .await
            .unwrap()
            .unwrap()
            .attributes,
        verified
    );
}

/// Attributes from name-value pairs.
fn attributes_of(pairs: &[(&str, &str)]) -> UserAttributes {
    UserAttributes::parse(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
    .unwrap()
}

/// Sign-in aliases: written with the user's attributes, found by one lookup (a username
/// before an alias), held by one user of any number that claim one at once, released on
/// request, and gone with the user.
async fn sign_in_aliases_follow_attributes_and_belong_to_one_user(backend: Db) {
    use gatehouse::domain::sign_in_names::{SignInAttribute, SignInNames};
    let (store, _db) = store(backend).await;
    let (mut acme, client) = pool("acme");
    acme.settings.sign_in_names = SignInNames {
        username_attributes: vec![],
        alias_attributes: vec![SignInAttribute::Email, SignInAttribute::PreferredUsername],
        case_sensitive: false,
    };
    store.create_pool(&acme, Some(&client)).await.unwrap();
    let verified = |email: &str| attributes_of(&[("email", email), ("email_verified", "true")]);
    let mut alice = user(&acme, "alice");
    alice.attributes = verified("alice@example.com");
    store.create_user(&alice).await.unwrap();
    let found = |key: &str| {
        let store = store.clone();
        let pool = acme.id.clone();
        let key = username_key(key);
        async move {
            store
                .user_by_sign_in_name(&pool, &key)
                .await
                .unwrap()
                .map(|u| u.username)
        }
    };
    assert_eq!(found("alice@example.com").await.as_deref(), Some("alice"));
    assert_eq!(found("alice").await.as_deref(), Some("alice"));
    assert_eq!(found("nobody@example.com").await, None);

    // Twenty users claim one address at once: exactly one holds it.
    let mut racers = Vec::new();
    for i in 0..20 {
        let mut racer = user(&acme, &format!("racer{i}"));
        racer.attributes = attributes_of(&[("email", "race@example.com")]);
        store.create_user(&racer).await.unwrap();
        racers.push(racer);
    }
    let claims = racers.iter().map(|racer| {
        let store = store.clone();
        async move {
            store
                .replace_attributes(
                    &racer.sub,
                    &racer.attributes,
                    &verified("race@example.com"),
                    NOW,
                )
                .await
        }
    });
    let results = futures_util::future::join_all(claims).await;
    let won = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert_eq!(won, 1, "{results:?}");
    for result in results.iter().filter(|r| !matches!(r, Ok(true))) {
        let error = result.as_ref().unwrap_err();
        assert_eq!(error.alias_taken(), Some("email"), "{error:?}");
    }
    let holder = found("race@example.com").await.unwrap();
    assert!(holder.starts_with("racer"));

    // A username wins over an alias spelt the same.
    let mut shadow = user(&acme, "shadow");
    shadow.attributes = attributes_of(&[("preferred_username", "alice")]);
    store.create_user(&shadow).await.unwrap();
    assert_eq!(found("alice").await.as_deref(), Some("alice"));

    // Released, the alias can be claimed by another user; a changed address drops it.
    let released = store
        .release_sign_in_aliases(&acme.id, &[username_key("alice@example.com")], &shadow.sub)
        .await
        .unwrap();
    assert_eq!(released, 1);
    assert_eq!(found("alice@example.com").await, None);
    assert!(
        store
            .set_attributes(&shadow.sub, &verified("alice@example.com"), NOW)
            .await
            .unwrap()
    );
    assert_eq!(found("alice@example.com").await.as_deref(), Some("shadow"));
    assert!(
        store
            .set_attributes(&shadow.sub, &verified("shadow@example.com"), NOW)
            .await
            .unwrap()
    );
    assert_eq!(found("alice@example.com").await, None);
    assert_eq!(found("shadow@example.com").await.as_deref(), Some("shadow"));
    store.delete_user(&shadow.sub).await.unwrap();
    assert_eq!(found("shadow@example.com").await, None);
}

async fn totp_secrets_are_activated_once_and_each_step_is_taken_once(backend: Db) {
    let (store, _db, _pool, _client, alice) = populated(backend).await;
    assert_eq!(store.mfa_of(&alice.sub).await.unwrap(), None);
    // Nothing to take or prefer before a secret is verified.
    assert!(!store.use_totp_step(&alice.sub, 5, NOW).await.unwrap());
    assert!(
        !store
            .set_totp_preference(&alice.sub, Some(true), None, NOW)
            .await
            .unwrap()
    );
    store
        .put_pending_totp(&alice.sub, "sealed-1", NOW)
        .await
        .unwrap();
    store
        .put_pending_totp(&alice.sub, "sealed-2", NOW)
        .await
        .unwrap();
    // Only the pending secret activates, once.
    assert!(
        !store
            .activate_totp(&alice.sub, "sealed-1", 10, Some("phone"), NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .activate_totp(&alice.sub, "sealed-2", 10, Some("phone"), NOW)
            .await
            .unwrap()
    );
    assert!(
        !store
            .activate_totp(&alice.sub, "sealed-2", 11, None, NOW)
            .await
            .unwrap()
    );
    let record = store.mfa_of(&alice.sub).await.unwrap().unwrap();
    assert_eq!(record.totp_secret.as_deref(), Some("sealed-2"));
    assert_eq!(record.pending_totp_secret, None);
    assert_eq!(record.totp_device_name.as_deref(), Some("phone"));
    assert!(record.totp_enabled && !record.totp_preferred);
    assert_eq!(record.last_totp_step, 10);
    // The verifying step and earlier ones are spent; of 20 concurrent takes of a later one,
    // exactly one wins.
    assert!(!store.use_totp_step(&alice.sub, 10, NOW).await.unwrap());
    assert!(!store.use_totp_step(&alice.sub, 9, NOW).await.unwrap());
    let takes =
        futures_util::future::join_all((0..20).map(|_| store.use_totp_step(&alice.sub, 11, NOW)))
            .await;
    assert_eq!(
        takes.into_iter().filter(|t| *t.as_ref().unwrap()).count(),
        1
    );
    // A new association waits beside the verified secret without replacing it.
    store
        .put_pending_totp(&alice.sub, "sealed-3", NOW)
        .await
        .unwrap();
    let record = store.mfa_of(&alice.sub).await.unwrap().unwrap();
    assert_eq!(record.totp_secret.as_deref(), Some("sealed-2"));
    assert_eq!(record.pending_totp_secret.as_deref(), Some("sealed-3"));
    assert!(
        store
            .set_totp_preference(&alice.sub, None, Some(true), NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .set_totp_preference(&alice.sub, Some(false), Some(false), NOW)
            .await
            .unwrap()
    );
    let record = store.mfa_of(&alice.sub).await.unwrap().unwrap();
    assert!(!record.totp_enabled && !record.totp_preferred);
    // Deleting the user deletes the row.
    store.delete_user(&alice.sub).await.unwrap();
    assert_eq!(store.mfa_of(&alice.sub).await.unwrap(), None);
}

async fn an_operator_puts_a_verified_totp_secret_and_removes_every_factor(backend: Db) {
    let (store, _db, _pool, _client, alice) = populated(backend).await;
    assert!(
        !store.remove_mfa(&alice.sub).await.unwrap(),
        "nothing to remove"
    );
    // Put without any association: verified, enabled, no code used yet.
    store
        .put_verified_totp(&alice.sub, "sealed-1", NOW)
        .await
        .unwrap();
    let record = store.mfa_of(&alice.sub).await.unwrap().unwrap();
    assert_eq!(record.totp_secret.as_deref(), Some("sealed-1"));
    assert!(record.totp_enabled && !record.totp_preferred);
    assert_eq!(record.last_totp_step, 0);
    assert!(store.use_totp_step(&alice.sub, 7, NOW).await.unwrap());
    // Over an app with a pending association and a preference: the secret, the pending one,
    // the device name and the used steps are replaced; the preference is kept.
    store
        .put_pending_totp(&alice.sub, "sealed-2", NOW)
        .await
        .unwrap();
    assert!(
        store
            .activate_totp(&alice.sub, "sealed-2", 9, Some("phone"), NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .set_totp_preference(&alice.sub, None, Some(true), NOW)
            .await
            .unwrap()
    );
    store
        .put_pending_totp(&alice.sub, "sealed-3", NOW)
        .await
        .unwrap();
    store
        .put_verified_totp(&alice.sub, "sealed-4", NOW)
        .await
        .unwrap();
    let record = store.mfa_of(&alice.sub).await.unwrap().unwrap();
    assert_eq!(record.totp_secret.as_deref(), Some("sealed-4"));
    assert_eq!(record.pending_totp_secret, None);
    assert_eq!(record.totp_device_name, None);
    assert!(record.totp_enabled && record.totp_preferred);
    assert_eq!(record.last_totp_step, 0);
    // Removing forgets everything, once.
    assert!(store.remove_mfa(&alice.sub).await.unwrap());
    assert_eq!(store.mfa_of(&alice.sub).await.unwrap(), None);
    assert!(!store.remove_mfa(&alice.sub).await.unwrap());
    assert!(!store.use_totp_step(&alice.sub, 8, NOW).await.unwrap());
}

async fn sent_codes_replace_each_other_and_are_spent_once(backend: Db) {
    let (store, _db, _pool, _client, alice) = populated(backend).await;
    // A preference makes the row; flags not given keep their value.
    store
        .set_otp_preference(&alice.sub, OtpFactor::Email, Some(true), None, NOW)
        .await
        .unwrap();
    store
        .set_otp_preference(&alice.sub, OtpFactor::Sms, None, Some(true), NOW)
        .await
        .unwrap();
    let record = store.mfa_of(&alice.sub).await.unwrap().unwrap();
    assert!(record.email_enabled && !record.email_preferred);
    assert!(!record.sms_enabled && record.sms_preferred);
    assert!(record.totp_secret.is_none() && !record.totp_enabled);
    store
        .set_otp_preference(&alice.sub, OtpFactor::Email, None, Some(true), NOW)
        .await
        .unwrap();
    let record = store.mfa_of(&alice.sub).await.unwrap().unwrap();
    assert!(record.email_enabled && record.email_preferred);
    // A second code replaces the first; a code is for its factor, until it expires, once.
    store
        .put_otp_code(&alice.sub, OtpFactor::Email, "hash-1", NOW + 180, NOW)
        .await
        .unwrap();
    store
        .put_otp_code(&alice.sub, OtpFactor::Email, "hash-2", NOW + 180, NOW)
        .await
        .unwrap();
    let used = |factor, hash: &'static str, at| store.use_otp_code(&alice.sub, factor, hash, at);
    assert!(!used(OtpFactor::Email, "hash-1", NOW).await.unwrap());
    assert!(!used(OtpFactor::Sms, "hash-2", NOW).await.unwrap());
    assert!(!used(OtpFactor::Email, "hash-2", NOW + 180).await.unwrap());
    let takes = futures_util::future::join_all(
        (0..20).map(|_| store.use_otp_code(&alice.sub, OtpFactor::Email, "hash-2", NOW)),
    )
    .await;
    assert_eq!(
        takes.into_iter().filter(|t| *t.as_ref().unwrap()).count(),
        1
    );
    assert!(!used(OtpFactor::Email, "hash-2", NOW).await.unwrap());
    store.delete_user(&alice.sub).await.unwrap();
    assert_eq!(store.mfa_of(&alice.sub).await.unwrap(), None);
}

fn branding(pool: &UserPool, key: &str, css: Option<&str>, at: i64) -> UiCustomizationRecord {
    UiCustomizationRecord {
        pool_id: pool.id.clone(),
        client_key: key.into(),
        css: css.map(str::to_owned),
        image: Some("iVBORw0KGgo=".into()),
        image_type: Some("png".into()),
        created_at: at,
        updated_at: at,
    }
}

async fn ui_customizations_are_kept_per_key_replaced_whole_and_gone_with_the_pool(backend: Db) {
    let (store, _db, pool, client, _) = populated(backend).await;
    assert_eq!(store.ui_customization(&pool.id, "ALL").await.unwrap(), None);

    let all = branding(&pool, "ALL", Some(".banner-customizable{padding:0}"), NOW);
    assert_eq!(store.put_ui_customization(&all).await.unwrap(), all);
    let own = branding(&pool, client.id.as_str(), None, NOW + 1);
    store.put_ui_customization(&own).await.unwrap();
    assert_eq!(
        store.ui_customization(&pool.id, "ALL").await.unwrap(),
        Some(all.clone())
    );
    assert_eq!(
        store
            .ui_customization(&pool.id, client.id.as_str())
            .await
            .unwrap(),
        Some(own)
    );

    // A replacement takes every field but the creation time, which stays the first one.
    let mut replaced = branding(&pool, "ALL", None, NOW + 60);
    replaced.image = None;
    replaced.image_type = None;
    let stored = store.put_ui_customization(&replaced).await.unwrap();
    assert_eq!(stored.created_at, NOW);
    assert_eq!(stored.updated_at, NOW + 60);
    assert_eq!(
        (stored.css, stored.image, stored.image_type),
        (None, None, None)
    );
    assert_eq!(
        store
            .ui_customization(&pool.id, "ALL")
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        NOW + 60
    );

    // Concurrent settings of one key leave one of them whole.
    let writes = (0..20).map(|i| {
        let store = store.clone();
        let record = branding(
            &pool,
            "ALL",
            Some(&format!(".banner-customizable{{padding:{i}px}}")),
            NOW + 100 + i,
        );
        async move { store.put_ui_customization(&record).await.unwrap() }
    });
    futures_util::future::join_all(writes).await;
    let last = store
        .ui_customization(&pool.id, "ALL")
        .await
        .unwrap()
        .unwrap();
    let i = last.updated_at - NOW - 100;
    assert_eq!(
        last.css,
        Some(format!(".banner-customizable{{padding:{i}px}}"))
    );
    assert_eq!(last.created_at, NOW);

    // A client's branding goes with the client; the pool's stays.
    let extra = AppClient {
        id: ClientId::generate(),
        is_default: false,
        ..client.clone()
    };
    store.create_client(&extra).await.unwrap();
    store
        .put_ui_customization(&branding(&pool, extra.id.as_str(), None, NOW))
        .await
        .unwrap();
    assert!(store.delete_client(&pool.id, &extra.id).await.unwrap());
    assert_eq!(
        store
            .ui_customization(&pool.id, extra.id.as_str())
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .ui_customization(&pool.id, "ALL")
            .await
            .unwrap()
            .is_some()
    );

    assert!(store.delete_pool(&pool.id).await.unwrap());
    assert_eq!(store.ui_customization(&pool.id, "ALL").await.unwrap(), None);
    assert_eq!(
        store
            .ui_customization(&pool.id, client.id.as_str())
            .await
            .unwrap(),
        None
    );
}
