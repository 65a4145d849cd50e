//! The Cognito JSON API: `POST /` with `X-Amz-Target: AWSCognitoIdentityProviderService.<Op>`,
//! for AWS SDKs used unchanged. One file per operation; each decodes its request, calls a
//! use case in `auth/`, and answers with Cognito's member names.
//!
//! Public operations are authorised by client id, password, session or token; admin
//! operations by an AWS SigV4 signature checked before they run (`sigv4.rs`). Anything else
//! is `UnknownOperationException`.

mod admin;
mod associate_software_token;
mod change_password;
mod confirm_forgot_password;
mod confirm_sign_up;
mod delete_user;
mod delete_user_attributes;
mod forgot_password;
mod get_tokens_from_refresh_token;
mod get_user;
mod get_user_attribute_verification_code;
mod global_sign_out;
mod initiate_auth;
mod resend_confirmation_code;
mod respond_to_auth_challenge;
mod revoke_token;
mod set_user_mfa_preference;
mod shapes;
mod sign_up;
mod update_user_attributes;
mod verify_software_token;
mod verify_user_attribute;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::body::{AUTH_BODY_LIMIT, decode, read_body};
use super::error::{ApiError, Surface, Transport};
use super::fields;
use super::rate_limit::{SignInLimiter, SignUpLimiter};
use super::sigv4::AdminAuth;
use super::well_known::PublicUrl;
use crate::auth::{AuthError, Services};
use crate::domain::ids::ClientId;
use crate::domain::secret::SecretString;
use crate::domain::username::Username;

const SURFACE: Surface = Surface::CognitoJson;
const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
/// Cognito's bound on a `SetUICustomization` request.
const UI_CUSTOMIZATION_BODY_LIMIT: usize = 135 * 1024;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(
        web::resource("/")
            .route(web::post().to(dispatch))
            .default_service(web::to(super::method_not_allowed)),
    );
}

async fn dispatch(
    request: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
    admin_auth: web::Data<AdminAuth>,
    limiter: web::Data<SignInLimiter>,
    sign_up_limiter: web::Data<SignUpLimiter>,
) -> Result<HttpResponse, ApiError> {
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let operation = target.strip_prefix(TARGET_PREFIX).ok_or_else(|| {
        ApiError::new(
            Transport::UnknownOperation,
            "Missing or unknown X-Amz-Target; expected AWSCognitoIdentityProviderService.<Operation>",
            SURFACE,
        )
    })?;
    if SIGN_IN_OPERATIONS.contains(&operation) {
        limiter.check(&request, SURFACE)?;
    }
    if operation == "SignUp" {
        sign_up_limiter.0.check(&request, SURFACE)?;
    }
    // SetUICustomization carries a logo of up to 100 KB, base64-encoded in the JSON: its
    // request may be as large as Cognito's (135 KB); every other stays small.
    let limit = if operation == "SetUICustomization" {
        UI_CUSTOMIZATION_BODY_LIMIT
    } else {
        AUTH_BODY_LIMIT
    };
    let body = read_body(&request, payload, limit, SURFACE).await?;
    if let Some(result) = public(operation, &services, &body).await {
        return result;
    }
    if !ADMIN_OPERATIONS.contains(&operation) {
        return Err(ApiError::new(
            Transport::UnknownOperation,
            format!(
                "Operation {} is not supported by Gatehouse",
                operation.chars().take(64).collect::<String>()
            ),
            SURFACE,
        ));
    }
    admin_auth.verify(&request, &body, services.clock.now())?;
    let public_url = request
        .app_data::<web::Data<PublicUrl>>()
        .map(|url| url.0.clone())
        .unwrap_or_default();
    admin_operation(operation, &services, &body, &public_url).await
}

/// Operations that try a password or a code: rate-limited per client address.
const SIGN_IN_OPERATIONS: &[&str] = &[
    "InitiateAuth",
    "RespondToAuthChallenge",
    "SignUp",
    "ConfirmSignUp",
    "ResendConfirmationCode",
    "ForgotPassword",
    "ConfirmForgotPassword",
    "GetUserAttributeVerificationCode",
    "VerifyUserAttribute",
    "AdminInitiateAuth",
    "AdminRespondToAuthChallenge",
    "VerifySoftwareToken",
];

