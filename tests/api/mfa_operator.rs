//! The operator's side of TOTP multi-factor authentication (docs/operations.md, "Second
//! factors"): `gatehouse pool mfa`, `gatehouse user mfa associate` (secret, otpauth:// URI and
//! QR code) and `gatehouse user mfa reset`, seed files that configure MFA and enrol known
//! secrets, and real JavaScript clients (amazon-cognito-identity-js, Amplify JS v6) through the
//! `MFA_SETUP` and `SOFTWARE_TOKEN_MFA` challenges. Codes and URIs are read with pyotp, a
//! library independent of the server's.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use gatehouse::domain::app_client::AppClient;
use gatehouse::domain::pool::UserPool;
use gatehouse::manage::seed::SeedFile;
use serde_json::{Value, json};

use crate::cli::Cli;
use crate::cognito_api::call as cognito;
use crate::helpers::{PASSWORD, TEST_PEPPER, TestApp};
use crate::hostile_input::admin;
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    the_pool_mfa_command_sets_the_mode,
    an_enrolled_app_signs_in_with_codes_from_its_uri,
    a_reset_lets_the_user_in_without_the_app,
    seed_files_configure_mfa_and_enrol_known_secrets,
    seed_files_configure_email_and_sms_codes,
    seeded_totp_secrets_are_checked,
    js_clients_set_up_and_answer_totp,
);

/// pyotp, reading a base32 secret or an `otpauth://` URI: the code at `at`, the issuer and
/// the account name, checking the URI asks for what the server computes (SHA-1, 6 digits,
/// 30 s).
const PYOTP: &str = r#"
import sys, pyotp
source, at = sys.argv[1], int(sys.argv[2])
totp = pyotp.parse_uri(source) if source.startswith("otpauth://") else pyotp.TOTP(source)
assert totp.digits == 6 and totp.interval == 30 and totp.digest().name == "sha1", source
print(totp.at(at), totp.issuer, totp.name, sep="\t")
"#;

struct Pyotp {
    python: String,
}

impl Pyotp {
    fn available() -> Option<Self> {
        crate::helpers::python_with("pyotp").map(|python| Self { python })
    }

    /// (code, issuer, account) of a secret or URI at `at`.
    fn read(&self, source: &str, at: i64) -> (String, String, String) {
        let output = Command::new(&self.python)
            .args(["-c", PYOTP, source, &at.to_string()])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "pyotp: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        let mut parts = text.trim_end().split('\t').map(str::to_owned);
        let code = parts.next().unwrap();
        assert_eq!(code.len(), 6, "{text}");
        (
            code,
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        )
    }

    fn code(&self, source: &str, at: i64) -> String {
        self.read(source, at).0
    }
}

/// The operator's command line on the server's database, with its secrets.
fn cli_for(app: &TestApp) -> Cli {
    use base64::Engine;
    Cli {
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
            ("GATEHOUSE_LOG".into(), "gatehouse::audit=info,warn".into()),
        ],
    }
}

async fn json_of(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn mfa_config(app: &TestApp, pool: &UserPool) -> Value {
    json_of(
        admin(
            app,
            "GetUserPoolMfaConfig",
            &json!({"UserPoolId": pool.id.to_string()}),
        )
        .await,
    )
    .await
}

async fn password_sign_in(app: &TestApp, client: &AppClient, username: &str) -> Value {
    json_of(
        cognito(
            app,
            "InitiateAuth",
            &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                    "AuthParameters": {"USERNAME": username, "PASSWORD": PASSWORD}}),
        )
        .await,
    )
    .await
}

