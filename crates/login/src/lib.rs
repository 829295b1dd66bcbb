#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod brute;
mod decide;
pub mod events;
mod geo;
mod profile;
mod score;
mod withdraw;

pub use brute::{BrutePolicy, BruteState, SprayPolicy};
pub use decide::{Assessment, Decision, Facts, Reason, RulePolicy, decide};
pub use events::{LoginTally, kinds};
pub use geo::{Country, GeoError, GeoInfo, GeoLookup, NetworkKind, Position, RangeTable};
pub use profile::{Feature, LastLogin, MAX_VALUES, Observation, Profile};
pub use score::{FeatureRisk, ScoreModel, score};
pub use withdraw::{
    SecurityChange, WithdrawDecision, WithdrawFacts, WithdrawPolicy, WithdrawReason,
    WithdrawVerdict, screen,
};
