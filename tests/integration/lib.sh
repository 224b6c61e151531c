# Shared helpers for shell tests. Source it; call `finish` at the end.
# AL_PIPELINE is the built binary (set by ctest).
set -u
FAILS=0
CHECKS=0
BIN="${AL_PIPELINE:?AL_PIPELINE must point at auralith-pipeline}"

# run CMD...: sets RC, OUT (stdout) and ERR (stderr)
run() {
  local o e
  o=$(mktemp); e=$(mktemp)
  "$@" >"$o" 2>"$e"
  RC=$?
  OUT=$(cat "$o"); ERR=$(cat "$e")
  rm -f "$o" "$e"
}
fail() { FAILS=$((FAILS + 1)); echo "FAIL: $*" >&2; }
expect_rc() { CHECKS=$((CHECKS + 1)); [ "$RC" -eq "$1" ] || fail "${2:-}: exit code $RC, expected $1 (stderr: $ERR)"; }
expect_out() { CHECKS=$((CHECKS + 1)); case "$OUT" in *"$1"*) ;; *) fail "stdout lacks '$1': $OUT";; esac; }
expect_err() { CHECKS=$((CHECKS + 1)); case "$ERR" in *"$1"*) ;; *) fail "stderr lacks '$1': $ERR";; esac; }
finish() {
  echo "$((CHECKS - FAILS)) passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
  exit $?
}
