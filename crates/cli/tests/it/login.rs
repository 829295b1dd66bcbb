//! `custodia login` end to end: IP sources loaded and looked up, a read-only assessment that
//! changes nothing and its recorded twin, the profile it leaves, and bad input refused.

use std::process::{Command, Output};

fn custodia(dir: &std::path::Path, args: &[&str]) -> Output {
    let config = dir.join("custodia.toml");
    std::fs::write(
        &config,
        format!(
            "[login]\ngeo_ranges = {:?}\n",
            dir.join("ranges.csv").display().to_string()
        ),
    )
    .unwrap();
    let (verb, rest) = args.split_at(args.iter().position(|a| *a == "login").unwrap() + 2);
    Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(verb)
        .arg("--config")
        .arg(&config)
        .args(rest)
        .env(
            "CUSTODIA_STORE_URL",
            format!("sqlite://{}", dir.join("l.db").display()),
        )
        .output()
        .expect("runs custodia")
}

fn json(o: &Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn login_verbs_look_up_assess_and_show_profiles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ranges.csv"),
        "start,end,country,asn,lat,lon,kinds\n192.0.2.0,192.0.2.255,FR,3215,48.86,2.35,\n203.0.113.0,203.0.113.255,US,16509,39.04,-77.49,tor\n",
    )
    .unwrap();
    let d = dir.path();
    let g = json(&custodia(
        d,
        &[
            "--json",
            "login",
            "geo",
            "192.0.2.7",
            "203.0.113.1",
            "10.0.0.1",
        ],
    ));
    assert_eq!(g["sources"][0]["kind"], "ranges");
    assert_eq!(g["sources"][0]["entries"], 2);
    assert_eq!(g["lookups"][0]["country"], "FR");
    assert_eq!(g["lookups"][0]["asn"], 3215);
    assert_eq!(g["lookups"][1]["kinds"][0], "tor");
    assert!(g["lookups"][2]["country"].is_null(), "outside every range");

    let assess = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "login",
            "assess",
            "--user",
            "alice",
            "--ip",
            "192.0.2.7",
            "--device",
            "laptop",
        ];
        args.extend_from_slice(extra);
        json(&custodia(d, &args))
    };
    let a = assess(&[]);
    assert_eq!(
        (a["decision"].as_str(), a["recorded"].as_bool()),
        (Some("allow"), Some(false))
    );
    let p = json(&custodia(
        d,
        &["--json", "login", "profile", "--user", "alice"],
    ));
    assert_eq!(p["known"], false, "a read-only assessment learns nothing");
    let a = assess(&["--record"]);
    assert_eq!(a["recorded"], true);
    let p = json(&custodia(
        d,
        &["--json", "login", "profile", "--user", "alice"],
    ));
    assert_eq!(p["known"], true);
    assert_eq!(p["features"]["country"][0]["value"], "FR");
    assert_eq!(p["failures"], 0);
    assert!(p["holds"].as_array().unwrap().is_empty(), "{p}");
    // From a Tor exit the same user is asked for a second factor.
    let t = json(&custodia(
        d,
        &[
            "--json",
            "login",
            "assess",
            "--user",
            "alice",
            "--ip",
            "203.0.113.1",
            "--device",
            "laptop",
        ],
    ));
    assert_ne!(t["decision"], "allow", "{t}");

    // Bad input: exit 2 with the field named.
    let o = custodia(
        d,
        &[
            "login",
            "assess",
            "--user",
            "alice",
            "--ip",
            "999.1.1.1",
            "--device",
            "x",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("ip must be"),
        "{o:?}"
    );
    std::fs::write(
        dir.path().join("ranges.csv"),
        "1.2.3.4,1.2.3.5,FRA,1,0,0,\n",
    )
    .unwrap();
    let o = custodia(d, &["login", "geo"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("line 1: country"),
        "{o:?}"
    );
}
