//! Reading and writing key files: `<prefix>.key` (mode 0600) and `<prefix>.pub` (0644).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{PublicKey, SigningKey, encrypted};
use crate::error::{Error, Result};

/// Largest key file read.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// Where a key pair was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenKeyPair {
    /// The encrypted private key (`<prefix>.key`).
    pub private_key: PathBuf,
    /// The public key (`<prefix>.pub`).
    pub public_key: PathBuf,
}

/// Encrypt `key` with `password` and write `<prefix>.key` (0600) and `<prefix>.pub` (0644).
/// Refuses to replace existing files unless `force`.
pub fn write_key_pair(key: &SigningKey, password: &[u8], prefix: &Path, force: bool) -> Result<WrittenKeyPair> {
    let private_key = with_suffix(prefix, "key");
    let public_key = with_suffix(prefix, "pub");
    if !force {
        for p in [&private_key, &public_key] {
            if p.exists() {
                return Err(Error::Key(format!("{} already exists; pass --force to replace it", p.display())));
            }
        }
    }
    let pem = encrypted::encrypt(key, password)?;
    write_file(&private_key, pem.as_bytes(), 0o600, force)?;
    write_file(&public_key, key.public_key().to_pem().as_bytes(), 0o644, force)?;
    Ok(WrittenKeyPair { private_key, public_key })
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

/// Write a file with `mode`, created fresh (the mode is set at creation, so a private key is
/// never readable by others, even briefly).
fn write_file(path: &Path, data: &[u8], mode: u32, replace: bool) -> Result<()> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    if replace && path.exists() {
        std::fs::remove_file(path).map_err(io)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(data).map_err(io)?;
    f.sync_all().map_err(io)
}

/// Read a key file (bounded).
pub fn read_key_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let f = std::fs::File::open(path).map_err(io)?;
    let mut buf = Vec::new();
    f.take(MAX_KEY_FILE + 1).read_to_end(&mut buf).map_err(io)?;
    if buf.len() as u64 > MAX_KEY_FILE {
        return Err(Error::Key(format!("{} is larger than {MAX_KEY_FILE} bytes; not a key file", path.display())));
    }
    Ok(buf)
}

/// The prefix of a `--key` reference naming an environment variable that holds the PEM
/// (cosign `pkg/blob/load.go`).
pub const ENV_KEY_PREFIX: &str = "env://";

/// Read a `--key` reference: `env://VAR` is the value of the environment variable `VAR` (a PEM
/// key, as cosign accepts it; the password of a private key still comes from
/// `CHAINSEAL_PASSWORD`/`COSIGN_PASSWORD`/the prompt), anything else a file path
/// ([`read_key_file`]). The value is never put into an error.
pub fn read_key_ref(reference: &Path) -> Result<Vec<u8>> {
    let Some(var) = reference.to_str().and_then(|s| s.strip_prefix(ENV_KEY_PREFIX)) else {
        return read_key_file(reference);
    };
    if var.is_empty() || var.contains('=') || var.contains('\0') {
        return Err(Error::Key(format!("`{ENV_KEY_PREFIX}{var}` does not name an environment variable")));
    }
    let value = std::env::var_os(var).ok_or_else(|| {
        Error::Key(format!("environment variable {var} (from --key {ENV_KEY_PREFIX}{var}) is not set"))
    })?;
    let bytes = value
        .into_string()
        .map_err(|_| Error::Key(format!("environment variable {var} is not text; a PEM key is ASCII")))?
        .into_bytes();
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(Error::Key(format!("environment variable {var} is larger than {MAX_KEY_FILE} bytes; not a key")));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Key(format!("environment variable {var} (from --key {ENV_KEY_PREFIX}{var}) is empty")));
    }
    Ok(bytes)
}

/// What a `--key` file holds.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyFile {
    /// A cosign encrypted private key (needs a password).
    EncryptedPrivate(Vec<u8>),
    /// A public key.
    Public(PublicKey),
}

/// Load a `--key` argument for verification: a public key PEM, or a cosign private key (whose
/// public half is then used; the caller supplies the password lazily).
pub fn classify_key_file(bytes: Vec<u8>) -> Result<KeyFile> {
    if encrypted::is_encrypted_key(&bytes) {
        return Ok(KeyFile::EncryptedPrivate(bytes));
    }
    PublicKey::from_pem(&bytes).map(KeyFile::Public)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::GenerateAlgorithm;

    #[test]
    fn env_key_references() {
        // `set_var` needs `unsafe` in edition 2024 (forbidden here): read a variable the test
        // runner already has; the CLI tests set their own (tests/image_sign_interop.rs).
        let pem = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
        let path_value = std::env::var("PATH").unwrap_or_default();
        if !path_value.trim().is_empty() {
            assert_eq!(read_key_ref(Path::new("env://PATH")).unwrap(), path_value.into_bytes());
        }
        let err = read_key_ref(Path::new("env://CHAINSEAL_TEST_SURELY_UNSET_VAR_1234")).unwrap_err().to_string();
        assert!(err.contains("CHAINSEAL_TEST_SURELY_UNSET_VAR_1234") && err.contains("not set"), "{err}");
        assert!(read_key_ref(Path::new("env://")).unwrap_err().to_string().contains("does not name"));
        assert!(read_key_ref(Path::new("env://A=B")).is_err());
        // Not env://: a file path.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("k.pub");
        std::fs::write(&f, pem).unwrap();
        assert_eq!(read_key_ref(&f).unwrap(), pem.as_bytes());
    }

    #[test]
    fn writes_with_modes_and_refuses_to_clobber() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("cosign");
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let w = write_key_pair(&key, b"pw", &prefix, false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let m = std::fs::metadata(&w.private_key).unwrap().permissions().mode();
            assert_eq!(m & 0o777, 0o600);
        }
        let err = write_key_pair(&key, b"pw", &prefix, false).unwrap_err();
        assert!(err.to_string().contains("--force"));
        write_key_pair(&key, b"pw2", &prefix, true).unwrap();
        let bytes = read_key_file(&w.private_key).unwrap();
        assert!(encrypted::decrypt(&bytes, b"pw2").is_ok());
        let pubkey = read_key_file(&w.public_key).unwrap();
        assert!(matches!(classify_key_file(pubkey).unwrap(), KeyFile::Public(_)));
        assert!(matches!(classify_key_file(bytes).unwrap(), KeyFile::EncryptedPrivate(_)));
    }
}
