// The interstitial: shows the verdict's reasons; "Go back" is the default (focused) action.
const info = JSON.parse(decodeURIComponent(location.hash.slice(1)));
const v = info.verdict;
document.getElementById("site").textContent = v.unicode === v.host ? v.host : `${v.unicode} (${v.host})`;
document.getElementById("summary").textContent =
  `Risk level: ${v.level}. The page at this address was not opened.`;
document.body.dataset.level = v.level;
const ul = document.getElementById("reasons");
for (const r of v.reasons) {
  const li = document.createElement("li");
  li.textContent = r.message; // text, never HTML: the host name is attacker-chosen
  li.dataset.rule = r.rule;
  li.dataset.level = r.level;
  ul.appendChild(li);
}
document.getElementById("back").addEventListener("click", () => {
  location.replace(info.back || "about:blank");
});
document.getElementById("proceed").addEventListener("click", async () => {
  await chrome.runtime.sendMessage({ type: "proceed", host: v.host });
  location.replace(info.url);
});
