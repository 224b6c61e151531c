#!/usr/bin/env bash
# src/tokenize/tok_utab.c is generated: regenerating it with gen_unicode_tables.py must
# give the committed file byte for byte, so the tables match the Unicode version they
# claim (unicodedata 14.0.0, the one of the Python the original ran on). The generator
# refuses any other unicodedata version; that is a failure here, not a skip.
source "$(dirname "$0")/lib.sh"
SRC="${AL_SOURCE_DIR:?}/src/tokenize"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

python3 "$SRC/gen_unicode_tables.py" > "$T/tok_utab.c" 2> "$T/err"
RC=$?; ERR=$(cat "$T/err")
expect_rc 0 "gen_unicode_tables.py (needs python3 with unicodedata 14.0.0, i.e. Python 3.11)"
CHECKS=$((CHECKS + 1))
if ! cmp -s "$T/tok_utab.c" "$SRC/tok_utab.c"; then
  fail "src/tokenize/tok_utab.c differs from its generator's output: $(diff "$T/tok_utab.c" "$SRC/tok_utab.c" | head -5)"
fi
finish
