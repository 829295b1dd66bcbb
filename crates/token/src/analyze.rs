//! Static analysis of runtime bytecode: what the dispatcher exposes and what the code can reach.

use crate::disasm::{Code, Reach};
use crate::error::TokenError;
use crate::owner::{Privileges, walk};
use crate::selectors::{Capability, lookup, selector};

/// EIP-1967's implementation slot: `keccak256("eip1967.proxy.implementation") - 1`.
pub fn eip1967_implementation_slot() -> [u8; 32] {
    eip1967_slot("eip1967.proxy.implementation")
}

/// An EIP-1967 slot: `keccak256(name) - 1`.
pub(crate) fn eip1967_slot(name: &str) -> [u8; 32] {
    let mut s = custodia_chain::keccak256(name.as_bytes());
    // Subtract one, borrowing through the trailing bytes.
    for b in s.iter_mut().rev() {
        let (v, borrow) = b.overflowing_sub(1);
        *b = v;
        if !borrow {
            break;
        }
    }
    s
}

/// What the bytecode shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StaticReport {
    /// Code size in bytes.
    pub size: usize,
    /// Selectors in the dispatcher, as 8 hex digits, sorted.
    pub selectors: Vec<String>,
    /// Recognised functions among them (their signatures).
    pub functions: Vec<String>,
    /// Capabilities the recognised functions give.
    pub capabilities: Vec<Capability>,
    /// `transfer`, `transferFrom` and `balanceOf` are all in the dispatcher.
    pub erc20: bool,
    /// `SELFDESTRUCT` is reachable.
    pub selfdestruct: bool,
    /// `DELEGATECALL` is reachable.
    pub delegatecall: bool,
    /// The EIP-1967 implementation slot constant is used.
    pub eip1967: bool,
    /// The transfer functions reach a call to another contract.
    pub external_call_in_transfer: bool,
    /// The transfer functions read the block time or number.
    pub time_in_transfer: bool,
    /// Blocks reachable from the entry / in the whole code.
    pub reachable_blocks: (usize, usize),
    /// Privileged slots, hidden owners, owner writers.
    pub privileges: Privileges,
}

impl StaticReport {
    /// Whether a recognised function gives `c`.
    pub fn has(&self, c: Capability) -> bool {
        self.capabilities.contains(&c)
    }

    /// A proxy: delegates calls and either keeps its implementation in the EIP-1967 slot or
    /// exposes an upgrade function.
    pub fn is_proxy(&self) -> bool {
        self.delegatecall && (self.eip1967 || self.has(Capability::Upgrade))
    }
}

/// Analyses runtime bytecode. Bounded: one linear decode and one state graph (at most
/// [`crate::MAX_WALK_STATES`] states, with bounded fallbacks past it), over at most
/// [`crate::MAX_CODE`] bytes.
pub fn analyze(bytes: Vec<u8>, field: &'static str) -> Result<StaticReport, TokenError> {
    let code = Code::new(bytes, field)?;
    let entries = code.dispatcher();
    // One walk of the code answers the privilege questions and, unless its state budget ran
    // out, what offset 0 and the transfer functions reach (the same stack interpretation the
    // reachability runs on its own otherwise).
    let (privileges, walked) = walk(&code, &entries);
    let all = match walked.blocks_from_start() {
        Some(blocks) => code.scan_blocks(&blocks),
        None => code.reach_all(),
    };
    if let Some((pc, need, have)) = all.truncated {
        return Err(TokenError::TruncatedPush { pc, need, have });
    }
    let mut r = StaticReport {
        size: code.bytes().len(),
        selectors: entries.iter().map(|e| hex::encode(e.selector)).collect(),
        selfdestruct: all.selfdestruct,
        delegatecall: all.delegatecall,
        eip1967: code.pushes_word(&eip1967_implementation_slot()),
        reachable_blocks: (all.blocks, code.block_count()),
        privileges,
        ..StaticReport::default()
    };
    for e in &entries {
        if let Some(k) = lookup(e.selector) {
            r.functions.push(k.signature.to_string());
            if !r.capabilities.contains(&k.capability) {
                r.capabilities.push(k.capability);
            }
        }
    }
    r.capabilities.sort();
    let [transfer, transfer_from, balance_of] = erc20_selectors();
    let has = |sel: [u8; 4]| entries.iter().any(|e| e.selector == sel);
    r.erc20 = has(transfer) && has(transfer_from) && has(balance_of);
    let transfer_dests: Vec<u32> = entries
        .iter()
        .filter(|e| e.selector == transfer || e.selector == transfer_from)
        .map(|e| e.dest)
        .collect();
    if !transfer_dests.is_empty() {
        let t: Reach = match walked.blocks_from(&transfer_dests) {
            Some(blocks) => code.scan_blocks(&blocks),
            None => code.reach_entries(&transfer_dests),
        };
        r.external_call_in_transfer = t.external_call || t.delegatecall;
        r.time_in_transfer = t.time;
    }
    Ok(r)
}

/// `transfer`, `transferFrom` and `balanceOf`, hashed once per process.
fn erc20_selectors() -> [[u8; 4]; 3] {
    static SELECTORS: std::sync::OnceLock<[[u8; 4]; 3]> = std::sync::OnceLock::new();
    *SELECTORS.get_or_init(|| {
        [
            selector("transfer(address,uint256)"),
            selector("transferFrom(address,address,uint256)"),
            selector("balanceOf(address)"),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip1967_slot_is_hash_minus_one() {
        assert_eq!(
            hex::encode(eip1967_implementation_slot()),
            "360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc"
        );
    }

    /// A hand-assembled dispatcher: `transfer` whose body makes a CALL, or (twin) does not.
    fn tiny(call: bool) -> Vec<u8> {
        let sel = selector("transfer(address,uint256)");
        let mut c = vec![0x60, 0x00, 0x35, 0x60, 0xe0, 0x1c]; // selector on the stack
        c.extend([0x80, 0x63]); // DUP1 PUSH4
        c.extend(sel);
        c.extend([0x14, 0x60, 0x12, 0x57]); // EQ PUSH1 0x12 JUMPI
        c.extend([0x00, 0x00]); // STOP, padding to 0x12
        assert_eq!(c.len(), 0x12);
        c.push(0x5b); // JUMPDEST
        if call {
            c.extend([0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5a, 0xf1]); // CALL
        }
        c.push(0x00);
        c
    }

    #[test]
    fn external_call_in_transfer() {
        let r = analyze(tiny(true), "t").unwrap();
        assert_eq!(r.selectors, vec!["a9059cbb".to_string()]);
        assert!(r.external_call_in_transfer);
        let r = analyze(tiny(false), "t").unwrap();
        assert!(!r.external_call_in_transfer);
    }

    #[test]
    fn selector_bytes_in_push_data_are_not_selectors() {
        // The transfer selector hidden inside a PUSH32 followed by EQ/JUMPI-looking bytes.
        let sel = selector("transfer(address,uint256)");
        let mut c = vec![0x7f];
        let mut word = [0u8; 32];
        word[..4].copy_from_slice(&[0x63, sel[0], sel[1], sel[2]]);
        word[4] = sel[3];
        word[5..9].copy_from_slice(&[0x14, 0x60, 0x00, 0x57]);
        c.extend(word);
        c.push(0x00);
        let r = analyze(c, "t").unwrap();
        assert!(r.selectors.is_empty());
    }
}
