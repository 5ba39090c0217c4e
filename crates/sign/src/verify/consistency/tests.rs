//! `check_body` and the PEM reader against every field of a hashedrekord 0.0.1 body.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD};

use super::*;

const DIGEST: [u8; 32] = [7; 32];
const SIG: &[u8] = b"\x30\x45 a signature's bytes, ?>~ included";
/// Not a real certificate: the checks compare bytes, they do not parse it.
const LEAF: &[u8] = b"\x30\x82 leaf certificate DER bytes, long enough to wrap over more than one PEM line ......";

/// PEM as Rekor writes it (LF line ends; the pem crate writes CRLF).
fn pem_of(der: &[u8]) -> String {
    DerCertificate::new(der.to_vec()).to_pem().replace("\r\n", "\n")
}

fn body_with(kind: &str, api: &str, alg: &str, value: &str, sig_b64: &str, pem_b64: &str) -> Vec<u8> {
    format!(
        r#"{{"apiVersion":"{api}","kind":"{kind}","spec":{{"data":{{"hash":{{"algorithm":"{alg}","value":"{value}"}}}},"signature":{{"content":"{sig_b64}","publicKey":{{"content":"{pem_b64}"}}}}}}}}"#
    )
    .into_bytes()
}

fn good_body() -> Vec<u8> {
    body_with("hashedrekord", "0.0.1", "sha256", &hex::encode(DIGEST), &B64.encode(SIG), &B64.encode(pem_of(LEAF)))
}

fn check(body: &[u8]) -> std::result::Result<(), String> {
    check_body(body, &DIGEST, SIG, LEAF)
}

#[test]
fn the_matching_body_is_accepted_and_each_field_is_compared() {
    assert_eq!(check(&good_body()), Ok(()));
    // Another certificate, signature, digest.
    assert!(check_body(&good_body(), &DIGEST, SIG, b"\x30\x82 another leaf").is_err());
    assert!(check_body(&good_body(), &DIGEST, b"another signature", LEAF).is_err());
    let mut other = DIGEST;
    other[31] ^= 1;
    assert!(check_body(&good_body(), &other, SIG, LEAF).is_err());
}

#[test]
fn bodies_naming_other_material_are_refused() {
    let (hex_d, sig, pem) = (hex::encode(DIGEST), B64.encode(SIG), B64.encode(pem_of(LEAF)));
    let mut flipped = DIGEST;
    flipped[0] ^= 0x80;
    let mut bad_sig = SIG.to_vec();
    bad_sig[3] ^= 1;
    let mut bad_leaf = LEAF.to_vec();
    bad_leaf[40] ^= 1;
    let refused = [
        // another artifact digest, or the right one under another algorithm, or truncated
        body_with("hashedrekord", "0.0.1", "sha256", &hex::encode(flipped), &sig, &pem),
        body_with("hashedrekord", "0.0.1", "sha512", &hex_d, &sig, &pem),
        body_with("hashedrekord", "0.0.1", "sha256", &hex_d[..62], &sig, &pem),
        body_with("hashedrekord", "0.0.1", "sha256", &format!("{hex_d}00"), &sig, &pem),
        // another signature; a certificate one byte different
        body_with("hashedrekord", "0.0.1", "sha256", &hex_d, &B64.encode(&bad_sig), &pem),
        body_with("hashedrekord", "0.0.1", "sha256", &hex_d, &sig, &B64.encode(pem_of(&bad_leaf))),
        // another kind or version inside the body
        body_with("rekord", "0.0.1", "sha256", &hex_d, &sig, &pem),
        body_with("hashedrekord", "0.0.2", "sha256", &hex_d, &sig, &pem),
        // a public key where the certificate should be
        body_with(
            "hashedrekord",
            "0.0.1",
            "sha256",
            &hex_d,
            &sig,
            &B64.encode(pem_of(LEAF).replace("CERTIFICATE", "PUBLIC KEY")),
        ),
    ];
    for (i, body) in refused.iter().enumerate() {
        assert!(check(body).is_err(), "body {i} must be refused");
    }
}

