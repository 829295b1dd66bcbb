//! Which permission each gateway route needs. The table is the deployment's, loaded at start-up;
//! every entry must name its permission, and a request whose route matches no entry is denied:
//! forgetting a route can only lock callers out, never let a read-only key trade.

use core::fmt;

use thiserror::Error;

use crate::Permission;

/// One entry: a method (or `*` for any) and a path, exact or a prefix ending in `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    method: Option<String>,
    path: String,
    prefix: bool,
    permission: Permission,
}

impl RouteRule {
    /// The permission the route needs.
    pub fn permission(&self) -> Permission {
        self.permission
    }
}

impl fmt::Display for RouteRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}{}",
            self.method.as_deref().unwrap_or("*"),
            self.path,
            if self.prefix { "*" } else { "" }
        )
    }
}

/// Why a route table does not load. Each names the entry (0-based) and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RouteError {
    /// The entry has no permission.
    #[error(
        "route {index} ({route}): no `permission`; every gateway route must name read, trade or withdraw"
    )]
    MissingPermission {
        /// Entry index.
        index: usize,
        /// The route as written.
        route: String,
    },
    /// The permission is not a permission name.
    #[error("route {index} ({route}): permission {got:?} is not read, trade or withdraw")]
    BadPermission {
        /// Entry index.
        index: usize,
        /// The route as written.
        route: String,
        /// What was written.
        got: String,
    },
    /// The method is not `*` or an HTTP method token.
    #[error("route {index}: method {got:?} must be `*` or an HTTP method such as GET")]
    BadMethod {
        /// Entry index.
        index: usize,
        /// What was written.
        got: String,
    },
    /// The path does not start with `/`, contains a query, or has `*` anywhere but the end.
    #[error(
        "route {index}: path {got:?} must start with `/`, have no `?`, and use `*` only as its last character"
    )]
    BadPath {
        /// Entry index.
        index: usize,
        /// What was written.
        got: String,
    },
    /// Two entries have the same method and path.
    #[error("route {index} ({route}) repeats an earlier entry")]
    Duplicate {
        /// Entry index.
        index: usize,
        /// The route.
        route: String,
    },
    /// The table is empty: every request would be denied.
    #[error("the gateway route table is empty: every signed request would be denied")]
    Empty,
}

/// The route table: the most specific matching entry decides (an exact path beats any prefix,
/// a longer prefix beats a shorter one, a named method beats `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    rules: Vec<RouteRule>,
}

impl RouteTable {
    /// Validates `(method, path, permission)` entries as a deployment wrote them.
    pub fn parse<'a>(
        entries: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>,
    ) -> Result<Self, RouteError> {
        let mut rules: Vec<RouteRule> = Vec::new();
        for (index, (method, path, permission)) in entries.into_iter().enumerate() {
            let m = method.trim();
            let method = if m == "*" {
                None
            } else if !m.is_empty() && m.len() <= 16 && m.bytes().all(|c| c.is_ascii_alphabetic()) {
                Some(m.to_ascii_uppercase())
            } else {
                return Err(RouteError::BadMethod {
                    index,
                    got: method.to_owned(),
                });
            };
            let prefix = path.ends_with('*');
            let stem = path.strip_suffix('*').unwrap_or(path);
            if !stem.starts_with('/')
                || stem.contains(['*', '?'])
                || stem.chars().any(|c| c.is_control() || c == ' ')
            {
                return Err(RouteError::BadPath {
                    index,
                    got: path.to_owned(),
                });
            }
            let route = format!("{} {path}", method.as_deref().unwrap_or("*"));
            let permission = match permission {
                None => return Err(RouteError::MissingPermission { index, route }),
                Some(p) => {
                    Permission::parse(p.trim()).ok_or_else(|| RouteError::BadPermission {
                        index,
                        route: route.clone(),
                        got: p.to_owned(),
                    })?
                }
            };
            let rule = RouteRule {
                method,
                path: stem.to_owned(),
                prefix,
                permission,
            };
            if rules
                .iter()
                .any(|r| r.method == rule.method && r.path == rule.path && r.prefix == rule.prefix)
            {
                return Err(RouteError::Duplicate { index, route });
            }
            rules.push(rule);
        }
        if rules.is_empty() {
            return Err(RouteError::Empty);
        }
        Ok(Self { rules })
    }

    /// OKX v5's layout: every `GET` reads; `POST`s under trade, account, asset (transfers),
    /// finance and bots trade; withdrawals (and their cancellation) need withdraw.
    pub fn okx_v5() -> Self {
        Self::parse(OKX_V5.iter().map(|(m, p, perm)| (*m, *p, Some(*perm))))
            .expect("the built-in table is valid")
    }

    /// The entries, as loaded.
    pub fn rules(&self) -> &[RouteRule] {
        &self.rules
    }

    /// The permission `method path` needs (`path` may carry a `?query`, ignored here), or
    /// `None` when no entry matches.
    pub fn required(&self, method: &str, path: &str) -> Option<Permission> {
        let path = path.split('?').next().unwrap_or("");
        self.rules
            .iter()
            .filter(|r| r.method.as_deref().is_none_or(|m| m == method))
            .filter(|r| {
                if r.prefix {
                    path.starts_with(&r.path)
                } else {
                    path == r.path
                }
            })
            .max_by_key(|r| (!r.prefix, r.path.len(), r.method.is_some()))
            .map(|r| r.permission)
    }
}

