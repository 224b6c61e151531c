/* See worker_metrics.h. Names follow the coordinator's (auralith_ prefix, base units,
 * _total on counters); the worker's own series carry worker_id so that a fleet's
 * scrapes can be summed or told apart, and process_* are the standard ones. */
#include "worker/worker_metrics.h"

#include <string.h>

#include "ops/ops_process.h"
#include "ops/ops_prom.h"

/* One sample labelled with the worker's id. */
static void wsample(al_buf *o, const char *name, const char *id, double v) {
  ops_prom_sample_l(o, name, "worker_id", id, v);
}

void worker_metrics_render(const worker *w, const char *id, const char *coordinator, al_buf *o) {
  worker_stats st;
  worker_get_stats(w, &st);
  ops_prom_help(o, "auralith_up", "gauge", "1 while the worker serves");
  ops_prom_sample(o, "auralith_up", 1);
  ops_prom_help(o, "auralith_build_info", "gauge", "version of the running binary");
  al_buf_printf(o, "auralith_build_info{version=\"%s\",role=\"worker\",worker_id=\"", AURALITH_VERSION);
  ops_prom_label_value(o, id, strlen(id));
  al_buf_puts(o, "\",coordinator=\"");
  ops_prom_label_value(o, coordinator, strlen(coordinator));
  al_buf_puts(o, "\"} 1\n");
  ops_prom_help(o, "auralith_uptime_seconds", "gauge", "seconds since the worker started");
  al_buf_printf(o, "auralith_uptime_seconds %.3f\n", st.uptime_s);

  static const char *const STATES[] = {"disconnected", "connecting", "handshake", "connected", "closing"};
  ops_prom_help(o, "auralith_worker_connection_state", "gauge",
                "1 for the state of the connection to the coordinator, 0 for the others");
  for (size_t i = 0; i < AL_ARRAY_LEN(STATES); i++)
    al_buf_printf(o, "auralith_worker_connection_state{state=\"%s\"} %d\n", STATES[i],
                  strcmp(STATES[i], st.conn_state) == 0);
  ops_prom_help(o, "auralith_worker_connects_total", "counter", "handshakes completed with the coordinator");
  wsample(o, "auralith_worker_connects_total", id, (double)st.connects);

  ops_prom_help(o, "auralith_worker_slots", "gauge", "tasks run at once: the size of the task thread pool");
  wsample(o, "auralith_worker_slots", id, st.slots);
  ops_prom_help(o, "auralith_worker_pool_threads_busy", "gauge", "task pool threads running a task");
  wsample(o, "auralith_worker_pool_threads_busy", id, st.running);
  ops_prom_help(o, "auralith_worker_tasks", "gauge", "tasks the worker holds, by state");
  al_buf_printf(o, "auralith_worker_tasks{state=\"running\"} %u\nauralith_worker_tasks{state=\"queued\"} %u\n",
                st.running, st.queued);
  ops_prom_help(o, "auralith_worker_tasks_completed_total", "counter", "tasks the worker completed");
  wsample(o, "auralith_worker_tasks_completed_total", id, (double)st.tasks_completed);
  ops_prom_help(o, "auralith_worker_tasks_failed_total", "counter", "task attempts that failed on the worker");
  wsample(o, "auralith_worker_tasks_failed_total", id, (double)st.tasks_failed);
  ops_prom_help(o, "auralith_worker_samples_total", "counter", "samples written by the completed tasks");
  wsample(o, "auralith_worker_samples_total", id, (double)st.samples_processed);
  ops_prom_help(o, "auralith_worker_tokens_total", "counter", "token ids written by the completed tasks");
  wsample(o, "auralith_worker_tokens_total", id, (double)st.tokens);
  ops_prom_help(o, "auralith_worker_input_bytes_total", "counter", "input bytes read by the completed tasks");
  wsample(o, "auralith_worker_input_bytes_total", id, (double)st.bytes_processed);
  ops_prom_help(o, "auralith_network_received_bytes_total", "counter",
                "bytes received from the coordinator (on the wire, TLS included)");
  ops_prom_sample(o, "auralith_network_received_bytes_total", (double)st.net_bytes_in);
  ops_prom_help(o, "auralith_network_sent_bytes_total", "counter",
                "bytes sent to the coordinator (on the wire, TLS included)");
  ops_prom_sample(o, "auralith_network_sent_bytes_total", (double)st.net_bytes_out);
  ops_process_metrics(o);
}

int worker_metrics_healthy(const worker *w, const char *coordinator, al_buf *why) {
  worker_stats st;
  worker_get_stats(w, &st);
  if (strcmp(st.conn_state, "connected") == 0) return 1;
  al_buf_printf(why, "not connected to the coordinator %s (%s)", coordinator, st.conn_state);
  return 0;
}
