//! Where key passwords come from. Never a command-line flag.
//!
//! Order (cosign's, `cmd/cosign/cli/generate/generate_key_pair.go` `readPasswordFn`, with
//! chainseal's own variable first):
//! 1. `CHAINSEAL_PASSWORD` if set — **even to the empty string**;
//! 2. `COSIGN_PASSWORD` if set (drop-in use with cosign pipelines), also when empty;
//! 3. if stdin is a terminal: a prompt on the terminal (twice when creating a key);
//! 4. otherwise all of stdin, byte for byte (no newline trimming, so a key created with
//!    `echo pw | cosign …` opens with `echo pw | chainseal …`).

use std::io::{IsTerminal as _, Read as _};

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The variable chainseal reads first.
pub const CHAINSEAL_PASSWORD: &str = "CHAINSEAL_PASSWORD";
/// cosign's variable, read second.
pub const COSIGN_PASSWORD: &str = "COSIGN_PASSWORD";

/// Longest password read from stdin.
const MAX_STDIN_PASSWORD: u64 = 64 * 1024;

/// Why the password is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// To decrypt an existing key (asked once).
    Decrypt,
    /// To encrypt a new key (asked twice on a terminal).
    Create,
}

/// A password, zeroized on drop; `Debug` prints nothing of it.
pub struct Password(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    /// Wrap bytes as a password.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The password bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Where [`read_password`] found the password (for a message on stderr; never the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// `CHAINSEAL_PASSWORD`.
    ChainsealEnv,
    /// `COSIGN_PASSWORD`.
    CosignEnv,
    /// Typed at a terminal prompt.
    Terminal,
    /// Read from stdin.
    Stdin,
}

/// Get a password in the documented order.
pub fn read_password(purpose: Purpose) -> Result<(Password, Source)> {
    read_password_with(purpose, |k| std::env::var_os(k), std::io::stdin().is_terminal())
}

/// [`read_password`] with the environment and terminal check injected (for tests).
pub fn read_password_with(
    purpose: Purpose,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
    stdin_is_terminal: bool,
) -> Result<(Password, Source)> {
    for (var, source) in [(CHAINSEAL_PASSWORD, Source::ChainsealEnv), (COSIGN_PASSWORD, Source::CosignEnv)] {
        if let Some(v) = env(var) {
            return Ok((Password::new(os_bytes(v)), source));
        }
    }
    if stdin_is_terminal {
        return prompt(purpose).map(|p| (p, Source::Terminal));
    }
    let mut buf = Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(MAX_STDIN_PASSWORD + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::Password(format!("cannot read the password from stdin: {e}")))?;
    if buf.len() as u64 > MAX_STDIN_PASSWORD {
        return Err(Error::Password("stdin is too long to be a password".into()));
    }
    Ok((Password::new(std::mem::take(&mut *buf)), Source::Stdin))
}

fn os_bytes(v: std::ffi::OsString) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt as _;
        v.into_vec()
    }
    #[cfg(not(unix))]
    {
        v.to_string_lossy().into_owned().into_bytes()
    }
}

fn prompt(purpose: Purpose) -> Result<Password> {
    let ask = |text: &str| -> Result<Password> {
        eprint!("{text}");
        rpassword::read_password()
            .map(|s| Password::new(s.into_bytes()))
            .map_err(|e| Error::Password(format!("cannot read the password from the terminal: {e}")))
    };
    match purpose {
        Purpose::Decrypt => ask("Enter password for private key: "),
        Purpose::Create => {
            let first = ask("Enter password for private key: ")?;
            let second = ask("Enter password for private key again: ")?;
            if first.as_bytes() != second.as_bytes() {
                return Err(Error::Password("the passwords do not match".into()));
            }
            Ok(first)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn chainseal_variable_wins() {
        let (p, s) =
            read_password_with(Purpose::Decrypt, env(&[("CHAINSEAL_PASSWORD", "a"), ("COSIGN_PASSWORD", "b")]), true)
                .unwrap();
        assert_eq!(p.as_bytes(), b"a");
        assert_eq!(s, Source::ChainsealEnv);
    }

    #[test]
    fn cosign_variable_is_used() {
        let (p, s) = read_password_with(Purpose::Create, env(&[("COSIGN_PASSWORD", "b")]), true).unwrap();
        assert_eq!(p.as_bytes(), b"b");
        assert_eq!(s, Source::CosignEnv);
    }

    #[test]
    fn empty_but_set_means_empty_password() {
        let (p, s) = read_password_with(Purpose::Decrypt, env(&[("COSIGN_PASSWORD", "")]), true).unwrap();
        assert_eq!(p.as_bytes(), b"");
        assert_eq!(s, Source::CosignEnv);
    }

    #[test]
    fn debug_is_redacted() {
        let p = Password::new(b"hunter2".to_vec());
        assert!(!format!("{p:?}").contains("hunter2"));
    }
}
