//! `TestApp`: the server under test, with one helper per endpoint.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use gatehouse::app::App;
use gatehouse::auth::Services;
use gatehouse::config::{IssuerStyleSetting, Settings};
use gatehouse::domain::app_client::AppClient;
use gatehouse::domain::attributes::UserAttributes;
use gatehouse::domain::clock::{Clock, FakeClock, SystemClock};
use gatehouse::domain::pool::{PoolName, PoolSettings, UserPool};
use gatehouse::domain::secret::secret;
use gatehouse::domain::username::{Username, UsernameKey};
use gatehouse::manage::pools::FixedIds;
use gatehouse::manage::users::NewUser;
use serde_json::{Value, json};

use crate::support::{Db, TestDatabase};

pub const PASSWORD: &str = "Correct-Horse-9";

pub struct TestApp {
    pub address: String,
    database_url: String,
    pub client: reqwest::Client,
    pub services: Services,
    pub clock: Arc<FakeClock>,
    server: actix_web::dev::ServerHandle,
    _database: TestDatabase,
}

#[derive(Default)]
pub struct Options {
    pub aws_issuer: bool,
    pub key_rotation_days: u32,
    /// Header and body timeouts (slow-client tests shorten them); None keeps the defaults.
    pub request_timeout_seconds: Option<u64>,
    /// Password hashing: Argon2 memory (KiB) and passes, workers, queue, and the wait for a
    /// place in a full queue (ms). None keeps the suite's cheap defaults.
    pub hashing: Option<Hashing>,
    /// GATEHOUSE_SMTP_URL: mail leaves the outbox through this server (the delivery worker
    /// then runs every 50 ms of real time; its backoff follows the fake clock).
    pub smtp_url: Option<String>,
    /// GATEHOUSE_DEV_OUTBOX.
    pub dev_outbox: bool,
    /// GATEHOUSE_LAMBDA_ENDPOINT, GATEHOUSE_LAMBDA_FUNCTION_URLS, GATEHOUSE_LAMBDA_TIMEOUT_MS
    /// and GATEHOUSE_LAMBDA_CONCURRENCY.
    pub lambda_endpoint: Option<String>,
    pub lambda_function_urls: Option<String>,
    pub lambda_timeout_ms: Option<u64>,
    pub lambda_concurrency: Option<usize>,
    /// GATEHOUSE_LAMBDA_ACCESS_KEY_ID and GATEHOUSE_LAMBDA_SECRET_ACCESS_KEY.
    pub lambda_keys: Option<(String, String)>,
}

#[derive(Clone, Copy)]
pub struct Hashing {
    pub memory_kib: u32,
    pub iterations: u32,
    pub workers: usize,
    pub queue: usize,
    pub max_wait_ms: u64,
}

/// Settings every test server uses: cheap Argon2 (the production cost is measured by the
/// benchmark, not paid by every test), a pepper, and an explicit key-encryption key.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::with_database(database_url);
    settings.server.bind = "127.0.0.1:0".into();
    settings.crypto.argon2_memory_kib = 256;
    settings.crypto.argon2_iterations = 1;
    settings.crypto.allow_weak_password_hashing = true;
    settings.crypto.pepper = Some(secret(TEST_PEPPER));
    settings.crypto.key_encryption_key = Some(secret(STANDARD.encode([42u8; 32])));
    settings.server.http_workers = Some(2);
    settings.limits.hash_workers = Some(2);
    // Suites sign in hundreds of times from one address; the limit has its own test.
    settings.limits.sign_in_rate_per_ip = 0;
    settings.limits.sign_up_rate_per_ip = 0;
    settings.admin.admin_access_key_id = Some(ADMIN_KEY_ID.into());
    settings.admin.admin_secret_access_key = Some(secret(ADMIN_SECRET));
    settings
}

/// The pepper test servers use (id "1").
pub const TEST_PEPPER: &str = "test-pepper-value-for-the-suite";

/// The SigV4 key pair test servers accept for admin operations.
pub const ADMIN_KEY_ID: &str = "AKIDGATEHOUSETEST";
pub const ADMIN_SECRET: &str = "test/admin+secret/key";

