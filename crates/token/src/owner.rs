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
//! their states.
//!
//! Internal functions are summarised. A `JUMP` whose stack holds a return address pushed in
//! the current function is a call: the callee is walked in a context of its own (a summary)
//! from a stack that shows only the caller's top entries (its window, grown when the walk
//! reaches below it), with every constant there — return addresses, offsets, slot numbers —
//! replaced by a stand-in naming its depth. Callers whose windows differ only in such
//! constants share the walk. A jump to a stand-in is an exit; each caller resumes at its own
//! value for it, with its own stack below the window put back. The values that could change
//! the walk stay exact: `msg.sender` and loaded slots are kept in the window as they are, a
//! stand-in used as a storage key voids the summary and keeps that depth's constant for the
//! function from then on, and a function whose stack could pass the kept depth
//! ([`STACK_KEEP`]) for some caller is summarised over whole stacks instead. The 19 KB
//! fixture went from ~10 000 states to ~2 100 this way, with identical findings.
//!
//! The graph has one state budget ([`MAX_WALK_STATES`]); past it the findings
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

/// Most returns from function summaries resumed per contract (a caller after one exit of the
/// function it called): a function with thousands of exits called from thousands of places
/// would otherwise cost their product even where the states it leads to are few.
const MAX_RESUMES: usize = 4 * MAX_WALK_STATES;

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
    /// A stand-in, inside a function summary, for the constant its caller had at this depth
    /// on the stack (from the top) when it called.
    const ARG: u32 = 0xa000_0000;
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
    /// The stand-in for depth `d`.
    pub fn arg(d: u32) -> u32 {
        ARG | d
    }
    pub fn is_arg(x: u32) -> bool {
        x & TAG == ARG
    }
    pub fn as_arg(x: u32) -> Option<u32> {
        is_arg(x).then_some(x & !TAG)
    }
    /// The bottom of a summary's window: the caller's stack below it is out of the
    /// summary's sight.
    pub const FLOOR: u32 = 0xe000_0000;
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
/// The context of states walked with concrete stacks (from offset 0 and the entries).
const ROOT: u32 = 0x7fff_ffff;
/// Marks a context id in the key of an exit (see [`Graph::exit`]).
const EXIT: u32 = 0x8000_0000;
/// A summary that sees the caller's whole stack (see [`Graph::windows`]).
const FULL: u32 = u32::MAX;
/// The window a function is first summarised with: its return address and a few arguments.
const FIRST_WINDOW: u32 = 4;

/// `u32` keys (a head of two words, then a stack) interned in one arena and found by their
/// hash through `index` and `chain`: no allocation per key.
#[derive(Default)]
struct Table {
    arena: Vec<u32>,
    span: Vec<(u32, u32)>,
    index: IdMap<u64, u32>,
    /// Per key: the previous key with the same hash.
    chain: Vec<u32>,
}

impl Table {
    fn clear(&mut self) {
        self.arena.clear();
        self.span.clear();
        self.index.clear();
        self.chain.clear();
    }

    fn len(&self) -> usize {
        self.span.len()
    }

    fn key(&self, id: u32) -> &[u32] {
        let (a, b) = self.span[id as usize];
        &self.arena[a as usize..b as usize]
    }

    /// The id of (`head`, `tail`), or [`NONE`].
    fn find(&self, head: [u32; 2], tail: &[u32], h: u64) -> u32 {
        let mut s = self.index.get(&h).copied().unwrap_or(NONE);
        while s != NONE {
            let key = self.key(s);
            if key[..2] == head && &key[2..] == tail {
                return s;
            }
            s = self.chain[s as usize];
        }
        NONE
    }

    /// Adds (`head`, `tail`), known to be absent.
    fn insert(&mut self, head: [u32; 2], tail: &[u32], h: u64) -> u32 {
        let id = self.len() as u32;
        let a = self.arena.len() as u32;
        self.arena.extend_from_slice(&head);
        self.arena.extend_from_slice(tail);
        self.span.push((a, self.arena.len() as u32));
        let prev = self.index.insert(h, id).unwrap_or(NONE);
        self.chain.push(prev);
        id
    }
}

