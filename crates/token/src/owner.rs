//! Who the code obeys: storage slots compared against `msg.sender` (privileged checks), which
//! of them a getter shows, and which functions can write the owner's slot.
//!
//! GoPlus's `hidden_owner` is an address that keeps privileges while nobody can see it:
//! `require(msg.sender == _keeper)` where `_keeper` is private. In bytecode that is an `EQ`
//! between `CALLER` and an `SLOAD` of a constant slot, and no view function without arguments
//! loads that slot (a public getter does, so `address public keeper` is not hidden).
//! `can_take_back_ownership` is the owner's slot (the one `owner()` loads) being written by a
//! function other than the standard `transferOwnership` / `renounceOwnership` /
//! `acceptOwnership` — whatever that function is called, so a renamed "unlock" is caught too.
//!
//! Values are followed along paths from each dispatcher entry with the same kind of stack
//! interpretation as the reachability (`disasm`): a stack slot is a constant, `CALLER`, a value
//! loaded from a constant slot (kept through the `AND` mask and the `SHR`/`DIV` of packed
//! storage), or unknown. The walks of one contract share a state budget; past it the findings
//! are what was seen so far and `approximate` says so.

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::analyze::eip1967_slot;
use crate::disasm::{Code, Entry, arity, ends_flow, op};
use crate::selectors::selector;

/// Most (block, stack) states the walks of one contract visit, all functions together (a
/// contract with thousands of selectors costs no more than one with twenty).
pub const MAX_WALK_STATES: usize = 100_000;
const STACK_KEEP: usize = 32;

/// What the code says about its privileged addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Privileges {
    /// Slots (64 hex digits) that `owner()` / `getOwner()` load.
    pub owner_slots: Vec<String>,
    /// Slots compared against the caller somewhere.
    pub privileged_slots: Vec<String>,
    /// Privileged slots no argument-less view function loads: a hidden owner.
    pub hidden_slots: Vec<String>,
    /// Functions (signature when known, else the selector) other than the standard ownership
    /// functions that write an owner slot.
    pub owner_writers: Vec<String>,
    /// A walk ran out of budget: the lists may be incomplete.
    pub approximate: bool,
}

impl Privileges {
    /// An address with privileges that no getter shows (GoPlus `hidden_owner`).
    pub fn hidden_owner(&self) -> bool {
        !self.hidden_slots.is_empty()
    }

