//! HTTPS with rustls: TLS 1.2 and 1.3 only, the certificate chain and key read from PEM files
//! named by `GATEHOUSE_TLS_CERT` / `GATEHOUSE_TLS_KEY`.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::crypto::ring;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// `Strict-Transport-Security` when serving HTTPS: a year, subdomains not assumed.
pub const HSTS: &str = "max-age=31536000";

/// Builds the server configuration, or says which file is wrong and why.
pub fn server_config(cert: &Path, key: &Path) -> Result<ServerConfig, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect)
        .map_err(|e| format!("GATEHOUSE_TLS_CERT {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "GATEHOUSE_TLS_CERT {} holds no certificate",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("GATEHOUSE_TLS_KEY {}: {e}", key.display()))?;
    ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            format!("GATEHOUSE_TLS_CERT and GATEHOUSE_TLS_KEY do not form a usable pair: {e}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_mismatched_files_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.pem");
        let error = server_config(&missing, &missing).unwrap_err();
        assert!(error.contains("GATEHOUSE_TLS_CERT"), "{error}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        assert!(
            server_config(&empty, &empty)
                .unwrap_err()
                .contains("no certificate")
        );
    }
}
