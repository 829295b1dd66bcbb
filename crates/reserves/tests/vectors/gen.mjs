// Signs Custodia's ownership vectors with each chain's own libraries (see regenerate.sh).
// Output: JSON on stdout, one entry per wallet, each with the twins the Rust test needs:
// a signature over another round's message, and a malleated signature.
import { createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import bs58 from 'bs58';
import * as ecc from 'tiny-secp256k1';
import { ECPairFactory } from 'ecpair';
import * as bitcoin from 'bitcoinjs-lib';
import bitcoinMessage from 'bitcoinjs-message';
import bchaddr from 'bchaddrjs';
import rippleKeypairs from 'ripple-keypairs';
import { Keyring } from '@polkadot/keyring';
import { u8aWrapBytes, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { Keypair as StellarKeypair } from '@stellar/stellar-base';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Account, Ed25519PrivateKey } from '@aptos-labs/ts-sdk';
import * as CSL from '@emurgo/cardano-serialization-lib-nodejs';
import * as MS from '@emurgo/cardano-message-signing-nodejs';
import { keyPairFromSeed, sign as tonSign } from '@ton/crypto';
import { WalletContractV3R2, WalletContractV4, WalletContractV5R1 } from '@ton/ton';
import { newSecp256k1Address, delegatedFromEthAddress } from '@glif/filecoin-address';
import { blake2b } from '@noble/hashes/blake2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import * as offchain from '@solana/offchain-messages';
import { address as solAddress, getAddressFromPublicKey } from '@solana/addresses';
import { Bytes as EosBytes, KeyType as EosKeyType, PrivateKey as EosPrivateKey, Signature as EosSignature } from '@wharfkit/antelope';
import AElf from 'aelf-sdk';

const ECPair = ECPairFactory(ecc);
const EXCHANGE = 'Vector Exchange';
const ROUND = '2026-11';
const OTHER_ROUND = '2026-10';
const msg = (round, height, address) =>
  `Custodia proof of reserves | ${EXCHANGE} | round ${round} | height ${height} | ${address}`;
const seed = (label) => createHash('sha256').update(`custodia vector ${label}`).digest();
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const out = [];

// ----- malleation: the same signature in another encoding that must be refused -----
const le = (b) => BigInt('0x' + Buffer.from(b).reverse().toString('hex'));
const toLe = (n, len) => Buffer.from(n.toString(16).padStart(len * 2, '0'), 'hex').reverse();
const be = (b) => BigInt('0x' + Buffer.from(b).toString('hex'));
const toBe = (n, len) => Buffer.from(n.toString(16).padStart(len * 2, '0'), 'hex');
/** ed25519 (and sr25519): s + L, which a strict verifier refuses. */
function malleateEd(sig, keepMarker = false) {
  const s = Buffer.from(sig.slice(32));
  const marker = s[31] & 0x80;
  if (keepMarker) s[31] &= 0x7f;
  const t = toLe(le(s) + L, 32);
  if (keepMarker) t[31] |= marker;
  return Buffer.concat([Buffer.from(sig.slice(0, 32)), t]);
}
/** ECDSA r ‖ s: n − s (the other valid s; low-S rules refuse it). */
function malleateRs(rs) {
  return Buffer.concat([Buffer.from(rs.slice(0, 32)), toBe(N - be(rs.slice(32, 64)), 32)]);
}
function derHighS(derHex) {
  const d = Buffer.from(derHex, 'hex');
  const rLen = d[3];
  const r = d.slice(4, 4 + rLen);
  const sLen = d[5 + rLen];
  const s = d.slice(6 + rLen, 6 + rLen + sLen);
  let s2 = toBe(N - be(s), 32);
  if (s2[0] & 0x80) s2 = Buffer.concat([Buffer.from([0]), s2]);
  const body = Buffer.concat([Buffer.from([2, r.length]), r, Buffer.from([2, s2.length]), s2]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]).toString('hex').toUpperCase();
}

function push(v) {
  out.push({ exchange: EXCHANGE, round: ROUND, ...v });
}

