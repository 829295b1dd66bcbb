//! `custodia guard`: threat intelligence from the command line — check hosts and screen
//! addresses offline against the lists in the configured store, export and sign the published
//! snapshot (full and compact), make the signing key, and verify a snapshot with its signature
//! as a wallet or the browser extension does. Glue only: the logic is in `custodia-guard`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use custodia_api::Config;
use custodia_events::{Inline, OsEntropy, SystemClock};
use custodia_guard::{
    COMPACT_MAGIC, Catalog, CatalogWriter, Category, CompactSnapshot, EventPolicy, GuardService,
    Import, ListImported, ListKind, ListMeta, ListWrite, SnapshotPublicKey, SnapshotSignature,
    SnapshotSigningKey, import_address_json, import_address_lines, import_domain_json,
    import_domain_lines, import_metamask_config, import_ofac_sdn_xml,
};
use custodia_store::Store;
use serde_json::json;

use crate::Outcome;
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum GuardCommand {
    /// Check hosts or URLs against the stored lists and the look-alike rules (exit 1 when any
    /// is high or very high).
    Check {
        /// Hosts or URLs.
        #[arg(required = true)]
        domains: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Screen addresses against the stored lists (exit 1 when any is listed).
    Screen {
        /// Addresses (chain detected from the shape).
        #[arg(required = true)]
        addresses: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Import a list file into the store, replacing that source's list of that kind (the
    /// running service picks it up on its next import or restart).
    Import(ImportArgs),
    /// Export the latest published snapshot, full and compact, signed when a key is given
    /// (`--publish` publishes the stored lists as the next version first).
    Snapshot(SnapshotArgs),
    /// Make a snapshot signing key (file mode 0600; refuses to overwrite).
    Keygen {
        /// Where to write the key file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a snapshot file (full or compact) and its signature with trusted public keys, as
    /// a wallet or the extension does (exit 1 when refused).
    Verify {
        /// The snapshot file.
        snapshot: PathBuf,
        /// Its signature file.
        signature: PathBuf,
        /// Trusted public keys (64 hex digits; repeat for several).
        #[arg(long = "key", required = true)]
        keys: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct Common {
    /// TOML configuration file (store URL, `[guard]`); `CUSTODIA_*` variables override it.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The list file.
    file: PathBuf,
    /// The list's name (owner of its rows: importing it again replaces them).
    #[arg(long)]
    source: String,
    /// `ofac-sdn-xml`, `lines` or `json` (addresses); `hosts` or `hosts-json` (hosts, into the
    /// list `--list` names); `metamask` (a MetaMask eth-phishing-detect configuration: its
    /// blocklist and its allowlist, both replaced for this source).
    #[arg(long)]
    format: String,
    /// For `hosts` and `hosts-json`: `block` (warn users away) or `allow` (clear real names the
    /// look-alike rules would flag).
    #[arg(long, default_value = "block", value_parser = ["block", "allow"])]
    list: String,
    /// Category (sanctions, hack, mixer, phishing, scam); OFAC's XML is `sanctions`, host
    /// lists default to `phishing`.
    #[arg(long)]
    category: Option<String>,
    /// The date the list was published (YYYY-MM-DD), kept with every entry.
    #[arg(long)]
    date: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Folder to write snapshot.bin, compact.bin (and .sig files with --sign-key) into.
    #[arg(long)]
    out: PathBuf,
    /// Signing key file (`custodia guard keygen`); default `guard.signing_key_file`.
    #[arg(long)]
    sign_key: Option<PathBuf>,
    /// Publish the stored lists as the next snapshot version first (recorded as a
    /// `guard.snapshot_published` event, as `POST /v1/admin/guard/snapshots` does).
    #[arg(long)]
    publish: bool,
    #[command(flatten)]
    common: Common,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The lists as the service would load them, read from the configured store.
async fn load(c: &Common) -> Result<(Config, Arc<GuardService>)> {
    let (cfg, _, catalog) = writer(c).await?;
    Ok((cfg, catalog.current()))
}

/// A catalog writer over the configured store, the lists loaded.
async fn writer(c: &Common) -> Result<(Config, CatalogWriter<Store>, Arc<Catalog>)> {
    let cfg = Config::load(c.config.as_deref()).context("loading configuration")?;
    let template = cfg.guard.checker().context("[guard]")?;
    let store = Store::open(cfg.store.url.expose(), cfg.store.max_connections)
        .await
        .context("opening the store")?;
    let catalog = Arc::new(Catalog::new(
        template,
        cfg.guard.poisoning_config(),
        EventPolicy::default(),
        cfg.guard.snapshots_kept,
    ));
    let mut writer = CatalogWriter::new(store, catalog.clone(), Arc::new(SystemClock));
    writer
        .reload(&Inline)
        .await
        .context("loading the guard's lists from the store")?;
    Ok((cfg, writer, catalog))
}

/// Reads a snapshot signing key file, refusing one that others may read.
pub fn read_signing_key(path: &Path) -> Result<SnapshotSigningKey> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("guard signing key: cannot open {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            bail!(
                "guard signing key {} is accessible to group or others (mode {mode:04o}): \
                 run `chmod 600 {}`",
                path.display(),
                path.display()
            );
        }
    }
    let _ = meta;
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("guard signing key: cannot read {}", path.display()))?,
    );
    SnapshotSigningKey::from_key_file_text(&text)
        .with_context(|| format!("guard signing key: {}", path.display()))
}

pub fn run(cmd: GuardCommand, out: &Output) -> Result<Outcome> {
    match cmd {
        GuardCommand::Keygen { out: path } => keygen(&path, out),
        GuardCommand::Verify {
            snapshot,
            signature,
            keys,
        } => verify(&snapshot, &signature, &keys, out),
        GuardCommand::Check { domains, common } => runtime()?.block_on(async {
            let (_, svc) = load(&common).await?;
            let mut alert = false;
            let mut results = Vec::new();
            for d in &domains {
                match svc.domains.check(d) {
                    Ok(v) => {
                        alert |= v.level.is_alert();
                        let why: Vec<&str> = v.reasons.iter().map(|r| r.message.as_str()).collect();
                        let line = format!("{}: {} ({})", v.host, v.level, why.join("; "));
                        results.push((json!(v), line));
                    }
                    Err(e) => {
                        alert = true;
                        results.push((
                            json!({"input": d, "error": e.to_string()}),
                            format!("{d}: {e}"),
                        ));
                    }
                }
            }
            emit(out, results);
            Ok(if alert {
                Outcome::Rejected
            } else {
                Outcome::Ok
            })
        }),
        GuardCommand::Screen { addresses, common } => runtime()?.block_on(async {
            let (_, svc) = load(&common).await?;
            let mut listed = false;
            let mut results = Vec::new();
            for a in &addresses {
                match svc.addresses.screen(a, None) {
                    Ok(s) => {
                        listed |= s.is_listed();
                        let line = if s.is_listed() {
                            let hits: Vec<String> = s
                                .hits
                                .iter()
                                .map(|h| format!("{} ({})", h.category, h.source))
                                .collect();
                            format!("{}: LISTED {}", s.address, hits.join(", "))
                        } else {
                            format!("{}: not listed", s.address)
                        };
                        results.push((json!(s), line));
                    }
                    Err(e) => {
                        listed = true;
                        results.push((
                            json!({"input": a, "error": e.to_string()}),
                            format!("{a}: {e}"),
                        ));
                    }
                }
            }
            emit(out, results);
            Ok(if listed {
                Outcome::Rejected
            } else {
                Outcome::Ok
            })
        }),
        GuardCommand::Snapshot(a) => runtime()?.block_on(snapshot(a, out)),
        GuardCommand::Import(a) => runtime()?.block_on(import(a, out)),
    }
}

fn emit(out: &Output, results: Vec<(serde_json::Value, String)>) {
    let (values, lines): (Vec<_>, Vec<_>) = results.into_iter().unzip();
    out.emit(&json!({ "results": values }), || lines.join("\n"));
}

async fn import(a: ImportArgs, out: &Output) -> Result<Outcome> {
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("reading {} (a UTF-8 list file)", a.file.display()))?;
    let category = match (a.category.as_deref(), a.format.as_str()) {
        (Some(c), _) => Category::from_name(c)?,
        (None, "ofac-sdn-xml") => Category::Sanctions,
        (None, "hosts" | "hosts-json" | "metamask") => Category::Phishing,
        (None, f) => bail!("--category is required for --format {f}"),
    };
    if a.list == "allow" && !matches!(a.format.as_str(), "hosts" | "hosts-json") {
        bail!("--list allow applies to --format hosts or hosts-json only");
    }
    let date = a
        .date
        .as_deref()
        .map(|d| {
            d.parse()
                .map_err(|e| anyhow::anyhow!("--date {d}: {e} (expected YYYY-MM-DD)"))
        })
        .transpose()?;
    let meta = ListMeta::new(a.source.clone(), category, date)?;
    let mut w = ListWrite {
        source: a.source.clone(),
        addresses: None,
        blocked: None,
        allowed: None,
        events: Vec::new(),
    };
    // MetaMask's fuzzylist: the brands it protects, which this product's own rules cover.
    let mut fuzzy_ignored = 0usize;
    let (accepted, rejected) = match a.format.as_str() {
        "ofac-sdn-xml" | "lines" | "json" => {
            let import = match a.format.as_str() {
                "lines" => import_address_lines(&text, None, &meta),
                "json" => import_address_json(&text, None, &meta)?,
                _ => import_ofac_sdn_xml(&text, &meta)?,
            };
            w.events.push(ListImported::from_import(
                &a.source,
                ListKind::Addresses,
                &import,
            ));
            let n = (import.entries.len(), import.rejected.len());
            w.addresses = Some(import.entries);
            n
        }
        "hosts" | "hosts-json" => {
            let import = if a.format == "hosts" {
                import_domain_lines(&text, &meta)
            } else {
                import_domain_json(&text, &meta)?
            };
            let kind = if a.list == "allow" {
                ListKind::AllowedDomains
            } else {
                ListKind::BlockedDomains
            };
            w.events
                .push(ListImported::from_import(&a.source, kind, &import));
            let n = (import.entries.len(), import.rejected.len());
            if a.list == "allow" {
                w.allowed = Some(import.entries);
            } else {
                w.blocked = Some(import.entries);
            }
            n
        }
        "metamask" => {
            // One configuration or several (the v2 object or the v3 array): their blocklists
            // merged into this source's blocked hosts, their allowlists into its allowed ones.
            let (mut block, mut allow) = (Import::default(), Import::default());
            for c in import_metamask_config(&text, &meta)? {
                fuzzy_ignored += c.fuzzy.entries.len();
                for (into, from) in [(&mut block, c.block), (&mut allow, c.allow)] {
                    into.entries.extend(from.entries);
                    into.rejected.extend(from.rejected);
                    into.unsupported.extend(from.unsupported);
                    into.duplicates += from.duplicates;
                }
            }
            for i in [&mut block, &mut allow] {
                let before = i.entries.len();
                let mut seen = std::collections::HashSet::new();
                i.entries.retain(|e| seen.insert(e.host.clone()));
                i.duplicates += before - i.entries.len();
            }
            w.events.push(ListImported::from_import(
                &a.source,
                ListKind::BlockedDomains,
                &block,
            ));
            w.events.push(ListImported::from_import(
                &a.source,
                ListKind::AllowedDomains,
                &allow,
            ));
            let n = (
                block.entries.len() + allow.entries.len(),
                block.rejected.len() + allow.rejected.len(),
            );
            w.blocked = Some(block.entries);
            w.allowed = Some(allow.entries);
            n
        }
        f => bail!(
            "--format {f} is not one of ofac-sdn-xml, lines, json, hosts, hosts-json, metamask"
        ),
    };
    if accepted == 0 {
        // A wrong file (an HTML error page, say) must not wipe a source.
        bail!(
            "{}: no valid entry ({rejected} rejected): nothing was changed",
            a.file.display()
        );
    }
    let cfg = Config::load(a.common.config.as_deref()).context("loading configuration")?;
    let store = Store::open(cfg.store.url.expose(), cfg.store.max_connections)
        .await
        .context("opening the store")?;
    let catalog = Arc::new(Catalog::new(
        cfg.guard.checker().context("[guard]")?,
        cfg.guard.poisoning_config(),
        EventPolicy::default(),
        cfg.guard.snapshots_kept,
    ));
    let mut writer = CatalogWriter::new(store, catalog, Arc::new(SystemClock));
    writer.reload(&Inline).await.context("loading the lists")?;
    let written = writer
        .write_list(&Inline, "operator:cli", w)
        .await
        .context("writing the list")?;
    let t = written.totals;
    out.emit(
        &json!({"status": "ok", "source": a.source, "accepted": accepted, "rejected": rejected,
                "fuzzylist_ignored": fuzzy_ignored,
                "totals": {"addresses": t.addresses, "blocked": t.blocked, "allowed": t.allowed}}),
        || {
            let fuzzy = if fuzzy_ignored > 0 {
                format!(
                    "; its fuzzylist ({fuzzy_ignored} domains) is not imported: protect brands \
                     with [[guard.brands]]"
                )
            } else {
                String::new()
            };
            format!(
                "{}: {accepted} entries imported as `{}` ({rejected} rejected); lists now hold \
                 {} addresses, {} blocked and {} allowed hosts{fuzzy}",
                a.file.display(),
                a.source,
                t.addresses,
                t.blocked,
                t.allowed
            )
        },
    );
    Ok(Outcome::Ok)
}

