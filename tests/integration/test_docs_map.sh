#!/usr/bin/env bash
# docs/ARCHITECTURE.md and docs/ARCHITECTURE-coord.md describe the tree as it is: every
# file, folder, identifier and test they name exists, and the module table's "depends
# on" column equals the includes between src/ folders (check_docs_map.py says how).
# The checker itself is also run on a copy of the docs with a wrong path, a wrong
# identifier and a wrong dependency, and must name each of them.
source "$(dirname "$0")/lib.sh"
SRC="${AL_SOURCE_DIR:?}"
CHECK="$SRC/tests/integration/check_docs_map.py"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

run python3 "$CHECK" "$SRC"
expect_rc 0 "docs describe the tree (findings: $OUT)"

# the checker catches what it claims to: a copy of the tree's docs with three mistakes
mkdir -p "$T/docs"
for d in src include tests fuzz bench tools python scripts cmake CMakeLists.txt; do
  [ -e "$SRC/$d" ] && ln -s "$SRC/$d" "$T/$d"
done
cp "$SRC/docs/ARCHITECTURE.md" "$SRC/docs/ARCHITECTURE-coord.md" "$T/docs/"
# the planted identifier is made here, so that it occurs in no source (this file included)
BOGUS="coord_gone_$$"
printf '\nSee `src/loop/loop_gone.c` and `%s()`.\n' "$BOGUS" >> "$T/docs/ARCHITECTURE-coord.md"
sed -i 's#^\(| `src/ops/` |.*| \)common, libuv |$#\1common, libuv, shard |#' "$T/docs/ARCHITECTURE.md"
run python3 "$CHECK" "$T"
expect_rc 1 "checker on docs with mistakes"
expect_out '`src/loop/loop_gone.c` does not exist'
expect_out "identifier \`$BOGUS\` occurs nowhere"
expect_out 'the table says src/ops/ depends on shard'
finish
