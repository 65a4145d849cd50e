//! The hosted sign-up and password-reset pages (issue #15, docs/oauth2.md, "Sign-up and
//! password reset pages"): forms driven over HTTP with the browser of `oauth2_code.rs`, codes
//! read from the outbox as a user reads their mail, and Debian's Chromium through both flows.

use futures_util::future::join_all;
use gatehouse::domain::app_client::AppClient;
use gatehouse::domain::ids::ClientId;
use gatehouse::domain::pool::{PoolName, PoolSettings, UserPool};
use gatehouse::domain::schema::{Schema, SchemaAttributeSpec};
use gatehouse::domain::secret::ExposeSecret;
use gatehouse::domain::sign_in_names::{SignInAttribute, SignInNames};
use gatehouse::manage::pools::FixedIds;

use crate::account_recovery::newest_code;
use crate::helpers::{Options, PASSWORD, TestApp, jwt_part, username_key};
use crate::oauth2_code::{
    Browser, CALLBACK, Page, artefact, authorize_url, authorize_with, chromium_clients,
    code_client, exchange_at, exchange_landing, html_unescape, pkce, query_of,
};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    the_sign_up_link_and_page_are_offered_only_where_the_pool_allows_sign_up,
    a_user_signs_up_under_their_email_confirms_and_lands_at_the_app_with_a_code,
    a_confirmation_from_another_browser_or_with_its_ticket_signs_nobody_in,
    a_burst_of_wrong_codes_on_the_confirmation_page_gets_five_compared,
    sign_ups_on_the_page_draw_on_the_per_address_budget,
    a_client_with_a_secret_is_served_under_the_pool_path_without_the_browser_knowing_it,
    the_new_forms_refuse_posts_without_their_csrf_token,
    forgot_password_shows_an_unknown_user_what_a_known_one_sees,
    a_password_is_reset_through_the_pages_and_the_new_one_signs_in,
    headless_chromium_signs_up_and_resets_a_password_through_the_hosted_pages,
);

const EMAIL: &str = "alice@example.com";
const NEW_PASSWORD: &str = "Brand-New-Secret-7";

/// The page `page_path` of the hosted pages (e.g. `/signup`), with the authorization request
/// of `authorize` (a `/oauth2/authorize?…` path).
fn hosted(page_path: &str, authorize: &str) -> String {
    authorize.replacen("/oauth2/authorize", page_path, 1)
}

/// A pool open to sign-up whose users sign up under their e-mail address and must give their
/// name, with a code client; codes go to the e-mail address.
async fn email_pool(app: &TestApp) -> (UserPool, ClientId) {
    let mut settings = PoolSettings {
        sign_in_names: SignInNames {
            username_attributes: vec![SignInAttribute::Email],
            ..SignInNames::default()
        },
        schema: Some(
            Schema::declare(&[SchemaAttributeSpec {
                name: Some("name".into()),
                required: Some(true),
                ..SchemaAttributeSpec::default()
            }])
            .unwrap(),
        ),
        ..PoolSettings::default()
    };
    settings
        .admin_create_user_config
        .allow_admin_create_user_only = false;
    let (pool, _): (UserPool, AppClient) = app
        .services
        .create_pool(
            &PoolName::parse("by-email").unwrap(),
            settings,
            FixedIds::default(),
        )
        .await
        .unwrap();
    let client = code_client(app, &pool, false).await;
    (pool, client)
}

/// An app with the outbox readable over HTTP (for the browser), and a pool with `alice`
/// (verified e-mail address), open to sign-up, with a code client.
async fn setup(backend: Db) -> (TestApp, UserPool, ClientId) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            dev_outbox: true,
            ..Options::default()
        },
    )
    .await;
    let (pool, _) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    app.create_user_with(
        &pool,
        "alice",
        PASSWORD,
        false,
        &[("email", EMAIL), ("email_verified", "true")],
    )
    .await;
    let client = code_client(&app, &pool, false).await;
    (app, pool, client)
}

