//! CSRF protection of the hosted pages' forms (docs/security.md, "Hosted pages"): each form
//! carries a token that is the HMAC-SHA256, under a key derived from the key-encryption key,
//! of the form's name and the browser's pre-session cookie. A page on another site can make
//! the browser post, but cannot read the cookie or the page, so it cannot produce the token.
//! The key is the same on every replica, so any of them checks any form.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::crypto::opaque::OpaqueToken;
use crate::domain::secret::SecretString;

use super::{AuthError, Services};

const PURPOSE: &str = "gatehouse hosted-page csrf v1";

impl Services {
    /// A new pre-session value for a browser that has none.
    pub fn new_pre_session(&self) -> Result<SecretString, AuthError> {
        Ok(OpaqueToken::generate().map_err(AuthError::internal)?.value)
    }

    /// The token `form` carries for the browser holding `pre_session`.
    pub fn csrf_token(&self, form: &str, pre_session: &SecretString) -> Result<String, AuthError> {
        Ok(URL_SAFE_NO_PAD.encode(self.csrf_mac(form, pre_session)?))
    }

    /// Whether `presented` is the token of `form` for `pre_session`, compared in constant time.
    pub fn csrf_token_matches(
        &self,
        form: &str,
        pre_session: &SecretString,
        presented: &str,
    ) -> Result<bool, AuthError> {
        let Ok(presented) = URL_SAFE_NO_PAD.decode(presented) else {
            return Ok(false);
        };
        let expected = self.csrf_mac(form, pre_session)?;
        Ok(expected.ct_eq(&presented).into())
    }

    fn csrf_mac(&self, form: &str, pre_session: &SecretString) -> Result<Vec<u8>, AuthError> {
        let key = self.kek.derive_key(PURPOSE);
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
            .map_err(AuthError::internal)?;
        // Length-prefixed, so no (form, value) pair can be spelled as another.
        mac.update(&(form.len() as u64).to_be_bytes());
        mac.update(form.as_bytes());
        mac.update(pre_session.expose_secret().as_bytes());
        Ok(mac.finalize().into_bytes().to_vec())
    }
}
