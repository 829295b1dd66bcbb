#!/usr/bin/env python3
"""Record OKX v5 signed requests made by real OKX client libraries.

What it does
------------
1. Starts a tiny HTTP/1.1 server on 127.0.0.1 (random free port). The server
   parses requests itself from the socket, so it records each request exactly
   as received: method, raw request target (path + query, no re-encoding), raw
   body, and every header with its name spelled and cased as sent, in the
   order sent. It answers with plausible OKX JSON (``{"code":"0","msg":"",
   "data":[]}`` by default; a BTC-USDT spot instrument for
   ``/api/v5/public/instruments`` and an order ack for the two order endpoints
   so that ccxt can load markets and parse the reply offline).
2. Points real client libraries at it, with fixed credentials:
     * ``python-okx`` (official OKX SDK, httpx underneath),
     * ``ccxt`` exchange class ``okx``, sync (requests underneath),
     * ``ccxt`` exchange class ``okx``, async_support (aiohttp underneath).
   Each makes a GET with a query string, a GET without a query, a GET whose
   query a client may percent-encode (``ccy=BTC,ETH``), and a POST with a JSON
   body (place a limit order; for ccxt both its default trade/batch-orders form
   and the trade/order form). ccxt's own market loading runs against the local
   server (``options['fetchMarkets']`` limited to spot keeps it to one call);
   its signed ``GET /api/v5/asset/currencies`` (fetchCurrencies) is kept too.
3. Writes ``crates/keys/tests/fixtures/okx_clients.json`` (relative to the
   repository root). ``requests`` holds every signed request (one carrying
   OK-ACCESS-SIGN); unsigned public requests (ccxt market loading) are only
   listed, without headers, under ``unsigned_requests``.
4. Checks independently, with hmac/hashlib/base64 only, that each recorded
   OK-ACCESS-SIGN equals base64(HMAC-SHA256(secret, timestamp + METHOD +
   path_as_on_the_wire + body)). Any mismatch, or a signed request missing one
   of the four OK-ACCESS-* headers, aborts with exit status 1 before the
   fixture file is written.

How to rerun
------------
    python3.11 scripts/okx-client-fixtures.py            # from the repo root

No arguments. If the pinned packages below are not importable at exactly the
pinned versions, the script creates a virtual environment (default
/tmp/okx-client-fixtures-venv, override with OKX_FIXTURES_VENV), pip-installs
the pins from PyPI into it and re-executes itself there; nothing is installed
into the repository. Needs network access to PyPI only for that first
install; the recording itself is entirely local (127.0.0.1).

Timestamps, signatures and ccxt's random clOrdId differ on every run, so a
rerun rewrites the fixture file with different (but equally valid) values.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import importlib.metadata
import json
import os
import socketserver
import subprocess
import sys
import threading
import venv
from pathlib import Path

# --------------------------------------------------------------------------
# Pins. The client libraries, plus the HTTP stacks under them: header case,
# order and extra headers on the wire come from those, not from the clients.
# --------------------------------------------------------------------------
PINS = {
    "python-okx": "0.4.4",
    "ccxt": "4.5.90",
    # HTTP stack of python-okx
    "httpx": "0.29.0",
    "httpcore": "1.0.9",
    "h11": "0.16.0",
    "h2": "4.4.1",
    # HTTP stack of ccxt (sync)
    "requests": "2.34.2",
    "urllib3": "2.8.0",
    # HTTP stack of ccxt (async_support)
    "aiohttp": "3.14.5",
}

API_KEY = "0a1b2c3d-0000-4000-8000-00000000abcd"
SECRET = "4F1C3B5E7A9D2C8E6B0F1A3C5E7D9B2A"
PASSPHRASE = "Fixture-Pass-1!"

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_FILE = REPO_ROOT / "crates" / "keys" / "tests" / "fixtures" / "okx_clients.json"
GENERATED_BY = "scripts/okx-client-fixtures.py"

SIGNED_HEADERS = ("OK-ACCESS-KEY", "OK-ACCESS-SIGN", "OK-ACCESS-TIMESTAMP", "OK-ACCESS-PASSPHRASE")


# --------------------------------------------------------------------------
# Environment bootstrap
# --------------------------------------------------------------------------
def pins_satisfied() -> bool:
    for name, version in PINS.items():
        try:
            if importlib.metadata.version(name) != version:
                return False
        except importlib.metadata.PackageNotFoundError:
            return False
    return True


def ensure_pinned_environment() -> None:
    """Re-exec inside a venv holding exactly PINS unless we already have them."""
    if pins_satisfied():
        return
    if os.environ.get("OKX_FIXTURES_REEXEC") == "1":
        sys.exit("pinned packages still missing after installing them; giving up")
    venv_dir = Path(os.environ.get("OKX_FIXTURES_VENV", "/tmp/okx-client-fixtures-venv"))
    python = venv_dir / "bin" / "python"
    if not python.exists():
        print(f"creating virtual environment {venv_dir}", flush=True)
        venv.create(venv_dir, with_pip=True)
    requirements = [f"{name}=={version}" for name, version in PINS.items()]
    print(f"installing {' '.join(requirements)}", flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *requirements], check=True)
    env = dict(os.environ, OKX_FIXTURES_REEXEC="1")
    os.execve(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]], env)


# --------------------------------------------------------------------------
# Recording server
# --------------------------------------------------------------------------
SPOT_INSTRUMENT = {
    "alias": "", "baseCcy": "BTC", "category": "1", "ctMult": "", "ctType": "",
    "ctVal": "", "ctValCcy": "", "expTime": "", "instFamily": "", "instId": "BTC-USDT",
    "instType": "SPOT", "lever": "10", "listTime": "1606468572000", "lotSz": "0.00000001",
    "maxIcebergSz": "9999999999.0000000000000000", "maxLmtAmt": "1000000",
    "maxLmtSz": "9999999999", "maxMktAmt": "1000000", "maxMktSz": "", "maxStopSz": "",
    "maxTriggerSz": "9999999999.0000000000000000", "maxTwapSz": "9999999999.0000000000000000",
    "minSz": "0.00001", "optType": "", "quoteCcy": "USDT", "settleCcy": "", "state": "live",
    "stk": "", "tickSz": "0.1", "uly": "",
}


def okx_response(method: str, target: str) -> dict:
    path = target.split("?", 1)[0]
    if path == "/api/v5/public/instruments" and "instType=SPOT" in target:
        return {"code": "0", "msg": "", "data": [SPOT_INSTRUMENT]}
    if method == "POST" and path in ("/api/v5/trade/order", "/api/v5/trade/batch-orders"):
        return {"code": "0", "msg": "", "inTime": "1702535440054000", "outTime": "1702535440055000",
                "data": [{"clOrdId": "", "ordId": "312269865356374016", "tag": "",
                          "ts": "1702535440055", "sCode": "0", "sMsg": "Order placed"}]}
    return {"code": "0", "msg": "", "data": []}


class RecordingHandler(socketserver.StreamRequestHandler):
    """Minimal HTTP/1.1 parser working on raw bytes, keep-alive aware."""

    def handle(self) -> None:
        while True:
            line = self.rfile.readline(65537)
            if not line:
                return
            if line in (b"\r\n", b"\n"):
                continue  # tolerate stray CRLF between pipelined requests
            method, target, version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
            headers: list[list[str]] = []
            while True:
                raw = self.rfile.readline(65537)
                if raw in (b"\r\n", b"\n", b""):
                    break
                name, sep, value = raw.decode("latin-1").rstrip("\r\n").partition(":")
                if not sep:
                    raise ValueError(f"malformed header line {raw!r}")
                headers.append([name, value.strip(" \t")])
            lower = {n.lower(): v for n, v in headers}
            if "chunked" in lower.get("transfer-encoding", "").lower():
                body = self.read_chunked()
            else:
                body = self.rfile.read(int(lower.get("content-length", "0")))
            self.server.record({
                "client": self.server.current_client,
                "method": method,
                "path": target,
                "http_version": version,
                "body": body.decode("utf-8"),
                "headers": headers,
            })
            payload = json.dumps(okx_response(method, target), separators=(",", ":")).encode()
            close = lower.get("connection", "").lower() == "close" or version == "HTTP/1.0"
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\n"
                b"Content-Type: application/json\r\n"
                + f"Content-Length: {len(payload)}\r\n".encode()
                + (b"Connection: close\r\n" if close else b"")
                + b"\r\n" + payload
            )
            self.wfile.flush()
            if close:
                return

    def read_chunked(self) -> bytes:
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return body
            body += self.rfile.read(size)
            self.rfile.readline()  # CRLF after chunk


class RecordingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.current_client = "?"
        self.recorded: list[dict] = []
        self._lock = threading.Lock()

    def record(self, entry: dict) -> None:
        with self._lock:
            self.recorded.append(entry)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


# --------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------
def drive_python_okx(base_url: str) -> None:
    import okx.Account as Account
    import okx.Trade as Trade

    # flag "0" = live trading; python-okx sends it as header x-simulated-trading.
    account = Account.AccountAPI(API_KEY, SECRET, PASSPHRASE, flag="0", domain=base_url, debug=False)
    trade = Trade.TradeAPI(API_KEY, SECRET, PASSPHRASE, flag="0", domain=base_url, debug=False)
    account.get_account_balance(ccy="BTC")          # GET with query
    account.get_account_config()                    # GET without query
    account.get_account_balance(ccy="BTC,ETH")      # GET, query with a comma
    trade.place_order(instId="BTC-USDT", tdMode="cash", side="buy", ordType="limit",
                      px="30000.5", sz="0.001")     # POST with JSON body
    account.close()
    trade.close()


def ccxt_config(base_url: str) -> dict:
    return {
        "apiKey": API_KEY,
        "secret": SECRET,
        "password": PASSPHRASE,
        "urls": {"api": {"rest": base_url}},
        # one public instruments call (SPOT) instead of spot+future+swap+option
        "options": {"fetchMarkets": {"types": ["spot"]}},
    }


def drive_ccxt_sync(base_url: str) -> None:
    import ccxt

    exchange = ccxt.okx(ccxt_config(base_url))
    exchange.load_markets()                          # public instruments + signed asset/currencies
    exchange.fetch_balance({"ccy": "BTC"})           # GET with query
    exchange.fetch_balance()                         # GET without query
    exchange.fetch_balance({"ccy": "BTC,ETH"})       # GET, query needing %-encoding
    # POST with JSON body. ccxt's default createOrder endpoint is trade/batch-orders
    # (body: a JSON array of one order); the option switches it to trade/order
    # (body: a JSON object), the endpoint python-okx's place_order uses.
    exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 30000.5)
    exchange.options["createOrder"] = "privatePostTradeOrder"
    exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 30000.5)


def drive_ccxt_async(base_url: str) -> None:
    import ccxt.async_support as ccxt_async

    async def run() -> None:
        exchange = ccxt_async.okx(ccxt_config(base_url))
        try:
            await exchange.load_markets()
            await exchange.fetch_balance({"ccy": "BTC"})
            await exchange.fetch_balance()
            await exchange.fetch_balance({"ccy": "BTC,ETH"})
            await exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 30000.5)
            exchange.options["createOrder"] = "privatePostTradeOrder"
            await exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 30000.5)
        finally:
            await exchange.close()

    asyncio.run(run())


# --------------------------------------------------------------------------
# Independent signature check
# --------------------------------------------------------------------------
def header(entry: dict, name: str) -> str | None:
    values = [v for n, v in entry["headers"] if n.lower() == name.lower()]
    if len(values) > 1:
        raise ValueError(f"header {name} repeated in {entry['method']} {entry['path']}")
    return values[0] if values else None


def expected_sign(entry: dict) -> str:
    prehash = header(entry, "OK-ACCESS-TIMESTAMP") + entry["method"] + entry["path"] + entry["body"]
    digest = hmac.new(SECRET.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(signed: list[dict]) -> bool:
    ok = True
    for entry in signed:
        missing = [h for h in SIGNED_HEADERS if header(entry, h) is None]
        if missing:
            print(f"FAIL  {entry['client']:<24} {entry['method']:<4} {entry['path']}: missing {missing}")
            ok = False
            continue
        good = hmac.compare_digest(header(entry, "OK-ACCESS-SIGN"), expected_sign(entry))
        creds = header(entry, "OK-ACCESS-KEY") == API_KEY and header(entry, "OK-ACCESS-PASSPHRASE") == PASSPHRASE
        verdict = "ok  " if good and creds else "FAIL"
        ok = ok and good and creds
        print(f"{verdict}  {entry['client']:<24} {entry['method']:<4} {entry['path']}"
              f"  sign={'match' if good else 'MISMATCH'} key/passphrase={'match' if creds else 'MISMATCH'}")
    return ok


# --------------------------------------------------------------------------
def main() -> int:
    ensure_pinned_environment()

    server = RecordingServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"recording server on {server.base_url}")

    clients = [
        (f"python-okx {PINS['python-okx']}", drive_python_okx),
        (f"ccxt {PINS['ccxt']}", drive_ccxt_sync),
        (f"ccxt {PINS['ccxt']} async", drive_ccxt_async),
    ]
    try:
        for label, drive in clients:
            server.current_client = label
            drive(server.base_url)
    finally:
        server.shutdown()
        server.server_close()

    signed = [e for e in server.recorded if header(e, "OK-ACCESS-SIGN") is not None]
    unsigned = [e for e in server.recorded if header(e, "OK-ACCESS-SIGN") is None]
    for label, _ in clients:
        if not any(e["client"] == label for e in signed):
            print(f"FAIL  {label} produced no signed request")
            return 1

    if not verify(signed):
        print("signature verification FAILED: the recording lost information; fixture file not written")
        return 1

    fixture = {
        "generated_by": GENERATED_BY,
        "libraries": {name: PINS[name] for name in PINS},
        "credentials": {"key": API_KEY, "secret": SECRET, "passphrase": PASSPHRASE},
        "requests": [
            {k: e[k] for k in ("client", "method", "path", "body", "headers")} for e in signed
        ],
        "unsigned_requests": [
            {k: e[k] for k in ("client", "method", "path")} for e in unsigned
        ],
    }
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
    per_client = {label: sum(e["client"] == label for e in signed) for label, _ in clients}
    print(f"wrote {OUT_FILE.relative_to(REPO_ROOT)}: {len(signed)} signed requests {per_client}, "
          f"{len(unsigned)} unsigned listed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
