#!/usr/bin/env node
// The reference libraries on the corpus bench_hf reads, add_special_tokens true: Hugging
// Face tokenizers for a tokenizer.json, tiktoken (encode(doc, "all")) for a rank file +
// config.json. One thread: one document per call. THREADS > 1: Hugging Face's own
// parallel path (encodeBatch over 64 documents at a time, RAYON_NUM_THREADS=THREADS set by
// the caller); tiktoken has none, so THREADS worker threads each encode a contiguous share.
// Usage: hf_speed_peer.js TOKENIZER_TEXT_DIR CORPUS [PASSES] [THREADS]
// Prints "RESULT peer_mb_s", "RESULT peer_tokens", "RESULT peer_ids_hash" (the FNV-1a
// over ids of bench/bench_hf.c) and "RESULT peer_name".
'use strict';
const fs = require('fs');
const path = require('path');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const { readDocs, shares } = require('./docs');

const PATTERNS = {
  cl100k_base: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  o200k_base: "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

function tiktokenOf(dir) {
  const { Tiktoken } = require('tiktoken');
  const rank = fs.readdirSync(dir).find((f) => f.endsWith('.tiktoken'));
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  return new Tiktoken(fs.readFileSync(path.join(dir, rank), 'utf8'), cfg.special_tokens || {},
    PATTERNS[cfg.pattern] || cfg.pattern);
}

// A tiktoken worker: encodes its share on every 'go' and answers with its ids.
if (!isMainThread) {
  const tok = tiktokenOf(workerData.dir);
  parentPort.on('message', () => parentPort.postMessage(workerData.docs.map((d) => Array.from(tok.encode(d, 'all')))));
}

async function main() {
  const [dir, corpus, passArg, threadArg] = process.argv.slice(2);
  const passes = parseInt(passArg || '1', 10);
  const threads = parseInt(threadArg || '1', 10);
  const { docs, bytes } = readDocs(corpus);
  let encodeAll, name, stop = () => {};
  const json = path.join(dir, 'tokenizer.json');
  if (fs.existsSync(json)) {
    const { Tokenizer } = require('tokenizers');
    const tok = Tokenizer.fromFile(json);
    name = 'HF tokenizers';
    encodeAll = async () => {
      const out = [];
      if (threads === 1) {
        for (const d of docs) out.push((await tok.encode(d, null, { addSpecialTokens: true })).getIds());
      } else {
        for (let i = 0; i < docs.length; i += 64)
          for (const e of await tok.encodeBatch(docs.slice(i, i + 64), { addSpecialTokens: true })) out.push(e.getIds());
      }
      return out;
    };
  } else {
    name = 'tiktoken';
    if (threads === 1) {
      const tok = tiktokenOf(dir);
      encodeAll = async () => docs.map((d) => tok.encode(d, 'all'));
    } else {
      const workers = shares(docs, threads).map((share) => new Worker(__filename, { workerData: { dir, docs: share } }));
      encodeAll = async () => (await Promise.all(workers.map((w) => new Promise((res) => {
        w.once('message', res);
        w.postMessage('go');
      })))).flat();
      stop = () => workers.forEach((w) => w.terminate());
    }
  }
  let best = Infinity, out = [];
  for (let p = 0; p < passes; p++) {
    const t0 = process.hrtime.bigint();
    out = await encodeAll();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (dt < best) best = dt;
  }
  stop();
  let tokens = 0, hash = 2166136261;
  for (const ids of out) {
    tokens += ids.length;
    for (const id of ids) hash = Math.imul(hash ^ id, 16777619) >>> 0;
  }
  console.log(`RESULT peer_mb_s ${(bytes / 1e6 / best).toFixed(3)}`);
  console.log(`RESULT peer_tokens ${tokens}`);
  console.log(`RESULT peer_ids_hash ${(hash >>> 0).toString(16).padStart(8, '0')}`);
  console.log(`RESULT peer_name ${name.replace(/ /g, '_')}`);
}
if (isMainThread) main().catch((e) => { console.error(e); process.exit(1); });