/// A function summary: the walk of the code from `block` with the caller's return addresses
/// and other constants replaced by their depth on the stack (see the module docs).
struct Summary {
    /// The entry state (in this summary's context), [`NONE`] past the budget.
    entry: u32,
    block: u32,
    /// How many of the caller's top stack entries the summary sees ([`FULL`]: all).
    window: u32,
    /// Windowed: the most entries any caller has below the window, and the most the walk
    /// stacked above the floor. Their sum stays within [`STACK_KEEP`], so no caller's stack
    /// would have been cut inside the function (else the function goes [`FULL`]).
    below: u32,
    height: u32,
    /// Windowed summaries this one calls, each with the entries its own window leaves
    /// below theirs.
    calls: Vec<(u32, u32)>,
    /// The walk used a stand-in's value (a storage key): it is void, its callers were sent to
    /// a summary that keeps that value (see [`Graph::pins`]).
    dead: bool,
    /// Indexes into [`Graph::callers`].
    callers: Vec<u32>,
    /// Exit states, each a jump back to a stand-in with the stack it had.
    exits: Vec<u32>,
}

/// A state that called a summary, with its context and its own (concrete) stack.
#[derive(Clone, Copy)]
struct Caller {
    state: u32,
    ctx: u32,
    stack: (u32, u32),
}

