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
//! storage), or unknown.
//!
//! The walks of all entries share one graph of (block, stack) states: a state is interpreted
//! once however many functions reach it (internal functions — `_transfer`, the fee maths, the
//! `onlyOwner` check — are shared by dozens of entries in a real token, and a per-entry walk
//! re-interpreted them for each). What each function does is then read off the graph: flags
//! (checks the caller, writes storage, reads calldata, writes the owner's slot) travel
//! backwards along its edges once, and the slots getters load are collected by one forward
//! pass. The graph has one state budget ([`MAX_WALK_STATES`]); past it the findings are what
//! was seen so far and `approximate` says so.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::analyze::eip1967_slot;
// Stack entries followed (deeper ones are unknown): the same depth as the reachability's, so
// both see the same jumps and the transfer functions' reach can be read off this walk.
use crate::disasm::{Code, Entry, IdMap, STACK_KEEP, arity, ends_flow, op};
use crate::selectors::selector;

/// Most (block, stack) states the walks of one contract visit, all functions together (a
/// contract with thousands of selectors costs no more than one with twenty).
pub const MAX_WALK_STATES: usize = 100_000;

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

/// An abstract stack value in 32 bits: the tag in the top two bits, an interned word's id
/// below. Small and `Copy`, so states hash and compare as plain `u32` slices.
mod v {
    pub const UNKNOWN: u32 = 0;
    const TAG: u32 = 0xc000_0000;
    const WORD: u32 = 0x4000_0000;
    pub const CALLER: u32 = 0x8000_0000;
    const SLOT: u32 = 0xc000_0000;

    /// A constant (an interned 32-byte word).
    pub fn word(id: u32) -> u32 {
        WORD | id
    }
    /// The value loaded from the slot whose key is word `id`.
    pub fn slot(id: u32) -> u32 {
        SLOT | id
    }
    pub fn as_word(x: u32) -> Option<u32> {
        (x & TAG == WORD).then_some(x & !TAG)
    }
    pub fn is_slot(x: u32) -> bool {
        x & TAG == SLOT
    }
    pub fn slot_id(x: u32) -> Option<u32> {
        is_slot(x).then_some(x & !TAG)
    }
}

/// 32-byte constants, interned; each remembers the block it names when it is a jump
/// destination.
struct Words {
    list: Vec<[u8; 32]>,
    ids: HashMap<[u8; 32], u32>,
    block: Vec<Option<u32>>,
}

impl Words {
    fn id(&mut self, w: [u8; 32], code: &Code) -> u32 {
        if let Some(&id) = self.ids.get(&w) {
            return id;
        }
        let id = self.list.len() as u32;
        self.ids.insert(w, id);
        self.list.push(w);
        let small = w[..24].iter().all(|&b| b == 0);
        let pc = u64::from_be_bytes(w[24..].try_into().expect("8 bytes"));
        self.block
            .push(small.then(|| code.block_at(pc)).flatten().map(|b| b as u32));
        id
    }

    fn hex(&self, id: u32) -> String {
        hex::encode(self.list[id as usize])
    }
}

/// Flags a state has itself or reaches.
const CHECKS: u8 = 1;
const WRITES: u8 = 2;
const CALLDATA: u8 = 4;
const WRITES_OWNER: u8 = 8;
const NONE: u32 = u32::MAX;

/// The shared state graph of all walks.
struct Graph {
    /// (block, stack) → state id; the key is the block followed by the stack.
    ids: IdMap<Box<[u32]>, u32>,
    /// Per state: its block, flags, successors, and the slots it loads / stores (ranges in
    /// `slots`).
    block: Vec<u32>,
    flags: Vec<u8>,
    next: Vec<[u32; 2]>,
    loaded: Vec<(u32, u32)>,
    stored: Vec<(u32, u32)>,
    slots: Vec<u32>,
    /// Slots compared against the caller anywhere.
    checked: BTreeSet<u32>,
    budget: usize,
    approximate: bool,
}

