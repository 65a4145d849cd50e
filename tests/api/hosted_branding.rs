//! The hosted pages' branding and second-factor set-up (docs/oauth2.md, "Branding" and
//! "Hosted pages"): `SetUICustomization` / `GetUICustomization` through boto3, the logo and
//! CSS on the sign-in page under its Content-Security-Policy, and a user of an `ON` pool
//! with no factor setting up an authenticator app on the hosted pages, by HTTP and in
//! headless Chromium, ending at the application with a code that is exchanged for tokens.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gatehouse::domain::ids::ClientId;
use gatehouse::domain::pool::UserPool;
use gatehouse::domain::secret::ExposeSecret;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{PASSWORD, TestApp, jwt_part};
use crate::hostile_input::admin;
use crate::mfa::{code_at, enrol, json_of, set_mfa};
use crate::mfa_email::newest_code;
use crate::oauth2_code::{
    Browser, CALLBACK, Page, authorize_url, authorize_with, code_client, exchange_at,
    exchange_landing, pkce, query_of,
};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    boto3_sets_and_gets_ui_customization_with_cognitos_errors,
    the_sign_in_page_shows_the_clients_branding_under_its_policy,
    a_user_without_a_factor_sets_up_an_authenticator_on_the_hosted_pages,
    a_user_with_two_factors_chooses_the_emailed_code_on_the_hosted_pages,
    headless_chromium_sets_up_an_authenticator_on_a_branded_sign_in,
    a_seed_file_brands_its_pool_and_applying_it_again_changes_nothing,
    a_burst_of_50_set_up_posts_with_the_right_code_signs_in_once,
);

const BRAND_CSS: &str = ".submitButton-customizable { background-color: rgb(20, 110, 60) }\n\
                         .banner-customizable { background-color: #f0f4ff }";
/// [`BRAND_CSS`] as the checked rules a page inlines.
const BRAND_RULES: &str = ".submitButton-customizable{background-color:rgb(20, 110, 60);}\
                           .banner-customizable{background-color:#f0f4ff;}";

/// A real PNG for a logo.
fn logo_png() -> Vec<u8> {
    gatehouse::domain::totp_uri::qr_png("Acme").unwrap()
}

async fn set_branding(app: &TestApp, pool: &UserPool, client: Option<&ClientId>, body: Value) {
    let mut request = json!({"UserPoolId": pool.id.to_string()});
    if let Some(client) = client {
        request["ClientId"] = json!(client.as_str());
    }
    for (key, value) in body.as_object().unwrap() {
        request[key] = value.clone();
    }
    let answer = admin(app, "SetUICustomization", &request).await;
    let status = answer.status();
    let body: Value = answer.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
}

/// An attribute's value in a page, HTML entities undone.
fn attribute_after(page: &Page, marker: &str) -> Option<String> {
    let start = page.body.find(marker)? + marker.len();
    let end = start + page.body[start..].find('"')?;
    Some(
        page.body[start..end]
            .replace("&#x2f;", "/")
            .replace("&amp;", "&"),
    )
}

