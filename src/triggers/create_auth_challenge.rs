//! `CreateAuthChallenge` (`CreateAuthChallenge_Authentication`): when DefineAuthChallenge asks
//! for a `CUSTOM_CHALLENGE`, the function makes it: public parameters for the client to show,
//! private ones (usually the expected answer) that only VerifyAuthChallengeResponse sees, and
//! metadata that the next DefineAuthChallenge reads.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::define_auth_challenge::{ChallengeResult, ChallengeSubject};
use super::{TriggerError, Triggers, event, invalid_response, string_map};

pub const KIND: &str = "CreateAuthChallenge";

/// The most parameters, and the longest value, a challenge may carry: a challenge is kept,
/// sealed, until its answer, and its public half goes to the client (docs/triggers.md).
const MAX_PARAMETERS: usize = 64;
const MAX_VALUE_CHARS: usize = 4096;

/// The challenge the function made.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreatedChallenge {
    pub public_parameters: BTreeMap<String, String>,
    pub private_parameters: BTreeMap<String, String>,
    pub metadata: Option<String>,
}

impl Triggers {
    pub async fn create_auth_challenge(
        &self,
        function: &str,
        subject: &ChallengeSubject<'_>,
        challenge_name: &str,
        session: &[ChallengeResult],
    ) -> Result<CreatedChallenge, TriggerError> {
        let event = event(
            "CreateAuthChallenge_Authentication",
            &subject.caller,
            json!({
                "userAttributes": subject.user_attributes,
                "challengeName": challenge_name,
                "session": session,
                "clientMetadata": string_map(subject.client_metadata),
                "userNotFound": subject.user_not_found,
            }),
            json!({
                "publicChallengeParameters": null,
                "privateChallengeParameters": null,
                "challengeMetadata": null,
            }),
        );
        created(&self.call(KIND, function, event).await?)
    }
}

fn created(response: &Value) -> Result<CreatedChallenge, TriggerError> {
    if !matches!(response, Value::Object(_)) {
        return Err(invalid_response());
    }
    let metadata = match response.get("challengeMetadata") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.chars().count() <= MAX_VALUE_CHARS => Some(text.clone()),
        Some(_) => return Err(invalid_response()),
    };
    Ok(CreatedChallenge {
        public_parameters: parameters(response.get("publicChallengeParameters"))?,
        private_parameters: parameters(response.get("privateChallengeParameters"))?,
        metadata,
    })
}

/// A map of strings, as Cognito's parameters are; absent or null is empty.
fn parameters(member: Option<&Value>) -> Result<BTreeMap<String, String>, TriggerError> {
    let object = match member {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(object)) if object.len() <= MAX_PARAMETERS => object,
        Some(_) => return Err(invalid_response()),
    };
    object
        .iter()
        .map(|(name, value)| match value {
            Value::String(text) if text.chars().count() <= MAX_VALUE_CHARS => {
                Ok((name.clone(), text.clone()))
            }
            _ => Err(invalid_response()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::created;
    use serde_json::json;

    #[test]
    fn parameters_are_maps_of_strings() {
        let made = created(&json!({
            "publicChallengeParameters": {"question": "6 x 7?"},
            "privateChallengeParameters": {"answer": "42"},
            "challengeMetadata": "QUIZ-1",
        }))
        .unwrap();
        assert_eq!(made.public_parameters["question"], "6 x 7?");
        assert_eq!(made.private_parameters["answer"], "42");
        assert_eq!(made.metadata.as_deref(), Some("QUIZ-1"));
        assert_eq!(created(&json!({})).unwrap(), Default::default());
        assert!(created(&json!({"publicChallengeParameters": {"n": 42}})).is_err());
        assert!(created(&json!({"privateChallengeParameters": ["x"]})).is_err());
        assert!(created(&json!({"challengeMetadata": {}})).is_err());
    }
}
