#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod brute;
mod decide;
pub mod events;
mod geo;
mod input;
mod mmdb;
mod ports;
mod profile;
mod score;
mod service;
mod withdraw;

pub use brute::{BrutePolicy, BruteState, SprayPolicy};
pub use decide::{Assessment, Decision, Facts, Reason, RulePolicy, decide};
pub use events::{LoginTally, kinds};
pub use geo::{Country, GeoError, GeoInfo, GeoLookup, NetworkKind, Position, RangeTable};
pub use input::{
    InputError, LoginInput, MAX_DEVICE_ID, MAX_USER_AGENT, Outcome, agent_family, subnet,
};
pub use mmdb::{GeoPrefer, GeoSources, MmdbGeo};
pub use ports::{
    AccountView, DestinationIntel, FailedLogin, FailureRecorded, IntelFindings, LearnedLogin,
    LoginOverview, LoginRepo, LoginState, NoIntel, WithdrawalRequest,
};
pub use profile::{Feature, LastLogin, MAX_VALUES, Observation, Profile};
pub use score::{FeatureRisk, ScoreModel, score};
pub use service::{
    LoginService, LoginServiceError, LoginSettings, MAX_RECENT, Sealer, sample_email,
};
pub use withdraw::{
    SecurityChange, WithdrawDecision, WithdrawFacts, WithdrawPolicy, WithdrawReason,
    WithdrawVerdict, screen,
};
