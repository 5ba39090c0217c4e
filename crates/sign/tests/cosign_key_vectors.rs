//! cosign's own key vectors (pkg/cosign/keys_test.go): what cosign loads, chainseal loads; what
//! cosign refuses, chainseal refuses.

use chainseal_sign::Error;
use chainseal_sign::keys::{KeyAlgorithm, encrypted, import};

fn data(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cosign").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn loads_cosign_labelled_key_n32768() {
    let key = encrypted::decrypt(&data("pemcosignkey.key"), b"hello").unwrap();
    let sig = key.sign(b"m").unwrap();
    key.public_key().verify(b"m", &sig).unwrap();
}

#[test]
fn loads_sigstore_labelled_key_n32768() {
    let key = encrypted::decrypt(&data("pemsigstorekey.key"), b"hello").unwrap();
    assert!(matches!(key.algorithm(), KeyAlgorithm::EcdsaP256Sha256 | KeyAlgorithm::RsaPkcs1Sha256(_)));
}

#[test]
fn refuses_sec1_inside_the_envelope() {
    // It decrypts (right password), but holds SEC1, which cosign refuses too.
    let err = encrypted::decrypt(&data("pemcosigneckey.key"), b"hello").unwrap_err();
    assert!(matches!(err, Error::Key(_)), "{err}");
    assert!(err.to_string().contains("SEC1"), "{err}");
}

#[test]
fn wrong_password_on_cosign_vectors() {
    for f in ["pemcosignkey.key", "pemsigstorekey.key", "pemcosigneckey.key"] {
        let err = encrypted::decrypt(&data(f), b"hellO").unwrap_err();
        assert!(matches!(err, Error::WrongPassword), "{f}: {err}");
    }
}

#[test]
fn truncated_key_file_is_refused() {
    let full = data("pemsigstorekey.key");
    for cut in [0, 10, full.len() / 3, full.len() - 40] {
        assert!(encrypted::decrypt(&full[..cut], b"hello").is_err(), "cut at {cut}");
    }
}

#[test]
fn imports_what_cosign_imports() {
    for (f, alg) in [
        ("validecp256.key", KeyAlgorithm::EcdsaP256Sha256),
        ("validecp384.key", KeyAlgorithm::EcdsaP384Sha384),
        ("validecp521.key", KeyAlgorithm::EcdsaP521Sha512),
        ("validecpkcs8.key", KeyAlgorithm::EcdsaP256Sha256),
        ("ed25519.key", KeyAlgorithm::Ed25519),
    ] {
        let key = import::import_pem(&data(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(key.algorithm(), alg, "{f}");
        // Imported keys survive the cosign.key round trip.
        let pem = encrypted::encrypt_with(&key, b"pw", 15, encrypted::SIGSTORE_LABEL).unwrap();
        let back = encrypted::decrypt(pem.as_bytes(), b"pw").unwrap();
        assert_eq!(back.public_key(), key.public_key(), "{f}");
    }
}

#[test]
fn refuses_what_cosign_refuses_on_import() {
    for f in ["invalidecp224.key", "invalidecunsupported.key", "invalidrsasmallkey.key"] {
        assert!(import::import_pem(&data(f)).is_err(), "{f} was accepted");
    }
}
