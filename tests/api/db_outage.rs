//! Database outages against a real, throwaway Postgres cluster (never the shared one): the
//! server fails closed with 503 while the database is down, never hangs, never hands out a
//! token whose session did not commit, and recovers by itself when the database returns.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gatehouse::app::App;
use gatehouse::auth::Services;
use gatehouse::domain::clock::{Clock, FakeClock, SystemClock};
use gatehouse::domain::pool::{PoolName, PoolSettings, UserPool};
use gatehouse::manage::clients::ClientChanges;
use gatehouse::manage::pools::FixedIds;
use serde_json::{Value, json};
use sqlx::{Connection, Executor, PgConnection};

use crate::cli::Cli;
use crate::helpers::{PASSWORD, test_settings};
use crate::logs::Server;

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
/// The longest any request may take, outage or not; beyond it the request counts as hung.
const REQUEST_BOUND: Duration = Duration::from_secs(10);
/// How soon after Postgres is back the service must work again (docs/security.md, "Database outages").
const RECOVERY_BOUND: Duration = Duration::from_secs(30);

/// A Postgres cluster of our own in a temporary directory, on a free port.
struct ThrowawayPostgres {
    dir: tempfile::TempDir,
    port: u16,
    /// `runuser -u postgres --` when we are root (Postgres refuses to run as root).
    run_as: Vec<String>,
}

