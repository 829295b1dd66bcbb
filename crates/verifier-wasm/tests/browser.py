#!/usr/bin/env python3
"""Drives headless Debian Chromium through chromedriver's HTTP WebDriver API (stdlib only).

usage: browser.py WEB_DIR ROUND_DIR INCLUSION_JSON OUT_DIR

Serves WEB_DIR on 127.0.0.1, opens index.html, gives it the user's files (inclusion file,
round.json, the batch proof covering the user) and expects "verified"; then a tampered copy of
the inclusion file and expects "rejected". Saves a screenshot of each under OUT_DIR.
"""
import base64, functools, http.server, json, os, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.request

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())["value"]

def main():
    web, rnd, incl, out = sys.argv[1:5]
    os.makedirs(out, exist_ok=True)
    m = json.load(open(os.path.join(rnd, "round.json")))
    u = json.load(open(incl))
    b = u["leaf"] >> m["shape"]["log_batch"]
    work = tempfile.mkdtemp(prefix="custodia-browser-")
    good = os.path.join(work, "good"); bad = os.path.join(work, "bad")
    for d in (good, bad):
        os.makedirs(d)
        shutil.copy(os.path.join(rnd, "round.json"), d)
        for ext in ("proof", "json"):
            shutil.copy(os.path.join(rnd, "proofs", f"batch-{b:05}.{ext}"), d)
    shutil.copy(incl, os.path.join(good, "my-inclusion.json"))
    k = next(iter(u["equity"]))
    v = u["equity"][k]  # claim a different balance, same number of decimals
    u["equity"][k] = v[:-1] + ("2" if v[-1] != "2" else "3")
    json.dump(u, open(os.path.join(bad, "my-inclusion.json"), "w"))

    http_port = free_port()
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass
    handler = functools.partial(Quiet, directory=web)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", http_port), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    drv_port = free_port()
    drv = subprocess.Popen(["chromedriver", f"--port={drv_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{drv_port}"
    for _ in range(100):
        try:
            call(base, "GET", "/status"); break
        except Exception:
            time.sleep(0.1)
    profile = tempfile.mkdtemp(prefix="custodia-chromium-")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--window-size=1000,800"]
    failures = []
    sid = None
    try:
        sid = call(base, "POST", "/session", {"capabilities": {"alwaysMatch": {"browserName": "chrome",
              "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})["sessionId"]
        s = f"/session/{sid}"
        for label, folder, want in (("valid", good, "verified"), ("tampered", bad, "rejected")):
            call(base, "POST", s + "/url", {"url": f"http://127.0.0.1:{http_port}/index.html"})
            el = call(base, "POST", s + "/element", {"using": "css selector", "value": "#files"})
            eid = next(iter(el.values()))
            paths = "\n".join(os.path.join(folder, f) for f in sorted(os.listdir(folder)))
            t0 = time.time()
            call(base, "POST", f"{s}/element/{eid}/value", {"text": paths})
            status = ""
            while time.time() - t0 < 60 and not status:
                status = call(base, "POST", s + "/execute/sync", {"script": "return document.getElementById('result').dataset.status", "args": []})
                if not status: time.sleep(0.05)
            text = call(base, "POST", s + "/execute/sync", {"script": "return document.getElementById('result').innerText", "args": []})
            png = base64.b64decode(call(base, "GET", s + "/screenshot"))
            shot = os.path.join(out, f"browser-{label}.png")
            open(shot, "wb").write(png)
            print(f"{label}: status={status!r} in {time.time() - t0:.2f}s (page to result), screenshot {shot}")
            print("  " + text.replace("\n", " | ")[:400])
            if status != want:
                failures.append(f"{label}: expected {want}, got {status!r}: {text}")
    finally:
        if sid: 
            try: call(base, "DELETE", f"/session/{sid}")
            except Exception: pass
        drv.terminate(); drv.wait(timeout=10)
        srv.shutdown()
        shutil.rmtree(profile, ignore_errors=True); shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("FAILED:\n" + "\n".join(failures)); sys.exit(1)
    print("browser test passed")

if __name__ == "__main__":
    main()
