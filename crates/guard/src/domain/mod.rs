//! Phishing-domain detection: host parsing, lists, brands and the look-alike rules.

mod brands;
mod check;
mod host;
mod lists;
mod word_model;
mod words;

pub use brands::{Brand, brand_key, default_brands};
pub use check::{
    DEFAULT_ABUSED_TLDS, DEFAULT_LURE_WORDS, DomainChecker, DomainPolicy, DomainVerdict,
    LEARNED_LURE_WORDS, Reason, RiskLevel, Rule,
};
pub use host::{Host, MAX_INPUT};
pub use lists::{
    DomainEntry, DomainList, DomainMatch, MetaMaskList, import_domain_json, import_domain_lines,
    import_metamask_config, normalize_list_host,
};
