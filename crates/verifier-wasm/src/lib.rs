#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use custodia_verifier::Digest;
use custodia_verifier::bundle::{
    Added, Bundle, InputError, JsonReport, Report, Step, check_rounds,
};
use serde_json::json;
use wasm_bindgen::prelude::wasm_bindgen;

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
extern "C" {
    /// Defined by the worker script: forwards a progress line to the page.
    #[wasm_bindgen(js_name = custodiaProgress)]
    fn js_progress(message: &str);
}

#[cfg(not(target_arch = "wasm32"))]
fn js_progress(_message: &str) {}

/// The files a user picked, and the checks they allow. Used from JavaScript as
/// `const v = new Verifier(); v.add(name, bytes); …; JSON.parse(v.check())`.
///
/// Each zip is kept apart until the check: zips of different rounds (one per month) are checked
/// as several rounds with their chain; zips and loose files of one round are checked together.
/// Loose files of several rounds are sorted by what they say: a `round.json`, an inclusion file
/// or a reserves report names its round, a batch's public inputs name its batch root (one of a
/// `round.json`'s batch roots); a file that says nothing (a batch proof, a wallet file) goes
/// with the `round.json` of its folder, or to the one round that lacks it. A file that fits
/// several rounds is an input error, never a guess.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct Verifier {
    loose: Vec<(String, Vec<u8>)>,
    zips: Vec<Bundle>,
    roots: Vec<Digest>,
}

fn is_zip(name: &str, bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(b"PK\x05\x06")
        || name.to_ascii_lowercase().ends_with(".zip")
}

/// What a loose file says about the round it belongs to.
#[derive(Debug, PartialEq, Eq)]
enum Says {
    /// A `round.json`, an inclusion file or a reserves report: the round's id.
    Round(String),
    /// A batch's public inputs: its index and batch root (hex).
    Batch(usize, String),
    /// Nothing (a batch proof, a wallet file, anything else).
    Nothing,
}

fn says(bytes: &[u8]) -> Says {
    #[derive(serde::Deserialize)]
    struct Head {
        format: Option<String>,
        round: Option<String>,
        batch_index: Option<usize>,
        batch_root: Option<String>,
    }
    let Ok(h) = serde_json::from_slice::<Head>(bytes) else {
        return Says::Nothing;
    };
    match h {
        Head {
            format: Some(_),
            round: Some(round),
            ..
        } => Says::Round(round),
        Head {
            batch_index: Some(b),
            batch_root: Some(root),
            ..
        } => Says::Batch(b, root.to_ascii_lowercase()),
        _ => Says::Nothing,
    }
}

/// The folder part of a picked file's name (`2026-11/round.json` → `2026-11`).
fn folder(name: &str) -> &str {
    name.rfind(['/', '\\']).map_or("", |i| &name[..i])
}

/// One round's files while loose files are sorted in.
struct Group {
    bundle: Bundle,
    /// Its round id and batch roots (hex), from its `round.json`.
    id: String,
    batch_roots: Vec<String>,
    /// Folders its loose `round.json` came from.
    folders: Vec<String>,
}

impl Group {
    fn of(bundle: Bundle) -> Self {
        #[derive(serde::Deserialize, Default)]
        struct Manifest {
            round: String,
            batch_roots: Vec<String>,
        }
        let m: Manifest = bundle
            .round_bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or_default();
        Self {
            bundle,
            id: m.round,
            batch_roots: m
                .batch_roots
                .iter()
                .map(|r| r.to_ascii_lowercase())
                .collect(),
            folders: Vec::new(),
        }
    }
}

fn several_rounds(name: &str, why: &str) -> InputError {
    InputError(format!(
        "{name}: files of several rounds were given and {why}: give each round's files in its \
         own folder or zip"
    ))
}

/// The one group `fits` picks, or why there is none.
fn one_group(
    groups: &[Group],
    name: &str,
    fits: impl Fn(&Group) -> bool,
    none: &str,
) -> Result<usize, InputError> {
    let mut hits = groups.iter().enumerate().filter(|(_, g)| fits(g));
    match (hits.next(), hits.next()) {
        (Some((i, _)), None) => Ok(i),
        (None, _) => Err(several_rounds(name, none)),
        (Some(_), Some(_)) => Err(several_rounds(name, "it fits more than one of them")),
    }
}

