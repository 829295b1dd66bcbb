//! Hand-written parts of the labelled domain set. Look-alikes are generated from these in
//! `main.rs`; legitimate domains are used as they are.

/// Brands the look-alikes imitate: (display name, keyword, official domain). Kept apart from
/// `default_brands()` on purpose: the set describes what attackers imitate, not what the
/// detector knows.
pub const TARGETS: &[(&str, &str, &str)] = &[
    ("OKX", "okx", "okx.com"),
    ("Binance", "binance", "binance.com"),
    ("Coinbase", "coinbase", "coinbase.com"),
    ("Kraken", "kraken", "kraken.com"),
    ("Bybit", "bybit", "bybit.com"),
    ("KuCoin", "kucoin", "kucoin.com"),
    ("Bitget", "bitget", "bitget.com"),
    ("Gate", "gateio", "gate.io"),
    ("HTX", "htx", "htx.com"),
    ("HTX", "huobi", "huobi.com"),
    ("MEXC", "mexc", "mexc.com"),
    ("Bitfinex", "bitfinex", "bitfinex.com"),
    ("Crypto.com", "cryptocom", "crypto.com"),
    ("Gemini", "gemini", "gemini.com"),
    ("MetaMask", "metamask", "metamask.io"),
    ("Trust Wallet", "trustwallet", "trustwallet.com"),
    ("Phantom", "phantom", "phantom.app"),
    ("Ledger", "ledger", "ledger.com"),
    ("Trezor", "trezor", "trezor.io"),
    ("Rabby", "rabby", "rabby.io"),
    ("Exodus", "exodus", "exodus.com"),
    ("Uniswap", "uniswap", "uniswap.org"),
    ("OpenSea", "opensea", "opensea.io"),
    ("Etherscan", "etherscan", "etherscan.io"),
    ("MyEtherWallet", "myetherwallet", "myetherwallet.com"),
];

/// Words phishing kits put next to a brand (from public phishing feeds: ScamSniffer, MetaMask's
/// blocklist, PhishTank). Deliberately broader than the detector's lure list.
pub const ATTACK_WORDS: &[&str] = &[
    "login", "wallet", "airdrop", "claim", "support", "secure", "verify", "app", "connect",
    "reward", "bonus", "official", "web3", "sync", "restore", "unlock", "defi", "staking",
    "gift", "promo", "event", "update", "auth", "kyc", "portal", "help", "recovery", "nft",
    "exchange", "pro", "global", "asia", "us", "eu", "turkey", "trade", "markets", "mining",
    "vip", "card", "pay", "dex", "drop", "giveaway", "live", "invest", "security", "validate",
    "migrate", "signin",
];

/// Common TLDs of phishing registrations.
pub const TLDS: &[&str] = &[
    "com", "net", "org", "io", "app", "xyz", "co", "top", "site", "online", "live", "pro",
    "info", "cc", "vip", "link", "club", "finance", "network", "us",
];

/// Shared-hosting suffixes (PSL private section) phishing pages use.
pub const FREE_HOSTS: &[&str] = &[
    "pages.dev", "vercel.app", "netlify.app", "web.app", "firebaseapp.com", "github.io",
    "workers.dev", "herokuapp.com", "onrender.com", "surge.sh", "webflow.io", "wixsite.com",
    "blogspot.com", "gitbook.io", "azurewebsites.net", "replit.app", "r2.dev", "framer.website",
];

/// Registrable domains an attacker controls, for subdomain tricks.
pub const EVIL_BASES: &[&str] = &[
    "secure-login.net", "auth-verify.io", "account-center.com", "web3-portal.xyz",
    "wallet-sync.app", "kdj3k.top", "claim-now.site", "mx-support.online", "tx-validate.cc",
    "rwd-events.live", "zz9host.com", "cdn-static.info", "my-dapp.link", "nodes-sync.pro",
    "reward-hub.club",
];

