//! The in-memory blacklist of addresses: one hash lookup per screening.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::events::{ListImported, ListKind};
use crate::{Address, Category, Chain, Date, GuardError, Import};

/// One listed address with why, who says so and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressEntry {
    /// The address (canonical).
    pub address: Address,
    /// Why it is listed.
    pub category: Category,
    /// Which list says so (`ofac-sdn`, `scamsniffer`, ...).
    pub source: String,
    /// When it was listed, if the source says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// Who it belongs to, if the source says (`LAZARUS GROUP`, `Tornado Cash`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// One hit of a screening: a source that lists the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressHit<'a> {
    /// Why it is listed.
    pub category: Category,
    /// Which list.
    pub source: &'a str,
    /// Since when, if known.
    pub date: Option<Date>,
    /// Owner label, if known.
    pub label: Option<&'a str>,
}

impl AddressHit<'_> {
    /// An owned copy.
    pub fn to_entry(&self, address: Address) -> AddressEntry {
        AddressEntry {
            address,
            category: self.category,
            source: self.source.to_owned(),
            date: self.date,
            label: self.label.map(str::to_owned),
        }
    }
}

/// What [`AddressIndex::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// The address was not listed before.
    New,
    /// The address was listed by other sources; this source is added.
    NewSource,
    /// This source already listed the address; its category, date and label are replaced.
    Updated,
}

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Record {
    category: Category,
    source: u16,
    date: Option<Date>,
    label: u32,
    next: u32,
}

/// Interns short strings (sources, labels) so a million entries share a few hundred copies.
#[derive(Debug, Default, Clone)]
struct Interner {
    names: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    fn get(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// Counts of listed addresses per category (an address listed under two categories counts in
/// both; the same address from two sources under one category counts once).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCounts(pub BTreeMap<Category, u64>);

impl CategoryCounts {
    /// The count for one category (0 when absent).
    pub fn get(&self, c: Category) -> u64 {
        self.0.get(&c).copied().unwrap_or(0)
    }
}

/// Listed addresses, keyed by canonical [`Address`]: lookup is one hash probe, independent of
/// the number of entries. Several sources may list one address; [`AddressIndex::lookup`] returns
/// all of them, most severe category first.
///
/// Build a fresh index from the current lists and swap it in to refresh; the offline form for
/// wallets is [`crate::Snapshot`].
#[derive(Debug, Default, Clone)]
pub struct AddressIndex {
    map: HashMap<Address, u32>,
    records: Vec<Record>,
    sources: Interner,
    labels: Interner,
}

impl AddressIndex {
    /// An empty index.
    pub fn new() -> AddressIndex {
        AddressIndex::default()
    }

    /// An empty index with room for `n` addresses.
    pub fn with_capacity(n: usize) -> AddressIndex {
        AddressIndex {
            map: HashMap::with_capacity(n),
            records: Vec::with_capacity(n),
            ..AddressIndex::default()
        }
    }

    /// Number of distinct addresses.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Adds or updates one entry. More than 65 535 distinct sources is a configuration error.
    pub fn insert(&mut self, e: &AddressEntry) -> Result<Inserted, GuardError> {
        let source = self.sources.intern(&e.source);
        let source = u16::try_from(source).map_err(|_| GuardError::Config {
            why: "more than 65535 distinct address-list sources".into(),
        })?;
        let label = e
            .label
            .as_deref()
            .filter(|l| !l.is_empty())
            .map_or(NONE, |l| self.labels.intern(l));
        let rec = Record {
            category: e.category,
            source,
            date: e.date,
            label,
            next: NONE,
        };
        match self.map.get(&e.address) {
            None => {
                let id = self.records.len() as u32;
                self.records.push(rec);
                self.map.insert(e.address, id);
                Ok(Inserted::New)
            }
            Some(&first) => {
                let mut id = first;
                loop {
                    let r = &mut self.records[id as usize];
                    if r.source == source {
                        *r = Record {
                            next: r.next,
                            ..rec
                        };
                        return Ok(Inserted::Updated);
                    }
                    if r.next == NONE {
                        let new = self.records.len() as u32;
                        self.records[id as usize].next = new;
                        self.records.push(rec);
                        return Ok(Inserted::NewSource);
                    }
                    id = r.next;
                }
            }
        }
    }

    /// Adds many entries; returns how many addresses were not listed before.
    pub fn extend<'a>(
        &mut self,
        entries: impl IntoIterator<Item = &'a AddressEntry>,
    ) -> Result<usize, GuardError> {
        let mut new = 0;
        for e in entries {
            if self.insert(e)? == Inserted::New {
                new += 1;
            }
        }
        Ok(new)
    }

    fn hit(&self, r: &Record) -> AddressHit<'_> {
        AddressHit {
            category: r.category,
            source: self.sources.get(r.source as u32),
            date: r.date,
            label: (r.label != NONE).then(|| self.labels.get(r.label)),
        }
    }

