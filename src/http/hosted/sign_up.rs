//! The sign-up page, `GET|POST /signup`, offered only where the pool lets users sign
//! themselves up. Its fields come from the pool: the username (or the e-mail address or
//! phone number users sign up under), the schema's required attributes and the contact
//! attributes the code goes to. The form posts through the API's `SignUp` use case, under
//! the API's per-address sign-up budget; the confirmation page follows.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::confirm_user;
use super::login::Said;
use super::{
    PRE_SESSION_COOKIE, Site, checked_page_request, cookie_value, form_page, page_links,
    posted_form, refused_form,
};
use crate::auth::Services;
use crate::auth::hosted_sign_up::{SignUpField, SignUpForm};
use crate::domain::attributes::UserAttributes;
use crate::domain::authorization_request::AuthorizationRequest;
use crate::domain::password_policy::PasswordPolicy;
use crate::domain::secret::secret;
use crate::domain::sign_in_names::SignInAttribute;
use crate::domain::username::Username;
use crate::http::error::Surface;
use crate::http::rate_limit::SignUpLimiter;

const FORM: &str = "sign_up";

const NOT_OFFERED: &str = "Sign-up is not available for this application. Ask its administrator \
     for an account.";

/// The pool's sign-up form, or the page that answers instead (sign-up is not offered).
async fn sign_up_form(
    site: &Site,
    services: &Services,
    authorization: &AuthorizationRequest,
) -> Result<SignUpForm, HttpResponse> {
    match services.hosted_sign_up_form(&authorization.client_id).await {
        Ok(Some(form)) => Ok(form),
        Ok(None) => Err(site.error_page(StatusCode::FORBIDDEN, NOT_OFFERED)),
        Err(error) => Err(site.failure_page(error)),
    }
}

pub(super) async fn show(request: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let (site, authorization) = match checked_page_request(&request, &services).await {
        Ok(checked) => checked,
        Err(page) => return page,
    };
    let form = sign_up_form(&site, &services, &authorization).await;
    match form {
        Ok(form) => page(
            &site,
            &request,
            &services,
            &form,
            StatusCode::OK,
            &Default::default(),
            None,
        ),
        Err(page) => page,
    }
}

fn page(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    form: &SignUpForm,
    status: StatusCode,
    typed: &std::collections::BTreeMap<String, String>,
    error: Option<&str>,
) -> HttpResponse {
    let (label, input_type, autocomplete) = username_input(&form.username_attributes);
    let fields: Vec<minijinja::Value> = form
        .attributes
        .iter()
        .enumerate()
        .map(|(index, field)| {
            let (label, input_type, autocomplete) = attribute_input(field);
            minijinja::context! {
                id => format!("attribute-{index}"),
                name => field.name,
                label => label,
                input_type => input_type,
                autocomplete => autocomplete,
                required => field.required,
                value => typed.get(&field.name).map_or("", String::as_str),
            }
        })
        .collect();
    form_page(
        site,
        request,
        services,
        status,
        "sign_up.html",
        FORM,
        minijinja::context! {
            title => "Sign up",
            action => site.action("/signup", request),
            username_label => label,
            username_type => input_type,
            username_autocomplete => autocomplete,
            username => typed.get("username").map_or("", String::as_str),
            fields => fields,
            password_rules => password_rules(&form.password_policy),
            error => error,
            ..page_links(site, request)
        },
    )
}

pub(super) async fn submit(
    request: HttpRequest,
    services: web::Data<Services>,
    body: web::Bytes,
) -> HttpResponse {
    let (site, authorization, fields) = match posted_form(&request, &services, FORM, &body).await {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    let form = match sign_up_form(&site, &services, &authorization).await {
        Ok(form) => form,
        Err(page) => return page,
    };
    let refuse = |status: StatusCode, message: &str| {
        page(
            &site,
            &request,
            &services,
            &form,
            status,
            &fields,
            Some(message),
        )
    };
    // The API's budget of sign-ups per address: the page tells whether a name is taken as
    // the API does, so it draws on the same budget.
    if let Some(limiter) = request.app_data::<web::Data<SignUpLimiter>>()
        && let Err(refusal) = limiter.0.check(&request, Surface::Plain)
    {
        return refuse(
            refusal.status(),
            "Too many sign-up attempts from this address; try again later.",
        );
    }
    let typed = fields.get("username").map_or("", String::as_str);
    let username = match Username::parse(typed) {
        Ok(username) => username,
        Err(reason) => return refuse(StatusCode::BAD_REQUEST, &sentence(&reason)),
    };
    // Only the form's own fields become attributes, and only filled ones: an optional
    // field left empty is no attribute at all.
    let mut attributes = UserAttributes::default();
    for field in &form.attributes {
        if let Some(value) = fields.get(&field.name).filter(|v| !v.is_empty()) {
            attributes.set(&field.name, value);
        }
    }
    let Some(pre_session) = cookie_value(&request, PRE_SESSION_COOKIE) else {
        // posted_form has checked the CSRF token against this very cookie.
        return refuse(StatusCode::FORBIDDEN, "Reload the page and try again.");
    };
    let password = secret(fields.get("password").map_or("", String::as_str));
    match services
        .hosted_sign_up(
            &authorization.client_id,
            username,
            password,
            attributes,
            &pre_session,
        )
        .await
    {
        Ok(signed_up) => confirm_user::page(
            &site,
            &request,
            &services,
            StatusCode::OK,
            confirm_user::Shown {
                username: typed,
                ticket: &signed_up.ticket,
                destination: signed_up.delivery.as_ref().map(|d| d.destination.as_str()),
            },
            Said::Nothing,
        ),
        Err(error) => refused_form(&site, error, refuse),
    }
}

/// "username must not be empty" → "Username must not be empty."
fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    let first = chars.next().map(|c| c.to_uppercase().to_string());
    format!("{}{}.", first.unwrap_or_default(), chars.as_str())
}