/// Popular sites (general web), some with subdomains.
pub const POPULAR: &[&str] = &[
    "google.com", "youtube.com", "facebook.com", "wikipedia.org", "instagram.com",
    "twitter.com", "x.com", "reddit.com", "amazon.com", "yahoo.com", "linkedin.com",
    "netflix.com", "bing.com", "live.com", "office.com", "microsoft.com", "apple.com",
    "tiktok.com", "whatsapp.com", "openai.com", "chatgpt.com", "zoom.us", "twitch.tv",
    "ebay.com", "pinterest.com", "quora.com", "github.com", "gitlab.com", "stackoverflow.com",
    "paypal.com", "adobe.com", "dropbox.com", "spotify.com", "imdb.com", "cnn.com", "bbc.co.uk",
    "bbc.com", "nytimes.com", "theguardian.com", "washingtonpost.com", "wsj.com", "ft.com",
    "bloomberg.com", "reuters.com", "forbes.com", "cnbc.com", "espn.com", "weather.com",
    "accuweather.com", "booking.com", "airbnb.com", "tripadvisor.com", "expedia.com",
    "uber.com", "lyft.com", "doordash.com", "walmart.com", "target.com", "bestbuy.com",
    "homedepot.com", "ikea.com", "etsy.com", "aliexpress.com", "alibaba.com", "taobao.com",
    "jd.com", "baidu.com", "qq.com", "weibo.com", "bilibili.com", "yandex.ru", "vk.com",
    "mail.ru", "ok.ru", "naver.com", "daum.net", "kakao.com", "line.me", "rakuten.co.jp",
    "yahoo.co.jp", "nicovideo.jp", "dmm.com", "samsung.com", "sony.com", "lg.com", "intel.com",
    "amd.com", "nvidia.com", "ibm.com", "oracle.com", "salesforce.com", "sap.com",
    "cloudflare.com", "akamai.com", "fastly.com", "digitalocean.com", "heroku.com",
    "vercel.com", "netlify.com", "wordpress.com", "wordpress.org", "medium.com",
    "substack.com", "tumblr.com", "blogger.com", "wix.com", "squarespace.com", "shopify.com",
    "stripe.com", "squareup.com", "wise.com", "revolut.com", "chase.com", "bankofamerica.com",
    "wellsfargo.com", "citi.com", "hsbc.com", "barclays.co.uk", "santander.com", "ing.com",
    "americanexpress.com", "visa.com", "mastercard.com", "fidelity.com", "schwab.com",
    "vanguard.com", "robinhood.com", "etrade.com", "interactivebrokers.com",
    "tradingview.com", "investing.com", "marketwatch.com", "morningstar.com",
    "finance.yahoo.com", "news.ycombinator.com", "mail.google.com", "docs.google.com",
    "drive.google.com", "maps.google.com", "en.wikipedia.org", "de.wikipedia.org",
    "ja.wikipedia.org", "support.apple.com", "developer.apple.com", "learn.microsoft.com",
    "outlook.live.com", "aws.amazon.com", "console.aws.amazon.com", "cloud.google.com",
    "azure.microsoft.com", "docs.github.com", "gist.github.com", "play.google.com",
    "apps.apple.com", "store.steampowered.com", "steamcommunity.com", "epicgames.com",
    "roblox.com", "minecraft.net", "ea.com", "playstation.com", "xbox.com", "nintendo.com",
    "discord.com", "slack.com", "telegram.org", "signal.org", "notion.so", "figma.com",
    "canva.com", "trello.com", "atlassian.com", "jira.com", "asana.com", "monday.com",
    "zendesk.com", "hubspot.com", "mailchimp.com", "sendgrid.com", "twilio.com",
    "okta.com", "auth0.com", "1password.com", "lastpass.com", "bitwarden.com",
    "protonmail.com", "proton.me", "duckduckgo.com", "brave.com", "mozilla.org",
    "firefox.com", "opera.com", "vivaldi.com", "python.org", "pypi.org", "rust-lang.org",
    "crates.io", "docs.rs", "npmjs.com", "nodejs.org", "golang.org", "go.dev", "java.com",
    "kotlinlang.org", "swift.org", "php.net", "ruby-lang.org", "rubygems.org",
    "kernel.org", "debian.org", "ubuntu.com", "archlinux.org", "fedoraproject.org",
    "redhat.com", "suse.com", "docker.com", "kubernetes.io", "terraform.io", "hashicorp.com",
    "elastic.co", "grafana.com", "prometheus.io", "postgresql.org", "mysql.com",
    "mongodb.com", "redis.io", "sqlite.org", "apache.org", "nginx.org", "jetbrains.com",
    "visualstudio.com", "code.visualstudio.com", "coursera.org", "edx.org", "udemy.com",
    "khanacademy.org", "duolingo.com", "mit.edu", "stanford.edu", "harvard.edu",
    "ox.ac.uk", "cam.ac.uk", "ethz.ch", "nasa.gov", "nih.gov", "who.int", "un.org",
    "europa.eu", "gov.uk", "irs.gov", "usps.com", "fedex.com", "ups.com", "dhl.com",
    "nike.com", "adidas.com", "zara.com", "hm.com", "uniqlo.com", "costco.com",
    "kroger.com", "mcdonalds.com", "starbucks.com", "cocacola.com", "pepsi.com",
    "toyota.com", "honda.com", "ford.com", "tesla.com", "bmw.com", "mercedes-benz.com",
    "volkswagen.com", "airbus.com", "boeing.com", "delta.com", "united.com", "ryanair.com",
    "lufthansa.com", "emirates.com", "hilton.com", "marriott.com", "yelp.com",
    "craigslist.org", "zillow.com", "indeed.com", "glassdoor.com", "archive.org",
    "imgur.com", "giphy.com", "vimeo.com", "soundcloud.com", "deezer.com", "hulu.com",
    "disneyplus.com", "hbomax.com", "primevideo.com", "crunchyroll.com", "goodreads.com",
    "scribd.com", "wikihow.com", "britannica.com", "nationalgeographic.com", "time.com",
    "economist.com", "theatlantic.com", "wired.com", "theverge.com", "techcrunch.com",
    "arstechnica.com", "engadget.com", "gizmodo.com", "cnet.com", "zdnet.com",
    "lemonde.fr", "spiegel.de", "elpais.com", "corriere.it", "asahi.com", "scmp.com",
];

