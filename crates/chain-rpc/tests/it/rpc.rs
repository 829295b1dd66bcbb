//! The node clients against a real JSON-RPC server on 127.0.0.1: a small std::net HTTP/1.1
//! server that parses each request's JSON, records it and answers like geth or bitcoind would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use bitcoin::Network;
use custodia_chain_rpc::{BitcoindRpc, EvmRpc, JsonRpcClient};
use custodia_primitives::{AssetId, AssetRegistry, Total};
use custodia_reserves::sign::{
    BtcAddressKind, SigningKey, btc_address, evm_address, sign_bip137, sign_eip191, sign_tip191,
    tron_address,
};
use custodia_reserves::{
    AssetLiability, BalanceSource, ChainSources, Liabilities, ReservesReport, StatedBalances,
    VerifyParams, WalletRow, ownership_message, verify_wallets_with,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Value, json};

const EX: &str = "Acme Exchange";
const ROUND: &str = "2026-11";
const BTC_H: u64 = 840_000;
const ETH_H: u64 = 19_500_000;
const TRON_H: u64 = 60_000_000;

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    authorization: Option<String>,
    body: Value,
}

/// Starts a server answering `answer(method, params) -> (HTTP status, body)`.
fn serve(
    answer: impl Fn(&str, &Value) -> (u16, String) + Send + 'static,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            let mut authorization = None;
            let mut line = String::new();
            reader.read_line(&mut line).unwrap(); // request line
            assert!(line.starts_with("POST "), "{line}");
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                let (name, value) = l.split_once(':').unwrap();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap(),
                    "authorization" => authorization = Some(value.trim().to_owned()),
                    _ => {}
                }
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap();
            let request: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(request["jsonrpc"], "2.0");
            let method = request["method"].as_str().unwrap().to_owned();
            let id = request["id"].clone();
            let (status, result) = answer(&method, &request["params"]);
            log.lock().unwrap().push(Seen {
                authorization,
                body: request,
            });
            let text = result.replace("$ID", &id.to_string());
            let reason = if status == 200 { "OK" } else { "Error" };
            write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            )
            .unwrap();
            stream.flush().unwrap();
        }
    });
    (url, seen)
}

fn ok(result: Value) -> (u16, String) {
    (
        200,
        json!({"jsonrpc": "2.0", "id": 0, "result": result})
            .to_string()
            .replace("\"id\":0", "\"id\":$ID"),
    )
}

fn key(seed: u64) -> SigningKey {
    SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
}

fn registry() -> AssetRegistry {
    AssetRegistry::default_assets()
}

fn liabilities() -> Liabilities {
    let r = registry();
    let line = |a: &str, units: u128| AssetLiability {
        asset: AssetId::new(a).unwrap(),
        decimals: r.get(r.index_of(a).unwrap()).unwrap().decimals,
        equity: Total::from_units(units),
        debt: Total::ZERO,
    };
    Liabilities::new(
        ROUND,
        vec![
            line("BTC", 100_000_000),
            line("ETH", 1_000_000_000),
            line("USDT", 10_000_000_000),
            line("TRX", 1),
        ],
    )
    .unwrap()
}

fn params() -> VerifyParams {
    VerifyParams::new(EX)
        .with_height("bitcoin", BTC_H)
        .with_height("ethereum", ETH_H)
        .with_height("tron", TRON_H)
}

fn row(
    chain: &str,
    asset: &str,
    address: String,
    balance: &str,
    height: u64,
    sig: impl Fn(&str) -> String,
) -> WalletRow {
    let message = ownership_message(EX, ROUND, height, &address);
    WalletRow {
        line: 2,
        chain: chain.into(),
        asset: asset.into(),
        address,
        balance: balance.into(),
        height: height.to_string(),
        signatures: vec![sig(&message)],
        message,
        script: None,
    }
}

fn verify(rows: &[WalletRow], source: &dyn BalanceSource) -> ReservesReport {
    report_with(rows, &liabilities(), source)
}

/// The report of `rows` checked against `source`.
fn report_with(
    rows: &[WalletRow],
    liab: &Liabilities,
    source: &dyn BalanceSource,
) -> ReservesReport {
    let checked = verify_wallets_with(rows, liab, &registry(), &params(), source).unwrap();
    ReservesReport::build(liab, &registry(), &params(), checked).unwrap()
}