// ----- Bitcoin family: bitcoinjs-message with each coin's magic -----
const coins = {
  dogecoin: { magic: '\x19Dogecoin Signed Message:\n', net: { messagePrefix: '\x19Dogecoin Signed Message:\n', bech32: 'doge', bip32: { public: 0, private: 0 }, pubKeyHash: 0x1e, scriptHash: 0x16, wif: 0x9e }, height: 5150000 },
  litecoin: { magic: '\x19Litecoin Signed Message:\n', net: { messagePrefix: '\x19Litecoin Signed Message:\n', bech32: 'ltc', bip32: { public: 0, private: 0 }, pubKeyHash: 0x30, scriptHash: 0x32, wif: 0xb0 }, height: 2680000 },
  dash: { magic: '\x19DarkCoin Signed Message:\n', net: { messagePrefix: '\x19DarkCoin Signed Message:\n', bech32: 'dash', bip32: { public: 0, private: 0 }, pubKeyHash: 0x4c, scriptHash: 0x10, wif: 0xcc }, height: 2050000 },
  bitcoincash: { magic: '\x18Bitcoin Signed Message:\n', net: bitcoin.networks.bitcoin, height: 840000 },
};
for (const [chain, c] of Object.entries(coins)) {
  for (const [i, kind] of (chain === 'litecoin' ? ['p2pkh', 'p2wpkh'] : ['p2pkh', 'p2pkh']).entries()) {
    const key = ECPair.fromPrivateKey(seed(`${chain} ${i}`), { network: c.net });
    const pay = bitcoin.payments[kind]({ pubkey: Buffer.from(key.publicKey), network: c.net });
    const address = chain === 'bitcoincash' ? bchaddr.toCashAddress(pay.address) : pay.address;
    const prefix = chain === 'bitcoincash' ? undefined : c.magic;
    const opts = kind === 'p2wpkh' ? { segwitType: 'p2wpkh' } : undefined;
    const signWith = (m) => bitcoinMessage.sign(m, Buffer.from(key.privateKey), true, prefix, opts);
    const sig = signWith(msg(ROUND, c.height, address));
    const other = signWith(msg(OTHER_ROUND, c.height, address));
    const mall = Buffer.concat([Buffer.from([((sig[0] - 27) ^ 1) + 27]), malleateRs(sig.slice(1))]);
    push({ chain, height: c.height, scheme: 'coin-signed-message', library: 'bitcoinjs-message 2.2.0, bitcoinjs-lib 7.0.5' + (chain === 'bitcoincash' ? ', bchaddrjs 0.5.2' : ''), address, key_data: '', signature: sig.toString('base64'), other_round_signature: other.toString('base64'), malleated_signature: mall.toString('base64') });
  }
}

// ----- XRP Ledger: ripple-keypairs -----
for (const algorithm of ['ecdsa-secp256k1', 'ed25519']) {
  for (const i of [0, 1]) {
    const s = rippleKeypairs.generateSeed({ entropy: seed(`xrpl ${algorithm} ${i}`).subarray(0, 16), algorithm });
    const kp = rippleKeypairs.deriveKeypair(s);
    const address = rippleKeypairs.deriveAddress(kp.publicKey);
    const signWith = (m) => rippleKeypairs.sign(Buffer.from(m).toString('hex'), kp.privateKey);
    const sig = signWith(msg(ROUND, 86000000, address));
    const mall = algorithm === 'ed25519'
      ? malleateEd(Buffer.from(sig, 'hex')).toString('hex').toUpperCase()
      : derHighS(sig);
    push({ chain: 'xrpl', height: 86000000, scheme: 'xrpl-keypairs', library: 'ripple-keypairs 3.1.0', address, key_data: `public_key=${kp.publicKey}`, signature: sig, other_round_signature: signWith(msg(OTHER_ROUND, 86000000, address)), malleated_signature: mall });
  }
}

// ----- Solana: @solana/offchain-messages (v1, v0) and raw signMessage, tweetnacl -----
for (const [i, form] of ['v1', 'v0', 'raw'].entries()) {
  const kp = nacl.sign.keyPair.fromSeed(seed(`solana ${i}`));
  const address = await getAddressFromPublicKey(await crypto.subtle.importKey('raw', kp.publicKey, 'Ed25519', true, ['verify']));
  const bytesOf = (m) => {
    if (form === 'raw') return Buffer.from(m);
    const env = form === 'v1'
      ? offchain.compileOffchainMessageV1Envelope({ version: 1, content: m, requiredSignatories: [{ address }] })
      : offchain.compileOffchainMessageV0Envelope({ version: 0, applicationDomain: solAddress('11111111111111111111111111111111'), content: { format: offchain.OffchainMessageContentFormat.RESTRICTED_ASCII_1232_BYTES_MAX, text: m }, requiredSignatories: [{ address }] });
    return env.content;
  };
  const signWith = (m) => nacl.sign.detached(bytesOf(m), kp.secretKey);
  const sig = signWith(msg(ROUND, 260000000, address));
  push({ chain: 'solana', height: 260000000, scheme: form === 'raw' ? 'solana-raw' : 'solana-offchain', library: `@solana/offchain-messages 8.4.0 (${form}), tweetnacl 1.0.3`, address, key_data: '', signature: bs58.encode(sig), other_round_signature: bs58.encode(signWith(msg(OTHER_ROUND, 260000000, address))), malleated_signature: bs58.encode(malleateEd(sig)) });
}

