//! Simulating a deployed token as it is on chain: the EVM's state read lazily from a node at a
//! pinned block, through the [`ChainState`] port (the binary adapts a JSON-RPC client to it:
//! `eth_getCode`, `eth_getStorageAt`, `eth_getBalance`, `eth_getTransactionCount` at that
//! block). Only what the trades touch is fetched, once each; writes stay in memory.

use std::cell::Cell;
use std::fmt;

use revm::DatabaseRef;
use revm::bytecode::Bytecode;
use revm::database_interface::DBErrorMarker;
use revm::primitives::{Address, B256, Bytes, StorageKey, StorageValue, U256};
use revm::state::AccountInfo;
use serde::{Deserialize, Serialize};

/// One account as the node reports it at the pinned block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteAccount {
    /// Balance in wei, big-endian.
    pub balance: [u8; 32],
    /// Nonce.
    pub nonce: u64,
    /// Runtime code (empty for an externally owned account).
    pub code: Vec<u8>,
}

/// The pinned block's header fields the EVM needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedBlock {
    /// Its number.
    pub number: u64,
    /// Its timestamp (unix seconds).
    pub timestamp: u64,
}

/// Why the chain's state could not be read (the node's error, in words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateError(pub String);

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StateError {}
impl DBErrorMarker for StateError {}

/// A chain's state at one block, read by a blocking client (a simulation runs on a blocking
/// worker, never on the executor).
pub trait ChainState: Send {
    /// The pinned block.
    fn block(&self) -> Result<PinnedBlock, StateError>;
    /// An account's balance, nonce and code at the pinned block.
    fn account(&self, address: [u8; 20]) -> Result<RemoteAccount, StateError>;
    /// One storage word at the pinned block.
    fn storage(&self, address: [u8; 20], slot: [u8; 32]) -> Result<[u8; 32], StateError>;
    /// The hash of an earlier block (`BLOCKHASH`).
    fn block_hash(&self, number: u64) -> Result<[u8; 32], StateError>;
}

/// Where a forked simulation trades the token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForkSpec {
    /// Its pool; `None`: the router's factory is asked for the token/wrapped-ether pair.
    #[serde(default)]
    pub pair: Option<String>,
    /// A Uniswap V2 compatible router; `None`: Uniswap V2's router address.
    #[serde(default)]
    pub router: Option<String>,
}

/// Most state reads one forked simulation may make (each one a node request).
pub const MAX_STATE_READS: u32 = 5_000;

/// revm's view of a [`ChainState`]: accounts and slots on demand, a budget of reads.
pub(crate) struct ForkDb<S> {
    state: S,
    reads: Cell<u32>,
    max_reads: u32,
}

impl<S: ChainState> ForkDb<S> {
    pub(crate) fn new(state: S, max_reads: u32) -> Self {
        Self {
            state,
            reads: Cell::new(0),
            max_reads,
        }
    }

    pub(crate) fn reads(&self) -> u32 {
        self.reads.get()
    }

    fn count(&self) -> Result<(), StateError> {
        let n = self.reads.get() + 1;
        self.reads.set(n);
        if n > self.max_reads {
            return Err(StateError(format!(
                "more than {} state reads: the simulation touches too much of the chain",
                self.max_reads
            )));
        }
        Ok(())
    }
}

impl<S: ChainState> DatabaseRef for ForkDb<S> {
    type Error = StateError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, StateError> {
        self.count()?;
        let a = self.state.account(address.0.0)?;
        let code = Bytecode::new_raw(Bytes::from(a.code));
        Ok(Some(AccountInfo {
            balance: U256::from_be_bytes(a.balance),
            nonce: a.nonce,
            code_hash: code.hash_slow(),
            code: Some(code),
            ..Default::default()
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, StateError> {
        // Every account comes with its code, so revm never asks by hash alone.
        Err(StateError(format!("code {code_hash} asked by hash alone")))
    }

    fn storage_ref(&self, address: Address, index: StorageKey) -> Result<StorageValue, StateError> {
        self.count()?;
        let v = self.state.storage(address.0.0, index.to_be_bytes::<32>())?;
        Ok(U256::from_be_bytes(v))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, StateError> {
        self.count()?;
        Ok(B256::from(self.state.block_hash(number)?))
    }
}