impl ThrowawayPostgres {
    /// None, with a message, when the Postgres 15 binaries are not installed.
    fn create() -> Option<Self> {
        if !Path::new(PG_BIN).join("pg_ctl").exists() {
            eprintln!(
                "\n*** {PG_BIN}/pg_ctl not found: the database outage test was SKIPPED \
                 (install postgresql-15 to run it) ***\n"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let run_as = if root {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown the cluster directory to postgres");
            ["runuser", "-u", "postgres", "--"]
                .map(str::to_owned)
                .to_vec()
        } else {
            Vec::new()
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Self { dir, port, run_as };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        cluster.start();
        Some(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn log_file(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = format!("{PG_BIN}/{tool}");
        let mut command = match self.run_as.split_first() {
            Some((first, rest)) => {
                let mut command = Command::new(first);
                command.args(rest).arg(&program);
                command
            }
            None => Command::new(&program),
        };
        let output = command.args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.log_file().display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// `fast` rolls back open transactions and closes connections; `immediate` kills every
    /// server process at once, as a crash would.
    fn stop(&self, mode: &str) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", mode, "-w", "-t", "60", "stop"],
        );
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let program = format!("{PG_BIN}/pg_ctl");
        let mut command = match self.run_as.split_first() {
            Some((first, rest)) => {
                let mut command = Command::new(first);
                command.args(rest).arg(&program);
                command
            }
            None => Command::new(&program),
        };
        let _ = command
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// One response as a client saw it.
#[derive(Debug, Clone)]
struct Observed {
    what: &'static str,
    status: u16,
    elapsed: Duration,
}

struct Outage {
    address: String,
    http: reqwest::Client,
    services: Services,
    pool: UserPool,
    server: actix_web::dev::ServerHandle,
    seen: Mutex<Vec<Observed>>,
}

impl Outage {
    async fn send(&self, what: &'static str, request: reqwest::RequestBuilder) -> (u16, Value) {
        let started = Instant::now();
        let response = request.timeout(REQUEST_BOUND).send().await;
        let elapsed = started.elapsed();
        let (status, body) = match response {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.json().await.unwrap_or(Value::Null))
            }
            // A timeout or a refused connection: recorded as 0 and failed below.
            Err(error) => {
                eprintln!("{what}: no answer within {REQUEST_BOUND:?}: {error}");
                (0, Value::Null)
            }
        };
        self.seen.lock().unwrap().push(Observed {
            what,
            status,
            elapsed,
        });
        (status, body)
    }

    async fn login(&self, username: &str) -> (u16, Value) {
        let body = json!({"UserName": username, "TenantName": "outage", "Password": PASSWORD});
        self.send(
            "login",
            self.http
                .post(format!("{}/Login", self.address))
                .json(&body),
        )
        .await
    }

    async fn refresh(&self, token: &str) -> (u16, Value) {
        self.send(
            "refresh",
            self.http
                .post(format!("{}/RefreshToken", self.address))
                .json(&json!({"RefreshToken": token})),
        )
        .await
    }

    async fn get(&self, what: &'static str, path: &str) -> u16 {
        self.send(what, self.http.get(format!("{}{path}", self.address)))
            .await
            .0
    }

    async fn ready(&self) -> u16 {
        self.get("ready", "/health/ready").await
    }

    fn jwks_path(&self) -> String {
        format!("/{}/.well-known/jwks.json", self.pool.id)
    }
}

/// Polls until `condition` holds; panics with `what` after `deadline`.
async fn wait_for<F, Fut>(what: &str, deadline: Duration, mut condition: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if condition().await {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < deadline,
            "{what}: not within {deadline:?}"
        );
        // Polling, not timing: a short pause so the poll does not spin a core.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A client that signs in once and then keeps refreshing, holding the newest refresh token
/// it has been given. Every token it holds must still work once the database is back.
#[derive(Default)]
struct Chain {
    refresh_token: Option<String>,
    access_token: Option<String>,
    successes: usize,
    unavailable: usize,
}

async fn drive(
    outage: Arc<Outage>,
    username: String,
    chain: Arc<Mutex<Chain>>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::SeqCst) {
        let held = chain.lock().unwrap().refresh_token.clone();
        let (status, body) = match &held {
            None => outage.login(&username).await,
            Some(token) => outage.refresh(token).await,
        };
        let mut chain = chain.lock().unwrap();
        match status {
            200 => {
                let result = &body["cognitoToken"]["AuthenticationResult"];
                chain.refresh_token = Some(result["RefreshToken"].as_str().unwrap().to_owned());
                chain.access_token = Some(result["AccessToken"].as_str().unwrap().to_owned());
                chain.successes += 1;
            }
            503 => chain.unavailable += 1,
            // Anything else is recorded and failed at the end.
            _ => {}
        }
    }
}

const CHAINS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outages_fail_closed_and_recover() {
    let Some(postgres) = ThrowawayPostgres::create() else {
        return;
    };
    let mut settings = test_settings(&postgres.url());
    settings.server.housekeeping_interval_seconds = 0;
    settings.database.db_max_connections = 8;
    // A frozen clock: every exchange happens "at once", so the grace window below covers
    // a rotation that committed while its reply was lost to the outage.
    let clock = Arc::new(FakeClock::new(SystemClock.now()));
    let app = App::build_with_clock(settings, clock.clone())
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let services = app.services().clone();
    let server = app.handle();
    tokio::spawn(app.run_until_stopped());

    let (pool, client) = services
        .create_pool(
            &PoolName::parse("outage").unwrap(),
            PoolSettings::default(),
            FixedIds::default(),
        )
        .await
        .unwrap();
    // The documented remedy for a reply lost after a commit: the client may present its
    // previous refresh token once more (docs/security.md, "Measures": refresh-token reuse).
    services
        .update_client(
            &client,
            &ClientChanges {
                refresh_grace_seconds: Some(60),
                ..ClientChanges::default()
            },
        )
        .await
        .unwrap();
    let outage = Arc::new(Outage {
        address,
        http: crate::helpers::http_client(),
        services,
        pool,
        server,
        seen: Mutex::new(Vec::new()),
    });
    for n in 0..CHAINS {
        create_user(&outage, &format!("user{n}")).await;
    }
    create_user(&outage, "victim").await;
    create_user(&outage, "deadlocked").await;
    assert_eq!(outage.ready().await, 200);
    assert_eq!(outage.get("jwks", &outage.jwks_path()).await, 200);

    let stop = Arc::new(AtomicBool::new(false));
    let chains: Vec<_> = (0..CHAINS)
        .map(|_| Arc::new(Mutex::new(Chain::default())))
        .collect();
    let drivers: Vec<_> = chains
        .iter()
        .enumerate()
        .map(|(n, chain)| {
            tokio::spawn(drive(
                outage.clone(),
                format!("user{n}"),
                chain.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let all_chains = |predicate: fn(&Chain) -> bool| {
        let chains = chains.clone();
        move || {
            let holds = chains.iter().all(|c| predicate(&c.lock().unwrap()));
            async move { holds }
        }
    };
    wait_for(
        "every client signs in and refreshes",
        Duration::from_secs(60),
        all_chains(|c| c.successes >= 3),
    )
    .await;

    connection_resets_are_retried_unseen(&outage, &postgres, &chains).await;

    let o = &*outage;
    for mode in ["fast", "immediate"] {
        // Each outage in a grace window of its own: a session gets one re-exchange per
        // window, and a chain may lose an answer in every outage.
        clock.advance(61);
        postgres.stop(mode);
        let unavailable_before: Vec<usize> = chains
            .iter()
            .map(|c| c.lock().unwrap().unavailable)
            .collect();
        wait_for(
            &format!("readiness fails ({mode})"),
            Duration::from_secs(15),
            || async move { o.ready().await == 503 },
        )
        .await;
        assert_eq!(outage.get("live", "/health/live").await, 200);
        assert_fails_closed(&outage).await;
        let before = unavailable_before.clone();
        let chains_now = chains.clone();
        wait_for(
            &format!("every client meets the outage ({mode})"),
            Duration::from_secs(60),
            move || {
                let met = chains_now
                    .iter()
                    .zip(&before)
                    .all(|(c, b)| c.lock().unwrap().unavailable > *b);
                async move { met }
            },
        )
        .await;

        postgres.start();
        let back = Instant::now();
        let successes_before: Vec<usize> =
            chains.iter().map(|c| c.lock().unwrap().successes).collect();
        wait_for(
            &format!("readiness recovers ({mode})"),
            RECOVERY_BOUND,
            || async move { o.ready().await == 200 },
        )
        .await;
        let chains_now = chains.clone();
        wait_for(
            &format!("every client succeeds again ({mode})"),
            RECOVERY_BOUND,
            move || {
                let recovered = chains_now
                    .iter()
                    .zip(&successes_before)
                    .all(|(c, b)| c.lock().unwrap().successes > *b);
                async move { recovered }
            },
        )
        .await;
        let recovered_in = back.elapsed();
        assert!(
            recovered_in < RECOVERY_BOUND,
            "{mode}: recovered in {recovered_in:?}"
        );
        assert_eq!(outage.get("jwks", &outage.jwks_path()).await, 200);
        eprintln!(
            "outage ({mode} stop): service recovered {recovered_in:?} after Postgres started"
        );
    }

    stop.store(true, Ordering::SeqCst);
    for driver in drivers {
        driver.await.unwrap();
    }

    // Every token a client was given works now: its newest refresh token refreshes, and
    // its newest access token is accepted.
    for chain in &chains {
        let (refresh, access) = {
            let chain = chain.lock().unwrap();
            (
                chain.refresh_token.clone().unwrap(),
                chain.access_token.clone().unwrap(),
            )
        };
        let (status, body) = outage.refresh(&refresh).await;
        assert_eq!(
            status, 200,
            "a refresh token handed out around an outage: {body}"
        );
        let user_info = outage
            .http
            .get(format!("{}/oauth2/userInfo", outage.address))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        assert_eq!(user_info.status(), 200);
    }

    a_deadlock_victim_is_retried(&outage, &postgres).await;
    killed_between_minting_and_commit(&outage, &postgres).await;

    let seen = outage.seen.lock().unwrap().clone();
    let slowest = seen.iter().map(|o| o.elapsed).max().unwrap_or_default();
    let unavailable = seen.iter().filter(|o| o.status == 503).count();
    eprintln!(
        "outage: {} requests, {unavailable} answered 503, slowest answer {slowest:?}",
        seen.len()
    );
    let unexpected: Vec<_> = seen
        .iter()
        .filter(|o| !(o.status == 200 || o.status == 503 || (o.what == "wrong" && o.status == 401)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "only 200 and 503 expected: {unexpected:?}"
    );
    assert!(slowest < REQUEST_BOUND, "slowest answer {slowest:?}");
    outage.server.stop(true).await;
}

async fn create_user(outage: &Outage, username: &str) {
    outage
        .services
        .create_user(
            &outage.pool,
            gatehouse::manage::users::NewUser {
                username: gatehouse::domain::username::Username::parse(username).unwrap(),
                password: gatehouse::domain::secret::secret(PASSWORD),
                temporary: false,
                attributes: gatehouse::domain::attributes::UserAttributes::default(),
                enabled: true,
            },
        )
        .await
        .unwrap();
}

/// Postgres terminates every connection of the server, again and again, while clients
/// sign in and refresh: the store retries on a new connection, and no client notices.
async fn connection_resets_are_retried_unseen(
    outage: &Outage,
    postgres: &ThrowawayPostgres,
    chains: &[Arc<Mutex<Chain>>],
) {
    let first = outage.seen.lock().unwrap().len();
    let mut admin = PgConnection::connect(&postgres.url()).await.unwrap();
    let mut terminated = 0;
    for _ in 0..5 {
        let successes: Vec<usize> = chains.iter().map(|c| c.lock().unwrap().successes).collect();
        terminated += sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE pid <> pg_backend_pid() AND backend_type = 'client backend') AS killed",
        )
        .fetch_one(&mut admin)
        .await
        .unwrap();
        let chains = chains.to_vec();
        wait_for(
            "every client succeeds after its connection was reset",
            Duration::from_secs(30),
            move || {
                let again = chains
                    .iter()
                    .zip(&successes)
                    .all(|(c, before)| c.lock().unwrap().successes > *before);
                async move { again }
            },
        )
        .await;
    }
    assert!(terminated > 0, "connections were reset");
    let seen = outage.seen.lock().unwrap();
    let failed: Vec<_> = seen[first..].iter().filter(|o| o.status != 200).collect();
    assert!(
        failed.is_empty(),
        "a retry on a new connection hides a reset: {failed:?}"
    );
    eprintln!(
        "connection resets: {terminated} server connections terminated under {} requests, all answered 200",
        seen.len() - first
    );
}

/// With the database down: each API's 503 shape, with Retry-After, promptly.
async fn assert_fails_closed(outage: &Outage) {
    let started = Instant::now();
    let response = outage
        .http
        .post(format!("{}/Login", outage.address))
        .json(&json!({"UserName": "user0", "TenantName": "outage", "Password": PASSWORD}))
        .timeout(REQUEST_BOUND)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], "ServiceUnavailableException", "{body}");

    let response = outage
        .http
        .post(format!("{}/", outage.address))
        .header("Content-Type", "application/x-amz-json-1.1")
        .header(
            "X-Amz-Target",
            "AWSCognitoIdentityProviderService.InitiateAuth",
        )
        .body(
            json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "a".repeat(26),
                   "AuthParameters": {"USERNAME": "user0", "PASSWORD": PASSWORD}})
            .to_string(),
        )
        .timeout(REQUEST_BOUND)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "InternalErrorException:"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], "InternalErrorException", "{body}");
    assert!(started.elapsed() < REQUEST_BOUND);
}

/// Locks `username`'s failure row in an open transaction and starts a correct sign-in,
/// which stores its session and then waits for that row. Returns the holding connection
/// and the pending sign-in.
async fn stall_a_sign_in(
    outage: &Outage,
    postgres: &ThrowawayPostgres,
    username: &'static str,
) -> (
    PgConnection,
    tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
) {
    // One wrong password leaves a failure row, which a successful sign-in deletes in the
    // same transaction that stores its session.
    let (status, _) = outage
        .send(
            "wrong",
            outage.http.post(format!("{}/Login", outage.address)).json(
                &json!({"UserName": username, "TenantName": "outage", "Password": "Wrong-Password-1"}),
            ),
        )
        .await;
    assert_eq!(status, 401);
    let mut holder = PgConnection::connect(&postgres.url()).await.unwrap();
    holder.execute("BEGIN").await.unwrap();
    // KEY SHARE: the sign-in's lockout reservation (an upsert changing no key column) passes,
    // and the DELETE that goes with its session waits.
    holder
        .execute(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM login_failures WHERE username_key = '{username}' FOR KEY SHARE"
        )))
        .await
        .unwrap();
    let signing_in = {
        let http = outage.http.clone();
        let url = format!("{}/Login", outage.address);
        tokio::spawn(async move {
            http.post(url)
                .json(&json!({"UserName": username, "TenantName": "outage", "Password": PASSWORD}))
                .timeout(REQUEST_BOUND * 2)
                .send()
                .await
        })
    };
    let url = postgres.url();
    wait_for(
        "the sign-in waits on the lock, tokens minted",
        Duration::from_secs(20),
        || async {
            let mut observer = PgConnection::connect(&url).await.unwrap();
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                 AND query LIKE 'DELETE FROM login_failures%'",
            )
            .fetch_one(&mut observer)
            .await
            .unwrap();
            waiting == 1
        },
    )
    .await;
    (holder, signing_in)
}

