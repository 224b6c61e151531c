#!/usr/bin/env bash
# libauralith-client: the coordinator client alone. Carries the SONAME
# libauralith-client.so.0, exports exactly the functions include/auralith/client.h and version.h
# declares plus the al_ helpers (nothing of the server, tokenizer or store), needs no
# library but libc and OpenSSL (TLS) at run time, and examples/c/list_workers.c built against it alone
# (shared, then static) talks to a real coordinator process.
source "$(dirname "$0")/lib.sh"
SRC="${AL_SOURCE_DIR:?}"
BLD="${AL_BIN_DIR:?}"
SO="$BLD/libauralith-client.so"
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

CHECKS=$((CHECKS + 1)); [ -e "$SO" ] || { fail "$SO not built"; finish; }
CHECKS=$((CHECKS + 1)); [ -e "$BLD/libauralith-client.a" ] || fail "libauralith-client.a not built"
run readelf -d "$SO"; expect_rc 0 readelf
expect_out "Library soname: [libauralith-client.so.0]"
NEEDED=$(printf '%s\n' "$OUT" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
CHECKS=$((CHECKS + 1))
BAD=$(printf '%s\n' "$NEEDED" | grep -vE '^(libc|libm|libpthread|libmsgpackc?|libssl|libcrypto)\.so' || true)
[ -z "$BAD" ] || fail "$SO needs more than libc, msgpack-c and OpenSSL: $BAD"

EXPORTED=$(nm -D --defined-only "$SO" | awk '{print $3}' | grep -vxE '_init|_fini|_edata|_end|__bss_start' | sort -u)
DECLARED=$(perl -0pe 's@/\*.*?\*/@@gs' "$SRC/include/auralith/client.h" "$SRC/include/auralith/version.h" \
  "$SRC/include/auralith/error.h" | grep -v '^#' |
  grep -oE '\b[a-z][a-z0-9]*_[a-z0-9_]+[[:space:]]*\(' | sed -E 's/[[:space:]]*\($//' | sort -u)
PUBLIC=$DECLARED
CHECKS=$((CHECKS + 1)); [ -z "$(echo "$PUBLIC" | grep -v '^al_')" ] || fail "client.h declares functions outside al_: $PUBLIC"
CHECKS=$((CHECKS + 1)); [ "$(echo "$DECLARED" | wc -l)" -ge 20 ] || fail "too few declarations found: $DECLARED"
CHECKS=$((CHECKS + 1))
[ "$EXPORTED" = "$PUBLIC" ] || fail "exports differ from client.h: $(diff <(echo "$PUBLIC") <(echo "$EXPORTED") | grep '^[<>]' | head -5 | tr '\n' ' ')"

# the example, against the client library only: no other -l, so any reference to the
# rest of libauralith would not link
CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BLD/CMakeCache.txt")
SAN=""
grep -q '^AURALITH_ENABLE_ASAN:BOOL=ON' "$BLD/CMakeCache.txt" && SAN="$SAN -fsanitize=address"
grep -q '^AURALITH_ENABLE_UBSAN:BOOL=ON' "$BLD/CMakeCache.txt" && SAN="$SAN -fsanitize=undefined"
FLAGS="-std=c11 -Wall -Wextra -Werror $SAN -I$SRC/include"
# shellcheck disable=SC2086
run "${CC:-cc}" $FLAGS "$SRC/examples/c/list_workers.c" -o "$T/lw_shared" -L"$BLD" -lauralith-client -pthread
expect_rc 0 "build list_workers against libauralith-client.so"
# shellcheck disable=SC2086
run "${CC:-cc}" $FLAGS "$SRC/examples/c/list_workers.c" -o "$T/lw_static" "$BLD/libauralith-client.a" -lssl -lcrypto -pthread
expect_rc 0 "build list_workers against libauralith-client.a"
export LD_LIBRARY_PATH="$BLD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
run ldd "$T/lw_shared"; expect_out "libauralith-client.so.0 => $BLD/"
CHECKS=$((CHECKS + 1)); case "$OUT" in *"libauralith.so"*|*libuv*|*hiredis*) fail "list_workers pulls in more than the client: $OUT";; esac

PORT=$(free_port)
run "$T/lw_shared" "127.0.0.1:$PORT"; expect_rc 1 "list_workers, nothing listening"
expect_err "list_workers: cannot connect to coordinator 127.0.0.1:$PORT: Connection refused"
cat > "$T/c.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $PORT
  state_store_type: memory
Y
"$BIN" coordinator -c "$T/c.yaml" --host 127.0.0.1 --port "$PORT" > "$T/coord.log" 2>&1 & PIDS+=($!)
for _ in $(seq 200); do grep -q "started successfully" "$T/coord.log" 2>/dev/null && break; sleep 0.05; done
for v in shared static; do
  run "$T/lw_$v" "127.0.0.1:$PORT"; expect_rc 0 "list_workers ($v) against a coordinator"
  expect_out "0 worker(s) on 127.0.0.1:$PORT"
done
finish
