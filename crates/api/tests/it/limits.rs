//! Slow and hostile clients against the real listener over TCP: half-sent requests are closed
//! within the header timeout, a connection cap holds, slow bodies time out, oversized heads and
//! bodies get JSON errors. Each has a well-behaved twin that is served.

use std::time::{Duration, Instant};

use custodia_api::{Limits, serve};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::common::*;

struct Server {
    addr: std::net::SocketAddr,
    _stop: oneshot::Sender<()>,
}

async fn start(h: &H, limits: Limits) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let router = h.router.clone();
    tokio::spawn(async move {
        serve(listener, router, limits, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Server { addr, _stop: tx }
}

fn limits() -> Limits {
    Limits {
        header_timeout: Duration::from_millis(800),
        request_timeout: Duration::from_millis(1500),
        max_connections: 64,
        max_header_bytes: 16 * 1024,
    }
}

/// Reads until the server closes; the bytes and whether it closed within `within`.
async fn read_all(s: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into(), false),
        }
    }
}

fn body_json(resp: &str) -> Value {
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str(body).unwrap_or(Value::Null)
}

async fn get_health(addr: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    read_all(&mut s, Duration::from_secs(5)).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed_within_the_header_timeout() {
    let h = harnesses("slowloris").await.remove(0);
    let srv = start(&h, limits()).await;
    let started = Instant::now();
    let mut conns = Vec::new();
    for _ in 0..200 {
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        s.write_all(b"POST /v1/gateway/verify HTTP/1.1\r\nhost: x\r\nx-a: ")
            .await
            .unwrap();
        conns.push(s);
    }
    // A silent connection (no byte sent at all) is closed too.
    conns.push(TcpStream::connect(srv.addr).await.unwrap());
    for s in &mut conns {
        let (_, closed) = read_all(s, Duration::from_secs(3)).await;
        assert!(closed, "a half-sent request was still open after 3 s");
    }
    assert!(started.elapsed() < Duration::from_secs(4));
    // The twin: a complete request is served.
    let r = get_health(srv.addr).await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_holds_and_frees() {
    let h = harnesses("conn_cap").await.remove(0);
    let srv = start(
        &h,
        Limits {
            max_connections: 2,
            ..limits()
        },
    )
    .await;
    let mut a = TcpStream::connect(srv.addr).await.unwrap();
    let mut b = TcpStream::connect(srv.addr).await.unwrap();
    a.write_all(b"GET /heal").await.unwrap();
    b.write_all(b"GET /heal").await.unwrap();
    // The third client is connected by the kernel but not served while both permits are held.
    let mut c = TcpStream::connect(srv.addr).await.unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let (early, _) = read_all(&mut c, Duration::from_millis(400)).await;
    assert!(early.is_empty(), "served past the cap: {early}");
    // When the slow ones time out, their permits free up and the waiting client is served.
    let (late, closed) = read_all(&mut c, Duration::from_secs(5)).await;
    assert!(closed && late.starts_with("HTTP/1.1 200"), "{late}");
    let _ = (
        read_all(&mut a, Duration::from_secs(1)).await,
        read_all(&mut b, Duration::from_secs(1)).await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_get_431_with_a_json_body() {
    let h = harnesses("big_head").await.remove(0);
    let srv = start(&h, limits()).await;
    for size in [20 * 1024, 1024 * 1024] {
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        let head = format!(
            "GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
            "a".repeat(size)
        );
        // The server may answer and close before reading everything: ignore write errors.
        let _ = s.write_all(head.as_bytes()).await;
        let (r, _) = read_all(&mut s, Duration::from_secs(5)).await;
        assert!(r.starts_with("HTTP/1.1 431"), "{size}: {r}");
        assert!(
            r.to_ascii_lowercase()
                .contains("content-type: application/json")
        );
        assert_eq!(body_json(&r)["code"], "headers_too_large", "{r}");
    }
    // Garbage instead of HTTP: 400, with a JSON body too.
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(b"NOT HTTP AT ALL\r\n\r\n").await.unwrap();
    let (r, _) = read_all(&mut s, Duration::from_secs(5)).await;
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
    assert_eq!(body_json(&r)["code"], "bad_request", "{r}");
    // The twin: a head under the limit is served.
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    let head = format!(
        "GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: {}\r\nconnection: close\r\n\r\n",
        "a".repeat(8 * 1024)
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let (r, _) = read_all(&mut s, Duration::from_secs(5)).await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_oversized_bodies_get_json_errors() {
    let h = harnesses("slow_body").await.remove(0);
    let srv = start(&h, limits()).await;
    // A body that never finishes: 408 after the request timeout.
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(
        format!(
            "POST /v1/gateway/verify HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {GATEWAY}\r\n\
             content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"method\":"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let started = Instant::now();
    let (r, _) = read_all(&mut s, Duration::from_secs(5)).await;
    assert!(r.starts_with("HTTP/1.1 408"), "{r}");
    assert_eq!(body_json(&r)["code"], "request_timeout");
    assert!(started.elapsed() < Duration::from_secs(3));
    // A body over the limit: 413, JSON.
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    let big = "x".repeat(300 * 1024);
    let _ = s
        .write_all(
            format!(
                "POST /v1/gateway/verify HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {GATEWAY}\r\n\
                 content-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{big}",
                big.len()
            )
            .as_bytes(),
        )
        .await;
    let (r, _) = read_all(&mut s, Duration::from_secs(5)).await;
    assert!(r.starts_with("HTTP/1.1 413"), "{r}");
    assert_eq!(body_json(&r)["code"], "body_too_large");
    // The twin: a complete body is answered at once.
    let r = get_health(srv.addr).await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
}