// ----- Polkadot: @polkadot/keyring, signRaw's <Bytes> wrapping -----
await cryptoWaitReady();
for (const [i, type] of ['sr25519', 'ed25519'].entries()) {
  const keyring = new Keyring({ type, ss58Format: 0 });
  const pair = keyring.addFromSeed(seed(`polkadot ${i}`));
  const address = pair.address;
  const signWith = (m) => pair.sign(u8aWrapBytes(m));
  const sig = signWith(msg(ROUND, 20000000, address));
  push({ chain: 'polkadot', height: 20000000, scheme: type === 'sr25519' ? 'sr25519-bytes' : 'ed25519-bytes', library: '@polkadot/keyring 14.0.3, @polkadot/util 14.0.3', address, key_data: '', signature: u8aToHex(sig), other_round_signature: u8aToHex(signWith(msg(OTHER_ROUND, 20000000, address))), malleated_signature: u8aToHex(malleateEd(sig, type === 'sr25519')) });
}

// ----- Stellar: SEP-53 hash, @stellar/stellar-base Keypair -----
for (const i of [0, 1]) {
  const kp = StellarKeypair.fromRawEd25519Seed(seed(`stellar ${i}`));
  const address = kp.publicKey();
  const signWith = (m) => kp.sign(createHash('sha256').update(Buffer.concat([Buffer.from('Stellar Signed Message:\n'), Buffer.from(m)])).digest());
  const sig = signWith(msg(ROUND, 51000000, address));
  push({ chain: 'stellar', height: 51000000, scheme: 'sep53', library: '@stellar/stellar-base 15.0.0', address, key_data: '', signature: sig.toString('base64'), other_round_signature: signWith(msg(OTHER_ROUND, 51000000, address)).toString('base64'), malleated_signature: malleateEd(sig).toString('base64') });
}

// ----- Sui: @mysten/sui signPersonalMessage -----
for (const i of [0, 1]) {
  const kp = Ed25519Keypair.fromSecretKey(seed(`sui ${i}`));
  const address = kp.toSuiAddress();
  const signWith = async (m) => (await kp.signPersonalMessage(Buffer.from(m))).signature;
  const sig = await signWith(msg(ROUND, 35000000, address));
  const raw = Buffer.from(sig, 'base64');
  const mall = Buffer.concat([raw.subarray(0, 1), malleateEd(raw.subarray(1, 65)), raw.subarray(65)]);
  push({ chain: 'sui', height: 35000000, scheme: 'sui-personal-message', library: '@mysten/sui 1.45.2', address, key_data: '', signature: sig, other_round_signature: await signWith(msg(OTHER_ROUND, 35000000, address)), malleated_signature: mall.toString('base64') });
}

// ----- Aptos: AIP-62 full message, @aptos-labs/ts-sdk -----
for (const i of [0, 1]) {
  const pk = new Ed25519PrivateKey(seed(`aptos ${i}`));
  const account = Account.fromPrivateKey({ privateKey: pk });
  const address = account.accountAddress.toStringLong();
  const nonce = `vector-${i}`;
  const full = (m) => `APTOS\naddress: ${address}\nmessage: ${m}\nnonce: ${nonce}`;
  const signWith = (m) => Buffer.from(account.sign(Buffer.from(full(m))).toUint8Array());
  const sig = signWith(msg(ROUND, 140000000, address));
  push({ chain: 'aptos', height: 140000000, scheme: 'aip62', library: '@aptos-labs/ts-sdk 6.3.1', address, key_data: `public_key=${account.publicKey.toString()};nonce=${nonce}`, signature: '0x' + sig.toString('hex'), other_round_signature: '0x' + signWith(msg(OTHER_ROUND, 140000000, address)).toString('hex'), malleated_signature: '0x' + malleateEd(sig).toString('hex') });
}

