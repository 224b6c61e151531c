#!/usr/bin/env bash
# `auralith-pipeline sample`: one JSON line per file for every modality, skips with a
# reason, and clear errors for unusable tokenizer directories.
source "$(dirname "$0")/lib.sh"
D="${AL_DATA_DIR:?}/pipeline"
T=$(mktemp -d "${TMPDIR:-/tmp}/al-media-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT

run "$BIN" sample -t "$D/tokenizers" --max-seq-len 6 "$D/raw/photo.png" "$D/raw/notes.txt" "$D/raw/script.py" \
  "$D/raw/paper.pdf" "$D/raw/blank.txt" "$D/raw/song.mp3"
expect_rc 0 "sample"
expect_out '"modality":"image","input_ids":[4,100011,100012,100011,100001,100013],"modality_mask":[1,1,1,1,1,1]}'
expect_out '"modality":"text","input_ids":[2,'
expect_out '"modality":"code","input_ids":[13,'
expect_out '/paper.pdf","skipped":"unclassified"}'
expect_out '/blank.txt","skipped":"blank text"}'
CHECKS=$((CHECKS + 1)); [ "$(printf '%s\n' "$OUT" | wc -l)" -eq 6 ] || fail "expected 6 lines: $OUT"

# A text file with only a media tokenizer root: skipped with the reason.
mkdir -p "$T/tok"
cp -r "$D/tokenizers/image" "$T/tok/"
run "$BIN" sample -t "$T/tok" "$D/raw/notes.txt" "$D/raw/images/cat.npy"
expect_rc 0 "media-only root"
expect_out '"skipped":"no tokenizer for modality '"'"'text'"'"'"'
expect_out '"modality":"image"'

# A corrupt codebook is an error naming the file and the field.
printf '{"codebook_size": 16, "feature_dim": 192, "codebook": "no"}' > "$T/tok/image/vq_codebook.json"
run "$BIN" sample -t "$T/tok" "$D/raw/photo.png"
expect_rc 1 "bad codebook"
expect_err "$T/tok/image/vq_codebook.json: field \"codebook\" is not an array"
rm "$T/tok/image/vq_codebook.json"
run "$BIN" sample -t "$T/tok" "$D/raw/photo.png"
expect_rc 1 "missing codebook"
expect_err "$T/tok/image/vq_codebook.json: cannot open"

# A truncated PNG is skipped with a reason, not a crash.
head -c 300 "$D/raw/photo.png" > "$T/cut.png"
run "$BIN" sample -t "$D/tokenizers" "$T/cut.png"
expect_rc 0 "truncated png"
expect_out '"skipped":"'"$T/cut.png"

# The codec module libauralith_media.so: found next to the program without
# AURALITH_MEDIA_MODULE; a missing one is a per-file skip reason naming it; text, code
# and .npy inputs never load it, and the program links none of the codec libraries.
run env -u AURALITH_MEDIA_MODULE "$BIN" sample -t "$D/tokenizers" "$D/raw/photo.png"
expect_rc 0 "module next to the program"
expect_out '"modality":"image","input_ids":[4,100011,'
run env AURALITH_MEDIA_MODULE=/nonexistent/libauralith_media.so "$BIN" sample -t "$D/tokenizers" \
  "$D/raw/photo.png" "$D/raw/notes.txt" "$D/raw/images/cat.npy"
expect_rc 0 "missing module"
expect_out '"skipped":"'"$D/raw/photo.png"': media module /nonexistent/libauralith_media.so (AURALITH_MEDIA_MODULE) does not exist"'
expect_out '"modality":"text"'
expect_out '/cat.npy","modality":"image"'
LOADS=$(env -u AURALITH_MEDIA_MODULE LD_DEBUG=files "$BIN" sample -t "$D/tokenizers" "$D/raw/notes.txt" \
  "$D/raw/script.py" "$D/raw/images/cat.npy" 2>&1 >/dev/null)
CHECKS=$((CHECKS + 1))
case "$LOADS" in *libauralith_media*|*libavcodec*) fail "text/code/.npy loaded the codec module";; esac
LOADS=$(env -u AURALITH_MEDIA_MODULE LD_DEBUG=files "$BIN" sample -t "$D/tokenizers" "$D/raw/photo.png" 2>&1 >/dev/null)
CHECKS=$((CHECKS + 1))
case "$LOADS" in *libauralith_media.so*) ;; *) fail "photo.png did not load the codec module";; esac
CHECKS=$((CHECKS + 1))
if ldd "$BIN" | grep -E 'libav(codec|format|util)|libswscale|libsndfile|libjpeg' >&2; then
  fail "auralith-pipeline links codec libraries"
fi

run "$BIN" sample -t "$D/tokenizers"
expect_rc 2 "no files"
run "$BIN" sample -t "$D/tokenizers" --max-seq-len x "$D/raw/photo.png"
expect_rc 2 "bad max-seq-len"
finish
