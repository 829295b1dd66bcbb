use core::fmt;
use std::collections::HashMap;
use std::io::{self, Write};

use custodia_primitives::{AccountId, Amount, AssetRegistry, Total};

use crate::decimal::write_units;
use crate::{Format, Reason, SnapshotError};

/// The liabilities of one proof-of-reserves round: every user's equity and debt in every asset.
///
/// Built by the loaders ([`crate::load`], [`crate::read`]) or [`Snapshot::from_parts`], which also
/// build the user index [`Snapshot::find_user`] answers from and reject duplicate users.
///
/// # Correctness
///
/// The fields are public for reading. Code that edits `users` or `balances` in place must keep
/// `balances.len() == users.len() * 2 * assets.len()` and call [`Snapshot::rebuild_index`] after
/// changing `users`; [`Snapshot::find_user`] never returns a wrong row (it checks the id it finds)
/// but misses users added without a rebuild.
#[derive(Clone)]
pub struct Snapshot {
    /// The round's asset list, in column order.
    pub assets: AssetRegistry,
    /// The users, in input order.
    pub users: Vec<AccountId>,
    /// Row-major, interleaved: `balances[u * 2*A + 2*i]` is the equity of user `u` in asset `i`,
    /// `balances[u * 2*A + 2*i + 1]` its debt.
    pub balances: Vec<Amount>,
    /// Account id to row.
    index: HashMap<Box<str>, usize>,
}

impl Snapshot {
    /// Builds a snapshot from its parts, checking the balance count and that no user appears
    /// twice (errors name `<memory>` and the 1-based user row). A snapshot has at least one user.
    pub fn from_parts(
        assets: AssetRegistry,
        users: Vec<AccountId>,
        balances: Vec<Amount>,
    ) -> Result<Self, SnapshotError> {
        let mem =
            |row: usize, reason| SnapshotError::new("<memory>", Some(row as u64), None, reason);
        let expected = users.len() * 2 * assets.len();
        if balances.len() != expected {
            return Err(SnapshotError::new(
                "<memory>",
                None,
                None,
                Reason::BalanceCount {
                    users: users.len(),
                    assets: assets.len(),
                    expected,
                    got: balances.len(),
                },
            ));
        }
        if users.is_empty() {
            return Err(SnapshotError::new("<memory>", None, None, Reason::NoUsers));
        }
        let mut index = HashMap::with_capacity(users.len());
        for (u, id) in users.iter().enumerate() {
            if let Some(first) = index.insert(Box::from(id.as_str()), u) {
                return Err(mem(
                    u + 1,
                    Reason::DuplicateUser {
                        user: id.to_string(),
                        first_line: first as u64 + 1,
                    },
                ));
            }
        }
        Ok(Self {
            assets,
            users,
            balances,
            index,
        })
    }

    /// Assembles a snapshot whose index the loader already built.
    pub(crate) fn from_indexed(
        assets: AssetRegistry,
        users: Vec<AccountId>,
        balances: Vec<Amount>,
        index: HashMap<Box<str>, usize>,
    ) -> Self {
        debug_assert_eq!(balances.len(), users.len() * 2 * assets.len());
        debug_assert_eq!(index.len(), users.len());
        Self {
            assets,
            users,
            balances,
            index,
        }
    }

    /// Number of users.
    pub fn num_users(&self) -> usize {
        self.users.len()
    }

    /// Number of assets.
    pub fn num_assets(&self) -> usize {
        self.assets.len()
    }

    /// User `u`'s `2 * A` interleaved balances: `[equity_0, debt_0, equity_1, debt_1, …]`.
    ///
    /// # Panics
    ///
    /// If `u >= self.num_users()`.
    pub fn user_balances(&self, u: usize) -> &[Amount] {
        let w = 2 * self.assets.len();
        &self.balances[u * w..(u + 1) * w]
    }

    /// Equity of user `u` in asset `i`.
    ///
    /// # Panics
    ///
    /// If `u` or `i` is out of range.
    pub fn equity(&self, u: usize, i: usize) -> Amount {
        assert!(i < self.assets.len(), "asset index out of range");
        self.user_balances(u)[2 * i]
    }

    /// Debt of user `u` in asset `i`.
    ///
    /// # Panics
    ///
    /// If `u` or `i` is out of range.
    pub fn debt(&self, u: usize, i: usize) -> Amount {
        assert!(i < self.assets.len(), "asset index out of range");
        self.user_balances(u)[2 * i + 1]
    }

    /// Per-asset totals over all users: `(total equity, total debt)`, each indexed by asset.
    pub fn totals(&self) -> (Vec<Total>, Vec<Total>) {
        let a = self.assets.len();
        // Exact: fewer than 2^64 amounts below 2^62 each cannot overflow a u128.
        let mut sums = vec![0u128; 2 * a];
        for row in self.balances.chunks_exact(2 * a) {
            for (s, b) in sums.iter_mut().zip(row) {
                *s += u128::from(b.units());
            }
        }
        let equity = sums
            .iter()
            .step_by(2)
            .map(|&s| Total::from_units(s))
            .collect();
        let debt = sums[1..]
            .iter()
            .step_by(2)
            .map(|&s| Total::from_units(s))
            .collect();
        (equity, debt)
    }