impl TestApp {
    pub async fn spawn(backend: Db) -> Self {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Db, options: Options) -> Self {
        let database = TestDatabase::create(backend)
            .await
            .expect("a test database for this backend");
        let mut settings = test_settings(&database.url);
        if options.aws_issuer {
            settings.server.issuer_style = IssuerStyleSetting::Aws;
        }
        settings.crypto.key_rotation_days = options.key_rotation_days;
        if let Some(seconds) = options.request_timeout_seconds {
            settings.limits.request_header_timeout_seconds = seconds;
            settings.limits.request_body_timeout_seconds = seconds;
        }
        if let Some(hashing) = options.hashing {
            settings.crypto.argon2_memory_kib = hashing.memory_kib;
            settings.crypto.argon2_iterations = hashing.iterations;
            settings.limits.hash_workers = Some(hashing.workers);
            settings.limits.hash_queue = hashing.queue;
            settings.limits.hash_max_wait_ms = hashing.max_wait_ms;
        }
        if let Some(url) = &options.smtp_url {
            settings.mail.smtp_url = Some(secret(url));
            settings.mail.outbox_interval_ms = 50;
        }
        settings.mail.dev_outbox = options.dev_outbox;
        settings.triggers.lambda_endpoint = options.lambda_endpoint;
        settings.triggers.lambda_function_urls = options.lambda_function_urls;
        if let Some(timeout) = options.lambda_timeout_ms {
            settings.triggers.lambda_timeout_ms = timeout;
        }
        if let Some(concurrency) = options.lambda_concurrency {
            settings.triggers.lambda_concurrency = concurrency;
        }
        if let Some((key_id, key)) = options.lambda_keys {
            settings.triggers.lambda_access_key_id = Some(key_id);
            settings.triggers.lambda_secret_access_key = Some(secret(&key));
        }
        // Tests run housekeeping themselves, against the fake clock.
        settings.server.housekeeping_interval_seconds = 0;
        // Start at the real time so independent verifiers accept exp/iat; tests move it on.
        let clock = Arc::new(FakeClock::new(SystemClock.now()));
        let app = App::build_with_clock(settings, clock.clone())
            .await
            .expect("server starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let services = app.services().clone();
        let server = app.handle();
        tokio::spawn(app.run_until_handle_stops());
        Self {
            address,
            database_url: database.url.clone(),
            client: http_client(),
            services,
            clock,
            server,
            _database: database,
        }
    }

    /// The running server, to stop it while keeping this app's database and services.
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.clone()
    }

    pub async fn stop(self) {
        self.server.stop(true).await;
    }

    pub async fn create_pool(&self, name: &str) -> (UserPool, AppClient) {
        self.services
            .create_pool(
                &PoolName::parse(name).unwrap(),
                PoolSettings::default(),
                FixedIds::default(),
            )
            .await
            .unwrap()
    }

    /// Lets anyone `SignUp` to the pool (pools are created with self-registration off).
    pub async fn allow_self_sign_up(&self, pool: &UserPool) -> UserPool {
        let mut pool = pool.clone();
        pool.settings
            .admin_create_user_config
            .allow_admin_create_user_only = false;
        self.services
            .replace_pool_settings(&pool, pool.settings.clone())
            .await
            .unwrap();
        pool
    }

    pub async fn create_user(&self, pool: &UserPool, username: &str, temporary: bool) {
        self.create_user_with(pool, username, PASSWORD, temporary, &[])
            .await;
    }

    pub async fn create_user_with(
        &self,
        pool: &UserPool,
        username: &str,
        password: &str,
        temporary: bool,
        attributes: &[(&str, &str)],
    ) {
        self.services
            .create_user(
                pool,
                NewUser {
                    username: Username::parse(username).unwrap(),
                    password: secret(password),
                    temporary,
                    attributes: UserAttributes::parse(
                        attributes
                            .iter()
                            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                            .collect(),
                    )
                    .unwrap(),
                    enabled: true,
                },
            )
            .await
            .unwrap();
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.post_raw(path, "application/json", body.to_string())
            .await
    }

