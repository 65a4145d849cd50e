//! AWS Signature Version 4 for the Cognito admin operations, verified against the access keys
//! the operator configured. The signature itself is computed by AWS's own `aws-sigv4` crate
//! over the headers the client says it signed; we only parse, look up and compare.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use actix_web::HttpRequest;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::error::{ApiError, Surface, Transport};
use crate::domain::clock::UnixSeconds;

const SURFACE: Surface = Surface::CognitoJson;
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "cognito-idp";
/// How far a request's `X-Amz-Date` may be from our clock, as AWS allows.
const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// Who may call admin operations.
pub enum AdminAuth {
    /// Access key id → secret access key.
    Keys(HashMap<String, SecretString>),
    /// Every request passes (GATEHOUSE_ADMIN_AUTH=insecure-none).
    Disabled,
    /// No keys configured: every admin request is refused with how to configure them.
    Unconfigured,
}

fn refused(type_name: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(Transport::AccessDenied(type_name), message, SURFACE)
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
struct Authorization<'a> {
    access_key_id: &'a str,
    region: &'a str,
    service: &'a str,
    date: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix(ALGORITHM)?.trim_start();
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let mut scope = credential?.split('/');
    let (access_key_id, date, region, service, terminator) = (
        scope.next()?,
        scope.next()?,
        scope.next()?,
        scope.next()?,
        scope.next()?,
    );
    if terminator != "aws4_request" || scope.next().is_some() {
        return None;
    }
    let signed_headers: Vec<&str> = signed_headers?.split(';').collect();
    Some(Authorization {
        access_key_id,
        region,
        service,
        date,
        signed_headers,
        signature: signature?,
    })
}

impl AdminAuth {
    /// Builds the key table from the two comma-separated settings.
    pub fn from_settings(
        ids: Option<&str>,
        secrets: Option<&SecretString>,
    ) -> Result<Self, String> {
        let (Some(ids), Some(secrets)) = (ids, secrets) else {
            return if ids.is_some() || secrets.is_some() {
                Err(
                    "set both GATEHOUSE_ADMIN_ACCESS_KEY_ID and GATEHOUSE_ADMIN_SECRET_ACCESS_KEY"
                        .into(),
                )
            } else {
                Ok(Self::Unconfigured)
            };
        };
        let ids: Vec<&str> = ids.split(',').map(str::trim).collect();
        let secrets: Vec<&str> = secrets.expose_secret().split(',').map(str::trim).collect();
        if ids.len() != secrets.len() || ids.iter().chain(&secrets).any(|v| v.is_empty()) {
            return Err("GATEHOUSE_ADMIN_ACCESS_KEY_ID and GATEHOUSE_ADMIN_SECRET_ACCESS_KEY must list the same number of non-empty values".into());
        }
        Ok(Self::Keys(
            ids.into_iter()
                .zip(secrets)
                .map(|(id, secret)| (id.to_owned(), SecretString::from(secret.to_owned())))
                .collect(),
        ))
    }

