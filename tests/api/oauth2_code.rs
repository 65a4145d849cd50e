//! The authorization-code flow through the hosted pages (docs/oauth2.md, "Authorization endpoint, hosted pages and logout"): authorize,
//! the sign-in form with its CSRF token, the session cookie, codes and their exchange, PKCE,
//! logout, and the attacks on each (redirect_uri variants, open redirects, code replay, PKCE
//! downgrade, CSRF, framing, a code of one client at another, lockout through the form).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::join_all;
use gatehouse::domain::ids::ClientId;
use gatehouse::domain::pool::UserPool;
use gatehouse::domain::secret::{ExposeSecret, SecretString, secret};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cognito_api::call as cognito;
use crate::helpers::{PASSWORD, TestApp, jwt_part};
use crate::hostile_input::admin;
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    a_browser_signs_in_and_the_code_is_exchanged_for_tokens_with_nonce_and_scopes,
    refreshed_tokens_carry_the_scopes_the_code_granted_and_no_more,
    redirect_uri_variants_get_an_error_page_and_no_redirect,
    request_errors_after_the_redirect_uri_is_proven_are_redirected_with_state,
    a_burst_of_50_exchanges_of_one_code_has_one_winner_and_the_replay_revokes_its_tokens,
    pkce_downgrades_are_refused,
    the_forms_refuse_posts_without_their_csrf_token,
    every_page_refuses_framing_and_caching,
    a_code_of_one_client_is_refused_to_another,
    logout_ends_the_session_and_redirects_only_to_registered_urls,
    the_lockout_holds_through_the_hosted_form,
    a_new_user_sets_a_password_on_the_hosted_page,
    headless_chromium_signs_in_through_the_hosted_page,
    openid_client_drives_the_code_flow_with_pkce_userinfo_and_refresh,
);

pub const CALLBACK: &str = "https://app.example/callback";
pub const SIGNED_OUT: &str = "https://app.example/signed-out";

/// A verifier and its `S256` challenge.
pub fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand_bytes());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, b) in uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .chain(uuid::Uuid::new_v4().as_bytes())
        .enumerate()
    {
        bytes[i] = *b;
    }
    bytes
}

/// An app client of `pool` that may use the code flow (a public one unless `with_secret`).
pub async fn code_client(app: &TestApp, pool: &UserPool, with_secret: bool) -> ClientId {
    let created = admin(
        app,
        "CreateUserPoolClient",
        &json!({
            "UserPoolId": pool.id.to_string(),
            "ClientName": "web",
            "GenerateSecret": with_secret,
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "CallbackURLs": [CALLBACK, "http://localhost:3000/callback"],
            "LogoutURLs": [SIGNED_OUT],
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["openid", "email", "aws.cognito.signin.user.admin"],
            "AllowedOAuthFlowsUserPoolClient": true,
            "SupportedIdentityProviders": ["COGNITO"],
            "ReadAttributes": ["email"],
        }),
    )
    .await;
    let status = created.status();
    let body: Value = created.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    ClientId::parse(body["UserPoolClient"]["ClientId"].as_str().unwrap()).unwrap()
}

/// A browser: no automatic redirects, and a cookie jar kept by hand (the test client has none).
/// A clone is another tab of the same browser (the same cookies, from then on its own).
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> String {
        self.headers
            .get("location")
            .unwrap_or_else(|| panic!("a redirect expected, got {}: {}", self.status, self.body))
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// The value of a hidden input.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in {}", self.body))
            + marker.len();
        let end = start + self.body[start..].find('"').unwrap();
        html_unescape(&self.body[start..end])
    }

    /// The form's action, unescaped.
    pub fn action(&self) -> String {
        let start = self.body.find("action=\"").unwrap() + "action=\"".len();
        let end = start + self.body[start..].find('"').unwrap();
        html_unescape(&self.body[start..end])
    }
}

