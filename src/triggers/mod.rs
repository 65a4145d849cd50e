//! Lambda triggers: a pool's `LambdaConfig` names functions that Gatehouse calls, through the
//! AWS Lambda Invoke API, at the points of a flow where Cognito calls them
//! (docs/triggers.md). This module builds each source's event in Cognito's shape, hands it to
//! an [`Invoke`] (the HTTP client of `invoke.rs` in the server), and reads the function's
//! answer back into a typed result the use cases apply. One file per trigger source.
//!
//! No call is made while a database connection or transaction is held: the use cases call
//! here between store calls, and every store call returns its connection when it ends.

pub mod create_auth_challenge;
pub mod custom_message;
pub mod define_auth_challenge;
pub mod invoke;
mod places;
pub mod post_authentication;
pub mod post_confirmation;
pub mod pre_authentication;
pub mod pre_sign_up;
pub mod pre_token_generation;
pub mod user_migration;
pub mod verify_auth_challenge_response;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::user::User;

pub use invoke::{HttpInvoker, InvokerConfig};

/// Calls a function by its ARN with an event, and returns the function's answer.
#[async_trait::async_trait]
pub trait Invoke: Send + Sync {
    async fn invoke(&self, function: &str, event: Vec<u8>) -> Result<Vec<u8>, InvokeError>;
}

/// Why an invocation gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The function ran and failed (`X-Amz-Function-Error`): its `errorMessage`.
    #[error("the function failed: {0}")]
    Function(String),
    /// No answer: nothing configured to reach it, refused, a non-2xx status, or too slow.
    #[error("the function could not be invoked: {0}")]
    Unreachable(String),
    /// No answer within the call's time limit (Cognito's 5 seconds).
    #[error("the function did not answer in time")]
    TimedOut,
}

/// What a trigger call ended in, as Cognito names it to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// `UserLambdaValidationException`: the function refused (threw an error).
    #[error("{0}")]
    Refused(String),
    /// `UnexpectedLambdaException`: the function could not be invoked or did not answer in time.
    #[error("{0}")]
    Unexpected(String),
    /// `InvalidLambdaResponseException`: the answer is not the source's response shape.
    #[error("{0}")]
    InvalidResponse(String),
}

/// Cognito's message for an answer it cannot read.
const UNRECOGNIZABLE: &str = "Unrecognizable lambda output";

fn invalid_response() -> TriggerError {
    TriggerError::InvalidResponse(UNRECOGNIZABLE.to_owned())
}

/// The trigger caller the use cases own: the invoker, or none (no endpoint configured, so a
/// pool that names a function gets `UnexpectedLambdaException`, as a missing function does).
#[derive(Clone)]
pub struct Triggers {
    invoker: Option<Arc<dyn Invoke>>,
}

impl Triggers {
    pub fn new(invoker: Arc<dyn Invoke>) -> Self {
        Self {
            invoker: Some(invoker),
        }
    }

    /// No function can be reached (the operator's commands, which run no flows that call one).
    pub fn unconfigured() -> Self {
        Self { invoker: None }
    }

    /// Invokes `function` for `kind` (the `LambdaConfig` member's name, used in Cognito's
    /// error messages) and returns the `response` member of its answer (`Null` if absent).
    async fn call(&self, kind: &str, function: &str, event: Value) -> Result<Value, TriggerError> {
        let Some(invoker) = &self.invoker else {
            tracing::warn!(
                trigger = kind,
                function,
                "no Lambda endpoint is configured (GATEHOUSE_LAMBDA_ENDPOINT)"
            );
            return Err(unexpected(kind, "AccessDeniedException"));
        };
        let body = serde_json::to_vec(&event)
            .map_err(|_| unexpected(kind, "InvalidRequestContentException"))?;
        let answer = match invoker.invoke(function, body).await {
            Ok(answer) => answer,
            Err(InvokeError::Function(message)) => {
                tracing::info!(trigger = kind, function, "the function refused");
                return Err(TriggerError::Refused(format!(
                    "{kind} failed with error {message}."
                )));
            }
            Err(InvokeError::Unreachable(reason)) => {
                tracing::warn!(trigger = kind, function, %reason, "the function could not be invoked");
                return Err(unexpected(kind, "AccessDeniedException"));
            }
            Err(InvokeError::TimedOut) => {
                tracing::warn!(
                    trigger = kind,
                    function,
                    "the function did not answer in time"
                );
                return Err(unexpected(kind, "TimeoutError"));
            }
        };
        let Ok(Value::Object(mut answer)) = serde_json::from_slice::<Value>(&answer) else {
            tracing::warn!(
                trigger = kind,
                function,
                "the function's answer is not a JSON object"
            );
            return Err(invalid_response());
        };
        Ok(answer.remove("response").unwrap_or(Value::Null))
    }
}

/// Cognito's message when a function gives no answer, with the error it names.
fn unexpected(kind: &str, error: &str) -> TriggerError {
    TriggerError::Unexpected(format!("{kind} invocation failed due to error {error}."))
}

/// Who an event is about: Cognito's envelope fields besides the source and the payload.
pub struct Caller<'a> {
    pub pool: &'a UserPoolId,
    /// None where no app client is involved (`AdminCreateUser`, `AdminConfirmSignUp`).
    pub client: Option<&'a ClientId>,
    pub user_name: &'a str,
}

/// Cognito's event envelope.
fn event(trigger_source: &str, caller: &Caller<'_>, request: Value, response: Value) -> Value {
    json!({
        "version": "1",
        "triggerSource": trigger_source,
        "region": caller.pool.region(),
        "userPoolId": caller.pool.to_string(),
        "userName": caller.user_name,
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": caller
                .client
                .map_or_else(|| "CLIENT_ID_NOT_APPLICABLE".to_owned(), ToString::to_string),
        },
        "request": request,
        "response": response,
    })
}

/// A user's attributes as events carry them: `sub`, `cognito:user_status` and every stored
/// attribute as a string.
pub fn user_attributes(user: &User) -> Value {
    let mut attributes: Map<String, Value> = user
        .attributes
        .as_map()
        .iter()
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect();
    attributes.insert("sub".into(), Value::String(user.sub.to_string()));
    attributes.insert(
        "cognito:user_status".into(),
        Value::String(user.status.as_str().to_owned()),
    );
    Value::Object(attributes)
}

/// `clientMetadata` (and `validationData`) as events carry them: an object of strings.
fn string_map(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// A boolean member of a response: absent or null is false, anything but a boolean is an
/// answer Cognito cannot read.
fn flag(response: &Value, member: &str) -> Result<bool, TriggerError> {
    match response.get(member) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(value)) => Ok(*value),
        Some(_) => Err(invalid_response()),
    }
}

/// The answer of a source whose response Cognito ignores: any object (or null) is fine.
fn ignored(response: &Value) -> Result<(), TriggerError> {
    match response {
        Value::Null | Value::Object(_) => Ok(()),
        _ => Err(invalid_response()),
    }
}
