//! EVM disassembly and control flow: instructions with PUSH data skipped, basic blocks, the
//! selectors the dispatcher compares against, and what each entry point can reach.
//!
//! Jumps in compiled Solidity are `PUSH dest; JUMP(I)` or, for internal functions returning,
//! a `JUMP` to an address the caller pushed earlier and that travelled down the stack. So
//! reachability runs a small abstract interpretation: each block is entered with a stack of
//! values that are either a known jump destination or unknown, every opcode moves the stack
//! by its arity (DUP and SWAP copy and exchange the known values), and a jump goes where its
//! operand says. States are (block, stack) pairs, at most [`MAX_STATES`] per question; past
//! that the answer falls back to a cruder rule (every pushed destination is a successor) that
//! over-approximates but never misses a path, and says so.

use crate::error::TokenError;

/// The largest code accepted: twice EIP-170's 24 576 bytes, so contracts on chains with a
/// higher limit are still read, while hostile megabytes are refused before any work.
pub const MAX_CODE: usize = 2 * 24_576;

/// Opcodes the analysis looks at.
#[allow(missing_docs)]
pub mod op {
    pub const STOP: u8 = 0x00;
    pub const EQ: u8 = 0x14;
    pub const TIMESTAMP: u8 = 0x42;
    pub const NUMBER: u8 = 0x43;
    pub const SSTORE: u8 = 0x55;
    pub const JUMP: u8 = 0x56;
    pub const JUMPI: u8 = 0x57;
    pub const JUMPDEST: u8 = 0x5b;
    pub const PUSH0: u8 = 0x5f;
    pub const PUSH1: u8 = 0x60;
    pub const PUSH4: u8 = 0x63;
    pub const PUSH32: u8 = 0x7f;
    pub const DUP1: u8 = 0x80;
    pub const DUP16: u8 = 0x8f;
    pub const CALL: u8 = 0xf1;
    pub const CALLCODE: u8 = 0xf2;
    pub const RETURN: u8 = 0xf3;
    pub const DELEGATECALL: u8 = 0xf4;
    pub const STATICCALL: u8 = 0xfa;
    pub const REVERT: u8 = 0xfd;
    pub const INVALID: u8 = 0xfe;
    pub const SELFDESTRUCT: u8 = 0xff;
}

/// Whether `b` is an opcode some fork defines (anything else halts like `INVALID`).
const fn defined(b: u8) -> bool {
    matches!(b,
        0x00..=0x0b | 0x10..=0x1d | 0x20 | 0x30..=0x4a | 0x50..=0x5f | 0x60..=0x7f
        | 0x80..=0x8f | 0x90..=0x9f | 0xa0..=0xa4 | 0xf0..=0xf5 | 0xfa | 0xfd..=0xff)
}

/// One instruction: its offset, opcode and (for PUSHes) where its data lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instr {
    /// Byte offset.
    pub pc: u32,
    /// The opcode byte.
    pub op: u8,
    /// PUSH data: start and length within the code (length may fall short at the very end).
    data: (u32, u8),
}

/// Decoded code: the instructions and which offsets are valid jump destinations.
#[derive(Debug, Clone)]
pub struct Code {
    bytes: Vec<u8>,
    instrs: Vec<Instr>,
    /// For each byte offset: the index of the instruction starting there (`u32::MAX`: inside
    /// PUSH data).
    at: Vec<u32>,
    /// Basic blocks as instruction index ranges.
    blocks: Vec<(u32, u32)>,
    /// For each instruction: its block.
    block_of: Vec<u32>,
    /// For each block: the notable opcodes in it (`NOTE_*` bits), so that what a set of
    /// blocks contains is one OR per block.
    notes: Vec<u8>,
}

const NOTE_CALL: u8 = 1;
const NOTE_DELEGATECALL: u8 = 2;
const NOTE_SELFDESTRUCT: u8 = 4;
const NOTE_SSTORE: u8 = 8;
const NOTE_TIME: u8 = 16;

