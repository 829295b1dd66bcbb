//! The risk score: a likelihood ratio of the login's feature values under the population
//! versus under the user's own history (Freeman, Jain, Dürmuth, Biggio, Giacinto: "Who Are You?
//! A Statistical Approach to Measuring User Authenticity", NDSS 2016), mapped to 0–100.
//!
//! For each feature value `v`: `p(v)` is its share of all logins (Laplace-smoothed), `p(v | u)`
//! its share of the user's logins, smoothed towards `p(v)` with weight `alpha`:
//! `p(v | u) = (count_u(v) + alpha·p(v)) / (n_u + alpha)`. The log-ratio `ln p(v) / p(v | u)` is
//! negative for a habitual value, about `ln((n_u + alpha) / alpha)` for a value the user never
//! used, and zero for a user with no history — the cold start: a new account's logins are judged
//! by the hard rules alone, not by a history it does not have.

use crate::profile::{Feature, Observation, Profile};

/// The score's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreModel {
    /// Smoothing weight of the population in the user's distribution.
    pub alpha: f64,
    /// The weighted log-ratio that maps to a score of 50.
    pub midpoint: f64,
    /// Log-ratio units per e-fold of the logistic map.
    pub width: f64,
}

impl Default for ScoreModel {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            // A ratio of 1000: e.g. a new country, ASN and device for a user with ~30 logins.
            midpoint: 1000f64.ln(),
            width: 1.0,
        }
    }
}

/// One feature's part in a score.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRisk {
    /// The feature.
    pub feature: Feature,
    /// Its value in this login.
    pub value: String,
    /// Weighted `ln p(v) / p(v | u)`.
    pub log_ratio: f64,
    /// Whether the user never used the value before.
    pub new_for_user: bool,
}

/// The score of `obs` for `user` against `population`: 0–100 and each feature's part, largest
/// risk first.
pub fn score(
    model: &ScoreModel,
    user: &Profile,
    population: &Profile,
    obs: &Observation,
) -> (u8, Vec<FeatureRisk>) {
    let mut parts = Vec::new();
    let mut total = 0.0;
    for (f, v) in obs {
        let distinct = population.distinct(*f) as f64;
        let p_global = (population.count(*f, v) + 1.0) / (population.total + distinct + 1.0);
        let seen = user.count(*f, v);
        let p_user = (seen + model.alpha * p_global) / (user.total + model.alpha);
        let lr = f.weight() * (p_global / p_user).ln();
        total += lr;
        parts.push(FeatureRisk {
            feature: *f,
            value: v.clone(),
            log_ratio: lr,
            new_for_user: seen < 0.5 && user.total >= 1.0,
        });
    }
    parts.sort_by(|a, b| b.log_ratio.total_cmp(&a.log_ratio));
    let s = 100.0 / (1.0 + (-(total - model.midpoint) / model.width).exp());
    (s.round().clamp(0.0, 100.0) as u8, parts)
}

#[cfg(test)]
mod tests {
    use custodia_events::Timestamp;

    use super::*;

    fn obs(pairs: &[(Feature, &str)]) -> Observation {
        pairs.iter().map(|(f, v)| (*f, (*v).to_owned())).collect()
    }

    /// A population of 1,000 users spread over ten countries and ASNs, and a user with 30
    /// logins from home.
    fn world() -> (Profile, Profile) {
        let t = Timestamp::from_millis(1);
        let mut pop = Profile::default();
        for i in 0..1000 {
            pop.observe(
                &obs(&[
                    (
                        Feature::Country,
                        ["FR", "DE", "US", "JP", "BR", "IN", "GB", "SG", "KR", "NG"][i % 10],
                    ),
                    (Feature::Asn, &format!("{}", 100 + i % 10)),
                    (Feature::Device, &format!("dev-{i}")),
                ]),
                t,
                i64::MAX,
            );
        }
        let mut user = Profile::default();
        for _ in 0..30 {
            let o = obs(&[
                (Feature::Country, "FR"),
                (Feature::Asn, "100"),
                (Feature::Device, "home-laptop"),
            ]);
            user.observe(&o, t, i64::MAX);
            pop.observe(&o, t, i64::MAX);
        }
        (user, pop)
    }

    fn check(o: &[(Feature, &str)], lo: u8, hi: u8) {
        let (user, pop) = world();
        let (s, parts) = score(&ScoreModel::default(), &user, &pop, &obs(o));
        assert!((lo..=hi).contains(&s), "{o:?}: score {s}, parts {parts:?}");
    }

    #[test]
    fn habits_score_low_and_strangers_high() {
        use Feature::*;
        check(
            &[(Country, "FR"), (Asn, "100"), (Device, "home-laptop")],
            0,
            2,
        );
        // A new phone at home: low.
        check(
            &[(Country, "FR"), (Asn, "100"), (Device, "new-phone")],
            0,
            20,
        );
        // Travelling with the usual laptop: still below step-up.
        check(
            &[(Country, "JP"), (Asn, "103"), (Device, "home-laptop")],
            0,
            40,
        );
        // Everything new: high.
        check(&[(Country, "NG"), (Asn, "109"), (Device, "x")], 80, 100);
    }

    #[test]
    fn a_user_without_history_is_neutral() {
        let (_, pop) = world();
        let (s, parts) = score(
            &ScoreModel::default(),
            &Profile::default(),
            &pop,
            &obs(&[(Feature::Country, "NG"), (Feature::Device, "x")]),
        );
        assert!(s <= 1, "{s}");
        assert!(
            parts
                .iter()
                .all(|p| !p.new_for_user && p.log_ratio.abs() < 1e-9)
        );
    }
}
