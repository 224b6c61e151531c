#!/usr/bin/env bash
# Builds the benchmark inputs under bench/work/ (git-ignored), once:
#   full mode  (default): unpacks /usr/src/linux-source-6.1.tar.xz into
#              work/linux-source-6.1/, then
#              work/corpus/prose.txt  all Documentation/**/*.rst, sorted path order (C locale)
#              work/corpus/code.txt   *.c files in sorted path order, whole files, capped
#                                     at AL_CODE_CAP bytes (default 30 MB)
#              and a .docs file beside each: one line per document, "<bytes>\t<path>",
#              so a peer can encode one document per call.
#   --smoke:   the same files under work/smoke/ built from this repository's own *.md and
#              *.rst (tests/ excluded: its data is deliberately broken) and src/**/*.c (no
#              download, at most 256 KB each).
# Prints nothing on success except progress on stderr; prints the corpus directory on stdout.
set -euo pipefail
. "$(dirname "$0")/common.sh"

mode="${1:-full}"
CODE_CAP="${AL_CODE_CAP:-31457280}"

# concat LISTFILE OUT CAP: concatenate the files named in LISTFILE (one path per line,
# already sorted) into OUT, stopping before the file that would pass CAP bytes.
concat() {
  local list="$1" out="$2" cap="$3" total=0 sz p
  : >"$out.tmp"; : >"$out.docs.tmp"
  while IFS= read -r p; do
    sz=$(stat -c %s "$p")
    [ "$sz" -gt 0 ] || continue
    if [ $((total + sz)) -gt "$cap" ]; then break; fi
    cat "$p" >>"$out.tmp"
    printf '%s\t%s\n' "$sz" "$p" >>"$out.docs.tmp"
    total=$((total + sz))
  done <"$list"
  mv "$out.tmp" "$out"; mv "$out.docs.tmp" "$out.docs"
}

if [ "$mode" = "--smoke" ]; then
  dir="$AL_WORK/smoke"
  mkdir -p "$dir"
  (cd "$AL_ROOT" && find . -path ./build -prune -o -path './build-*' -prune \
      -o -path ./bench/node_modules -prune -o -path ./bench/work -prune -o -path ./.git -prune \
      -o -path ./tests -prune -o -type f \( -name '*.md' -o -name '*.rst' \) -print | LC_ALL=C sort | sed "s|^\./|$AL_ROOT/|") >"$dir/prose.list"
  (cd "$AL_ROOT" && find src -type f -name '*.c' | LC_ALL=C sort | sed "s|^|$AL_ROOT/|") >"$dir/code.list"
  concat "$dir/prose.list" "$dir/prose.txt" 262144
  concat "$dir/code.list" "$dir/code.txt" 262144
  # A small tree for the end-to-end job: the repository's docs and sources.
  rm -rf "$dir/tree"; mkdir -p "$dir/tree"
  cp -r "$AL_ROOT/src" "$dir/tree/src"
  [ -d "$AL_ROOT/docs" ] && cp -r "$AL_ROOT/docs" "$dir/tree/docs"
  echo "$dir"
  exit 0
fi

tarball=/usr/src/linux-source-6.1.tar.xz
src="$AL_WORK/linux-source-6.1"
if [ ! -f "$src/.unpacked" ]; then
  [ -f "$tarball" ] || { al_log "$tarball is missing: run bench/lib/install.sh"; exit 1; }
  al_log "unpacking $tarball into $AL_WORK (once, about a minute)"
  rm -rf "$src"
  tar -C "$AL_WORK" -xJf "$tarball"
  touch "$src/.unpacked"
fi

dir="$AL_WORK/corpus"
mkdir -p "$dir"
if [ ! -f "$dir/.built" ] || [ "$(cat "$dir/.built")" != "$CODE_CAP" ]; then
  al_log "building corpora in $dir"
  (cd "$src" && find Documentation -type f -name '*.rst' | LC_ALL=C sort | sed "s|^|$src/|") >"$dir/prose.list"
  (cd "$src" && find . -type f -name '*.c' | sed 's|^\./||' | LC_ALL=C sort | sed "s|^|$src/|") >"$dir/code.list"
  concat "$dir/prose.list" "$dir/prose.txt" 999999999999
  concat "$dir/code.list" "$dir/code.txt" "$CODE_CAP"
  echo "$CODE_CAP" >"$dir/.built"
fi
echo "$dir"
