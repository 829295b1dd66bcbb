#!/usr/bin/env python3
"""Drives headless Debian Chromium (chromedriver) or Firefox ESR (geckodriver) with the unpacked
Custodia Guard extension loaded, through the W3C WebDriver HTTP API (stdlib only). The same
extension files run in both.

usage: browser.py SIGN_TOOL OUT_DIR [chromium|firefox]

SIGN_TOOL is the built `sign_snapshot` example of custodia-guard-wasm. The test makes a signing
key, a version-1 snapshot (default brands, one blocked host, one listed address), builds the
extension with it (crates/guard-wasm/build.sh; set CARGO to the cargo to use), serves every
host name on 127.0.0.1 (Chromium's --host-resolver-rules) from one local HTTP server that also
plays the exchange's update URL, and checks, each with its twin:
  - a look-alike host (binance-login.com) and a blocklisted one are intercepted by the warning
    page, with reasons; the official host (binance.com) and an unrelated host open normally;
  - "open the site anyway" opens it;
  - a listed address typed into a field on a page is flagged; an unlisted one is not; a
    look-alike of an address committed before on that site (address poisoning) is flagged, that
    address itself is not, nor the look-alike on another site; a page's scripted input is
    ignored;
  - the per-navigation check is timed in the browser (bench.html: 10,000 checks), mean ≤ 1 ms;
  - an update whose snapshot was tampered with, and one signed by an untrusted key (whole file
    or delta), are refused and the installed list stays; a correctly signed newer snapshot is
    installed from a compact delta without downloading the whole file, and a host it newly
    blocks is then intercepted; up to date, the update downloads nothing; the same version number
    with another file (its hash differs) and a corrupted delta are each refused and the whole file
    is downloaded instead.
Screenshots go to OUT_DIR (named guard-*.png for Chromium, guard-firefox-*.png for Firefox).
"""
import base64, re, http.server, urllib.error, json, os, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
LISTED = "0x098b716b8aaf21512996dc57eb0615e2383e2f96"
CLEAN = "0x52908400098527886e0f7030069857d2e4169ee7"
LOOKALIKE = "0x5290ffffffffffffffffffffffffffffffff9ee7"  # CLEAN's first and last four characters


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read())["value"]
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{method} {path}: {e.code} {e.read()[:600]!r}") from None


def key_file(path, seed_hex):
    open(path, "w").write(f"# test key\n{seed_hex}\n")


def sign(tool, key, version, blocked, out, base=None):
    os.makedirs(out, exist_ok=True)
    b = os.path.join(out, "blocked.txt"); open(b, "w").write("\n".join(blocked) + "\n")
    a = os.path.join(out, "addresses.txt"); open(a, "w").write(LISTED + "\n")
    open(os.path.join(out, "version.txt"), "w").write(str(version))
    return subprocess.check_output([tool, key, str(version), b, a, out] + ([base] if base else []),
                                   text=True).strip()


class Site(http.server.BaseHTTPRequestHandler):
    """Every host: a small wallet page with an address field; /snapshot and /signature: the
    files in Site.updates (what the exchange's update URL serves right now)."""
    updates = None

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path in ("/snapshot", "/snapshot/signature", "/snapshot/delta"):
            Site.fetched.append((path, self.headers.get("Cookie"), query))
            kind, status, extra = "application/octet-stream", 200, []
            if path == "/snapshot/delta":
                # As the service: the delta from the version asked for, 204 when that is the
                # latest, 404 when there is none.
                frm = query.removeprefix("from=")
                delta = os.path.join(Site.updates, f"delta-from-{frm}.bin")
                if os.path.exists(delta):
                    body = open(delta, "rb").read()
                elif frm == open(os.path.join(Site.updates, "version.txt")).read():
                    body, status = b"", 204
                    # The compact file's own hash (header bytes 44..76), as the service sends it.
                    snap = open(os.path.join(Site.updates, "snapshot.bin"), "rb").read()
                    extra = [("x-custodia-snapshot-hash", snap[44:76].hex()), ("x-custodia-snapshot-version", frm)]
                else:
                    body, status, kind = b"no delta from that version", 404, "text/plain"
            else:
                name = "snapshot.bin" if path == "/snapshot" else "snapshot.sig"
                body = open(os.path.join(Site.updates, name), "rb").read()
            self.send_response(status)
            for k, v in extra:
                self.send_header(k, v)
            if status != 204:
                self.send_header("Content-Type", kind); self.send_header("Content-Length", str(len(body)))
            self.end_headers(); self.wfile.write(body)
            return
        else:
            host = self.headers.get("Host", "").split(":")[0]
            body = (f"<!doctype html><title>page of {host}</title><h1 id='host'>{host}</h1>"
                    "<label>Send to <input id='to' size='50'></label>").encode()
            kind = "text/html"
        try:
            self.send_response(200)
            self.send_header("Content-Type", kind); self.send_header("Content-Length", str(len(body)))
            self.end_headers(); self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the extension replaced the page while it loaded: what interception does

    def log_message(self, *a):
        pass