    pub async fn login(&self, tenant: &str, username: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/Login",
            &json!({"UserName": username, "TenantName": tenant, "Password": password}),
        )
        .await
    }

    /// Signs in and returns the `AuthenticationResult`.
    pub async fn sign_in(&self, tenant: &str, username: &str, password: &str) -> Value {
        let response = self.login(tenant, username, password).await;
        assert_eq!(response.status(), 200, "sign-in of {username} failed");
        let body: Value = response.json().await.unwrap();
        body["cognitoToken"]["AuthenticationResult"].clone()
    }

    pub async fn respond_to_challenge(&self, body: &Value) -> reqwest::Response {
        self.post_json("/RespondToAuthChallenge", body).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.post_json("/RefreshToken", &json!({"RefreshToken": refresh_token}))
            .await
    }

    pub async fn logout(&self, refresh_token: &str) -> reqwest::Response {
        self.post_json("/Logout", &json!({"RefreshToken": refresh_token}))
            .await
    }

    pub async fn with_bearer(
        &self,
        path: &str,
        access_token: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let request = match body {
            Some(body) => self
                .client
                .post(format!("{}{path}", self.address))
                .header("Content-Type", "application/json")
                .body(body.to_string()),
            None => self.client.post(format!("{}{path}", self.address)),
        };
        request
            .header("Authorization", format!("Bearer {access_token}"))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn global_sign_out(&self, access_token: &str) -> reqwest::Response {
        self.with_bearer("/GlobalSignOut", access_token, None).await
    }

    pub async fn change_password(
        &self,
        access_token: &str,
        previous: &str,
        proposed: &str,
    ) -> reqwest::Response {
        let body = json!({"PreviousPassword": previous, "ProposedPassword": proposed});
        self.with_bearer("/ChangePassword", access_token, Some(&body))
            .await
    }

    pub async fn user_info(&self, access_token: &str) -> reqwest::Response {
        self.client
            .get(format!("{}/oauth2/userInfo", self.address))
            .header("Authorization", format!("Bearer {access_token}"))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }

    /// The database this server runs on, for starting another server over it.
    pub fn database_url(&self) -> String {
        self.database_url.clone()
    }

    pub fn clock_now(&self) -> i64 {
        self.clock.now()
    }

    pub fn jwks_url(&self, pool: &UserPool) -> String {
        format!("{}/{}/.well-known/jwks.json", self.address, pool.id)
    }
}

/// Asserts an error response: status, `__type`, message, and the envelope's headers.
/// The HTTP client every test uses. Its pooled connections go idle for at most 2 s, under the
/// server's 5 s keep-alive: a connection the server is closing is never picked for the next
/// request (which would fail with an incomplete message on a loaded machine).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("the test HTTP client builds")
}

/// Runs a real client (a Python, Node or shell script) to its end off the async runtime, and
/// asserts it exited cleanly having printed `passed`, the line it prints once every check
/// held. Its standard output, for further checks.
pub async fn run_client(mut command: std::process::Command, passed: &'static str) -> String {
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && stdout.contains(passed),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

pub async fn assert_error(response: reqwest::Response, status: u16, type_: &str, message: &str) {
    assert_eq!(response.status(), status);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-amzn-errortype"], format!("{type_}:").as_str());
    assert!(headers.contains_key("x-amzn-requestid"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], type_, "{body}");
    if !message.is_empty() {
        assert_eq!(body["message"], message, "{body}");
    }
    assert_eq!(
        body.as_object().unwrap().len(),
        2,
        "only __type and message: {body}"
    );
}

/// A response as a client sees it, minus what differs between any two responses (the request
/// id and the date): for asserting that two answers are byte-identical.
pub async fn comparable(response: reqwest::Response) -> (u16, Vec<(String, String)>, String) {
    let status = response.status().as_u16();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "x-amzn-requestid" | "date"))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    headers.sort();
    (status, headers, response.text().await.unwrap())
}

/// Decodes a JWT segment without verifying (the independent verifiers do that).
pub fn jwt_part(token: &str, index: usize) -> Value {
    let segment = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

/// A field of an `AuthenticationResult` as a string.
pub fn field(result: &Value, name: &str) -> String {
    result[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {result}"))
        .to_owned()
}

/// The test Python (`GATEHOUSE_TEST_PYTHON`, set by ./scripts/test) if it can import
/// `modules`. Outside CI a missing client skips the test with a message; in CI it fails it.
pub fn python_with(modules: &str) -> Option<String> {
    let python = std::env::var("GATEHOUSE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let available = std::process::Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var("CI").is_err(),
            "CI must provide the Python packages {modules}: run ./scripts/test"
        );
        eprintln!("Python packages {modules} not available: test skipped (run ./scripts/test)");
        return None;
    }
    Some(python)
}

/// The store's key of a lower-case username, to read the store directly.
pub fn username_key(name: &str) -> UsernameKey {
    UsernameKey::from_stored(name.to_owned())
}
