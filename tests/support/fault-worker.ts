// A worker process for the fault tests: the job helper as app code uses it, claiming in batches,
// its side effect committed with complete_job. Runs until SIGTERM (then shuts down cleanly) or
// until it is SIGKILLed. DATABASE_URL, FAULT_WORKER_ID from the environment.
import postgres from "postgres";
import { createJobWorker } from "../../client/job-worker.ts";

// fetch_types: false, as docs/jobs-and-dlq.md advises for a worker's client.
const sql = postgres(process.env.DATABASE_URL!, { max: 2, prepare: false, fetch_types: false, onnotice: () => {} });
const worker = createJobWorker(sql, {
  workerId: process.env.FAULT_WORKER_ID!,
  heartbeatIntervalMs: 300,
  backoff: { baseMs: 20, capMs: 300 },
  giveUpAfterMs: 20_000,
});
process.once("SIGTERM", () => void worker.shutdown());
process.stdout.write("ready\n"); // SIGTERM is handled from here on

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
while (!worker.stopping) {
  const jobs = await worker.claim({ limit: 3, jobTypes: ["fault"] });
  if (jobs.length === 0) await sleep(50);
  for (const job of jobs) {
    await worker.run(job, async (_job, signal) => {
      // Long enough that the run spans several faults however fast the machine is.
      await sleep(100 + Math.random() * 100);
      signal.throwIfAborted();
      return async (tx) => {
        await tx`insert into fault_side_effects (job_id, worker_id) values (${job.id}, ${worker.workerId})`;
      };
    });
  }
}
await sql.end({ timeout: 2 });
process.exit(0);
