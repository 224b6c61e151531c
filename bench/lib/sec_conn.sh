# Connection-scale section (sourced by run.sh): N concurrent worker connections
# heartbeating every second against a real coordinator process (bench_conn).
sec_conn() {
  local bin="$AL_BUILD/bench/bench_conn" rc n="$AL_CONN_N" s="$AL_CONN_SECONDS"
  local label; label="$(al_fmt "$n") worker connections, ${s} s"
  if [ ! -x "$bin" ]; then
    al_row "connections: $label" "not available" "" "" "" "" "bench_conn not built yet"
    return
  fi
  al_run conn $((s * 3 + 120)) "$bin" --connections "$n" --seconds "$s" --heartbeat-timeout 5 \
    --coordinator-log "$AL_LOGS/conn_coordinator.log"
  rc=$?
  if [ "$rc" != 0 ]; then
    if al_unavailable conn; then
      al_row "connections: $label" "not available" "" "" "" "" "$(tail -n 1 "$AL_LOGS/conn.err")"
    else
      al_row "connections: $label" "failed" "" "" "" "" "$(al_fail_note conn "$rc")"
    fi
    return
  fi
  local bpc p50 p99 fd held
  bpc="$(al_value conn conn_rss_bytes_per_conn)"; p50="$(al_value conn conn_hb_p50_ms)"
  p99="$(al_value conn conn_hb_p99_ms)"; fd="$(al_value conn conn_false_dead)"
  held="$(al_value conn conn_held)"
  al_row "connections: coordinator RSS per connection, bytes ($label)" "$(al_fmt "$bpc")" "" "" "≤ 2,048" "$(al_met "$bpc" "<=" 2048)" \
    "coordinator RSS $(al_fmt "$(al_value conn conn_rss_kb)") kB with $(al_fmt "$held") connections held"
  al_row "connections: heartbeat handling latency p50, ms" "$(al_fmt "$p50")" "" "" "" "" \
    "$(al_fmt "$(al_value conn conn_hb_samples)") heartbeats measured (send -> reply to a probe queued behind it)"
  al_row "connections: heartbeat handling latency p99, ms" "$(al_fmt "$p99")" "" "" "< 5" "$(al_met "$p99" "<" 5)" ""
  al_row "connections: false dead-worker detections" "${fd:-}" "" "" "0" "$(al_met "$fd" "==" 0)" \
    "heartbeat every 1 s, heartbeat_timeout 5 s; $(al_value conn conn_held) of $n connections held, $(al_value conn conn_refused) refused before their welcome"
  if [ "$AL_MODE" = full ]; then
    al_run conn_max 900 "$bin" --find-max --seconds 5 --heartbeat-timeout 5 \
      --coordinator-log "$AL_LOGS/conn_max_coordinator.log"
    rc=$?
    if [ "$rc" = 0 ]; then
      al_row "connections: largest count held (fd limit raised)" "$(al_fmt "$(al_value conn_max conn_max_held)")" "" "" "" "" \
        "$(al_value conn_max conn_max_reason | tr _ ' ')"
    else
      al_row "connections: largest count held" "failed" "" "" "" "" "$(al_fail_note conn_max "$rc")"
    fi
  fi
}
