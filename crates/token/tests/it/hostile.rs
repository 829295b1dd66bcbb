//! Hostile and malformed bytecode: a clear error or a bounded answer, never a panic.

use custodia_token::{MAX_CODE, TokenError, TokenInput, analyze, assess, decode_hex};

fn input(code: &str) -> TokenInput {
    TokenInput {
        chain: "ethereum".into(),
        address: "0x00000000000000000000000000000000000000aa".into(),
        runtime_code: code.into(),
        ..TokenInput::default()
    }
}

#[test]
fn malformed_hex_is_a_specific_error() {
    assert_eq!(
        assess(&input("0x60zz"), 0).unwrap_err(),
        TokenError::BadHex {
            field: "runtime_code",
            at: 2
        }
    );
    assert_eq!(
        assess(&input("0x600"), 0).unwrap_err(),
        TokenError::OddHex {
            field: "runtime_code",
            got: 3
        }
    );
    assert_eq!(
        assess(&input("0x"), 0).unwrap_err(),
        TokenError::EmptyCode {
            field: "runtime_code"
        }
    );
    // The twin: the same bytes well formed are assessed.
    assert!(assess(&input("0x6000"), 0).is_ok());
}

#[test]
fn truncated_push_in_reachable_code_is_rejected() {
    // JUMPDEST, PUSH32 with 3 of its 32 bytes.
    assert_eq!(
        assess(&input("0x5b7f010203"), 0).unwrap_err(),
        TokenError::TruncatedPush {
            pc: 1,
            need: 32,
            have: 3
        }
    );
    // The twin: the same bytes after a STOP are trailing data, as in compiler metadata.
    assert!(assess(&input("0x005b7f010203"), 0).is_ok());
}

#[test]
fn huge_contract_is_refused_before_work() {
    let huge = format!("0x{}", "5b".repeat(MAX_CODE + 1));
    assert!(matches!(
        assess(&input(&huge), 0).unwrap_err(),
        TokenError::CodeTooLarge { max, got, .. } if max == MAX_CODE && got == MAX_CODE + 1
    ));
    // The largest accepted size of JUMPDESTs is analysed.
    let big = format!("0x{}", "5b".repeat(MAX_CODE));
    assert!(assess(&input(&big), 0).is_ok());
}

#[test]
fn bad_addresses_and_amounts_name_their_field() {
    let mut i = input("0x6000");
    i.address = "0x1234".into();
    assert!(
        matches!(assess(&i, 0).unwrap_err(), TokenError::BadInput { field, .. } if field == "address")
    );
    let mut i = input("0x6000");
    i.total_supply = Some("-5".into());
    assert!(
        matches!(assess(&i, 0).unwrap_err(), TokenError::BadInput { field, .. } if field == "total_supply")
    );
}

/// xorshift64*: seeded, no dependency.
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

#[test]
fn random_bytes_never_panic() {
    for seed in 1..300u64 {
        let b = bytes(seed, 1 + (seed as usize * 97) % 4_000);
        let _ = analyze(b, "runtime_code");
    }
}

#[test]
fn jump_mazes_stay_bounded() {
    // Many JUMPDESTs that each push every other one: a state explosion for the stack
    // interpretation, which must give up at its budget and still answer.
    let mut c = Vec::new();
    for k in 0..600u16 {
        let next = (k as usize + 1) * 8;
        c.push(0x5b); // JUMPDEST
        c.extend([0x61, (next >> 8) as u8, next as u8]); // PUSH2 next
        c.extend([0x80, 0x57]); // DUP1 JUMPI
        c.extend([0x60, 0x00]); // PUSH1 0 (keeps the stack growing)
    }
    let r = analyze(c, "runtime_code").unwrap();
    assert!(r.selectors.is_empty());
    let _ = decode_hex("0x00", "x").unwrap();
}

#[test]
fn many_selectors_into_one_maze_share_one_budget() {
    // 1 500 dispatcher entries that each carry their own value into one jump maze: states
    // shared between functions cannot help (the stacks differ), so the privilege walks of all
    // functions together must stop at one budget (and say so) instead of 1 500 budgets.
    let entries = 1_500usize;
    let mut c = vec![0x5f, 0x35, 0x60, 0xe0, 0x1c]; // PUSH0 CALLDATALOAD PUSH1 0xe0 SHR
    let stubs = 5 + entries * 11 + 1;
    let maze = stubs + entries * 10;
    for i in 0..entries {
        let stub = stubs + i * 10;
        c.push(0x80); // DUP1
        c.push(0x63); // PUSH4 selector
        c.extend((i as u32 + 1).to_be_bytes());
        c.push(0x14); // EQ
        c.extend([0x61, (stub >> 8) as u8, stub as u8, 0x57]); // PUSH2 stub JUMPI
    }
    c.push(0x00); // STOP
    assert_eq!(c.len(), stubs);
    for i in 0..entries as u32 {
        c.push(0x5b); // JUMPDEST
        c.push(0x63); // PUSH4 i: this function's own value, kept on the stack
        c.extend(i.to_be_bytes());
        c.extend([0x61, (maze >> 8) as u8, maze as u8, 0x56]); // PUSH2 maze JUMP
    }
    assert_eq!(c.len(), maze);
    for k in 0..400usize {
        let next = maze + (k + 1) * 10;
        c.push(0x5b); // JUMPDEST
        c.extend([0x33, 0x60, 0x00, 0x54, 0x14]); // CALLER PUSH1 0 SLOAD EQ
        c.extend([0x61, (next >> 8) as u8, next as u8]); // PUSH2 next
        // JUMPI needs two operands: the EQ result is the condition.
        c.push(0x57);
    }
    c.push(0x00);
    let r = analyze(c, "runtime_code").unwrap();
    assert_eq!(r.selectors.len(), entries);
    // Every walk reaches the maze: slot 0 is compared against the caller, no getter shows it.
    assert_eq!(r.privileges.privileged_slots, vec!["0".repeat(64)]);
    assert!(r.privileges.hidden_owner());
    assert!(r.privileges.approximate, "one budget for all 1 500 walks");
}

#[test]
fn functions_sharing_code_are_walked_once() {
    // The twin: 1 500 entries into the same maze with nothing of their own on the stack share
    // every state, so the walk is exact and far inside the budget.
    let entries = 1_500usize;
    let mut c = vec![0x5f, 0x35, 0x60, 0xe0, 0x1c];
    let maze = 5 + entries * 11 + 1;
    for i in 0..entries as u32 {
        c.push(0x80);
        c.push(0x63);
        c.extend((i + 1).to_be_bytes());
        c.push(0x14);
        c.extend([0x61, (maze >> 8) as u8, maze as u8, 0x57]);
    }
    c.push(0x00);
    for k in 0..400usize {
        let next = maze + (k + 1) * 10;
        c.push(0x5b);
        c.extend([0x33, 0x60, 0x00, 0x54, 0x14]);
        c.extend([0x61, (next >> 8) as u8, next as u8]);
        c.push(0x57);
    }
    c.push(0x00);
    let r = analyze(c, "runtime_code").unwrap();
    assert_eq!(r.selectors.len(), entries);
    assert_eq!(r.privileges.privileged_slots, vec!["0".repeat(64)]);
    assert!(!r.privileges.approximate);
}