/// Other exchanges, wallets and crypto services, with their real domains.
pub const CRYPTO: &[&str] = &[
    "upbit.com", "bithumb.com", "okcoin.com", "bingx.com", "bitstamp.net", "bitflyer.com",
    "coincheck.com", "bitbank.cc", "zaif.jp", "korbit.co.kr", "coinone.co.kr", "bitso.com",
    "luno.com", "paxos.com", "bitpanda.com", "bitvavo.com", "phemex.com", "deribit.com",
    "bitmex.com", "poloniex.com", "lbank.com", "whitebit.com", "probit.com", "ascendex.com",
    "bitmart.com", "xt.com", "toobit.com", "weex.com", "bitrue.com", "coindcx.com",
    "wazirx.com", "indodax.com", "cex.io", "exmo.com", "hitbtc.com", "coinw.com",
    "blofin.com", "btse.com", "bitunix.com", "coinex.com", "rainbow.me", "zerion.io",
    "argent.xyz", "keplr.app", "solflare.com", "backpack.app", "safe.global",
    "walletconnect.com", "1inch.io", "curve.fi", "aave.com", "lido.fi", "compound.finance",
    "makerdao.com", "sushi.com", "pancakeswap.finance", "jup.ag", "raydium.io",
    "magiceden.io", "blur.io", "rarible.com", "zora.co", "coingecko.com",
    "coinmarketcap.com", "coindesk.com", "cointelegraph.com", "theblock.co", "decrypt.co",
    "dune.com", "debank.com", "defillama.com", "bscscan.com", "polygonscan.com",
    "arbiscan.io", "basescan.org", "solscan.io", "tronscan.org", "blockchain.com",
    "blockstream.info", "mempool.space", "chainalysis.com", "elliptic.co", "trmlabs.com",
    "fireblocks.com", "bitgo.com", "anchorage.com", "circle.com", "tether.to", "ripple.com",
    "stellar.org", "ethereum.org", "bitcoin.org", "solana.com", "polygon.technology",
    "arbitrum.io", "optimism.io", "avax.network", "near.org", "cosmos.network",
    "polkadot.network", "chain.link", "thegraph.com", "filecoin.io", "ens.domains",
    "gnosis.io", "tronlink.org", "tonkeeper.com", "ton.org", "sui.io", "aptoslabs.com",
    ];

/// Legitimate names that contain brand-like substrings or sit near a brand name.
pub const NEAR_WORDS: &[&str] = &[
    "opensearch.org", "openseadragon.github.io", "bookxcess.com", "ledger-cli.org",
    "hledger.org", "ledgerinsights.com", "phantomjs.org", "phantombuster.com", "krakend.io",
    "krakenjs.com", "gatech.edu", "colgate.com", "gatesnotes.com", "navigate.com", "gateway.com", "finance.com", "trustpilot.com", "trustedshops.com",
    "exodus-privacy.eu.org", "cryptography.io", "cryptopals.com", "cryptomator.org",
    "cryptpad.fr", "cryptocompare.com", "cryptoslate.com", "bitbucket.org", "bitly.com",
    "bitdefender.com", "metacritic.com", "meta.com", "oktoberfest.de",
    "rabbit.tech", "rabbitmq.com", "balance.com", "metamap.com", "coinbene.com",
    "budget.com", "ethers.org", "unisat.io",
    "unicef.org", "opensecrets.org", "seagate.com", "openstreetmap.org", "binary.com",
    "bitcoincash.org", "hubspot.net", "uniswapv3book.com",
    "exodusbooks.com", "gemini.google.com",
    "crypto.stackexchange.com", "ethereum.stackexchange.com", "kraken.io", "bitcoin.com",
    ];