fn policy(page: &Page) -> String {
    page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The sign-in page a browser is sent to by the authorize URL.
async fn sign_in_page(browser: &mut Browser, client: &ClientId) -> Page {
    let (_, challenge) = pkce();
    let sent = browser.get(&authorize_url(client, &challenge, &[])).await;
    assert_eq!(sent.status, 302, "{}", sent.body);
    let page = browser.get(&sent.location()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

async fn boto3_sets_and_gets_ui_customization_with_cognitos_errors(backend: Db) {
    let Some(python) = crate::helpers::python_with("boto3") else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/boto3_ui_customization.py"
    );
    let mut boto3 = std::process::Command::new(python);
    boto3.arg(script).args([
        &app.address,
        crate::helpers::ADMIN_KEY_ID,
        crate::helpers::ADMIN_SECRET,
    ]);
    crate::helpers::run_client(boto3, "boto3 ui customization: all checks passed").await;
    app.stop().await;
}

async fn the_sign_in_page_shows_the_clients_branding_under_its_policy(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let plain = code_client(&app, &pool, false).await;
    let own = code_client(&app, &pool, false).await;
    let logo = logo_png();
    set_branding(
        &app,
        &pool,
        None,
        json!({"CSS": BRAND_CSS, "ImageFile": STANDARD.encode(&logo)}),
    )
    .await;
    set_branding(
        &app,
        &pool,
        Some(&own),
        json!({"CSS": "/* ours */ .label-customizable { font-weight: 700 }"}),
    )
    .await;
    let mut browser = Browser::new(&app);

    // A client without its own branding shows the pool's: the checked rules inline, allowed
    // by their hash and nothing else, and the logo from Gatehouse's own route.
    let page = sign_in_page(&mut browser, &plain).await;
    assert!(
        page.body.contains(&format!("<style>{BRAND_RULES}</style>")),
        "{}",
        page.body
    );
    let hash = STANDARD.encode(Sha256::digest(BRAND_RULES.as_bytes()));
    let csp = policy(&page);
    assert!(
        csp.contains(&format!("style-src 'self' 'sha256-{hash}';")),
        "{csp}"
    );
    assert!(csp.contains("img-src 'self';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let src = attribute_after(&page, "class=\"gh-logo logo-customizable\" src=\"")
        .expect("the logo on the page");
    assert!(
        src.starts_with(&format!("/{}/hosted/logo/ALL?v=", pool.id)),
        "{src}"
    );
    let served = app.get(&src).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert_eq!(served.bytes().await.unwrap().as_ref(), logo.as_slice());
    // The form's controls carry the classes the CSS may name.
    for class in [
        "background-customizable",
        "banner-customizable",
        "label-customizable",
        "inputField-customizable",
        "submitButton-customizable",
    ] {
        assert!(page.body.contains(class), "{class} missing: {}", page.body);
    }

    // A client with its own branding shows only its own: no fallback to the pool's logo.
    let page = sign_in_page(&mut browser, &own).await;
    let rules = ".label-customizable{font-weight:700;}";
    assert!(
        page.body.contains(&format!("<style>{rules}</style>")),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("logo-customizable\" src"),
        "{}",
        page.body
    );
    let own_hash = STANDARD.encode(Sha256::digest(rules.as_bytes()));
    let csp = policy(&page);
    assert!(csp.contains(&own_hash), "{csp}");
    assert!(!csp.contains(&hash), "{csp}");

    // A pool without branding: the plain page and policy.
    let (bare, _) = app.create_pool("bare").await;
    let bare_client = code_client(&app, &bare, false).await;
    let page = sign_in_page(&mut browser, &bare_client).await;
    assert!(!page.body.contains("<style>"), "{}", page.body);
    assert!(policy(&page).contains("style-src 'self';"));

    // Logos are served only where one is stored.
    for missing in [
        format!("/{}/hosted/logo/{}", pool.id, own.as_str()),
        format!("/{}/hosted/logo/ALL", bare.id),
        "/not-a-pool/hosted/logo/ALL".to_owned(),
    ] {
        assert_eq!(app.get(&missing).await.status(), 404, "{missing}");
    }
    app.stop().await;
}

/// The text of the element with `id`.
fn text_of(page: &Page, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {}", page.body))
        + marker.len();
    let end = start + page.body[start..].find('<').unwrap();
    page.body[start..end].trim().to_owned()
}

fn title_of(page: &Page) -> String {
    text_between(&page.body, "<title>", "</title>")
}

fn text_between(text: &str, from: &str, to: &str) -> String {
    let start = text
        .find(from)
        .unwrap_or_else(|| panic!("no {from} in {text}"))
        + from.len();
    let end = start + text[start..].find(to).unwrap();
    text[start..end].to_owned()
}

/// An `ON` pool with alice, who has no second factor, and a code-flow client.
async fn on_pool(backend: Db) -> (TestApp, UserPool, ClientId) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    set_mfa(&app, &pool, "ON").await;
    app.create_user(&pool, "alice", false).await;
    let client = code_client(&app, &pool, false).await;
    (app, pool, client)
}

async fn a_user_without_a_factor_sets_up_an_authenticator_on_the_hosted_pages(backend: Db) {
    let (app, _pool, client) = on_pool(backend).await;
    let (verifier, challenge) = pkce();
    let authorize = authorize_url(&client, &challenge, &[]);
    let mut browser = Browser::new(&app);
    let setup = browser.sign_in(&authorize, "alice", PASSWORD).await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    assert_eq!(title_of(&setup), "Set up your authenticator app");
    // The QR code is inline; only this page's policy allows data: images.
    let qr = attribute_after(&setup, "class=\"gh-qr\" src=\"").expect("a QR code");
    let png = STANDARD
        .decode(qr.strip_prefix("data:image/png;base64,").unwrap())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let csp = policy(&setup);
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let key = text_of(&setup, "secret-code");
    assert_eq!(key.len(), 52, "{key}");
    let right = code_at(&key, app.clock_now());
    let wrong = if right == "123456" {
        "654321"
    } else {
        "123456"
    };

    // A wrong code shows the same key again, for another try.
    let form = |page: &Page, code: &str| {
        vec![
            ("_csrf".to_owned(), page.hidden("_csrf")),
            ("session".to_owned(), page.hidden("session")),
            ("username".to_owned(), page.hidden("username")),
            ("secret_code".to_owned(), page.hidden("secret_code")),
            ("code".to_owned(), code.to_owned()),
            ("device_name".to_owned(), "Work phone".to_owned()),
        ]
    };
    let again = post_fields(&mut browser, &setup.action(), &form(&setup, wrong)).await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.body.contains("role=\"alert\""), "{}", again.body);
    assert_eq!(text_of(&again, "secret-code"), key);

    // The right code ends at the application with a code for tokens.
    let done = post_fields(&mut browser, &again.action(), &form(&again, &right)).await;
    assert_eq!(done.status, 302, "{}", done.body);
    let location = done.location();
    assert!(location.starts_with(&format!("{CALLBACK}?")), "{location}");
    let query = query_of(&location);
    assert_eq!(query["state"], "st-123");
    let tokens = exchange_at(&app, &client, &query["code"], CALLBACK, Some(&verifier))
        .await
        .unwrap();
    let id = jwt_part(tokens.id_token.expose_secret(), 1);
    assert_eq!(id["cognito:username"], "alice");
    assert_eq!(id["nonce"], "n-456");

    // The set-up's session was spent: posting the form again goes nowhere.
    let replayed = post_fields(&mut browser, &again.action(), &form(&again, &right)).await;
    assert_ne!(replayed.status, 302, "{}", replayed.body);

    // The next sign-in asks for a code of the app just set up.
    app.clock.advance(30);
    let mut next = Browser::new(&app);
    let (verifier, challenge) = pkce();
    let authorize = authorize_url(&client, &challenge, &[]);
    let asked = next.sign_in(&authorize, "alice", PASSWORD).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert_eq!(title_of(&asked), "Enter your authenticator code");
    assert_eq!(asked.hidden("challenge"), "SOFTWARE_TOKEN_MFA");
    assert!(asked.body.contains("Work phone"), "{}", asked.body);
    let answered = next
        .post(
            &asked.action(),
            &[
                ("_csrf", &asked.hidden("_csrf")),
                ("session", &asked.hidden("session")),
                ("username", &asked.hidden("username")),
                ("challenge", &asked.hidden("challenge")),
                ("device", &asked.hidden("device")),
                ("code", &code_at(&key, app.clock_now())),
            ],
        )
        .await;
    assert_eq!(answered.status, 302, "{}", answered.body);
    let query = query_of(&answered.location());
    exchange_at(&app, &client, &query["code"], CALLBACK, Some(&verifier))
        .await
        .unwrap();
    app.stop().await;
}

async fn post_fields(browser: &mut Browser, url: &str, fields: &[(String, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    browser.post(url, &pairs).await
}

/// headless Chromium through a branded sign-in and the authenticator set-up
/// (tests/clients/js/hosted_mfa_setup.mjs): the logo loads, the branded colour applies under
/// the policy, the QR code loads, and pyotp's code for the key on the page completes it.
async fn headless_chromium_sets_up_an_authenticator_on_a_branded_sign_in(backend: Db) {
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but /usr/bin/chromium is absent: apt-get install -y chromium"
        );
        eprintln!("SKIPPED: /usr/bin/chromium is absent (apt-get install -y chromium)");
        return;
    }
    let Some(dir) = crate::cognito_api::js_clients() else {
        return;
    };
    let Some(python) = crate::helpers::python_with("pyotp") else {
        return;
    };
    let (app, pool, client) = on_pool(backend).await;
    set_branding(
        &app,
        &pool,
        None,
        json!({"CSS": BRAND_CSS, "ImageFile": STANDARD.encode(logo_png())}),
    )
    .await;
    let (verifier, challenge) = pkce();
    let callback = "http://localhost:3000/callback";
    let authorize = format!(
        "{}{}",
        app.address,
        authorize_with(&client, &challenge, "redirect_uri", Some(callback))
    );
    let artefacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artefacts");
    std::fs::create_dir_all(&artefacts).unwrap();
    let name = |page: &str| artefacts.join(format!("{page}-{backend:?}.png").to_lowercase());
    let (sign_in_shot, setup_shot) = (name("hosted-login-branded"), name("hosted-mfa-setup"));
    let mut node = std::process::Command::new("node");
    node.arg("hosted_mfa_setup.mjs")
        .args([&authorize, callback, "alice", PASSWORD])
        .arg(&sign_in_shot)
        .arg(&setup_shot)
        .arg(&python)
        .arg(app.clock_now().to_string())
        .arg("rgb(20, 110, 60)")
        .current_dir(dir);
    let stdout = crate::helpers::run_client(node, "browser mfa set-up passed").await;
    let claims = exchange_landing(
        &app,
        &client,
        stdout.lines().next().unwrap(),
        callback,
        &verifier,
    )
    .await;
    assert_eq!(claims["cognito:username"], "alice");
    for shot in [&sign_in_shot, &setup_shot] {
        assert!(std::fs::metadata(shot).unwrap().len() > 1000, "{shot:?}");
        println!("screenshot: {}", shot.display());
    }
    app.stop().await;
}

/// `SELECT_MFA_TYPE` on the hosted pages: alice has an authenticator app and e-mail codes and
/// prefers neither; she picks e-mail, and the code page names the masked address.
async fn a_user_with_two_factors_chooses_the_emailed_code_on_the_hosted_pages(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, default_client) = app.create_pool("acme").await;
    app.create_user_with(
        &pool,
        "alice",
        PASSWORD,
        false,
        &[("email", "alice@example.com"), ("email_verified", "true")],
    )
    .await;
    json_of(
        admin(
            &app,
            "SetUserPoolMfaConfig",
            &json!({"UserPoolId": pool.id.to_string(), "MfaConfiguration": "OPTIONAL",
                    "SoftwareTokenMfaConfiguration": {"Enabled": true},
                    "EmailMfaConfiguration": {"Message": "Acme code {####}",
                                              "Subject": "Acme sign-in"}}),
        )
        .await,
    )
    .await;
    enrol(&app, &default_client, "alice").await;
    json_of(
        admin(
            &app,
            "AdminSetUserMFAPreference",
            &json!({"UserPoolId": pool.id.to_string(), "Username": "alice",
                    "EmailMfaSettings": {"Enabled": true}}),
        )
        .await,
    )
    .await;
    app.clock.advance(30);
    let client = code_client(&app, &pool, false).await;
    let (verifier, challenge) = pkce();
    let mut browser = Browser::new(&app);
    let choose = browser
        .sign_in(&authorize_url(&client, &challenge, &[]), "alice", PASSWORD)
        .await;
    assert_eq!(choose.status, 200, "{}", choose.body);
    assert_eq!(title_of(&choose), "Choose a sign-in step");
    for factor in ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"] {
        assert!(
            choose.body.contains(&format!("value=\"{factor}\"")),
            "{factor}: {}",
            choose.body
        );
    }
    assert!(!choose.body.contains("SMS_MFA"), "{}", choose.body);
    let asked = browser
        .post(
            &choose.action(),
            &[
                ("_csrf", &choose.hidden("_csrf")),
                ("session", &choose.hidden("session")),
                ("username", &choose.hidden("username")),
                ("factor", "EMAIL_OTP"),
            ],
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert_eq!(title_of(&asked), "Enter the code we sent you");
    assert_eq!(asked.hidden("challenge"), "EMAIL_OTP");
    let destination = asked.hidden("destination");
    assert!(
        destination.contains('*') && !destination.contains("alice@"),
        "{destination}"
    );
    let code = newest_code(&app, "alice@example.com", 8).await;
    let answered = browser
        .post(
            &asked.action(),
            &[
                ("_csrf", &asked.hidden("_csrf")),
                ("session", &asked.hidden("session")),
                ("username", &asked.hidden("username")),
                ("challenge", "EMAIL_OTP"),
                ("destination", &destination),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(answered.status, 302, "{}", answered.body);
    let query = query_of(&answered.location());
    exchange_at(&app, &client, &query["code"], CALLBACK, Some(&verifier))
        .await
        .unwrap();
    app.stop().await;
}

async fn a_seed_file_brands_its_pool_and_applying_it_again_changes_nothing(backend: Db) {
    use gatehouse::manage::seed::SeedFile;
    let app = TestApp::spawn(backend).await;
    let logo = STANDARD.encode(logo_png());
    let file = |css: &str| {
        json!({"Pools": [{"Name": "branded", "PoolId": "us-east-1_Branded1",
                          "UICustomization": {"CSS": css, "ImageFile": logo}}]})
        .to_string()
    };
    let get = || async {
        let answer = admin(
            &app,
            "GetUICustomization",
            &json!({"UserPoolId": "us-east-1_Branded1"}),
        )
        .await;
        json_of(answer).await["UICustomization"].clone()
    };
    app.services
        .apply_seed(SeedFile::parse(&file(BRAND_CSS)).unwrap())
        .await
        .unwrap();
    let first = get().await;
    assert_eq!(first["CSS"], BRAND_CSS, "{first}");
    assert!(first["ImageUrl"].is_string(), "{first}");
    app.clock.advance(60);
    app.services
        .apply_seed(SeedFile::parse(&file(BRAND_CSS)).unwrap())
        .await
        .unwrap();
    assert_eq!(get().await, first);
    // CSS the API refuses, a seed file refuses too.
    let refused = app
        .services
        .apply_seed(SeedFile::parse(&file("body { color: red }")).unwrap())
        .await;
    assert!(refused.is_err());
    assert_eq!(get().await, first);
    app.stop().await;
}

/// The set-up form posted 50 times at once with the right code: one sign-in reaches the
/// application, every other post is refused with a page (the session and the code's time
/// step are each taken once), none fails.
async fn a_burst_of_50_set_up_posts_with_the_right_code_signs_in_once(backend: Db) {
    let (app, _pool, client) = on_pool(backend).await;
    let (_, challenge) = pkce();
    let mut browser = Browser::new(&app);
    let setup = browser
        .sign_in(&authorize_url(&client, &challenge, &[]), "alice", PASSWORD)
        .await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    let key = text_of(&setup, "secret-code");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("_csrf", setup.hidden("_csrf")),
            ("session", setup.hidden("session")),
            ("username", setup.hidden("username")),
            ("secret_code", key.clone()),
            ("code", code_at(&key, app.clock_now())),
        ])
        .finish();
    let cookie = browser
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let url = format!("{}{}", app.address, setup.action());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answers = futures_util::future::join_all((0..50).map(|_| {
        http.post(&url)
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
    }))
    .await;
    let statuses: Vec<u16> = answers
        .into_iter()
        .map(|answer| answer.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 302).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 302 || (400..500).contains(s)),
        "{statuses:?}"
    );
    app.stop().await;
}
