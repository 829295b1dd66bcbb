//! Loads the committed compiler output in `fixtures/build/`.

use std::path::PathBuf;

use custodia_token::{Arg, Deployment, SIM_DEPLOYER};

/// A compiled fixture contract.
pub struct Fixture {
    pub creation: String,
    pub runtime: String,
}

pub fn load(name: &str) -> Fixture {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/build/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    Fixture {
        creation: v["creation"].as_str().unwrap().to_string(),
        runtime: v["runtime"].as_str().unwrap().to_string(),
    }
}

/// How to deploy a fixture: most alone; the proxy after its implementation, initialised
/// for the simulation's deployer.
pub fn deployments(name: &str) -> Vec<Deployment> {
    if name == "UpgradeableProxy" {
        let mut init = custodia_token::selectors::selector("initialize(address)").to_vec();
        init.extend([0u8; 12]);
        init.extend(SIM_DEPLOYER.as_slice());
        return vec![
            Deployment {
                creation_code: load("HoneypotImpl").creation,
                args: vec![],
            },
            Deployment {
                creation_code: load(name).creation,
                args: vec![Arg::Deployed(0), Arg::Bytes(hex::encode(init))],
            },
        ];
    }
    vec![Deployment {
        creation_code: load(name).creation,
        args: vec![],
    }]
}

/// Every token fixture (the market's own contracts excluded).
pub const TOKENS: &[&str] = &[
    "PlainToken",
    "FixedFeeToken",
    "SellBlockHoneypot",
    "HighSellTax",
    "RaisableTax",
    "OwnerMint",
    "BlacklistToken",
    "PausableToken",
    "BalanceRewrite",
    "CooldownToken",
    "LateHoneypot",
    "AirdropSpam",
    "InfiniteLoop",
    "SelfDestructToken",
    "TakeBackOwner",
    "UpgradeableProxy",
    "HiddenOwner",
    "VisibleKeeper",
    "SilentTakeBack",
    "RewardEpoch",
    "GovernanceToken",
    "PausableGovernance",
    "ReflectionToken",
    "FixedReflectionToken",
    "ReflectionHoneypot",
];
