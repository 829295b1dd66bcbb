//! Ordinary English words: what tells a real word that happens to sit one or two letters from
//! a brand's name (`crypt`, `mast`, `scape`) from a mistyped name (`krken`, `bybt`).

use std::collections::HashSet;
use std::sync::OnceLock;

/// The list (3–8 letters, a–z), with its source and notice in the file's header.
const WORDS: &str = include_str!("words.txt");

fn words() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        WORDS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    })
}

/// Whether `s` is an English word of the list.
pub(crate) fn is_word(s: &str) -> bool {
    (3..=8).contains(&s.len()) && words().contains(s)
}

/// Whether `tok` is another compound sharing a part with `kw` rather than a misspelling of
/// it: `kw`'s first part followed by a different word (`metamark`, `openset`, `ethercat` beside
/// `metamask`, `opensea`, `etherscan`), or a different word followed by `kw`'s last part
/// (`everscan`). Both parts have three letters or more.
pub(crate) fn is_other_compound(tok: &str, kw: &str) -> bool {
    let (t, k) = (tok.as_bytes(), kw.as_bytes());
    if !tok.is_ascii() || t.len() < 6 {
        return false;
    }
    let head = (3..=t.len() - 3)
        .any(|i| i <= k.len() && t[..i] == k[..i] && &k[i..] != &t[i..] && is_word(&tok[i..]));
    let tail = (3..=t.len() - 3).any(|i| {
        let tail = &t[t.len() - i..];
        i <= k.len()
            && *tail == k[k.len() - i..]
            && is_word(&tok[..t.len() - i])
            && tok[..t.len() - i] != kw[..k.len() - i]
    });
    head || tail
}