async fn answer_code(
    app: &TestApp,
    client: &AppClient,
    username: &str,
    session: &Value,
    code: &str,
) -> reqwest::Response {
    cognito(
        app,
        "RespondToAuthChallenge",
        &json!({"ClientId": client.id.to_string(), "ChallengeName": "SOFTWARE_TOKEN_MFA",
                "Session": session,
                "ChallengeResponses": {"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code}}),
    )
    .await
}

async fn mfa_settings(app: &TestApp, pool: &UserPool, username: &str) -> Value {
    let user = json_of(
        admin(
            app,
            "AdminGetUser",
            &json!({"UserPoolId": pool.id.to_string(), "Username": username}),
        )
        .await,
    )
    .await;
    json!({"UserMFASettingList": user["UserMFASettingList"], "PreferredMfaSetting": user["PreferredMfaSetting"]})
}

/// The `secret:` and `uri:` lines `gatehouse user mfa associate` prints.
fn enrolment_of(out: &str) -> (String, String) {
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} in {out}"))
            .trim()
            .to_owned()
    };
    (field("secret:"), field("uri:"))
}

async fn the_pool_mfa_command_sets_the_mode(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let cli = cli_for(&app);
    let set: Value = serde_json::from_str(&cli.ok(
        &["pool", "mfa", "--tenant", "acme", "--mode", "ON", "--json"],
        "",
    ))
    .unwrap();
    assert_eq!(
        set,
        json!({"TenantName": "acme", "MfaConfiguration": "ON",
               "SoftwareTokenMfaConfiguration": {"Enabled": true}})
    );
    assert_eq!(
        mfa_config(&app, &pool).await,
        json!({"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": true}})
    );
    // `--pool` is the same option; OFF turns MFA off and leaves the factors as they are.
    cli.ok(&["pool", "mfa", "--pool", "acme", "--mode", "OFF"], "");
    assert_eq!(
        mfa_config(&app, &pool).await,
        json!({"MfaConfiguration": "OFF", "SoftwareTokenMfaConfiguration": {"Enabled": true}})
    );
    let error = cli.fails(&["pool", "mfa", "--tenant", "acme", "--mode", "MAYBE"], "");
    assert!(
        error.contains("\"MAYBE\" is not one of OFF, OPTIONAL, ON"),
        "{error}"
    );
    let error = cli.fails(&["pool", "mfa", "--tenant", "nowhere", "--mode", "ON"], "");
    assert!(error.contains("nowhere"), "{error}");
    assert_eq!(
        mfa_config(&app, &pool).await["MfaConfiguration"],
        "OFF",
        "refused commands changed nothing"
    );
    app.stop().await;
}

/// An operator enrols alice's app from the command line: the printed secret and URI, read
/// by pyotp, give the codes the server asks for, and the QR code is a PNG.
async fn an_enrolled_app_signs_in_with_codes_from_its_uri(backend: Db) {
    let Some(pyotp) = Pyotp::available() else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    app.create_user(&pool, "bob", false).await;
    let cli = cli_for(&app);
    cli.ok(
        &["pool", "mfa", "--tenant", "acme", "--mode", "OPTIONAL"],
        "",
    );

    let qr = cli.dir.path().join("alice.png");
    let out = cli.ok(
        &[
            "user",
            "mfa",
            "associate",
            "--tenant",
            "acme",
            "alice",
            "--qr",
            qr.to_str().unwrap(),
        ],
        "",
    );
    let (secret, uri) = enrolment_of(&out);
    assert_eq!(secret.len(), 52, "256 bits in base32: {out}");
    assert_eq!(
        uri,
        format!(
            "otpauth://totp/acme:alice?secret={secret}&issuer=acme&algorithm=SHA1&digits=6&period=30"
        )
    );
    let png = std::fs::read(&qr).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(
        mfa_settings(&app, &pool, "alice").await,
        json!({"UserMFASettingList": ["SOFTWARE_TOKEN_MFA"], "PreferredMfaSetting": null})
    );

    // pyotp reads the URI as an authenticator app would, and its code signs alice in.
    let (code, issuer, account) = pyotp.read(&uri, app.clock_now());
    assert_eq!((issuer.as_str(), account.as_str()), ("acme", "alice"));
    assert_eq!(code, pyotp.code(&secret, app.clock_now()));
    let challenged = password_sign_in(&app, &client, "alice").await;
    assert_eq!(
        challenged["ChallengeName"], "SOFTWARE_TOKEN_MFA",
        "{challenged}"
    );
    let signed_in =
        json_of(answer_code(&app, &client, "alice", &challenged["Session"], &code).await).await;
    assert!(signed_in["AuthenticationResult"]["AccessToken"].is_string());

    // Another issuer names the service differently; enrolling again replaces the app, and
    // codes of the old one stop working.
    app.clock.advance(30);
    let out = cli.ok(
        &[
            "user",
            "mfa",
            "associate",
            "--tenant",
            "acme",
            "alice",
            "--issuer",
            "Acme Corp",
        ],
        "",
    );
    let (new_secret, new_uri) = enrolment_of(&out);
    assert_ne!(new_secret, secret);
    assert!(
        new_uri.starts_with("otpauth://totp/Acme%20Corp:alice?"),
        "{new_uri}"
    );
    assert_eq!(pyotp.read(&new_uri, 0).1, "Acme Corp");
    let challenged = password_sign_in(&app, &client, "alice").await;
    let old_code = pyotp.code(&secret, app.clock_now());
    let refused = answer_code(&app, &client, "alice", &challenged["Session"], &old_code).await;
    assert_eq!(refused.status(), 400);
    let challenged = password_sign_in(&app, &client, "alice").await;
    let code = pyotp.code(&new_uri, app.clock_now());
    json_of(answer_code(&app, &client, "alice", &challenged["Session"], &code).await).await;

    // bob enrolled nothing: the OPTIONAL pool lets him in with the password alone.
    assert!(password_sign_in(&app, &client, "bob").await["AuthenticationResult"].is_object());
    let error = cli.fails(
        &["user", "mfa", "associate", "--tenant", "acme", "nobody"],
        "",
    );
    assert!(error.contains("User does not exist"), "{error}");
    app.stop().await;
}

