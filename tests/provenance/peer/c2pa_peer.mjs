// SPDX-License-Identifier: MIT
// Drives the C2PA reference implementation (c2pa-rs as @contentauth/c2pa-wasm)
// for the peer tests and the benchmark. Usage:
//   node c2pa_peer.mjs <node_modules dir> <jobs.json> <results.json>
// jobs: [{op:"read", file, format, trust?}, {op:"sign", in, out, format, key,
// certs, definition, ingredients?: [{file, format, json}]}, {op:"bench", ...}]
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// Node 18 (Debian 12's) has Web Crypto only as crypto.webcrypto; the wasm
// build takes its random bytes from globalThis.crypto (global from Node 19).
if (!globalThis.crypto) globalThis.crypto = crypto.webcrypto;

const [, , modulesDir, jobsFile, resultsFile] = process.argv;
const require = createRequire(path.join(modulesDir, 'noop.js'));
const pkgMain = require.resolve('@contentauth/c2pa-wasm');
const wasmPath = require.resolve('@contentauth/c2pa-wasm/c2pa.wasm');
const { initSync, WasmReader, WasmBuilder } = await import(pathToFileURL(pkgMain).href);

// The builder reads Blobs with FileReaderSync (a Web Worker API). Node has no
// such thing, so Blobs made here remember their bytes and a minimal
// FileReaderSync hands them back.
const blobBytes = new WeakMap();
const origSlice = Blob.prototype.slice;
Blob.prototype.slice = function (start, end, type) {
  const r = origSlice.call(this, start, end, type);
  const d = blobBytes.get(this);
  if (d) blobBytes.set(r, d.subarray(start ?? 0, end ?? d.length));
  return r;
};
globalThis.FileReaderSync = class {
  readAsArrayBuffer(b) {
    const d = blobBytes.get(b);
    if (!d) throw new Error('FileReaderSync: unknown Blob');
    return d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength);
  }
};
function blobOf(bytes) {
  const u = new Uint8Array(bytes);
  const b = new Blob([u]);
  blobBytes.set(b, u);
  return b;
}

initSync({ module: fs.readFileSync(wasmPath) });

function context(trust) {
  if (!trust) return null;
  return JSON.stringify({ verify: { verify_trust: true }, trust: { trust_anchors: fs.readFileSync(trust, 'utf8') } });
}

async function read(job) {
  try {
    const r = await WasmReader.fromBytes(job.format, new Uint8Array(fs.readFileSync(job.file)), context(job.trust));
    return { ok: true, report: JSON.parse(r.json()) };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}

// --- a callback signer: the reference builds the claim; this returns the
// COSE_Sign1 (ES256, x5chain in the protected header) over it.
function cborHead(major, n) {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) { const b = Buffer.alloc(3); b[0] = (major << 5) | 25; b.writeUInt16BE(n, 1); return b; }
  const b = Buffer.alloc(5); b[0] = (major << 5) | 26; b.writeUInt32BE(n, 1); return b;
}
const bstr = (b) => Buffer.concat([cborHead(2, b.length), b]);
function coseSigner(keyPem, certsPem) {
  const key = crypto.createPrivateKey(keyPem);
  const ders = certsPem.split('-----END CERTIFICATE-----').filter((p) => p.includes('BEGIN CERTIFICATE'))
    .map((p) => Buffer.from(p.split('-----BEGIN CERTIFICATE-----')[1].replace(/\s+/g, ''), 'base64'));
  // {1: -7 (ES256), 33: [certs]}
  const prot = Buffer.concat([Buffer.from([0xa2, 0x01, 0x26, 0x18, 0x21]), cborHead(4, ders.length), ...ders.map(bstr)]);
  const cose = (claim) => {
    const tbs = Buffer.concat([Buffer.from([0x84]), cborHead(3, 10), Buffer.from('Signature1'), bstr(prot),
      Buffer.from([0x40]), bstr(Buffer.from(claim))]);
    const sig = crypto.sign('sha256', tbs, { key, dsaEncoding: 'ieee-p1363' });
    return Buffer.concat([Buffer.from([0xd2, 0x84]), bstr(prot), Buffer.from([0xa0, 0xf6]), bstr(sig)]);
  };
  // Detached payload: the size does not depend on the claim, so reserve exactly it.
  return { alg: 'es256', reserveSize: cose(Buffer.alloc(0)).length, sign: async (bytes) => new Uint8Array(cose(bytes)) };
}

async function sign(job) {
  try {
    const b = WasmBuilder.fromJson(JSON.stringify(job.definition));
    for (const ing of job.ingredients ?? [])
      await b.addIngredientFromBlob(JSON.stringify(ing.json), ing.format, blobOf(fs.readFileSync(ing.file)));
    const signer = coseSigner(fs.readFileSync(job.key, 'utf8'), fs.readFileSync(job.certs, 'utf8'));
    const out = await b.sign(signer, [], job.format, blobOf(fs.readFileSync(job.in)));
    fs.writeFileSync(job.out, out);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}

// --- benchmark: sign+embed and read+validate, `iterations` times each.
async function bench(job) {
  const src = fs.readFileSync(job.in);
  const signer = coseSigner(fs.readFileSync(job.key, 'utf8'), fs.readFileSync(job.certs, 'utf8'));
  const signMs = [];
  let signed = null;
  for (let i = 0; i < job.iterations; ++i) {
    const t0 = process.hrtime.bigint();
    const b = WasmBuilder.fromJson(JSON.stringify(job.definition));
    signed = await b.sign(signer, [], job.format, blobOf(src));
    signMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    b.free();
  }
  const verifyMs = [];
  for (let i = 0; i < job.iterations; ++i) {
    const t0 = process.hrtime.bigint();
    const r = await WasmReader.fromBytes(job.format, signed, context(job.trust));
    const state = JSON.parse(r.json()).validation_state;
    verifyMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (state !== 'Trusted' && state !== 'Valid') return { ok: false, error: 'reference could not validate: ' + state };
    r.free();
  }
  return { ok: true, sign_ms: signMs, verify_ms: verifyMs };
}

const jobs = JSON.parse(fs.readFileSync(jobsFile, 'utf8'));
const results = [];
for (const job of jobs) {
  if (job.op === 'read') results.push(await read(job));
  else if (job.op === 'sign') results.push(await sign(job));
  else if (job.op === 'bench') results.push(await bench(job));
  else results.push({ ok: false, error: 'unknown op ' + job.op });
}
fs.writeFileSync(resultsFile, JSON.stringify(results));
