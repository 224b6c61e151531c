#!/usr/bin/env bash
# Decompression bombs and damaged media, through `sample` and through a real job:
#  - PNG, TIFF, BMP, WebP and JPEG files of a few bytes to 110 KB announcing 30000x30000
#    (WebP 16384x16384) pixels are skipped with a reason naming the file and the size,
#    refused from their header: the process's peak RSS stays under BOMB_RSS_KB (decoding
#    any one of them would need 0.8-2.7 GB);
#  - a real 6000x6000 16-bit RGBA PNG, just under the 40 M-pixel limit, is tokenized with
#    a peak RSS under NEAR_RSS_KB (skipped under ASan, where it takes too long);
#  - truncated and corrupted copies of every decoder's inputs give exactly the outcome
#    the decoder's own rules give (a reason naming the file, or a row), never a crash;
#    containers too: GIF, Ogg Vorbis, MP4 and Matroska cut to 64 bytes and to 40%, and
#    with flipped bytes, next to their intact originals (the damaged GIFs are skipped
#    as truncated, the intact one is a row);
#  - a job over all of them completes, and the intact files' rows are in its shards,
#    equal to what `sample` prints for them;
#  - .npy arrays: a 20000x30000 image and a 2^23+1-sample waveform announced in a
#    header are refused from it; a real 5000x5000 RGB uint8 image .npy (75 MB) is
#    tokenized with a peak RSS under NPY_RSS_KB (its values are held as bytes, not
#    doubles: 600 MB; skipped under ASan).
source "$(dirname "$0")/lib.sh"
D="${AL_DATA_DIR:?}/pipeline"
TOK="$D/tokenizers"
T=$(mktemp -d "${TMPDIR:-/tmp}/al-media-bombs.XXXXXX")
trap 'rm -rf "$T"' EXIT
BOMB_RSS_KB=$((200 * 1024))
# AddressSanitizer's shadow memory and quarantine (freed blocks kept 256 MB deep) add
# to RSS; still far below the 0.8-2.7 GB a decoded bomb would take.
[ -n "${AL_ASAN:-}" ] && BOMB_RSS_KB=$((700 * 1024))
NEAR_RSS_KB=$((600 * 1024))
# libvorbis leaks its vorbis_info when libsndfile gives up on a cut or damaged Ogg Vorbis
# stream (inside the library, no handle of ours; fuzz/lsan.supp, docs/ARCHITECTURE.md).
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$AL_SOURCE_DIR/fuzz/lsan.supp"
NPY_RSS_KB=$((250 * 1024))

# npy FILE DESCR SHAPE [ROWS]: an .npy v1.0 header; with ROWS, that many rows of a
# repeating byte pattern (uint8 data, row length the product of the other dims).
npy() {
  python3 - "$@" <<'P'
import sys
path, descr, shape = sys.argv[1], sys.argv[2], sys.argv[3]
d = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
d += " " * ((64 - (10 + len(d) + 1) % 64) % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + len(d).to_bytes(2, "little") + d.encode())
    if len(sys.argv) > 4:
        dims = [int(x) for x in shape.strip("()").split(",") if x.strip()]
        row = bytes((x * 7 + 13) % 256 for x in range(dims[1] * dims[2]))
        for _ in range(int(sys.argv[4])):
            f.write(row)
P
}

