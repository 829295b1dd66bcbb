// Verification runs here, off the page's thread. Messages in: {files: [{name, bytes}]}.
// Messages out: {progress: "..."} while working, then {result: {...}} once.
/* global wasm_bindgen */
"use strict";

importScripts("pkg/custodia_verifier_wasm.js");

let ready = null;
function init() {
  if (!ready) {
    ready = wasm_bindgen({ module_or_path: "pkg/custodia_verifier_wasm_bg.wasm" });
  }
  return ready;
}

function sniffFormat(bytes) {
  if (bytes.length > 64 * 1024 * 1024) return null;
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes));
    return v && typeof v.format === "string" ? v.format : null;
  } catch (_) {
    return null;
  }
}

function classify(files) {
  const found = { round: null, inclusions: [], proofs: new Map(), publics: new Map() };
  for (const f of files) {
    const base = f.name.split("/").pop();
    const m = /^batch-(\d{1,9})\.(proof|json)$/.exec(base);
    if (m) {
      (m[2] === "proof" ? found.proofs : found.publics).set(Number(m[1]), f.bytes);
      continue;
    }
    if (!base.endsWith(".json")) continue;
    const format = sniffFormat(f.bytes);
    if (format === "custodia-round/1") found.round = f.bytes;
    else if (format === "custodia-inclusion/1") found.inclusions.push(f);
  }
  return found;
}

self.onmessage = async (ev) => {
  const post = (m) => self.postMessage(m);
  try {
    post({ progress: "Loading the verifier…" });
    await init();
    post({ progress: "Reading your files…" });
    const found = classify(ev.data.files);
    if (!found.round) return post({ result: { status: "error", reason: "round.json is missing: add the round's round.json." } });
    if (found.inclusions.length === 0) return post({ result: { status: "error", reason: "No inclusion file (format custodia-inclusion/1) among the files." } });
    const incl = found.inclusions[0].bytes;
    const which = JSON.parse(wasm_bindgen.batch_of(incl, found.round));
    if (which.status !== "ok") return post({ result: which });
    const b = which.batch;
    const name = "batch-" + String(b).padStart(5, "0");
    if (!found.proofs.has(b) || !found.publics.has(b)) {
      return post({ result: { status: "error", reason: `Your balances are in batch ${b}: add ${name}.proof and ${name}.json from the round's proofs folder.` } });
    }
    post({ progress: `Checking your inclusion and batch ${b}'s proof…` });
    const t0 = performance.now();
    const r = JSON.parse(wasm_bindgen.verify_user(incl, found.round, found.proofs.get(b), found.publics.get(b)));
    r.millis = Math.round(performance.now() - t0);
    post({ result: r });
  } catch (e) {
    post({ result: { status: "error", reason: String(e) } });
  }
};
