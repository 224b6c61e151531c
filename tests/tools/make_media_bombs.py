#!/usr/bin/env python3
"""Writes decompression bombs and one near-limit image into DIR, for test_media_bombs.sh.

Each bomb is small on disk (at most about 110 KB) and announces a canvas far beyond the
decoders' 40 M-pixel limit; the PNG and TIFF ones carry their whole zlib stream (every
row of a 30000x30000 image, 112 MB inflated), so they are what an attacker would send,
not just a forged header. near.png is a real 6000x6000 16-bit RGBA image (36 M pixels,
just under the limit, 288 MB decoded) that must be tokenized within the memory bound.

usage: make_media_bombs.py DIR JPEG    bombs (JPEG: a real baseline JPEG to enlarge)
       make_media_bombs.py --near DIR  near.png only
"""
import os
import struct
import sys
import zlib


def zeros_deflated(row_len, rows, prefix=b""):
    """zlib stream of `rows` rows of row_len zero bytes, each preceded by prefix."""
    c = zlib.compressobj(9)
    row = prefix + b"\0" * row_len
    parts = [c.compress(row) for _ in range(rows)]
    parts.append(c.flush())
    return b"".join(parts)


def png(path, w, h, depth, ctype, bits_per_px):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    idat = zeros_deflated((w * bits_per_px + 7) // 8, h, prefix=b"\0")  # filter byte 0 per row
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def tiff(path, w, h):
    """Little-endian bilevel TIFF, one Deflate-compressed strip of zeros."""
    data = zeros_deflated((w + 7) // 8 * h, 1)
    entries = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, 1), (259, 3, 1, 8), (262, 3, 1, 1),
               (273, 4, 1, 0), (277, 3, 1, 1), (278, 4, 1, h), (279, 4, 1, len(data))]
    ifd_off = 8
    data_off = ifd_off + 2 + 12 * len(entries) + 4
    ifd = struct.pack("<H", len(entries))
    for tag, typ, cnt, val in entries:
        if tag == 273:
            val = data_off
        ifd += struct.pack("<HHI", tag, typ, cnt) + (struct.pack("<HH", val, 0) if typ == 3 else struct.pack("<I", val))
    ifd += struct.pack("<I", 0)
    with open(path, "wb") as f:
        f.write(b"II*\0" + struct.pack("<I", ifd_off) + ifd + data)


def gif(path, w, h):
    """A 65535x65535 logical screen (libavcodec allocates it per frame) with one 1x1 image."""
    body = b"GIF89a" + struct.pack("<HHBBB", w, h, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    body += b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00" + b"\x3b"
    with open(path, "wb") as f:
        f.write(body)


def bmp(path, w, h):
    """8-bit RLE BMP: a few bytes of run-length data that would fill a w x h canvas."""
    palette = b"\0\0\0\0" * 256
    rle = b"\x00\x01"  # end of bitmap: the rest of the canvas is implicit
    off = 14 + 40 + len(palette)
    dib = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 8, 1, len(rle), 2835, 2835, 256, 0)
    with open(path, "wb") as f:
        f.write(b"BM" + struct.pack("<IHHI", off + len(rle), 0, 0, off) + dib + palette + rle)


def webp(path, w, h):
    """Lossless WebP (VP8L) header announcing w x h, then a few bytes of bitstream."""
    bits = (w - 1) | (h - 1) << 14  # alpha flag and version 0
    payload = b"\x2f" + struct.pack("<I", bits) + b"\0" * 16
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk)


def jpeg(path, src, w, h):
    """A real JPEG whose frame header (SOF0) now says w x h."""
    d = bytearray(open(src, "rb").read())
    i = d.find(b"\xff\xc0")
    if i < 0:
        sys.exit(f"{src}: no SOF0 marker")
    d[i + 5:i + 9] = struct.pack(">HH", h, w)
    with open(path, "wb") as f:
        f.write(bytes(d))


def main():
    if sys.argv[1] == "--near":
        png(os.path.join(sys.argv[2], "near.png"), 6000, 6000, 16, 6, 64)
        return
    out, src_jpeg = sys.argv[1], sys.argv[2]
    png(os.path.join(out, "bomb.png"), 30000, 30000, 1, 0, 1)
    tiff(os.path.join(out, "bomb.tiff"), 30000, 30000)
    gif(os.path.join(out, "bomb.gif"), 65535, 65535)
    bmp(os.path.join(out, "bomb.bmp"), 30000, 30000)
    webp(os.path.join(out, "bomb.webp"), 16384, 16384)
    jpeg(os.path.join(out, "bomb.jpg"), src_jpeg, 30000, 30000)


if __name__ == "__main__":
    main()
