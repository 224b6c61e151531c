# Protocol codec section (sourced by run.sh): encode+decode of assign and result messages,
# messages per second on one core (bench_proto SECONDS_PER_CASE).
sec_proto() {
  local bin="$AL_BUILD/bench/bench_proto" rc v
  if [ ! -x "$bin" ]; then
    al_row "proto encode+decode, assign+result, msgs/s, 1 core" "not available" "" "" "" "" "bench_proto not built yet"
    return
  fi
  al_run proto "$AL_TO_SHORT" "$bin" "$AL_PROTO_SECS"
  rc=$?
  if [ "$rc" != 0 ]; then
    al_row "proto encode+decode, assign+result, msgs/s, 1 core" "failed" "" "" "" "" "$(al_fail_note proto "$rc")"
    return
  fi
  # Every "RESULT proto_<what> <value>" line becomes a row; else one prose figure.
  if grep -q '^RESULT proto_' "$AL_LOGS/proto.out"; then
    awk '$1 == "RESULT" && $2 ~ /^proto_/ { print $2, $3 }' "$AL_LOGS/proto.out" | while read -r k v; do
      al_row "proto: ${k#proto_}" "$(al_fmt "$v")" "" "" "" "" "bench_proto"
    done
  elif grep -q 'msgs/s' "$AL_LOGS/proto.out"; then
    # "<case> <n> msgs/s ..." lines: one row per case
    sed -nE 's/^(.*[^ ]) +([0-9.]+) msgs\/s.*/\1\t\2/p' "$AL_LOGS/proto.out" | while IFS=$'\t' read -r k v; do
      al_row "proto: $k, encode + frame decode + message decode, msgs/s, 1 core" "$(al_fmt "$v")" "" "" "" "" "bench_proto $AL_PROTO_SECS"
    done
  else
    al_row "proto encode+decode, assign+result, msgs/s, 1 core" "failed" "" "" "" "" "no figure in work/logs.$AL_MODE/proto.out"
  fi
}