const ADMIN_OPERATIONS: &[&str] = &[
    "CreateUserPool",
    "DescribeUserPool",
    "ListUserPools",
    "DeleteUserPool",
    "UpdateUserPool",
    "CreateUserPoolClient",
    "DescribeUserPoolClient",
    "ListUserPoolClients",
    "UpdateUserPoolClient",
    "DeleteUserPoolClient",
    "AdminCreateUser",
    "AdminGetUser",
    "AdminDeleteUser",
    "AdminDisableUser",
    "AdminEnableUser",
    "AdminSetUserPassword",
    "AdminUpdateUserAttributes",
    "AdminDeleteUserAttributes",
    "AdminUserGlobalSignOut",
    "AdminInitiateAuth",
    "AdminRespondToAuthChallenge",
    "ListUsers",
    "CreateGroup",
    "ListGroups",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminListGroupsForUser",
    "GetGroup",
    "UpdateGroup",
    "DeleteGroup",
    "ListUsersInGroup",
    "AdminResetUserPassword",
    "AdminConfirmSignUp",
    "SetUserPoolMfaConfig",
    "GetUserPoolMfaConfig",
    "AdminSetUserMFAPreference",
    "AddCustomAttributes",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "CreateResourceServer",
    "DescribeResourceServer",
    "ListResourceServers",
    "UpdateResourceServer",
    "DeleteResourceServer",
    "CreateUserPoolDomain",
    "DescribeUserPoolDomain",
    "UpdateUserPoolDomain",
    "DeleteUserPoolDomain",
    "SetUICustomization",
    "GetUICustomization",
];

