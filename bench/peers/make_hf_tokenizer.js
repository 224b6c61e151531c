#!/usr/bin/env node
// Writes a Hugging Face tokenizer.json that reproduces OUR text tokenizer (the one being
// benchmarked) from its directory: vocab.json, merges.txt, config.json.
// Settings as in shared/docs/benchmarking-notes.md: NFC normaliser, Split pre-tokenizer on
// \w+|[^\w\s] keeping the matches, BPE with end_of_word_suffix "</w>", no byte fallback.
// Only the first min(max_merge_depth, merges) merges are kept, because that is what our
// encoder applies. Legacy alias entries (ids shared with a canonical special) are dropped
// so the HF vocabulary is one string per id.
// Usage: make_hf_tokenizer.js <tokenizer text dir> <out tokenizer.json>
'use strict';
const fs = require('fs');
const path = require('path');

function main() {
  const [dir, out] = process.argv.slice(2);
  if (!dir || !out) {
    console.error('usage: make_hf_tokenizer.js <tokenizer text dir> <out tokenizer.json>');
    process.exit(2);
  }
  const vocabIn = JSON.parse(fs.readFileSync(path.join(dir, 'vocab.json'), 'utf8'));
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const mergeLines = fs.readFileSync(path.join(dir, 'merges.txt'), 'utf8').split('\n');
  const merges = [];
  for (const raw of mergeLines) {
    const line = raw.trim();
    if (!line) continue;
    const sp = line.indexOf(' ');
    if (sp <= 0) throw new Error(`${dir}/merges.txt: line without a space: ${JSON.stringify(line)}`);
    merges.push(line.slice(0, sp) + ' ' + line.slice(sp + 1));
  }
  const depth = Number.isInteger(config.max_merge_depth) ? config.max_merge_depth : merges.length;
  const kept = merges.slice(0, Math.min(depth, merges.length));

  const vocab = {};
  const seen = new Set();
  for (const [tok, id] of Object.entries(vocabIn)) {
    if (seen.has(id)) continue; // alias of an earlier special token
    seen.add(id);
    vocab[tok] = id;
  }
  const suffix = config.word_end_marker || '</w>';
  const tj = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'Split', pattern: { Regex: '\\w+|[^\\w\\s]' }, behavior: 'Removed', invert: true },
    post_processor: null,
    decoder: { type: 'BPEDecoder', suffix },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
      end_of_word_suffix: suffix, fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab, merges: kept,
    },
  };
  fs.writeFileSync(out, JSON.stringify(tj));
  console.error(`make_hf_tokenizer: ${Object.keys(vocab).length} tokens, ${kept.length} of ${merges.length} merges -> ${out}`);
}
main();
