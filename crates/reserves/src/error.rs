//! The crate's two error types: [`ReservesError`] stops a verification, a [`WalletRejection`]
//! excludes one wallet and is listed in the report.

use custodia_primitives::AmountError;
use thiserror::Error;

/// Why a verification cannot run at all: the wallet file cannot be read, the parameters are
/// invalid, or the round's liabilities disagree with the registry. Returned by the `verify_*`
/// functions; the CLI exits with an error. A problem with one wallet is a [`WalletRejection`]
/// instead, and never fails the call.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReservesError {
    /// The wallet or parameter file could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        message: String,
    },
    /// The CSV wallet file is malformed as a whole (bad header, unreadable record).
    #[error("wallet CSV: {message}")]
    Csv {
        /// What is wrong, with the position.
        message: String,
    },
    /// The JSON wallet file is malformed as a whole.
    #[error("wallet JSON: {message}")]
    Json {
        /// What is wrong, with the position.
        message: String,
    },
    /// The CSV header lacks a required column.
    #[error("wallet CSV: missing column `{column}`")]
    MissingColumn {
        /// The column.
        column: &'static str,
    },
    /// The CSV header has a column this format does not define (typos are caught here).
    #[error("wallet CSV: unknown column `{column}` (expected {expected})")]
    UnknownColumn {
        /// The column.
        column: String,
        /// The columns the format defines.
        expected: &'static str,
    },
    /// The JSON wallet file declares another format version.
    #[error("wallet file format `{got}`, expected `{expected}`")]
    WrongFormat {
        /// [`crate::WALLET_FORMAT`].
        expected: &'static str,
        /// What the file says.
        got: String,
    },
    /// The verifier parameters are invalid.
    #[error("reserves parameters: {message}")]
    Params {
        /// What is wrong.
        message: String,
    },
    /// An exchange name or round id that cannot be placed in the ownership message.
    #[error("{kind} `{value}` must be 1-{max} printable characters without `|`")]
    BadLabel {
        /// `exchange name` or `round id`.
        kind: &'static str,
        /// The value.
        value: String,
        /// Maximum length in bytes.
        max: usize,
    },
    /// The round's liabilities disagree with the asset registry.
    #[error("round asset {asset}: {message}")]
    Liabilities {
        /// The asset.
        asset: String,
        /// What disagrees.
        message: String,
    },

    /// A sum or a conversion left the representable range.
    #[error("overflow: {what}")]
    Overflow {
        /// What overflowed.
        what: String,
    },
    /// Lines of an address list that cannot go into a wallet template.
    #[error("address list: {}", problems.join("; "))]
    AddressList {
        /// One entry per bad line, `line N: why`.
        problems: Vec<String>,
    },
}

