//! Messages go through the durable outbox: held there without SMTP (readable with the CLI
//! and the dev endpoint), sealed at rest, and delivered through a real SMTP server (Python's
//! aiosmtpd) once one answers, however long it was down, exactly once.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use gatehouse::domain::message::OutboxFilter;
use gatehouse::domain::secret::ExposeSecret;
use gatehouse::domain::username::Username;
use serde_json::{Value, json};
use sqlx::{Connection, Row};

use crate::cli::Cli;
use crate::helpers::{Options, PASSWORD, TEST_PEPPER, TestApp, assert_error, python_with};
use crate::hostile_input::cognito;
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    sign_up_codes_are_held_in_the_outbox_sealed_without_smtp,
    the_dev_outbox_answers_only_local_clients_when_enabled,
    mail_waits_out_an_smtp_outage_and_is_delivered_once,
);

/// A real SMTP server (tests/clients/smtp_sink.py) writing each message it accepts to a
/// directory; stopped when dropped.
pub struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts the sink on `port`, or None when the test Python lacks aiosmtpd (outside CI).
    pub async fn start(port: u16) -> Option<Self> {
        let python = python_with("aiosmtpd")?;
        let dir = tempfile::tempdir().unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/smtp_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let ready = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
                .map(|_| line)
        });
        let line = tokio::time::timeout(Duration::from_secs(30), ready)
            .await
            .expect("the SMTP sink starts within 30 s")
            .unwrap()
            .unwrap();
        assert_eq!(line.trim(), "listening", "the SMTP sink did not start");
        Some(Self { child, dir })
    }

    /// Every message received so far (envelope sender, recipients, raw data).
    pub fn messages(&self) -> Vec<Value> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                found.push(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap());
            }
        }
        found
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// MIME bodies may be quoted-printable or base64; the code is six plain digits either way in
/// the text part Gatehouse writes (short ASCII lines), so a search of the raw data finds it.
fn contains_code(data: &str, code: &str) -> bool {
    data.contains(&format!("Your verification code is {code}."))
}

