// Custodia Guard's service worker. Every top-level navigation is checked locally, in wasm,
// against the signed snapshot (the same Rust rules the exchange's API runs); nothing about the
// pages a user opens leaves the browser. The only requests this extension makes are the snapshot
// updates from the exchange's URLs: they carry no cookie and no user data, and the only query is
// the version of the list installed (`?from=N`, to ask for a delta).
import init, { Guard, applyCompactDelta, checkLookalike } from "./custodia_guard_wasm.js";

const CONFIG_URL = chrome.runtime.getURL("config.json");
const DB = "custodia-guard";

let guard = null; // the Guard in use (a verified snapshot)
let guardBytes = null; // its snapshot file: the base the next delta applies to
let config = null;
const allowedHosts = new Set(); // hosts the user chose to open anyway (this session)
const lastSafe = new Map(); // tab id -> last committed URL that was not intercepted
let lastCheckMs = null;

// --- storage: the verified snapshot and its signature, as bytes, in IndexedDB ----------------
function db() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore("files");
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}
async function idb(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction("files", mode);
    const req = fn(tx.objectStore("files"));
    tx.oncomplete = () => resolve(req && req.result);
    tx.onerror = () => reject(tx.error);
  });
}
const getFile = (k) => idb("readonly", (s) => s.get(k));
const putFiles = (files) =>
  idb("readwrite", (s) => {
    for (const [k, v] of Object.entries(files)) s.put(v, k);
  });

async function setStatus(patch) {
  const { status = {} } = await chrome.storage.local.get("status");
  await chrome.storage.local.set({ status: { ...status, ...patch } });
}

function describe(g) {
  return { version: g.version(), hash: g.hash(), keyId: g.keyId(), counts: JSON.parse(g.counts()) };
}

// --- start: the stored snapshot if it verifies, else the one shipped with the extension -----
async function start() {
  await init({ module_or_path: chrome.runtime.getURL("custodia_guard_wasm_bg.wasm") });
  config = await (await fetch(CONFIG_URL)).json();
  const keys = config.trustedKeys.join(" ");
  const stored = await getFile("snapshot");
  const storedSig = await getFile("signature");
  if (stored && storedSig) {
    try {
      guard = new Guard(new Uint8Array(stored), new Uint8Array(storedSig), keys);
      guardBytes = new Uint8Array(stored);
    } catch (e) {
      // Storage is not trusted either: a snapshot that no longer verifies is dropped.
      await setStatus({ storedRefused: String(e) });
    }
  }
  if (!guard) {
    const [s, sig] = await Promise.all(
      ["snapshot.bin", "snapshot.sig"].map(async (f) =>
        new Uint8Array(await (await fetch(chrome.runtime.getURL(f))).arrayBuffer())),
    );
    guard = new Guard(s, sig, keys); // shipped files that fail to verify: the build is broken
    guardBytes = s;
  }
  await setStatus({ active: describe(guard) });
  chrome.alarms.create("update", { periodInMinutes: config.updateMinutes || 360 });
}
const ready = start();

// --- updates: a delta from the installed version when the exchange has one, else the whole
// file; either way the resulting snapshot's signature is checked with the pinned keys, rollbacks
// are refused, and only then is it swapped in -------------------------------------------------
// The body, and the version and hash the exchange says it is (response headers).
async function fetchFile(url, { allowEmpty = false } = {}) {
  const r = await fetch(url, { cache: "no-store", credentials: "omit" });
  const version = r.headers.get("x-custodia-snapshot-version");
  const hash = r.headers.get("x-custodia-snapshot-hash");
  if (r.status === 204 && allowEmpty) return { bytes: null, version, hash };
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
  return { bytes: new Uint8Array(await r.arrayBuffer()), version, hash };
}

function open(bytes, sig) {
  let next;
  try {
    next = new Guard(bytes, sig, config.trustedKeys.join(" "));
  } catch (e) {
    throw new Error(`refused: ${e}`);
  }
  if (next.version() < guard.version()) {
    throw new Error(`refused: version ${next.version()} is older than the installed ${guard.version()}`);
  }
  return next;
}