fn codes(r: &ReservesReport) -> Vec<&str> {
    r.rejected.iter().map(|x| x.code.as_str()).collect()
}

#[test]
fn evm_native_and_erc20_balances_at_the_snapshot_block() {
    let k = key(1);
    let addr = evm_address(&k);
    let (url, seen) = serve(|method, params| match method {
        // 2 ETH plus 1 wei of dust the 8-decimal ledger cannot hold.
        "eth_getBalance" => ok(json!("0x1bc16d674ec80001")),
        // 1234.5 USDT (6 decimals), as a 32-byte word.
        "eth_call" => {
            assert_eq!(params[0]["data"].as_str().unwrap().len(), 2 + 8 + 64);
            ok(json!(format!("0x{:064x}", 1_234_500_000u64)))
        }
        other => panic!("unexpected method {other}"),
    });
    let source = EvmRpc::new(JsonRpcClient::new(url).unwrap());
    let sign = |m: &str| sign_eip191(&k, m);
    let rows = [
        row("ethereum", "ETH", addr.clone(), "2", ETH_H, sign),
        row("ethereum", "USDT", addr.clone(), "1234.5", ETH_H, sign),
    ];
    let report = verify(&rows, &source);
    assert_eq!(codes(&report), Vec::<&str>::new());
    assert_eq!(report.wallets.len(), 2);
    assert_eq!(report.balance_source, "evm-rpc");
    let seen = seen.lock().unwrap().clone();
    let block = format!("0x{ETH_H:x}");
    assert_eq!(seen[0].body["method"], "eth_getBalance");
    assert_eq!(
        seen[0].body["params"],
        json!([addr.to_ascii_lowercase(), block])
    );
    assert_eq!(seen[1].body["method"], "eth_call");
    assert_eq!(
        seen[1].body["params"],
        json!([
            {
                "to": "0xdAC17F958D2ee523a2206206994597C13D831ec7",
                "data": format!("0x70a08231{:0>64}", &addr.to_ascii_lowercase()[2..]),
            },
            block
        ])
    );

    // Negative twin: the file overstates the balance.
    let overstated = [row("ethereum", "ETH", addr, "2.00000001", ETH_H, sign)];
    let report = verify(&overstated, &source);
    assert_eq!(codes(&report), ["balance_mismatch"]);
    assert!(
        report.rejected[0].reason.contains("node reports 2 "),
        "{}",
        report.rejected[0].reason
    );
}

#[test]
fn evm_node_errors_reject_the_wallet() {
    let k = key(2);
    let (url, _) = serve(|_, _| {
        (
            200,
            r#"{"jsonrpc":"2.0","id":$ID,"error":{"code":-32000,"message":"missing trie node"}}"#
                .into(),
        )
    });
    let source = EvmRpc::new(JsonRpcClient::new(url).unwrap());
    let rows = [row("ethereum", "ETH", evm_address(&k), "1", ETH_H, |m| {
        sign_eip191(&k, m)
    })];
    let report = verify(&rows, &source);
    assert_eq!(codes(&report), ["rpc"]);
    assert!(report.rejected[0].reason.contains("missing trie node"));

    // An EVM node cannot answer for TRON.
    let t = [row("tron", "TRX", tron_address(&k), "1", TRON_H, |m| {
        sign_tip191(&k, m)
    })];
    assert_eq!(codes(&verify(&t, &source)), ["source_unsupported"]);

    // A closed port.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/", l.local_addr().unwrap())
    };
    let source = EvmRpc::new(JsonRpcClient::new(closed).unwrap());
    assert_eq!(codes(&verify(&rows, &source)), ["http"]);
}

