#!/usr/bin/env python3
"""The operator console in real headless Chromium, through chromedriver's WebDriver API
(stdlib only, like crates/verifier-wasm/tests/browser.py).

usage: console_browser.py URL TOKEN OUT_DIR

URL is a running `custodia serve` (http://127.0.0.1:PORT); TOKEN an admin or analyst token.
Checks: the sign-in form shows; a wrong token is refused with a message and no panel; the
right token shows every panel (health ok, the services' panels loaded, the fund's pools and the
proof-of-reserves round listed); the page
loaded nothing from another origin and the response carries the strict policy; a reload keeps
the tab signed in; signing out forgets the token. Screenshots go to OUT_DIR.
"""
import base64, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())["value"]


def main():
    url, token, out = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    with urllib.request.urlopen(url + "/console", timeout=10) as r:
        csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, csp

    drv_port = free_port()
    drv = subprocess.Popen(["chromedriver", f"--port={drv_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{drv_port}"
    for _ in range(100):
        try:
            call(base, "GET", "/status"); break
        except Exception:
            time.sleep(0.1)
    profile = tempfile.mkdtemp(prefix="custodia-console-")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--window-size=1400,2000"]
    failures, sid = [], None
    try:
        sid = call(base, "POST", "/session", {"capabilities": {"alwaysMatch": {"browserName": "chrome",
              "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})["sessionId"]
        s = f"/session/{sid}"
        js = lambda script: call(base, "POST", s + "/execute/sync", {"script": script, "args": []})

        def shot(name):
            p = os.path.join(out, f"console-{name}.png")
            open(p, "wb").write(base64.b64decode(call(base, "GET", s + "/screenshot")))
            print(f"  screenshot {p}")

        def wait(cond, what, secs=15):
            t0 = time.time()
            while time.time() - t0 < secs:
                if js("return " + cond):
                    return True
                time.sleep(0.05)
            failures.append(f"timed out waiting for {what}")
            return False

        def check(ok, what):
            print(("ok   " if ok else "FAIL ") + what)
            if not ok:
                failures.append(what)

        def sign_in(tok):
            el = call(base, "POST", s + "/element", {"using": "css selector", "value": "#token"})
            eid = next(iter(el.values()))
            call(base, "POST", f"{s}/element/{eid}/clear", {})
            call(base, "POST", f"{s}/element/{eid}/value", {"text": tok})
            btn = next(iter(call(base, "POST", s + "/element", {"using": "css selector", "value": "#login-button"}).values()))
            call(base, "POST", f"{s}/element/{btn}/click", {})

        call(base, "POST", s + "/url", {"url": url + "/console"})
        wait("document.readyState === 'complete'", "the page")
        check(js("return !document.getElementById('login').hidden && document.getElementById('panels').hidden"),
              "signed out: the sign-in form shows, no panel")
        shot("signin")

        sign_in("cst_wrong-token-0000000000000000000000000")
        wait("!document.getElementById('login-error').hidden", "the refusal")
        msg = js("return document.getElementById('login-error').textContent")
        check(msg.startswith("Token refused"), f"a wrong token is refused: {msg!r}")
        check(js("return document.querySelectorAll('.panel').length") == 0, "no panel for a wrong token")
        check(js("return sessionStorage.length") == 0, "a refused token is not kept")
        shot("refused")

        sign_in(token)
        wait("document.querySelectorAll('.panel').length > 0", "the panels")
        ids = js("return Array.from(document.querySelectorAll('.panel')).map(p => p.id)")
        want = ["panel-health", "panel-keys", "panel-decisions", "panel-guard", "panel-operators",
                "panel-fund", "panel-fund-journal", "panel-login", "panel-protect", "panel-token",
                "panel-audit", "panel-jobs", "panel-por"]
        check(all(w in ids for w in want), f"every panel shows: {ids}")
        check(js("return document.getElementById('panel-health').dataset.status") == "ok", "health is ok")
        for panel in ["panel-fund", "panel-fund-journal", "panel-login", "panel-protect", "panel-token"]:
            status = js(f"return document.getElementById('{panel}').dataset.status")
            check(status in ("ok", "warn"), f"{panel} loads ({status})")
        fund = js("return document.getElementById('panel-fund').innerText")
        check("swap:BTC-USDT:USDT" in fund, f"the fund panel lists the configured pools: {fund[:200]!r}")
        por = js("return document.getElementById('panel-por').innerText")
        check("2026-11\t2026-11-30T23:59:59Z" in por, f"the demo round is listed: {por[:200]!r}")
        check(js("return document.getElementById('token').value") == "", "the token field is cleared")
        who = js("return document.getElementById('who-name').textContent")
        check("(" in who, f"the operator is named: {who!r}")
        origins = js("return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
        check(all(o == url for o in origins), f"nothing loaded from another origin: {sorted(set(origins))}")
        shot("panels")

        call(base, "POST", s + "/refresh", {})
        wait("document.querySelectorAll('.panel').length > 0", "the panels after a reload")
        check(js("return document.querySelectorAll('.panel').length") >= len(want), "a reload keeps the tab signed in")

        btn = next(iter(call(base, "POST", s + "/element", {"using": "css selector", "value": "#logout"}).values()))
        call(base, "POST", f"{s}/element/{btn}/click", {})
        wait("!document.getElementById('login').hidden", "the sign-in form")
        check(js("return sessionStorage.length === 0 && document.querySelectorAll('.panel').length === 0"),
              "signing out forgets the token and the panels")
        shot("signed-out")
    finally:
        if sid:
            try: call(base, "DELETE", f"/session/{sid}")
            except Exception: pass
        drv.terminate(); drv.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)
    if failures:
        print("FAILED:\n" + "\n".join(failures)); sys.exit(1)
    print("console browser test passed")


if __name__ == "__main__":
    main()