    /// Checks the request's SigV4 signature; `Ok` means an operator key signed this request.
    pub fn verify(
        &self,
        request: &HttpRequest,
        body: &[u8],
        now: UnixSeconds,
    ) -> Result<(), ApiError> {
        let mut headers: Vec<(&str, &[u8])> = request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()))
            .collect();
        // HTTP/2 carries the host as the URI's authority, not as a header.
        let authority = request.uri().authority().map(|a| a.as_str());
        if let (Some(authority), false) = (authority, request.headers().contains_key("host")) {
            headers.push(("host", authority.as_bytes()));
        }
        let path_and_query = request.uri().path_and_query().map_or("/", |p| p.as_str());
        self.verify_parts(
            &SignedRequest {
                method: request.method().as_str(),
                path_and_query,
                headers: &headers,
            },
            body,
            now,
        )
    }

    /// [`Self::verify`] over a request's parts, so it can be driven without a server (the
    /// `sigv4_verify` fuzz target does).
    pub fn verify_parts(
        &self,
        request: &SignedRequest<'_>,
        body: &[u8],
        now: UnixSeconds,
    ) -> Result<(), ApiError> {
        let keys = match self {
            Self::Disabled => return Ok(()),
            Self::Unconfigured => {
                return Err(refused(
                    "AccessDeniedException",
                    "Admin operations need AWS SigV4 credentials, and none are configured: set \
                     GATEHOUSE_ADMIN_ACCESS_KEY_ID and GATEHOUSE_ADMIN_SECRET_ACCESS_KEY (or \
                     GATEHOUSE_ADMIN_AUTH=insecure-none for a throwaway test setup)",
                ));
            }
            Self::Keys(keys) => keys,
        };
        let header = request.single_header("authorization")?.ok_or_else(|| {
            refused(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            )
        })?;
        let auth = parse_authorization(header).ok_or_else(|| {
            refused(
                "IncompleteSignatureException",
                "Authorization header requires Credential, SignedHeaders and Signature for AWS4-HMAC-SHA256",
            )
        })?;
        if auth.service != SERVICE {
            return Err(refused(
                "InvalidSignatureException",
                format!("Credential should be scoped to correct service: '{SERVICE}'."),
            ));
        }
        check_signed_header_names(&auth.signed_headers)?;
        let secret = keys.get(auth.access_key_id).ok_or_else(|| {
            refused(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        })?;
        let amz_date = request
            .single_header("x-amz-date")?
            .ok_or_else(|| refused("IncompleteSignatureException", "X-Amz-Date is required"))?;
        let signed_at = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
            .map_err(|_| refused("IncompleteSignatureException", "X-Amz-Date is malformed"))?
            .and_utc()
            .timestamp();
        if !amz_date.starts_with(auth.date) {
            return Err(refused(
                "InvalidSignatureException",
                "The credential scope date does not match X-Amz-Date.",
            ));
        }
        if now.abs_diff(signed_at) > MAX_SKEW_SECONDS.unsigned_abs() {
            return Err(refused(
                "InvalidSignatureException",
                format!(
                    "Signature expired: {amz_date} is more than 15 minutes from the server's time."
                ),
            ));
        }
        let expected = compute_signature(request, body, &auth, secret, signed_at)?;
        if expected.as_bytes().ct_eq(auth.signature.as_bytes()).into() {
            Ok(())
        } else {
            Err(refused(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method.",
            ))
        }
    }
}

/// A request as the verifier sees it: method, path and query as received, and every header
/// (lower-case names, values as bytes) in the order received.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub headers: &'a [(&'a str, &'a [u8])],
}

impl SignedRequest<'_> {
    /// The one value of a header, `Ok(None)` when absent. A header sent twice is refused: the
    /// operation dispatch and the signature must read the same single value.
    fn single_header(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v);
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(refused(
                "InvalidSignatureException",
                format!("Header {name} may appear only once in a signed request."),
            ));
        }
        std::str::from_utf8(value)
            .ok()
            .filter(|v| v.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)))
            .map(Some)
            .ok_or_else(|| {
                refused(
                    "IncompleteSignatureException",
                    format!("Header {name} is not printable ASCII."),
                )
            })
    }
}

/// The headers a signature must cover, or a captured request could be replayed with them
/// changed: `host` (where it was meant to go; `aws-sigv4` also needs it to sign), the date
/// (when), and `x-amz-target` (which operation: AdminGetUser and AdminDisableUser take the
/// same body).
const REQUIRED_SIGNED_HEADERS: [&str; 3] = ["host", "x-amz-date", "x-amz-target"];

/// Refuses a SignedHeaders list that leaves out a header the signature must cover, or that
/// names a header in a form SigV4 never produces (upper case, empty, not a token), before
/// anything is handed to the signing library.
fn check_signed_header_names(names: &[&str]) -> Result<(), ApiError> {
    let well_formed = |name: &&str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
    };
    if !names.iter().all(well_formed) {
        return Err(refused(
            "IncompleteSignatureException",
            "SignedHeaders must list lower-case header names separated by ';'.",
        ));
    }
    for required in REQUIRED_SIGNED_HEADERS {
        if !names.contains(&required) {
            return Err(refused(
                "InvalidSignatureException",
                format!("The request signature must cover the {required} header."),
            ));
        }
    }
    Ok(())
}

