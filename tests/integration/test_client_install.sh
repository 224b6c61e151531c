#!/usr/bin/env bash
# `cmake --install` to a temporary prefix, then the C examples build against the
# installed headers and library with `cc ... $(pkg-config --cflags --libs auralith)`
# and run (against a closed port: one-line error, exit 1). Nothing here is skipped.
source "$(dirname "$0")/lib.sh"
SRC="${AL_SOURCE_DIR:?}"
BLD="${AL_BIN_DIR:?}"
# A missing install rule is a failure, never a skip: this test is what guards it.
CHECKS=$((CHECKS + 1))
grep -q 'cmake/install.cmake' "$SRC/CMakeLists.txt" || { fail "the root CMakeLists.txt does not include cmake/install.cmake"; finish; }
PREFIX=$(mktemp -d "${TMPDIR:-/tmp}/al-install.XXXXXX")
trap 'rm -rf "$PREFIX"' EXIT

run cmake --install "$BLD" --prefix "$PREFIX"; expect_rc 0 install
PC=$(ls "$PREFIX"/lib*/pkgconfig/auralith.pc "$PREFIX"/lib/*/pkgconfig/auralith.pc 2>/dev/null | head -1)
CHECKS=$((CHECKS + 1)); [ -n "$PC" ] || fail "auralith.pc not installed under $PREFIX"
for f in include/auralith/client.h include/auralith/pipeline.h include/auralith/error.h bin/alctl; do
  CHECKS=$((CHECKS + 1)); [ -e "$PREFIX/$f" ] || fail "$f not installed"
done
# only the public headers: nothing of src/ (common/al.h is private)
CHECKS=$((CHECKS + 1))
EXTRA=$(cd "$PREFIX/include/auralith" && find . -type f | sed 's|^\./||' | sort | grep -vxF -f <(cd "$SRC/include/auralith" && ls *.h) || true)
[ -z "$EXTRA" ] || fail "installed headers that are not in include/auralith: $EXTRA"
export PKG_CONFIG_PATH="$(dirname "${PC:-/nonexistent/x}")"
run pkg-config --cflags auralith; expect_rc 0 cflags; expect_out "-I$PREFIX/"
run pkg-config --libs auralith;   expect_rc 0 libs;   expect_out "-lauralith"; expect_out "-luv"

# Same compiler and sanitizers as the library was built with.
CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BLD/CMakeCache.txt")
SAN=""
grep -q '^AURALITH_ENABLE_ASAN:BOOL=ON' "$BLD/CMakeCache.txt" && SAN="$SAN -fsanitize=address"
grep -q '^AURALITH_ENABLE_UBSAN:BOOL=ON' "$BLD/CMakeCache.txt" && SAN="$SAN -fsanitize=undefined"
grep -q '^AURALITH_ENABLE_TSAN:BOOL=ON' "$BLD/CMakeCache.txt" && SAN="$SAN -fsanitize=thread"
# -lauralith links the shared library; the examples find it in the prefix at run time.
LIBDIR=$(dirname "$PC")/..
export LD_LIBRARY_PATH="$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
CHECKS=$((CHECKS + 1)); [ -e "$LIBDIR/libauralith.so.0" ] || fail "libauralith.so.0 not installed in $LIBDIR"
for ex in list_workers run_job; do
  # shellcheck disable=SC2046
  run "${CC:-cc}" -std=c11 -Wall -Wextra -Werror $SAN "$SRC/examples/c/$ex.c" -o "$PREFIX/$ex" \
    $(pkg-config --cflags --libs auralith)
  expect_rc 0 "build $ex"
done

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run "$PREFIX/list_workers" "127.0.0.1:$PORT"; expect_rc 1 "list_workers unreachable"
expect_err "list_workers: cannot connect to coordinator 127.0.0.1:$PORT: Connection refused"
EMPTY=$(mktemp -d "$PREFIX/in.XXXXXX")
run "$PREFIX/run_job" "$EMPTY" "$PREFIX/out" "$PREFIX/tok" "127.0.0.1:$PORT"; expect_rc 1 "run_job no files"
expect_err "run_job: No files found in $EMPTY"
echo x > "$EMPTY/a.txt"
run "$PREFIX/run_job" "$EMPTY" "$PREFIX/out" "${AL_DATA_DIR:?}/pipeline/tokenizers" "127.0.0.1:$PORT"; expect_rc 1 "run_job unreachable"
expect_err "cannot connect to coordinator 127.0.0.1:$PORT"
# the client alone: its own pkg-config entry, nothing but the client library to link
run pkg-config --libs auralith-client; expect_rc 0 "client libs"; expect_out "-lauralith-client"
CHECKS=$((CHECKS + 1)); case "$OUT" in *-luv*|*-lhiredis*|*-lyaml*|*"-lauralith "*) fail "auralith-client.pc links more than the client: $OUT";; esac
CHECKS=$((CHECKS + 1)); [ -e "$LIBDIR/libauralith-client.so.0" ] && [ -e "$LIBDIR/libauralith-client.a" ] ||
  fail "libauralith-client not installed in $LIBDIR"
# shellcheck disable=SC2046
run "${CC:-cc}" -std=c11 -Wall -Wextra -Werror $SAN "$SRC/examples/c/list_workers.c" -o "$PREFIX/lw_client" \
  $(pkg-config --cflags --libs auralith-client)
expect_rc 0 "build list_workers against auralith-client"
run "$PREFIX/lw_client" "127.0.0.1:$PORT"; expect_rc 1 "list_workers (client library) unreachable"
expect_err "list_workers: cannot connect to coordinator 127.0.0.1:$PORT: Connection refused"
run "$PREFIX/bin/alctl" --help; expect_rc 0 "installed alctl"; expect_out "Usage: alctl"
finish
