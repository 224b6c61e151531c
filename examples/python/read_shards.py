"""Reads a job's output with NumPy only: every shard listed in index.json, its rows and,
for packed shards, the documents of each row (docs/FORMAT.md).
Usage: python3 read_shards.py OUTPUT_DIR"""
import json, struct, sys
import numpy as np

DTYPES = {"I32": np.int32, "U8": np.uint8}

def load_shard(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {name: np.frombuffer(data[t["data_offsets"][0]:t["data_offsets"][1]],
                                   dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
               for name, t in header.items()}
    return meta, tensors

def expand(sources):
    """One name per row (or per packed document start): a run of JSON Lines records
    "FILE:A-B" stands for FILE:A ... FILE:B."""
    for name in sources:
        f, _, n = name.rpartition(":")
        a, _, b = n.partition("-")
        run = f and a.isdigit() and b.isdigit() and int(a) >= 1 and int(b) > int(a)
        yield from (f"{f}:{i}" for i in range(int(a), int(b) + 1)) if run else [name]

def documents(t, r):
    """(start, end, first_position) of each document piece in row r."""
    real = int(t["attention_mask"][r].sum())
    if "document_ids" not in t:
        return [(0, real, 0)]
    d = t["document_ids"][r][:real]
    starts = [0] + [c for c in range(1, real) if d[c] != d[c - 1]]
    return [(s, e, int(t["position_ids"][r][s])) for s, e in zip(starts, starts[1:] + [real])]

if __name__ == "__main__":
    out = sys.argv[1]
    index = json.load(open(f"{out}/index.json"))
    source = None  # packed: sources name each document where it starts
    for sh in index["shards"]:
        meta, t = load_shard(f"{out}/{sh['path']}")
        names = list(expand(sh["sources"]))
        starts = iter(names)
        for r in range(t["input_ids"].shape[0]):
            for s, e, p0 in documents(t, r):
                source = names[r] if "document_ids" not in t else (source if p0 else next(starts))
                print(sh["path"], r, source, s, e, "continues" if p0 else "starts",
                      t["input_ids"][r][s:e][:8].tolist())
