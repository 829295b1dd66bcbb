//! The one error type of the crate, and how it enters a proof-of-assets report.

use custodia_reserves::WalletRejection;
use thiserror::Error;

/// Everything that can go wrong talking to a node. Each variant becomes the per-wallet
/// [`WalletRejection`] of the same name (and report code) when a balance source fails.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChainRpcError {
    /// The HTTP request failed, or the URL is not plain `http://`.
    #[error("HTTP {url}: {message}")]
    Http {
        /// The endpoint (without credentials).
        url: String,
        /// The transport error or status.
        message: String,
    },
    /// The node answered with a JSON-RPC error.
    #[error("JSON-RPC {method}: error {code}: {message}")]
    Rpc {
        /// The method.
        method: String,
        /// The JSON-RPC error code.
        code: i64,
        /// The node's message.
        message: String,
    },
    /// The node's answer is not what the method returns.
    #[error("JSON-RPC {method}: unexpected answer: {message}")]
    Answer {
        /// The method.
        method: String,
        /// What is wrong.
        message: String,
    },
    /// A number in the answer is larger than the ledger can hold.
    #[error("overflow: {what}")]
    Overflow {
        /// What overflowed.
        what: String,
    },
}

impl ChainRpcError {
    /// The report code of the [`WalletRejection`] this becomes (`http`, `rpc`, `rpc_answer`,
    /// `overflow`).
    pub fn code(&self) -> &'static str {
        WalletRejection::from(self.clone()).code()
    }
}

impl From<ChainRpcError> for WalletRejection {
    fn from(e: ChainRpcError) -> Self {
        match e {
            ChainRpcError::Http { url, message } => WalletRejection::Http { url, message },
            ChainRpcError::Rpc {
                method,
                code,
                message,
            } => WalletRejection::Rpc {
                method,
                code,
                message,
            },
            ChainRpcError::Answer { method, message } => {
                WalletRejection::RpcAnswer { method, message }
            }
            ChainRpcError::Overflow { what } => WalletRejection::Overflow { what },
        }
    }
}
