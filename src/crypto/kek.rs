//! The key-encryption key: signing keys are stored as AES-256-GCM ciphertext under it, so a
//! database dump alone cannot sign tokens.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use secrecy::{ExposeSecret, SecretBox, SecretString};

use super::opaque::os_random;

const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;
/// Prefix of every ciphertext, so a future format can be told apart.
const FORMAT: &str = "v1.";
/// Prefix of a ciphertext sealed with [`KeyEncryptionKey::seal_bound`]: same layout, but its
/// associated data is a full description of the row (see `auth/keys.rs`), not only an id. The
/// prefix says which rule opens it, so a bound row is never tried under the weaker one.
const FORMAT_BOUND: &str = "v2.";

pub struct KeyEncryptionKey(SecretBox<[u8; KEY_BYTES]>);

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey([REDACTED])")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KekError {
    #[error(
        "the key-encryption key must be 32 bytes, base64-encoded (generate one with: openssl rand -base64 32)"
    )]
    Malformed,
    #[error("cannot read or create the key-encryption key file {path}")]
    File {
        path: String,
        #[source]
        cause: std::io::Error,
    },
    #[error(
        "a stored private key could not be decrypted: wrong key-encryption key, or the row was altered"
    )]
    Decrypt,
    #[error("encryption failed")]
    Encrypt,
    #[error(transparent)]
    Random(#[from] super::opaque::RandomnessUnavailable),
}

