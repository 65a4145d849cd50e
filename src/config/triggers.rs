//! Lambda trigger settings: where a pool's trigger functions are invoked (the AWS Lambda
//! Invoke API), the keys to sign the calls with, and each call's time limit and the number in
//! flight. docs/triggers.md ("Configuration") says how they combine.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Args;
use secrecy::SecretString;

use super::{ConfigError, non_empty, parse_secret};
use crate::triggers::InvokerConfig;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Lambda triggers")]
pub struct TriggerSettings {
    /// The Lambda Invoke API trigger functions are called at (`http://127.0.0.1:3001` for
    /// `sam local start-lambda`, `https://lambda.us-east-1.amazonaws.com` for AWS). Unset: a
    /// pool that names a trigger function gets `UnexpectedLambdaException`.
    #[arg(long, global = true, env = "GATEHOUSE_LAMBDA_ENDPOINT")]
    pub lambda_endpoint: Option<String>,

    /// Per-function endpoints, as a JSON object from function ARN to Invoke API URL; a function
    /// named here is called there instead of at GATEHOUSE_LAMBDA_ENDPOINT.
    #[arg(long, global = true, env = "GATEHOUSE_LAMBDA_FUNCTION_URLS")]
    pub lambda_function_urls: Option<String>,

    /// Access key id to sign Invoke calls with (SigV4, service `lambda`, the function's region).
    /// Unset: calls are not signed.
    #[arg(long, global = true, env = "GATEHOUSE_LAMBDA_ACCESS_KEY_ID")]
    pub lambda_access_key_id: Option<String>,

    /// Secret access key that goes with GATEHOUSE_LAMBDA_ACCESS_KEY_ID.
    #[arg(long, global = true, env = "GATEHOUSE_LAMBDA_SECRET_ACCESS_KEY", value_parser = parse_secret, hide_env_values = true)]
    pub lambda_secret_access_key: Option<SecretString>,

    /// Time limit of one trigger call in milliseconds (Cognito's is 5 seconds).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_LAMBDA_TIMEOUT_MS",
        default_value_t = 5_000
    )]
    pub lambda_timeout_ms: u64,

    /// How many trigger calls may be in flight at once; more wait for a place (within the
    /// time limit). One function may hold at most three quarters of them, and a freed place
    /// goes to the waiting function with the fewest calls in flight.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_LAMBDA_CONCURRENCY",
        default_value_t = 64
    )]
    pub lambda_concurrency: usize,
}

/// An Invoke API endpoint: an absolute http(s) URL with no query or fragment.
fn endpoint(variable: &'static str, raw: &str) -> Result<url::Url, ConfigError> {
    let url = url::Url::parse(raw)
        .map_err(|e| ConfigError::new(variable, format!("not a URL ({e}): {raw}")))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(ConfigError::new(
            variable,
            format!("must be an http or https URL without query or fragment: {raw}"),
        ));
    }
    Ok(url)
}

impl TriggerSettings {
    /// Adds a seed file's `LambdaFunctionUrls`: a function named in both keeps the URL
    /// GATEHOUSE_LAMBDA_FUNCTION_URLS gives it, as the command line outranks a file.
    pub fn with_seed_function_urls(
        mut self,
        from_file: &BTreeMap<String, String>,
    ) -> Result<Self, ConfigError> {
        if from_file.is_empty() {
            return Ok(self);
        }
        const SEED: &str = "LambdaFunctionUrls (seed file)";
        for (function, url) in from_file {
            if !crate::domain::pool_config::is_arn(function) {
                return Err(ConfigError::new(
                    SEED,
                    format!("not a function ARN: {function}"),
                ));
            }
            endpoint(SEED, url)?;
        }
        let mut merged = from_file.clone();
        merged.extend(self.function_url_map()?);
        self.lambda_function_urls = Some(
            serde_json::to_string(&merged).map_err(|e| ConfigError::new(SEED, e.to_string()))?,
        );
        Ok(self)
    }

    /// GATEHOUSE_LAMBDA_FUNCTION_URLS as a map, unchecked.
    fn function_url_map(&self) -> Result<BTreeMap<String, String>, ConfigError> {
        match self
            .lambda_function_urls
            .as_deref()
            .filter(|raw| !raw.trim().is_empty())
        {
            None => Ok(BTreeMap::new()),
            Some(raw) => serde_json::from_str(raw).map_err(|e| {
                ConfigError::new(
                    "GATEHOUSE_LAMBDA_FUNCTION_URLS",
                    format!("must be a JSON object from function ARN to URL: {e}"),
                )
            }),
        }
    }

