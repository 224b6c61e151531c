#!/usr/bin/env bash
# The public headers (include/auralith/*.h): each compiles on its own as C11 and as
# C++ (extern "C" blocks), a C++ program linked against libauralith.so calls into the
# library with C linkage, and the version macros, al_version() and the project
# version of CMakeLists.txt agree.
source "$(dirname "$0")/lib.sh"
SRC="${AL_SOURCE_DIR:?}"
BLD="${AL_BIN_DIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
INC="-I$SRC/include"

for h in "$SRC"/include/auralith/*.h; do
  name=$(basename "$h")
  printf '#include <auralith/%s>\n#include <auralith/%s>\nint main(void) { return 0; }\n' "$name" "$name" > "$T/c.c"
  # shellcheck disable=SC2086
  run cc -std=c11 -Wall -Wextra -Werror -pedantic $INC -fsyntax-only "$T/c.c"; expect_rc 0 "$name alone as C11 (twice)"
  cp "$T/c.c" "$T/c.cc"
  # shellcheck disable=SC2086
  run c++ -std=c++11 -Wall -Wextra -Werror $INC -fsyntax-only "$T/c.cc"; expect_rc 0 "$name alone as C++11"
  CHECKS=$((CHECKS + 1)); grep -q 'extern "C"' "$h" || fail "$name has no extern \"C\" block"
done

# C linkage from C++: undefined references would fail the link
cat > "$T/p.cc" <<'CC'
#include <auralith/client.h>
#include <auralith/tokenizer.h>
#include <auralith/version.h>
#include <cstdio>
int main() {
  al_tok_ids ids = {nullptr, 0, 0};
  al_tok_ids_push(&ids, 7);
  std::printf("%s %d %d %zu\n", al_version(), al_version_number(), AURALITH_VERSION_NUMBER, ids.len);
  al_tok_ids_free(&ids);
  return al_status_is_final("completed") ? 0 : 1;
}
CC
# the C++ compiler of the library's C compiler: sanitizer runtimes must match
CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BLD/CMakeCache.txt")
case "${CC:-cc}" in
  *clang) CXX="${CC}++" ;;
  *gcc) CXX="${CC%gcc}g++" ;;
  *) CXX=c++ ;;
esac
SAN=""
grep -q '^AURALITH_ENABLE_ASAN:BOOL=ON' "$BLD/CMakeCache.txt" && SAN="$SAN -fsanitize=address"
grep -q '^AURALITH_ENABLE_UBSAN:BOOL=ON' "$BLD/CMakeCache.txt" && SAN="$SAN -fsanitize=undefined"
# shellcheck disable=SC2086
run "$CXX" -std=c++11 -Wall -Wextra -Werror $SAN $INC "$T/p.cc" -o "$T/p" -L"$BLD" -lauralith
expect_rc 0 "C++ program linked against libauralith.so"
VERSION=$(sed -n 's/^project(auralith VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
IFS=. read -r MA MI PA <<<"$VERSION"
NUM=$((MA * 10000 + MI * 100 + PA))
LD_LIBRARY_PATH="$BLD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" run "$T/p"
expect_rc 0 "C++ program runs"
CHECKS=$((CHECKS + 1)); [ "$OUT" = "$VERSION $NUM $NUM 1" ] || fail "version: got '$OUT', CMakeLists.txt says $VERSION ($NUM)"
finish
