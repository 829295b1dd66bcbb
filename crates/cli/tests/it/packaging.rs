//! The packaging files hold what they promise (this machine has no Docker daemon, so the image
//! is not built here; `.ci/deploy.sh` lints the Dockerfile with hadolint): a multi-stage build
//! with the `dist` profile and a locked lockfile, a non-root runtime with a health check, a
//! systemd unit with its hardening, licences, and the `dist` profile itself.

fn root(path: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The Dockerfile's instructions, continuation lines joined, comments dropped.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || t.is_empty() {
            continue;
        }
        cur.push_str(t.trim_end_matches('\\'));
        cur.push(' ');
        if !t.ends_with('\\') {
            let (op, rest) = cur.trim().split_once(' ').unwrap_or((cur.trim(), ""));
            out.push((op.to_uppercase(), rest.to_owned()));
            cur.clear();
        }
    }
    out
}

#[test]
fn the_image_is_multi_stage_locked_and_runs_as_a_user_with_a_health_check() {
    let ins = instructions(&root("Dockerfile"));
    let from: Vec<&String> = ins
        .iter()
        .filter(|(o, _)| o == "FROM")
        .map(|(_, r)| r)
        .collect();
    assert_eq!(from.len(), 2, "build and runtime stages: {from:?}");
    assert!(from[1].contains("-slim"), "a small runtime: {}", from[1]);
    let run = ins
        .iter()
        .filter(|(o, _)| o == "RUN")
        .map(|(_, r)| r.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(run.contains("cargo build --locked --profile dist"), "{run}");
    assert!(
        run.contains("--no-install-recommends") && run.contains("rm -rf /var/lib/apt/lists"),
        "{run}"
    );
    assert!(run.contains("useradd --system --uid 10001"), "{run}");
    // The last USER of the runtime stage is numeric and not root.
    let user = ins
        .iter()
        .rev()
        .find(|(o, _)| o == "USER")
        .map(|(_, r)| r.trim())
        .unwrap();
    assert!(
        user.split(':')
            .all(|p| p.parse::<u32>().is_ok_and(|n| n > 0)),
        "USER {user}"
    );
    assert!(
        ins.iter()
            .any(|(o, r)| o == "HEALTHCHECK" && r.contains("custodia\", \"health\""))
    );
    assert!(
        ins.iter()
            .any(|(o, r)| o == "ENTRYPOINT" && r.contains("tini"))
    );
    assert!(
        !ins.iter().any(|(o, _)| o == "ADD"),
        "COPY only: ADD fetches URLs and unpacks archives"
    );
    assert!(
        ins.iter()
            .filter(|(o, _)| o == "ENV")
            .all(|(_, r)| !r.contains("KEK") && !r.contains("TOKEN")),
        "no secret baked into the image"
    );
    // The negative twin: the parser does see a root user when there is one.
    let bad = instructions("FROM a AS b\nFROM c\nUSER root\n");
    assert_eq!(bad.last().unwrap(), &("USER".to_owned(), "root".to_owned()));
}

#[test]
fn the_systemd_unit_is_hardened_and_checks_its_configuration_first() {
    let unit = root("deploy/custodia.service");
    for line in [
        "User=custodia",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "CapabilityBoundingSet=",
        "SystemCallFilter=@system-service",
        "MemoryDenyWriteExecute=yes",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "ReadWritePaths=/var/lib/custodia",
        "KillSignal=SIGTERM",
        "ExecStartPre=/usr/local/bin/custodia serve --check-config --config /etc/custodia/custodia.toml",
        "Environment=CUSTODIA_SECRETS_KEK_FILE=/etc/custodia/kek",
    ] {
        assert!(unit.lines().any(|l| l.trim() == line), "missing `{line}`");
    }
    assert!(
        !unit.contains("CUSTODIA_SECRETS_KEK="),
        "the key itself never goes in the unit"
    );
}

#[test]
fn compose_licences_and_the_dist_profile() {
    let compose = root("deploy/compose.yaml");
    for want in [
        "postgres:",
        "condition: service_healthy",
        "read_only: true",
        "cap_drop: [ALL]",
        "127.0.0.1:8080:8080",
    ] {
        assert!(compose.contains(want), "compose lacks {want}");
    }
    assert!(root("LICENSE-MIT").starts_with("MIT License"));
    assert!(
        root("LICENSE-APACHE").contains("Apache License")
            && root("LICENSE-APACHE").contains("Version 2.0")
    );
    assert!(root("SECURITY.md").contains("Reporting a vulnerability"));
    let cargo = root("Cargo.toml");
    let dist = cargo
        .split("[profile.dist]")
        .nth(1)
        .expect("a dist profile");
    let dist = dist.split("\n[").next().unwrap();
    for want in [
        "inherits = \"release\"",
        "lto = \"fat\"",
        "codegen-units = 1",
        "strip = true",
    ] {
        assert!(dist.contains(want), "[profile.dist] lacks {want}");
    }
}