    pub fn validate(&self) -> Result<InvokerConfig, ConfigError> {
        let endpoint_url = self
            .lambda_endpoint
            .as_deref()
            .filter(|raw| !raw.trim().is_empty())
            .map(|raw| endpoint("GATEHOUSE_LAMBDA_ENDPOINT", raw.trim()))
            .transpose()?;
        let mut function_urls = BTreeMap::new();
        for (function, url) in self.function_url_map()? {
            if !crate::domain::pool_config::is_arn(&function) {
                return Err(ConfigError::new(
                    "GATEHOUSE_LAMBDA_FUNCTION_URLS",
                    format!("not a function ARN: {function}"),
                ));
            }
            function_urls.insert(function, endpoint("GATEHOUSE_LAMBDA_FUNCTION_URLS", &url)?);
        }
        let key_id = self
            .lambda_access_key_id
            .as_deref()
            .filter(|id| !id.trim().is_empty());
        let secret = non_empty(self.lambda_secret_access_key.as_ref());
        let credentials = match (key_id, secret) {
            (Some(id), Some(secret)) => Some((id.to_owned(), secret.clone())),
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "GATEHOUSE_LAMBDA_SECRET_ACCESS_KEY",
                    "must be set with GATEHOUSE_LAMBDA_ACCESS_KEY_ID",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "GATEHOUSE_LAMBDA_ACCESS_KEY_ID",
                    "must be set with GATEHOUSE_LAMBDA_SECRET_ACCESS_KEY",
                ));
            }
        };
        if !(1..=60_000).contains(&self.lambda_timeout_ms) {
            return Err(ConfigError::new(
                "GATEHOUSE_LAMBDA_TIMEOUT_MS",
                format!("must be 1 to 60000 (got {})", self.lambda_timeout_ms),
            ));
        }
        if self.lambda_concurrency == 0 {
            return Err(ConfigError::new(
                "GATEHOUSE_LAMBDA_CONCURRENCY",
                "must be at least 1",
            ));
        }
        Ok(InvokerConfig {
            endpoint: endpoint_url,
            function_urls,
            credentials,
            timeout: Duration::from_millis(self.lambda_timeout_ms),
            concurrency: self.lambda_concurrency,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn bad_trigger_settings_are_refused_by_name() {
        let refused = |change: &dyn Fn(&mut TriggerSettings)| {
            let mut settings = Settings::defaults().triggers;
            change(&mut settings);
            settings.validate().unwrap_err().variable
        };
        assert_eq!(
            refused(&|s| s.lambda_endpoint = Some("ftp://x".into())),
            "GATEHOUSE_LAMBDA_ENDPOINT"
        );
        assert_eq!(
            refused(&|s| s.lambda_function_urls = Some("[1]".into())),
            "GATEHOUSE_LAMBDA_FUNCTION_URLS"
        );
        assert_eq!(
            refused(&|s| s.lambda_function_urls =
                Some(r#"{"not-an-arn": "http://127.0.0.1:1"}"#.into())),
            "GATEHOUSE_LAMBDA_FUNCTION_URLS"
        );
        assert_eq!(
            refused(&|s| s.lambda_access_key_id = Some("AKID".into())),
            "GATEHOUSE_LAMBDA_SECRET_ACCESS_KEY"
        );
        assert_eq!(
            refused(&|s| s.lambda_timeout_ms = 0),
            "GATEHOUSE_LAMBDA_TIMEOUT_MS"
        );
        assert_eq!(
            refused(&|s| s.lambda_concurrency = 0),
            "GATEHOUSE_LAMBDA_CONCURRENCY"
        );
    }

    #[test]
    fn good_trigger_settings_come_out_typed() {
        let config = Settings::defaults().triggers.validate().unwrap();
        assert!(config.endpoint.is_none() && config.credentials.is_none());
        assert_eq!(config.timeout, Duration::from_secs(5));
        let mut settings = Settings::defaults().triggers;
        settings.lambda_endpoint = Some("http://127.0.0.1:3001".into());
        settings.lambda_function_urls = Some(
            r#"{"arn:aws:lambda:us-east-1:123456789012:function:f": "https://f.example/"}"#.into(),
        );
        settings.lambda_access_key_id = Some("AKID".into());
        settings.lambda_secret_access_key = Some(SecretString::from("s".to_owned()));
        let config = settings.validate().unwrap();
        assert_eq!(config.function_urls.len(), 1);
        assert!(config.credentials.is_some());
    }
}