Site.fetched = []


HOSTS = ["binance-login.com", "binance.com", "drainer-kit.xyz", "kitchen-recipes.net",
         "newly-listed.xyz", "wallet.example.org", "updates.exchange.test"]


def start_session(browser, drv_base, ext, profile):
    """A WebDriver session with the unpacked extension loaded and every test host resolving to
    127.0.0.1 over plain HTTP."""
    if browser == "chromium":
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,DisableLoadExtensionCommandLineSwitch",
                "--host-resolver-rules=MAP * 127.0.0.1",
                f"--load-extension={ext}", f"--disable-extensions-except={ext}",
                f"--user-data-dir={profile}", "--window-size=1000,900"]
        return call(drv_base, "POST", "/session", {"capabilities": {"alwaysMatch": {"browserName": "chrome",
                    "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})["sessionId"]
    prefs = {
        "network.dns.localDomains": ",".join(HOSTS),  # these names resolve to 127.0.0.1
        "dom.security.https_first": False, "dom.security.https_only_mode": False,
        "network.proxy.type": 0, "browser.shell.checkDefaultBrowser": False,
        "extensions.originControls.grantByDefault": True,  # MV3 host permissions granted at install
        "datareporting.policy.dataSubmissionEnabled": False, "toolkit.telemetry.enabled": False,
    }
    sid = call(drv_base, "POST", "/session", {"capabilities": {"alwaysMatch": {"browserName": "firefox",
               "moz:firefoxOptions": {"binary": "/usr/bin/firefox-esr",
                                      "args": ["-headless", "-width", "1000", "-height", "900"],
                                      "prefs": prefs}}}})["sessionId"]
    # Loaded as a temporary add-on from the unpacked folder, as `about:debugging` does.
    call(drv_base, "POST", f"/session/{sid}/moz/addon/install", {"path": ext, "temporary": True})
    return sid


def main():
    tool, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    browser = sys.argv[3] if len(sys.argv) > 3 else "chromium"
    if browser not in ("chromium", "firefox"):
        sys.exit(f"browser {browser!r}: chromium or firefox")
    scheme = "chrome-extension://" if browser == "chromium" else "moz-extension://"
    prefix = "guard-" if browser == "chromium" else "guard-firefox-"
    os.makedirs(out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="custodia-guard-ext-")
    port = free_port()
    base_url = f"http://updates.exchange.test:{port}/snapshot"
    # Fixed seeds: the test is reproducible; these keys sign nothing outside it.
    trusted, rogue = os.path.join(work, "trusted.key"), os.path.join(work, "rogue.key")
    key_file(trusted, "11" * 32); key_file(rogue, "22" * 32)
    pub = sign(tool, trusted, 1, ["drainer-kit.xyz"], os.path.join(work, "v1"))
    ext = os.path.join(work, "extension")
    subprocess.check_call(["bash", os.path.join(ROOT, "crates/guard-wasm/build.sh"), ext, os.path.join(work, "v1"), pub, base_url])

    # The update versions the test serves in turn.
    sign(tool, trusted, 2, ["drainer-kit.xyz", "newly-listed.xyz"], os.path.join(work, "v2"))
    tampered = os.path.join(work, "tampered"); shutil.copytree(os.path.join(work, "v2"), tampered)
    p = os.path.join(tampered, "snapshot.bin"); d = bytearray(open(p, "rb").read()); d[-5] ^= 1; open(p, "wb").write(d)
    # Signed by a key the extension does not trust, as a whole file and as a delta.
    sign(tool, rogue, 3, ["drainer-kit.xyz"], os.path.join(work, "rogue"), os.path.join(work, "v1"))
    # v2 with its delta from v1; v3 with a corrupted delta from v2 (the whole file is sound).
    sign(tool, trusted, 2, ["drainer-kit.xyz", "newly-listed.xyz"], os.path.join(work, "v2d"), os.path.join(work, "v1"))
    sign(tool, trusted, 3, ["drainer-kit.xyz", "newly-listed.xyz", "third-listed.xyz"], os.path.join(work, "v3"),
         os.path.join(work, "v2"))
    # Version 2 again but another file (a store rebuilt from scratch reuses version numbers).
    sign(tool, trusted, 2, ["drainer-kit.xyz", "newly-listed.xyz", "other.xyz"], os.path.join(work, "v2other"))
    p = os.path.join(work, "v3", "delta-from-2.bin"); d = bytearray(open(p, "rb").read()); d[-40] ^= 1; open(p, "wb").write(d)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Site)
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    drv_port = free_port()
    driver = ["chromedriver", f"--port={drv_port}"] if browser == "chromium" else ["geckodriver", "--port", str(drv_port)]
    drv = subprocess.Popen(driver, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    drv_base = f"http://127.0.0.1:{drv_port}"
    for _ in range(100):
        try:
            call(drv_base, "GET", "/status"); break
        except Exception:
            time.sleep(0.1)
    profile = tempfile.mkdtemp(prefix="custodia-browser-")
    failures, sid = [], None

    def expect(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    try:
        sid = start_session(browser, drv_base, ext, profile)
        s = f"/session/{sid}"
        js = lambda script, *a: call(drv_base, "POST", s + "/execute/sync", {"script": script, "args": list(a)})
        shot = lambda name: open(os.path.join(out, f"{prefix}{name}.png"), "wb").write(
            base64.b64decode(call(drv_base, "GET", s + "/screenshot")))
        url = lambda: call(drv_base, "GET", s + "/url")

        def goto(u, settle=1.5):
            call(drv_base, "POST", s + "/url", {"url": u})
            t0 = time.time()  # the interception replaces the page right after the navigation starts
            while time.time() - t0 < settle:
                if "warning.html" in url(): break
                time.sleep(0.05)
            time.sleep(0.3)
            return url()

        def wait(script, limit=15):
            t0 = time.time()
            while time.time() - t0 < limit:
                v = js(script)
                if v: return v
                time.sleep(0.1)
            return None

        # The service worker starts with the extension: give it time to load the wasm.
        time.sleep(2)
        site = lambda host: f"http://{host}:{port}/"
        ext_id = None
        for host, blocked in [("binance-login.com", True), ("binance.com", False),
                              ("drainer-kit.xyz", True), ("kitchen-recipes.net", False),
                              ("newly-listed.xyz", False)]:
            u = goto(site(host), settle=4 if blocked else 1.5)
            intercepted = u.startswith(scheme) and "warning.html" in u
            if intercepted:
                ext_id = u.split("/")[2]
                reasons = wait("return [...document.querySelectorAll('#reasons li')].map(l => l.dataset.rule + ': ' + l.textContent)")
                expect(bool(reasons), f"{host}: the warning page lists reasons {reasons}")
                shot(f"warning-{host}")
            else:
                shot(f"open-{host}")
            expect(intercepted == blocked, f"{host}: {'intercepted' if intercepted else 'opened'} ({u[:90]})")

        # Proceed anyway (the focused default is "go back").
        goto(site("binance-login.com"), settle=4)
        focused = js("return document.activeElement && document.activeElement.id")
        expect(focused == "back", f"'go back' is the default action (focused: {focused})")
        js("document.getElementById('proceed').click()")
        time.sleep(1.5)
        expect(url().startswith(site("binance-login.com")), f"'open anyway' opens the site ({url()[:80]})")

        # An address field on a web wallet page.
        goto(site("wallet.example.org"))
        el = call(drv_base, "POST", s + "/element", {"using": "css selector", "value": "#to"})
        eid = next(iter(el.values()))

        def type_into(text):
            """Types `text` into the emptied field, as a user would. One keystroke first takes any
            warning away: WebDriver's clear fires no input event in Firefox, and geckodriver drops
            the rest of a key sequence when the page changes under the field mid-sequence."""
            call(drv_base, "POST", f"{s}/element/{eid}/value", {"text": "x"})
            time.sleep(0.5)
            call(drv_base, "POST", f"{s}/element/{eid}/clear", {})
            call(drv_base, "POST", f"{s}/element/{eid}/value", {"text": text})
            got = js("return document.getElementById('to').value")
            expect(got == text, f"typed {text} (the field holds {got})")
        call(drv_base, "POST", f"{s}/element/{eid}/value", {"text": CLEAN})
        time.sleep(1)
        expect(js("return document.getElementById('to').dataset.custodiaFlag || ''") == "",
               "an unlisted address is not flagged")
        # Tab leaves the field: the address is committed, and remembered for this site.
        call(drv_base, "POST", f"{s}/element/{eid}/value", {"text": "\ue004"})
        time.sleep(0.5)
        call(drv_base, "POST", f"{s}/element/{eid}/clear", {})
        call(drv_base, "POST", f"{s}/element/{eid}/value", {"text": LISTED})
        flag = wait("return document.getElementById('to').dataset.custodiaFlag")
        banner = js("const b = document.querySelector('[data-custodia-banner]'); return b ? b.textContent : ''")
        shot("address-flagged")
        expect(flag == "listed" and "listed" in banner, f"a listed address is flagged: {banner!r}")
        # Address poisoning: a look-alike of the address entered before (same first and last
        # characters) is flagged; the address itself again is not.
        type_into(LOOKALIKE)
        flag = wait("return document.getElementById('to').dataset.custodiaFlag")
        banner = js("const b = document.querySelector('[data-custodia-banner]'); return b ? b.textContent : ''")
        shot("address-lookalike")
        expect(flag == "lookalike" and "looks like another address entered on this site" in banner
               and CLEAN in banner, f"a look-alike of an address used before is flagged: {banner!r}")
        type_into(CLEAN)
        time.sleep(1)
        expect(js("return document.getElementById('to').dataset.custodiaFlag || ''") == "",
               "the address used before is not flagged")
        # A page's own scripted input is not looked at (it could flood or probe what is remembered).
        js("const t = document.getElementById('to'); t.value = arguments[0];"
           "t.dispatchEvent(new Event('input', {bubbles: true}))", LISTED)
        time.sleep(1)
        expect(js("return document.getElementById('to').dataset.custodiaFlag || ''") == "",
               "a page's scripted input event is ignored")
        # Remembered per site: on another site the same look-alike means nothing (and that site
        # can neither see nor probe what was entered here).
        goto(site("kitchen-recipes.net"))
        el = call(drv_base, "POST", s + "/element", {"using": "css selector", "value": "#to"})
        eid = next(iter(el.values()))
        type_into(LOOKALIKE)
        time.sleep(1)
        expect(js("return document.getElementById('to').dataset.custodiaFlag || ''") == "",
               "the look-alike is not flagged on another site")

        # Updates, through the status page.
        if not ext_id:
            raise RuntimeError("no interception seen: the extension id is unknown")
        status = "status.html"

        def ext_page(page):
            """Opens one of the extension's pages. Chromium lets WebDriver navigate there;
            Firefox does not, so an extension page (the warning page of a blocklisted host,
            never opened anyway) navigates there itself."""
            if browser == "chromium":
                return goto(f"{scheme}{ext_id}/{page}")
            if not url().startswith(scheme):
                goto(site("drainer-kit.xyz"), settle=4)
            js("location.href = arguments[0]", page)
            t0 = time.time()
            while time.time() - t0 < 10 and not url().split("#")[0].endswith("/" + page):
                time.sleep(0.05)
            return url()

        def update(served):
            Site.updates = served
            ext_page(status)
            wait("return document.body && document.body.dataset.ready")
            js("document.getElementById('refresh').click()")
            wait("return document.body && document.body.dataset.ready")
            return js("return [document.getElementById('version').textContent, document.getElementById('update').textContent]")

        for name, want_version, want, full in [
                ("tampered", "1", "refused", True), ("rogue", "1", "not trusted", True),
                ("v2d", "2", "from a delta", False), ("v2d", "2", "is the latest", False),
                ("v2other", "2", "another file than the installed one", True),
                ("v3", "3", "delta not used", True)]:
            before = len(Site.fetched)
            version, text = update(os.path.join(work, name))
            shot(f"update-{name}")
            got_full = any(p == "/snapshot" for p, _, _ in Site.fetched[before:])
            expect(version == want_version and want in text and ("whole file" in text or not full or version == "1"),
                   f"update from {name}: version {version}, {text[:200]!r}")
            expect(got_full == full, f"update from {name}: whole file {'downloaded' if got_full else 'not downloaded'}")
        u = goto(site("newly-listed.xyz"), settle=4)
        expect("warning.html" in u, f"a host the accepted update blocks is intercepted ({u[:80]})")
        ext_page(status); wait("return document.body && document.body.dataset.ready")
        print("last check in the extension: " + js("return document.getElementById('lastcheck').textContent")
              + "; addresses remembered: " + js("return document.getElementById('known').textContent"))
        # The per-navigation check timed in this browser (10,000 checks of a URL mix).
        ext_page("bench.html")
        res = wait("return document.body.dataset.result", limit=60)
        r = json.loads(res or '{"error": "no result"}')
        open(os.path.join(out, f"{prefix}bench.json"), "w").write(json.dumps(r, indent=2))
        print(f"extension check timing: {r}")
        expect("mean_ms" in r and r["mean_ms"] <= 1.0, f"a check takes at most 1 ms on average ({r})")
        expect(all(c is None and (q == "" if p != "/snapshot/delta" else re.fullmatch(r"from=[0-9]+", q))
                   for p, c, q in Site.fetched),
               f"update requests carry no cookie, and no query but the installed version: {Site.fetched}")
    finally:
        if sid:
            try: call(drv_base, "DELETE", f"/session/{sid}")
            except Exception: pass
        drv.terminate(); drv.wait(timeout=10); srv.shutdown()
        shutil.rmtree(profile, ignore_errors=True); shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("FAILED:\n" + "\n".join(failures)); sys.exit(1)
    print(f"guard extension browser test passed ({browser})")


if __name__ == "__main__":
    main()