/// Opens `page_path` for `authorize` and posts its form with `fields` (and its CSRF token).
async fn fill(
    browser: &mut Browser,
    page_path: &str,
    authorize: &str,
    fields: &[(&str, &str)],
) -> Page {
    let page = browser.get(&hosted(page_path, authorize)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    submit(browser, &page, fields).await
}

/// Posts the form of `page` with `fields`, its CSRF token and its hidden ticket if any.
async fn submit(browser: &mut Browser, page: &Page, fields: &[(&str, &str)]) -> Page {
    let csrf = page.hidden("_csrf");
    let ticket = page
        .body
        .contains("name=\"ticket\"")
        .then(|| page.hidden("ticket"));
    let mut form = vec![("_csrf", csrf.as_str())];
    if let Some(ticket) = &ticket {
        form.push(("ticket", ticket));
    }
    form.extend_from_slice(fields);
    browser.post(&page.action(), &form).await
}

fn title_of(page: &Page) -> &str {
    let start = page.body.find("<title>").unwrap() + "<title>".len();
    let end = page.body.find("</title>").unwrap();
    &page.body[start..end]
}

/// The user's status, as the operator sees it.
async fn status_of(app: &TestApp, pool: &UserPool, name: &str) -> String {
    let user = app
        .services
        .store
        .user_by_sign_in_name(&pool.id, &username_key(name))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{name} exists"));
    user.status.as_str().to_owned()
}

async fn the_sign_up_link_and_page_are_offered_only_where_the_pool_allows_sign_up(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let client = code_client(&app, &pool, false).await;
    let (_, challenge) = pkce();
    let authorize = authorize_url(&client, &challenge, &[]);
    let mut browser = Browser::new(&app);

    // Pools are created with AllowAdminCreateUserOnly: no link, and the page says why.
    let login = browser.get(&hosted("/login", &authorize)).await;
    assert!(!login.body.contains("Sign up"), "{}", login.body);
    assert!(login.body.contains("Forgot your password?"));
    let refused = browser.get(&hosted("/signup", &authorize)).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("Sign-up is not available"),
        "{}",
        refused.body
    );

    // Switched on: the link carries the whole authorization request, and the default pool's
    // form asks for a username, the contact attributes codes go to, and a password with the
    // policy in words.
    app.allow_self_sign_up(&pool).await;
    let login = browser.get(&hosted("/login", &authorize)).await;
    let link = format!("href=\"{}\"", hosted("/signup", &authorize));
    assert!(html_unescape(&login.body).contains(&link), "{}", login.body);
    let page = browser.get(&hosted("/signup", &authorize)).await;
    assert_eq!(page.status, 200);
    assert_eq!(title_of(&page), "Sign up");
    for label in [
        "<label for=\"username\">Username</label>",
        ">Email address (optional)</label>",
        ">Phone number (optional)</label>",
        "<label for=\"password\">Password</label>",
        "At least 8 characters, with an uppercase letter, a lowercase letter, a number and a symbol.",
    ] {
        assert!(page.body.contains(label), "{label} in {}", page.body);
    }
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(page.headers["x-frame-options"], "DENY");

    // Bad input is shown on the form with the API's message, never a 500; what was typed
    // (not the password) is kept.
    let taken = fill(
        &mut browser,
        "/signup",
        &authorize,
        &[
            ("username", "bob"),
            ("password", "short"),
            ("email", "bob@example.com"),
        ],
    )
    .await;
    assert_eq!(taken.status, 400, "{}", taken.body);
    assert!(
        taken
            .body
            .contains("Password did not conform with password policy: Password not long enough"),
        "{}",
        taken.body
    );
    assert!(taken.body.contains("value=\"bob@example.com\""));
    assert!(taken.body.contains("role=\"alert\""));
    app.create_user(&pool, "carol", false).await;
    let taken = fill(
        &mut browser,
        "/signup",
        &authorize,
        &[("username", "carol"), ("password", PASSWORD)],
    )
    .await;
    // The API's UsernameExistsException, whose status on a plain page is 409.
    assert_eq!(taken.status, 409);
    assert!(taken.body.contains("User already exists"), "{}", taken.body);
    let blank = fill(
        &mut browser,
        "/signup",
        &authorize,
        &[("password", PASSWORD)],
    )
    .await;
    assert_eq!(blank.status, 400);
    assert!(
        blank.body.contains("Username must not be empty."),
        "{}",
        blank.body
    );
    app.stop().await;
}

