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
//! One graph of (block, stack) states serves every question: it is grown from offset 0 (the
//! dispatcher) and from each dispatcher entry, and a state is interpreted once however many
//! functions reach it (internal functions — `_transfer`, the fee maths, the `onlyOwner`
//! check — are shared by dozens of entries in a real token, and a per-entry walk
//! re-interpreted them for each). The stack is modelled as unknown values all the way down,
//! so the dispatcher's leftover selector below a function's frame is the same state as the
//! function entered with an empty stack: the walk from offset 0 and the walks from the
//! entries share their states too. What each function does is then read off the graph: flags
//! (checks the caller, writes storage, reads calldata, writes the owner's slot) travel
//! backwards along its edges once, the slots getters load are collected by one forward pass,
//! and the blocks reachable from offset 0 or from the transfer functions are the blocks of
//! their states. The graph has one state budget ([`MAX_WALK_STATES`]); past it the findings
//! are what was seen so far and `approximate` says so (and reachability falls back to its own
//! traversal, see `disasm`).

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

/// An abstract stack value in 32 bits: a 3-bit tag on top, a number below. Small and
/// `Copy`, so states hash and compare as plain `u32` slices.
mod v {
    pub const UNKNOWN: u32 = 0;
    const TAG: u32 = 0xe000_0000;
    const SMALL: u32 = 0x2000_0000;
    const WORD: u32 = 0x4000_0000;
    pub const CALLER: u32 = 0x6000_0000;
    const SLOT: u32 = 0x8000_0000;
    /// Constants below this are kept as themselves (jump destinations, slot numbers), with
    /// no interning.
    pub const SMALL_MAX: u64 = 0x2000_0000;