/// The built-in table (method, path, permission).
pub const OKX_V5: &[(&str, &str, &str)] = &[
    ("GET", "/api/v5/*", "read"),
    ("POST", "/api/v5/trade/*", "trade"),
    ("POST", "/api/v5/account/*", "trade"),
    ("POST", "/api/v5/asset/*", "trade"),
    ("POST", "/api/v5/asset/withdrawal", "withdraw"),
    ("POST", "/api/v5/asset/cancel-withdrawal", "withdraw"),
    ("POST", "/api/v5/finance/*", "trade"),
    ("POST", "/api/v5/tradingBot/*", "trade"),
    ("POST", "/api/v5/copytrading/*", "trade"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_specific_entry_decides() {
        let t = RouteTable::okx_v5();
        assert_eq!(
            t.required("GET", "/api/v5/account/balance?ccy=BTC"),
            Some(Permission::Read)
        );
        assert_eq!(
            t.required("POST", "/api/v5/trade/order"),
            Some(Permission::Trade)
        );
        assert_eq!(
            t.required("POST", "/api/v5/asset/transfer"),
            Some(Permission::Trade)
        );
        assert_eq!(
            t.required("POST", "/api/v5/asset/withdrawal"),
            Some(Permission::Withdraw)
        );
        // Fail closed: a route nobody configured needs a permission nobody can show.
        assert_eq!(t.required("POST", "/api/v5/new-thing"), None);
        assert_eq!(t.required("DELETE", "/api/v5/trade/order"), None);
        assert_eq!(t.required("GET", "/other"), None);
    }

    #[test]
    fn entries_are_refused_with_their_index() {
        let e = RouteTable::parse([("GET", "/a", Some("read")), ("POST", "/b", None)]).unwrap_err();
        assert_eq!(
            e,
            RouteError::MissingPermission {
                index: 1,
                route: "POST /b".into()
            }
        );
        assert!(e.to_string().contains("every gateway route must name"));
        for (m, p, perm) in [
            ("GE T", "/a", Some("read")),
            ("GET", "a", Some("read")),
            ("GET", "/a*b", Some("read")),
            ("GET", "/a?x=1", Some("read")),
            ("GET", "/a", Some("admin")),
        ] {
            assert!(
                RouteTable::parse([(m, p, perm)]).is_err(),
                "{m} {p} {perm:?}"
            );
        }
        assert_eq!(
            RouteTable::parse([("GET", "/a", Some("read")), ("get", "/a", Some("trade"))])
                .unwrap_err(),
            RouteError::Duplicate {
                index: 1,
                route: "GET /a".into()
            }
        );
        assert_eq!(
            RouteTable::parse(std::iter::empty()).unwrap_err(),
            RouteError::Empty
        );
        // The positive twin: a valid custom table loads and answers.
        let t = RouteTable::parse([("*", "/x/*", Some("trade"))]).unwrap();
        assert_eq!(t.required("PUT", "/x/y"), Some(Permission::Trade));
    }
}
