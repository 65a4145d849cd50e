//! `VerifyAuthChallengeResponse` (`VerifyAuthChallengeResponse_Authentication`): the
//! function compares the client's `ANSWER` with the challenge's private parameters and says
//! whether it is right. It is called once per answer: the answer spends its session first.

use serde_json::json;

use super::define_auth_challenge::ChallengeSubject;
use super::{TriggerError, Triggers, event, flag, invalid_response, string_map};
use crate::domain::secret::{ExposeSecret, SecretString};

pub const KIND: &str = "VerifyAuthChallengeResponse";

impl Triggers {
    pub async fn verify_auth_challenge_response(
        &self,
        function: &str,
        subject: &ChallengeSubject<'_>,
        private_parameters: &std::collections::BTreeMap<String, String>,
        answer: &SecretString,
    ) -> Result<bool, TriggerError> {
        let event = event(
            "VerifyAuthChallengeResponse_Authentication",
            &subject.caller,
            json!({
                "userAttributes": subject.user_attributes,
                "privateChallengeParameters": string_map(private_parameters),
                "challengeAnswer": answer.expose_secret(),
                "clientMetadata": string_map(subject.client_metadata),
                "userNotFound": subject.user_not_found,
            }),
            json!({ "answerCorrect": null }),
        );
        let response = self.call(KIND, function, event).await?;
        if !response.is_object() {
            return Err(invalid_response());
        }
        flag(&response, "answerCorrect")
    }
}
