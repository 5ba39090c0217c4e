//! Packages deleted by a later layer are not reported: a whiteout of a dist-info directory, a
//! dpkg status rewritten without a stanza, and an opaque `node_modules` directory
//! (testdata/images/deleted-packages, built by scripts/make-testdata.py).

use std::collections::BTreeSet;
use std::path::Path;

use chainseal::sbom::SbomOptions;

#[tokio::test(flavor = "multi_thread")]
async fn packages_deleted_by_a_later_layer_are_not_reported() {
    let layout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/images/deleted-packages");
    let src = format!("oci-dir:{}", layout.display());
    let sbom = chainseal::sbom::sbom(&src, &SbomOptions::new()).await.expect("sbom");
    let found: BTreeSet<(String, String, String)> = sbom
        .components
        .iter()
        .filter(|c| !c.ecosystem.is_empty())
        .map(|c| (c.ecosystem.clone(), c.name.clone(), c.version.clone()))
        .collect();
    let expected: BTreeSet<(String, String, String)> =
        [("deb", "libkeep", "1.0-1"), ("npm", "kept", "4.0.0"), ("pypi", "keepme", "1.0")]
            .into_iter()
            .map(|(e, n, v)| (e.to_string(), n.to_string(), v.to_string()))
            .collect();
    assert_eq!(found, expected, "deleted packages must not be reported; got {found:?}");
}
