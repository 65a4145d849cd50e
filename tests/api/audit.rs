//! The audit trail of a full run of the real binary: every security decision appears as a
//! `gatehouse::audit` event with its pool, username, client address and the request id the
//! client was given, and nothing secret appears anywhere in the log.

use serde_json::{Value, json};

use crate::cli::Cli;
use crate::logs::Server;
use crate::on_both_backends;
use crate::support::{Db, TestDatabase};

on_both_backends!(audit_events_carry_pool_user_client_ip_and_request_id);

const ALICE_PASSWORD: &str = "Alice-Audit-Pw-1";
const ALICE_NEW_PASSWORD: &str = "Alice-Changed-Pw-2";
const WRONG_PASSWORD: &str = "Wrong-Audit-Guess-3";
const DAVE_PASSWORD: &str = "Dave-Temporary-Pw-4";
const DAVE_SET_PASSWORD: &str = "Dave-Permanent-Pw-5";
const CAROL_PASSWORD: &str = "Carol-Audit-Pw-6";

/// An audit event the run must have produced.
struct Expected {
    event: &'static str,
    username: Option<&'static str>,
    /// The `x-amzn-RequestId` of the response it belongs to; None for the CLI.
    request_id: Option<String>,
}

struct Run {
    address: String,
    http: reqwest::Client,
    expected: Vec<Expected>,
    secrets: Vec<String>,
}

impl Run {
    async fn post(&self, path: &str, body: Value, bearer: Option<&str>) -> (u16, String, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.address))
            .json(&body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        read(request.send().await.unwrap()).await
    }

    async fn cognito(&self, operation: &str, body: Value) -> (u16, String, Value) {
        let response = self
            .http
            .post(format!("{}/", self.address))
            .header("Content-Type", "application/x-amz-json-1.1")
            .header(
                "X-Amz-Target",
                format!("AWSCognitoIdentityProviderService.{operation}"),
            )
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        read(response).await
    }

    fn expect(&mut self, event: &'static str, username: Option<&'static str>, request_id: &str) {
        self.expected.push(Expected {
            event,
            username,
            request_id: Some(request_id.to_owned()),
        });
    }

    /// Remembers every token of a sign-in result as a secret, and returns it.
    fn tokens(&mut self, body: &Value) -> Value {
        let result = body["cognitoToken"]["AuthenticationResult"].clone();
        for name in ["IdToken", "AccessToken", "RefreshToken"] {
            let token = result[name].as_str().unwrap().to_owned();
            self.secrets.extend(
                token
                    .split('.')
                    .filter(|part| part.len() > 20)
                    .map(str::to_owned),
            );
            self.secrets.push(token);
        }
        result
    }
}

async fn read(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let request_id = response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_owned();
    (
        status,
        request_id,
        response.json().await.unwrap_or(Value::Null),
    )
}

fn token(result: &Value, name: &str) -> String {
    result[name].as_str().unwrap().to_owned()
}

