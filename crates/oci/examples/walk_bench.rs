//! Layer-walk benchmark driver (used by scripts/bench-layers.sh; not a test).
//!
//! ```text
//! walk_bench generate DIR COMPRESSED_MB LAYERS   # write a synthetic multi-layer OCI layout
//! walk_bench pipeline DIR                        # chainseal: resolve, digest check, inflate, tar walk
//! walk_bench inflate DIR                         # bare flate2 + zlib-rs inflate of the same layers
//! walk_bench push DIR HOST/REPO:TAG               # copy the layout's image to a (local) registry
//! walk_bench pipeline-registry HOST/REPO:TAG      # the pipeline reading from that registry
//! ```
//! Each measuring mode prints one line: `mode=<m> bytes_in=<n> bytes_out=<n> seconds=<s>`.

use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chainseal_oci::layout::{blob_path, write_blob_sync};
use chainseal_oci::manifest::{Descriptor, Manifest};
use chainseal_oci::walk::{Entry, LayerVisitor, Want};
use chainseal_oci::{Limits, OciLayout, media_type, resolve_image};

type BoxError = Box<dyn std::error::Error>;

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("generate") if args.len() == 5 => generate(Path::new(&args[2]), args[3].parse()?, args[4].parse()?),
        Some("pipeline") if args.len() == 3 => pipeline(PathBuf::from(&args[2])),
        Some("inflate") if args.len() == 3 => inflate(Path::new(&args[2])),
        Some("push") if args.len() == 4 => push(PathBuf::from(&args[2]), &args[3]),
        Some("pipeline-registry") if args.len() == 3 => pipeline_registry(&args[2]),
        _ => Err("usage: walk_bench generate DIR COMPRESSED_MB LAYERS | pipeline DIR | inflate DIR | push DIR REF | \
                  pipeline-registry REF"
            .into()),
    }
}

/// xorshift64*: deterministic filler without a rand dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

const WORDS: &[&str] = &[
    "package",
    "version",
    "depends",
    "library",
    "install",
    "config",
    "return",
    "static",
    "import",
    "function",
    "struct",
    "const",
    "error",
    "value",
    "string",
    "buffer",
    "layer",
    "image",
    "digest",
    "sha256",
    "usr",
    "lib",
    "share",
    "doc",
    "python3",
    "node_modules",
    "index",
    "main",
    "license",
    "copyright",
    "the",
    "and",
    "of",
    "to",
];

/// File content resembling a mix of text and binaries (compresses roughly 3:1 with gzip -1).
fn content(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    let binary = rng.next() % 4 == 0;
    while out.len() < size {
        let r = rng.next();
        if binary {
            if r % 3 == 0 {
                out.extend_from_slice(&r.to_le_bytes());
            } else {
                out.extend_from_slice(&[0u8, 0, 0, (r >> 8) as u8, 0x48, 0x89, (r >> 16) as u8, 0xc3]);
            }
        } else {
            out.extend_from_slice(WORDS[(r % WORDS.len() as u64) as usize].as_bytes());
            out.push(if r % 11 == 0 { b'\n' } else { b' ' });
            if r % 29 == 0 {
                out.extend_from_slice(format!("{:x}", r).as_bytes());
            }
        }
    }
    out.truncate(size);
    out
}

fn generate(dir: &Path, compressed_mb: u64, layers: usize) -> Result<(), BoxError> {
    std::fs::create_dir_all(dir.join("blobs/sha256"))?;
    std::fs::write(dir.join("oci-layout"), chainseal_oci::layout::OCI_LAYOUT_FILE)?;
    let per_layer = compressed_mb * 1024 * 1024 / layers as u64;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut descs = Vec::new();
    let mut diff_ids = Vec::new();
    for l in 0..layers {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = tar::Builder::new(Vec::new());
        let mut n = 0u64;
        let mut hasher = chainseal_oci::DigestHasher::new(chainseal_oci::DigestAlgorithm::Sha256);
        while (gz.get_ref().len() as u64) < per_layer {
            let size = match rng.next() % 100 {
                0..=59 => (rng.next() % 4096) as usize,
                60..=94 => (rng.next() % 262_144) as usize,
                _ => (rng.next() % 4_194_304) as usize,
            };
            let data = content(&mut rng, size);
            let mut h = tar::Header::new_gnu();
            h.set_path(format!("layer{l}/dir{}/file{n}.bin", n % 97))?;
            h.set_size(size as u64);
            h.set_mode(0o644);
            h.set_mtime(0);
            h.set_cksum();
            tar.append(&h, &data[..])?;
            n += 1;
            let chunk = std::mem::take(tar.get_mut());
            hasher.update(&chunk);
            gz.write_all(&chunk)?;
        }
        let rest = tar.into_inner()?;
        hasher.update(&rest);
        gz.write_all(&rest)?;
        let blob = gz.finish()?;
        let mut d = write_blob_sync(dir, &blob)?;
        d.media_type = media_type::OCI_LAYER_GZIP.into();
        eprintln!("layer {l}: {} files, {} MB compressed", n, blob.len() / (1024 * 1024));
        descs.push(d);
        diff_ids.push(hasher.finish().to_string());
    }
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}
    }))?;
    let mut cd = write_blob_sync(dir, &config)?;
    cd.media_type = media_type::OCI_CONFIG.into();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST, "config": cd, "layers": descs
    }))?;
    let mut md = write_blob_sync(dir, &manifest)?;
    md.media_type = media_type::OCI_MANIFEST.into();
    let mut entry = serde_json::to_value(&md)?;
    entry["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "latest"});
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": media_type::OCI_INDEX, "manifests": [entry]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index)?)?;
    Ok(())
}

