#!/usr/bin/env python3
"""Generates the media benchmark inputs (stdlib + numpy only): tokenizers with the
original's default sizes (random codebooks: speed does not depend on their values),
224x224 PNGs, 10 s WAVs at 16 kHz and 44.1 kHz, and 64-frame 320x240 uncompressed AVIs."""
import json, os, struct, sys, wave, zlib
import numpy as np

out, n_img, n_aud, n_vid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
small = len(sys.argv) > 5 and sys.argv[5] == "small"  # smoke runs: tiny tokenizers and inputs
rng = np.random.default_rng(1234)

def tokenizer(name, cfg, k, dim):
    d = os.path.join(out, "tok", name)
    os.makedirs(d, exist_ok=True)
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"), indent=2)
    cb = rng.random((k, dim), dtype=np.float32).astype(np.float64)
    if name == "audio":
        cb = cb * -100
    json.dump({"codebook_size": k, "feature_dim": dim, "codebook": cb.tolist()}, open(os.path.join(d, "vq_codebook.json"), "w"))

S, K = (32, 16) if small else (224, 1024)
tokenizer("image", {"image_size": S, "patch_size": 16, "codebook_size": K, "channels": 3}, K, 768)
tokenizer("audio", {"sample_rate": 16000, "n_fft": 512, "hop_length": 256, "n_mels": 80, "codebook_size": K // 2, "patch_length": 16}, K // 2, 1280)
tokenizer("video", {"image_size": S, "patch_size": 16, "codebook_size": K, "channels": 3, "max_frames": 32, "temporal_stride": 1}, K, 768)

def png(path, img):
    h, w, _ = img.shape
    raw = b"".join(b"\0" + img[y].tobytes() for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))

def smooth_image(h, w):
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([np.sin(x / (7 + c) + y / (11 + c)) for c in range(3)], -1) * 100 + 128
    return np.clip(base + rng.normal(0, 8, (h, w, 3)), 0, 255).astype(np.uint8)

os.makedirs(os.path.join(out, "images"), exist_ok=True)
for i in range(n_img):
    png(os.path.join(out, "images", "img%04d.png" % i), smooth_image(S, S))

os.makedirs(os.path.join(out, "audio16k"), exist_ok=True)
os.makedirs(os.path.join(out, "audio44k"), exist_ok=True)
for i in range(n_aud):
    for rate, sub in ((16000, "audio16k"), (44100, "audio44k")):
        t = np.arange(rate * (1 if small else 10)) / rate
        s = 0.3 * np.sin(2 * np.pi * (220 + 30 * i) * t) + 0.05 * rng.normal(size=t.size)
        with wave.open(os.path.join(out, sub, "clip%03d.wav" % i), "wb") as wv:
            wv.setnchannels(1); wv.setsampwidth(2); wv.setframerate(rate)
            wv.writeframes((np.clip(s, -1, 1) * 32767).astype("<i2").tobytes())

def avi(path, frames, fps=25):
    n, h, w, _ = frames.shape
    size = w * h * 3
    movi = b"".join(b"00db" + struct.pack("<I", size) + f[::-1, :, ::-1].tobytes() for f in frames)
    avih = struct.pack("<IIIIIIIIII4I", 1000000 // fps, size * fps, 0, 0x10, n, 0, 1, size, w, h, 0, 0, 0, 0)
    strh = b"vids" + b"DIB " + struct.pack("<IHHIIIIIIIIhhhh", 0, 0, 0, 0, 1, fps, 0, n, size, 0xffffffff, 0, 0, 0, w, h)
    strf = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, size, 0, 0, 0, 0)
    def ck(t, d): return t + struct.pack("<I", len(d)) + d + (b"\0" if len(d) % 2 else b"")
    def lst(t, d): return b"LIST" + struct.pack("<I", len(d) + 4) + t + d
    idx = b"".join(b"00db" + struct.pack("<III", 0x10, 4 + i * (size + 8), size) for i in range(n))
    body = b"AVI " + lst(b"hdrl", ck(b"avih", avih) + lst(b"strl", ck(b"strh", strh) + ck(b"strf", strf))) + lst(b"movi", movi) + ck(b"idx1", idx)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)

os.makedirs(os.path.join(out, "videos"), exist_ok=True)
for i in range(n_vid):
    h, w = (48, 64) if small else (240, 320)
    avi(os.path.join(out, "videos", "vid%03d.avi" % i), np.stack([smooth_image(h, w) for _ in range(64)]))
