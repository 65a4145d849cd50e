//! `AdminCreateUser`: a user with a temporary password (`FORCE_CHANGE_PASSWORD`), invited
//! through the outbox (`manage/invitations.rs`). Without `TemporaryPassword` one is
//! generated to meet the pool's policy; `MessageAction` and `DesiredDeliveryMediums` are
//! Cognito's.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, AttributeType, UserType};
use super::super::{constraint, failed, input, output, password, required, username};
use super::pool;
use crate::auth::Services;
use crate::domain::message::Medium;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;
use crate::manage::invitations::{Invitation, MessageAction};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    username: Option<String>,
    #[serde(default)]
    user_attributes: Vec<AttributeType>,
    temporary_password: Option<SecretString>,
    message_action: Option<String>,
    desired_delivery_mediums: Option<Vec<String>>,
    /// Take a verified e-mail or phone alias over from the user holding it.
    force_alias_creation: Option<bool>,
    /// Passed to the `PreSignUp` function only.
    #[serde(default)]
    validation_data: Vec<AttributeType>,
    #[serde(default)]
    client_metadata: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    user: UserType,
}

fn message_action(raw: Option<&str>) -> Result<MessageAction, ApiError> {
    match raw {
        None => Ok(MessageAction::Send),
        Some("SUPPRESS") => Ok(MessageAction::Suppress),
        Some("RESEND") => Ok(MessageAction::Resend),
        Some(_) => Err(constraint(
            "messageAction",
            "Member must satisfy enum value set: [RESEND, SUPPRESS]",
        )),
    }
}

fn delivery_mediums(raw: Option<Vec<String>>) -> Result<Option<Vec<Medium>>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let mut mediums = Vec::new();
    for value in &raw {
        let medium = Medium::parse(value).ok_or_else(|| {
            constraint(
                "desiredDeliveryMediums",
                "Member must satisfy constraint: [Member must satisfy enum value set: [SMS, EMAIL]]",
            )
        })?;
        // Asked twice, sent once.
        if !mediums.contains(&medium) {
            mediums.push(medium);
        }
    }
    Ok(Some(mediums))
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let name = username("username", &required("username", input.username)?)?;
    let action = message_action(input.message_action.as_deref())?;
    let mediums = delivery_mediums(input.desired_delivery_mediums)?;
    let temporary_password = input
        .temporary_password
        .map(|given| password("temporaryPassword", &given))
        .transpose()?;
    let attributes = shapes::parse_attributes(input.user_attributes)?;
    let user = services
        .invite_user(
            &pool,
            Invitation {
                username: name,
                attributes,
                temporary_password,
                action,
                mediums,
                force_alias_creation: input.force_alias_creation.unwrap_or(false),
                validation_data: input
                    .validation_data
                    .into_iter()
                    .map(|attribute| (attribute.name, attribute.value.unwrap_or_default()))
                    .collect(),
                client_metadata: input.client_metadata,
            },
        )
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        user: shapes::user(&user),
    }))
}