#[test]
fn bitcoind_scantxoutset_with_auth_and_height_check() {
    let k = key(3);
    let addr = btc_address(&k, BtcAddressKind::P2wpkh, Network::Bitcoin).to_string();
    let node_height = Arc::new(Mutex::new(BTC_H));
    let h = Arc::clone(&node_height);
    let (url, seen) = serve(move |method, _| {
        assert_eq!(method, "scantxoutset");
        let height = *h.lock().unwrap();
        // bitcoind prints amounts as JSON numbers with 8 decimals; this one has 16 significant
        // digits, more than a double holds exactly.
        let body = format!(
            r#"{{"result":{{"success":true,"txouts":123,"height":{height},"bestblock":"00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054","unspents":[],"total_amount":20999999.99999999}},"error":null,"id":$ID}}"#
        );
        (200, body)
    });
    let source = BitcoindRpc::new(
        JsonRpcClient::new(url)
            .unwrap()
            .with_basic_auth("rpcuser", "rpcpass"),
    );
    let sign = |m: &str| sign_bip137(&k, m, BtcAddressKind::P2wpkh);
    let mut liab = liabilities();
    liab.assets[0].equity = Total::from_units(2_100_000_000_000_000);
    let rows = [row(
        "bitcoin",
        "BTC",
        addr.clone(),
        "20999999.99999999",
        BTC_H,
        sign,
    )];
    let report = report_with(&rows, &liab, &source);
    assert_eq!(codes(&report), Vec::<&str>::new());
    assert_eq!(
        report.asset("BTC").unwrap().reserves,
        Total::from_units(2_099_999_999_999_999)
    );
    let s = seen.lock().unwrap()[0].clone();
    assert_eq!(
        s.authorization.as_deref(),
        Some("Basic cnBjdXNlcjpycGNwYXNz")
    );
    assert_eq!(
        s.body["params"],
        json!(["start", [format!("addr({addr})")]])
    );

    // Negative twin: the node is at the tip, not at the snapshot height.
    *node_height.lock().unwrap() = BTC_H + 3;
    let report = report_with(&rows, &liab, &source);
    assert_eq!(codes(&report), ["source_height"]);
}