impl Graph {
    /// The id of a state, creating it (and queueing its interpretation) when new and the
    /// budget allows.
    fn state(&mut self, key: &[u32], work: &mut Vec<(u32, Vec<u32>)>) -> u32 {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        if self.budget == 0 {
            self.approximate = true;
            return NONE;
        }
        self.budget -= 1;
        let id = self.block.len() as u32;
        self.ids.insert(key.into(), id);
        self.block.push(key[0]);
        self.flags.push(0);
        self.next.push([NONE; 2]);
        self.loaded.push((0, 0));
        self.stored.push((0, 0));
        work.push((id, key[1..].to_vec()));
        id
    }
}

/// Per-instruction interned PUSH values, computed once per contract.
fn push_words(code: &Code, words: &mut Words) -> Vec<u32> {
    code.instrs()
        .iter()
        .map(|i| {
            if (op::PUSH0..=op::PUSH32).contains(&i.op) {
                let d = code.data(i);
                let mut w = [0u8; 32];
                w[32 - d.len()..].copy_from_slice(d);
                words.id(w, code)
            } else {
                NONE
            }
        })
        .collect()
}

/// The more telling of two operands of a mask.
fn keep(a: u32, b: u32) -> u32 {
    if v::is_slot(a) || a == v::CALLER {
        a
    } else if v::is_slot(b) || b == v::CALLER {
        b
    } else {
        v::UNKNOWN
    }
}

