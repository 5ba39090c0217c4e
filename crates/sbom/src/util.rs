//! Small shared helpers: control-file parsing, base64, path handling.

use base64::Engine as _;

/// Decode standard or URL-safe base64, with or without padding.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let s = s.trim();
    STANDARD
        .decode(s)
        .or_else(|_| STANDARD_NO_PAD.decode(s))
        .or_else(|_| URL_SAFE_NO_PAD.decode(s))
        .or_else(|_| URL_SAFE.decode(s))
        .ok()
}

/// One stanza of a Debian control file / RFC 822 header block: fields in order, continuation
/// lines joined with `\n`. Field names keep their case; lookups ignore case.
#[derive(Debug, Default, Clone)]
pub(crate) struct Stanza {
    pub(crate) fields: Vec<(String, String)>,
}

impl Stanza {
    /// The first value of `key` (case-insensitive).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
    /// All values of `key` (case-insensitive).
    pub(crate) fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields.iter().filter(move |(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
}

/// Parse control-file stanzas separated by blank lines (dpkg status, PKG-INFO headers).
/// `headers_only` stops at the first blank line (the body of a METADATA file is the description).
pub(crate) fn parse_stanzas(text: &str, headers_only: bool) -> Vec<Stanza> {
    let mut out = Vec::new();
    let mut cur = Stanza::default();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if !cur.fields.is_empty() {
                out.push(std::mem::take(&mut cur));
                if headers_only {
                    return out;
                }
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, v)) = cur.fields.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            cur.fields.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    if !cur.fields.is_empty() {
        out.push(cur);
    }
    out
}

/// The file name of a `/`-separated path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The parent directory of a `/`-separated path (`""` at the top).
pub(crate) fn parent(path: &str) -> &str {
    path.rfind('/').map(|i| &path[..i]).unwrap_or("")
}

/// Join a directory and a relative path, resolving `.` and `..` without leaving the root.
pub(crate) fn join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> =
        if rel.starts_with('/') { Vec::new() } else { dir.split('/').filter(|s| !s.is_empty()).collect() };
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// Lossy UTF-8 view of evidence bytes (a BOM is dropped).
pub(crate) fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

/// Hex SHA-256 of bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas_with_continuations() {
        let s = parse_stanzas("Package: a\nDescription: x\n y\n\n\nPackage: b\n", false);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].get("description"), Some("x\ny"));
        assert_eq!(s[1].get("Package"), Some("b"));
    }

    #[test]
    fn join_stays_inside() {
        assert_eq!(join("a/b", "../../../../etc/passwd"), "etc/passwd");
        assert_eq!(join("a/b", "./c"), "a/b/c");
    }
}