impl KeyEncryptionKey {
    /// Parses standard or URL-safe base64 of exactly 32 bytes.
    pub fn parse(encoded: &SecretString) -> Result<Self, KekError> {
        let text = encoded.expose_secret().trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| KekError::Malformed)?;
        let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| KekError::Malformed)?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    pub fn generate() -> Result<Self, KekError> {
        Ok(Self(SecretBox::new(Box::new(os_random::<KEY_BYTES>()?))))
    }

    /// Reads the key file, or creates it (mode 0600, never overwriting) on first start.
    /// Returns whether it was created, so the caller can warn about it.
    pub fn load_or_create_file(path: &Path) -> Result<(Self, bool), KekError> {
        let file_error = |e: std::io::Error| KekError::File {
            path: path.display().to_string(),
            cause: e,
        };
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(mut file) => {
                let key = Self::generate()?;
                let encoded = STANDARD.encode(key.0.expose_secret());
                file.write_all(encoded.as_bytes()).map_err(file_error)?;
                file.sync_all().map_err(file_error)?;
                Ok((key, true))
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                let mut encoded = String::new();
                OpenOptions::new()
                    .read(true)
                    .open(path)
                    .and_then(|mut f| f.read_to_string(&mut encoded))
                    .map_err(file_error)?;
                Ok((Self::parse(&SecretString::from(encoded))?, false))
            }
            Err(e) => Err(file_error(e)),
        }
    }

    /// A key for another purpose, derived from this one with HKDF-SHA256 and `purpose` as its
    /// info, so one secret serves several uses without any two sharing a key (the decoy SRP
    /// verifiers of `auth/srp_sign_in.rs`).
    pub fn derive_key(&self, purpose: &str) -> SecretBox<[u8; KEY_BYTES]> {
        let mut derived = Box::new([0u8; KEY_BYTES]);
        hkdf::Hkdf::<sha2::Sha256>::new(None, self.0.expose_secret())
            .expand(purpose.as_bytes(), derived.as_mut())
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 output length"));
        SecretBox::new(derived)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&Key::<Aes256Gcm>::from(*self.0.expose_secret()))
    }

    /// Encrypts `plaintext`, binding it to `context` (the key id) so a ciphertext moved to
    /// another row does not decrypt.
    pub fn encrypt(&self, plaintext: &[u8], context: &str) -> Result<String, KekError> {
        self.seal(FORMAT, plaintext, context)
    }

    /// Encrypts `plaintext` bound to `binding`, everything the row it is stored in asserts
    /// about it: it opens only with [`Self::open_bound`] and that exact binding.
    pub fn seal_bound(&self, plaintext: &[u8], binding: &str) -> Result<String, KekError> {
        self.seal(FORMAT_BOUND, plaintext, binding)
    }

    /// Whether `stored` was made by [`Self::seal_bound`] (else it is a `v1` ciphertext).
    pub fn is_bound(stored: &str) -> bool {
        stored.starts_with(FORMAT_BOUND)
    }

    pub fn open_bound(&self, stored: &str, binding: &str) -> Result<Vec<u8>, KekError> {
        self.open(FORMAT_BOUND, stored, binding)
    }

    fn seal(&self, format: &str, plaintext: &[u8], context: &str) -> Result<String, KekError> {
        let nonce_bytes = os_random::<NONCE_BYTES>()?;
        let ciphertext = self
            .cipher()
            .encrypt(
                &Nonce::from(nonce_bytes),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| KekError::Encrypt)?;
        let mut blob = nonce_bytes.to_vec();
        blob.extend_from_slice(&ciphertext);
        Ok(format!("{format}{}", URL_SAFE_NO_PAD.encode(blob)))
    }

    pub fn decrypt(&self, stored: &str, context: &str) -> Result<Vec<u8>, KekError> {
        self.open(FORMAT, stored, context)
    }

    fn open(&self, format: &str, stored: &str, context: &str) -> Result<Vec<u8>, KekError> {
        let encoded = stored.strip_prefix(format).ok_or(KekError::Decrypt)?;
        let blob = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| KekError::Decrypt)?;
        if blob.len() <= NONCE_BYTES {
            return Err(KekError::Decrypt);
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| KekError::Decrypt)?;
        self.cipher()
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| KekError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn round_trips_and_binds_the_context() {
        let kek = KeyEncryptionKey::generate().unwrap();
        let sealed = kek.encrypt(b"private key bytes", "kid-1").unwrap();
        assert!(!sealed.contains("private"));
        assert_eq!(kek.decrypt(&sealed, "kid-1").unwrap(), b"private key bytes");
        assert!(kek.decrypt(&sealed, "kid-2").is_err());
        let other = KeyEncryptionKey::generate().unwrap();
        assert!(other.decrypt(&sealed, "kid-1").is_err());
    }

    #[test]
    fn bound_ciphertexts_open_only_as_bound_with_their_binding() {
        let kek = KeyEncryptionKey::generate().unwrap();
        let sealed = kek.seal_bound(b"der", "pool\nid\nkid\n{jwk}").unwrap();
        assert!(KeyEncryptionKey::is_bound(&sealed));
        assert_eq!(
            kek.open_bound(&sealed, "pool\nid\nkid\n{jwk}").unwrap(),
            b"der"
        );
        assert!(kek.open_bound(&sealed, "other\nid\nkid\n{jwk}").is_err());
        // Never under the v1 rule, whatever the context.
        assert!(kek.decrypt(&sealed, "pool\nid\nkid\n{jwk}").is_err());
        let legacy = kek.encrypt(b"der", "kid").unwrap();
        assert!(!KeyEncryptionKey::is_bound(&legacy));
        assert!(kek.open_bound(&legacy, "kid").is_err());
    }

    #[test]
    fn parses_only_32_byte_keys() {
        let good = SecretString::from(STANDARD.encode([7u8; 32]));
        assert!(KeyEncryptionKey::parse(&good).is_ok());
        let short = SecretString::from(STANDARD.encode([7u8; 16]));
        assert!(KeyEncryptionKey::parse(&short).is_err());
        assert!(KeyEncryptionKey::parse(&SecretString::from("not base64!")).is_err());
    }

    #[test]
    fn key_file_is_created_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gatehouse.kek");
        let (first, created) = KeyEncryptionKey::load_or_create_file(&path).unwrap();
        assert!(created);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let (second, created_again) = KeyEncryptionKey::load_or_create_file(&path).unwrap();
        assert!(!created_again);
        let sealed = first.encrypt(b"x", "k").unwrap();
        assert_eq!(second.decrypt(&sealed, "k").unwrap(), b"x");
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_by_key() {
        let kek = KeyEncryptionKey::generate().unwrap();
        let one = kek.derive_key("a");
        assert_eq!(one.expose_secret(), kek.derive_key("a").expose_secret());
        assert_ne!(one.expose_secret(), kek.derive_key("b").expose_secret());
        let other = KeyEncryptionKey::generate().unwrap();
        assert_ne!(one.expose_secret(), other.derive_key("a").expose_secret());
    }

    #[test]
    fn debug_hides_the_key() {
        let kek = KeyEncryptionKey::generate().unwrap();
        assert_eq!(format!("{kek:?}"), "KeyEncryptionKey([REDACTED])");
    }
}
