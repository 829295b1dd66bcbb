//! `GET /verify`: the self-contained browser verifier page (built by
//! `crates/verifier-wasm/build.sh`), served so users can open it from the exchange's own host.
//!
//! The page is read once at start-up and kept in memory; its SHA-256 is the `ETag`. It carries
//! its own Content-Security-Policy, and the response repeats it as a header (no connections, no
//! outside scripts, the worker only from a Blob the page makes) together with the usual
//! anti-framing and no-sniff headers: a verifier page must not be embeddable by a phishing site.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::ApiError;

/// Largest page accepted (the built page is about 1.2 MB).
pub const MAX_PAGE_BYTES: u64 = 16 << 20;

/// The policy the page declares in its own `<meta>`; sent as a header too.
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline' 'wasm-unsafe-eval'; \
                   style-src 'unsafe-inline'; worker-src blob:; img-src data:; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `[web]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// The built verifier page (`crates/verifier-wasm/build.sh` writes
    /// `target/verifier-page/index.html`); `GET /verify` serves it. Unset: `/verify` says how to
    /// build it.
    pub verifier_page: Option<PathBuf>,
}

/// The page in memory.
#[derive(Debug)]
pub struct VerifierPage {
    bytes: axum::body::Bytes,
    etag: HeaderValue,
}

impl VerifierPage {
    /// Reads the configured page; `Ok(None)` when none is configured. A configured page that is
    /// missing, too large or not the verifier page stops the service with the reason.
    pub fn load(cfg: &WebConfig) -> anyhow::Result<Option<Arc<Self>>> {
        let Some(path) = &cfg.verifier_page else {
            return Ok(None);
        };
        let meta = std::fs::metadata(path)
            .with_context(|| format!("web.verifier_page: cannot open {}", path.display()))?;
        anyhow::ensure!(
            meta.len() <= MAX_PAGE_BYTES,
            "web.verifier_page: {} is {} bytes, more than {MAX_PAGE_BYTES}: not the verifier page",
            path.display(),
            meta.len()
        );
        let bytes = std::fs::read(path)
            .with_context(|| format!("web.verifier_page: cannot read {}", path.display()))?;
        Self::from_bytes(bytes)
            .map(|p| Some(Arc::new(p)))
            .with_context(|| format!("web.verifier_page: {}", path.display()))
    }

    /// Checks that `bytes` is a built verifier page (the template with both parts inlined).
    pub fn from_bytes(bytes: Vec<u8>) -> anyhow::Result<Self> {
        let text = std::str::from_utf8(&bytes).context("not UTF-8: not the verifier page")?;
        anyhow::ensure!(
            text.contains("id=\"custodia-worker\"") && text.contains("id=\"custodia-wasm\""),
            "not the Custodia verifier page (build it with crates/verifier-wasm/build.sh)"
        );
        anyhow::ensure!(
            !text.contains("/*CUSTODIA-WASM*/") && !text.contains("/*CUSTODIA-WORKER*/"),
            "this is the page template, not the built page: run crates/verifier-wasm/build.sh \
             and point web.verifier_page at its output"
        );
        let etag = format!("\"{}\"", hex::encode(Sha256::digest(&bytes)));
        Ok(Self {
            bytes: bytes.into(),
            etag: HeaderValue::from_str(&etag).context("etag")?,
        })
    }

    fn respond(&self, req: &HeaderMap) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if req
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == self.etag.as_bytes())
        {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        let fixed = [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
        ];
        for (name, value) in fixed {
            headers.insert(name, HeaderValue::from_static(value));
        }
        (StatusCode::OK, headers, self.bytes.clone()).into_response()
    }
}

/// `GET /verify` (and `/verify/`).
pub fn routes(page: Option<Arc<VerifierPage>>) -> Router {
    let handler = move |req: HeaderMap| {
        let page = page.clone();
        async move {
            match page {
                Some(p) => p.respond(&req),
                None => ApiError::new(
                    StatusCode::NOT_FOUND,
                    "verifier_page_not_configured",
                    "the verifier page is not configured: build it with \
                     crates/verifier-wasm/build.sh and set web.verifier_page \
                     (CUSTODIA_WEB_VERIFIER_PAGE)",
                )
                .into_response(),
            }
        }
    };
    Router::new()
        .route("/verify", get(handler.clone()))
        .route("/verify/", get(handler))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    fn built() -> Vec<u8> {
        b"<html><script id=\"custodia-worker\" type=\"text/plain\">w</script>\
          <script id=\"custodia-wasm\" type=\"text/plain\">AGFzbQ==</script></html>"
            .to_vec()
    }

    async fn get_page(app: Router, etag: Option<&str>) -> Response {
        let mut req = Request::get("/verify");
        if let Some(e) = etag {
            req = req.header(header::IF_NONE_MATCH, e);
        }
        app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap()
    }

    #[tokio::test]
    async fn serves_the_page_with_its_policy_and_etag() {
        let page = Arc::new(VerifierPage::from_bytes(built()).unwrap());
        let r = get_page(routes(Some(page.clone())), None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let h = r.headers().clone();
        assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert!(
            h[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        assert_eq!(&body[..], &built()[..]);
        let etag = h[header::ETAG].to_str().unwrap().to_owned();
        assert_eq!(
            etag,
            format!("\"{}\"", hex::encode(Sha256::digest(built())))
        );
        // Same ETag: 304 with no body; another: the page again.
        let r = get_page(routes(Some(page.clone())), Some(&etag)).await;
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        let r = get_page(routes(Some(page)), Some("\"other\"")).await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn unconfigured_page_is_a_specific_404() {
        let r = get_page(routes(None), None).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "verifier_page_not_configured");
    }

    #[test]
    fn template_missing_or_foreign_pages_are_refused_with_the_reason() {
        let template = include_bytes!("../../verifier-wasm/web/index.html").to_vec();
        let e = VerifierPage::from_bytes(template).unwrap_err().to_string();
        assert!(e.contains("template"), "{e}");
        let e = VerifierPage::from_bytes(b"<html>hello</html>".to_vec())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not the Custodia verifier page"), "{e}");
        assert!(VerifierPage::from_bytes(vec![0xff, 0xfe]).is_err());
        let dir = absent_dir();
        let cfg = WebConfig {
            verifier_page: Some(dir.join("absent.html")),
        };
        let e = VerifierPage::load(&cfg).unwrap_err().to_string();
        assert!(e.contains("cannot open"), "{e}");
        assert!(VerifierPage::load(&WebConfig::default()).unwrap().is_none());
    }

    fn absent_dir() -> PathBuf {
        // Never created.

        std::env::temp_dir().join(format!("custodia-web-test-{}", std::process::id()))
    }
}
