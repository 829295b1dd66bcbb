//! Buy, sell and transfer simulation in revm, against a minimal Uniswap V2 deployed in an
//! in-memory database (the honeypot.is method, offline).
//!
//! The market is our own compiled Solidity (`fixtures/src/Env.sol`): a wrapped-ether stand-in,
//! a factory, a constant-product pair with the 0.3% fee and the k check, and a router whose code
//! sits at Uniswap V2's mainnet router address, so a token that creates its pair in its
//! constructor through `router.factory()` finds one. The token is deployed from its creation
//! code by [`SIM_DEPLOYER`], half the deployer's balance goes into the pair against 100 units
//! of quote, and then fresh wallets trade:
//!
//! 1. at launch: buy, send a tenth to another fresh wallet, sell the rest (and, if that fails,
//!    half of it; if that fails too, again after [`SimConfig::wait_seconds`]);
//! 2. after [`SimConfig::later_blocks`] blocks: a new wallet buys and sells again.
//!
//! Taxes are `1 − received / expected`, the expectation being the pair's own quote before the
//! trade.
//!
//! Gas bounds time, twice. Each transaction may use up to [`SimConfig::gas_per_tx`], by default
//! [`MAX_GAS_PER_TX`]: the most a mainnet transaction may use at all since the Fusaka
//! upgrade (EIP-7825, 2²⁴ gas). That is what a real trader could spend, so a heavy but honest
//! token (a reflection token swapping its fees, a 24 KB deployment) is never failed for want of
//! gas, and a sell that needs more cannot happen on chain either. All transactions of one
//! simulation together may use up to [`SimConfig::gas_per_simulation`]: that is what bounds the
//! CPU time of a hostile token, since a transaction that burns its whole limit takes time in
//! proportion to it. Once the budget is spent every later transaction fails unrun, so a token
//! that burns gas on sells is still a token that cannot be sold: gas exhaustion never reads
//! as success.

use revm::context::TxEnv;
use revm::context::result::{EVMError, ExecutionResult, Output};
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::{Address, Bytes, TxKind, U256};
use revm::state::AccountInfo;
use revm::{Context, DatabaseRef, ExecuteCommitEvm, MainBuilder, MainContext, MainnetEvm};
use serde::{Deserialize, Serialize};

use crate::error::TokenError;
use crate::fork::{ChainState, ForkDb, ForkSpec, MAX_STATE_READS};
use crate::selectors::selector;

/// Who deploys the token in the simulation (and so, usually, its owner).
pub const SIM_DEPLOYER: Address = Address::new([
    0xde, 0xe1, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,
]);
/// Uniswap V2's router on Ethereum mainnet, where the simulated router's code is placed.
pub const ROUTER: Address = Address::new([
    0x7a, 0x25, 0x0d, 0x56, 0x30, 0xb4, 0xcf, 0x53, 0x97, 0x39, 0xdf, 0x2c, 0x5d, 0xac, 0xcb, 0x4c,
    0x65, 0x9f, 0x24, 0x88,
]);
const ENV_DEPLOYER: Address = addr(0xe0);
const BUYER: Address = addr(0xb1);
const RECIPIENT: Address = addr(0xc1);
const LATE_BUYER: Address = addr(0xb2);
const STRANGER: Address = addr(0x5a);
const START_BLOCK: u64 = 20_000_000;
const START_TIME: u64 = 1_750_000_000;
/// The most gas one transaction may use on Ethereum mainnet since the Fusaka upgrade
/// (EIP-7825: 2²⁴), which the simulated chain enforces too.
pub const MAX_GAS_PER_TX: u64 = 1 << 24;
/// Gas all transactions of one simulation may use together by default. An honest token's
/// whole simulation (our market, a 19 KB token's deployment, a dozen trades) stays under 10
/// million; a token that loops on every sell burns what is left in one transaction, about
/// 1.1 ns of CPU per gas for the forever-looping fixture, so 12 million keeps the worst case
/// near 15 ms of CPU: under 50 ms of wall time even with the machine shared three ways.
pub const GAS_PER_SIMULATION: u64 = 12_000_000;
/// The intrinsic gas of a plain call: below it no transaction can start.
const MIN_TX_GAS: u64 = 21_000;
/// 1 unit of quote (18 decimals).
const UNIT: u128 = 1_000_000_000_000_000_000;

