//! The Sigstore bundle model and its parser.
//!
//! The model is sigstore-rust's ([`sigstore_types::Bundle`] and the types in
//! [`sigstore_types::bundle`]), shared by verification and bundle writing so there is one model
//! in the crate. This module adds what parsing untrusted input needs on top: size and nesting
//! limits checked before deserialising, and the shape rules of [`shape`].

pub mod legacy;
pub mod shape;

pub use sigstore_types::Bundle;
pub use sigstore_types::bundle::{
    CertificateContent, InclusionPromise, InclusionProof, MediaType, MessageDigest, MessageSignature,
    PublicKeyIdentifier, SignatureContent, TimestampVerificationData, TransparencyLogEntry, VerificationMaterial,
    VerificationMaterialContent, X509Certificate,
};

use crate::verify::{VerifyStep, fail};
use crate::{Error, Result};

/// Limits on an untrusted bundle document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleLimits {
    /// Largest bundle accepted, in bytes (default 16 MiB; real bundles are a few KiB, DSSE
    /// bundles carrying SBOMs can reach a few MiB).
    pub max_bytes: usize,
    /// Deepest JSON nesting accepted (default 64; a bundle needs about 8).
    pub max_depth: usize,
}

impl Default for BundleLimits {
    fn default() -> Self {
        Self { max_bytes: 16 * 1024 * 1024, max_depth: 64 }
    }
}

/// Parse a bundle (v0.1, v0.2, v0.3, any media-type spelling) from untrusted bytes.
///
/// Errors are [`Error::Verification`] at step [`VerifyStep::Bundle`]; nothing here panics.
pub fn parse_bundle(bytes: &[u8], limits: &BundleLimits) -> Result<Bundle> {
    if bytes.len() > limits.max_bytes {
        return Err(fail(
            VerifyStep::Bundle,
            format!("bundle is {} bytes, more than the limit of {}", bytes.len(), limits.max_bytes),
        ));
    }
    check_depth(bytes, limits.max_depth)?;
    let text = std::str::from_utf8(bytes).map_err(|e| fail(VerifyStep::Bundle, format!("bundle is not UTF-8: {e}")))?;
    let bundle = match Bundle::from_json(text) {
        Ok(b) => b,
        Err(first) => match strip_base64_line_breaks(text) {
            // Retry once with line breaks removed from base64 strings; report the first error
            // if that does not help either.
            Some(relaxed) => Bundle::from_json(&relaxed).map_err(|_| parse_error(&first))?,
            None => {
                require_media_type(text)?;
                return Err(parse_error(&first));
            }
        },
    };
    // Added: sigstore-types defaults a missing mediaType to v0.1 (for pre-protobuf cosign
    // bundles); a Sigstore bundle must name its version, so a missing one is refused. Only a
    // v0.1 result can come from that default, so only then is the document read again.
    if bundle.media_type == MediaType::Bundle0_1 {
        require_media_type(text)?;
    }
    shape::check(&bundle)?;
    Ok(bundle)
}

/// Refuse a document without a top-level `mediaType` member.
fn require_media_type(text: &str) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(rename = "mediaType")]
        media_type: Option<serde::de::IgnoredAny>,
    }
    let head: Head =
        serde_json::from_str(text).map_err(|e| fail(VerifyStep::Bundle, format!("cannot parse bundle JSON: {e}")))?;
    if head.media_type.is_none() {
        return Err(fail(VerifyStep::Bundle, "bundle has no mediaType"));
    }
    Ok(())
}

/// A parse error, attributed to the checkpoint when the note is what failed to parse.
fn parse_error(err: &sigstore_types::Error) -> Error {
    let msg = err.to_string();
    let step = if msg.contains("checkpoint") { VerifyStep::Checkpoint } else { VerifyStep::Bundle };
    fail(step, format!("cannot parse bundle JSON: {msg}"))
}

/// Added beyond sigstore-types, whose base64 decoding is strict: base64 strings wrapped with
/// `\n` (as `base64(1)` writes them) are accepted the way Go's protojson and Python decode them,
/// by dropping the line breaks. Only JSON strings made entirely of base64 characters and
/// `\n`/`\r` escapes are touched, so no other field can change. Returns `None` when there is
/// nothing to strip.
fn strip_base64_line_breaks(text: &str) -> Option<String> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r#""((?:[A-Za-z0-9+/=_-]|\\[rn])+)""#).ok()).as_ref()?;
    let mut changed = false;
    let out = re.replace_all(text, |c: &regex::Captures<'_>| {
        let inner = c.get(1).map_or("", |m| m.as_str());
        if inner.contains("\\n") || inner.contains("\\r") {
            changed = true;
            format!("\"{}\"", inner.replace("\\n", "").replace("\\r", ""))
        } else {
            c.get(0).map_or(String::new(), |m| m.as_str().to_owned())
        }
    });
    changed.then(|| out.into_owned())
}

