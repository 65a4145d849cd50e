//! Identifiers in the shapes AWS clients check: pool ids `<region>_<9 alphanumerics>`,
//! 26-character lowercase client ids, and UUID `sub`s; and our own: session ids and the
//! hashes under which opaque tokens are stored.

use std::fmt;

use rand::RngExt;
use rand::distr::{Alphanumeric, SampleString};

/// A region name such as `us-east-1` or `eu-central-2`. aws-jwt-verify and the AWS SDKs read
/// the region out of the pool id, so it must look like a real one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region(String);

impl Region {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let parts: Vec<&str> = raw.split('-').collect();
        let shaped = parts.len() >= 3
            && parts[0].len() == 2
            && parts.iter().all(|p| !p.is_empty())
            && parts[..parts.len() - 1]
                .iter()
                .all(|p| p.chars().all(|c| c.is_ascii_lowercase()))
            && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit());
        if shaped {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "region {raw:?} is not shaped like an AWS region (e.g. us-east-1)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserPoolId(String);

impl UserPoolId {
    const SUFFIX_LEN: usize = 9;
    /// The botocore model's limit for `UserPoolIdType`.
    const MAX_LEN: usize = 55;

    pub fn generate(region: &Region) -> Self {
        let suffix = Alphanumeric.sample_string(&mut rand::rng(), Self::SUFFIX_LEN);
        Self(format!("{region}_{suffix}"))
    }

    /// A well-formed id that generation never produces (its suffix is one character, not
    /// nine): look-ups for unknown pools run against it so they cost what real ones do.
    pub fn never_assigned() -> Self {
        Self("zz-none-0_0".to_owned())
    }

    /// Accepts what the botocore model accepts (`[\w-]+_[0-9a-zA-Z]+`, at most 55 chars) with a
    /// region-shaped prefix, so ids that clients validate are the only ones we hand out.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let invalid =
            || format!("user pool id {raw:?} is not of the form <region>_<alphanumerics>");
        if raw.len() > Self::MAX_LEN {
            return Err(invalid());
        }
        let (region, suffix) = raw.rsplit_once('_').ok_or_else(invalid)?;
        Region::parse(region).map_err(|_| invalid())?;
        if suffix.is_empty() || !suffix.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(invalid());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The region prefix, which the AWS-style issuer embeds.
    pub fn region(&self) -> &str {
        self.0.rsplit_once('_').map_or("", |(region, _)| region)
    }
}

impl fmt::Display for UserPoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    const LEN: usize = 26;

    pub fn generate() -> Self {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        let id = (0..Self::LEN)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        Self(id)
    }

    /// The botocore `ClientIdType`: 1–128 characters of `[\w+]`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = !raw.is_empty()
            && raw.len() <= 128
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "client id {raw:?} must be 1-128 characters of [A-Za-z0-9_+]"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The immutable user id (`sub` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sub(uuid::Uuid);

impl Sub {
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        uuid::Uuid::parse_str(raw)
            .map(Self)
            .map_err(|_| format!("{raw:?} is not a UUID"))
    }
}

impl fmt::Display for Sub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// A sign-in session: its refresh-token family, named in its tokens' `origin_jti` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(uuid::Uuid);

impl SessionId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        uuid::Uuid::parse_str(raw)
            .map(Self)
            .map_err(|_| format!("{raw:?} is not a session id"))
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The SHA-256 (hex) of an opaque token, a refresh token or a challenge's `Session`: the
/// only form in which those are stored and looked up (`crypto::opaque` computes it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// A hash as computed or as stored; the value is not checked, it is only compared.
    pub fn new(hex: impl Into<String>) -> Self {
        Self(hex.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pool_ids_have_the_aws_shape() {
        let region = Region::parse("eu-west-3").unwrap();
        let id = UserPoolId::generate(&region);
        let (prefix, suffix) = id.as_str().split_once('_').unwrap();
        assert_eq!(prefix, "eu-west-3");
        assert_eq!(suffix.len(), 9);
        assert!(suffix.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(UserPoolId::parse(id.as_str()).unwrap(), id);
        assert_eq!(id.region(), "eu-west-3");
    }

    #[test]
    fn the_never_assigned_id_is_valid_but_not_generated_shape() {
        let id = UserPoolId::never_assigned();
        assert!(UserPoolId::parse(id.as_str()).is_ok());
        let suffix = id.as_str().rsplit_once('_').unwrap().1;
        assert_ne!(suffix.len(), 9);
    }

    #[test]
    fn pool_id_parsing_rejects_malformed_ids() {
        for bad in [
            "",
            "us-east-1",
            "us-east-1_",
            "local_abc",
            "us-east-1_ab/cd",
            "x_y",
        ] {
            assert!(UserPoolId::parse(bad).is_err(), "{bad}");
        }
        assert!(UserPoolId::parse("us-gov-west-1_AbCdEf123").is_ok());
    }

    #[test]
    fn regions_must_look_like_aws_regions() {
        for good in ["us-east-1", "ap-southeast-2", "us-gov-west-1"] {
            assert!(Region::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "local",
            "us_east_1",
            "US-EAST-1",
            "us-east-x",
            "u-east-1",
        ] {
            assert!(Region::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_ids_are_26_lowercase_alphanumerics() {
        let id = ClientId::generate();
        assert_eq!(id.as_str().len(), 26);
        assert!(
            id.as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert!(ClientId::parse(id.as_str()).is_ok());
        assert!(ClientId::parse("has space").is_err());
        assert!(ClientId::parse("").is_err());
    }

    #[test]
    fn subs_are_uuids() {
        let sub = Sub::generate();
        assert_eq!(Sub::parse(&sub.to_string()).unwrap(), sub);
        assert!(Sub::parse("alice").is_err());
    }
}
