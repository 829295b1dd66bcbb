//! Address-list importers: plain text (one per line), JSON arrays (ScamSniffer style, strings or
//! objects), and the OFAC SDN "advanced" XML. Each importer validates every entry; a malformed
//! entry is reported with where it was and why, and is never kept.

use core::fmt;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde_json::Value;

use crate::error::echo;
use crate::{Address, AddressEntry, Category, Chain, Date, GuardError, ListMeta};

/// Where in its file a rejected entry was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line of a text file.
    Line(usize),
    /// 0-based position in a JSON array.
    Entry(usize),
    /// An OFAC `<Feature>`: its `ID` attribute and the 1-based line of the address.
    Feature {
        /// The feature's `ID`.
        id: String,
        /// Line of the `<VersionDetail>`.
        line: usize,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Entry(n) => write!(f, "entry #{n}"),
            Location::Feature { id, line } => write!(f, "feature {id} (line {line})"),
        }
    }
}

/// An entry an importer refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Where it was.
    pub at: Location,
    /// Why.
    pub error: GuardError,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.error)
    }
}

/// What an import produced: the valid entries (deduplicated), and every entry left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import<T> {
    /// Valid, distinct entries in file order.
    pub entries: Vec<T>,
    /// Malformed entries, each with its location and reason. Never part of `entries`.
    pub rejected: Vec<Rejected>,
    /// Well-formed entries for chains this crate does not validate (OFAC's XMR, LTC, ...).
    pub unsupported: Vec<Rejected>,
    /// Entries that repeated an earlier one in the same file.
    pub duplicates: usize,
}

impl<T> Default for Import<T> {
    fn default() -> Self {
        Import {
            entries: Vec::new(),
            rejected: Vec::new(),
            unsupported: Vec::new(),
            duplicates: 0,
        }
    }
}

impl<T> Import<T> {
    fn reject(&mut self, at: Location, error: GuardError) {
        if matches!(error, GuardError::UnsupportedChain { .. }) {
            self.unsupported.push(Rejected { at, error });
        } else {
            self.rejected.push(Rejected { at, error });
        }
    }
}

struct Dedup<T> {
    import: Import<T>,
    seen: HashSet<Address>,
}

impl Dedup<AddressEntry> {
    fn new() -> Self {
        Dedup {
            import: Import::default(),
            seen: HashSet::new(),
        }
    }

    fn push(&mut self, e: AddressEntry) {
        if self.seen.insert(e.address) {
            self.import.entries.push(e);
        } else {
            self.import.duplicates += 1;
        }
    }
}

fn parse_address(chain: Option<Chain>, s: &str) -> Result<Address, GuardError> {
    match chain {
        Some(c) => Address::parse(c, s),
        None => Address::parse_any(s),
    }
}

/// Strips a `#` or `//` comment and surrounding whitespace from one line of a plain list.
pub(crate) fn strip_comment(line: &str) -> &str {
    let line = line.trim();
    if line.starts_with('#') || line.starts_with("//") || line.starts_with(';') {
        return "";
    }
    let cut = [" #", "\t#", " //", "\t//"]
        .iter()
        .filter_map(|m| line.find(m))
        .min()
        .unwrap_or(line.len());
    line[..cut].trim()
}

/// Imports a plain address list: one address per line; blank lines and `#`, `//` or `;`
/// comments (whole-line or trailing) are ignored. `chain = None` detects each address's chain
/// from its shape. Every entry gets `meta`'s category, source and date.
pub fn import_address_lines(
    text: &str,
    chain: Option<Chain>,
    meta: &ListMeta,
) -> Import<AddressEntry> {
    let mut d = Dedup::new();
    for (i, line) in text.lines().enumerate() {
        let s = strip_comment(line.trim_start_matches('\u{feff}'));
        if s.is_empty() {
            continue;
        }
        if s.split_whitespace().nth(1).is_some() {
            d.import.reject(
                Location::Line(i + 1),
                GuardError::Entry {
                    entry: echo(s),
                    why:
                        "expected one address per line (text after the address must be a # comment)"
                            .into(),
                },
            );
            continue;
        }
        match parse_address(chain, s) {
            Ok(address) => d.push(AddressEntry {
                address,
                category: meta.category,
                source: meta.source.clone(),
                date: meta.date,
                label: None,
            }),
            Err(e) => d.import.reject(Location::Line(i + 1), e),
        }
    }
    d.import
}

/// Imports a JSON array of addresses as community lists publish them: either strings
/// (ScamSniffer `address.json`) or objects with an `address` field and optional `chain`,
/// `category` (or `type`), `date`, `source` and `name` (or `label`) overriding `meta`'s
/// defaults (ScamSniffer's per-address detail files). A top-level value other than an array
/// is an error for the whole file; a bad element is rejected alone.
pub fn import_address_json(
    text: &str,
    chain: Option<Chain>,
    meta: &ListMeta,
) -> Result<Import<AddressEntry>, GuardError> {
    let items = json_array(text, "JSON address array")?;
    let mut d = Dedup::new();
    for (i, item) in items.iter().enumerate() {
        match address_from_json(item, chain, meta) {
            Ok(e) => d.push(e),
            Err(e) => d.import.reject(Location::Entry(i), e),
        }
    }
    Ok(d.import)
}

