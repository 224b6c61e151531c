"""Reference counts and memory of the extension under repeated calls: arguments keep
their refcounts, and both Python-side allocations (tracemalloc) and the C heap (glibc
mallinfo2, every arena: what the library and the extension malloc) stay flat. The C
heap is measured rather than RSS because the kernel may back the encoders' word
caches with transparent huge pages at any time, which moves RSS by megabytes without
any allocation."""
import ctypes
import gc
import os
import sys
import tracemalloc

import pytest

from auralith_pipeline import NotFoundError, TokenizerError
from auralith_pipeline.distributed import DistributedClient, DistributedPipeline, JobConfig
from auralith_pipeline.tokenization import BPETokenizer
from conftest import DATA
from fleet import Fleet

TOKDIR = os.path.join(DATA, "text", "tok_full")
RAW = os.path.join(DATA, "pipeline", "raw")
TOK = os.path.join(DATA, "pipeline", "tokenizers")


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                               "fsmblks", "uordblks", "fordblks", "keepcost")]


_libc = ctypes.CDLL(None)
_libc.mallinfo2.restype = _Mallinfo2


def heap_kib() -> int:
    """Bytes in use in the C heap (all arenas, plus malloc's own mmapped blocks), KiB.
    A test-only look at glibc; the package itself uses no ctypes."""
    m = _libc.mallinfo2()
    return (m.uordblks + m.hblkhd) // 1024


def grows(fn, rounds=300, warm=30):
    """(Python bytes, C heap KiB) gained over `rounds` calls, measured after `warm` calls
    and a first window of `rounds` calls, when caches (the encoders' word caches, the
    allocator's arenas) have reached their steady size. A leak grows the heap in every
    window; a one-off step (a buffer reaching its working size) in one at most, so the
    C figure is the median of three windows. The heap is measured without tracemalloc
    running, whose own tables live in the C heap and grow with every traced object."""
    for _ in range(warm + rounds):
        fn()
    heap = []
    for _ in range(3):
        gc.collect()
        h0 = heap_kib()
        for _ in range(rounds):
            fn()
        gc.collect()
        heap.append(heap_kib() - h0)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(rounds):
        fn()
    gc.collect()
    py = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return py, sorted(heap)[1]


def test_tokenizer_calls_keep_refcounts_and_memory_flat():
    tok = BPETokenizer.load(TOKDIR)
    text = "Ünïcode text, the quick brown fox " * 8
    texts = [text, "hello world", b"bytes too"] * 6
    ids = tok.encode(text)
    # an id object from the tokenizer's int cache: lists built by other threads add
    # their references in bulk, so an imbalance would show here
    cached = tok.encode("hello world")[1]
    refs = (sys.getrefcount(text), sys.getrefcount(texts), sys.getrefcount(ids), [sys.getrefcount(t) for t in texts],
            sys.getrefcount(cached))

    def work():
        tok.encode(text)
        tok.encode(text, max_length=5)
        tok.encode_batch(texts, num_threads=2)
        tok.encode_batch(texts, num_threads=2, return_numpy=True)
        tok.decode(ids)
        try:
            tok.encode(3)
        except TypeError:
            pass

    py, rss = grows(work, rounds=100)
    assert refs == (sys.getrefcount(text), sys.getrefcount(texts), sys.getrefcount(ids),
                    [sys.getrefcount(t) for t in texts], sys.getrefcount(cached))
    assert py < 64 * 1024, f"Python memory grew by {py} bytes"
    assert rss < 256, f"C heap grew by {rss} KiB"


def test_loading_and_freeing_tokenizers_releases_memory(tmp_path):
    def work():
        t = BPETokenizer.load(TOKDIR)
        t.encode("warm the encoder pool once")
        try:
            BPETokenizer.load(tmp_path / "missing")
        except TokenizerError:
            pass

    py, rss = grows(work, rounds=30, warm=10)
    assert py < 64 * 1024 and rss < 256, (py, rss)


def test_client_calls_do_not_leak(tmp_path):
    fleet = Fleet(str(tmp_path), workers=1)
    try:
        with DistributedClient(fleet.address) as c:
            fleet.wait_workers(c, 1)
            r = DistributedPipeline(JobConfig(), coordinator=fleet.address).run(
                RAW, tmp_path / "o", TOK, max_seq_len=64, files_per_task=20)
            job_id = r["job_id"]
            refs = sys.getrefcount(job_id)

            def work():
                c.list_workers()
                c.get_job(job_id)
                c.get_metrics(job_id)
                c.list_jobs()
                try:
                    c.get_job("no-such-job")
                except NotFoundError:
                    pass

            py, rss = grows(work, rounds=100, warm=20)
            assert sys.getrefcount(job_id) == refs
            assert py < 64 * 1024 and rss < 256, (py, rss)
    finally:
        fleet.stop()


def test_repeated_embedded_runs_do_not_leak(tmp_path):
    n = [0]
    events = []

    def work():
        n[0] += 1
        events.clear()
        r = DistributedPipeline(JobConfig(), embedded=True, num_workers=1).run(
            os.path.join(RAW, "sub"), tmp_path / f"o{n[0]}", TOK, max_seq_len=64, progress=events.append)
        assert r["status"] == "completed"

    py, rss = grows(work, rounds=6, warm=3)
    assert py < 64 * 1024, f"Python memory grew by {py} bytes"
    assert rss < 256, f"C heap grew by {rss} KiB"
