// A runnable worker: enqueues a few demo jobs, then claims and runs jobs until the queue is empty,
// with heartbeats (every held job), completion, retries and dead-lettering handled by the helper.
// The database may go away meanwhile (restart, failover, a dropped connection): the helper retries
// with backoff and carries on. SIGTERM or Ctrl-C (SIGINT): no more claims, jobs claimed but not
// started are handed back, the running one finishes, and the process exits 0.
//
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx examples/job-worker.ts
//
// DATABASE_URL is a service_role connection (on Supabase: the pooler URL from the dashboard, or
// SUPABASE_DB_URL inside an edge function). EXAMPLE_ENQUEUE=0 skips the demo jobs: their insert is
// written for the kit's own qc_jobs (tenant_id, a status that defaults to pending), so on a table of
// your own, insert jobs of type example.send-email yourself and run with EXAMPLE_ENQUEUE=0.
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import postgres, { type TransactionSql } from "postgres";
import { createJobWorker, NonRetryableJobError } from "@supabase-reliability-kit/client";

interface EmailJob {
  to: string;
  subject: string;
}

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error("Set DATABASE_URL to a Postgres URL with the kit's migrations applied.");
  process.exit(2);
}
const enqueue = Number(process.env.EXAMPLE_ENQUEUE ?? "5");

// prepare: false works behind Supabase's transaction pooler. fetch_types: false: postgres.js
// otherwise fetches array types on every new connection, and a connection the server ends during
// that fetch rejects a promise nobody holds, which ends the process (docs/jobs-guarantees.md).
const sql = postgres(databaseUrl, { max: 2, prepare: false, fetch_types: false, onnotice: () => {} });
const worker = createJobWorker(sql, {
  // Unique per process and per start, so that a restarted worker never acts on its old claims.
  workerId: `example-${hostname()}-${process.pid}-${Date.now()}`,
  heartbeatIntervalMs: 30_000,
  onTransientError: (error, what, retryInMs) => console.warn(`${what}: ${(error as Error).message}; retrying in ${retryInMs} ms`),
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    console.log(`${signal}: finishing the running job, handing back the others`);
    void worker.shutdown();
  });
}

async function sendEmail(job: { id: string; payload: EmailJob }, signal: AbortSignal) {
  if (!job.payload.to.includes("@")) throw new NonRetryableJobError(`invalid address ${job.payload.to}`);
  await sleep(50, undefined, { signal }); // the real work; pass `signal` on so it stops when the job is lost
  // What must happen exactly once is returned as an effect: it runs in the transaction that
  // completes the job, so it commits only with that completion (never twice after a retry).
  return async (tx: TransactionSql) => {
    await tx`select pg_catalog.pg_notify('example_email_sent', ${job.id})`;
  };
}

async function main() {
  if (enqueue > 0) {
    const rows = Array.from({ length: enqueue }, (_, i) => ({
      job_type: "example.send-email",
      tenant_id: `example-tenant-${i % 2}`,
      payload: { to: i === enqueue - 1 ? "not-an-address" : `user${i}@example.com`, subject: `Hello ${i}` },
    }));
    try {
      await sql`insert into public.qc_jobs ${sql(rows as never, "job_type", "tenant_id", "payload")}`;
    } catch (error) {
      // The database refused the demo rows (a qc_jobs of another shape): say what to do, in one line.
      if (!(error instanceof postgres.PostgresError)) throw error;
      console.error(
        `Cannot enqueue the demo jobs (${error.message}): they are written for the kit's own qc_jobs. ` +
          `Insert your own jobs of type example.send-email (payload {"to", "subject"}) and run with EXAMPLE_ENQUEUE=0.`,
      );
      process.exitCode = 1;
      return;
    }
    console.log(`enqueued ${enqueue} example.send-email jobs`);
  }
  while (!worker.stopping) {
    const jobs = await worker.claim<EmailJob>({ limit: 5, jobTypes: ["example.send-email"] });
    if (jobs.length === 0) break;
    for (const job of jobs) {
      const outcome = await worker.run(job, sendEmail);
      const detail = outcome.kind === "failed"
        ? `${outcome.outcome}: ${(outcome.error as Error).message}`
        : outcome.kind === "lost" ? outcome.reason : outcome.kind === "abandoned" ? String(outcome.error) : "";
      console.log(`job ${job.id} (subject ${job.subject}, attempt ${job.attempt}): ${outcome.kind}${detail ? ` (${detail})` : ""}`);
    }
  }
  console.log(worker.stopping ? "stopped" : "queue empty");
}

try {
  await main();
} finally {
  await sql.end({ timeout: 5 });
}
