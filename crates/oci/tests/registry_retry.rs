//! Retries through `scripts/faultproxy.py` in front of the plain registry: 429 with
//! Retry-After (seconds and HTTP date), 503, and dropped connections.
#![allow(clippy::unwrap_used, clippy::panic)]

mod registry_common;

use std::time::{Duration, Instant};

use chainseal_oci::registry::{RegistryClient, RetryPolicy};
use registry_common::*;

#[tokio::test]
async fn push_and_pull_survive_429_503_and_dropped_connections() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let proxy = FaultProxy::start(&host, "429,ok,503,ok,drop,ok,429d,ok,drop,ok,502,drop");
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let repo = repo(&client, &proxy.addr, &unique_repo("faults"));
    let image = tiny_image("faults");
    let started = Instant::now();
    push_tiny(&repo, &image, Some("v1")).await;
    assert_eq!(repo.manifest("v1").await.unwrap().bytes, image.manifest.bytes);
    assert_eq!(repo.blob_bytes(&image.layer.0, 1 << 20).await.unwrap(), image.layer.1.as_ref());
    let log = proxy.log();
    assert_eq!(log["remaining"].as_array().unwrap().len(), 0, "every fault was served: {log}");
    // Retry-After: 1 and an HTTP date ~1-2 s ahead were honoured.
    assert!(started.elapsed() >= Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test]
async fn persistent_429_is_an_error_that_says_so() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let proxy = FaultProxy::start(&host, "429,429,429,429,429");
    let mut config = anonymous_config();
    config.retry = RetryPolicy::new(2, Duration::from_millis(10), Duration::from_millis(50));
    let client = RegistryClient::new(config).unwrap();
    let repo = repo(&client, &proxy.addr, &unique_repo("ratelimited"));
    let started = Instant::now();
    let err = repo.resolve("v1").await.unwrap_err();
    assert!(err.to_string().contains("rate limiting"), "{err}");
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After honoured once");
}

#[tokio::test]
async fn other_4xx_are_not_retried() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let proxy = FaultProxy::start(&host, "");
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let repo = repo(&client, &proxy.addr, &unique_repo("nottried"));
    assert!(repo.manifest_if_exists("v1").await.unwrap().is_none());
    let log = proxy.log();
    let served = log["served"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"].as_str().unwrap().contains("/manifests/"))
        .count();
    assert_eq!(served, 1, "a 404 is answered once, never retried");
}
