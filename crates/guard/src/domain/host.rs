//! Host names: from a URL or a bare host to the ASCII (punycode) form browsers resolve, the
//! Unicode form people see, and the registrable domain under the Public Suffix List.

use std::net::{Ipv4Addr, Ipv6Addr};

use idna::AsciiDenyList;
use psl::Psl as _;

use crate::GuardError;
use crate::error::echo;

/// Longest input [`Host::parse`] looks at (a URL may be long; its host is at most 253 bytes).
pub const MAX_INPUT: usize = 4096;

/// A validated host name.
///
/// `ascii` is what DNS sees (lowercase, punycode `xn--` labels, no trailing dot); `unicode` is
/// what a user sees. For an IP address both are the address text and there is no registrable
/// domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    ascii: String,
    unicode: String,
    ip: bool,
    /// Byte offset in `ascii` where the registrable domain starts (None: IP, or the host is a
    /// public suffix itself).
    registrable: Option<usize>,
    /// Byte offset in `ascii` where the public suffix starts.
    suffix: usize,
    /// The suffix is in the PSL's private section (shared hosting: pages.dev, vercel.app, ...).
    private_suffix: bool,
    /// `user:pass` before an `@` in a URL authority.
    userinfo: Option<String>,
}

fn bad(input: &str, why: impl Into<String>) -> GuardError {
    GuardError::Host {
        input: echo(input),
        why: why.into(),
    }
}