/// Per opcode: PUSH data length (low 6 bits), whether it ends a block, its `NOTE_*` bit (in
/// [`NOTES`]); tables, as decoding looks at every byte of the code.
static PUSH_LEN: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = op::PUSH1 as usize;
    while b <= op::PUSH32 as usize {
        t[b] = (b - op::PUSH1 as usize + 1) as u8;
        b += 1;
    }
    t
};
static ENDS_BLOCK: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0usize;
    while b < 256 {
        t[b] = ends_block(b as u8);
        b += 1;
    }
    t
};
static NOTES: [u8; 256] = {
    let mut t = [0u8; 256];
    t[op::CALL as usize] = NOTE_CALL;
    t[op::CALLCODE as usize] = NOTE_CALL;
    t[op::STATICCALL as usize] = NOTE_CALL;
    t[op::DELEGATECALL as usize] = NOTE_DELEGATECALL;
    t[op::SELFDESTRUCT as usize] = NOTE_SELFDESTRUCT;
    t[op::SSTORE as usize] = NOTE_SSTORE;
    t[op::TIMESTAMP as usize] = NOTE_TIME;
    t[op::NUMBER as usize] = NOTE_TIME;
    t
};

/// A selector in the dispatcher and the code it jumps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The 4-byte function selector.
    pub selector: [u8; 4],
    /// Offset of the function's first block.
    pub dest: u32,
}

/// A fast, deterministic hasher for the walk's own keys (block indexes and value ids this
/// module assigns, never bytes from the contract): the state table is the hot loop, and
/// SipHash's DoS resistance buys nothing for keys an attacker cannot choose.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl IdHasher {
    pub(crate) fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type IdMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

/// The most (block, stack) states one reachability question explores before falling back.
pub const MAX_STATES: usize = 50_000;

/// Stack entries kept (the rest is treated as unknown).
pub(crate) const STACK_KEEP: usize = 48;

/// Items an opcode takes from and puts on the stack (DUP, SWAP and PUSH handled apart): a
/// table lookup, as the walk asks for every instruction it interprets.
pub(crate) fn arity(op: u8) -> (usize, usize) {
    let (i, o) = ARITY[usize::from(op)];
    (usize::from(i), usize::from(o))
}

/// [`arity_of`] for every byte, computed at compile time.
static ARITY: [(u8, u8); 256] = {
    let mut t = [(0u8, 0u8); 256];
    let mut op = 0usize;
    while op < 256 {
        let (i, o) = arity_of(op as u8);
        t[op] = (i as u8, o as u8);
        op += 1;
    }
    t
};

const fn arity_of(op: u8) -> (usize, usize) {
    match op {
        0x01..=0x07 | 0x0a | 0x0b | 0x10..=0x14 | 0x16..=0x18 | 0x1a..=0x1d | 0x20 => (2, 1),
        0x08 | 0x09 => (3, 1),
        0x15 | 0x19 | 0x31 | 0x35 | 0x3b | 0x3f | 0x40 | 0x49 | 0x51 | 0x54 | 0x5c => (1, 1),
        0x30 | 0x32..=0x34 | 0x36 | 0x38 | 0x3a | 0x3d | 0x41..=0x48 | 0x4a | 0x58..=0x5a => (0, 1),
        0x37 | 0x39 | 0x3e | 0x5e => (3, 0),
        0x3c => (4, 0),
        0x50 | 0x56 | 0xff => (1, 0),
        0x52 | 0x53 | 0x55 | 0x57 | 0x5d | 0xf3 | 0xfd => (2, 0),
        0xa0..=0xa4 => ((op - 0xa0) as usize + 2, 0),
        0xf0 => (3, 1),
        0xf1 | 0xf2 => (7, 1),
        0xf4 | 0xfa => (6, 1),
        0xf5 => (4, 1),
        _ => (0, 0),
    }
}

/// Which notable opcodes a set of blocks contains.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    /// `CALL`, `CALLCODE` or `STATICCALL` to another contract.
    pub external_call: bool,
    /// `DELEGATECALL`.
    pub delegatecall: bool,
    /// `SELFDESTRUCT`.
    pub selfdestruct: bool,
    /// `SSTORE`.
    pub sstore: bool,
    /// `TIMESTAMP` or `NUMBER`.
    pub time: bool,
    /// A truncated PUSH (offset, data bytes needed, present).
    pub truncated: Option<(usize, usize, usize)>,
    /// Blocks visited.
    pub blocks: usize,
    /// The state budget ran out and the crude rule answered instead.
    pub approximate: bool,
}

