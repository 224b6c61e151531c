#!/usr/bin/env python3
"""The original's media tokenizers on the inputs of bench/media.sh, for the peer column.

    media_peer.py ORIGINAL_CHECKOUT WORK_DIR

ORIGINAL_CHECKOUT is a checkout of the original Python project (its src/ is put on the
path; the package's __init__ modules, which import the whole pipeline, are bypassed
so only the tokenizer modules and their own imports load: numpy, Pillow, scipy,
soundfile, and OpenCV for video). WORK_DIR is bench/work/media after bench/media.sh.
Prints one line per input set: name, files, wall seconds, CPU seconds."""
import glob, os, sys, time, types

src = os.path.join(sys.argv[1], "src")
work = sys.argv[2]
for pkg in ("auralith_pipeline", "auralith_pipeline.tokenization", "auralith_pipeline.sources"):
    m = types.ModuleType(pkg)
    m.__path__ = [os.path.join(src, *pkg.split("."))]
    sys.modules[pkg] = m
from auralith_pipeline.tokenization.multimodal_tokenizer import AudioTokenizer, ImageTokenizer  # noqa: E402
from auralith_pipeline.tokenization.video_tokenizer import VideoTokenizer  # noqa: E402

# data_sources is imported by sources/video.py for its VideoSource class only.
sets = [
    ("images", ImageTokenizer, "images/*.png"),
    ("audio16k", AudioTokenizer, "audio16k/*.wav"),
    ("audio44k", AudioTokenizer, "audio44k/*.wav"),
    ("videos", VideoTokenizer, "videos/*.avi"),
]
for name, cls, pattern in sets:
    tok = cls.load(os.path.join(work, "tok", {"images": "image", "videos": "video"}.get(name, "audio")))
    files = sorted(glob.glob(os.path.join(work, pattern)))
    w0, c0 = time.perf_counter(), time.process_time()
    n = sum(len(tok.encode(f)) for f in files)
    w1, c1 = time.perf_counter(), time.process_time()
    print(name, len(files), f"{w1 - w0:.3f}", f"{c1 - c0:.3f}", n, flush=True)
