//! A bound on the bytes of binaries and archives held in memory at once by the collectors of
//! one scan. The layers of an image are read in parallel, each by its own collector, and each
//! collector reads a binary whole before parsing it; without a bound, two layers holding
//! their largest binaries together (a 36 MB BLAS library next to a 25 MB Go compiler) would
//! add up in peak memory.
//!
//! Written by hand: a counting semaphore over a byte count is a mutex and a condition variable
//! from `std`; the crates that offer one are async.

use std::sync::{Condvar, Mutex, MutexGuard};

/// Bytes of binaries that sibling collectors may hold at once. One file larger than this is
/// still read, but only while no other is held.
pub(crate) const CONCURRENT_BINARY_BYTES: u64 = 32 * 1024 * 1024;

/// The shared byte count; see the module docs.
#[derive(Debug)]
pub(crate) struct BinaryBudget {
    limit: u64,
    held: Mutex<u64>,
    freed: Condvar,
}

/// Bytes taken from a [`BinaryBudget`], given back on drop.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    budget: &'a BinaryBudget,
    bytes: u64,
}

impl BinaryBudget {
    /// A budget of `limit` bytes.
    pub(crate) fn new(limit: u64) -> Self {
        BinaryBudget { limit, held: Mutex::new(0), freed: Condvar::new() }
    }

    fn lock(&self) -> MutexGuard<'_, u64> {
        // a panic elsewhere cannot leave the count inconsistent: it is one integer
        self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wait until `bytes` fit beside what others hold (or nothing is held), then take them.
    pub(crate) fn acquire(&self, bytes: u64) -> Permit<'_> {
        let mut held = self.lock();
        while *held > 0 && held.saturating_add(bytes) > self.limit {
            held = self.freed.wait(held).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *held = held.saturating_add(bytes);
        Permit { budget: self, bytes }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut held = self.budget.lock();
        *held = held.saturating_sub(self.bytes);
        drop(held);
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    #[test]
    fn one_large_file_passes_alone_and_small_ones_share() {
        let b = BinaryBudget::new(100);
        let big = b.acquire(500);
        assert_eq!(*b.lock(), 500, "larger than the budget, admitted while nothing else is held");
        drop(big);
        let a = b.acquire(40);
        let c = b.acquire(60);
        assert_eq!(*b.lock(), 100);
        drop((a, c));
        assert_eq!(*b.lock(), 0);
    }

    #[test]
    fn a_holder_makes_others_wait_until_it_is_done() {
        let b = Arc::new(BinaryBudget::new(100));
        let peak = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (b, peak) = (Arc::clone(&b), Arc::clone(&peak));
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let _p = b.acquire(70);
                        peak.fetch_max(*b.lock(), Ordering::SeqCst);
                        std::thread::sleep(Duration::from_micros(200));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 70, "two 70-byte holders never overlap under a 100-byte budget");
        assert_eq!(*b.lock(), 0);
    }
}
