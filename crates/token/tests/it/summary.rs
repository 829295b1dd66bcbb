//! The walk summarises an internal function once per stack shape and reuses it at every call
//! site. Each test has a twin showing that what differs between call sites where it matters
//! is kept apart: where each caller resumes, a caller's constant used as a storage key, a
//! caller's value read from deep in its stack, and a caller deep enough that the walk's kept
//! stack depth cuts it.

use custodia_token::analyze;
use custodia_token::selectors::selector;

/// One piece of hand-written code.
enum A {
    /// Raw bytes (opcodes and their data).
    B(Vec<u8>),
    /// A JUMPDEST named here.
    Label(&'static str),
    /// PUSH2 of a label's offset.
    To(&'static str),
}

fn b(x: &[u8]) -> A {
    A::B(x.to_vec())
}

/// Assembles with labels resolved (two passes; every label reference is a PUSH2).
fn asm(parts: &[A]) -> Vec<u8> {
    let mut at = std::collections::HashMap::new();
    let mut pc = 0usize;
    for p in parts {
        match p {
            A::B(x) => pc += x.len(),
            A::Label(l) => {
                at.insert(*l, pc);
                pc += 1;
            }
            A::To(_) => pc += 3,
        }
    }
    let mut out = Vec::new();
    for p in parts {
        match p {
            A::B(x) => out.extend(x),
            A::Label(_) => out.push(0x5b),
            A::To(l) => {
                let d = at[l];
                out.extend([0x61, (d >> 8) as u8, d as u8]);
            }
        }
    }
    out
}

const JUMP: u8 = 0x56;
const STOP: u8 = 0x00;
const POP: u8 = 0x50;
/// PUSH0 ×6, GAS, CALL, POP: a call to another contract.
const EXTERNAL_CALL: &[u8] = &[0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5a, 0xf1, 0x50];

/// `transfer` and `approve` both call one internal function `f` (it checks the caller against
/// slot 0 and returns); `approve` then makes an external call, `transfer` does not — unless
/// `swap`.
fn two_callers(swap: bool) -> Vec<u8> {
    let (t, a) = (
        selector("transfer(address,uint256)"),
        selector("approve(address,uint256)"),
    );
    let mut parts = vec![b(&[0x5f, 0x35, 0x60, 0xe0, 0x1c])]; // selector on the stack
    for (sel, to) in [(t, "t"), (a, "a")] {
        parts.push(b(&[0x80, 0x63]));
        parts.push(b(&sel));
        parts.push(b(&[0x14]));
        parts.push(A::To(to));
        parts.push(b(&[0x57]));
    }
    parts.push(b(&[STOP]));
    let (t_ret, a_ret) = if swap {
        ("ret2", "ret1")
    } else {
        ("ret1", "ret2")
    };
    parts.extend([A::Label("t"), A::To(t_ret), A::To("f"), b(&[JUMP])]);
    parts.extend([A::Label("a"), A::To(a_ret), A::To("f"), b(&[JUMP])]);
    parts.extend([A::Label("ret1"), b(&[STOP])]);
    parts.extend([A::Label("ret2"), b(EXTERNAL_CALL), b(&[STOP])]);
    // f: CALLER PUSH1 0 SLOAD EQ POP, then back to the return address.
    parts.extend([A::Label("f"), b(&[0x33, 0x60, 0x00, 0x54, 0x14, POP, JUMP])]);
    asm(&parts)
}

#[test]
fn a_shared_function_returns_to_each_caller_separately() {
    let r = analyze(two_callers(false), "runtime_code").unwrap();
    assert_eq!(r.selectors.len(), 2);
    assert_eq!(r.privileges.privileged_slots, vec!["0".repeat(64)]);
    assert!(
        !r.external_call_in_transfer,
        "transfer's return from f must not lead to approve's continuation"
    );
    // The twin: transfer's own continuation makes the call.
    let r = analyze(two_callers(true), "runtime_code").unwrap();
    assert!(r.external_call_in_transfer);
}

fn slot(n: u8) -> String {
    format!("{}{n:02x}", "0".repeat(62))
}

/// Two calls of one function that loads the slot its argument names and compares it with the
/// caller: the first passes slot `first`, the second `second`.
fn slot_argument(first: u8, second: u8) -> Vec<u8> {
    asm(&[
        A::To("r1"),
        b(&[0x60, first]),
        A::To("f"),
        b(&[JUMP]),
        A::Label("r1"),
        A::To("r2"),
        b(&[0x60, second]),
        A::To("f"),
        b(&[JUMP]),
        A::Label("r2"),
        b(&[STOP]),
        // f(key): SLOAD CALLER EQ POP, back.
        A::Label("f"),
        b(&[0x54, 0x33, 0x14, POP, JUMP]),
    ])
}

#[test]
fn a_constant_used_as_a_storage_key_is_kept_per_caller() {
    let r = analyze(slot_argument(5, 6), "runtime_code").unwrap();
    assert_eq!(r.privileges.privileged_slots, vec![slot(5), slot(6)]);
    assert!(!r.privileges.approximate);
    // The twin: both calls pass the same slot.
    let r = analyze(slot_argument(5, 5), "runtime_code").unwrap();
    assert_eq!(r.privileges.privileged_slots, vec![slot(5)]);
}

/// A function that compares the caller with slot 3 using a value six entries below its
/// return address: the caller is `CALLER` there when `caller`, a constant otherwise.
fn deep_read(caller: bool) -> Vec<u8> {
    let first = if caller { b(&[0x33]) } else { b(&[0x60, 0x09]) };
    asm(&[
        first,
        b(&[0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00]),
        A::To("r"),
        A::To("g"),
        b(&[JUMP]),
        A::Label("r"),
        b(&[STOP]),
        // g: DUP7 (the value under five fillers and the return address) PUSH1 3 SLOAD EQ
        // POP, back.
        A::Label("g"),
        b(&[0x86, 0x60, 0x03, 0x54, 0x14, POP, JUMP]),
    ])
}

#[test]
fn a_function_reading_deep_into_its_callers_stack_sees_the_callers_value() {
    let r = analyze(deep_read(true), "runtime_code").unwrap();
    assert_eq!(r.privileges.privileged_slots, vec![slot(3)]);
    // The twin: a constant there is no caller check.
    let r = analyze(deep_read(false), "runtime_code").unwrap();
    assert!(r.privileges.privileged_slots.is_empty());
}

/// A caller 42 entries deep (`CALLER` at the bottom) calls a function that stacks `grow`
/// values and drops them again; back, the caller pops down to its bottom value and compares
/// it with slot 7. The walk keeps 48 entries: with 10 more the bottom is cut (as it always
/// was, summary or not), with 2 it survives.
fn deep_caller(grow: usize) -> Vec<u8> {
    let mut parts = vec![b(&[0x33])];
    for _ in 0..40 {
        parts.push(b(&[0x60, 0x00]));
    }
    parts.extend([A::To("r"), A::To("h"), b(&[JUMP])]);
    parts.push(A::Label("r"));
    parts.push(A::B(vec![POP; 40]));
    parts.push(b(&[0x60, 0x07, 0x54, 0x14, POP, STOP]));
    parts.push(A::Label("h"));
    for _ in 0..grow {
        parts.push(b(&[0x60, 0x01]));
    }
    parts.push(A::B(vec![POP; grow]));
    parts.push(b(&[JUMP]));
    asm(&parts)
}

#[test]
fn a_caller_cut_by_the_kept_depth_is_cut_as_before() {
    let r = analyze(deep_caller(2), "runtime_code").unwrap();
    assert_eq!(r.privileges.privileged_slots, vec![slot(7)]);
    // The twin: the function's 10 values push the caller's bottom out of the kept depth.
    let r = analyze(deep_caller(10), "runtime_code").unwrap();
    assert!(r.privileges.privileged_slots.is_empty());
}

/// `sites` call sites (reached one after another through conditional jumps) all call one
/// function with the same return address; the function has `exits` ways back, each with its
/// own value on the stack. Summarised, every caller resumes after every exit.
fn many_callers_many_exits(sites: usize, exits: usize) -> Vec<u8> {
    let site = |j: usize| -> &'static str { Box::leak(format!("s{j}").into_boxed_str()) };
    let check = |i: usize| -> &'static str { Box::leak(format!("c{i}").into_boxed_str()) };
    let mut parts = Vec::new();
    parts.push(A::To(site(0)));
    parts.push(b(&[JUMP]));
    for j in 0..sites {
        // s_j: go on to the next site or call f from here.
        parts.push(A::Label(site(j)));
        parts.push(b(&[0x36])); // CALLDATASIZE: a condition the walk cannot know
        parts.push(A::To(site(j + 1)));
        parts.push(b(&[0x57])); // JUMPI
        parts.extend([A::To("r"), A::To("f"), b(&[JUMP])]);
    }
    parts.extend([A::Label(site(sites)), b(&[STOP])]);
    parts.extend([A::Label("r"), b(&[POP, STOP])]);
    // f: a chain of checks; leaving after check i puts i on the stack.
    parts.extend([A::Label("f"), A::To(check(0)), b(&[JUMP])]);
    for i in 0..exits {
        parts.push(A::Label(check(i)));
        parts.push(b(&[0x36]));
        parts.push(A::To(check(i + 1)));
        parts.push(b(&[0x57]));
        parts.push(b(&[0x61, (i >> 8) as u8, i as u8, 0x81, JUMP])); // PUSH2 i DUP2 JUMP
    }
    parts.extend([A::Label(check(exits)), b(&[STOP])]);
    asm(&parts)
}

#[test]
fn callers_times_exits_stays_bounded() {
    // 1 200 callers after each of 1 200 exits: 1.44 M resumes, which the walk refuses past
    // its bound (and says so), where the states they lead to are only 1 200.
    let r = analyze(many_callers_many_exits(1_200, 1_200), "runtime_code").unwrap();
    assert!(r.privileges.approximate);
    // The twin: 100 × 100 is walked exactly.
    let r = analyze(many_callers_many_exits(100, 100), "runtime_code").unwrap();
    assert!(!r.privileges.approximate);
}
