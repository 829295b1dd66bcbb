//! Forked token simulation against a real node: anvil (the npm package
//! `@foundry-rs/anvil-linux-amd64`, installed by `crates/token/fixtures/regenerate.sh` or
//! `npm ci` there; `CUSTODIA_TEST_ANVIL` names another binary). The test deploys our compiled
//! market and two tokens on it the way a launch does — router at Uniswap V2's address, pair
//! created in the token's constructor, liquidity added — then `custodia token fork` reads that
//! chain at a pinned block over JSON-RPC and trades the tokens in revm: the sell-blocking
//! honeypot is caught, its plain twin is clean. The same through the job queue: `token submit
//! --fork-block`, `token work --once`, `token scan`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use custodia_chain_rpc::JsonRpcClient;
use serde_json::{Value, json};

const ROUTER: &str = "0x7a250d5630b4cf539739df2c5daccb4c659f2488";

fn anvil_binary() -> PathBuf {
    if let Ok(p) = std::env::var("CUSTODIA_TEST_ANVIL") {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../token/fixtures/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    assert!(
        p.exists(),
        "anvil not found at {}: run `npm ci --prefix crates/token/fixtures` (the CI does)",
        p.display()
    );
    p
}

/// A running anvil, stopped on drop.
struct Anvil {
    child: Child,
    url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_anvil() -> Anvil {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(anvil_binary())
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--hardfork",
            "cancun",
            "--silent",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts anvil");
    let a = Anvil {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let c = JsonRpcClient::new(&a.url).unwrap();
    for _ in 0..200 {
        if c.call_raw("eth_blockNumber", json!([])).is_ok() {
            return a;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("anvil did not answer on {}", a.url);
}

fn fixture(name: &str, field: &str) -> String {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../token/fixtures/build/{name}.json"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    v[field].as_str().unwrap().to_owned()
}

fn word(hex_addr: &str) -> String {
    format!("{:0>64}", hex_addr.trim_start_matches("0x"))
}

fn selector(sig: &str) -> String {
    hex::encode(custodia_token::selectors::selector(sig))
}

struct Chain {
    c: JsonRpcClient,
    from: String,
}

impl Chain {
    fn rpc(&self, method: &str, params: Value) -> Value {
        let raw = self
            .c
            .call_raw(method, params)
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        serde_json::from_str(&raw).unwrap()
    }

    /// Sends a transaction (anvil mines it at once) and returns its receipt.
    fn send(&self, to: Option<&str>, data: String, value: u128) -> Value {
        let mut tx = json!({"from": self.from, "data": data, "gas": "0x1c9c380",
            "value": format!("0x{value:x}")});
        if let Some(to) = to {
            tx["to"] = json!(to);
        }
        let hash = self.rpc("eth_sendTransaction", json!([tx]));
        // Anvil mines each transaction at once, but the receipt may lag the answer a moment.
        for _ in 0..100 {
            let r = self.rpc("eth_getTransactionReceipt", json!([hash]));
            if !r.is_null() {
                assert_eq!(r["status"], "0x1", "transaction failed: {r}");
                return r;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no receipt for {hash}");
    }

    fn deploy(&self, creation: String) -> String {
        self.send(None, creation, 0)["contractAddress"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn call(&self, to: &str, data: String) -> String {
        self.rpc("eth_call", json!([{"to": to, "data": data}, "latest"]))
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Our market on the node: quote token, factory, router at Uniswap's address.
fn market(chain: &Chain) -> String {
    let quote = chain.deploy(fixture("Quote", "creation"));
    let factory = chain.deploy(fixture("Factory", "creation"));
    let router = chain.deploy(format!(
        "{}{}{}",
        fixture("Router", "creation"),
        word(&factory),
        word(&quote)
    ));
    let code = chain.rpc("eth_getCode", json!([router, "latest"]));
    chain.rpc("anvil_setCode", json!([ROUTER, code]));
    quote
}

/// Launches `name`: deployed (its constructor creates the pair), half the supply and 100
/// wrapped ether into the pair, liquidity minted. Returns the token's address.
fn launch(chain: &Chain, quote: &str, name: &str) -> String {
    let token = chain.deploy(fixture(name, "creation"));
    let pair_out = chain.call(&token, format!("0x{}", selector("pair()")));
    let pair = format!("0x{}", &pair_out[pair_out.len() - 40..]);
    assert_ne!(
        pair,
        format!("0x{}", "0".repeat(40)),
        "{name} created its pair"
    );
    let bal = chain.call(
        &token,
        format!("0x{}{}", selector("balanceOf(address)"), word(&chain.from)),
    );
    let half =
        u128::from_str_radix(bal.trim_start_matches("0x").trim_start_matches('0'), 16).unwrap() / 2;
    let transfer = |to: &str, amount: u128| {
        format!(
            "0x{}{}{:064x}",
            selector("transfer(address,uint256)"),
            word(to),
            amount
        )
    };
    chain.send(Some(&token), transfer(&pair, half), 0);
    let ether = 100 * 10u128.pow(18);
    chain.send(Some(quote), format!("0x{}", selector("deposit()")), ether);
    chain.send(Some(quote), transfer(&pair, ether), 0);
    chain.send(
        Some(&pair),
        format!("0x{}{}", selector("mint(address)"), word(&chain.from)),
        0,
    );
    token
}

fn custodia(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_custodia"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("runs custodia")
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {o:?}"))
}

#[test]
fn a_deployed_honeypot_is_caught_on_forked_state_and_its_plain_twin_is_not() {
    let node = start_anvil();
    let c = JsonRpcClient::new(&node.url).unwrap();
    let accounts: Value =
        serde_json::from_str(&c.call_raw("eth_accounts", json!([])).unwrap()).unwrap();
    let chain = Chain {
        c,
        from: accounts[0].as_str().unwrap().to_owned(),
    };
    let quote = market(&chain);
    let honeypot = launch(&chain, &quote, "SellBlockHoneypot");
    let plain = launch(&chain, &quote, "PlainToken");
    let block = u64::from_str_radix(
        chain
            .rpc("eth_blockNumber", json!([]))
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
        16,
    )
    .unwrap();
    // Later blocks must not matter: the fork reads the pinned one.
    chain.rpc("anvil_mine", json!(["0x5"]));
    let block_arg = block.to_string();

    let fork = |token: &str| {
        custodia(
            &[
                "--json", "token", "fork", "--rpc", &node.url, "--block", &block_arg, token,
            ],
            &[],
        )
    };
    let o = fork(&honeypot);
    assert_eq!(o.status.code(), Some(1), "flagged: {o:?}");
    let a = json_of(&o);
    assert_eq!(a["goplus"]["is_honeypot"], "1", "{a}");
    assert_eq!(a["simulation"]["buy"]["ok"], true);
    assert_eq!(a["simulation"]["sell"]["ok"], false);
    assert_eq!(a["fork"]["block"]["number"], block);
    assert!(a["fork"]["state_reads"].as_u64().unwrap() > 10);
    assert_eq!(a["fork"]["quote"], quote.to_ascii_lowercase());
    // Its code came from the chain: the static analysis ran on it.
    assert_eq!(a["static_report"]["erc20"], true);

    let o = fork(&plain);
    assert_eq!(o.status.code(), Some(0), "clean: {o:?}");
    let a = json_of(&o);
    assert_eq!(a["goplus"]["is_honeypot"], "0", "{a}");
    assert_eq!(a["goplus"]["sell_tax"], "0");
    assert_eq!(a["simulation"]["sell"]["ok"], true);

    // A block the node does not have is an error, not an assessment.
    let o = fork_at(&node.url, block + 1_000, &plain);
    assert_eq!(o.status.code(), Some(2), "{o:?}");

    // The job queue: submit forked scans, a worker runs them, the results are read back.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("custodia.toml");
    std::fs::write(&config, format!("[token.rpc]\nethereum = {:?}\n", node.url)).unwrap();
    let env = [(
        "CUSTODIA_STORE_URL",
        format!("sqlite://{}", dir.path().join("t.db").display()),
    )];
    let input = dir.path().join("tokens.json");
    std::fs::write(
        &input,
        json!([
            {"chain": "ethereum", "address": honeypot, "runtime_code": ""},
            {"chain": "ethereum", "address": plain, "runtime_code": ""}
        ])
        .to_string(),
    )
    .unwrap();
    let cfg = config.display().to_string();
    let file = input.display().to_string();
    let o = custodia(
        &[
            "--json",
            "token",
            "submit",
            "-c",
            &cfg,
            "--fork-block",
            &block_arg,
            &file,
        ],
        &env,
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let tickets = json_of(&o);
    let ids: Vec<String> = tickets
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    // Submitting again adds nothing.
    let again = json_of(&custodia(
        &[
            "--json",
            "token",
            "submit",
            "-c",
            &cfg,
            "--fork-block",
            &block_arg,
            &file,
        ],
        &env,
    ));
    assert_eq!(again[0]["created"], false);
    assert_eq!(again[0]["id"].to_string(), ids[0]);

    let scan = |id: &str| custodia(&["--json", "token", "scan", "-c", &cfg, id], &env);
    assert_eq!(json_of(&scan(&ids[0]))["state"], "queued");
    let w = custodia(&["--json", "token", "work", "-c", &cfg, "--once"], &env);
    assert_eq!(w.status.code(), Some(0), "{w:?}");
    assert_eq!(json_of(&w)["scans"], 2);
    let o = scan(&ids[0]);
    assert_eq!(o.status.code(), Some(1), "the honeypot is flagged: {o:?}");
    let s = json_of(&o);
    assert_eq!(s["state"], "done");
    assert_eq!(s["assessment"]["goplus"]["is_honeypot"], "1");
    let s = json_of(&scan(&ids[1]));
    assert_eq!(s["state"], "done");
    assert_eq!(s["assessment"]["goplus"]["is_honeypot"], "0");
}

fn fork_at(url: &str, block: u64, token: &str) -> Output {
    custodia(
        &[
            "--json",
            "token",
            "fork",
            "--rpc",
            url,
            "--block",
            &block.to_string(),
            token,
        ],
        &[],
    )
}
