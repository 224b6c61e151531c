#!/usr/bin/env node
// The reference libraries on the corpus bench_hf reads, one thread, one document per
// call, add_special_tokens true: Hugging Face tokenizers for a tokenizer.json, tiktoken
// (encode(doc, "all")) for a rank file + config.json.
// Usage: hf_speed_peer.js TOKENIZER_TEXT_DIR CORPUS [PASSES]
// Prints "RESULT peer_mb_s", "RESULT peer_tokens", "RESULT peer_ids_hash" (the FNV-1a
// over ids of bench/bench_hf.c) and "RESULT peer_name".
'use strict';
const fs = require('fs');
const path = require('path');
const { readDocs } = require('./docs');

const PATTERNS = {
  cl100k_base: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  o200k_base: "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

async function main() {
  const [dir, corpus, passArg] = process.argv.slice(2);
  const passes = parseInt(passArg || '1', 10);
  const { docs, bytes } = readDocs(corpus);
  let encode, name;
  const json = path.join(dir, 'tokenizer.json');
  if (fs.existsSync(json)) {
    const { Tokenizer } = require('tokenizers');
    const tok = Tokenizer.fromFile(json);
    encode = async (d) => (await tok.encode(d, null, { addSpecialTokens: true })).getIds();
    name = 'HF tokenizers';
  } else {
    const { Tiktoken } = require('tiktoken');
    const rank = fs.readdirSync(dir).find((f) => f.endsWith('.tiktoken'));
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    const tok = new Tiktoken(fs.readFileSync(path.join(dir, rank), 'utf8'), cfg.special_tokens || {},
      PATTERNS[cfg.pattern] || cfg.pattern);
    encode = async (d) => tok.encode(d, 'all');
    name = 'tiktoken';
  }
  let best = Infinity, tokens = 0, hash = 0;
  for (let p = 0; p < passes; p++) {
    const t0 = process.hrtime.bigint();
    tokens = 0;
    hash = 2166136261;
    for (const d of docs) {
      const ids = await encode(d);
      tokens += ids.length;
      for (const id of ids) hash = Math.imul(hash ^ id, 16777619) >>> 0;
    }
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (dt < best) best = dt;
  }
  console.log(`RESULT peer_mb_s ${(bytes / 1e6 / best).toFixed(3)}`);
  console.log(`RESULT peer_tokens ${tokens}`);
  console.log(`RESULT peer_ids_hash ${(hash >>> 0).toString(16).padStart(8, '0')}`);
  console.log(`RESULT peer_name ${name.replace(/ /g, '_')}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
