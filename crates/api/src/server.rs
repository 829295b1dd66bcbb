//! The HTTP listener with limits for slow and hostile clients: a cap on open connections, a
//! deadline for each request head (which also ends idle keep-alive connections), a bound on the
//! head's size, a deadline for each whole request, and a JSON body on every error — including
//! the ones the HTTP parser writes itself (`400`, `431`) before any handler runs.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::config::ServerConfig;
use crate::error::{ApiError, ErrorBody};

/// The limits [`serve`] enforces (from `[server]`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to send a request head; also how long an idle keep-alive connection lives.
    pub header_timeout: Duration,
    /// Time for a whole request, body included.
    pub request_timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
    /// Largest request head in bytes.
    pub max_header_bytes: usize,
}

impl Limits {
    /// The limits `[server]` configures.
    pub fn from_config(c: &ServerConfig) -> Self {
        Self {
            header_timeout: Duration::from_secs(c.header_timeout_secs),
            request_timeout: Duration::from_secs(c.request_timeout_secs),
            max_connections: c.max_connections,
            max_header_bytes: c.max_header_bytes,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and lets open
/// connections finish their current request (the caller bounds how long it waits).
///
/// Each accepted connection holds one of `max_connections` permits; at the cap the loop stops
/// accepting and further clients wait in the kernel's backlog rather than costing descriptors
/// and memory here.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let router = router.layer(axum::middleware::from_fn(move |req, next| {
        request_deadline(limits.request_timeout, req, next)
    }));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        // hyper's minimum buffer is 8 KiB; the configuration enforces at least that.
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.map_err(io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, _peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(ErrorBodies::new(stream));
        let conn = http.serve_connection(io, TowerToHyperService::new(router.clone()));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Answers `408` with the usual JSON body when a request (reading its body included) takes
/// longer than `limit`.
async fn request_deadline(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => json_errors(r),
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request took longer than {} s", limit.as_secs()),
        )
        .into_response(),
    }
}

/// Gives an error response that has no JSON body one (the framework's own rejections: a body
/// over the limit, an unsupported media type), so every error a client sees is `{code, msg}`.
fn json_errors(r: Response) -> Response {
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return r;
    }
    let is_json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return r;
    }
    let (code, msg) = status_words(status);
    let mut out = ApiError::new(status, code, msg).into_response();
    for (k, v) in r.headers() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// A stable code and message for a bare status.
fn status_words(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad_request", "the request is not valid HTTP"),
        404 => ("not_found", "no such endpoint"),
        405 => ("method_not_allowed", "method not allowed on this endpoint"),
        408 => ("request_timeout", "the request took too long"),
        413 => (
            "body_too_large",
            "the request body is larger than the limit",
        ),
        415 => (
            "unsupported_media_type",
            "send the body as application/json",
        ),
        431 => (
            "headers_too_large",
            "the request line and headers are larger than the limit",
        ),
        s if s >= 500 => ("internal", "internal error"),
        _ => ("bad_request", "the request was refused"),
    }
}

/// The complete response written instead of hyper's bodiless parse-error answer.
fn parse_error_response(status: StatusCode) -> Vec<u8> {
    let (code, msg) = status_words(status);
    let body = serde_json::to_vec(&ErrorBody {
        code,
        msg: msg.to_owned(),
    })
    .unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// The stream under the HTTP parser. When the parser rejects a request head it answers on its
/// own, before any handler runs, with a status line and no body, then closes; this wrapper
/// recognises that one write (an error status with `content-length: 0`, which the service's
/// own responses never have) and writes a JSON-bodied response in its place. Everything else
/// passes through untouched.
struct ErrorBodies<T> {
    inner: T,
    /// A replacement being written: the bytes and how many went out.
    replacing: Option<(Vec<u8>, usize)>,
}

impl<T> ErrorBodies<T> {
    fn new(inner: T) -> Self {
        Self {
            inner,
            replacing: None,
        }
    }
}

/// The status of a bodiless error head at the start of `buf`, if that is what `buf` is.
fn bodiless_error(buf: &[u8]) -> Option<StatusCode> {
    let head = buf.strip_prefix(b"HTTP/1.1 ")?;
    let code = std::str::from_utf8(head.get(..3)?).ok()?.parse().ok()?;
    let status = StatusCode::from_u16(code).ok()?;
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    if end + 4 != buf.len() {
        return None;
    }
    let lower = buf[..end].to_ascii_lowercase();
    let empty = lower
        .split(|b| *b == b'\n')
        .any(|l| l.trim_ascii() == b"content-length: 0");
    let typed = lower
        .split(|b| *b == b'\n')
        .any(|l| l.starts_with(b"content-type:"));
    (empty && !typed).then_some(status)
}

impl<T: AsyncRead + Unpin> AsyncRead for ErrorBodies<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ErrorBodies<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacing.is_none() {
            match bodiless_error(buf) {
                Some(status) => this.replacing = Some((parse_error_response(status), 0)),
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        // Write the whole replacement, then report the original bytes as written.
        while let Some((bytes, done)) = this.replacing.as_mut() {
            if *done == bytes.len() {
                this.replacing = None;
                return Poll::Ready(Ok(buf.len()));
            }
            match Pin::new(&mut this.inner).poll_write(cx, &bytes[*done..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => *done += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bodiless_error_heads_are_replaced() {
        let h =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(
            bodiless_error(h),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        // The service's own errors carry a JSON body and a content type: untouched.
        let own = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bodiless_error(own), None);
        let ok = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bodiless_error(ok), None);
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}";
        assert_eq!(bodiless_error(with_body), None);
        let r = String::from_utf8(parse_error_response(StatusCode::BAD_REQUEST)).unwrap();
        assert!(r.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(r.ends_with(r#"{"code":"bad_request","msg":"the request is not valid HTTP"}"#));
    }
}