pub(crate) fn json_array(text: &str, format: &'static str) -> Result<Vec<Value>, GuardError> {
    let v: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        GuardError::Format {
            format,
            location: format!("line {} column {}", e.line(), e.column()),
            why: e.to_string(),
        }
    })?;
    match v {
        Value::Array(items) => Ok(items),
        other => Err(GuardError::Format {
            format,
            location: "top level".into(),
            why: format!("expected an array, got {}", json_kind(&other)),
        }),
    }
}

pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn address_from_json(
    item: &Value,
    chain: Option<Chain>,
    meta: &ListMeta,
) -> Result<AddressEntry, GuardError> {
    let bad_shape = || GuardError::Entry {
        entry: echo(&item.to_string()),
        why: "expected an address string or an object with a string `address`".into(),
    };
    match item {
        Value::String(s) => Ok(AddressEntry {
            address: parse_address(chain, s)?,
            category: meta.category,
            source: meta.source.clone(),
            date: meta.date,
            label: None,
        }),
        Value::Object(o) => {
            let field = |k: &str| o.get(k).and_then(Value::as_str);
            let s = field("address").ok_or_else(bad_shape)?;
            let chain = match field("chain") {
                Some(c) => Some(Chain::from_name(c)?),
                None => chain,
            };
            let category = match field("category").or_else(|| field("type")) {
                Some(c) => Category::from_name(c)?,
                None => meta.category,
            };
            let date = match field("date") {
                Some(d) => Some(d.parse()?),
                None => meta.date,
            };
            let label = field("name")
                .or_else(|| field("label"))
                .filter(|s| !s.is_empty())
                .map(echo);
            let source = match field("source") {
                Some(s) if !s.is_empty() => format!("{}:{}", meta.source, echo(s)),
                _ => meta.source.clone(),
            };
            Ok(AddressEntry {
                address: parse_address(chain, s)?,
                category,
                source,
                date,
                label,
            })
        }
        _ => Err(bad_shape()),
    }
}

/// Prefix of the OFAC feature types that carry digital-currency addresses.
pub const OFAC_FEATURE_PREFIX: &str = "Digital Currency Address - ";

/// Maps the asset code of an OFAC "Digital Currency Address - `ASSET`" feature to the chain
/// family whose format its addresses use. `Ok(None)` means "token on several chains, detect
/// from the address" (USDT, USDC); an error means the asset's chain is not validated here.
fn ofac_chain(asset: &str) -> Result<Option<Chain>, GuardError> {
    match asset.trim().to_ascii_uppercase().as_str() {
        "XBT" | "BTC" => Ok(Some(Chain::Bitcoin)),
        "ETH" | "ETC" | "ARB" | "BSC" => Ok(Some(Chain::Evm)),
        "TRX" => Ok(Some(Chain::Tron)),
        "SOL" => Ok(Some(Chain::Solana)),
        "USDT" | "USDC" => Ok(None),
        _ => Err(GuardError::UnsupportedChain { asset: echo(asset) }),
    }
}

/// Imports the digital-currency addresses of the OFAC SDN list in its "advanced" XML form
/// (`SDN_ADVANCED.XML`, the format of `sdn_advanced.xml`). Streaming, so the full 100 MB file
/// needs no DOM.
///
/// The rule (the one 0xB10C's extractor uses): every `<FeatureType>` whose text is
/// `Digital Currency Address - <ASSET>` defines a type id; every `<Feature FeatureTypeID=id>`
/// holds addresses in its `<VersionDetail>` texts. Each address is validated for the asset's
/// chain (BTC/XBT, ETH/ETC/ARB/BSC, TRX, SOL; USDT/USDC by shape); assets whose chains are not
/// validated here land in [`Import::unsupported`].
///
/// Every entry is [`Category::Sanctions`] with `meta.source`; its date is the designation date
/// of the party's `<SanctionsEntry>` (first `<EntryEvent>`), else the publication's
/// `<DateOfIssue>`, else `meta.date`; its label is the party's first name part.
pub fn import_ofac_sdn_xml(xml: &str, meta: &ListMeta) -> Result<Import<AddressEntry>, GuardError> {
    let doc = read_ofac(xml)?;
    let mut d = Dedup::new();
    for f in &doc.features {
        let Some(asset) = doc.feature_types.get(&f.type_id) else {
            continue; // not a digital-currency feature (birth date, vessel flag, ...)
        };
        let at = Location::Feature {
            id: f.feature_id.clone(),
            line: f.line,
        };
        let chain = match ofac_chain(asset) {
            Ok(c) => c,
            Err(e) => {
                d.import.reject(at, e);
                continue;
            }
        };
        match parse_address(chain, &f.text) {
            Ok(address) => d.push(AddressEntry {
                address,
                category: Category::Sanctions,
                source: meta.source.clone(),
                date: doc
                    .entry_dates
                    .get(&f.profile_id)
                    .copied()
                    .or(doc.issued)
                    .or(meta.date),
                label: doc.names.get(&f.profile_id).cloned(),
            }),
            Err(e) => d.import.reject(at, e),
        }
    }
    Ok(d.import)
}