/// Signs the request as the client must have, over exactly the headers it listed.
fn compute_signature(
    request: &SignedRequest<'_>,
    body: &[u8],
    auth: &Authorization<'_>,
    secret: &SecretString,
    signed_at: UnixSeconds,
) -> Result<String, ApiError> {
    let malformed = |_| {
        refused(
            "IncompleteSignatureException",
            "The signed request cannot be reconstructed",
        )
    };
    let mut headers: Vec<(&str, &str)> = Vec::new();
    for name in &auth.signed_headers {
        if *name == "x-amz-date" {
            continue; // the signer adds it from `time`
        }
        let value = request.single_header(name)?.ok_or_else(|| {
            refused(
                "IncompleteSignatureException",
                format!("Signed header {name} is missing"),
            )
        })?;
        headers.push((name, value));
    }
    let identity: Identity = Credentials::new(
        auth.access_key_id,
        secret.expose_secret(),
        None,
        None,
        "gatehouse-admin-keys",
    )
    .into();
    let mut settings = SigningSettings::default();
    // Sign exactly what the client listed, nothing more and nothing less.
    settings.excluded_headers = Some(Vec::new());
    let time = UNIX_EPOCH + Duration::from_secs(u64::try_from(signed_at).unwrap_or_default());
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(auth.region)
        .name(SERVICE)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|_| {
            refused(
                "IncompleteSignatureException",
                "The credential scope is malformed",
            )
        })?
        .into();
    // aws-sigv4 panics on a request target without a path (one that reads as an authority,
    // such as `host:80`) when it rebuilds the query. A server is only ever sent origin-form
    // targets, which begin with `/`; anything else is refused before the signer sees it.
    if !request.path_and_query.starts_with('/') {
        return Err(refused(
            "IncompleteSignatureException",
            "The signed request cannot be reconstructed",
        ));
    }
    let signable = SignableRequest::new(
        request.method,
        request.path_and_query,
        headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(malformed)?;
    let (_, signature) = sign(signable, &params).map_err(malformed)?.into_parts();
    Ok(signature)
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;

    use super::*;

    #[test]
    fn authorization_headers_are_parsed() {
        let parsed = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20261128/eu-west-1/cognito-idp/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=abc123",
        )
        .unwrap();
        assert_eq!(parsed.access_key_id, "AKID");
        assert_eq!(parsed.region, "eu-west-1");
        assert_eq!(parsed.date, "20261128");
        assert_eq!(
            parsed.signed_headers,
            ["content-type", "host", "x-amz-date", "x-amz-target"]
        );
        assert_eq!(parsed.signature, "abc123");
        for bad in [
            "",
            "AWS4-HMAC-SHA256",
            "Basic abc",
            "AWS4-HMAC-SHA256 Credential=AKID/x, Signature=1",
        ] {
            assert!(parse_authorization(bad).is_none(), "{bad}");
        }
    }

    const KEY_ID: &str = "AKIDUNIT";
    const SECRET: &str = "unit/secret";
    const NOW: UnixSeconds = 1_796_000_000;

    /// Signs like an AWS SDK would, over `signed` plus host and x-amz-date (unless excluded),
    /// and returns every header of the resulting request, `unsigned` ones included.
    fn signed_request(
        signed: &[(&str, &str)],
        unsigned: &[(&'static str, &'static str)],
        excluded: &[&'static str],
        body: &[u8],
    ) -> Vec<(String, String)> {
        let identity: Identity = Credentials::new(KEY_ID, SECRET, None, None, "unit").into();
        let mut settings = SigningSettings::default();
        settings.excluded_headers = Some(excluded.iter().map(|h| (*h).into()).collect());
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(SERVICE)
            .time(UNIX_EPOCH + Duration::from_secs(u64::try_from(NOW).unwrap()))
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            "POST",
            "http://gatehouse.test/",
            signed.iter().copied(),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut headers: Vec<(String, String)> = signed
            .iter()
            .chain(unsigned)
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        headers.extend(
            instructions
                .headers()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned())),
        );
        headers
    }

    fn check(headers: &[(String, String)], body: &[u8]) -> Result<(), ApiError> {
        check_target("/", headers, body)
    }

    fn check_target(
        path_and_query: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), ApiError> {
        let auth =
            AdminAuth::from_settings(Some(KEY_ID), Some(&SecretString::from(SECRET.to_owned())))
                .unwrap();
        let headers: Vec<(&str, &[u8])> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
        auth.verify_parts(
            &SignedRequest {
                method: "POST",
                path_and_query,
                headers: &headers,
            },
            body,
            NOW,
        )
    }

    fn type_of(result: Result<(), ApiError>) -> &'static str {
        match result {
            Ok(()) => "Ok",
            Err(refused) if refused.status() == StatusCode::FORBIDDEN => refused.type_name(),
            Err(other) => panic!("not an access refusal: {other:?}"),
        }
    }

    const HOST: (&str, &str) = ("host", "gatehouse.test");
    const GET_USER: (&str, &str) = (
        "x-amz-target",
        "AWSCognitoIdentityProviderService.AdminGetUser",
    );

    #[test]
    fn a_request_signed_over_host_date_and_target_verifies() {
        let body = br#"{"UserPoolId":"p","Username":"u"}"#;
        let headers = signed_request(&[HOST, GET_USER], &[], &[], body);
        assert_eq!(type_of(check(&headers, body)), "Ok");
        let mut tampered = headers.clone();
        for (name, value) in &mut tampered {
            if name == "x-amz-target" {
                *value = "AWSCognitoIdentityProviderService.AdminDisableUser".into();
            }
        }
        assert_eq!(type_of(check(&tampered, body)), "InvalidSignatureException");
    }

    #[test]
    fn a_signature_that_leaves_out_the_target_is_refused() {
        let body = br#"{"UserPoolId":"p","Username":"u"}"#;
        let headers = signed_request(
            &[HOST],
            &[(
                "x-amz-target",
                "AWSCognitoIdentityProviderService.AdminDisableUser",
            )],
            &[],
            body,
        );
        assert_eq!(type_of(check(&headers, body)), "InvalidSignatureException");
    }

    #[test]
    fn a_signature_that_leaves_out_host_or_date_is_refused_without_reaching_the_signer() {
        // Without a signed host, aws-sigv4 would take it from the URI, which has no authority
        // on the server side: it panics. The check must come first.
        let body = b"{}";
        for excluded in ["host", "x-amz-date"] {
            let headers = signed_request(&[HOST, GET_USER], &[], &[excluded], body);
            assert_eq!(
                type_of(check(&headers, body)),
                "InvalidSignatureException",
                "{excluded}"
            );
        }
    }

    #[test]
    fn a_request_target_without_a_path_is_refused_without_reaching_the_signer() {
        // Found by the sigv4_verify fuzz target: a target that reads as an authority made
        // aws-sigv4 panic while it rebuilt the query.
        let body = b"{}";
        let headers = signed_request(&[HOST, GET_USER], &[], &[], body);
        for target in ["20", "gatehouse.test:8080", "", "*"] {
            assert_eq!(
                type_of(check_target(target, &headers, body)),
                "IncompleteSignatureException",
                "{target:?}"
            );
        }
    }

    #[test]
    fn a_signed_header_sent_twice_is_refused() {
        let body = b"{}";
        let mut headers = signed_request(&[HOST, GET_USER], &[], &[], body);
        headers.push((
            "x-amz-target".into(),
            "AWSCognitoIdentityProviderService.AdminDisableUser".into(),
        ));
        assert_eq!(type_of(check(&headers, body)), "InvalidSignatureException");
    }

    #[test]
    fn malformed_signed_header_lists_are_refused() {
        for names in [
            vec!["host", "x-amz-date"],
            vec!["Host", "x-amz-date", "x-amz-target"],
            vec!["", "host", "x-amz-date", "x-amz-target"],
            vec!["host", "x-amz-date", "x-amz-target", "a b"],
        ] {
            assert!(check_signed_header_names(&names).is_err(), "{names:?}");
        }
        assert!(
            check_signed_header_names(&["content-type", "host", "x-amz-date", "x-amz-target"])
                .is_ok()
        );
    }

    #[test]
    fn key_tables_need_matching_lists() {
        let secrets = SecretString::from("s1,s2".to_owned());
        assert!(matches!(
            AdminAuth::from_settings(Some("a,b"), Some(&secrets)),
            Ok(AdminAuth::Keys(keys)) if keys.len() == 2
        ));
        assert!(AdminAuth::from_settings(Some("a"), Some(&secrets)).is_err());
        assert!(AdminAuth::from_settings(Some("a"), None).is_err());
        assert!(matches!(
            AdminAuth::from_settings(None, None),
            Ok(AdminAuth::Unconfigured)
        ));
    }
}