// ----- Cardano: CIP-30 signData with EMURGO's message-signing and serialization libraries -----
for (const i of [0, 1]) {
  const sk = CSL.PrivateKey.from_normal_bytes(seed(`cardano ${i}`));
  const pub = sk.to_public();
  const addr = CSL.EnterpriseAddress.new(1, CSL.Credential.from_keyhash(pub.hash())).to_address();
  const address = addr.to_bech32();
  const cose = (m, tamper) => {
    const headers = MS.HeaderMap.new();
    headers.set_algorithm_id(MS.Label.from_algorithm_id(MS.AlgorithmId.EdDSA));
    headers.set_header(MS.Label.new_text('address'), MS.CBORValue.new_bytes(addr.to_bytes()));
    const protectedHeaders = MS.ProtectedHeaderMap.new(headers);
    const unprotected = MS.HeaderMap.new();
    unprotected.set_header(MS.Label.new_text('hashed'), MS.CBORValue.from_bytes(Buffer.from([0xf4])));
    const builder = MS.COSESign1Builder.new(MS.Headers.new(protectedHeaders, unprotected), Buffer.from(m), false);
    let sig = sk.sign(builder.make_data_to_sign().to_bytes()).to_bytes();
    if (tamper) sig = malleateEd(sig);
    return Buffer.from(builder.build(sig).to_bytes()).toString('hex');
  };
  const key = MS.COSEKey.new(MS.Label.from_key_type(MS.KeyType.OKP));
  key.set_algorithm_id(MS.Label.from_algorithm_id(MS.AlgorithmId.EdDSA));
  key.set_header(MS.Label.new_int(MS.Int.new_negative(MS.BigNum.from_str('1'))), MS.CBORValue.new_int(MS.Int.new_i32(6)));
  key.set_header(MS.Label.new_int(MS.Int.new_negative(MS.BigNum.from_str('2'))), MS.CBORValue.new_bytes(pub.as_bytes()));
  const m = msg(ROUND, 10200000, address);
  push({ chain: 'cardano', height: 10200000, scheme: 'cip8', library: '@emurgo/cardano-message-signing-nodejs 1.1.0, @emurgo/cardano-serialization-lib-nodejs 15.0.3', address, key_data: `key=${Buffer.from(key.to_bytes()).toString('hex')}`, signature: cose(m, false), other_round_signature: cose(msg(OTHER_ROUND, 10200000, address), false), malleated_signature: cose(m, true) });
}

// ----- TON: ton_proof over the wallet address of @ton/ton, signed with @ton/crypto -----
for (const [i, [version, W]] of [['v4r2', WalletContractV4], ['v5r1', WalletContractV5R1], ['v3r2', WalletContractV3R2]].entries()) {
  const kp = keyPairFromSeed(seed(`ton ${i}`));
  const wallet = W.create({ workchain: 0, publicKey: kp.publicKey });
  const address = wallet.address.toRawString();
  const domain = 'custody.example';
  const timestamp = 1764547200 + i;
  const signWith = (payload) => {
    const wc = Buffer.alloc(4); wc.writeInt32BE(wallet.address.workChain);
    const dl = Buffer.alloc(4); dl.writeUInt32LE(Buffer.byteLength(domain));
    const ts = Buffer.alloc(8); ts.writeBigUInt64LE(BigInt(timestamp));
    const m = Buffer.concat([Buffer.from('ton-proof-item-v2/'), wc, wallet.address.hash, dl, Buffer.from(domain), ts, Buffer.from(payload)]);
    const full = Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.from('ton-connect'), createHash('sha256').update(m).digest()]);
    return tonSign(createHash('sha256').update(full).digest(), kp.secretKey);
  };
  const sig = signWith(msg(ROUND, 37000000, address));
  push({ chain: 'ton', height: 37000000, scheme: 'ton-proof', library: `@ton/ton 16.3.0 (wallet ${version}), @ton/crypto 3.3.0`, address, key_data: `wallet=${version};public_key=${kp.publicKey.toString('hex')};domain=${domain};timestamp=${timestamp}`, signature: sig.toString('base64'), other_round_signature: signWith(msg(OTHER_ROUND, 37000000, address)).toString('base64'), malleated_signature: malleateEd(sig).toString('base64') });
}