    /// Whether any source lists the address.
    pub fn contains(&self, a: &Address) -> bool {
        self.map.contains_key(a)
    }

    /// Every source listing the address, most severe category first (empty when not listed).
    pub fn lookup(&self, a: &Address) -> Vec<AddressHit<'_>> {
        let mut hits = Vec::new();
        let Some(&first) = self.map.get(a) else {
            return hits;
        };
        let mut id = first;
        while id != NONE {
            let r = &self.records[id as usize];
            hits.push(self.hit(r));
            id = r.next;
        }
        hits.sort_by(|x, y| x.category.cmp(&y.category).then(x.source.cmp(y.source)));
        hits
    }

    /// The most severe hit only, without allocating.
    pub fn worst(&self, a: &Address) -> Option<AddressHit<'_>> {
        let &first = self.map.get(a)?;
        let mut best = &self.records[first as usize];
        let mut id = best.next;
        while id != NONE {
            let r = &self.records[id as usize];
            if r.category < best.category {
                best = r;
            }
            id = r.next;
        }
        Some(self.hit(best))
    }

    /// Parses `input` (on `chain`, or whichever chain its shape says when `None`) and looks it
    /// up: what a withdrawal or deposit screening calls.
    pub fn screen(&self, input: &str, chain: Option<Chain>) -> Result<Screening, GuardError> {
        let address = match chain {
            Some(c) => Address::parse(c, input)?,
            None => Address::parse_any(input)?,
        };
        let hits = self
            .lookup(&address)
            .iter()
            .map(|h| h.to_entry(address))
            .collect();
        Ok(Screening { address, hits })
    }

    /// Adds an import's entries and describes it for the event log ([`ListImported`]): how many
    /// addresses each category gained.
    pub fn apply_import(
        &mut self,
        source: &str,
        import: &Import<AddressEntry>,
    ) -> Result<ListImported, GuardError> {
        let mut ev = ListImported::from_import(source, ListKind::Addresses, import);
        for e in &import.entries {
            let had = self
                .lookup(&e.address)
                .iter()
                .any(|h| h.category == e.category);
            self.insert(e)?;
            if !had {
                *ev.added.entry(e.category).or_default() += 1;
            }
        }
        Ok(ev)
    }

    /// Every entry, one per (address, source), in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = AddressEntry> + '_ {
        self.map.iter().flat_map(move |(a, &first)| {
            let mut id = first;
            core::iter::from_fn(move || {
                if id == NONE {
                    return None;
                }
                let r = &self.records[id as usize];
                id = r.next;
                Some(self.hit(r).to_entry(*a))
            })
        })
    }

    /// Distinct addresses per category.
    pub fn counts_by_category(&self) -> CategoryCounts {
        let mut counts = [0u64; 5];
        for &first in self.map.values() {
            let mut seen = [false; 5];
            let mut id = first;
            while id != NONE {
                let r = &self.records[id as usize];
                seen[r.category.index()] = true;
                id = r.next;
            }
            for (c, s) in counts.iter_mut().zip(seen) {
                *c += s as u64;
            }
        }
        CategoryCounts(
            Category::ALL
                .iter()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .map(|(c, n)| (*c, n))
                .collect(),
        )
    }
}

/// The result of [`AddressIndex::screen`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screening {
    /// The address in canonical form.
    pub address: Address,
    /// Every source listing it, most severe first; empty when clean.
    pub hits: Vec<AddressEntry>,
}

impl Screening {
    /// Whether any list names the address.
    pub fn is_listed(&self) -> bool {
        !self.hits.is_empty()
    }

    /// The most severe category, if listed.
    pub fn worst_category(&self) -> Option<Category> {
        self.hits.iter().map(|h| h.category).min()
    }
}