    /// Ownership can be set outside the standard functions (GoPlus `can_take_back_ownership`).
    pub fn take_back(&self) -> bool {
        !self.owner_writers.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum V {
    Unknown,
    Const(u64),
    /// An interned 32-byte constant.
    Word(u32),
    Caller,
    /// A value loaded from an interned slot.
    Slot(u32),
}

#[derive(Default)]
struct Words {
    list: Vec<[u8; 32]>,
    ids: std::collections::HashMap<[u8; 32], u32>,
}

impl Words {
    fn id(&mut self, w: [u8; 32]) -> u32 {
        let next = self.list.len() as u32;
        let id = *self.ids.entry(w).or_insert(next);
        if id == next {
            self.list.push(w);
        }
        id
    }

    fn of_u64(&mut self, v: u64) -> u32 {
        let mut w = [0u8; 32];
        w[24..].copy_from_slice(&v.to_be_bytes());
        self.id(w)
    }

    fn hex(&self, id: u32) -> String {
        hex::encode(self.list[id as usize])
    }
}

#[derive(Default)]
struct Walk {
    /// Slots compared against CALLER.
    checked: BTreeSet<u32>,
    /// Constant slots written.
    stored: BTreeSet<u32>,
    /// Any SSTORE at all.
    writes: bool,
    /// Constant slots read.
    loaded: BTreeSet<u32>,
    calldata: bool,
    approximate: bool,
}

fn slot_of(v: V, words: &mut Words) -> Option<u32> {
    match v {
        V::Const(c) => Some(words.of_u64(c)),
        V::Word(w) => Some(w),
        _ => None,
    }
}

/// The more telling of two operands of a mask.
fn keep(a: V, b: V) -> V {
    match (a, b) {
        (V::Slot(_) | V::Caller, _) => a,
        (_, V::Slot(_) | V::Caller) => b,
        _ => V::Unknown,
    }
}

fn walk(code: &Code, start: usize, words: &mut Words, budget: &mut usize) -> Walk {
    let mut w = Walk::default();
    let mut states: HashSet<(usize, Vec<V>)> = HashSet::new();
    let mut work: Vec<(usize, Vec<V>)> = vec![(start, Vec::new())];
    while let Some((b, stack)) = work.pop() {
        if *budget == 0 {
            w.approximate = true;
            break;
        }
        if !states.insert((b, stack.clone())) {
            continue;
        }
        *budget -= 1;
        let mut st = stack;
        let pop = |st: &mut Vec<V>| st.pop().unwrap_or(V::Unknown);
        let (instrs, end) = code.block(b);
        let mut target: Option<V> = None;
        for i in instrs {
            match i.op {
                op::PUSH0..=op::PUSH32 => {
                    let v = match code.push_value(i) {
                        Some(v) => V::Const(v),
                        None => {
                            let d = code.data(i);
                            let mut word = [0u8; 32];
                            word[32 - d.len()..].copy_from_slice(d);
                            V::Word(words.id(word))
                        }
                    };
                    st.push(v);
                }
                op::DUP1..=op::DUP16 => {
                    let n = usize::from(i.op - op::DUP1) + 1;
                    let v = if st.len() >= n {
                        st[st.len() - n]
                    } else {
                        V::Unknown
                    };
                    st.push(v);
                }
                0x90..=0x9f => {
                    let n = usize::from(i.op - 0x90) + 1;
                    let len = st.len();
                    if len > n {
                        st.swap(len - 1, len - 1 - n);
                    } else if len > 0 {
                        st[len - 1] = V::Unknown;
                    }
                }
                0x33 => st.push(V::Caller),
                0x54 => {
                    let k = pop(&mut st);
                    match slot_of(k, words) {
                        Some(s) => {
                            w.loaded.insert(s);
                            st.push(V::Slot(s));
                        }
                        None => st.push(V::Unknown),
                    }
                }
                op::SSTORE => {
                    let k = pop(&mut st);
                    pop(&mut st);
                    w.writes = true;
                    if let Some(s) = slot_of(k, words) {
                        w.stored.insert(s);
                    }
                }
                0x16 => {
                    let (a, b) = (pop(&mut st), pop(&mut st));
                    st.push(keep(a, b));
                }
                // SHR(shift, value) and DIV(value, divisor): a packed address read out of its
                // slot is still that slot's value.
                0x1c => {
                    pop(&mut st);
                    let v = pop(&mut st);
                    st.push(if matches!(v, V::Slot(_)) {
                        v
                    } else {
                        V::Unknown
                    });
                }
                0x04 => {
                    let v = pop(&mut st);
                    pop(&mut st);
                    st.push(if matches!(v, V::Slot(_)) {
                        v
                    } else {
                        V::Unknown
                    });
                }
                op::EQ => {
                    let (a, b) = (pop(&mut st), pop(&mut st));
                    match (a, b) {
                        (V::Caller, V::Slot(s)) | (V::Slot(s), V::Caller) => {
                            w.checked.insert(s);
                        }
                        _ => {}
                    }
                    st.push(V::Unknown);
                }
                op::JUMP => target = Some(pop(&mut st)),
                op::JUMPI => {
                    target = Some(pop(&mut st));
                    pop(&mut st);
                }
                other => {
                    if matches!(other, 0x35 | 0x37) {
                        w.calldata = true;
                    }
                    let (a, r) = arity(other);
                    for _ in 0..a {
                        pop(&mut st);
                    }
                    for _ in 0..r {
                        st.push(V::Unknown);
                    }
                }
            }
            if st.len() > STACK_KEEP {
                st.drain(..st.len() - STACK_KEEP);
            }
        }
        if let Some(V::Const(t)) = target
            && let Some(tb) = code.block_at(t)
        {
            work.push((tb, st.clone()));
        }
        let last = instrs[instrs.len() - 1];
        if !ends_flow(last.op) && end < code.instrs().len() {
            work.push((code.block_of_instr(end), st));
        }
    }
    w
}

/// The standard ways ownership changes hands; writes of the owner slot elsewhere are not.
/// Initialisers are an upgradeable contract's constructor (their one-shot guard is not
/// followed here).
const OWNERSHIP: &[&str] = &[
    "transferOwnership(address)",
    "renounceOwnership()",
    "acceptOwnership()",
    "initialize()",
    "initialize(address)",
    "initialize(address,address)",
    "initialize(string,string)",
    "initialize(string,string,address)",
];
const OWNER_GETTERS: &[&str] = &["owner()", "getOwner()"];

/// Reads the privileges of `code` through its dispatcher entries.
pub fn privileges(code: &Code, entries: &[Entry]) -> Privileges {
    let mut words = Words::default();
    let mut p = Privileges::default();
    let mut walks = Vec::with_capacity(entries.len());
    let mut budget = MAX_WALK_STATES;
    for e in entries {
        let Some(b) = code.block_at(u64::from(e.dest)) else {
            continue;
        };
        let w = walk(code, b, &mut words, &mut budget);
        p.approximate |= w.approximate;
        walks.push((e.selector, w));
    }
    let is = |sel: [u8; 4], names: &[&str]| names.iter().any(|n| selector(n) == sel);
    let owner: BTreeSet<u32> = walks
        .iter()
        .filter(|(s, _)| is(*s, OWNER_GETTERS))
        .flat_map(|(_, w)| w.loaded.iter().copied())
        .collect();
    let privileged: BTreeSet<u32> = walks
        .iter()
        .flat_map(|(_, w)| w.checked.iter().copied())
        .collect();
    // A getter: no arguments, writes nothing, checks nobody; what it loads it shows. The
    // EIP-1967 slots are public by standard (explorers read the admin and implementation
    // there), so a proxy admin is not hidden.
    let mut shown: BTreeSet<u32> = walks
        .iter()
        .filter(|(_, w)| !w.calldata && !w.writes && w.checked.is_empty())
        .flat_map(|(_, w)| w.loaded.iter().copied())
        .collect();
    for name in [
        "eip1967.proxy.admin",
        "eip1967.proxy.implementation",
        "eip1967.proxy.beacon",
    ] {
        shown.insert(words.id(eip1967_slot(name)));
    }
    for (sel, w) in &walks {
        if is(*sel, OWNERSHIP) || is(*sel, OWNER_GETTERS) {
            continue;
        }
        if w.stored.iter().any(|s| owner.contains(s)) {
            let name = crate::selectors::lookup(*sel)
                .map(|k| k.signature.to_string())
                .unwrap_or_else(|| hex::encode(sel));
            p.owner_writers.push(name);
        }
    }
    p.owner_writers.sort();
    p.owner_slots = owner.iter().map(|&s| words.hex(s)).collect();
    p.privileged_slots = privileged.iter().map(|&s| words.hex(s)).collect();
    p.hidden_slots = privileged
        .difference(&shown)
        .map(|&s| words.hex(s))
        .collect();
    p
}