async fn deadlocks(postgres: &ThrowawayPostgres) -> i64 {
    let mut observer = PgConnection::connect(&postgres.url()).await.unwrap();
    sqlx::query_scalar("SELECT deadlocks FROM pg_stat_database WHERE datname = 'postgres'")
        .fetch_one(&mut observer)
        .await
        .unwrap()
}

/// A real deadlock (40P01): the sign-in's transaction holds a key-share lock on its user
/// row (its new session references it) and waits for the failure row we hold; we then ask
/// for the user row. Postgres aborts the sign-in's transaction, which waited first; the
/// store runs it again and the client never knows.
async fn a_deadlock_victim_is_retried(outage: &Outage, postgres: &ThrowawayPostgres) {
    let before = deadlocks(postgres).await;
    let (mut holder, signing_in) = stall_a_sign_in(outage, postgres, "deadlocked").await;
    holder
        .execute("SELECT * FROM users WHERE username_key = 'deadlocked' FOR UPDATE")
        .await
        .expect("the sign-in, not the test, is the deadlock victim");
    holder.execute("COMMIT").await.unwrap();
    let response = signing_in.await.unwrap().unwrap();
    assert_eq!(response.status(), 200, "a deadlock victim is retried");
    let body: Value = response.json().await.unwrap();
    let refresh = body["cognitoToken"]["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(outage.refresh(&refresh).await.0, 200);
    wait_for(
        "Postgres counts the deadlock",
        Duration::from_secs(15),
        || async { deadlocks(postgres).await > before },
    )
    .await;
    eprintln!("deadlock: the sign-in was the victim, retried, and answered 200");
}

/// docs/security.md, "Database outages": the database dies after the tokens are minted and before the session
/// commits. A test connection holds a lock the sign-in's transaction needs, so the
/// sign-in waits right there; then Postgres is killed.
async fn killed_between_minting_and_commit(outage: &Outage, postgres: &ThrowawayPostgres) {
    let (holder, signing_in) = stall_a_sign_in(outage, postgres, "victim").await;
    postgres.stop("immediate");
    drop(holder);

    let response = signing_in.await.unwrap().unwrap();
    assert_eq!(response.status(), 503, "the client gets an error");
    let body: Value = response.json().await.unwrap();
    assert!(
        body.get("cognitoToken").is_none() && body["__type"] == "ServiceUnavailableException",
        "no token: {body}"
    );

    postgres.start();
    wait_for(
        "readiness recovers after the kill",
        RECOVERY_BOUND,
        || async move { outage.ready().await == 200 },
    )
    .await;
    // Nothing half-written survived: the victim has no session at all, and the failure
    // row the sign-in would have cleared is still there.
    let mut check = PgConnection::connect(&postgres.url()).await.unwrap();
    let sessions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sessions s JOIN users u ON u.sub = s.user_sub \
         WHERE u.username_key = 'victim'",
    )
    .fetch_one(&mut check)
    .await
    .unwrap();
    assert_eq!(sessions, 0, "no session committed for the killed sign-in");
    let failures: i64 = sqlx::query_scalar(
        "SELECT failure_count FROM login_failures WHERE username_key = 'victim'",
    )
    .fetch_one(&mut check)
    .await
    .unwrap();
    // The wrong password, and the killed sign-in's lockout reservation: an attempt that
    // never finished stays counted.
    assert_eq!(failures, 2);
    // And the user can sign in normally now.
    assert_eq!(outage.login("victim").await.0, 200);
}

