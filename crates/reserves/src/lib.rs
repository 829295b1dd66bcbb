#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use std::sync::LazyLock;

use bitcoin::secp256k1::{All, Secp256k1};

pub mod aelf;
pub mod aptos;
mod balance;
pub mod bench;
pub mod btc;
pub mod cardano;
pub mod chain;
pub mod demo;
mod ed25519;
pub mod envelope;
pub mod eos;
mod error;
pub mod evm;
pub mod filecoin;
mod keydata;
pub mod message;
mod model;
pub mod okx;
mod params;
pub mod polkadot;
mod report;
pub mod sign;
pub mod solana;
pub mod stellar;
pub mod sui;
mod template;
pub mod ton;
pub mod tron;
pub mod utxo;
mod verify;
mod wallet;
pub mod xrpl;

pub use balance::{
    BalanceQuery, BalanceSource, ChainSources, ObservedBalance, SourceAuthority, StatedBalances,
    to_ledger_units,
};
pub use bench::{BenchFixture, BenchReport, bench_fixture, bench_verify};
pub use chain::{ChainAddress, ChainKind, ChainSpec, TokenSpec};
pub use demo::{DemoConfig, DemoWallets, demo_params, demo_wallets};
pub use error::{ReservesError, WalletRejection};
pub use keydata::key_data;
pub use message::ownership_message;
pub use model::{
    AssetLiability, CheckedWallets, KeyAuthority, Liabilities, RejectedWallet, Scheme,
    VerifiedWallet,
};
pub use params::{NodeSpec, USD_DECIMALS, VerifyParams};
pub use report::{
    AssetReserves, AssetStatus, ChartBar, ChartData, FULL_BPS, REPORT_FORMAT, ReservesReport,
    Summary,
};
pub use template::{ADDRESS_LIST_COLUMNS, wallet_template};
pub use verify::{verify_ownership, verify_wallet_file, verify_wallets, verify_wallets_with};
pub use wallet::{
    CSV_COLUMNS, WALLET_FORMAT, WalletFormat, WalletRow, parse_wallets, parse_wallets_as,
    read_wallet_file, write_wallets,
};

/// The one libsecp256k1 context (signing and verification), shared by every thread.
pub(crate) fn secp() -> &'static Secp256k1<All> {
    static SECP: LazyLock<Secp256k1<All>> = LazyLock::new(Secp256k1::new);
    &SECP
}
