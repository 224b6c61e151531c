"""Reading a pipeline output directory in a training loop.

    from auralith_pipeline.shards import ShardReader
    reader = ShardReader("shards/")             # reads shards/index.json
    for row in reader:                          # dict of NumPy arrays, one row each
        row["input_ids"], row["targets"], row["attention_mask"], row["modality_mask"]
    reader.verify()                             # sha256 and size of every shard

Shards are SafeTensors files (docs/FORMAT.md of the project, the original's layout):
tensors input_ids (int32), targets (int32), attention_mask (uint8), modality_mask
(uint8), each shaped (samples, max_seq_len). Each shard is memory-mapped and rows are
views into the mapping: nothing copies a whole shard, and pages are read only when a
row is touched. At most MAX_OPEN_SHARDS mappings are kept open (least recently used
closed first; rows already handed out stay valid).

With PyTorch importable, ShardDataset (map-style) and ShardIterableDataset (split by
distributed rank/world size and DataLoader worker) wrap the reader.
"""
from __future__ import annotations

import collections
import hashlib
import json
import mmap
import os
import struct
import threading
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Union

import numpy as np

from . import AuralithError

INDEX_NAME = "index.json"
TENSORS = ("input_ids", "targets", "attention_mask", "modality_mask")
MAX_OPEN_SHARDS = 64
# Bounds on what a header may claim before we trust it (SafeTensors caps it at 100 MB).
MAX_HEADER_BYTES = 100 * 1024 * 1024
_DTYPES = {"I32": np.dtype("<i4"), "U8": np.dtype("u1"), "I64": np.dtype("<i8"), "F32": np.dtype("<f4"),
           "I16": np.dtype("<i2"), "U16": np.dtype("<u2"), "I8": np.dtype("i1"), "BOOL": np.dtype("?"),
           "F16": np.dtype("<f2"), "F64": np.dtype("<f8"), "U32": np.dtype("<u4"), "U64": np.dtype("<u8")}


class ShardError(AuralithError, ValueError):
    """A shard or index.json is malformed; the message names the file and what is wrong."""


class ShardIntegrityError(ShardError):
    """A shard's size or sha256 differs from index.json."""


@dataclass(frozen=True)
class ShardInfo:
    """One entry of index.json's "shards"."""
    path: str            # absolute path of the file
    rel_path: str        # as listed (relative to the output directory)
    samples: int
    tokens: int
    bytes: int
    sha256: str
    sources: List[str] = field(default_factory=list)


def _need(obj: dict, key: str, kind, where: str):
    if key not in obj:
        raise ShardError(f"{where}: missing field '{key}'")
    v = obj[key]
    if not isinstance(v, kind) or isinstance(v, bool) and kind is not bool:
        raise ShardError(f"{where}: field '{key}' has the wrong type ({type(v).__name__})")
    return v


class ShardIndex:
    """An output directory's index.json: job, parameters, totals, shards, skipped files."""

    def __init__(self, output_dir: Union[str, os.PathLike]):
        self.output_dir = os.path.abspath(os.fspath(output_dir))
        self.path = os.path.join(self.output_dir, INDEX_NAME)
        try:
            with open(self.path, "rb") as f:
                doc = json.loads(f.read())
        except FileNotFoundError:
            raise ShardError(f"{self.path}: no index.json (is this a finished job's output directory?)") from None
        except (OSError, ValueError) as e:
            raise ShardError(f"{self.path}: cannot read: {e}") from None
        if not isinstance(doc, dict) or doc.get("format") != "auralith-index":
            raise ShardError(f"{self.path}: not an auralith index (field 'format' is not 'auralith-index')")
        self.raw = doc
        self.job_id = doc.get("job_id")
        self.job_name = doc.get("job_name")
        self.status = doc.get("status")
        self.max_seq_len = _need(doc, "max_seq_len", int, self.path)
        self.shard_size = doc.get("shard_size")
        self.totals = doc.get("totals", {})
        self.skip_reasons = doc.get("skip_reasons", {})
        self.skipped = doc.get("skipped", [])
        shards = []
        for i, s in enumerate(_need(doc, "shards", list, self.path)):
            where = f"{self.path}: shards[{i}]"
            if not isinstance(s, dict):
                raise ShardError(f"{where}: not an object")
            rel = _need(s, "path", str, where)
            full = rel if os.path.isabs(rel) else os.path.join(self.output_dir, rel)
            shards.append(ShardInfo(full, rel, _need(s, "samples", int, where), s.get("tokens", 0),
                                    _need(s, "bytes", int, where), _need(s, "sha256", str, where),
                                    list(s.get("sources", []))))
        self.shards: List[ShardInfo] = shards

    @property
    def total_samples(self) -> int:
        return sum(s.samples for s in self.shards)

    def __repr__(self) -> str:
        return (f"ShardIndex({self.output_dir!r}, job={self.job_id}, status={self.status}, "
                f"shards={len(self.shards)}, samples={self.total_samples})")


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