/// A lost phone: the operator resets alice's factors. In an OPTIONAL pool she signs in with
/// the password alone; in an ON pool she sets up a new app at sign-in.
async fn a_reset_lets_the_user_in_without_the_app(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let cli = cli_for(&app);
    cli.ok(
        &["pool", "mfa", "--tenant", "acme", "--mode", "OPTIONAL"],
        "",
    );
    cli.ok(
        &["user", "mfa", "associate", "--tenant", "acme", "alice"],
        "",
    );
    assert_eq!(
        password_sign_in(&app, &client, "alice").await["ChallengeName"],
        "SOFTWARE_TOKEN_MFA"
    );

    let output = cli.run(&["user", "mfa", "reset", "--tenant", "acme", "alice"], "");
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("reset the second factors of alice"),
        "{stdout}"
    );
    // Audited, naming the user.
    let log = String::from_utf8(output.stderr).unwrap();
    let audit = log
        .lines()
        .find(|l| l.contains("mfa_reset"))
        .unwrap_or_else(|| panic!("an mfa_reset audit event: {log}"));
    assert!(
        audit.contains("alice") && audit.contains("operator"),
        "{audit}"
    );
    assert_eq!(
        mfa_settings(&app, &pool, "alice").await,
        json!({"UserMFASettingList": null, "PreferredMfaSetting": null})
    );
    let signed_in = password_sign_in(&app, &client, "alice").await;
    assert!(
        signed_in["AuthenticationResult"]["AccessToken"].is_string(),
        "{signed_in}"
    );
    // Nothing left to reset: said so, and still audited.
    let again = cli.ok(&["user", "mfa", "reset", "--tenant", "acme", "alice"], "");
    assert!(again.contains("nothing to reset"), "{again}");

    // In an ON pool, a reset user sets up a new app at the next sign-in.
    cli.ok(
        &["user", "mfa", "associate", "--tenant", "acme", "alice"],
        "",
    );
    cli.ok(&["pool", "mfa", "--tenant", "acme", "--mode", "ON"], "");
    assert_eq!(
        password_sign_in(&app, &client, "alice").await["ChallengeName"],
        "SOFTWARE_TOKEN_MFA"
    );
    cli.ok(&["user", "mfa", "reset", "--tenant", "acme", "alice"], "");
    let challenged = password_sign_in(&app, &client, "alice").await;
    assert_eq!(challenged["ChallengeName"], "MFA_SETUP", "{challenged}");

    let error = cli.fails(&["user", "mfa", "reset", "--tenant", "acme", "nobody"], "");
    assert!(error.contains("User does not exist"), "{error}");
    app.stop().await;
}

/// A 160-bit secret, as fixtures would pin it.
const KNOWN_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn mfa_seed(mode: &str, secret: &str) -> String {
    json!({"Pools": [{
        "Name": "acme",
        "MfaConfiguration": mode,
        "SoftwareTokenMfaConfiguration": {"Enabled": true},
        "Users": [
            {"Username": "alice", "Password": PASSWORD, "TotpSecret": secret},
            {"Username": "bob", "Password": PASSWORD},
        ],
    }]})
    .to_string()
}

