#!/usr/bin/env python3
"""The monthly report's HTML in real headless Chromium, through chromedriver's WebDriver API
(stdlib only, like the verifier page's and the console's browser tests).

usage: report_browser.py FULL_REPORT_DIR EMPTY_REPORT_DIR OUT_DIR

FULL_REPORT_DIR holds report.html/report.json for a month with a proven round; EMPTY_REPORT_DIR
one for a month where nothing was recorded and no round was given. Checks, in the browser: every
section the JSON lists is on the page with its heading; every chart is drawn with a real size;
the reserve-ratio chart has one bar per asset with a ratio and the 100% line; each figure of the
JSON has its row; the page loaded no resource at all (self-contained) and runs no script. The
twin: the empty month shows the "nothing recorded" notice in every section and draws no ratio
chart. Screenshots go to OUT_DIR.
"""
import base64, json, os, socket, subprocess, sys, tempfile, time, urllib.request


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())["value"]


def check(js, report, empty):
    fails = []
    ids = js("return [...document.querySelectorAll('section[data-section]')].map(s => s.dataset.section)")
    want = ["por"] + [s["id"] for s in report["sections"]] + ["faq"]
    if ids != want:
        fails.append(f"sections on the page {ids} != {want}")
    if js("return document.scripts.length") != 0:
        fails.append("the page has a script")
    if js("return performance.getEntriesByType('resource').length") != 0:
        fails.append("the page loaded a resource: " + json.dumps(js("return performance.getEntriesByType('resource').map(r => r.name)")))
    charts = js("return [...document.querySelectorAll('svg.chart')].map(c => [c.dataset.chart, c.getBoundingClientRect().width, c.getBoundingClientRect().height])")
    for name, w, h in charts:
        if w < 100 or h < 20:
            fails.append(f"chart {name} drawn {w}x{h}")
    if empty:
        if any(c[0] == "por.ratios" for c in charts):
            fails.append("a ratio chart without a round")
        n = js("return document.querySelectorAll('section[data-section] p.empty').length")
        if n != len(report["sections"]) + 1:
            fails.append(f"{n} 'nothing recorded' notices for {len(report['sections']) + 1} sections")
        return fails, charts
    ratios = [a for a in report["por"]["assets"] if a["ratio_bps"] is not None]
    bars = js("return document.querySelectorAll('svg[data-chart=\"por.ratios\"] rect.bar').length")
    if bars != len(ratios) or not ratios:
        fails.append(f"{bars} ratio bars for {len(ratios)} assets with a ratio")
    if js("return document.querySelectorAll('svg[data-chart=\"por.ratios\"] line.threshold').length") != 1:
        fails.append("no 100% line")
    rows = set(js("return [...document.querySelectorAll('tr[data-figure]')].map(r => r.dataset.figure)"))
    for s in report["sections"]:
        for f in s["figures"]:
            if f["key"] not in rows:
                fails.append(f"figure {f['key']} has no row")
        counts = sum(1 for f in s["figures"] if f["value"]["type"] == "count")
        if s["recorded"] and counts >= 2 and not any(c[0] == s["id"] + ".counts" for c in charts):
            fails.append(f"section {s['id']} has {counts} counts but no chart")
    return fails, charts


def main():
    full, empty, out = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    drv_port = free_port()
    drv = subprocess.Popen(["chromedriver", f"--port={drv_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{drv_port}"
    for _ in range(100):
        try:
            call(base, "GET", "/status"); break
        except Exception:
            time.sleep(0.1)
    profile = tempfile.mkdtemp(prefix="custodia-report-")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--window-size=1200,2200"]
    failures, sid = [], None
    try:
        sid = call(base, "POST", "/session", {"capabilities": {"alwaysMatch": {"browserName": "chrome",
              "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})["sessionId"]
        s = f"/session/{sid}"
        js = lambda script: call(base, "POST", s + "/execute/sync", {"script": script, "args": []})
        for name, folder, is_empty in [("full", full, False), ("empty", empty, True)]:
            report = json.load(open(os.path.join(folder, "report.json")))
            call(base, "POST", s + "/url", {"url": "file://" + os.path.abspath(os.path.join(folder, "report.html"))})
            fails, charts = check(js, report, is_empty)
            failures += [f"{name}: {f}" for f in fails]
            p = os.path.join(out, f"report-{name}.png")
            open(p, "wb").write(base64.b64decode(call(base, "GET", s + "/screenshot")))
            print(f"  {name}: {len(report['sections']) + 2} sections, {len(charts)} charts; screenshot {p}")
    finally:
        if sid:
            try:
                call(base, "DELETE", f"/session/{sid}")
            except Exception:
                pass
        drv.kill()
    if failures:
        print("report browser test FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("report browser test passed")


if __name__ == "__main__":
    main()