/// Why one wallet is not counted: it is excluded from the reserves and listed in
/// [`crate::ReservesReport::rejected`] with [`WalletRejection::code`] and the message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WalletRejection {
    // ----- one wallet row: shape -----
    /// A row of the wallet file cannot be read (wrong field count, wrong JSON type).
    #[error("malformed row: {message}")]
    MalformedRow {
        /// What is wrong.
        message: String,
    },
    /// The chain is not one any asset of the registry lives on.
    #[error("unknown chain `{chain}`")]
    UnknownChain {
        /// The chain.
        chain: String,
    },
    /// The registry knows the chain, but this verifier has no ownership check for it.
    #[error("chain `{chain}` has no ownership verifier (supported: {supported})")]
    UnsupportedChain {
        /// The chain.
        chain: String,
        /// The chains the parameters support.
        supported: String,
    },
    /// The asset symbol is not in the registry (or not a valid symbol).
    #[error("unknown asset `{asset}`")]
    UnknownAsset {
        /// The symbol.
        asset: String,
    },
    /// The asset is in the registry but has no liabilities line in the round.
    #[error("asset {asset} is not part of round {round}")]
    AssetNotInRound {
        /// The symbol.
        asset: String,
        /// The round.
        round: String,
    },
    /// The registry does not list this chain for the asset.
    #[error("asset {asset} is not held on chain `{chain}` (registry chains: {allowed})")]
    AssetNotOnChain {
        /// The symbol.
        asset: String,
        /// The chain of the row.
        chain: String,
        /// The asset's chains, comma separated.
        allowed: String,
    },
    /// The asset is not the chain's native coin and the parameters name no token contract.
    #[error("no token contract configured for {asset} on `{chain}`")]
    NoTokenContract {
        /// The symbol.
        asset: String,
        /// The chain.
        chain: String,
    },
    /// The balance is not an exact decimal at the asset's ledger decimals.
    #[error("balance `{value}`: {source}")]
    BadBalance {
        /// The text.
        value: String,
        /// Why.
        source: AmountError,
    },
    /// The block height is not a decimal integer.
    #[error("block height `{value}` is not a non-negative integer")]
    BadHeight {
        /// The text.
        value: String,
    },
    /// The parameters pin no snapshot height for the chain, so no height can be accepted.
    #[error("no snapshot height pinned for chain `{chain}`")]
    HeightNotPinned {
        /// The chain.
        chain: String,
    },
    /// The row's height is not the chain's snapshot height (or outside the allowed age).
    #[error("stale height {got} on `{chain}`: expected {min}..={max}")]
    StaleHeight {
        /// The chain.
        chain: String,
        /// The row's height.
        got: u64,
        /// Lowest accepted height.
        min: u64,
        /// Highest accepted height (the snapshot height).
        max: u64,
    },

    // ----- one wallet row: address -----
    /// The address cannot be parsed for the chain.
    #[error("bad {chain} address `{address}`: {reason}")]
    BadAddress {
        /// The chain.
        chain: String,
        /// The text.
        address: String,
        /// Why.
        reason: String,
    },
    /// A mixed-case EVM address whose EIP-55 checksum is wrong.
    #[error("EIP-55 checksum mismatch: `{got}`, expected `{expected}`")]
    BadChecksum {
        /// The address as written.
        got: String,
        /// The correctly checksummed spelling.
        expected: String,
    },

    // ----- one wallet row: message -----
    /// The row carries no message.
    #[error("missing ownership message")]
    MissingMessage,
    /// The message is not of the form `Custodia proof of reserves | … | … | … | …`.
    #[error("message `{got}` is not `{expected}`")]
    MessageMismatch {
        /// The message the verifier built.
        expected: String,
        /// The message of the row.
        got: String,
    },
    /// The message names another exchange.
    #[error("message names exchange `{got}`, expected `{expected}`")]
    WrongExchange {
        /// The exchange of the parameters.
        expected: String,
        /// The exchange in the message.
        got: String,
    },
    /// The message is bound to another round.
    #[error("message is for round `{got}`, expected `{expected}`")]
    WrongRound {
        /// The round being verified.
        expected: String,
        /// The round in the message.
        got: String,
    },
    /// The message's height differs from the row's height.
    #[error("message says height `{got}`, the row says {expected}")]
    MessageHeight {
        /// The row's height.
        expected: u64,
        /// The height text in the message.
        got: String,
    },
    /// The message names another address.
    #[error("message names address `{got}`, expected `{expected}`")]
    MessageAddress {
        /// The canonical address of the row.
        expected: String,
        /// The address in the message.
        got: String,
    },

    // ----- one wallet row: signature encoding -----
    /// No signature.
    #[error("missing signature")]
    NoSignature,
    /// More signatures than the address type takes.
    #[error("{got} signatures given, {address_type} takes {max}")]
    TooManySignatures {
        /// Given.
        got: usize,
        /// Accepted.
        max: usize,
        /// The address type.
        address_type: String,
    },
    /// The signature is not valid base64 (standard alphabet, padded).
    #[error("signature is not base64: {reason}")]
    BadBase64 {
        /// The decoder's message.
        reason: String,
    },
    /// The signature is not valid hex.
    #[error("signature is not hex: {reason}")]
    BadHex {
        /// The decoder's message.
        reason: String,
    },
    /// The signature has the wrong length.
    #[error("signature is {got} bytes, expected {expected}")]
    SignatureLength {
        /// Expected bytes.
        expected: usize,
        /// Decoded bytes.
        got: usize,
    },
    /// A BIP-137 header byte or an EVM/TRON `v` outside the accepted values.
    #[error("bad recovery id {value} ({accepted})")]
    BadRecoveryId {
        /// The byte.
        value: u8,
        /// The accepted values.
        accepted: &'static str,
    },
    /// An ECDSA signature whose `s` is in the upper half of the group order.
    #[error("non-canonical signature: high S (low-S is required)")]
    HighS,
    /// The signature bytes are not a valid signature (r or s out of range, bad DER, bad sighash).
    #[error("malformed signature: {reason}")]
    BadSignature {
        /// Why.
        reason: String,
    },
    /// A BIP-322 witness that cannot be decoded or has the wrong shape for the address.
    #[error("BIP-322: {reason}")]
    Bip322 {
        /// Why.
        reason: String,
    },
    /// The BIP-137 header announces another address type than the address has.
    #[error(
        "BIP-137 header {header} is for {header_type} addresses, the address is {address_type}"
    )]
    HeaderAddressType {
        /// The header byte.
        header: u8,
        /// What the header announces.
        header_type: &'static str,
        /// The address type.
        address_type: String,
    },
    /// The address type has no accepted signature scheme (e.g. P2TR with a BIP-137 signature).
    #[error("{address_type} addresses are not accepted with {scheme}")]
    UnsupportedScheme {
        /// The address type.
        address_type: String,
        /// The scheme the signature looks like.
        scheme: &'static str,
    },

    /// The signature is not valid in its encoding (base58, …).
    #[error("signature is not {encoding}: {reason}")]
    BadEncoding {
        /// The encoding expected.
        encoding: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// The row's key data (`script` column of a non-Bitcoin chain) is malformed or incomplete.
    #[error("key data: {reason}")]
    KeyData {
        /// What is wrong.
        reason: String,
    },
    /// A public key that is not a valid point of its curve.
    #[error("bad public key: {reason}")]
    BadPublicKey {
        /// Why.
        reason: String,
    },
    /// A field of a signing standard's envelope disagrees with the wallet (a COSE header, a
    /// `ton_proof` field, a Sui intent, a key type).
    #[error("{scheme}: {reason}")]
    Envelope {
        /// The standard.
        scheme: &'static str,
        /// What disagrees.
        reason: String,
    },

    // ----- one wallet row: signature check -----
    /// The signature is valid for another key than the address's.
    #[error("signed by another key: recovered {got}, expected {expected}")]
    WrongKey {
        /// The address of the row.
        expected: String,
        /// The address (or key) the signature recovers to.
        got: String,
    },
    /// The signature does not verify.
    #[error("signature does not verify")]
    SignatureInvalid,
    /// A multisig address needs its redeem or witness script.
    #[error("a multisig address needs its redeem/witness script")]
    ScriptRequired,
    /// A script was given for a single-key address.
    #[error("a script was given for a {address_type} address")]
    UnexpectedScript {
        /// The address type.
        address_type: String,
    },
    /// The script's hash is not the address's.
    #[error("the script does not hash to the address")]
    ScriptMismatch,
    /// The script is not a standard `m <keys> n OP_CHECKMULTISIG`.
    #[error("not a standard multisig script: {reason}")]
    NotMultisig {
        /// Why.
        reason: String,
    },
    /// A multisig signature that no key of the script made over the expected message (a
    /// foreign key, or another message).
    #[error("multisig signature #{index} is by no key of the script over this message")]
    SignerNotInScript {
        /// 1-based position in the signature list.
        index: usize,
    },
    /// Fewer distinct script keys signed than the script requires.
    #[error("{got} of {need} required multisig signatures")]
    NotEnoughSignatures {
        /// Distinct valid signers.
        got: usize,
        /// `m`.
        need: usize,
    },

    // ----- one wallet row: counting -----
    /// The same (chain, address, asset) appeared on an earlier row.
    #[error("duplicate of row {first_line}: an address is counted once")]
    DuplicateAddress {
        /// The row that is counted.
        first_line: usize,
    },
    /// The balance source disagrees with the stated balance.
    #[error("stated balance {stated} but the node reports {observed} at height {height}")]
    BalanceMismatch {
        /// The file's balance (ledger decimals).
        stated: String,
        /// The node's balance (ledger decimals, rounded down).
        observed: String,
        /// The height asked for.
        height: u64,
    },
    /// The chain says the signing key did not control the account at the snapshot (an XRPL
    /// master key disabled, a rotated Aptos key).
    #[error("the signing key had no authority over the account at height {height}: {reason}")]
    KeyNotAuthorised {
        /// What the chain says.
        reason: String,
        /// The snapshot height.
        height: u64,
    },
    /// The contract wallet did not accept the signature at the snapshot block (EIP-1271).
    #[error("the contract wallet's isValidSignature refused the signature at block {height}")]
    ContractSignatureInvalid {
        /// The snapshot block.
        height: u64,
    },
    /// The node answered for another height than asked.
    #[error("node reports height {node}, the wallet is stated at {requested}")]
    SourceHeight {
        /// The wallet's height.
        requested: u64,
        /// The node's height.
        node: u64,
    },
    /// A sum or a conversion left the representable range.
    #[error("overflow: {what}")]
    Overflow {
        /// What overflowed.
        what: String,
    },

    // ----- node clients -----
    /// The HTTP request to a node failed.
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
    RpcAnswer {
        /// The method.
        method: String,
        /// What is wrong.
        message: String,
    },
    /// The balance source cannot answer for this kind of wallet.
    #[error("balance source cannot query {what}")]
    SourceUnsupported {
        /// What was asked.
        what: String,
    },
}