impl Code {
    /// Decodes `bytes` (at most [`MAX_CODE`]).
    pub fn new(bytes: Vec<u8>, field: &'static str) -> Result<Self, TokenError> {
        if bytes.is_empty() {
            return Err(TokenError::EmptyCode { field });
        }
        if bytes.len() > MAX_CODE {
            return Err(TokenError::CodeTooLarge {
                field,
                max: MAX_CODE,
                got: bytes.len(),
            });
        }
        let mut instrs = Vec::with_capacity(bytes.len() / 2);
        let mut at = vec![u32::MAX; bytes.len()];
        let mut pc = 0usize;
        while pc < bytes.len() {
            let b = bytes[pc];
            let n = usize::from(PUSH_LEN[usize::from(b)]);
            let have = n.min(bytes.len() - pc - 1);
            at[pc] = instrs.len() as u32;
            instrs.push(Instr {
                pc: pc as u32,
                op: b,
                data: ((pc + 1) as u32, have as u8),
            });
            pc += 1 + n;
        }
        // Blocks start at 0, at every JUMPDEST and after every instruction that ends one.
        let mut blocks = Vec::with_capacity(instrs.len() / 4);
        let mut notes = Vec::with_capacity(instrs.len() / 4);
        let mut block_of = vec![0u32; instrs.len()];
        let mut start = 0usize;
        let mut note = 0u8;
        for (i, ins) in instrs.iter().enumerate() {
            if i > start && ins.op == op::JUMPDEST {
                blocks.push((start as u32, i as u32));
                notes.push(note);
                note = 0;
                start = i;
            }
            block_of[i] = blocks.len() as u32;
            note |= NOTES[usize::from(ins.op)];
            if ENDS_BLOCK[usize::from(ins.op)] {
                blocks.push((start as u32, (i + 1) as u32));
                notes.push(note);
                note = 0;
                start = i + 1;
            }
        }
        if start < instrs.len() {
            blocks.push((start as u32, instrs.len() as u32));
            notes.push(note);
        }
        Ok(Self {
            bytes,
            instrs,
            at,
            blocks,
            block_of,
            notes,
        })
    }

    /// The raw code.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Instructions in order (PUSH data is not an instruction).
    pub fn instrs(&self) -> &[Instr] {
        &self.instrs
    }

    /// The instructions of block `b`, and the index of the instruction after it.
    pub(crate) fn block(&self, b: usize) -> (&[Instr], usize) {
        let (s, e) = self.blocks[b];
        (&self.instrs[s as usize..e as usize], e as usize)
    }

    /// The block instruction `i` belongs to.
    pub(crate) fn block_of_instr(&self, i: usize) -> usize {
        self.block_of[i] as usize
    }

    /// Number of basic blocks.
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// The PUSH data of `i` (empty for other opcodes); short when truncated by the code's end.
    pub fn data(&self, i: &Instr) -> &[u8] {
        let (s, n) = i.data;
        &self.bytes[s as usize..s as usize + usize::from(n)]
    }

