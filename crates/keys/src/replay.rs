//! A bounded cache of accepted `(key, signature)` pairs, so a captured request cannot be replayed
//! inside the timestamp window.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::sync::Mutex;

use custodia_events::Timestamp;
use thiserror::Error;

use crate::ApiKeyId;

/// Why [`ReplayCache::check_and_insert`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ReplayError {
    /// The pair was already accepted and its entry has not expired.
    #[error("request already accepted")]
    Replayed,
    /// Every slot holds a live entry; accepting would forget one and open a replay hole.
    #[error("replay cache full")]
    Full,
}

type Entry = [u8; 48];

struct Shard {
    live: HashSet<Entry>,
    by_expiry: BinaryHeap<Reverse<(i64, Entry)>>,
}

/// Entries live until the request's own timestamp plus the window; after that the timestamp
/// check rejects the request anyway. At most `capacity` live entries (split over shards); when a
/// shard is full of live entries the cache fails closed with [`ReplayError::Full`].
///
/// Memory is about 150 bytes per entry: size `capacity` for peak accepted requests per second
/// times twice the window.
pub struct ReplayCache {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
}

const SHARDS: usize = 16;

impl ReplayCache {
    /// A cache holding at most `capacity` live entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        live: HashSet::new(),
                        by_expiry: BinaryHeap::new(),
                    })
                })
                .collect(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    /// Records `(key, sign)` until `expires`, or reports that it is already recorded.
    pub fn check_and_insert(
        &self,
        key: &ApiKeyId,
        sign: &[u8; 32],
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<(), ReplayError> {
        let mut entry = [0u8; 48];
        entry[..16].copy_from_slice(key.as_bytes());
        entry[16..].copy_from_slice(sign);
        // Signatures are HMAC outputs, uniformly distributed and not choosable without the secret.
        let shard = &self.shards[usize::from(sign[0]) % SHARDS];
        let mut s = shard.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(Reverse((exp, e))) = s.by_expiry.peek().copied() {
            if exp > now.as_millis() {
                break;
            }
            s.by_expiry.pop();
            s.live.remove(&e);
        }
        if s.live.contains(&entry) {
            return Err(ReplayError::Replayed);
        }
        if s.live.len() >= self.per_shard {
            return Err(ReplayError::Full);
        }
        s.live.insert(entry);
        s.by_expiry.push(Reverse((expires.as_millis(), entry)));
        Ok(())
    }

    /// Live entries (for metrics).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).live.len())
            .sum()
    }

    /// True when no entry is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use custodia_events::SeededEntropy;

    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    #[test]
    fn replay_denied_until_expiry() {
        let e = SeededEntropy::new(1);
        let c = ReplayCache::new(1000);
        let k = ApiKeyId::generate(&e);
        let other = ApiKeyId::generate(&e);
        let s = [9u8; 32];
        assert_eq!(c.check_and_insert(&k, &s, t(60), t(0)), Ok(()));
        assert_eq!(
            c.check_and_insert(&k, &s, t(60), t(59)),
            Err(ReplayError::Replayed)
        );
        assert_eq!(
            c.check_and_insert(&other, &s, t(60), t(1)),
            Ok(()),
            "keyed by key too"
        );
        assert_eq!(c.check_and_insert(&k, &[8; 32], t(60), t(1)), Ok(()));
        // At expiry the entry goes (the timestamp check rejects such a request anyway).
        assert_eq!(c.check_and_insert(&k, &s, t(120), t(60)), Ok(()));
    }

    #[test]
    fn full_fails_closed_and_recovers_after_expiry() {
        let c = ReplayCache::new(16); // one entry per shard
        let e = SeededEntropy::new(2);
        let k = ApiKeyId::generate(&e);
        let mut full = 0;
        for i in 0..200u8 {
            match c.check_and_insert(&k, &[i; 32], t(100), t(0)) {
                Ok(()) => {}
                Err(ReplayError::Full) => full += 1,
                Err(other) => panic!("{other}"),
            }
        }
        assert_eq!(c.len(), 16);
        assert_eq!(full, 200 - 16);
        // Once the live entries expire, every shard accepts again.
        for i in 0..16u8 {
            assert_eq!(
                c.check_and_insert(&k, &[i + 16; 32], t(300), t(100)),
                Ok(())
            );
        }
        assert_eq!(c.len(), 16);
    }
}