#[test]
fn malformed_bodies_are_refused() {
    let (hex_d, sig, pem) = (hex::encode(DIGEST), B64.encode(SIG), B64.encode(pem_of(LEAF)));
    let good = good_body();
    let mut refused: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"{}".to_vec(),
        b"\xff\xfe".to_vec(),
        good[..good.len() - 1].to_vec(),
        [&good[..], b"x"].concat(),
        body_with("hashedrekord", "0.0.1", "sha256", "zz", &sig, &pem),
        body_with("hashedrekord", "0.0.1", "sha256", &hex_d, "!!not base64!!", &pem),
        body_with("hashedrekord", "0.0.1", "sha256", &hex_d, &sig, "!!not base64!!"),
        body_with("hashedrekord", "0.0.1", "sha256", &hex_d, &sig, &B64.encode("not a PEM")),
        body_with("hashedrekord", "0.0.1", "sha256", &hex_d, &sig, &B64.encode(b"\xff\xfe\n")),
        body_with("hashedrekord", "0.0.1", "sha256", &hex_d, &sig, &B64.encode(pem_of(LEAF).replace('A', "!"))),
    ];
    // A field given twice (serde refuses duplicates), a field missing.
    let text = String::from_utf8(good.clone()).expect("utf8");
    refused.push(
        text.replacen(r#""kind":"hashedrekord","#, r#""kind":"hashedrekord","kind":"hashedrekord","#, 1).into_bytes(),
    );
    refused.push(text.replacen(r#""apiVersion":"0.0.1","#, "", 1).into_bytes());
    refused.push(text.replacen(r#""algorithm":"sha256","#, "", 1).into_bytes());
    for (i, body) in refused.iter().enumerate() {
        assert!(check(body).is_err(), "malformed body {i} must be refused");
    }
}

#[test]
fn encodings_sigstore_types_accepts_are_accepted() {
    let hex_upper = hex::encode_upper(DIGEST);
    let pem = pem_of(LEAF);
    let accepted = [
        // unpadded and URL-safe base64 (protojson bytes), upper-case hex
        body_with("hashedrekord", "0.0.1", "sha256", &hex_upper, &URL_SAFE_NO_PAD.encode(SIG), &B64.encode(&pem)),
        // CRLF PEM, PEM with text around it, PEM without the final newline: read by from_pem
        body_with(
            "hashedrekord",
            "0.0.1",
            "sha256",
            &hex_upper,
            &B64.encode(SIG),
            &B64.encode(pem.replace('\n', "\r\n")),
        ),
        body_with("hashedrekord", "0.0.1", "sha256", &hex_upper, &B64.encode(SIG), &B64.encode(format!("note\n{pem}"))),
        body_with("hashedrekord", "0.0.1", "sha256", &hex_upper, &B64.encode(SIG), &B64.encode(pem.trim_end())),
    ];
    for (i, body) in accepted.iter().enumerate() {
        assert_eq!(check(body), Ok(()), "body {i}");
    }
}

#[test]
fn the_canonical_pem_reader_agrees_with_from_pem() {
    let pem = pem_of(LEAF);
    assert_eq!(canonical_pem(pem.as_bytes()).as_deref(), Some(LEAF));
    assert_eq!(canonical_pem(pem.as_bytes()), Some(DerCertificate::from_pem(&pem).expect("pem").into_bytes()));
    // Anything but the canonical layout is left to from_pem.
    for odd in [
        pem.replace('\n', "\r\n"),
        format!(" {pem}"),
        format!("{pem}\n"),
        pem.replacen("\n", "\n\n", 2),
        pem.replacen("A", " A", 1),
        pem.replace("CERTIFICATE", "PUBLIC KEY"),
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".to_owned(),
    ] {
        assert_eq!(canonical_pem(odd.as_bytes()), None, "{odd:?}");
    }
    // Every prefix of a canonical PEM: never a different certificate.
    for n in 0..pem.len() {
        if let Some(der) = canonical_pem(&pem.as_bytes()[..n]) {
            assert_eq!(der, LEAF, "prefix {n}");
        }
    }
}

#[test]
fn json_escapes_in_strings_are_read_as_sigstore_rekor_reads_them() {
    let text = String::from_utf8(good_body()).expect("utf8");
    let escaped = text.replacen(r#""algorithm":"sha256""#, r#""algorithm":"sha\u0032\u00356""#, 1);
    assert_eq!(check(escaped.as_bytes()), Ok(()));
    let wrong = text.replacen(r#""algorithm":"sha256""#, r#""algorithm":"sha\u0035\u00312""#, 1);
    assert!(check(wrong.as_bytes()).is_err());
}
