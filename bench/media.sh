#!/usr/bin/env bash
# Media tokenizer throughput, one process on one core: images/s (224×224 PNG, the
# original's default image tokenizer: 196 patches, 1024 codes), audio seconds/s (10 s
# mono WAV, 16 kHz as is and 44.1 kHz resampled; 512 codes, 80 mels), video frames/s
# (64-frame 320×240 uncompressed AVI, 32 sampled frames resized to 224). Runs
# `auralith-pipeline sample` over generated inputs (bench/media_inputs.py, numpy).
# With AL_ORIGINAL=<checkout of the original Python project>, its tokenizers run on the
# same inputs on the same core (bench/media_peer.py; needs Debian's python3-pil,
# python3-scipy, python3-soundfile, python3-opencv) for the peer columns.
#   bench/media.sh            measure and append a section to bench/RESULTS.md
#   bench/media.sh --smoke    tiny inputs, nothing recorded
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${AL_PIPELINE:-build/auralith-pipeline}
PY=${AL_PYTHON:-/usr/bin/python3}
smoke=0; [ "${1:-}" = "--smoke" ] && smoke=1
W=bench/work/media; rm -rf "$W"; mkdir -p "$W"
if [ $smoke = 1 ]; then n=(2 1 1); size=small; secs=1; else n=(200 12 4); size=full; secs=10; fi
"$PY" bench/media_inputs.py "$W" "${n[@]}" $size
touch "$W/none.bin"

# run FILES...: one `sample` process on core 0; sets WALL and CPU (seconds)
run1() {
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$W/time" taskset -c 0 "$BIN" sample -t "$W/tok" --max-seq-len 1000000 "$@" > "$W/out.jsonl"
  t1=$(date +%s.%N)
  WALL=$(echo "$t1 - $t0" | bc -l); CPU=$(awk '{print $1 + $2}' "$W/time")
}
# Loading the three tokenizers (about 45 MB of JSON at full size) is measured once with
# an unclassified file and subtracted, so the rates are per file, not per start-up.
run1 "$W/none.bin"; LOAD_WALL=$WALL; LOAD_CPU=$CPU
# measure UNITS-PER-FILE FILES...: prints "wall_s cpu_s units"
measure() {
  local per=$1; shift
  run1 "$@"
  if grep -q '"skipped"' "$W/out.jsonl"; then echo "a file was skipped: $(grep -m1 skipped "$W/out.jsonl")" >&2; exit 1; fi
  echo "$(echo "w=$WALL - $LOAD_WALL; if (w < 0.001) w = 0.001; w" | bc -l) $(echo "c=$CPU - $LOAD_CPU; if (c < 0.01) c = 0.01; c" | bc -l) $(echo "$per * $#" | bc -l)"
}
# peer NAME: the original's "wall_s cpu_s" for one input set (empty without AL_ORIGINAL)
# (times FACTOR, default 1: the peer runs each input once, ours $rep times for audio)
peer() { [ -n "$PEER" ] && awk -v n="$1" -v f="${2:-1}" '$1 == n {print $3 * f, $4 * f}' <<< "$PEER"; }
row() { # NAME UNIT wall cpu units [peer_wall peer_cpu]
  local pw="—" pc="—" ratio="—"
  if [ $# -ge 7 ]; then
    pw=$(printf '%.1f' "$(echo "$5 / $6" | bc -l)"); pc=$(printf '%.1f' "$(echo "$5 / $7" | bc -l)")
    ratio=$(printf '%.1f×' "$(echo "($5 / $4) / ($5 / $7)" | bc -l)")
  fi
  printf '| %s | %.1f | %.1f | %s | %s | %s | %s |\n' "$1" "$(echo "$5 / $3" | bc -l)" "$(echo "$5 / $4" | bc -l)" \
    "$pw" "$pc" "$ratio" "$2"
}
img=$(measure 1 "$W"/images/*.png)
# Each clip is listed $rep times, so that the audio work (about 30 ms a clip) outweighs
# the noise of the subtracted start-up time.
rep=10; [ $smoke = 1 ] && rep=1
reps() { local f i; for f in "$@"; do for ((i = 0; i < rep; i++)); do echo "$f"; done; done; }
a16=$(measure $secs $(reps "$W"/audio16k/*.wav))
a44=$(measure $secs $(reps "$W"/audio44k/*.wav))
vid=$(measure 32 "$W"/videos/*.avi)
PEER=""
if [ -n "${AL_ORIGINAL:-}" ]; then
  PEER=$(taskset -c 0 "$PY" bench/media_peer.py "$AL_ORIGINAL" "$W")
  echo "$PEER" >&2
fi
table=$(
  echo "| metric | ours per wall s | ours per CPU s | original per wall s | original per CPU s | ours ÷ original (CPU) | unit |"
  echo "|---|---|---|---|---|---|---|"
  row "image: 224×224 PNG → 196 codes (decode, no resize needed, VQ 1024)" "images" $img $(peer images)
  row "audio: 10 s WAV at 16 kHz → 39 codes (mel 80, VQ 512)" "audio seconds" $a16 $(peer audio16k $rep)
  row "audio: 10 s WAV at 44.1 kHz, FFT-resampled to 16 kHz" "audio seconds" $a44 $(peer audio44k $rep)
  row "video: 320×240 AVI, 32 frames sampled, zoom to 224, VQ 1024" "frames" $vid $(peer videos)
)
echo "$table"
if [ $smoke = 0 ]; then
  {
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M') UTC, media tokenizers"
    echo
    echo "Command: \`bench/media.sh\` (one \`auralith-pipeline sample\` process pinned to one core with taskset; inputs from \`bench/media_inputs.py\`: ${n[0]} images, ${n[1]} clips per rate each listed $rep times, ${n[2]} videos)"
    echo
    echo "- commit: $(git rev-parse --short HEAD)"
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); nproc $(nproc); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- tokenizer loading (measured with an unclassified file: ${LOAD_WALL} s wall, ${LOAD_CPU} s CPU) is subtracted from every row"
    if [ -n "$PEER" ]; then
      echo "- original: \`AL_ORIGINAL=$AL_ORIGINAL\` at commit $(cat "$AL_ORIGINAL/.commit" 2>/dev/null || echo '?'), its ImageTokenizer/AudioTokenizer/VideoTokenizer \`encode\` per file (bench/media_peer.py, Debian's numpy, Pillow, scipy, soundfile, OpenCV; import time excluded), pinned to the same core"
    else
      echo "- the original (Python) was not run (AL_ORIGINAL unset), so there is no peer column"
    fi
    echo
    echo "$table"
  } >> bench/RESULTS.md
fi