class Shard:
    """One memory-mapped SafeTensors shard. tensors[name] is a read-only NumPy array
    over the mapping, shaped as stored."""

    def __init__(self, path: Union[str, os.PathLike]):
        self.path = os.fspath(path)
        with open(self.path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 8:
                raise ShardError(f"{self.path}: {size} bytes, shorter than the 8-byte header length")
            self._mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        (hlen,) = struct.unpack_from("<Q", self._mm, 0)
        if hlen > MAX_HEADER_BYTES or 8 + hlen > size:
            raise ShardError(f"{self.path}: header length {hlen} does not fit the file ({size} bytes)")
        try:
            header = json.loads(self._mm[8:8 + hlen])
        except ValueError as e:
            raise ShardError(f"{self.path}: header is not JSON: {e}") from None
        if not isinstance(header, dict):
            raise ShardError(f"{self.path}: header is not a JSON object")
        self.metadata: Dict[str, str] = header.pop("__metadata__", {}) or {}
        base = 8 + hlen
        self.tensors: Dict[str, np.ndarray] = {}
        for name, t in header.items():
            where = f"{self.path}: tensor '{name}'"
            if not isinstance(t, dict):
                raise ShardError(f"{where}: not an object")
            dtype = _DTYPES.get(_need(t, "dtype", str, where))
            if dtype is None:
                raise ShardError(f"{where}: unknown dtype '{t['dtype']}'")
            shape = _need(t, "shape", list, where)
            offs = _need(t, "data_offsets", list, where)
            if len(offs) != 2 or not all(isinstance(x, int) and x >= 0 for x in offs + shape):
                raise ShardError(f"{where}: bad shape or data_offsets")
            start, end = offs
            count = int(np.prod(shape)) if shape else 1
            if end < start or end - start != count * dtype.itemsize or base + end > size:
                raise ShardError(f"{where}: data_offsets {offs} do not match shape {shape} "
                                 f"({dtype.name}) within the file ({size} bytes)")
            arr = np.frombuffer(self._mm, dtype=dtype, count=count, offset=base + start)
            self.tensors[name] = arr.reshape(shape)
        missing = [n for n in TENSORS if n not in self.tensors]
        if missing:
            raise ShardError(f"{self.path}: not a pipeline shard, missing tensor(s) {', '.join(missing)}")
        self.samples = int(self.tensors["input_ids"].shape[0])
        for n in TENSORS:
            if self.tensors[n].ndim != 2 or self.tensors[n].shape != self.tensors["input_ids"].shape:
                raise ShardError(f"{self.path}: tensor '{n}' shape {list(self.tensors[n].shape)} differs "
                                 f"from input_ids {list(self.tensors['input_ids'].shape)}")

    def __len__(self) -> int:
        return self.samples

    def row(self, i: int, columns: Sequence[str] = TENSORS) -> Dict[str, np.ndarray]:
        """Row i as views (no copy) of the requested tensors."""
        if not 0 <= i < self.samples:
            raise IndexError(f"row {i} out of range for {self.path} ({self.samples} rows)")
        return {c: self.tensors[c][i] for c in columns}


class ShardReader:
    """Every row of an output directory, in index.json order (shards sorted by path,
    rows in file order). len() is the number of rows; reader[i] is row i."""

    def __init__(self, output_dir: Union[str, os.PathLike], verify: bool = False,
                 columns: Sequence[str] = TENSORS):
        bad = [c for c in columns if c not in TENSORS]
        if bad:
            raise ValueError(f"unknown column(s) {bad}; columns are {list(TENSORS)}")
        self.index = ShardIndex(output_dir)
        self.columns = tuple(columns)
        self._starts = np.cumsum([0] + [s.samples for s in self.index.shards]).tolist()
        self._open: "collections.OrderedDict[int, Shard]" = collections.OrderedDict()
        self._lock = threading.Lock()
        if verify:
            self.verify()

    def __len__(self) -> int:
        return self._starts[-1]

    @property
    def shards(self) -> List[ShardInfo]:
        return self.index.shards

    def shard(self, k: int) -> Shard:
        """Shard k of the index, mapped (and checked against its row count)."""
        with self._lock:
            s = self._open.get(k)
            if s is not None:
                self._open.move_to_end(k)
                return s
        info = self.index.shards[k]
        s = Shard(info.path)
        if s.samples != info.samples:
            raise ShardError(f"{info.path}: {s.samples} rows, index.json says {info.samples}")
        if s.tensors["input_ids"].shape[1] != self.index.max_seq_len:
            raise ShardError(f"{info.path}: rows of {s.tensors['input_ids'].shape[1]} ids, index.json says "
                             f"max_seq_len {self.index.max_seq_len}")
        with self._lock:
            self._open[k] = s
            while len(self._open) > MAX_OPEN_SHARDS:
                self._open.popitem(last=False)
        return s

    def locate(self, i: int):
        """(shard number, row within it) of global row i."""
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"row {i} out of range ({n} rows)")
        k = int(np.searchsorted(self._starts, i, side="right")) - 1
        return k, i - self._starts[k]

    def __getitem__(self, i: int) -> Dict[str, np.ndarray]:
        k, r = self.locate(i)
        return self.shard(k).row(r, self.columns)

    def rows(self, start: int = 0, stop: Optional[int] = None) -> Iterator[Dict[str, np.ndarray]]:
        """Rows start..stop-1 in order, walking shards sequentially."""
        stop = len(self) if stop is None else min(stop, len(self))
        i = start
        while i < stop:
            k, r = self.locate(i)
            s = self.shard(k)
            t = [s.tensors[c] for c in self.columns]
            end = min(stop - i + r, s.samples)
            for j in range(r, end):
                yield {c: a[j] for c, a in zip(self.columns, t)}
            i += end - r

    def __iter__(self) -> Iterator[Dict[str, np.ndarray]]:
        return self.rows()

    def verify(self) -> None:
        """Checks every shard's size and sha256 against index.json; raises
        ShardIntegrityError naming the first file that differs."""
        for info in self.index.shards:
            verify_shard(info)


