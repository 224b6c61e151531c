#!/usr/bin/env python3
"""Python package throughput, against the C library on the same input.

    PY=build/pyenv/bin/python   # a Python with auralith_pipeline installed (scripts/python.sh)
    $PY bench/python_bench.py --tokenizer examples/tokenizers/text --corpus FILE [--threads 1,2] [--repeat 5]

1. encode_batch: the corpus is read as the pipeline reads files (UTF-8 with
   replacement, universal newlines). The C figure is build/bench/bench_tokenize on the
   file with N threads: the text cut at whitespace into N contiguous parts, one per
   thread, best of --repeat. The Python figure is BPETokenizer.encode_batch on the same
   N parts with num_threads=N, best of --repeat: the same work through the extension.
   Both as wall-clock MB/s and as MB per CPU-second (thread CPU time for C, process CPU
   time of the call for Python), which is the fair figure on a shared, loaded machine.
   Python returns int32 NumPy arrays (return_numpy=True) or lists of ints (the
   original's type: one Python int object per id, which costs more than encoding).
   A third figure encodes the corpus as documents of about --doc-kib KiB.
2. shard dataset: the documents are written as files, the embedded pipeline writes
   shards (max_seq_len --seq, shard_size 1000), and rows are read back through
   ShardReader (NumPy views) and ShardIterableDataset (as_tensors=False), touching every
   id (sum) so pages are really read. Best of --repeat, page cache warm.
Prints Markdown table rows.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

from auralith_pipeline.distributed import DistributedPipeline, JobConfig
from auralith_pipeline.shards import ShardIterableDataset, ShardReader
from auralith_pipeline.tokenization import BPETokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def split_docs(text, kib):
    docs, i, n = [], 0, len(text)
    step = kib * 1024
    while i < n:
        j = min(n, i + step)
        while j < n and not text[j].isspace():
            j += 1
        docs.append(text[i:j])
        i = j
    return docs


def split_parts(text, n):
    """n contiguous parts cut at whitespace, as bench_tokenize splits its input."""
    parts, start = [], 0
    for k in range(1, n):
        j = max(start, len(text) * k // n)
        while j < len(text) and not text[j].isspace():
            j += 1
        parts.append(text[start:j])
        start = j
    parts.append(text[start:])
    return parts


def best(fn, repeat):
    """(best wall seconds, best process CPU seconds) over repeat calls."""
    t = c = float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        t = min(t, time.perf_counter() - t0)
        c = min(c, time.process_time() - c0)
    return t, c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--doc-kib", type=int, default=16)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()

    with open(a.corpus, encoding="utf-8", errors="replace") as f:
        text = f.read()
    docs = split_docs(text, a.doc_kib)
    mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    tok = BPETokenizer.load(a.tokenizer)
    print(f"corpus {a.corpus}: {mb:.2f} MB, {len(docs)} documents of ~{a.doc_kib} KiB; tokenizer {tok!r}")
    print("| measurement | Python | C (bench_tokenize) | ratio |")
    print("|---|---|---|---|")
    for t in [int(x) for x in a.threads.split(",")]:
        line = subprocess.run([os.path.join(a.build, "bench", "bench_tokenize"), a.tokenizer, a.corpus, str(t),
                               str(a.repeat)], check=True, capture_output=True, text=True).stdout.strip()
        cols = [c.strip() for c in line.split("|")]
        c_wall, c_cpu = float(cols[5]), float(cols[7])  # total wall MB/s; MB per CPU-second per thread
        parts = split_parts(text, t)
        for label, numpy, work in (("numpy", True, parts), ("lists", False, parts),
                                   (f"numpy, {len(docs)} documents", True, docs),
                                   (f"lists, {len(docs)} documents", False, docs)):
            tok.encode_batch(work[:64], num_threads=t, return_numpy=numpy)  # warm the encoders
            wall, cpu = best(lambda: tok.encode_batch(work, num_threads=t, return_numpy=numpy), a.repeat)
            print(f"| encode_batch ({label}), {t} thread(s), MB/s wall | {mb / wall:.1f} | {c_wall:.1f} | "
                  f"{mb / wall / c_wall:.2f} |")
            print(f"| encode_batch ({label}), {t} thread(s), MB per CPU-second | {mb / cpu:.1f} | {c_cpu:.1f} | "
                  f"{mb / cpu / c_cpu:.2f} |")

    with tempfile.TemporaryDirectory(prefix="al-pybench-") as tmp:
        raw = os.path.join(tmp, "raw")
        os.makedirs(raw)
        for i, d in enumerate(docs):
            with open(os.path.join(raw, f"doc{i:06d}.txt"), "w", encoding="utf-8") as f:
                f.write(d)
        tokroot = os.path.join(tmp, "tok")
        tok.save(os.path.join(tokroot, "text"))
        out = os.path.join(tmp, "out")
        r = DistributedPipeline(JobConfig(), embedded=True, num_workers=2).run(
            raw, out, tokroot, max_seq_len=a.seq, shard_size=1000, files_per_task=100)
        assert r["status"] == "completed", r
        reader = ShardReader(out)
        rows = len(reader)
        row_mb = rows * a.seq * 10 / 1e6  # 4 + 4 + 1 + 1 bytes per position

        def read_reader():
            s = 0
            for row in ShardReader(out):
                s += int(row["input_ids"].sum())
            return s

        def read_iterable():
            s = 0
            for row in ShardIterableDataset(out, as_tensors=False):
                s += int(row["input_ids"].sum())
            return s

        for label, fn in (("ShardReader", read_reader), ("ShardIterableDataset", read_iterable)):
            dt, _ = best(fn, a.repeat)
            print(f"| {label}: {rows} rows of {a.seq}, rows/s (MB/s of tensors) | {rows / dt:,.0f} "
                  f"({row_mb / dt:.0f}) | — | — |")


if __name__ == "__main__":
    sys.exit(main())
