#!/usr/bin/env bash
# libauralith.so: carries the SONAME libauralith.so.0 and exports exactly the functions
# the public headers (include/auralith/*.h) declare, every one named al_...: what the
# Python extension and other dynamic users link against, and nothing of the internals.
# The installed static archives (public/) define the same names and no others.
source "$(dirname "$0")/lib.sh"
SRC="${AL_SOURCE_DIR:?}"
BLD="${AL_BIN_DIR:?}"
SO="$BLD/libauralith.so"
CHECKS=$((CHECKS + 1)); [ -e "$SO" ] || { fail "$SO not built"; finish; }
run readelf -d "$SO"; expect_rc 0 readelf
expect_out "Library soname: [libauralith.so.0]"
CHECKS=$((CHECKS + 1)); [ -e "$BLD/libauralith.so.0" ] || fail "libauralith.so.0 link missing"
CHECKS=$((CHECKS + 1)); [ -e "$BLD/libauralith.a" ] || fail "libauralith.a missing next to the shared library"
EXPORTED=$(nm -D --defined-only "$SO" | awk '{print $3}' | sort -u)
# Function names declared in the public headers: an identifier followed by "(" at the
# start of a declaration line (return type before it), ignoring macros and comments.
DECLARED=$(sed -e 's@/\*.*\*/@@g' "$SRC"/include/auralith/*.h |
  grep -E '^[a-z_].*[ *]([a-z][a-z0-9]*_[a-z0-9_]+)\(' | grep -v '^#' |
  sed -E 's/.*[ *]([a-z][a-z0-9]*_[a-z0-9_]+)\(.*/\1/' | sort -u)
CHECKS=$((CHECKS + 1)); [ "$(echo "$DECLARED" | wc -l)" -gt 40 ] || fail "too few declarations found: $DECLARED"
PUBLIC=$DECLARED
# one prefix: every function a public header declares is al_...
BADPFX=$(echo "$DECLARED" | grep -v '^al_' || true)
CHECKS=$((CHECKS + 1)); [ -z "$BADPFX" ] || fail "public functions without the al_ prefix: $(echo "$BADPFX" | head -5 | tr '\n' ' ')"
for f in al_err_clear al_err_set al_log_get_level al_log_set_level al_version al_connect al_tok_encode al_pipeline_run; do
  CHECKS=$((CHECKS + 1)); echo "$DECLARED" | grep -qx "$f" || fail "$f not found among the public declarations"
done
for f in $PUBLIC; do
  CHECKS=$((CHECKS + 1))
  echo "$EXPORTED" | grep -qx "$f" || fail "$f is declared in include/auralith but not exported by $SO"
done
# nothing else: an internal name (coord_, cfg_, proto_, ...) exported would be linkable
# by users and could collide with theirs
EXTRA=$(comm -23 <(echo "$EXPORTED") <(echo "$PUBLIC") | grep -vxE '_init|_fini|_edata|_end|__bss_start')
CHECKS=$((CHECKS + 1)); [ -z "$EXTRA" ] || fail "$SO exports $(echo "$EXTRA" | wc -l) symbols that no public header declares, e.g. $(echo "$EXTRA" | head -5 | tr '\n' ' ')"
NOPFX=$(echo "$EXPORTED" | grep -vxE '_init|_fini|_edata|_end|__bss_start' | grep -v '^al_' || true)
CHECKS=$((CHECKS + 1)); [ -z "$NOPFX" ] || fail "$SO exports symbols outside al_: $(echo "$NOPFX" | head -5 | tr '\n' ' ')"

# The installed static archives (public/, see al_public_archive in CMakeLists.txt)
# define the same global names as the shared libraries and nothing else; the in-tree
# archive libauralith.a keeps every name for the programs and tests.
defined() { nm -g --defined-only "$1" | awk 'NF == 3 {print $3}' | sort -u; }
PUB_A="$BLD/public/libauralith.a"
CHECKS=$((CHECKS + 1)); [ -e "$PUB_A" ] || { fail "$PUB_A not built"; finish; }
SO_NAMES=$(echo "$EXPORTED" | grep -vxE '_init|_fini|_edata|_end|__bss_start')
CHECKS=$((CHECKS + 1))
[ "$(defined "$PUB_A")" = "$SO_NAMES" ] || fail "public/libauralith.a defines other global symbols than $SO exports: $(diff <(echo "$SO_NAMES") <(defined "$PUB_A") | grep '^[<>]' | head -5 | tr '\n' ' ')"
CHECKS=$((CHECKS + 1))
[ "$(defined "$BLD/public/libauralith-client.a")" = "$(nm -D --defined-only "$BLD/libauralith-client.so" | awk '{print $3}' | grep -vxE '_init|_fini|_edata|_end|__bss_start' | sort -u)" ] ||
  fail "public/libauralith-client.a defines other global symbols than libauralith-client.so exports"
CHECKS=$((CHECKS + 1)); defined "$BLD/libauralith.a" | grep -qx coord_jm_new || fail "the in-tree archive lost its internal names"
# a program that uses names the library has inside links and runs with the public archive
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cat > "$T/collide.c" <<'C'
#include <stdio.h>
#include "auralith/pipeline.h"
#include "auralith/version.h"
int cfg_load(void) { return 42; }     /* src/config's loader inside the library */
int coord_jm_new(void) { return 7; }  /* the job manager's constructor */
int main(void) {
  al_pipeline_options o;
  al_pipeline_options_init(&o);
  printf("%s %d %d\n", al_version(), cfg_load(), coord_jm_new());
  return 0;
}
C
CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BLD/CMakeCache.txt")
SAN=""
grep -q '^AURALITH_ENABLE_ASAN:BOOL=ON' "$BLD/CMakeCache.txt" && SAN="$SAN -fsanitize=address"
grep -q '^AURALITH_ENABLE_UBSAN:BOOL=ON' "$BLD/CMakeCache.txt" && SAN="$SAN -fsanitize=undefined"
DEPS=$(pkg-config --libs libuv hiredis msgpack yaml-0.1 jansson libutf8proc libssl libcrypto libpcre2-8 zlib libzstd liblzma)
# shellcheck disable=SC2086
run "${CC:-cc}" -std=c11 $SAN -I"$SRC/include" "$T/collide.c" -o "$T/collide" "$PUB_A" $DEPS -lbz2 -pthread -lm -ldl
expect_rc 0 "link a program defining coord_jm_new and cfg_load with public/libauralith.a"
run "$T/collide"; expect_rc 0 "collide"; expect_out " 42 7"
finish