#[test]
fn bitcoind_http_errors() {
    let k = key(4);
    let addr = btc_address(&k, BtcAddressKind::P2pkh, Network::Bitcoin).to_string();
    let rows = [row("bitcoin", "BTC", addr, "1", BTC_H, |m| {
        sign_bip137(&k, m, BtcAddressKind::P2pkh)
    })];
    // bitcoind reports RPC errors with HTTP 500 and a JSON body.
    let (url, _) = serve(|_, _| {
        (500, r#"{"result":null,"error":{"code":-8,"message":"Scan already in progress, use action \"abort\" or \"status\""},"id":$ID}"#.into())
    });
    let source = BitcoindRpc::new(JsonRpcClient::new(url).unwrap());
    let report = verify(&rows, &source);
    assert_eq!(codes(&report), ["rpc"]);
    assert!(
        report.rejected[0]
            .reason
            .contains("Scan already in progress")
    );
    // Wrong credentials: 401 with an empty body.
    let (url, _) = serve(|_, _| (401, String::new()));
    let source = BitcoindRpc::new(JsonRpcClient::new(url).unwrap());
    assert_eq!(codes(&verify(&rows, &source)), ["http"]);
    // A result of the wrong shape.
    let (url, _) = serve(|_, _| ok(json!({"success": true})));
    let source = BitcoindRpc::new(JsonRpcClient::new(url).unwrap());
    assert_eq!(codes(&verify(&rows, &source)), ["rpc_answer"]);
}

#[test]
fn sources_are_routed_per_chain() {
    let k = key(5);
    let (evm_url, evm_seen) = serve(|_, _| ok(json!("0x0de0b6b3a7640000"))); // 1 ETH
    let (btc_url, btc_seen) =
        serve(|_, _| ok(json!({"success": true, "height": BTC_H, "total_amount": 0.5})));
    let evm = EvmRpc::new(JsonRpcClient::new(evm_url).unwrap());
    let btc = BitcoindRpc::new(JsonRpcClient::new(btc_url).unwrap());
    let sources = ChainSources::new()
        .route("ethereum", &evm)
        .route("bitcoin", &btc)
        .fallback(&StatedBalances);
    let btc_addr = btc_address(&k, BtcAddressKind::P2pkh, Network::Bitcoin).to_string();
    let rows = [
        row("ethereum", "ETH", evm_address(&k), "1", ETH_H, |m| {
            sign_eip191(&k, m)
        }),
        row("bitcoin", "BTC", btc_addr, "0.5", BTC_H, |m| {
            sign_bip137(&k, m, BtcAddressKind::P2pkh)
        }),
        row("tron", "TRX", tron_address(&k), "7", TRON_H, |m| {
            sign_tip191(&k, m)
        }),
    ];
    let report = verify(&rows, &sources);
    assert_eq!(codes(&report), Vec::<&str>::new());
    assert_eq!(
        report.balance_source,
        "bitcoin=bitcoind,ethereum=evm-rpc,*=stated"
    );
    assert_eq!(evm_seen.lock().unwrap().len(), 1);
    assert_eq!(btc_seen.lock().unwrap().len(), 1);
}

#[test]
fn xrpl_balances_and_master_key_authority_at_the_snapshot_ledger() {
    use custodia_reserves::KeyAuthority;
    use custodia_reserves::sign::{sign_xrpl_secp256k1, xrpl_secp256k1_account};
    const XRPL_H: u64 = 86_000_000;
    let keys: Vec<SigningKey> = (20..25).map(key).collect();
    let accounts: Vec<(String, String)> = keys.iter().map(xrpl_secp256k1_account).collect();
    let by_account: std::collections::BTreeMap<String, usize> = accounts
        .iter()
        .enumerate()
        .map(|(i, (a, _))| (a.clone(), i))
        .collect();
    let (url, seen) = serve(move |method, params| {
        assert_eq!(method, "account_info");
        let p = &params[0];
        assert_eq!(p["ledger_index"], XRPL_H, "asked at the snapshot ledger");
        let i = by_account[p["account"].as_str().unwrap()];
        let result = match i {
            // 1234.5 XRP, master key enabled (another flag set: lsfRequireDestTag).
            0 => json!({"account_data": {"Balance": "1234500000", "Flags": 0x0002_0000u64},
                        "ledger_index": XRPL_H, "validated": true, "status": "success"}),
            // Master key disabled, a regular key in charge.
            1 => json!({"account_data": {"Balance": "10000000", "Flags": 0x0010_0000u64,
                        "RegularKey": "rrrrrrrrrrrrrrrrrrrrBZbvji"},
                        "ledger_index": XRPL_H, "validated": true, "status": "success"}),
            // Another balance than stated.
            2 => json!({"account_data": {"Balance": "999999", "Flags": 0},
                        "ledger_index": XRPL_H, "validated": true, "status": "success"}),
            // The server answers for another ledger.
            3 => json!({"account_data": {"Balance": "1000000", "Flags": 0},
                        "ledger_index": XRPL_H + 1, "validated": true, "status": "success"}),
            // Unknown at that ledger.
            _ => json!({"error": "actNotFound", "status": "error"}),
        };
        ok(result)
    });
    let source = custodia_chain_rpc::XrplRpc::new(JsonRpcClient::new(url).unwrap());
    let balances = ["1234.5", "10", "1", "1", "1"];
    let rows: Vec<WalletRow> = accounts
        .iter()
        .zip(&keys)
        .zip(balances)
        .enumerate()
        .map(|(i, (((address, kd), k), bal))| {
            let mut r = row("xrpl", "XRP", address.clone(), bal, XRPL_H, |m| {
                sign_xrpl_secp256k1(k, m)
            });
            r.script = Some(kd.clone());
            r.line = i + 2;
            r
        })
        .collect();
    let r = registry();
    let liab = Liabilities::new(
        ROUND,
        vec![AssetLiability {
            asset: AssetId::new("XRP").unwrap(),
            decimals: r.get(r.index_of("XRP").unwrap()).unwrap().decimals,
            equity: Total::from_units(1_000_000_000),
            debt: Total::ZERO,
        }],
    )
    .unwrap();
    let p = params().with_height("xrpl", XRPL_H);
    let checked = verify_wallets_with(&rows, &liab, &r, &p, &source).unwrap();
    let report = ReservesReport::build(&liab, &r, &p, checked).unwrap();
    assert_eq!(report.wallets.len(), 1, "{:?}", report.rejected);
    let w = &report.wallets[0];
    assert_eq!(w.key_authority, KeyAuthority::Checked);
    assert_eq!(w.balance_source, "xrpl-rpc");
    assert_eq!(w.balance_decimal, "1234.5");
    assert_eq!(
        codes(&report),
        [
            "key_not_authorised",
            "balance_mismatch",
            "source_height",
            "rpc"
        ]
    );
    assert!(report.rejected[0].reason.contains("master key is disabled"));
    assert_eq!(seen.lock().unwrap().len(), 5);

    // The same file with stated balances: counted, but the key's authority is not checked.
    let checked = verify_wallets_with(&rows[..1], &liab, &r, &p, &StatedBalances).unwrap();
    assert_eq!(checked.verified[0].key_authority, KeyAuthority::NotChecked);
    assert_eq!(checked.verified[0].balance_source, "stated");
}

#[test]
fn eip1271_contract_wallets_are_asked_at_the_snapshot_block() {
    use custodia_reserves::Scheme;
    // Two Safe-like contracts: the first accepts, the second refuses.
    let safe_ok = "0x1111111111111111111111111111111111111111";
    let safe_no = "0x2222222222222222222222222222222222222222";
    let owner = key(30);
    let (url, seen) = serve(move |method, params| match method {
        "eth_call"
            if params[0]["data"]
                .as_str()
                .unwrap()
                .starts_with("0x1626ba7e") =>
        {
            assert_eq!(params[1], format!("0x{ETH_H:x}"), "at the snapshot block");
            if params[0]["to"] == safe_ok {
                ok(json!(format!("0x1626ba7e{}", "0".repeat(56))))
            } else {
                ok(json!(format!("0xffffffff{}", "0".repeat(56))))
            }
        }
        "eth_getBalance" => ok(json!("0x1bc16d674ec80000")),
        other => panic!("unexpected {other}"),
    });
    let source = EvmRpc::new(JsonRpcClient::new(url).unwrap());
    let rows: Vec<WalletRow> = [safe_ok, safe_no]
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let addr =
                custodia_reserves::ChainAddress::parse(params().chain("ethereum").unwrap(), a)
                    .unwrap()
                    .canonical();
            // The owner's EIP-191 signature, which the contract checks against its owners.
            let mut r = row("ethereum", "ETH", addr, "2", ETH_H, |m| {
                sign_eip191(&owner, m)
            });
            r.script = Some("contract=eip1271".into());
            r.line = i + 2;
            r
        })
        .collect();
    let report = verify(&rows, &source);
    assert_eq!(codes(&report), ["contract_signature_invalid"]);
    assert_eq!(report.wallets.len(), 1);
    assert_eq!(report.wallets[0].scheme, Scheme::Eip1271);
    let calls = seen.lock().unwrap().clone();
    let data = calls[0].body["params"][0]["data"]
        .as_str()
        .unwrap()
        .to_owned();
    // selector, hash, offset 0x40, length 65, signature padded to 96 bytes.
    assert_eq!(data.len(), 2 + 8 + 64 * 3 + 192);
    // Without a node a contract wallet is never counted.
    let stated = verify(&rows, &StatedBalances);
    assert_eq!(codes(&stated), ["source_unsupported", "source_unsupported"]);
}