/// A seed file's `EmailMfaConfiguration` and `SmsMfaConfiguration` are SetUserPoolMfaConfig's:
/// stored, returned, checked (`{####}` required), and applying the file again changes nothing.
async fn seed_files_configure_email_and_sms_codes(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let seed = |message: &str| {
        json!({"Pools": [{
            "Name": "acme",
            "MfaConfiguration": "OPTIONAL",
            "EmailMfaConfiguration": {"Message": message, "Subject": "Acme sign-in"},
            "SmsMfaConfiguration": {"SmsAuthenticationMessage": "Acme SMS {####}"},
        }]})
        .to_string()
    };
    for _ in 0..2 {
        app.services
            .apply_seed(SeedFile::parse(&seed("Acme code {####}")).unwrap())
            .await
            .unwrap();
        let (pool, _) = app.services.find_pool("acme").await.unwrap();
        let config = mfa_config(&app, &pool).await;
        assert_eq!(config["MfaConfiguration"], "OPTIONAL", "{config}");
        assert_eq!(
            config["EmailMfaConfiguration"],
            json!({"Message": "Acme code {####}", "Subject": "Acme sign-in"}),
            "{config}"
        );
        assert_eq!(
            config["SmsMfaConfiguration"]["SmsAuthenticationMessage"], "Acme SMS {####}",
            "{config}"
        );
    }
    let refused = app
        .services
        .apply_seed(SeedFile::parse(&seed("no placeholder here")).unwrap())
        .await;
    assert!(refused.is_err(), "a message without {{####}} is refused");
    app.stop().await;
}

async fn seed_files_configure_mfa_and_enrol_known_secrets(backend: Db) {
    let Some(pyotp) = Pyotp::available() else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let seed = mfa_seed("ON", KNOWN_SECRET);
    let report = app
        .services
        .apply_seed(SeedFile::parse(&seed).unwrap())
        .await
        .unwrap();
    assert_eq!(report.users_created, 2);
    let (pool, client) = app.services.find_pool("acme").await.unwrap();
    assert_eq!(
        mfa_config(&app, &pool).await,
        json!({"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": true}})
    );
    assert_eq!(
        mfa_settings(&app, &pool, "alice").await["UserMFASettingList"],
        json!(["SOFTWARE_TOKEN_MFA"])
    );
    // alice signs in with a code computed from the secret the file pins; bob has no app and
    // sets one up.
    let challenged = password_sign_in(&app, &client, "alice").await;
    assert_eq!(challenged["ChallengeName"], "SOFTWARE_TOKEN_MFA");
    let code = pyotp.code(KNOWN_SECRET, app.clock_now());
    json_of(answer_code(&app, &client, "alice", &challenged["Session"], &code).await).await;
    assert_eq!(
        password_sign_in(&app, &client, "bob").await["ChallengeName"],
        "MFA_SETUP"
    );

    // Applied again, nothing changes, and the code used stays used.
    let again = app
        .services
        .apply_seed(SeedFile::parse(&seed).unwrap())
        .await
        .unwrap();
    assert_eq!((again.users_created, again.users_updated), (0, 0));
    let challenged = password_sign_in(&app, &client, "alice").await;
    let replayed = answer_code(&app, &client, "alice", &challenged["Session"], &code).await;
    assert_eq!(replayed.status(), 400);
    // The session survives a wrong code; the next step's code completes the sign-in (and
    // clears the failures it counted).
    app.clock.advance(30);
    let code = pyotp.code(KNOWN_SECRET, app.clock_now());
    json_of(answer_code(&app, &client, "alice", &challenged["Session"], &code).await).await;

    // A file with another secret and mode brings the pool and alice in line with it.
    let other = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let changed = app
        .services
        .apply_seed(SeedFile::parse(&mfa_seed("OPTIONAL", other)).unwrap())
        .await
        .unwrap();
    assert_eq!(changed.users_updated, 1);
    let (pool, client) = app.services.find_pool("acme").await.unwrap();
    assert_eq!(
        mfa_config(&app, &pool).await["MfaConfiguration"],
        "OPTIONAL"
    );
    app.clock.advance(30);
    let challenged = password_sign_in(&app, &client, "alice").await;
    let old = pyotp.code(KNOWN_SECRET, app.clock_now());
    assert_eq!(
        answer_code(&app, &client, "alice", &challenged["Session"], &old)
            .await
            .status(),
        400
    );
    let code = pyotp.code(other, app.clock_now());
    json_of(answer_code(&app, &client, "alice", &challenged["Session"], &code).await).await;
    assert!(password_sign_in(&app, &client, "bob").await["AuthenticationResult"].is_object());
    app.stop().await;
}