async fn snapshot(a: SnapshotArgs, out: &Output) -> Result<Outcome> {
    let (cfg, mut writer, catalog) = writer(&a.common).await?;
    // Everything that can fail before publishing is checked first: a publication is recorded
    // for good, and must not be left without its export.
    let key_path = a.sign_key.or(cfg.guard.signing_key_file.clone());
    let key = key_path.as_deref().map(read_signing_key).transpose()?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    if a.publish {
        let p = writer
            .publish(&Inline, "operator:cli")
            .await
            .context("publishing the stored lists")?;
        out.note(format!(
            "published snapshot version {} (a running service serves it after its next reload \
             or restart)",
            p.version
        ));
    }
    let Some(snap) = catalog.current().snapshot.clone() else {
        bail!(
            "no snapshot has been published yet: add --publish, or POST /v1/admin/guard/snapshots"
        );
    };
    let compact = CompactSnapshot::from_snapshot(&snap);
    let write = |name: &str, bytes: &[u8]| {
        let p = a.out.join(name);
        std::fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))
    };
    let full_bytes = snap.to_bytes();
    let compact_bytes = compact.to_bytes();
    write("snapshot.bin", &full_bytes)?;
    write("compact.bin", &compact_bytes)?;
    if let Some(k) = &key {
        write("snapshot.sig", &k.sign(&snap).to_bytes())?;
        write("compact.sig", &k.sign_compact(&compact).to_bytes())?;
    }
    let j = json!({
        "status": "ok",
        "version": snap.version(),
        "full_bytes": full_bytes.len(),
        "compact_bytes": compact_bytes.len(),
        "counts": snap.counts(),
        "signed_by": key.as_ref().map(|k| k.public().key_id_hex()),
    });
    out.emit(&j, || {
        format!(
            "snapshot version {}: {} ({} bytes), {} ({} bytes){}",
            snap.version(),
            a.out.join("snapshot.bin").display(),
            full_bytes.len(),
            a.out.join("compact.bin").display(),
            compact_bytes.len(),
            match &key {
                Some(k) => format!(", signed by key id {}", k.public().key_id_hex()),
                None => ", NOT signed (no --sign-key, no guard.signing_key_file)".into(),
            }
        )
    });
    Ok(Outcome::Ok)
}