async fn sign_up(app: &TestApp, client_id: &str, username: &str, attributes: Value) -> Value {
    let response = cognito(
        app,
        "SignUp",
        &json!({"ClientId": client_id, "Username": username, "Password": PASSWORD,
                "UserAttributes": attributes}),
    )
    .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn pending_code(
    app: &TestApp,
    pool: &gatehouse::domain::pool::UserPool,
    name: &str,
) -> String {
    app.services
        .pending_confirmation_code(pool, &Username::parse(name).unwrap())
        .await
        .unwrap()
        .unwrap()
        .expose_secret()
        .to_owned()
}

async fn sign_up_codes_are_held_in_the_outbox_sealed_without_smtp(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    let client_id = client.id.to_string();

    let body = sign_up(
        &app,
        &client_id,
        "carol",
        json!([{"Name": "email", "Value": "carol@example.com"}]),
    )
    .await;
    assert_eq!(
        body["CodeDeliveryDetails"],
        json!({"Destination": "c***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"})
    );
    let body = sign_up(
        &app,
        &client_id,
        "pete",
        json!([{"Name": "phone_number", "Value": "+15555550123"}]),
    )
    .await;
    assert_eq!(
        body["CodeDeliveryDetails"],
        json!({"Destination": "+*******0123", "DeliveryMedium": "SMS",
               "AttributeName": "phone_number"})
    );
    // Nowhere to send it: no message, no delivery details; the operator can still read it.
    let body = sign_up(&app, &client_id, "nomad", json!([])).await;
    assert!(body.get("CodeDeliveryDetails").is_none(), "{body}");

    let messages = app
        .services
        .outbox(&OutboxFilter {
            pool: Some(pool.id.clone()),
            destination: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(messages.len(), 2, "{messages:?}");
    let mail = messages
        .iter()
        .find(|m| m.destination == "carol@example.com")
        .unwrap();
    let sms = messages
        .iter()
        .find(|m| m.destination == "+15555550123")
        .unwrap();
    assert_eq!(
        (mail.medium.as_str(), sms.medium.as_str()),
        ("EMAIL", "SMS")
    );
    // No SMTP server configured, and SMS has no carrier: both are held, never attempted.
    for m in [mail, sms] {
        assert_eq!(m.state.as_str(), "held");
        assert_eq!(m.attempts, 0);
        assert_eq!(m.template, "SIGN_UP_CODE");
    }
    let code = pending_code(&app, &pool, "carol").await;
    assert!(
        contains_code(&mail.content.text, &code),
        "{:?}",
        mail.content.text
    );
    assert!(mail.content.html.contains(&code));
    assert_eq!(mail.content.subject, "Your verification code");
    let sms_code = pending_code(&app, &pool, "pete").await;
    assert!(contains_code(&sms.content.text, &sms_code));

    // At rest the bodies are sealed: the database holds neither the wording nor the code.
    let mut db = sqlx::AnyConnection::connect(&app.database_url())
        .await
        .unwrap();
    let rows = sqlx::query("SELECT content, destination, state FROM outbox")
        .fetch_all(&mut db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let content: String = row.get("content");
        assert!(!content.contains("verification"), "{content}");
        assert!(!content.contains(&code) && !content.contains(&sms_code));
    }
    // A sealed body moved to another row does not open: listing fails closed.
    sqlx::query("UPDATE outbox SET destination = 'mallory@example.com' WHERE medium = 'EMAIL'")
        .execute(&mut db)
        .await
        .unwrap();
    assert!(
        app.services
            .outbox(&OutboxFilter {
                pool: None,
                destination: Some("mallory@example.com".into()),
                limit: 10,
            })
            .await
            .is_err()
    );
    sqlx::query("UPDATE outbox SET destination = 'carol@example.com' WHERE medium = 'EMAIL'")
        .execute(&mut db)
        .await
        .unwrap();

    // The operator reads the same with the CLI, filtered by pool (by its --tenant alias) and address.
    let cli = Cli {
        dir: tempfile::tempdir().unwrap(),
        env: vec![
            ("GATEHOUSE_DATABASE_URL".into(), app.database_url()),
            ("GATEHOUSE_ARGON2_MEMORY_KIB".into(), "256".into()),
            ("GATEHOUSE_ARGON2_ITERATIONS".into(), "1".into()),
            (
                "GATEHOUSE_ALLOW_WEAK_PASSWORD_HASHING".into(),
                "true".into(),
            ),
            ("GATEHOUSE_PEPPER".into(), TEST_PEPPER.into()),
            (
                "GATEHOUSE_KEY_ENCRYPTION_KEY".into(),
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [42u8; 32]),
            ),
        ],
    };
    let listed: Value = serde_json::from_str(&cli.ok(
        &[
            "outbox",
            "list",
            "--tenant",
            "acme",
            "--to",
            "carol@example.com",
            "--json",
        ],
        "",
    ))
    .unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["DeliveryMedium"], "EMAIL");
    assert_eq!(listed[0]["State"], "held");
    assert!(contains_code(listed[0]["Text"].as_str().unwrap(), &code));
    let other: Value = serde_json::from_str(&cli.ok(
        &[
            "outbox",
            "list",
            "--pool-id",
            &pool.id.to_string(),
            "--json",
        ],
        "",
    ))
    .unwrap();
    assert_eq!(other.as_array().unwrap().len(), 2);
    let text = cli.ok(&["outbox", "list", "--pool", "acme"], "");
    assert!(text.contains("SMS +15555550123"), "{text}");

    // The code it holds is the one that confirms.
    let confirmed = cognito(
        &app,
        "ConfirmSignUp",
        &json!({"ClientId": client_id, "Username": "carol", "ConfirmationCode": code}),
    )
    .await;
    assert_eq!(confirmed.status(), 200);
    app.stop().await;
}

async fn the_dev_outbox_answers_only_local_clients_when_enabled(backend: Db) {
    // Off by default: the path is as unknown as any other.
    let app = TestApp::spawn(backend).await;
    let off = app.get("/_dev/outbox?to=a@example.com").await;
    assert_error(
        off,
        404,
        "ResourceNotFoundException",
        "No such endpoint: GET /_dev/outbox",
    )
    .await;
    app.stop().await;

    let app = TestApp::spawn_with(
        backend,
        Options {
            dev_outbox: true,
            ..Options::default()
        },
    )
    .await;
    let (pool, client) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    sign_up(
        &app,
        &client.id.to_string(),
        "dora",
        json!([{"Name": "email", "Value": "dora@example.com"}]),
    )
    .await;
    let code = pending_code(&app, &pool, "dora").await;

    let response = app.get("/_dev/outbox?to=dora@example.com").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let messages = body["Messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{body}");
    assert_eq!(messages[0]["Destination"], "dora@example.com");
    assert_eq!(messages[0]["DeliveryMedium"], "EMAIL");
    assert_eq!(messages[0]["PoolId"], pool.id.to_string());
    assert!(contains_code(messages[0]["Text"].as_str().unwrap(), &code));
    // Only that address's messages.
    let none: Value = app
        .get("/_dev/outbox?to=someone@example.com")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["Messages"], json!([]));

    let missing = app.get("/_dev/outbox").await;
    assert_error(
        missing,
        400,
        "InvalidParameterException",
        "Query parameter 'to' is required.",
    )
    .await;
    // Through a proxy, even one on this host, the client is not local: refused.
    for header in ["X-Forwarded-For", "Forwarded", "X-Real-IP"] {
        let proxied = app
            .client
            .get(format!("{}/_dev/outbox?to=dora@example.com", app.address))
            .header(header, "203.0.113.9")
            .send()
            .await
            .unwrap();
        assert_error(
            proxied,
            403,
            "AccessDeniedException",
            "The dev outbox answers only clients on this host, not through a proxy.",
        )
        .await;
    }
    app.stop().await;
}

