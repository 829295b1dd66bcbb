//! Every rejection of every format, with its exact location: one `check` per case.

use std::path::Path;

use custodia_primitives::{AssetId, AssetRegistry, IdError};
use custodia_snapshot::{Format, PriceProblem, Reason, Side, SnapshotError, parse_prices, read};

/// BTC (8 decimals), ETH (8), USDT (6).
fn registry() -> AssetRegistry {
    AssetRegistry::default_assets().truncated(3).unwrap()
}

fn asset(s: &str) -> AssetId {
    AssetId::new(s).unwrap()
}

fn load(name: &str, input: &[u8], format: Option<Format>) -> Result<(), SnapshotError> {
    read(input, Path::new(name), &registry(), format).map(drop)
}

/// Loads `input` as file `name` (the extension picks the format) and expects `reason` at
/// `line:column`.
#[track_caller]
fn check(name: &str, input: &str, reason: Reason, line: u64, column: Option<u64>) {
    check_bytes(name, input.as_bytes(), None, reason, line, column);
}

#[track_caller]
fn check_bytes(
    name: &str,
    input: &[u8],
    format: Option<Format>,
    reason: Reason,
    line: u64,
    column: Option<u64>,
) {
    let err = load(name, input, format).expect_err("input should be rejected");
    let want = SnapshotError::new(name, Some(line), column, reason);
    assert_eq!(err, want, "\n got: {err}\nwant: {want}");
}

fn neg(value: &str, a: &str, side: Side) -> Reason {
    Reason::NegativeAmount {
        value: value.into(),
        asset: asset(a),
        side,
    }
}

fn malformed(value: &str, a: &str, side: Side) -> Reason {
    Reason::MalformedNumber {
        value: value.into(),
        asset: asset(a),
        side,
    }
}

fn decimals(value: &str, a: &str, side: Side, max: u8) -> Reason {
    Reason::TooManyDecimals {
        value: value.into(),
        asset: asset(a),
        side,
        max,
    }
}

fn overflow(value: &str, a: &str, side: Side) -> Reason {
    Reason::Overflow {
        value: value.into(),
        asset: asset(a),
        side,
    }
}

fn dup_user(user: &str, first_line: u64) -> Reason {
    Reason::DuplicateUser {
        user: user.into(),
        first_line,
    }
}

fn dup_asset(user: &str, a: &str, first_line: u64) -> Reason {
    Reason::DuplicateAsset {
        user: user.into(),
        asset: asset(a),
        first_line,
    }
}

fn bad_id(value: &str, ch: char) -> Reason {
    Reason::InvalidAccountId(IdError::BadChar {
        kind: "account id",
        value: value.into(),
        ch,
        allowed: "A-Z a-z 0-9 _ - . : @",
    })
}

use Side::{Debt, Equity};