#[test]
fn filecoin_balances_at_the_snapshot_tipset() {
    use custodia_reserves::sign::{filecoin_f1_address, sign_frc0102};
    const FIL_H: u64 = 3_800_000;
    let keys: Vec<SigningKey> = (40..43).map(key).collect();
    let addrs: Vec<String> = keys.iter().map(filecoin_f1_address).collect();
    let known = addrs.clone();
    let (url, seen) = serve(move |method, params| match method {
        "Filecoin.ChainGetTipSetByHeight" => {
            assert_eq!(params[0], FIL_H);
            ok(json!({"Cids": [{"/": "bafy2bzacea"}], "Height": FIL_H, "Blocks": []}))
        }
        "Filecoin.StateGetActor" => {
            assert_eq!(
                params[1],
                json!([{"/": "bafy2bzacea"}]),
                "at the snapshot tipset"
            );
            let i = known.iter().position(|a| params[0] == *a).unwrap();
            match i {
                // 12.5 FIL plus dust the 8-decimal ledger cannot hold.
                0 => ok(json!({"Code": {"/": "bafk"}, "Nonce": 3, "Balance": "12500000000000000001"})),
                1 => ok(json!({"Code": {"/": "bafk"}, "Nonce": 0, "Balance": "1"})),
                _ => (
                    500,
                    json!({"jsonrpc": "2.0", "id": 0, "error": {"code": 1, "message": "actor not found"}})
                        .to_string()
                        .replace("\"id\":0", "\"id\":$ID"),
                ),
            }
        }
        other => panic!("unexpected {other}"),
    });
    let source = custodia_chain_rpc::FilecoinRpc::new(JsonRpcClient::new(url).unwrap());
    let rows: Vec<WalletRow> = addrs
        .iter()
        .zip(&keys)
        .enumerate()
        .map(|(i, (a, k))| {
            let mut r = row("filecoin", "FIL", a.clone(), "12.5", FIL_H, |m| {
                sign_frc0102(k, m)
            });
            r.line = i + 2;
            r
        })
        .collect();
    let r = registry();
    let liab = Liabilities::new(
        ROUND,
        vec![AssetLiability {
            asset: AssetId::new("FIL").unwrap(),
            decimals: r.get(r.index_of("FIL").unwrap()).unwrap().decimals,
            equity: Total::from_units(10_000_000_000),
            debt: Total::ZERO,
        }],
    )
    .unwrap();
    let p = params().with_height("filecoin", FIL_H);
    let checked = verify_wallets_with(&rows, &liab, &r, &p, &source).unwrap();
    let report = ReservesReport::build(&liab, &r, &p, checked).unwrap();
    assert_eq!(report.wallets.len(), 1, "{:?}", report.rejected);
    assert_eq!(report.wallets[0].balance_source, "lotus");
    assert_eq!(codes(&report), ["balance_mismatch", "rpc"]);
    assert_eq!(seen.lock().unwrap().len(), 6);
}

