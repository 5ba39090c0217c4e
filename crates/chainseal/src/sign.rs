//! Keys and key-based signing: `generate-key-pair`, `import-key-pair`, `public-key`,
//! `sign-blob` (and, with the registry, `sign`).
//!
//! Passwords come from [`chainseal_sign::password`] (`CHAINSEAL_PASSWORD`, `COSIGN_PASSWORD`, a
//! terminal prompt, or stdin) unless the caller passes one (the Python API does).
//!
//! This module also re-exports all of `chainseal-sign` (`chainseal::sign::keys`, `::policy`,
//! `::trust`, …), so `chainseal::sign::Error` is chainseal-sign's error, not the facade's.

pub use chainseal_sign::*;

use std::io::Read as _;
use std::path::{Path, PathBuf};

use chainseal_sign::keys::files::{self, KeyFile, WrittenKeyPair};
use chainseal_sign::keys::{GenerateAlgorithm, KeyAlgorithm, MessageHash, PublicKey, SigningKey};
use chainseal_sign::password::{Password, Purpose};

use crate::error::{Error as FError, Result as FResult};

/// Get the password for `purpose`: the given one, else the environment/terminal/stdin.
fn password_or_prompt(given: Option<Password>, purpose: Purpose) -> FResult<Password> {
    match given {
        Some(p) => Ok(p),
        None => Ok(password::read_password(purpose)?.0),
    }
}

/// Generate a key pair and write `<prefix>.key` (encrypted, 0600) and `<prefix>.pub`.
pub fn generate_key_pair(
    prefix: &Path,
    algorithm: GenerateAlgorithm,
    force: bool,
    password: Option<Password>,
) -> FResult<WrittenKeyPair> {
    refuse_existing(prefix, force)?;
    let key = SigningKey::generate(algorithm)?;
    let pw = password_or_prompt(password, Purpose::Create)?;
    Ok(files::write_key_pair(&key, pw.as_bytes(), prefix, force)?)
}

/// Import an unencrypted PEM private key (PKCS#8, SEC1, PKCS#1) and write it as a cosign key
/// pair at `prefix`.
pub fn import_key_pair(
    key_file: &Path,
    prefix: &Path,
    force: bool,
    password: Option<Password>,
) -> FResult<WrittenKeyPair> {
    refuse_existing(prefix, force)?;
    let pem = zeroize::Zeroizing::new(files::read_key_file(key_file)?);
    let key = keys::import::import_pem(&pem)?;
    let pw = password_or_prompt(password, Purpose::Create)?;
    Ok(files::write_key_pair(&key, pw.as_bytes(), prefix, force)?)
}

/// Check before asking for a password, so the user is not prompted for nothing.
fn refuse_existing(prefix: &Path, force: bool) -> FResult<()> {
    if force {
        return Ok(());
    }
    for ext in ["key", "pub"] {
        let mut p = prefix.as_os_str().to_owned();
        p.push(".");
        p.push(ext);
        let p = PathBuf::from(p);
        if p.exists() {
            return Err(FError::InvalidInput(format!("{} already exists; pass --force to replace it", p.display())));
        }
    }
    Ok(())
}

/// Load a private key for signing: a cosign encrypted key (password as above) or, for
/// convenience, an unencrypted PEM private key.
///
/// `key_file` may be `env://VAR` (cosign's key reference): the PEM is the variable's value.
pub fn load_signing_key(key_file: &Path, password: Option<Password>) -> FResult<SigningKey> {
    let bytes = zeroize::Zeroizing::new(files::read_key_ref(key_file)?);
    if keys::encrypted::is_encrypted_key(&bytes) {
        let pw = password_or_prompt(password, Purpose::Decrypt)?;
        // Seed the signing RNG on another core while scrypt runs (both take tens of ms).
        return std::thread::scope(|s| {
            s.spawn(keys::warm_up_rng);
            Ok(keys::encrypted::decrypt(&bytes, pw.as_bytes())?)
        });
    }
    keys::import::import_pem(&bytes).map_err(|e| {
        FError::InvalidInput(format!("{} is neither a cosign key file nor a PEM private key ({e})", key_file.display()))
    })
}

/// Load a key for verification: a PEM public key, or a cosign private key (decrypted with the
/// password, its public half used). `key_file` may be `env://VAR`: the PEM is the variable's value.
pub fn load_verification_key(key_file: &Path, password: Option<Password>) -> FResult<PublicKey> {
    match files::classify_key_file(files::read_key_ref(key_file)?) {
        Ok(KeyFile::Public(k)) => Ok(k),
        Ok(KeyFile::EncryptedPrivate(bytes)) => {
            let pw = password_or_prompt(password, Purpose::Decrypt)?;
            Ok(keys::encrypted::decrypt(&bytes, pw.as_bytes())?.public_key().clone())
        }
        Ok(_) => Err(FError::InvalidInput(format!("{}: unsupported key file", key_file.display()))),
        Err(e) => Err(FError::InvalidInput(format!(
            "{} is not a PEM public key or cosign key file ({e})",
            key_file.display()
        ))),
    }
}

/// The PEM public key of a key file (`chainseal public-key`).
pub fn public_key_pem(key_file: &Path, password: Option<Password>) -> FResult<String> {
    Ok(load_verification_key(key_file, password)?.to_pem())
}

