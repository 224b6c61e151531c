#!/usr/bin/env node
// BullMQ (npm) no-op job throughput against a local redis-server.
// Usage: bullmq_bench.js --port P [--host 127.0.0.1] --jobs N [--concurrency C[,C2,...]]
//                        [--timeout-seconds T]
// For each concurrency: empties the queue, enqueues N jobs with addBulk (1,000 per call,
// removeOnComplete/removeOnFail so Redis does not grow), then starts one Worker with a
// no-op processor and waits until N jobs have completed. Enqueue and processing are timed
// apart. The best processing rate over the concurrencies tried is reported:
//   RESULT bullmq_processed_per_s <jobs/s>   RESULT bullmq_enqueued_per_s <jobs/s>
//   RESULT bullmq_concurrency <C>
'use strict';
const { Queue, Worker } = require('bullmq');
const { arg } = require('./docs');

async function once(connection, name, jobs, concurrency, timeoutS) {
  const queue = new Queue(name, { connection });
  await queue.obliterate({ force: true });
  const opts = { removeOnComplete: true, removeOnFail: true };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < jobs; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(jobs, i + 1000); j++) batch.push({ name: 'noop', data: { i: j }, opts });
    await queue.addBulk(batch);
  }
  const enqS = Number(process.hrtime.bigint() - t0) / 1e9;

  let done = 0, failed = 0;
  let finish;
  const finished = new Promise((res) => { finish = res; });
  const t1 = process.hrtime.bigint();
  const worker = new Worker(name, async () => {}, { connection, concurrency, autorun: true });
  worker.on('completed', () => { if (++done + failed === jobs) finish(); });
  worker.on('failed', () => { if (done + ++failed === jobs) finish(); });
  const timer = setTimeout(finish, timeoutS * 1000);
  await finished;
  const procS = Number(process.hrtime.bigint() - t1) / 1e9;
  clearTimeout(timer);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  if (done + failed < jobs) throw new Error(`timeout: ${done + failed} of ${jobs} jobs finished in ${timeoutS} s`);
  if (failed) throw new Error(`${failed} no-op jobs failed`);
  return { enq: jobs / enqS, proc: jobs / procS, procS };
}

async function main() {
  const port = parseInt(arg('port', '0'), 10), host = arg('host', '127.0.0.1');
  const jobs = parseInt(arg('jobs', '100000'), 10);
  const concs = arg('concurrency', '50,100,200').split(',').map((x) => parseInt(x, 10));
  const timeoutS = parseFloat(arg('timeout-seconds', '120'));
  if (!port) { console.error('usage: bullmq_bench.js --port P --jobs N [--concurrency C,...]'); process.exit(2); }
  const connection = { host, port, maxRetriesPerRequest: null };
  let best = null;
  for (const c of concs) {
    const r = await once(connection, `albench-${c}`, jobs, c, timeoutS);
    console.error(`bullmq_bench: ${jobs} jobs, concurrency ${c}: enqueue ${r.enq.toFixed(0)} jobs/s, processed ${r.proc.toFixed(0)} jobs/s (${r.procS.toFixed(2)} s)`);
    if (!best || r.proc > best.proc) best = { ...r, c };
  }
  console.log(`RESULT bullmq_processed_per_s ${best.proc.toFixed(0)}`);
  console.log(`RESULT bullmq_enqueued_per_s ${best.enq.toFixed(0)}`);
  console.log(`RESULT bullmq_concurrency ${best.c}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