fn keygen(path: &Path, out: &Output) -> Result<Outcome> {
    let key = SnapshotSigningKey::generate(&OsEntropy);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} exists: refusing to overwrite a signing key (extensions trust its public key)",
                path.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("cannot create {}", path.display()))
        }
    })?;
    let text = zeroize::Zeroizing::new(key.to_key_file_text());
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    let p = key.public();
    out.emit(
        &json!({"status": "ok", "key_file": path.display().to_string(),
                "public_key": p.to_hex(), "key_id": p.key_id_hex()}),
        || {
            format!(
                "wrote the snapshot signing key to {} (mode 0600)\npublic key: {} (key id {})\n\
                 set guard.signing_key_file to the file; give the public key to wallets and \
                 the extension build (crates/guard-wasm/build.sh)",
                path.display(),
                p.to_hex(),
                p.key_id_hex()
            )
        },
    );
    Ok(Outcome::Ok)
}

fn verify(snapshot: &Path, signature: &Path, keys: &[String], out: &Output) -> Result<Outcome> {
    let keys = keys
        .iter()
        .map(|k| SnapshotPublicKey::parse_hex(k).with_context(|| format!("--key {k}")))
        .collect::<Result<Vec<_>>>()?;
    let bytes =
        std::fs::read(snapshot).with_context(|| format!("reading {}", snapshot.display()))?;
    let sig =
        std::fs::read(signature).with_context(|| format!("reading {}", signature.display()))?;
    let opened = SnapshotSignature::from_bytes(&sig).and_then(|s| {
        let v = if bytes.starts_with(COMPACT_MAGIC) {
            s.open_compact(&bytes, &keys)
                .map(|c| (c.version(), c.hash_hex(), "compact"))
        } else {
            s.open(&bytes, &keys)
                .map(|f| (f.version(), f.hash_hex(), "full"))
        };
        v.map(|v| (v, hex_id(&s.key_id)))
    });
    match opened {
        Ok(((version, hash, format), key_id)) => {
            out.emit(
                &json!({"status": "verified", "format": format, "version": version,
                        "sha256": hash, "key_id": key_id}),
                || {
                    format!(
                        "VERIFIED: {format} snapshot version {version} ({hash}), signed by key id {key_id}"
                    )
                },
            );
            Ok(Outcome::Ok)
        }
        Err(e) => {
            out.emit(
                &json!({"status": "rejected", "reason": e.to_string()}),
                || format!("REJECTED: {e}"),
            );
            Ok(Outcome::Rejected)
        }
    }
}

fn hex_id(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
