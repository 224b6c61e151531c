"""BPETokenizer against the original's golden data (tests/data/text, copied from the
reference produced by running the original) and the original's own test vectors."""
import gc
import json
import os
import threading

import numpy as np
import pytest

from auralith_pipeline import TokenizerError
from auralith_pipeline.tokenization import BPETokenizer
from conftest import DATA

TEXT = os.path.join(DATA, "text")
TOKENIZERS = ("tok_depth50", "tok_full", "tok_lower")


def _cases(name):
    with open(os.path.join(TEXT, name), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="module")
def toks():
    return {name: BPETokenizer.load(os.path.join(TEXT, name)) for name in TOKENIZERS}


def test_encode_matches_every_golden_case(toks):
    cases = _cases("cases.jsonl") + _cases("diff_cases.jsonl")
    assert len(cases) > 1000
    for c in cases:
        got = toks[c["tokenizer"]].encode(c["text"], c["add_special_tokens"], c["max_length"])
        assert got == c["ids"], (c["tokenizer"], c.get("tag"), c["text"][:80])


def test_encode_batch_equals_encode_with_threads(toks):
    cases = [c for c in _cases("cases.jsonl") if c["tokenizer"] == "tok_full"]
    texts = [c["text"] for c in cases]
    for threads in (1, 2, 4):
        got = toks["tok_full"].encode_batch(texts, num_threads=threads)
        assert got == [toks["tok_full"].encode(t) for t in texts]
    arrays = toks["tok_full"].encode_batch(texts, return_numpy=True, num_threads=2)
    assert all(a.dtype == np.int32 for a in arrays)
    assert [a.tolist() for a in arrays] == [toks["tok_full"].encode(t) for t in texts]
    # bytes are read as UTF-8 with replacement, like a file
    assert toks["tok_full"].encode_batch([b"hello", "hello"]) == [toks["tok_full"].encode("hello")] * 2
    assert toks["tok_full"].encode_batch([]) == []
    assert toks["tok_full"].encode_batch([], return_numpy=True) == []


def test_encode_batch_arrays_own_their_ids(toks):
    # The NumPy results view buffers the C library filled: read-only, and valid after
    # the tokenizer and the batch's other results are gone.
    tok = BPETokenizer.load(os.path.join(TEXT, "tok_full"))
    texts = ["alpha beta gamma " * 50, "", "x", "delta, epsilon; zeta! " * 3000]
    want = [toks["tok_full"].encode(t) for t in texts]
    arrays = tok.encode_batch(texts, return_numpy=True, num_threads=2)
    first = arrays[3]
    del arrays, tok
    gc.collect()
    assert first.tolist() == want[3]
    assert not first.flags.writeable
    with pytest.raises(ValueError):
        first[0] = 1
    lists = toks["tok_full"].encode_batch(texts, num_threads=2)
    assert lists == want
    assert [len(x) for x in lists] == [len(w) for w in want]


def test_encode_batch_releases_the_gil(toks):
    # Another Python thread keeps running while a large batch encodes.
    tok = toks["tok_depth50"]
    texts = ["the quick brown fox jumps over the lazy dog " * 200] * 400
    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(1)

    t = threading.Thread(target=spin)
    t.start()
    try:
        tok.encode_batch(texts, num_threads=2)
    finally:
        stop.set()
        t.join()
    assert len(ticks) > 100


def test_decode_matches_golden_cases(toks):
    for c in _cases("decode_cases.jsonl"):
        assert toks[c["tokenizer"]].decode(c["ids"], c["skip_special_tokens"]) == c["text"], c.get("tag")
    # unknown and out-of-range ids are dropped, as the original's decode does
    assert toks["tok_full"].decode([2, 10 ** 12, -5, 3]) == ""