/// Label, input type and autocomplete token of the name users sign up under.
fn username_input(attributes: &[SignInAttribute]) -> (&'static str, &'static str, &'static str) {
    let email = attributes.contains(&SignInAttribute::Email);
    let phone = attributes.contains(&SignInAttribute::PhoneNumber);
    match (email, phone) {
        (true, true) => ("Email address or phone number", "text", "username"),
        (true, false) => ("Email address", "email", "email"),
        (false, true) => ("Phone number", "tel", "tel"),
        (false, false) => ("Username", "text", "username"),
    }
}

/// Label, input type and autocomplete token (HTML's names for these facts) of an attribute.
fn attribute_input(field: &SignUpField) -> (String, &'static str, Option<&'static str>) {
    let known = match field.name.as_str() {
        "email" => Some(("Email address", "email", Some("email"))),
        "phone_number" => Some(("Phone number", "tel", Some("tel"))),
        "name" => Some(("Name", "text", Some("name"))),
        "given_name" => Some(("Given name", "text", Some("given-name"))),
        "family_name" => Some(("Family name", "text", Some("family-name"))),
        "middle_name" => Some(("Middle name", "text", Some("additional-name"))),
        "nickname" => Some(("Nickname", "text", Some("nickname"))),
        "preferred_username" => Some(("Preferred username", "text", None)),
        "birthdate" => Some(("Date of birth", "date", Some("bday"))),
        "gender" => Some(("Gender", "text", Some("sex"))),
        "address" => Some(("Address", "text", Some("street-address"))),
        "website" => Some(("Website", "url", Some("url"))),
        "profile" => Some(("Profile page", "url", None)),
        "picture" => Some(("Picture URL", "url", Some("photo"))),
        "zoneinfo" => Some(("Time zone", "text", None)),
        "locale" => Some(("Locale", "text", Some("language"))),
        _ => None,
    };
    match known {
        Some((label, input_type, autocomplete)) => (label.to_owned(), input_type, autocomplete),
        None => {
            // Custom attributes are shown under their own name (`custom:team` as "team").
            let name = field.name.strip_prefix("custom:").unwrap_or(&field.name);
            (name.replace('_', " "), "text", None)
        }
    }
}

/// The password policy in words, shown under the password field.
fn password_rules(policy: &PasswordPolicy) -> String {
    let mut needs = Vec::new();
    if policy.require_uppercase {
        needs.push("an uppercase letter");
    }
    if policy.require_lowercase {
        needs.push("a lowercase letter");
    }
    if policy.require_numbers {
        needs.push("a number");
    }
    if policy.require_symbols {
        needs.push("a symbol");
    }
    let length = format!("At least {} characters", policy.minimum_length);
    match needs.split_last() {
        None => format!("{length}."),
        Some((last, [])) => format!("{length}, with {last}."),
        Some((last, rest)) => format!("{length}, with {} and {last}.", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_rules_read_as_a_sentence() {
        let mut policy = PasswordPolicy {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_password_validity_days: 7,
        };
        assert_eq!(
            password_rules(&policy),
            "At least 8 characters, with an uppercase letter, a lowercase letter, a number \
             and a symbol."
        );
        policy.require_uppercase = false;
        policy.require_lowercase = false;
        policy.require_symbols = false;
        assert_eq!(
            password_rules(&policy),
            "At least 8 characters, with a number."
        );
        policy.require_numbers = false;
        assert_eq!(password_rules(&policy), "At least 8 characters.");
    }
}
