#!/usr/bin/env bash
# Decompression bombs and damaged media, through `sample` and through a real job:
#  - PNG, TIFF, BMP, WebP and JPEG files of a few bytes to 110 KB announcing 30000x30000
#    (WebP 16384x16384) pixels are skipped with a reason naming the file and the size,
#    refused from their header: the process's peak RSS stays under BOMB_RSS_KB (decoding
#    any one of them would need 0.8-2.7 GB);
#  - a real 6000x6000 16-bit RGBA PNG, just under the 40 M-pixel limit, is tokenized with
#    a peak RSS under NEAR_RSS_KB (skipped under ASan, where it takes too long);
#  - truncated and corrupted copies of every decoder's inputs give exactly the outcome
#    the decoder's own rules give (a reason naming the file, or a row), never a crash.
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

# rss_run OUTFILE CMD...: runs CMD with stdout to OUTFILE; sets RC and RSS_KB (peak RSS).
rss_run() {
  local out="$1"
  shift
  RSS_KB=$(python3 -c '
import resource, subprocess, sys
with open(sys.argv[1], "wb") as o:
    rc = subprocess.run(sys.argv[2:], stdout=o).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$out" "$@")
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
expect_out "Samples:  10"
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
bad = [f"{p}: {skips.get(p)!r} != {r!r}" for p, r in want.items() if skips.get(p) != r]
if len(skips) != 15: bad.append(f"{len(skips)} skipped, expected 15: {sorted(skips)}")
if d["totals"]["samples"] != 10: bad.append(f"totals {d['totals']}")
print("; ".join(bad))
P
)
[ -z "$msg" ] || fail "job index.json: $msg"

# --- just under the pixel limit: decoded, resized and tokenized within the bound.
if [ -z "${AL_ASAN:-}" ]; then
  python3 "$AL_SOURCE_DIR/tests/tools/make_media_bombs.py" --near "$T/near" || fail "near.png"
  rss_run "$T/near.jsonl" "$BIN" sample -t "$TOK" --max-seq-len 4 "$T/near/near.png"
  OUT=$(cat "$T/near.jsonl")
  expect_rc 0 "near-limit image"
  expect_out '{"file":"'"$T/near/near.png"'","modality":"image","input_ids":[4,100007,100007,100007],"modality_mask":[1,1,1,1]}'
  CHECKS=$((CHECKS + 1))
  [ "$RSS_KB" -lt "$NEAR_RSS_KB" ] || fail "near-limit image: peak RSS $RSS_KB KB >= $NEAR_RSS_KB KB"
fi
finish