const fn addr(tag: u8) -> Address {
    let mut a = [0u8; 20];
    a[0] = 0x5e;
    a[19] = tag;
    Address::new(a)
}

/// The market's compiled contracts (creation code).
const QUOTE: &str = include_str!("../fixtures/build/Quote.json");
const FACTORY: &str = include_str!("../fixtures/build/Factory.json");
const ROUTER_CODE: &str = include_str!("../fixtures/build/Router.json");

/// Bounds and timings of one simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Gas limit of each transaction (default and most: [`MAX_GAS_PER_TX`]).
    pub gas_per_tx: u64,
    /// Gas all transactions of one simulation may use together, deployments included
    /// (default [`GAS_PER_SIMULATION`]): the bound on a simulation's CPU time.
    pub gas_per_simulation: u64,
    /// How long a blocked seller waits before trying again (seconds; blocks at 12 s each).
    pub wait_seconds: u64,
    /// How many blocks after launch the second buyer trades.
    pub later_blocks: u64,
    /// The buy, in thousandths of the quote reserve.
    pub buy_permille: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            gas_per_tx: MAX_GAS_PER_TX,
            gas_per_simulation: GAS_PER_SIMULATION,
            wait_seconds: 3_600,
            later_blocks: 7_200,
            buy_permille: 10,
        }
    }
}

/// One constructor argument of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arg {
    /// An address.
    Address(String),
    /// An unsigned integer, decimal.
    Uint(String),
    /// The address of an earlier deployment in the list (0-based).
    Deployed(usize),
    /// The simulation's deployer ([`SIM_DEPLOYER`]).
    Deployer,
    /// Dynamic bytes (hex), e.g. a proxy's initialisation call.
    Bytes(String),
}

/// One contract to create, in order; the last one is the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// Creation code (hex), as compiled (constructor arguments go in `args`).
    pub creation_code: String,
    /// Constructor arguments, ABI-encoded after the code.
    #[serde(default)]
    pub args: Vec<Arg>,
}

/// One trade's outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// Whether it went through.
    pub ok: bool,
    /// Tax in basis points (10 000 = everything), when it went through.
    pub tax_bps: Option<u32>,
    /// Gas used.
    pub gas: u64,
}

/// What the simulation saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimReport {
    /// The first buy.
    pub buy: Trade,
    /// Selling everything bought, right away.
    pub sell: Trade,
    /// Selling half, when selling everything failed.
    pub sell_half: Option<Trade>,
    /// Selling everything after waiting, when it failed at first.
    pub sell_after_wait: Option<Trade>,
    /// Sending a tenth to a fresh wallet.
    pub transfer: Trade,
    /// The transfer retried after waiting, when it failed at first.
    pub transfer_after_wait: Option<Trade>,
    /// A new buyer's buy, `later_blocks` after launch.
    pub late_buy: Trade,
    /// And its sell.
    pub late_sell: Trade,
    /// That sell retried after waiting, when it failed at first.
    pub late_sell_after_wait: Option<Trade>,
    /// A wallet that never received anything shows a balance (airdrop-spam tokens fake them).
    pub phantom_balance: bool,
    /// `owner()` after deployment, when the token has one (lowercase hex).
    pub owner: Option<String>,
    /// `name()` and `symbol()`, when readable.
    pub name: Option<String>,
    /// The token's symbol.
    pub symbol: Option<String>,
    /// Total gas of all transactions.
    pub total_gas: u64,
}

impl SimReport {
    /// Nobody but privileged wallets can sell: every sell attempt failed, right away, after
    /// waiting, or later.
    pub fn cannot_sell(&self) -> bool {
        (self.buy.ok
            && !self.sell.ok
            && !self.sell_half.is_some_and(|t| t.ok)
            && !self.sell_after_wait.is_some_and(|t| t.ok))
            || (self.late_buy.ok
                && !self.late_sell.ok
                && !self.late_sell_after_wait.is_some_and(|t| t.ok))
    }

    /// Part can be sold but not everything.
    pub fn cannot_sell_all(&self) -> bool {
        !self.sell.ok && self.sell_half.is_some_and(|t| t.ok)
    }