/// Sorts loose files into the rounds of `groups` (one per distinct `round.json`; loose
/// `round.json` files are among `loose`).
fn place_loose(
    mut groups: Vec<Group>,
    loose: Vec<(String, Vec<u8>)>,
) -> Result<Vec<Bundle>, InputError> {
    let mut rest = Vec::new();
    // The loose round.json files first: they make or join their round's group.
    for (name, bytes) in loose {
        let is_round = matches!(says(&bytes), Says::Round(_))
            && matches!(
                Bundle::new().add_bytes(&name, bytes.clone()),
                Ok(Added::Round)
            );
        if !is_round {
            rest.push((name, bytes));
            continue;
        }
        let i = match groups
            .iter()
            .position(|g| g.bundle.round_bytes() == Some(bytes.as_slice()))
        {
            Some(i) => i,
            None => {
                let mut b = Bundle::new();
                b.add_bytes(&name, bytes)?;
                groups.push(Group::of(b));
                groups.len() - 1
            }
        };
        let dir = folder(&name).to_owned();
        if !groups[i].folders.contains(&dir) {
            groups[i].folders.push(dir);
        }
    }
    // Then what names its round or batch, then what names nothing (a proof goes where its
    // batch's public inputs went).
    rest.sort_by_key(|(_, bytes)| match says(bytes) {
        Says::Round(_) => 0,
        Says::Batch(..) => 1,
        Says::Nothing => 2,
    });
    for (name, bytes) in rest {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(&name).to_owned();
        let dir = folder(&name).to_owned();
        let by_folder = |g: &Group| !dir.is_empty() && g.folders.contains(&dir);
        let i = match says(&bytes) {
            Says::Round(id) => one_group(
                &groups,
                &name,
                |g| g.id == id,
                &format!("no round.json of round {id} was given"),
            )?,
            Says::Batch(b, root) => one_group(
                &groups,
                &name,
                |g| g.batch_roots.get(b).is_some_and(|r| *r == root),
                "its batch root is in none of the rounds' round.json",
            )?,
            Says::Nothing => {
                // What the file is, learnt without keeping it.
                let kind = Bundle::new().add_bytes(&name, bytes.clone())?;
                match kind {
                    Added::Ignored => continue,
                    _ if groups.iter().any(by_folder) => one_group(&groups, &name, by_folder, "")?,
                    Added::BatchProof(b) => one_group(
                        &groups,
                        &name,
                        |g| g.bundle.has_batch_public(b) && !g.bundle.has_batch_proof(b),
                        &format!("nothing in it says which round; no round lacks {base}"),
                    )
                    .map_err(|_| {
                        several_rounds(
                            &name,
                            "a batch proof does not say which round it belongs to, and more \
                             (or fewer) than one round lack it",
                        )
                    })?,
                    Added::Wallets => one_group(
                        &groups,
                        &name,
                        |g| g.bundle.has_reserves() && !g.bundle.has_wallets(),
                        "a wallet file does not say which round it belongs to",
                    )?,
                    _ => {
                        return Err(several_rounds(
                            &name,
                            "nothing in it says which round it belongs to",
                        ));
                    }
                }
            }
        };
        groups[i].bundle.add_bytes(&name, bytes)?;
    }
    Ok(groups.into_iter().map(|g| g.bundle).collect())
}

impl Verifier {
    /// Groups the files by round and checks them: one round as before, several with their
    /// chain.
    fn run(&mut self, progress: &mut dyn FnMut(&str, Step)) -> Result<Report, InputError> {
        let zips: Vec<Bundle> = std::mem::take(&mut self.zips);
        let loose = std::mem::take(&mut self.loose);
        let mut rounds: Vec<Vec<u8>> = zips
            .iter()
            .filter_map(|b| b.round_bytes().map(<[u8]>::to_vec))
            .chain(
                loose
                    .iter()
                    .filter(|(_, bytes)| matches!(says(bytes), Says::Round(_)))
                    .filter(|(name, bytes)| {
                        matches!(
                            Bundle::new().add_bytes(name, bytes.clone()),
                            Ok(Added::Round)
                        )
                    })
                    .map(|(_, bytes)| bytes.clone()),
            )
            .collect();
        rounds.sort_unstable();
        rounds.dedup();
        if rounds.len() <= 1 {
            let mut one = Bundle::new();
            for (name, bytes) in loose {
                one.add_bytes(&name, bytes)?;
            }
            for z in zips {
                one.absorb(z)?;
            }
            match self.roots.as_slice() {
                [] => {}
                [root] => one.expect_root(*root),
                _ => return Err(InputError("several roots for one round".into())),
            }
            return one.check(|s| progress("", s));
        }
        // Several rounds: zips of one round merge; a zip without a round.json cannot be placed.
        let mut groups: Vec<Group> = Vec::new();
        for z in zips {
            let Some(bytes) = z.round_bytes().map(<[u8]>::to_vec) else {
                return Err(InputError(
                    "files of several rounds were given, and a zip holds no round.json: give \
                     one zip (or folder) per round, each with its round.json"
                        .into(),
                ));
            };
            match groups
                .iter_mut()
                .find(|g| g.bundle.round_bytes() == Some(bytes.as_slice()))
            {
                Some(g) => g.bundle.absorb(z)?,
                None => groups.push(Group::of(z)),
            }
        }
        let merged = place_loose(groups, loose)?;
        check_rounds(&merged, &self.roots, |round, s| progress(round, s))
    }
}

