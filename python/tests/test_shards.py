"""The shard reader against the C library's own view of the same files: every row
the reader yields equals what `auralith-pipeline inspect --sample N --json` prints."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from auralith_pipeline import shards
from auralith_pipeline.shards import (ShardDataset, ShardError, ShardIntegrityError, ShardIterableDataset,
                                      ShardReader, partition)
from conftest import DATA, PIPELINE, ROOT

SEQ = 64


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("shards") / "out"
    r = subprocess.run([PIPELINE, "submit-job", "--embedded", "-w", "2", "-c", os.path.join(ROOT, "configs", "embedded.yaml"),
                        "-i", os.path.join(DATA, "pipeline", "raw"), "-o", str(out),
                        "-t", os.path.join(DATA, "pipeline", "tokenizers"), "--max-seq-len", str(SEQ),
                        "--shard-size", "8", "--files-per-task", "10"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return out


def inspect_row(path, i):
    r = subprocess.run([PIPELINE, "inspect", path, "--sample", str(i), "--json"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_rows_equal_what_inspect_prints(out_dir):
    reader = ShardReader(out_dir)
    idx = reader.index
    assert len(reader) == idx.totals["samples"] == idx.total_samples > 0
    assert len(reader.shards) == idx.totals["shards"] > 1
    n = 0
    for k, info in enumerate(reader.shards):
        for r in range(info.samples):
            want = inspect_row(info.path, r)
            row = reader[n]
            ln = want["sample"]["length"]
            assert row["input_ids"].dtype == np.int32 and row["attention_mask"].dtype == np.uint8
            assert row["input_ids"].shape == (SEQ,)
            assert row["input_ids"][:ln].tolist() == want["sample"]["input_ids"]
            assert row["modality_mask"][:ln].tolist() == want["sample"]["modality_mask"]
            assert not row["input_ids"][ln:].any()
            assert row["attention_mask"].tolist() == [1] * ln + [0] * (SEQ - ln)
            assert row["targets"][:-1].tolist() == row["input_ids"][1:].tolist() and row["targets"][-1] == 0
            assert reader.locate(n) == (k, r)
            n += 1
    assert n == len(reader)
    # iteration walks the same rows in the same order, as views of the mapping
    rows = list(reader)
    assert len(rows) == n
    assert all((a["input_ids"] == reader[i]["input_ids"]).all() for i, a in enumerate(rows))
    assert not rows[0]["input_ids"].flags.writeable and not rows[0]["input_ids"].flags.owndata
    assert list(reader.rows(3, 5))[0]["input_ids"].tolist() == reader[3]["input_ids"].tolist()
    assert reader[-1]["input_ids"].tolist() == reader[n - 1]["input_ids"].tolist()
    with pytest.raises(IndexError):
        reader[n]


def test_verify_sha256(out_dir, tmp_path):
    ShardReader(out_dir, verify=True)
    copy = tmp_path / "copy"
    shutil.copytree(out_dir, copy)
    reader = ShardReader(copy)
    victim = reader.shards[1].path
    with open(victim, "r+b") as f:  # same size, one byte of tensor data changed
        f.seek(os.path.getsize(victim) - 1)
        b = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([b[0] ^ 1]))
    with pytest.raises(ShardIntegrityError, match=r"sha256 .* index.json says"):
        reader.verify()
    os.truncate(victim, 100)
    with pytest.raises(ShardIntegrityError, match="100 bytes, index.json says"):
        ShardReader(copy, verify=True)
    with pytest.raises(ShardError, match="header length|data_offsets"):
        ShardReader(copy)[reader._starts[1]]


def test_bad_directories(tmp_path):
    with pytest.raises(ShardError, match="no index.json"):
        ShardReader(tmp_path)
    (tmp_path / "index.json").write_text('{"format": "other"}')
    with pytest.raises(ShardError, match="not an auralith index"):
        ShardReader(tmp_path)
    (tmp_path / "index.json").write_text('{"format": "auralith-index", "max_seq_len": 8, "shards": [{"path": 3}]}')
    with pytest.raises(ShardError, match=r"shards\[0\]: field 'path' has the wrong type"):
        ShardReader(tmp_path)
    with pytest.raises(ValueError, match="unknown column"):
        ShardReader(tmp_path, columns=["labels"])


def test_partition_covers_every_row_once():
    for total in (0, 1, 7, 20, 101):
        for world in (1, 2, 3):
            for workers in (1, 2, 4):
                seen = []
                for rank in range(world):
                    for w in range(workers):
                        seen.extend(partition(total, rank, world, w, workers))
                assert seen == list(range(total)), (total, world, workers)
    with pytest.raises(ValueError):
        partition(10, 2, 2)


def test_iterable_dataset_by_rank_and_worker(out_dir):
    ds = ShardIterableDataset(out_dir, as_tensors=False)
    total = len(ds.reader)
    seen = []
    for rank in range(2):
        part = ShardIterableDataset(out_dir, rank=rank, world_size=2, as_tensors=False)
        got = [row["input_ids"].tolist() for row in part]
        assert len(got) == len(part)
        seen.extend(got)
    assert seen == [ds.reader[i]["input_ids"].tolist() for i in range(total)]
    m = ShardDataset(out_dir, as_tensors=False)
    assert len(m) == total and m[2]["input_ids"].tolist() == ds.reader[2]["input_ids"].tolist()


@pytest.mark.skipif(not shards.HAVE_TORCH, reason="PyTorch is not installed (Debian: python3-torch)")
def test_dataloader_two_workers_reads_every_row_once(out_dir):
    import torch
    from torch.utils.data import DataLoader

    ds = ShardIterableDataset(out_dir)
    rows = [b["input_ids"][0].tolist() for b in DataLoader(ds, batch_size=1, num_workers=2)]
    reader = ShardReader(out_dir)
    assert sorted(rows) == sorted(reader[i]["input_ids"].tolist() for i in range(len(reader)))
    assert len(rows) == len(reader)
    item = ShardDataset(out_dir)[0]
    assert isinstance(item["input_ids"], torch.Tensor) and item["input_ids"].dtype == torch.int32