/// A REST server: `answer(method, path, body) -> (status, body)`.
fn serve_rest(
    answer: impl Fn(&str, &str, Option<Value>) -> (u16, String) + Send + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap().to_owned();
            let path = parts.next().unwrap().to_owned();
            let mut length = 0usize;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((n, v)) = h.split_once(':')
                    && n.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap();
            let body = (length > 0).then(|| serde_json::from_slice(&body).unwrap());
            log.lock().unwrap().push(format!("{method} {path}"));
            let (status, text) = answer(&method, &path, body);
            write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            )
            .unwrap();
            stream.flush().unwrap();
        }
    });
    (url, seen)
}

#[test]
fn aptos_balance_and_authentication_key_at_the_ledger_version() {
    use custodia_reserves::KeyAuthority;
    use custodia_reserves::sign::{Ed25519Key, aptos_account, sign_aip62};
    const APT_V: u64 = 140_000_000;
    let keys: Vec<Ed25519Key> = (50u8..53).map(|i| Ed25519Key::from_seed([i; 32])).collect();
    let accounts: Vec<(String, String)> = keys.iter().map(|k| aptos_account(k, "n")).collect();
    let known: Vec<String> = accounts.iter().map(|(a, _)| a.clone()).collect();
    let (url, seen) = serve_rest(move |method, path, body| {
        assert!(path.ends_with(&format!("ledger_version={APT_V}")), "{path}");
        if method == "POST" {
            assert_eq!(path, format!("/v1/view?ledger_version={APT_V}"));
            let body = body.unwrap();
            assert_eq!(body["function"], "0x1::coin::balance");
            let i = known
                .iter()
                .position(|a| body["arguments"][0] == *a)
                .unwrap();
            return match i {
                2 => (
                    404,
                    json!({"message": "account not found", "error_code": "account_not_found"})
                        .to_string(),
                ),
                _ => (200, json!(["1250000000"]).to_string()),
            };
        }
        let i = known
            .iter()
            .position(|a| path.contains(a.as_str()))
            .unwrap();
        // Account 1 rotated its key.
        let auth = if i == 1 {
            format!("0x{}", "ab".repeat(32))
        } else {
            known[i].clone()
        };
        (
            200,
            json!({"sequence_number": "7", "authentication_key": auth}).to_string(),
        )
    });
    let source = custodia_chain_rpc::AptosRest::new(JsonRpcClient::new(url).unwrap());
    let rows: Vec<WalletRow> = accounts
        .iter()
        .zip(&keys)
        .enumerate()
        .map(|(i, ((a, kd), k))| {
            let mut r = row("aptos", "APT", a.clone(), "12.5", APT_V, |m| {
                sign_aip62(k, a, m, "n")
            });
            r.script = Some(kd.clone());
            r.line = i + 2;
            r
        })
        .collect();
    let r = registry();
    let liab = Liabilities::new(
        ROUND,
        vec![AssetLiability {
            asset: AssetId::new("APT").unwrap(),
            decimals: r.get(r.index_of("APT").unwrap()).unwrap().decimals,
            equity: Total::from_units(10_000_000_000),
            debt: Total::ZERO,
        }],
    )
    .unwrap();
    let p = params().with_height("aptos", APT_V);
    let checked = verify_wallets_with(&rows, &liab, &r, &p, &source).unwrap();
    let report = ReservesReport::build(&liab, &r, &p, checked).unwrap();
    assert_eq!(report.wallets.len(), 1, "{:?}", report.rejected);
    assert_eq!(report.wallets[0].key_authority, KeyAuthority::Checked);
    assert_eq!(report.wallets[0].balance_source, "aptos-rest");
    assert_eq!(codes(&report), ["key_not_authorised", "rpc"]);
    assert!(report.rejected[0].reason.contains("rotated"));
    assert!(report.rejected[1].reason.contains("account not found"));
    assert_eq!(seen.lock().unwrap().len(), 5);
}

