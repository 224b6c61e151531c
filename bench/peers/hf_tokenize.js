#!/usr/bin/env node
// Hugging Face tokenizers (npm, native) encode throughput on a corpus, one document per call.
// Usage: hf_tokenize.js --tokenizer tokenizer.json --corpus FILE [--threads N]
//                       [--min-seconds S] [--max-passes P]
// --threads 1: documents encoded one after the other (run it with RAYON_NUM_THREADS=1
//   TOKENIZERS_PARALLELISM=false). --threads N>1: both ways the binding offers to use N
//   cores are timed and the faster one is reported: encodeBatch of 64 documents per call
//   (rayon) and N concurrent encode() loops (libuv pool; set UV_THREADPOOL_SIZE >= N).
// Prints "RESULT hf_mb_s <MB/s>" (wall clock; MB = 10^6 bytes of UTF-8 input),
// "RESULT hf_mb_cpu_s <MB per CPU-second of the whole process>" (fair on a loaded machine),
// "RESULT hf_tokens <n>" (ids per pass) and "RESULT hf_mode <mode>".
'use strict';
const { Tokenizer } = require('tokenizers');
const { readDocs, arg } = require('./docs');

async function seqPass(tok, docs) {
  let n = 0;
  for (const d of docs) n += (await tok.encode(d)).getIds().length;
  return n;
}

async function batchPass(tok, docs) {
  let n = 0;
  for (let i = 0; i < docs.length; i += 64) {
    const encs = await tok.encodeBatch(docs.slice(i, i + 64));
    for (const e of encs) n += e.getIds().length;
  }
  return n;
}

async function concurrentPass(tok, docs, k) {
  let next = 0, n = 0;
  async function loop() {
    while (next < docs.length) {
      const d = docs[next++];
      const k = (await tok.encode(d)).getIds().length; // not `n += await`: n is shared
      n += k;
    }
  }
  await Promise.all(Array.from({ length: k }, loop));
  return n;
}

async function timed(pass, warm, bytes, minSeconds, maxPasses) {
  await warm(); // warm-up on the first documents: load code, fill the word cache
  let passes = 0, tokens = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let el = 0;
  do {
    tokens = await pass();
    passes++;
    el = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (el < minSeconds && passes < maxPasses);
  const c = process.cpuUsage(c0);
  const cpuS = (c.user + c.system) / 1e6; // every thread of the process
  return { mbs: (bytes * passes) / el / 1e6, mbCpu: (bytes * passes) / cpuS / 1e6, tokens, seconds: el, passes };
}

async function main() {
  const tj = arg('tokenizer'), corpus = arg('corpus');
  if (!tj || !corpus) { console.error('usage: hf_tokenize.js --tokenizer FILE --corpus FILE [--threads N]'); process.exit(2); }
  const threads = parseInt(arg('threads', '1'), 10);
  const minS = parseFloat(arg('min-seconds', '3')), maxP = parseInt(arg('max-passes', '20'), 10);
  const tok = Tokenizer.fromFile(tj);
  const { docs, bytes } = readDocs(corpus);
  const warm = docs.slice(0, Math.max(1, Math.ceil(docs.length / 20)));
  const runs = [];
  if (threads <= 1) {
    runs.push({ mode: 'sequential encode()', ...(await timed(() => seqPass(tok, docs), () => seqPass(tok, warm), bytes, minS, maxP)) });
  } else {
    runs.push({ mode: 'encodeBatch(64 docs)', ...(await timed(() => batchPass(tok, docs), () => batchPass(tok, warm), bytes, minS, maxP)) });
    runs.push({ mode: `${threads} concurrent encode()`, ...(await timed(() => concurrentPass(tok, docs, threads), () => concurrentPass(tok, warm, threads), bytes, minS, maxP)) });
  }
  for (const r of runs) console.error(`hf_tokenize: ${r.mode}: ${r.mbs.toFixed(2)} MB/s (${r.passes} passes, ${r.seconds.toFixed(2)} s)`);
  const best = runs.reduce((a, b) => (b.mbs > a.mbs ? b : a));
  console.log(`RESULT hf_mb_s ${best.mbs.toFixed(3)}`);
  console.log(`RESULT hf_mb_cpu_s ${best.mbCpu.toFixed(3)}`);
  console.log(`RESULT hf_tokens ${best.tokens}`);
  console.log(`RESULT hf_mode ${best.mode.replace(/ /g, '_')}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