async fn admin_operation(
    operation: &str,
    services: &Services,
    body: &[u8],
    public_url: &str,
) -> Result<HttpResponse, ApiError> {
    use admin::*;
    match operation {
        "CreateUserPool" => create_user_pool::handle(services, body).await,
        "DescribeUserPool" => describe_user_pool::handle(services, body).await,
        "ListUserPools" => list_user_pools::handle(services, body).await,
        "DeleteUserPool" => delete_user_pool::handle(services, body).await,
        "UpdateUserPool" => update_user_pool::handle(services, body).await,
        "CreateUserPoolClient" => create_user_pool_client::handle(services, body).await,
        "DescribeUserPoolClient" => describe_user_pool_client::handle(services, body).await,
        "ListUserPoolClients" => list_user_pool_clients::handle(services, body).await,
        "UpdateUserPoolClient" => update_user_pool_client::handle(services, body).await,
        "DeleteUserPoolClient" => delete_user_pool_client::handle(services, body).await,
        "AdminCreateUser" => admin_create_user::handle(services, body).await,
        "AdminGetUser" => admin_get_user::handle(services, body).await,
        "AdminDeleteUser" => admin_delete_user::handle(services, body).await,
        "AdminDisableUser" => admin_disable_user::handle(services, body).await,
        "AdminEnableUser" => admin_enable_user::handle(services, body).await,
        "AdminSetUserPassword" => admin_set_user_password::handle(services, body).await,
        "AdminUpdateUserAttributes" => admin_update_user_attributes::handle(services, body).await,
        "AdminDeleteUserAttributes" => admin_delete_user_attributes::handle(services, body).await,
        "AdminUserGlobalSignOut" => admin_user_global_sign_out::handle(services, body).await,
        "AdminInitiateAuth" => admin_initiate_auth::handle(services, body).await,
        "AdminRespondToAuthChallenge" => {
            admin_respond_to_auth_challenge::handle(services, body).await
        }
        "ListUsers" => list_users::handle(services, body).await,
        "CreateGroup" => create_group::handle(services, body).await,
        "ListGroups" => list_groups::handle(services, body).await,
        "AdminAddUserToGroup" => admin_add_user_to_group::handle(services, body).await,
        "AdminRemoveUserFromGroup" => admin_remove_user_from_group::handle(services, body).await,
        "AdminListGroupsForUser" => admin_list_groups_for_user::handle(services, body).await,
        "GetGroup" => get_group::handle(services, body).await,
        "UpdateGroup" => update_group::handle(services, body).await,
        "DeleteGroup" => delete_group::handle(services, body).await,
        "ListUsersInGroup" => list_users_in_group::handle(services, body).await,
        "AdminResetUserPassword" => admin_reset_user_password::handle(services, body).await,
        "AdminConfirmSignUp" => admin_confirm_sign_up::handle(services, body).await,
        "SetUserPoolMfaConfig" => set_user_pool_mfa_config::handle(services, body).await,
        "GetUserPoolMfaConfig" => get_user_pool_mfa_config::handle(services, body).await,
        "AdminSetUserMFAPreference" => admin_set_user_mfa_preference::handle(services, body).await,
        "AddCustomAttributes" => add_custom_attributes::handle(services, body).await,
        "TagResource" => tag_resource::handle(services, body).await,
        "UntagResource" => untag_resource::handle(services, body).await,
        "ListTagsForResource" => list_tags_for_resource::handle(services, body).await,
        "CreateResourceServer" => create_resource_server::handle(services, body).await,
        "DescribeResourceServer" => describe_resource_server::handle(services, body).await,
        "ListResourceServers" => list_resource_servers::handle(services, body).await,
        "UpdateResourceServer" => update_resource_server::handle(services, body).await,
        "DeleteResourceServer" => delete_resource_server::handle(services, body).await,
        "CreateUserPoolDomain" => create_user_pool_domain::handle(services, body).await,
        "DescribeUserPoolDomain" => describe_user_pool_domain::handle(services, body).await,
        "UpdateUserPoolDomain" => update_user_pool_domain::handle(services, body).await,
        "DeleteUserPoolDomain" => delete_user_pool_domain::handle(services, body).await,
        "SetUICustomization" => set_ui_customization::handle(services, body, public_url).await,
        "GetUICustomization" => get_ui_customization::handle(services, body, public_url).await,
        other => Err(ApiError::new(
            Transport::UnknownOperation,
            format!("Operation {other} is not supported by Gatehouse"),
            SURFACE,
        )),
    }
}

const PUBLIC_OPERATIONS: &[&str] = &[
    "InitiateAuth",
    "RespondToAuthChallenge",
    "GetTokensFromRefreshToken",
    "RevokeToken",
    "GlobalSignOut",
    "GetUser",
    "ChangePassword",
    "SignUp",
    "ConfirmSignUp",
    "UpdateUserAttributes",
    "DeleteUserAttributes",
    "ResendConfirmationCode",
    "ForgotPassword",
    "ConfirmForgotPassword",
    "DeleteUser",
    "GetUserAttributeVerificationCode",
    "VerifyUserAttribute",
    "AssociateSoftwareToken",
    "VerifySoftwareToken",
    "SetUserMFAPreference",
];

/// The operation an `X-Amz-Target` names, as a metric label: one of the operations served,
/// or `unknown`, so a caller cannot mint new label values.
pub fn operation_label(target: Option<&str>) -> &'static str {
    let Some(operation) = target.and_then(|t| t.strip_prefix(TARGET_PREFIX)) else {
        return "unknown";
    };
    PUBLIC_OPERATIONS
        .iter()
        .chain(ADMIN_OPERATIONS)
        .find(|known| **known == operation)
        .copied()
        .unwrap_or("unknown")
}

