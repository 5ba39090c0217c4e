//! The registry client's TLS configuration: what reqwest builds for its rustls backend (ring
//! provider, TLS 1.2 and 1.3, SNI, ALPN `h2` + `http/1.1`, WebPKI verification against the
//! system roots plus `--ca` files), except that the system roots are loaded on the first
//! certificate check instead of when the client is built.
//!
//! Loading the system store reads and parses every file under `/etc/ssl/certs` (~150 files,
//! several ms of CPU). A command that only talks plain HTTP (a loopback registry, an
//! `--insecure-registry` host) never needs them; one that uses TLS pays the same cost as
//! before, once. Verification is not changed: the first check builds the same
//! [`WebPkiServerVerifier`] reqwest would have built, and every check goes through it.

use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{Error, Result};

/// Read the certificates of a PEM file given with `--ca` (at client construction, so a bad
/// file is reported at once).
pub(crate) fn read_ca_file(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path).map_err(|e| Error::io(format!("reading CA file {}", path.display()), e))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Registry(format!("CA file {} holds no usable PEM certificate: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Error::Registry(format!("CA file {} holds no PEM certificate", path.display())));
    }
    Ok(certs)
}

/// The rustls client configuration for registry traffic, trusting the system roots (loaded on
/// first use) and `extra_roots`.
pub(crate) fn client_config(extra_roots: Vec<CertificateDer<'static>>) -> Result<rustls::ClientConfig> {
    // As reqwest: a process-wide default provider if one was installed, else ring.
    let provider =
        CryptoProvider::get_default().cloned().unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let verifier = LazyRootsVerifier { extra_roots, provider: provider.clone(), verifier: OnceLock::new() };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| Error::Registry(format!("could not set up TLS: {e}")))?
        // A custom verifier only to defer loading the roots: it delegates every certificate
        // check to rustls' WebPKI verifier.
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// rustls' WebPKI server verifier, built (system roots loaded) on the first certificate check.
#[derive(Debug)]
struct LazyRootsVerifier {
    extra_roots: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    verifier: OnceLock<std::result::Result<Arc<WebPkiServerVerifier>, String>>,
}

impl LazyRootsVerifier {
    fn verifier(&self) -> std::result::Result<&Arc<WebPkiServerVerifier>, rustls::Error> {
        self.verifier
            .get_or_init(|| {
                let roots = trusted_roots(&self.extra_roots)?;
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                    .build()
                    .map_err(|e| format!("no usable trusted roots for TLS ({e}); pass --ca FILE"))
            })
            .as_ref()
            .map_err(|e| rustls::Error::General(e.clone()))
    }
}

/// The system roots (those that parse; system stores hold some ancient ones) plus `extra`.
/// Like reqwest, a system store with certificates of which none parses is an error.
fn trusted_roots(extra: &[CertificateDer<'static>]) -> std::result::Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let loaded = rustls_native_certs::load_native_certs();
    let (mut valid, mut invalid) = (0usize, 0usize);
    for cert in loaded.certs {
        match roots.add(cert) {
            Ok(()) => valid += 1,
            Err(e) => {
                invalid += 1;
                tracing::debug!("skipping a system root certificate that does not parse: {e}");
            }
        }
    }
    if valid == 0 && invalid > 0 {
        let why = loaded.errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        return Err(format!("no valid certificate in the system root store {why}"));
    }
    for cert in extra {
        roots.add(cert.clone()).map_err(|e| format!("a --ca certificate is not usable as a root: {e}"))?;
    }
    Ok(roots)
}

impl ServerCertVerifier for LazyRootsVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls13_signature(message, cert, dss)
    }

    /// Asked when the ClientHello is built: the provider's schemes, as the WebPKI verifier
    /// answers, without loading any root.
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn building_the_config_loads_no_roots() {
        let config = client_config(Vec::new()).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
        let verifier = LazyRootsVerifier {
            extra_roots: Vec::new(),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            verifier: OnceLock::new(),
        };
        assert!(!verifier.supported_verify_schemes().is_empty());
        assert!(verifier.verifier.get().is_none(), "nothing loaded before a certificate check");
    }

    #[test]
    fn an_untrusted_certificate_is_refused() {
        let ca = rcgen::generate_simple_self_signed(vec!["registry.test".into()]).unwrap();
        let other = rcgen::generate_simple_self_signed(vec!["registry.test".into()]).unwrap();
        let verifier = LazyRootsVerifier {
            extra_roots: vec![ca.cert.der().clone()],
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            verifier: OnceLock::new(),
        };
        let name = ServerName::try_from("registry.test").unwrap();
        // Trusted through the extra root.
        assert!(verifier.verify_server_cert(ca.cert.der(), &[], &name, &[], UnixTime::now()).is_ok());
        // Another self-signed certificate for the same name (and issuer name) is not.
        let err = verifier.verify_server_cert(other.cert.der(), &[], &name, &[], UnixTime::now()).unwrap_err();
        assert!(matches!(err, rustls::Error::InvalidCertificate(_)), "{err:?}");
        // Nor is the trusted certificate for another name.
        let wrong = ServerName::try_from("elsewhere.test").unwrap();
        assert!(verifier.verify_server_cert(ca.cert.der(), &[], &wrong, &[], UnixTime::now()).is_err());
    }

    #[test]
    fn ca_files_must_hold_certificates() {
        let dir = std::env::temp_dir().join(format!("chainseal-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, b"no pem here").unwrap();
        assert!(read_ca_file(&empty).unwrap_err().to_string().contains("no PEM certificate"));
        let good = dir.join("good.pem");
        let ca = rcgen::generate_simple_self_signed(vec!["registry.test".into()]).unwrap();
        std::fs::write(&good, ca.cert.pem()).unwrap();
        assert_eq!(read_ca_file(&good).unwrap().len(), 1);
        assert!(read_ca_file(&dir.join("missing.pem")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