    /// Selling (or moving) failed at first and worked after waiting.
    pub fn cooldown(&self) -> bool {
        (!self.sell.ok && self.sell_after_wait.is_some_and(|t| t.ok))
            || (!self.transfer.ok && self.transfer_after_wait.is_some_and(|t| t.ok))
    }

    /// Sells worked at launch and fail later.
    pub fn blocks_sells_later(&self) -> bool {
        self.sell.ok
            && self.late_buy.ok
            && !self.late_sell.ok
            && !self.late_sell_after_wait.is_some_and(|t| t.ok)
    }
}

type Evm<D> = MainnetEvm<revm::handler::MainnetContext<CacheDB<D>>>;

struct World<D: DatabaseRef> {
    evm: Evm<D>,
    cfg: SimConfig,
    total_gas: u64,
    /// The first failure to read state (a forked node that stopped answering): every result
    /// after it is void, so the run is an error, never a "cannot sell".
    fatal: Option<String>,
}

#[derive(Debug)]
struct Outcome {
    ok: bool,
    output: Vec<u8>,
    gas: u64,
    reason: String,
}

fn word_addr(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

fn word_u256(v: U256) -> [u8; 32] {
    v.to_be_bytes::<32>()
}

/// `selector(sig) ‖ words`.
fn calldata(sig: &str, words: &[[u8; 32]]) -> Vec<u8> {
    let mut d = selector(sig).to_vec();
    for w in words {
        d.extend_from_slice(w);
    }
    d
}

/// ABI-encodes static words and dynamic byte strings (head then tail).
fn encode_args(args: &[Enc]) -> Vec<u8> {
    let mut head = Vec::new();
    let mut tail = Vec::new();
    let head_len = 32 * args.len();
    for a in args {
        match a {
            Enc::Word(w) => head.extend_from_slice(w),
            Enc::Bytes(b) => {
                head.extend_from_slice(&word_u256(U256::from(head_len + tail.len())));
                tail.extend_from_slice(&word_u256(U256::from(b.len())));
                tail.extend_from_slice(b);
                tail.resize(tail.len().div_ceil(32) * 32, 0);
            }
        }
    }
    head.extend(tail);
    head
}

enum Enc {
    Word([u8; 32]),
    Bytes(Vec<u8>),
}

fn as_u256(out: &[u8]) -> Option<U256> {
    (out.len() >= 32).then(|| U256::from_be_slice(&out[..32]))
}

fn as_address(out: &[u8]) -> Option<Address> {
    (out.len() >= 32 && out[..12].iter().all(|&b| b == 0))
        .then(|| Address::from_slice(&out[12..32]))
}

fn as_string(out: &[u8]) -> Option<String> {
    let off = usize::try_from(as_u256(out)?).ok()?;
    let len = usize::try_from(as_u256(out.get(off..)?)?).ok()?;
    let bytes = out.get(off + 32..off.checked_add(32)?.checked_add(len)?)?;
    let s = String::from_utf8_lossy(bytes);
    Some(s.chars().take(64).collect())
}

fn creation_code(json: &str) -> Vec<u8> {
    let v: serde_json::Value = serde_json::from_str(json).expect("committed fixture is JSON");
    let hex_text = v["creation"]
        .as_str()
        .expect("committed fixture has creation code");
    hex::decode(hex_text.trim_start_matches("0x")).expect("committed fixture is hex")
}

/// A plain-words revert reason (`Error(string)`), or the halt.
fn reason(r: &ExecutionResult) -> String {
    match r {
        ExecutionResult::Revert { output, .. } => {
            if output.len() > 4 && output[..4] == selector("Error(string)") {
                as_string(&output[4..]).unwrap_or_else(|| "revert".into())
            } else {
                "revert".into()
            }
        }
        ExecutionResult::Halt { reason, .. } => format!("{reason:?}"),
        ExecutionResult::Success { .. } => String::new(),
    }
}

impl<D: DatabaseRef> World<D> {
    fn new(db: D, cfg: SimConfig, number: u64, timestamp: u64) -> Self {
        let ctx = Context::mainnet()
            .with_db(CacheDB::new(db))
            .modify_cfg_chained(|c| {
                c.disable_nonce_check = true;
                c.limit_contract_code_size = Some(crate::MAX_CODE);
            })
            .modify_block_chained(|b| {
                b.number = U256::from(number);
                b.timestamp = U256::from(timestamp);
                b.gas_limit = 60_000_000;
                b.basefee = 0;
            });
        Self {
            evm: ctx.build_mainnet(),
            cfg,
            total_gas: 0,
            fatal: None,
        }
    }

    fn advance(&mut self, blocks: u64, seconds: u64) {
        let b = &mut self.evm.ctx.block;
        b.number += U256::from(blocks);
        b.timestamp += U256::from(seconds);
    }

    fn nonce(&mut self, who: Address) -> u64 {
        self.evm
            .ctx
            .journaled_state
            .database
            .cache
            .accounts
            .get(&who)
            .map_or(0, |a| a.info.nonce)
    }

    fn tx(&mut self, from: Address, kind: TxKind, data: Vec<u8>) -> Outcome {
        self.tx_value(from, kind, data, U256::ZERO)
    }

    fn tx_value(&mut self, from: Address, kind: TxKind, data: Vec<u8>, value: U256) -> Outcome {
        let left = self.cfg.gas_per_simulation.saturating_sub(self.total_gas);
        if left < MIN_TX_GAS {
            return Outcome {
                ok: false,
                output: Vec::new(),
                gas: 0,
                reason: "the simulation's gas budget is spent".into(),
            };
        }
        let nonce = self.nonce(from);
        let tx = TxEnv::builder()
            .caller(from)
            .kind(kind)
            .data(Bytes::from(data))
            .value(value)
            .gas_limit(self.cfg.gas_per_tx.min(left))
            .gas_price(0)
            .nonce(nonce)
            .build_fill();
        match self.evm.transact_commit(tx) {
            Ok(r) => {
                let gas = r.tx_gas_used();
                self.total_gas += gas;
                let why = reason(&r);
                match r {
                    ExecutionResult::Success { output, .. } => {
                        let out = match output {
                            Output::Call(b) => b.to_vec(),
                            Output::Create(_, a) => a.map(|a| a.to_vec()).unwrap_or_default(),
                        };
                        Outcome {
                            ok: true,
                            output: out,
                            gas,
                            reason: why,
                        }
                    }
                    _ => Outcome {
                        ok: false,
                        output: Vec::new(),
                        gas,
                        reason: why,
                    },
                }
            }
            Err(e) => {
                let reason = match e {
                    EVMError::Database(d) => {
                        let why = d.to_string();
                        self.fatal.get_or_insert_with(|| why.clone());
                        why
                    }
                    other => format!("{other:?}"),
                };
                Outcome {
                    ok: false,
                    output: Vec::new(),
                    gas: 0,
                    reason,
                }
            }
        }
    }

    fn call(&mut self, from: Address, to: Address, data: Vec<u8>) -> Outcome {
        self.tx(from, TxKind::Call(to), data)
    }

    fn create(&mut self, from: Address, code: Vec<u8>, step: &str) -> Result<Address, TokenError> {
        let o = self.tx(from, TxKind::Create, code);
        if !o.ok || o.output.len() != 20 {
            return Err(TokenError::SimulationSetup {
                step: step.into(),
                reason: if o.reason.is_empty() {
                    "no contract created".into()
                } else {
                    o.reason
                },
            });
        }
        Ok(Address::from_slice(&o.output))
    }

    fn view_u256(&mut self, to: Address, data: Vec<u8>) -> Option<U256> {
        let o = self.call(STRANGER, to, data);
        if o.ok { as_u256(&o.output) } else { None }
    }

    fn balance(&mut self, token: Address, who: Address) -> U256 {
        self.view_u256(token, calldata("balanceOf(address)", &[word_addr(who)]))
            .unwrap_or(U256::ZERO)
    }

    fn must(
        &mut self,
        from: Address,
        to: Address,
        data: Vec<u8>,
        step: &str,
    ) -> Result<Outcome, TokenError> {
        let o = self.call(from, to, data);
        if o.ok {
            Ok(o)
        } else {
            Err(TokenError::SimulationSetup {
                step: step.into(),
                reason: o.reason,
            })
        }
    }
}

/// The market once set up.
struct Market {
    quote: Address,
    token: Address,
    pair: Address,
    router: Address,
}

fn tax_bps(received: U256, expected: U256) -> u32 {
    if expected.is_zero() || received >= expected {
        return 0;
    }
    let kept = received * U256::from(10_000u32) / expected;
    10_000 - u32::try_from(kept).unwrap_or(10_000)
}

/// Uniswap V2's quote with the 0.3% fee.
fn amount_out(amount_in: U256, r_in: U256, r_out: U256) -> U256 {
    let fee_in = amount_in * U256::from(997u32);
    let den = r_in * U256::from(1000u32) + fee_in;
    if den.is_zero() {
        U256::ZERO
    } else {
        fee_in * r_out / den
    }
}

impl<D: DatabaseRef> World<D> {
    /// Gives `who` `amount` of the quote token the way wrapped ether is made: ether, then
    /// `deposit()` (our market's quote token and WETH9 both take it).
    fn fund(&mut self, m: &Market, who: Address, amount: U256) {
        self.evm.ctx.journaled_state.database.insert_account_info(
            who,
            AccountInfo {
                balance: amount,
                ..Default::default()
            },
        );
        self.tx_value(
            who,
            TxKind::Call(m.quote),
            calldata("deposit()", &[]),
            amount,
        );
    }

    fn reserves(&mut self, m: &Market, input: Address) -> (U256, U256) {
        let o = self.call(STRANGER, m.pair, calldata("getReserves()", &[]));
        if !o.ok || o.output.len() < 64 {
            return (U256::ZERO, U256::ZERO);
        }
        let r0 = U256::from_be_slice(&o.output[..32]);
        let r1 = U256::from_be_slice(&o.output[32..64]);
        let other = if input == m.token { m.quote } else { m.token };
        if input < other { (r0, r1) } else { (r1, r0) }
    }

    fn swap(&mut self, m: &Market, who: Address, input: Address, amount: U256) -> Trade {
        let output = if input == m.token { m.quote } else { m.token };
        let (r_in, r_out) = self.reserves(m, input);
        let expected = amount_out(amount, r_in, r_out);
        let before = self.balance(output, who);
        let approve = self.call(
            who,
            input,
            calldata(
                "approve(address,uint256)",
                &[word_addr(m.router), word_u256(U256::MAX)],
            ),
        );
        if !approve.ok {
            return Trade {
                ok: false,
                tax_bps: None,
                gas: approve.gas,
            };
        }
        let deadline = self.evm.ctx.block.timestamp + U256::from(600u32);
        let mut data = selector(
            "swapExactTokensForTokensSupportingFeeOnTransferTokens(uint256,uint256,address[],address,uint256)",
        )
        .to_vec();
        data.extend(encode_args(&[
            Enc::Word(word_u256(amount)),
            Enc::Word([0; 32]),
            Enc::Bytes(Vec::new()), // placeholder, replaced below
            Enc::Word(word_addr(who)),
            Enc::Word(word_u256(deadline)),
        ]));
        // The path is an address[]: offset 0xa0, length 2, the two addresses.
        data.truncate(4 + 5 * 32);
        data[4 + 64..4 + 96].copy_from_slice(&word_u256(U256::from(160u32)));
        data.extend(word_u256(U256::from(2u32)));
        data.extend(word_addr(input));
        data.extend(word_addr(output));
        let o = self.call(who, m.router, data);
        if !o.ok {
            return Trade {
                ok: false,
                tax_bps: None,
                gas: o.gas,
            };
        }
        let got = self.balance(output, who).saturating_sub(before);
        Trade {
            ok: true,
            tax_bps: Some(tax_bps(got, expected)),
            gas: o.gas,
        }
    }

    fn transfer(&mut self, m: &Market, from: Address, to: Address, amount: U256) -> Trade {
        let before = self.balance(m.token, to);
        let o = self.call(
            from,
            m.token,
            calldata(
                "transfer(address,uint256)",
                &[word_addr(to), word_u256(amount)],
            ),
        );
        if !o.ok {
            return Trade {
                ok: false,
                tax_bps: None,
                gas: o.gas,
            };
        }
        let got = self.balance(m.token, to).saturating_sub(before);
        Trade {
            ok: true,
            tax_bps: Some(tax_bps(got, amount)),
            gas: o.gas,
        }
    }
}

impl World<EmptyDB> {
    fn setup(&mut self, deployments: &[Deployment]) -> Result<Market, TokenError> {
        let quote = self.create(ENV_DEPLOYER, creation_code(QUOTE), "deploy quote token")?;
        let factory = self.create(ENV_DEPLOYER, creation_code(FACTORY), "deploy factory")?;
        let mut router_init = creation_code(ROUTER_CODE);
        router_init.extend(word_addr(factory));
        router_init.extend(word_addr(quote));
        let router = self.create(ENV_DEPLOYER, router_init, "deploy router")?;
        // Move the router's code (its immutables filled in) to the canonical address.
        let code = self
            .evm
            .ctx
            .journaled_state
            .database
            .cache
            .accounts
            .get(&router)
            .and_then(|a| a.info.code.clone())
            .ok_or_else(|| TokenError::SimulationSetup {
                step: "deploy router".into(),
                reason: "no code".into(),
            })?;
        self.evm.ctx.journaled_state.database.insert_account_info(
            ROUTER,
            AccountInfo {
                code_hash: code.hash_slow(),
                code: Some(code),
                ..Default::default()
            },
        );

        let mut deployed: Vec<Address> = Vec::new();
        for (i, d) in deployments.iter().enumerate() {
            let mut init = crate::disasm::decode_hex(&d.creation_code, "deploy.creation_code")?;
            let mut enc = Vec::new();
            for (j, a) in d.args.iter().enumerate() {
                let field = format!("deploy[{i}].args[{j}]");
                enc.push(match a {
                    Arg::Address(s) => Enc::Word(word_addr(parse_address(s, &field)?)),
                    Arg::Uint(s) => Enc::Word(word_u256(s.parse::<U256>().map_err(|e| {
                        TokenError::BadInput {
                            field: field.clone(),
                            reason: e.to_string(),
                        }
                    })?)),
                    Arg::Deployed(k) => {
                        Enc::Word(word_addr(*deployed.get(*k).ok_or_else(|| {
                            TokenError::BadInput {
                                field: field.clone(),
                                reason: format!("deployment {k} comes later"),
                            }
                        })?))
                    }
                    Arg::Deployer => Enc::Word(word_addr(SIM_DEPLOYER)),
                    Arg::Bytes(h) => Enc::Bytes(crate::disasm::decode_hex(h, "deploy.args.bytes")?),
                });
            }
            init.extend(encode_args(&enc));
            deployed.push(self.create(SIM_DEPLOYER, init, &format!("deploy[{i}]"))?);
        }
        let token = *deployed.last().ok_or_else(|| TokenError::BadInput {
            field: "deploy".into(),
            reason: "no deployment given".into(),
        })?;

        let get_pair = calldata(
            "getPair(address,address)",
            &[word_addr(token), word_addr(quote)],
        );
        let mut pair = self.call(STRANGER, factory, get_pair.clone()).output;
        if as_address(&pair).is_none_or(|a| a == Address::ZERO) {
            let create = calldata(
                "createPair(address,address)",
                &[word_addr(token), word_addr(quote)],
            );
            self.must(SIM_DEPLOYER, factory, create, "create pair")?;
            pair = self.call(STRANGER, factory, get_pair).output;
        }
        let pair = as_address(&pair).ok_or_else(|| TokenError::SimulationSetup {
            step: "create pair".into(),
            reason: "factory returned no pair".into(),
        })?;
        let supply = self.balance(token, SIM_DEPLOYER);
        if supply.is_zero() {
            return Err(TokenError::SimulationSetup {
                step: "add liquidity".into(),
                reason: "the deployer holds no tokens after deployment".into(),
            });
        }
        let m = Market {
            quote,
            token,
            pair,
            router: ROUTER,
        };
        self.must(
            SIM_DEPLOYER,
            token,
            calldata(
                "transfer(address,uint256)",
                &[word_addr(pair), word_u256(supply / U256::from(2u32))],
            ),
            "add liquidity (token)",
        )?;
        self.must(
            ENV_DEPLOYER,
            quote,
            calldata(
                "mint(address,uint256)",
                &[word_addr(pair), word_u256(U256::from(100 * UNIT))],
            ),
            "add liquidity (quote)",
        )?;
        self.must(
            SIM_DEPLOYER,
            pair,
            calldata("mint(address)", &[word_addr(SIM_DEPLOYER)]),
            "mint liquidity",
        )?;
        Ok(m)
    }
}

fn parse_address(s: &str, field: &str) -> Result<Address, TokenError> {
    let b = crate::disasm::decode_hex(s, "address").map_err(|e| TokenError::BadInput {
        field: field.into(),
        reason: e.to_string(),
    })?;
    if b.len() != 20 {
        return Err(TokenError::BadInput {
            field: field.into(),
            reason: format!("{} bytes, expected 20", b.len()),
        });
    }
    Ok(Address::from_slice(&b))
}

/// Deploys `deployments` (the last is the token) and trades it. Errors only when the token
/// cannot be set up at all; a token that cannot be sold is a report, not an error.
pub fn simulate(deployments: &[Deployment], cfg: &SimConfig) -> Result<SimReport, TokenError> {
    let mut w = World::new(EmptyDB::default(), *cfg, START_BLOCK, START_TIME);
    let m = w.setup(deployments)?;
    Ok(trade(&mut w, &m, cfg))
}

/// What a forked simulation read besides its report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForkReport {
    /// The block the state was read at.
    pub block: crate::fork::PinnedBlock,
    /// The pool traded against (lowercase hex).
    pub pair: String,
    /// The quote token (the router's `WETH()`).
    pub quote: String,
    /// State reads made (node requests).
    pub state_reads: u32,
}