/// The operations that need no signature; None for anything else.
async fn public(
    operation: &str,
    services: &Services,
    body: &[u8],
) -> Option<Result<HttpResponse, ApiError>> {
    Some(match operation {
        "InitiateAuth" => initiate_auth::handle(services, body).await,
        "RespondToAuthChallenge" => respond_to_auth_challenge::handle(services, body).await,
        "GetTokensFromRefreshToken" => get_tokens_from_refresh_token::handle(services, body).await,
        "RevokeToken" => revoke_token::handle(services, body).await,
        "GlobalSignOut" => global_sign_out::handle(services, body).await,
        "GetUser" => get_user::handle(services, body).await,
        "ChangePassword" => change_password::handle(services, body).await,
        "SignUp" => sign_up::handle(services, body).await,
        "ConfirmSignUp" => confirm_sign_up::handle(services, body).await,
        "UpdateUserAttributes" => update_user_attributes::handle(services, body).await,
        "DeleteUserAttributes" => delete_user_attributes::handle(services, body).await,
        "ResendConfirmationCode" => resend_confirmation_code::handle(services, body).await,
        "ForgotPassword" => forgot_password::handle(services, body).await,
        "ConfirmForgotPassword" => confirm_forgot_password::handle(services, body).await,
        "DeleteUser" => delete_user::handle(services, body).await,
        "GetUserAttributeVerificationCode" => {
            get_user_attribute_verification_code::handle(services, body).await
        }
        "VerifyUserAttribute" => verify_user_attribute::handle(services, body).await,
        "AssociateSoftwareToken" => associate_software_token::handle(services, body).await,
        "VerifySoftwareToken" => verify_software_token::handle(services, body).await,
        "SetUserMFAPreference" => set_user_mfa_preference::handle(services, body).await,
        _ => return None,
    })
}

/// Decodes an operation's input. The JS SDK validates nothing, so the server checks it all.
fn input<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    decode(body, SURFACE)
}

/// A successful answer: the operation's output, or `{}`.
fn output<T: Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/x-amz-json-1.1")
        .json(value)
}

fn empty() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/x-amz-json-1.1")
        .body("{}")
}

fn failed(error: AuthError) -> ApiError {
    ApiError::from_auth(error, SURFACE)
}

fn constraint(member: &str, rule: &str) -> ApiError {
    fields::constraint(SURFACE, member, rule)
}

fn required<T>(member: &str, value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| constraint(member, "Member must not be null"))
}

fn client_id(raw: &str) -> Result<ClientId, ApiError> {
    ClientId::parse(raw).map_err(|_| {
        constraint(
            "clientId",
            "Member must satisfy regular expression pattern: [\\w+]+ and have length 1-128",
        )
    })
}

fn username(member: &str, raw: &str) -> Result<Username, ApiError> {
    fields::username(SURFACE, member, raw)
}

/// A one-time code as Cognito's `ConfirmationCodeType` allows it: 1–2048 characters, none
/// of them whitespace or control characters.
fn code(member: &str, code: SecretString) -> Result<SecretString, ApiError> {
    use crate::domain::secret::ExposeSecret;
    let length = code.expose_secret().chars().count();
    if !(1..=2048).contains(&length)
        || code
            .expose_secret()
            .contains(|c: char| c.is_whitespace() || c.is_control())
    {
        return Err(constraint(
            member,
            "Member must satisfy regular expression pattern: [\\S]+",
        ));
    }
    Ok(code)
}

fn password(member: &str, raw: &SecretString) -> Result<SecretString, ApiError> {
    fields::password(SURFACE, member, raw)
}

/// Tokens (`TokenModelType`).
fn token(member: &str, raw: &SecretString) -> Result<SecretString, ApiError> {
    fields::token(SURFACE, member, raw, 8192)
}

/// The input of the operations that take nothing but the caller's `AccessToken`
/// (`GetUser`, `GlobalSignOut`, `DeleteUser`).
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccessTokenOnly {
    access_token: Option<SecretString>,
}

/// Decodes an [`AccessTokenOnly`] request and authenticates its token: the signed-in user
/// and the app client the token was issued to.
async fn signed_in_caller(
    services: &Services,
    body: &[u8],
) -> Result<crate::auth::access::AccessContext, ApiError> {
    let input: AccessTokenOnly = input(body)?;
    let access = token("accessToken", &required("accessToken", input.access_token)?)?;
    services
        .authenticate_access_token(&access)
        .await
        .map_err(failed)
}