struct RawFeature {
    profile_id: String,
    feature_id: String,
    type_id: String,
    text: String,
    line: usize,
}

#[derive(Default)]
struct OfacDoc {
    /// FeatureType ID → asset code, for digital-currency types only.
    feature_types: HashMap<String, String>,
    /// VersionDetail texts of every feature (resolved against `feature_types` afterwards, so
    /// the reference section may come before or after the parties).
    features: Vec<RawFeature>,
    /// Profile ID → first name part.
    names: HashMap<String, String>,
    /// Profile ID → designation date.
    entry_dates: HashMap<String, Date>,
    /// Publication date.
    issued: Option<Date>,
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(Cow::into_owned)
        })
}

/// Counts lines up to a byte offset, incrementally.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset > self.pos {
            self.line += self.text[self.pos..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.pos = offset;
        }
        self.line
    }
}

#[derive(Default)]
struct DateParts {
    year: Option<u16>,
    month: Option<u8>,
    day: Option<u8>,
}

impl DateParts {
    fn finish(&self) -> Option<Date> {
        Date::new(self.year?, self.month?, self.day?).ok()
    }
}

fn read_ofac(xml: &str) -> Result<OfacDoc, GuardError> {
    let mut reader = Reader::from_str(xml);
    let mut lines = Lines {
        text: xml.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut doc = OfacDoc::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    // Context.
    let mut profile: Option<String> = None;
    let mut feature: Option<(String, String)> = None; // (feature id, type id)
    let mut feature_type: Option<String> = None; // FeatureType ID being read
    let mut entry_profile: Option<String> = None;
    let mut date = DateParts::default();
    let mut saw_root = false;
    let fail = |reader: &Reader<&[u8]>, lines: &mut Lines<'_>, why: String| GuardError::Format {
        format: "OFAC SDN XML",
        location: format!("line {}", lines.at(reader.error_position() as usize)),
        why,
    };
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| fail(&reader, &mut lines, e.to_string()))?;
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                if stack.is_empty() {
                    if name != "Sanctions" {
                        return Err(fail(
                            &reader,
                            &mut lines,
                            format!("root element is <{name}>, expected <Sanctions>"),
                        ));
                    }
                    saw_root = true;
                }
                match name.as_str() {
                    "Profile" => profile = attr(&e, "ID"),
                    "Feature" => {
                        feature = Some((
                            attr(&e, "ID").unwrap_or_default(),
                            attr(&e, "FeatureTypeID").unwrap_or_default(),
                        ))
                    }
                    "FeatureType" => feature_type = attr(&e, "ID"),
                    "SanctionsEntry" => entry_profile = attr(&e, "ProfileID"),
                    "DateOfIssue" | "Date" => date = DateParts::default(),
                    _ => {}
                }
                text.clear();
                stack.push(name);
            }
            Event::Empty(_) if stack.is_empty() => {
                return Err(fail(&reader, &mut lines, "empty root element".into()));
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                _ => text.push_str(match &*r.xml10_content() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                }),
            },
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let parent = stack.last().map(String::as_str);
                let value = text.trim();
                match name.as_str() {
                    "FeatureType" => {
                        if let (Some(id), Some(asset)) =
                            (feature_type.take(), value.strip_prefix(OFAC_FEATURE_PREFIX))
                        {
                            doc.feature_types.insert(id, asset.trim().to_owned());
                        }
                    }
                    "VersionDetail" => {
                        if let Some((fid, tid)) = &feature
                            && !value.is_empty()
                        {
                            let line = lines.at(reader.buffer_position() as usize);
                            doc.features.push(RawFeature {
                                profile_id: profile.clone().unwrap_or_default(),
                                feature_id: fid.clone(),
                                type_id: tid.clone(),
                                text: value.to_owned(),
                                line,
                            });
                        }
                    }
                    "Feature" => feature = None,
                    "Profile" => profile = None,
                    "NamePartValue" => {
                        if let Some(p) = &profile
                            && !value.is_empty()
                        {
                            doc.names.entry(p.clone()).or_insert_with(|| echo(value));
                        }
                    }
                    "Year" => date.year = value.parse().ok(),
                    "Month" => date.month = value.parse().ok(),
                    "Day" => date.day = value.parse().ok(),
                    "DateOfIssue" if parent == Some("Sanctions") => doc.issued = date.finish(),
                    "Date" if parent == Some("EntryEvent") => {
                        if let (Some(p), Some(d)) = (&entry_profile, date.finish()) {
                            doc.entry_dates.entry(p.clone()).or_insert(d);
                        }
                    }
                    "SanctionsEntry" => entry_profile = None,
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(GuardError::Format {
            format: "OFAC SDN XML",
            location: "top level".into(),
            why: "no <Sanctions> root element".into(),
        });
    }
    if !stack.is_empty() {
        return Err(GuardError::Format {
            format: "OFAC SDN XML",
            location: "end of file".into(),
            why: format!("unclosed <{}>", stack.join("> <")),
        });
    }
    Ok(doc)
}