pub fn html_unescape(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            base: app.address.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_owned()
        }
    }

    async fn keep(&mut self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap();
            let (name, content) = pair.split_once('=').unwrap();
            if content.is_empty() || value.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), content.to_owned());
            }
        }
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, url: &str) -> Page {
        let response = self
            .client
            .get(self.absolute(url))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = self
            .client
            .post(self.absolute(url))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    /// Opens the authorize URL, is sent to the sign-in page, submits the form: the page the
    /// form's answer is (a redirect to the callback when the sign-in succeeded).
    pub async fn sign_in(&mut self, authorize: &str, username: &str, password: &str) -> Page {
        let sent = self.get(authorize).await;
        assert_eq!(sent.status, 302, "{}", sent.body);
        let login = self.get(&sent.location()).await;
        assert_eq!(login.status, 200, "{}", login.body);
        let csrf = login.hidden("_csrf");
        self.post(
            &login.action(),
            &[
                ("_csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }
}

/// The query parameters of a URL.
pub fn query_of(url: &str) -> BTreeMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn authorize_url(client: &ClientId, challenge: &str, extra: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs([
        ("response_type", "code"),
        ("client_id", client.as_str()),
        ("redirect_uri", CALLBACK),
        ("scope", "openid email aws.cognito.signin.user.admin"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]);
    for (name, value) in extra {
        query.append_pair(name, value);
    }
    format!("/oauth2/authorize?{}", query.finish())
}

/// The same with one parameter replaced (or dropped when `value` is None).
pub fn authorize_with(
    client: &ClientId,
    challenge: &str,
    name: &str,
    value: Option<&str>,
) -> String {
    let url = url::Url::parse(&format!(
        "http://x{}",
        authorize_url(client, challenge, &[])
    ))
    .unwrap();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url.query_pairs() {
        if k == name {
            if let Some(value) = value {
                query.append_pair(&k, value);
            }
        } else {
            query.append_pair(&k, &v);
        }
    }
    if !url.query_pairs().any(|(k, _)| k == name)
        && let Some(value) = value
    {
        query.append_pair(name, value);
    }
    format!("/oauth2/authorize?{}", query.finish())
}

/// What `POST /oauth2/token` answered for a code.
pub struct Exchanged {
    pub id_token: SecretString,
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
}

/// The RFC 6749 refusal of an exchange; every refusal here must be `invalid_grant`.
#[derive(Debug)]
pub enum Refused {
    InvalidGrant,
}

/// `grant_type=authorization_code` at the token endpoint (the public client names itself).
async fn exchange(
    app: &TestApp,
    client: &ClientId,
    code: &str,
    verifier: Option<&str>,
) -> Result<Exchanged, Refused> {
    exchange_at(app, client, code, CALLBACK, verifier).await
}

/// Where a browser script landed at the app (a JSON line with `state` and `code`): asserts
/// the state came back, exchanges the code, and returns the ID token's claims.
pub(crate) async fn exchange_landing(
    app: &TestApp,
    client: &ClientId,
    landed: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Value {
    let landed: Value = serde_json::from_str(landed).unwrap();
    assert_eq!(landed["state"], "st-123");
    let code = landed["code"].as_str().unwrap();
    let tokens = exchange_at(app, client, code, redirect_uri, Some(verifier))
        .await
        .unwrap();
    jwt_part(tokens.id_token.expose_secret(), 1)
}

pub async fn exchange_at(
    app: &TestApp,
    client: &ClientId,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> Result<Exchanged, Refused> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", client.as_str()),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let response = app
        .client
        .post(format!("{}/oauth2/token", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap();
    if status == 200 {
        let token = |name: &str| secret(answer[name].as_str().unwrap());
        Ok(Exchanged {
            id_token: token("id_token"),
            access_token: token("access_token"),
            refresh_token: Some(token("refresh_token")),
        })
    } else {
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"], "invalid_grant", "{answer}");
        Err(Refused::InvalidGrant)
    }
}

async fn refresh_with(app: &TestApp, client: &ClientId, refresh_token: &str) -> reqwest::Response {
    cognito(
        app,
        "InitiateAuth",
        &json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client.as_str(),
                "AuthParameters": {"REFRESH_TOKEN": refresh_token}}),
    )
    .await
}

async fn setup(backend: Db) -> (TestApp, UserPool, ClientId) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let client = code_client(&app, &pool, false).await;
    (app, pool, client)
}

async fn a_browser_signs_in_and_the_code_is_exchanged_for_tokens_with_nonce_and_scopes(
    backend: Db,
) {
    let (app, pool, client) = setup(backend).await;
    let (verifier, challenge) = pkce();
    let mut browser = Browser::new(&app);
    let answer = browser
        .sign_in(&authorize_url(&client, &challenge, &[]), "alice", PASSWORD)
        .await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    let location = answer.location();
    assert!(location.starts_with(&format!("{CALLBACK}?")), "{location}");
    let query = query_of(&location);
    assert_eq!(query["state"], "st-123");
    let code = query["code"].clone();
    let session_cookie = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("gatehouse_session="))
        .expect("a session cookie");
    assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
    assert!(session_cookie.contains("SameSite=Lax"), "{session_cookie}");
    assert!(session_cookie.contains("Path=/"), "{session_cookie}");

    let tokens = exchange(&app, &client, &code, Some(&verifier))
        .await
        .unwrap();
    let id = jwt_part(tokens.id_token.expose_secret(), 1);
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["aud"], client.as_str());
    assert_eq!(id["cognito:username"], "alice");
    let access = jwt_part(tokens.access_token.expose_secret(), 1);
    assert_eq!(
        access["scope"],
        "openid email aws.cognito.signin.user.admin"
    );
    assert_eq!(access["client_id"], client.as_str());
    // The access token works where Gatehouse accepts one.
    let info = app.user_info(tokens.access_token.expose_secret()).await;
    assert_eq!(info.status(), 200);
    // The refresh token refreshes.
    let refreshed = refresh_with(
        &app,
        &client,
        tokens.refresh_token.as_ref().unwrap().expose_secret(),
    )
    .await;
    assert_eq!(refreshed.status(), 200);

    // With the session cookie the next authorize answers at once, with a new code.
    let (verifier2, challenge2) = pkce();
    let again = browser.get(&authorize_url(&client, &challenge2, &[])).await;
    assert_eq!(again.status, 302);
    let location = again.location();
    assert!(location.starts_with(CALLBACK), "{location}");
    let second = query_of(&location)["code"].clone();
    assert_ne!(second, code);
    assert!(
        exchange(&app, &client, &second, Some(&verifier2))
            .await
            .is_ok()
    );
    // The same under the pool's path.
    let (_, challenge3) = pkce();
    let under_pool = browser
        .get(
            &authorize_url(&client, &challenge3, &[])
                .replace("/oauth2", &format!("/{}/oauth2", pool.id)),
        )
        .await;
    // The cookie was set for the root path, and the pool's path is under it.
    assert_eq!(under_pool.status, 302);
    assert!(under_pool.location().starts_with(CALLBACK));
    // Under another pool's path the client is unknown: an error page.
    let (other, _) = app.create_pool("other").await;
    let elsewhere = browser
        .get(
            &authorize_url(&client, &challenge3, &[])
                .replace("/oauth2", &format!("/{}/oauth2", other.id)),
        )
        .await;
    assert_eq!(elsewhere.status, 400);
    assert!(elsewhere.headers.get("location").is_none());
}

/// A session started by a code granted `openid email` refreshes into tokens with those
/// scopes, on every refresh path: never into the admin scope that would let the token call
/// GetUser or UpdateUserAttributes (docs/oauth2.md, "Authorization codes").
async fn refreshed_tokens_carry_the_scopes_the_code_granted_and_no_more(backend: Db) {
    let (app, _pool, client) = setup(backend).await;
    let (verifier, challenge) = pkce();
    let mut browser = Browser::new(&app);
    let answer = browser
        .sign_in(
            &authorize_with(&client, &challenge, "scope", Some("openid email")),
            "alice",
            PASSWORD,
        )
        .await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    let code = query_of(&answer.location())["code"].clone();
    let tokens = exchange(&app, &client, &code, Some(&verifier))
        .await
        .unwrap();
    let refresh_token = tokens.refresh_token.unwrap();
    let refuses_user_api = |access: String| {
        let app = &app;
        async move {
            let response = cognito(app, "GetUser", &json!({"AccessToken": access})).await;
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            assert_eq!(status, 400, "{body}");
            assert_eq!(body["__type"], "NotAuthorizedException", "{body}");
        }
    };
    let scope_of = |access: &str| jwt_part(access, 1)["scope"].clone();
    assert_eq!(
        scope_of(tokens.access_token.expose_secret()),
        "openid email"
    );
    refuses_user_api(tokens.access_token.expose_secret().to_owned()).await;

    // REFRESH_TOKEN_AUTH on the Cognito API.
    let refreshed = refresh_with(&app, &client, refresh_token.expose_secret()).await;
    let status = refreshed.status();
    let body: Value = refreshed.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let access = body["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(scope_of(&access), "openid email");
    refuses_user_api(access).await;

    // The refresh_token grant at the token endpoint.
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "refresh_token"),
            ("client_id", client.as_str()),
            ("refresh_token", refresh_token.expose_secret()),
        ])
        .finish();
    let response = app
        .client
        .post(format!("{}/oauth2/token", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(scope_of(&access), "openid email");
    refuses_user_api(access).await;
}

async fn redirect_uri_variants_get_an_error_page_and_no_redirect(backend: Db) {
    let (app, _pool, client) = setup(backend).await;
    let (_, challenge) = pkce();
    let mut browser = Browser::new(&app);
    for variant in [
        "https://app.example/callback/",
        "https://app.example/callbackx",
        "https://APP.example/callback",
        "https://app.example/Callback",
        "https://app.example/callback/extra",
        "https://app.example/callback?x=1",
        "https://app.example/callback#f",
        "http://app.example/callback",
        "https://app.example.evil.example/callback",
        "https://evil.example/?https://app.example/callback",
        "",
    ] {
        for path in ["/oauth2/authorize", "/login"] {
            let url = authorize_with(&client, &challenge, "redirect_uri", Some(variant))
                .replace("/oauth2/authorize", path);
            let page = browser.get(&url).await;
            assert_eq!(page.status, 400, "{variant} at {path}: {}", page.body);
            assert!(page.headers.get("location").is_none(), "{variant}");
            assert!(page.body.contains("callback URLs") || page.body.contains("redirect_uri"));
            assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
        }
    }
    // An unknown client, or none: an error page too.
    for url in [
        authorize_with(
            &client,
            &challenge,
            "client_id",
            Some("1example23456789abcdefghij"),
        ),
        authorize_with(&client, &challenge, "client_id", None),
    ] {
        let page = browser.get(&url).await;
        assert_eq!(page.status, 400, "{}", page.body);
        assert!(page.headers.get("location").is_none());
    }
    // A repeated redirect_uri is refused as ambiguous.
    let doubled = authorize_url(
        &client,
        &challenge,
        &[("redirect_uri", "https://evil.example/")],
    );
    let page = browser.get(&doubled).await;
    assert_eq!(page.status, 400);
    assert!(page.headers.get("location").is_none());
}

async fn request_errors_after_the_redirect_uri_is_proven_are_redirected_with_state(backend: Db) {
    let (app, _pool, client) = setup(backend).await;
    let (_, challenge) = pkce();
    let mut browser = Browser::new(&app);
    for (name, value, error) in [
        ("response_type", Some("token"), "unsupported_response_type"),
        ("response_type", None, "invalid_request"),
        ("scope", Some("openid phone"), "invalid_scope"),
        ("scope", Some("orders/write"), "invalid_scope"),
    ] {
        let page = browser
            .get(&authorize_with(&client, &challenge, name, value))
            .await;
        assert_eq!(page.status, 302, "{name}={value:?}: {}", page.body);
        let location = page.location();
        assert!(location.starts_with(CALLBACK), "{location}");
        let query = query_of(&location);
        assert_eq!(query["error"], error, "{name}={value:?}");
        assert_eq!(query["state"], "st-123");
        assert!(!query.contains_key("code"));
    }
}

async fn a_burst_of_50_exchanges_of_one_code_has_one_winner_and_the_replay_revokes_its_tokens(
    backend: Db,
) {
    let (app, _pool, client) = setup(backend).await;
    let (verifier, challenge) = pkce();
    let mut browser = Browser::new(&app);
    let answer = browser
        .sign_in(&authorize_url(&client, &challenge, &[]), "alice", PASSWORD)
        .await;
    let code = query_of(&answer.location())["code"].clone();
    let results = join_all((0..50).map(|_| exchange(&app, &client, &code, Some(&verifier)))).await;
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one exchange wins");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(matches!(refused, Refused::InvalidGrant), "{refused:?}");
    }
    // The replays revoked what the winner got.
    let refresh = winners[0].refresh_token.as_ref().unwrap().expose_secret();
    let refused = refresh_with(&app, &client, refresh).await;
    assert_eq!(refused.status(), 400);
    // And a replay after the fact is refused too.
    assert!(matches!(
        exchange(&app, &client, &code, Some(&verifier)).await,
        Err(Refused::InvalidGrant)
    ));
}

async fn pkce_downgrades_are_refused(backend: Db) {
    let (app, _pool, client) = setup(backend).await;
    let (verifier, challenge) = pkce();
    let mut browser = Browser::new(&app);
    // `plain`, or no challenge from a public client: refused at authorize.
    for (name, value) in [
        ("code_challenge_method", Some("plain")),
        ("code_challenge_method", None),
        ("code_challenge", None),
    ] {
        let url = if name == "code_challenge" {
            authorize_with(&client, &challenge, "code_challenge_method", None)
                .replace(&format!("code_challenge={challenge}&"), "")
        } else {
            authorize_with(&client, &challenge, name, value)
        };
        let page = browser.get(&url).await;
        assert_eq!(page.status, 302, "{url}");
        assert_eq!(
            query_of(&page.location())["error"],
            "invalid_request",
            "{url}"
        );
    }
    // A missing or wrong verifier at the exchange: invalid_grant, and the code is spent.
    for presented in [None, Some("x".repeat(43)), Some(challenge.clone())] {
        let answer = browser.get(&authorize_url(&client, &challenge, &[])).await;
        let answer = if answer.location().starts_with(CALLBACK) {
            answer
        } else {
            browser
                .sign_in(&authorize_url(&client, &challenge, &[]), "alice", PASSWORD)
                .await
        };
        let code = query_of(&answer.location())["code"].clone();
        assert!(matches!(
            exchange(&app, &client, &code, presented.as_deref()).await,
            Err(Refused::InvalidGrant)
        ));
        assert!(
            exchange(&app, &client, &code, Some(&verifier))
                .await
                .is_err()
        );
    }
}

async fn the_forms_refuse_posts_without_their_csrf_token(backend: Db) {
    let (app, _pool, client) = setup(backend).await;
    let (_, challenge) = pkce();
    let mut browser = Browser::new(&app);
    let sent = browser.get(&authorize_url(&client, &challenge, &[])).await;
    let login = browser.get(&sent.location()).await;
    let csrf = login.hidden("_csrf");
    let action = login.action();
    let credentials = [("username", "alice"), ("password", PASSWORD)];
    // No token, a wrong one, a token of another browser (another pre-session cookie).
    let mut other = Browser::new(&app);
    let other_login = other.get(&sent.location()).await;
    for token in [
        None,
        Some("AAAA".to_owned()),
        Some(other_login.hidden("_csrf")),
    ] {
        let mut form = credentials.to_vec();
        if let Some(token) = &token {
            form.push(("_csrf", token));
        }
        let page = browser.post(&action, &form).await;
        assert_eq!(page.status, 403, "{token:?}");
        assert!(page.headers.get("location").is_none());
    }
    // The right token without the cookie it is bound to.
    let mut cookieless = Browser::new(&app);
    let mut form = credentials.to_vec();
    form.push(("_csrf", &csrf));
    assert_eq!(cookieless.post(&action, &form).await.status, 403);
    // And with both: signed in.
    let page = browser.post(&action, &form).await;
    assert_eq!(page.status, 302);
    assert!(page.location().starts_with(CALLBACK));
}

async fn every_page_refuses_framing_and_caching(backend: Db) {
    let (app, _pool, client) = setup(backend).await;
    let (_, challenge) = pkce();
    let mut browser = Browser::new(&app);
    let sent = browser.get(&authorize_url(&client, &challenge, &[])).await;
    let login = browser.get(&sent.location()).await;
    let error = browser
        .get(&authorize_with(
            &client,
            &challenge,
            "redirect_uri",
            Some("https://evil.example/"),
        ))
        .await;
    let wrong = browser
        .post(
            &login.action(),
            &[
                ("_csrf", &login.hidden("_csrf")),
                ("username", "alice"),
                ("password", "nope"),
            ],
        )
        .await;
    for page in [&sent, &login, &error, &wrong] {
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "style-src 'self'",
        ] {
            assert!(csp.contains(directive), "{csp}");
        }
        assert_eq!(page.headers["x-frame-options"], "DENY");
        assert_eq!(page.headers["cache-control"], "no-store");
        assert_eq!(page.headers["referrer-policy"], "no-referrer");
    }
    // Accessible: a language, a label for every input, no script.
    assert!(login.body.contains("<html lang=\"en\">"));
    for id in ["username", "password"] {
        assert!(login.body.contains(&format!("<label for=\"{id}\"")));
        assert!(login.body.contains(&format!("id=\"{id}\"")));
    }
    assert!(!login.body.contains("<script"));
    // The same message for a wrong password and an unknown user.
    let unknown = browser
        .post(
            &login.action(),
            &[
                ("_csrf", &login.hidden("_csrf")),
                ("username", "nobody"),
                ("password", "nope"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert!(wrong.body.contains("Incorrect username or password."));
    assert!(unknown.body.contains("Incorrect username or password."));
    // The stylesheet is served from Gatehouse itself (CSP `style-src 'self'`).
    let css = browser.get("/hosted/style.css").await;
    assert_eq!(css.status, 200);
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
}

async fn a_code_of_one_client_is_refused_to_another(backend: Db) {
    let (app, pool, client) = setup(backend).await;
    let other = code_client(&app, &pool, false).await;
    let (verifier, challenge) = pkce();
    let mut browser = Browser::new(&app);
    let answer = browser
        .sign_in(&authorize_url(&client, &challenge, &[]), "alice", PASSWORD)
        .await;
    let code = query_of(&answer.location())["code"].clone();
    assert!(matches!(
        exchange(&app, &other, &code, Some(&verifier)).await,
        Err(Refused::InvalidGrant)
    ));
    // A redirect_uri other than the request's is refused too.
    let answer = browser.get(&authorize_url(&client, &challenge, &[])).await;
    let code = query_of(&answer.location())["code"].clone();
    let other_uri = "http://localhost:3000/callback";
    assert!(matches!(
        exchange_at(&app, &client, &code, other_uri, Some(&verifier)).await,
        Err(Refused::InvalidGrant)
    ));
}

async fn logout_ends_the_session_and_redirects_only_to_registered_urls(backend: Db) {
    let (app, pool, client) = setup(backend).await;
    let (_, challenge) = pkce();
    let mut browser = Browser::new(&app);
    browser
        .sign_in(&authorize_url(&client, &challenge, &[]), "alice", PASSWORD)
        .await;
    let logout = |uri: &str, client: &str| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", client)
            .append_pair("logout_uri", uri)
            .finish();
        format!("/logout?{query}")
    };
    for variant in [
        "https://evil.example/",
        "https://app.example/signed-out/",
        "https://app.example/Signed-out",
        "https://app.example/signed-out?next=https://evil.example",
        "//evil.example",
        CALLBACK,
    ] {
        let page = browser.get(&logout(variant, client.as_str())).await;
        assert_eq!(page.status, 400, "{variant}");
        assert!(page.headers.get("location").is_none());
        assert!(browser.cookies.contains_key("gatehouse_session"));
    }
    let page = browser
        .get(&logout(SIGNED_OUT, "1example23456789abcdefghij"))
        .await;
    assert_eq!(page.status, 400);
    // Under another pool's path the client is not found.
    let (other, _) = app.create_pool("other").await;
    let page = browser
        .get(&format!(
            "/{}{}",
            other.id,
            logout(SIGNED_OUT, client.as_str())
        ))
        .await;
    assert_eq!(page.status, 400);
    // The registered URL: signed out, redirected there, and the next authorize shows the form.
    let page = browser
        .get(&format!(
            "/{}{}",
            pool.id,
            logout(SIGNED_OUT, client.as_str())
        ))
        .await;
    assert_eq!(page.status, 302);
    assert_eq!(page.location(), SIGNED_OUT);
    let again = browser.get(&authorize_url(&client, &challenge, &[])).await;
    assert!(
        again.location().starts_with("/login?"),
        "{}",
        again.location()
    );
}

async fn the_lockout_holds_through_the_hosted_form(backend: Db) {
    let (app, _pool, client) = setup(backend).await;
    let (_, challenge) = pkce();
    let mut browser = Browser::new(&app);
    let sent = browser.get(&authorize_url(&client, &challenge, &[])).await;
    let login = browser.get(&sent.location()).await;
    let csrf = login.hidden("_csrf");
    let action = login.action();
    let wrong = [
        ("_csrf", csrf.as_str()),
        ("username", "alice"),
        ("password", "Wrong-Horse-1"),
    ];
    let right = [
        ("_csrf", csrf.as_str()),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    let pages = join_all((0..50).map(|_| {
        let mut b = Browser {
            base: browser.base.clone(),
            client: browser.client.clone(),
            cookies: browser.cookies.clone(),
        };
        let action = action.clone();
        async move { b.post(&action, &wrong).await }
    }))
    .await;
    assert!(
        pages.iter().all(|p| p.status == 401 || p.status == 400),
        "{:?}",
        pages.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    assert!(
        pages
            .iter()
            .any(|p| p.body.contains("Password attempts exceeded"))
    );
    // The right password, last, is refused: the account is locked.
    let page = browser.post(&action, &right).await;
    assert_ne!(page.status, 302, "{}", page.body);
    assert!(
        page.body.contains("Password attempts exceeded"),
        "{}",
        page.body
    );
}

async fn a_new_user_sets_a_password_on_the_hosted_page(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "bob", true).await;
    let client = code_client(&app, &pool, false).await;
    let (verifier, challenge) = pkce();
    let mut browser = Browser::new(&app);
    let page = browser
        .sign_in(&authorize_url(&client, &challenge, &[]), "bob", PASSWORD)
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Choose a new password"));
    let form = |new: &'static str, confirm: &'static str, page: &Page| {
        vec![
            ("_csrf".to_owned(), page.hidden("_csrf")),
            ("session".to_owned(), page.hidden("session")),
            ("username".to_owned(), page.hidden("username")),
            ("new_password".to_owned(), new.to_owned()),
            ("confirm_password".to_owned(), confirm.to_owned()),
        ]
    };
    let post = |fields: Vec<(String, String)>| fields;
    let mismatch = post(form("Brand-New-Pass-1", "Other-Pass-1", &page));
    let pairs: Vec<(&str, &str)> = mismatch
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let again = browser.post(&page.action(), &pairs).await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("not the same"));
    let chosen = post(form("Brand-New-Pass-1", "Brand-New-Pass-1", &again));
    let pairs: Vec<(&str, &str)> = chosen
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = browser.post(&again.action(), &pairs).await;
    assert_eq!(done.status, 302, "{}", done.body);
    let code = query_of(&done.location())["code"].clone();
    assert!(
        exchange(&app, &client, &code, Some(&verifier))
            .await
            .is_ok()
    );
}

/// The directory of the browser scripts, when Debian's Chromium and the JS clients are
/// installed. Skipped, with a message, only when /usr/bin/chromium is absent outside CI; in
/// CI it must run.
pub fn chromium_clients() -> Option<std::path::PathBuf> {
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but /usr/bin/chromium is absent: apt-get install -y chromium"
        );
        eprintln!("SKIPPED: /usr/bin/chromium is absent (apt-get install -y chromium)");
        return None;
    }
    crate::cognito_api::js_clients()
}

/// Where a test keeps a file for people to look at (screenshots): target/test-artefacts.
pub fn artefact(name: &str) -> std::path::PathBuf {
    let artefacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artefacts");
    std::fs::create_dir_all(&artefacts).unwrap();
    artefacts.join(name.to_lowercase())
}

/// Debian's Chromium, driven by playwright-core (tests/clients/js/hosted_browser.mjs). Skipped,
/// with a message, only when /usr/bin/chromium is absent outside CI; in CI it must run.
async fn headless_chromium_signs_in_through_the_hosted_page(backend: Db) {
    let Some(dir) = chromium_clients() else {
        return;
    };
    let (app, _pool, client) = setup(backend).await;
    let (verifier, challenge) = pkce();
    let callback = "http://localhost:3000/callback";
    let authorize = format!(
        "{}{}",
        app.address,
        authorize_with(&client, &challenge, "redirect_uri", Some(callback))
    );
    let screenshot = artefact(&format!("hosted-login-{backend:?}.png"));
    let mut node = std::process::Command::new("node");
    node.arg("hosted_browser.mjs")
        .args([&authorize, callback, "alice", PASSWORD])
        .arg(&screenshot)
        .current_dir(dir);
    let stdout = crate::helpers::run_client(node, "browser sign-in passed").await;
    let claims = exchange_landing(
        &app,
        &client,
        stdout.lines().next().unwrap(),
        callback,
        &verifier,
    )
    .await;
    assert_eq!(claims["nonce"], "n-456");
    assert!(std::fs::metadata(&screenshot).unwrap().len() > 1000);
    println!("sign-in page screenshot: {}", screenshot.display());
}

/// openid-client, a certified OpenID Connect relying party, unchanged: discovery, PKCE, state
/// and nonce, the ID token verified by the library, userInfo and a refresh
/// (tests/clients/js/oidc_code_flow.mjs; the script posts the sign-in form itself).
async fn openid_client_drives_the_code_flow_with_pkce_userinfo_and_refresh(backend: Db) {
    let Some(dir) = crate::cognito_api::js_clients() else {
        return;
    };
    let (app, pool, client) = setup(backend).await;
    let issuer = format!("{}/{}", app.address, pool.id);
    let mut node = std::process::Command::new("node");
    node.arg("oidc_code_flow.mjs")
        .args([&issuer, client.as_str(), CALLBACK, "alice", PASSWORD])
        .current_dir(dir);
    crate::helpers::run_client(node, "openid-client code flow passed").await;
}