/// Wants the metadata of every entry (a file listing), like a file cataloger.
#[derive(Default)]
struct Listing {
    files: u64,
    bytes: u64,
}
impl LayerVisitor for Listing {
    fn wants(&mut self, _e: &Entry<'_>) -> Want {
        Want::Metadata
    }
    fn visit(&mut self, e: &Entry<'_>, _c: Option<&mut dyn Read>) -> chainseal_oci::Result<()> {
        self.files += 1;
        self.bytes += e.size;
        Ok(())
    }
}

fn layers_of(dir: &Path) -> Result<Vec<Descriptor>, BoxError> {
    let index: chainseal_oci::manifest::ImageIndex = serde_json::from_slice(&std::fs::read(dir.join("index.json"))?)?;
    let m = &index.manifests[0];
    let raw = chainseal_oci::manifest::RawManifest::from_bytes(std::fs::read(dir.join(blob_path(&m.digest)))?, None)?;
    match raw.parse()? {
        Manifest::Image(img) => Ok(img.layers),
        Manifest::Index(_) => Err("expected an image manifest".into()),
    }
}

fn pipeline(dir: PathBuf) -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let start = Instant::now();
    let (listing, bytes_in) = rt.block_on(async {
        let layout = OciLayout::open(&dir).await?;
        let limits = Limits::default();
        let image = resolve_image(&layout, "latest", None, &limits).await?;
        let bytes_in: u64 = image.layers().iter().map(|d| d.size).sum();
        let (listing, _view) = image.walk(Arc::new(layout), Listing::default(), limits).await?;
        Ok::<_, chainseal_oci::Error>((listing, bytes_in))
    })?;
    let secs = start.elapsed().as_secs_f64();
    println!("mode=pipeline bytes_in={bytes_in} bytes_out={} files={} seconds={secs:.3}", listing.bytes, listing.files);
    Ok(())
}

/// The repository a reference names, anonymous (loopback registries speak plain HTTP).
fn open_registry(reference: &str) -> Result<(chainseal_oci::registry::Repository, String), BoxError> {
    let r: chainseal_oci::Reference = reference.parse()?;
    let mut config = chainseal_oci::registry::RegistryConfig::default();
    config.credentials = chainseal_oci::registry::CredentialSource::anonymous();
    let tag = r.tag().unwrap_or("latest").to_string();
    Ok((chainseal_oci::registry::open(&r, &config)?, tag))
}

fn push(dir: PathBuf, reference: &str) -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let start = Instant::now();
    let report = rt.block_on(async {
        let layout = OciLayout::open(&dir).await?;
        let (repo, tag) = open_registry(reference).map_err(|e| chainseal_oci::Error::Registry(e.to_string()))?;
        let mut opts = chainseal_oci::copy::CopyOptions::default();
        opts.dest_tag = Some(tag);
        chainseal_oci::copy::copy_image(&layout, "latest", &repo, &opts).await
    })?;
    let secs = start.elapsed().as_secs_f64();
    println!("mode=push bytes={} blobs={} seconds={secs:.3}", report.bytes_copied, report.blobs_copied);
    Ok(())
}

fn pipeline_registry(reference: &str) -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (repo, tag) = open_registry(reference)?;
    let start = Instant::now();
    let (listing, bytes_in) = rt.block_on(async {
        let source: Arc<dyn chainseal_oci::source::ContentSource> = Arc::new(repo);
        let limits = Limits::default();
        let image = resolve_image(source.as_ref(), &tag, None, &limits).await?;
        let bytes_in: u64 = image.layers().iter().map(|d| d.size).sum();
        let (listing, _view) = image.walk(source, Listing::default(), limits).await?;
        Ok::<_, chainseal_oci::Error>((listing, bytes_in))
    })?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "mode=pipeline-registry bytes_in={bytes_in} bytes_out={} files={} seconds={secs:.3}",
        listing.bytes, listing.files
    );
    Ok(())
}

fn inflate(dir: &Path) -> Result<(), BoxError> {
    let layers = layers_of(dir)?;
    let start = Instant::now();
    let (mut bytes_in, mut bytes_out) = (0u64, 0u64);
    for d in &layers {
        let f = std::fs::File::open(dir.join(blob_path(&d.digest)))?;
        bytes_in += f.metadata()?.len();
        let mut dec = flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, f));
        // Read in 256 KiB pieces, as the walker's tar reader does (io::copy would use 8 KiB).
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = dec.read(&mut buf)?;
            if n == 0 {
                break;
            }
            bytes_out += n as u64;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("mode=inflate bytes_in={bytes_in} bytes_out={bytes_out} seconds={secs:.3}");
    Ok(())
}