/// Interprets state `id` (its block entered with its stack): records its flags and slots and
/// creates its successors.
fn interpret(
    code: &Code,
    g: &mut Graph,
    pushes: &[u32],
    words: &Words,
    (id, mut st): (u32, Vec<u32>),
    key: &mut Vec<u32>,
    work: &mut Vec<(u32, Vec<u32>)>,
) {
    let b = g.block[id as usize] as usize;
    let pop = |st: &mut Vec<u32>| st.pop().unwrap_or(v::UNKNOWN);
    let (instrs, end) = code.block(b);
    let first = end - instrs.len();
    let mut flags = 0u8;
    let mut loaded: Vec<u32> = Vec::new();
    let mut stored: Vec<u32> = Vec::new();
    let mut target = v::UNKNOWN;
    for (k, i) in instrs.iter().enumerate() {
        match i.op {
            op::PUSH0..=op::PUSH32 => st.push(v::word(pushes[first + k])),
            op::DUP1..=op::DUP16 => {
                let n = usize::from(i.op - op::DUP1) + 1;
                let x = if st.len() >= n {
                    st[st.len() - n]
                } else {
                    v::UNKNOWN
                };
                st.push(x);
            }
            0x90..=0x9f => {
                let n = usize::from(i.op - 0x90) + 1;
                let len = st.len();
                if len > n {
                    st.swap(len - 1, len - 1 - n);
                } else if len > 0 {
                    st[len - 1] = v::UNKNOWN;
                }
            }
            0x33 => st.push(v::CALLER),
            0x54 => {
                let k = pop(&mut st);
                match v::as_word(k) {
                    Some(s) => {
                        loaded.push(s);
                        st.push(v::slot(s));
                    }
                    None => st.push(v::UNKNOWN),
                }
            }
            op::SSTORE => {
                let k = pop(&mut st);
                pop(&mut st);
                flags |= WRITES;
                if let Some(s) = v::as_word(k) {
                    stored.push(s);
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
                let x = pop(&mut st);
                st.push(if v::is_slot(x) { x } else { v::UNKNOWN });
            }
            0x04 => {
                let x = pop(&mut st);
                pop(&mut st);
                st.push(if v::is_slot(x) { x } else { v::UNKNOWN });
            }
            op::EQ => {
                let (a, b) = (pop(&mut st), pop(&mut st));
                let s = if a == v::CALLER {
                    v::slot_id(b)
                } else if b == v::CALLER {
                    v::slot_id(a)
                } else {
                    None
                };
                if let Some(s) = s {
                    g.checked.insert(s);
                    flags |= CHECKS;
                }
                st.push(v::UNKNOWN);
            }
            op::JUMP => target = pop(&mut st),
            op::JUMPI => {
                target = pop(&mut st);
                pop(&mut st);
            }
            other => {
                if matches!(other, 0x35 | 0x37) {
                    flags |= CALLDATA;
                }
                let (a, r) = arity(other);
                for _ in 0..a {
                    pop(&mut st);
                }
                for _ in 0..r {
                    st.push(v::UNKNOWN);
                }
            }
        }
        if st.len() > STACK_KEEP {
            st.drain(..st.len() - STACK_KEEP);
        }
    }
    let u = id as usize;
    g.flags[u] = flags;
    let start = g.slots.len() as u32;
    g.slots.extend_from_slice(&loaded);
    let mid = g.slots.len() as u32;
    g.slots.extend_from_slice(&stored);
    g.loaded[u] = (start, mid);
    g.stored[u] = (mid, g.slots.len() as u32);
    // The successors, keyed by block and the stack they are entered with.
    key.clear();
    key.push(0);
    key.extend_from_slice(&st);
    let mut next = [NONE; 2];
    if let Some(tb) = v::as_word(target).and_then(|w| words.block[w as usize]) {
        key[0] = tb;
        next[0] = g.state(key, work);
    }
    let last = instrs[instrs.len() - 1];
    if !ends_flow(last.op) && end < code.instrs().len() {
        key[0] = code.block_of_instr(end) as u32;
        next[1] = g.state(key, work);
    }
    g.next[u] = next;
}

/// Builds the state graph from every entry (empty stack at its first block). Returns the
/// graph and each entry's root state.
fn build(code: &Code, entries: &[Entry], words: &mut Words) -> (Graph, Vec<u32>) {
    let pushes = push_words(code, words);
    let mut g = Graph {
        ids: IdMap::default(),
        block: Vec::new(),
        flags: Vec::new(),
        next: Vec::new(),
        loaded: Vec::new(),
        stored: Vec::new(),
        slots: Vec::new(),
        checked: BTreeSet::new(),
        budget: MAX_WALK_STATES,
        approximate: false,
    };
    let mut work = Vec::new();
    let mut key = Vec::with_capacity(STACK_KEEP + 1);
    let mut roots = Vec::with_capacity(entries.len());
    for e in entries {
        let root = match code.block_at(u64::from(e.dest)) {
            Some(b) => g.state(&[b as u32], &mut work),
            None => NONE,
        };
        roots.push(root);
        while let Some(state) = work.pop() {
            interpret(code, &mut g, &pushes, words, state, &mut key, &mut work);
        }
    }
    (g, roots)
}

/// Spreads flags backwards: a state gets every flag of the states it reaches.
fn propagate(g: &Graph, flags: &mut [u8]) {
    let n = flags.len();
    // Predecessor lists, as offsets into one array.
    let mut count = vec![0u32; n + 1];
    for nx in &g.next {
        for &t in nx.iter().filter(|&&t| t != NONE) {
            count[t as usize + 1] += 1;
        }
    }
    for i in 0..n {
        count[i + 1] += count[i];
    }
    let mut fill = count.clone();
    let mut preds = vec![0u32; count[n] as usize];
    for (s, nx) in g.next.iter().enumerate() {
        for &t in nx.iter().filter(|&&t| t != NONE) {
            preds[fill[t as usize] as usize] = s as u32;
            fill[t as usize] += 1;
        }
    }
    let mut work: Vec<u32> = (0..n as u32).filter(|&s| flags[s as usize] != 0).collect();
    while let Some(t) = work.pop() {
        let f = flags[t as usize];
        for &p in &preds[count[t as usize] as usize..count[t as usize + 1] as usize] {
            let before = flags[p as usize];
            if before | f != before {
                flags[p as usize] = before | f;
                work.push(p);
            }
        }
    }
}

/// The slots the states reachable from `roots` load.
fn loaded_from(g: &Graph, roots: impl Iterator<Item = u32>) -> BTreeSet<u32> {
    let mut seen = vec![false; g.block.len()];
    let mut out = BTreeSet::new();
    let mut work: Vec<u32> = roots.filter(|&r| r != NONE).collect();
    while let Some(s) = work.pop() {
        if std::mem::replace(&mut seen[s as usize], true) {
            continue;
        }
        let (a, b) = g.loaded[s as usize];
        out.extend(g.slots[a as usize..b as usize].iter().copied());
        work.extend(g.next[s as usize].iter().filter(|&&t| t != NONE));
    }
    out
}

/// The blocks the states reachable from `roots` are in (`None` when the graph is
/// incomplete).
pub(crate) fn blocks_from(p: &Walked, dests: &[u32]) -> Option<Vec<usize>> {
    if p.graph.approximate {
        return None;
    }
    let roots = p
        .entries
        .iter()
        .zip(&p.roots)
        .filter(|(e, _)| dests.contains(&e.dest))
        .map(|(_, &r)| r)
        .filter(|&r| r != NONE);
    let g = &p.graph;
    let mut seen = vec![false; g.block.len()];
    let mut blocks = BTreeSet::new();
    let mut work: Vec<u32> = roots.collect();
    while let Some(s) = work.pop() {
        if std::mem::replace(&mut seen[s as usize], true) {
            continue;
        }
        blocks.insert(g.block[s as usize] as usize);
        work.extend(g.next[s as usize].iter().filter(|&&t| t != NONE));
    }
    Some(blocks.into_iter().collect())
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

/// The walked state graph of a contract, kept for the other questions asked of the same
/// paths (what the transfer functions reach).
pub(crate) struct Walked {
    graph: Graph,
    entries: Vec<Entry>,
    roots: Vec<u32>,
}

/// Reads the privileges of `code` through its dispatcher entries; also returns the walked
/// graph.
pub(crate) fn walk(code: &Code, entries: &[Entry]) -> (Privileges, Walked) {
    let mut words = Words {
        list: Vec::new(),
        ids: HashMap::new(),
        block: Vec::new(),
    };
    let (g, roots) = build(code, entries, &mut words);
    let mut p = Privileges {
        approximate: g.approximate,
        ..Privileges::default()
    };
    let is = |sel: [u8; 4], names: &[&str]| names.iter().any(|n| selector(n) == sel);
    let owner = loaded_from(
        &g,
        entries
            .iter()
            .zip(&roots)
            .filter(|(e, _)| is(e.selector, OWNER_GETTERS))
            .map(|(_, &r)| r),
    );
    // A state that stores an owner slot; then every flag spread to what reaches it.
    let mut flags = g.flags.clone();
    for (s, f) in flags.iter_mut().enumerate() {
        let (a, b) = g.stored[s];
        if g.slots[a as usize..b as usize]
            .iter()
            .any(|x| owner.contains(x))
        {
            *f |= WRITES_OWNER;
        }
    }
    propagate(&g, &mut flags);
    let of = |r: u32| if r == NONE { 0 } else { flags[r as usize] };
    // A getter: no arguments, writes nothing, checks nobody; what it loads it shows. The
    // EIP-1967 slots are public by standard (explorers read the admin and implementation
    // there), so a proxy admin is not hidden.
    let mut shown = loaded_from(
        &g,
        roots
            .iter()
            .copied()
            .filter(|&r| r != NONE && of(r) & (CALLDATA | WRITES | CHECKS) == 0),
    );
    for name in [
        "eip1967.proxy.admin",
        "eip1967.proxy.implementation",
        "eip1967.proxy.beacon",
    ] {
        shown.insert(words.id(eip1967_slot(name), code));
    }
    for (e, &r) in entries.iter().zip(&roots) {
        if is(e.selector, OWNERSHIP) || is(e.selector, OWNER_GETTERS) {
            continue;
        }
        if of(r) & WRITES_OWNER != 0 {
            let name = crate::selectors::lookup(e.selector)
                .map(|k| k.signature.to_string())
                .unwrap_or_else(|| hex::encode(e.selector));
            p.owner_writers.push(name);
        }
    }
    p.owner_writers.sort();
    p.owner_slots = owner.iter().map(|&s| words.hex(s)).collect();
    p.privileged_slots = g.checked.iter().map(|&s| words.hex(s)).collect();
    p.hidden_slots = g
        .checked
        .difference(&shown)
        .map(|&s| words.hex(s))
        .collect();
    let walked = Walked {
        graph: g,
        entries: entries.to_vec(),
        roots,
    };
    (p, walked)
}
