#!/usr/bin/env python3
"""Drives headless Debian Chromium through chromedriver's HTTP WebDriver API (stdlib only).

usage: browser.py PAGE ROUND_DIR INCLUSION_JSON OUT_DIR [--url URL]... [--only CASE]

PAGE is the self-contained verifier page (crates/verifier-wasm/build.sh). It is opened as a local
file (file://) and at every --url given (e.g. the page served by `custodia serve`), and given:
the user's own files (expects "verified"), a tampered inclusion file ("rejected"), a zip of the
user's files ("verified"), a zip whose proof has a flipped byte ("rejected"), the whole round
with the inclusion file ("verified", whole-round check included), the whole round with the
exchange's reserves files (a reserves table; the demo's under-reserved asset is "rejected"), the
same with a forged wallet signature ("rejected"), and two months' zips that chain ("verified")
or whose first month was rewritten ("rejected"). A screenshot of each result is
saved under OUT_DIR, and the time from handing over the files to the result shown is printed.
"""
import argparse, base64, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request, zipfile


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.loads(r.read())["value"]


def zip_folder(folder, out):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(os.listdir(folder)):
            z.write(os.path.join(folder, name), name)


def make_cases(rnd, incl, work, rnd2=None, incl2=None):
    rnd, incl = os.path.abspath(rnd), os.path.abspath(incl)
    m = json.load(open(os.path.join(rnd, "round.json")))
    u = json.load(open(incl))
    b = u["leaf"] >> m["shape"]["log_batch"]

    def user_folder(name, rnd=rnd, incl=incl):
        m = json.load(open(os.path.join(rnd, "round.json")))
        b = json.load(open(incl))["leaf"] >> m["shape"]["log_batch"]
        d = os.path.join(work, name); os.makedirs(d)
        shutil.copy(os.path.join(rnd, "round.json"), d)
        for ext in ("proof", "json"):
            shutil.copy(os.path.join(rnd, "proofs", f"batch-{b:05}.{ext}"), d)
        shutil.copy(incl, os.path.join(d, "my-inclusion.json"))
        return d

    good = user_folder("good")
    bad = user_folder("bad")
    k = next(iter(u["equity"]))
    v = u["equity"][k]  # claim a different balance, same number of decimals
    t = dict(u); t["equity"] = dict(u["equity"]); t["equity"][k] = v[:-1] + ("2" if v[-1] != "2" else "3")
    json.dump(t, open(os.path.join(bad, "my-inclusion.json"), "w"))

    good_zip = os.path.join(work, "my-files.zip"); zip_folder(good, good_zip)
    flipped = user_folder("flipped")
    p = os.path.join(flipped, f"batch-{b:05}.proof")
    data = bytearray(open(p, "rb").read()); data[len(data) // 2] ^= 1; open(p, "wb").write(data)
    flipped_zip = os.path.join(work, "flipped.zip"); zip_folder(flipped, flipped_zip)

    whole = [os.path.join(rnd, "round.json"), incl] + sorted(
        os.path.join(rnd, "proofs", f) for f in os.listdir(os.path.join(rnd, "proofs")) if f.startswith("batch-"))
    ls = lambda d: [os.path.join(d, f) for f in sorted(os.listdir(d))]
    cases = [
        ("valid", ls(good), "verified", "VERIFIED: the balances of"),
        ("tampered", ls(bad), "rejected", "REJECTED"),
        ("zip", [good_zip], "verified", "VERIFIED: the balances of"),
        ("zip-flipped-proof", [flipped_zip], "rejected", "REJECTED"),
        ("whole-round", whole, "verified", "batch proofs of round"),
    ]
    # The round's proof of assets: the demo leaves one asset under-reserved on purpose, so the
    # page must show a reserves table with covered assets and say which asset is below 100%.
    reserves = [os.path.join(rnd, "reserves.json"), os.path.join(rnd, "wallets.csv")]
    if all(os.path.exists(p) for p in reserves):
        cases.append(("reserves", whole + reserves, "rejected", ["holds only", "every signature re-checked here", "covered"]))
        forged = os.path.join(work, "forged"); os.makedirs(forged)
        rows = open(reserves[1]).read().splitlines()
        i = next(i for i, r in enumerate(rows) if r.startswith("ethereum,"))
        at = rows[i].rfind(",0x") + 10
        rows[i] = rows[i][:at] + ("b" if rows[i][at] == "a" else "a") + rows[i][at + 1:]
        open(os.path.join(forged, "wallets.csv"), "w").write("\n".join(rows) + "\n")
        cases.append(("reserves-forged-signature", whole + [reserves[0], os.path.join(forged, "wallets.csv")],
                      "rejected", "does not check out"))
    # Two months in one visit: one zip per round, chained.
    if rnd2 and incl2:
        one = os.path.join(work, "month-1.zip"); zip_folder(good, one)
        two = os.path.join(work, "month-2.zip"); zip_folder(user_folder("month2", os.path.abspath(rnd2), os.path.abspath(incl2)), two)
        cases.append(("two-rounds", [two, one], "verified", ["form one history", "included in all 2 rounds"]))
        # Negative twin: the first month's round.json rewritten after the second was built.
        redo = user_folder("rewritten")
        mm = json.load(open(os.path.join(redo, "round.json")))
        mm["snapshot_time"] = mm["snapshot_time"].replace(mm["snapshot_time"][:4], str(int(mm["snapshot_time"][:4]) - 1), 1)
        json.dump(mm, open(os.path.join(redo, "round.json"), "w"))
        rz = os.path.join(work, "month-1-rewritten.zip"); zip_folder(redo, rz)
        cases.append(("two-rounds-rewritten", [two, rz], "rejected", "do not form one history"))
        # The same two months as loose files, picked together (same names: round.json twice,
        # my-inclusion.json twice): sorted into their rounds by what each file says. Month 2's
        # user is taken from the other batch, so the two batch proofs have different names.
        rnd2 = os.path.abspath(rnd2)
        m2 = json.load(open(os.path.join(rnd2, "round.json")))

        def month2_folder(name, batch):
            line = open(os.path.join(rnd2, "inclusion", f"batch-{batch:05}.jsonl")).readline()
            incl = os.path.join(work, f"{name}-inclusion.json"); open(incl, "w").write(line)
            return user_folder(name, rnd2, incl)

        if m2["shape"]["log_batch"] == m["shape"]["log_batch"] and len(m2["batch_roots"]) > 1:
            # The same user's month-2 file when it lies in another batch than month 1's; else
            # another user's from the other batch (then the summary names different accounts).
            b2 = json.load(open(incl2))["leaf"] >> m2["shape"]["log_batch"]
            if b2 != b:
                other = user_folder("loose2", rnd2, os.path.abspath(incl2))
                same = month2_folder("loose2same", b)
                phrases = ["form one history", "included in all 2 rounds"]
            else:
                other = month2_folder("loose2", 1 - b if b < 2 else 0)
                same = user_folder("loose2same", rnd2, os.path.abspath(incl2))
                phrases = ["form one history", "of different accounts"]
            cases.append(("two-rounds-loose", ls(good) + ls(other), "verified", phrases))
            # Negative twins: both months' files in the same batch, so two batch-NNNNN.proof
            # files that nothing tells apart (an input error, never a guess); and the first
            # month's round.json rewritten.
            cases.append(("two-rounds-loose-ambiguous", ls(good) + ls(same), "error", "own folder or zip"))
            cases.append(("two-rounds-loose-rewritten", ls(redo) + ls(other), "rejected", "do not form one history"))
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page"); ap.add_argument("round"); ap.add_argument("inclusion"); ap.add_argument("out")
    ap.add_argument("--url", action="append", default=[], help="also test the page at this URL")
    ap.add_argument("--round2", help="a second round chained to the first (several-month case)")
    ap.add_argument("--inclusion2", help="the same user's inclusion file of --round2")
    ap.add_argument("--only", help="run only this case (e.g. valid, for a benchmark)")
    ap.add_argument("--repeat", type=int, default=1, help="run each case this many times")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="custodia-browser-")
    cases = [c for c in make_cases(a.round, a.inclusion, work, a.round2, a.inclusion2) if not a.only or c[0] == a.only]
    pages = [("file", "file://" + os.path.abspath(a.page))] + [(f"http{i}" if i else "http", u) for i, u in enumerate(a.url)]

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
            f"--user-data-dir={profile}", "--window-size=1000,900"]
    failures, timings = [], []
    sid = None
    try:
        sid = call(base, "POST", "/session", {"capabilities": {"alwaysMatch": {"browserName": "chrome",
              "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})["sessionId"]
        s = f"/session/{sid}"
        js = lambda script: call(base, "POST", s + "/execute/sync", {"script": script, "args": []})
        for where, url in pages:
            for label, files, want, phrase in cases:
                for rep in range(a.repeat):
                    call(base, "POST", s + "/url", {"url": url})
                    el = call(base, "POST", s + "/element", {"using": "css selector", "value": "#files"})
                    eid = next(iter(el.values()))
                    t0 = time.time()
                    call(base, "POST", f"{s}/element/{eid}/value", {"text": "\n".join(files)})
                    status = ""
                    while time.time() - t0 < 240 and not status:
                        status = js("return document.getElementById('result').dataset.status")
                        if not status: time.sleep(0.02)
                    wall = time.time() - t0
                    text = js("return document.getElementById('result').innerText")
                    millis = js("const m = document.getElementById('millis'); return m ? m.textContent : ''")
                    shot = os.path.join(a.out, f"browser-{where}-{label}.png")
                    open(shot, "wb").write(base64.b64decode(call(base, "GET", s + "/screenshot")))
                    timings.append(wall)
                    print(f"{where} {label}: status={status!r}, {wall:.2f} s from files to result ({millis}), {shot}")
                    print("  " + text.replace("\n", " | ")[:300])
                    phrases = phrase if isinstance(phrase, list) else [phrase]
                    if status != want or any(p not in text for p in phrases):
                        failures.append(f"{where} {label}: expected {want} with {phrase!r}, got {status!r}: {text}")
    finally:
        if sid:
            try: call(base, "DELETE", f"/session/{sid}")
            except Exception: pass
        drv.terminate(); drv.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True); shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("FAILED:\n" + "\n".join(failures)); sys.exit(1)
    timings.sort()
    print(f"browser test passed: {len(timings)} checks, median {timings[len(timings) // 2]:.2f} s, max {timings[-1]:.2f} s")


if __name__ == "__main__":
    main()