async fn audit_events_carry_pool_user_client_ip_and_request_id(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let mut cli = Cli::new(&database);
    // The admin API without SigV4, so the test can call it with a plain HTTP client.
    cli.env
        .push(("GATEHOUSE_ADMIN_AUTH".into(), "insecure-none".into()));
    let seed_path = cli.dir.path().join("seed.json");
    std::fs::write(
        &seed_path,
        json!({"Pools": [{"Name": "acme", "Users": [
            {"Username": "alice", "Password": ALICE_PASSWORD},
            {"Username": "carol", "Password": CAROL_PASSWORD}
        ]}]})
        .to_string(),
    )
    .unwrap();
    let server = Server::start(&cli, &seed_path);
    let tenant: Value =
        serde_json::from_str(&cli.ok(&["pool", "show", "acme", "--json"], "")).unwrap();
    let pool_id = tenant["UserPoolId"].as_str().unwrap().to_owned();
    let client_id = tenant["Clients"][0]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut run = Run {
        address: server.address.clone(),
        http: crate::helpers::http_client(),
        expected: Vec::new(),
        secrets: [
            ALICE_PASSWORD,
            ALICE_NEW_PASSWORD,
            WRONG_PASSWORD,
            DAVE_PASSWORD,
            DAVE_SET_PASSWORD,
            CAROL_PASSWORD,
        ]
        .map(str::to_owned)
        .to_vec(),
    };
    run.secrets.extend(
        cli.env
            .iter()
            .filter(|(k, _)| k.contains("PEPPER") || k.contains("KEY"))
            .map(|(_, v)| v.clone()),
    );
    let login = |username: &str, password: &str| json!({"UserName": username, "TenantName": "acme", "Password": password});

    // Sign-in: success and failure.
    let (status, id, body) = run
        .post("/Login", login("alice", ALICE_PASSWORD), None)
        .await;
    assert_eq!(status, 200);
    run.expect("sign_in", Some("alice"), &id);
    let first = run.tokens(&body);
    let (status, id, _) = run
        .post("/Login", login("alice", WRONG_PASSWORD), None)
        .await;
    assert_eq!(status, 401);
    run.expect("sign_in", Some("alice"), &id);

    // Lockout of a user who does not even exist: five free failures, then locked.
    let mut locked_by = None;
    for _ in 0..20 {
        let (status, id, body) = run
            .post("/Login", login("mallory", WRONG_PASSWORD), None)
            .await;
        assert_eq!(status, 401);
        if body["message"] == "Password attempts exceeded" {
            run.expect("sign_in", Some("mallory"), &id);
            break;
        }
        locked_by = Some(id);
    }
    run.expect("lockout_started", Some("mallory"), &locked_by.unwrap());

    // Refresh-token reuse: the consumed token comes back once the second has turned (a
    // duplicate within the same second counts as a concurrent retry, not a replay).
    let (status, _, body) = run
        .post(
            "/RefreshToken",
            json!({"RefreshToken": token(&first, "RefreshToken")}),
            None,
        )
        .await;
    assert_eq!(status, 200);
    run.tokens(&body);
    let mut reused = false;
    for _ in 0..10_000 {
        let (status, id, body) = run
            .post(
                "/RefreshToken",
                json!({"RefreshToken": token(&first, "RefreshToken")}),
                None,
            )
            .await;
        assert_eq!(status, 401);
        if body["__type"] == "RefreshTokenReuseException" {
            run.expect("refresh_token_reuse", Some("alice"), &id);
            reused = true;
            break;
        }
    }
    assert!(reused, "the replay was detected");

    // Sign-out of one session, RevokeToken, password change, global sign-out.
    let (_, _, body) = run
        .post("/Login", login("alice", ALICE_PASSWORD), None)
        .await;
    let second = run.tokens(&body);
    let (status, id, _) = run
        .post(
            "/Logout",
            json!({"RefreshToken": token(&second, "RefreshToken")}),
            None,
        )
        .await;
    assert_eq!(status, 200);
    run.expect("sign_out", Some("alice"), &id);
    let (_, _, body) = run
        .post("/Login", login("alice", ALICE_PASSWORD), None)
        .await;
    let third = run.tokens(&body);
    let (status, id, _) = run
        .cognito(
            "RevokeToken",
            json!({"Token": token(&third, "RefreshToken"), "ClientId": client_id}),
        )
        .await;
    assert_eq!(status, 200);
    run.expect("token_revoked", Some("alice"), &id);
    let (_, _, body) = run
        .post("/Login", login("alice", ALICE_PASSWORD), None)
        .await;
    let fourth = run.tokens(&body);
    let (status, id, _) = run
        .post(
            "/ChangePassword",
            json!({"PreviousPassword": ALICE_PASSWORD, "ProposedPassword": ALICE_NEW_PASSWORD}),
            Some(&token(&fourth, "AccessToken")),
        )
        .await;
    assert_eq!(status, 200);
    run.expect("password_change", Some("alice"), &id);
    let (status, id, _) = run
        .post(
            "/GlobalSignOut",
            json!({}),
            Some(&token(&fourth, "AccessToken")),
        )
        .await;
    assert_eq!(status, 200);
    run.expect("global_sign_out", Some("alice"), &id);

    // Admin changes through the Cognito admin API.
    let user_in_pool = |username: &str| json!({"UserPoolId": pool_id, "Username": username});
    let admin_calls: [(&str, Value, &'static str, Option<&'static str>); 8] = [
        (
            "AdminCreateUser",
            json!({"UserPoolId": pool_id, "Username": "dave", "TemporaryPassword": DAVE_PASSWORD,
                   "MessageAction": "SUPPRESS"}),
            "user_created",
            Some("dave"),
        ),
        (
            "AdminSetUserPassword",
            json!({"UserPoolId": pool_id, "Username": "dave", "Password": DAVE_SET_PASSWORD,
                   "Permanent": true}),
            "user_password_set",
            Some("dave"),
        ),
        (
            "AdminDisableUser",
            user_in_pool("dave"),
            "user_disabled",
            Some("dave"),
        ),
        (
            "AdminEnableUser",
            user_in_pool("dave"),
            "user_enabled",
            Some("dave"),
        ),
        (
            "AdminUserGlobalSignOut",
            user_in_pool("dave"),
            "user_signed_out",
            Some("dave"),
        ),
        (
            "CreateGroup",
            json!({"UserPoolId": pool_id, "GroupName": "auditors"}),
            "group_created",
            None,
        ),
        (
            "AdminAddUserToGroup",
            json!({"UserPoolId": pool_id, "Username": "dave", "GroupName": "auditors"}),
            "user_added_to_group",
            Some("dave"),
        ),
        (
            "AdminDeleteUser",
            user_in_pool("dave"),
            "user_deleted",
            Some("dave"),
        ),
    ];
    for (operation, body, event, username) in admin_calls {
        let (status, id, answer) = run.cognito(operation, body).await;
        assert_eq!(status, 200, "{operation}: {answer}");
        run.expect(event, username, &id);
    }
    let (status, id, created) = run
        .cognito("CreateUserPool", json!({"PoolName": "scratch"}))
        .await;
    assert_eq!(status, 200, "{created}");
    run.expect("pool_created", None, &id);
    let scratch = created["UserPool"]["Id"].as_str().unwrap().to_owned();
    let (status, id, client) = run
        .cognito(
            "CreateUserPoolClient",
            json!({"UserPoolId": scratch, "ClientName": "backend", "GenerateSecret": true}),
        )
        .await;
    assert_eq!(status, 200, "{client}");
    run.expect("client_created", None, &id);
    run.secrets.push(
        client["UserPoolClient"]["ClientSecret"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    let (status, id, _) = run
        .cognito("DeleteUserPool", json!({"UserPoolId": scratch}))
        .await;
    assert_eq!(status, 200);
    run.expect("pool_deleted", None, &id);

    // Admin changes through the CLI: audited too, without a request.
    cli.ok(&["user", "disable", "--pool", "acme", "carol"], "");
    cli.ok(&["keys", "rotate", "--pool", "acme"], "");
    let cli_log = {
        // The CLI logs to its own standard error; run once more to capture it as JSON.
        let mut json_cli = Cli::new(&database);
        json_cli
            .env
            .push(("GATEHOUSE_LOG_FORMAT".into(), "json".into()));
        let output = json_cli.run(&["user", "enable", "--pool", "acme", "carol"], "");
        assert!(output.status.success());
        String::from_utf8(output.stderr).unwrap()
    };

    let log = server.stop();
    let events: Vec<Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .collect();
    let audit: Vec<&Value> = events
        .iter()
        .filter(|e| e["target"] == "gatehouse::audit")
        .collect();
    for expected in &run.expected {
        let found = audit.iter().find(|e| {
            e["fields"]["event"] == expected.event
                && expected
                    .username
                    .is_none_or(|u| e["fields"]["username"] == u)
                && e["span"]["request_id"].as_str() == expected.request_id.as_deref()
        });
        let Some(found) = found else {
            panic!(
                "no {} audit event for request {:?}; audit events: {audit:#?}",
                expected.event, expected.request_id
            );
        };
        assert!(
            !found["fields"]["pool"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{found}"
        );
        assert_eq!(found["span"]["client_ip"], "127.0.0.1", "{found}");
        assert!(
            ["success", "failure"].contains(&found["fields"]["outcome"].as_str().unwrap()),
            "{found}"
        );
    }
    let failure = |event: &str, username: &str, reason: &str| {
        audit.iter().any(|e| {
            e["fields"]["event"] == event
                && e["fields"]["username"] == username
                && e["fields"]["outcome"] == "failure"
                && e["fields"]["reason"] == reason
        })
    };
    assert!(failure("sign_in", "alice", "incorrect_credentials"));
    assert!(failure("sign_in", "mallory", "locked_out"));
    assert!(
        audit
            .iter()
            .any(|e| e["fields"]["event"] == "sign_in" && e["fields"]["pool"] == pool_id.as_str())
    );
    let cli_audit: Vec<Value> = cli_log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|e| e["target"] == "gatehouse::audit")
        .collect();
    assert!(
        cli_audit
            .iter()
            .any(|e| e["fields"]["event"] == "user_enabled"
                && e["fields"]["username"] == "carol"
                && e["fields"]["pool"] == pool_id.as_str()),
        "{cli_log}"
    );

    // The request id on every line logged while serving a request: each access-log line
    // sits in a request span.
    let access: Vec<&Value> = events
        .iter()
        .filter(|e| e["fields"]["message"] == "request")
        .collect();
    assert!(access.len() > 20);
    assert!(access.iter().all(|e| {
        e["span"]["request_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    }));

    // Password hashes and the encrypted signing keys, straight from the database.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&database.url).await.unwrap();
    for query in [
        "SELECT private_key FROM signing_keys",
        "SELECT password_hash FROM users",
    ] {
        let rows: Vec<(String,)> = sqlx::query_as(query).fetch_all(&pool).await.unwrap();
        run.secrets.extend(rows.into_iter().map(|(value,)| value));
    }
    pool.close().await;
    for secret in &run.secrets {
        for (name, text) in [("server", &log), ("cli", &cli_log)] {
            assert!(
                !text.contains(secret.as_str()),
                "a secret appeared in the {name} log: {}…",
                &secret[..6.min(secret.len())]
            );
        }
    }
}
