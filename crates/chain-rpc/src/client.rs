//! A small blocking JSON-RPC 2.0 client over HTTP or HTTPS (ureq; rustls with the Mozilla roots).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::ChainRpcError;

/// Largest response body read from a node.
const MAX_BODY: u64 = 64 << 20;

/// A blocking JSON-RPC 2.0 client.
pub struct JsonRpcClient {
    url: String,
    agent: ureq::Agent,
    authorization: Option<String>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for JsonRpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The authorization header is a secret: never printed.
        f.debug_struct("JsonRpcClient")
            .field("url", &self.url)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[derive(Deserialize)]
struct Response<'a> {
    /// Present even when `null` (a Substrate node answers `null` for absent storage): only a
    /// missing field is `None`.
    #[serde(borrow, default, deserialize_with = "present")]
    result: Option<&'a RawValue>,
    #[serde(default)]
    error: Option<Value>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

impl JsonRpcClient {
    /// A client for `url` (`http://` or `https://host:port[/path]`), 30 s timeout, no proxy.
    pub fn new(url: impl Into<String>) -> Result<Self, ChainRpcError> {
        let url = url.into();
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(ChainRpcError::Http {
                url,
                message: "node URLs are http:// or https://".into(),
            });
        }
        Ok(Self {
            agent: Self::agent(Duration::from_secs(30)),
            url,
            authorization: None,
            next_id: AtomicU64::new(1),
        })
    }

    fn agent(timeout: Duration) -> ureq::Agent {
        ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .into()
    }

    /// Sends HTTP basic authentication (bitcoind's `rpcuser`/`rpcpassword` or cookie).
    pub fn with_basic_auth(mut self, user: &str, password: &str) -> Self {
        self.authorization = Some(format!(
            "Basic {}",
            STANDARD.encode(format!("{user}:{password}"))
        ));
        self
    }

    /// Replaces the whole-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.agent = Self::agent(timeout);
        self
    }

    /// A REST call for nodes that speak plain JSON over HTTP (Aptos): `GET` when `body` is
    /// `None`, else `POST` of the JSON body, to the client's URL joined with `path`. Returns the
    /// body of a 2xx answer; other statuses are [`ChainRpcError::Rpc`] with the node's message.
    pub fn rest(&self, path: &str, body: Option<&Value>) -> Result<String, ChainRpcError> {
        let url = format!(
            "{}/{}",
            self.url.trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        let http = |message: String| ChainRpcError::Http {
            url: self.url.clone(),
            message,
        };
        let resp = match body {
            None => {
                let mut req = self.agent.get(&url);
                if let Some(auth) = &self.authorization {
                    req = req.header("Authorization", auth);
                }
                req.call()
            }
            Some(b) => {
                let mut req = self
                    .agent
                    .post(&url)
                    .header("Content-Type", "application/json");
                if let Some(auth) = &self.authorization {
                    req = req.header("Authorization", auth);
                }
                req.send(b.to_string())
            }
        };
        let mut resp = resp.map_err(|e| http(e.to_string()))?;
        let status = resp.status();
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| http(e.to_string()))?;
        if !status.is_success() {
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| format!("status {status}"));
            return Err(ChainRpcError::Rpc {
                method: path.split('?').next().unwrap_or(path).to_owned(),
                code: i64::from(status.as_u16()),
                message,
            });
        }
        Ok(text)
    }

    /// Calls `method` and returns the raw JSON text of `result`.
    pub fn call_raw(&self, method: &str, params: Value) -> Result<String, ChainRpcError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let http = |message: String| ChainRpcError::Http {
            url: self.url.clone(),
            message,
        };
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        if let Some(auth) = &self.authorization {
            req = req.header("Authorization", auth);
        }
        let mut resp = req
            .send(body.to_string())
            .map_err(|e| http(e.to_string()))?;
        let status = resp.status();
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| http(e.to_string()))?;
        // bitcoind answers RPC errors with HTTP 500 and a JSON body: read the body first.
        let parsed: Response<'_> = match serde_json::from_str(&text) {
            Ok(r) => r,
            Err(e) if status.is_success() => {
                return Err(ChainRpcError::Answer {
                    method: method.into(),
                    message: e.to_string(),
                });
            }
            Err(_) => return Err(http(format!("status {status}"))),
        };
        if let Some(err) = parsed.error.filter(|e| !e.is_null()) {
            return Err(ChainRpcError::Rpc {
                method: method.into(),
                code: err.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            });
        }
        match parsed.result {
            Some(r) if status.is_success() => Ok(r.get().to_owned()),
            Some(_) => Err(http(format!("status {status}"))),
            None => Err(ChainRpcError::Answer {
                method: method.into(),
                message: "neither result nor error".into(),
            }),
        }
    }
}
