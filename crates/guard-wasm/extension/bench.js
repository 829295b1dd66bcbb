// Times the per-navigation check in this browser (the figure in docs/BENCHMARKS.md): load and
// verify the shipped snapshot, then check a mix of official, unrelated and look-alike URLs.
import init, { Guard } from "./custodia_guard_wasm.js";

const out = document.getElementById("out");
(async () => {
  await init({ module_or_path: chrome.runtime.getURL("custodia_guard_wasm_bg.wasm") });
  const config = await (await fetch("config.json")).json();
  const bytes = async (f) => new Uint8Array(await (await fetch(f)).arrayBuffer());
  const [snap, sig] = await Promise.all([bytes("snapshot.bin"), bytes("snapshot.sig")]);
  let t = performance.now();
  const g = new Guard(snap, sig, config.trustedKeys.join(" "));
  const loadMs = performance.now() - t;
  const urls = [
    "https://www.binance.com/en/trade", "https://en.wikipedia.org/wiki/Phishing",
    "https://binance-login.com/account", "https://secure-metamask-wallet.pages.dev/",
    "https://accounts.google.com/signin", "https://coinbase-support.xyz/help",
    "https://github.com/rust-lang/rust", "https://app.uniswap.org/swap",
    "https://xn--mtamask-5va.io/", "https://news.ycombinator.com/item?id=1",
  ];
  for (let i = 0; i < 200; i++) g.checkUrl(urls[i % urls.length]); // warm-up
  const n = 10000;
  const times = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) g.checkUrl(urls[i % urls.length]);
  const loopMs = performance.now() - t0; // one interval: not limited by the timer's resolution
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    g.checkUrl(urls[i % urls.length]);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  const r = {
    checks: n, mean_ms: loopMs / n, mean_of_single_ms: total / n, p50_ms: times[n / 2], p99_ms: times[Math.floor(n * 0.99)],
    max_ms: times[n - 1], load_verify_ms: loadMs, snapshot_bytes: snap.length,
  };
  out.textContent = JSON.stringify(r, null, 2);
  document.body.dataset.result = JSON.stringify(r);
})().catch((e) => {
  out.textContent = "failed: " + e;
  document.body.dataset.result = JSON.stringify({ error: String(e) });
});
