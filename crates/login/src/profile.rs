//! Behavioural history: how often each value of each login feature was seen, for one user and
//! for the whole population, with exponential decay so old habits fade. Pure data; the store
//! persists it (serde) and the service updates it atomically.

use std::collections::BTreeMap;

use custodia_events::Timestamp;
use serde::{Deserialize, Serialize};

use crate::geo::Position;

/// The features the risk model compares (Freeman et al., NDSS 2016, use IP/ASN, country and
/// user agent; the hour of day is a weak extra).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Country of the IP.
    Country,
    /// Autonomous system of the IP.
    Asn,
    /// The device identifier the client sends (a cookie or app install id).
    Device,
    /// Browser/OS family from the user agent.
    Agent,
    /// Hour of day in UTC, in 3-hour buckets.
    Hour,
}

impl Feature {
    /// Every feature, in scoring order.
    pub const ALL: [Feature; 5] = [
        Feature::Country,
        Feature::Asn,
        Feature::Device,
        Feature::Agent,
        Feature::Hour,
    ];

    /// How much the feature counts in the score (ASN and country are correlated; the hour is
    /// noisy).
    pub fn weight(self) -> f64 {
        match self {
            Feature::Country => 1.0,
            Feature::Asn => 0.6,
            Feature::Device => 1.0,
            Feature::Agent => 0.5,
            Feature::Hour => 0.25,
        }
    }

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Country => "country",
            Feature::Asn => "asn",
            Feature::Device => "device",
            Feature::Agent => "agent",
            Feature::Hour => "hour",
        }
    }
}

/// One login's feature values (`None` when unknown: an unknown value is neither familiar nor new).
pub type Observation = BTreeMap<Feature, String>;

/// Values kept per feature; the rarest decayed ones go first beyond it.
pub const MAX_VALUES: usize = 64;

/// Decayed counts of feature values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Per feature, per value: decayed count.
    pub counts: BTreeMap<Feature, BTreeMap<String, f64>>,
    /// Decayed number of logins observed.
    pub total: f64,
    /// When the counts were last decayed.
    pub updated_ms: i64,
    /// Last successful login: time, position and country, for impossible travel.
    pub last_success: Option<LastLogin>,
}

/// Where and when the last successful login happened.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LastLogin {
    /// Time (ms).
    pub at_ms: i64,
    /// Latitude, if known.
    pub lat: Option<f64>,
    /// Longitude, if known.
    pub lon: Option<f64>,
}

impl LastLogin {
    /// The position, when known.
    pub fn position(&self) -> Option<Position> {
        Position::new(self.lat?, self.lon?)
    }
}

impl Profile {
    /// Decays every count to `at` with half-life `half_life_ms` (never forward in time twice:
    /// an older `at` changes nothing).
    pub fn decay_to(&mut self, at: Timestamp, half_life_ms: i64) {
        let dt = at.as_millis() - self.updated_ms;
        if dt <= 0 || half_life_ms <= 0 {
            return;
        }
        if self.updated_ms != 0 {
            let f = 0.5f64.powf(dt as f64 / half_life_ms as f64);
            self.total *= f;
            for values in self.counts.values_mut() {
                for c in values.values_mut() {
                    *c *= f;
                }
                values.retain(|_, c| *c >= 1e-3);
            }
        }
        self.updated_ms = at.as_millis();
    }

    /// Adds one login's values at `at` (after decaying to it).
    pub fn observe(&mut self, obs: &Observation, at: Timestamp, half_life_ms: i64) {
        self.decay_to(at, half_life_ms);
        self.total += 1.0;
        for (f, v) in obs {
            let values = self.counts.entry(*f).or_default();
            *values.entry(v.clone()).or_default() += 1.0;
            if values.len() > MAX_VALUES {
                // Forget the rarest value (ties: the first by name).
                if let Some(k) = values
                    .iter()
                    .min_by(|a, b| a.1.total_cmp(b.1))
                    .map(|(k, _)| k.clone())
                {
                    values.remove(&k);
                }
            }
        }
    }

    /// The decayed count of `value` for `feature`.
    pub fn count(&self, feature: Feature, value: &str) -> f64 {
        self.counts
            .get(&feature)
            .and_then(|v| v.get(value))
            .copied()
            .unwrap_or(0.0)
    }

    /// Distinct values seen for `feature`.
    pub fn distinct(&self, feature: Feature) -> usize {
        self.counts.get(&feature).map_or(0, BTreeMap::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(country: &str, device: &str) -> Observation {
        [
            (Feature::Country, country.to_owned()),
            (Feature::Device, device.to_owned()),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn counts_decay_with_the_half_life() {
        let day = 86_400_000;
        let mut p = Profile::default();
        let t0 = Timestamp::from_millis(1_000 * day);
        p.observe(&obs("FR", "d1"), t0, 30 * day);
        p.observe(&obs("FR", "d1"), t0, 30 * day);
        assert_eq!(p.count(Feature::Country, "FR"), 2.0);
        p.decay_to(Timestamp::from_millis(t0.as_millis() + 30 * day), 30 * day);
        assert!((p.count(Feature::Country, "FR") - 1.0).abs() < 1e-9);
        assert!((p.total - 1.0).abs() < 1e-9);
        // Going back in time changes nothing.
        p.decay_to(t0, 30 * day);
        assert!((p.total - 1.0).abs() < 1e-9);
        // Negative twin: a value never seen counts zero.
        assert_eq!(p.count(Feature::Country, "DE"), 0.0);
    }

    #[test]
    fn values_per_feature_are_bounded() {
        let mut p = Profile::default();
        let t = Timestamp::from_millis(1);
        for i in 0..200 {
            p.observe(&obs("FR", &format!("d{i}")), t, 1_000);
        }
        assert_eq!(p.distinct(Feature::Device), MAX_VALUES);
        assert_eq!(p.distinct(Feature::Country), 1);
    }
}
