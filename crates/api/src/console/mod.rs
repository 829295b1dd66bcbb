//! The operator console: a small web page served at `/console` and the one JSON endpoint it
//! reads, `GET /v1/console/panels`.
//!
//! The page, its script and its style sheet are compiled into the binary (no CDN, no build
//! step, nothing fetched from elsewhere) and served under a strict Content-Security-Policy:
//! scripts and styles from this origin only, no inline code, connections to this origin only,
//! no framing. The operator signs in with an operator token (admin or analyst); the script
//! keeps it in the tab's `sessionStorage` and sends it as a bearer token, so the console has
//! no session or cookie of its own for a cross-site request to ride on.
//!
//! Everything the console shows is a [`Panel`]: a title, a status, a few facts and at most one
//! table. Each part of the service contributes its panels through [`Console::add`], and the page
//! renders every panel the same way, so a service landing later (login defence, token checks,
//! the safety fund, …) appears by registering one loader, with no change to the page.

mod panels;
mod services;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{FromRef, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

pub use self::panels::builtin;
pub use self::services::services;
use crate::auth::{AuditorOrAdmin, Operator, OperatorAuth};
use crate::error::ApiError;

/// The console's policy: this origin's script and style only, nothing inline, nothing framed.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                       img-src 'self'; connect-src 'self'; form-action 'none'; \
                       frame-ancestors 'none'; base-uri 'none'";

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// How long one panel may take before it is shown as unavailable.
const PANEL_TIMEOUT: Duration = Duration::from_secs(5);

/// `[console]`.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// The folder holding the proof-of-reserves round folders (`por build --out` targets); the
    /// console lists them with their proof and reserve status. Unset: no rounds listed.
    pub rounds_dir: Option<std::path::PathBuf>,
    /// The folder the monthly security reports are written to (`custodia report --out`, or a
    /// folder of such folders, one per month); the console shows the newest month's. Unset:
    /// no report shown.
    pub reports_dir: Option<std::path::PathBuf>,
}

/// How a panel's subject is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PanelStatus {
    /// Working as expected.
    Ok,
    /// Needs a look (a threshold crossed, nothing configured, stale data).
    Warn,
    /// Broken, or the panel could not be loaded.
    Error,
}

/// One labelled value.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Fact {
    /// What it is.
    pub label: String,
    /// Its value, already formatted.
    pub value: String,
}

/// Rows under named columns, every cell already formatted.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Table {
    /// Column headings.
    pub columns: Vec<String>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<String>>,
}

/// What a panel loader returns.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Panel {
    /// Stable id (`health`, `keys`, …).
    pub id: String,
    /// Heading.
    pub title: String,
    /// Status.
    pub status: PanelStatus,
    /// A few facts.
    pub facts: Vec<Fact>,
    /// At most one table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<Table>,
    /// A sentence under the panel (why it is not ok, where the data comes from).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Panel {
    /// An `ok` panel with no facts yet.
    pub fn new(id: &str, title: &str) -> Self {
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            status: PanelStatus::Ok,
            facts: Vec::new(),
            table: None,
            note: None,
        }
    }

    /// Adds a fact.
    pub fn fact(mut self, label: &str, value: impl ToString) -> Self {
        self.facts.push(Fact {
            label: label.to_owned(),
            value: value.to_string(),
        });
        self
    }

    /// Sets the table.
    pub fn table(mut self, columns: &[&str], rows: Vec<Vec<String>>) -> Self {
        self.table = Some(Table {
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows,
        });
        self
    }

    /// Sets the status and the note that explains it.
    pub fn status(mut self, status: PanelStatus, note: impl Into<String>) -> Self {
        self.status = status;
        self.note = Some(note.into());
        self
    }

    /// Sets the note, keeping the status.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// A panel loader's future.
pub type PanelFuture = Pin<Box<dyn Future<Output = Result<Panel, String>> + Send>>;

type Loader = Arc<dyn Fn() -> PanelFuture + Send + Sync>;

/// The console's panels, in the order they are shown. Cheap to clone; clones share the list,
/// so the binary can add panels after the services are built.
#[derive(Clone, Default)]
pub struct Console {
    panels: Arc<RwLock<Vec<(String, String, Loader)>>>,
}

impl Console {
    /// No panels.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a panel: `load` runs on every refresh of the page (every few seconds while it is
    /// open), so it should read caches, counters or a few indexed rows, never scan a table. A
    /// loader that fails or takes longer than five seconds shows as an `error` panel with
    /// `id` and `title`.
    pub fn add<F, Fut>(&self, id: &str, title: &str, load: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Panel, String>> + Send + 'static,
    {
        let loader: Loader = Arc::new(move || Box::pin(load()));
        self.panels
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push((id.to_owned(), title.to_owned(), loader));
    }

    /// The panels' ids, in order.
    pub fn ids(&self) -> Vec<String> {
        self.panels
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(id, _, _)| id.clone())
            .collect()
    }

    /// Every panel, loaded concurrently.
    pub async fn load(&self) -> Vec<Panel> {
        let loaders: Vec<(String, String, Loader)> = self
            .panels
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut tasks = Vec::with_capacity(loaders.len());
        for (id, title, load) in loaders {
            let fut = load();
            let task = tokio::spawn(tokio::time::timeout(PANEL_TIMEOUT, fut));
            tasks.push((id, title, task));
        }
        let mut out = Vec::with_capacity(tasks.len());
        for (id, title, task) in tasks {
            let failed = |why: String| Panel::new(&id, &title).status(PanelStatus::Error, why);
            let panel = match task.await {
                Ok(Ok(Ok(mut p))) => {
                    p.id = id.clone();
                    p.title = title.clone();
                    p
                }
                Ok(Ok(Err(why))) => failed(format!("could not be loaded: {why}")),
                Ok(Err(_)) => failed(format!(
                    "did not answer within {} s",
                    PANEL_TIMEOUT.as_secs()
                )),
                Err(_) => failed("its loader failed".into()),
            };
            out.push(panel);
        }
        out
    }
}

/// What the console routes need.
#[derive(Clone)]
pub struct ConsoleState {
    /// The panels.
    pub console: Console,
    /// Bearer-token checks.
    pub auth: OperatorAuth,
    /// When the service started (uptime).
    pub started: Instant,
}

impl FromRef<ConsoleState> for OperatorAuth {
    fn from_ref(s: &ConsoleState) -> Self {
        s.auth.clone()
    }
}

/// `GET /v1/console/panels`.
#[derive(Serialize, ToSchema)]
pub struct ConsoleView {
    /// The operator signed in.
    pub operator: String,
    /// Their role.
    pub role: String,
    /// This binary's version.
    pub version: String,
    /// Seconds since the service started.
    pub uptime_secs: u64,
    /// Every panel, in order.
    pub panels: Vec<Panel>,
}

/// `/console` (the page, its script and style sheet) and `GET /v1/console/panels`.
pub fn routes(state: ConsoleState) -> Router {
    Router::new()
        .route(
            "/console",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/console/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/console/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/console/app.css",
            get(|| async { asset("text/css; charset=utf-8", APP_CSS) }),
        )
        .route("/v1/console/panels", get(panels_view))
        .with_state(state)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn panels_view(
    State(st): State<ConsoleState>,
    op: Operator<AuditorOrAdmin>,
) -> Result<Response, ApiError> {
    let view = ConsoleView {
        operator: op.name,
        role: op.role.as_str().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_secs: st.started.elapsed().as_secs(),
        panels: st.console.load().await,
    };
    let mut r = Json(view).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