async fn mail_waits_out_an_smtp_outage_and_is_delivered_once(backend: Db) {
    if python_with("aiosmtpd").is_none() {
        return;
    }
    let port = free_port();
    let app = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
            ..Options::default()
        },
    )
    .await;
    let (pool, client) = app.create_pool("acme").await;
    let mut pool = app.allow_self_sign_up(&pool).await;
    pool.settings.email_configuration.from = Some("Acme <no-reply@acme.example>".into());
    app.services
        .replace_pool_settings(&pool, pool.settings.clone())
        .await
        .unwrap();
    let client_id = client.id.to_string();
    sign_up(
        &app,
        &client_id,
        "erin",
        json!([{"Name": "email", "Value": "erin@example.com"}]),
    )
    .await;
    let code = pending_code(&app, &pool, "erin").await;

    // The SMTP server is down: the worker tries, fails, and keeps the message for later.
    let filter = OutboxFilter {
        pool: Some(pool.id.clone()),
        destination: Some("erin@example.com".into()),
        limit: 10,
    };
    let started = std::time::Instant::now();
    loop {
        let messages = app.services.outbox(&filter).await.unwrap();
        assert_eq!(messages.len(), 1);
        if messages[0].attempts >= 1 {
            assert_eq!(messages[0].state.as_str(), "pending");
            assert!(messages[0].last_error.is_some());
            assert!(messages[0].sent_at.is_none());
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no delivery attempt"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The server comes up. The message waits out its backoff (30 s on the server's clock),
    // then goes, once.
    let sink = SmtpSink::start(port).await.unwrap();
    assert!(sink.messages().is_empty());
    app.clock.advance(31);
    let started = std::time::Instant::now();
    loop {
        let messages = app.services.outbox(&filter).await.unwrap();
        if messages[0].state.as_str() == "sent" {
            assert!(messages[0].sent_at.is_some());
            assert_eq!(messages[0].attempts, 2, "one failed attempt, one delivery");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not delivered: {messages:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let received = sink.messages();
    assert_eq!(received.len(), 1, "{received:?}");
    let message = &received[0];
    assert_eq!(message["mail_from"], "no-reply@acme.example");
    assert_eq!(message["rcpt_tos"], json!(["erin@example.com"]));
    let data = message["data"].as_str().unwrap();
    assert!(data.contains("Subject: Your verification code"), "{data}");
    assert!(data.contains("multipart/alternative"), "{data}");
    assert!(contains_code(data, &code), "{data}");

    // Later passes find nothing due: still exactly one message received.
    app.clock.advance(3_600);
    let before = app
        .services
        .deliver_due_messages(&NeverSends, "test")
        .await
        .unwrap();
    assert_eq!(before.sent + before.retrying + before.failed, 0);
    assert_eq!(sink.messages().len(), 1);

    let confirmed = cognito(
        &app,
        "ConfirmSignUp",
        &json!({"ClientId": client_id, "Username": "erin", "ConfirmationCode": code}),
    )
    .await;
    assert_eq!(confirmed.status(), 200);
    app.stop().await;
}

/// A mailer that must never be called (the outbox has nothing due).
struct NeverSends;

#[async_trait::async_trait]
impl gatehouse::auth::messages::Mailer for NeverSends {
    async fn send(
        &self,
        _mail: &gatehouse::auth::messages::OutgoingMail,
    ) -> Result<(), gatehouse::auth::messages::SendFailure> {
        panic!("nothing is due, so nothing is sent");
    }
}