#[test]
fn wide_csv_errors() {
    let f = "snapshot.csv";
    // Amounts.
    check(
        f,
        "user_id,BTC,ETH\nu1,-1,0\n",
        neg("-1", "BTC", Equity),
        2,
        Some(2),
    );
    check(
        f,
        "user_id,BTC,BTC_debt\nu1,1,-0.5\n",
        neg("-0.5", "BTC", Debt),
        2,
        Some(3),
    );
    check(
        f,
        "user_id,BTC\nu1,1e8\n",
        malformed("1e8", "BTC", Equity),
        2,
        Some(2),
    );
    check(
        f,
        "user_id,BTC,ETH\nu1,,1\n",
        malformed("", "BTC", Equity),
        2,
        Some(2),
    );
    check(
        f,
        "user_id,BTC\nu1, 1\n",
        malformed(" 1", "BTC", Equity),
        2,
        Some(2),
    );
    check(
        f,
        "user_id,ETH,USDT\nu1,0,0.1234567\n",
        decimals("0.1234567", "USDT", Equity, 6),
        2,
        Some(3),
    );
    check(
        f,
        "user_id,BTC\nu1,46116860184.27387904\n",
        overflow("46116860184.27387904", "BTC", Equity),
        2,
        Some(2),
    );
    // Header.
    check(
        f,
        "user_id,BTC,DOGE\nu1,1,1\n",
        Reason::UnknownAsset("DOGE".into()),
        1,
        Some(3),
    );
    check(
        f,
        "user_id,FOO_debt\n",
        Reason::UnknownAsset("FOO".into()),
        1,
        Some(2),
    );
    check(
        f,
        "user_id,btc\nu1,1\n",
        Reason::UnknownAsset("btc".into()),
        1,
        Some(2),
    );
    check(
        f,
        "BTC,ETH\n1,2\n",
        Reason::MissingColumn("user_id"),
        1,
        None,
    );
    check(
        f,
        "user_id,BTC,ETH,BTC\n",
        Reason::DuplicateColumn {
            name: "BTC".into(),
            first_column: 2,
        },
        1,
        Some(4),
    );
    check_bytes(f, b"user_id,\xff\n", None, Reason::InvalidUtf8, 1, Some(2));
    // Rows.
    check(
        f,
        "user_id,BTC\nu1,1\nu2,1\nu1,2\n",
        dup_user("u1", 2),
        4,
        Some(1),
    );
    check(
        f,
        "user_id,BTC\nu1,1,2\n",
        Reason::WrongFieldCount {
            expected: 2,
            found: 3,
        },
        2,
        Some(3),
    );
    check(
        f,
        "user_id,BTC,ETH\nu1,1\n",
        Reason::WrongFieldCount {
            expected: 3,
            found: 2,
        },
        2,
        Some(3),
    );
    check(f, "user_id,BTC\na b,1\n", bad_id("a b", ' '), 2, Some(1));
    check(
        f,
        "BTC,user_id\n1,\n",
        Reason::InvalidAccountId(IdError::Empty { kind: "account id" }),
        2,
        Some(2),
    );
    check_bytes(
        f,
        b"user_id,BTC\nu\xe91,1\n",
        None,
        Reason::InvalidUtf8,
        2,
        Some(1),
    );
    // Empty input.
    check(f, "", Reason::EmptyFile, 1, None);
    check(f, "user_id,BTC\n", Reason::NoUsers, 2, None);
    check(f, "user_id,BTC\n\n\n", Reason::NoUsers, 2, None);
    // Line numbers count blank lines, CRLF line ends and quoted multi-line fields.
    check(
        f,
        "user_id,BTC\n\nu1,1\n\nu2,-1\n",
        neg("-1", "BTC", Equity),
        5,
        Some(2),
    );
    check(
        f,
        "user_id,BTC\r\nu1,1\r\nu2,x\r\n",
        malformed("x", "BTC", Equity),
        3,
        Some(2),
    );
    check(
        f,
        "user_id,\"BTC\"\nu1,\"1\"\nu2,\"-1\"\n",
        neg("-1", "BTC", Equity),
        3,
        Some(2),
    );
    check(
        f,
        "user_id,BTC\nu1,\"1\n\"\nu2,-1\n",
        malformed("1\n", "BTC", Equity),
        2,
        Some(2),
    );
}