async fn a_user_signs_up_under_their_email_confirms_and_lands_at_the_app_with_a_code(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = email_pool(&app).await;
    let (verifier, challenge) = pkce();
    let authorize = authorize_url(&client, &challenge, &[]);
    let mut browser = Browser::new(&app);

    // The name users sign up under is their address; the required name is asked for.
    let page = browser.get(&hosted("/signup", &authorize)).await;
    assert!(
        page.body
            .contains("<label for=\"username\">Email address</label>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("type=\"email\" autocomplete=\"email\""));
    assert!(
        page.body
            .contains("name=\"name\" type=\"text\" autocomplete=\"name\" required")
    );
    assert!(
        !page.body.contains("name=\"email\""),
        "the address is the username"
    );
    let missing = submit(
        &mut browser,
        &page,
        &[("username", EMAIL), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(missing.status, 400);
    assert!(
        missing
            .body
            .contains("Attributes did not conform to the schema: name: The attribute is required"),
        "{}",
        missing.body
    );

    let confirm = fill(
        &mut browser,
        "/signup",
        &authorize,
        &[
            ("username", EMAIL),
            ("password", PASSWORD),
            ("name", "Alice Liddell"),
        ],
    )
    .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert_eq!(title_of(&confirm), "Confirm your account");
    assert!(
        confirm.body.contains("We sent a code to a***@e***."),
        "{}",
        confirm.body
    );
    assert_eq!(status_of(&app, &pool, EMAIL).await, "UNCONFIRMED");

    // A wrong code is shown on the page; a new code replaces the first.
    let wrong = submit(
        &mut browser,
        &confirm,
        &[("username", EMAIL), ("code", "000000")],
    )
    .await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong
            .body
            .contains("Invalid verification code provided, please try again.")
    );
    let first = newest_code(&app, EMAIL).await;
    let resent = submit(
        &mut browser,
        &wrong,
        &[("username", EMAIL), ("step", "resend")],
    )
    .await;
    assert_eq!(resent.status, 200, "{}", resent.body);
    assert!(
        resent.body.contains("We sent a new code to a***@e***."),
        "{}",
        resent.body
    );
    let code = newest_code(&app, EMAIL).await;
    if first != code {
        let stale = submit(
            &mut browser,
            &resent,
            &[("username", EMAIL), ("code", &first)],
        )
        .await;
        assert_eq!(stale.status, 400);
    }

    // The right code: confirmed, signed in, and sent on to the app with a code.
    let landed = submit(
        &mut browser,
        &resent,
        &[("username", EMAIL), ("code", &code)],
    )
    .await;
    assert_eq!(landed.status, 302, "{}", landed.body);
    let location = landed.location();
    assert!(location.starts_with(CALLBACK), "{location}");
    let query = query_of(&location);
    assert_eq!(query["state"], "st-123");
    let tokens = exchange_at(&app, &client, &query["code"], CALLBACK, Some(&verifier))
        .await
        .unwrap();
    let claims = jwt_part(tokens.id_token.expose_secret(), 1);
    assert_eq!(claims["email"], EMAIL);
    assert_eq!(claims["nonce"], "n-456");
    assert_eq!(status_of(&app, &pool, EMAIL).await, "CONFIRMED");
    let user = app
        .services
        .store
        .user_by_sign_in_name(&pool.id, &username_key(EMAIL))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.attributes.get("email_verified"), Some("true"));
    assert_eq!(user.attributes.get("name"), Some("Alice Liddell"));

    // The session is live: the next authorize answers at once.
    let again = browser.get(&authorize).await;
    assert!(again.location().starts_with(CALLBACK));
    app.stop().await;
}