#[wasm_bindgen]
impl Verifier {
    /// An empty set of files.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one picked file (a round file, an inclusion file, a batch proof, or a zip of any of
    /// them). Returns JSON: `{"status":"ok","kind":…}` where kind is `round`, `inclusion`,
    /// `batch-proof`, `batch-public`, `archive` (with `files`, how many Custodia files it held)
    /// or `ignored`; or `{"status":"error","reason":…}` (an unreadable zip, an old format).
    pub fn add(&mut self, name: &str, bytes: Vec<u8>) -> String {
        let added = if is_zip(name, &bytes) {
            let mut b = Bundle::new();
            let added = b.add_bytes(name, bytes);
            self.zips.push(b);
            added
        } else {
            // Learn what it is now; sort it into its round at the check, when every file is in.
            let added = Bundle::new().add_bytes(name, bytes.clone());
            if added.is_ok() {
                self.loose.push((name.to_owned(), bytes));
            }
            added
        };
        match added {
            Ok(added) => {
                let (kind, files) = match added {
                    Added::Round => ("round", 1),
                    Added::Inclusion => ("inclusion", 1),
                    Added::BatchProof(_) => ("batch-proof", 1),
                    Added::BatchPublic(_) => ("batch-public", 1),
                    Added::Archive(n) => ("archive", n),
                    Added::Reserves => ("reserves", 1),
                    Added::Wallets => ("wallets", 1),
                    Added::Ignored => ("ignored", 0),
                };
                json!({"status": "ok", "kind": kind, "files": files}).to_string()
            }
            Err(e) => json!({"status": "error", "reason": e.0}).to_string(),
        }
    }

    /// The root the exchange published, as the user pasted it (64 hex characters, `0x` and
    /// surrounding spaces allowed): the check then rejects a `round.json` with any other root.
    /// With several rounds, once per round (each must be one of the rounds' roots).
    /// Returns `{"status":"ok"}`, or `{"status":"error","reason":…}` for a malformed root.
    #[wasm_bindgen(js_name = expectRoot)]
    pub fn expect_root(&mut self, hex: &str) -> String {
        match Digest::from_hex(hex.trim()) {
            Ok(root) => {
                self.roots.push(root);
                json!({"status": "ok"}).to_string()
            }
            Err(e) => json!({"status": "error", "reason": format!("root: {e}")}).to_string(),
        }
    }