async fn seeded_totp_secrets_are_checked(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let refused = async |seed: String| {
        app.services
            .apply_seed(SeedFile::parse(&seed).unwrap())
            .await
            .unwrap_err()
            .to_string()
    };
    let error = refused(mfa_seed("ON", "not base32!")).await;
    assert!(
        error.contains("user \"alice\"") && error.contains("TotpSecret must be base32"),
        "{error}"
    );
    let error = refused(mfa_seed("ON", "JBSWY3DPEHPK3PXP")).await;
    assert!(error.contains("at least 16 bytes"), "{error}");
    // ON needs a factor to set up, as SetUserPoolMfaConfig says.
    let error =
        refused(json!({"Pools": [{"Name": "globex", "MfaConfiguration": "ON"}]}).to_string()).await;
    assert!(
        error.contains("pool \"globex\"") && error.contains("can't turn on MFA"),
        "{error}"
    );
    let error = SeedFile::parse(
        &json!({"Pools": [{"Name": "acme", "MfaConfiguration": "MAYBE"}]}).to_string(),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("MAYBE"), "{error}");
    app.stop().await;
}

/// amazon-cognito-identity-js and Amplify JS v6 set up an app and answer the TOTP challenge
/// (tests/clients/js/mfa_clients.mjs). Each code the script asks for is computed by pyotp at
/// a fresh time step of the server's clock.
async fn js_clients_set_up_and_answer_totp(backend: Db) {
    let Some(dir) = crate::cognito_api::js_clients() else {
        return;
    };
    let Some(pyotp) = Pyotp::available() else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    app.create_user(&pool, "bob", false).await;
    json_of(
        admin(
            &app,
            "SetUserPoolMfaConfig",
            &json!({"UserPoolId": pool.id.to_string(), "MfaConfiguration": "ON",
                    "SoftwareTokenMfaConfiguration": {"Enabled": true}}),
        )
        .await,
    )
    .await;
    let args = [
        app.address.clone(),
        pool.id.to_string(),
        client.id.to_string(),
    ];
    let clock = app.clock.clone();
    let (ok, transcript) = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("node")
            .arg("mfa_clients.mjs")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut transcript = String::new();
        let mut setup_uri = None;
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            if let Some(uri) = line.strip_prefix("URI ") {
                setup_uri = Some(uri.to_owned());
            }
            if let Some(secret) = line.strip_prefix("TOTP ") {
                // A fresh step: a code is accepted once, so each answer needs a new one.
                clock.advance(30);
                let now = gatehouse::domain::clock::Clock::now(&*clock);
                let code = pyotp.code(secret, now);
                // The setup URI Amplify made from our secret reads as the same app.
                if let Some(uri) = setup_uri.take() {
                    let (from_uri, issuer, account) = pyotp.read(&uri, now);
                    assert_eq!(from_uri, code, "{uri}");
                    assert_eq!((issuer.as_str(), account.as_str()), ("Gatehouse", "bob"));
                }
                writeln!(stdin, "{code}").unwrap();
            }
            transcript.push_str(&line);
            transcript.push('\n');
        }
        let output = child.wait_with_output().unwrap();
        transcript.push_str(&String::from_utf8_lossy(&output.stderr));
        (output.status.success(), transcript)
    })
    .await
    .unwrap();
    assert!(ok, "mfa clients run failed:\n{transcript}");
    assert!(
        transcript.contains("mfa clients: all checks passed"),
        "{transcript}"
    );
    // What the clients did is what the server holds: both users have a verified app.
    for username in ["alice", "bob"] {
        assert_eq!(
            mfa_settings(&app, &pool, username).await["UserMFASettingList"],
            json!(["SOFTWARE_TOKEN_MFA"]),
            "{username}"
        );
    }
    app.stop().await;
}
