'use strict';
// Reads a corpus built by bench/lib/corpora.sh: <corpus> is the concatenation, <corpus>.docs
// holds "<bytes>\t<path>" per document. Returns { docs: [string], bytes: total UTF-8 bytes }.
const fs = require('fs');

function readDocs(corpus) {
  const buf = fs.readFileSync(corpus);
  const lines = fs.readFileSync(corpus + '.docs', 'utf8').split('\n').filter(Boolean);
  const docs = [];
  let off = 0;
  for (const l of lines) {
    const n = parseInt(l.split('\t')[0], 10);
    if (!(n >= 0) || off + n > buf.length) throw new Error(`${corpus}.docs: bad length in line ${JSON.stringify(l)}`);
    docs.push(buf.toString('utf8', off, off + n));
    off += n;
  }
  if (off !== buf.length) throw new Error(`${corpus}: ${buf.length} bytes but .docs sums to ${off}`);
  return { docs, bytes: buf.length };
}

// Splits docs into k contiguous shares of about equal bytes.
function shares(docs, k) {
  const total = docs.reduce((a, d) => a + d.length, 0);
  const out = Array.from({ length: k }, () => []);
  let acc = 0;
  for (const d of docs) {
    const i = Math.min(k - 1, Math.floor((acc * k) / Math.max(1, total)));
    out[i].push(d);
    acc += d.length;
  }
  return out;
}

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

module.exports = { readDocs, shares, arg };
