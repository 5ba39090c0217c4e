//! Importing unencrypted PEM private keys (`chainseal import-key-pair`), as cosign's
//! `ImportKeyPair` does: `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY` (SEC1), `RSA PRIVATE KEY`
//! (PKCS#1). Curves are limited to P-256/P-384/P-521 and RSA to 2048/3072/4096 bits, as cosign
//! validates them; Ed25519 is accepted (PKCS#8 v1 or v2).

use zeroize::Zeroizing;

use super::{KeyAlgorithm, SigningKey};
use crate::error::{Error, Result};

/// Largest key file accepted.
const MAX_KEY_FILE: usize = 64 * 1024;

/// RSA sizes cosign's `ImportKeyPair` accepts.
const RSA_IMPORT_BITS: [usize; 3] = [2048, 3072, 4096];

/// Parse an unencrypted PEM private key.
pub fn import_pem(pem_text: &[u8]) -> Result<SigningKey> {
    if pem_text.len() > MAX_KEY_FILE {
        return Err(Error::Key(format!("key file larger than {MAX_KEY_FILE} bytes")));
    }
    let block = pem::parse(pem_text).map_err(|e| Error::Key(format!("the key file is not PEM ({e})")))?;
    let der = Zeroizing::new(block.contents().to_vec());
    let key = match block.tag() {
        "PRIVATE KEY" => SigningKey::from_pkcs8_der(&der)?,
        "EC PRIVATE KEY" => SigningKey::from_sec1_der(&der)?,
        "RSA PRIVATE KEY" => SigningKey::from_pkcs1_der(&der)?,
        "ENCRYPTED PRIVATE KEY" => {
            return Err(Error::Key(
                "PKCS#8-encrypted keys are not supported; decrypt it first (`openssl pkcs8 -in \
                 KEY -out plain.pem`) and import the plain PEM"
                    .into(),
            ));
        }
        super::encrypted::SIGSTORE_LABEL | super::encrypted::COSIGN_LABEL => {
            return Err(Error::Key("this is already a cosign key file; use it directly with --key".into()));
        }
        other => {
            return Err(Error::Key(format!(
                "unsupported PEM block `{other}`; expected PRIVATE KEY, EC PRIVATE KEY or RSA \
                 PRIVATE KEY"
            )));
        }
    };
    if let KeyAlgorithm::RsaPkcs1Sha256(bits) = key.algorithm()
        && !RSA_IMPORT_BITS.contains(&bits)
    {
        return Err(Error::Key(format!("RSA key size {bits} is not supported; use 2048, 3072 or 4096 bits")));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::GenerateAlgorithm;
    use crate::keys::public::pem_encode;

    #[test]
    fn round_trips_generated_keys() {
        for alg in [GenerateAlgorithm::EcdsaP256, GenerateAlgorithm::Ed25519] {
            let key = SigningKey::generate(alg).unwrap();
            let pem = pem_encode("PRIVATE KEY", &key.to_pkcs8_der().unwrap());
            let back = import_pem(pem.as_bytes()).unwrap();
            assert_eq!(back.public_key(), key.public_key());
        }
    }

    #[test]
    fn refuses_wrong_blocks() {
        assert!(import_pem(b"nothing").is_err());
        let pubkey = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        assert!(import_pem(pubkey.public_key().to_pem().as_bytes()).is_err());
        assert!(import_pem(pem_encode("ENCRYPTED PRIVATE KEY", b"x").as_bytes()).is_err());
        assert!(import_pem(pem_encode("PRIVATE KEY", b"\x30\x00").as_bytes()).is_err());
    }
}