fn fork_setup<S: ChainState>(
    w: &mut World<ForkDb<S>>,
    token: &str,
    spec: &ForkSpec,
) -> Result<Market, TokenError> {
    let token = parse_address(token, "address")?;
    let router = match &spec.router {
        Some(r) => parse_address(r, "fork.router")?,
        None => ROUTER,
    };
    let read = |w: &mut World<ForkDb<S>>, to: Address, data: Vec<u8>, what: &str| {
        let o = w.call(STRANGER, to, data);
        if let Some(f) = &w.fatal {
            return Err(TokenError::StateUnavailable {
                step: what.into(),
                reason: f.clone(),
            });
        }
        as_address(&o.output)
            .filter(|a| o.ok && *a != Address::ZERO)
            .ok_or_else(|| TokenError::Fork {
                step: what.into(),
                reason: format!("{to:#x} gave no address ({})", o.reason),
            })
    };
    let quote = read(w, router, calldata("WETH()", &[]), "router WETH()")?;
    let pair = match &spec.pair {
        Some(p) => parse_address(p, "fork.pair")?,
        None => {
            let factory = read(w, router, calldata("factory()", &[]), "router factory()")?;
            read(
                w,
                factory,
                calldata(
                    "getPair(address,address)",
                    &[word_addr(token), word_addr(quote)],
                ),
                "factory getPair(token, WETH)",
            )?
        }
    };
    let m = Market {
        quote,
        token,
        pair,
        router,
    };
    let (r_quote, r_token) = w.reserves(&m, quote);
    if let Some(f) = &w.fatal {
        return Err(TokenError::StateUnavailable {
            step: "pair reserves".into(),
            reason: f.clone(),
        });
    }
    if r_quote.is_zero() || r_token.is_zero() {
        return Err(TokenError::Fork {
            step: "pair reserves".into(),
            reason: format!("pair {pair:#x} has no liquidity"),
        });
    }
    Ok(m)
}

