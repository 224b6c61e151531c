#!/usr/bin/env python3
"""Checks a job's output directory against the guarantees of docs/OPERATIONS.md.

usage: check_output.py OUT_DIR STATUS [--usable LIST] [--unusable LIST] [--partial]
                       [--record JOB_JSON]

  - index.json exists, parses, and has the given status;
  - every shard it lists lies inside OUT_DIR, exists, has the listed size and sha256,
    and its SafeTensors header has input_ids with the listed number of rows;
  - no *.safetensors file on disk that the manifest does not list, no .staging
    directory and no temporary file (*.tmp.*);
  - with --usable LIST (one path per line): every usable input is a source of exactly
    one shard (with --partial: at most one), and nothing else is;
  - with --unusable LIST: every such input is in "skipped" (not with --partial);
  - the manifest's totals equal the sums over its shards and skipped files;
  - with --record JOB_JSON (`job-status --json` of the job): the job record's status,
    samples and tokens equal the manifest's.
Prints one line per problem and exits 1 if there is any.
"""
import hashlib, json, os, struct, sys

def main():
    out, status = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    opt = {}
    partial = "--partial" in args
    for i, a in enumerate(args):
        if a in ("--usable", "--unusable"):
            opt[a] = [l.strip() for l in open(args[i + 1]) if l.strip()]
        if a == "--record":
            opt[a] = json.load(open(args[i + 1]))
    problems = []
    root = os.path.realpath(out)
    try:
        idx = json.load(open(os.path.join(root, "index.json")))
    except Exception as e:
        print(f"index.json: {e}")
        return 1
    if idx.get("status") != status:
        problems.append(f"index.json status is {idx.get('status')!r}, expected {status!r}")
    listed = set()
    sources = {}
    max_len = idx.get("max_seq_len")
    for sh in idx.get("shards", []):
        p = os.path.realpath(os.path.join(root, sh["path"]))
        if not p.startswith(root + "/"):
            problems.append(f"shard {sh['path']} lies outside {root}")
            continue
        listed.add(p)
        if not os.path.isfile(p) or os.path.islink(p):
            problems.append(f"listed shard {sh['path']} does not exist")
            continue
        data = open(p, "rb").read()
        if len(data) != sh["bytes"]:
            problems.append(f"shard {sh['path']}: {len(data)} bytes, manifest says {sh['bytes']}")
        if hashlib.sha256(data).hexdigest() != sh["sha256"]:
            problems.append(f"shard {sh['path']}: sha256 differs from the manifest")
        n = struct.unpack("<Q", data[:8])[0]
        hdr = json.loads(data[8:8 + n])
        shape = hdr.get("input_ids", {}).get("shape")
        if not shape or shape[0] != sh["samples"] or (max_len and shape[1] != max_len):
            problems.append(f"shard {sh['path']}: input_ids shape {shape}, manifest says {sh['samples']} rows")
        for s in sh.get("sources", []):
            sources[s] = sources.get(s, 0) + 1
    for d, dirs, files in os.walk(root):
        for name in dirs:
            if name == ".staging":
                problems.append(f"staging directory left: {os.path.join(d, name)}")
        for name in files:
            p = os.path.realpath(os.path.join(d, name))
            if ".tmp." in name:
                problems.append(f"temporary file left: {p}")
            elif name.endswith(".safetensors") and p not in listed:
                problems.append(f"shard on disk that index.json does not list: {p}")
    skipped = {s["path"] for s in idx.get("skipped", [])}
    shards = idx.get("shards", [])
    tot = idx.get("totals", {})
    want = {"shards": len(shards), "samples": sum(sh["samples"] for sh in shards),
            "tokens": sum(sh["tokens"] for sh in shards), "bytes": sum(sh["bytes"] for sh in shards),
            "skipped": len(idx.get("skipped", []))}
    for k, v in want.items():
        if tot.get(k) != v:
            problems.append(f"index.json totals.{k} is {tot.get(k)}, its shards and skipped files give {v}")
    rec = opt.get("--record")
    if rec is not None:
        if isinstance(rec, list):
            rec = rec[0] if rec else {}
        for rk, mk in (("status", None), ("samples", "samples"), ("tokens", "tokens")):
            mv = idx.get("status") if mk is None else tot.get(mk)
            if rec.get(rk) != mv:
                problems.append(f"job record {rk} is {rec.get(rk)!r}, index.json says {mv!r}")
    if "--usable" in opt:
        usable = set(opt["--usable"])
        for f in sorted(usable):
            c = sources.get(f, 0)
            if c > 1 or (c == 0 and not partial):
                problems.append(f"usable input {f} is in {c} shards")
        for f in sorted(set(sources) - usable):
            problems.append(f"shard source {f} is not a usable input")
    if "--unusable" in opt and not partial:
        for f in opt["--unusable"]:
            if f not in skipped:
                problems.append(f"unusable input {f} is not listed as skipped")
    for p in problems[:50]:
        print(p)
    if len(problems) > 50:
        print(f"... {len(problems) - 50} more")
    return 1 if problems else 0

if __name__ == "__main__":
    sys.exit(main())
