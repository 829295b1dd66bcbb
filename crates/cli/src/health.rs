//! `custodia health`: asks a running service's `/healthz`, for container health checks and
//! scripts on hosts without curl. Plain HTTP/1.1 over `std::net`: the probe targets the
//! service's own listener on the loopback, never a TLS front.

use std::io::{Read as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use crate::Outcome;
use crate::output::Output;

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The health endpoint (http only).
    #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
    pub url: String,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
}

/// `host:port` and path of an `http://` URL.
fn split_url(url: &str) -> Result<(String, String)> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url}: only http:// URLs (the service's own listener)"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/healthz"),
    };
    anyhow::ensure!(!authority.is_empty(), "{url}: no host");
    let authority = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_owned()))
}

pub fn run(a: HealthArgs, out: &Output) -> Result<Outcome> {
    let (authority, path) = split_url(&a.url)?;
    let timeout = Duration::from_secs(a.timeout.max(1));
    let addr = authority
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {authority}"))?
        .next()
        .with_context(|| format!("{authority} resolves to no address"))?;
    let mut s = TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("cannot connect to {authority}"))?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nAccept: application/json\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    s.take(64 * 1024)
        .read_to_end(&mut buf)
        .with_context(|| format!("no answer from {authority}"))?;
    let text = String::from_utf8_lossy(&buf);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        bail!("{authority}: not an HTTP answer");
    };
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("{authority}: not an HTTP answer"))?;
    let body = body.trim();
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    out.emit(&serde_json::json!({"status": status, "body": json}), || {
        format!("{status} {body}")
    });
    Ok(if status == 200 {
        Outcome::Ok
    } else {
        Outcome::Rejected
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_address_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/healthz").unwrap(),
            ("127.0.0.1:8080".into(), "/healthz".into())
        );
        assert_eq!(
            split_url("http://localhost").unwrap(),
            ("localhost:80".into(), "/healthz".into())
        );
        assert!(split_url("https://x/healthz").is_err());
        assert!(split_url("http:///healthz").is_err());
    }
}