/// The state graph. A state is (context, block, stack with its unknown bottom trimmed).
#[derive(Default)]
struct Graph {
    states: Table,
    /// Per state: its flags, successors, and the slots it loads / stores (ranges in `slots`).
    flags: Vec<u8>,
    next: Vec<[u32; 2]>,
    loaded: Vec<(u32, u32)>,
    stored: Vec<(u32, u32)>,
    slots: Vec<u32>,
    /// Edges of calls: caller to the callee's entry, caller to each place it returns to.
    extra: Vec<(u32, u32)>,
    /// Slots compared against the caller anywhere.
    checked: BTreeSet<u32>,
    budget: usize,
    /// Resumes left ([`MAX_RESUMES`]).
    resumes: usize,
    approximate: bool,
    /// Summaries by (block, stack with stand-ins).
    sums: Table,
    sum: Vec<Summary>,
    callers: Vec<Caller>,
    /// The callers' stacks.
    stacks: Vec<u32>,
    /// Per function block: stack depths whose constants a summary must keep (bit d: depth d
    /// from the top), because the function used such a value as a storage key.
    pins: IdMap<u32, u64>,
    /// Per function block: how many top stack entries its summaries see. Grows when a walk
    /// reaches below its window; [`FULL`] when the stack could outgrow [`STACK_KEEP`] (the
    /// entries dropped then depend on the depth below).
    windows: IdMap<u32, u32>,
    /// States to interpret, exits whose callers have not heard of them yet, summaries just
    /// voided.
    work: Vec<u32>,
    new_exits: Vec<u32>,
    kills: Vec<u32>,
    /// Successors of live states (calls included), built once the walk is over.
    succ_at: Vec<u32>,
    succ: Vec<u32>,
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
        g.states.clear();
        g.flags.clear();
        g.next.clear();
        g.loaded.clear();
        g.stored.clear();
        g.slots.clear();
        g.extra.clear();
        g.checked.clear();
        g.sums.clear();
        g.sum.clear();
        g.callers.clear();
        g.stacks.clear();
        g.pins.clear();
        g.windows.clear();
        g.work.clear();
        g.new_exits.clear();
        g.kills.clear();
        g.succ_at.clear();
        g.succ.clear();
        g.budget = MAX_WALK_STATES;
        g.resumes = MAX_RESUMES;
        g.approximate = false;
        g
    }

    fn len(&self) -> usize {
        self.states.len()
    }

    fn ctx(&self, s: u32) -> u32 {
        self.states.key(s)[0]
    }

    fn block(&self, s: u32) -> u32 {
        self.states.key(s)[1]
    }

    /// A context whose states count: the root, or a summary still valid.
    fn live(&self, ctx: u32) -> bool {
        ctx == ROOT || self.sum.get(ctx as usize).is_some_and(|s| !s.dead)
    }

    /// A live state that is no exit.
    fn counts(&self, s: u32) -> bool {
        let c = self.ctx(s);
        c & EXIT == 0 && self.live(c)
    }

    /// The id of state (`ctx`, `block`, `stack`), creating it (and queueing its
    /// interpretation, unless it is an exit) when new and the budget allows; [`NONE`] past
    /// the budget.
    fn state(&mut self, ctx: u32, block: u32, stack: &[u32]) -> u32 {
        let bottom = stack
            .iter()
            .position(|&x| x != v::UNKNOWN)
            .unwrap_or(stack.len());
        let stack = &stack[bottom..];
        let head = [ctx, block];
        let h = key_hash(head, stack);
        let s = self.states.find(head, stack, h);
        if s != NONE {
            return s;
        }
        if self.budget == 0 {
            self.approximate = true;
            return NONE;
        }
        self.budget -= 1;
        let id = self.states.insert(head, stack, h);
        self.flags.push(0);
        self.next.push([NONE; 2]);
        self.loaded.push((0, 0));
        self.stored.push((0, 0));
        if ctx & EXIT == 0 {
            self.work.push(id);
        }
        id
    }

    /// Summary `ctx` jumps back to its stand-in at depth `d` with `stack`: a new exit is
    /// queued for its callers.
    fn exit(&mut self, ctx: u32, d: u32, stack: &[u32]) {
        let before = self.len();
        let e = self.state(ctx | EXIT, d, stack);
        if e != NONE && self.len() > before {
            self.new_exits.push(e);
        }
    }

    /// Summary `ctx` used the constant its caller had at depth `d` as a storage key: keep that
    /// depth's constant for every later call of the same function, and void this summary
    /// (its callers are sent to one that keeps it).
    fn sensitive(&mut self, ctx: u32, d: u32) {
        if let Some(block) = self.void(ctx)
            && d < 64
        {
            *self.pins.entry(block).or_default() |= 1 << d;
        }
    }

    /// Summary `ctx` reached `more` entries below its window: later calls of its function
    /// see that many more, and this summary is void.
    fn widen(&mut self, ctx: u32, more: u32) {
        let Some(window) = self.sum.get(ctx as usize).map(|s| s.window) else {
            return;
        };
        if let Some(block) = self.void(ctx) {
            let w = self.windows.entry(block).or_insert(FIRST_WINDOW);
            if *w != FULL {
                *w = (*w).max(window.saturating_add(more));
            }
        }
    }

    /// A caller of windowed summary `sid` has `below` entries under the window: the most
    /// so far is kept, and passed on to the summaries it calls.
    fn raise(&mut self, sid: u32, below: u32) {
        let mut work = vec![(sid, below)];
        while let Some((sid, below)) = work.pop() {
            let s = &mut self.sum[sid as usize];
            if s.dead || below <= s.below {
                continue;
            }
            s.below = below;
            if below + s.height > STACK_KEEP as u32 {
                self.go_full(sid);
                continue;
            }
            work.extend(s.calls.iter().map(|&(c, extra)| (c, below + extra)));
        }
    }

    /// Summary `ctx` may drop stack entries past [`STACK_KEEP`], which depends on the depth
    /// below its window: its function is summarised over whole stacks from now on.
    fn go_full(&mut self, ctx: u32) {
        if let Some(block) = self.void(ctx) {
            self.windows.insert(block, FULL);
        }
    }

    /// Voids summary `ctx` (once) and queues its callers to be sent elsewhere; its block.
    fn void(&mut self, ctx: u32) -> Option<u32> {
        let s = self.sum.get_mut(ctx as usize)?;
        if s.dead {
            return None;
        }
        s.dead = true;
        self.kills.push(ctx);
        Some(s.block)
    }

    /// Successor lists of the live states (a block's own edges and its calls' edges).
    fn link(&mut self) {
        let n = self.len();
        let mut at = std::mem::take(&mut self.succ_at);
        let mut succ = std::mem::take(&mut self.succ);
        let ok: Vec<bool> = (0..n as u32).map(|s| self.counts(s)).collect();
        let edge = |f: u32, t: u32| t != NONE && ok[f as usize] && ok[t as usize];
        at.clear();
        at.resize(n + 1, 0);
        for (f, nx) in self.next.iter().enumerate() {
            at[f + 1] += nx.iter().filter(|&&t| edge(f as u32, t)).count() as u32;
        }
        for &(f, t) in &self.extra {
            if edge(f, t) {
                at[f as usize + 1] += 1;
            }
        }
        for i in 0..n {
            at[i + 1] += at[i];
        }
        succ.clear();
        succ.resize(at[n] as usize, 0);
        let mut fill = at.clone();
        for (f, nx) in self.next.iter().enumerate() {
            for &t in nx {
                if edge(f as u32, t) {
                    succ[fill[f] as usize] = t;
                    fill[f] += 1;
                }
            }
        }
        for &(f, t) in &self.extra {
            if edge(f, t) {
                succ[fill[f as usize] as usize] = t;
                fill[f as usize] += 1;
            }
        }
        self.succ_at = at;
        self.succ = succ;
    }

    fn successors(&self, s: u32) -> &[u32] {
        &self.succ[self.succ_at[s as usize] as usize..self.succ_at[s as usize + 1] as usize]
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
            work.extend_from_slice(self.successors(s));
        }
        out
    }
}