    /// The value a PUSH puts on the stack, when it fits in 64 bits.
    pub(crate) fn push_value(&self, i: &Instr) -> Option<u64> {
        if i.op == op::PUSH0 {
            return Some(0);
        }
        if !(op::PUSH1..=op::PUSH32).contains(&i.op) {
            return None;
        }
        let d = self.data(i);
        let lead = d.len().saturating_sub(8);
        if d[..lead].iter().any(|&b| b != 0) {
            return None;
        }
        Some(d[lead..].iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
    }

    /// Whether `pc` is a `JUMPDEST` instruction (not PUSH data).
    pub fn is_jumpdest(&self, pc: u64) -> bool {
        usize::try_from(pc)
            .ok()
            .and_then(|p| self.at.get(p))
            .is_some_and(|&i| i != u32::MAX && self.instrs[i as usize].op == op::JUMPDEST)
    }

    pub(crate) fn block_at(&self, pc: u64) -> Option<usize> {
        if !self.is_jumpdest(pc) {
            return None;
        }
        let i = self.at[pc as usize] as usize;
        Some(self.block_of[i] as usize)
    }

    /// Successors of block `b`; `pushed`: also the JUMPDESTs the block pushes.
    fn successors(&self, b: usize, pushed: bool, out: &mut Vec<usize>) {
        let (s, e) = self.blocks[b];
        let instrs = &self.instrs[s as usize..e as usize];
        let last = instrs[instrs.len() - 1];
        if !ends_flow(last.op) && (e as usize) < self.instrs.len() {
            out.push(self.block_of[e as usize] as usize);
        }
        if matches!(last.op, op::JUMP | op::JUMPI)
            && instrs.len() >= 2
            && let Some(t) = self
                .push_value(&instrs[instrs.len() - 2])
                .and_then(|v| self.block_at(v))
        {
            out.push(t);
        }
        if pushed {
            for i in instrs {
                if (op::PUSH1..=op::PUSH4).contains(&i.op)
                    && let Some(t) = self.push_value(i).and_then(|v| self.block_at(v))
                {
                    out.push(t);
                }
            }
        }
    }

    /// Blocks reachable from `starts` (block indexes) and what they contain.
    fn reach_from(&self, starts: &[usize], pushed: bool, seen: &mut [bool]) -> Reach {
        let mut r = Reach::default();
        let mut stack: Vec<usize> = starts.to_vec();
        let mut next = Vec::new();
        while let Some(b) = stack.pop() {
            if std::mem::replace(&mut seen[b], true) {
                continue;
            }
            self.scan_block(b, &mut r);
            next.clear();
            self.successors(b, pushed, &mut next);
            stack.extend_from_slice(&next);
        }
        r
    }

    /// Blocks reachable from `starts` following the stack (see the module docs), or `None`
    /// when the state budget ran out. A state is its block followed by its stack, as one
    /// `u32` slice (a known jump destination is its offset, anything else [`UNKNOWN`]), so the
    /// table hashes plain integers and a state already seen costs no allocation.
    fn reach_symbolic(&self, starts: &[usize]) -> Option<Vec<bool>> {
        const UNKNOWN: u32 = u32::MAX;
        let mut seen_blocks = vec![false; self.blocks.len()];
        let mut states: IdMap<Box<[u32]>, ()> = IdMap::default();
        let mut work: Vec<(usize, Vec<u32>)> = Vec::new();
        let mut key: Vec<u32> = Vec::with_capacity(STACK_KEEP + 1);
        // Queues a state unless it was seen; false when the budget ran out.
        let mut visit = |b: usize, st: &[u32], work: &mut Vec<(usize, Vec<u32>)>| {
            key.clear();
            key.push(b as u32);
            key.extend_from_slice(st);
            if states.contains_key(&key[..]) {
                return true;
            }
            if states.len() >= MAX_STATES {
                return false;
            }
            states.insert(key.as_slice().into(), ());
            work.push((b, st.to_vec()));
            true
        };
        for &b in starts {
            if !visit(b, &[], &mut work) {
                return None;
            }
        }
        while let Some((b, mut st)) = work.pop() {
            seen_blocks[b] = true;
            let pop = |st: &mut Vec<u32>| st.pop().unwrap_or(UNKNOWN);
            let (s, e) = self.blocks[b];
            let mut jump = UNKNOWN;
            for i in &self.instrs[s as usize..e as usize] {
                match i.op {
                    op::PUSH0..=op::PUSH32 => {
                        let v = self.push_value(i).filter(|&v| self.is_jumpdest(v));
                        st.push(v.map_or(UNKNOWN, |v| v as u32));
                    }
                    op::DUP1..=op::DUP16 => {
                        let n = usize::from(i.op - op::DUP1) + 1;
                        let v = if st.len() >= n {
                            st[st.len() - n]
                        } else {
                            UNKNOWN
                        };
                        st.push(v);
                    }
                    0x90..=0x9f => {
                        let n = usize::from(i.op - 0x90) + 1;
                        let len = st.len();
                        if len > n {
                            st.swap(len - 1, len - 1 - n);
                        } else if len > 0 {
                            // The other side is below what we track: unknown.
                            st[len - 1] = UNKNOWN;
                        }
                    }
                    op::JUMP => jump = pop(&mut st),
                    op::JUMPI => {
                        jump = pop(&mut st);
                        pop(&mut st);
                    }
                    other => {
                        let (a, r) = arity(other);
                        for _ in 0..a {
                            pop(&mut st);
                        }
                        st.extend(std::iter::repeat_n(UNKNOWN, r));
                    }
                }
                if st.len() > STACK_KEEP {
                    st.drain(..st.len() - STACK_KEEP);
                }
            }
            let last = self.instrs[e as usize - 1];
            if jump != UNKNOWN
                && let Some(tb) = self.block_at(u64::from(jump))
                && !visit(tb, &st, &mut work)
            {
                return None;
            }
            let falls = !ends_flow(last.op) && (e as usize) < self.instrs.len();
            if falls && !visit(self.block_of[e as usize] as usize, &st, &mut work) {
                return None;
            }
        }
        Some(seen_blocks)
    }

    /// What the given blocks contain (blocks the caller already knows are reachable).
    pub(crate) fn scan_blocks(&self, blocks: &[usize]) -> Reach {
        let mut r = Reach::default();
        for &b in blocks {
            self.scan_block(b, &mut r);
        }
        r
    }

    fn reach_blocks(&self, starts: &[usize]) -> Reach {
        match self.reach_symbolic(starts) {
            Some(seen) => {
                let mut r = Reach::default();
                for (b, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
                    self.scan_block(b, &mut r);
                }
                r
            }
            None => {
                let mut seen = vec![false; self.blocks.len()];
                let mut r = self.reach_from(starts, true, &mut seen);
                r.approximate = true;
                r
            }
        }
    }

    fn scan_block(&self, b: usize, r: &mut Reach) {
        r.blocks += 1;
        let n = self.notes[b];
        r.external_call |= n & NOTE_CALL != 0;
        r.delegatecall |= n & NOTE_DELEGATECALL != 0;
        r.selfdestruct |= n & NOTE_SELFDESTRUCT != 0;
        r.sstore |= n & NOTE_SSTORE != 0;
        r.time |= n & NOTE_TIME != 0;
        // Only the code's last instruction can be a PUSH whose data runs past the end.
        let (_, e) = self.blocks[b];
        if e as usize == self.instrs.len()
            && let Some(i) = self.instrs.last()
            && r.truncated.is_none()
        {
            let need = usize::from(PUSH_LEN[usize::from(i.op)]);
            let have = usize::from(i.data.1);
            if have < need {
                r.truncated = Some((i.pc as usize, need, have));
            }
        }
    }

    /// What the code can reach from offset 0.
    pub fn reach_all(&self) -> Reach {
        self.reach_blocks(&[0])
    }

    /// What the code can reach from the given entry offsets (one traversal for all).
    pub fn reach_entries(&self, dests: &[u32]) -> Reach {
        let starts: Vec<usize> = dests
            .iter()
            .filter_map(|&d| self.block_at(u64::from(d)))
            .collect();
        self.reach_blocks(&starts)
    }

    /// The dispatcher's entries: `PUSH4 sel; [DUPn]; EQ; PUSH dest; JUMPI` in the blocks the
    /// entry reaches by static jumps without entering a function (Solidity's linear and
    /// binary-search dispatchers both have this shape; Vyper's too). A PUSH4 elsewhere —
    /// an error selector, an interface id inside a function, bytes of PUSH data — is never
    /// read as a selector.
    pub fn dispatcher(&self) -> Vec<Entry> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen = vec![false; self.blocks.len()];
        let mut stack = vec![0usize];
        let mut next = Vec::new();
        while let Some(b) = stack.pop() {
            if std::mem::replace(&mut seen[b], true) {
                continue;
            }
            let (s, e) = self.blocks[b];
            let instrs = &self.instrs[s as usize..e as usize];
            let mut exits = Vec::new();
            for w in 0..instrs.len() {
                if instrs[w].op != op::PUSH4 || self.data(&instrs[w]).len() != 4 {
                    continue;
                }
                let mut k = w + 1;
                if instrs
                    .get(k)
                    .is_some_and(|i| (op::DUP1..=op::DUP16).contains(&i.op))
                {
                    k += 1;
                }
                let shape = instrs.get(k).is_some_and(|i| i.op == op::EQ)
                    && instrs.get(k + 2).is_some_and(|i| i.op == op::JUMPI);
                if !shape {
                    continue;
                }
                let Some(dest) = self
                    .push_value(&instrs[k + 1])
                    .filter(|&d| self.is_jumpdest(d))
                else {
                    continue;
                };
                let mut selector = [0u8; 4];
                selector.copy_from_slice(self.data(&instrs[w]));
                if !entries.iter().any(|x| x.selector == selector) {
                    entries.push(Entry {
                        selector,
                        dest: dest as u32,
                    });
                }
                exits.push(dest);
            }
            next.clear();
            self.successors(b, false, &mut next);
            for &n in &next {
                let pc = u64::from(self.instrs[self.blocks[n].0 as usize].pc);
                if !exits.contains(&pc) {
                    stack.push(n);
                }
            }
        }
        entries.sort_by_key(|e| e.selector);
        entries
    }

