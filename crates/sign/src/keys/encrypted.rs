//! cosign's encrypted private key file (`cosign.key`).
//!
//! ```text
//! -----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
//! base64 of {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"…"},
//!            "cipher":{"name":"nacl/secretbox","nonce":"…"},"ciphertext":"…"}
//! -----END ENCRYPTED SIGSTORE PRIVATE KEY-----
//! ```
//! The plaintext is a PKCS#8 DER private key. The key is `scrypt(password, salt, N, r=8, p=1,
//! 32 bytes)`; the cipher is NaCl secretbox (XSalsa20-Poly1305) with the 16-byte tag first, as Go's
//! `secretbox.Seal` lays it out (secure-systems-lab/go-securesystemslib `encrypted/encrypted.go`).
//! The JSON envelope is written by hand-ordered serde structs because its field order must match
//! Go's `json.Marshal` of the same structs; the crypto comes from `chainseal-scrypt` and `crypto_secretbox`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::SigningKey;
use super::public::pem_encode;
use crate::error::{Error, Result};

/// The PEM label cosign writes since v2.0.1.
pub const SIGSTORE_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The legacy PEM label (cosign before v2.0.1; containers/image expects it).
pub const COSIGN_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// Largest key file accepted (an encrypted RSA-8192 key is ~7 KB).
const MAX_KEY_FILE: usize = 64 * 1024;

/// scrypt work factors cosign accepts (log2 N): 2^15 (legacy), 2^16 (default), 2^17 (OWASP).
/// Anything else is refused before running scrypt, so a crafted file cannot burn CPU/memory.
const ACCEPTED_LOG_N: [u8; 3] = [15, 16, 17];
/// The work factor chainseal writes.
pub const DEFAULT_LOG_N: u8 = 16;

