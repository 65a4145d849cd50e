//! The AWS Lambda Invoke API, as an AWS SDK calls it: `POST
//! {endpoint}/2015-03-31/functions/{FunctionName}/invocations` with the event as the body,
//! the function's result as the answer, `X-Amz-Function-Error` marking a function that
//! threw. Signed with SigV4 for the service `lambda` when credentials are configured, so the
//! same settings reach a small on-prem handler, `sam local start-lambda`, the runtime
//! interface emulator, LocalStack or AWS Lambda itself (docs/triggers.md, "Configuration").
//!
//! Where a function is reached comes from configuration only (never from a request);
//! redirects are not followed; each call has a time limit, and the calls in flight are
//! bounded and their places shared fairly between functions (`places.rs`), so a slow function
//! cannot take more than its share of the server, nor keep other functions waiting.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use secrecy::{ExposeSecret, SecretString};

use super::places::Places;
use super::{Invoke, InvokeError};

/// Where and how functions are invoked (the validated `GATEHOUSE_LAMBDA_*` settings).
#[derive(Debug, Clone)]
pub struct InvokerConfig {
    /// The Invoke API every function is reached at, unless `function_urls` names its own.
    pub endpoint: Option<url::Url>,
    /// Per-function endpoints, by ARN.
    pub function_urls: BTreeMap<String, url::Url>,
    /// The access key id and secret to sign with; None sends requests unsigned.
    pub credentials: Option<(String, SecretString)>,
    /// The time limit of one call, waiting for a place included.
    pub timeout: Duration,
    /// How many calls may be in flight at once, over all functions (shared fairly between them).
    pub concurrency: usize,
}

/// The Invoke API client of the server.
pub struct HttpInvoker {
    client: reqwest::Client,
    config: InvokerConfig,
    places: Places,
}

/// What the AWS SDKs leave unescaped in a path segment: letters, digits and `-._~`.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The Lambda region of an ARN (`arn:aws:lambda:REGION:account:function:name`).
fn region_of(function: &str) -> &str {
    function
        .split(':')
        .nth(3)
        .filter(|region| !region.is_empty())
        .unwrap_or("us-east-1")
}

impl HttpInvoker {
    pub fn new(config: InvokerConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .build()?;
        Ok(Self {
            client,
            places: Places::new(config.concurrency.max(1)),
            config,
        })
    }

    /// The invocation URL of `function`, if an endpoint reaches it.
    fn url_of(&self, function: &str) -> Option<String> {
        let base = self
            .config
            .function_urls
            .get(function)
            .or(self.config.endpoint.as_ref())?;
        Some(format!(
            "{}/2015-03-31/functions/{}/invocations",
            base.as_str().trim_end_matches('/'),
            utf8_percent_encode(function, PATH_SEGMENT)
        ))
    }

    /// The SigV4 headers for a request to `url` with `body`.
    #[allow(
        clippy::disallowed_methods,
        reason = "AWS checks a signature against its own wall clock, not the server's Clock"
    )]
    fn signature(
        &self,
        function: &str,
        url: &str,
        body: &[u8],
    ) -> Result<Vec<(String, String)>, InvokeError> {
        let Some((key_id, secret)) = &self.config.credentials else {
            return Ok(Vec::new());
        };
        let identity: Identity = Credentials::new(
            key_id,
            secret.expose_secret(),
            None,
            None,
            "gatehouse-lambda",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region_of(function))
            .name("lambda")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(unsigned)?
            .into();
        let headers = [("content-type", "application/json")];
        let signable =
            SignableRequest::new("POST", url, headers.into_iter(), SignableBody::Bytes(body))
                .map_err(unsigned)?;
        let (instructions, _) = sign(signable, &params).map_err(unsigned)?.into_parts();
        Ok(instructions
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect())
    }

    async fn call(&self, function: &str, event: Vec<u8>) -> Result<Vec<u8>, InvokeError> {
        let url = self
            .url_of(function)
            .ok_or_else(|| InvokeError::Unreachable("no endpoint is configured".into()))?;
        let _place = self
            .places
            .take(function)
            .await
            .ok_or_else(|| InvokeError::Unreachable("shutting down".into()))?;
        let mut request = self
            .client
            .post(&url)
            .header("content-type", "application/json");
        for (name, value) in self.signature(function, &url, &event)? {
            request = request.header(name, value);
        }
        let failed = |error: reqwest::Error| {
            if error.is_timeout() {
                InvokeError::TimedOut
            } else {
                InvokeError::Unreachable(error.without_url().to_string())
            }
        };
        let response = request.body(event).send().await.map_err(failed)?;
        let status = response.status();
        let function_error = response.headers().contains_key("x-amz-function-error");
        let body = response.bytes().await.map_err(failed)?;
        if function_error {
            return Err(InvokeError::Function(function_error_message(&body)));
        }
        if !status.is_success() {
            return Err(InvokeError::Unreachable(format!(
                "the Invoke API answered {status}"
            )));
        }
        Ok(body.to_vec())
    }
}