// The delta path: {upToDate} when the installed file is the latest, {next, bytes} when a
// delta rebuilt and verified, an exception when the delta is missing or refused.
async function viaDelta() {
  const url = `${config.deltaUrl}?from=${guard.version()}`;
  let delta = await fetchFile(url, { allowEmpty: true });
  if (delta.bytes === null) {
    // Same version number: also the same file? (A store rebuilt from scratch reuses numbers.)
    if (delta.hash && delta.hash !== guard.hash()) {
      throw new Error(`the latest version ${delta.version} is another file than the installed one`);
    }
    return { upToDate: true };
  }
  let sig = await fetchFile(config.signatureUrl);
  if (delta.version && sig.version && delta.version !== sig.version) {
    // Published in between: the delta again, now to the version the signature is for.
    delta = await fetchFile(url, { allowEmpty: true });
    if (delta.bytes === null) throw new Error("the latest version changed during the update");
  }
  let bytes;
  try {
    bytes = applyCompactDelta(guardBytes, delta.bytes);
  } catch (e) {
    throw new Error(`refused: ${e}`);
  }
  return { next: open(bytes, sig.bytes), bytes, sig: sig.bytes };
}

// One update at a time (the alarm and "Update now" may coincide): a second call waits for the
// first and then runs, so no update can swap in a list over a newer one it did not see.
let updating = Promise.resolve();
function update() {
  const run = updating.then(updateOnce, updateOnce);
  updating = run.catch(() => {});
  return run;
}

async function updateOnce() {
  await ready;
  const at = new Date().toISOString();
  let deltaError = null;
  try {
    let got = null;
    if (config.deltaUrl && guardBytes) {
      try {
        got = await viaDelta();
      } catch (e) {
        // A missing, stale or refused delta costs one whole download, never the list in use.
        deltaError = String(e.message || e);
      }
    }
    if (got && got.upToDate) {
      const res = { ok: true, at, via: "none", upToDate: true, ...describe(guard) };
      await setStatus({ lastUpdate: res });
      return res;
    }
    let via = "delta";
    if (!got) {
      via = "full";
      let [s, sig] = await Promise.all([fetchFile(config.snapshotUrl), fetchFile(config.signatureUrl)]);
      if (s.version && sig.version && s.version !== sig.version) {
        // Published between the two downloads: once more, both.
        [s, sig] = await Promise.all([fetchFile(config.snapshotUrl), fetchFile(config.signatureUrl)]);
      }
      got = { next: open(s.bytes, sig.bytes), bytes: s.bytes, sig: sig.bytes };
    }
    await putFiles({ snapshot: got.bytes.buffer, signature: got.sig.buffer });
    guard = got.next;
    guardBytes = got.bytes;
    const res = { ok: true, at, via, deltaError, ...describe(got.next) };
    await setStatus({ active: describe(got.next), lastUpdate: res });
    return res;
  } catch (e) {
    // The snapshot in use stays in use: a failed or forged update changes nothing.
    const res = { ok: false, at, deltaError, error: String(e.message || e) };
    await setStatus({ lastUpdate: res });
    return res;
  }
}
chrome.alarms.onAlarm.addListener((a) => {
  if (a.name === "update") update();
});

// --- addresses used before, per site (this device only) ------------------------------------
// Address poisoning: a scammer sends dust from an address with the same first and last
// characters as one the user pays, hoping it is copied from the history next time. Addresses the
// user commits to a field on a site (pasted, or typed and the field left) that pass the check are
// remembered for that site, in the extension's own database (never sent anywhere, not readable by
// pages or content scripts), and a new address on that site imitating one of them is flagged.
// Per site: a page can only ever see, flood or probe what was entered on its own site, which it
// saw anyway.
const KNOWN_PER_SITE = 50;
const KNOWN_SITES = 200;
let knownCache = null; // origin -> [address, ...], read from the database once per worker start
const loadKnown = async () => (knownCache ??= (await getFile("known")) || {});
let knownQueue = Promise.resolve(); // every read-modify-write of the memory, one after another
function withKnown(fn) {
  const run = knownQueue.then(async () => fn(await loadKnown()));
  knownQueue = run.catch(() => {});
  return run;
}
const saveKnown = (known) => {
  knownCache = known;
  return idb("readwrite", (s) => s.put(known, "known"));
};