#[derive(Serialize, Deserialize)]
struct Envelope {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

fn derive_key(password: &[u8], salt: &[u8], log_n: u8) -> Result<Zeroizing<[u8; 32]>> {
    let params = chainseal_scrypt::Params::new(log_n, 8, 1).map_err(|_| Error::Crypto("scrypt parameters"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    chainseal_scrypt::scrypt(password, salt, &params, key.as_mut()).map_err(|_| Error::Crypto("scrypt"))?;
    Ok(key)
}

/// Encrypt a key as cosign does, with the default work factor (N = 65536).
pub fn encrypt(key: &SigningKey, password: &[u8]) -> Result<String> {
    encrypt_with(key, password, DEFAULT_LOG_N, SIGSTORE_LABEL)
}

/// Encrypt a key with an explicit scrypt work factor (`log_n` in 15..=17) and PEM label
/// ([`SIGSTORE_LABEL`] or [`COSIGN_LABEL`]).
pub fn encrypt_with(key: &SigningKey, password: &[u8], log_n: u8, label: &str) -> Result<String> {
    if !ACCEPTED_LOG_N.contains(&log_n) {
        return Err(Error::Key(format!("scrypt N = 2^{log_n} is not one cosign accepts")));
    }
    if label != SIGSTORE_LABEL && label != COSIGN_LABEL {
        return Err(Error::Key(format!("`{label}` is not a cosign key PEM label")));
    }
    let pkcs8 = key.to_pkcs8_der()?;
    let mut salt = [0u8; 32];
    let mut nonce = [0u8; 24];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| Error::Crypto("random salt"))?;
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| Error::Crypto("random nonce"))?;
    let sym = derive_key(password, &salt, log_n)?;
    let cipher = crypto_secretbox::XSalsa20Poly1305::new(sym.as_ref().into());
    let ciphertext =
        cipher.encrypt((&nonce).into(), pkcs8.as_slice()).map_err(|_| Error::Crypto("secretbox encryption"))?;
    let env = Envelope {
        kdf: Kdf {
            name: "scrypt".into(),
            params: ScryptParams { n: 1u64 << log_n, r: 8, p: 1 },
            salt: B64.encode(salt),
        },
        cipher: Cipher { name: "nacl/secretbox".into(), nonce: B64.encode(nonce) },
        ciphertext: B64.encode(ciphertext),
    };
    let json = serde_json::to_vec(&env).map_err(|_| Error::Crypto("key envelope encoding"))?;
    Ok(pem_encode(label, &json))
}

/// Decrypt a cosign key file (either PEM label, N in {32768, 65536, 131072}).
///
/// A wrong password and a modified ciphertext both give [`Error::WrongPassword`]; a SEC1 key
/// inside the envelope is refused as cosign refuses it.
pub fn decrypt(pem_text: &[u8], password: &[u8]) -> Result<SigningKey> {
    let der = decrypt_to_pkcs8(pem_text, password)?;
    SigningKey::from_pkcs8_der(&der).map_err(|_| {
        Error::Key(
            "the decrypted key is not a PKCS#8 private key of a supported type (cosign key files \
             hold PKCS#8; SEC1 `EC PRIVATE KEY` content is refused)"
                .into(),
        )
    })
}

/// True when `pem_text` looks like a cosign encrypted key (by its PEM label).
pub fn is_encrypted_key(pem_text: &[u8]) -> bool {
    pem::parse(pem_text).map(|b| b.tag() == SIGSTORE_LABEL || b.tag() == COSIGN_LABEL).unwrap_or(false)
}

fn decrypt_to_pkcs8(pem_text: &[u8], password: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let bad = |why: &str| Error::Key(format!("not a cosign encrypted key file: {why}"));
    if pem_text.len() > MAX_KEY_FILE {
        return Err(bad(&format!("larger than {MAX_KEY_FILE} bytes")));
    }
    let block = pem::parse(pem_text).map_err(|e| bad(&format!("PEM does not parse ({e})")))?;
    if block.tag() != SIGSTORE_LABEL && block.tag() != COSIGN_LABEL {
        return Err(bad(&format!("PEM label is `{}`, expected `{SIGSTORE_LABEL}` or `{COSIGN_LABEL}`", block.tag())));
    }
    let env: Envelope =
        serde_json::from_slice(block.contents()).map_err(|e| bad(&format!("envelope JSON does not parse ({e})")))?;
    if env.kdf.name != "scrypt" {
        return Err(bad(&format!("unsupported KDF `{}`", env.kdf.name)));
    }
    let p = &env.kdf.params;
    let log_n = ACCEPTED_LOG_N.iter().copied().find(|l| p.n == 1u64 << l).filter(|_| p.r == 8 && p.p == 1).ok_or_else(
        || {
            bad(&format!(
                "scrypt parameters N={} r={} p={} are not accepted (N must be 32768, 65536 or \
                 131072 with r=8, p=1)",
                p.n, p.r, p.p
            ))
        },
    )?;
    if env.cipher.name != "nacl/secretbox" {
        return Err(bad(&format!("unsupported cipher `{}`", env.cipher.name)));
    }
    let salt = B64.decode(&env.kdf.salt).map_err(|_| bad("salt is not base64"))?;
    let nonce = B64.decode(&env.cipher.nonce).map_err(|_| bad("nonce is not base64"))?;
    let nonce: [u8; 24] = nonce.try_into().map_err(|_| bad("nonce is not 24 bytes"))?;
    let ciphertext = B64.decode(&env.ciphertext).map_err(|_| bad("ciphertext is not base64"))?;
    if ciphertext.len() < 16 {
        return Err(bad("ciphertext shorter than its authentication tag"));
    }
    let sym = derive_key(password, &salt, log_n)?;
    let cipher = crypto_secretbox::XSalsa20Poly1305::new(sym.as_ref().into());
    let plain = cipher.decrypt((&nonce).into(), ciphertext.as_slice()).map_err(|_| Error::WrongPassword)?;
    Ok(Zeroizing::new(plain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::GenerateAlgorithm;

    #[test]
    fn encrypt_decrypt_round_trip() {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let pem = encrypt(&key, b"pw").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
        let back = decrypt(pem.as_bytes(), b"pw").unwrap();
        assert_eq!(back.public_key(), key.public_key());
        // The envelope's JSON field order is Go's.
        let block = pem::parse(&pem).unwrap();
        let json = String::from_utf8(block.contents().to_vec()).unwrap();
        assert!(json.starts_with(r#"{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":""#));
        assert!(json.contains(r#""cipher":{"name":"nacl/secretbox","nonce":""#));
    }

    #[test]
    fn empty_password_still_encrypts() {
        let key = SigningKey::generate(GenerateAlgorithm::Ed25519).unwrap();
        let pem = encrypt(&key, b"").unwrap();
        assert!(decrypt(pem.as_bytes(), b"").is_ok());
        assert!(matches!(decrypt(pem.as_bytes(), b"x"), Err(Error::WrongPassword)));
    }

    #[test]
    fn wrong_password_is_refused() {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let pem = encrypt_with(&key, b"right", 15, COSIGN_LABEL).unwrap();
        assert!(matches!(decrypt(pem.as_bytes(), b"wrong"), Err(Error::WrongPassword)));
        let msg = decrypt(pem.as_bytes(), b"wrong").unwrap_err().to_string();
        assert!(!msg.contains("right") && !msg.contains("wrong\""));
    }

    #[test]
    fn tampered_and_truncated_files_are_refused() {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let pem = encrypt_with(&key, b"pw", 15, SIGSTORE_LABEL).unwrap();
        // Truncated PEM.
        assert!(decrypt(&pem.as_bytes()[..pem.len() / 2], b"pw").is_err());
        // Flip one ciphertext bit.
        let block = pem::parse(&pem).unwrap();
        let mut env: serde_json::Value = serde_json::from_slice(block.contents()).unwrap();
        let mut ct = B64.decode(env["ciphertext"].as_str().unwrap()).unwrap();
        ct[20] ^= 1;
        env["ciphertext"] = B64.encode(&ct).into();
        let forged = pem_encode(SIGSTORE_LABEL, &serde_json::to_vec(&env).unwrap());
        assert!(matches!(decrypt(forged.as_bytes(), b"pw"), Err(Error::WrongPassword)));
        // Truncated ciphertext.
        env["ciphertext"] = B64.encode(&ct[..10]).into();
        let forged = pem_encode(SIGSTORE_LABEL, &serde_json::to_vec(&env).unwrap());
        assert!(decrypt(forged.as_bytes(), b"pw").is_err());
    }

    #[test]
    fn unaccepted_work_factors_are_refused_before_scrypt() {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let pem = encrypt_with(&key, b"pw", 15, SIGSTORE_LABEL).unwrap();
        let block = pem::parse(&pem).unwrap();
        for (n, r, p) in [(1u64 << 30, 8, 1), (16384, 8, 1), (32768, 16, 1), (32768, 8, 2)] {
            let mut env: serde_json::Value = serde_json::from_slice(block.contents()).unwrap();
            env["kdf"]["params"] = serde_json::json!({"N": n, "r": r, "p": p});
            let forged = pem_encode(SIGSTORE_LABEL, &serde_json::to_vec(&env).unwrap());
            let err = decrypt(forged.as_bytes(), b"pw").unwrap_err().to_string();
            assert!(err.contains("scrypt parameters"), "{err}");
        }
        assert!(encrypt_with(&key, b"pw", 20, SIGSTORE_LABEL).is_err());
    }

    #[test]
    fn other_pem_labels_are_refused() {
        let pem = pem_encode("PRIVATE KEY", b"{}");
        assert!(decrypt(pem.as_bytes(), b"").is_err());
        assert!(!is_encrypted_key(pem.as_bytes()));
    }
}
