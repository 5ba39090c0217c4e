//! A machine-wide lock for read-modify-write updates of one tag.
//!
//! Registries give no conditional writes (distribution 2.8.2 ignores `If-Match`), so two
//! chainseal processes updating the same cosign `.sig`/`.att` image or referrers fallback index
//! can lose each other's entries. Writers on this machine take an advisory file lock keyed by
//! the tag first; writers on other machines are still caught only by the re-read after each
//! write, which is documented where the lock is used.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

use crate::digest::Digest;

/// Held while a tag is being rewritten; dropping it releases the lock.
#[derive(Debug)]
pub struct TagLock {
    _file: Option<File>,
}

/// Where the lock files live: `$CHAINSEAL_LOCK_DIR`, else `<temp dir>/chainseal-locks`.
fn lock_dir() -> PathBuf {
    std::env::var_os("CHAINSEAL_LOCK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("chainseal-locks"))
}

/// Take the lock for `key` (e.g. `registry/repo:tag`), waiting for other holders on this
/// machine. If the lock file cannot be created (a read-only or foreign-owned temp dir), the
/// update goes ahead unlocked with a warning: the re-read after writing still applies.
pub async fn lock_tag(key: &str) -> TagLock {
    let path = lock_dir().join(format!("{}.lock", Digest::sha256_of(key.as_bytes()).hex()));
    let key = key.to_string();
    let taken = tokio::task::spawn_blocking(move || -> std::io::Result<File> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await;
    match taken {
        Ok(Ok(file)) => TagLock { _file: Some(file) },
        Ok(Err(e)) => {
            tracing::warn!(tag = %key, error = %e, "could not take the local tag lock; updating without it");
            TagLock { _file: None }
        }
        Err(e) => {
            tracing::warn!(tag = %key, error = %e, "tag lock task failed; updating without it");
            TagLock { _file: None }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn holders_of_one_key_never_overlap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = format!("{}/test:sha256-x.sig", dir.path().display());
        let inside = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (key, inside, max_seen) = (key.clone(), inside.clone(), max_seen.clone());
            tasks.push(tokio::spawn(async move {
                let _guard = lock_tag(&key).await;
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                max_seen.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(max_seen.load(Ordering::SeqCst), 1, "two holders of one tag lock at once");
    }
}
