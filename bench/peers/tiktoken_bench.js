#!/usr/bin/env node
// tiktoken (npm, WASM) GPT-2 encode throughput on a corpus, one document per call.
// Usage: tiktoken_bench.js --corpus FILE [--threads N] [--min-seconds S] [--max-passes P]
// WASM is single-threaded, so --threads N runs N worker_threads, each with its own encoder,
// on contiguous shares of the documents, and reports the wall-clock rate of all of them.
// Prints "RESULT tiktoken_mb_s <MB/s>" (wall; MB = 10^6 bytes), "RESULT tiktoken_tokens <n>",
// and with one thread "RESULT tiktoken_mb_cpu_s <MB per CPU-second>".
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const { readDocs, shares, arg } = require('./docs');

function encodeAll(enc, docs) {
  let n = 0;
  for (const d of docs) n += enc.encode(d, [], []).length; // no special-token checks
  return n;
}

if (!isMainThread) {
  const { get_encoding } = require('tiktoken');
  const enc = get_encoding('gpt2');
  encodeAll(enc, workerData.docs.slice(0, Math.ceil(workerData.docs.length / 20))); // warm-up
  parentPort.on('message', () => parentPort.postMessage(encodeAll(enc, workerData.docs)));
  parentPort.postMessage('ready');
} else {
  (async () => {
    const corpus = arg('corpus');
    if (!corpus) { console.error('usage: tiktoken_bench.js --corpus FILE [--threads N]'); process.exit(2); }
    const threads = parseInt(arg('threads', '1'), 10);
    const minS = parseFloat(arg('min-seconds', '3')), maxP = parseInt(arg('max-passes', '20'), 10);
    const { docs, bytes } = readDocs(corpus);
    let passes = 0, tokens = 0, el = 0;
    if (threads <= 1) {
      const { get_encoding } = require('tiktoken');
      const enc = get_encoding('gpt2');
      encodeAll(enc, docs.slice(0, Math.ceil(docs.length / 20))); // warm-up
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      do { tokens = encodeAll(enc, docs); passes++; el = Number(process.hrtime.bigint() - t0) / 1e9; }
      while (el < minS && passes < maxP);
      const c = process.cpuUsage(c0);
      console.log(`RESULT tiktoken_mb_cpu_s ${((bytes * passes) / ((c.user + c.system) / 1e6) / 1e6).toFixed(3)}`);
      enc.free();
    } else {
      const ws = shares(docs, threads).map((part) => new Worker(__filename, { workerData: { docs: part } }));
      const once = (w) => new Promise((res, rej) => { w.once('message', res); w.once('error', rej); });
      await Promise.all(ws.map(once)); // every worker warmed up and ready
      const t0 = process.hrtime.bigint();
      do {
        const counts = await Promise.all(ws.map((w) => { const p = once(w); w.postMessage('go'); return p; }));
        tokens = counts.reduce((a, b) => a + b, 0);
        passes++; el = Number(process.hrtime.bigint() - t0) / 1e9;
      } while (el < minS && passes < maxP);
      await Promise.all(ws.map((w) => w.terminate()));
    }
    const mbs = (bytes * passes) / el / 1e6;
    console.error(`tiktoken_bench: ${threads} thread(s): ${mbs.toFixed(2)} MB/s (${passes} passes, ${el.toFixed(2)} s)`);
    console.log(`RESULT tiktoken_mb_s ${mbs.toFixed(3)}`);
    console.log(`RESULT tiktoken_tokens ${tokens}`);
  })().catch((e) => { console.error(e); process.exit(1); });
}
