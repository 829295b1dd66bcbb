//! Ordinary English words: what tells a real word that happens to sit one or two letters from
//! a brand's name (`crypt`, `mast`, `scape`) from a mistyped name (`krken`, `bybt`).

use std::collections::HashSet;
use std::sync::OnceLock;

/// The list (3–8 letters, a–z, names included), with its source and notice in the file's
/// header.
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
