// On web pages: when an address is pasted or typed into a field, ask the extension (locally)
// whether a list names it or whether it imitates an address the user entered on this site before
// (address poisoning), and flag the field before the user sends anything. What the user commits
// (a paste, or a field left after typing) is remembered for this site if it passes. Only the text
// that looks like an address is passed, and only to the extension's own service worker.
(() => {
  const SHAPES = [
    /\b0x[0-9a-fA-F]{40}\b/g, // EVM
    /\b(?:bc1|tb1)[02-9ac-hj-np-z]{11,71}\b/gi, // Bitcoin bech32
    /\b[13][1-9A-HJ-NP-Za-km-z]{25,34}\b/g, // Bitcoin base58
    /\bT[1-9A-HJ-NP-Za-km-z]{33}\b/g, // TRON
    /\b[1-9A-HJ-NP-Za-km-z]{32,44}\b/g, // Solana
  ];
  const candidates = (text) => {
    const out = new Set();
    for (const re of SHAPES) for (const m of text.matchAll(re)) out.add(m[0]);
    return [...out].slice(0, 8);
  };
  const banner = (field, hit) => {
    field.dataset.custodiaFlag = hit.listed ? "listed" : "lookalike";
    field.style.outline = "3px solid #a31515";
    let b = field.custodiaBanner;
    if (!b) {
      b = document.createElement("div");
      b.setAttribute("role", "alert");
      b.dataset.custodiaBanner = "1";
      b.style.cssText = "background:#a31515;color:#fff;padding:6px 10px;font:14px system-ui;margin:4px 0;border-radius:4px";
      field.insertAdjacentElement("afterend", b);
      field.custodiaBanner = b;
    }
    if (hit.listed) {
      const h = hit.hits[0];
      b.textContent = `Custodia Guard: ${hit.address} is listed (${h.category}, source ${h.source}${h.label ? ", " + h.label : ""}). Do not send funds to it.`;
    } else {
      const m = hit.lookalike;
      b.textContent = `Custodia Guard: ${hit.address} looks like another address entered on this site, ` +
        `${m.imitates}, but only the first ${m.prefix_len} and last ${m.suffix_len} characters match. ` +
        "One of them may be a look-alike planted by an address-poisoning scam: compare every " +
        "character with where you got the address.";
    }
  };
  const clear = (field) => {
    if (!field.dataset.custodiaFlag) return;
    delete field.dataset.custodiaFlag;
    field.style.outline = "";
    field.custodiaBanner?.remove();
    field.custodiaBanner = null;
  };
  const inspect = async (field, text) => {
    // Only the latest look at a field may change it: an answer about text the user has since
    // changed is dropped.
    const seq = (field.custodiaSeq = (field.custodiaSeq || 0) + 1);
    let flagged = false;
    for (const c of candidates(text || "")) {
      let r;
      try {
        r = await chrome.runtime.sendMessage({ type: "screen", text: c });
      } catch {
        return; // the extension was reloaded: nothing to say
      }
      if (field.custodiaSeq !== seq) return;
      if (r && r.status === "ok" && (r.listed || r.lookalike)) {
        banner(field, r);
        flagged = true;
        break;
      }
    }
    if (!flagged) clear(field);
  };
  // Not password or one-time-code fields: what is typed there is nobody's business.
  const isField = (t) =>
    (t instanceof HTMLInputElement && t.type !== "password" && !/one-time-code|password/.test(t.autocomplete || "")) ||
    t instanceof HTMLTextAreaElement;
  const remember = (text) => {
    for (const c of candidates(text || "")) {
      chrome.runtime.sendMessage({ type: "remember", text: c }).catch(() => {});
    }
  };
  // Only what the user does counts: a page's own scripted events could otherwise flood the
  // remembered addresses or probe them.
  document.addEventListener("paste", (e) => {
    if (!e.isTrusted || !isField(e.target)) return;
    const text = e.clipboardData?.getData("text") || "";
    inspect(e.target, text).then(() => {
      if (!e.target.dataset.custodiaFlag) remember(text);
    });
  }, true);
  document.addEventListener("change", (e) => {
    if (e.isTrusted && isField(e.target) && !e.target.dataset.custodiaFlag) remember(e.target.value);
  }, true);
  document.addEventListener("input", (e) => {
    if (e.isTrusted && isField(e.target)) inspect(e.target, e.target.value);
  }, true);
})();
