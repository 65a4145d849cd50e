//! The `gatehouse` binary's operator commands, run as a user would run them.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::on_both_backends;
use crate::support::{Db, TestDatabase};

on_both_backends!(
    operator_commands_manage_pools_and_users,
    a_newer_schema_is_refused,
    require_reset_ends_every_session_of_the_user,
    bad_settings_stop_every_command_naming_the_variable,
);

/// Runs the binary in a scratch directory with only the given settings.
pub struct Cli {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Cli {
    pub fn new(database: &TestDatabase) -> Self {
        Self::for_url(&database.url)
    }

    /// For a database the test runs itself (a throwaway Postgres cluster).
    pub fn for_url(url: &str) -> Self {
        let env = vec![
            ("GATEHOUSE_DATABASE_URL".into(), url.to_owned()),
            ("GATEHOUSE_ARGON2_MEMORY_KIB".into(), "256".into()),
            ("GATEHOUSE_ARGON2_ITERATIONS".into(), "1".into()),
            (
                "GATEHOUSE_ALLOW_WEAK_PASSWORD_HASHING".into(),
                "true".into(),
            ),
            ("GATEHOUSE_PEPPER".into(), "cli-test-pepper-secret".into()),
            (
                "GATEHOUSE_KEY_ENCRYPTION_KEY".into(),
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into(),
            ),
        ];
        Self {
            dir: tempfile::tempdir().unwrap(),
            env,
        }
    }

    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(self.dir.path());
        command
    }

    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn ok(&self, args: &[&str], stdin: &str) -> String {
        let output = self.run(args, stdin);
        assert!(
            output.status.success(),
            "gatehouse {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    pub fn fails(&self, args: &[&str], stdin: &str) -> String {
        let output = self.run(args, stdin);
        assert!(!output.status.success(), "gatehouse {args:?} should fail");
        String::from_utf8(output.stderr).unwrap()
    }
}

async fn operator_commands_manage_pools_and_users(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let cli = Cli::new(&database);

    // The newest migration carried, whichever it is (versions may have gaps while
    // migrations numbered in parallel land).
    let latest = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            name.strip_prefix('V')?
                .split_once("__")?
                .0
                .parse::<u32>()
                .ok()
        })
        .max()
        .unwrap();
    assert!(
        cli.ok(&["migrate"], "")
            .contains(&format!("schema at version {latest}"))
    );
    let created: Value =
        serde_json::from_str(&cli.ok(&["pool", "create", "initech", "--json"], "")).unwrap();
    let pool_id = created["UserPoolId"].as_str().unwrap();
    let (region, suffix) = pool_id.split_once('_').unwrap();
    assert_eq!(region, "us-east-1");
    assert_eq!(suffix.len(), 9);
    assert_eq!(created["ClientId"].as_str().unwrap().len(), 26);
    assert!(
        cli.fails(&["pool", "create", "initech"], "")
            .contains("already exists")
    );

    let out = cli.ok(
        &[
            "user",
            "create",
            "--pool",
            "initech",
            "dave",
            "--email",
            "dave@example.com",
            "--attribute",
            "custom:team=red",
        ],
        "Dave-Password-1\n",
    );
    assert!(out.contains("CONFIRMED"), "{out}");
    assert!(
        cli.fails(&["user", "create", "--pool", "initech", "erin"], "")
            .contains("standard input")
    );
    assert!(
        cli.fails(&["user", "create", "--pool", "initech", "erin"], "weak\n")
            .contains("password policy")
    );
    assert!(
        cli.fails(
            &["user", "create", "--pool", "initech", "DAVE"],
            "Dave-Password-1\n"
        )
        .contains("already exists")
    );
    cli.ok(
        &[
            "user",
            "create",
            "--pool",
            "initech",
            "frank",
            "--temporary",
        ],
        "Frank-Temp-Pass-1\n",
    );

    let users: Value =
        serde_json::from_str(&cli.ok(&["user", "list", "--pool", "initech", "--json"], ""))
            .unwrap();
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["Username"], "dave");
    assert_eq!(users[0]["Attributes"]["custom:team"], "red");
    assert_eq!(users[1]["UserStatus"], "FORCE_CHANGE_PASSWORD");

    assert!(
        cli.fails(
            &["user", "confirmation-code", "--pool", "initech", "dave"],
            ""
        )
        .contains("no pending confirmation code")
    );
    cli.ok(&["user", "disable", "--pool", "initech", "dave"], "");
    let users: Value =
        serde_json::from_str(&cli.ok(&["user", "list", "--pool", "initech", "--json"], ""))
            .unwrap();
    assert_eq!(users[0]["Enabled"], false);
    cli.ok(&["user", "enable", "--pool", "initech", "dave"], "");
    cli.ok(
        &["user", "set-password", "--pool", "initech", "dave"],
        "Dave-Password-2\n",
    );
    cli.ok(&["user", "require-reset", "--pool", "initech", "dave"], "");
    let users: Value =
        serde_json::from_str(&cli.ok(&["user", "list", "--pool", "initech", "--json"], ""))
            .unwrap();
    assert_eq!(users[0]["UserStatus"], "RESET_REQUIRED");
    cli.ok(&["user", "delete", "--pool", "initech", "frank"], "");
    assert!(
        cli.fails(&["user", "delete", "--pool", "initech", "frank"], "")
            .contains("does not exist")
    );
    assert!(
        cli.fails(&["user", "list", "--pool", "nosuch"], "")
            .contains("does not exist")
    );

    let keys: Value =
        serde_json::from_str(&cli.ok(&["keys", "list", "--pool", "initech", "--json"], ""))
            .unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 2);
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .all(|k| k["State"] == "active")
    );
    let rotated: Value =
        serde_json::from_str(&cli.ok(&["keys", "rotate", "--pool", "initech", "--json"], ""))
            .unwrap();
    let mut states: Vec<&str> = rotated
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["State"].as_str().unwrap())
        .collect();
    states.sort_unstable();
    assert_eq!(states, ["active", "active", "pending", "pending"]);
    assert!(
        cli.ok(&["keys", "list", "--pool", "initech"], "")
            .contains("pending")
    );

    let updated: Value = serde_json::from_str(&cli.ok(
        &[
            "client",
            "update",
            "--pool",
            "initech",
            "--access-token-validity",
            "600",
            "--refresh-grace",
            "5",
        ],
        "",
    ))
    .unwrap();
    assert_eq!(updated["AccessTokenValiditySeconds"], 600);
    assert_eq!(updated["RefreshTokenGraceSeconds"], 5);
    assert!(
        cli.fails(
            &[
                "client",
                "update",
                "--pool",
                "initech",
                "--refresh-grace",
                "61"
            ],
            ""
        )
        .contains("0-60")
    );
    assert!(
        cli.fails(
            &[
                "client",
                "update",
                "--pool",
                "initech",
                "--id-token-validity",
                "10"
            ],
            ""
        )
        .contains("5 minutes")
    );
    let clients: Value =
        serde_json::from_str(&cli.ok(&["client", "list", "--pool", "initech", "--json"], ""))
            .unwrap();
    assert_eq!(clients[0]["AccessTokenValiditySeconds"], 600);

    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/seed.json");
    assert!(cli.ok(&["seed", seed], "").contains("2 tenants created"));
    let again = cli.ok(&["seed", seed], "");
    assert!(
        again.contains("0 tenants created, 0 clients created, 0 users created, 0 users updated"),
        "{again}"
    );
    let pools: Value = serde_json::from_str(&cli.ok(&["pool", "list", "--json"], "")).unwrap();
    let names: Vec<&str> = pools
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["TenantName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acme", "globex", "initech"]);
    let shown: Value =
        serde_json::from_str(&cli.ok(&["pool", "show", "initech", "--json"], "")).unwrap();
    assert_eq!(shown["UserPoolId"], pool_id);
    assert_eq!(shown["Settings"]["PasswordPolicy"]["MinimumLength"], 8);

    // Scripts written when the group was called `tenant` keep working: `tenant` and
    // `--tenant` are aliases that answer exactly as `pool` and `--pool` do.
    assert_eq!(
        cli.ok(&["tenant", "list", "--json"], ""),
        cli.ok(&["pool", "list", "--json"], "")
    );
    assert_eq!(
        cli.ok(&["tenant", "show", "initech", "--json"], ""),
        cli.ok(&["pool", "show", "initech", "--json"], "")
    );
    assert_eq!(
        cli.ok(&["user", "list", "--tenant", "initech", "--json"], ""),
        cli.ok(&["user", "list", "--pool", "initech", "--json"], "")
    );
    assert!(
        cli.fails(&["tenant", "create", "initech"], "")
            .contains("already exists")
    );
    let help = cli.ok(&["--help"], "");
    assert!(
        help.contains("pool") && help.contains("[alias: tenant]"),
        "{help}"
    );
}

