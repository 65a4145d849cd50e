//! Cryptography, all of it from maintained crates: Argon2id (RustCrypto `argon2`), RSA keys
//! (`rsa`), JWT signing (`jsonwebtoken`), AES-256-GCM for keys at rest (`aes-gcm`), SHA-256
//! (`sha2`), and the SRP group arithmetic (`crypto-bigint`, `hkdf`, `hmac`). Nothing here touches the database.

pub mod jwt;
pub mod kek;
pub mod keys;
pub mod opaque;
pub mod password;
pub mod srp;