fn unsigned<E>(_: E) -> InvokeError {
    InvokeError::Unreachable("the request could not be signed".into())
}

/// The `errorMessage` of a function error's body (the body itself when it has none).
fn function_error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct FunctionError {
        #[serde(rename = "errorMessage")]
        error_message: String,
    }
    serde_json::from_slice::<FunctionError>(body).map_or_else(
        |_| String::from_utf8_lossy(body).into_owned(),
        |error| error.error_message,
    )
}

#[async_trait::async_trait]
impl Invoke for HttpInvoker {
    async fn invoke(&self, function: &str, event: Vec<u8>) -> Result<Vec<u8>, InvokeError> {
        // The limit covers the wait for a place as well as the call.
        tokio::time::timeout(self.config.timeout, self.call(function, event))
            .await
            .unwrap_or(Err(InvokeError::TimedOut))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:pre-sign-up";

    fn invoker(credentials: bool) -> HttpInvoker {
        HttpInvoker::new(InvokerConfig {
            endpoint: Some(url::Url::parse("http://127.0.0.1:3001/").unwrap()),
            function_urls: BTreeMap::from([(
                "arn:aws:lambda:eu-west-1:123456789012:function:other".to_owned(),
                url::Url::parse("https://lambda.example").unwrap(),
            )]),
            credentials: credentials.then(|| {
                (
                    "AKIDEXAMPLE".to_owned(),
                    SecretString::from("secret".to_owned()),
                )
            }),
            timeout: Duration::from_secs(5),
            concurrency: 4,
        })
        .unwrap()
    }

    #[test]
    fn function_names_are_escaped_as_the_sdks_escape_them() {
        assert_eq!(
            invoker(false).url_of(ARN).unwrap(),
            "http://127.0.0.1:3001/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Apre-sign-up/invocations"
        );
        assert!(
            invoker(false)
                .url_of("arn:aws:lambda:eu-west-1:123456789012:function:other")
                .unwrap()
                .starts_with("https://lambda.example/2015-03-31/functions/arn%3A")
        );
    }

    #[test]
    fn requests_are_signed_for_lambda_in_the_functions_region() {
        let invoker = invoker(true);
        let url = invoker.url_of(ARN).unwrap();
        let headers = invoker.signature(ARN, &url, b"{}").unwrap();
        let authorization = &headers
            .iter()
            .find(|(name, _)| name == "authorization")
            .unwrap()
            .1;
        assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
        assert!(authorization.contains("/eu-west-1/lambda/aws4_request"));
        assert!(
            self::invoker(false)
                .signature(ARN, &url, b"{}")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_function_error_is_read_for_its_message() {
        assert_eq!(
            function_error_message(br#"{"errorMessage":"no","errorType":"Error"}"#),
            "no"
        );
        assert_eq!(function_error_message(b"plain"), "plain");
    }
}