/// `gatehouse user require-reset` is asked for when a password may be known to someone else,
/// who may hold a session made with it: like AdminResetUserPassword, it ends them all.
async fn require_reset_ends_every_session_of_the_user(backend: Db) {
    use base64::Engine;

    use crate::helpers::{PASSWORD, TEST_PEPPER, TestApp, assert_error, field};

    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    app.create_user(&pool, "bob", false).await;
    let alice = app.sign_in("acme", "alice", PASSWORD).await;
    let bob = app.sign_in("acme", "bob", PASSWORD).await;
    // The operator's command runs against the server's database, with its secrets.
    let cli = Cli {
        dir: tempfile::tempdir().unwrap(),
        env: vec![
            ("GATEHOUSE_DATABASE_URL".into(), app.database_url()),
            ("GATEHOUSE_PEPPER".into(), TEST_PEPPER.into()),
            (
                "GATEHOUSE_KEY_ENCRYPTION_KEY".into(),
                base64::engine::general_purpose::STANDARD.encode([42u8; 32]),
            ),
            ("GATEHOUSE_ARGON2_MEMORY_KIB".into(), "256".into()),
            ("GATEHOUSE_ARGON2_ITERATIONS".into(), "1".into()),
            (
                "GATEHOUSE_ALLOW_WEAK_PASSWORD_HASHING".into(),
                "true".into(),
            ),
        ],
    };
    cli.ok(&["user", "require-reset", "--pool", "acme", "alice"], "");

    assert_error(
        app.refresh(&field(&alice, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        "",
    )
    .await;
    assert_error(
        app.user_info(&field(&alice, "AccessToken")).await,
        401,
        "NotAuthorizedException",
        "",
    )
    .await;
    // The reset is required before the next sign-in.
    let login = app.login("acme", "alice", PASSWORD).await;
    assert_ne!(login.status(), 200);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["__type"], "PasswordResetRequiredException", "{body}");
    // Only alice's sessions.
    assert_eq!(
        app.user_info(&field(&bob, "AccessToken")).await.status(),
        200
    );
    assert_eq!(
        app.refresh(&field(&bob, "RefreshToken")).await.status(),
        200
    );
    app.stop().await;
}

async fn a_newer_schema_is_refused(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let cli = Cli::new(&database);
    cli.ok(&["migrate"], "");
    // A later Gatehouse migrated this database.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&database.url).await.unwrap();
    sqlx::query(
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) \
         VALUES (99, 'from_the_future', '2030-01-01T00:00:00Z', '1')",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let error = cli.fails(&["migrate"], "");
    assert!(
        error.contains("version 99, newer than this Gatehouse binary"),
        "{error}"
    );
    let error = cli.fails(&["pool", "list"], "");
    assert!(
        error.contains("newer than this Gatehouse binary"),
        "{error}"
    );
}

/// A command that fails prints what failed and every cause behind it, down to the
/// operating system's words, not only the outermost label.
#[test]
fn a_failing_command_prints_every_cause() {
    let scratch = tempfile::tempdir().unwrap();
    let missing = scratch
        .path()
        .join("no-such-directory")
        .join("gatehouse.db");
    let cli = Cli::for_url(&format!("sqlite://{}", missing.display()));
    let error = cli.fails(&["migrate"], "");
    assert_eq!(
        error.lines().last().unwrap(),
        format!(
            "gatehouse: cannot open the database: database unavailable: cannot create the \
             database file {}: No such file or directory (os error 2)",
            missing.display()
        )
    );
}

/// A setting that cannot be used stops the command before it touches the database, and the
/// message names the variable; `migrate` needs no keys, so only the database settings matter
/// to it.
async fn bad_settings_stop_every_command_naming_the_variable(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let with = |variable: &str, value: &str| {
        let mut cli = Cli::new(&database);
        cli.env.retain(|(k, _)| k != variable);
        cli.env.push((variable.into(), value.into()));
        cli
    };
    for (variable, value, says) in [
        (
            "GATEHOUSE_REQUEST_BODY_TIMEOUT_SECONDS",
            "0",
            "must be 1-300 seconds (got 0)",
        ),
        (
            "GATEHOUSE_TRUSTED_PROXIES",
            "proxy.internal",
            "\"proxy.internal\" is not an address",
        ),
        (
            "GATEHOUSE_PUBLIC_URL",
            "id.example.com",
            "must be an http:// or https:// URL",
        ),
        (
            "GATEHOUSE_KEY_ENCRYPTION_KEY",
            "too-short",
            "32 bytes, base64",
        ),
        ("GATEHOUSE_HASH_WORKERS", "0", "must be at least 1"),
        ("GATEHOUSE_LOG", "gatehouse=loud", "is not a log filter"),
    ] {
        let cli = with(variable, value);
        let error = cli.fails(&["pool", "list"], "");
        assert!(
            error.contains(&format!("{variable}: ")) && error.contains(says),
            "{variable}={value}: {error}"
        );
        assert!(
            !error.contains("too-short"),
            "a secret's value is not repeated: {error}"
        );
    }
    // A value clap cannot even parse is refused by clap, naming the flag.
    let error = with("GATEHOUSE_DB_MAX_CONNECTIONS", "many").fails(&["pool", "list"], "");
    assert!(error.contains("--db-max-connections"), "{error}");

    // Migrating needs the database settings only: a broken key setting does not stop it,
    // and the next command that needs the key is stopped by it.
    let cli = with("GATEHOUSE_RETIRED_PEPPERS", "no-colon");
    assert!(cli.ok(&["migrate"], "").contains("schema at version"));
    let error = cli.fails(&["pool", "list"], "");
    assert!(
        error.contains("GATEHOUSE_RETIRED_PEPPERS: entries must be id:secret"),
        "{error}"
    );
    assert!(
        with("GATEHOUSE_DATABASE_URL", "mysql://db/app")
            .fails(&["migrate"], "")
            .contains("GATEHOUSE_DATABASE_URL: ")
    );
}