/// A key's hash: two independent multiply-rotate lanes over the stack, two values per step
/// (the stack is the long part of a key, and one serial lane was the graph's hot spot).
fn key_hash(head: [u32; 2], stack: &[u32]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let pair = |c: &[u32]| u64::from(c[0]) | (u64::from(c[1]) << 32);
    let mut a = u64::from(head[1]) | ((stack.len() as u64) << 32);
    let mut b = K ^ u64::from(head[0]);
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

/// How many stack entries an instruction reads or moves.
fn reach(o: u8) -> usize {
    match o {
        op::PUSH0..=op::PUSH32 => 0,
        op::DUP1..=op::DUP16 => usize::from(o - op::DUP1) + 1,
        0x90..=0x9f => usize::from(o - 0x90) + 2,
        _ => arity(o).0,
    }
}

/// Scratch space reused across states.
#[derive(Default)]
struct Scratch {
    st: Vec<u32>,
    loaded: Vec<u32>,
    stored: Vec<u32>,
    bufs: Bufs,
}

/// Buffers of calls and returns.
#[derive(Default)]
struct Bufs {
    rel: Vec<u32>,
    inst: Vec<u32>,
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
    let key = g.states.key(id);
    let (ctx, block) = (key[0], key[1] as usize);
    // Inside a windowed summary: how high the stack may grow above the floor before some
    // caller's stack would have been cut.
    let floor = (key.get(2) == Some(&v::FLOOR))
        .then(|| STACK_KEEP.saturating_sub(g.sum[ctx as usize].below as usize) + 1);
    let mut peak = 0;
    let st = &mut x.st;
    st.clear();
    st.extend_from_slice(&key[2..]);
    x.loaded.clear();
    x.stored.clear();
    let pop = |st: &mut Vec<u32>| st.pop().unwrap_or(v::UNKNOWN);
    let (instrs, end) = code.block(block);
    let first = end - instrs.len();
    let mut flags = 0u8;
    let mut target = v::UNKNOWN;
    for (k, i) in instrs.iter().enumerate() {
        if let Some(room) = floor {
            // The floor sits at the bottom; an instruction reaching it would read the
            // caller's stack below the window.
            if st.len() <= 17 {
                let need = reach(i.op) + 1;
                if need > st.len() {
                    g.widen(ctx, (need - st.len()) as u32);
                    return;
                }
            }
            // Grown so far that a caller's whole stack could pass STACK_KEEP: which
            // entries drop out depends on the caller.
            if st.len() > room {
                g.go_full(ctx);
                return;
            }
            peak = peak.max(st.len());
        }
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
                if let Some(d) = v::as_arg(key) {
                    // A caller's constant is a storage key here: this summary cannot stand
                    // for all its callers.
                    g.sensitive(ctx, d);
                    return;
                }
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
                if let Some(d) = v::as_arg(key) {
                    g.sensitive(ctx, d);
                    return;
                }
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
    if floor.is_some() && peak > 0 {
        let s = &mut g.sum[ctx as usize];
        s.height = s.height.max(peak as u32 - 1);
    }
    let u = id as usize;
    g.flags[u] = flags;
    let start = g.slots.len() as u32;
    g.slots.extend_from_slice(&x.loaded);
    let mid = g.slots.len() as u32;
    g.slots.extend_from_slice(&x.stored);
    g.loaded[u] = (start, mid);
    g.stored[u] = (mid, g.slots.len() as u32);
    let last = instrs[instrs.len() - 1];
    let mut next = [NONE; 2];
    if let Some(tb) = v::as_small(target).and_then(|t| code.block_at(t)) {
        // A call: a JUMP with a return address of this context on the stack (solc pushes
        // it before the arguments). Anything else is a jump within the function.
        let returns = last.op == op::JUMP
            && x.st
                .iter()
                .any(|&y| v::as_small(y).is_some_and(|a| code.is_jumpdest(a)));
        if returns {
            call(code, g, id, ctx, tb as u32, &x.st, &mut x.bufs);
        } else {
            next[0] = g.state(ctx, tb as u32, &x.st);
        }
    } else if let Some(d) = v::as_arg(target) {
        g.exit(ctx, d, &x.st);
    }
    if !ends_flow(last.op) && end < code.instrs().len() {
        next[1] = g.state(ctx, code.block_of_instr(end) as u32, &x.st);
    }
    g.next[u] = next;
}

/// State `from` (in context `ctx`, with stack `st`) calls the function at `block`: the
/// summary of that function for this stack shape (created and queued when new) is entered,
/// and the caller resumes after each of its exits.
///
/// The summary's stack is the caller's with every constant (a return address, a memory
/// offset, a slot number) and every stand-in of an enclosing summary replaced by a stand-in
/// naming its depth: callers that differ only in those share one walk of the function.
/// Everything the walk reads off a stand-in is exact for each caller: a jump to one is an
/// exit (resumed at the caller's value), arithmetic on one is unknown as it is on a
/// constant, and a mask or a comparison with the caller treat a constant like an unknown.
/// The one use that needs the value — a storage key — voids the summary and pins that
/// depth for the function ([`Graph::sensitive`]).
fn call(code: &Code, g: &mut Graph, from: u32, ctx: u32, block: u32, st: &[u32], b: &mut Bufs) {
    let bottom = st.iter().position(|&y| y != v::UNKNOWN).unwrap_or(st.len());
    let s = &st[bottom..];
    let n = s.len();
    let pins = g.pins.get(&block).copied().unwrap_or(0);
    let want = g.windows.get(&block).copied().unwrap_or(FIRST_WINDOW);
    b.rel.clear();
    // The entries the callee sees: the top `window`, above a floor saying how deep the rest
    // may be; or the whole stack.
    // Entries below the window: (from the caller's own floor, under the callee's window).
    let mut under = None;
    let window = if s.first() == Some(&v::FLOOR) {
        // The caller is a windowed summary: the callee must fit inside its window.
        let mine = (n - 1) as u32;
        if want == FULL {
            g.go_full(ctx);
            return;
        }
        if want > mine {
            g.widen(ctx, want - mine);
            return;
        }
        b.rel.push(v::FLOOR);
        under = Some((true, mine - want));
        want
    } else if want != FULL && (want as usize) < n {
        b.rel.push(v::FLOOR);
        under = Some((false, n as u32 - want));
        want
    } else {
        FULL
    };
    let seen = if window == FULL {
        s
    } else {
        &s[n - window as usize..]
    };
    for (i, &y) in seen.iter().enumerate() {
        let d = (seen.len() - 1 - i) as u32;
        let constant = v::as_small(y).is_some() || v::as_word(y).is_some() || v::is_arg(y);
        if !constant {
            b.rel.push(y);
        } else if d < 64 && pins & (1 << d) != 0 {
            if let Some(outer) = v::as_arg(y) {
                // The enclosing summary's own stand-in is needed: that summary is void too.
                g.sensitive(ctx, outer);
                return;
            }
            b.rel.push(y);
        } else {
            b.rel.push(v::arg(d));
        }
    }
    let head = [block, window];
    let h = key_hash(head, &b.rel);
    let mut sid = g.sums.find(head, &b.rel, h);
    if sid == NONE {
        sid = g.sums.insert(head, &b.rel, h);
        let entry = g.state(sid, block, &b.rel);
        g.sum.push(Summary {
            entry,
            block,
            window,
            below: 0,
            height: 0,
            calls: Vec::new(),
            dead: false,
            callers: Vec::new(),
            exits: Vec::new(),
        });
    }
    // A registration costs one state of the budget: a caller may be sent to a new summary
    // each time its callee's is voided, and that work must stay bounded too.
    if g.budget == 0 {
        g.approximate = true;
        return;
    }
    g.budget -= 1;
    let at = g.stacks.len() as u32;
    g.stacks.extend_from_slice(s);
    let c = g.callers.len() as u32;
    g.callers.push(Caller {
        state: from,
        ctx,
        stack: (at, g.stacks.len() as u32),
    });
    match under {
        Some((true, extra)) => {
            let outer = &mut g.sum[ctx as usize];
            if !outer.calls.contains(&(sid, extra)) {
                outer.calls.push((sid, extra));
            }
            let below = outer.below + extra;
            g.raise(sid, below);
        }
        Some((false, below)) => g.raise(sid, below),
        None => {}
    }
    // Voided just now (too deep for a window) or not: once registered, the caller is sent
    // to the right summary when the voided one's callers are.
    let sum = &mut g.sum[sid as usize];
    sum.callers.push(c);
    let entry = sum.entry;
    if entry != NONE {
        g.extra.push((from, entry));
    }
    for k in 0..g.sum[sid as usize].exits.len() {
        let e = g.sum[sid as usize].exits[k];
        resume(code, g, c, e, b);
    }
}

/// Caller `c` resumes after exit `e` of the summary it called: the exit's stack with the
/// caller's values put back for the stand-ins, at the caller's value of the stand-in the
/// exit jumped to.
fn resume(code: &Code, g: &mut Graph, c: u32, e: u32, b: &mut Bufs) {
    let Caller { state, ctx, stack } = g.callers[c as usize];
    if !g.live(ctx) {
        return;
    }
    if g.resumes == 0 {
        g.approximate = true;
        return;
    }
    g.resumes -= 1;
    let s = &g.stacks[stack.0 as usize..stack.1 as usize];
    let n = s.len();
    let key = g.states.key(e);
    let window = g.sum[(key[0] & !EXIT) as usize].window;
    // The exit's stack lies on the caller's entries below the window, untouched.
    let (below, exit) = if window == FULL {
        (0, &key[2..])
    } else {
        match key.get(2) {
            Some(&v::FLOOR) => (n.saturating_sub(window as usize), &key[3..]),
            _ => return,
        }
    };
    let at = |d: u32| n.checked_sub(1 + d as usize).map(|i| s[i]);
    let Some(target) = at(key[1]) else {
        return;
    };
    b.inst.clear();
    b.inst.extend_from_slice(&s[..below]);
    for &y in exit {
        b.inst
            .push(v::as_arg(y).map_or(Some(y), at).unwrap_or(v::UNKNOWN));
    }
    if let Some(tb) = v::as_small(target).and_then(|t| code.block_at(t)) {
        let to = g.state(ctx, tb as u32, &b.inst);
        if to != NONE {
            g.extra.push((state, to));
        }
    } else if let Some(d) = v::as_arg(target) {
        // The caller is itself inside a summary and returns to its own caller from here.
        g.exit(ctx, d, &b.inst);
    }
}

/// Grows the graph from offset 0 and from every entry (empty stack at its first block).
/// Returns the graph, the state at offset 0 and each entry's root state.
fn build(code: &Code, entries: &[Entry], words: &mut Words) -> (Graph, u32, Vec<u32>) {
    let pushes = push_values(code, words);
    let mut g = Graph::new();
    let mut x = Scratch::default();
    x.st.reserve(STACK_KEEP + 16);
    let run = |g: &mut Graph, x: &mut Scratch, words: &mut Words, block: usize| {
        let root = g.state(ROOT, block as u32, &[]);
        drain(code, g, &pushes, words, x);
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
    g.link();
    (g, start, roots)
}

/// Works until nothing is left: voided summaries' callers are sent elsewhere, new exits
/// reach their callers, queued states are interpreted.
fn drain(code: &Code, g: &mut Graph, pushes: &[u32], words: &mut Words, x: &mut Scratch) {
    loop {
        if let Some(dead) = g.kills.pop() {
            let block = g.sum[dead as usize].block;
            let callers = g.sum[dead as usize].callers.clone();
            let mut st = Vec::new();
            for c in callers {
                let Caller { state, ctx, stack } = g.callers[c as usize];
                if g.live(ctx) {
                    st.clear();
                    st.extend_from_slice(&g.stacks[stack.0 as usize..stack.1 as usize]);
                    call(code, g, state, ctx, block, &st, &mut x.bufs);
                }
            }
        } else if let Some(e) = g.new_exits.pop() {
            let ctx = g.ctx(e) & !EXIT;
            if !g.live(ctx) {
                continue;
            }
            g.sum[ctx as usize].exits.push(e);
            for k in 0..g.sum[ctx as usize].callers.len() {
                let c = g.sum[ctx as usize].callers[k];
                resume(code, g, c, e, &mut x.bufs);
            }
        } else if let Some(id) = g.work.pop() {
            if g.live(g.ctx(id)) {
                interpret(code, g, pushes, words, id, x);
            }
        } else {
            return;
        }
    }
}

/// Spreads flags backwards: a state gets every flag of the states it reaches.
fn propagate(g: &Graph, flags: &mut [u8]) {
    let n = flags.len();
    // Predecessor lists, as offsets into one array.
    let mut count = vec![0u32; n + 1];
    for &t in &g.succ {
        count[t as usize + 1] += 1;
    }
    for i in 0..n {
        count[i + 1] += count[i];
    }
    let mut fill = count.clone();
    let mut preds = vec![0u32; count[n] as usize];
    for s in 0..n as u32 {
        for &t in g.successors(s) {
            preds[fill[t as usize] as usize] = s;
            fill[t as usize] += 1;
        }
    }
    let mut work: Vec<u32> = (0..n as u32)
        .filter(|&s| flags[s as usize] != 0 && g.counts(s))
        .collect();
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
        let mut mark = vec![false; self.blocks];
        for s in self.graph.reachable(roots) {
            mark[self.graph.block(s) as usize] = true;
        }
        Some(
            mark.iter()
                .enumerate()
                .filter(|(_, m)| **m)
                .map(|(b, _)| b)
                .collect(),
        )
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
    /// The code's block count.
    blocks: usize,
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
        blocks: code.block_count(),
        entries: entries.to_vec(),
        start,
        roots,
    };
    (p, walked)
}