impl Host {
    /// Parses a host name or a URL (`https://user@host:port/path?q#f`, scheme optional) and
    /// returns its host, IDNA-processed as browsers do (UTS #46, WHATWG URL deny list).
    pub fn parse(input: &str) -> Result<Host, GuardError> {
        if input.len() > MAX_INPUT {
            return Err(bad(input, format!("longer than {MAX_INPUT} bytes")));
        }
        let s = input.trim();
        if s.is_empty() {
            return Err(bad(input, "empty"));
        }
        // Authority: after `scheme://` (or `//`), before the first `/ ? # \`.
        let rest = match s.find("://") {
            Some(i)
                if i > 0
                    && s[..i]
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
            {
                &s[i + 3..]
            }
            _ => s.strip_prefix("//").unwrap_or(s),
        };
        let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
        let authority = &rest[..end];
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(authority[..i].to_owned()), &authority[i + 1..]),
            None => (None, authority),
        };
        // Port, and IPv6 literals in brackets.
        if let Some(v6) = hostport.strip_prefix('[') {
            let Some(close) = v6.find(']') else {
                return Err(bad(input, "unclosed [ in IPv6 address"));
            };
            let ip: Ipv6Addr = v6[..close]
                .parse()
                .map_err(|_| bad(input, "invalid IPv6 address"))?;
            let text = ip.to_string();
            return Ok(Host::ip(text, userinfo));
        }
        let host = match hostport.rfind(':') {
            Some(i) if hostport[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &hostport[..i],
            Some(_) => return Err(bad(input, "invalid port")),
            None => hostport,
        };
        let host = host.strip_suffix('.').unwrap_or(host);
        if host.is_empty() {
            return Err(bad(input, "no host name"));
        }
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return Ok(Host::ip(ip.to_string(), userinfo));
        }
        let ascii = idna::domain_to_ascii_cow(host.as_bytes(), AsciiDenyList::URL)
            .map_err(|_| {
                bad(
                    input,
                    "not a valid internationalised domain name (UTS #46 processing failed)",
                )
            })?
            .into_owned();
        Host::from_ascii(input, ascii, userinfo)
    }

    fn ip(text: String, userinfo: Option<String>) -> Host {
        Host {
            suffix: text.len(),
            unicode: text.clone(),
            ascii: text,
            ip: true,
            registrable: None,
            private_suffix: false,
            userinfo,
        }
    }

    fn from_ascii(
        input: &str,
        ascii: String,
        userinfo: Option<String>,
    ) -> Result<Host, GuardError> {
        if ascii.len() > 253 {
            return Err(bad(input, "longer than 253 characters"));
        }
        for label in ascii.split('.') {
            if label.is_empty() {
                return Err(bad(input, "empty label (`..`)"));
            }
            if label.len() > 63 {
                return Err(bad(input, "a label is longer than 63 characters"));
            }
            if let Some(c) = label
                .chars()
                .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
            {
                return Err(bad(
                    input,
                    format!("character {c:?} is not allowed in a host"),
                ));
            }
        }
        // An all-numeric last label is an IPv4 form idna did not normalise (e.g. `1.2.3`).
        if ascii
            .rsplit('.')
            .next()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad(
                input,
                "numeric top-level label (not a domain, not an IPv4)",
            ));
        }
        let unicode = if ascii.split('.').any(|l| l.starts_with("xn--")) {
            let (u, ok) = idna::domain_to_unicode(&ascii);
            if ok.is_err() {
                return Err(bad(input, "invalid punycode label"));
            }
            u
        } else {
            ascii.clone()
        };
        let (registrable, suffix, private_suffix) = match psl::List.domain(ascii.as_bytes()) {
            Some(d) => {
                let reg = ascii.len() - d.as_bytes().len();
                let sfx = d.suffix();
                (
                    Some(reg),
                    ascii.len() - sfx.as_bytes().len(),
                    sfx.typ() == Some(psl::Type::Private),
                )
            }
            None => {
                let sfx = psl::List.suffix(ascii.as_bytes());
                let private = sfx.as_ref().and_then(|s| s.typ()) == Some(psl::Type::Private);
                (None, 0, private)
            }
        };
        Ok(Host {
            ascii,
            unicode,
            ip: false,
            registrable,
            suffix,
            private_suffix,
            userinfo,
        })
    }

    /// The ASCII (punycode) form, lowercase, without a trailing dot.
    pub fn ascii(&self) -> &str {
        &self.ascii
    }

    /// The Unicode form (punycode labels decoded).
    pub fn unicode(&self) -> &str {
        &self.unicode
    }

    /// Whether the host is an IPv4 or IPv6 address.
    pub fn is_ip(&self) -> bool {
        self.ip
    }

    /// The registrable domain ("eTLD+1"): `okx.com` for `www.okx.com`, `x.pages.dev` for
    /// `a.x.pages.dev`. `None` for IP addresses and for hosts that are a public suffix.
    pub fn registrable(&self) -> Option<&str> {
        self.registrable.map(|i| &self.ascii[i..])
    }

    /// The public suffix (`com`, `co.uk`, `pages.dev`).
    pub fn suffix(&self) -> &str {
        &self.ascii[self.suffix..]
    }

    /// Whether the suffix is in the Public Suffix List's private section: a platform where
    /// anyone can publish a subdomain (pages.dev, vercel.app, github.io, web.app, ...).
    pub fn on_shared_hosting(&self) -> bool {
        self.private_suffix
    }

    /// The label left of the public suffix (`okx` in `www.okx.co.uk`).
    pub fn registrable_label(&self) -> Option<&str> {
        let r = self.registrable?;
        Some(&self.ascii[r..self.suffix - 1])
    }

    /// Labels left of the registrable domain, left to right (`["login", "www"]` is
    /// `login.www.example.com`).
    pub fn subdomain_labels(&self) -> impl Iterator<Item = &str> {
        let end = self.registrable.unwrap_or(0);
        let sub = if end > 0 { &self.ascii[..end - 1] } else { "" };
        sub.split('.').filter(|l| !l.is_empty())
    }

    /// The URL's userinfo (`user:pass` of `https://user:pass@host/`), if the input had one.
    pub fn userinfo(&self) -> Option<&str> {
        self.userinfo.as_deref()
    }

    /// `self` and each parent domain down to the registrable domain (or only `self` for IPs and
    /// public suffixes): the names a list entry with label-suffix semantics can match.
    pub fn match_candidates(&self) -> impl Iterator<Item = &str> {
        let stop = self.registrable.unwrap_or(0);
        let mut next = Some(0usize);
        core::iter::from_fn(move || {
            let i = next?;
            next = if i < stop {
                self.ascii[i..]
                    .find('.')
                    .map(|d| i + d + 1)
                    .filter(|&j| j <= stop)
            } else {
                None
            };
            Some(&self.ascii[i..])
        })
    }
}

/// Converts one ASCII label to Unicode (punycode `xn--` labels decoded; others unchanged).
pub(crate) fn label_to_unicode(label: &str) -> String {
    if label.starts_with("xn--") {
        idna::domain_to_unicode(label).0
    } else {
        label.to_owned()
    }
}
