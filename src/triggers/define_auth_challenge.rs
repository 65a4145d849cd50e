//! `DefineAuthChallenge` (`DefineAuthChallenge_Authentication`): at the start of a
//! `CUSTOM_AUTH` sign-in and after every answer, the function reads the challenges so far and
//! their results, and decides: issue tokens, fail the sign-in, or present another challenge
//! (docs/triggers.md, "Custom authentication").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Caller, TriggerError, Triggers, event, flag, invalid_response, string_map};

pub const KIND: &str = "DefineAuthChallenge";

/// One step of a custom sign-in as the functions see it (Cognito's `ChallengeResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeResult {
    /// `SRP_A`, `PASSWORD_VERIFIER` or `CUSTOM_CHALLENGE`.
    pub challenge_name: String,
    pub challenge_result: bool,
    /// What CreateAuthChallenge said about a custom challenge, for the next Define.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_metadata: Option<String>,
}

/// What every custom-auth event says about the user.
pub struct ChallengeSubject<'a> {
    pub caller: Caller<'a>,
    /// The user's attributes as events carry them; empty when no user has the name.
    pub user_attributes: Value,
    /// Set when no user has the name (only for clients that hide whether users exist).
    pub user_not_found: bool,
    pub client_metadata: &'a BTreeMap<String, String>,
}

/// The function's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    IssueTokens,
    Fail,
    /// The challenge to present next, as the function named it.
    Challenge(String),
}

impl Triggers {
    pub async fn define_auth_challenge(
        &self,
        function: &str,
        subject: &ChallengeSubject<'_>,
        session: &[ChallengeResult],
    ) -> Result<Decision, TriggerError> {
        let event = event(
            "DefineAuthChallenge_Authentication",
            &subject.caller,
            json!({
                "userAttributes": subject.user_attributes,
                "session": session,
                "clientMetadata": string_map(subject.client_metadata),
                "userNotFound": subject.user_not_found,
            }),
            json!({
                "challengeName": null,
                "issueTokens": null,
                "failAuthentication": null,
            }),
        );
        decision(&self.call(KIND, function, event).await?)
    }
}

/// Reads the answer as Cognito does: failing wins over issuing tokens, and a sign-in that is
/// neither failed nor finished must name its next challenge.
fn decision(response: &Value) -> Result<Decision, TriggerError> {
    if !matches!(response, Value::Object(_)) {
        return Err(invalid_response());
    }
    let fail = flag(response, "failAuthentication")?;
    let issue = flag(response, "issueTokens")?;
    let challenge = match response.get("challengeName") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if !name.is_empty() => Some(name.clone()),
        Some(Value::String(_)) => None,
        Some(_) => return Err(invalid_response()),
    };
    match (fail, issue, challenge) {
        (true, _, _) => Ok(Decision::Fail),
        (false, true, _) => Ok(Decision::IssueTokens),
        (false, false, Some(name)) => Ok(Decision::Challenge(name)),
        (false, false, None) => Err(invalid_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::{Decision, decision};
    use serde_json::json;

    #[test]
    fn answers_are_read_as_cognito_reads_them() {
        let read = |v| decision(&v);
        assert_eq!(
            read(json!({"failAuthentication": true, "issueTokens": true})),
            Ok(Decision::Fail)
        );
        assert_eq!(
            read(json!({"issueTokens": true, "challengeName": "CUSTOM_CHALLENGE"})),
            Ok(Decision::IssueTokens)
        );
        assert_eq!(
            read(json!({"challengeName": "CUSTOM_CHALLENGE", "issueTokens": false})),
            Ok(Decision::Challenge("CUSTOM_CHALLENGE".into()))
        );
        assert!(read(json!({"issueTokens": false})).is_err());
        assert!(read(json!({"issueTokens": "yes"})).is_err());
        assert!(read(json!({"challengeName": 7})).is_err());
        assert!(read(json!(null)).is_err());
    }
}