/// Trades the deployed `token` against its real pool, with the chain's state at `state`'s
/// pinned block read on demand (code, storage, balances; at most [`MAX_STATE_READS`] reads).
/// The trades run in the block after the pinned one.
///
/// # Errors
/// [`TokenError::StateUnavailable`] when the node fails (worth retrying),
/// [`TokenError::Fork`] when there is no pool to trade against; a token that cannot be sold is
/// a report, not an error.
pub fn simulate_fork<S: ChainState>(
    state: S,
    token: &str,
    spec: &ForkSpec,
    cfg: &SimConfig,
) -> Result<(SimReport, ForkReport), TokenError> {
    let block = state.block().map_err(|e| TokenError::StateUnavailable {
        step: "pinned block".into(),
        reason: e.0,
    })?;
    let mut w = World::new(
        ForkDb::new(state, MAX_STATE_READS),
        *cfg,
        block.number + 1,
        block.timestamp + 12,
    );
    let m = fork_setup(&mut w, token, spec)?;
    let report = trade(&mut w, &m, cfg);
    if let Some(f) = w.fatal.take() {
        return Err(TokenError::StateUnavailable {
            step: "trading".into(),
            reason: f,
        });
    }
    let db = &w.evm.ctx.journaled_state.database.db;
    Ok((
        report,
        ForkReport {
            block,
            pair: format!("{:#x}", m.pair),
            quote: format!("{:#x}", m.quote),
            state_reads: db.reads(),
        },
    ))
}