/// Legitimate internationalised domains.
pub const IDN: &[&str] = &[
    "münchen.de", "bücher.de", "köln.de", "zürich.ch", "straße.de", "düsseldorf.de",
    "café.fr", "niño.es", "españa.es", "são-paulo.br", "ελλάδα.gr", "αθήνα.gr",
    "президент.рф", "москва.рф", "пример.рф", "日本語.jp", "東京.jp", "例え.テスト",
    "한국.kr", "中国.cn", "عربي.com", "भारत.in", "ไทย.th", "xn--mnchen-3ya.de",
];

/// Legitimate sites on shared hosting.
pub const HOSTED: &[&str] = &[
    "rust-lang.github.io", "tokio-rs.github.io", "nextjs-blog.vercel.app",
    "svelte-demo.vercel.app", "my-portfolio.netlify.app", "jamstack-docs.netlify.app",
    "hello-world.workers.dev", "acme-docs.web.app", "weather-widget.pages.dev",
    "vitepress-site.pages.dev", "todo-app.firebaseapp.com", "cat-facts.herokuapp.com",
    "design-system.onrender.com", "react-course.surge.sh", "studio-landing.webflow.io",
    "janesmithphotos.wixsite.com", "cooking-notes.blogspot.com", "api-guide.gitbook.io",
    "intranet-demo.azurewebsites.net", "pixel-art.replit.app",
];

/// The brands' own official sites (allowlisted by construction on our side).
pub const OFFICIAL: &[&str] = &[
    "okx.com", "www.okx.com", "binance.com", "accounts.binance.com", "coinbase.com",
    "kraken.com", "bybit.com", "kucoin.com", "bitget.com", "gate.io", "htx.com",
    "mexc.com", "bitfinex.com", "crypto.com", "gemini.com", "metamask.io",
    "support.metamask.io", "trustwallet.com", "phantom.app", "ledger.com", "trezor.io",
    "rabby.io", "exodus.com", "app.uniswap.org", "opensea.io", "etherscan.io",
    "myetherwallet.com",
];

// ---------------------------------------------------------------------------------------------
// Validation set: written after the rules were tuned on the lists above, generated with another
// seed and other words. Its first measurement (recall 87.4%) led to one round of rule changes
// (coined vs compound keywords, more confusables, official domain followed by `-`), so it is
// no longer unseen; the `holdout` lists below are.
// ---------------------------------------------------------------------------------------------

/// Words for validation look-alikes: many are not in the detector's lure list.
pub const HOLDOUT_WORDS: &[&str] = &[
    "center", "hub", "labs", "news", "plus", "now", "get", "best", "one", "world", "info",
    "team", "service", "network", "node", "bot", "ai", "x", "v2", "finance", "protocol", "dao",
    "foundation", "ventures", "research", "status", "docs", "beta", "mobile", "download",
];

/// TLDs for validation look-alikes.
pub const HOLDOUT_TLDS: &[&str] = &[
    "com", "net", "io", "org", "app", "xyz", "co", "me", "tech", "dev", "ai", "us", "cc", "biz",
    "ws",
];