impl ReservesError {
    /// A stable snake_case code for the variant.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "io",
            Self::Csv { .. } => "csv",
            Self::Json { .. } => "json",
            Self::MissingColumn { .. } => "missing_column",
            Self::UnknownColumn { .. } => "unknown_column",
            Self::WrongFormat { .. } => "wrong_format",
            Self::Params { .. } => "params",
            Self::BadLabel { .. } => "bad_label",
            Self::Liabilities { .. } => "liabilities",
            Self::Overflow { .. } => "overflow",
            Self::AddressList { .. } => "address_list",
        }
    }

    pub(crate) fn params(message: impl Into<String>) -> Self {
        Self::Params {
            message: message.into(),
        }
    }
}

impl WalletRejection {
    /// A stable snake_case code for the variant, for `reserves.json` and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedRow { .. } => "malformed_row",
            Self::UnknownChain { .. } => "unknown_chain",
            Self::UnsupportedChain { .. } => "unsupported_chain",
            Self::UnknownAsset { .. } => "unknown_asset",
            Self::AssetNotInRound { .. } => "asset_not_in_round",
            Self::AssetNotOnChain { .. } => "asset_not_on_chain",
            Self::NoTokenContract { .. } => "no_token_contract",
            Self::BadBalance { .. } => "bad_balance",
            Self::BadHeight { .. } => "bad_height",
            Self::HeightNotPinned { .. } => "height_not_pinned",
            Self::StaleHeight { .. } => "stale_height",
            Self::BadAddress { .. } => "bad_address",
            Self::BadChecksum { .. } => "bad_checksum",
            Self::MissingMessage => "missing_message",
            Self::MessageMismatch { .. } => "message_mismatch",
            Self::WrongExchange { .. } => "wrong_exchange",
            Self::WrongRound { .. } => "wrong_round",
            Self::MessageHeight { .. } => "message_height",
            Self::MessageAddress { .. } => "message_address",
            Self::NoSignature => "no_signature",
            Self::TooManySignatures { .. } => "too_many_signatures",
            Self::BadBase64 { .. } => "bad_base64",
            Self::BadHex { .. } => "bad_hex",
            Self::SignatureLength { .. } => "signature_length",
            Self::BadRecoveryId { .. } => "bad_recovery_id",
            Self::HighS => "high_s",
            Self::BadSignature { .. } => "bad_signature",
            Self::Bip322 { .. } => "bip322",
            Self::HeaderAddressType { .. } => "header_address_type",
            Self::UnsupportedScheme { .. } => "unsupported_scheme",
            Self::BadEncoding { .. } => "bad_encoding",
            Self::KeyData { .. } => "key_data",
            Self::BadPublicKey { .. } => "bad_public_key",
            Self::Envelope { .. } => "envelope",
            Self::WrongKey { .. } => "wrong_key",
            Self::SignatureInvalid => "signature_invalid",
            Self::ScriptRequired => "script_required",
            Self::UnexpectedScript { .. } => "unexpected_script",
            Self::ScriptMismatch => "script_mismatch",
            Self::NotMultisig { .. } => "not_multisig",
            Self::SignerNotInScript { .. } => "signer_not_in_script",
            Self::NotEnoughSignatures { .. } => "not_enough_signatures",
            Self::DuplicateAddress { .. } => "duplicate_address",
            Self::BalanceMismatch { .. } => "balance_mismatch",
            Self::SourceHeight { .. } => "source_height",
            Self::KeyNotAuthorised { .. } => "key_not_authorised",
            Self::ContractSignatureInvalid { .. } => "contract_signature_invalid",
            Self::Overflow { .. } => "overflow",
            Self::Http { .. } => "http",
            Self::Rpc { .. } => "rpc",
            Self::RpcAnswer { .. } => "rpc_answer",
            Self::SourceUnsupported { .. } => "source_unsupported",
        }
    }

    pub(crate) fn bad_sig(reason: impl ToString) -> Self {
        Self::BadSignature {
            reason: reason.to_string(),
        }
    }

    pub(crate) fn key_data(reason: impl Into<String>) -> Self {
        Self::KeyData {
            reason: reason.into(),
        }
    }

    pub(crate) fn envelope(scheme: &'static str, reason: impl Into<String>) -> Self {
        Self::Envelope {
            scheme,
            reason: reason.into(),
        }
    }

    pub(crate) fn bip322(reason: impl Into<String>) -> Self {
        Self::Bip322 {
            reason: reason.into(),
        }
    }
}
