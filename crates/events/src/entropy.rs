//! Randomness as the services see it, behind a trait so tests are deterministic.

use std::sync::Mutex;

use sha2::{Digest as _, Sha256};

/// A source of random bytes for key ids, secrets, salts and nonces.
///
/// # Security
/// Production code must use [`OsEntropy`]. [`SeededEntropy`] is predictable by design and exists
/// for tests only.
pub trait Entropy: Send + Sync + 'static {
    /// Fills `out` with random bytes.
    fn fill(&self, out: &mut [u8]);

    /// `N` random bytes.
    fn array<const N: usize>(&self) -> [u8; N]
    where
        Self: Sized,
    {
        let mut b = [0u8; N];
        self.fill(&mut b);
        b
    }
}

/// The operating system's CSPRNG (`getrandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, out: &mut [u8]) {
        // The OS generator failing is not recoverable: continuing would mint predictable secrets.
        getrandom::fill(out).expect("the operating system's random generator failed");
    }
}

/// A deterministic stream: SHA-256(seed ‖ counter) blocks. For tests only.
#[derive(Debug)]
pub struct SeededEntropy {
    seed: [u8; 32],
    counter: Mutex<u64>,
}

impl SeededEntropy {
    /// A stream determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed: Sha256::digest(seed.to_be_bytes()).into(),
            counter: Mutex::new(0),
        }
    }
}

impl Entropy for SeededEntropy {
    fn fill(&self, out: &mut [u8]) {
        let mut counter = self.counter.lock().unwrap_or_else(|e| e.into_inner());
        for chunk in out.chunks_mut(32) {
            let mut h = Sha256::new();
            h.update(self.seed);
            h.update(counter.to_be_bytes());
            *counter += 1;
            let block = h.finalize();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
    }
}

impl<E: Entropy + ?Sized> Entropy for std::sync::Arc<E> {
    fn fill(&self, out: &mut [u8]) {
        (**self).fill(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_deterministic_and_seed_dependent() {
        let a = SeededEntropy::new(1).array::<40>();
        let b = SeededEntropy::new(1).array::<40>();
        let c = SeededEntropy::new(2).array::<40>();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let e = SeededEntropy::new(1);
        assert_ne!(e.array::<16>(), e.array::<16>(), "stream must advance");
    }

    #[test]
    fn os_entropy_is_not_constant() {
        assert_ne!(OsEntropy.array::<32>(), OsEntropy.array::<32>());
    }
}