/// The trades themselves, on a market already set up (ours or the chain's).
fn trade<D: DatabaseRef>(w: &mut World<D>, m: &Market, cfg: &SimConfig) -> SimReport {
    let mut r = SimReport {
        phantom_balance: !w.balance(m.token, STRANGER).is_zero(),
        ..SimReport::default()
    };
    let o = w.call(STRANGER, m.token, calldata("owner()", &[]));
    r.owner =
        o.ok.then(|| as_address(&o.output))
            .flatten()
            .map(|a| format!("{a:#x}"));
    let o = w.call(STRANGER, m.token, calldata("name()", &[]));
    r.name = o.ok.then(|| as_string(&o.output)).flatten();
    let o = w.call(STRANGER, m.token, calldata("symbol()", &[]));
    r.symbol = o.ok.then(|| as_string(&o.output)).flatten();

    w.advance(1, 12);
    let (quote_reserve, _) = w.reserves(m, m.quote);
    let spend = quote_reserve * U256::from(cfg.buy_permille) / U256::from(1000u32);

    // At launch.
    w.fund(m, BUYER, spend);
    r.buy = w.swap(m, BUYER, m.quote, spend);
    w.advance(1, 12);
    let held = w.balance(m.token, BUYER);
    let tenth = held / U256::from(10u32);
    r.transfer = w.transfer(m, BUYER, RECIPIENT, tenth);
    let held = w.balance(m.token, BUYER);
    if r.buy.ok && !held.is_zero() {
        r.sell = w.swap(m, BUYER, m.token, held);
        if !r.sell.ok {
            r.sell_half = Some(w.swap(m, BUYER, m.token, held / U256::from(2u32)));
        }
        let waited = !r.sell.ok && !r.sell_half.is_some_and(|t| t.ok);
        if waited || !r.transfer.ok {
            w.advance(cfg.wait_seconds / 12, cfg.wait_seconds);
        }
        if !r.transfer.ok {
            r.transfer_after_wait = Some(w.transfer(m, BUYER, RECIPIENT, tenth));
        }
        if waited {
            let held = w.balance(m.token, BUYER);
            r.sell_after_wait = Some(w.swap(m, BUYER, m.token, held));
        }
    }

    // Later: a new buyer.
    w.advance(cfg.later_blocks, cfg.later_blocks * 12);
    w.fund(m, LATE_BUYER, spend);
    r.late_buy = w.swap(m, LATE_BUYER, m.quote, spend);
    w.advance(1, 12);
    let held = w.balance(m.token, LATE_BUYER);
    if r.late_buy.ok && !held.is_zero() {
        r.late_sell = w.swap(m, LATE_BUYER, m.token, held);
        if !r.late_sell.ok {
            w.advance(cfg.wait_seconds / 12, cfg.wait_seconds);
            r.late_sell_after_wait = Some(w.swap(m, LATE_BUYER, m.token, held));
        }
    }
    r.total_gas = w.total_gas;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taxes_and_quotes() {
        assert_eq!(tax_bps(U256::from(99u32), U256::from(100u32)), 100);
        assert_eq!(tax_bps(U256::from(100u32), U256::from(100u32)), 0);
        assert_eq!(tax_bps(U256::ZERO, U256::from(100u32)), 10_000);
        assert_eq!(tax_bps(U256::from(5u32), U256::ZERO), 0);
        // 1 in, 1000/1000 reserves: 0.996 after the fee and the price move.
        let o = amount_out(
            U256::from(1_000u32),
            U256::from(1_000_000u32),
            U256::from(1_000_000u32),
        );
        assert_eq!(o, U256::from(996u32));
    }

    #[test]
    fn routers_address_is_uniswaps() {
        assert_eq!(
            format!("{ROUTER:#x}"),
            "0x7a250d5630b4cf539739df2c5daccb4c659f2488"
        );
    }
}