/// What `sign-blob` signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobInput {
    /// A file, streamed.
    File(PathBuf),
    /// A SHA-256 digest (32 bytes) of content not at hand.
    Sha256Digest(Vec<u8>),
}

impl BlobInput {
    /// Interpret a command-line argument: an existing file, else `sha256:<64 hex>`.
    pub fn from_arg(arg: &str) -> FResult<Self> {
        let path = Path::new(arg);
        if path.exists() {
            return Ok(BlobInput::File(path.to_path_buf()));
        }
        if let Some(hex_digest) = arg.strip_prefix("sha256:") {
            let bytes = hex::decode(hex_digest)
                .ok()
                .filter(|b| b.len() == 32 && hex_digest.bytes().all(|c| !c.is_ascii_uppercase()))
                .ok_or_else(|| {
                    FError::InvalidInput(format!("`{arg}` is not sha256: followed by 64 lowercase hex digits"))
                })?;
            return Ok(BlobInput::Sha256Digest(bytes));
        }
        Err(FError::InvalidInput(format!("{arg}: no such file (and not a sha256:<hex> digest)")))
    }
}

/// Sign a blob and return the bundle v0.3 JSON (`messageSignature`, `publicKey` hint, no
/// transparency-log entry), as `cosign sign-blob --key … --bundle` writes it offline.
pub fn sign_blob(key: &SigningKey, input: &BlobInput) -> FResult<Vec<u8>> {
    let bundle = match input {
        BlobInput::Sha256Digest(d) => bundle_write::digest_bundle(key, MessageHash::Sha256, d)?,
        BlobInput::File(path) if key.algorithm() == KeyAlgorithm::Ed25519 => {
            // Ed25519 signs the message itself, so the file has to be in memory.
            let data = std::fs::read(path).map_err(|e| io_err(path, e))?;
            bundle_write::blob_bundle(key, &data)?
        }
        BlobInput::File(path) => {
            let hash = key.algorithm().message_hash();
            let digest = hash_file(path, hash)?;
            bundle_write::digest_bundle(key, hash, &digest)?
        }
    };
    Ok(bundle_write::to_json(&bundle)?)
}

fn io_err(path: &Path, e: std::io::Error) -> FError {
    FError::Sign(chainseal_sign::Error::Io { path: path.to_path_buf(), source: e })
}

/// Hash a file in one streaming pass.
fn hash_file(path: &Path, hash: MessageHash) -> FResult<Vec<u8>> {
    use sha2::Digest as _;
    let mut f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let mut buf = vec![0u8; 1 << 16];
    macro_rules! stream {
        ($h:expr) => {{
            let mut h = $h;
            loop {
                let n = f.read(&mut buf).map_err(|e| io_err(path, e))?;
                if n == 0 {
                    break h.finalize().to_vec();
                }
                h.update(&buf[..n]);
            }
        }};
    }
    Ok(match hash {
        MessageHash::Sha256 => stream!(sha2::Sha256::new()),
        MessageHash::Sha384 => stream!(sha2::Sha384::new()),
        _ => stream!(sha2::Sha512::new()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_input_parsing() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a");
        std::fs::write(&f, b"x").unwrap();
        assert_eq!(BlobInput::from_arg(f.to_str().unwrap()).unwrap(), BlobInput::File(f));
        let hex = "ab".repeat(32);
        assert!(matches!(
            BlobInput::from_arg(&format!("sha256:{hex}")).unwrap(),
            BlobInput::Sha256Digest(d) if d.len() == 32
        ));
        assert!(BlobInput::from_arg("sha256:abc").is_err());
        assert!(BlobInput::from_arg(&format!("sha256:{}", "AB".repeat(32))).is_err());
        assert!(BlobInput::from_arg("/no/such/file").is_err());
    }

    #[test]
    fn file_and_digest_inputs_sign_the_same_content() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("blob");
        std::fs::write(&f, b"hello\n").unwrap();
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let a: serde_json::Value = serde_json::from_slice(&sign_blob(&key, &BlobInput::File(f)).unwrap()).unwrap();
        let d = MessageHash::Sha256.digest(b"hello\n");
        let b: serde_json::Value =
            serde_json::from_slice(&sign_blob(&key, &BlobInput::Sha256Digest(d)).unwrap()).unwrap();
        assert_eq!(a["messageSignature"]["messageDigest"], b["messageSignature"]["messageDigest"]);
    }

    #[test]
    fn generate_then_load_with_given_password() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("cosign");
        let w = generate_key_pair(&prefix, GenerateAlgorithm::EcdsaP256, false, Some(Password::new(b"pw".to_vec())))
            .unwrap();
        let key = load_signing_key(&w.private_key, Some(Password::new(b"pw".to_vec()))).unwrap();
        let pubkey = load_verification_key(&w.public_key, None).unwrap();
        assert_eq!(key.public_key(), &pubkey);
        let err = load_signing_key(&w.private_key, Some(Password::new(b"no".to_vec()))).unwrap_err();
        assert!(err.to_string().contains("wrong password"), "{err}");
        assert!(generate_key_pair(&prefix, GenerateAlgorithm::EcdsaP256, false, None).is_err());
    }
}

/// A small runtime for the blocking entry points.
pub(crate) fn runtime() -> FResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| FError::InvalidInput(format!("could not start the async runtime: {e}")))
}
