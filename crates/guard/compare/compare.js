// Runs MetaMask's eth-phishing-detect on custodia-guard's labelled domain set
// (../tests/fixtures/domain_quality.json) and prints recall / false-positive rate per set and
// the misses per category, in two configurations:
//   1. "default":  the package's own config (v2: blacklist, whitelist, fuzzylist, tolerance 2);
//   2. "brands":   the same, plus the fixture's protected brands' official domains added to the
//                  fuzzylist (what MetaMask's look-alike rule protects) and to the whitelist (as
//                  MetaMask does for its own fuzzylist entries, so the brands themselves pass).
// A case counts as detected when `check(host).result` is true. Hosts are given in ASCII
// (punycode), as a browser hands them to the extension.
//
//   npm ci && node compare.js            (writes results.json next to this file)
'use strict'

const fs = require('fs')
const path = require('path')
const url = require('url')
const PhishingDetector = require('eth-phishing-detect/src/detector')
const defaultConfig = require('eth-phishing-detect/src/config.json')
const pkg = require('eth-phishing-detect/package.json')

const fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'tests', 'fixtures', 'domain_quality.json'), 'utf8'),
)

const official = fixture.brands.flatMap((b) => b.domains)
const configs = {
  default: defaultConfig,
  brands: Object.assign({}, defaultConfig, {
    fuzzylist: defaultConfig.fuzzylist.concat(official),
    whitelist: defaultConfig.whitelist.concat(official),
  }),
}

function evaluate(detector, set) {
  const tally = {}
  let pos = 0, tp = 0, neg = 0, fp = 0
  for (const c of fixture.cases) {
    if (set !== 'all' && c.set !== set) continue
    const host = url.domainToASCII(c.domain) || c.domain
    const r = detector.check(host)
    const key = `${c.label} ${c.category}`
    const t = (tally[key] = tally[key] || { total: 0, alerts: 0, wrong: [] })
    t.total++
    if (r.result) t.alerts++
    const wrong = c.label === 'lookalike' ? !r.result : r.result
    if (wrong) t.wrong.push(`${c.domain} (${r.type}${r.match ? ' ' + r.match : ''})`)
    if (c.label === 'lookalike') { pos++; if (r.result) tp++ } else { neg++; if (r.result) fp++ }
  }
  return { set, lookalikes: pos, detected: tp, recall: tp / pos, legit: neg, false_positives: fp, fpr: fp / neg, by_category: tally }
}

const results = { package: `eth-phishing-detect@${pkg.version}`, node: process.version, configs: {} }
for (const [name, config] of Object.entries(configs)) {
  const detector = new PhishingDetector(config)
  results.configs[name] = ['tuning', 'validation', 'holdout', 'all'].map((s) => evaluate(detector, s))
}
fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(results, null, 2) + '\n')

const pct = (x) => (100 * x).toFixed(2) + '%'
console.log(`${results.package} on node ${results.node}`)
for (const [name, rows] of Object.entries(results.configs)) {
  for (const m of rows) {
    console.log(`[${name}/${m.set}] recall ${pct(m.recall)} (${m.detected}/${m.lookalikes}), FPR ${pct(m.fpr)} (${m.false_positives}/${m.legit})`)
  }
  const all = rows.find((m) => m.set === 'all')
  for (const [k, t] of Object.entries(all.by_category)) {
    const wrong = t.wrong.length
    console.log(`    ${k.padEnd(28)} ${String(t.alerts).padStart(3)}/${String(t.total).padStart(3)} alerts, ${wrong} wrong` + (wrong && wrong <= 12 ? `: ${t.wrong.join(', ')}` : ''))
  }
}