#[test]
fn long_csv_errors() {
    let f = "snapshot.csv";
    let h = "user_id,asset,equity,debt\n";
    let c = |body: &str, reason, line, col| check(f, &format!("{h}{body}"), reason, line, col);
    c("u1,BTC,1,-2\n", neg("-2", "BTC", Debt), 2, Some(4));
    c("u1,BTC,-1,0\n", neg("-1", "BTC", Equity), 2, Some(3));
    c(
        "u1,USDT,1.0000001,0\n",
        decimals("1.0000001", "USDT", Equity, 6),
        2,
        Some(3),
    );
    c("u1,BTC,1,1x\n", malformed("1x", "BTC", Debt), 2, Some(4));
    c(
        "u1,ETH,99999999999,0\n",
        overflow("99999999999", "ETH", Equity),
        2,
        Some(3),
    );
    c(
        "u1,DOGE,1,0\n",
        Reason::UnknownAsset("DOGE".into()),
        2,
        Some(2),
    );
    c(
        "u1,BTC,1,0\nu1,ETH,1,0\nu2,BTC,1,0\nu1,USDT,1,0\n",
        dup_user("u1", 2),
        5,
        Some(1),
    );
    c(
        "u1,BTC,1,0\nu1,ETH,1,0\nu1,BTC,2,0\n",
        dup_asset("u1", "BTC", 2),
        4,
        Some(2),
    );
    c(
        "u1,BTC,1\n",
        Reason::WrongFieldCount {
            expected: 4,
            found: 3,
        },
        2,
        Some(4),
    );
    c("a b,BTC,1,0\n", bad_id("a b", ' '), 2, Some(1));
    c(
        "u1,btc,1,0\n",
        Reason::UnknownAsset("btc".into()),
        2,
        Some(2),
    );
    check_bytes(
        f,
        &[h.as_bytes(), b"u1,\xffBTC,1,0\n"].concat(),
        None,
        Reason::InvalidUtf8,
        2,
        Some(2),
    );
    // Header.
    check(
        f,
        "user_id,asset,debt\nu1,BTC,1\n",
        Reason::MissingColumn("equity"),
        1,
        None,
    );
    check(
        f,
        "asset,equity\n",
        Reason::MissingColumn("user_id"),
        1,
        None,
    );
    check(
        f,
        "user_id,asset,equity,fee\n",
        Reason::UnknownColumn("fee".into()),
        1,
        Some(4),
    );
    check(
        f,
        "user_id,asset,equity,asset\n",
        Reason::DuplicateColumn {
            name: "asset".into(),
            first_column: 2,
        },
        1,
        Some(4),
    );
    check(f, h, Reason::NoUsers, 2, None);
    // A forced format reads the header its own way.
    check_bytes(
        f,
        b"user_id,BTC\nu1,1\n",
        Some(Format::LongCsv),
        Reason::UnknownColumn("BTC".into()),
        1,
        Some(2),
    );
    check_bytes(
        f,
        h.as_bytes(),
        Some(Format::WideCsv),
        Reason::UnknownAsset("asset".into()),
        1,
        Some(2),
    );
}

