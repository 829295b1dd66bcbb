#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod auth;
mod deny;
mod error;
mod id;
mod ip;
mod model;
mod passphrase;
mod perm;
mod policy;
mod replay;
mod seal;
mod secret;
mod sign;
mod totp;

pub mod kinds;

pub use auth::{AuthHeaders, ParsedAuth, RequestLine, parse_auth};
pub use deny::DenyCode;
pub use error::KeyError;
pub use id::ApiKeyId;
pub use ip::{IpAllowlist, normalize_ip};
pub use model::{ApiKey, KeyStatus, Label, NewKeyMaterial, SealedSecret, generate_key};
pub use passphrase::{Argon2Params, Passphrase, PassphraseHash, PassphraseTagger};
pub use perm::{Permission, Permissions};
pub use policy::KeyPolicy;
pub use replay::{ReplayCache, ReplayError};
pub use seal::{Kek, open, seal};
pub use secret::SecretString;
pub use sign::{prehash, sign, verify_signature};
pub use totp::{TotpError, TotpSeed};