    /// The row of the user with this account id, from the index built at load (O(1)).
    pub fn find_user(&self, id: &str) -> Option<usize> {
        self.index
            .get(id)
            .copied()
            .filter(|&u| self.users.get(u).is_some_and(|a| a.as_str() == id))
    }

    /// Rebuilds the account-id index after `users` was edited in place. Later duplicates
    /// shadow nothing: the first row of an id wins.
    pub fn rebuild_index(&mut self) {
        self.index.clear();
        for (u, id) in self.users.iter().enumerate() {
            self.index.entry(Box::from(id.as_str())).or_insert(u);
        }
    }

    /// Writes the snapshot in `format`; reading the output back with the same registry gives an
    /// equal snapshot. Wide CSV lists every equity and debt column; long CSV and JSON Lines
    /// list only non-zero amounts (a user with no balance keeps one all-zero row in long CSV and
    /// empty maps in JSON Lines).
    pub fn write<W: Write>(&self, format: Format, out: W) -> io::Result<()> {
        let mut out = io::BufWriter::with_capacity(1 << 20, out);
        let registry = self.assets.assets();
        let mut line = Vec::with_capacity(256);
        match format {
            Format::WideCsv => {
                write_wide_header(&mut line, &self.assets);
                out.write_all(&line)?;
                for (u, id) in self.users.iter().enumerate() {
                    line.clear();
                    write_wide_row(&mut line, id.as_str(), self.user_balances(u), &self.assets);
                    out.write_all(&line)?;
                }
            }
            Format::LongCsv => {
                out.write_all(b"user_id,asset,equity,debt\n")?;
                for (u, id) in self.users.iter().enumerate() {
                    let row = self.user_balances(u);
                    let mut any = false;
                    for (i, info) in registry.iter().enumerate() {
                        let (e, d) = (row[2 * i], row[2 * i + 1]);
                        if e.is_zero() && d.is_zero() && (any || i + 1 < registry.len()) {
                            continue;
                        }
                        any = true;
                        line.clear();
                        line.extend_from_slice(id.as_str().as_bytes());
                        line.push(b',');
                        line.extend_from_slice(info.id.as_str().as_bytes());
                        line.push(b',');
                        write_units(&mut line, e.units(), info.decimals);
                        line.push(b',');
                        write_units(&mut line, d.units(), info.decimals);
                        line.push(b'\n');
                        out.write_all(&line)?;
                    }
                }
            }
            Format::JsonLines => {
                for (u, id) in self.users.iter().enumerate() {
                    let row = self.user_balances(u);
                    line.clear();
                    line.extend_from_slice(b"{\"user_id\":\"");
                    line.extend_from_slice(id.as_str().as_bytes());
                    line.push(b'"');
                    for (side, name) in [(0, "equity"), (1, "debt")] {
                        line.extend_from_slice(b",\"");
                        line.extend_from_slice(name.as_bytes());
                        line.extend_from_slice(b"\":{");
                        let mut first = true;
                        for (i, info) in registry.iter().enumerate() {
                            let v = row[2 * i + side];
                            if v.is_zero() {
                                continue;
                            }
                            if !first {
                                line.push(b',');
                            }
                            first = false;
                            line.push(b'"');
                            line.extend_from_slice(info.id.as_str().as_bytes());
                            line.extend_from_slice(b"\":\"");
                            write_units(&mut line, v.units(), info.decimals);
                            line.push(b'"');
                        }
                        line.push(b'}');
                    }
                    line.extend_from_slice(b"}\n");
                    out.write_all(&line)?;
                }
            }
        }
        out.flush()
    }
}

/// `user_id,BTC,BTC_debt,ETH,ETH_debt,…\n`
pub(crate) fn write_wide_header(line: &mut Vec<u8>, assets: &AssetRegistry) {
    line.extend_from_slice(b"user_id");
    for info in assets.assets() {
        line.push(b',');
        line.extend_from_slice(info.id.as_str().as_bytes());
        line.push(b',');
        line.extend_from_slice(info.id.as_str().as_bytes());
        line.extend_from_slice(b"_debt");
    }
    line.push(b'\n');
}

/// One wide-CSV row, newline included. Account ids never need CSV quoting.
pub(crate) fn write_wide_row(
    line: &mut Vec<u8>,
    id: &str,
    balances: &[Amount],
    assets: &AssetRegistry,
) {
    line.extend_from_slice(id.as_bytes());
    for (pair, info) in balances.chunks_exact(2).zip(assets.assets()) {
        for v in pair {
            line.push(b',');
            write_units(line, v.units(), info.decimals);
        }
    }
    line.push(b'\n');
}

impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        // The index is derived from `users`.
        self.assets == other.assets && self.users == other.users && self.balances == other.balances
    }
}

impl Eq for Snapshot {}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A million rows would drown any test failure: show the first few.
        const SHOWN: usize = 8;
        let ids: Vec<&str> = self.assets.assets().iter().map(|i| i.id.as_str()).collect();
        let rows: Vec<_> = (0..self.users.len().min(SHOWN))
            .map(|u| (self.users[u].as_str(), self.user_balances(u)))
            .collect();
        f.debug_struct("Snapshot")
            .field("assets", &ids)
            .field("num_users", &self.users.len())
            .field("first_rows", &rows)
            .finish()
    }
}