# rss_run OUTFILE CMD...: runs CMD with stdout to OUTFILE; sets RC and RSS_KB (peak RSS).
rss_run() {
  local out="$1"
  shift
  RSS_KB=$(python3 -c '
import resource, subprocess, sys
with open(sys.argv[1], "wb") as o:
    rc = subprocess.run(sys.argv[2:], stdout=o).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$out" "$@")
  ERR="(stderr above)"
  RC=${RSS_KB% *}
  RSS_KB=${RSS_KB#* }
}

mkdir -p "$T/in" "$T/near"
python3 "$AL_SOURCE_DIR/tests/tools/make_media_bombs.py" "$T/in" "$D/raw/pic.jpg" || fail "make_media_bombs.py"
CHECKS=$((CHECKS + 1))
big=$(find "$T/in" -size +120k)
[ -z "$big" ] || fail "bomb files should be small: $big"

# Damaged copies of every decoder's inputs: the first 40%, and every 7th byte of the
# last two thirds flipped.
for f in photo.png pic.jpg pic.bmp scan.tiff anim.webp audio.wav voice_16k.flac song.mp3 clip.avi; do
  n=$(stat -c %s "$D/raw/$f")
  head -c $((n * 2 / 5)) "$D/raw/$f" > "$T/in/cut_$f"
  python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read())
for i in range(len(d) // 3, len(d), 7): d[i] ^= 0x5A
open(sys.argv[2], "wb").write(d)' "$D/raw/$f" "$T/in/bad_$f"
done
cp "$D/raw/photo.png" "$T/in/"
# .npy headers beyond the limits, without data (the pipeline classifies .npy by folder).
mkdir -p "$T/in/images" "$T/in/audio"
npy "$T/in/images/huge.npy" "|u1" "(30000, 20000, 3)"
npy "$T/in/audio/long.npy" "<f4" "(8388609,)"
# Containers: the first 64 bytes, the first 40% and flipped bytes, and the original.
for src in image/inputs/gif_32.gif audio/inputs/ogg_vorbis_8k.ogg video/inputs/mp4v_32_12f.mp4 \
           containers/clip_mp4v.mkv; do
  f=$(basename "$src")
  n=$(stat -c %s "$AL_DATA_DIR/$src")
  cp "$AL_DATA_DIR/$src" "$T/in/$f"
  head -c 64 "$AL_DATA_DIR/$src" > "$T/in/head_$f"
  head -c $((n * 2 / 5)) "$AL_DATA_DIR/$src" > "$T/in/cut_$f"
  python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read())
for i in range(len(d) // 3, len(d), 7): d[i] ^= 0x5A
open(sys.argv[2], "wb").write(d)' "$AL_DATA_DIR/$src" "$T/in/bad_$f"
done

# --- sample: one line per file, the reason names the file and the announced size.
rss_run "$T/sample.jsonl" "$BIN" sample -t "$TOK" --max-seq-len 8 $(find "$T/in" -type f | sort)
OUT=$(cat "$T/sample.jsonl")
expect_rc 0 "sample over bombs and damaged files"
for b in png tiff bmp jpg; do
  expect_out '{"file":"'"$T/in/bomb.$b"'","skipped":"'"$T/in/bomb.$b"': image of 30000x30000 pixels exceeds the limit of 40000000 pixels"}'
done
expect_out '{"file":"'"$T/in/bomb.webp"'","skipped":"'"$T/in/bomb.webp"': image of 16384x16384 pixels exceeds the limit of 40000000 pixels"}'
CHECKS=$((CHECKS + 1))
[ "$RSS_KB" -lt "$BOMB_RSS_KB" ] || fail "sample over bombs: peak RSS $RSS_KB KB >= $BOMB_RSS_KB KB"
# Damaged files: skipped with the decoder's reason, or decoded as the decoder reads them
# (BMP, TIFF and WAV hold raw samples with no checksum, so flipped bytes are just other
# pixels or samples; libsndfile and FFmpeg read a truncated WAV, FLAC or AVI up to the cut).
expect_out '"file":"'"$T/in/photo.png"'","modality":"image","input_ids":[4,100011,100012,100011,100001,100013,100011,100002]'
for c in "cut_photo.png: cannot decode png image" "bad_photo.png: cannot decode png image" \
         "cut_pic.jpg: image file is truncated" "bad_pic.jpg: corrupt JPEG" \
         "cut_pic.bmp: cannot decode bmp image" "cut_scan.tiff: cannot decode tiff image" \
         "cut_anim.webp: cannot decode webp image" "cut_song.mp3: cannot decode audio" \
         "bad_song.mp3: cannot decode audio"; do
  expect_out '","skipped":"'"$T/in/$c"
done
for c in bad_pic.bmp:image bad_scan.tiff:image bad_anim.webp:image cut_audio.wav:audio bad_audio.wav:audio \
         cut_voice_16k.flac:audio bad_voice_16k.flac:audio cut_clip.avi:video bad_clip.avi:video; do
  expect_out '{"file":"'"$T/in/${c%%:*}"'","modality":"'"${c#*:}"'","input_ids":['
done
# GIF (an image here, unclassified in the original): the intact file gives a row; a copy
# that ends before its image data does (the damaged copy's flipped byte is the data's
# terminator) is refused as Pillow refuses it, not decoded with made-up rows.
expect_out '{"file":"'"$T/in/gif_32.gif"'","modality":"image","input_ids":[4,'
for p in head_ cut_ bad_; do
  expect_out '{"file":"'"$T/in/${p}gif_32.gif"'","skipped":"'"$T/in/${p}gif_32.gif"': image file is truncated"}'
done
# Ogg: libsndfile refuses a cut or damaged Vorbis stream. MP4: the index (moov) is at the
# end, so no prefix opens. Matroska: 64 bytes do not open; the first 40% and the damaged
# copy decode the frames they hold (the 40% copy: the first two of the four sampled
# frames, whose codes are the intact file's).
for c in head_ogg_vorbis_8k.ogg cut_ogg_vorbis_8k.ogg bad_ogg_vorbis_8k.ogg; do
  expect_out '{"file":"'"$T/in/$c"'","skipped":"'"$T/in/$c"': cannot decode audio: '
done
for c in head_mp4v_32_12f.mp4 cut_mp4v_32_12f.mp4 bad_mp4v_32_12f.mp4 head_clip_mp4v.mkv; do
  expect_out '{"file":"'"$T/in/$c"'","skipped":"'"$T/in/$c"': ValueError: Cannot open video"}'
done
for c in ogg_vorbis_8k.ogg:audio mp4v_32_12f.mp4:video clip_mp4v.mkv:video bad_clip_mp4v.mkv:video; do
  expect_out '{"file":"'"$T/in/${c%%:*}"'","modality":"'"${c#*:}"'","input_ids":['
done
expect_out '{"file":"'"$T/in/images/huge.npy"'","skipped":"'"$T/in/images/huge.npy"': image of 20000x30000 pixels exceeds the limit of 40000000 pixels"}'
expect_out '{"file":"'"$T/in/audio/long.npy"'","skipped":"'"$T/in/audio/long.npy"': .npy array has more than 8388608 audio samples"}'
"$BIN" sample -t "$TOK" --max-seq-len 1000 "$T/in/clip_mp4v.mkv" "$T/in/cut_clip_mp4v.mkv" > "$T/mkv.jsonl"
CHECKS=$((CHECKS + 1))
msg=$(python3 - "$T/mkv.jsonl" <<'P'
import json, sys
full, cut = [json.loads(l)["input_ids"] for l in open(sys.argv[1])]
# <VIDEO> + 4 frames of 16 codes + <VIDEO_END>; the cut file: 2 frames, the same codes.
ok = len(full) == 66 and len(cut) == 34 and cut[:33] == full[:33] and cut[33] == full[65]
print("" if ok else f"full {len(full)} ids, cut {len(cut)}: {full} / {cut}")
P
)
[ -z "$msg" ] || fail "cut Matroska: $msg"
CHECKS=$((CHECKS + 1))
n=$(wc -l < "$T/sample.jsonl")
[ "$n" -eq "$(find "$T/in" -type f | wc -l)" ] || fail "sample printed $n lines: $OUT"

# --- a real job (embedded coordinator and two workers) over the same tree.
printf 'coordinator:\n  state_store_type: memory\n' > "$T/e.yaml"
rss_run "$T/job.out" "$BIN" submit-job --embedded -w 2 -c "$T/e.yaml" -i "$T/in" -o "$T/out" -t "$TOK" \
  --max-seq-len 64 --shard-size 8 --files-per-task 6
OUT=$(cat "$T/job.out")
expect_rc 0 "job over bombs and damaged files"
expect_out "Status:   completed"
expect_out "Samples:  16"
CHECKS=$((CHECKS + 1))
[ "$RSS_KB" -lt "$BOMB_RSS_KB" ] || fail "job over bombs: peak RSS $RSS_KB KB >= $BOMB_RSS_KB KB"
CHECKS=$((CHECKS + 1))
msg=$(python3 - "$T/out/index.json" "$T/in" <<'P'
import json, sys
d = json.load(open(sys.argv[1]))
skips = {s["path"]: s["reason"] for s in d["skipped"]}
want = {f"{sys.argv[2]}/bomb.{e}": "image of 30000x30000 pixels exceeds the limit of 40000000 pixels"
        for e in ("png", "tiff", "bmp", "jpg")}
want[f"{sys.argv[2]}/bomb.webp"] = "image of 16384x16384 pixels exceeds the limit of 40000000 pixels"
want[f"{sys.argv[2]}/cut_pic.jpg"] = "image file is truncated"
for p in ("head_", "cut_", "bad_"):
    want[f"{sys.argv[2]}/{p}gif_32.gif"] = "image file is truncated"
want[f"{sys.argv[2]}/cut_mp4v_32_12f.mp4"] = "ValueError: Cannot open video"
want[f"{sys.argv[2]}/head_clip_mp4v.mkv"] = "ValueError: Cannot open video"
want[f"{sys.argv[2]}/images/huge.npy"] = "image of 20000x30000 pixels exceeds the limit of 40000000 pixels"
want[f"{sys.argv[2]}/audio/long.npy"] = ".npy array has more than 8388608 audio samples"
bad = [f"{p}: {skips.get(p)!r} != {r!r}" for p, r in want.items() if skips.get(p) != r]
if f"{sys.argv[2]}/gif_32.gif" in skips: bad.append(f"gif_32.gif skipped: {skips[sys.argv[2] + '/gif_32.gif']}")
if len(skips) != 27: bad.append(f"{len(skips)} skipped, expected 27: {sorted(skips)}")
if d["totals"]["samples"] != 16: bad.append(f"totals {d['totals']}")
print("; ".join(bad))
P
)
[ -z "$msg" ] || fail "job index.json: $msg"
# The intact files' rows (and the decodable damaged Matroska's) are in the shards, as
# `sample` builds them.
"$BIN" sample -t "$TOK" --max-seq-len 64 "$T/in/photo.png" "$T/in/gif_32.gif" "$T/in/ogg_vorbis_8k.ogg" \
  "$T/in/mp4v_32_12f.mp4" "$T/in/clip_mp4v.mkv" "$T/in/cut_clip_mp4v.mkv" > "$T/good.jsonl"
CHECKS=$((CHECKS + 1))
msg=$(python3 - "$T/good.jsonl" "$T/out" <<'P'
import glob, json, struct, sys
rows = []
for f in glob.glob(sys.argv[2] + "/*/*.safetensors"):
    b = open(f, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    def tensor(name, fmt, size):
        t = h[name]
        lo, hi = t["data_offsets"]
        v = struct.unpack(f"<{(hi - lo) // size}{fmt}", b[8 + n + lo:8 + n + hi])
        w = t["shape"][1]
        return [list(v[i:i + w]) for i in range(0, len(v), w)]
    for ids, mask in zip(tensor("input_ids", "i", 4), tensor("attention_mask", "B", 1)):
        rows.append([i for i, m in zip(ids, mask) if m])
bad = []
for line in open(sys.argv[1]):
    s = json.loads(line)
    if "input_ids" not in s or s["input_ids"] not in rows:
        bad.append(f"{s['file']}: {s.get('input_ids', s.get('skipped'))} not among the {len(rows)} rows")
print("; ".join(bad))
P
)
[ -z "$msg" ] || fail "job rows: $msg"

# --- just under the pixel limit: decoded, resized and tokenized within the bound.
if [ -z "${AL_ASAN:-}" ]; then
  python3 "$AL_SOURCE_DIR/tests/tools/make_media_bombs.py" --near "$T/near" || fail "near.png"
  rss_run "$T/near.jsonl" "$BIN" sample -t "$TOK" --max-seq-len 4 "$T/near/near.png"
  OUT=$(cat "$T/near.jsonl")
  expect_rc 0 "near-limit image"
  expect_out '{"file":"'"$T/near/near.png"'","modality":"image","input_ids":[4,100007,100007,100007],"modality_mask":[1,1,1,1]}'
  CHECKS=$((CHECKS + 1))
  [ "$RSS_KB" -lt "$NEAR_RSS_KB" ] || fail "near-limit image: peak RSS $RSS_KB KB >= $NEAR_RSS_KB KB"
  mkdir -p "$T/near/images"
  npy "$T/near/images/big.npy" "|u1" "(5000, 5000, 3)" 5000
  rss_run "$T/npy.jsonl" "$BIN" sample -t "$TOK" --max-seq-len 6 "$T/near/images/big.npy"
  OUT=$(cat "$T/npy.jsonl")
  expect_rc 0 "5000x5000 .npy image"
  expect_out '{"file":"'"$T/near/images/big.npy"'","modality":"image","input_ids":[4,100012,100012,100012,100012,100012],"modality_mask":[1,1,1,1,1,1]}'
  CHECKS=$((CHECKS + 1))
  [ "$RSS_KB" -lt "$NPY_RSS_KB" ] || fail "5000x5000 .npy image: peak RSS $RSS_KB KB >= $NPY_RSS_KB KB"
fi
finish