#[test]
fn json_lines_errors() {
    let f = "snapshot.jsonl";
    let ok = r#"{"user_id":"u0","equity":{}}"#;
    // The bad object is always on line 2, after a good one.
    let c = |line: &str, reason, col| check(f, &format!("{ok}\n{line}\n"), reason, 2, col);
    c(
        r#"{"user_id":"u1","equity":{"BTC":"-1"}}"#,
        neg("-1", "BTC", Equity),
        Some(33),
    );
    c(
        r#"{"equity":{},"debt":{"USDT":"-5"},"user_id":"u1"}"#,
        neg("-5", "USDT", Debt),
        Some(29),
    );
    c(
        r#"{"user_id":"u1","equity":{"BTC":"1e8"}}"#,
        malformed("1e8", "BTC", Equity),
        Some(33),
    );
    c(
        r#"{"user_id":"u1","equity":{"BTC":""}}"#,
        malformed("", "BTC", Equity),
        Some(33),
    );
    c(
        r#"{"user_id":"u1","equity":{"BTC":"0.123456789"}}"#,
        decimals("0.123456789", "BTC", Equity, 8),
        Some(33),
    );
    c(
        r#"{"user_id":"u1","equity":{"USDT":"4611686018427.387904"}}"#,
        overflow("4611686018427.387904", "USDT", Equity),
        Some(34),
    );
    c(
        r#"{"user_id":"u1","equity":{"DOGE":"1"}}"#,
        Reason::UnknownAsset("DOGE".into()),
        Some(27),
    );
    c(
        r#"{"user_id":"u1","equity":{"BTC":"1","BTC":"2"}}"#,
        dup_asset("u1", "BTC", 2),
        Some(37),
    );
    c(
        r#"{"debt":{"BTC":"1","BTC":"2"},"user_id":"u1","equity":{}}"#,
        dup_asset("u1", "BTC", 2),
        Some(20),
    );
    c(
        r#"{"user_id":"u0","equity":{}}"#,
        dup_user("u0", 1),
        Some(12),
    );
    c(
        r#"{"user_id":"a b","equity":{}}"#,
        bad_id("a b", ' '),
        Some(12),
    );
    c(
        r#"{"user_id":"u1","equity":{"BTC":0.5}}"#,
        Reason::JsonNumber {
            field: "equity.BTC".into(),
            value: "0.5".into(),
        },
        Some(33),
    );
    c(
        r#"{"user_id":17,"equity":{}}"#,
        Reason::JsonNumber {
            field: "user_id".into(),
            value: "17".into(),
        },
        Some(12),
    );
    c(
        r#"{"user_id":"u1","equity":[]}"#,
        Reason::JsonType {
            field: "equity".into(),
            expected: "an object",
            found: "an array",
        },
        Some(26),
    );
    c(
        r#"{"user_id":null,"equity":{}}"#,
        Reason::JsonType {
            field: "user_id".into(),
            expected: "a string",
            found: "null",
        },
        Some(12),
    );
    c(
        r#"{"user_id":"u1","equity":{"BTC":true}}"#,
        Reason::JsonType {
            field: "equity.BTC".into(),
            expected: "a string",
            found: "a boolean",
        },
        Some(33),
    );
    c(
        r#"{"user_id":"u1","equity":{},"fee":{}}"#,
        Reason::UnknownField("fee".into()),
        Some(29),
    );
    c(
        r#"{"user_id":"u1","equity":{},"user_id":"u2"}"#,
        Reason::DuplicateField("user_id".into()),
        Some(29),
    );
    c(r#"{"equity":{}}"#, Reason::MissingField("user_id"), Some(1));
    c(
        r#"  {"user_id":"u1"}"#,
        Reason::MissingField("equity"),
        Some(3),
    );
    // Syntax.
    let syntax = |msg| Reason::JsonSyntax(msg);
    c(
        r#"{"user_id":"u1","equity":{},}"#,
        syntax("expected a field name in double quotes"),
        Some(29),
    );
    c(
        r#"{"user_id":"u1","equity":{}} x"#,
        syntax("trailing characters after the object"),
        Some(30),
    );
    c(r#"{"user_id":"u1"#, syntax("unterminated string"), Some(15));
    c(
        r#"{"user_id" "u1"}"#,
        syntax("expected ':' after the field name"),
        Some(12),
    );
    c(
        r#"{"user_id":"u1" "equity":{}}"#,
        syntax("expected ',' or '}'"),
        Some(17),
    );
    c(
        r#"["u1"]"#,
        syntax("expected '{': each line holds one JSON object"),
        Some(1),
    );
    c(
        r#"{"user_id":"u\x41","equity":{}}"#,
        syntax("invalid escape sequence"),
        Some(15),
    );
    c(
        r#"{"user_id":"u\uD800","equity":{}}"#,
        syntax("invalid \\u escape"),
        Some(14),
    );
    c(
        r#"{"user_id":"u1","equity":{"BTC":"1"]}"#,
        syntax("expected ',' or '}'"),
        Some(36),
    );
    c(
        r#"{"user_id":"u1","equity":{"BTC":x}}"#,
        syntax("expected a value"),
        Some(33),
    );
    c(
        "{\"user_id\":\"u\t1\",\"equity\":{}}",
        syntax("control character in string"),
        Some(14),
    );
    check_bytes(
        f,
        b"{\"user_id\":\"u\xc3\x28\",\"equity\":{}}\n",
        None,
        Reason::InvalidUtf8,
        1,
        Some(14),
    );
    // Empty input.
    check(f, "", Reason::EmptyFile, 1, None);
    check(f, "\n  \n\r\n", Reason::EmptyFile, 1, None);
}

#[test]
fn error_display_is_path_line_column_reason() {
    let err = load("snapshot.csv", b"user_id,BTC\nu1,1\nu2,-1\n", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"snapshot.csv:3:2: negative amount "-1" for BTC equity"#
    );
    let err = load("in/s.csv", b"user_id,BTC,ETH\nu1,1,1\nu1,1,1\n", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"in/s.csv:3:1: duplicate user "u1" (first seen on line 2)"#
    );
    let err = load("s.csv", b"BTC\n1\n", None).unwrap_err();
    assert_eq!(err.to_string(), r#"s.csv:1: missing column "user_id""#);
    let err = load("s.jsonl", br#"{"user_id":"u1","equity":{"BTC":0.5}}"#, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"s.jsonl:1:33: JSON number 0.5 for equity.BTC: write amounts as strings ("0.5"), floats never touch money"#
    );
}

#[test]
fn long_values_are_cut_in_messages() {
    let long = "9".repeat(200);
    let err = load(
        "s.csv",
        format!("user_id,BTC\nu1,-{long}\n").as_bytes(),
        None,
    )
    .unwrap_err();
    let Reason::NegativeAmount { value, .. } = err.reason else {
        panic!("{err}")
    };
    assert_eq!(value.chars().count(), 65);
    assert!(value.ends_with('…'));
}

#[test]
fn prices_errors() {
    let reg = registry();
    let good = "[[price]]\nasset = \"BTC\"\nusd = \"67012.5\"\nhaircut_bps = 500\n\n\
                [[price]]\nasset = \"ETH\"\nusd = \"3512.25\"\nhaircut_bps = 500\n\n\
                [[price]]\nasset = \"USDT\"\nusd = \"1\"\nhaircut_bps = 0\n";
    assert!(parse_prices(good, Path::new("prices.toml"), &reg).is_ok());
    #[track_caller]
    fn c(text: &str, reason: Reason, line: Option<u64>, column: Option<u64>) {
        let err = parse_prices(text, Path::new("prices.toml"), &registry()).unwrap_err();
        let want = SnapshotError::new("prices.toml", line, column, reason);
        assert_eq!(err, want, "\n got: {err}\nwant: {want}");
    }
    let bad_price = |a: &str, value: &str, problem| Reason::BadPrice {
        asset: asset(a),
        value: value.into(),
        problem,
    };
    c(
        &good.replace("\"3512.25\"", "\"-3512.25\""),
        bad_price("ETH", "-3512.25", PriceProblem::Negative),
        Some(8),
        Some(7),
    );
    c(
        &good.replace("\"3512.25\"", "\"3,512\""),
        bad_price("ETH", "3,512", PriceProblem::Malformed),
        Some(8),
        Some(7),
    );
    c(
        &good.replace("\"1\"", "\"1.000000001\""),
        bad_price("USDT", "1.000000001", PriceProblem::TooManyDecimals),
        Some(13),
        Some(7),
    );
    c(
        &good.replace("\"1\"", "\"99999999999\""),
        bad_price("USDT", "99999999999", PriceProblem::Overflow),
        Some(13),
        Some(7),
    );
    c(
        &good.replace("\"67012.5\"", "67012.5"),
        bad_price("BTC", "67012.5", PriceProblem::NotAString),
        Some(3),
        Some(7),
    );
    c(
        &good.replace("haircut_bps = 0", "haircut_bps = 10001"),
        Reason::BadHaircut {
            asset: asset("USDT"),
            value: 10001,
        },
        Some(14),
        Some(15),
    );
    c(
        &good.replace("haircut_bps = 0", "haircut_bps = -1"),
        Reason::BadHaircut {
            asset: asset("USDT"),
            value: -1,
        },
        Some(14),
        Some(15),
    );
    c(
        &good.replace("\"USDT\"", "\"DOGE\""),
        Reason::UnknownAsset("DOGE".into()),
        Some(12),
        Some(9),
    );
    c(
        &good.replace("\"USDT\"", "\"BTC\""),
        Reason::DuplicatePrice {
            asset: asset("BTC"),
            first_line: 2,
        },
        Some(12),
        Some(9),
    );
    c(
        &good
            .replace("\"USDT\"", "\"BTC\"")
            .replace("\"ETH\"", "\"USDT\""),
        Reason::DuplicatePrice {
            asset: asset("BTC"),
            first_line: 2,
        },
        Some(12),
        Some(9),
    );
    let only_two = &good[..good.rfind("[[price]]").unwrap()];
    c(only_two, Reason::MissingPrice(asset("USDT")), None, None);
    let err = parse_prices(
        &good.replace("haircut_bps = 0", "haircut = 0"),
        Path::new("p.toml"),
        &reg,
    )
    .unwrap_err();
    assert!(
        matches!(err.reason, Reason::Toml(_)) && err.line == Some(14),
        "{err}"
    );
    let err = parse_prices("[[price]\n", Path::new("p.toml"), &reg).unwrap_err();
    assert!(
        matches!(err.reason, Reason::Toml(_)) && err.line == Some(1),
        "{err}"
    );
}