    /// Whether any reachable PUSH32 puts `word` on the stack (a storage slot constant).
    pub fn pushes_word(&self, word: &[u8; 32]) -> bool {
        self.instrs
            .iter()
            .any(|i| i.op == op::PUSH32 && self.data(i) == word)
    }
}

pub(crate) const fn ends_flow(op: u8) -> bool {
    matches!(
        op,
        op::STOP | op::JUMP | op::RETURN | op::REVERT | op::INVALID | op::SELFDESTRUCT
    ) || !defined(op)
}

const fn ends_block(op: u8) -> bool {
    op == op::JUMPI || ends_flow(op)
}

/// Decodes hex text (an optional `0x`, whitespace around it ignored).
pub fn decode_hex(text: &str, field: &'static str) -> Result<Vec<u8>, TokenError> {
    let t = text.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if t.len() > 2 * MAX_CODE {
        return Err(TokenError::CodeTooLarge {
            field,
            max: MAX_CODE,
            got: t.len() / 2,
        });
    }
    if let Some(at) = t.bytes().position(|c| !c.is_ascii_hexdigit()) {
        return Err(TokenError::BadHex { field, at });
    }
    if t.len() % 2 == 1 {
        return Err(TokenError::OddHex {
            field,
            got: t.len(),
        });
    }
    hex::decode(t).map_err(|_| TokenError::BadHex { field, at: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_data_is_not_code() {
        // PUSH2 0x5bff; JUMPDEST; STOP — the 0x5b and 0xff inside the PUSH are data.
        let c = Code::new(vec![0x61, 0x5b, 0xff, 0x5b, 0x00], "t").unwrap();
        let ops: Vec<u8> = c.instrs().iter().map(|i| i.op).collect();
        assert_eq!(ops, vec![0x61, 0x5b, 0x00]);
        assert!(!c.is_jumpdest(1));
        assert!(c.is_jumpdest(3));
        assert!(!c.reach_all().selfdestruct);
        // The twin: a real SELFDESTRUCT.
        let c = Code::new(vec![0x60, 0x00, 0xff], "t").unwrap();
        assert!(c.reach_all().selfdestruct);
    }

    #[test]
    fn unreachable_code_does_not_count() {
        // STOP; then a SELFDESTRUCT nobody jumps to (no JUMPDEST before it).
        let c = Code::new(vec![0x00, 0x60, 0x00, 0xff], "t").unwrap();
        assert!(!c.reach_all().selfdestruct);
        // The twin: jumped to.
        let c = Code::new(vec![0x60, 0x03, 0x56, 0x5b, 0xff], "t").unwrap();
        assert!(c.reach_all().selfdestruct);
    }

    #[test]
    fn truncated_push_is_reported_only_when_reached() {
        let c = Code::new(vec![0x00, 0x7f, 0x01], "t").unwrap();
        assert_eq!(c.reach_all().truncated, None);
        let c = Code::new(vec![0x7f, 0x01], "t").unwrap();
        assert_eq!(c.reach_all().truncated, Some((0, 32, 1)));
    }

    #[test]
    fn hex_errors_are_specific() {
        assert_eq!(
            decode_hex("0x6g", "code"),
            Err(TokenError::BadHex {
                field: "code",
                at: 1
            })
        );
        assert_eq!(
            decode_hex("0x600", "code"),
            Err(TokenError::OddHex {
                field: "code",
                got: 3
            })
        );
        assert_eq!(decode_hex(" 0x6000 ", "code"), Ok(vec![0x60, 0x00]));
        assert!(matches!(
            Code::new(Vec::new(), "code"),
            Err(TokenError::EmptyCode { .. })
        ));
        assert!(matches!(
            Code::new(vec![0; MAX_CODE + 1], "code"),
            Err(TokenError::CodeTooLarge { got, .. }) if got == MAX_CODE + 1
        ));
    }
}
