#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod auth;
mod deny;
mod error;
pub mod events;
pub mod gate;
mod id;
mod ip;
mod model;
mod operator;
mod passphrase;
mod perm;
mod policy;
mod ports;
mod routes;
mod seal;
mod secret;
mod service;
mod sign;
mod totp;

pub use auth::{AuthHeaders, ParsedAuth, RequestLine, parse_auth};
pub use deny::DenyCode;
pub use error::KeyError;
pub use events::{KeyTally, kinds};
pub use gate::{Envelope, EnvelopeError, SignedRequest, Verdict, denial_event};
pub use id::ApiKeyId;
pub use ip::{IpAllowlist, normalize_ip};
pub use model::{ApiKey, KeyStatus, Label, NewKeyMaterial, SealedSecret, generate_key};
pub use operator::{
    CreatedOperator, OperatorError, OperatorRecord, OperatorRepo, Role, create_operator,
    revoke_operator, token_hash,
};
pub use passphrase::{Argon2Params, Passphrase, PassphraseHash, PassphraseTagger};
pub use perm::{Permission, Permissions};
pub use policy::KeyPolicy;
pub use ports::{ApiKeyRepo, ReplayClaim, ReplayRepo, TotpAttempt, TotpRecord, TotpRepo};
pub use routes::{OKX_V5, RouteError, RouteRule, RouteTable};
pub use seal::{Kek, open, seal};
pub use secret::SecretString;
pub use service::{
    CreatedKey, Enrolment, KeyRequest, KeyService, KeyServiceError, KeySettings, names,
    purge_idle_keys,
};
pub use sign::{prehash, sign, verify_signature};
pub use totp::{TotpError, TotpSeed};
