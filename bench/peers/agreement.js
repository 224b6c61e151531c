#!/usr/bin/env node
// Id agreement between our encoder and the HF peer on the same documents.
// Usage: agreement.js --tokenizer tokenizer.json --docs LIST --ours IDS
//   LIST: one document path per line; IDS: one JSON array of our ids per line, same order.
// Our <bos>/<eos> (2 ... 3) are dropped when present. For each document the longest common
// subsequence of the two id lists is found with Myers' O((N+M)D) diff, so one extra id
// (our byte fallback for a character outside the vocabulary) costs one id, not the rest of
// the document. Prints "RESULT agree_ids_pct <LCS / max(N, M) over all documents, %>"
// and "RESULT agree_docs_pct <% of documents with identical ids>".
'use strict';
const fs = require('fs');
const { Tokenizer } = require('tokenizers');
const { arg } = require('./docs');

// Edit distance (insertions + deletions only) between a and b, or -1 beyond maxD.
function myers(a, b, maxD) {
  const n = a.length, m = b.length, off = maxD + 1;
  const v = new Int32Array(2 * maxD + 3);
  for (let d = 0; d <= maxD; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { x++; y++; }
      v[off + k] = x;
      if (x >= n && y >= m) return d;
    }
  }
  return -1;
}

async function main() {
  const tok = Tokenizer.fromFile(arg('tokenizer'));
  const docs = fs.readFileSync(arg('docs'), 'utf8').split('\n').filter(Boolean);
  const ours = fs.readFileSync(arg('ours'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  if (docs.length !== ours.length) throw new Error(`${docs.length} documents but ${ours.length} id lines`);
  let lcsSum = 0, maxSum = 0, same = 0;
  for (let i = 0; i < docs.length; i++) {
    const hf = (await tok.encode(fs.readFileSync(docs[i], 'utf8'))).getIds();
    let o = ours[i];
    if (o.length >= 2 && o[0] === 2 && o[o.length - 1] === 3) o = o.slice(1, -1);
    const maxD = Math.min(o.length + hf.length, 50000);
    let d = myers(o, hf, maxD);
    if (d < 0) d = o.length + hf.length; // counted as nothing in common
    const lcs = (o.length + hf.length - d) / 2;
    lcsSum += lcs;
    maxSum += Math.max(o.length, hf.length);
    if (d === 0) same++;
    if (d > 0) console.error(`agreement: ${docs[i]}: ours ${o.length} ids, HF ${hf.length}, ${d} edits`);
  }
  const pct = maxSum ? (100 * lcsSum) / maxSum : 100;
  console.log(`RESULT agree_ids_pct ${pct.toFixed(2)}`);
  console.log(`RESULT agree_docs_pct ${((100 * same) / Math.max(1, docs.length)).toFixed(1)}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
