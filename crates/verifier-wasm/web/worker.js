// Verification runs here, off the page's thread. The build (crates/verifier-wasm/build.sh) puts
// wasm-bindgen's glue script (which defines `wasm_bindgen`) in front of this file and the page
// starts the result from a Blob URL, so the page stays one self-contained file.
//
// Messages in: {wasm: Uint8Array} once, then {files: [{name, bytes}], root: "hex" or ""}.
// Messages out: {progress: "..."} while working, then {result: {...}} once per files message.
/* global wasm_bindgen */
"use strict";

// Called by the verifier (an import of the wasm module) as it goes.
function custodiaProgress(message) {
  self.postMessage({ progress: message });
}

let ready = null;

const KINDS = {
  round: "round.json",
  inclusion: "inclusion file",
  "batch-proof": "batch proof",
  "batch-public": "batch public inputs",
  reserves: "reserves report",
  wallets: "wallet file",
};

self.onmessage = async (ev) => {
  if (ev.data.wasm) {
    ready = wasm_bindgen({ module_or_path: ev.data.wasm });
    return;
  }
  const post = (m) => self.postMessage(m);
  let verifier = null;
  try {
    post({ progress: "Loading the verifier…" });
    await ready;
    verifier = new wasm_bindgen.Verifier();
    // One root per round: several rounds' roots may be pasted separated by spaces or commas.
    for (const root of (ev.data.root || "").split(/[\s,]+/).filter(Boolean)) {
      const r = JSON.parse(verifier.expectRoot(root));
      if (r.status !== "ok") return post({ result: r });
    }
    const counts = new Map();
    for (const f of ev.data.files) {
      post({ progress: `Reading ${f.name}…` });
      const r = JSON.parse(verifier.add(f.name, f.bytes));
      if (r.status !== "ok") return post({ result: r });
      const label = r.kind === "archive" ? "files inside archives" : KINDS[r.kind];
      if (label) counts.set(label, (counts.get(label) || 0) + (r.kind === "archive" ? r.files : 1));
    }
    const summary = [...counts].map(([k, n]) => `${k}: ${n}`).join(", ");
    post({ progress: `Found ${summary || "no Custodia files"}; checking…` });
    const t0 = performance.now();
    const r = JSON.parse(verifier.check());
    r.millis = Math.round(performance.now() - t0);
    r.found = summary;
    post({ result: r });
  } catch (e) {
    post({ result: { status: "error", reason: "The verifier stopped: " + String(e) } });
  } finally {
    if (verifier) verifier.free();
  }
};