def verify_shard(info: ShardInfo) -> None:
    try:
        size = os.path.getsize(info.path)
    except OSError as e:
        raise ShardIntegrityError(f"{info.path}: listed in index.json but cannot be read: {e.strerror}") from None
    if size != info.bytes:
        raise ShardIntegrityError(f"{info.path}: {size} bytes, index.json says {info.bytes}")
    got = sha256_file(info.path)
    if got != info.sha256:
        raise ShardIntegrityError(f"{info.path}: sha256 {got}, index.json says {info.sha256}")


def partition(total: int, rank: int = 0, world_size: int = 1, worker_id: int = 0, num_workers: int = 1) -> range:
    """The contiguous rows of [0, total) that one (rank, worker) reads: the range is cut
    into world_size * num_workers parts as equal as possible, part rank*num_workers +
    worker_id. Every row belongs to exactly one part."""
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} is not in [0, world_size={world_size})")
    if num_workers < 1 or not 0 <= worker_id < num_workers:
        raise ValueError(f"worker_id {worker_id} is not in [0, num_workers={num_workers})")
    parts = world_size * num_workers
    part = rank * num_workers + worker_id
    base, extra = divmod(total, parts)
    start = part * base + min(part, extra)
    return range(start, start + base + (1 if part < extra else 0))


