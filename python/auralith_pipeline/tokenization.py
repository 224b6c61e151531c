"""BPETokenizer: the original's text tokenizer API on libauralith's tokenizer.

Ids are those of the C library, which are the original's (same vocab.json /
merges.txt / config.json directories, max_merge_depth, NFC, Python \\w/\\s semantics,
byte fallback). Encoding runs in C with the GIL released; encode_batch spreads a list
of texts over threads.

    tok = BPETokenizer.load("tokenizers/text")
    ids = tok.encode("hello world")                 # [2, ..., 3]
    batch = tok.encode_batch(texts, num_threads=4)  # list of lists
    text = tok.decode(ids)

A tokenizer keeps the three files it was loaded or trained from, and save() writes
exactly those, so a saved tokenizer loads back to the same ids in this package, the C
commands and the original.
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Iterable, List, Optional, Sequence, Union

from . import _core

_FILES = ("vocab.json", "merges.txt", "config.json")

Text = Union[str, bytes]

# The original's legacy names, vocab entries sharing the ids of <IMG> .. <VIDEO_END>.
_ALIASES = {"<image_start>": 4, "<image_end>": 5, "<audio_start>": 6, "<audio_end>": 7,
            "<video_start>": 8, "<video_end>": 9}


class _ClassOrInstanceMethod:
    """load() works as BPETokenizer.load(path) (returns a new tokenizer) and as
    tok.load(path) (loads into tok and returns it), as both styles appear in use."""

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, obj, cls):
        def bound(*args, **kwargs):
            return self.fn(obj if obj is not None else cls(), *args, **kwargs)

        bound.__doc__ = self.fn.__doc__
        return bound


class BPETokenizer:
    """The original's BPETokenizer (special ids 0-15, byte tokens 16-271, learned
    tokens from 272, "</w>" word end)."""

    PAD, UNK, BOS, EOS = 0, 1, 2, 3
    BYTE_TOKEN_OFFSET = 16
    WORD_END = "</w>"
    MODALITY_TEXT, MODALITY_IMAGE, MODALITY_AUDIO, MODALITY_VIDEO, MODALITY_CODE = 0, 1, 2, 3, 4
    SPECIAL_TOKENS = {
        "<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "<IMG>": 4, "<IMG_END>": 5,
        "<AUDIO>": 6, "<AUDIO_END>": 7, "<VIDEO>": 8, "<VIDEO_END>": 9, "<FUSE>": 10,
        "<SEP>": 11, "<MASK>": 12, "<CODE>": 13, "<CODE_END>": 14, "<THINK>": 15,
    }

    def __init__(self, vocab_size: int = 32000, min_frequency: int = 2, max_merge_depth: int = 50,
                 lowercase: bool = False):
        self.vocab_size = vocab_size
        self.min_frequency = min_frequency
        self.max_merge_depth = max_merge_depth
        self.lowercase = lowercase
        self._tok: Optional[_core.Tokenizer] = None
        self._files: Optional[dict] = None
        self._vocab: Optional[dict] = None

    # ---- building -------------------------------------------------------------------

    def _load_dir(self, path: str) -> None:
        """Loads a text tokenizer directory (or a tokenizers root holding text/)."""
        root = os.fspath(path)
        if not os.path.exists(os.path.join(root, "vocab.json")) and os.path.isdir(os.path.join(root, "text")):
            root = os.path.join(root, "text")
        tok = _core.Tokenizer(root)  # validates everything; raises TokenizerError
        files = {}
        for name in _FILES:
            with open(os.path.join(root, name), "rb") as f:
                files[name] = f.read()
        cfg = json.loads(files["config.json"])
        self._tok, self._files, self._vocab = tok, files, None
        self.vocab_size = cfg.get("vocab_size", self.vocab_size)
        self.min_frequency = cfg.get("min_frequency", self.min_frequency)
        self.max_merge_depth = cfg.get("max_merge_depth", self.max_merge_depth)
        self.lowercase = bool(cfg.get("lowercase", self.lowercase))

    @_ClassOrInstanceMethod
    def load(self, path: Union[str, os.PathLike]) -> "BPETokenizer":
        """Loads vocab.json, merges.txt and config.json from path (a text tokenizer
        directory, or a tokenizers directory holding text/)."""
        self._load_dir(os.fspath(path))
        return self

    def train(self, corpus: str) -> None:
        """Trains on corpus exactly as the original's train(), replacing any loaded
        vocabulary."""
        with tempfile.TemporaryDirectory(prefix="auralith-bpe-") as tmp:
            _core.train(corpus, tmp, self.vocab_size, self.min_frequency, self.max_merge_depth, self.lowercase)
            self._load_dir(tmp)

    def train_from_file(self, path: Union[str, os.PathLike]) -> None:
        with open(path, encoding="utf-8") as f:
            self.train(f.read())

    def train_from_files(self, paths: Iterable[Union[str, os.PathLike]], max_size: Optional[int] = None) -> None:
        """Reads the files in order, stopping once max_size characters are read,
        joins them with newlines and trains on (at most) max_size characters."""
        texts: List[str] = []
        total = 0
        for p in paths:
            with open(p, encoding="utf-8") as f:
                t = f.read()
            texts.append(t)
            total += len(t)
            if max_size is not None and total >= max_size:
                break
        corpus = "\n".join(texts)
        if max_size is not None:
            corpus = corpus[:max_size]
        self.train(corpus)

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes vocab.json, merges.txt and config.json into path (created if needed)."""
        files = self._require()._files_checked()
        os.makedirs(path, exist_ok=True)
        for name in _FILES:
            tmp = os.path.join(path, name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(files[name])
            os.replace(tmp, os.path.join(path, name))

    def _files_checked(self) -> dict:
        assert self._files is not None
        return self._files

    def _require(self) -> "BPETokenizer":
        if self._tok is None:
            self._init_untrained()
        return self

    def _init_untrained(self) -> None:
        """The original's untrained tokenizer: specials, the 6 legacy aliases and the
        256 byte tokens (278 entries), no merges, so every character falls back to
        bytes and even "</w>" is emitted as the bytes of '<', '/', 'w', '>'."""
        vocab = dict(self.SPECIAL_TOKENS)
        vocab.update(_ALIASES)
        for b in range(256):
            vocab[f"<byte_{b:02x}>"] = self.BYTE_TOKEN_OFFSET + b
        config = {
            "vocab_size": self.vocab_size, "min_frequency": self.min_frequency,
            "max_merge_depth": self.max_merge_depth, "lowercase": self.lowercase,
            "special_tokens": dict(self.SPECIAL_TOKENS), "word_end_marker": self.WORD_END,
        }
        with tempfile.TemporaryDirectory(prefix="auralith-bpe-") as tmp:
            for name, text in (("vocab.json", json.dumps(vocab, ensure_ascii=False, indent=2)),
                               ("merges.txt", ""),
                               ("config.json", json.dumps(config, ensure_ascii=False, indent=2))):
                with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                    f.write(text)
            self._load_dir(tmp)

    # ---- using ----------------------------------------------------------------------

    def encode(self, text: Text, add_special_tokens: bool = True, max_length: Optional[int] = None) -> List[int]:
        """The original's encode: NFC, whitespace normalisation, words, merges up to
        max_merge_depth, byte fallback, <bos>/<eos>, then ids[:max_length]."""
        return self._require()._tok.encode(text, add_special_tokens, max_length)

    def encode_batch(self, texts: Sequence[Text], add_special_tokens: bool = True,
                     max_length: Optional[int] = None, num_threads: Optional[int] = None,
                     return_numpy: bool = False):
        """Encodes every text on num_threads threads (default: the CPU count) with the
        GIL released. Returns a list of id lists, or with return_numpy=True a list of
        read-only int32 NumPy arrays, each a view of its text's ids as the C library
        wrote them (no copy, no per-id Python objects)."""
        tok = self._require()._tok
        if not return_numpy:
            return tok.encode_batch(texts, add_special_tokens, max_length, num_threads)
        import numpy as np

        # one buffer per text, owned by the C library: views, nothing copied
        return [np.frombuffer(b, dtype=np.int32) for b in
                tok.encode_batch(texts, add_special_tokens, max_length, num_threads, True)]

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        """The original's decode: unknown ids dropped, "</w>" to space, whitespace
        collapsed, byte tokens as their literal text."""
        if not isinstance(ids, (list, tuple)):
            ids = [int(i) for i in ids]
        return self._require()._tok.decode(ids, skip_special_tokens)

    def token_to_id(self, token: str) -> Optional[int]:
        return self._require()._tok.token_id(token)

    @property
    def vocab(self) -> dict:
        """token -> id, as in vocab.json (aliases included)."""
        if self._vocab is None:
            self._vocab = json.loads(self._require()._files_checked()["vocab.json"])
        return self._vocab

    @property
    def merge_rules(self) -> List[tuple]:
        text = self._require()._files_checked()["merges.txt"].decode("utf-8")
        rules = []
        for line in text.splitlines():
            line = line.strip()
            if line:
                a, b = line.split(" ", 1)
                rules.append((a, b))
        return rules

    def get_vocab_size(self) -> int:
        """Entries in the vocabulary (the 6 legacy aliases count, as in the original)."""
        return self._require()._tok.info()["vocab_len"]

    def __len__(self) -> int:
        return self.get_vocab_size()

    def __repr__(self) -> str:
        if self._tok is None:
            return f"BPETokenizer(vocab_size={self.vocab_size}, untrained)"
        i = self._tok.info()
        return (f"BPETokenizer(vocab={i['vocab_len']}, merges={i['merges']}, "
                f"max_merge_depth={i['max_merge_depth']}, lowercase={i['lowercase']})")


def load(path: Union[str, os.PathLike]) -> BPETokenizer:
    """Shorthand for BPETokenizer.load(path)."""
    return BPETokenizer.load(path)


__all__ = ["BPETokenizer", "load"]