def test_original_vectors():
    # original-behaviour.md §14.6
    t = BPETokenizer(vocab_size=500, min_frequency=2)
    t.train("hello world test data " * 100)
    assert len(t.merge_rules) == 18 and t.merge_rules[:5] == [("h", "e"), ("he", "l"), ("hel", "l"),
                                                             ("hell", "o"), ("hello", "</w>")]
    assert t.get_vocab_size() == 307
    assert t.encode("hello world") == [2, 287, 292, 3]
    assert t.encode("Hello, world!") == [2, 88, 275, 277, 277, 278, 272, 60, 272, 292, 49, 272, 3]
    assert t.encode("cafe\u0301 data_1 x\u00a0y") == [2, 115, 273, 118, 211, 185, 272, 299, 111, 65, 272,
                                                       136, 272, 137, 272, 3]
    assert t.encode("") == [2, 3]
    assert t.encode("hello world test data", max_length=3) == [2, 287, 292]
    assert "hello" in t.decode(t.encode("hello world"))
    tie = BPETokenizer(min_frequency=1)
    tie.train("ab ba")
    assert tie.merge_rules == [("a", "b"), ("ab", "</w>"), ("b", "a"), ("ba", "</w>")]
    untrained = BPETokenizer()
    assert untrained.encode("hi") == [2, 120, 121, 76, 63, 135, 78, 3]
    assert untrained.get_vocab_size() == 278


@pytest.mark.parametrize("case", sorted(os.listdir(os.path.join(TEXT, "train_cases"))))
def test_train_from_files_matches_the_original(case, tmp_path):
    d = os.path.join(TEXT, "train_cases", case)
    with open(os.path.join(d, "params.json")) as f:
        p = json.load(f)
    t = BPETokenizer(p["vocab_size"], p["min_frequency"], p["max_merge_depth"], p["lowercase"])
    t.train_from_files([os.path.join(d, "corpus.txt")])
    t.save(tmp_path / "out")
    for name in ("vocab.json", "merges.txt", "config.json"):
        with open(os.path.join(d, "expected", name), "rb") as a, open(tmp_path / "out" / name, "rb") as b:
            assert a.read() == b.read(), (case, name)  # byte for byte, as the original wrote them


def test_train_from_files_max_size(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("hello " * 10)
    b.write_text("world " * 10)
    t1 = BPETokenizer(vocab_size=400, min_frequency=1)
    t1.train_from_files([a, b], max_size=30)
    t2 = BPETokenizer(vocab_size=400, min_frequency=1)
    t2.train(("hello " * 10)[:30])
    assert t1.merge_rules == t2.merge_rules


def test_save_load_roundtrip(tmp_path, toks):
    src = toks["tok_lower"]
    src.save(tmp_path / "t")
    again = BPETokenizer.load(tmp_path / "t")
    assert again.get_vocab_size() == src.get_vocab_size()
    assert again.merge_rules == src.merge_rules
    assert (again.vocab_size, again.max_merge_depth, again.lowercase) == (src.vocab_size, src.max_merge_depth, True)
    text = "Ünïcode Straße, HELLO data_1 world!"
    assert again.encode(text) == src.encode(text)
    # instance-style load, and a tokenizers root holding text/
    root = tmp_path / "root"
    src.save(root / "text")
    assert BPETokenizer().load(root).encode(text) == src.encode(text)


def test_errors_carry_the_c_message(tmp_path):
    with pytest.raises(TokenizerError) as e:
        BPETokenizer.load(tmp_path / "missing")
    assert "missing" in str(e.value)
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("vocab.json", "merges.txt", "config.json"):
        (bad / name).write_text("{}" if name != "merges.txt" else "")
    (bad / "vocab.json").write_text('{"a": ')
    with pytest.raises(TokenizerError) as e:
        BPETokenizer.load(bad)
    assert "vocab.json" in str(e.value)
    with pytest.raises(TypeError):
        BPETokenizer().encode(42)
    with pytest.raises(ValueError):
        BPETokenizer().encode_batch(["x"], num_threads=0)