/// Read and parse a bundle file, refusing files above the size limit before reading them.
pub fn read_bundle(path: &std::path::Path, limits: &BundleLimits) -> Result<Bundle> {
    let io = |source| Error::Io { path: path.to_owned(), source };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > limits.max_bytes as u64 {
        return Err(fail(
            VerifyStep::Bundle,
            format!("{} is {len} bytes, more than the limit of {}", path.display(), limits.max_bytes),
        ));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    parse_bundle(&bytes, limits)
}

/// Reject documents nested deeper than `max` before serde sees them (serde_json's own limit is
/// 128 and applies per deserializer; this keeps the bound explicit and cheap).
///
/// String contents (most of a bundle: base64) are skipped with `memchr2` to the next quote or
/// backslash instead of byte by byte.
fn check_depth(bytes: &[u8], max: usize) -> Result<()> {
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            b'"' => {
                // Inside a string: find its closing quote, stepping over escapes.
                loop {
                    let Some(rest) = bytes.get(i..) else { return Ok(()) };
                    let Some(at) = memchr::memchr2(b'"', b'\\', rest) else { return Ok(()) };
                    let found = rest[at];
                    // A backslash escapes the byte after it, whatever it is.
                    i += at + if found == b'\\' { 2 } else { 1 };
                    if found == b'"' {
                        break;
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return Err(fail(VerifyStep::Bundle, format!("bundle JSON is nested deeper than {max} levels")));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step_of(r: Result<Bundle>) -> VerifyStep {
        match r {
            Err(Error::Verification { step, .. }) => step,
            other => panic!("expected a verification error, got {other:?}"),
        }
    }

    #[test]
    fn hostile_documents_are_typed_errors() {
        let limits = BundleLimits::default();
        let deep = "[".repeat(10_000);
        let huge_b64 = format!(
            r#"{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{{"publicKey":{{"hint":"x"}},"tlogEntries":[]}},"messageSignature":{{"signature":"{}"}}}}"#,
            "A".repeat(1_000_001)
        );
        let cases: Vec<&[u8]> = vec![
            b"",
            b"null",
            b"{",
            b"\xff\xfe",
            deep.as_bytes(),
            br#"{"mediaType": 7}"#,
            br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":[],"messageSignature":{}}"#,
            br#"{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=99.9"}"#,
            huge_b64.as_bytes(),
        ];
        for c in cases {
            assert_eq!(step_of(parse_bundle(c, &limits)), VerifyStep::Bundle);
        }
        let small = BundleLimits { max_bytes: 10, ..limits };
        assert_eq!(step_of(parse_bundle(&[b' '; 11], &small)), VerifyStep::Bundle);
    }

    #[test]
    fn wrapped_base64_is_unwrapped_only_in_base64_strings() {
        let text = r#"{"a":"QUJD\nREVG","b":"x y\nz","c":"QUJD"}"#;
        let out = strip_base64_line_breaks(text).expect("changed");
        assert_eq!(out, r#"{"a":"QUJDREVG","b":"x y\nz","c":"QUJD"}"#);
        assert!(strip_base64_line_breaks(r#"{"a":"QUJD"}"#).is_none());
    }

    #[test]
    fn depth_scanner_ignores_brackets_in_strings() {
        assert!(check_depth(br#"{"a":"[[[[[[[[[[\"[[["}"#, 2).is_ok());
        assert!(check_depth(b"[[[", 2).is_err());
        // An escaped backslash ends right before the closing quote: the brackets after count.
        assert!(check_depth(br#"{"a":"x\\"}[[["#, 2).is_err());
        assert!(check_depth(br#"{"a":"x\\"}[["#, 3).is_ok());
        // An escaped quote does not close the string.
        assert!(check_depth(br#"["\"[[[[[["]"#, 1).is_ok());
        // Unterminated strings and a trailing backslash end the scan without panicking (the
        // JSON parser refuses them).
        for text in [&br#"["abc"#[..], br#"["abc\"#, b"\"", b"\"\\"] {
            assert!(check_depth(text, 1).is_ok());
        }
    }

    #[test]
    fn depth_scanner_agrees_with_a_byte_by_byte_scan() {
        // The scanner before the memchr skip, kept as the reference.
        fn reference(bytes: &[u8], max: usize) -> bool {
            let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
            for &b in bytes {
                if in_string {
                    match (escaped, b) {
                        (true, _) => escaped = false,
                        (false, b'\\') => escaped = true,
                        (false, b'"') => in_string = false,
                        _ => {}
                    }
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > max {
                            return false;
                        }
                    }
                    b'}' | b']' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            true
        }
        let alphabet = br#"[]{}"\a"#;
        // Every string of up to 6 symbols over the interesting bytes, at depth limits 0 to 3.
        let mut text = Vec::new();
        for len in 0..=6u32 {
            for mut n in 0..alphabet.len().pow(len) {
                text.clear();
                for _ in 0..len {
                    text.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                for max in 0..=3 {
                    assert_eq!(
                        check_depth(&text, max).is_ok(),
                        reference(&text, max),
                        "{:?} max {max}",
                        String::from_utf8_lossy(&text)
                    );
                }
            }
        }
    }
}