#[test]
fn polkadot_system_account_at_the_snapshot_block() {
    use custodia_reserves::sign::{Sr25519Key, polkadot_address, sign_polkadot_bytes};
    const DOT_H: u64 = 20_000_000;
    let keys: Vec<Sr25519Key> = (60u8..63).map(|i| Sr25519Key::from_seed([i; 32])).collect();
    let accounts: Vec<[u8; 32]> = keys.iter().map(Sr25519Key::public).collect();
    let known = accounts.clone();
    let (url, seen) =
        serve(move |method, params| match method {
            "chain_getBlockHash" => {
                assert_eq!(params[0], DOT_H);
                ok(json!(format!("0x{}", "cd".repeat(32))))
            }
            "state_getStorage" => {
                assert_eq!(
                    params[1],
                    format!("0x{}", "cd".repeat(32)),
                    "at the snapshot block"
                );
                let key = params[0].as_str().unwrap();
                // System.Account prefix, Blake2_128Concat of the account.
                assert!(key.starts_with(
                    "0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"
                ));
                let i = known
                    .iter()
                    .position(|a| key.ends_with(&hex::encode(a)))
                    .unwrap();
                let mut info = vec![0u8; 16]; // nonce, consumers, providers, sufficients
                let (free, reserved): (u128, u128) = match i {
                    0 => (100_000_000_000, 25_000_000_000), // 10 + 2.5 DOT (10 decimals)
                    _ => (1, 0),
                };
                info.extend_from_slice(&free.to_le_bytes());
                info.extend_from_slice(&reserved.to_le_bytes());
                info.extend_from_slice(&[0u8; 32]); // frozen, flags
                if i == 2 {
                    return ok(Value::Null); // no such account at that block
                }
                ok(json!(format!("0x{}", hex::encode(info))))
            }
            other => panic!("unexpected {other}"),
        });
    let source = custodia_chain_rpc::SubstrateRpc::new(JsonRpcClient::new(url).unwrap());
    let rows: Vec<WalletRow> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let mut r = row("polkadot", "DOT", polkadot_address(k), "12.5", DOT_H, |m| {
                sign_polkadot_bytes(k, m, [i as u8; 32])
            });
            r.line = i + 2;
            r
        })
        .collect();
    let r = registry();
    let liab = Liabilities::new(
        ROUND,
        vec![AssetLiability {
            asset: AssetId::new("DOT").unwrap(),
            decimals: r.get(r.index_of("DOT").unwrap()).unwrap().decimals,
            equity: Total::from_units(10_000_000_000),
            debt: Total::ZERO,
        }],
    )
    .unwrap();
    let p = params().with_height("polkadot", DOT_H);
    let checked = verify_wallets_with(&rows, &liab, &r, &p, &source).unwrap();
    let report = ReservesReport::build(&liab, &r, &p, checked).unwrap();
    assert_eq!(report.wallets.len(), 1, "{:?}", report.rejected);
    assert_eq!(report.wallets[0].balance_source, "substrate-rpc");
    assert_eq!(codes(&report), ["balance_mismatch", "balance_mismatch"]);
    assert_eq!(seen.lock().unwrap().len(), 6);
}