// ----- Filecoin: f1 (FRC-0102, BLAKE2b-256) and f410f (EIP-191); @glif/filecoin-address, tiny-secp256k1 -----
for (const [i, kind] of ['f1', 'f4'].entries()) {
  const priv = seed(`filecoin ${i}`);
  const pubU = Buffer.from(ecc.pointFromScalar(priv, false));
  let address, signWith, encode, mall;
  if (kind === 'f1') {
    address = newSecp256k1Address(pubU).toString();
    signWith = (m) => {
      const env = Buffer.concat([Buffer.from(`\x19Filecoin Signed Message:\n${Buffer.byteLength(m)}`), Buffer.from(m)]);
      const { signature, recoveryId } = ecc.signRecoverable(blake2b(env, { dkLen: 32 }), priv);
      return Buffer.concat([Buffer.from(signature), Buffer.from([recoveryId])]);
    };
    encode = (b) => b.toString('base64');
    mall = (b) => Buffer.concat([malleateRs(b), Buffer.from([b[64] ^ 1])]);
  } else {
    const eth = Buffer.from(keccak_256(pubU.subarray(1))).subarray(12);
    address = delegatedFromEthAddress('0x' + eth.toString('hex')).toString();
    signWith = (m) => {
      const h = keccak_256(Buffer.concat([Buffer.from(`\x19Ethereum Signed Message:\n${Buffer.byteLength(m)}`), Buffer.from(m)]));
      const { signature, recoveryId } = ecc.signRecoverable(h, priv);
      return Buffer.concat([Buffer.from(signature), Buffer.from([27 + recoveryId])]);
    };
    encode = (b) => '0x' + b.toString('hex');
    mall = (b) => Buffer.concat([malleateRs(b), Buffer.from([((b[64] - 27) ^ 1) + 27])]);
  }
  const sig = signWith(msg(ROUND, 3800000, address));
  push({ chain: 'filecoin', height: 3800000, scheme: kind === 'f1' ? 'frc0102' : 'eip191', library: '@glif/filecoin-address 4.0.0, tiny-secp256k1 2.2.4, @noble/hashes 2.4.0', address, key_data: '', signature: encode(sig), other_round_signature: encode(signWith(msg(OTHER_ROUND, 3800000, address))), malleated_signature: encode(mall(sig)) });
}

// ----- EOS: @wharfkit/antelope PrivateKey.signMessage (SHA-256, SIG_K1_), the key named in
// the key data (PUB_K1_ for one wallet, the legacy EOS… spelling for the other) -----
for (const [i, name] of [[0, 'custodiavec11'], [1, 'custodiavec12']]) {
  const key = new EosPrivateKey(EosKeyType.K1, EosBytes.from(seed(`eos ${i}`)));
  const pub = key.toPublic();
  const signWith = (m) => key.signMessage(new TextEncoder().encode(m));
  const sig = signWith(msg(ROUND, 480000000, name));
  const raw = Buffer.from(sig.data.array);
  const s = toBe(N - be(raw.subarray(33, 65)), 32);
  const mall = EosSignature.from({ type: 'K1', r: raw.subarray(1, 33), s, recid: (raw[0] - 31) ^ 1 });
  push({ chain: 'eos', height: 480000000, scheme: 'eos-sign-message', library: '@wharfkit/antelope 1.2.0', address: name, key_data: `public_key=${i === 0 ? pub.toString() : pub.toLegacyString()}`, signature: String(sig), other_round_signature: String(signWith(msg(OTHER_ROUND, 480000000, name))), malleated_signature: String(mall) });
}

// ----- aelf: aelf-sdk wallet.sign over the message's bytes (SHA-256, r ‖ s ‖ recovery id) -----
for (const i of [0, 1]) {
  const w = AElf.wallet.getWalletByPrivateKey(seed(`aelf ${i}`).toString('hex'));
  const address = w.address;
  const signWith = (m) => AElf.wallet.sign(Buffer.from(m).toString('hex'), w.keyPair);
  const sig = signWith(msg(ROUND, 260000000, address));
  const mall = Buffer.concat([malleateRs(sig), Buffer.from([sig[64] ^ 1])]);
  push({ chain: 'aelf', height: 260000000, scheme: 'aelf-sign', library: 'aelf-sdk 3.5.0', address, key_data: '', signature: sig.toString('hex'), other_round_signature: signWith(msg(OTHER_ROUND, 260000000, address)).toString('hex'), malleated_signature: mall.toString('hex') });
}

for (const v of out) v.message = msg(ROUND, v.height, v.address);
process.stdout.write(JSON.stringify({ format: 'custodia-ownership-vectors/1', exchange: EXCHANGE, round: ROUND, other_round: OTHER_ROUND, vectors: out }, null, 1) + '\n');