    /// A constant below [`SMALL_MAX`].
    pub fn small(x: u64) -> u32 {
        SMALL | x as u32
    }
    /// A larger constant: an interned 32-byte word.
    pub fn word(id: u32) -> u32 {
        WORD | id
    }
    /// The value loaded from the slot whose key is word `id`.
    pub fn slot(id: u32) -> u32 {
        SLOT | id
    }
    pub fn as_small(x: u32) -> Option<u64> {
        (x & TAG == SMALL).then_some(u64::from(x & !TAG))
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

/// 32-byte constants, interned (slot keys need one identity however they were pushed).
#[derive(Default)]
struct Words {
    list: Vec<[u8; 32]>,
    ids: HashMap<[u8; 32], u32>,
    /// Small constants already interned.
    small: IdMap<u32, u32>,
}

impl Words {
    fn id(&mut self, w: [u8; 32]) -> u32 {
        if let Some(&id) = self.ids.get(&w) {
            return id;
        }
        let id = self.list.len() as u32;
        self.ids.insert(w, id);
        self.list.push(w);
        id
    }

    fn of_small(&mut self, x: u64) -> u32 {
        if let Some(&id) = self.small.get(&(x as u32)) {
            return id;
        }
        let mut w = [0u8; 32];
        w[24..].copy_from_slice(&x.to_be_bytes());
        let id = self.id(w);
        self.small.insert(x as u32, id);
        id
    }

    /// The slot a value names as a storage key, when it is a constant.
    fn slot_of(&mut self, x: u32) -> Option<u32> {
        match v::as_small(x) {
            Some(k) => Some(self.of_small(k)),
            None => v::as_word(x),
        }
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

/// The state graph. States live in one arena (block, then the stack with its unknown bottom
/// trimmed), found by their hash through `index` and `chain`: no allocation per state.
#[derive(Default)]
struct Graph {
    arena: Vec<u32>,
    span: Vec<(u32, u32)>,
    index: IdMap<u64, u32>,
    /// Per state: the previous state with the same hash.
    chain: Vec<u32>,
    /// Per state: its flags, successors, and the slots it loads / stores (ranges in `slots`).
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

thread_local! {
    /// The last graph this thread built, emptied: its buffers (hundreds of kilobytes for a
    /// large contract) serve the next analysis instead of being allocated, page-faulted in and
    /// handed back to the system each time.
    static SPARE: std::cell::RefCell<Graph> = std::cell::RefCell::new(Graph::default());
}

impl Graph {
    /// An empty graph with the full budget, on this thread's spare buffers.
    fn new() -> Self {
        let mut g = SPARE.with(|s| std::mem::take(&mut *s.borrow_mut()));
        g.arena.clear();
        g.span.clear();
        g.index.clear();
        g.chain.clear();
        g.flags.clear();
        g.next.clear();
        g.loaded.clear();
        g.stored.clear();
        g.slots.clear();
        g.checked.clear();
        g.budget = MAX_WALK_STATES;
        g.approximate = false;
        g
    }

    fn len(&self) -> usize {
        self.span.len()
    }

    fn block(&self, s: u32) -> u32 {
        self.arena[self.span[s as usize].0 as usize]
    }

    /// The id of state (`block`, `stack`), creating it (and queueing its interpretation) when
    /// new and the budget allows; [`NONE`] past the budget.
    fn state(&mut self, block: u32, stack: &[u32], work: &mut Vec<u32>) -> u32 {
        let bottom = stack
            .iter()
            .position(|&x| x != v::UNKNOWN)
            .unwrap_or(stack.len());
        let stack = &stack[bottom..];
        let h = key_hash(block, stack);
        let head = self.index.get(&h).copied().unwrap_or(NONE);
        let mut s = head;
        while s != NONE {
            let (a, b) = self.span[s as usize];
            let key = &self.arena[a as usize..b as usize];
            if key[0] == block && &key[1..] == stack {
                return s;
            }
            s = self.chain[s as usize];
        }
        if self.budget == 0 {
            self.approximate = true;
            return NONE;
        }
        self.budget -= 1;
        let id = self.len() as u32;
        let a = self.arena.len() as u32;
        self.arena.push(block);
        self.arena.extend_from_slice(stack);
        self.span.push((a, self.arena.len() as u32));
        self.index.insert(h, id);
        self.chain.push(head);
        self.flags.push(0);
        self.next.push([NONE; 2]);
        self.loaded.push((0, 0));
        self.stored.push((0, 0));
        work.push(id);
        id
    }

    /// The states reachable from `roots` (all of them, in no order).
    fn reachable(&self, roots: impl Iterator<Item = u32>) -> Vec<u32> {
        let mut seen = vec![false; self.len()];
        let mut out = Vec::new();
        let mut work: Vec<u32> = roots.filter(|&r| r != NONE).collect();
        while let Some(s) = work.pop() {
            if std::mem::replace(&mut seen[s as usize], true) {
                continue;
            }
            out.push(s);
            work.extend(self.next[s as usize].iter().filter(|&&t| t != NONE));
        }
        out
    }
}

/// A state's hash: two independent multiply-rotate lanes over the stack, two values per step
/// (the stack is the long part of a key, and one serial lane was the graph's hot spot).
fn key_hash(block: u32, stack: &[u32]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let pair = |c: &[u32]| u64::from(c[0]) | (u64::from(c[1]) << 32);
    let mut a = u64::from(block) | ((stack.len() as u64) << 32);
    let mut b = K;
    let mut chunks = stack.chunks_exact(4);
    for c in &mut chunks {
        a = (a ^ pair(&c[..2])).wrapping_mul(K).rotate_left(23);
        b = (b ^ pair(&c[2..])).wrapping_mul(K).rotate_left(23);
    }
    for &x in chunks.remainder() {
        a = (a ^ u64::from(x)).wrapping_mul(K).rotate_left(23);
    }
    let h = (a ^ b.rotate_left(32)).wrapping_mul(K);
    h ^ (h >> 29)
}

/// Per-instruction PUSH values, computed once per contract: small ones as themselves, large
/// ones interned.
fn push_values(code: &Code, words: &mut Words) -> Vec<u32> {
    code.instrs()
        .iter()
        .map(|i| {
            if !(op::PUSH0..=op::PUSH32).contains(&i.op) {
                return NONE;
            }
            match code.push_value(i).filter(|&x| x < v::SMALL_MAX) {
                Some(x) => v::small(x),
                None => {
                    let d = code.data(i);
                    let mut w = [0u8; 32];
                    w[32 - d.len()..].copy_from_slice(d);
                    // A large value that fits 64 bits still has one identity with its small
                    // spelling's word (both are the same 32 bytes).
                    v::word(words.id(w))
                }
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

/// Scratch space reused across states.
struct Scratch {
    st: Vec<u32>,
    loaded: Vec<u32>,
    stored: Vec<u32>,
    work: Vec<u32>,
}

/// Interprets state `id` (its block entered with its stack): records its flags and slots and
/// creates its successors. The stack has unknown values below what it holds: popping past
/// the bottom gives unknown, and a SWAP past it exchanges with an unknown.
fn interpret(
    code: &Code,
    g: &mut Graph,
    pushes: &[u32],
    words: &mut Words,
    id: u32,
    x: &mut Scratch,
) {
    let (a, b) = g.span[id as usize];
    let block = g.arena[a as usize] as usize;
    let st = &mut x.st;
    st.clear();
    st.extend_from_slice(&g.arena[a as usize + 1..b as usize]);
    x.loaded.clear();
    x.stored.clear();
    let pop = |st: &mut Vec<u32>| st.pop().unwrap_or(v::UNKNOWN);
    let (instrs, end) = code.block(block);
    let first = end - instrs.len();
    let mut flags = 0u8;
    let mut target = v::UNKNOWN;
    for (k, i) in instrs.iter().enumerate() {
        match i.op {
            op::PUSH0..=op::PUSH32 => st.push(pushes[first + k]),
            op::DUP1..=op::DUP16 => {
                let n = usize::from(i.op - op::DUP1) + 1;
                let y = if st.len() >= n {
                    st[st.len() - n]
                } else {
                    v::UNKNOWN
                };
                st.push(y);
            }
            0x90..=0x9f => {
                let n = usize::from(i.op - 0x90) + 1;
                if st.len() <= n {
                    // Bring the unknown values below into view.
                    let pad = n + 1 - st.len();
                    st.splice(0..0, std::iter::repeat_n(v::UNKNOWN, pad));
                }
                let len = st.len();
                st.swap(len - 1, len - 1 - n);
            }
            0x33 => st.push(v::CALLER),
            0x54 => {
                let key = pop(st);
                match words.slot_of(key) {
                    Some(s) => {
                        x.loaded.push(s);
                        st.push(v::slot(s));
                    }
                    None => st.push(v::UNKNOWN),
                }
            }
            op::SSTORE => {
                let key = pop(st);
                pop(st);
                flags |= WRITES;
                if let Some(s) = words.slot_of(key) {
                    x.stored.push(s);
                }
            }
            0x16 => {
                let (l, r) = (pop(st), pop(st));
                st.push(keep(l, r));
            }
            // SHR(shift, value) and DIV(value, divisor): a packed address read out of its
            // slot is still that slot's value.
            0x1c => {
                pop(st);
                let y = pop(st);
                st.push(if v::is_slot(y) { y } else { v::UNKNOWN });
            }
            0x04 => {
                let y = pop(st);
                pop(st);
                st.push(if v::is_slot(y) { y } else { v::UNKNOWN });
            }
            op::EQ => {
                let (l, r) = (pop(st), pop(st));
                let s = if l == v::CALLER {
                    v::slot_id(r)
                } else if r == v::CALLER {
                    v::slot_id(l)
                } else {
                    None
                };
                if let Some(s) = s {
                    g.checked.insert(s);
                    flags |= CHECKS;
                }
                st.push(v::UNKNOWN);
            }
            op::JUMP => target = pop(st),
            op::JUMPI => {
                target = pop(st);
                pop(st);
            }
            other => {
                if matches!(other, 0x35 | 0x37) {
                    flags |= CALLDATA;
                }
                let (n_in, n_out) = arity(other);
                for _ in 0..n_in {
                    pop(st);
                }
                st.extend(std::iter::repeat_n(v::UNKNOWN, n_out));
            }
        }
        if st.len() > STACK_KEEP {
            st.drain(..st.len() - STACK_KEEP);
        }
    }
    let u = id as usize;
    g.flags[u] = flags;
    let start = g.slots.len() as u32;
    g.slots.extend_from_slice(&x.loaded);
    let mid = g.slots.len() as u32;
    g.slots.extend_from_slice(&x.stored);
    g.loaded[u] = (start, mid);
    g.stored[u] = (mid, g.slots.len() as u32);
    let mut next = [NONE; 2];
    if let Some(tb) = v::as_small(target).and_then(|t| code.block_at(t)) {
        next[0] = g.state(tb as u32, &x.st, &mut x.work);
    }
    let last = instrs[instrs.len() - 1];
    if !ends_flow(last.op) && end < code.instrs().len() {
        next[1] = g.state(code.block_of_instr(end) as u32, &x.st, &mut x.work);
    }
    g.next[u] = next;
}

/// Grows the graph from offset 0 and from every entry (empty stack at its first block).
/// Returns the graph, the state at offset 0 and each entry's root state.
fn build(code: &Code, entries: &[Entry], words: &mut Words) -> (Graph, u32, Vec<u32>) {
    let pushes = push_values(code, words);
    let mut g = Graph::new();
    let mut x = Scratch {
        st: Vec::with_capacity(STACK_KEEP + 16),
        loaded: Vec::new(),
        stored: Vec::new(),
        work: Vec::new(),
    };
    let run = |g: &mut Graph, x: &mut Scratch, words: &mut Words, block: usize| {
        let root = g.state(block as u32, &[], &mut x.work);
        while let Some(id) = x.work.pop() {
            interpret(code, g, &pushes, words, id, x);
        }
        root
    };
    let start = run(&mut g, &mut x, words, 0);
    let roots = entries
        .iter()
        .map(|e| match code.block_at(u64::from(e.dest)) {
            Some(b) => run(&mut g, &mut x, words, b),
            None => NONE,
        })
        .collect();
    (g, start, roots)
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
    let mut out = BTreeSet::new();
    for s in g.reachable(roots) {
        let (a, b) = g.loaded[s as usize];
        out.extend(g.slots[a as usize..b as usize].iter().copied());
    }
    out
}

impl Drop for Walked {
    fn drop(&mut self) {
        let g = std::mem::take(&mut self.graph);
        SPARE.with(|s| *s.borrow_mut() = g);
    }
}

impl Walked {
    /// The blocks reachable from offset 0, or `None` when the graph is incomplete.
    pub(crate) fn blocks_from_start(&self) -> Option<Vec<usize>> {
        self.blocks(std::iter::once(self.start))
    }

    /// The blocks reachable from the entries jumping to `dests`, or `None` when the graph is
    /// incomplete.
    pub(crate) fn blocks_from(&self, dests: &[u32]) -> Option<Vec<usize>> {
        let roots = self
            .entries
            .iter()
            .zip(&self.roots)
            .filter(|(e, _)| dests.contains(&e.dest))
            .map(|(_, &r)| r);
        self.blocks(roots)
    }

    fn blocks(&self, roots: impl Iterator<Item = u32>) -> Option<Vec<usize>> {
        if self.graph.approximate {
            return None;
        }
        let mut blocks: Vec<usize> = self
            .graph
            .reachable(roots)
            .into_iter()
            .map(|s| self.graph.block(s) as usize)
            .collect();
        blocks.sort_unstable();
        blocks.dedup();
        Some(blocks)
    }
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

/// The selectors of [`OWNERSHIP`] and [`OWNER_GETTERS`], hashed once per process.
fn standard() -> (&'static [[u8; 4]], &'static [[u8; 4]]) {
    type Selectors = Vec<[u8; 4]>;
    static SETS: std::sync::OnceLock<(Selectors, Selectors)> = std::sync::OnceLock::new();
    let (a, b) = SETS.get_or_init(|| {
        (
            OWNERSHIP.iter().map(|n| selector(n)).collect(),
            OWNER_GETTERS.iter().map(|n| selector(n)).collect(),
        )
    });
    (a, b)
}

/// The walked state graph of a contract, kept for the other questions asked of the same
/// paths (what the transfer functions reach).
pub(crate) struct Walked {
    graph: Graph,
    entries: Vec<Entry>,
    start: u32,
    roots: Vec<u32>,
}

/// Reads the privileges of `code` through its dispatcher entries; also returns the walked
/// graph.
pub(crate) fn walk(code: &Code, entries: &[Entry]) -> (Privileges, Walked) {
    let mut words = Words::default();
    let (g, start, roots) = build(code, entries, &mut words);
    let mut p = Privileges {
        approximate: g.approximate,
        ..Privileges::default()
    };
    let (ownership, getters) = standard();
    let is = |sel: [u8; 4], set: &[[u8; 4]]| set.contains(&sel);
    let owner = loaded_from(
        &g,
        entries
            .iter()
            .zip(&roots)
            .filter(|(e, _)| is(e.selector, getters))
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
        shown.insert(words.id(eip1967_slot(name)));
    }
    for (e, &r) in entries.iter().zip(&roots) {
        if is(e.selector, ownership) || is(e.selector, getters) {
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
        start,
        roots,
    };
    (p, walked)
}