async fn a_confirmation_from_another_browser_or_with_its_ticket_signs_nobody_in(backend: Db) {
    let (app, pool, client) = setup(backend).await;
    let (_, challenge) = pkce();
    let authorize = authorize_url(&client, &challenge, &[]);
    let mut signer = Browser::new(&app);
    let confirm = fill(
        &mut signer,
        "/signup",
        &authorize,
        &[
            ("username", "dora"),
            ("password", PASSWORD),
            ("email", "dora@example.com"),
        ],
    )
    .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let ticket = confirm.hidden("ticket");
    assert!(!ticket.is_empty());

    // Another browser with the signer's ticket but its own cookie: a wrong code first, then
    // the right one confirms the account but signs nobody in.
    let mut other = Browser::new(&app);
    let page = other.get(&hosted("/confirmUser", &authorize)).await;
    assert_eq!(page.status, 200);
    assert_eq!(title_of(&page), "Confirm your account");
    let code = newest_code(&app, "dora@example.com").await;
    let csrf = page.hidden("_csrf");
    let confirmed = other
        .post(
            &page.action(),
            &[
                ("_csrf", &csrf),
                ("ticket", &ticket),
                ("username", "dora"),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert_eq!(title_of(&confirmed), "Sign in");
    assert!(
        confirmed
            .body
            .contains("Your account is confirmed. Sign in to continue.")
    );
    assert!(!other.cookies.contains_key("gatehouse_session"));
    assert_eq!(status_of(&app, &pool, "dora").await, "CONFIRMED");

    // The signer's own browser cannot confirm twice (and so is not signed in by its ticket).
    let late = submit(
        &mut signer,
        &confirm,
        &[("username", "dora"), ("code", &code)],
    )
    .await;
    assert_eq!(late.status, 400, "{}", late.body);
    assert!(!signer.cookies.contains_key("gatehouse_session"));

    // The sign-in page the confirmation led to signs in with the password.
    let signed_in = submit(
        &mut other,
        &confirmed,
        &[("username", "dora"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(signed_in.status, 302, "{}", signed_in.body);
    assert!(signed_in.location().starts_with(CALLBACK));
    app.stop().await;
}

async fn a_burst_of_wrong_codes_on_the_confirmation_page_gets_five_compared(backend: Db) {
    let (app, pool, client) = setup(backend).await;
    let (_, challenge) = pkce();
    let authorize = authorize_url(&client, &challenge, &[]);
    let mut browser = Browser::new(&app);
    let confirm = fill(
        &mut browser,
        "/signup",
        &authorize,
        &[
            ("username", "erin"),
            ("password", PASSWORD),
            ("email", "erin@example.com"),
        ],
    )
    .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let code = newest_code(&app, "erin@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let burst = (0..50).map(|_| {
        let mut tab = browser.clone();
        let confirm = &confirm;
        async move { submit(&mut tab, confirm, &[("username", "erin"), ("code", wrong)]).await }
    });
    for page in join_all(burst).await {
        assert_eq!(page.status, 400, "{}", page.body);
        assert!(page.headers.get("location").is_none());
    }
    // The limit is the API's: after the burst even the right code is refused.
    let refused = submit(
        &mut browser,
        &confirm,
        &[("username", "erin"), ("code", &code)],
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(status_of(&app, &pool, "erin").await, "UNCONFIRMED");
    app.stop().await;
}

/// The pages act for the client the authorization request proved: a confidential client's
/// sign-up and reset need the SECRET_HASH on the API, and the pages send it for the browser.
async fn a_client_with_a_secret_is_served_under_the_pool_path_without_the_browser_knowing_it(
    backend: Db,
) {
    let (app, pool, _) = setup(backend).await;
    let client = code_client(&app, &pool, true).await;
    let (_, challenge) = pkce();
    let authorize = format!("/{}{}", pool.id, authorize_url(&client, &challenge, &[]));
    let mut browser = Browser::new(&app);
    let confirm = fill(
        &mut browser,
        "/signup",
        &authorize,
        &[
            ("username", "gina"),
            ("password", PASSWORD),
            ("email", "gina@example.com"),
        ],
    )
    .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(
        confirm
            .action()
            .starts_with(&format!("/{}/confirmUser?", pool.id))
    );
    let code = newest_code(&app, "gina@example.com").await;
    let landed = submit(
        &mut browser,
        &confirm,
        &[("username", "gina"), ("code", &code)],
    )
    .await;
    assert_eq!(landed.status, 302, "{}", landed.body);
    assert!(landed.location().starts_with(CALLBACK));
    let reset = fill(
        &mut browser,
        "/forgotPassword",
        &authorize,
        &[("username", "gina")],
    )
    .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert!(
        reset.body.contains("we sent a code to g***@e***."),
        "{}",
        reset.body
    );
    let code = newest_code(&app, "gina@example.com").await;
    let done = submit(
        &mut browser,
        &reset,
        &[
            ("username", "gina"),
            ("code", &code),
            ("new_password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Your password was changed."));
    app.stop().await;
}

async fn sign_ups_on_the_page_draw_on_the_per_address_budget(backend: Db) {
    const BUDGET: u32 = 5;
    let (app, pool, client) = setup(backend).await;
    let mut settings = crate::helpers::test_settings(&app.database_url());
    settings.limits.sign_up_rate_per_ip = BUDGET;
    let server = gatehouse::app::App::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", server.port());
    let handle = server.handle();
    tokio::spawn(server.run_until_handle_stops());
    let (_, challenge) = pkce();
    let authorize = authorize_url(&client, &challenge, &[]);
    let mut browser = Browser::new(&app);
    browser.base = address;
    let page = browser.get(&hosted("/signup", &authorize)).await;
    assert_eq!(page.status, 200, "{}", page.body);

    // 50 parallel probes of a taken name: at most the budget learn it is taken.
    let started = std::time::Instant::now();
    let burst = (0..50).map(|_| {
        let mut tab = browser.clone();
        let page = &page;
        async move {
            submit(
                &mut tab,
                page,
                &[("username", "alice"), ("password", PASSWORD)],
            )
            .await
        }
    });
    let mut taken = 0;
    for answer in join_all(burst).await {
        match answer.status {
            409 if answer.body.contains("User already exists") => taken += 1,
            429 => assert!(
                answer.body.contains("Too many sign-up attempts"),
                "{}",
                answer.body
            ),
            _ => panic!("unexpected answer {}: {}", answer.status, answer.body),
        }
    }
    let refilled = u32::try_from(started.elapsed().as_secs()).unwrap() / (60 / BUDGET);
    assert!(
        (1..=BUDGET + refilled).contains(&taken),
        "{taken} probes answered"
    );
    // A free name is refused too, and nobody is created.
    let refused = submit(
        &mut browser,
        &page,
        &[("username", "fresh-name"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(refused.status, 429);
    assert!(
        app.services
            .store
            .user_by_key(&pool.id, &username_key("fresh-name"))
            .await
            .unwrap()
            .is_none()
    );
    handle.stop(true).await;
    app.stop().await;
}

async fn the_new_forms_refuse_posts_without_their_csrf_token(backend: Db) {
    let (app, pool, client) = setup(backend).await;
    let (_, challenge) = pkce();
    let authorize = authorize_url(&client, &challenge, &[]);
    let mut browser = Browser::new(&app);
    let login = browser.get(&hosted("/login", &authorize)).await;
    let login_token = login.hidden("_csrf");
    let mut other = Browser::new(&app);
    for page_path in [
        "/signup",
        "/confirmUser",
        "/forgotPassword",
        "/confirmForgotPassword",
    ] {
        let page = browser.get(&hosted(page_path, &authorize)).await;
        assert_eq!(page.status, 200, "{page_path}");
        let token = page.hidden("_csrf");
        let other_token = other
            .get(&hosted(page_path, &authorize))
            .await
            .hidden("_csrf");
        let fields = [
            ("username", "mallory"),
            ("password", PASSWORD),
            ("code", "123456"),
            ("new_password", PASSWORD),
            ("confirm_password", PASSWORD),
        ];
        // No token, another form's token, another browser's token.
        for presented in [None, Some(login_token.as_str()), Some(other_token.as_str())] {
            let mut form = fields.to_vec();
            if let Some(presented) = presented {
                form.push(("_csrf", presented));
            }
            let refused = browser.post(&page.action(), &form).await;
            assert_eq!(refused.status, 403, "{page_path} {presented:?}");
            assert!(refused.body.contains("This form has expired"));
        }
        // The right token without its cookie.
        let mut form = fields.to_vec();
        form.push(("_csrf", &token));
        assert_eq!(
            Browser::new(&app).post(&page.action(), &form).await.status,
            403
        );
    }
    // Nobody was created by any of these.
    assert!(
        app.services
            .store
            .user_by_sign_in_name(&pool.id, &username_key("mallory"))
            .await
            .unwrap()
            .is_none()
    );
    app.stop().await;
}

async fn forgot_password_shows_an_unknown_user_what_a_known_one_sees(backend: Db) {
    let (app, _pool, client) = setup(backend).await;
    let (_, challenge) = pkce();
    let authorize = authorize_url(&client, &challenge, &[]);
    let mut browser = Browser::new(&app);
    // One browser, so the CSRF tokens are the same: the pages may differ only in the name
    // typed and the first letter of the masked address.
    let known = fill(
        &mut browser,
        "/forgotPassword",
        &authorize,
        &[("username", "alice")],
    )
    .await;
    let unknown = fill(
        &mut browser,
        "/forgotPassword",
        &authorize,
        &[("username", "nobody")],
    )
    .await;
    assert_eq!((known.status, unknown.status), (200, 200));
    assert_eq!(title_of(&known), "Reset your password");
    assert!(
        known
            .body
            .contains("If the account exists, we sent a code to a***@e***.")
    );
    assert_eq!(
        known
            .body
            .replace("alice", "NAME")
            .replace("a***@e***", "MASK"),
        unknown
            .body
            .replace("nobody", "NAME")
            .replace("n***@e***", "MASK"),
    );
    // And a code for either is refused alike.
    let code = newest_code(&app, EMAIL).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut answers = Vec::new();
    for (page, name) in [(&known, "alice"), (&unknown, "nobody")] {
        let refused = submit(
            &mut browser,
            page,
            &[
                ("username", name),
                ("code", wrong),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(
            refused
                .body
                .contains("Invalid verification code provided, please try again.")
        );
        answers.push(refused.body.replace(name, "NAME"));
    }
    assert_eq!(answers[0], answers[1]);
    app.stop().await;
}

async fn a_password_is_reset_through_the_pages_and_the_new_one_signs_in(backend: Db) {
    let (app, _pool, client) = setup(backend).await;
    let (verifier, challenge) = pkce();
    let authorize = authorize_url(&client, &challenge, &[]);
    let mut browser = Browser::new(&app);
    let login = browser.get(&hosted("/login", &authorize)).await;
    let link = format!("href=\"{}\"", hosted("/forgotPassword", &authorize));
    assert!(html_unescape(&login.body).contains(&link), "{}", login.body);
    let page = fill(
        &mut browser,
        "/forgotPassword",
        &authorize,
        &[("username", "alice")],
    )
    .await;
    let code = newest_code(&app, EMAIL).await;
    let form = |password: &'static str, again: &'static str| {
        [
            ("username", "alice"),
            ("code", code.as_str()),
            ("new_password", password),
            ("confirm_password", again),
        ]
    };
    // Two different passwords, then one the policy refuses: shown on the page, and neither
    // costs the code.
    let mismatch = submit(&mut browser, &page, &form(NEW_PASSWORD, "Something-Else-8")).await;
    assert_eq!(mismatch.status, 400);
    assert!(
        mismatch
            .body
            .contains("The two passwords are not the same.")
    );
    let weak = submit(&mut browser, &page, &form("weak", "weak")).await;
    assert_eq!(weak.status, 400);
    assert!(
        weak.body
            .contains("Password did not conform with password policy: Password not long enough"),
        "{}",
        weak.body
    );
    let done = submit(&mut browser, &page, &form(NEW_PASSWORD, NEW_PASSWORD)).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(title_of(&done), "Sign in");
    assert!(
        done.body
            .contains("Your password was changed. Sign in with your new password.")
    );
    // The code was spent.
    let replay = submit(&mut browser, &page, &form(NEW_PASSWORD, NEW_PASSWORD)).await;
    assert_eq!(replay.status, 400);

    // The old password no longer signs in; the new one does, and the flow reaches the app.
    let old = submit(
        &mut browser,
        &done,
        &[("username", "alice"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(old.status, 401);
    let signed_in = submit(
        &mut browser,
        &done,
        &[("username", "alice"), ("password", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(signed_in.status, 302, "{}", signed_in.body);
    let query = query_of(&signed_in.location());
    exchange_at(&app, &client, &query["code"], CALLBACK, Some(&verifier))
        .await
        .unwrap();
    app.stop().await;
}

/// Debian's Chromium through sign-up (code read from the dev outbox), confirmation and the
/// redirect, then the forgotten-password pages and a sign-in with the new password
/// (tests/clients/js/hosted_sign_up_browser.mjs); screenshots of the sign-up and
/// forgotten-password pages are kept in target/test-artefacts.
async fn headless_chromium_signs_up_and_resets_a_password_through_the_hosted_pages(backend: Db) {
    let Some(dir) = chromium_clients() else {
        return;
    };
    let (app, pool, client) = setup(backend).await;
    let (verifier, challenge) = pkce();
    let callback = "http://localhost:3000/callback";
    let authorize = format!(
        "{}{}",
        app.address,
        authorize_with(&client, &challenge, "redirect_uri", Some(callback))
    );
    let sign_up_shot = artefact(&format!("hosted-signup-{backend:?}.png"));
    let forgot_shot = artefact(&format!("hosted-forgot-password-{backend:?}.png"));
    let mut node = std::process::Command::new("node");
    node.arg("hosted_sign_up_browser.mjs")
        .args([
            &authorize,
            callback,
            &app.address,
            "frank",
            "frank@example.com",
        ])
        .args([PASSWORD, NEW_PASSWORD])
        .arg(&sign_up_shot)
        .arg(&forgot_shot)
        .current_dir(dir);
    let stdout = crate::helpers::run_client(node, "browser sign-up and reset passed").await;
    let mut lines = stdout.lines();
    // Each landing at the app: one after the confirmation, one after the new password.
    for _ in 0..2 {
        let claims =
            exchange_landing(&app, &client, lines.next().unwrap(), callback, &verifier).await;
        assert_eq!(claims["cognito:username"], "frank");
        assert_eq!(claims["email"], "frank@example.com");
    }
    assert_eq!(status_of(&app, &pool, "frank").await, "CONFIRMED");
    for shot in [&sign_up_shot, &forgot_shot] {
        assert!(std::fs::metadata(shot).unwrap().len() > 1000);
        println!("screenshot: {}", shot.display());
    }
    app.stop().await;
}