    /// Runs every check the files allow (the root given to `expectRoot`, each inclusion file
    /// with its batch proof, the whole round when every batch proof is present, the reserve
    /// ratios when `reserves.json` and the wallet file are present; with zips of several
    /// rounds, each round and their chain), calling the worker's `custodiaProgress` as it goes.
    /// The files are used up: add them again to check again. Returns the JSON every Custodia verifier prints
    /// (schema `custodia-verify/1`, see docs/verify.md): `status` is `verified`, `rejected` or
    /// `error`, with `summary`, `checks: [{kind, ok, text}]`, `balances`, `totals`, `notes`.
    pub fn check(&mut self) -> String {
        let mut progress = |round: &str, step: Step| {
            let of = if round.is_empty() {
                String::new()
            } else {
                format!("Round {round}: ")
            };
            match step {
                Step::User { batch } => {
                    js_progress(&format!(
                        "{of}checking your inclusion and batch {batch}'s proof…"
                    ));
                }
                Step::Batch { done, of: n } => {
                    js_progress(&format!(
                        "{of}whole round: {done} of {n} batch proofs verified…"
                    ));
                }
            }
        };
        match self.run(&mut progress) {
            Ok(report) => JsonReport::of(&report).to_json(),
            Err(e) => JsonReport::error(&e).to_json(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(id: &str, roots: &[&str]) -> Vec<u8> {
        serde_json::json!({"format": "custodia-round/2", "round": id, "batch_roots": roots})
            .to_string()
            .into_bytes()
    }

    fn inclusion(id: &str) -> Vec<u8> {
        serde_json::json!({"format": "custodia-inclusion/5", "round": id, "leaf": 0})
            .to_string()
            .into_bytes()
    }

    fn public(b: usize, root: &str) -> Vec<u8> {
        serde_json::json!({"batch_index": b, "batch_root": root})
            .to_string()
            .into_bytes()
    }

    fn groups(loose: Vec<(&str, Vec<u8>)>) -> Result<Vec<Bundle>, InputError> {
        place_loose(
            Vec::new(),
            loose.into_iter().map(|(n, b)| (n.to_owned(), b)).collect(),
        )
    }

    fn id_of(b: &Bundle) -> String {
        let m: serde_json::Value = serde_json::from_slice(b.round_bytes().unwrap()).unwrap();
        m["round"].as_str().unwrap().to_owned()
    }

    #[test]
    fn loose_files_of_two_rounds_are_sorted_by_what_they_say() {
        // Same names, as when one picks each month's files from a search result.
        let got = groups(vec![
            ("my-inclusion.json", inclusion("2026-12")),
            ("round.json", round("2026-11", &["aa", "bb"])),
            ("batch-00001.proof", b"proof of november".to_vec()),
            ("round.json", round("2026-12", &["cc", "dd"])),
            ("batch-00001.json", public(1, "bb")),
            ("batch-00000.json", public(0, "CC")),
            ("batch-00000.proof", b"proof of december".to_vec()),
            ("my-inclusion.json", inclusion("2026-11")),
        ])
        .unwrap();
        assert_eq!(got.len(), 2);
        let nov = got.iter().find(|b| id_of(b) == "2026-11").unwrap();
        let dec = got.iter().find(|b| id_of(b) == "2026-12").unwrap();
        assert_eq!((nov.inclusion_count(), dec.inclusion_count()), (1, 1));
        assert!(nov.has_batch_public(1) && nov.has_batch_proof(1));
        assert!(!nov.has_batch_public(0) && !nov.has_batch_proof(0));
        assert!(dec.has_batch_public(0) && dec.has_batch_proof(0));
        assert!(!dec.has_batch_proof(1));
    }

    #[test]
    fn a_file_that_fits_no_round_or_several_is_an_input_error() {
        // An inclusion file of a round whose round.json is missing.
        let e = groups(vec![
            ("round.json", round("2026-11", &["aa"])),
            ("round.json", round("2026-12", &["cc"])),
            ("mine.json", inclusion("2027-01")),
        ])
        .unwrap_err();
        assert!(e.0.contains("no round.json of round 2027-01"), "{e}");
        // A batch proof both rounds lack, with no folder to tell them apart.
        let e = groups(vec![
            ("round.json", round("2026-11", &["aa"])),
            ("round.json", round("2026-12", &["cc"])),
            ("batch-00000.json", public(0, "aa")),
            ("batch-00000.json", public(0, "cc")),
            ("batch-00000.proof", b"which month?".to_vec()),
        ])
        .unwrap_err();
        assert!(e.0.contains("own folder or zip"), "{e}");
        // A batch root of no given round.
        let e = groups(vec![
            ("round.json", round("2026-11", &["aa"])),
            ("round.json", round("2026-12", &["cc"])),
            ("batch-00000.json", public(0, "ee")),
        ])
        .unwrap_err();
        assert!(e.0.contains("batch root"), "{e}");
    }

    #[test]
    fn folders_tell_the_same_names_apart() {
        let got = groups(vec![
            ("2026-11/round.json", round("2026-11", &["aa"])),
            ("2026-12/round.json", round("2026-12", &["cc"])),
            ("2026-11/batch-00000.json", public(0, "aa")),
            ("2026-12/batch-00000.json", public(0, "cc")),
            ("2026-12/batch-00000.proof", b"december".to_vec()),
            ("2026-11/batch-00000.proof", b"november".to_vec()),
        ])
        .unwrap();
        assert!(
            got.iter()
                .all(|b| b.has_batch_proof(0) && b.has_batch_public(0))
        );
    }

    #[test]
    fn says_reads_only_what_a_file_states() {
        assert_eq!(says(&inclusion("r")), Says::Round("r".into()));
        assert_eq!(says(&public(3, "AB")), Says::Batch(3, "ab".into()));
        assert_eq!(says(b"CUSBATCH\x02"), Says::Nothing);
        assert_eq!(says(br#"{"round": "r"}"#), Says::Nothing);
        assert_eq!(folder("a/b/round.json"), "a/b");
        assert_eq!(folder("round.json"), "");
    }
}
