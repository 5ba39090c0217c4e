//! Authentication against real registries: bearer tokens (distribution 2.8.2 + the local
//! token issuer), Basic over TLS with a generated CA, and docker config.json credentials.
#![allow(clippy::unwrap_used, clippy::panic)]

mod registry_common;

use base64::Engine;
use chainseal_oci::Error;
use chainseal_oci::registry::{Credential, DockerConfigLocation, RegistryClient, Secret};
use registry_common::*;

#[tokio::test]
async fn token_auth_push_with_credentials_then_anonymous_pull_only() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_TOKEN") else { return };
    let name = unique_repo("token");
    let user = RegistryClient::new(config_with_user(&host)).unwrap();
    let image = tiny_image("token");
    push_tiny(&repo(&user, &host, &name), &image, Some("v1")).await;

    let anon = RegistryClient::new(anonymous_config()).unwrap();
    let anon_repo = repo(&anon, &host, &name);
    assert_eq!(anon_repo.resolve("v1").await.unwrap().digest, image.manifest.digest, "anonymous pull works");
    let other = tiny_image("token-denied");
    let err = anon_repo.push_blob_bytes(&other.layer.0, other.layer.1.clone()).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("insufficient_scope") && text.contains("push"), "{text}");
    assert!(!text.contains("testpass"));
}

#[tokio::test]
async fn token_auth_wrong_password_is_reported() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_TOKEN") else { return };
    let config = anonymous_config().with_credential(&host, Credential::basic("testuser", "wrong-password"));
    let client = RegistryClient::new(config).unwrap();
    let err = repo(&client, &host, &unique_repo("wrongpw")).resolve("v1").await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("credentials were refused"), "{text}");
    assert!(!text.contains("wrong-password"), "{text}");
}

#[tokio::test]
async fn identity_token_uses_the_refresh_grant() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_TOKEN") else { return };
    let refresh = env("CHAINSEAL_TEST_REGISTRY_REFRESH_TOKEN");
    let config = anonymous_config().with_credential(&host, Credential::IdentityToken(Secret::new(refresh)));
    let client = RegistryClient::new(config).unwrap();
    let repo = repo(&client, &host, &unique_repo("identity"));
    let image = tiny_image("identity");
    push_tiny(&repo, &image, Some("v1")).await;
    assert_eq!(repo.resolve("v1").await.unwrap().digest, image.manifest.digest);
}

#[tokio::test]
async fn basic_over_tls_with_ca() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_TLS") else { return };
    let config = config_with_user(&host).with_ca_file(env("CHAINSEAL_TEST_REGISTRY_TLS_CA"));
    let client = RegistryClient::new(config).unwrap();
    let repo = repo(&client, &host, &unique_repo("tls"));
    let image = tiny_image("tls");
    push_tiny(&repo, &image, Some("v1")).await;
    assert_eq!(repo.manifest("v1").await.unwrap().bytes, image.manifest.bytes);
}

#[tokio::test]
async fn tls_without_ca_is_refused_not_downgraded() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_TLS") else { return };
    let client = RegistryClient::new(config_with_user(&host)).unwrap();
    let err = repo(&client, &host, &unique_repo("noca")).resolve("v1").await.unwrap_err();
    assert!(matches!(err, Error::Network(_)), "{err:?}");
    assert!(err.to_string().contains("--ca"), "{err}");
}

#[tokio::test]
async fn tls_without_credentials_says_what_to_do() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_TLS") else { return };
    let client = RegistryClient::new(anonymous_config().with_ca_file(env("CHAINSEAL_TEST_REGISTRY_TLS_CA"))).unwrap();
    let err = repo(&client, &host, &unique_repo("nocreds")).resolve("v1").await.unwrap_err();
    assert!(err.to_string().contains("docker login"), "{err}");
    let wrong = anonymous_config()
        .with_ca_file(env("CHAINSEAL_TEST_REGISTRY_TLS_CA"))
        .with_credential(&host, Credential::basic("testuser", "nope"));
    let client = RegistryClient::new(wrong).unwrap();
    let err = repo(&client, &host, &unique_repo("nocreds")).resolve("v1").await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert!(!err.to_string().contains("nope"));
}

#[tokio::test]
async fn credentials_from_docker_config_json() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_TLS") else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        env("CHAINSEAL_TEST_REGISTRY_USER"),
        env("CHAINSEAL_TEST_REGISTRY_PASSWORD")
    ));
    std::fs::write(&path, format!(r#"{{"auths":{{"https://{host}":{{"auth":"{auth}"}}}}}}"#)).unwrap();
    let mut config = anonymous_config().with_ca_file(env("CHAINSEAL_TEST_REGISTRY_TLS_CA"));
    config.credentials.docker_config = DockerConfigLocation::File(path);
    let client = RegistryClient::new(config).unwrap();
    let repo = repo(&client, &host, &unique_repo("dockercfg"));
    push_tiny(&repo, &tiny_image("dockercfg"), Some("v1")).await;
    assert!(repo.tags().await.unwrap().contains(&"v1".to_string()));
}

#[tokio::test]
async fn mount_on_token_registry_falls_back_to_upload() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_TOKEN") else { return };
    let client = RegistryClient::new(config_with_user(&host)).unwrap();
    let from = unique_repo("tmount-from");
    let image = tiny_image("tmount");
    push_tiny(&repo(&client, &host, &from), &image, None).await;
    let to = repo(&client, &host, &unique_repo("tmount-to"));
    // The token includes pull on the source repository, so 2.8.2 mounts (201).
    assert!(to.mount_blob(&image.layer.0, &from).await.unwrap());
    let unknown = chainseal_oci::manifest::Descriptor::for_bytes("x", b"never pushed here");
    assert!(!to.mount_blob(&unknown, &from).await.unwrap());
}