/// Validation legitimate domains.
pub const HOLDOUT_LEGIT: &[&str] = &[
    "nba.com", "nfl.com", "fifa.com", "olympics.com", "ticketmaster.com", "eventbrite.com",
    "meetup.com", "patreon.com", "kickstarter.com", "gofundme.com", "indiegogo.com",
    "fiverr.com", "upwork.com", "freelancer.com", "behance.net", "dribbble.com",
    "deviantart.com", "artstation.com", "unsplash.com", "pexels.com", "shutterstock.com",
    "gettyimages.com", "istockphoto.com", "flickr.com", "500px.com", "smugmug.com",
    "wetransfer.com", "mega.nz", "mediafire.com", "box.com", "onedrive.live.com",
    "icloud.com", "evernote.com", "todoist.com", "airtable.com", "clickup.com",
    "basecamp.com", "miro.com", "lucidchart.com", "draw.io", "overleaf.com", "arxiv.org",
    "researchgate.net", "academia.edu", "jstor.org", "springer.com", "nature.com",
    "science.org", "sciencedirect.com", "wiley.com", "ieee.org", "acm.org", "plos.org",
    "pubmed.ncbi.nlm.nih.gov", "cdc.gov", "fda.gov", "sec.gov", "federalreserve.gov",
    "treasury.gov", "ofac.treasury.gov", "bls.gov", "census.gov", "whitehouse.gov",
    "senate.gov", "house.gov", "canada.ca", "service.gov.uk", "bund.de", "admin.ch",
    "govt.nz", "gov.sg", "bankofengland.co.uk", "ecb.europa.eu", "imf.org", "worldbank.org",
    "oecd.org", "wto.org", "nasdaq.com", "nyse.com", "lseg.com", "cmegroup.com", "ice.com",
    "sgx.com", "hkex.com.hk", "jpx.co.jp", "deutsche-boerse.com", "six-group.com",
    "moodys.com", "spglobal.com", "fitchratings.com", "kpmg.com", "pwc.com", "deloitte.com",
    "ey.com", "mckinsey.com", "bcg.com", "bain.com", "accenture.com", "gartner.com",
    "statista.com", "similarweb.com", "semrush.com", "ahrefs.com", "moz.com",
    "hootsuite.com", "buffer.com", "sproutsocial.com", "calendly.com", "docusign.com",
    "pandadoc.com", "zoho.com", "freshworks.com", "intercom.com", "typeform.com",
    "surveymonkey.com", "qualtrics.com", "tableau.com", "snowflake.com", "databricks.com",
    "confluent.io", "cockroachlabs.com", "supabase.com", "firebase.google.com", "neon.tech",
    "fly.io", "railway.app", "render.com", "linode.com", "vultr.com", "hetzner.com",
    "ovhcloud.com", "scaleway.com", "backblaze.com", "namecheap.com", "godaddy.com",
    "porkbun.com", "gandi.net", "letsencrypt.org", "sectigo.com", "digicert.com",
    "crowdstrike.com", "paloaltonetworks.com", "fortinet.com", "sophos.com",
    "kaspersky.com", "malwarebytes.com", "avast.com", "norton.com", "mcafee.com",
    "haveibeenpwned.com", "virustotal.com", "shodan.io", "hackerone.com", "bugcrowd.com",
    "owasp.org", "cve.org", "mitre.org", "sans.org", "krebsonsecurity.com", "schneier.com",
    "bleepingcomputer.com", "thehackernews.com", "darkreading.com", "bitcoinmagazine.com",
    "blockworks.co", "messari.io", "glassnode.com", "nansen.ai", "arkhamintelligence.com",
    "blockscout.com", "ethplorer.io", "oklink.com", "tokenterminal.com", "l2beat.com",
    "ultrasound.money", "beaconcha.in", "flashbots.net", "eigenlayer.xyz", "ethena.fi",
    "pendle.finance", "gmx.io", "dydx.exchange", "hyperliquid.xyz", "jito.network",
    "marinade.finance", "orca.so", "meteora.ag", "tensor.trade", "pump.fun",
    "dexscreener.com", "dextools.io", "geckoterminal.com", "birdeye.so", "coinglass.com",
    "cryptorank.io", "zapper.xyz", "instadapp.io", "yearn.fi", "convexfinance.com",
    "balancer.fi", "frax.finance", "liquity.org", "morpho.org", "spark.fi", "sky.money",
    "ondo.finance", "maple.finance", "centrifuge.io", "pyth.network", "api3.org",
    "layerzero.network", "wormhole.com", "axelar.network", "across.to", "stargate.finance",
    "hop.exchange", "celer.network", "debridge.finance", "li.fi", "jumper.exchange",
    "relay.link", "matcha.xyz", "0x.org", "paraswap.io", "cowswap.exchange", "kyberswap.com",
    "odos.xyz", "openocean.finance",
];

// ---------------------------------------------------------------------------------------------
// Held-out set: written after the last rule change, measured once, never tuned on.
// ---------------------------------------------------------------------------------------------

