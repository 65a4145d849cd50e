//! Two replicas of the real binary over one Postgres database: whatever one replica does,
//! the other sees, because everything that must agree lives in the database.

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, Row};

use crate::cli::Cli;
use crate::helpers::{ADMIN_KEY_ID, ADMIN_SECRET, field, jwt_part};
use crate::hostile_input::sigv4_headers;
use crate::server_process::ServerProcess;
use crate::support::{Db, TestDatabase, postgres_server};

const PASSWORD: &str = "Replica-Test-Pw-1";

struct Replicas {
    a: ServerProcess,
    b: ServerProcess,
    http: reqwest::Client,
}

impl Replicas {
    async fn post(&self, replica: &ServerProcess, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(replica.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn login(
        &self,
        replica: &ServerProcess,
        tenant: &str,
        user: &str,
        pw: &str,
    ) -> (u16, Value) {
        self.post(
            replica,
            "/Login",
            json!({"UserName": user, "TenantName": tenant, "Password": pw}),
        )
        .await
    }

    async fn signed_in(&self, replica: &ServerProcess, tenant: &str, user: &str) -> Value {
        let (status, body) = self.login(replica, tenant, user, PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        body["cognitoToken"]["AuthenticationResult"].clone()
    }

    async fn refresh(&self, replica: &ServerProcess, token: &str) -> (u16, Value) {
        self.post(replica, "/RefreshToken", json!({"RefreshToken": token}))
            .await
    }

    /// A Cognito API call; SigV4-signed with the test admin key when `signed`.
    async fn cognito(
        &self,
        replica: &ServerProcess,
        operation: &str,
        body: Value,
        signed: bool,
    ) -> (u16, Value) {
        let url = replica.url("/");
        let target = format!("AWSCognitoIdentityProviderService.{operation}");
        let content_type = "application/x-amz-json-1.1";
        let body = body.to_string().into_bytes();
        let mut request = self
            .http
            .post(&url)
            .header("content-type", content_type)
            .header("x-amz-target", &target);
        if signed {
            // The replicas are real processes on the system clock: the signature is dated by it.
            #[allow(
                clippy::disallowed_methods,
                reason = "the servers under test read the wall clock"
            )]
            let now = std::time::SystemTime::now();
            let host = url
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned();
            for (name, value) in sigv4_headers(&url, &host, content_type, &target, &body, now) {
                request = request.header(name, value);
            }
        }
        let response = request.body(body).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn user_info(&self, replica: &ServerProcess, access_token: &str) -> u16 {
        self.http
            .get(replica.url("/oauth2/userInfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn jwks(&self, replica: &ServerProcess, pool_id: &str) -> jsonwebtoken::jwk::JwkSet {
        self.http
            .get(replica.url(&format!("/{pool_id}/.well-known/jwks.json")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_sessions_lockouts_keys_and_migrations() {
    if postgres_server().is_none() {
        eprintln!(
            "replicas: GATEHOUSE_TEST_DATABASE_URL is not set; the two-replica test needs Postgres and was skipped"
        );
        return;
    }
    let database = TestDatabase::create(Db::Postgres).await.unwrap();
    let cli = Cli::new(&database);
    let mut db = PgConnection::connect(&database.url).await.unwrap();

    // Both start on an empty database at the same moment; each migrates at start-up.
    // Replicas share one public URL (issuers must match), as behind a load balancer.
    let replica_settings = [
        ("GATEHOUSE_SIGN_IN_RATE_PER_IP", "0"),
        ("GATEHOUSE_PUBLIC_URL", "http://gatehouse.test"),
    ];
    let (a, b) = (
        ServerProcess::spawn(&cli, &replica_settings),
        ServerProcess::spawn(&cli, &replica_settings),
    );
    let (a, b) = tokio::join!(a.listening(), b.listening());
    let history = sqlx::query(
        "SELECT version, COUNT(*) AS applied FROM refinery_schema_history GROUP BY version",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert!(!history.is_empty());
    for row in &history {
        assert_eq!(
            row.get::<i64, _>("applied"),
            1,
            "each migration applied once"
        );
    }
    assert_eq!(
        a.logged("database migrated") + b.logged("database migrated"),
        1,
        "exactly one replica migrated:\n{}\n{}",
        a.log_text(),
        b.log_text()
    );
    let replicas = Replicas {
        a,
        b,
        http: crate::helpers::http_client(),
    };
    for replica in [&replicas.a, &replicas.b] {
        let ready: Value = replicas
            .http
            .get(replica.url("/health/ready"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ready["status"], "ok");
    }

    let seed = cli.dir.path().join("seed.json");
    std::fs::write(
        &seed,
        json!({"Pools": [
            {"Name": "acme", "Users": [
                {"Username": "alice", "Password": PASSWORD},
                {"Username": "mallory", "Password": PASSWORD}
            ]},
            {"Name": "keys", "Users": [{"Username": "kim", "Password": PASSWORD}]}
        ]})
        .to_string(),
    )
    .unwrap();
    cli.ok(&["seed", seed.to_str().unwrap()], "");

    sessions_cross_replicas(&replicas).await;
    lockout_counts_across_replicas(&replicas, &mut db).await;
    rotated_keys_reach_the_other_replica(&replicas, &cli, &mut db).await;
}

/// Sign in on A, refresh on B; sign out on B, refused on A.
async fn sessions_cross_replicas(replicas: &Replicas) {
    let (a, b) = (&replicas.a, &replicas.b);
    let first = replicas.signed_in(a, "acme", "alice").await;
    let (status, body) = replicas.refresh(b, &field(&first, "RefreshToken")).await;
    assert_eq!(status, 200, "A's refresh token works on B: {body}");
    let second = body["cognitoToken"]["AuthenticationResult"].clone();
    let (status, body) = replicas.refresh(a, &field(&second, "RefreshToken")).await;
    assert_eq!(status, 200, "B's rotated token works on A: {body}");
    let third = body["cognitoToken"]["AuthenticationResult"].clone();
    assert_eq!(
        replicas.user_info(b, &field(&third, "AccessToken")).await,
        200
    );

    let (status, _) = replicas
        .post(
            b,
            "/Logout",
            json!({"RefreshToken": field(&third, "RefreshToken")}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = replicas.refresh(a, &field(&third, "RefreshToken")).await;
    assert_eq!(status, 401, "signed out on B, refused on A: {body}");
    assert_eq!(body["__type"], "NotAuthorizedException");
    assert_eq!(
        replicas.user_info(a, &field(&third, "AccessToken")).await,
        401,
        "the session's access token is refused on A too"
    );
}

/// Wrong guesses alternate between the replicas; the count is shared, so the lock starts at
/// the threshold, and both replicas refuse even the right password while it lasts.
async fn lockout_counts_across_replicas(replicas: &Replicas, db: &mut PgConnection) {
    let (a, b) = (&replicas.a, &replicas.b);
    let failures = async |db: &mut PgConnection| -> (i64, Option<i64>) {
        let row = sqlx::query(
            "SELECT failure_count, locked_until FROM login_failures WHERE username_key = 'mallory'",
        )
        .fetch_one(db)
        .await
        .unwrap();
        (row.get("failure_count"), row.get("locked_until"))
    };
    // Cognito's policy: five failures free, then a lock of 2^(n-5) seconds.
    for guess in 1..=5 {
        let replica = if guess % 2 == 1 { a } else { b };
        let (status, body) = replicas
            .login(replica, "acme", "mallory", "Wrong-Guess-Pw-9")
            .await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["message"], "Incorrect username or password.");
        let (count, locked_until) = failures(db).await;
        assert_eq!(count, guess, "failures counted on both replicas");
        assert_eq!(
            locked_until.is_some(),
            guess == 5,
            "locked at the threshold"
        );
    }
    // The first lock lasts one second, too short to observe without racing the clock; keep
    // guessing (alternating) until the lock has grown to four seconds, then try the right
    // password on both replicas well inside it.
    let mut guess = 0;
    let started = std::time::Instant::now();
    loop {
        let (count, _) = failures(db).await;
        if count >= 7 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "lock never grew"
        );
        let replica = if guess % 2 == 0 { b } else { a };
        guess += 1;
        let (status, body) = replicas
            .login(replica, "acme", "mallory", "Wrong-Guess-Pw-9")
            .await;
        assert_eq!(status, 401, "{body}");
        if body["message"] == "Password attempts exceeded" {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for replica in [a, b] {
        let (status, body) = replicas.login(replica, "acme", "mallory", PASSWORD).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["message"], "Password attempts exceeded");
    }
}

/// `gatehouse keys rotate` next to A publishes a pending key; B serves it in its JWKS at
/// once, and signs with it once it is due.
async fn rotated_keys_reach_the_other_replica(
    replicas: &Replicas,
    cli: &Cli,
    db: &mut PgConnection,
) {
    let (a, b) = (&replicas.a, &replicas.b);
    // A signs first, creating the pool's active keys. B has neither signed nor served keys
    // for this pool, so nothing B could have cached stands between the database and the test.
    let before = replicas.signed_in(a, "keys", "kim").await;
    let old_kid = jwt_part(&field(&before, "AccessToken"), 0)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated: Value =
        serde_json::from_str(&cli.ok(&["keys", "rotate", "--pool", "keys", "--json"], "")).unwrap();
    let pending: Vec<String> = rotated
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["State"] == "pending")
        .map(|k| k["Kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(pending.len(), 2, "an ID and an access key: {rotated}");
    let pool_id = jwt_part(&field(&before, "AccessToken"), 1)["iss"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();

    let published = replicas.jwks(b, &pool_id).await;
    let kids: Vec<String> = published
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect();
    for kid in pending.iter().chain([&old_kid]) {
        assert!(kids.contains(kid), "B publishes {kid}: {kids:?}");
    }

    // The activation delay (above the JWKS max-age, so minutes) passes: move the pending
    // keys' activation time into the past rather than wait for it. Serving the JWKS just
    // now made B note which key is active; it asks the database again within
    // ACTIVE_KEY_CACHE_SECONDS (30 s), so B switches to the new key within that.
    sqlx::query(
        "UPDATE signing_keys SET activates_at = activates_at - 86400 WHERE state = 'pending'",
    )
    .execute(&mut *db)
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let (after, new_kid) = loop {
        let tokens = replicas.signed_in(b, "keys", "kim").await;
        let kid = jwt_part(&field(&tokens, "AccessToken"), 0)["kid"]
            .as_str()
            .unwrap()
            .to_owned();
        if kid != old_kid {
            break (tokens, kid);
        }
        assert!(
            started.elapsed() < Duration::from_secs(45),
            "B still signs with the old key after 45 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(pending.contains(&new_kid), "B signs with the rotated key");
    let new_kid = new_kid.as_str();

    // A relying party holding A's JWKS verifies what B signed.
    let a_keys = replicas.jwks(a, &pool_id).await;
    let jwk = a_keys
        .find(new_kid)
        .expect("A publishes the key B signs with");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(
        &field(&after, "AccessToken"),
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .expect("B's token verifies against A's JWKS");
}

/// Two replicas, each running its delivery worker against one outbox and one SMTP server:
/// every message is delivered, and none twice, because a message is leased by one
/// conditional update before it is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_deliver_each_message_exactly_once() {
    const MESSAGES: usize = 40;
    if postgres_server().is_none() {
        eprintln!("replicas: GATEHOUSE_TEST_DATABASE_URL is not set; skipped");
        return;
    }
    let port = crate::outbox::free_port();
    let Some(sink) = crate::outbox::SmtpSink::start(port).await else {
        return;
    };
    let database = TestDatabase::create(Db::Postgres).await.unwrap();
    let cli = Cli::new(&database);
    let mut db = PgConnection::connect(&database.url).await.unwrap();
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let replica_settings = [
        ("GATEHOUSE_SIGN_UP_RATE_PER_IP", "0"),
        ("GATEHOUSE_PUBLIC_URL", "http://gatehouse.test"),
        ("GATEHOUSE_SMTP_URL", smtp_url.as_str()),
        // Both workers look every 10 ms, so they contend for the same messages.
        ("GATEHOUSE_OUTBOX_INTERVAL_MS", "10"),
    ];
    let (a, b) = (
        ServerProcess::spawn(&cli, &replica_settings),
        ServerProcess::spawn(&cli, &replica_settings),
    );
    let (a, b) = tokio::join!(a.listening(), b.listening());
    let seed = cli.dir.path().join("seed.json");
    std::fs::write(
        &seed,
        json!({"Pools": [{"Name": "mail",
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": false}}]})
        .to_string(),
    )
    .unwrap();
    cli.ok(&["seed", seed.to_str().unwrap()], "");
    let client_id: String = sqlx::query("SELECT id FROM app_clients")
        .fetch_one(&mut db)
        .await
        .unwrap()
        .get("id");

    let http = crate::helpers::http_client();
    let sign_ups = (0..MESSAGES).map(|n| {
        let replica = if n % 2 == 0 { &a } else { &b };
        let request = http
            .post(replica.url("/"))
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("X-Amz-Target", "AWSCognitoIdentityProviderService.SignUp")
            .body(
                json!({"ClientId": client_id, "Username": format!("user{n}"),
                       "Password": PASSWORD,
                       "UserAttributes": [{"Name": "email", "Value": format!("user{n}@example.com")}]})
                .to_string(),
            );
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(sign_ups).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    // Poll the database until every message is marked sent.
    let started = std::time::Instant::now();
    loop {
        let sent: i64 = sqlx::query("SELECT COUNT(*) AS sent FROM outbox WHERE state = 'sent'")
            .fetch_one(&mut db)
            .await
            .unwrap()
            .get("sent");
        if sent == MESSAGES as i64 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "only {sent} of {MESSAGES} sent:\n{}\n{}",
            a.log_text(),
            b.log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A message is marked sent only after the SMTP server took it, so by now every send
    // has happened: each recipient got exactly one.
    let received = sink.messages();
    let mut recipients: Vec<String> = received
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().unwrap().to_owned())
        .collect();
    recipients.sort();
    let total = recipients.len();
    recipients.dedup();
    assert_eq!(total, MESSAGES, "each message delivered exactly once");
    assert_eq!(recipients.len(), MESSAGES);
    let attempts: i64 = sqlx::query("SELECT SUM(attempts)::BIGINT AS attempts FROM outbox")
        .fetch_one(&mut db)
        .await
        .unwrap()
        .get("attempts");
    assert_eq!(attempts, MESSAGES as i64, "no message was attempted twice");
    // Each replica logs what it sent (the log is read as it is written: wait for it).
    crate::server_process::eventually(
        "the replicas to log their sends",
        Duration::from_secs(10),
        || a.logged("message sent") + b.logged("message sent") == MESSAGES,
    )
    .await;
    let (by_a, by_b) = (a.logged("message sent"), b.logged("message sent"));
    eprintln!("replicas: A sent {by_a}, B sent {by_b} of {MESSAGES} messages");
}

/// What a refresh decides on is read with the token, in the statement that finds it, on
/// every refresh: nothing a replica keeps in memory stands between a change made through
/// another replica and the very next refresh. Client settings (token lifetimes, flows),
/// a disabled user and a revoked session, each changed through A's API, count on B at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_refresh_on_one_replica_honours_changes_made_on_the_other() {
    if postgres_server().is_none() {
        eprintln!(
            "replicas: GATEHOUSE_TEST_DATABASE_URL is not set; the two-replica test needs Postgres and was skipped"
        );
        return;
    }
    let database = TestDatabase::create(Db::Postgres).await.unwrap();
    let cli = Cli::new(&database);
    cli.ok(&["migrate"], "");
    let pool_id = "us-east-1_ReplicaChanges";
    let client_id = "replicaclient0000000000001";
    let seed = cli.dir.path().join("seed.json");
    std::fs::write(
        &seed,
        json!({"Pools": [{"Name": "acme", "PoolId": pool_id, "ClientId": client_id, "Users": [
            {"Username": "alice", "Password": PASSWORD},
            {"Username": "bob", "Password": PASSWORD},
            {"Username": "carol", "Password": PASSWORD}
        ]}]})
        .to_string(),
    )
    .unwrap();
    cli.ok(&["seed", seed.to_str().unwrap()], "");
    let settings = [
        ("GATEHOUSE_SIGN_IN_RATE_PER_IP", "0"),
        ("GATEHOUSE_PUBLIC_URL", "http://gatehouse.test"),
        ("GATEHOUSE_ADMIN_ACCESS_KEY_ID", ADMIN_KEY_ID),
        ("GATEHOUSE_ADMIN_SECRET_ACCESS_KEY", ADMIN_SECRET),
    ];
    let (a, b) = tokio::join!(
        ServerProcess::spawn(&cli, &settings).listening(),
        ServerProcess::spawn(&cli, &settings).listening()
    );
    let replicas = Replicas {
        a,
        b,
        http: crate::helpers::http_client(),
    };
    let (a, b) = (&replicas.a, &replicas.b);
    let lifetime = |result: &Value| {
        let claims = jwt_part(&field(result, "AccessToken"), 1);
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()
    };
    let refresh_token_auth = async |replica: &ServerProcess, token: &str| {
        replicas
            .cognito(
                replica,
                "InitiateAuth",
                json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client_id,
                       "AuthParameters": {"REFRESH_TOKEN": token}}),
                false,
            )
            .await
    };
    let update_client = async |body: Value| {
        let mut body = body;
        body["UserPoolId"] = json!(pool_id);
        body["ClientId"] = json!(client_id);
        let (status, answer) = replicas
            .cognito(a, "UpdateUserPoolClient", body, true)
            .await;
        assert_eq!(status, 200, "updated through A: {answer}");
    };

    // Both replicas refresh alice's session first, so whatever either could have kept of
    // the client is there before the changes.
    let signed_in = replicas.signed_in(a, "acme", "alice").await;
    let (status, body) = replicas
        .refresh(b, &field(&signed_in, "RefreshToken"))
        .await;
    assert_eq!(status, 200, "{body}");
    let on_b = body["cognitoToken"]["AuthenticationResult"].clone();
    assert_eq!(
        lifetime(&on_b),
        3600,
        "Cognito's default access token lifetime"
    );
    let (status, body) = refresh_token_auth(a, &field(&on_b, "RefreshToken")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = refresh_token_auth(b, &field(&on_b, "RefreshToken")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(lifetime(&body["AuthenticationResult"]), 3600);

    // A shortens the client's access tokens: B's next refresh, of either kind, issues them.
    update_client(json!({
        "AccessTokenValidity": 5,
        "TokenValidityUnits": {"AccessToken": "minutes"},
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    }))
    .await;
    let (status, body) = refresh_token_auth(b, &field(&on_b, "RefreshToken")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(lifetime(&body["AuthenticationResult"]), 300, "{body}");
    assert_eq!(body["AuthenticationResult"]["ExpiresIn"], 300);
    let (status, body) = replicas.refresh(b, &field(&on_b, "RefreshToken")).await;
    assert_eq!(status, 200, "{body}");
    let rotated = body["cognitoToken"]["AuthenticationResult"].clone();
    assert_eq!(lifetime(&rotated), 300, "{body}");

    // A takes REFRESH_TOKEN_AUTH away from the client: B refuses it on the next request.
    update_client(json!({"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]})).await;
    let (status, body) = refresh_token_auth(b, &field(&rotated, "RefreshToken")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["__type"], "InvalidParameterException");
    assert_eq!(
        body["message"],
        "REFRESH_TOKEN_AUTH flow not enabled for this client"
    );
    // The lifetimes went back to Cognito's defaults with that update (an update replaces
    // what it leaves out): B's next refresh says so too.
    let (status, body) = replicas.refresh(b, &field(&rotated, "RefreshToken")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        lifetime(&body["cognitoToken"]["AuthenticationResult"]),
        3600
    );

    // A disables bob: B refuses his next refresh.
    let bob = replicas.signed_in(b, "acme", "bob").await;
    let (status, body) = replicas
        .cognito(
            a,
            "AdminDisableUser",
            json!({"UserPoolId": pool_id, "Username": "bob"}),
            true,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = replicas.refresh(b, &field(&bob, "RefreshToken")).await;
    assert_eq!(status, 401, "disabled on A, refused on B: {body}");
    assert_eq!(body["__type"], "NotAuthorizedException");

    // carol signs out on A: B refuses her refresh token, of either kind, at once.
    let carol = replicas.signed_in(b, "acme", "carol").await;
    let (status, body) = replicas.refresh(b, &field(&carol, "RefreshToken")).await;
    assert_eq!(status, 200, "{body}");
    let carol = body["cognitoToken"]["AuthenticationResult"].clone();
    let (status, _) = replicas
        .post(
            a,
            "/Logout",
            json!({"RefreshToken": field(&carol, "RefreshToken")}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = replicas.refresh(b, &field(&carol, "RefreshToken")).await;
    assert_eq!(status, 401, "signed out on A, refused on B: {body}");
    assert_eq!(body["__type"], "NotAuthorizedException");
}