try:  # PyTorch is optional: Debian ships it as python3-torch.
    import torch as _torch
    from torch.utils.data import Dataset as _Dataset, IterableDataset as _IterableDataset
except ImportError:  # pragma: no cover - depends on the machine
    _torch = None
    _Dataset = object
    _IterableDataset = object

HAVE_TORCH = _torch is not None


def _convert(row: Dict[str, np.ndarray], as_tensors: bool):
    if not as_tensors or _torch is None:
        return row
    # The mapping is read-only; a row is small, so it is copied into a tensor the
    # training loop may modify.
    return {k: _torch.from_numpy(np.array(v)) for k, v in row.items()}


class ShardDataset(_Dataset):
    """Map-style dataset over every row of an output directory (torch.utils.data.Dataset
    when PyTorch is importable). Items are dicts of tensors (NumPy arrays without torch
    or with as_tensors=False)."""

    def __init__(self, output_dir, verify: bool = False, columns: Sequence[str] = TENSORS, as_tensors: bool = True):
        self.reader = ShardReader(output_dir, verify=verify, columns=columns)
        self.as_tensors = as_tensors

    def __len__(self) -> int:
        return len(self.reader)

    def __getitem__(self, i: int):
        return _convert(self.reader[i], self.as_tensors)


class ShardIterableDataset(_IterableDataset):
    """Iterable dataset that reads each row once across a distributed job and its
    DataLoader workers: rank and world_size default to torch.distributed's when it is
    initialised (else 0 and 1), the worker id and count come from the DataLoader."""

    def __init__(self, output_dir, rank: Optional[int] = None, world_size: Optional[int] = None,
                 verify: bool = False, columns: Sequence[str] = TENSORS, as_tensors: bool = True):
        self.output_dir = os.fspath(output_dir)
        self.reader = ShardReader(output_dir, verify=verify, columns=columns)
        self.rank, self.world_size = rank, world_size
        self.as_tensors = as_tensors

    def _placement(self):
        rank, world = self.rank, self.world_size
        if rank is None or world is None:
            dist = getattr(_torch, "distributed", None) if _torch is not None else None
            if dist is not None and dist.is_available() and dist.is_initialized():
                rank = dist.get_rank() if rank is None else rank
                world = dist.get_world_size() if world is None else world
        rank = 0 if rank is None else rank
        world = 1 if world is None else world
        wid, nworkers = 0, 1
        if _torch is not None:
            info = _torch.utils.data.get_worker_info()
            if info is not None:
                wid, nworkers = info.id, info.num_workers
        return rank, world, wid, nworkers

    def rows_for(self, rank: int, world_size: int, worker_id: int = 0, num_workers: int = 1) -> range:
        return partition(len(self.reader), rank, world_size, worker_id, num_workers)

    def __iter__(self):
        r = self.rows_for(*self._placement())
        for row in self.reader.rows(r.start, r.stop):
            yield _convert(row, self.as_tensors)

    def __len__(self) -> int:
        rank, world, _, _ = self._placement()
        return len(partition(len(self.reader), rank, world))


__all__ = ["ShardIndex", "ShardInfo", "Shard", "ShardReader", "ShardDataset", "ShardIterableDataset",
           "ShardError", "ShardIntegrityError", "partition", "verify_shard", "sha256_file", "HAVE_TORCH",
           "TENSORS"]