function siteOf(sender) {
  try {
    return new URL(sender.url).origin;
  } catch {
    return null;
  }
}

// Listed, or a look-alike of an address entered on `site` before.
function verdict(text, known, site) {
  const r = JSON.parse(guard.screenAddress(text));
  if (r.status !== "ok" || r.listed || !site) return r;
  const l = JSON.parse(checkLookalike(text, (known[site] || []).join(" ")));
  return l.status === "ok" && l.match ? { ...r, lookalike: l.match } : r;
}
const screen = (text, site) => withKnown((known) => verdict(text, known, site));

// The user committed `text` to a field on `site`: remember it if it passes.
function remember(text, site) {
  return withKnown(async (known) => {
    const r = verdict(text, known, site);
    if (r.status !== "ok" || r.listed || r.lookalike || !site) return { remembered: false };
    const list = known[site] || [];
    delete known[site]; // re-inserted last: the most recently used site is kept longest
    known[site] = [r.address, ...list.filter((a) => a !== r.address)].slice(0, KNOWN_PER_SITE);
    const sites = Object.keys(known);
    for (const old of sites.slice(0, Math.max(0, sites.length - KNOWN_SITES))) delete known[old];
    await saveKnown(known);
    return { remembered: true };
  });
}

// --- navigation ------------------------------------------------------------------------------
function check(url) {
  const t0 = performance.now();
  const r = JSON.parse(guard.checkUrl(url));
  lastCheckMs = performance.now() - t0;
  return r;
}

chrome.webNavigation.onCommitted.addListener((d) => {
  if (d.frameId === 0 && /^https?:/.test(d.url)) lastSafe.set(d.tabId, d.url);
});
chrome.tabs.onRemoved.addListener((id) => lastSafe.delete(id));

chrome.webNavigation.onBeforeNavigate.addListener(async (d) => {
  if (d.frameId !== 0 || !/^https?:/.test(d.url)) return;
  await ready;
  const r = check(d.url);
  if (r.status !== "ok" || !r.block) return;
  if (allowedHosts.has(r.verdict.host)) return;
  const info = { url: d.url, back: lastSafe.get(d.tabId) || null, verdict: r.verdict };
  const page = chrome.runtime.getURL("warning.html") + "#" + encodeURIComponent(JSON.stringify(info));
  await chrome.tabs.update(d.tabId, { url: page });
});

// --- messages from the warning page, the status page and the content script -----------------
chrome.runtime.onMessage.addListener((msg, sender, reply) => {
  (async () => {
    await ready;
    // Only the extension's own pages may lift a warning or trigger an update; a web page's
    // renderer (where the content script runs) can only ask about an address.
    const own = sender.url && sender.url.startsWith(chrome.runtime.getURL(""));
    if (!own && msg.type !== "screen" && msg.type !== "remember") {
      return { error: "not allowed from a web page" };
    }
    switch (msg.type) {
      case "proceed": // the user chose to open the site anyway: only for this browser session
        allowedHosts.add(msg.host);
        return { ok: true };
      case "screen":
        return screen(msg.text, siteOf(sender));
      case "remember":
        return remember(msg.text, siteOf(sender));
      case "forget": // the status page's "forget remembered addresses"
        await withKnown(() => saveKnown({}));
        return { ok: true };
      case "update":
        return update();
      case "status": {
        const { status = {} } = await chrome.storage.local.get("status");
        return { ...status, active: describe(guard), lastCheckMs, known: await withKnown((k) => Object.values(k).reduce((n, l) => n + l.length, 0)), config: {
          snapshotUrl: config.snapshotUrl, trustedKeys: config.trustedKeys } };
      }
      case "check": // the status page's "check a site" box
        return check(msg.url);
      default:
        return { error: `unknown message ${msg.type}` };
    }
  })().then(reply, (e) => reply({ error: String(e) }));
  return true; // the reply comes asynchronously
});