/// A failure the client cannot see is logged with everything behind it: the real binary,
/// its database stopped, answers 503 with a fixed message, and its log has one error
/// event for the request whose `cause` runs from the use case down to the driver's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_logged_once_with_its_chain_of_causes() {
    let Some(postgres) = ThrowawayPostgres::create() else {
        return;
    };
    let cli = Cli::for_url(&postgres.url());
    let seed = cli.dir.path().join("seed.json");
    std::fs::write(
        &seed,
        json!({"Pools": [{"Name": "acme", "Users": [
            {"Username": "alice", "Password": PASSWORD}
        ]}]})
        .to_string(),
    )
    .unwrap();
    let server = Server::start(&cli, &seed);
    let http = crate::helpers::http_client();
    let login = || {
        http.post(format!("{}/Login", server.address))
            .json(&json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD}))
            .timeout(REQUEST_BOUND)
            .send()
    };
    assert_eq!(login().await.unwrap().status(), 200);

    postgres.stop("immediate");
    let refused = login().await.unwrap();
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["__type"], "ServiceUnavailableException");
    assert_eq!(body["message"], "Service unavailable, try again shortly");

    let log = server.stop();
    let events: Vec<Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["fields"]["message"] == "database unavailable")
        .collect();
    assert_eq!(events.len(), 1, "logged once for the one request: {log}");
    let event = &events[0];
    assert_eq!(event["level"], "ERROR");
    let cause = event["fields"]["cause"].as_str().unwrap();
    // The use case's label, the store's, the operation that failed (the sign-in's first
    // read), then the driver's own words.
    let store_label =
        "service unavailable: database unavailable: pool_by_login_name failed (attempts: ";
    assert!(cause.starts_with(store_label), "{cause}");
    let (_, driver) = cause[store_label.len()..].split_once("): ").unwrap();
    assert!(
        [
            "pool timed out",
            "error communicating with database",
            "Connection refused"
        ]
        .iter()
        .any(|words| driver.contains(words)),
        "the driver's own words end the chain: {cause}"
    );
    // Nothing of it reached the client.
    assert!(!body.to_string().contains("database"), "{body}");
}
