#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod address;
mod addresses;
pub mod bench;
mod catalog;
mod compact;
mod compact_delta;
mod domain;
mod error;
mod events;
mod import;
mod meta;
mod poisoning;
mod ports;
mod service;
mod signature;
mod snapshot;

pub use address::Address;
pub use addresses::{AddressEntry, AddressHit, AddressIndex, CategoryCounts, Inserted, Screening};
pub use catalog::{
    Catalog, CatalogError, CatalogWriter, Delta, DeltaFormat, ListTotals, ListWrite, ListWritten,
    Loaded, Published, ServedFile,
};
pub use compact::{
    COMPACT_FORMAT, COMPACT_MAGIC, CompactCounts, CompactSnapshot, FINGERPRINT_BITS,
    address_fingerprint, host_fingerprint,
};
pub use compact_delta::{COMPACT_DELTA_FORMAT, COMPACT_DELTA_MAGIC, CompactDelta};
pub use custodia_chain::{AddressKind, Chain};
pub use domain::{
    Brand, DEFAULT_ABUSED_TLDS, DEFAULT_LURE_WORDS, DomainChecker, DomainEntry, DomainList,
    DomainMatch, DomainPolicy, DomainVerdict, Host, LEARNED_LURE_WORDS, MAX_INPUT, MetaMaskList,
    Reason, RiskLevel, Rule, brand_key, default_brands, import_domain_json, import_domain_lines,
    import_metamask_config, normalize_list_host,
};
pub use error::GuardError;
pub use events::{
    AddressScreened, ChecksCounted, DomainChecked, GuardEvent, GuardStats, LevelCounts,
    ListImported, ListKind, PoisoningFlagged, STAT_KINDS, ScreenContext, SnapshotPublished,
    SnapshotSections, kinds,
};
pub use import::{
    Import, Location, OFAC_FEATURE_PREFIX, Rejected, import_address_json, import_address_lines,
    import_ofac_sdn_xml,
};
pub use meta::{Category, Date, ListMeta};
pub use poisoning::{CounterpartyHistory, PoisoningConfig, PoisoningMatch, check_poisoning};
pub use ports::{GuardLists, GuardReplace, GuardReplaced, GuardRepo, StoredSnapshot};
pub use service::{AddressQuery, Batch, EventPolicy, GuardService, MAX_BATCH, PendingEvent};
pub use signature::{
    SIGNATURE_LEN, SIGNATURE_MAGIC, SnapshotPublicKey, SnapshotSignature, SnapshotSigningKey,
};
pub use snapshot::{
    DELTA_MAGIC, RemovedAddress, SNAPSHOT_FORMAT, SNAPSHOT_MAGIC, Snapshot, SnapshotCounts,
    SnapshotData, SnapshotDelta,
};