/// Words for held-out look-alikes: campaign words seen on drainer sites (polls, points,
/// eligibility checks, launchpads).
pub const HOLDOUT2_WORDS: &[&str] = &[
    "polls", "vote", "quest", "launch", "pool", "farm", "yield", "points", "season", "campaign",
    "lottery", "raffle", "win", "prize", "chain", "scan", "explorer", "tools", "checker",
    "tracker", "eligibility", "snapshot", "governance", "whitelist", "presale", "ido", "ico",
    "launchpad", "faucet", "testnet",
];

/// TLDs for held-out look-alikes.
pub const HOLDOUT2_TLDS: &[&str] = &[
    "com", "net", "org", "io", "app", "xyz", "top", "site", "shop", "fun", "pro", "cloud",
    "digital", "world", "today",
];

/// Held-out legitimate domains.
pub const HOLDOUT2_LEGIT: &[&str] = &[
    "nbcnews.com", "abcnews.go.com", "cbsnews.com", "foxnews.com", "npr.org", "pbs.org",
    "usatoday.com", "latimes.com", "chicagotribune.com", "bostonglobe.com", "politico.com",
    "axios.com", "vox.com", "slate.com", "salon.com", "huffpost.com", "buzzfeed.com",
    "vice.com", "newyorker.com", "rollingstone.com", "variety.com", "hollywoodreporter.com",
    "billboard.com", "pitchfork.com", "ign.com", "gamespot.com", "kotaku.com", "polygon.com",
    "eurogamer.net", "pcgamer.com", "tomshardware.com", "anandtech.com", "notebookcheck.net",
    "macrumors.com", "9to5mac.com", "androidpolice.com", "xda-developers.com",
    "howtogeek.com", "lifehacker.com", "makeuseof.com", "instructables.com", "hackaday.com",
    "adafruit.com", "sparkfun.com", "arduino.cc", "raspberrypi.com", "digikey.com",
    "mouser.com", "newegg.com", "microcenter.com", "bhphotovideo.com", "adorama.com",
    "rei.com", "patagonia.com", "llbean.com", "lowes.com", "wayfair.com", "overstock.com",
    "chewy.com", "petco.com", "petsmart.com", "sephora.com", "ulta.com", "macys.com",
    "nordstrom.com", "kohls.com", "gap.com", "oldnavy.com", "levi.com", "underarmour.com",
    "newbalance.com", "puma.com", "reebok.com", "asics.com", "lego.com", "hasbro.com",
    "mattel.com", "disney.com", "pixar.com", "marvel.com", "starwars.com", "warnerbros.com",
    "paramount.com", "sonypictures.com", "imax.com", "amc.com", "fandango.com",
    "rottentomatoes.com", "letterboxd.com", "myanimelist.net", "anilist.co", "mangadex.org",
    "webtoons.com", "wattpad.com", "fanfiction.net", "allrecipes.com", "foodnetwork.com",
    "seriouseats.com", "bonappetit.com", "epicurious.com", "tasteofhome.com",
    "opentable.com", "grubhub.com", "ubereats.com", "deliveroo.co.uk", "just-eat.co.uk",
    "instacart.com", "kayak.com", "skyscanner.net", "google.de", "google.co.jp", "amazon.de",
    "amazon.co.uk", "amazon.co.jp", "ebay.de", "otto.de", "zalando.de", "bol.com",
    "allegro.pl", "olx.pl", "avito.ru", "ozon.ru", "wildberries.ru", "mercadolibre.com",
    "americanas.com.br", "flipkart.com", "myntra.com", "snapdeal.com", "paytm.com",
    "zomato.com", "swiggy.com", "tokopedia.com", "shopee.sg", "lazada.com.my", "grab.com",
    "gojek.com", "rakuten.com", "coupang.com", "gmarket.co.kr", "pinduoduo.com",
    "meituan.com", "ctrip.com", "trip.com", "agoda.com", "hotels.com", "vrbo.com",
    "hostelworld.com", "couchsurfing.com", "lonelyplanet.com", "timeout.com",
    "atlasobscura.com", "tfl.gov.uk", "mta.info", "amtrak.com", "sncf-connect.com", "bahn.de",
    "trenitalia.com", "renfe.com", "sbb.ch", "ns.nl", "eurostar.com", "easyjet.com",
    "klm.com", "airfrance.com", "britishairways.com", "qantas.com", "singaporeair.com",
    "cathaypacific.com", "ana.co.jp", "jal.co.jp", "koreanair.com", "turkishairlines.com",
    "qatarairways.com", "etihad.com", "aircanada.com", "westjet.com", "southwest.com",
    "jetblue.com", "alaskaair.com",
];
