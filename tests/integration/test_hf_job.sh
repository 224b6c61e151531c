#!/usr/bin/env bash
# A job over a mixed text/code tree with GPT-2 and Llama 3 tokenizer.json files (the
# committed small ones of tests/data/hf): every row is the tokenizer's bos, the ids the
# Hugging Face library gives for the file (refs_small.jsonl), its eos; code rows have
# modality_mask 4; decoding a row without its special tokens gives the file back.
source "$(dirname "$0")/lib.sh"
HF="${AL_DATA_DIR:?}/hf"
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
cat > "$T/e.yaml" <<Y
coordinator:
  state_store_type: memory
Y
# files: tag of texts.jsonl -> file name (text and code)
python3 - "$HF" "$T/in" <<'P'
import json, os, sys
hf, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
want = {"hard:code_c": "prog.c", "hard:code_py": "script.py", "hard:mixed_scripts": "hello.txt",
        "hard:cjk": "cjk.md", "hard:emoji": "emoji.txt", "hard:contractions_mixed": "notes.txt"}
for line in open(os.path.join(hf, "texts.jsonl"), encoding="utf-8"):
    t = json.loads(line)
    if t["tag"] in want:
        open(os.path.join(out, want[t["tag"]]), "w", encoding="utf-8", newline="").write(t["text"])
json.dump(want, open(os.path.join(out, "..", "names.json"), "w"))
P
for tok in gpt2 llama3; do
  run "$BIN" submit-job --embedded -w 2 -c "$T/e.yaml" -i "$T/in" -o "$T/out-$tok" -t "$HF/$tok" \
      --max-seq-len 512 --shard-size 4 --files-per-task 2
  expect_rc 0 "job with $tok"
  expect_out "Samples:  6"
  for s in $(find "$T/out-$tok" -name '*.safetensors' | sort); do
    for i in 0 1 2 3; do
      "$BIN" inspect "$s" --sample "$i" --json -t "$HF/$tok" --skip-special > "$T/row.json" 2>/dev/null || continue
      CHECKS=$((CHECKS + 1))
      msg=$(python3 - "$HF" "$tok" "$T/row.json" "$T/names.json" <<'P'
import json, sys
hf, tok, row, names = sys.argv[1:]
r = json.load(open(row))["sample"]
d = json.load(open(f"{hf}/{tok}/text/tokenizer.json", encoding="utf-8"))
ids = {a["content"]: a["id"] for a in d["added_tokens"]}
bos = [ids["<|begin_of_text|>"]] if "<|begin_of_text|>" in ids else []
eos = [ids.get("<|end_of_text|>", ids.get("<|endoftext|>"))]
texts = {json.loads(l)["tag"]: json.loads(l).get("text") for l in open(f"{hf}/texts.jsonl", encoding="utf-8")}
tag = next((t for t in json.load(open(names)) if texts[t] == r["text"]), None)
if tag is None:
    print(f"decoded row matches no input file: {r['text']!r}"); sys.exit()
ref = next(json.loads(l)["ids"] for l in open(f"{hf}/refs_small.jsonl")
           if f'"tokenizer": "{tok}"' in l.replace('":"', '": "') and json.loads(l)["tag"] == tag
           and not json.loads(l)["add_special_tokens"])
want = bos + ref + eos
code = tag in ("hard:code_c", "hard:code_py")
if r["input_ids"] != want: print(f"{tag}: ids {r['input_ids'][:12]}... != {want[:12]}...")
elif set(r["modality_mask"]) != {4 if code else 0}: print(f"{tag}: modality_mask {set(r['modality_mask'])}")
P
)
      [ -z "$msg" ] || fail "$tok $s row $i: $msg"
    done
  done
done

# Whole documents in packed rows of 16: each file's document (read back through the
# sources, one per document start) is bos + the library's ids + eos, code included.
for tok in gpt2 llama3; do
  run "$BIN" submit-job --embedded -w 2 -c "$T/e.yaml" -i "$T/in" -o "$T/pack-$tok" -t "$HF/$tok" \
      --max-seq-len 16 --shard-size 4 --files-per-task 3 --long-documents split --pack
  expect_rc 0 "split+pack job with $tok"
  CHECKS=$((CHECKS + 1))
  msg=$(python3 - "$HF" "$tok" "$T/pack-$tok" "$T/names.json" "$(dirname "$0")/../../examples/python" <<'P'
import json, os, sys
hf, tok, out, names, ex = sys.argv[1:]
sys.path.insert(0, ex)
from read_shards import load_shard, documents
d = json.load(open(f"{hf}/{tok}/text/tokenizer.json", encoding="utf-8"))
ids = {a["content"]: a["id"] for a in d["added_tokens"]}
bos = [ids["<|begin_of_text|>"]] if "<|begin_of_text|>" in ids else []
eos = [ids.get("<|end_of_text|>", ids.get("<|endoftext|>"))]
refs = {json.loads(l)["tag"]: json.loads(l)["ids"] for l in open(f"{hf}/refs_small.jsonl")
        if f'"tokenizer": "{tok}"' in l.replace('":"', '": "') and not json.loads(l)["add_special_tokens"]}
docs, cur = {}, None
for sh in json.load(open(f"{out}/index.json"))["shards"]:
    meta, t = load_shard(f"{out}/{sh['path']}")
    starts = iter(sh["sources"])
    for r in range(t["input_ids"].shape[0]):
        for s, e, p0 in documents(t, r):
            if p0 == 0:
                cur = os.path.basename(next(starts)); docs[cur] = []
            docs[cur] += t["input_ids"][r][s:e].tolist()
bad = [f"{f}: {docs.get(f, [])[:6]}... != {(bos + refs[tag] + eos)[:6]}..."
       for tag, f in json.load(open(names)).items() if docs.get(f) != bos + refs[tag] + eos]
print("; ".join(bad))
P
)
  [ -z "$msg" ] || fail "$tok split+pack: $msg"
done
finish
