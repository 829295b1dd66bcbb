// The options page: which signed list is in use, the last update's result, a manual check.
const $ = (id) => document.getElementById(id);
async function show() {
  const s = await chrome.runtime.sendMessage({ type: "status" });
  $("version").textContent = s.active.version;
  $("hash").textContent = s.active.hash;
  $("key").textContent = s.active.keyId;
  $("blocked").textContent = s.active.counts.blocked;
  $("addresses").textContent = s.active.counts.addresses;
  const u = s.lastUpdate;
  const refused = u && u.deltaError ? `; delta not used: ${u.deltaError}` : "";
  $("update").textContent = !u ? "never"
    : !u.ok ? `failed at ${u.at}: ${u.error}${refused}`
    : u.upToDate ? `ok at ${u.at}: version ${u.version} is the latest`
    : `ok at ${u.at} (version ${u.version}, ${u.via === "delta" ? "from a delta" : "whole file"}${refused})`;
  $("update").dataset.via = u && u.via ? u.via : "";
  $("update").dataset.ok = u ? String(u.ok) : "";
  $("lastcheck").textContent = s.lastCheckMs == null ? "none yet" : `${s.lastCheckMs.toFixed(3)} ms`;
  $("known").textContent = `${s.known} (per site, on this device only, to spot look-alikes of them)`;
  document.body.dataset.ready = "1";
}
$("refresh").addEventListener("click", async () => {
  document.body.dataset.ready = "";
  await chrome.runtime.sendMessage({ type: "update" });
  await show();
});
$("forget").addEventListener("click", async () => {
  document.body.dataset.ready = "";
  await chrome.runtime.sendMessage({ type: "forget" });
  await show();
});
$("check").addEventListener("click", async () => {
  const r = await chrome.runtime.sendMessage({ type: "check", url: $("url").value });
  $("result").textContent = JSON.stringify(r, null, 2);
});
show();
