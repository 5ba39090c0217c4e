//! Media types and annotation keys chainseal reads and writes.

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker schema 2 manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The four manifest media types, sent together in every `Accept` header.
pub const MANIFEST_ACCEPT: [&str; 4] = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST];

/// OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Docker container image config.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// The OCI empty descriptor's media type (`{}`).
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// The bytes of the OCI empty config.
pub const OCI_EMPTY_DATA: &[u8] = b"{}";

/// OCI uncompressed layer.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// OCI gzip layer.
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// OCI zstd layer.
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// Docker gzip layer.
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Docker foreign (non-distributable) layer.
pub const DOCKER_FOREIGN_LAYER: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

/// Sigstore bundle v0.3 (referrer artifactType and layer media type).
pub const SIGSTORE_BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// cosign simple-signing payload (legacy `.sig` layers).
pub const COSIGN_SIMPLESIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// DSSE envelope (legacy `.att` layers).
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// in-toto statement payload type.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
/// Legacy cosign signature referrer artifactType.
pub const COSIGN_SIG_ARTIFACT: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";

/// Manifest annotation: creation time.
pub const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";
/// Manifest annotation: what the bundle holds (`message-signature` | `dsse-envelope`).
pub const ANNOTATION_BUNDLE_CONTENT: &str = "dev.sigstore.bundle.content";
/// Manifest annotation: the predicate type of a bundle referrer.
pub const ANNOTATION_BUNDLE_PREDICATE_TYPE: &str = "dev.sigstore.bundle.predicateType";
/// Layer annotation: base64 signature in a legacy `.sig` layer.
pub const ANNOTATION_COSIGN_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
/// Layer annotation: PEM certificate in a legacy layer.
pub const ANNOTATION_COSIGN_CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
/// Layer annotation: PEM chain in a legacy layer.
pub const ANNOTATION_COSIGN_CHAIN: &str = "dev.sigstore.cosign/chain";
/// Layer annotation: Rekor bundle in a legacy layer.
pub const ANNOTATION_COSIGN_BUNDLE: &str = "dev.sigstore.cosign/bundle";
/// Layer annotation: RFC 3161 timestamp in a legacy layer.
pub const ANNOTATION_COSIGN_RFC3161: &str = "dev.sigstore.cosign/rfc3161timestamp";
/// Layer annotation on `.att` layers: the statement's predicate type.
pub const ANNOTATION_PREDICATE_TYPE: &str = "predicateType";

/// Is `media_type` one of the image-manifest types (OCI or Docker schema 2)?
pub fn is_image_manifest(media_type: &str) -> bool {
    media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST
}

/// Is `media_type` one of the index types (OCI index or Docker manifest list)?
pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST
}
